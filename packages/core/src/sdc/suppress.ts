/**
 * Primary and complementary (secondary) suppression, then cell-key perturbation of what is released.
 * The heuristic and its guarantees are described in docs/disclosure-control.md.
 */
import { perturbCount } from "./perturb.js";
import { primaryReason } from "./primary.js";
import { auditTable, type SdcAudit } from "./audit.js";
import type { LpSolver } from "./lp.js";
import type { SdcRules } from "./rules.js";
import { indexTable, type IndexedTable } from "./table.js";
import type { ProtectedCell, SdcTable, SuppressionReason } from "./types.js";

/**
 * Mutable suppression state with the per-relation tallies the checks need.
 */
class State {
  readonly supp: Uint8Array;
  /** Suppressed cells (total included) per relation. */
  readonly relSupp: Int32Array;
  /** Suppressed parts per relation. */
  readonly relSuppParts: Int32Array;
  private readonly tally: Int32Array;
  private readonly gsum0: Float64Array;
  private readonly gsum1: Float64Array;
  private readonly touched: number[] = [];
  private readonly partner0: Float64Array;
  private readonly partner1: Float64Array;
  private readonly pinned: Uint8Array;

  constructor(
    readonly t: IndexedTable,
    supp: Uint8Array,
    readonly p: number,
  ) {
    const m = t.relTotal.length;
    this.supp = supp;
    this.relSupp = new Int32Array(m);
    this.relSuppParts = new Int32Array(m);
    for (let r = 0; r < m; r++) {
      let parts = 0;
      for (let q = t.relStart[r]!; q < t.relStart[r + 1]!; q++) parts += supp[t.relParts[q]!]!;
      this.relSuppParts[r] = parts;
      this.relSupp[r] = parts + supp[t.relTotal[r]!]!;
    }
    this.tally = new Int32Array(m);
    this.gsum0 = new Float64Array(m);
    this.gsum1 = new Float64Array(m);
    this.partner0 = new Float64Array(t.n);
    this.partner1 = new Float64Array(t.n);
    this.pinned = new Uint8Array(t.n);
  }

  set(c: number, on: boolean): void {
    const d = on ? 1 : -1;
    this.supp[c] = on ? 1 : 0;
    const t = this.t;
    for (let q = t.cellStart[c]!; q < t.cellStart[c + 1]!; q++) {
      const r = t.cellRels[q]!;
      this.relSupp[r]! += d;
      if (t.relTotal[r] !== c) this.relSuppParts[r]! += d;
    }
  }

