/**
 * Distributions for the detectors (docs/methods.md, "Early warning: building blocks"): the normal CDF
 * and quantile, exact binomial and Poisson tails and the chi-square tail.
 *
 * Tails are computed in the direction asked for, never as 1 − (a number close to 1), so a tiny
 * p-value keeps its relative precision. The densities follow Loader (2000), "Fast and accurate
 * computation of binomial probabilities" (saddle-point form with stirlerr and bd0, as R's dbinom and
 * dpois); the incomplete beta and gamma functions are the continued fraction (modified Lentz) and
 * series of Numerical Recipes §6.2/§6.4 with that density as prefactor; the quantile is Wichura's
 * AS 241 (PPND16), as R's qnorm.
 */

const LN_SQRT_2PI = 0.9189385332046728; // log(sqrt(2π))
const TWO_PI = 2 * Math.PI;
const EPS = 1e-16;
const TINY = 1e-300;
const MAX_ITER = 100_000;

/** Stirling series error for n > 15: log Γ(n+1) − [(n+½) log n − n + log √(2π)]. */
function stirlerrSeries(n: number): number {
  const S0 = 1 / 12;
  const S1 = 1 / 360;
  const S2 = 1 / 1260;
  const S3 = 1 / 1680;
  const S4 = 1 / 1188;
  const nn = n * n;
  if (n > 500) return (S0 - S1 / nn) / n;
  if (n > 80) return (S0 - (S1 - S2 / nn) / nn) / n;
  if (n > 35) return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n;
  return (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n;
}

/** log Γ(x) for x > 0: shifted up past 16 and evaluated with the Stirling series. */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma needs x > 0, got ${x}`);
  if (!Number.isFinite(x)) return Infinity;
  let shift = 0;
  let y = x;
  while (y <= 16) {
    shift += Math.log(y);
    y += 1;
  }
  // log Γ(y) = log Γ((y−1)+1)
  const m = y - 1;
  return stirlerrSeries(m) + (m + 0.5) * Math.log(m) - m + LN_SQRT_2PI - shift;
}

/** Loader's stirlerr(n) = log Γ(n+1) − [(n+½) log n − n + log √(2π)], n > 0. */
function stirlerr(n: number): number {
  if (n > 15) return stirlerrSeries(n);
  return logGamma(n + 1) - (n + 0.5) * Math.log(n) + n - LN_SQRT_2PI;
}

/** Loader's bd0(x, np) = x log(x/np) + np − x, computed without cancellation near x = np. */
function bd0(x: number, np: number): number {
  if (Math.abs(x - np) < 0.1 * (x + np)) {
    let v = (x - np) / (x + np);
    let s = (x - np) * v;
    if (Math.abs(s) < Number.MIN_VALUE) return s;
    let ej = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      ej *= v;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
  }
  return x * Math.log(x / np) + np - x;
}

/** C(n, x) pᵡ qⁿ⁻ᵡ for real 0 ≤ x ≤ n, with q = 1 − p given separately (Loader's dbinom_raw). */
function dbinomRaw(x: number, n: number, p: number, q: number): number {
  if (p === 0) return x === 0 ? 1 : 0;
  if (q === 0) return x === n ? 1 : 0;
  if (x === 0) {
    if (n === 0) return 1;
    return Math.exp(p < 0.1 ? -bd0(n, n * q) - n * p : n * Math.log(q));
  }
  if (x === n) return Math.exp(q < 0.1 ? -bd0(n, n * p) - n * q : n * Math.log(p));
  if (x < 0 || x > n) return 0;
  const lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q);
  const lf = Math.log(TWO_PI) + Math.log(x) + Math.log1p(-x / n);
  return Math.exp(lc - 0.5 * lf);
}

/** λˣ e^−λ / Γ(x+1) for real x ≥ 0 (Loader's dpois_raw). */
function dpoisRaw(x: number, lambda: number): number {
  if (lambda === 0) return x === 0 ? 1 : 0;
  if (x < 0) return 0;
  if (x <= lambda * Number.MIN_VALUE) return Math.exp(-lambda);
  if (lambda < x * Number.MIN_VALUE) return Math.exp(-lambda + x * Math.log(lambda) - logGamma(x + 1));
  return Math.exp(-stirlerr(x) - bd0(x, lambda)) / Math.sqrt(TWO_PI * x);
}

/** Binomial probability P[X = k], X ~ Bin(n, p). */
export function binomialPmf(k: number, n: number, p: number): number {
  checkBinomial(n, p);
  if (!Number.isInteger(k) || k < 0 || k > n) return 0;
  return dbinomRaw(k, n, p, 1 - p);
}

/** Poisson probability P[X = k], X ~ Poisson(λ). */
export function poissonPmf(k: number, lambda: number): number {
  checkPoisson(lambda);
  if (!Number.isInteger(k) || k < 0) return 0;
  return dpoisRaw(k, lambda);
}

/**
 * Continued fraction of the incomplete beta (NR betacf, modified Lentz): I_x(a,b) = front · cf with
 * front = xᵃ yᵇ / (a B(a,b)). Converges fast for x < (a+1)/(a+b+2).
 */
export function betaContinuedFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITER; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) return h;
  }
  throw new Error(`incomplete beta did not converge (a=${a}, b=${b}, x=${x})`);
}

/** xᵃ yᵇ / (a B(a,b)) with y = 1 − x, through the binomial density (no log Γ cancellation). */
function betaFront(a: number, b: number, x: number, y: number): number {
  return (b / a) * x * dbinomRaw(a - 1, a + b - 1, x, y);
}

/**
 * Regularised incomplete beta, both sides: [I_x(a,b), 1 − I_x(a,b)] with y = 1 − x. The side that is
 * not close to 1 is computed directly, the other as its complement.
 */
function betaIncPair(a: number, b: number, x: number, y: number): [number, number] {
  if (x <= 0) return [0, 1];
  if (y <= 0) return [1, 0];
  if (x < (a + 1) / (a + b + 2)) {
    const lower = betaFront(a, b, x, y) * betaContinuedFraction(a, b, x);
    return [lower, 1 - lower];
  }
  const upper = betaFront(b, a, y, x) * betaContinuedFraction(b, a, y);
  return [1 - upper, upper];
}

/**
 * Regularised incomplete gamma, both sides: [P(a,x), Q(a,x)], a > 0, x ≥ 0. Series for x < a + 1,
 * continued fraction otherwise (NR gser/gcf), with the Poisson density as prefactor.
 */
function gammaIncPair(a: number, x: number): [number, number] {
  if (x <= 0) return [0, 1];
  if (x === Infinity) return [1, 0];
  if (x < a + 1) {
    // P(a,x) = xᵃ e^−x / Γ(a+1) · Σ xⁿ / ((a+1)…(a+n))
    let term = 1;
    let sum = 1;
    for (let n = 1; n <= MAX_ITER; n++) {
      term *= x / (a + n);
      sum += term;
      if (term < sum * EPS) {
        const lower = dpoisRaw(a, x) * sum;
        return [lower, 1 - lower];
      }
    }
    throw new Error(`incomplete gamma series did not converge (a=${a}, x=${x})`);
  }
  // Q(a,x) = xᵃ e^−x / Γ(a) · 1/(x+1−a− 1·(1−a)/(x+3−a− …))
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) {
      const upper = a * dpoisRaw(a, x) * h;
      return [1 - upper, upper];
    }
  }
  throw new Error(`incomplete gamma fraction did not converge (a=${a}, x=${x})`);
}

function checkBinomial(n: number, p: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`binomial n must be a whole number ≥ 0, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`binomial p must lie in [0, 1], got ${p}`);
}

