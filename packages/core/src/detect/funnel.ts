/**
 * Funnel-plot control limits (Spiegelhalter 2005, "Funnel plots for comparing institutional
 * performance", Stat Med 24:1185–1202), the multiplicative overdispersion factor φ from winsorised
 * z-scores and the additive random-effects variance τ² (Spiegelhalter 2005, "Handling over-dispersion
 * of performance indicators", Qual Saf Health Care 14:347–351). See docs/methods.md, "Early warning:
 * building blocks".
 */
import {
  binomialCdf,
  binomialPmf,
  binomialUpperTail,
  chiSquareUpperTail,
  normalPdf,
  normalQuantile,
  poissonCdf,
  poissonPmf,
  poissonUpperTail,
} from "./distributions.js";

/** binomial: a proportion numerator/denominator; poisson: a count per unit of exposure (rate or O/E). */
export type FunnelModel = "binomial" | "poisson";

function checkArgs(model: FunnelModel, target: number, denominator: number, p: number): void {
  if (!(p > 0 && p < 1)) throw new RangeError(`probability must lie in (0, 1), got ${p}`);
  if (model === "binomial") {
    if (!(target > 0 && target < 1))
      throw new RangeError(`binomial target must lie in (0, 1), got ${target}`);
    if (!Number.isInteger(denominator) || denominator < 1)
      throw new RangeError(`binomial denominator must be a whole number ≥ 1, got ${denominator}`);
  } else {
    if (!(target > 0) || !Number.isFinite(target))
      throw new RangeError(`Poisson target must be finite and > 0, got ${target}`);
    if (!(denominator > 0) || !Number.isFinite(denominator))
      throw new RangeError(`Poisson exposure must be finite and > 0, got ${denominator}`);
  }
}

/**
 * The exact p-limit of a funnel plot on the scale of the indicator (proportion or rate):
 * with X ~ Bin(n, θ) or Poisson(θ·n), r_p the smallest r with P[X ≤ r] ≥ p and
 * α = (P[X ≤ r_p] − p) / P[X = r_p], the limit is (r_p − α) / n (Spiegelhalter 2005, appendix A.1.1:
 * the p-quantile of X − U with U uniform on (0, 1), which interpolates between the discrete steps).
 * Upper limits use p > ½ (e.g. 0.975, 0.999), lower limits 1 − p. A lower limit can lie slightly
 * below 0 for a small expected count; a display clamps, a comparison need not.
 */
export function funnelLimit(model: FunnelModel, target: number, denominator: number, p: number): number {
  checkArgs(model, target, denominator, p);
  const n = denominator;
  const upperTail = p >= 0.5;
  // P[X ≤ r] − p, computed from the tail on p's side to keep precision near 1.
  let excess: (r: number) => number;
  let pmf: (r: number) => number;
  let mean: number;
  let sd: number;
  let maxR: number;
  if (model === "binomial") {
    excess = upperTail
      ? (r) => 1 - p - binomialUpperTail(r + 1, n, target)
      : (r) => binomialCdf(r, n, target) - p;
    pmf = (r) => binomialPmf(r, n, target);
    mean = n * target;
    sd = Math.sqrt(n * target * (1 - target));
    maxR = n;
  } else {
    const lambda = target * n;
    excess = upperTail ? (r) => 1 - p - poissonUpperTail(r + 1, lambda) : (r) => poissonCdf(r, lambda) - p;
    pmf = (r) => poissonPmf(r, lambda);
    mean = lambda;
    sd = Math.sqrt(lambda);
    maxR = Infinity;
  }
  // Start from the normal approximation, then walk to the smallest r with P[X ≤ r] ≥ p.
  let r = Math.min(maxR, Math.max(0, Math.floor(mean + normalQuantile(p) * sd)));
  while (r > 0 && excess(r - 1) >= 0) r--;
  while (r < maxR && excess(r) < 0) r++;
  const alpha = excess(r) / pmf(r);
  return (r - alpha) / n;
}

/** Lower and upper limit at one probability level p (½ < p < 1), optionally inflated by φ. */
export interface FunnelLimits {
  readonly probability: number;
  readonly lower: number;
  readonly upper: number;
}

