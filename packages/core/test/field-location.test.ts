import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isInNetherlandsBox, roundLocation } from "../src/field/location.js";

const RUNS = { seed: 11, numRuns: 500 };

/** Distance in metres between two WGS84 points (haversine, mean earth radius). */
function metres(a: { lon: number; lat: number }, b: { lon: number; lat: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(h));
}

const nlLon = fc.double({ min: 3.2, max: 7.3, noNaN: true });
const nlLat = fc.double({ min: 50.7, max: 53.6, noNaN: true });
const precision = fc.integer({ min: 1, max: 5000 });

describe("roundLocation", () => {
  it("keeps nothing at precision 0", () => {
    expect(roundLocation(5.2147, 52.3731, 0)).toBeNull();
  });

  it("snaps Almere to a 100 m grid: a multiple of the steps, within half a cell diagonal", () => {
    const p = roundLocation(5.2147, 52.3731, 100)!;
    const latStep = 100 / 111_320;
    // Written with 7 decimals: off the exact multiple by at most 0.5e-7 / step ≈ 5.6e-5 steps.
    expect(Math.abs(p.lat / latStep - Math.round(p.lat / latStep))).toBeLessThan(1e-4);
    const lonStep = latStep / Math.cos((p.lat * Math.PI) / 180);
    expect(Math.abs(p.lon / lonStep - Math.round(p.lon / lonStep))).toBeLessThan(1e-4);
    expect(metres(p, { lon: 5.2147, lat: 52.3731 })).toBeLessThanOrEqual(71);
  });

  it("is idempotent: snapping a snapped point gives the same point", () => {
    const anyLon = fc.double({ min: -180, max: 180, noNaN: true });
    const anyLat = fc.double({ min: -90, max: 90, noNaN: true });
    fc.assert(
      fc.property(
        fc.oneof(fc.tuple(nlLon, nlLat), fc.tuple(anyLon, anyLat)),
        fc.oneof(precision, fc.double({ min: 1, max: 100_000, noNaN: true })),
        ([lon, lat], m) => {
          const once = roundLocation(lon, lat, m)!;
          expect(roundLocation(once.lon, once.lat, m)).toEqual(once);
        },
      ),
      RUNS,
    );
  });

  it("moves a Dutch point by at most half a cell diagonal (cells about m × m)", () => {
    fc.assert(
      fc.property(nlLon, nlLat, precision, (lon, lat, m) => {
        const p = roundLocation(lon, lat, m)!;
        // Half the diagonal of an m × m cell is m/√2; 1 % slack for the spherical approximation.
        expect(metres(p, { lon, lat })).toBeLessThanOrEqual((m / Math.SQRT2) * 1.01 + 0.01);
      }),
      RUNS,
    );
  });

  it("makes cells about as wide as high: neighbouring snapped longitudes are about m apart", () => {
    fc.assert(
      fc.property(nlLon, nlLat, precision, (lon, lat, m) => {
        const p = roundLocation(lon, lat, m)!;
        const latStep = m / 111_320;
        const lonStep = latStep / Math.cos((p.lat * Math.PI) / 180);
        const east = roundLocation(Math.min(180, p.lon + lonStep), p.lat, m)!;
        const width = metres(p, east);
        expect(width).toBeGreaterThan(m * 0.99);
        expect(width).toBeLessThan(m * 1.01);
      }),
      RUNS,
    );
  });

  it.each<[number, number, number, string]>([
    [Number.NaN, 52, 100, "lon"],
    [5, Number.NaN, 100, "lat"],
    [181, 52, 100, "lon"],
    [5, -91, 100, "lat"],
    [Number.POSITIVE_INFINITY, 52, 100, "lon"],
    [5, 52, -1, "precisionMeters"],
    [5, 52, 0.5, "precisionMeters"],
    [5, 52, Number.NaN, "precisionMeters"],
    [5, 52, 100_001, "precisionMeters"],
  ])("refuses lon %s, lat %s, precision %s naming %s", (lon, lat, m, name) => {
    expect(() => roundLocation(lon, lat, m)).toThrow(new RegExp(`^${name} must be`));
  });
});

describe("isInNetherlandsBox", () => {
  it.each<[number, number, boolean]>([
    [5.2147, 52.3731, true], // Almere
    [4.9, 52.37, true], // Amsterdam
    [6.57, 53.22, true], // Groningen
    [5.69, 50.85, true], // Maastricht
    [52.37, 5.21, false], // swapped
    [2.35, 48.86, false], // Paris
    [13.4, 52.52, false], // Berlin
    [Number.NaN, 52, false],
  ])("(%s, %s) → %s", (lon, lat, expected) => {
    expect(isInNetherlandsBox(lon, lat)).toBe(expected);
  });
});