function checkPoisson(lambda: number): void {
  if (!(lambda >= 0) || !Number.isFinite(lambda))
    throw new RangeError(`Poisson mean must be finite and ≥ 0, got ${lambda}`);
}

/** P[X ≤ k] for X ~ Bin(n, p) (R: pbinom(k, n, p)). k may be any real; it is floored. */
export function binomialCdf(k: number, n: number, p: number): number {
  checkBinomial(n, p);
  const x = Math.floor(k);
  if (x < 0) return 0;
  if (x >= n) return 1;
  // P[X ≤ x] = I_{1−p}(n−x, x+1)
  return betaIncPair(n - x, x + 1, 1 - p, p)[0];
}

/** P[X ≥ k] for X ~ Bin(n, p) (R: pbinom(k − 1, n, p, lower.tail = FALSE)). k is ceiled. */
export function binomialUpperTail(k: number, n: number, p: number): number {
  checkBinomial(n, p);
  const x = Math.ceil(k);
  if (x <= 0) return 1;
  if (x > n) return 0;
  // P[X ≥ x] = I_p(x, n−x+1)
  return betaIncPair(x, n - x + 1, p, 1 - p)[0];
}

/** P[X ≤ k] for X ~ Poisson(λ) (R: ppois(k, λ)). k is floored. */
export function poissonCdf(k: number, lambda: number): number {
  checkPoisson(lambda);
  const x = Math.floor(k);
  if (x < 0) return 0;
  if (lambda === 0) return 1;
  // P[X ≤ x] = Q(x+1, λ)
  return gammaIncPair(x + 1, lambda)[1];
}

