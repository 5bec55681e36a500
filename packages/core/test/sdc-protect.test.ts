/**
 * Properties of `protectTable` on random hierarchical tables with overlapping geographies
 * (T-SDC-1, T-SDC-2, T-SDC-3). A random gemeente has PC6 cells that add up to PC4s and,
 * independently, to buurten; buurten add up to wijken; the gemeente is the total of its PC4s and of
 * its wijken; with two gemeenten the land is their total. So every PC6 is a part in two relations
 * and the gemeente is the total of two.
 */
import highsLoader from "highs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  auditTable,
  highsSolver,
  perturbCount,
  protectTable,
  protectTableAudited,
  sdcRules,
  violatesDominance,
  violatesPPercent,
  type HighsLike,
  type LpSolver,
  type ProtectedCell,
  type SdcCell,
  type SdcRelation,
  type SdcRules,
  type SdcTable,
} from "../src/index.js";

// highs ships CommonJS-typed declarations: under NodeNext its default export types as the module
// object, while at run time (ESM build) it is the loader function.
const loadHighs = highsLoader as unknown as () => Promise<HighsLike>;

interface LeafSpec {
  count: number;
  extraPopulation: number;
  extraArea: number;
  countKey: number;
  populationKey: number;
  near: number[];
  magnitude: { top: number[]; rest: number } | null;
}
interface GemeenteSpec {
  leaves: LeafSpec[];
  pc4Cuts: number[];
  buurtOf: number[];
  wijkOf: number[];
}

const leafArb = (nearLength: number): fc.Arbitrary<LeafSpec> =>
  fc.record({
    // Many small counts (most PC6 profile cells are below k), some large ones.
    count: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 60 })),
    extraPopulation: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 80 })),
    extraArea: fc.integer({ min: 0, max: 80 }),
    countKey: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    populationKey: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    near: fc.array(fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 40 })), {
      minLength: nearLength,
      maxLength: nearLength,
    }),
    magnitude: fc.option(
      fc.record({
        top: fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 0, maxLength: 3 }),
        rest: fc.integer({ min: 0, max: 5000 }),
      }),
      { nil: null },
    ),
  });

const gemeenteArb = (nearLength: number, maxLeaves: number): fc.Arbitrary<GemeenteSpec> =>
  fc.integer({ min: 2, max: maxLeaves }).chain((n) =>
    fc.record({
      leaves: fc.array(leafArb(nearLength), { minLength: n, maxLength: n }),
      pc4Cuts: fc.uniqueArray(fc.integer({ min: 1, max: n - 1 }), { maxLength: 3 }),
      buurtOf: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
      wijkOf: fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 4, maxLength: 4 }),
    }),
  );

const tableArb = (maxLeaves = 10): fc.Arbitrary<SdcTable> =>
  fc
    .integer({ min: 0, max: 2 })
    .chain((nearLength) => fc.array(gemeenteArb(nearLength, maxLeaves), { minLength: 1, maxLength: 2 }))
    .map(buildTable);

const frac = (x: number): number => x - Math.floor(x);

/** A cell as the sum of other cells: counts add, cell keys add modulo 1 (sum of record keys). */
function sumCell(id: string, parts: readonly SdcCell[]): SdcCell {
  const near = parts[0]!.nearCounts?.map((_, i) => parts.reduce((s, c) => s + c.nearCounts![i]!, 0));
  const hasMagnitude = parts.some((c) => c.magnitude);
  return {
    id,
    count: parts.reduce((s, c) => s + c.count, 0),
    population: parts.reduce((s, c) => s + c.population, 0),
    areaPopulation: parts.reduce((s, c) => s + c.areaPopulation, 0),
    countKey: frac(parts.reduce((s, c) => s + c.countKey, 0)),
    populationKey: frac(parts.reduce((s, c) => s + c.populationKey, 0)),
    ...(near ? { nearCounts: near } : {}),
    ...(hasMagnitude
      ? {
          magnitude: {
            total: parts.reduce((s, c) => s + (c.magnitude?.total ?? 0), 0),
            top: parts
              .flatMap((c) => c.magnitude?.top ?? [])
              .sort((a, b) => b - a)
              .slice(0, 3),
          },
        }
      : {}),
  };
}

