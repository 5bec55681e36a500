/**
 * Golden tests of the count detectors against R 4.2 with surveillance 1.20: the numbers in
 * fixtures/detect/counts-golden.json were written by fixtures/detect/make-counts-golden.R; the tests
 * never run R.
 *
 * Tolerances: expected, upper bound, p-value, score, φ, trend coefficient and μ₀ quantile 1e-9
 * relative (absolute floor 1e-12; p-values relative down to 1e-300). The GLM is fitted with the
 * same IRLS iterations as R's glm.fit, so the only differences are rounding (normal equations by
 * Cholesky here, Householder QR in R). Measured: expected, upper bound and μ₀ quantile ≤ 4e-12, the
 * trend coefficient ≤ 4e-11 (sparse series where a seasonal level has only zeros make XᵀWX
 * ill-conditioned), the score ≤ 1.1e-10 (it divides by U − μ₀). Negative binomial and Poisson upper
 * bounds are integers and must be equal; alarms, trend decisions and "no baseline" must be equal.
 * The distributions (pnbinom, pt, lbeta) are held to 1e-9 relative.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  cusum,
  farringtonFlexible,
  logBeta,
  negativeBinomialCdf,
  negativeBinomialQuantile,
  negativeBinomialUpperTail,
  poissonQuantile,
  standardisedResidual,
  studentTUpperTail,
  countForResidual,
  type FarringtonControl,
} from "../src/index.js";

type Num = number | null;
interface GoldenSeries {
  name: string;
  frequency: number;
  counts: Num[];
  days?: number[];
  population?: number[];
}
interface GoldenBaseline {
  series: string;
  name: string;
  control: Record<string, unknown>;
  range: number[];
  observed: Num[];
  expected: Num[];
  upperbound: Num[];
  alarm: (boolean | null)[];
  pvalue: Num[];
  score: Num[];
  phi: Num[];
  trend: Num[];
  trendVector: Num[];
  mu0Vector: Num[];
}
interface Golden {
  series: GoldenSeries[];
  baselines: GoldenBaseline[];
  cusum: {
    trans: "anscombe" | "standard";
    k: number;
    h: number;
    observed: number[];
    mean: number[];
    cusum: number[];
    alarm: boolean[];
    upperbound: number[];
  }[];
  negativeBinomial: { k: number; size: number; prob: number; cdf: number; upper: number }[];
  negativeBinomialQuantile: { p: number; size: number; prob: number; q: number }[];
  poissonQuantile: { p: number; lambda: number; q: number }[];
  studentT: { t: number; df: number; upper: number }[];
  logBeta: { a: number; b: number; lbeta: number }[];
}

const golden = JSON.parse(
  readFileSync(new URL("./fixtures/detect/counts-golden.json", import.meta.url), "utf8"),
) as Golden;

const REL = 1e-9;
const REL_DISTRIBUTIONS = 1e-9;
let worst = 0;
function close(actual: number, expected: number, label: string, abs = 1e-12, rel = REL): void {
  const tolerance = Math.max(rel * Math.abs(expected), abs);
  const diff = Math.abs(actual - expected);
  if (expected !== 0) worst = Math.max(worst, diff / Math.abs(expected));
  if (!(diff <= tolerance))
    expect.fail(`${label}: got ${actual}, R gives ${expected} (tolerance ${tolerance})`);
}

/** R's control list as our control (R's names are ours; limit54 arrives as an array). */
function controlOf(
  frequency: number,
  r: Record<string, unknown>,
): Partial<FarringtonControl> & { frequency: number } {
  const c: Record<string, unknown> = { frequency, ...r };
  if (Array.isArray(r.limit54)) c.limit54 = [r.limit54[0], r.limit54[1]];
  return c as Partial<FarringtonControl> & { frequency: number };
}

const seriesByName = new Map(golden.series.map((s) => [s.name, s]));