/** P[X ≥ k] for X ~ Poisson(λ) (R: ppois(k − 1, λ, lower.tail = FALSE)). k is ceiled. */
export function poissonUpperTail(k: number, lambda: number): number {
  checkPoisson(lambda);
  const x = Math.ceil(k);
  if (x <= 0) return 1;
  if (lambda === 0) return 0;
  // P[X ≥ x] = P(x, λ)
  return gammaIncPair(x, lambda)[0];
}

/** P[χ²_df > x] (R: pchisq(x, df, lower.tail = FALSE)). */
export function chiSquareUpperTail(x: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`chi-square df must be > 0, got ${df}`);
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  return gammaIncPair(df / 2, x / 2)[1];
}

const CODY_A = [
  2.2352520354606837, 161.02823106855587, 1067.6894854603709, 18154.98125334356, 0.06568233791820745,
];
const CODY_B = [47.202581904688245, 976.0985517377767, 10260.932208618979, 45507.78933502673];
const CODY_C = [
  0.39894151208813466, 8.883149794388377, 93.50665613217785, 597.2702763948002, 2494.5375852903726,
  6848.190450536283, 11602.65143764735, 9842.714838383978, 1.0765576773720192e-8,
];
const CODY_D = [
  22.266688044328117, 235.387901782625, 1519.3775994075547, 6485.558298266761, 18615.571640885097,
  34900.95272114598, 38912.00328609327, 19685.429676859992,
];
const CODY_P = [
  0.215898534057957, 0.12740116116024736, 0.022235277870649807, 0.0014216191932278934,
  0.000029112874951168793, 0.023073441764940174,
];
const CODY_Q = [
  1.284260096144911, 0.4682382124808651, 0.06598813786892856, 0.0037823963320275824, 0.00007297515550839662,
];
const SQRT_32 = 5.656854249492381;
const ONE_OVER_SQRT_2PI = 0.3989422804014327;

/** exp(−y²/2) without the cancellation of y² for large y (R's do_del: split y at a multiple of 1/16). */
function gaussTail(y: number, temp: number): number {
  const ysq = Math.trunc(y * 16) / 16;
  const del = (y - ysq) * (y + ysq);
  return Math.exp(-ysq * ysq * 0.5) * Math.exp(-del * 0.5) * temp;
}