/**
 * Two-sided funnel limits at each probability p (e.g. [0.975, 0.999]): lower = limit at 1 − p,
 * upper = limit at p. With overdispersion φ the distance to the target is stretched by √φ:
 * θ + √φ (limit − θ) (the multiplicative model; φ = 1 leaves the exact limits). Whether to inflate
 * (e.g. only when φ > 1) is the caller's choice.
 */
export function funnelLimits(
  model: FunnelModel,
  target: number,
  denominator: number,
  probabilities: readonly number[],
  phi = 1,
): FunnelLimits[] {
  if (!(phi > 0) || !Number.isFinite(phi)) throw new RangeError(`φ must be finite and > 0, got ${phi}`);
  const stretch = Math.sqrt(phi);
  return probabilities.map((p) => {
    if (!(p > 0.5 && p < 1)) throw new RangeError(`funnel probability must lie in (0.5, 1), got ${p}`);
    const lower = funnelLimit(model, target, denominator, 1 - p);
    const upper = funnelLimit(model, target, denominator, p);
    return {
      probability: p,
      lower: target + stretch * (lower - target),
      upper: target + stretch * (upper - target),
    };
  });
}

/**
 * The z-score of one area under the null (Spiegelhalter 2005): (y − θ) / √(V(θ)/n), with y the
 * observed proportion or rate, V(θ) = θ(1 − θ) (binomial) or θ (Poisson).
 */
export function funnelZScore(
  model: FunnelModel,
  observed: number,
  denominator: number,
  target: number,
): number {
  checkArgs(model, target, denominator, 0.5);
  const y = observed / denominator;
  return (y - target) / Math.sqrt(funnelVariance(model, denominator, target));
}

/**
 * The within-area variance of the observed proportion or rate under the null, s² = V(θ)/n with
 * V(θ) = θ(1 − θ) (binomial) or θ (Poisson): the variance of `funnelZScore`'s denominator.
 */
export function funnelVariance(model: FunnelModel, denominator: number, target: number): number {
  checkArgs(model, target, denominator, 0.5);
  return (model === "binomial" ? target * (1 - target) : target) / denominator;
}

/**
 * The z-score of one area under the additive random-effects model (Spiegelhalter 2005, QSHC):
 * (y − θ) / √(V(θ)/n + τ²). τ² = 0 gives `funnelZScore`.
 */
export function randomEffectsZScore(
  model: FunnelModel,
  observed: number,
  denominator: number,
  target: number,
  tau2: number,
): number {
  if (!(tau2 >= 0) || !Number.isFinite(tau2)) throw new RangeError(`τ² must be finite and ≥ 0, got ${tau2}`);
  const y = observed / denominator;
  return (y - target) / Math.sqrt(funnelVariance(model, denominator, target) + tau2);
}

/** R's default quantile (type 7: linear interpolation between order statistics) of sorted values. */
export function quantileSorted(sorted: ArrayLike<number>, prob: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError("quantile of an empty sample");
  const h = (n - 1) * prob;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (h - lo) * (b - a);
}

export interface Overdispersion {
  /** φ = mean of the squared winsorised z-scores. */
  readonly phi: number;
  /** Number of areas (I). */
  readonly areas: number;
  /** Winsorising bounds: the winsor and 1 − winsor quantiles (R type 7) of the z-scores. */
  readonly lowerBound: number;
  readonly upperBound: number;
  /** I·φ, approximately χ² with I − 1 degrees of freedom when there is no overdispersion. */
  readonly statistic: number;
  /** P[χ²_{I−1} > I·φ]: small values signal overdispersion. */
  readonly pValue: number;
}

/**
 * Overdispersion factor from z-scores (Spiegelhalter 2005): z-scores below the `winsor` quantile
 * are set to it, those above the 1 − `winsor` quantile likewise (default 10 %), and
 * φ = Σ z_w² / I. Non-finite z-scores are rejected.
 */