describe("count baseline against surveillance::farringtonFlexible", () => {
  let compared = 0;
  for (const g of golden.baselines) {
    it(`${g.series}: ${g.name} (${g.range.length} periods)`, () => {
      const s = seriesByName.get(g.series)!;
      const counts = s.counts.map((v) => v ?? NaN);
      const results = farringtonFlexible(
        { counts, days: s.days, population: s.population },
        controlOf(s.frequency, g.control),
        g.range,
      );
      const method = (g.control.thresholdMethod as string | undefined) ?? "delta";
      results.forEach((r, i) => {
        const at = `${g.series} ${g.name} index ${g.range[i]}`;
        expect(r.index).toBe(g.range[i]);
        const phi = g.phi[i];
        if (phi === null || phi === undefined) {
          // R could not fit (its warning "could not converge"); we must not have a baseline either.
          expect(r.kind, at).toBe("no-baseline");
          return;
        }
        if (r.kind !== "baseline") return expect.fail(`${at}: no baseline (${r.reason}: ${r.message})`);
        compared++;
        close(r.phi, phi, `${at} φ`);
        expect(r.trend ? 1 : 0, `${at} trend`).toBe(g.trend[i]);
        if (r.trend) close(r.trendCoefficient, g.trendVector[i]!, `${at} trend coefficient`);
        else expect(Number.isNaN(r.trendCoefficient)).toBe(true);
        // R reports expected and upper bound only when limit54 holds.
        if (g.expected[i] !== null) {
          expect(r.enoughCases, `${at} enough cases`).toBe(true);
          close(r.expected, g.expected[i]!, `${at} expected`);
        }
        if (g.upperbound[i] !== null) {
          if (method === "delta") close(r.upperbound, g.upperbound[i]!, `${at} upper bound`);
          else expect(r.upperbound, `${at} upper bound`).toBe(g.upperbound[i]);
        } else {
          expect(r.enoughCases && Number.isFinite(r.upperbound), `${at} upper bound NA in R`).toBe(false);
        }
        expect(r.alarm, `${at} alarm`).toBe(g.alarm[i] ?? false);
        if (g.pvalue[i] === null) expect(Number.isNaN(r.pValue), `${at} p NA`).toBe(true);
        else close(r.pValue, g.pvalue[i]!, `${at} p-value`, 1e-300);
        if (g.score[i] === null) expect(Number.isNaN(r.score), `${at} score NA`).toBe(true);
        else close(r.score, g.score[i]!, `${at} score`);
        if (method !== "delta") close(r.mu0Quantile, g.mu0Vector[i]!, `${at} μ₀ quantile`);
        if (Number.isNaN(r.observed)) expect(g.observed[i]).toBeNull();
        else expect(r.observed).toBe(g.observed[i]);
      });
    });
  }
  it("compared a large share of periods and reports the worst relative difference", () => {
    expect(compared).toBeGreaterThan(1500);
    expect(worst).toBeLessThan(REL);
    console.log(
      `count golden: ${compared} periods compared, worst relative difference ${worst.toExponential(2)}`,
    );
  });
});

describe("CUSUM against surveillance::algo.cusum", () => {
  for (const c of golden.cusum) {
    it(`${c.trans} residuals, k = ${c.k}, h = ${c.h}`, () => {
      const type = c.trans === "anscombe" ? "anscombe" : "pearson";
      const residuals = c.observed.map((y, i) => standardisedResidual(type, y, c.mean[i]!));
      const points = cusum(residuals, { k: c.k, h: c.h });
      points.forEach((p, i) => {
        close(p.statistic, c.cusum[i]!, `S[${i}]`);
        expect(p.alarm, `alarm[${i}]`).toBe(c.alarm[i]);
        const bound = countForResidual(type, p.residualLimit, c.mean[i]!);
        // algo.cusum rounds the "standard" bound up to a whole count.
        if (type === "anscombe") close(bound, c.upperbound[i]!, `upper bound[${i}]`);
        else expect(Math.ceil(bound - 1e-9) + 0, `upper bound[${i}]`).toBe(c.upperbound[i]! + 0);
      });
      expect(points.some((p) => p.alarm)).toBe(true);
    });
  }
});

describe("count distributions against R", () => {
  it(`pnbinom both tails (${golden.negativeBinomial.length} cases)`, () => {
    for (const c of golden.negativeBinomial) {
      const label = `k=${c.k} size=${c.size} prob=${c.prob}`;
      close(negativeBinomialCdf(c.k, c.size, c.prob), c.cdf, `P[X<=k] ${label}`, 1e-300, REL_DISTRIBUTIONS);
      close(
        negativeBinomialUpperTail(c.k, c.size, c.prob),
        c.upper,
        `P[X>=k] ${label}`,
        1e-300,
        REL_DISTRIBUTIONS,
      );
    }
  });
  it(`qnbinom and qpois (${golden.negativeBinomialQuantile.length + golden.poissonQuantile.length} cases)`, () => {
    for (const c of golden.negativeBinomialQuantile)
      expect(negativeBinomialQuantile(c.p, c.size, c.prob), `qnbinom(${c.p}, ${c.size}, ${c.prob})`).toBe(
        c.q + 0,
      );
    for (const c of golden.poissonQuantile)
      expect(poissonQuantile(c.p, c.lambda), `qpois(${c.p}, ${c.lambda})`).toBe(c.q + 0);
  });
  it("pt upper tail and lbeta", () => {
    for (const c of golden.studentT)
      close(studentTUpperTail(c.t, c.df), c.upper, `pt(${c.t}, ${c.df})`, 1e-300, REL_DISTRIBUTIONS);
    for (const c of golden.logBeta)
      close(logBeta(c.a, c.b), c.lbeta, `lbeta(${c.a}, ${c.b})`, 1e-12, REL_DISTRIBUTIONS);
  });
});
