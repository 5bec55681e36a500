/**
 * Control charts on standardised residuals of a count baseline: a one-sided (upward) EWMA and CUSUM.
 * They pick up a sustained moderate rise that no single period's threshold flags.
 *
 * Residuals are standardised with the predictive variance τ·μ (τ = φ + Var(μ̂)/μ, see
 * CountBaseline.varianceFactor), so under the baseline they are roughly N(0, 1):
 *   Anscombe  r = 3/2 (y^{2/3} − μ^{2/3}) / (μ^{1/6} √τ)   (Farrington's 2/3-power scale)
 *   Pearson   r = (y − μ) / √(μτ)
 * With τ = 1 these are surveillance::algo.cusum's "anscombe" and "standard" transformations.
 */
import { normalCdf } from "./distributions.js";
import {
  farringtonFlexible,
  type CountBaselineResult,
  type CountSeries,
  type FarringtonControl,
} from "./counts.js";

export type ResidualType = "anscombe" | "pearson";

/** Standardised residual of a count y against mean μ > 0 with variance factor τ > 0. */
export function standardisedResidual(type: ResidualType, y: number, mu: number, tau = 1): number {
  if (type === "pearson") return (y - mu) / Math.sqrt(mu * tau);
  return (1.5 * (Math.cbrt(y * y) - Math.cbrt(mu * mu))) / (mu ** (1 / 6) * Math.sqrt(tau));
}

/** The count whose standardised residual is r (inverse of standardisedResidual; 0 if below 0). */
export function countForResidual(type: ResidualType, r: number, mu: number, tau = 1): number {
  if (type === "pearson") return Math.max(0, mu + r * Math.sqrt(mu * tau));
  const base = Math.cbrt(mu * mu) + (2 / 3) * r * mu ** (1 / 6) * Math.sqrt(tau);
  return base <= 0 ? 0 : base ** 1.5;
}

export interface EwmaOptions {
  /** Smoothing weight λ of the newest residual, 0 < λ ≤ 1 (default 0.3). */
  readonly lambda: number;
  /** Control limit in standard deviations of the statistic (default 2.7). */
  readonly limit: number;
}

export const EWMA_DEFAULTS: EwmaOptions = { lambda: 0.3, limit: 2.7 };

export interface EwmaPoint {
  /** z_t = λ r_t + (1 − λ) z_{t−1}, z_0 = 0; NaN where the residual is missing (z carries over). */
  readonly statistic: number;
  /** L·σ_t with σ_t² = λ/(2 − λ) · (1 − (1 − λ)^{2t}), t the number of residuals so far. */
  readonly upperLimit: number;
  readonly alarm: boolean;
  /** Pointwise P[Z ≥ z_t] for z_t ~ N(0, σ_t²) (not adjusted for the sequential look). */
  readonly pValue: number;
}

/**
 * One-sided EWMA chart (Roberts 1959; exact time-varying limits, Lucas & Saccucci 1990) of
 * standardised residuals. Missing residuals (NaN) leave the statistic unchanged and get NaN.
 */
export function ewma(residuals: ArrayLike<number>, options: Partial<EwmaOptions> = {}): EwmaPoint[] {
  const { lambda, limit } = { ...EWMA_DEFAULTS, ...options };
  if (!(lambda > 0 && lambda <= 1)) throw new RangeError(`EWMA λ must lie in (0, 1], got ${lambda}`);
  if (!(limit > 0)) throw new RangeError(`EWMA limit must be > 0, got ${limit}`);
  const out: EwmaPoint[] = [];
  let z = 0;
  let decay = 1; // (1 − λ)^{2t}
  const keep = (1 - lambda) * (1 - lambda);
  for (let i = 0; i < residuals.length; i++) {
    const r = residuals[i]!;
    if (Number.isNaN(r)) {
      out.push({ statistic: NaN, upperLimit: NaN, alarm: false, pValue: NaN });
      continue;
    }
    z = lambda * r + (1 - lambda) * z;
    decay *= keep;
    const sigma = Math.sqrt((lambda / (2 - lambda)) * (1 - decay));
    out.push({
      statistic: z,
      upperLimit: limit * sigma,
      alarm: z > limit * sigma,
      pValue: normalCdf(-z / sigma),
    });
  }
  return out;
}

export interface CusumOptions {
  /** Reference value k (allowance) in residual units (default 0.5: tuned to a shift of 1 SD). */
  readonly k: number;
  /** Decision interval h (default 4). */
  readonly h: number;
  /** Starting value S_0 (fast initial response, Lucas & Crosier 1982; default 0). */
  readonly headStart: number;
  /** Restart from 0 after an alarm (default false: the statistic shows how long the excess lasts). */
  readonly resetAfterAlarm: boolean;
}

export const CUSUM_DEFAULTS: CusumOptions = { k: 0.5, h: 4, headStart: 0, resetAfterAlarm: false };