function buildTable(gemeenten: readonly GemeenteSpec[]): SdcTable {
  const cells: SdcCell[] = [];
  const relations: SdcRelation[] = [];
  const total = (id: string, parts: readonly SdcCell[]): SdcCell => {
    const cell = sumCell(id, parts);
    cells.push(cell);
    relations.push({ total: id, parts: parts.map((c) => c.id) });
    return cell;
  };
  const gms = gemeenten.map((g, gi) => {
    const pc4 = 1000 + gi * 10;
    const leaves = g.leaves.map((l, i): SdcCell => {
      const top = [...(l.magnitude?.top ?? [])].sort((a, b) => b - a);
      const cell: SdcCell = {
        id: `pc6:${pc4}${String.fromCharCode(65 + Math.floor(i / 26))}${String.fromCharCode(65 + (i % 26))}`,
        count: l.count,
        population: l.count + l.extraPopulation,
        areaPopulation: l.count + l.extraPopulation + l.extraArea,
        countKey: l.countKey,
        populationKey: l.populationKey,
        nearCounts: l.near.map((x) => l.count + x),
        ...(l.magnitude
          ? { magnitude: { total: top.reduce((s, x) => s + x, 0) + l.magnitude.rest, top } }
          : {}),
      };
      cells.push(cell);
      return cell;
    });
    const cuts = [0, ...[...g.pc4Cuts].sort((a, b) => a - b), leaves.length];
    const pc4s = cuts
      .slice(1)
      .map((end, j) => total(`pc4:${pc4 + j}`, leaves.slice(cuts[j], end)))
      .filter((c) => c !== undefined);
    const buurten = [0, 1, 2, 3].flatMap((b) => {
      const parts = leaves.filter((_, i) => g.buurtOf[i] === b);
      return parts.length > 0 ? [{ b, cell: total(`buurt:BU${1000 + gi}00${b}0`, parts) }] : [];
    });
    const wijken = [0, 1].flatMap((w) => {
      const parts = buurten.filter((x) => g.wijkOf[x.b] === w).map((x) => x.cell);
      return parts.length > 0 ? [total(`wijk:WK${1000 + gi}0${w}`, parts)] : [];
    });
    const gm = sumCell(`gemeente:GM${1000 + gi}`, pc4s);
    cells.push(gm);
    relations.push({ total: gm.id, parts: pc4s.map((c) => c.id) });
    relations.push({ total: gm.id, parts: wijken.map((c) => c.id) });
    return gm;
  });
  if (gms.length > 1) total("land:NL01", gms);
  return { cells, relations };
}

const rulesArb: fc.Arbitrary<SdcRules> = fc
  .record({
    k: fc.constantFrom(3, 5, 10),
    minPopulation: fc.constantFrom(0, 20, 50),
    groupDisclosure: fc.boolean(),
    maxNoise: fc.integer({ min: 0, max: 3 }),
    pScale: fc.constantFrom(0.5, 1, 1.5),
  })
  .map((r) =>
    sdcRules({
      k: r.k,
      minPopulation: r.minPopulation,
      groupDisclosure: r.groupDisclosure,
      protectionLevel: Math.round(r.k * r.pScale),
      perturbation: { maxNoise: r.maxNoise },
    }),
  );

let solver: LpSolver;
beforeAll(async () => {
  solver = highsSolver(await loadHighs());
});

const byId = (table: SdcTable): Map<string, SdcCell> => new Map(table.cells.map((c) => [c.id, c]));

/** The attacker of T-SDC-3: released cells known exactly (true values, the worst case); any relation
 * with exactly one unknown cell gives that cell away; repeated until nothing new is learnt. */
