/**
 * Linear programs for the disclosure audit: a small model type, a writer for the CPLEX LP text
 * format (what HiGHS's `solve` reads), and an adapter for an already loaded HiGHS instance. Core
 * never loads the solver itself: loading wasm is I/O.
 */

export interface LpTerm {
  readonly variable: string;
  readonly coefficient: number;
}

export interface LpVariable {
  /** Letters, digits and `_`, starting with a letter other than e/E (which LP readers take for an exponent). */
  readonly name: string;
  /** Default 0; -Infinity for none. */
  readonly lower?: number;
  /** Default +Infinity (none). */
  readonly upper?: number;
}

export interface LpRow {
  readonly terms: readonly LpTerm[];
  readonly sense: "=" | "<=" | ">=";
  readonly rhs: number;
}

export interface LinearProgram {
  readonly sense: "minimize" | "maximize";
  readonly objective: readonly LpTerm[];
  readonly variables: readonly LpVariable[];
  readonly rows: readonly LpRow[];
}

export interface LpResult {
  readonly status: "optimal" | "infeasible" | "unbounded";
  readonly objective: number;
}

/** Anything that solves a `LinearProgram`; injected so core stays pure. */
export interface LpSolver {
  solve(lp: LinearProgram): LpResult;
}

const NAME = /^[A-DF-Za-df-z_][A-Za-z0-9_]*$/;

function num(x: number, what: string): string {
  if (!Number.isFinite(x)) throw new RangeError(`LP: ${what} must be finite, got ${x}`);
  return String(x);
}

function linear(terms: readonly LpTerm[], names: ReadonlySet<string>, what: string): string {
  if (terms.length === 0) return "0";
  return terms
    .map((t, i) => {
      if (!names.has(t.variable)) throw new RangeError(`LP: ${what} uses undeclared variable ${t.variable}`);
      const c = num(t.coefficient, `a coefficient in ${what}`);
      const sign = t.coefficient < 0 ? "-" : "+";
      const abs = c.startsWith("-") ? c.slice(1) : c;
      return `${i === 0 && sign === "+" ? "" : `${sign} `}${abs} ${t.variable}`;
    })
    .join(" ");
}

/**
 * Writes a linear program in CPLEX LP format.
 *
 * @example toCplexLp({ sense: "maximize", objective: [{ variable: "x0", coefficient: 1 }],
 *   variables: [{ name: "x0" }, { name: "x1" }],
 *   rows: [{ terms: [{ variable: "x0", coefficient: 1 }, { variable: "x1", coefficient: 1 }], sense: "=", rhs: 5 }] })
 * // "Maximize\n obj: 1 x0\nSubject To\n r0: 1 x0 + 1 x1 = 5\nBounds\n x0 >= 0\n x1 >= 0\nEnd\n"
 */
export function toCplexLp(lp: LinearProgram): string {
  const names = new Set<string>();
  for (const v of lp.variables) {
    if (!NAME.test(v.name) || v.name.length > 255)
      throw new RangeError(`LP: invalid variable name ${JSON.stringify(v.name)}`);
    if (names.has(v.name)) throw new RangeError(`LP: variable ${v.name} declared twice`);
    names.add(v.name);
  }
  const out: string[] = [lp.sense === "maximize" ? "Maximize" : "Minimize"];
  out.push(` obj: ${linear(lp.objective, names, "the objective")}`);
  out.push("Subject To");
  lp.rows.forEach((row, i) => {
    if (row.terms.length === 0) throw new RangeError(`LP: row ${i} has no terms`);
    out.push(
      ` r${i}: ${linear(row.terms, names, `row ${i}`)} ${row.sense} ${num(row.rhs, `the right-hand side of row ${i}`)}`,
    );
  });
  out.push("Bounds");
  for (const v of lp.variables) {
    const lo = v.lower ?? 0;
    const hi = v.upper ?? Infinity;
    if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi || lo === Infinity || hi === -Infinity)
      throw new RangeError(`LP: bounds of ${v.name} must satisfy lower <= upper, got [${lo}, ${hi}]`);
    if (lo === -Infinity && hi === Infinity) out.push(` ${v.name} free`);
    else if (hi === Infinity) out.push(` ${v.name} >= ${num(lo, "a bound")}`);
    else if (lo === -Infinity) out.push(` -inf <= ${v.name} <= ${num(hi, "a bound")}`);
    else out.push(` ${num(lo, "a bound")} <= ${v.name} <= ${num(hi, "a bound")}`);
  }
  out.push("End");
  return `${out.join("\n")}\n`;
}

/** The part of the `highs` package's loaded instance the adapter uses. */
export interface HighsLike {
  solve(
    problem: string,
    options?: Record<string, unknown>,
  ): { readonly Status: string; readonly ObjectiveValue: number };
}

/**
 * An `LpSolver` on an already loaded HiGHS instance (`await (await import("highs")).default()`).
 * "Primal infeasible or unbounded" (presolve cannot tell) is solved again without presolve; any
 * status other than optimal, infeasible or unbounded throws.
 */
export function highsSolver(highs: HighsLike): LpSolver {
  return {
    solve(lp: LinearProgram): LpResult {
      const text = toCplexLp(lp);
      let r = highs.solve(text, { output_flag: false });
      if (r.Status === "Primal infeasible or unbounded")
        r = highs.solve(text, { output_flag: false, presolve: "off" });
      switch (r.Status) {
        case "Optimal":
          return { status: "optimal", objective: r.ObjectiveValue };
        case "Infeasible":
          return { status: "infeasible", objective: NaN };
        case "Unbounded":
          return { status: "unbounded", objective: lp.sense === "maximize" ? Infinity : -Infinity };
        default:
          throw new Error(`HiGHS: unexpected model status ${r.Status}`);
      }
    },
  };
}
