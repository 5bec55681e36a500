/**
 * Baseline for weekly or monthly counts (nuisance reports, field observations): the quasi-Poisson
 * regression of Farrington et al. (1996) with the improvements of Noufaily et al. (2013), as R's
 * `surveillance::farringtonFlexible` (version 1.20) computes it, step for step:
 *
 * 1. Reference data: for the period k, the periods k − i·year ± w (i = 1 … b) and, with
 *    `noPeriods` > 1, every period in between split into noPeriods − 1 seasonal blocks (a factor);
 *    the last `pastWeeksNotIncluded` periods before k and k itself are left out.
 * 2. Fit a quasi-Poisson GLM (log link) with intercept, trend and factor; if it does not converge with
 *    the trend, without it. φ = max(1, Pearson dispersion).
 * 3. Down-weight past outbreaks: Anscombe residuals sᵢ = 3/2 (yᵢ^{2/3} μᵢ^{−1/6} − μᵢ^{1/2}) /
 *    √(φ(1 − hᵢ)); weights ∝ sᵢ⁻² where sᵢ > weightsThreshold, else ∝ 1, scaled to sum to n; refit.
 * 4. Keep the trend only when b ≥ 3, its t-test p < pThresholdTrend and the prediction does not
 *    exceed the largest count used (no extrapolation); otherwise redo 2–3 without it.
 * 5. Predict μ₀ for k with its standard error and derive the upper threshold: "delta" (Farrington:
 *    normal approximation of y^{2/3} with variance φμ₀ + Var μ̂₀), "nbPlugin" (Noufaily: the 1 − α
 *    quantile of a negative binomial with mean μ₀ and variance φμ₀) or "muan" (as nbPlugin with the
 *    1 − α quantile of the normal distribution of log μ̂₀ as mean).
 * 6. Alarm when the count exceeds the threshold and at least limit54[0] cases were reported in the
 *    last limit54[1] periods (k included).
 *
 * Where R does something surprising it is reproduced and documented, so the numbers agree; see the
 * notes on `FarringtonControl` and docs/methods.md ("Dynamics: weekly and monthly counts").
 */
import {
  negativeBinomialQuantile,
  negativeBinomialUpperTail,
  poissonQuantile,
  studentTUpperTail,
} from "./count-distributions.js";
import { normalCdf, normalQuantile, poissonUpperTail } from "./distributions.js";
import {
  fitQuasiPoisson,
  hatValues,
  leverageQuadratic,
  type QuasiPoissonDesign,
  type QuasiPoissonFit,
} from "./quasi-poisson.js";

/** How the upper threshold is derived from the fitted model. */
export type ThresholdMethod = "delta" | "nbPlugin" | "muan";

/** Settings of the count baseline; names, meaning and defaults as R's farringtonFlexible control. */
export interface FarringtonControl {
  /** Periods per year: 52 for weeks, 12 for months (R: the sts frequency). */
  readonly frequency: number;
  /** Years back for the reference data (R default 5). */
  readonly b: number;
  /** Half-width of the window around each reference period (R default 3). */
  readonly w: number;
  /** Down-weight past outbreaks by their Anscombe residuals (R default true). */
  readonly reweight: boolean;
  /** Anscombe residuals above this are down-weighted (R default 2.58; Farrington 1996 used 1). */
  readonly weightsThreshold: number;
  /** One-sided level: the threshold is the 1 − α quantile (R default 0.05). */
  readonly alpha: number;
  /** Fit a time trend, kept only under the conditions of step 4 (R default true). */
  readonly trend: boolean;
  /** Keep the trend when its p-value is below this (R default 0.05; Noufaily 2013: 1, i.e. always). */
  readonly pThresholdTrend: number;
  /** [cases, periods]: no alarm unless ≥ cases reports in the last `periods` periods (R default [5, 4]). */
  readonly limit54: readonly [number, number];
  /** Power transformation of the "delta" threshold (R default "2/3"). */
  readonly powertrans: "2/3" | "1/2" | "none";
  /** Use log(population) as offset; the series must then carry a population (R default false). */
  readonly populationOffset: boolean;
  /** Seasonal factor levels: 1 = windows only (Farrington), 10 = Noufaily (R default 1). */
  readonly noPeriods: number;
  /** Periods before k left out of the reference data (R default: w; Noufaily 2013: 26). */
  readonly pastWeeksNotIncluded: number;
  /** "delta" (Farrington), "nbPlugin" (Noufaily) or "muan" (R default "delta"). */
  readonly thresholdMethod: ThresholdMethod;
  /**
   * Dispersion used for the trend t-test and the standard error of μ̂₀. "surveillance" (default)
   * reproduces farringtonFlexible 1.20: after reweighting it replaces the model's working weights by
   * the prior weights ω, so summary.glm and predict.glm estimate Σ ωᵢ(yᵢ − μᵢ)²/μᵢ² / (n − p)
   * instead of the Pearson dispersion. "pearson" uses the Pearson dispersion of the final fit
   * (unclipped, as summary.glm would without that substitution).
   */
  readonly seDispersion: "surveillance" | "pearson";
}