function recoverByDifferencing(table: SdcTable, result: Map<string, ProtectedCell>): Map<string, number> {
  const cells = byId(table);
  const known = new Map<string, number>();
  for (const c of table.cells) if (result.get(c.id)!.status === "released") known.set(c.id, c.count);
  const recovered = new Map<string, number>();
  for (let changed = true; changed;) {
    changed = false;
    for (const r of table.relations) {
      const unknown = [r.total, ...r.parts].filter((id) => !known.has(id));
      if (unknown.length !== 1) continue;
      const id = unknown[0]!;
      const partsSum = r.parts.reduce((s, p) => s + (known.get(p) ?? 0), 0);
      const value = id === r.total ? partsSum : known.get(r.total)! - partsSum;
      expect(value).toBe(cells.get(id)!.count); // the attack is sound: it finds the true value
      known.set(id, value);
      recovered.set(id, value);
      changed = true;
    }
  }
  return recovered;
}

function expectPrimaryRulesHold(table: SdcTable, result: Map<string, ProtectedCell>, rules: SdcRules): void {
  expect([...result.keys()].sort()).toEqual(table.cells.map((c) => c.id).sort());
  for (const cell of table.cells) {
    const r = result.get(cell.id)!;
    if (r.status === "suppressed") {
      expect(r.count).toBeNull();
      expect(r.population).toBeNull();
      expect(r.reason).not.toBeNull();
      continue;
    }
    expect(r.reason).toBeNull();
    // Nothing below k: neither the true count nor the released one.
    expect(cell.count).toBeGreaterThanOrEqual(rules.k);
    expect(r.count!).toBeGreaterThanOrEqual(rules.k);
    expect(r.population!).toBeGreaterThanOrEqual(rules.k);
    expect(Math.abs(r.count! - cell.count)).toBeLessThanOrEqual(rules.perturbation.maxNoise);
    expect(r.perturbation).toBe(r.count! - cell.count);
    // No released cell of a small area.
    expect(cell.areaPopulation).toBeGreaterThanOrEqual(rules.minPopulation);
    // No group disclosure, on true and on released values.
    if (rules.groupDisclosure) {
      expect(cell.population - cell.count).toBeGreaterThanOrEqual(rules.k);
      expect(r.population! - r.count!).toBeGreaterThanOrEqual(rules.k);
    }
    // No near-profile difference below k.
    for (const n of cell.nearCounts ?? []) expect(n - cell.count).toBeGreaterThanOrEqual(rules.k);
    if (cell.magnitude) {
      expect(violatesDominance(cell.magnitude, rules.dominance)).toBe(false);
      expect(violatesPPercent(cell.magnitude, rules.pPercent)).toBe(false);
    }
  }
  // No relation leaves exactly one suppressed cell (total minus the other parts).
  for (const rel of table.relations) {
    const suppressed = [rel.total, ...rel.parts].filter((id) => result.get(id)!.status === "suppressed");
    expect(suppressed.length).not.toBe(1);
  }
}

describe("T-SDC-1 nothing below k, no small area, no group disclosure, no small near-profile difference", () => {
  it("holds for protectTable on random hierarchical tables", () => {
    fc.assert(
      fc.property(tableArb(14), rulesArb, (table, rules) => {
        expectPrimaryRulesHold(table, protectTable(table, rules), rules);
      }),
      { seed: 11, numRuns: 400 },
    );
  });

  it("releases something: a table of large counts is released whole", () => {
    const rules = sdcRules({ minPopulation: 0, perturbation: { maxNoise: 0 } });
    const leaf = (id: string, count: number): SdcCell => ({
      id,
      count,
      population: count * 3,
      areaPopulation: count * 4,
      countKey: 0.5,
      populationKey: 0.5,
    });
    const table: SdcTable = {
      cells: [leaf("pc6:1000AA", 40), leaf("pc6:1000AB", 25), leaf("pc4:1000", 65)],
      relations: [{ total: "pc4:1000", parts: ["pc6:1000AA", "pc6:1000AB"] }],
    };
    const result = protectTable(table, rules);
    expect([...result.values()].map((c) => [c.id, c.status, c.count])).toEqual([
      ["pc6:1000AA", "released", 40],
      ["pc6:1000AB", "released", 25],
      ["pc4:1000", "released", 65],
    ]);
  });
});

