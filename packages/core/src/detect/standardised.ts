/**
 * Standardised deviations for values without counts (model-based percentages such as RIVM's
 * small-area estimates) and for the change of an area relative to its reference's own change:
 * z = (x − centre) / scale against the distribution of comparable areas, classic (mean, standard
 * deviation) or robust (median, MAD · 1.4826), and a one-sided p-value in the unfavourable direction.
 * See docs/methods.md, "Status and short series".
 */
import type { Polarity } from "../catalogue.js";
import { normalCdf } from "./distributions.js";

/** robust: median and MAD (default); classic: mean and standard deviation (n − 1). */
export type DeviationMethod = "robust" | "classic";

/** Which spread measure the scale came from. */
export type ScaleMethod = "sd" | "mad" | "mean-absolute-deviation";

/** R's mad() constant: 1/Φ⁻¹(¾), so that MAD · 1.4826 estimates σ for normal data. */
export const MAD_CONSTANT = 1.4826;

/** √(π/2): mean absolute deviation · √(π/2) estimates σ for normal data (fallback when MAD = 0). */
export const MEAN_ABSOLUTE_DEVIATION_CONSTANT = Math.sqrt(Math.PI / 2);

/** Fewest comparable areas by default (as the detection settings' status.minComparableAreas). */
export const DEFAULT_MIN_REFERENCE_SIZE = 5;

export interface CentreScale {
  readonly centre: number;
  /** 0 when the reference has no spread at all. */
  readonly scale: number;
  readonly scaleMethod: ScaleMethod;
}

export interface StandardisedOptions {
  /** Which direction is unfavourable; "neutral" gets a two-sided p-value. */
  readonly polarity: Polarity;
  /** Default "robust". */
  readonly method?: DeviationMethod;
  /** Fewest finite reference values for a result (default 5, at least 2). */
  readonly minReferenceSize?: number;
}

export interface GroupedStandardisedOptions extends StandardisedOptions {
  /**
   * Group key per area (e.g. its gemeente): an area is compared with the areas of its own group.
   * Default: one group, all areas given (e.g. all buurten of the level).
   */
  readonly groups?: readonly (string | number)[];
  /**
   * Exclude the area itself from its reference (default true): otherwise a deviating area inflates
   * the spread it is measured against and masks itself, most in small groups (with mean and standard
   * deviation |z| can never exceed (n − 1)/√n, e.g. 1.79 for n = 5).
   */
  readonly leaveOneOut?: boolean;
}

export interface StandardisedDeviation {
  readonly kind: "deviation";
  /** The area's value (or difference in change). */
  readonly value: number;
  readonly centre: number;
  readonly scale: number;
  readonly scaleMethod: ScaleMethod;
  /** (value − centre) / scale. */
  readonly z: number;
  /** z turned so that positive is unfavourable (−z for higher-is-better, |z| for neutral). */
  readonly effect: number;
  /** One-sided p-value in the unfavourable direction (two-sided for neutral), from Φ. */
  readonly p: number;
  /** Number of finite reference values. */
  readonly referenceSize: number;
}

export interface NoReference {
  readonly kind: "no-reference";
  /**
   * missing-value: the area has no (finite) value; too-few-areas: fewer finite reference values than
   * minReferenceSize; no-spread: all reference values are equal, so no scale exists.
   */
  readonly reason: "missing-value" | "too-few-areas" | "no-spread";
  readonly referenceSize: number;
}

export type StandardisedResult = StandardisedDeviation | NoReference;

