/**
 * Quasi-Poisson GLM with log link for the count baseline, fitted by iteratively reweighted least
 * squares exactly as R's glm.fit does it (same start μ = y + 0.1, same deviance convergence test
 * |dev − dev_old| / (|dev| + 0.1) < 1e-8, at most 25 iterations, step halving on an invalid fit), so
 * that the fitted values, the dispersion and the hat values agree with R to rounding.
 *
 * The design is the one of Farrington / Noufaily: an intercept, optionally a time trend, optionally a
 * factor (seasonal blocks) and an offset. That structure lets XᵀWX be accumulated in O(n) per
 * iteration (each row touches the intercept, the trend and one factor column), after which the small
 * p × p system is solved by Cholesky in a Float64Array.
 */

/** The data and design of one fit. Level 0 of `group` is the reference level (no column). */
export interface QuasiPoissonDesign {
  /** Counts y ≥ 0. */
  readonly y: Float64Array;
  /** Trend covariate per row, or null for no trend column. */
  readonly time: Float64Array | null;
  /** Factor level per row (0 … levels − 1), or null for no factor. */
  readonly group: Int32Array | null;
  /** Number of factor levels (1 when there is no factor). */
  readonly levels: number;
  /** Offset per row on the log scale, or null. */
  readonly offset: Float64Array | null;
  /** Prior weights (> 0) per row, or null for all 1. */
  readonly priorWeights: Float64Array | null;
}

export interface QuasiPoissonFit {
  readonly converged: boolean;
  readonly iterations: number;
  /** Coefficients: intercept, then the trend (when present), then the factor levels 1 … levels − 1. */
  readonly coefficients: Float64Array;
  /** (XᵀWX)⁻¹, row-major p × p, with W the working weights below (R: chol2inv(qr.R(fit$qr))). */
  readonly covUnscaled: Float64Array;
  /**
   * L⁻¹ for the Cholesky factor XᵀWX = L Lᵀ (row-major, lower triangular): xᵀ(XᵀWX)⁻¹x = ‖L⁻¹x‖²,
   * a sum of squares that keeps its precision where the covariance entries would cancel.
   */
  readonly choleskyInverse: Float64Array;
  readonly fitted: Float64Array;
  /**
   * Working weights prior·μ of the last iteration's weighted least squares, i.e. at the μ before the
   * final update, as R's `fit$weights` (and its QR) are.
   */
  readonly workingWeights: Float64Array;
  readonly deviance: number;
  /** n − p. */
  readonly dfResidual: number;
  /** Pearson dispersion Σ w (y − μ)²/μ² / (n − p) with the working weights (R: summary.glm). */
  readonly dispersion: number;
}

const MAX_IT = 25;
const EPSILON = 1e-8;

/** Number of coefficients of a design. */
export function designColumns(d: QuasiPoissonDesign): number {
  return 1 + (d.time ? 1 : 0) + (d.group ? d.levels - 1 : 0);
}

function deviance(y: Float64Array, mu: Float64Array, prior: Float64Array | null): number {
  let dev = 0;
  for (let i = 0; i < y.length; i++) {
    const yi = y[i]!;
    const mi = mu[i]!;
    const r = yi > 0 ? yi * Math.log(yi / mi) - (yi - mi) : mi;
    dev += prior ? prior[i]! * r : r;
  }
  return 2 * dev;
}

/** R's checks after an IRLS step: a finite deviance and every μ finite and > 0 (quasipoisson validmu). */
function validFit(dev: number, mu: Float64Array): boolean {
  if (!Number.isFinite(dev)) return false;
  for (let i = 0; i < mu.length; i++) if (!(mu[i]! > 0 && mu[i]! < Infinity)) return false;
  return true;
}

/**
 * Cholesky factorisation in place of a symmetric positive definite p × p matrix (lower triangle
 * used); false when a pivot is not clearly positive (collinear columns).
 */
