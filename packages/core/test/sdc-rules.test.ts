import { describe, expect, it } from "vitest";
import {
  DEFAULT_SDC_RULES,
  primaryReason,
  sdcRules,
  toCplexLp,
  violatesDominance,
  violatesPPercent,
  type SdcCell,
} from "../src/index.js";

describe("sdcRules", () => {
  it("has the documented defaults", () => {
    expect(sdcRules()).toEqual({
      k: 10,
      minPopulation: 50,
      groupDisclosure: true,
      protectionLevel: 10,
      dominance: { n: 2, k: 0.85 },
      pPercent: 0.1,
      perturbation: { maxNoise: 2 },
    });
    expect(DEFAULT_SDC_RULES).toEqual(sdcRules());
  });

  it("defaults the protection level to the given k and merges nested fields", () => {
    const r = sdcRules({ k: 15, dominance: { n: 3, k: 0.9 } });
    expect(r.protectionLevel).toBe(15);
    expect(r.dominance).toEqual({ n: 3, k: 0.9 });
    expect(sdcRules({ k: 15, protectionLevel: 5 }).protectionLevel).toBe(5);
  });

  it.each([
    [{ k: 0 }, /k must be an integer >= 1, got 0/],
    [{ k: 2.5 }, /k must be an integer >= 1/],
    [{ minPopulation: -1 }, /minPopulation must be an integer >= 0/],
    [{ protectionLevel: -1 }, /protectionLevel must be a finite number >= 0/],
    [{ dominance: { n: 0, k: 0.85 } }, /dominance\.n must be an integer >= 1/],
    [{ dominance: { n: 2, k: 85 } }, /dominance\.k must be a fraction in \(0, 1\]/],
    [{ pPercent: 10 }, /pPercent must be a fraction in \[0, 1\)/],
    [{ perturbation: { maxNoise: 1.5 } }, /perturbation\.maxNoise must be an integer in \[0, 100\]/],
  ])("rejects %j with a RangeError naming the field", (partial, message) => {
    expect(() => sdcRules(partial)).toThrow(RangeError);
    expect(() => sdcRules(partial)).toThrow(message);
  });
});

describe("nk-dominance (sdcTable default n = 2, k = 85 %; ACRO/SACRO 90 %)", () => {
  it("flags the two largest contributions above k of the total, strictly", () => {
    const nk = { n: 2, k: 0.85 };
    expect(violatesDominance({ total: 100, top: [80, 6] }, nk)).toBe(true); // 86 > 85
    expect(violatesDominance({ total: 100, top: [80, 5] }, nk)).toBe(false); // 85 is not > 85
    expect(violatesDominance({ total: 100, top: [80, 6] }, { n: 2, k: 0.9 })).toBe(false); // ACRO: 86 <= 90
    expect(violatesDominance({ total: 100, top: [80, 11] }, { n: 2, k: 0.9 })).toBe(true); // 91 > 90
    expect(violatesDominance({ total: 1000, top: [700] }, { n: 1, k: 0.6 })).toBe(true); // (1, 60 %) rule
    expect(violatesDominance({ total: 0, top: [] }, nk)).toBe(false);
  });
});

describe("p% rule (ACRO p-ratio 0.10)", () => {
  it("flags total - x1 - x2 < p · x1", () => {
    expect(violatesPPercent({ total: 100, top: [60, 36] }, 0.1)).toBe(true); // 4 < 6
    expect(violatesPPercent({ total: 100, top: [50, 40] }, 0.1)).toBe(false); // 10 >= 5
    expect(violatesPPercent({ total: 100, top: [50, 45] }, 0.1)).toBe(false); // 5 is not < 5
    expect(violatesPPercent({ total: 100, top: [100] }, 0.1)).toBe(true); // one contributor: 0 < 10
    expect(violatesPPercent({ total: 0, top: [0, 0] }, 0.1)).toBe(false);
  });
});

