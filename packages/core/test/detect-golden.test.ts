/**
 * Golden tests of the detection building blocks against R (base R 4.2, no packages): the numbers
 * in fixtures/detect/detect-golden.json were written by fixtures/detect/make-golden.R; the tests
 * never run R. Tolerance: 1e-9 relative everywhere; distribution tails are compared relatively
 * down to R's smallest values (absolute floor 1e-300, the subnormal range), funnel limits with an
 * absolute floor of 1e-12 on the indicator scale (limits that cross 0).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  benjaminiHochberg,
  binomialCdf,
  binomialPmf,
  binomialUpperTail,
  chiSquareUpperTail,
  funnelLimit,
  funnelLimits,
  funnelZScore,
  mannKendall,
  normalCdf,
  normalQuantile,
  overdispersion,
  poissonCdf,
  poissonPmf,
  poissonUpperTail,
  theilSen,
  type FunnelModel,
} from "../src/index.js";

interface Golden {
  normalCdf: { x: number; p: number }[];
  normalQuantile: { p: number; x: number }[];
  binomial: { k: number; n: number; p: number; cdf: number; upper: number; pmf: number }[];
  poisson: { k: number; lambda: number; cdf: number; upper: number; pmf: number }[];
  chiSquare: { x: number; df: number; upper: number }[];
  funnel: { model: FunnelModel; target: number; denominator: number; p: number; limit: number }[];
  overdispersion: {
    model: FunnelModel;
    target: number;
    observed: number[];
    denominator: number[];
    z: number[];
    lowerBound: number;
    upperBound: number;
    phi: number;
    pValue: number;
    inflated: { denominator: number; limits: { probability: number; lower: number; upper: number }[] }[];
  }[];
  bh: { p: (number | null)[]; q: (number | null)[]; n?: number }[];
  trend: {
    x: number[];
    y: number[];
    theilSen: { slope: number; intercept: number; pairs: number };
    mannKendall: {
      s: number;
      variance: number;
      z: number;
      tau: number;
      pIncreasing: number;
      pDecreasing: number;
      pTwoSided: number;
    };
  }[];
}

const golden = JSON.parse(
  readFileSync(new URL("./fixtures/detect/detect-golden.json", import.meta.url), "utf8"),
) as Golden;

const REL = 1e-9;
function close(actual: number, expected: number, label: string, abs = 1e-300): void {
  const tolerance = Math.max(REL * Math.abs(expected), abs);
  if (!(Math.abs(actual - expected) <= tolerance))
    expect.fail(`${label}: got ${actual}, R gives ${expected} (tolerance ${tolerance})`);
}

describe("distributions against R", () => {
  it("pnorm", () => {
    for (const c of golden.normalCdf) close(normalCdf(c.x), c.p, `pnorm(${c.x})`);
  });
  it("qnorm", () => {
    for (const c of golden.normalQuantile) close(normalQuantile(c.p), c.x, `qnorm(${c.p})`);
  });
  it(`pbinom, both tails, and dbinom (${golden.binomial.length} cases incl. k = 0, k = n, n = 1)`, () => {
    for (const c of golden.binomial) {
      const label = `k=${c.k} n=${c.n} p=${c.p}`;
      close(binomialCdf(c.k, c.n, c.p), c.cdf, `P[X<=k] ${label}`);
      close(binomialUpperTail(c.k, c.n, c.p), c.upper, `P[X>=k] ${label}`);
      close(binomialPmf(c.k, c.n, c.p), c.pmf, `P[X=k] ${label}`);
    }
  });
  it(`ppois, both tails, and dpois (${golden.poisson.length} cases, λ from 0.001 to 1e6)`, () => {
    for (const c of golden.poisson) {
      const label = `k=${c.k} λ=${c.lambda}`;
      close(poissonCdf(c.k, c.lambda), c.cdf, `P[X<=k] ${label}`);
      close(poissonUpperTail(c.k, c.lambda), c.upper, `P[X>=k] ${label}`);
      close(poissonPmf(c.k, c.lambda), c.pmf, `P[X=k] ${label}`);
    }
  });
  it("pchisq upper tail", () => {
    for (const c of golden.chiSquare) close(chiSquareUpperTail(c.x, c.df), c.upper, `χ²(${c.x}, ${c.df})`);
  });
});

describe("funnel limits against R", () => {
  it(`exact limits with interpolation (${golden.funnel.length} cases)`, () => {
    for (const c of golden.funnel)
      close(
        funnelLimit(c.model, c.target, c.denominator, c.p),
        c.limit,
        `${c.model} θ=${c.target} n=${c.denominator} p=${c.p}`,
        1e-12,
      );
  });
  it("z-scores, winsorised φ, its χ² p-value and the inflated limits", () => {
    for (const c of golden.overdispersion) {
      const z = c.observed.map((o, i) => funnelZScore(c.model, o, c.denominator[i] as number, c.target));
      z.forEach((v, i) => close(v, c.z[i] as number, `z[${i}]`, 1e-12));
      const od = overdispersion(z);
      close(od.lowerBound, c.lowerBound, "lower bound", 1e-12);
      close(od.upperBound, c.upperBound, "upper bound", 1e-12);
      close(od.phi, c.phi, "φ");
      close(od.pValue, c.pValue, "p(φ)");
      expect(od.areas).toBe(c.z.length);
      for (const inflated of c.inflated) {
        const limits = funnelLimits(
          c.model,
          c.target,
          inflated.denominator,
          inflated.limits.map((l) => l.probability),
          od.phi,
        );
        limits.forEach((l, i) => {
          const want = inflated.limits[i]!;
          expect(l.probability).toBe(want.probability);
          close(l.lower, want.lower, `inflated lower n=${inflated.denominator}`, 1e-12);
          close(l.upper, want.upper, `inflated upper n=${inflated.denominator}`, 1e-12);
        });
      }
    }
  });
});

describe("Benjamini–Hochberg against p.adjust(p, 'BH')", () => {
  it("random, tied, equal, all-one, zero and NA p-values, and a larger n", () => {
    for (const c of golden.bh) {
      const q = benjaminiHochberg(
        c.p.map((p) => p ?? NaN),
        c.n,
      );
      q.forEach((v, i) => {
        const want = c.q[i];
        if (want === null || want === undefined) expect(v).toBeNaN();
        else close(v, want, `q[${i}] of ${JSON.stringify(c.p)}`);
      });
    }
  });
});

describe("Theil–Sen and Mann–Kendall against the textbook formulas in R", () => {
  it("short, tied, constant, irregular and longer series", () => {
    for (const c of golden.trend) {
      const label = JSON.stringify(c.y);
      const ts = theilSen(c.x, c.y);
      close(ts.slope, c.theilSen.slope, `slope ${label}`, 1e-12);
      close(ts.intercept, c.theilSen.intercept, `intercept ${label}`, 1e-12);
      expect(ts.pairs).toBe(c.theilSen.pairs);
      const mk = mannKendall(c.y);
      const want = c.mannKendall;
      expect(mk.s).toBe(want.s);
      close(mk.variance, want.variance, `Var S ${label}`);
      close(mk.z, want.z, `z ${label}`, 1e-15);
      close(mk.tau, want.tau, `τ ${label}`, 1e-15);
      close(mk.pIncreasing, want.pIncreasing, `p+ ${label}`);
      close(mk.pDecreasing, want.pDecreasing, `p− ${label}`);
      close(mk.pTwoSided, want.pTwoSided, `p± ${label}`);
    }
  });
});
