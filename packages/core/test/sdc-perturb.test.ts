/** T-SDC-5: the cell-key perturbation is a pure function of (value, key) with a documented table. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { noiseForKey, perturbationTable, perturbCount, sdcRules } from "../src/index.js";

const keyArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe("the perturbation table", () => {
  it("is the triangular table: for D = 2, 1/9 2/9 3/9 2/9 1/9", () => {
    expect(perturbationTable(2).map((e) => [e.noise, e.probability * 9])).toEqual([
      [-2, 1],
      [-1, 2],
      [0, 3],
      [1, 2],
      [2, 1],
    ]);
  });

  it("sums to 1, is symmetric and has mean 0 for every D", () => {
    for (let d = 0; d <= 10; d++) {
      const t = perturbationTable(d);
      expect(t.reduce((s, e) => s + e.probability, 0)).toBeCloseTo(1, 12);
      expect(t.reduce((s, e) => s + e.noise * e.probability, 0)).toBeCloseTo(0, 12);
      expect(t.map((e) => e.probability)).toEqual(t.map((e) => e.probability).reverse());
      expect(t.reduce((s, e) => s + e.noise ** 2 * e.probability, 0)).toBeCloseTo((d * (d + 2)) / 6, 12);
    }
  });

  it("maps keys through the inverse CDF: each noise gets a key interval of its probability", () => {
    // D = 2: [0, 1/9) → -2, [1/9, 3/9) → -1, [3/9, 6/9) → 0, [6/9, 8/9) → +1, [8/9, 1) → +2.
    expect([0, 0.11, 0.12, 0.33, 0.34, 0.66, 0.67, 0.88, 0.89, 0.999].map((k) => noiseForKey(k, 2))).toEqual([
      -2, -2, -1, -1, 0, 0, 1, 1, 2, 2,
    ]);
    const n = 9000;
    const freq = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const j = noiseForKey((i + 0.5) / n, 2);
      freq.set(j, (freq.get(j) ?? 0) + 1);
    }
    expect([...freq].sort((a, b) => a[0] - b[0])).toEqual([
      [-2, 1000],
      [-1, 2000],
      [0, 3000],
      [1, 2000],
      [2, 1000],
    ]);
  });
});

describe("perturbCount", () => {
  const rules = sdcRules();

  it("is a pure function of (value, key): same cell, same number, every time", () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 100_000 }), keyArb, (v, key) => {
        const a = perturbCount(v, key, rules);
        for (let i = 0; i < 3; i++) expect(perturbCount(v, key, rules)).toBe(a);
        expect(perturbCount(v, key, sdcRules())).toBe(a); // equal rules from another path
      }),
      { seed: 1, numRuns: 500 },
    );
  });

  it("stays within ±maxNoise and never below k", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(3, 5, 10, 20),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 1000 }),
        keyArb,
        (k, d, extra, key) => {
          const r = sdcRules({ k, perturbation: { maxNoise: d } });
          const v = k + extra;
          const out = perturbCount(v, key, r);
          expect(Number.isInteger(out)).toBe(true);
          expect(out).toBeGreaterThanOrEqual(k);
          expect(Math.abs(out - v)).toBeLessThanOrEqual(d);
          if (v - d >= k) expect(out - v).toBe(noiseForKey(key, d)); // no clipping away from k
        },
      ),
      { seed: 2, numRuns: 1000 },
    );
  });

  it("has mean noise ≈ 0 away from k and the documented upward bias at k", () => {
    const mean = (v: number): number => {
      const n = 9000;
      let s = 0;
      for (let i = 0; i < n; i++) s += perturbCount(v, (i + 0.5) / n, rules) - v;
      return s / n;
    };
    expect(mean(12)).toBeCloseTo(0, 10);
    expect(mean(1000)).toBeCloseTo(0, 10);
    // At v = k the negative noise is clipped: mean = D(D + 2) / (6(D + 1)) = 4/9 for D = 2.
    expect(mean(10)).toBeCloseTo(4 / 9, 10);
    // At v = k + 1 only -2 is clipped to -1: mean = 1/9.
    expect(mean(11)).toBeCloseTo(1 / 9, 10);
    // Pseudo-random keys (a fixed xorshift stream, as record keys would look): sample mean near 0.
    let x = 2463534242;
    let sum = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      sum += perturbCount(500, (x >>> 0) / 2 ** 32, rules) - 500;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.05); // sd of the mean: sqrt(4/3 / 20000) ≈ 0.008
  });

  it("changes nothing with maxNoise 0", () => {
    const off = sdcRules({ perturbation: { maxNoise: 0 } });
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 1e6 }), keyArb, (v, key) => {
        expect(perturbCount(v, key, off)).toBe(v);
      }),
      { seed: 4, numRuns: 200 },
    );
  });

  it("refuses to perturb a value that may not be released, and keys outside [0, 1)", () => {
    expect(() => perturbCount(9, 0.5, rules)).toThrow(/value must be an integer >= k \(10\), got 9/);
    expect(() => perturbCount(10.5, 0.5, rules)).toThrow(RangeError);
    expect(() => perturbCount(10, 1, rules)).toThrow(/cell key must be in \[0, 1\)/);
    expect(() => perturbCount(10, -0.1, rules)).toThrow(/cell key/);
  });
});
