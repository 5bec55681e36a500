/**
 * Effects of interventions (ADR 0008 "Effects", docs/methods.md "Effects of interventions"):
 * comparison areas matched on the baseline level and trend of a target indicator, and a
 * difference-in-differences estimate of the change in the treated areas against the change in the
 * comparison areas, with a Student-t interval and the minimum detectable effect. Thin data never
 * throws: the verdict says why there is no estimate.
 */
import { studentTUpperTail } from "../detect/count-distributions.js";

/** One area's values of one indicator: period → value. Missing periods (and non-finite values) are allowed. */
export interface AreaSeries {
  readonly code: string;
  readonly values: ReadonlyMap<string, number>;
}

/** A matched comparison area: its baseline level and trend and its standardised distance to the treated areas. */
export interface Match {
  readonly code: string;
  /** Mean of the before values. */
  readonly level: number;
  /** OLS slope per period step over the before periods (0 with a single before value). */
  readonly trend: number;
  /** Euclidean distance of the standardised (level, trend) to the treated areas' mean. */
  readonly distance: number;
}

/** What an effect estimate says (the UI words each one; all but "effect" read "no measurable effect yet"). */
export type EffectVerdict =
  "effect" | "no-measurable-effect" | "no-data-after" | "no-baseline" | "too-few-comparison";

/** Why an area was left out of the estimate. */
export type DroppedReason = "no-before" | "no-after" | "no-data";

export interface EffectEstimate {
  readonly verdict: EffectVerdict;
  /** mean(d_treated) − mean(d_comparison); null without a treated and a comparison area with data on both sides. */
  readonly estimate: number | null;
  /** s·√(1/n_t + 1/n_c) from the pooled variance of the changes; null when df < 1. */
  readonly standardError: number | null;
  /** Degrees of freedom n_t + n_c − 2; null when below 1. */
  readonly df: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
  readonly confidence: number;
  /** Minimum detectable effect at 80 % power: (t_{1−α/2} + t_{0.80})·SE. */
  readonly mde: number | null;
  /** Areas with values both before and after (n_t, n_c). */
  readonly treatedCount: number;
  readonly comparisonCount: number;
  readonly dropped: readonly { code: string; group: "treated" | "comparison"; reason: DroppedReason }[];
  /**
   * Means over the areas that count of each area's mean before and after: for each group,
   * after − before is the mean change, so treated minus comparison gives `estimate`.
   */
  readonly means: {
    readonly treated: { readonly before: number | null; readonly after: number | null };
    readonly comparison: { readonly before: number | null; readonly after: number | null };
  };
  /** Per period (before, then after) the mean over the counted areas with a value: the parallel-trends chart. */
  readonly series: readonly { period: string; treated: number | null; comparison: number | null }[];
}

// ---------------------------------------------------------------------------------------------
// Student-t quantile

/**
 * The p-quantile of Student's t distribution with `df` degrees of freedom (df > 0, not necessarily
 * whole), by bisection on `studentTUpperTail` to machine precision: R's `qt(p, df)`.
 *
 * @example studentTQuantile(0.975, 10) // 2.2281388519649385
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  if (!(df > 0) || !Number.isFinite(df)) throw new RangeError(`df must be a positive number, got ${df}`);
  if (p === 0.5) return 0;
  const tail = p > 0.5 ? 1 - p : p;
  let lo = 0;
  let hi = 1;
  while (studentTUpperTail(hi, df) > tail) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) break;
  }
  for (let i = 0; i < 2000; i++) {
    const mid = (lo + hi) / 2;
    if (mid <= lo || mid >= hi) break;
    if (studentTUpperTail(mid, df) > tail) lo = mid;
    else hi = mid;
  }
  const t = (lo + hi) / 2;
  return p > 0.5 ? t : -t;
}

// ---------------------------------------------------------------------------------------------
// Matching

const isValue = (v: number | undefined): v is number => typeof v === "number" && Number.isFinite(v);

const meanOf = (xs: readonly number[]): number => {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
};

/** The values of `series` in `periods` that are present, with their index in `periods`. */
function present(series: AreaSeries, periods: readonly string[]): { x: number[]; y: number[] } {
  const x: number[] = [];
  const y: number[] = [];
  periods.forEach((period, i) => {
    const v = series.values.get(period);
    if (isValue(v)) {
      x.push(i);
      y.push(v);
    }
  });
  return { x, y };
}