  /**
   * How far relation r is from protecting its suppressed cells (0 = enough). Within one relation
   * T = P1 + … + Pm, with S the suppressed cells:
   * - |S| = 1 is recoverable (total minus the released parts, or the sum of the released parts);
   * - suppressed parts are "pinned" together when another relation with a released total has all
   *   its suppressed parts among them (a buurt inside a PC4): their sum is known, so they can
   *   only move against each other and add nothing to moving anything else;
   * - T released: raising a suppressed part c by p must be absorbed by lowering others: the free
   *   (unpinned) others for a free c; for a pinned c only its partners in every relation that pins
   *   it (the smallest such partner sum counts); for every c that capacity must be >= p;
   * - T suppressed: lowering T by min(p, T) must come out of the free suppressed parts, and T can
   *   move at all only when at least one part is free.
   * Checked for counts and populations alike (a suppressed cell suppresses both).
   */
  deficit(r: number): number {
    const t = this.t;
    const supp = this.supp;
    const [count, population] = t.values;
    const total = t.relTotal[r]!;
    const totalSuppressed = supp[total] === 1;
    const nSupp = this.relSupp[r]!;
    if (nSupp === 0) return 0;
    const start = t.relStart[r]!;
    const end = t.relStart[r + 1]!;
    // Tally, per other relation, the suppressed parts of r it holds.
    const touched = this.touched;
    touched.length = 0;
    for (let q = start; q < end; q++) {
      const i = t.relParts[q]!;
      if (supp[i] !== 1) continue;
      for (let z = t.cellStart[i]!; z < t.cellStart[i + 1]!; z++) {
        const s = t.cellRels[z]!;
        if (s === r || t.relTotal[s] === i) continue;
        if (this.tally[s] === 0) touched.push(s);
        this.tally[s]!++;
        this.gsum0[s]! += count[i]!;
        this.gsum1[s]! += population[i]!;
      }
    }
    let free0 = 0;
    let free1 = 0;
    let nFree = 0;
    for (let q = start; q < end; q++) {
      const i = t.relParts[q]!;
      if (supp[i] !== 1) continue;
      let pinned = 0;
      let partner0 = Infinity;
      let partner1 = Infinity;
      for (let z = t.cellStart[i]!; z < t.cellStart[i + 1]!; z++) {
        const s = t.cellRels[z]!;
        if (s === r || t.relTotal[s] === i) continue;
        if (supp[t.relTotal[s]!] === 1 || this.tally[s] !== this.relSuppParts[s]) continue;
        pinned = 1;
        partner0 = Math.min(partner0, this.gsum0[s]! - count[i]!);
        partner1 = Math.min(partner1, this.gsum1[s]! - population[i]!);
      }
      this.pinned[i] = pinned;
      this.partner0[i] = partner0;
      this.partner1[i] = partner1;
      if (!pinned) {
        nFree++;
        free0 += count[i]!;
        free1 += population[i]!;
      }
    }
    for (const s of touched) {
      this.tally[s] = 0;
      this.gsum0[s] = 0;
      this.gsum1[s] = 0;
    }
    const p = this.p;
    let deficit = nSupp < 2 ? 1 : 0;
    if (totalSuppressed) {
      if (nFree === 0) deficit += 1;
      deficit += Math.max(0, Math.min(p, count[total]!) - free0);
      deficit += Math.max(0, Math.min(p, population[total]!) - free1);
    } else {
      let cap0 = Infinity;
      let cap1 = Infinity;
      for (let q = start; q < end; q++) {
        const i = t.relParts[q]!;
        if (supp[i] !== 1) continue;
        const pinned = this.pinned[i] === 1;
        cap0 = Math.min(cap0, pinned ? this.partner0[i]! : free0 - count[i]!);
        cap1 = Math.min(cap1, pinned ? this.partner1[i]! : free1 - population[i]!);
      }
      if (cap0 !== Infinity) deficit += Math.max(0, p - cap0) + Math.max(0, p - cap1);
    }
    return deficit;
  }

  /** The released totals of relations that pin suppressed parts of r together. */
  pinningTotals(r: number): number[] {
    const t = this.t;
    const out = new Set<number>();
    const start = t.relStart[r]!;
    const end = t.relStart[r + 1]!;
    const inR = new Set<number>();
    for (let q = start; q < end; q++) if (this.supp[t.relParts[q]!] === 1) inR.add(t.relParts[q]!);
    for (const i of inR) {
      for (let z = t.cellStart[i]!; z < t.cellStart[i + 1]!; z++) {
        const s = t.cellRels[z]!;
        const total = t.relTotal[s]!;
        if (s === r || total === i || this.supp[total] === 1 || out.has(total)) continue;
        let all = true;
        for (let w = t.relStart[s]!; w < t.relStart[s + 1]! && all; w++) {
          const j = t.relParts[w]!;
          if (this.supp[j] === 1 && !inR.has(j)) all = false;
        }
        if (all) out.add(total);
      }
    }
    return [...out];
  }
}

