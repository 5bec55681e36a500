/**
 * Beta-binomial tails (the count of an area whose true proportion varies between areas: the funnel
 * test's additive random-effects model) against base R: fixtures/detect/beta-binomial-golden.json
 * was written by fixtures/detect/make-beta-binomial-golden.R; the tests never run R. Exact sums to
 * 1e-12 relative; where the count's SD exceeds 5,000 the tails come from a moment-matched beta
 * (an approximation, checked to a few per cent in the range the funnel test reads).
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  betaBinomialCdf,
  betaBinomialLogPmf,
  betaBinomialUpperTail,
  binomialCdf,
  binomialUpperTail,
} from "../src/index.js";

interface Case {
  k: number;
  n: number;
  alpha: number;
  beta: number;
  pmf: number;
  upper: number;
  cdf: number;
}
const golden = JSON.parse(
  readFileSync(new URL("./fixtures/detect/beta-binomial-golden.json", import.meta.url), "utf8"),
) as { generator: string; cases: Case[] };

function relClose(actual: number, expected: number, rel: number, label: string): void {
  if (!(Math.abs(actual - expected) <= rel * Math.abs(expected) + 1e-300))
    expect.fail(`${label}: got ${actual}, R gives ${expected} (relative tolerance ${rel})`);
}

const countSd = (c: Case): number => {
  const s = c.alpha + c.beta;
  const p = c.alpha / s;
  return Math.sqrt((c.n * p * (1 - p) * (s + c.n)) / (s + 1));
};

describe("beta-binomial tails against R", () => {
  it("covers small and large n, U-shaped and concentrated betas, both sides of the mean", () => {
    expect(golden.cases.length).toBeGreaterThanOrEqual(15);
    expect(golden.cases.filter((c) => countSd(c) > 5000).length).toBeGreaterThanOrEqual(2);
    expect(golden.cases.some((c) => c.upper < 1e-3)).toBe(true);
    expect(golden.cases.some((c) => c.cdf < 1e-3)).toBe(true);
  });

  for (const c of golden.cases) {
    const label = `k = ${c.k}, n = ${c.n}, α = ${c.alpha}, β = ${c.beta}`;
    it(label, () => {
      relClose(Math.exp(betaBinomialLogPmf(c.k, c.n, c.alpha, c.beta)), c.pmf, 1e-11, "pmf");
      if (countSd(c) > 5000) {
        // Moment-matched beta: a few per cent in the body and the tails the test reads.
        relClose(betaBinomialUpperTail(c.k, c.n, c.alpha, c.beta), c.upper, 0.05, "P[X ≥ k]");
        relClose(betaBinomialCdf(c.k, c.n, c.alpha, c.beta), c.cdf, 0.05, "P[X ≤ k]");
      } else {
        // The side that is not close to 1 is exact to ~1e-12; the other is 1 − it.
        relClose(
          betaBinomialUpperTail(c.k, c.n, c.alpha, c.beta),
          c.upper,
          c.upper < 0.5 ? 1e-12 : 1e-9,
          "P[X ≥ k]",
        );
        relClose(betaBinomialCdf(c.k, c.n, c.alpha, c.beta), c.cdf, c.cdf < 0.5 ? 1e-12 : 1e-9, "P[X ≤ k]");
      }
    });
  }
});

describe("beta-binomial tails: properties", () => {
  const params = fc.record({
    n: fc.integer({ min: 1, max: 3000 }),
    mean: fc.double({ min: 0.01, max: 0.99, noNaN: true }),
    size: fc.double({ min: 0.2, max: 5000, noNaN: true }),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
  });

  it("P[X ≥ k] + P[X ≤ k − 1] = 1, both tails monotone in k", () => {
    fc.assert(
      fc.property(params, ({ n, mean, size, at }) => {
        const a = mean * size;
        const b = (1 - mean) * size;
        const k = Math.round(at * n);
        const upper = betaBinomialUpperTail(k, n, a, b);
        const lower = betaBinomialCdf(k - 1, n, a, b);
        expect(Math.abs(upper + lower - 1)).toBeLessThan(1e-9);
        expect(betaBinomialUpperTail(k + 1, n, a, b)).toBeLessThanOrEqual(upper + 1e-15);
        expect(betaBinomialCdf(k, n, a, b)).toBeGreaterThanOrEqual(lower - 1e-15);
      }),
      { numRuns: 300, seed: 20261122 },
    );
  });

  it("tends to the binomial as the beta concentrates (α + β = 1e9: within 0.1 %)", () => {
    for (const [k, n, p] of [
      [70, 476, 0.11],
      [3, 40, 0.2],
      [900, 15000, 0.05],
    ] as const) {
      const a = p * 1e9;
      const b = (1 - p) * 1e9;
      relClose(betaBinomialUpperTail(k, n, a, b), binomialUpperTail(k, n, p), 1e-3, "upper");
      relClose(betaBinomialCdf(k, n, a, b), binomialCdf(k, n, p), 1e-3, "cdf");
    }
  });

  it("has heavier tails than the binomial with the same mean (overdispersion)", () => {
    expect(betaBinomialUpperTail(70, 476, 48.6, 559)).toBeGreaterThan(
      binomialUpperTail(70, 476, 48.6 / 607.6),
    );
  });

  it("rejects impossible parameters with a message naming them", () => {
    expect(() => betaBinomialUpperTail(1, 10.5, 1, 1)).toThrow(/n must be an integer/);
    expect(() => betaBinomialCdf(1, 10, 0, 1)).toThrow(/α, β must be finite and > 0/);
    expect(betaBinomialUpperTail(0, 10, 1, 1)).toBe(1);
    expect(betaBinomialUpperTail(11, 10, 1, 1)).toBe(0);
    expect(betaBinomialCdf(-1, 10, 1, 1)).toBe(0);
    expect(betaBinomialCdf(10, 10, 1, 1)).toBe(1);
  });
});