/** R's defaults of farringtonFlexible (frequency must still be given). */
export const FARRINGTON_FLEXIBLE_DEFAULTS: Omit<FarringtonControl, "frequency" | "pastWeeksNotIncluded"> = {
  b: 5,
  w: 3,
  reweight: true,
  weightsThreshold: 2.58,
  alpha: 0.05,
  trend: true,
  pThresholdTrend: 0.05,
  limit54: [5, 4],
  powertrans: "2/3",
  populationOffset: false,
  noPeriods: 1,
  thresholdMethod: "delta",
  seDispersion: "surveillance",
};

/** The original method (Farrington et al. 1996): residual threshold 1, windows only, delta threshold. */
export const FARRINGTON_1996: Partial<FarringtonControl> = {
  weightsThreshold: 1,
  noPeriods: 1,
  pThresholdTrend: 0.05,
  thresholdMethod: "delta",
};

/**
 * The improved method (Noufaily et al. 2013): residual threshold 2.58, a 10-level seasonal factor,
 * the last 26 weeks left out, the trend always kept (unless it extrapolates), negative binomial quantile.
 */
export const NOUFAILY_2013: Partial<FarringtonControl> = {
  weightsThreshold: 2.58,
  noPeriods: 10,
  pastWeeksNotIncluded: 26,
  pThresholdTrend: 1,
  thresholdMethod: "nbPlugin",
};

/** A count series, oldest period first. */
export interface CountSeries {
  /** Counts per period; NaN marks a missing period (left out of fits, as R's NA). */
  readonly counts: ArrayLike<number>;
  /** Population per period, needed with `populationOffset`. */
  readonly population?: ArrayLike<number>;
  /**
   * Optional: each period's date as whole days since 1970-01-01 (e.g. the Monday of an ISO week).
   * With dates the reference periods are found by calendar, as R does for an sts with epochAsDate:
   * the same date 1, 2, … b years back, for weekly data moved to the nearest day with the same
   * weekday. Without dates the reference periods are k − i·frequency.
   */
  readonly days?: ArrayLike<number>;
}

/** Why a period has no baseline (shown as grey: "no baseline"). */
export type NoBaselineReason =
  | "too-little-history"
  | "reference-period-missing"
  | "too-few-observations"
  | "no-convergence"
  | "singular-design";

export interface CountBaselineMissing {
  readonly kind: "no-baseline";
  /** 0-based period index in the series. */
  readonly index: number;
  readonly observed: number;
  readonly reason: NoBaselineReason;
  /** A sentence for the user. */
  readonly message: string;
}

