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
