import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HOUSEHOLD_TYPES } from "../src/microdata.js";
import {
  ageAt,
  ageBirthBounds,
  daysBefore,
  describeCondition,
  isIsoDate,
  implies,
  nearProfiles,
  profileFacts,
  validateProfileDefinition,
  yearsBefore,
  type Condition,
  type ProfileDefinition,
} from "../src/profiles.js";

const RUNS = { seed: 7, numRuns: 300 };

const EENZAAM = {
  id: "eenzaamheid-65plus",
  name: { nl: "Risico op eenzaamheid", en: "Risk of loneliness" },
  description: { nl: "65+, alleenstaand, laag inkomen", en: "65+, living alone, low income" },
  domain: "health",
  purpose: "wijkaanpak",
  population: [{ age: { min: 65 } }],
  conditions: [
    { age: { min: 65 } },
    { household: { type: ["alleenstaand"] } },
    { fact: ["minima", "uitkering:bijstand"] },
  ],
};

const errorsOf = (input: unknown): readonly string[] => {
  const r = validateProfileDefinition(input);
  return r.ok ? [] : r.errors;
};

describe("profile definitions", () => {
  it("accepts a documented definition and defaults the population to everyone", () => {
    const r = validateProfileDefinition({ ...EENZAAM, population: undefined });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.definition.population).toEqual([]);
  });

  it("names the field of every error", () => {
    expect(errorsOf({ ...EENZAAM, conditions: [{ age: { min: 65 } }, { age: { min: -3 } }] })).toEqual([
      "conditions[1].age.min: expected an age in whole years: a whole number 0–130",
    ]);
    expect(errorsOf({ ...EENZAAM, conditions: [{ age: { min: 70, max: 60 } }] })).toEqual([
      "conditions[0].age: expected min ≤ max",
    ]);
    expect(errorsOf({ ...EENZAAM, population: [{ household: { type: ["kamer"] } }] })).toEqual([
      `population[0].household.type[0]: expected one of ${HOUSEHOLD_TYPES.join(", ")}`,
    ]);
    expect(errorsOf({ ...EENZAAM, conditions: [{ sex: "M", age: { min: 1 } }] })).toEqual([
      "conditions[0]: expected exactly one of age, sex, household, fact, not, got age and sex",
    ]);
    expect(errorsOf({ ...EENZAAM, conditions: [{ not: { within: 30 } }] })).toEqual([
      "conditions[0].not: expected exactly one of age, sex, household, fact, not",
      "conditions[0].not.within: within belongs to a fact condition",
    ]);
    expect(errorsOf({ ...EENZAAM, conditions: [{ fact: "Schuldhulp" }] })[0]).toMatch(
      /^conditions\[0\]\.fact: expected a fact name/,
    );
    expect(errorsOf({ ...EENZAAM, sdc: { k: 5 } })).toEqual([
      "sdc.k: expected a minimum cell frequency: a whole number 10–1000",
    ]);
  });

  it("requires documentation, a domain, a purpose and at least one condition", () => {
    const { description: _d, ...undocumented } = EENZAAM;
    expect(errorsOf(undocumented)).toEqual([expect.stringMatching(/^description: /) as string]);
    expect(errorsOf({ ...EENZAAM, description: { nl: "x" } })[0]).toMatch(/^description\.en: /);
    expect(errorsOf({ ...EENZAAM, conditions: [] })).toEqual(["conditions: expected at least one condition"]);
    expect(errorsOf({ ...EENZAAM, domain: "crime" })[0]).toMatch(/^domain: expected one of population/);
    expect(errorsOf({ ...EENZAAM, id: "Eenzaam" })[0]).toMatch(/^id: expected a profile id/);
    expect(errorsOf({ ...EENZAAM, purpose: "x" })[0]).toMatch(/^purpose: /);
    expect(errorsOf({ ...EENZAAM, owner: "me" })).toEqual(['(definition): Unrecognized key: "owner"']);
  });

  it("limits how deep not nests", () => {
    const deep: Condition = { not: { not: { not: { not: { sex: "V" } } } } };
    expect(errorsOf({ ...EENZAAM, conditions: [deep] })).toEqual([
      'conditions[0]: expected "not" nested at most 3 deep',
    ]);
  });

  it("lists its facts and describes its conditions", () => {
    const r = validateProfileDefinition({
      ...EENZAAM,
      conditions: [...EENZAAM.conditions, { not: { fact: "schuldhulp", within: 365, minAmount: 10 } }],
    });
    if (!r.ok) throw new Error(r.errors.join("; "));
    expect(profileFacts(r.definition)).toEqual(["minima", "schuldhulp", "uitkering:bijstand"]);
    expect(r.definition.conditions.map(describeCondition)).toEqual([
      "age 65–",
      "household type alleenstaand",
      "fact minima|uitkering:bijstand",
      "not (fact schuldhulp within 365 days amount ≥ 10)",
    ]);
  });
});

