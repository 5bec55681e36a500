/**
 * T-SDC-4: suppression patterns on small fixed tables, worked out by hand. R's sdcTable is not
 * installable here (`apt-cache policy r-cran-sdctable` lists nothing), so the expected patterns
 * follow from the rules in docs/disclosure-control.md, reasoned out in each test; the LP audit
 * (real HiGHS) confirms each pattern protects what it must.
 * Rules: k = 10, p = 10, no minimum population, no noise (so released values are the true ones).
 */
import highsLoader from "highs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  auditTable,
  highsSolver,
  protectTable,
  protectTableAudited,
  sdcRules,
  type HighsLike,
  type LpSolver,
  type ProtectedCell,
  type SdcCell,
  type SdcTable,
} from "../src/index.js";

// highs ships CommonJS-typed declarations: under NodeNext its default export types as the module
// object, while at run time (ESM build) it is the loader function.
const loadHighs = highsLoader as unknown as () => Promise<HighsLike>;

const rules = sdcRules({ minPopulation: 0, perturbation: { maxNoise: 0 } });
let solver: LpSolver;
beforeAll(async () => {
  solver = highsSolver(await loadHighs());
});

const cell = (id: string, count: number, population: number): SdcCell => ({
  id,
  count,
  population,
  areaPopulation: population,
  countKey: 0.5,
  populationKey: 0.5,
});
const pattern = (result: Map<string, ProtectedCell>): Record<string, string> =>
  Object.fromEntries([...result.values()].map((c) => [c.id, c.reason ?? `released ${c.count}`]));