/** Baseline level (mean) and trend (OLS slope per period step) over `before`; undefined without a value. */
function baseline(
  series: AreaSeries,
  before: readonly string[],
): { level: number; trend: number } | undefined {
  const { x, y } = present(series, before);
  if (y.length === 0) return undefined;
  const level = meanOf(y);
  if (y.length < 2) return { level, trend: 0 };
  const xBar = meanOf(x);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i]! - xBar) * (y[i]! - level);
    sxx += (x[i]! - xBar) ** 2;
  }
  return { level, trend: sxy / sxx };
}

const byCode = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Chooses the `k` (default 5) comparison areas most like the treated ones before the intervention:
 * each area's baseline level (mean of its before values) and trend (OLS slope per period step over
 * `before`, 0 with one value) are standardised over the candidates and treated areas together
 * (z-scores; a feature without variance is ignored), and candidates are ranked by the Euclidean
 * distance to the treated areas' mean features, ties by code. Candidates without any before value
 * and candidates that are themselves treated are skipped; with no treated baseline nothing matches.
 * The result does not depend on the order of the input; an area listed twice is a RangeError.
 *
 * @example matchComparisonAreas({ treated, candidates, before: ["2019", "2020", "2021"], k: 5 }) // [{ code, level, trend, distance }, …]
 */