// Arbitrary valid definitions.
const rangeArb = (lo: number, hi: number) =>
  fc
    .tuple(fc.option(fc.integer({ min: lo, max: hi })), fc.option(fc.integer({ min: lo, max: hi })))
    .filter(([a, b]) => a !== null || b !== null)
    .map(([a, b]) => {
      const [min, max] = a !== null && b !== null && a > b ? [b, a] : [a, b];
      return { ...(min !== null ? { min } : {}), ...(max !== null ? { max } : {}) };
    });
const factArb = fc.constantFrom("minima", "schuldhulp", "uitkering:bijstand", "verzuim:relatief");
const leafArb: fc.Arbitrary<Condition> = fc.oneof(
  rangeArb(0, 130).map((age) => ({ age })),
  fc.constantFrom("M" as const, "V" as const).map((sex) => ({ sex })),
  fc
    .record(
      { size: rangeArb(1, 30), type: fc.subarray([...HOUSEHOLD_TYPES], { minLength: 1 }) },
      { requiredKeys: [] },
    )
    .filter((h) => h.size !== undefined || h.type !== undefined)
    .map((household) => ({ household })),
  fc
    .record(
      {
        fact: fc.oneof(factArb, fc.uniqueArray(factArb, { minLength: 1, maxLength: 3 })),
        within: fc.integer({ min: 1, max: 3660 }),
        // -0 does not survive JSON (it becomes 0): not a definition anyone writes.
        minAmount: fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => (Object.is(v, -0) ? 0 : v)),
      },
      { requiredKeys: ["fact"] },
    )
    .map((c) => c as Condition),
);
const conditionArb: fc.Arbitrary<Condition> = fc.oneof(
  { weight: 4, arbitrary: leafArb },
  { weight: 1, arbitrary: leafArb.map((c) => ({ not: c })) },
);
const definitionArb = fc.record({
  id: fc.constantFrom("jeugd-5-9", "huurachterstand-schuldhulp", "eenzaamheid-65plus"),
  name: fc.constant({ nl: "N", en: "N" }),
  description: fc.constant({ nl: "D", en: "D" }),
  domain: fc.constantFrom("health", "youth", "debts"),
  polarity: fc.constantFrom("higher-is-worse", "higher-is-better", "neutral"),
  purpose: fc.constantFrom("wijkaanpak", "demo-synthetisch"),
  population: fc.array(conditionArb, { maxLength: 3 }),
  conditions: fc.array(conditionArb, { minLength: 1, maxLength: 5 }),
}) as fc.Arbitrary<ProfileDefinition>;

describe("near profiles", () => {
  it("drops each condition once, but not one that occurs twice", () => {
    const r = validateProfileDefinition(EENZAAM);
    if (!r.ok) throw new Error(r.errors.join("; "));
    expect(nearProfiles(r.definition).map((n) => n.dropped)).toEqual(["conditions[1]", "conditions[2]"]);
  });
});

