/**
 * Distributions the count detectors need beyond distributions.ts: the negative binomial (tails and
 * quantile, as R's pnbinom/qnbinom with `size` and `prob`), the Poisson quantile (R's qpois) and the
 * Student t tail (R's pt) for the trend test of the quasi-Poisson baseline.
 *
 * The negative binomial and t tails are regularised incomplete beta functions, evaluated like
 * distributions.ts (Numerical Recipes §6.4 continued fraction, modified Lentz, on the side that is
 * not close to 1). The prefactor xᵃ yᵇ / (a B(a,b)) is taken in logs with R's lbeta (Stirling
 * corrections for large arguments), so it keeps ~1e-12 relative precision for sizes up to 1e7.
 */
import { betaContinuedFraction, logGamma, normalQuantile, poissonCdf } from "./distributions.js";

const LN_SQRT_2PI = 0.9189385332046728;
const DBL_EPSILON = 2.220446049250313e-16;

/** lgamma(x) − [(x − ½) log x − x + log √(2π)] for x ≥ 10 (R's lgammacor), Stirling series. */
function lgammaCorrection(x: number): number {
  const xx = 1 / (x * x);
  // 1/(12x) − 1/(360x³) + 1/(1260x⁵) − 1/(1680x⁷) + 1/(1188x⁹): error < 1e-15 for x ≥ 10
  return (1 / 12 - xx * (1 / 360 - xx * (1 / 1260 - xx * (1 / 1680 - xx / 1188)))) / x;
}

/** log B(a, b) without the cancellation of log Γ differences for large arguments (R's lbeta). */
export function logBeta(a: number, b: number): number {
  const p = Math.min(a, b);
  const q = Math.max(a, b);
  if (!(p > 0)) throw new RangeError(`logBeta needs a, b > 0, got ${a}, ${b}`);
  if (p >= 10) {
    const corr = lgammaCorrection(p) + lgammaCorrection(q) - lgammaCorrection(p + q);
    return (
      -0.5 * Math.log(q) +
      LN_SQRT_2PI +
      corr +
      (p - 0.5) * Math.log(p / (p + q)) +
      q * Math.log1p(-p / (p + q))
    );
  }
  if (q >= 10) {
    const corr = lgammaCorrection(q) - lgammaCorrection(p + q);
    return logGamma(p) + corr + p - p * Math.log(p + q) + (q - 0.5) * Math.log1p(-p / (p + q));
  }
  return logGamma(p) + logGamma(q) - logGamma(p + q);
}

/** xᵃ yᵇ / (a B(a,b)), in logs. */
function betaFront(a: number, b: number, x: number, y: number): number {
  return Math.exp(a * Math.log(x) + b * Math.log(y) - logBeta(a, b) - Math.log(a));
}

/**
 * Regularised incomplete beta, both sides: [I_x(a,b), 1 − I_x(a,b)], with y = 1 − x given separately
 * (so a y close to 0 keeps its precision). The side not close to 1 is computed directly.
 */
export function betaRegularizedPair(a: number, b: number, x: number, y: number): [number, number] {
  if (!(a > 0 && b > 0)) throw new RangeError(`incomplete beta needs a, b > 0, got ${a}, ${b}`);
  if (x <= 0) return [0, 1];
  if (y <= 0) return [1, 0];
  if (x < (a + 1) / (a + b + 2)) {
    const lower = betaFront(a, b, x, y) * betaContinuedFraction(a, b, x);
    return [lower, 1 - lower];
  }
  const upper = betaFront(b, a, y, x) * betaContinuedFraction(b, a, y);
  return [1 - upper, upper];
}

function checkNegativeBinomial(size: number, prob: number): void {
  if (!(size >= 0) || !Number.isFinite(size))
    throw new RangeError(`NB size must be finite and ≥ 0, got ${size}`);
  if (!(prob > 0 && prob <= 1)) throw new RangeError(`NB prob must lie in (0, 1], got ${prob}`);
}

/**
 * P[X ≤ k] for X ~ NB(size, prob) (R: pnbinom(k, size, prob)): the number of failures before the
 * size-th success, mean size·(1 − prob)/prob. `q` = 1 − prob may be passed for precision near prob = 1.
 * k is floored. size = 0 is the point mass at 0.
 */