export interface CountBaseline {
  readonly kind: "baseline";
  /** 0-based period index in the series. */
  readonly index: number;
  readonly observed: number;
  /** μ₀ = exp(η₀): the baseline expectation (R: control$expected when enough cases). */
  readonly expected: number;
  /** Upper threshold (R: upperbound when enough cases); NaN when μ₀'s quantile overflows. */
  readonly upperbound: number;
  /** The limit54 rule: ≥ limit54[0] cases in the last limit54[1] periods. */
  readonly enoughCases: boolean;
  /** enoughCases, observed > 0 and score > 1 (observed above the threshold). */
  readonly alarm: boolean;
  /**
   * One-sided p-value P[Y ≥ observed] under the fitted predictive distribution: normal on the
   * transformed scale ("delta") or negative binomial / Poisson ("nbPlugin", "muan"). NaN when missing.
   */
  readonly pValue: number;
  /**
   * Exceedance score as R: (y − μ₀)/(U − μ₀) for "delta"; for "nbPlugin"/"muan" R uses the link
   * value η₀ = log μ₀ in place of μ₀, (y − η₀)/(U − η₀). Either way > 1 exactly when y > U.
   */
  readonly score: number;
  /** Overdispersion φ ≥ 1 of the final fit. */
  readonly phi: number;
  /** Whether the time trend was kept. */
  readonly trend: boolean;
  /** Trend on the log scale per period (R: trendVector, per week or month), NaN without trend. */
  readonly trendCoefficient: number;
  /** Standard error of η₀ = log μ̂₀ (with the dispersion of `seDispersion`). */
  readonly linkSe: number;
  /**
   * Variance factor τ = φ + Var(μ̂₀)/μ₀: the predictive variance of the count is τ·μ₀ (Farrington's
   * delta method); used to standardise residuals.
   */
  readonly varianceFactor: number;
  /** The mean plugged into the negative binomial ("nbPlugin": μ₀, "muan": its 1 − α quantile); NaN for "delta". */
  readonly mu0Quantile: number;
  /** Number of reference periods in the final fit. */
  readonly observations: number;
}

export type CountBaselineResult = CountBaseline | CountBaselineMissing;

