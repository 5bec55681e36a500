/**
 * Primary and complementary (secondary) suppression, then cell-key perturbation of what is released.
 * The heuristic and its guarantees are described in docs/disclosure-control.md.
 */
import { perturbCount } from "./perturb.js";
import { primaryReason } from "./primary.js";
import type { SdcRules } from "./rules.js";
import { indexTable, type IndexedTable } from "./table.js";
import type { ProtectedCell, SdcTable, SuppressionReason } from "./types.js";

/**
 * How far relation r is from protecting its suppressed cells (0 = enough), counting cell `extra` as
 * suppressed too (-1: none). Within one relation T = P1 + … + Pm, with S the suppressed cells:
 * - |S| = 1 is recoverable (total minus the released parts, or the sum of the released parts);
 * - T released: raising a suppressed part by p must be absorbed by lowering the other suppressed
 *   parts, so for every suppressed part the others must hold at least p: sum(S) - max(S) >= p;
 *   lowering it is absorbed by raising another suppressed part, which needs |S| >= 2 only;
 * - T suppressed: lowering T by min(p, T) must come out of the suppressed parts:
 *   sum(S \ T) >= min(p, T); raising T or a part, or lowering a part, only needs |S| >= 2.
 * Checked for counts and populations alike (a suppressed cell suppresses both).
 */
function relationDeficit(t: IndexedTable, supp: Uint8Array, r: number, p: number, extra: number): number {
  const total = t.relTotal[r]!;
  const totalSuppressed = supp[total] === 1 || total === extra;
  let nSupp = totalSuppressed ? 1 : 0;
  let sum0 = 0;
  let sum1 = 0;
  let max0 = 0;
  let max1 = 0;
  const [count, population] = t.values;
  const end = t.relStart[r + 1]!;
  for (let q = t.relStart[r]!; q < end; q++) {
    const i = t.relParts[q]!;
    if (supp[i] !== 1 && i !== extra) continue;
    nSupp++;
    const c = count[i]!;
    const pp = population[i]!;
    sum0 += c;
    sum1 += pp;
    if (c > max0) max0 = c;
    if (pp > max1) max1 = pp;
  }
  if (nSupp === 0) return 0;
  let deficit = nSupp < 2 ? 1 : 0;
  if (totalSuppressed) {
    deficit += Math.max(0, Math.min(p, count[total]!) - sum0);
    deficit += Math.max(0, Math.min(p, population[total]!) - sum1);
  } else {
    deficit += Math.max(0, p - (sum0 - max0));
    deficit += Math.max(0, p - (sum1 - max1));
  }
  return deficit;
}

/**
 * Complementary suppression, in place on `supp` (1 = suppressed). Returns the cells it added, in the
 * order it added them. Repeats until every relation passes `relationDeficit`:
 * - candidates are the released parts of a deficient relation; one that removes the deficit on its
 *   own is preferred; among those the one that opens the fewest other relations without any
 *   suppression yet (each would become a new recoverable single, the cause of cascades), then the
 *   smallest count, then the smallest id;
 * - when no part removes the deficit alone, the part that reduces it most (same tie-breaks) is taken
 *   and the relation is checked again;
 * - when no released part is left, the total is suppressed (and its own relations checked in turn).
 */
export function complementarySuppression(
  t: IndexedTable,
  supp: Uint8Array,
  protectionLevel: number,
): number[] {
  const m = t.relTotal.length;
  const relSupp = new Int32Array(m);
  for (let r = 0; r < m; r++) {
    let s = supp[t.relTotal[r]!]!;
    for (let q = t.relStart[r]!; q < t.relStart[r + 1]!; q++) s += supp[t.relParts[q]!]!;
    relSupp[r] = s;
  }
  const queue = new Int32Array(Math.max(1, m));
  const queued = new Uint8Array(m);
  let head = 0;
  let size = 0;
  const enqueue = (r: number): void => {
    if (queued[r] === 1) return;
    queued[r] = 1;
    queue[(head + size) % m] = r;
    size++;
  };
  for (let r = 0; r < m; r++) if (relSupp[r]! > 0) enqueue(r);

  const added: number[] = [];
  const suppress = (c: number): void => {
    supp[c] = 1;
    added.push(c);
    for (let q = t.cellStart[c]!; q < t.cellStart[c + 1]!; q++) {
      const r = t.cellRels[q]!;
      relSupp[r]!++;
      enqueue(r);
    }
  };
  const opensNew = (c: number, r: number): number => {
    let k = 0;
    for (let q = t.cellStart[c]!; q < t.cellStart[c + 1]!; q++) {
      const s = t.cellRels[q]!;
      if (s !== r && relSupp[s] === 0) k++;
    }
    return k;
  };
  const count = t.values[0];

  while (size > 0) {
    const r = queue[head]!;
    head = (head + 1) % m;
    size--;
    queued[r] = 0;
    for (;;) {
      if (relationDeficit(t, supp, r, protectionLevel, -1) === 0) break;
      let best = -1;
      let bestDeficit = Infinity;
      let bestOpens = 0;
      for (let q = t.relStart[r]!; q < t.relStart[r + 1]!; q++) {
        const c = t.relParts[q]!;
        if (supp[c] === 1) continue;
        const d = relationDeficit(t, supp, r, protectionLevel, c);
        if (d > bestDeficit) continue;
        const opens = opensNew(c, r);
        if (d === bestDeficit) {
          if (opens > bestOpens) continue;
          if (opens === bestOpens) {
            if (count[c]! > count[best]!) continue;
            if (count[c] === count[best] && t.ids[c]! > t.ids[best]!) continue;
          }
        }
        best = c;
        bestDeficit = d;
        bestOpens = opens;
      }
      if (best >= 0) suppress(best);
      else if (supp[t.relTotal[r]!] !== 1) suppress(t.relTotal[r]!);
      else break; // everything in r is suppressed: nothing left to recover from (not reached)
    }
  }
  return added;
}

/**
 * Statistical disclosure control of one table: primary suppression (rules in order, see
 * `primaryReason`), complementary suppression over all relations, and cell-key perturbation of
 * every released count and population. Deterministic: the same table (in any order of cells and
 * relations) gives the same pattern and the same numbers.
 *
 * @throws RangeError when the table is invalid (see `indexTable`)
 */
export function protectTable(table: SdcTable, rules: SdcRules): Map<string, ProtectedCell> {
  const t = indexTable(table);
  const supp = new Uint8Array(t.n);
  const reasons: (SuppressionReason | null)[] = new Array<SuppressionReason | null>(t.n);
  for (let i = 0; i < t.n; i++) {
    const reason = primaryReason(table.cells[i]!, rules);
    reasons[i] = reason;
    if (reason !== null) supp[i] = 1;
  }
  for (const c of complementarySuppression(t, supp, rules.protectionLevel)) reasons[c] = "complementary";

  const out = new Map<string, ProtectedCell>();
  for (let i = 0; i < t.n; i++) {
    const cell = table.cells[i]!;
    if (supp[i] === 1) {
      out.set(cell.id, {
        id: cell.id,
        status: "suppressed",
        reason: reasons[i]!,
        count: null,
        population: null,
        perturbation: 0,
      });
    } else {
      const count = perturbCount(cell.count, cell.countKey, rules);
      out.set(cell.id, {
        id: cell.id,
        status: "released",
        reason: null,
        count,
        population: perturbCount(cell.population, cell.populationKey, rules),
        perturbation: count - cell.count,
      });
    }
  }
  return out;
}
