/**
 * Trend in a short series: the Theil–Sen slope (Theil 1950, Sen 1968) and the Mann–Kendall test
 * (Mann 1945, Kendall 1975) with the tie-corrected variance and the normal approximation with
 * continuity correction, as R's trend::mk.test. See docs/methods.md, "Early warning: building blocks".
 */
import { normalCdf } from "./distributions.js";

/** Median of a sample (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) throw new RangeError("median of an empty sample");
  const s = [...values].sort((a, b) => a - b);
  const mid = n >> 1;
  return n % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function checkSeries(x: readonly number[], y: readonly number[]): void {
  if (x.length !== y.length) throw new RangeError(`x and y differ in length (${x.length} vs ${y.length})`);
  for (let i = 0; i < x.length; i++)
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i]))
      throw new RangeError(`series values must be finite (index ${i}); drop missing periods first`);
}

export interface TheilSen {
  /** Median of the pairwise slopes (yⱼ − yᵢ)/(xⱼ − xᵢ) over pairs with xᵢ ≠ xⱼ. */
  readonly slope: number;
  /** median(y − slope·x). */
  readonly intercept: number;
  /** Number of pairwise slopes used. */
  readonly pairs: number;
}

/** Theil–Sen estimator of y = a + b·x. Needs at least two distinct x values. */
export function theilSen(x: readonly number[], y: readonly number[]): TheilSen {
  checkSeries(x, y);
  const slopes: number[] = [];
  for (let i = 0; i < x.length; i++)
    for (let j = i + 1; j < x.length; j++) {
      const dx = (x[j] as number) - (x[i] as number);
      if (dx !== 0) slopes.push(((y[j] as number) - (y[i] as number)) / dx);
    }
  if (slopes.length === 0) throw new RangeError("Theil–Sen needs at least two distinct x values");
  const slope = median(slopes);
  const intercept = median(y.map((v, i) => v - slope * (x[i] as number)));
  return { slope, intercept, pairs: slopes.length };
}

export interface MannKendall {
  /** S = Σ_{i<j} sign(yⱼ − yᵢ) over the series in time order. */
  readonly s: number;
  /** Var(S) = [n(n−1)(2n+5) − Σₜ t(t−1)(2t+5)] / 18, t the sizes of groups of tied y values. */
  readonly variance: number;
  /** z = (S − sign S)/√Var(S) (continuity correction), 0 when S = 0. */
  readonly z: number;
  /** Kendall's τ_a = S / (n(n−1)/2). */
  readonly tau: number;
  /** P-value for an increasing trend: P[Z ≥ z]. */
  readonly pIncreasing: number;
  /** P-value for a decreasing trend: P[Z ≤ z]. */
  readonly pDecreasing: number;
  /** Two-sided p-value: 2·min(½, P[Z ≥ |z|]). */
  readonly pTwoSided: number;
}

/**
 * Mann–Kendall trend test of a series given in time order. Needs at least 3 values; a series
 * whose values are all equal has Var(S) = 0 and gets z = 0 and p-values ½, ½, 1.
 */
export function mannKendall(y: readonly number[]): MannKendall {
  const n = y.length;
  checkSeries(y, y);
  if (n < 3) throw new RangeError(`Mann–Kendall needs at least 3 values, got ${n}`);
  let s = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) s += Math.sign((y[j] as number) - (y[i] as number));
  const sorted = [...y].sort((a, b) => a - b);
  let ties = 0;
  for (let i = 0; i < n;) {
    let j = i + 1;
    while (j < n && sorted[j] === sorted[i]) j++;
    const t = j - i;
    ties += t * (t - 1) * (2 * t + 5);
    i = j;
  }
  const variance = (n * (n - 1) * (2 * n + 5) - ties) / 18;
  const z = s === 0 || variance === 0 ? 0 : (s - Math.sign(s)) / Math.sqrt(variance);
  const pIncreasing = normalCdf(-z);
  const pDecreasing = normalCdf(z);
  const pTwoSided = 2 * Math.min(0.5, normalCdf(-Math.abs(z)));
  return { s, variance, z, tau: s / ((n * (n - 1)) / 2), pIncreasing, pDecreasing, pTwoSided };
}
