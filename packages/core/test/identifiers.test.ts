import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  findPersonalData,
  isValidBsn,
  looksLikeEmail,
  looksLikePhoneNumber,
  looksLikeStreetAddress,
  screenColumn,
  type PersonalDataKind,
} from "../src/identifiers.js";

const RUNS = { seed: 42, numRuns: 300 };
const WEIGHTS = [9, 8, 7, 6, 5, 4, 3, 2, -1];

/** 8 random digits and their check digit; null when the check digit would be 10 or all are 0. */
const bsnArb: fc.Arbitrary<string> = fc
  .array(fc.integer({ min: 0, max: 9 }), { minLength: 8, maxLength: 8 })
  .map((d) => {
    const check = d.reduce((sum, digit, i) => sum + WEIGHTS[i]! * digit, 0) % 11;
    return check === 10 || d.every((x) => x === 0) ? null : [...d, check].join("");
  })
  .filter((s): s is string => s !== null);

describe("isValidBsn", () => {
  it.each<[string, boolean]>([
    // The golden cases of the brief, checked by hand: 111222333 sums to 66 = 6·11, 123456782 to
    // 154 = 14·11; 123456789 sums to 147 ≡ 4 (mod 11); all zeros is excluded by rule.
    ["111222333", true],
    ["123456782", true],
    ["123456789", false],
    ["000000000", false],
    // 8 digits count as a BSN with its leading 0 dropped: 012345672 sums to 110 = 10·11.
    ["12345672", true],
    ["012345672", true],
    ["12345678", false],
    ["00000000", false],
    [" 111222333 ", true],
    ["1112.22.333", false], // separators: only findPersonalData and screenColumn
    ["11122233", false],
    ["1112223330", false],
    ["1234567", false],
    ["", false],
    ["11122233x", false],
    ["-11222333", false],
  ])("%j → %s", (text, expected) => {
    expect(isValidBsn(text)).toBe(expected);
  });

  it("accepts every BSN built from 8 digits and their check digit", () => {
    fc.assert(
      fc.property(bsnArb, (bsn) => isValidBsn(bsn)),
      RUNS,
    );
  });

  it("treats an 8-digit number as the 9-digit number with a leading 0", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{8}$/), (s) => isValidBsn(s) === isValidBsn(`0${s}`)),
      RUNS,
    );
  });

  it("rejects every single-digit change of a valid BSN", () => {
    fc.assert(
      fc.property(
        bsnArb,
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 1, max: 9 }),
        (bsn, at, delta) => {
          const digit = (Number(bsn[at]) + delta) % 10;
          const changed = bsn.slice(0, at) + String(digit) + bsn.slice(at + 1);
          return !isValidBsn(changed);
        },
      ),
      RUNS,
    );
  });

  it("rejects every single-digit change exhaustively for the golden BSNs", () => {
    for (const bsn of ["111222333", "123456782"]) {
      for (let at = 0; at < 9; at++) {
        for (let digit = 0; digit <= 9; digit++) {
          if (String(digit) === bsn[at]) continue;
          expect(isValidBsn(bsn.slice(0, at) + String(digit) + bsn.slice(at + 1))).toBe(false);
        }
      }
    }
  });

  it("rejects every transposition of two different digits (weights differ by 1…10, 11 is prime)", () => {
    fc.assert(
      fc.property(bsnArb, fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 }), (bsn, i, j) => {
        fc.pre(bsn[i] !== bsn[j]);
        const d = [...bsn];
        [d[i], d[j]] = [d[j]!, d[i]!];
        return !isValidBsn(d.join(""));
      }),
      RUNS,
    );
  });
});

describe("looksLikeEmail", () => {
  it.each<[string, boolean]>([
    ["j.de.vries@gemeente.nl", true],
    ["wijkteam-noord+meldingen@utrecht.nl", true],
    ["p.o'brien@example.co.uk", true],
    ["  jan@x.nl ", true],
    ["zoë@voorbeeld.nl", true],
    ["jan@localhost", false],
    ["jan@@x.nl", false],
    [".jan@x.nl", false],
    ["jan.@x.nl", false],
    ["jan@x.n", false],
    ["jan@-x.nl", false],
    ["jan x@x.nl", false],
    ["@gemeente.nl", false],
    ["gemeente.nl", false],
    ["", false],
  ])("%j → %s", (text, expected) => {
    expect(looksLikeEmail(text)).toBe(expected);
  });
});

