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

/**
 * The same q-values as `benjaminiHochberg` for a run of millions of tests: the p-values are sorted as
 * a typed array (native numeric sort, no comparator), the running minimum is taken over the sorted
 * values, and each test looks up the q of the last of its tied p-values (ties share one q, as in R).
 * NaN p-values stay NaN and do not count towards m.
 */
export function benjaminiHochbergFast(pValues: Float64Array): Float64Array {
  const sorted = new Float64Array(pValues.length);
  let m = 0;
  for (const p of pValues) {
    if (Number.isNaN(p)) continue;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`p-value must lie in [0, 1], got ${p}`);
    sorted[m++] = p;
  }
  const s = sorted.subarray(0, m).sort();
  // qSorted[r] = min over j ≥ r of m/(j+1)·p_(j), capped at 1.
  const qSorted = new Float64Array(m);
  let running = 1;
  for (let r = m - 1; r >= 0; r--) {
    running = Math.min(running, (m / (r + 1)) * (s[r] as number));
    qSorted[r] = running;
  }
  const q = new Float64Array(pValues.length);
  for (let i = 0; i < pValues.length; i++) {
    const p = pValues[i] as number;
    if (Number.isNaN(p)) {
      q[i] = NaN;
      continue;
    }
    // Last index with s[idx] ≤ p (upper bound − 1).
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((s[mid] as number) <= p) lo = mid + 1;
      else hi = mid;
    }
    q[i] = qSorted[lo - 1] as number;
  }
  return q;
}