export function negativeBinomialCdf(k: number, size: number, prob: number, q = 1 - prob): number {
  checkNegativeBinomial(size, prob);
  const x = Math.floor(k);
  if (x < 0) return 0;
  if (size === 0 || prob === 1) return 1;
  // P[X ≤ x] = I_prob(size, x + 1)
  return betaRegularizedPair(size, x + 1, prob, q)[0];
}

/** P[X ≥ k] for X ~ NB(size, prob) (R: pnbinom(k − 1, size, prob, lower.tail = FALSE)). k is ceiled. */
export function negativeBinomialUpperTail(k: number, size: number, prob: number, q = 1 - prob): number {
  checkNegativeBinomial(size, prob);
  const x = Math.ceil(k);
  if (x <= 0) return 1;
  if (size === 0 || prob === 1) return 0;
  // P[X ≥ x] = 1 − I_prob(size, x) = I_q(x, size)
  return betaRegularizedPair(size, x, prob, q)[1];
}

/**
 * The smallest integer y ≥ 0 with cdf(y) ≥ p·(1 − 64ε), searched from `start` (R's do_search in
 * qpois/qnbinom, including its fuzz for left continuity).
 */
function discreteQuantile(p: number, start: number, cdf: (y: number) => number): number {
  const target = p * (1 - 64 * DBL_EPSILON);
  let y = Math.max(0, start);
  if (cdf(y) >= target) {
    while (y > 0 && cdf(y - 1) >= target) y--;
    return y;
  }
  do y++;
  while (cdf(y) < target);
  return y;
}

/** Cornish–Fisher start of R's discrete quantiles: round(μ + σ(z + γ(z² − 1)/6)). */
function cornishFisher(p: number, mu: number, sigma: number, gamma: number): number {
  const z = normalQuantile(p);
  const y = Math.round(mu + sigma * (z + (gamma * (z * z - 1)) / 6));
  return Number.isFinite(y) ? y : 0;
}

/** p-quantile of Poisson(λ) (R: qpois(p, λ)), 0 < p < 1. */
export function poissonQuantile(p: number, lambda: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`probability must lie in (0, 1), got ${p}`);
  if (!(lambda >= 0) || !Number.isFinite(lambda))
    throw new RangeError(`Poisson mean must be finite and ≥ 0, got ${lambda}`);
  if (lambda === 0) return 0;
  const sigma = Math.sqrt(lambda);
  return discreteQuantile(p, cornishFisher(p, lambda, sigma, 1 / sigma), (y) => poissonCdf(y, lambda));
}

/** p-quantile of NB(size, prob) (R: qnbinom(p, size, prob)), 0 < p < 1. */
export function negativeBinomialQuantile(p: number, size: number, prob: number, q = 1 - prob): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`probability must lie in (0, 1), got ${p}`);
  checkNegativeBinomial(size, prob);
  if (size === 0 || prob === 1) return 0;
  const Q = 1 / prob;
  const P = q * Q;
  const mu = size * P;
  const sigma = Math.sqrt(size * P * Q);
  const start = cornishFisher(p, mu, sigma, (Q + P) / sigma);
  return discreteQuantile(p, start, (y) => negativeBinomialCdf(y, size, prob, q));
}

/** P[T > t] for T ~ Student t with df > 0 degrees of freedom (R: pt(t, df, lower.tail = FALSE)). */
export function studentTUpperTail(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`t df must be > 0, got ${df}`);
  if (Number.isNaN(t)) return NaN;
  if (t === Infinity) return 0;
  if (t === -Infinity) return 1;
  // P[|T| > |t|] = I_{df/(df+t²)}(df/2, ½)
  const t2 = t * t;
  const [twoSided] = betaRegularizedPair(df / 2, 0.5, df / (df + t2), t2 / (df + t2));
  return t > 0 ? twoSided / 2 : 1 - twoSided / 2;
}

function checkBetaBinomial(n: number, alpha: number, beta: number): void {
  if (!(n >= 0) || !Number.isInteger(n))
    throw new RangeError(`beta-binomial n must be an integer ≥ 0, got ${n}`);
  if (!(alpha > 0 && beta > 0) || !Number.isFinite(alpha) || !Number.isFinite(beta))
    throw new RangeError(`beta-binomial α, β must be finite and > 0, got ${alpha}, ${beta}`);
}