/**
 * Complementary suppression, in place on `supp` (1 = suppressed). Returns the cells it added, in the
 * order it added them. Repeats until every relation passes `State.deficit`:
 * - candidates are first the released parts of a deficient relation, ranked by the deficit the
 *   relation would have without pinning (a cheap O(1) estimate; removing the deficit on its own
 *   first), then by how many of the candidate's other relations have no suppressed cell yet (each
 *   would become a new recoverable single, the cause of cascades), then the smallest count, then
 *   the smallest id; the first (of the best few) that really lowers the deficit is taken;
 * - then the released totals of relations that pin suppressed parts together (suppressing a buurt
 *   total that made two suppressed PC6s of a PC4 add up to a known number);
 * - then the relation's own total (which then has to be protected in its own relations);
 * - the relation is checked again after every addition.
 */
export function complementarySuppression(
  t: IndexedTable,
  supp: Uint8Array,
  protectionLevel: number,
): number[] {
  const m = t.relTotal.length;
  const state = new State(t, supp, protectionLevel);
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
  for (let r = 0; r < m; r++) if (state.relSupp[r]! > 0) enqueue(r);

  const added: number[] = [];
  const suppress = (c: number): void => {
    state.set(c, true);
    added.push(c);
    for (let q = t.cellStart[c]!; q < t.cellStart[c + 1]!; q++) enqueue(t.cellRels[q]!);
  };
  const opensNew = (c: number, r: number): number => {
    let k = 0;
    for (let q = t.cellStart[c]!; q < t.cellStart[c + 1]!; q++) {
      const s = t.cellRels[q]!;
      if (s !== r && state.relSupp[s] === 0) k++;
    }
    return k;
  };
  const [count, population] = t.values;
  const p = protectionLevel;
  const TRIALS = 4;

  while (size > 0) {
    const r = queue[head]!;
    head = (head + 1) % m;
    size--;
    queued[r] = 0;
    for (;;) {
      const deficit = state.deficit(r);
      if (deficit === 0) break;
      // The simple (pinning-blind) aggregates of the suppressed parts, for ranking candidates.
      const total = t.relTotal[r]!;
      const totalSuppressed = supp[total] === 1;
      let n = totalSuppressed ? 1 : 0;
      let sum0 = 0;
      let sum1 = 0;
      let max0 = 0;
      let max1 = 0;
      const candidates: { c: number; d: number; opens: number }[] = [];
      for (let q = t.relStart[r]!; q < t.relStart[r + 1]!; q++) {
        const i = t.relParts[q]!;
        if (supp[i] !== 1) {
          candidates.push({ c: i, d: 0, opens: 0 });
          continue;
        }
        n++;
        sum0 += count[i]!;
        sum1 += population[i]!;
        max0 = Math.max(max0, count[i]!);
        max1 = Math.max(max1, population[i]!);
      }
      for (const x of candidates) {
        const c0 = count[x.c]!;
        const c1 = population[x.c]!;
        let d = n + 1 < 2 ? 1 : 0;
        if (totalSuppressed) {
          d += Math.max(0, Math.min(p, count[total]!) - sum0 - c0);
          d += Math.max(0, Math.min(p, population[total]!) - sum1 - c1);
        } else {
          d += Math.max(0, p - (sum0 + c0 - Math.max(max0, c0)));
          d += Math.max(0, p - (sum1 + c1 - Math.max(max1, c1)));
        }
        x.d = d;
        x.opens = opensNew(x.c, r);
      }
      candidates.sort(
        (a, b) =>
          a.d - b.d ||
          a.opens - b.opens ||
          count[a.c]! - count[b.c]! ||
          (t.ids[a.c]! < t.ids[b.c]! ? -1 : t.ids[a.c]! > t.ids[b.c]! ? 1 : 0),
      );
      const others = state
        .pinningTotals(r)
        .sort((a, b) => count[a]! - count[b]! || (t.ids[a]! < t.ids[b]! ? -1 : 1));
      if (!totalSuppressed) others.push(total);
      let chosen = -1;
      const tries = [...candidates.slice(0, TRIALS).map((x) => x.c), ...others];
      for (const c of tries) {
        state.set(c, true);
        const after = state.deficit(r);
        state.set(c, false);
        if (after < deficit) {
          chosen = c;
          break;
        }
      }
      if (chosen < 0) chosen = candidates[0]?.c ?? others[0] ?? -1;
      if (chosen < 0) break; // everything in r is suppressed: nothing left to recover from
      suppress(chosen);
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
  return protectWithForced(table, indexTable(table), rules, new Set());
}

function protectWithForced(
  table: SdcTable,
  t: IndexedTable,
  rules: SdcRules,
  forced: ReadonlySet<number>,
): Map<string, ProtectedCell> {
  const supp = new Uint8Array(t.n);
  const reasons: (SuppressionReason | null)[] = new Array<SuppressionReason | null>(t.n);
  for (let i = 0; i < t.n; i++) {
    const reason = primaryReason(table.cells[i]!, rules);
    reasons[i] = reason;
    if (reason !== null) supp[i] = 1;
  }
  for (const i of forced) {
    if (supp[i] === 1) continue;
    supp[i] = 1;
    reasons[i] = "complementary";
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

/**
 * The released cell nearest to cell c in the relation graph (cells sharing a relation are
 * neighbours), smallest count then smallest id among the nearest: the cell whose suppression most
 * likely widens c's feasible interval. -1 when everything reachable is suppressed.
 */
function nearestReleased(t: IndexedTable, result: ReadonlyMap<string, ProtectedCell>, c: number): number {
  const seen = new Uint8Array(t.n);
  seen[c] = 1;
  let frontier = [c];
  const count = t.values[0];
  while (frontier.length > 0) {
    const next: number[] = [];
    let best = -1;
    for (const i of frontier) {
      for (let z = t.cellStart[i]!; z < t.cellStart[i + 1]!; z++) {
        const r = t.cellRels[z]!;
        const cells = [t.relTotal[r]!, ...t.relParts.subarray(t.relStart[r], t.relStart[r + 1])];
        for (const j of cells) {
          if (seen[j] === 1) continue;
          seen[j] = 1;
          if (result.get(t.ids[j]!)!.status === "released") {
            if (
              best < 0 ||
              count[j]! < count[best]! ||
              (count[j] === count[best] && t.ids[j]! < t.ids[best]!)
            )
              best = j;
          } else next.push(j);
        }
      }
    }
    if (best >= 0) return best;
    frontier = next;
  }
  return -1;
}

export interface AuditedProtection {
  readonly result: Map<string, ProtectedCell>;
  readonly audit: SdcAudit;
  /** Audit rounds run (1 = the heuristic passed the audit at once). */
  readonly rounds: number;
}

/**
 * `protectTable` followed by the LP audit, repaired until the audit passes: for every cell the
 * audit finds narrowed, the nearest released cell (see `nearestReleased`) is suppressed as well and
 * the table is protected again. Every round suppresses at least one more cell, and a table with
 * everything suppressed passes, so this ends; `maxRounds` bounds the work (the last audit is
 * returned, check `audit.ok`). The audit costs LP solves: meant for profile tables of moderate
 * size or as an offline check, not for 500,000 cells per request.
 */
export function protectTableAudited(
  table: SdcTable,
  rules: SdcRules,
  solver: LpSolver,
  maxRounds = 50,
): AuditedProtection {
  const t = indexTable(table);
  const forced = new Set<number>();
  let rounds = 0;
  for (;;) {
    rounds++;
    const result = protectWithForced(table, t, rules, forced);
    const audit = auditTable(table, result, rules, solver);
    if (audit.ok || rounds >= maxRounds) return { result, audit, rounds };
    let progress = false;
    for (const cell of audit.cells) {
      if (cell.ok) continue;
      const j = nearestReleased(t, result, t.index.get(cell.id)!);
      if (j >= 0 && !forced.has(j)) {
        forced.add(j);
        progress = true;
      }
    }
    if (!progress) return { result, audit, rounds };
  }
}