describe("looksLikePhoneNumber", () => {
  it.each<[string, boolean]>([
    // The forms of the brief.
    ["06-12345678", true],
    ["06 1234 5678", true],
    ["+31 6 12345678", true],
    ["0031612345678", true],
    ["020-1234567", true],
    ["(020) 123 4567", true],
    // More Dutch forms.
    ["0612345678", true],
    ["+31612345678", true],
    ["+31 (0)20 123 4567", true],
    ["06 12 34 56 78", true],
    ["020 - 123 45 67", true],
    ["0513-123456", true],
    ["(0513) 123456", true],
    ["030.123.45.67", true],
    // Not phone numbers.
    ["2020", false],
    ["1234AB", false],
    ["1234 AB", false],
    ["123456789", false], // a bare 9-digit number is BSN-like
    ["111222333", false],
    ["012345678", false], // 9 digits with the 0: one short
    ["06123456789", false],
    ["0012345678", false],
    ["+32 2 123 45 67", false], // only Dutch numbers
    ["01-02-2023", false],
    ["06--12345678", false],
    ["tel 0612345678", false],
    ["", false],
  ])("%j → %s", (text, expected) => {
    expect(looksLikePhoneNumber(text)).toBe(expected);
  });
});

describe("looksLikeStreetAddress", () => {
  it.each<[string, boolean]>([
    // The forms of the brief.
    ["Stationsstraat 12", true],
    ["Grote Markt 1a", true],
    ["Laan van Nieuw Oost-Indië 123-B", true],
    ["Kerkweg 7 bis", true],
    // More Dutch addresses.
    ["Oudegracht 231", true],
    ["'s-Gravendijkwal 12", true],
    ["Burgemeester de Vlugtlaan 100", true],
    ["Jan Steenstraat 4 hs", true],
    ["Van Woustraat 12-III", true],
    ["Dam 1", true],
    ["Jan Pietersz Coen 3", true], // two capitalised words, no street word
    ["STATIONSSTRAAT 12", true],
    ["kerkweg 7", true], // a lowercase compound with a street ending
    ["Oudegracht 231, Utrecht", true],
    ["Stationsstraat 12 3511 AB Utrecht", true],
    // Not street addresses.
    ["2020 jaar", false],
    ["1234 AB", false],
    ["wijk 3 heeft overlast", false],
    ["Wijk 3", false],
    ["de weg 3", false],
    ["Stationsstraat", false],
    ["12 Stationsstraat", false],
    ["Stationsstraat 0", false],
    ["Sinds Maart 2020", false],
    ["Op Maandag 12", false],
    ["Meneer Jansen 3", false],
    ["In Wijk 3", false],
    ["Rotterdam 3", false],
    // Known limits (README): digits in the name, lowercase multiword names, one word without a street word.
    ["Plein 1944 12", false],
    ["grote markt 1", false],
    ["Rokin 12", false],
    ["", false],
  ])("%j → %s", (text, expected) => {
    expect(looksLikeStreetAddress(text)).toBe(expected);
  });
});

/** The findings of a text as [kind, covered text] pairs, for readable tables. */
const found = (text: string): [PersonalDataKind, string][] =>
  findPersonalData(text).map((s) => [s.kind, text.slice(s.start, s.end)]);

describe("findPersonalData", () => {
  it.each<[string, [PersonalDataKind, string][]]>([
    [
      "Mevrouw Jansen, 06-12345678",
      [
        ["name", "Jansen"],
        ["phone", "06-12345678"],
      ],
    ],
    [
      "Bezocht: dhr. J. van der Berg, Stationsstraat 12 (tel. 020-1234567), bsn 1112.22.333, mail jan@x.nl.",
      [
        ["name", "J. van der Berg"],
        ["address", "Stationsstraat 12"],
        ["phone", "020-1234567"],
        ["bsn", "1112.22.333"],
        ["email", "jan@x.nl"],
      ],
    ],
    [
      "mevrouw Jansen Stationsstraat 12 gebeld",
      [
        ["name", "Jansen"],
        ["address", "Stationsstraat 12"],
      ],
    ],
    ["Ik woon aan de Grote Markt 1a sinds 2020", [["address", "Grote Markt 1a"]]],
    ["Huisbezoek Laan van Nieuw Oost-Indië 123-B.", [["address", "Laan van Nieuw Oost-Indië 123-B"]]],
    // A limit: a capitalised word before a street name is taken as part of it (a wider highlight).
    ["Huisbezoek Stationsstraat 12", [["address", "Huisbezoek Stationsstraat 12"]]],
    ["Gisteren Jansen 3 keer gebeld", [["address", "Gisteren Jansen 3"]]], // a false positive
    ["familie El Amrani heeft 3 kinderen", [["name", "El Amrani"]]],
    [
      "Gesprek met de heer De Vries en mw. Bakker",
      [
        ["name", "De Vries"],
        ["name", "Bakker"],
      ],
    ],
    [
      "BSN 111 222 333 en 111222333",
      [
        ["bsn", "111 222 333"],
        ["bsn", "111222333"],
      ],
    ],
    [
      "Bel +31 6 12345678 of (020) 123 4567",
      [
        ["phone", "+31 6 12345678"],
        ["phone", "(020) 123 4567"],
      ],
    ],
    // Not personal data.
    ["wijk 3 heeft overlast", []],
    ["meneer is boos, mevrouw van de buren ook", []],
    ["123456789 meldingen in 2020", []], // fails the 11-test
    ["1234 AB is de postcode", []],
    ["op 01-02-2023 12 uur", []],
    ["Nummer 1111222333 is te lang", []], // 10 digits: no BSN inside a longer run
    ["", []],
  ])("%j", (text, expected) => {
    expect(found(text)).toEqual(expected);
  });

  it("finds a valid BSN put between random words", () => {
    const wordsArb = fc.array(fc.stringMatching(/^[a-z]{1,10}$/), { maxLength: 12 });
    fc.assert(
      fc.property(
        wordsArb,
        wordsArb,
        bsnArb,
        fc.constantFrom("plain", "dots", "spaces"),
        (before, after, bsn, style) => {
          const written =
            style === "dots"
              ? `${bsn.slice(0, 4)}.${bsn.slice(4, 6)}.${bsn.slice(6)}`
              : style === "spaces"
                ? `${bsn.slice(0, 3)} ${bsn.slice(3, 6)} ${bsn.slice(6)}`
                : bsn;
          const head = before.length > 0 ? `${before.join(" ")} ` : "";
          const text = `${head}${written}${after.length > 0 ? ` ${after.join(" ")}` : ""}`;
          expect(findPersonalData(text)).toContainEqual({
            kind: "bsn",
            start: head.length,
            end: head.length + written.length,
          });
        },
      ),
      RUNS,
    );
  });

  it("returns sorted, non-overlapping spans inside the text, for any text", () => {
    const pieces = fc.constantFrom(
      " ",
      "Stationsstraat",
      "12",
      "mevrouw",
      "Jansen",
      "06-12345678",
      "111222333",
      "jan@x.nl",
      "de",
      ",",
      ".",
      "7",
    );
    const textArb = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.array(pieces).map((p) => p.join("")),
    );
    fc.assert(
      fc.property(textArb, (text) => {
        let previousEnd = 0;
        for (const span of findPersonalData(text)) {
          expect(Object.keys(span).sort()).toEqual(["end", "kind", "start"]);
          expect(span.start).toBeGreaterThanOrEqual(previousEnd);
          expect(span.end).toBeGreaterThan(span.start);
          expect(span.end).toBeLessThanOrEqual(text.length);
          previousEnd = span.end;
        }
      }),
      RUNS,
    );
  });
});