/** log P[X = k] for X ~ BetaBinomial(n, α, β): log C(n, k) + log B(k + α, n − k + β) − log B(α, β). */
export function betaBinomialLogPmf(k: number, n: number, alpha: number, beta: number): number {
  checkBetaBinomial(n, alpha, beta);
  if (!Number.isInteger(k) || k < 0 || k > n) return -Infinity;
  return (
    -Math.log(n + 1) - logBeta(n - k + 1, k + 1) + logBeta(k + alpha, n - k + beta) - logBeta(alpha, beta)
  );
}

/**
 * Above this standard deviation of the count the tails are not summed term by term (≈ 9 SD of
 * terms each) but read from the beta distribution with the same mean and variance of X/n.
 */
const BETA_BINOMIAL_SUM_MAX_SD = 5000;

/**
 * Σ of the pmf from `from` away from the centre (step +1 or −1) until the terms no longer count
 * (< 1e-17 of the sum), by the ratio pmf(k ± 1)/pmf(k).
 */
function betaBinomialTailSum(from: number, step: 1 | -1, n: number, alpha: number, beta: number): number {
  let k = from;
  let term = Math.exp(betaBinomialLogPmf(k, n, alpha, beta));
  let sum = 0;
  for (;;) {
    sum += term;
    const next = k + step;
    if (next < 0 || next > n) break;
    term *=
      step === 1
        ? ((n - k) * (k + alpha)) / ((k + 1) * (n - k - 1 + beta))
        : (k * (n - k + beta)) / ((n - k + 1) * (k - 1 + alpha));
    k = next;
    if (term < sum * 1e-17 || term === 0) break;
  }
  return Math.min(1, sum);
}

/** Moments of X ~ BetaBinomial(n, α, β): [mean, SD]. */
function betaBinomialMoments(n: number, alpha: number, beta: number): [number, number] {
  const s = alpha + beta;
  const p = alpha / s;
  return [n * p, Math.sqrt((n * p * (1 - p) * (s + n)) / (s + 1))];
}

/**
 * P[X ≥ k] for X ~ BetaBinomial(n, α, β): the number of successes in n trials whose success
 * probability is drawn from Beta(α, β) (the random-effects model of a proportion). k is ceiled.
 * Summed from the side where the terms fall (exact to ~1e-14 relative); when the count's SD exceeds
 * 5,000 (only for n in the hundreds of thousands), the tail of the beta distribution with the same
 * mean and variance of X/n at (k − ½)/n.
 */
export function betaBinomialUpperTail(k: number, n: number, alpha: number, beta: number): number {
  checkBetaBinomial(n, alpha, beta);
  const x = Math.ceil(k);
  if (x <= 0) return 1;
  if (x > n) return 0;
  const [mean, sd] = betaBinomialMoments(n, alpha, beta);
  if (sd > BETA_BINOMIAL_SUM_MAX_SD) return momentBetaTail(x - 0.5, n, mean, sd, "upper");
  if (x > mean) return betaBinomialTailSum(x, 1, n, alpha, beta);
  return Math.max(0, 1 - betaBinomialTailSum(x - 1, -1, n, alpha, beta));
}

/** P[X ≤ k] for X ~ BetaBinomial(n, α, β); k is floored. See `betaBinomialUpperTail`. */
export function betaBinomialCdf(k: number, n: number, alpha: number, beta: number): number {
  checkBetaBinomial(n, alpha, beta);
  const x = Math.floor(k);
  if (x < 0) return 0;
  if (x >= n) return 1;
  const [mean, sd] = betaBinomialMoments(n, alpha, beta);
  if (sd > BETA_BINOMIAL_SUM_MAX_SD) return momentBetaTail(x + 0.5, n, mean, sd, "lower");
  if (x < mean) return betaBinomialTailSum(x, -1, n, alpha, beta);
  return Math.max(0, 1 - betaBinomialTailSum(x + 1, 1, n, alpha, beta));
}

/** The beta distribution with the mean and variance of X/n, read at count c (continuity-corrected). */
function momentBetaTail(c: number, n: number, mean: number, sd: number, side: "upper" | "lower"): number {
  const m = mean / n;
  const v = (sd / n) ** 2;
  const s = (m * (1 - m)) / v - 1;
  const u = Math.min(1, Math.max(0, c / n));
  const [lower, upper] = betaRegularizedPair(m * s, (1 - m) * s, u, 1 - u);
  return side === "upper" ? upper : lower;
}