describe("profile definitions (properties)", () => {
  it("every generated definition is valid and survives a JSON round trip unchanged", () => {
    fc.assert(
      fc.property(definitionArb, (def) => {
        const r = validateProfileDefinition(JSON.parse(JSON.stringify(def)));
        expect(r.ok).toBe(true);
        if (r.ok) expect(r.definition).toEqual(def);
      }),
      RUNS,
    );
  });

  it("a bad age anywhere is reported at its exact path", () => {
    fc.assert(
      fc.property(
        definitionArb,
        fc.constantFrom("population" as const, "conditions" as const),
        fc.nat(),
        fc.constantFrom(-1, 131, 2.5),
        (def, list, at, bad) => {
          const items = [...def[list]];
          const i = items.length ? at % (items.length + 1) : 0;
          items.splice(i, 0, { age: { min: bad } });
          const errors = errorsOf({ ...def, [list]: items });
          expect(errors).toContain(
            `${list}[${i}].age.min: expected an age in whole years: a whole number 0–130`,
          );
        },
      ),
      RUNS,
    );
  });

  it("near profiles drop exactly one condition each", () => {
    fc.assert(
      fc.property(definitionArb, (def) => {
        const near = nearProfiles(def);
        // One near profile per condition that no other condition repeats or implies.
        const items = [...def.population, ...def.conditions];
        const droppable = items.filter(
          (c, i) =>
            !items.some((o, j) => j !== i && (JSON.stringify(o) === JSON.stringify(c) || implies(o, c))),
        );
        expect(near).toHaveLength(droppable.length);
        for (const n of near) {
          const lost =
            def.conditions.length - n.conditions.length + (def.population.length - n.population.length);
          expect(lost).toBe(1);
          const [list, index] = /^(\w+)\[(\d+)\]$/.exec(n.dropped)!.slice(1) as [
            "conditions" | "population",
            string,
          ];
          const kept = def[list].filter((_, j) => j !== Number(index));
          expect(list === "conditions" ? n.conditions : n.population).toEqual(kept);
        }
      }),
      RUNS,
    );
  });
});

// Dates: compared with the platform's calendar (tests may use Date; the core may not).
const dateArb = fc
  .date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2100-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

describe("date arithmetic for conditions", () => {
  it("daysBefore agrees with the calendar", () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: 0, max: 4000 }), (d, n) => {
        const expected = new Date(Date.parse(`${d}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10);
        expect(daysBefore(d, n)).toBe(expected);
      }),
      RUNS,
    );
  });

  it("the birth-date bounds select exactly the ages in the range", () => {
    fc.assert(
      fc.property(dateArb, dateArb, rangeArb(0, 130), (a, b, range) => {
        const [birth, date] = a <= b ? [a, b] : [b, a];
        const age = ageAt(birth, date);
        const bounds = ageBirthBounds(range, date);
        const inBounds =
          (bounds.bornOnOrBefore === undefined || birth <= bounds.bornOnOrBefore) &&
          (bounds.bornAfter === undefined || birth > bounds.bornAfter);
        expect(inBounds).toBe(
          (range.min === undefined || age >= range.min) && (range.max === undefined || age <= range.max),
        );
      }),
      RUNS,
    );
  });

  it("handles 29 February", () => {
    expect(yearsBefore("2024-02-29", 1)).toBe("2023-02-28");
    expect(ageAt("2000-02-29", "2023-02-28")).toBe(22);
    expect(ageAt("2000-02-29", "2023-03-01")).toBe(23);
    expect(ageAt("2000-02-29", "2024-02-29")).toBe(24);
    expect(isIsoDate("2023-02-29")).toBe(false);
    expect(isIsoDate("2024-02-29")).toBe(true);
  });
});

describe("near profiles skip conditions implied by others", () => {
  it("implies: age and household ranges, type lists, sexes; facts only when identical", () => {
    expect(implies({ age: { min: 65 } }, { age: { min: 18 } })).toBe(true);
    expect(implies({ age: { min: 18 } }, { age: { min: 65 } })).toBe(false);
    expect(implies({ age: { min: 5, max: 9 } }, { age: { max: 17 } })).toBe(true);
    expect(implies({ age: { min: 5 } }, { age: { max: 17 } })).toBe(false);
    expect(
      implies(
        { household: { type: ["alleenstaand"] } },
        { household: { type: ["alleenstaand", "eenouder"] } },
      ),
    ).toBe(true);
    expect(implies({ household: { size: { max: 1 } } }, { household: { type: ["alleenstaand"] } })).toBe(
      false,
    );
    expect(implies({ fact: "minima" }, { fact: ["minima", "uitkering:bijstand"] })).toBe(false);
    expect(implies({ fact: "minima" }, { fact: "minima" })).toBe(true);
  });
  it("drops neither an implied population condition nor a duplicate", () => {
    const near = nearProfiles({
      population: [{ age: { min: 18 } }],
      conditions: [{ age: { min: 65 } }, { fact: "minima" }],
    });
    // Dropping 18+ would leave the same profile (65+ implies it): only the two conditions are dropped.
    expect(near.map((n) => n.dropped)).toEqual(["conditions[0]", "conditions[1]"]);
  });
});