function cholesky(a: Float64Array, p: number): boolean {
  for (let j = 0; j < p; j++) {
    let s = a[j * p + j]!;
    for (let k = 0; k < j; k++) s -= a[j * p + k]! * a[j * p + k]!;
    // Relative to the original diagonal: a pivot this small means a (numerically) dependent column.
    if (!(s > 1e-11 * a[j * p + j]!) || !(s > 0)) return false;
    const l = Math.sqrt(s);
    a[j * p + j] = l;
    for (let i = j + 1; i < p; i++) {
      let t = a[i * p + j]!;
      for (let k = 0; k < j; k++) t -= a[i * p + k]! * a[j * p + k]!;
      a[i * p + j] = t / l;
    }
  }
  return true;
}

/** Solves L Lᵀ x = b in place (L lower triangle of `l`). */
function choleskySolve(l: Float64Array, p: number, b: Float64Array): void {
  for (let i = 0; i < p; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * p + k]! * b[k]!;
    b[i] = s / l[i * p + i]!;
  }
  for (let i = p - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < p; k++) s -= l[k * p + i]! * b[k]!;
    b[i] = s / l[i * p + i]!;
  }
}

/** L⁻¹ of a lower-triangular L (row-major, lower triangle of `l`), by forward substitution. */
function lowerInverse(l: Float64Array, p: number): Float64Array {
  const inv = new Float64Array(p * p);
  for (let j = 0; j < p; j++) {
    inv[j * p + j] = 1 / l[j * p + j]!;
    for (let i = j + 1; i < p; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= l[i * p + k]! * inv[k * p + j]!;
      inv[i * p + j] = s / l[i * p + i]!;
    }
  }
  return inv;
}

/** (L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹ from L⁻¹, as a full symmetric row-major matrix. */
function covarianceFromInverse(li: Float64Array, p: number): Float64Array {
  const cov = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < p; k++) s += li[k * p + i]! * li[k * p + j]!;
      cov[i * p + j] = s;
      cov[j * p + i] = s;
    }
  return cov;
}

/** Column of factor level g (≥ 1) in the coefficient vector. */
function levelColumn(d: QuasiPoissonDesign, g: number): number {
  return (d.time ? 1 : 0) + g;
}

/** Linear predictor Xβ + offset for every row. */
function linearPredictor(d: QuasiPoissonDesign, beta: Float64Array, eta: Float64Array): void {
  const n = d.y.length;
  for (let i = 0; i < n; i++) {
    let e = beta[0]!;
    if (d.time) e += beta[1]! * d.time[i]!;
    if (d.group) {
      const g = d.group[i]!;
      if (g > 0) e += beta[levelColumn(d, g)]!;
    }
    if (d.offset) e += d.offset[i]!;
    eta[i] = e;
  }
}

/**
 * Fits the quasi-Poisson log-linear model by IRLS (R: glm(…, family = quasipoisson(link = "log"),
 * weights = priorWeights)). Returns null when XᵀWX is singular or no valid start exists.
 */
