/**
 * Benjamini–Hochberg false-discovery-rate adjustment (Benjamini & Hochberg 1995), as R's
 * p.adjust(p, "BH"): q_(i) = min_{j ≥ i} min(1, m/j · p_(j)) over the sorted p-values.
 */

/**
 * BH-adjusted q-values in the order of `pValues`. NaN p-values stay NaN and do not count towards
 * m (R: NA). `m` may be given larger than the number of p-values (R's `n`), e.g. when tests were
 * run that are not in this list.
 */
export function benjaminiHochberg(pValues: readonly number[], m?: number): number[] {
  const index: number[] = [];
  for (let i = 0; i < pValues.length; i++) {
    const p = pValues[i] as number;
    if (Number.isNaN(p)) continue;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`p-value must lie in [0, 1], got ${p}`);
    index.push(i);
  }
  const count = index.length;
  const total = m ?? count;
  if (total < count) throw new RangeError(`m (${total}) is smaller than the number of p-values (${count})`);
  const q = pValues.map(() => NaN);
  // Descending p; ties keep their input order (R's order() is stable), which does not change q.
  index.sort((a, b) => (pValues[b] as number) - (pValues[a] as number) || a - b);
  let running = 1;
  for (let k = 0; k < count; k++) {
    const i = index[k] as number;
    const rank = count - k;
    running = Math.min(running, (total / rank) * (pValues[i] as number));
    q[i] = running;
  }
  return q;
}

/** The sorted p-values of a run and their BH q-values, for q look-ups (`bhQ`). */
export interface BhTable {
  /** The non-NaN p-values, ascending. */
  readonly sorted: Float64Array;
  /** qSorted[r] = min over j ≥ r of m/(j+1)·p_(j), capped at 1. */
  readonly qSorted: Float64Array;
}

/** Sorts a run's p-values (typed-array numeric sort, no comparator) and computes their q-values. */
export function bhTable(pValues: Float64Array): BhTable {
  const sorted = new Float64Array(pValues.length);
  let m = 0;
  for (const p of pValues) {
    if (Number.isNaN(p)) continue;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`p-value must lie in [0, 1], got ${p}`);
    sorted[m++] = p;
  }
  const s = sorted.subarray(0, m).sort();
  const qSorted = new Float64Array(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    running = Math.min(running, (m / (r + 1)) * (s[r] as number));
    qSorted[r] = running;
  }
  return { sorted: s, qSorted };
}

/** The BH q-value of p in a run (ties share the q of the last of them, as R); NaN for NaN. */
export function bhQ(table: BhTable, p: number): number {
  if (Number.isNaN(p)) return NaN;
  const s = table.sorted;
  // Last index with s[idx] ≤ p (upper bound − 1).
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((s[mid] as number) <= p) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? NaN : (table.qSorted[lo - 1] as number);
}

/**
 * The largest p-value whose q is below `level` (−Infinity when none): in a run, q < level exactly
 * when p ≤ this cut-off, so severities need no q look-up per test — only the significant ones do.
 */
export function bhCutoff(table: BhTable, level: number): number {
  const { sorted, qSorted } = table;
  // qSorted is non-decreasing: the last index with q < level.
  let lo = 0;
  let hi = qSorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((qSorted[mid] as number) < level) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? -Infinity : (sorted[lo - 1] as number);
}

/**
 * The same q-values as `benjaminiHochberg` for a run of millions of tests (`bhTable` + `bhQ`).
 * NaN p-values stay NaN and do not count towards m.
 */
export function benjaminiHochbergFast(pValues: Float64Array): Float64Array {
  const table = bhTable(pValues);
  return pValues.map((p) => bhQ(table, p));
}