/** Control with R's defaults filled in; throws on impossible settings. */
export function farringtonControl(
  input: Partial<FarringtonControl> & { readonly frequency: number },
): FarringtonControl {
  // Undefined entries fall back to the defaults (a spread would copy them over).
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const c = {
    ...FARRINGTON_FLEXIBLE_DEFAULTS,
    pastWeeksNotIncluded: input.w ?? FARRINGTON_FLEXIBLE_DEFAULTS.w,
    ...given,
  } as FarringtonControl;
  const whole = (v: number, min: number, name: string) => {
    if (!Number.isInteger(v) || v < min)
      throw new RangeError(`${name} must be a whole number ≥ ${min}, got ${v}`);
  };
  whole(c.frequency, 1, "frequency");
  whole(c.b, 1, "b");
  whole(c.w, 0, "w");
  whole(c.noPeriods, 1, "noPeriods");
  whole(c.pastWeeksNotIncluded, 0, "pastWeeksNotIncluded");
  whole(c.limit54[1], 1, "limit54[1] (periods)");
  if (!(c.limit54[0] >= 0)) throw new RangeError(`limit54[0] (cases) must be ≥ 0, got ${c.limit54[0]}`);
  if (!(c.alpha > 0 && c.alpha < 0.5)) throw new RangeError(`alpha must lie in (0, 0.5), got ${c.alpha}`);
  if (!(c.weightsThreshold > 0))
    throw new RangeError(`weightsThreshold must be > 0, got ${c.weightsThreshold}`);
  if (!(c.pThresholdTrend >= 0))
    throw new RangeError(`pThresholdTrend must be ≥ 0, got ${c.pThresholdTrend}`);
  if (!["delta", "nbPlugin", "muan"].includes(c.thresholdMethod))
    throw new RangeError(`thresholdMethod must be delta, nbPlugin or muan, got ${String(c.thresholdMethod)}`);
  if (!["2/3", "1/2", "none"].includes(c.powertrans))
    throw new RangeError(`powertrans must be 2/3, 1/2 or none, got ${String(c.powertrans)}`);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Calendar (only for series with dates): R's seq(date, by = "-1 year") and weekday snapping.

/** Days since 1970-01-01 of a proleptic Gregorian date; day and month may overflow (29 Feb → 1 Mar). */
function daysFromCivil(y: number, m: number, d: number): number {
  // Hinnant's days_from_civil; overflowing days roll forward like mktime.
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/** 0 = Sunday (R's format(date, "%w")). */
function weekday(days: number): number {
  return (((days + 4) % 7) + 7) % 7;
}

/** R's algo.farrington.referencetimepoints for a series with dates: the day i years before, i = 0 … b. */
function referenceDays(day: number, b: number, weekly: boolean): number[] {
  const [y, m, d] = civilFromDays(day);
  const out: number[] = [];
  for (let i = 0; i <= b; i++) {
    const ref = daysFromCivil(y - i, m, d);
    if (!weekly) {
      out.push(ref);
      continue;
    }
    // The same weekday as `day`, whichever of the two candidates is nearer (the first on a tie).
    const a = ref - (weekday(ref) - weekday(day));
    const bb = a + (a > ref ? -7 : 7);
    out.push(Math.abs(a - ref) > Math.abs(bb - ref) ? bb : a);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// One evaluation

interface Rows {
  readonly y: Float64Array;
  /** (t − t_k)/frequency in R's wtime units, so η₀ is the prediction at time 0. */
  readonly time: Float64Array;
  readonly group: Int32Array;
  readonly levels: number;
  /** Group of the current-period level (noPeriods) among the levels present. */
  readonly currentGroup: number;
  readonly offset: Float64Array | null;
  readonly maxY: number;
}

interface FlexModel {
  readonly design: QuasiPoissonDesign;
  readonly fit: QuasiPoissonFit;
  readonly phi: number;
  /** Dispersion for standard errors (see FarringtonControl.seDispersion). */
  readonly seDisp: number;
}

type Failure = { readonly reason: NoBaselineReason; readonly message: string };

function missing(index: number, observed: number, f: Failure): CountBaselineMissing {
  return { kind: "no-baseline", index, observed, reason: f.reason, message: f.message };
}

/**
 * Reference positions (0-based) for period k: [k, 1 year back, …, b years back], or a failure.
 * Mirrors algo.farrington.referencetimepoints + the position lookup in blocks().
 */
function referencePositions(
  k: number,
  c: FarringtonControl,
  days: ArrayLike<number> | undefined,
  dayIndex: Map<number, number> | undefined,
): number[] | Failure {
  const refs: number[] = [];
  if (!days || !dayIndex) {
    for (let i = 0; i <= c.b; i++) refs.push(k - i * c.frequency);
  } else {
    for (const d of referenceDays(days[k]!, c.b, c.frequency === 52)) {
      const pos = dayIndex.get(d);
      if (pos === undefined)
        return {
          reason: "reference-period-missing",
          message: `the reference period of ${isoDate(d)} is not in the series`,
        };
      refs.push(pos);
    }
  }
  const earliest = refs[c.b]! - c.w;
  if (earliest < 0)
    return {
      reason: "too-little-history",
      message: `needs ${c.b} year(s) of history plus ${c.w} period(s) before this period`,
    };
  return refs;
}

function isoDate(days: number): string {
  const [y, m, d] = civilFromDays(days);
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** Block labels 1 … noPeriods for positions lo … k (0: not used), as R's blocks(). */
function blockLabels(
  k: number,
  refs: readonly number[],
  c: FarringtonControl,
): { lo: number; labels: Int32Array } {
  const p = c.noPeriods;
  const w = c.w;
  const lo = refs[c.b]! - w;
  const labels = new Int32Array(k - lo + 1);
  const set = (from: number, to: number, v: number) => {
    for (let i = from; i <= to; i++) labels[i - lo] = v;
  };
  set(k - w, k, p);
  for (let i = 1; i <= c.b; i++) {
    const ref = refs[i]!;
    set(ref - w, ref + w, p);
    if (p === 1) continue;
    const period = refs[i - 1]! - 2 * w - 1 - ref;
    if (period < p - 1)
      throw new RangeError(
        `noPeriods = ${p} needs at least ${p - 1} periods between the windows, but there are ${period} ` +
          `(frequency ${c.frequency}, w = ${w}); lower noPeriods or w`,
      );
    const len = Math.floor(period / (p - 1));
    const rest = period % (p - 1);
    let start = ref + w + 1;
    for (let j = 1; j <= p - 1; j++) {
      const size = len + (j <= rest ? 1 : 0);
      set(start, start + size - 1, j);
      start += size;
    }
  }
  // The current period and the pastWeeksNotIncluded before it are never reference data.
  set(Math.max(lo, k - c.pastWeeksNotIncluded), k, 0);
  return { lo, labels };
}

function collectRows(
  k: number,
  refs: readonly number[],
  c: FarringtonControl,
  series: CountSeries,
  timeOf: (i: number) => number,
): Rows {
  const { lo, labels } = blockLabels(k, refs, c);
  const counts = series.counts;
  const pop = c.populationOffset ? series.population : undefined;
  const present = new Int32Array(c.noPeriods + 1);
  let n = 0;
  for (let i = lo; i <= k; i++) {
    if (labels[i - lo] === 0 || Number.isNaN(counts[i]!)) continue;
    present[labels[i - lo]!] = 1;
    n++;
  }
  // Factor levels present, in numeric order; the smallest is the reference (R's treatment contrasts).
  const groupOf = new Int32Array(c.noPeriods + 1).fill(-1);
  let levels = 0;
  for (let l = 1; l <= c.noPeriods; l++) if (present[l]) groupOf[l] = levels++;
  const y = new Float64Array(n);
  const time = new Float64Array(n);
  const group = new Int32Array(n);
  const offset = pop ? new Float64Array(n) : null;
  const tk = timeOf(k);
  let maxY = -Infinity;
  let r = 0;
  for (let i = lo; i <= k; i++) {
    const label = labels[i - lo]!;
    if (label === 0 || Number.isNaN(counts[i]!)) continue;
    y[r] = counts[i]!;
    maxY = Math.max(maxY, counts[i]!);
    time[r] = (timeOf(i) - tk) / c.frequency;
    group[r] = groupOf[label]!;
    if (offset) offset[r] = Math.log(pop![i]!);
    r++;
  }
  return { y, time, group, levels, currentGroup: groupOf[c.noPeriods]!, offset, maxY };
}

function designOf(
  rows: Rows,
  trend: boolean,
  c: FarringtonControl,
  prior: Float64Array | null,
): QuasiPoissonDesign {
  const factor = c.noPeriods !== 1 && rows.levels > 1;
  return {
    y: rows.y,
    time: trend ? rows.time : null,
    group: factor ? rows.group : null,
    levels: factor ? rows.levels : 1,
    offset: rows.offset,
    priorWeights: prior,
  };
}

/** algo.farrington.fitGLM.flexible: fit, fall back to no trend, reweight, refit. */
function fitFlexible(rows: Rows, trend: boolean, c: FarringtonControl): FlexModel | Failure {
  let design = designOf(rows, trend, c, null);
  let fit = fitQuasiPoisson(design);
  // R refits without the trend when the fit does not converge; a singular design (which R would
  // fit with an aliased coefficient and then fail on) is treated the same way.
  if ((!fit || !fit.converged) && trend) {
    design = designOf(rows, false, c, null);
    fit = fitQuasiPoisson(design);
  }
  if (!fit) return { reason: "singular-design", message: "the reference data do not identify the model" };
  if (!fit.converged)
    return { reason: "no-convergence", message: "the model did not converge, with or without trend" };
  let phi = Math.max(fit.dispersion, 1);
  if (!c.reweight) return { design, fit, phi, seDisp: fit.dispersion };
  const n = rows.y.length;
  const h = hatValues(design, fit);
  const omega = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const mu = fit.fitted[i]!;
    const s =
      (1.5 * (Math.cbrt(rows.y[i]! ** 2) * mu ** (-1 / 6) - Math.sqrt(mu))) / Math.sqrt(phi * (1 - h[i]!));
    if (Number.isNaN(s))
      return { reason: "singular-design", message: "a reference period fits exactly (hat value 1)" };
    const v = s > c.weightsThreshold ? s ** -2 : 1;
    omega[i] = v;
    sum += v;
  }
  const gamma = n / sum;
  for (let i = 0; i < n; i++) omega[i] = gamma * omega[i]!;
  design = designOf(rows, design.time !== null, c, omega);
  // farringtonFlexible does not check the convergence of the reweighted fit.
  const refit = fitQuasiPoisson(design);
  if (!refit)
    return { reason: "singular-design", message: "the reweighted reference data do not identify the model" };
  phi = Math.max(refit.dispersion, 1);
  let seDisp = refit.dispersion;
  if (c.seDispersion === "surveillance") {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const r = (rows.y[i]! - refit.fitted[i]!) / refit.fitted[i]!;
      s += omega[i]! * r * r;
    }
    seDisp = s / refit.dfResidual;
  }
  return { design, fit: refit, phi, seDisp };
}

/** η₀ and the unscaled variance of η₀ at the current period (time 0, level noPeriods). */
function predictLink(m: FlexModel, rows: Rows, offsetNow: number): { eta: number; varUnscaled: number } {
  const d = m.design;
  const beta = m.fit.coefficients;
  const g = d.group ? rows.currentGroup : 0;
  let eta = beta[0]! + offsetNow;
  if (d.group && g > 0) eta += beta[(d.time ? 1 : 0) + g]!;
  return { eta, varUnscaled: leverageQuadratic(d, m.fit, 0, g) };
}

function isFailure(x: object): x is Failure {
  return "reason" in x;
}

/**
 * Evaluates the count baseline at period `k` (0-based) of the series. `dayIndex` maps each date to
 * its position when the series has dates.
 */
function evaluate(
  k: number,
  series: CountSeries,
  c: FarringtonControl,
  dayIndex: Map<number, number> | undefined,
  timeOf: (i: number) => number,
): CountBaselineResult {
  const observed = series.counts[k]!;
  const refs = referencePositions(k, c, series.days, dayIndex);
  if (!Array.isArray(refs)) return missing(k, observed, refs);
  const rows = collectRows(k, refs, c, series, timeOf);
  // More rows than coefficients, so the dispersion has at least one degree of freedom.
  const p = 1 + (c.trend ? 1 : 0) + (c.noPeriods !== 1 ? Math.max(0, rows.levels - 1) : 0);
  if (rows.y.length <= p || rows.currentGroup < 0)
    return missing(k, observed, {
      reason: "too-few-observations",
      message: `only ${rows.y.length} reference period(s) with a count`,
    });
  const offsetNow = c.populationOffset ? Math.log(series.population![k]!) : 0;
  let model = fitFlexible(rows, c.trend, c);
  if (isFailure(model)) return missing(k, observed, model);
  let doTrend = false;
  if (model.design.time) {
    const { eta } = predictLink(model, rows, offsetNow);
    const beta = model.fit.coefficients[1]!;
    // Var(β_trend) unscaled = ‖L⁻¹e₁‖², column 1 of L⁻¹ (rows 1 … p − 1).
    const cols = model.fit.coefficients.length;
    let v = 0;
    for (let r = 1; r < cols; r++) v += model.fit.choleskyInverse[r * cols + 1]! ** 2;
    const se = Math.sqrt(model.seDisp * v);
    const pTrend = 2 * studentTUpperTail(Math.abs(beta / se), model.fit.dfResidual);
    doTrend = c.b >= 3 && pTrend < c.pThresholdTrend && Math.exp(eta) <= rows.maxY;
    if (!doTrend) {
      model = fitFlexible(rows, false, c);
      if (isFailure(model)) return missing(k, observed, model);
    }
  }
  const { eta: eta0, varUnscaled } = predictLink(model, rows, offsetNow);
  const seEta = Math.sqrt(model.seDisp * varUnscaled);
  const mu0 = Math.exp(eta0);
  const phi = model.phi;
  const varianceFactor = phi + seEta * seEta * mu0;
  const y = observed;
  const z = normalQuantile(1 - c.alpha);
  let upper: number;
  let pValue: number;
  let score: number;
  let mu0Quantile = NaN;
  if (c.thresholdMethod === "delta") {
    const seMu = seEta * mu0;
    const tau = phi + (seMu * seMu) / mu0;
    let se: number;
    let e: number;
    if (c.powertrans === "2/3") {
      se = Math.sqrt((4 / 9) * Math.cbrt(mu0) * tau);
      e = 2 / 3;
    } else if (c.powertrans === "1/2") {
      se = Math.sqrt(tau / 4);
      e = 1 / 2;
    } else {
      se = Math.sqrt(mu0 * tau);
      e = 1;
    }
    upper = (mu0 ** e + z * se) ** (1 / e);
    pValue = normalCdf(-(y ** e - mu0 ** e) / se);
    score = (y - mu0) / (upper - mu0);
  } else {
    mu0Quantile = c.thresholdMethod === "nbPlugin" ? mu0 : Math.exp(eta0 + z * seEta);
    if (!Number.isFinite(mu0Quantile)) {
      upper = NaN;
      pValue = NaN;
    } else if (phi > 1) {
      const size = mu0Quantile / (phi - 1);
      const prob = 1 / phi;
      const q = (phi - 1) / phi;
      upper = negativeBinomialQuantile(1 - c.alpha, size, prob, q);
      pValue = Number.isNaN(y) ? NaN : negativeBinomialUpperTail(y, size, prob, q);
    } else {
      upper = poissonQuantile(1 - c.alpha, mu0Quantile);
      pValue = Number.isNaN(y) ? NaN : poissonUpperTail(y, mu0Quantile);
    }
    // R's algo.farrington.threshold.noufaily scores against the link value η₀ (see CountBaseline.score).
    score = (y - eta0) / (upper - eta0);
  }
  let recent = 0;
  for (let i = Math.max(0, k - c.limit54[1] + 1); i <= k; i++) recent += series.counts[i]!;
  const enoughCases = recent >= c.limit54[0];
  return {
    kind: "baseline",
    index: k,
    observed,
    expected: mu0,
    upperbound: upper,
    enoughCases,
    alarm: enoughCases && score > 1 && y !== 0,
    pValue,
    score,
    phi,
    trend: doTrend,
    trendCoefficient: doTrend ? model.fit.coefficients[1]! / c.frequency : NaN,
    linkSe: seEta,
    varianceFactor,
    mu0Quantile,
    observations: rows.y.length,
  };
}

/**
 * The count baseline (Farrington / Noufaily, as surveillance::farringtonFlexible) for the periods
 * `range` (0-based indices; default: every period, so early periods come back as "no baseline:
 * too-little-history"). Pure and deterministic. Throws on invalid settings or series.
 */
export function farringtonFlexible(
  series: CountSeries,
  control: Partial<FarringtonControl> & { readonly frequency: number },
  range?: readonly number[],
): CountBaselineResult[] {
  const c = farringtonControl(control);
  const n = series.counts.length;
  for (let i = 0; i < n; i++) {
    const v = series.counts[i]!;
    if (!Number.isNaN(v) && !(v >= 0 && Number.isFinite(v)))
      throw new RangeError(`counts must be ≥ 0 (NaN for missing), got ${v} at ${i}`);
  }
  if (c.populationOffset) {
    const pop = series.population;
    if (!pop || pop.length !== n)
      throw new RangeError("populationOffset needs a population for every period");
    for (let i = 0; i < n; i++)
      if (!(pop[i]! > 0 && Number.isFinite(pop[i]!)))
        throw new RangeError(`population must be finite and > 0, got ${pop[i]} at ${i}`);
  }
  let dayIndex: Map<number, number> | undefined;
  let timeOf = (i: number) => i;
  const days = series.days;
  if (days) {
    if (days.length !== n) throw new RangeError(`days has ${days.length} entries for ${n} counts`);
    dayIndex = new Map();
    for (let i = 0; i < n; i++) {
      const d = days[i]!;
      if (!Number.isInteger(d) || (i > 0 && !(d > days[i - 1]!)))
        throw new RangeError(`days must be whole and strictly increasing (index ${i})`);
      dayIndex.set(d, i);
    }
    // R's wtime with dates: days since the first period in units of the first step.
    const step = n > 1 ? days[1]! - days[0]! : 1;
    timeOf = (i: number) => (days[i]! - days[0]!) / step;
  }
  const ks = range ?? Array.from({ length: n }, (_, i) => i);
  return ks.map((k) => {
    if (!Number.isInteger(k) || k < 0 || k >= n)
      throw new RangeError(`range index ${k} outside 0 … ${n - 1}`);
    return evaluate(k, series, c, dayIndex, timeOf);
  });
}
