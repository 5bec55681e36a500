/**
 * Trend in a short series: the Theil–Sen slope (Theil 1950, Sen 1968) and the Mann–Kendall test
 * (Mann 1945, Kendall 1975) with the tie-corrected variance and the normal approximation with
 * continuity correction, as R's trend::mk.test, and for series without ties the exact null
 * distribution of S, as R's cor.test(method = "kendall", exact = TRUE). See docs/methods.md,
 * "Early warning: building blocks" and "Status and short series".
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
  /**
   * Exact p-values from the permutation distribution of S, for series without ties of at most
   * MANN_KENDALL_EXACT_MAX_N values; null otherwise (then only the normal approximation above applies).
   */
  readonly exact: MannKendallExact | null;
}

/** Exact Mann–Kendall p-values (no ties): every ordering of the n values equally likely under H₀. */
export interface MannKendallExact {
  /** P[S ≥ s]. */
  readonly pIncreasing: number;
  /** P[S ≤ s]. */
  readonly pDecreasing: number;
  /** min(1, 2·P[S ≥ |s|]), as R's cor.test. */
  readonly pTwoSided: number;
  /**
   * The smallest one-sided p-value n values can give: 1/n! (a strictly monotone series). For n = 3
   * it is 1/6, so a 3-point series can never be significant at 0.05 on its own; n = 4 gives 1/24.
   */
  readonly minimumP: number;
}

/** Largest n with exact p-values (R's cor.test uses the exact distribution for n < 50 by default). */
export const MANN_KENDALL_EXACT_MAX_N = 49;

const mahonianCache = new Map<number, readonly number[]>();

/**
 * Mahonian numbers M(n, k), k = 0 … n(n−1)/2: how many permutations of n distinct values have k
 * inversions (pairs out of order), by M(n, k) = Σ_{j=0}^{min(k, n−1)} M(n−1, k−j) (inserting the
 * largest value j places from the end adds j inversions). Exact integers up to n = 17 (17! < 2⁵³),
 * beyond that correct to rounding; sums of positive terms only, so no cancellation. Memoised per n.
 */
export function mahonianNumbers(n: number): readonly number[] {
  if (!Number.isInteger(n) || n < 1 || n > MANN_KENDALL_EXACT_MAX_N)
    throw new RangeError(`Mahonian numbers need 1 ≤ n ≤ ${MANN_KENDALL_EXACT_MAX_N}, got ${n}`);
  const cached = mahonianCache.get(n);
  if (cached !== undefined) return cached;
  let row: number[] = [1];
  for (let m = 2; m <= n; m++) {
    const next = new Array<number>((m * (m - 1)) / 2 + 1).fill(0);
    for (let k = 0; k < next.length; k++) {
      let total = 0;
      for (let j = Math.max(0, k - row.length + 1); j <= Math.min(k, m - 1); j++)
        total += row[k - j] as number;
      next[k] = total;
    }
    row = next;
  }
  mahonianCache.set(n, row);
  return row;
}

/**
 * Exact Mann–Kendall p-values for statistic s of a series of n distinct values. Without ties
 * S = N − 2D with N = n(n−1)/2 and D the number of inversions, so P[S ≥ s] = Σ_{k ≤ (N−s)/2} M(n,k)/n!
 * and, by the symmetry of S, P[S ≤ s] = P[S ≥ −s]. Each tail is summed from its own small end, so a
 * p-value of 1/49! keeps its relative precision (R's "greater" is 1 − P[T ≤ q − 1] and loses it).
 */
export function mannKendallExact(s: number, n: number): MannKendallExact {
  const counts = mahonianNumbers(n);
  const pairs = (n * (n - 1)) / 2;
  if (!Number.isInteger(s) || Math.abs(s) > pairs || (pairs - s) % 2 !== 0)
    throw new RangeError(`S = ${s} is impossible for ${n} distinct values`);
  let factorial = 1;
  for (let m = 2; m <= n; m++) factorial *= m;
  const atLeast = (t: number): number => {
    let total = 0;
    for (let k = 0; k <= (pairs - t) / 2; k++) total += counts[k] as number;
    return total / factorial;
  };
  const pIncreasing = atLeast(s);
  const pDecreasing = atLeast(-s);
  return {
    pIncreasing,
    pDecreasing,
    pTwoSided: Math.min(1, 2 * (s > 0 ? pIncreasing : pDecreasing)),
    minimumP: 1 / factorial,
  };
}

/**
 * Mann–Kendall trend test of a series given in time order. Needs at least 3 values; a series
 * whose values are all equal has Var(S) = 0 and gets z = 0 and p-values ½, ½, 1. The p-values
 * pIncreasing/pDecreasing/pTwoSided are the normal approximation (with ties the only one); `exact`
 * holds the exact ones for series without ties of up to 49 values, which detectors should prefer
 * (mannKendallPValue does).
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
  let tied = false;
  for (let i = 0; i < n;) {
    let j = i + 1;
    while (j < n && sorted[j] === sorted[i]) j++;
    const t = j - i;
    if (t > 1) tied = true;
    ties += t * (t - 1) * (2 * t + 5);
    i = j;
  }
  const variance = (n * (n - 1) * (2 * n + 5) - ties) / 18;
  const z = s === 0 || variance === 0 ? 0 : (s - Math.sign(s)) / Math.sqrt(variance);
  const pIncreasing = normalCdf(-z);
  const pDecreasing = normalCdf(z);
  const pTwoSided = 2 * Math.min(0.5, normalCdf(-Math.abs(z)));
  const exact = !tied && n <= MANN_KENDALL_EXACT_MAX_N ? mannKendallExact(s, n) : null;
  return { s, variance, z, tau: s / ((n * (n - 1)) / 2), pIncreasing, pDecreasing, pTwoSided, exact };
}

/**
 * The Mann–Kendall p-value a detector should use: exact when the series has no ties and at most 49
 * values, otherwise the normal approximation with tie-corrected variance and continuity correction.
 */
export function mannKendallPValue(
  mk: MannKendall,
  direction: "increasing" | "decreasing" | "two-sided",
): number {
  const source = mk.exact ?? mk;
  if (direction === "increasing") return source.pIncreasing;
  if (direction === "decreasing") return source.pDecreasing;
  return source.pTwoSided;
}
