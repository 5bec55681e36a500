/**
 * The disclosure audit (T-SDC-2): what can an attacker derive about each suppressed cell? Released
 * cells are taken as exact TRUE values (the attacker's best case: perturbation ignored), suppressed
 * counts and populations are unknowns >= 0 with count <= population, and every relation holds for
 * both. The feasible interval of each unknown is computed by LP (min and max), one connected
 * component of suppressed cells at a time — released cells are constants, so components do not
 * interact and each LP stays small.
 */
import type { LinearProgram, LpRow, LpSolver, LpTerm } from "./lp.js";
import type { SdcRules } from "./rules.js";
import { indexTable } from "./table.js";
import type { ProtectedCell, SdcTable, SuppressionReason } from "./types.js";

export interface SdcAuditInterval {
  /** The true value. */
  readonly value: number;
  /** The feasible interval an attacker can derive (upper may be Infinity). */
  readonly lower: number;
  readonly upper: number;
  /** The protection interval [max(0, value - p), value + p] it must cover. */
  readonly required: readonly [number, number];
  readonly ok: boolean;
}

export interface SdcAuditCell extends SdcAuditInterval {
  readonly id: string;
  readonly reason: SuppressionReason | null;
  /** The same for the cell's population. */
  readonly population: SdcAuditInterval;
}

export interface SdcAudit {
  /** Every suppressed cell's count and population intervals cover their protection intervals. */
  readonly ok: boolean;
  readonly cells: readonly SdcAuditCell[];
  /** Connected components of suppressed cells (one LP model each). */
  readonly components: number;
  /** LPs solved. */
  readonly solves: number;
}

const EPS = 1e-6;

function find(parent: Int32Array, i: number): number {
  while (parent[i] !== i) {
    parent[i] = parent[parent[i]!]!;
    i = parent[i]!;
  }
  return i;
}

/**
 * Audits a protected table. Throws when `result` does not cover every cell of `table` or the solver
 * finds the true table infeasible (which would mean the model is wrong).
 */
export function auditTable(
  table: SdcTable,
  result: ReadonlyMap<string, ProtectedCell>,
  rules: SdcRules,
  solver: LpSolver,
): SdcAudit {
  const t = indexTable(table);
  const p = rules.protectionLevel;
  const supp = new Uint8Array(t.n);
  for (let i = 0; i < t.n; i++) {
    const r = result.get(t.ids[i]!);
    if (!r) throw new RangeError(`auditTable: no result for cell ${t.ids[i]}`);
    if (r.status === "suppressed") supp[i] = 1;
  }
  const m = t.relTotal.length;
  const parent = new Int32Array(t.n);
  for (let i = 0; i < t.n; i++) parent[i] = i;
  for (let r = 0; r < m; r++) {
    let first = supp[t.relTotal[r]!] === 1 ? t.relTotal[r]! : -1;
    for (let q = t.relStart[r]!; q < t.relStart[r + 1]!; q++) {
      const i = t.relParts[q]!;
      if (supp[i] !== 1) continue;
      if (first < 0) first = i;
      else {
        const a = find(parent, first);
        const b = find(parent, i);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
  }
  const members = new Map<number, number[]>();
  for (let i = 0; i < t.n; i++) {
    if (supp[i] !== 1) continue;
    const root = find(parent, i);
    const list = members.get(root);
    if (list) list.push(i);
    else members.set(root, [i]);
  }

  const cells: SdcAuditCell[] = [];
  let solves = 0;
  for (const comp of members.values()) {
    const local = new Map<number, number>();
    comp.forEach((i, j) => local.set(i, j));
    const variables = comp.flatMap((_, j) => [{ name: `c${j}` }, { name: `p${j}` }]);
    const rows: LpRow[] = [];
    const rels = new Set<number>();
    for (const i of comp)
      for (let q = t.cellStart[i]!; q < t.cellStart[i + 1]!; q++) rels.add(t.cellRels[q]!);
    for (const r of [...rels].sort((a, b) => a - b)) {
      for (const [dim, prefix] of [
        [0, "c"],
        [1, "p"],
      ] as const) {
        const values = t.values[dim];
        const terms: LpTerm[] = [];
        let rhs = 0;
        const total = t.relTotal[r]!;
        if (supp[total] === 1) terms.push({ variable: `${prefix}${local.get(total)}`, coefficient: -1 });
        else rhs += values[total]!;
        for (let q = t.relStart[r]!; q < t.relStart[r + 1]!; q++) {
          const i = t.relParts[q]!;
          if (supp[i] === 1) terms.push({ variable: `${prefix}${local.get(i)}`, coefficient: 1 });
          else rhs -= values[i]!;
        }
        rows.push({ terms, sense: "=", rhs });
      }
    }
    comp.forEach((_, j) =>
      rows.push({
        terms: [
          { variable: `c${j}`, coefficient: 1 },
          { variable: `p${j}`, coefficient: -1 },
        ],
        sense: "<=",
        rhs: 0,
      }),
    );
    const bound = (variable: string, sense: "minimize" | "maximize"): number => {
      const lp: LinearProgram = { sense, objective: [{ variable, coefficient: 1 }], variables, rows };
      const res = solver.solve(lp);
      solves++;
      if (res.status === "infeasible")
        throw new Error("auditTable: the true table does not satisfy its own relations (LP infeasible)");
      if (res.status === "unbounded") return sense === "maximize" ? Infinity : -Infinity;
      return res.objective;
    };
    const interval = (variable: string, value: number): SdcAuditInterval => {
      const lower = bound(variable, "minimize");
      const upper = bound(variable, "maximize");
      const required = [Math.max(0, value - p), value + p] as const;
      return { value, lower, upper, required, ok: lower <= required[0] + EPS && upper >= required[1] - EPS };
    };
    comp.forEach((i, j) => {
      const count = interval(`c${j}`, t.values[0][i]!);
      const population = interval(`p${j}`, t.values[1][i]!);
      cells.push({
        id: t.ids[i]!,
        reason: result.get(t.ids[i]!)!.reason,
        ...count,
        ok: count.ok && population.ok,
        population,
      });
    });
  }
  cells.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { ok: cells.every((c) => c.ok), cells, components: members.size, solves };
}