export function fitQuasiPoisson(d: QuasiPoissonDesign): QuasiPoissonFit | null {
  const n = d.y.length;
  const p = designColumns(d);
  if (n <= p) return null;
  const y = d.y;
  const prior = d.priorWeights;
  const eta = new Float64Array(n);
  const mu = new Float64Array(n);
  const w = new Float64Array(n);
  const a = new Float64Array(p * p);
  const rhs = new Float64Array(p);
  // R's quasipoisson()$initialize: mustart = y + 0.1 (prior weights do not enter).
  for (let i = 0; i < n; i++) {
    mu[i] = y[i]! + 0.1;
    eta[i] = Math.log(mu[i]!);
  }
  let devOld = deviance(y, mu, prior);
  let beta: Float64Array | null = null;
  let betaOld: Float64Array | null = null;
  let dev = devOld;
  let converged = false;
  let iterations = 0;
  const time = d.time;
  for (let iter = 1; iter <= MAX_IT; iter++) {
    iterations = iter;
    a.fill(0);
    rhs.fill(0);
    for (let i = 0; i < n; i++) {
      const m = mu[i]!;
      // Log link: dμ/dη = μ, variance μ, so the working weight is prior·μ and z = η − offset + (y − μ)/μ.
      const wi = (prior ? prior[i]! : 1) * m;
      w[i] = wi;
      const zi = eta[i]! - (d.offset ? d.offset[i]! : 0) + (y[i]! - m) / m;
      const wz = wi * zi;
      a[0] = a[0]! + wi;
      rhs[0] = rhs[0]! + wz;
      if (time) {
        const t = time[i]!;
        a[1] = a[1]! + wi * t;
        a[p + 1] = a[p + 1]! + wi * t * t;
        rhs[1] = rhs[1]! + wz * t;
      }
      if (d.group) {
        const g = d.group[i]!;
        if (g > 0) {
          const c = levelColumn(d, g);
          a[c] = a[c]! + wi;
          a[c * p + c] = a[c * p + c]! + wi;
          rhs[c] = rhs[c]! + wz;
          if (time) a[p + c] = a[p + c]! + wi * time[i]!;
        }
      }
    }
    // Mirror the upper triangle accumulated above into the lower one the Cholesky reads.
    for (let r = 1; r < p; r++) for (let c = 0; c < r; c++) a[r * p + c] = a[c * p + r]!;
    if (!cholesky(a, p)) return null;
    choleskySolve(a, p, rhs);
    betaOld = beta;
    beta = Float64Array.from(rhs);
    linearPredictor(d, beta, eta);
    for (let i = 0; i < n; i++) mu[i] = Math.exp(eta[i]!);
    dev = deviance(y, mu, prior);
    // R's step halving when the deviance is not finite or μ is not valid (0 or ∞ after exp).
    let invalid = !validFit(dev, mu);
    for (let ii = 1; invalid; ii++) {
      if (betaOld === null || ii > MAX_IT) return null;
      for (let j = 0; j < p; j++) beta[j] = (beta[j]! + betaOld[j]!) / 2;
      linearPredictor(d, beta, eta);
      for (let i = 0; i < n; i++) mu[i] = Math.exp(eta[i]!);
      dev = deviance(y, mu, prior);
      invalid = !validFit(dev, mu);
    }
    if (Math.abs(dev - devOld) / (Math.abs(dev) + 0.1) < EPSILON) {
      converged = true;
      break;
    }
    devOld = dev;
  }
  const dfResidual = n - p;
  let pearson = 0;
  for (let i = 0; i < n; i++) {
    const r = (y[i]! - mu[i]!) / mu[i]!;
    pearson += w[i]! * r * r;
  }
  const li = lowerInverse(a, p);
  return {
    converged,
    iterations,
    coefficients: beta!,
    covUnscaled: covarianceFromInverse(li, p),
    choleskyInverse: li,
    fitted: mu,
    workingWeights: w,
    deviance: dev,
    dfResidual,
    dispersion: pearson / dfResidual,
  };
}

/**
 * xᵀ (XᵀWX)⁻¹ x = ‖L⁻¹x‖² for a row x of the design (intercept, `time`, factor level `group`; group 0
 * or no factor: no level column): the unscaled variance of the linear predictor there. x has at most
 * three non-zero entries, so L⁻¹x is the sum of (at most) three columns of L⁻¹.
 */
export function leverageQuadratic(
  d: QuasiPoissonDesign,
  fit: Pick<QuasiPoissonFit, "choleskyInverse">,
  time: number,
  group: number,
): number {
  const p = designColumns(d);
  const li = fit.choleskyInverse;
  const c = d.group && group > 0 ? levelColumn(d, group) : -1;
  const t = d.time ? time : 0;
  let s = 0;
  for (let r = 0; r < p; r++) {
    let v = li[r * p]!;
    if (d.time) v += t * li[r * p + 1]!;
    if (c >= 0) v += li[r * p + c]!;
    s += v * v;
  }
  return s;
}

/** Hat values wᵢ xᵢᵀ(XᵀWX)⁻¹xᵢ of a fit, values within 10ε of 1 set to 1 (R: hatvalues / lm.influence). */
export function hatValues(d: QuasiPoissonDesign, fit: QuasiPoissonFit): Float64Array {
  const n = d.y.length;
  const h = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v =
      fit.workingWeights[i]! * leverageQuadratic(d, fit, d.time ? d.time[i]! : 0, d.group ? d.group[i]! : 0);
    h[i] = v > 1 - 10 * 2.220446049250313e-16 ? 1 : v;
  }
  return h;
}