describe("primaryReason, in the documented order", () => {
  const rules = sdcRules({ perturbation: { maxNoise: 0 } });
  const cell = (over: Partial<SdcCell>): SdcCell => ({
    id: "buurt:X",
    count: 30,
    population: 300,
    areaPopulation: 400,
    countKey: 0.5,
    populationKey: 0.5,
    ...over,
  });
  it.each([
    [{ count: 0 }, "count-below-k"], // zeros are disclosive ("none has it")
    [{ count: 9 }, "count-below-k"],
    [{ count: 9, areaPopulation: 10 }, "count-below-k"],
    [{ areaPopulation: 49 }, "area-population-below-minimum"],
    [{ count: 291 }, "group-disclosure"], // 9 do not have it
    [{ count: 300 }, "group-disclosure"], // everyone has it
    [{ nearCounts: [100, 39] }, "near-profile-difference"],
    [{ nearCounts: [30] }, "near-profile-difference"], // difference 0
    [{ magnitude: { total: 1000, top: [900, 10] } }, "dominance"],
    [{ magnitude: { total: 1000, top: [500, 460] } }, "dominance"], // 960 > 850 (p% would flag it too: 40 < 50)
    [{ magnitude: { total: 1000, top: [450, 380] } }, null], // 830 <= 850 and 1000 - 830 = 170 >= 45
    [{ count: 10, population: 20, nearCounts: [20], magnitude: { total: 100, top: [40, 30] } }, null],
  ])("%j → %s", (over, reason) => {
    expect(primaryReason(cell(over), rules)).toBe(reason);
  });

  it("p% catches what dominance lets through", () => {
    // n = 2, k = 0.85: 500 + 300 = 800 <= 850 passes; p%: 1000 - 800 = 200 >= 50 passes.
    expect(primaryReason(cell({ magnitude: { total: 1000, top: [500, 300] } }), rules)).toBeNull();
    // A loose dominance rule (k = 0.99) passes 960, but p%: 1000 - 960 = 40 < 50.
    const loose = sdcRules({ dominance: { n: 2, k: 0.99 }, perturbation: { maxNoise: 0 } });
    expect(primaryReason(cell({ magnitude: { total: 1000, top: [500, 460] } }), loose)).toBe("p-percent");
  });

  it("checks group disclosure on released (perturbed) values too", () => {
    // True: 300 - 290 = 10 >= k. Keys near 1 add +2 to the count and near 0 take 2 off the population.
    const r = sdcRules();
    const c = cell({ count: 290, countKey: 0.99, populationKey: 0.01 });
    expect(primaryReason(c, sdcRules({ perturbation: { maxNoise: 0 } }))).toBeNull();
    expect(primaryReason(c, r)).toBe("group-disclosure"); // released 298 - 292 = 6 < 10
  });
});

describe("toCplexLp", () => {
  it("writes the CPLEX LP format HiGHS reads", () => {
    expect(
      toCplexLp({
        sense: "maximize",
        objective: [{ variable: "x0", coefficient: 1 }],
        variables: [{ name: "x0" }, { name: "x1", upper: 7 }, { name: "y", lower: -Infinity }],
        rows: [
          {
            terms: [
              { variable: "x0", coefficient: 1 },
              { variable: "x1", coefficient: -1 },
              { variable: "y", coefficient: 2.5 },
            ],
            sense: "=",
            rhs: -5,
          },
          { terms: [{ variable: "x0", coefficient: 1 }], sense: "<=", rhs: 10 },
        ],
      }),
    ).toBe(
      "Maximize\n obj: 1 x0\nSubject To\n r0: 1 x0 - 1 x1 + 2.5 y = -5\n r1: 1 x0 <= 10\nBounds\n x0 >= 0\n 0 <= x1 <= 7\n y free\nEnd\n",
    );
  });

  it("refuses names an LP reader would misread and undeclared variables", () => {
    const lp = (name: string, used = name) => ({
      sense: "minimize" as const,
      objective: [{ variable: used, coefficient: 1 }],
      variables: [{ name }],
      rows: [],
    });
    expect(() => toCplexLp(lp("e1"))).toThrow(/invalid variable name/);
    expect(() => toCplexLp(lp("1x"))).toThrow(/invalid variable name/);
    expect(() => toCplexLp(lp("x", "z"))).toThrow(/undeclared variable z/);
  });
});