export function overdispersion(zScores: readonly number[], winsor = 0.1): Overdispersion {
  if (!(winsor >= 0 && winsor < 0.5)) throw new RangeError(`winsor must lie in [0, 0.5), got ${winsor}`);
  const areas = zScores.length;
  if (areas < 2) throw new RangeError(`overdispersion needs at least 2 areas, got ${areas}`);
  for (const z of zScores) if (!Number.isFinite(z)) throw new RangeError(`z-score not finite: ${z}`);
  const sorted = [...zScores].sort((a, b) => a - b);
  const lowerBound = quantileSorted(sorted, winsor);
  const upperBound = quantileSorted(sorted, 1 - winsor);
  let sum = 0;
  for (const z of zScores) {
    const w = Math.min(upperBound, Math.max(lowerBound, z));
    sum += w * w;
  }
  const phi = sum / areas;
  const statistic = areas * phi;
  return { phi, areas, lowerBound, upperBound, statistic, pValue: chiSquareUpperTail(statistic, areas - 1) };
}

export interface RandomEffectsOverdispersion extends Overdispersion {
  /**
   * The between-area variance τ² on the scale of the indicator (proportion or rate per unit):
   * max(0, (I·φ − (I − 1)) / (Σwᵢ − Σwᵢ²/Σwᵢ)), wᵢ = 1/sᵢ².
   */
  readonly tau2: number;
  /** Σwᵢ − Σwᵢ²/Σwᵢ, the denominator of τ² (> 0 unless a single weight dominates). */
  readonly weightSpread: number;
}

/**
 * The additive random-effects overdispersion of Spiegelhalter (2005, QSHC 14:347, the additive
 * model): yᵢ ~ N(θᵢ, sᵢ²) with θᵢ ~ N(θ, τ²). φ as in `overdispersion` (winsorised z-scores), then
 * τ² by the DerSimonian–Laird moment form with the winsorised φ in place of Cochran's Q/I:
 * τ² = max(0, (I·φ − (I − 1)) / (Σwᵢ − Σwᵢ²/Σwᵢ)) with wᵢ = 1/sᵢ², sᵢ² = V(θ)/nᵢ the areas'
 * within-area variances (`funnelVariance`; the areas' targets may differ). z-scores and variances
 * are matched by index. The χ² test of φ (`pValue`) is returned unchanged; whether to use τ² when
 * it is not significant is the caller's choice.
 */
export function randomEffectsTau2(
  zScores: readonly number[],
  variances: readonly number[],
  winsor = 0.1,
): RandomEffectsOverdispersion {
  if (variances.length !== zScores.length)
    throw new RangeError(`${zScores.length} z-scores but ${variances.length} variances`);
  const over = overdispersion(zScores, winsor);
  let minV = Infinity;
  for (const v of variances) {
    if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`variance must be finite and > 0, got ${v}`);
    minV = Math.min(minV, v);
  }
  // Weights relative to the largest one, so Σw² cannot overflow: Σw − Σw²/Σw = w_max·(S₁ − S₂/S₁).
  let s1 = 0;
  let s2 = 0;
  for (const v of variances) {
    const w = minV / v;
    s1 += w;
    s2 += w * w;
  }
  const weightSpread = (s1 - s2 / s1) / minV;
  const excess = over.statistic - (over.areas - 1);
  const tau2 = excess > 0 && weightSpread > 0 ? excess / weightSpread : 0;
  return { ...over, tau2, weightSpread };
}

/**
 * E[w(Z)²] for Z ~ N(0, 1) winsorised at its own `winsor` and 1 − `winsor` quantiles ±c,
 * c = Φ⁻¹(1 − winsor): (1 − 2·winsor) − 2c·φ(c) + 2·winsor·c². 1 for winsor = 0; 0.6787 for 10 %.
 * The mean of squared winsorised z-scores estimates φ times this constant, not φ.
 */
export function winsorisedNormalSecondMoment(winsor: number): number {
  if (!(winsor >= 0 && winsor < 0.5)) throw new RangeError(`winsor must lie in [0, 0.5), got ${winsor}`);
  if (winsor === 0) return 1;
  const c = normalQuantile(1 - winsor);
  return 1 - 2 * winsor - 2 * c * normalPdf(c) + 2 * winsor * c * c;
}