describe("T-SDC-2 the LP audit: every suppressed cell's feasible interval covers its protection interval", () => {
  it("holds for protectTableAudited (heuristic, then LP-audit repair) on random tables", () => {
    let repaired = 0;
    fc.assert(
      fc.property(tableArb(), rulesArb, (table, rules) => {
        const { result, audit, rounds } = protectTableAudited(table, rules, solver);
        if (rounds > 1) repaired++;
        expect(audit.cells.filter((c) => !c.ok)).toEqual([]);
        expect(audit.ok).toBe(true);
        // An independent audit of the returned pattern agrees, and covers every suppressed cell.
        const again = auditTable(table, result, rules, solver);
        expect(again.ok).toBe(true);
        const suppressed = [...result.values()].filter((c) => c.status === "suppressed").map((c) => c.id);
        expect(again.cells.map((c) => c.id)).toEqual(suppressed.sort());
        for (const c of again.cells) {
          expect(c.lower).toBeLessThanOrEqual(c.required[0] + 1e-6);
          expect(c.upper).toBeGreaterThanOrEqual(c.required[1] - 1e-6);
        }
        // The repair keeps the primary rules.
        expectPrimaryRulesHold(table, result, rules);
      }),
      { seed: 20240601, numRuns: 150 },
    );
    // The generator does produce tables the local heuristic alone gets wrong (so the repair is tested).
    expect(repaired).toBeGreaterThan(0);
  });

  it("holds for the heuristic alone on tables with a single hierarchy (PC6 → PC4 → gemeente)", () => {
    fc.assert(
      fc.property(tableArb(), rulesArb, (full, rules) => {
        // Keep only the postcode hierarchy: drop buurt, wijk and the gemeente-as-sum-of-wijken.
        const keep = (id: string): boolean => !id.startsWith("buurt:") && !id.startsWith("wijk:");
        const table: SdcTable = {
          cells: full.cells.filter((c) => keep(c.id)),
          relations: full.relations.filter((r) => keep(r.total) && r.parts.every(keep)),
        };
        const audit = auditTable(table, protectTable(table, rules), rules, solver);
        expect(audit.cells.filter((c) => !c.ok)).toEqual([]);
      }),
      { seed: 7, numRuns: 150 },
    );
  });
});