export interface CusumPoint {
  /** S_t = max(0, S_{t−1} + r_t − k); NaN where the residual is missing (S carries over). */
  readonly statistic: number;
  /** S_t ≥ h (as surveillance::algo.cusum). */
  readonly alarm: boolean;
  /** The residual that would have made S_t reach h: h + k − S_{t−1}. */
  readonly residualLimit: number;
}

/**
 * One-sided upper CUSUM (Page 1954) of standardised residuals, as surveillance::algo.cusum applies
 * it to transformed counts. Missing residuals (NaN) leave the statistic unchanged and get NaN.
 */
export function cusum(residuals: ArrayLike<number>, options: Partial<CusumOptions> = {}): CusumPoint[] {
  const { k, h, headStart, resetAfterAlarm } = { ...CUSUM_DEFAULTS, ...options };
  if (!(k >= 0)) throw new RangeError(`CUSUM k must be ≥ 0, got ${k}`);
  if (!(h > 0)) throw new RangeError(`CUSUM h must be > 0, got ${h}`);
  if (!(headStart >= 0 && headStart < h))
    throw new RangeError(`CUSUM head start must lie in [0, h), got ${headStart}`);
  const out: CusumPoint[] = [];
  let s = headStart;
  for (let i = 0; i < residuals.length; i++) {
    const r = residuals[i]!;
    if (Number.isNaN(r)) {
      out.push({ statistic: NaN, alarm: false, residualLimit: NaN });
      continue;
    }
    const residualLimit = h + k - s;
    s = Math.max(0, s + r - k);
    const alarm = s >= h;
    out.push({ statistic: s, alarm, residualLimit });
    if (alarm && resetAfterAlarm) s = 0;
  }
  return out;
}

export interface CountDetectionOptions {
  readonly residual: ResidualType;
  /**
   * Apply the baseline's limit54 rule to the chart alarms too (default true): no EWMA or CUSUM alarm
   * in a period with fewer than limit54[0] cases in the last limit54[1] periods. The statistics still
   * accumulate. Without it, one report after years of zeros (μ ≈ 0) is a huge residual.
   */
  readonly minimumCountRule: boolean;
  readonly ewma: Partial<EwmaOptions>;
  readonly cusum: Partial<CusumOptions>;
}

export interface CountDetection {
  readonly baseline: CountBaselineResult;
  /** Standardised residual against the baseline (NaN without baseline or count). */
  readonly residual: number;
  /** EWMA point; `alarm` also requires the minimum-count rule when that option is on. */
  readonly ewma: EwmaPoint & {
    /** The count at which the EWMA would have crossed its limit this period. */
    readonly countLimit: number;
  };
  /** CUSUM point; `alarm` also requires the minimum-count rule when that option is on. */
  readonly cusum: CusumPoint & {
    /** The count at which the CUSUM would have reached h this period (algo.cusum's upperbound). */
    readonly countLimit: number;
  };
}

/**
 * The count detectors together: the Farrington/Noufaily baseline for each period of `range`
 * (default every period), standardised residuals against it (with τ, so the prediction error of the
 * baseline counts), and the EWMA and CUSUM charts over the periods of `range` in order (periods
 * without a baseline or count are skipped by the charts). Chart alarms obey limit54 by default.
 */
export function detectCounts(
  series: CountSeries,
  control: Partial<FarringtonControl> & { readonly frequency: number },
  options: Partial<CountDetectionOptions> = {},
  range?: readonly number[],
): CountDetection[] {
  const type = options.residual ?? "anscombe";
  const rule = options.minimumCountRule ?? true;
  const ewmaOptions = { ...EWMA_DEFAULTS, ...options.ewma };
  const baselines = farringtonFlexible(series, control, range);
  const residuals = baselines.map((b) =>
    b.kind === "baseline" && !Number.isNaN(b.observed)
      ? standardisedResidual(type, b.observed, b.expected, b.varianceFactor)
      : NaN,
  );
  const e = ewma(residuals, ewmaOptions);
  const cs = cusum(residuals, options.cusum);
  let zPrev = 0;
  return baselines.map((b, i) => {
    const r = residuals[i]!;
    const ei = e[i]!;
    const ci = cs[i]!;
    let ewmaCount = NaN;
    let cusumCount = NaN;
    if (!Number.isNaN(r) && b.kind === "baseline") {
      // z_t > L σ_t  ⇔  r_t > (L σ_t − (1 − λ) z_{t−1}) / λ
      const rLimit = (ei.upperLimit - (1 - ewmaOptions.lambda) * zPrev) / ewmaOptions.lambda;
      ewmaCount = countForResidual(type, rLimit, b.expected, b.varianceFactor);
      cusumCount = countForResidual(type, ci.residualLimit, b.expected, b.varianceFactor);
      zPrev = ei.statistic;
    }
    const allowed = !rule || (b.kind === "baseline" && b.enoughCases);
    return {
      baseline: b,
      residual: r,
      ewma: { ...ei, alarm: ei.alarm && allowed, countLimit: ewmaCount },
      cusum: { ...ci, alarm: ci.alarm && allowed, countLimit: cusumCount },
    };
  });
}
