/**
 * The field app's pure parts: the outbox's random ids, batches, backoff and the body it sends; the
 * postcode field; reading the server's answers (shapes of packages/server/src/api/observations-route.ts).
 * The outbox itself (IndexedDB, sync, a lost answer, an offline reload) is tested in a real Chromium:
 * e2e/field.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalisePostcode, readLocated, readQuickView } from "../src/field/api";
import { randomId } from "../src/field/id";
import { backoffMs, batches, toInput, type OutboxItem } from "../src/field/outbox";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("randomId", () => {
  it("is a version-4 UUID for any random bytes, and keeps the 122 random bits", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const id = randomId((b) => {
          b.set(bytes);
          return b;
        });
        expect(id).toMatch(UUID_V4);
        const hex = id.replaceAll("-", "");
        for (let i = 0; i < 16; i++) {
          const byte = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
          const mask = i === 6 ? 0x0f : i === 8 ? 0x3f : 0xff;
          expect(byte & mask).toBe(bytes[i]! & mask);
        }
      }),
    );
  });

  it("uses crypto.getRandomValues by default: distinct ids", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(UUID_V4);
  });
});

describe("the outbox's batches and backoff", () => {
  it("batches keep every item once, in order, at most `size` each", () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer({ min: 1, max: 300 }), (items, size) => {
        const out = batches(items, size);
        expect(out.flat()).toEqual(items);
        expect(out.length).toBe(Math.ceil(items.length / size));
        for (const b of out) expect(b.length).toBeGreaterThan(0);
        for (const b of out) expect(b.length).toBeLessThanOrEqual(size);
      }),
    );
  });

  it("backoff grows with the failures, from 2 s to at most 60 s", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), (n) => {
        expect(backoffMs(n)).toBeGreaterThanOrEqual(2000);
        expect(backoffMs(n)).toBeLessThanOrEqual(60_000);
        expect(backoffMs(n + 1)).toBeGreaterThanOrEqual(backoffMs(n));
      }),
    );
    expect(backoffMs(1)).toBe(2000);
    expect(backoffMs(2)).toBe(4000);
  });

  it("sends what the server takes: no outbox fields, noteConfirmed only with a note", () => {
    const item: OutboxItem = {
      id: "a1b2c3d4-0000-4000-8000-000000000000",
      category: "dumping",
      observedAt: "2026-11-22T10:00:00.000Z",
      location: { lon: 5.2, lat: 52.3, source: "gps" },
      noteConfirmed: true,
      state: "rejected",
      attempts: 3,
      problem: "x",
      lastError: "network",
      areaCode: "BU00340101",
      savedAt: "2026-11-22T10:00:01.000Z",
    };
    expect(toInput(item)).toEqual({
      id: item.id,
      category: "dumping",
      observedAt: item.observedAt,
      location: item.location,
    });
    expect(toInput({ ...item, note: "Bel 06-12345678" })).toMatchObject({
      note: "Bel 06-12345678",
      noteConfirmed: true,
    });
    expect(toInput({ ...item, note: "Afval", noteConfirmed: undefined })).not.toHaveProperty("noteConfirmed");
  });
});

describe("the postcode field", () => {
  const digits = fc.integer({ min: 1000, max: 9999 }).map(String);
  const letters = fc
    .tuple(fc.constantFrom(..."ABCDEFGHIJKLMNOPQRTUVWXYZ"), fc.constantFrom(..."BCEFGHIJKLMNOPQRTUVWXYZ"))
    .map(([a, b]) => a + b);

  it("takes four digits and two letters in any case and spacing, as 1234AB", () => {
    fc.assert(
      fc.property(digits, letters, fc.constantFrom("", " ", "  "), fc.boolean(), (d, l, gap, lower) => {
        const typed = ` ${d}${gap}${lower ? l.toLowerCase() : l} `;
        expect(normalisePostcode(typed)).toBe(`${d}${l}`);
      }),
    );
  });

  it("refuses what is no postcode", () => {
    for (const bad of [
      "",
      "123 AB",
      "0123 AB",
      "12345 AB",
      "1234 A",
      "1234 ABC",
      "1234-AB",
      "1234 SS",
      "AB 1234",
    ])
      expect(normalisePostcode(bad), bad).toBeUndefined();
  });
});

describe("reading the server's answers", () => {
  it("locate: the buurt with its wijk and gemeente and the rounded point", () => {
    expect(
      readLocated({
        buurt: { code: "BU00340101", name: "Centrum Almere-Haven", division: 2014 },
        wijk: { code: "WK003401", name: "Almere-Haven" },
        gemeente: { code: "GM0034", name: "Almere" },
        lon: 5.22,
        lat: 52.34,
        precisionMeters: 100,
      }),
    ).toEqual({
      code: "BU00340101",
      name: "Centrum Almere-Haven",
      division: 2014,
      wijk: { code: "WK003401", name: "Almere-Haven" },
      gemeente: { code: "GM0034", name: "Almere" },
      lon: 5.22,
      lat: 52.34,
    });
    expect(() => readLocated({})).toThrow(/names no area/);
  });

  it("the quick view: chain, signal, alerts, weekly counts with their source", () => {
    const view = readQuickView({
      area: { code: "WK003401", name: "Almere-Haven", level: "wijk", division: 2014 },
      parents: [{ code: "GM0034", name: "Almere", level: "gemeente", division: 2014 }],
      signal: { severity: "red", division: 2014, domainsFlagged: ["physical-environment"], runId: 3 },
      alerts: {
        open: 5,
        top: [{ id: 7, severity: "red", indicatorId: "veld_dumping_week", domain: "x", period: "2026-W47" }],
      },
      observations: {
        weeks: ["2026-W44", "2026-W45"],
        source: { id: "veldwaarnemingen", attribution: "Bron: veldwaarnemingen gemeente (wijkradar)" },
        counts: [
          {
            category: "dumping",
            label: { nl: "Illegaal dumpen", en: "Illegal dumping" },
            weeks: [
              { period: "2026-W44", status: "released", value: 12 },
              { period: "2026-W45", status: "suppressed", value: null },
            ],
          },
        ],
        denied: 0,
      },
    });
    expect(view.area).toEqual({ code: "WK003401", name: "Almere-Haven", level: "wijk" });
    expect(view.parents).toEqual([{ code: "GM0034", name: "Almere", level: "gemeente" }]);
    expect(view.signal).toEqual({ severity: "red", domains: ["physical-environment"] });
    expect(view.alerts.count).toBe(5);
    expect(view.alerts.top[0]).toMatchObject({ id: 7, indicatorId: "veld_dumping_week", period: "2026-W47" });
    expect(view.weeks).toEqual(["2026-W44", "2026-W45"]);
    expect(view.source).toBe("veldwaarnemingen gemeente (wijkradar)");
    expect(view.counts[0]!.weeks.map((w) => [w.status, w.value])).toEqual([
      ["released", 12],
      ["suppressed", null],
    ]);
    expect(readQuickView({ area: { code: "BU1" }, signal: null }).signal).toBeNull();
  });
});
