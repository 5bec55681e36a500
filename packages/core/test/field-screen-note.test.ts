import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  NOTE_FINDING_KINDS,
  NOTE_MAX_LENGTH,
  noteFindingKinds,
  screenNote,
  type NoteFindingKind,
} from "../src/field/screen-note.js";

const RUNS = { seed: 7, numRuns: 300 };
const WEIGHTS = [9, 8, 7, 6, 5, 4, 3, 2, -1];

/** The findings of a note as [kind, covered text] pairs, for readable tables. */
const found = (text: string): [NoteFindingKind, string][] =>
  screenNote(text).map((f) => [f.kind, text.slice(f.start, f.end)]);

/** 8 random digits and their check digit (11-test); filtered when that digit would be 10 or all are 0. */
const bsnArb: fc.Arbitrary<string> = fc
  .array(fc.integer({ min: 0, max: 9 }), { minLength: 8, maxLength: 8 })
  .map((d) => {
    const check = d.reduce((sum, digit, i) => sum + WEIGHTS[i]! * digit, 0) % 11;
    return check === 10 || d.every((x) => x === 0) ? null : [...d, check].join("");
  })
  .filter((s): s is string => s !== null);

const digits = (n: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((d) => d.join(""));

/** Dutch phone numbers in the ways people write them. */
const phoneArb: fc.Arbitrary<string> = fc.oneof(
  digits(8).chain((d) =>
    fc.constantFrom(
      `06-${d}`,
      `06 ${d.slice(0, 4)} ${d.slice(4)}`,
      `06${d}`,
      `+31 6 ${d}`,
      `+316${d}`,
      `0031 6 ${d}`,
      `06 - ${d}`,
    ),
  ),
  fc.tuple(fc.integer({ min: 10, max: 99 }), digits(7)).map(([area, d]) => `0${area}-${d}`), // 020-1234567
  fc.tuple(fc.integer({ min: 100, max: 999 }), digits(6)).map(([area, d]) => `0${area}-${d}`), // 0181-123456
);

const wordsArb = fc.array(fc.stringMatching(/^[a-z]{1,10}$/), { maxLength: 8 });

/** Puts `item` between random lowercase words; returns the text and where the item is. */
function embed(before: string[], item: string, after: string[]) {
  const head = before.length > 0 ? `${before.join(" ")} ` : "";
  const tail = after.length > 0 ? ` ${after.join(" ")}` : "";
  return { text: `${head}${item}${tail}`, start: head.length, end: head.length + item.length };
}

describe("screenNote", () => {
  it.each<[string, [NoteFindingKind, string][]]>([
    // BSNs: 123456782 sums to 9·1+8·2+7·3+6·4+5·5+4·6+3·7+2·8−1·2 = 154 = 14·11, so it passes.
    ["bsn 123456782 genoemd", [["bsn", "123456782"]]],
    ["BSN: 123.456.782.", [["bsn", "123.456.782"]]],
    ["nummer 1234 56 782 op brief", [["bsn", "1234 56 782"]]],
    ["123456789 zakken", []], // 147 ≡ 4 (mod 11): not a BSN
    // Phone numbers.
    ["bel 06-12345678", [["phone", "06-12345678"]]],
    [
      "bel 06 1234 5678 of 0612345678",
      [
        ["phone", "06 1234 5678"],
        ["phone", "0612345678"],
      ],
    ],
    ["tel +31 6 12345678", [["phone", "+31 6 12345678"]]],
    ["tel 0031612345678", [["phone", "0031612345678"]]],
    [
      "buren 020-1234567 en 0181-123456",
      [
        ["phone", "020-1234567"],
        ["phone", "0181-123456"],
      ],
    ],
    // E-mail.
    ["mail j.de.vries@gemeente.nl graag", [["email", "j.de.vries@gemeente.nl"]]],
    // Names after a form of address, with particles.
    ["mevrouw De Vries belde", [["name", "De Vries"]]],
    ["meneer van der Berg klaagt", [["name", "van der Berg"]]],
    [
      "mevr. Jansen en dhr. Bakker",
      [
        ["name", "Jansen"],
        ["name", "Bakker"],
      ],
    ],
    ["mw. El Amrani", [["name", "El Amrani"]]],
    ["mr. Visser namens de VvE", [["name", "Visser"]]],
    ["de heer Ter Horst", [["name", "Ter Horst"]]],
    ["familie van den Broek verhuisd", [["name", "van den Broek"]]],
    ["fam. Yilmaz", [["name", "Yilmaz"]]],
    // Not personal data: dates, postcodes, times, amounts, counts; forms of address without a name.
    ["op 06-11-2026 om 14:30 bij 1234 AB", []],
    ["gemeld 2026-11-06, 3 zakken van 1.250 kg, schade € 1.234,56", []],
    ["tussen 08:00-09:30 en 17.45 uur, 12 keer", []],
    ["meneer was boos, mevrouw ook", []],
    // Addresses are not looked for in notes (a note describes a place).
    ["grofvuil bij Stationsstraat 12", []],
    ["", []],
  ])("%j", (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it("catches every valid BSN between words, plain, with dots or with spaces", () => {
    fc.assert(
      fc.property(
        wordsArb,
        wordsArb,
        bsnArb,
        fc.constantFrom("plain", "dots", "spaces"),
        (b, a, bsn, style) => {
          const written =
            style === "dots"
              ? `${bsn.slice(0, 3)}.${bsn.slice(3, 6)}.${bsn.slice(6)}`
              : style === "spaces"
                ? `${bsn.slice(0, 4)} ${bsn.slice(4, 6)} ${bsn.slice(6)}`
                : bsn;
          const { text, start, end } = embed(b, written, a);
          expect(screenNote(text)).toContainEqual({ kind: "bsn", start, end });
        },
      ),
      RUNS,
    );
  });

  it("does not take a 9-digit number failing the 11-test for a BSN", () => {
    fc.assert(
      fc.property(wordsArb, wordsArb, bsnArb, fc.integer({ min: 1, max: 9 }), (b, a, bsn, shift) => {
        // Changing the last digit by 1…9 breaks the 11-test (the check digit is unique mod 11).
        const broken = bsn.slice(0, 8) + String((Number(bsn[8]) + shift) % 10);
        const { text } = embed(b, broken, a);
        expect(screenNote(text).filter((f) => f.kind === "bsn")).toEqual([]);
      }),
      RUNS,
    );
  });

  it("catches Dutch phone numbers between words", () => {
    fc.assert(
      fc.property(wordsArb, wordsArb, phoneArb, (b, a, phone) => {
        const { text, start, end } = embed(b, phone, a);
        expect(screenNote(text)).toContainEqual({ kind: "phone", start, end });
      }),
      RUNS,
    );
  });

  it("catches e-mail addresses between words", () => {
    const emailArb = fc
      .tuple(
        fc.stringMatching(/^[a-z][a-z0-9.]{0,8}[a-z0-9]$/),
        fc.stringMatching(/^[a-z]{2,10}$/),
        fc.constantFrom("nl", "com", "org"),
      )
      .filter(([local]) => !local.includes(".."))
      .map(([local, domain, tld]) => `${local}@${domain}.${tld}`);
    fc.assert(
      fc.property(wordsArb, wordsArb, emailArb, (b, a, email) => {
        const { text, start, end } = embed(b, email, a);
        expect(screenNote(text)).toContainEqual({ kind: "email", start, end });
      }),
      RUNS,
    );
  });

  it("finds nothing in notes made of dates, postcodes, times, amounts and small counts", () => {
    const pad = (n: number) => String(n).padStart(2, "0");
    const benign = fc.oneof(
      fc
        .tuple(
          fc.integer({ min: 1, max: 28 }),
          fc.integer({ min: 1, max: 12 }),
          fc.integer({ min: 2000, max: 2040 }),
        )
        .chain(([d, m, y]) =>
          fc.constantFrom(`${pad(d)}-${pad(m)}-${y}`, `${y}-${pad(m)}-${pad(d)}`, `${d}.${m}.${y}`),
        ),
      fc
        .tuple(fc.integer({ min: 1000, max: 9999 }), fc.stringMatching(/^[A-Z]{2}$/))
        .chain(([n, l]) => fc.constantFrom(`${n} ${l}`, `${n}${l}`)),
      fc
        .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
        .map(([h, m]) => `${pad(h)}:${pad(m)}`),
      fc.integer({ min: 0, max: 99_999 }).map((c) => `€ ${(c / 100).toFixed(2).replace(".", ",")}`),
      fc.integer({ min: 0, max: 9999 }).map(String),
      fc.constantFrom("zakken", "grofvuil", "bij", "de", "container", "meneer", "mevrouw"),
    );
    fc.assert(
      fc.property(fc.array(benign, { maxLength: 10 }), (pieces) => {
        expect(screenNote(pieces.join(" en "))).toEqual([]);
      }),
      RUNS,
    );
  });

  it("returns sorted, non-overlapping positions inside the text, never the text itself", () => {
    const pieces = fc.constantFrom(
      " ",
      "mevrouw",
      "De",
      "Vries",
      "06-12345678",
      "123456782",
      "a@b.nl",
      ",",
      "7",
    );
    const textArb = fc.oneof(
      fc.string({ maxLength: NOTE_MAX_LENGTH }),
      fc.array(pieces).map((p) => p.join("")),
    );
    fc.assert(
      fc.property(textArb, (text) => {
        let previousEnd = 0;
        for (const f of screenNote(text)) {
          expect(Object.keys(f).sort()).toEqual(["end", "kind", "start"]);
          expect(NOTE_FINDING_KINDS).toContain(f.kind);
          expect(f.start).toBeGreaterThanOrEqual(previousEnd);
          expect(f.end).toBeGreaterThan(f.start);
          expect(f.end).toBeLessThanOrEqual(text.length);
          previousEnd = f.end;
        }
      }),
      RUNS,
    );
  });
});

describe("noteFindingKinds", () => {
  it("lists each kind once, in the fixed order, and nothing of the text", () => {
    const text = "bel 06-12345678 of 020-1234567, mevrouw Jansen, bsn 123456782";
    expect(noteFindingKinds(screenNote(text))).toEqual(["bsn", "phone", "name"]);
    expect(noteFindingKinds([])).toEqual([]);
  });

  it("the note limit is 280 characters", () => {
    expect(NOTE_MAX_LENGTH).toBe(280);
  });
});