describe("screenColumn", () => {
  it.each<[string[], ReturnType<typeof screenColumn>]>([
    [["111222333", "123456782", "", "  "], { kind: "bsn", matched: 2, checked: 2 }],
    [["12345672", "1112.22.333", "111 222 333", "n.b."], { kind: "bsn", matched: 3, checked: 4 }],
    [["jan@x.nl", "p.bakker@gemeente.nl", "onbekend"], { kind: "email", matched: 2, checked: 3 }],
    [["06-12345678", "020 123 4567", "-", "+31612345678"], { kind: "phone", matched: 3, checked: 4 }],
    [["Stationsstraat 12", "Grote Markt 1a", "Kerkweg 7 bis"], { kind: "address", matched: 3, checked: 3 }],
    [["111222333", "123456789", "123456788", "0"], undefined], // 1 of 4 passes the 11-test
    [["2020", "2021", "2022"], undefined],
    [["1234 AB", "3511AB"], undefined],
    [["GM0363", "WK036301", "BU03630101"], undefined],
    [["wijk 3 heeft overlast", "veel klachten"], undefined],
    [[], undefined],
    [["", " "], undefined],
  ])("%j", (values, expected) => {
    expect(screenColumn(values)).toEqual(expected);
  });

  it("honours the threshold", () => {
    const values = ["111222333", "a", "b", "c"];
    expect(screenColumn(values)).toBeUndefined();
    expect(screenColumn(values, { threshold: 0.25 })).toEqual({ kind: "bsn", matched: 1, checked: 4 });
    expect(() => screenColumn(values, { threshold: 0 })).toThrow(RangeError);
    expect(() => screenColumn(values, { threshold: 1.5 })).toThrow(RangeError);
  });

  it("says bsn for a column of valid BSNs, with counts and never the values", () => {
    fc.assert(
      fc.property(fc.array(bsnArb, { minLength: 1, maxLength: 40 }), (bsns) => {
        const result = screenColumn(bsns);
        expect(result).toEqual({ kind: "bsn", matched: bsns.length, checked: bsns.length });
        const json = JSON.stringify(result);
        for (const bsn of bsns) expect(json).not.toContain(bsn);
      }),
      RUNS,
    );
  });

  it("says nothing for random integers of lengths other than 8 and 9 digits", () => {
    // 8-digit numbers count as BSNs with the leading 0 dropped, so they are left out here.
    const integerArb = fc
      .constantFrom(1, 2, 3, 4, 5, 6, 7, 10, 11, 12)
      .chain((length) => fc.stringMatching(new RegExp(`^[1-9]\\d{${length - 1}}$`)));
    fc.assert(
      fc.property(fc.array(integerArb, { minLength: 1, maxLength: 40 }), (values) => {
        expect(screenColumn(values)).toBeUndefined();
      }),
      RUNS,
    );
  });
});
