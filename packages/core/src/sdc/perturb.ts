/**
 * Cell-key perturbation (ONS/ABS style): every released count gets noise chosen by its cell key, so
 * the same cell (same value, same key) gets the same released value by every path — API, export,
 * map, report — and repeating a query does not average the noise away.
 *
 * The perturbation table is triangular and symmetric on -D..D (D = maxNoise):
 * P(j) = (D + 1 - |j|) / (D + 1)². For D = 2: P(0) = 3/9, P(±1) = 2/9, P(±2) = 1/9; mean 0,
 * variance D(D + 2)/6 (4/3 for D = 2). The noise is the inverse CDF of the table at the cell key.
 * Released values are never below k: v + j < k is clipped to k, which biases values within D of k
 * upwards (at v = k the expected noise is +D(D + 2) / (6(D + 1)), 4/9 for D = 2; from v >= k + D on
 * the mean is exactly 0).
 */
import type { SdcRules } from "./rules.js";

/** One row of the perturbation table: the noise and its probability. */
export interface PerturbationEntry {
  readonly noise: number;
  readonly probability: number;
}

/** The perturbation table for a maximum noise D, ordered by noise (-D first). */
export function perturbationTable(maxNoise: number): PerturbationEntry[] {
  if (!Number.isInteger(maxNoise) || maxNoise < 0)
    throw new RangeError(`perturbationTable: maxNoise must be an integer >= 0, got ${maxNoise}`);
  const d = maxNoise;
  const norm = (d + 1) * (d + 1);
  const out: PerturbationEntry[] = [];
  for (let j = -d; j <= d; j++) out.push({ noise: j, probability: (d + 1 - Math.abs(j)) / norm });
  return out;
}

/**
 * The noise the table assigns to a cell key in [0, 1): the smallest j with key < CDF(j). Computed
 * on integer weights so no rounding of cumulative probabilities can shift a boundary.
 */
export function noiseForKey(cellKey: number, maxNoise: number): number {
  if (!(cellKey >= 0 && cellKey < 1)) throw new RangeError(`cell key must be in [0, 1), got ${cellKey}`);
  const d = maxNoise;
  if (d === 0) return 0;
  const u = cellKey * (d + 1) * (d + 1);
  let cumulative = 0;
  for (let j = -d; j < d; j++) {
    cumulative += d + 1 - Math.abs(j);
    if (u < cumulative) return j;
  }
  return d;
}

/**
 * The released value of a count with cell key `cellKey`: `value + noise`, clipped to at least k.
 * A pure function of (value, cellKey) under the given rules. Only counts that may be released
 * (>= k) can be perturbed; anything smaller throws, so a suppressed value cannot leak through here.
 *
 * @example perturbCount(27, 0.5, sdcRules()) // 27 (the middle third of keys gets no noise)
 */
export function perturbCount(value: number, cellKey: number, rules: SdcRules): number {
  if (!Number.isInteger(value) || value < rules.k)
    throw new RangeError(`perturbCount: value must be an integer >= k (${rules.k}), got ${value}`);
  const noise = noiseForKey(cellKey, rules.perturbation.maxNoise);
  return Math.max(rules.k, value + noise);
}