export function matchComparisonAreas(input: {
  readonly treated: readonly AreaSeries[];
  readonly candidates: readonly AreaSeries[];
  readonly before: readonly string[];
  readonly k?: number;
}): Match[] {
  const k = input.k ?? 5;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive whole number, got ${k}`);
  // Sums run over areas in code order, so the result does not depend on the order of the input.
  const inCodeOrder = (name: string, areas: readonly AreaSeries[]) => {
    const sorted = [...areas].sort((a, b) => byCode(a.code, b.code));
    sorted.forEach((s, i) => {
      if (i > 0 && sorted[i - 1]!.code === s.code) throw new RangeError(`${name} has area ${s.code} twice`);
    });
    return sorted;
  };
  const treatedSeries = inCodeOrder("treated", input.treated);
  const treatedCodes = new Set(treatedSeries.map((s) => s.code));
  const treated = treatedSeries.flatMap((s) => baseline(s, input.before) ?? []);
  if (treated.length === 0) return [];
  const candidates: { code: string; level: number; trend: number }[] = [];
  for (const s of inCodeOrder("candidates", input.candidates)) {
    if (treatedCodes.has(s.code)) continue;
    const b = baseline(s, input.before);
    if (b) candidates.push({ code: s.code, ...b });
  }
  const all = [...treated, ...candidates];
  const features = (["level", "trend"] as const).flatMap((f) => {
    const xs = all.map((a) => a[f]);
    const mean = meanOf(xs);
    const sd = Math.sqrt(meanOf(xs.map((x) => (x - mean) ** 2)));
    // A feature without (numerically meaningful) variance cannot tell areas apart.
    return sd > 1e-12 * Math.max(1, Math.abs(mean)) ? [{ f, mean, sd }] : [];
  });
  const target = features.map(({ f, mean, sd }) => meanOf(treated.map((t) => (t[f] - mean) / sd)));
  return candidates
    .map((c) => ({
      code: c.code,
      level: c.level,
      trend: c.trend,
      distance: Math.sqrt(
        features.reduce((s, { f, mean, sd }, i) => s + ((c[f] - mean) / sd - target[i]!) ** 2, 0),
      ),
    }))
    .sort((a, b) => a.distance - b.distance || byCode(a.code, b.code))
    .slice(0, k);
}

// ---------------------------------------------------------------------------------------------
// Difference in differences

/**
 * The difference-in-differences estimate of an intervention's effect: per area the change
 * d = mean(after values) − mean(before values) (areas lacking either side are left out and listed in
 * `dropped`); the estimate is mean(d_treated) − mean(d_comparison); its standard error comes from
 * the pooled variance s² = (Σ_t (d − d̄_t)² + Σ_c (d − d̄_c)²) / (n_t + n_c − 2) (with one treated
 * area: the comparison areas' variance), SE = s·√(1/n_t + 1/n_c), and the interval is
 * estimate ± t_{1−α/2, n_t+n_c−2}·SE (R: `t.test(d_t, d_c, var.equal = TRUE)`). The minimum
 * detectable effect at 80 % power is (t_{1−α/2} + t_{0.80})·SE.
 *
 * Verdicts: "no-data-after" (no treated area has a value after the start), "no-baseline" (treated
 * values after the start but none with a before value too), "too-few-comparison" (fewer than 3
 * comparison areas with data on both sides; figures that can be computed are still given),
 * "effect" (the interval excludes 0), "no-measurable-effect" (it contains 0). Never throws on thin
 * data; throws a RangeError for a `confidence` outside (0, 1), a period both before and after, or an
 * area that is both treated and comparison.
 *
 * @example differenceInDifferences({ treated, comparison, before: ["2020", "2021"], after: ["2022", "2023"] }) // { verdict: "effect", estimate: -3.75, … }
 */
export function differenceInDifferences(input: {
  readonly treated: readonly AreaSeries[];
  readonly comparison: readonly AreaSeries[];
  readonly before: readonly string[];
  readonly after: readonly string[];
  readonly confidence?: number;
}): EffectEstimate {
  const confidence = input.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence must be a number between 0 and 1 (e.g. 0.95), got ${confidence}`);
  }
  const beforeSet = new Set(input.before);
  const overlap = input.after.find((p) => beforeSet.has(p));
  if (overlap !== undefined)
    throw new RangeError(`period ${overlap} cannot be both before and after the start`);
  const treatedCodes = new Set(input.treated.map((s) => s.code));
  const both = input.comparison.find((s) => treatedCodes.has(s.code));
  if (both !== undefined) throw new RangeError(`area ${both.code} cannot be both treated and comparison`);

  const dropped: { code: string; group: "treated" | "comparison"; reason: DroppedReason }[] = [];
  const changes = (group: "treated" | "comparison", areas: readonly AreaSeries[]) => {
    const kept: { series: AreaSeries; before: number; after: number }[] = [];
    for (const series of areas) {
      const b = present(series, input.before).y;
      const a = present(series, input.after).y;
      if (b.length > 0 && a.length > 0) kept.push({ series, before: meanOf(b), after: meanOf(a) });
      else
        dropped.push({
          code: series.code,
          group,
          reason: b.length > 0 ? "no-after" : a.length > 0 ? "no-before" : "no-data",
        });
    }
    return kept;
  };
  const treated = changes("treated", input.treated);
  const comparison = changes("comparison", input.comparison);
  const nT = treated.length;
  const nC = comparison.length;

  const groupMeans = (kept: typeof treated) =>
    kept.length === 0
      ? { before: null, after: null }
      : { before: meanOf(kept.map((k) => k.before)), after: meanOf(kept.map((k) => k.after)) };
  const periodMean = (kept: typeof treated, period: string): number | null => {
    const vs = kept.map((k) => k.series.values.get(period)).filter(isValue);
    return vs.length === 0 ? null : meanOf(vs);
  };
  const series = [...input.before, ...input.after].map((period) => ({
    period,
    treated: periodMean(treated, period),
    comparison: periodMean(comparison, period),
  }));

  const dT = treated.map((k) => k.after - k.before);
  const dC = comparison.map((k) => k.after - k.before);
  const estimate = nT > 0 && nC > 0 ? meanOf(dT) - meanOf(dC) : null;
  const df = nT + nC - 2;
  let standardError: number | null = null;
  let lower: number | null = null;
  let upper: number | null = null;
  let mde: number | null = null;
  if (estimate !== null && df >= 1) {
    const ss = (ds: number[]) => {
      const m = meanOf(ds);
      return ds.reduce((s, d) => s + (d - m) ** 2, 0);
    };
    const s2 = (ss(dT) + ss(dC)) / df;
    standardError = Math.sqrt(s2 * (1 / nT + 1 / nC));
    const q = studentTQuantile(1 - (1 - confidence) / 2, df);
    lower = estimate - q * standardError;
    upper = estimate + q * standardError;
    mde = (q + studentTQuantile(0.8, df)) * standardError;
  }

  let verdict: EffectVerdict;
  if (nT === 0) {
    const anyAfter = input.treated.some((s) => present(s, input.after).y.length > 0);
    verdict = anyAfter ? "no-baseline" : "no-data-after";
  } else if (nC < 3) verdict = "too-few-comparison";
  else verdict = lower! > 0 || upper! < 0 ? "effect" : "no-measurable-effect";

  return {
    verdict,
    estimate,
    standardError,
    df: df >= 1 && estimate !== null ? df : null,
    lower,
    upper,
    confidence,
    mde,
    treatedCount: nT,
    comparisonCount: nC,
    dropped,
    means: { treated: groupMeans(treated), comparison: groupMeans(comparison) },
    series,
  };
}