describe("T-SDC-3 differencing attacks recover nothing", () => {
  it("along the hierarchy and across overlapping geographies, on random tables", () => {
    fc.assert(
      fc.property(tableArb(), rulesArb, (table, rules) => {
        const { result } = protectTableAudited(table, rules, solver);
        expect([...recoverByDifferencing(table, result).keys()]).toEqual([]);
      }),
      { seed: 3, numRuns: 100 },
    );
  });

  // PC4 1000 = AA + AB + AC and buurt B1 = AA + AD (AD lies in PC4 1001 = AD + AE); AA has 3 persons.
  const cell = (id: string, count: number): SdcCell => ({
    id,
    count,
    population: count * 5,
    areaPopulation: count * 6,
    countKey: 0.5,
    populationKey: 0.5,
  });
  const overlapping: SdcTable = {
    cells: [
      cell("pc6:1000AA", 3),
      cell("pc6:1000AB", 20),
      cell("pc6:1000AC", 30),
      cell("pc6:1001AD", 25),
      cell("pc6:1001AE", 40),
      cell("pc4:1000", 53),
      cell("pc4:1001", 65),
      cell("buurt:B1", 28),
      cell("buurt:B2", 90),
    ],
    relations: [
      { total: "pc4:1000", parts: ["pc6:1000AA", "pc6:1000AB", "pc6:1000AC"] },
      { total: "pc4:1001", parts: ["pc6:1001AD", "pc6:1001AE"] },
      { total: "buurt:B1", parts: ["pc6:1000AA", "pc6:1001AD"] },
      { total: "buurt:B2", parts: ["pc6:1000AB", "pc6:1000AC", "pc6:1001AE"] },
    ],
  };

  it("across overlapping geographies: protecting the PC4 hierarchy alone leaks through the buurt", () => {
    const rules = sdcRules({ minPopulation: 0, perturbation: { maxNoise: 0 } });
    const pc4Only: SdcTable = { cells: overlapping.cells, relations: overlapping.relations.slice(0, 2) };
    const naive = protectTable(pc4Only, rules);
    // The attack works against a pattern that ignored the buurt relations: B1 - AD = AA.
    expect(recoverByDifferencing(overlapping, naive).get("pc6:1000AA")).toBe(3);
    // With all relations, nothing is recovered, and the LP finds no narrowing either.
    const result = protectTable(overlapping, rules);
    expect(result.get("pc6:1000AA")!.status).toBe("suppressed");
    expect([...recoverByDifferencing(overlapping, result).keys()]).toEqual([]);
    expect(auditTable(overlapping, result, rules, solver).ok).toBe(true);
  });

  it("between near-identical profiles: a released cell never differs from a near profile by less than k", () => {
    const rules = sdcRules({ minPopulation: 0 });
    const base = { population: 400, areaPopulation: 500, countKey: 0.1, populationKey: 0.2 };
    const table: SdcTable = {
      cells: [
        { id: "buurt:A", count: 40, nearCounts: [46, 90], ...base }, // 46 - 40 = 6 persons differ
        { id: "buurt:B", count: 40, nearCounts: [50, 90], ...base }, // 10 differ: fine
        { id: "buurt:C", count: 40, nearCounts: [40], ...base }, // the dropped condition changes nothing
      ],
      relations: [],
    };
    const result = protectTable(table, rules);
    expect(result.get("buurt:A")!.reason).toBe("near-profile-difference");
    expect(result.get("buurt:B")!.status).toBe("released");
    expect(result.get("buurt:C")!.reason).toBe("near-profile-difference");
  });

  it("repeated queries: the same table gives the same numbers every time, in any order, and in sub-tables", () => {
    fc.assert(
      fc.property(tableArb(), rulesArb, fc.integer(), (table, rules, seed) => {
        const first = protectTable(table, rules);
        const shuffle = <T>(xs: readonly T[]): T[] =>
          xs
            .map((x, i) => ({ x, k: Math.imul(i + 1, 2654435761 ^ seed) >>> 0 }))
            .sort((a, b) => a.k - b.k)
            .map((e) => e.x);
        for (let i = 0; i < 3; i++) expect(protectTable(table, rules)).toEqual(first);
        const reordered = protectTable(
          {
            cells: shuffle(table.cells),
            relations: shuffle(table.relations).map((r) => ({ ...r, parts: shuffle(r.parts) })),
          },
          rules,
        );
        expect(new Map([...reordered].sort())).toEqual(new Map([...first].sort()));
        // A cell released in a sub-table (one PC4 and its PC6s) has the same released value.
        const rel = table.relations.find((r) => r.total.startsWith("pc4:"))!;
        const ids = new Set([rel.total, ...rel.parts]);
        const sub = protectTable(
          { cells: table.cells.filter((c) => ids.has(c.id)), relations: [rel] },
          rules,
        );
        for (const [id, c] of sub) {
          const f = first.get(id)!;
          if (c.status === "released" && f.status === "released") {
            expect(c.count).toBe(f.count);
            expect(c.population).toBe(f.population);
          }
        }
        // And the released value is perturbCount of the cell: the same by any path (API, export, map).
        for (const cell of table.cells) {
          const f = first.get(cell.id)!;
          if (f.status === "released") expect(f.count).toBe(perturbCount(cell.count, cell.countKey, rules));
        }
      }),
      { seed: 5, numRuns: 200 },
    );
  });
});