/** Neumaier-compensated sum, independent of order to ~1 ulp. */
function sum(values: ArrayLike<number> & Iterable<number>): number {
  let s = 0;
  let c = 0;
  for (const v of values) {
    const t = s + v;
    c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  return s + c;
}

/** Median of an ascending array without the element at position `skip` (−1: none). */
function sortedMedianWithout(sorted: ArrayLike<number>, skip: number): number {
  const n = sorted.length - (skip >= 0 ? 1 : 0);
  const at = (t: number): number => sorted[skip >= 0 && t >= skip ? t + 1 : t] as number;
  const mid = n >> 1;
  return n % 2 === 1 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
}

/** Index of a value equal to v in an ascending array (it must be present). */
function indexOf(sorted: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** R's mad(values): 1.4826 · median |xᵢ − median(x)|. */
export function medianAbsoluteDeviation(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("MAD of an empty sample");
  const sorted = Float64Array.from(values).sort();
  const centre = sortedMedianWithout(sorted, -1);
  const dev = sorted.map((v) => Math.abs(v - centre)).sort();
  return MAD_CONSTANT * sortedMedianWithout(dev, -1);
}

/**
 * Centre and scale of a reference sample. classic: mean and standard deviation (n − 1; needs two
 * values). robust: median and MAD · 1.4826; when more than half the values are equal the MAD is 0,
 * and the scale falls back to the mean absolute deviation from the median · √(π/2) (also consistent
 * for σ under normality); a scale of 0 remains only when all values are equal.
 */
export function centreAndScale(values: readonly number[], method: DeviationMethod = "robust"): CentreScale {
  const n = values.length;
  if (n === 0) throw new RangeError("centre and scale of an empty sample");
  for (const v of values)
    if (!Number.isFinite(v)) throw new RangeError(`reference values must be finite, got ${v}`);
  if (method === "classic") {
    if (n < 2) throw new RangeError("a standard deviation needs at least 2 values");
    const mean = sum(values) / n;
    const ss = sum(values.map((v) => (v - mean) ** 2));
    return { centre: mean, scale: Math.sqrt(ss / (n - 1)), scaleMethod: "sd" };
  }
  // Typed-array sorts are numeric and much faster than a comparator (runs sort millions of values).
  const sorted = Float64Array.from(values).sort();
  const centre = sortedMedianWithout(sorted, -1);
  const dev = sorted.map((v) => Math.abs(v - centre)).sort();
  const mad = MAD_CONSTANT * sortedMedianWithout(dev, -1);
  if (mad > 0) return { centre, scale: mad, scaleMethod: "mad" };
  return {
    centre,
    scale: (sum(dev) / n) * MEAN_ABSOLUTE_DEVIATION_CONSTANT,
    scaleMethod: "mean-absolute-deviation",
  };
}

/**
 * One-sided p-value of a standard-normal z in the unfavourable direction: P[Z ≥ z] when higher is
 * worse, P[Z ≤ z] when higher is better; two-sided 2·P[Z ≥ |z|] for a neutral indicator.
 */
export function unfavourablePValue(z: number, polarity: Polarity): number {
  // Φ(±40) is already 0 or 1 in double precision; clamping spares Φ astronomically large arguments
  // (a reference with a subnormal spread) on which its continued fraction does not converge.
  const c = Math.max(-40, Math.min(40, z));
  if (polarity === "higher-is-worse") return normalCdf(-c);
  if (polarity === "higher-is-better") return normalCdf(c);
  return 2 * normalCdf(-Math.abs(c));
}

/** z turned so that positive means unfavourable. */
function unfavourableEffect(z: number, polarity: Polarity): number {
  if (polarity === "higher-is-worse") return z;
  if (polarity === "higher-is-better") return -z;
  return Math.abs(z);
}

function checkOptions(options: StandardisedOptions): { method: DeviationMethod; minSize: number } {
  const minSize = options.minReferenceSize ?? DEFAULT_MIN_REFERENCE_SIZE;
  if (!Number.isInteger(minSize) || minSize < 2)
    throw new RangeError(`minReferenceSize must be a whole number ≥ 2, got ${minSize}`);
  const method = options.method ?? "robust";
  if (method !== "robust" && method !== "classic") throw new RangeError(`unknown method ${String(method)}`);
  return { method, minSize };
}

function result(value: number, cs: CentreScale, size: number, polarity: Polarity): StandardisedResult {
  if (!(cs.scale > 0)) return { kind: "no-reference", reason: "no-spread", referenceSize: size };
  const z = (value - cs.centre) / cs.scale;
  return {
    kind: "deviation",
    value,
    centre: cs.centre,
    scale: cs.scale,
    scaleMethod: cs.scaleMethod,
    z,
    effect: unfavourableEffect(z, polarity),
    p: unfavourablePValue(z, polarity),
    referenceSize: size,
  };
}

/**
 * Standardised deviation of one value against a given reference sample (comparable areas; whether
 * the area itself is among them is the caller's choice). Non-finite reference values are ignored.
 */
export function standardisedDeviation(
  value: number,
  reference: readonly number[],
  options: StandardisedOptions,
): StandardisedResult {
  const { method, minSize } = checkOptions(options);
  const ref = reference.filter((v) => Number.isFinite(v));
  const size = ref.length;
  if (!Number.isFinite(value)) return { kind: "no-reference", reason: "missing-value", referenceSize: size };
  if (size < minSize) return { kind: "no-reference", reason: "too-few-areas", referenceSize: size };
  return result(value, centreAndScale(ref, method), size, options.polarity);
}

/**
 * Centre and scale of `sorted` (ascending, finite, length n ≥ 2) without one element, for every
 * element, in O(n log n): the median without one element takes at most three values, and for each
 * the sorted absolute deviations are shared, so each area needs only index arithmetic.
 */
function robustLeaveOneOut(sorted: Float64Array): (v: number) => CentreScale {
  const n = sorted.length;
  const cache = new Map<number, { dev: Float64Array; total: number }>();
  return (v) => {
    const k = indexOf(sorted, v);
    const centre = sortedMedianWithout(sorted, k);
    let entry = cache.get(centre);
    if (entry === undefined) {
      const dev = sorted.map((x) => Math.abs(x - centre)).sort();
      entry = { dev, total: sum(dev) };
      cache.set(centre, entry);
    }
    const own = Math.abs(v - centre);
    const mad = MAD_CONSTANT * sortedMedianWithout(entry.dev, indexOf(entry.dev, own));
    if (mad > 0) return { centre, scale: mad, scaleMethod: "mad" };
    // Fallback: mean absolute deviation of the others: the cached total minus the area's own, or
    // summed afresh when the area's own deviation is most of the total (cancellation).
    let rest = entry.total - own;
    if (!(rest > 1e-6 * entry.total)) {
      const dev = Array.from(entry.dev);
      dev.splice(indexOf(dev, own), 1);
      rest = sum(dev);
    }
    const meanDev = rest / (n - 1);
    return {
      centre,
      scale: meanDev * MEAN_ABSOLUTE_DEVIATION_CONSTANT,
      scaleMethod: "mean-absolute-deviation",
    };
  };
}

/**
 * Mean and standard deviation without one element, by downdating the full sums (Σ(x − x̄)² loses
 * n/(n − 1)·(xᵢ − x̄)²); recomputed directly when the downdate cancels most of the sum (an extreme
 * outlier), so the result keeps its relative precision.
 */
function classicLeaveOneOut(values: readonly number[]): (v: number) => CentreScale {
  const n = values.length;
  const mean = sum(values) / n;
  const ss = sum(values.map((x) => (x - mean) ** 2));
  return (v) => {
    const d = v - mean;
    const centre = mean - d / (n - 1);
    const down = ss - (d * d * n) / (n - 1);
    if (down > 1e-6 * ss) return { centre, scale: Math.sqrt(down / (n - 2)), scaleMethod: "sd" };
    const others = [...values];
    others.splice(others.indexOf(v), 1);
    return centreAndScale(others, "classic");
  };
}

/**
 * Standardised deviation of every area against the comparable areas of its group (see
 * GroupedStandardisedOptions): the reference of an area is the finite values of its group, without
 * the area itself unless leaveOneOut is false. Fast enough for all ~14,000 buurten in one group
 * (O(n log n) per group, also with leave-one-out).
 */
export function standardisedDeviations(
  values: readonly number[],
  options: GroupedStandardisedOptions,
): StandardisedResult[] {
  const { method, minSize } = checkOptions(options);
  const groups = options.groups;
  if (groups !== undefined && groups.length !== values.length)
    throw new RangeError(`groups has ${groups.length} entries for ${values.length} values`);
  const leaveOneOut = options.leaveOneOut ?? true;
  const members = new Map<string | number, number[]>();
  values.forEach((_, i) => {
    const key = groups === undefined ? 0 : (groups[i] as string | number);
    const list = members.get(key);
    if (list === undefined) members.set(key, [i]);
    else list.push(i);
  });
  const out = new Array<StandardisedResult>(values.length);
  for (const indices of members.values()) {
    const finite = indices.map((i) => values[i] as number).filter((v) => Number.isFinite(v));
    let scaleWithout: ((v: number) => CentreScale) | null = null;
    let scaleWith: CentreScale | null = null;
    for (const i of indices) {
      const v = values[i] as number;
      const own = Number.isFinite(v);
      const size = finite.length - (leaveOneOut && own ? 1 : 0);
      if (!own) out[i] = { kind: "no-reference", reason: "missing-value", referenceSize: size };
      else if (size < minSize)
        out[i] = { kind: "no-reference", reason: "too-few-areas", referenceSize: size };
      else if (leaveOneOut) {
        scaleWithout ??=
          method === "robust"
            ? robustLeaveOneOut(Float64Array.from(finite).sort())
            : classicLeaveOneOut(finite);
        out[i] = result(v, scaleWithout(v), size, options.polarity);
      } else {
        scaleWith ??= centreAndScale(finite, method);
        out[i] = result(v, scaleWith, size, options.polarity);
      }
    }
  }
  return out;
}

/**
 * Difference in change d = (x_last − x_first) − (r_last − r_first) of an area's series x against its
 * reference's series r at the same waves (first and last element of each; NaN when any of the four
 * is missing).
 */
export function differenceInChange(area: readonly number[], reference: readonly number[]): number {
  if (area.length !== reference.length)
    throw new RangeError(
      `area and reference series differ in length (${area.length} vs ${reference.length})`,
    );
  if (area.length < 2) throw new RangeError(`a change needs at least 2 waves, got ${area.length}`);
  const last = area.length - 1;
  const [x0, xt, r0, rt] = [area[0], area[last], reference[0], reference[last]] as [
    number,
    number,
    number,
    number,
  ];
  if (![x0, xt, r0, rt].every((v) => Number.isFinite(v))) return NaN;
  return xt - x0 - (rt - r0);
}

/**
 * Change relative to the reference's own change, standardised: for every area d (differenceInChange of
 * `areas[i]` against `references[i]`, e.g. its gemeente's series), then the standardised deviation of d
 * against the d of the comparable areas (standardisedDeviations, robust and leave-one-out by default).
 * With polarity higher-is-worse a positive effect means the area got worse faster than its reference.
 */
export function relativeChangeDeviations(
  areas: readonly (readonly number[])[],
  references: readonly (readonly number[])[],
  options: GroupedStandardisedOptions,
): StandardisedResult[] {
  if (areas.length !== references.length)
    throw new RangeError(`${areas.length} area series but ${references.length} reference series`);
  const d = areas.map((a, i) => differenceInChange(a, references[i] as readonly number[]));
  return standardisedDeviations(d, options);
}