export interface RobustRandomEffects extends RandomEffectsOverdispersion {
  /** The consistency constant E[w(Z)²] of `winsorisedNormalSecondMoment`. */
  readonly consistency: number;
  /** φ / consistency: a consistent estimate of the overdispersion factor under the normal model. */
  readonly phiConsistent: number;
  /** Bisection steps used to solve for τ² (0 when τ² = 0). */
  readonly iterations: number;
}

/**
 * A robust, consistent estimate of the additive between-area variance τ² (our method; see
 * docs/methods.md, "Overdispersion: a consistent robust τ²"). Spiegelhalter's winsorised φ is biased
 * low (for N(0, 1) z-scores winsorised at 10 % its expectation is 0.68, not 1), and the
 * DerSimonian–Laird form built on it underestimates τ² by a factor of about 2–3 when the areas truly
 * vary (measured in the backtest): the funnel then flags areas that merely sit in the tail of the
 * between-area spread. Here τ² solves the moment equation of the winsorised, standardised residuals
 *
 *   mean over i of w(zᵢ*(τ²))² = E[w(Z)²],  zᵢ*(τ²) = rᵢ / √(sᵢ² + τ²),
 *
 * w winsorising at the sample's `winsor` and 1 − `winsor` quantiles of the zᵢ*, rᵢ = yᵢ − θᵢ the
 * residuals, sᵢ² the within-area variances. Under the random-effects model zᵢ*(τ²) ~ N(0, 1), so the
 * equation holds at the true τ² (a Paule–Mandel-type estimator, made robust to the very outliers the
 * test looks for by the winsorising). τ² = 0 when the left side is already ≤ the constant at τ² = 0.
 * The χ² test of overdispersion reads I·φ/E[w(Z)²] on I − 1 degrees of freedom. Residuals are given
 * as z-scores with their variances (rᵢ = zᵢ·sᵢ), matched by index.
 */
export function robustRandomEffectsTau2(
  zScores: readonly number[],
  variances: readonly number[],
  winsor = 0.1,
): RobustRandomEffects {
  const base = randomEffectsTau2(zScores, variances, winsor);
  const consistency = winsorisedNormalSecondMoment(winsor);
  const phiConsistent = base.phi / consistency;
  const statistic = base.areas * phiConsistent;
  const pValue = chiSquareUpperTail(statistic, base.areas - 1);
  const n = zScores.length;
  const residual = new Float64Array(n);
  let maxR2 = 0;
  for (let i = 0; i < n; i++) {
    residual[i] = (zScores[i] as number) * Math.sqrt(variances[i] as number);
    maxR2 = Math.max(maxR2, (residual[i] as number) ** 2);
  }
  const scratch = new Float64Array(n);
  const sorted = new Float64Array(n);
  // Mean squared winsorised z*(τ²) minus the constant: positive while τ² is too small.
  const excess = (tau2: number): number => {
    for (let i = 0; i < n; i++)
      scratch[i] = (residual[i] as number) / Math.sqrt((variances[i] as number) + tau2);
    sorted.set(scratch);
    sorted.sort();
    const lo = quantileSorted(sorted, winsor);
    const hi = quantileSorted(sorted, 1 - winsor);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const w = Math.min(hi, Math.max(lo, scratch[i] as number));
      sum += w * w;
    }
    return sum / n - consistency;
  };
  let tau2 = 0;
  let iterations = 0;
  if (excess(0) > 0 && maxR2 > 0) {
    // The left side falls towards 0 as τ² grows (every |zᵢ*| shrinks): grow the bracket until it
    // is below the constant.
    let lo = 0;
    let hi = maxR2;
    while (excess(hi) > 0 && hi < maxR2 * 1e12) hi *= 4;
    // Bisection to a relative width of 1e-10 (≤ ~80 steps).
    while (hi - lo > 1e-10 * hi && iterations < 200) {
      const mid = (lo + hi) / 2;
      if (excess(mid) > 0) lo = mid;
      else hi = mid;
      iterations++;
    }
    tau2 = (lo + hi) / 2;
  }
  return { ...base, statistic, pValue, tau2, consistency, phiConsistent, iterations };
}