/**
 * Standard normal CDF Φ(x) as R's pnorm(x): Cody's rational Chebyshev approximations (Cody 1993,
 * ACM TOMS 19:22–32, algorithm 715, as in R's pnorm.c), full relative precision in both tails and
 * ~20 times faster than going through the incomplete gamma function, which matters for the millions
 * of tests of a detection run.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  if (y <= 0.67448975) {
    let xnum = 0;
    let xden = 0;
    if (y > 1.1102230246251565e-16) {
      const xsq = x * x;
      xnum = (CODY_A[4] as number) * xsq;
      xden = xsq;
      for (let i = 0; i < 3; i++) {
        xnum = (xnum + (CODY_A[i] as number)) * xsq;
        xden = (xden + (CODY_B[i] as number)) * xsq;
      }
    }
    return 0.5 + (x * (xnum + (CODY_A[3] as number))) / (xden + (CODY_B[3] as number));
  }
  // The tail beyond |x|.
  let tail: number;
  if (y <= SQRT_32) {
    let xnum = (CODY_C[8] as number) * y;
    let xden = y;
    for (let i = 0; i < 7; i++) {
      xnum = (xnum + (CODY_C[i] as number)) * y;
      xden = (xden + (CODY_D[i] as number)) * y;
    }
    tail = gaussTail(y, (xnum + (CODY_C[7] as number)) / (xden + (CODY_D[7] as number)));
  } else if (y < 38.5) {
    const xsq = 1 / (x * x);
    let xnum = (CODY_P[5] as number) * xsq;
    let xden = xsq;
    for (let i = 0; i < 4; i++) {
      xnum = (xnum + (CODY_P[i] as number)) * xsq;
      xden = (xden + (CODY_Q[i] as number)) * xsq;
    }
    const temp = (xsq * (xnum + (CODY_P[4] as number))) / (xden + (CODY_Q[4] as number));
    tail = gaussTail(y, (ONE_OVER_SQRT_2PI - temp) / y);
  } else tail = 0;
  return x > 0 ? 1 - tail : tail;
}

/** Standard normal density φ(x). */
export function normalPdf(x: number): number {
  return Math.exp(-0.5 * x * x - LN_SQRT_2PI);
}

/** Standard normal quantile Φ⁻¹(p) (R: qnorm(p)), Wichura's AS 241 (PPND16, ~1e-16 relative). */
export function normalQuantile(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) throw new RangeError(`probability must lie in [0, 1], got ${p}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (
      (q *
        (((((((r * 2509.0809287301227 + 33430.57558358813) * r + 67265.7709270087) * r + 45921.95393154987) *
          r +
          13731.69376550946) *
          r +
          1971.5909503065513) *
          r +
          133.14166789178438) *
          r +
          3.3871328727963665)) /
      (((((((r * 5226.495278852546 + 28729.085735721943) * r + 39307.89580009271) * r + 21213.794301586597) *
        r +
        5394.196021424751) *
        r +
        687.1870074920579) *
        r +
        42.31333070160091) *
        r +
        1)
    );
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p));
  let val: number;
  if (r <= 5) {
    r -= 1.6;
    val =
      (((((((r * 0.0007745450142783414 + 0.022723844989269184) * r + 0.2417807251774506) * r +
        1.2704582524523684) *
        r +
        3.6478483247632045) *
        r +
        5.769497221460691) *
        r +
        4.630337846156546) *
        r +
        1.4234371107496835) /
      (((((((r * 1.0507500716444169e-9 + 0.0005475938084995345) * r + 0.015198666563616457) * r +
        0.14810397642748008) *
        r +
        0.6897673349851) *
        r +
        1.6763848301838038) *
        r +
        2.053191626637759) *
        r +
        1);
  } else {
    r -= 5;
    val =
      (((((((r * 2.0103343992922881e-7 + 0.000027115555687434876) * r + 0.0012426609473880784) * r +
        0.026532189526576124) *
        r +
        0.29656057182850487) *
        r +
        1.7848265399172913) *
        r +
        5.463784911164114) *
        r +
        6.657904643501103) /
      (((((((r * 2.0442631033899397e-15 + 1.421511758316446e-7) * r + 0.000018463183175100548) * r +
        0.0007868691311456133) *
        r +
        0.014875361290850615) *
        r +
        0.1369298809227358) *
        r +
        0.599832206555888) *
        r +
        1);
  }
  return q < 0 ? -val : val;
}