describe("T-SDC-4 golden suppression patterns", () => {
  it("one small PC6 in a PC4: two complements, because complements are protected too", () => {
    // PC4 = AA + AB + AC = 4 + 30 + 15 = 49 (populations 100 + 200 + 150 = 450).
    // AA (4 < 10) is primary. With only AA suppressed, AA = PC4 - AB - AC: add a complement.
    // AC (15) and AB (30) both leave the same shortfall for the pair (the smaller must absorb +10
    // of the larger: 4 < 10), so the smaller count wins: AC. Now AC + 10 needs the others to
    // give up 10 and AA has only 4: add AB. Then for each suppressed cell the others hold
    // 49 - 30 = 19 >= 10. PC4 stays released.
    const table: SdcTable = {
      cells: [
        cell("pc6:1000AA", 4, 100),
        cell("pc6:1000AB", 30, 200),
        cell("pc6:1000AC", 15, 150),
        cell("pc4:1000", 49, 450),
      ],
      relations: [{ total: "pc4:1000", parts: ["pc6:1000AA", "pc6:1000AB", "pc6:1000AC"] }],
    };
    const result = protectTable(table, rules);
    expect(pattern(result)).toEqual({
      "pc6:1000AA": "count-below-k",
      "pc6:1000AB": "complementary",
      "pc6:1000AC": "complementary",
      "pc4:1000": "released 49",
    });
    const audit = auditTable(table, result, rules, solver);
    expect(audit.ok).toBe(true);
    // By hand: AA = 49 - AB - AC with AB, AC >= 0 unknown, so AA ∈ [0, 49].
    expect(audit.cells.find((c) => c.id === "pc6:1000AA")).toMatchObject({
      lower: 0,
      upper: 49,
      required: [0, 14],
    });
  });

  it("a small PC4 in a gemeente: the suppression climbs to the top when no sibling can absorb it", () => {
    // PC4 P = AA + AB = 3 + 5 = 8: all three below k (primary). In P the parts hold 8 >= min(10, 8).
    // Gemeente G = P + Q = 8 + 40: P alone is G - Q, so Q (the only released part) is suppressed.
    // Then Q + 10 needs P to give up 10 and P has 8: no part is left, so G itself is suppressed.
    // G is a top total: nothing above it, and in G's relation P and Q can move up together.
    const table: SdcTable = {
      cells: [
        cell("pc6:1000AA", 3, 60),
        cell("pc6:1000AB", 5, 70),
        cell("pc4:1000", 8, 130),
        cell("pc4:1001", 40, 400),
        cell("gemeente:GM0001", 48, 530),
      ],
      relations: [
        { total: "pc4:1000", parts: ["pc6:1000AA", "pc6:1000AB"] },
        { total: "gemeente:GM0001", parts: ["pc4:1000", "pc4:1001"] },
      ],
    };
    const result = protectTable(table, rules);
    expect(pattern(result)).toEqual({
      "pc6:1000AA": "count-below-k",
      "pc6:1000AB": "count-below-k",
      "pc4:1000": "count-below-k",
      "pc4:1001": "complementary",
      "gemeente:GM0001": "complementary",
    });
    expect(auditTable(table, result, rules, solver).ok).toBe(true);
  });

  it("a buurt inside a PC4 pins its PC6s: they are no use as complements", () => {
    // PC4 P = A + B + C + D = 2 + 12 + 14 + 30 = 58; buurt U = B + C = 26; buurt W = A + D = 32.
    // Relations are checked in id order: buurt:U, buurt:W, pc4:1000. U has no suppression.
    // W = A + D: A (2) alone is W - D, so D (the only part) is suppressed; then D + 10 needs A to
    // give up 10 and A has 2: no part is left, so W itself is suppressed (it has no parent here).
    // P: A and D suppressed, P released: D + 10 again needs 10 from A. Candidates B (12), C (14)
    // would each do on counts, but B = U - C (U and C released): B would be pinned, unable to
    // move at all, and the same for C. The total P is suppressed instead: in P the free parts
    // A + D = 32 >= 10 carry any change of P, and A and D can move with W and P.
    // Result: 4 suppressed cells; suppressing B, C and U as well would also work but costs more.
    const table: SdcTable = {
      cells: [
        cell("pc6:1000AA", 2, 50),
        cell("pc6:1000AB", 12, 80),
        cell("pc6:1000AC", 14, 90),
        cell("pc6:1000AD", 30, 200),
        cell("pc4:1000", 58, 420),
        cell("buurt:U", 26, 170),
        cell("buurt:W", 32, 250),
      ],
      relations: [
        { total: "pc4:1000", parts: ["pc6:1000AA", "pc6:1000AB", "pc6:1000AC", "pc6:1000AD"] },
        { total: "buurt:U", parts: ["pc6:1000AB", "pc6:1000AC"] },
        { total: "buurt:W", parts: ["pc6:1000AA", "pc6:1000AD"] },
      ],
    };
    const result = protectTable(table, rules);
    expect(pattern(result)).toEqual({
      "pc6:1000AA": "count-below-k",
      "pc6:1000AB": "released 12",
      "pc6:1000AC": "released 14",
      "pc6:1000AD": "complementary",
      "pc4:1000": "complementary",
      "buurt:U": "released 26",
      "buurt:W": "complementary",
    });
    expect(auditTable(table, result, rules, solver).ok).toBe(true);
  });

  it("the audit catches a pattern that is locally fine but narrows a cell, and the repair fixes it", () => {
    // T = a + b = 4 + 5 = 9 released, a and b suppressed: no single cell is recoverable, but
    // a = 9 - b <= 9 < 4 + 10. By hand: a ∈ [0, 9], b ∈ [0, 9].
    const table: SdcTable = {
      cells: [cell("pc6:1000AA", 4, 40), cell("pc6:1000AB", 5, 50), cell("pc4:1000", 9, 90)],
      relations: [{ total: "pc4:1000", parts: ["pc6:1000AA", "pc6:1000AB"] }],
    };
    const handMade = new Map<string, ProtectedCell>([
      [
        "pc6:1000AA",
        {
          id: "pc6:1000AA",
          status: "suppressed",
          reason: "count-below-k",
          count: null,
          population: null,
          perturbation: 0,
        },
      ],
      [
        "pc6:1000AB",
        {
          id: "pc6:1000AB",
          status: "suppressed",
          reason: "count-below-k",
          count: null,
          population: null,
          perturbation: 0,
        },
      ],
      [
        "pc4:1000",
        { id: "pc4:1000", status: "released", reason: null, count: 9, population: 90, perturbation: 0 },
      ],
    ]);
    const audit = auditTable(table, handMade, rules, solver);
    expect(audit.ok).toBe(false);
    expect(audit.cells.map((c) => [c.id, c.lower, c.upper, c.required, c.ok])).toEqual([
      ["pc6:1000AA", 0, 9, [0, 14], false],
      ["pc6:1000AB", 0, 9, [0, 15], false],
    ]);
    // protectTable suppresses the total (9 < k anyway); the audit passes.
    const { result, audit: after } = protectTableAudited(table, rules, solver);
    expect(result.get("pc4:1000")!.status).toBe("suppressed");
    expect(after.ok).toBe(true);
  });

  it("primary reasons on one table, in order", () => {
    const table: SdcTable = {
      cells: [
        cell("buurt:A", 95, 100), // group disclosure: only 5 do not have it
        { ...cell("buurt:B", 20, 40), areaPopulation: 40 }, // fine with minPopulation 0
        { ...cell("buurt:C", 40, 300), magnitude: { total: 10_000, top: [8_000, 1_000] } }, // 90 % > 85 %
        { ...cell("buurt:D", 40, 300), magnitude: { total: 10_000, top: [5_000, 4_600] } }, // dominance: 96 %
        { ...cell("buurt:E", 40, 300), magnitude: { total: 10_000, top: [4_500, 3_000] } }, // passes both
      ],
      relations: [],
    };
    expect(pattern(protectTable(table, rules))).toEqual({
      "buurt:A": "group-disclosure",
      "buurt:B": "released 20",
      "buurt:C": "dominance",
      "buurt:D": "dominance",
      "buurt:E": "released 40",
    });
    expect(
      pattern(protectTable(table, sdcRules({ minPopulation: 50, perturbation: { maxNoise: 0 } })))["buurt:B"],
    ).toBe("area-population-below-minimum");
  });
});
