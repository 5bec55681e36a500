/**
 * Need to know for board items and interventions (ADR 0008): the rule by example (area, purpose,
 * level, domain by name and through indicators, public grants never count) and as properties: grants
 * whose areas all lie outside an item's ancestry never allow it; adding a public grant never changes
 * a decision.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ancestorsOfCode,
  AREA_LEVELS,
  boardAccess,
  DOMAINS,
  interventionAccess,
  OPEN_DATA_POLICY,
  type Actor,
  type AreaLevel,
  type Domain,
  type Grant,
  type ReleasePolicy,
} from "../src/index.js";

const domainOf = (id: string): Domain | undefined =>
  ({ eenzaam_18plus: "health", veld_dumping_week: "physical-environment" })[id] as Domain | undefined;

const fieldWorker: Actor = {
  id: "u-fw",
  roles: ["field-worker"],
  purpose: "wijkaanpak",
  organisation: "gemeente-almere",
};

const policy = (...grants: Grant[]): ReleasePolicy => ({
  grants: [...OPEN_DATA_POLICY.grants, ...grants],
  minCount: 10,
});

const wijk01: Grant = {
  id: "fw-wijk01",
  to: { kind: "role", id: "field-worker" },
  what: { domains: ["safety", "housing"], indicators: ["eenzaam_18plus"] },
  areas: ["WK003401"],
  finestLevel: "buurt",
  purpose: "wijkaanpak",
};

describe("boardAccess by example", () => {
  it("allows an item in the grant's area, in a named domain or the domain of a named indicator", () => {
    const p = policy(wijk01);
    for (const domain of ["safety", "housing", "health"] as const)
      expect(
        boardAccess(p, fieldWorker, { areaCode: "BU00340101", level: "buurt", domain }, domainOf),
      ).toEqual({
        allowed: true,
        grantId: "fw-wijk01",
      });
    // The wijk itself and the board as such (no domain).
    expect(boardAccess(p, fieldWorker, { areaCode: "WK003401", level: "wijk" }, domainOf).allowed).toBe(true);
  });

  it("denies another wijk's buurt and names the area rule", () => {
    const d = boardAccess(
      policy(wijk01),
      fieldWorker,
      { areaCode: "BU00340201", level: "buurt", domain: "safety" },
      domainOf,
    );
    expect(d.allowed).toBe(false);
    if (d.allowed) return;
    expect(d.reason).toContain("no grant reaches BU00340201");
    expect(d.reason).toContain("grant fw-wijk01 covers only WK003401");
  });

  it("denies a domain the grant does not cover, naming the domains it does", () => {
    const d = boardAccess(
      policy(wijk01),
      fieldWorker,
      { areaCode: "BU00340101", level: "buurt", domain: "income" },
      domainOf,
    );
    expect(d.allowed).toBe(false);
    if (!d.allowed)
      expect(d.reason).toMatch(/covers only the domain\(s\) health, housing, safety .*not income/);
  });

  it("denies a finer level and another purpose", () => {
    const wijkOnly: Grant = { ...wijk01, finestLevel: "wijk" };
    const d1 = boardAccess(
      policy(wijkOnly),
      fieldWorker,
      { areaCode: "BU00340101", level: "buurt", domain: "safety" },
      domainOf,
    );
    expect(d1.allowed ? "" : d1.reason).toContain("allows levels down to wijk, not buurt");
    const d2 = boardAccess(
      policy(wijk01),
      { ...fieldWorker, purpose: "beleid" },
      { areaCode: "BU00340101", level: "buurt", domain: "safety" },
      domainOf,
    );
    expect(d2.allowed ? "" : d2.reason).toContain('serves purpose "wijkaanpak", not "beleid"');
  });

  it("never counts a grant to the public role; open-data grants to a role cover every domain", () => {
    const d = boardAccess(
      OPEN_DATA_POLICY,
      fieldWorker,
      { areaCode: "BU00340101", level: "buurt", domain: "safety" },
      domainOf,
    );
    expect(d.allowed).toBe(false);
    if (!d.allowed)
      expect(d.reason).toMatch(/^default deny: no grant other than the public's is given to u-fw/);
    const open: Grant = {
      id: "fw-open",
      to: { kind: "organisation", id: "gemeente-almere" },
      what: "open-data",
      purpose: "*",
    };
    for (const domain of DOMAINS)
      expect(
        boardAccess(policy(open), fieldWorker, { areaCode: "BU00340101", level: "buurt", domain }, domainOf)
          .allowed,
      ).toBe(true);
  });

  it("allows an intervention when one of its areas is reachable", () => {
    const p = policy(wijk01);
    const item = { areas: ["BU00340201", "BU00340101"], level: "buurt" as const, domain: "safety" as const };
    expect(interventionAccess(p, fieldWorker, item, domainOf).allowed).toBe(true);
    const other = interventionAccess(
      p,
      fieldWorker,
      { ...item, areas: ["BU00340201", "BU00340301"] },
      domainOf,
    );
    expect(other.allowed).toBe(false);
    if (!other.allowed) expect(other.reason).toContain("none of the intervention's 2 areas");
  });
});

// Codes of Almere and of another gemeente, at every CBS level.
const CODES = [
  "NL01",
  "GM0034",
  "GM0363",
  "WK003401",
  "WK003402",
  "WK036301",
  "BU00340101",
  "BU00340102",
  "BU00340201",
  "BU03630101",
];
const levelOf = (c: string): AreaLevel =>
  c.startsWith("BU") ? "buurt" : c.startsWith("WK") ? "wijk" : c.startsWith("GM") ? "gemeente" : "land";

const grantArb = (areas: fc.Arbitrary<string[] | undefined>): fc.Arbitrary<Grant> =>
  fc.record(
    {
      id: fc.stringMatching(/^g[0-9]{1,3}$/),
      to: fc.oneof(
        fc.record({
          kind: fc.constant("role" as const),
          id: fc.constantFrom("field-worker", "partner", "analyst"),
        }),
        fc.record({
          kind: fc.constant("organisation" as const),
          id: fc.constantFrom("gemeente-almere", "politie"),
        }),
        fc.record({ kind: fc.constant("user" as const), id: fc.constantFrom("u-fw", "u-other") }),
      ),
      what: fc.oneof(
        fc.constant("open-data" as const),
        fc.constant("synthetic-data" as const),
        fc.record({
          domains: fc.subarray([...DOMAINS], { minLength: 1, maxLength: 4 }),
          indicators: fc.subarray(["eenzaam_18plus", "veld_dumping_week"]),
        }),
      ),
      areas,
      finestLevel: fc.option(fc.constantFrom<AreaLevel>(...AREA_LEVELS), { nil: undefined }),
      purpose: fc.constantFrom("wijkaanpak", "beleid", "*"),
    },
    { requiredKeys: ["id", "to", "what", "purpose"] },
  );

const actorArb: fc.Arbitrary<Actor> = fc.record({
  id: fc.constantFrom("u-fw", "u-other"),
  roles: fc.constantFrom(["field-worker"], ["partner"], ["analyst"]),
  purpose: fc.constantFrom("wijkaanpak", "beleid"),
  organisation: fc.constantFrom("gemeente-almere", "politie"),
});
const itemArb = fc.record({ areaCode: fc.constantFrom(...CODES), domain: fc.constantFrom(...DOMAINS) });

describe("boardAccess properties", () => {
  it("never allows an item when every grant's areas lie outside the item's ancestry", () => {
    fc.assert(
      fc.property(
        actorArb,
        itemArb,
        fc.array(grantArb(fc.subarray(CODES, { minLength: 1, maxLength: 3 })), { maxLength: 6 }),
        (actor, item, grants) => {
          const chain = new Set([item.areaCode, ...ancestorsOfCode(item.areaCode)]);
          const outside = grants
            .map((g) => ({ ...g, areas: (g.areas ?? []).filter((a) => !chain.has(a)) }))
            .filter((g) => g.areas.length > 0);
          const d = boardAccess(
            policy(...outside),
            actor,
            { ...item, level: levelOf(item.areaCode) },
            domainOf,
          );
          expect(d.allowed).toBe(false);
          if (!d.allowed) expect(d.reason.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("gives the same answer with or without an extra grant to the public role", () => {
    fc.assert(
      fc.property(
        actorArb,
        itemArb,
        fc.array(
          grantArb(fc.option(fc.subarray(CODES, { minLength: 1, maxLength: 3 }), { nil: undefined })),
          { maxLength: 6 },
        ),
        grantArb(fc.option(fc.subarray(CODES, { minLength: 1, maxLength: 3 }), { nil: undefined })),
        (actor, item, grants, extra) => {
          const publicGrant: Grant = { ...extra, id: "public-extra", to: { kind: "role", id: "public" } };
          const full = { ...item, level: levelOf(item.areaCode) };
          const without = boardAccess(policy(...grants), actor, full, domainOf);
          const withPublic = boardAccess(policy(...grants, publicGrant), actor, full, domainOf);
          expect(withPublic.allowed).toBe(without.allowed);
          const inter = { areas: [item.areaCode], level: full.level, domain: item.domain };
          expect(interventionAccess(policy(publicGrant, ...grants), actor, inter, domainOf).allowed).toBe(
            without.allowed,
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
