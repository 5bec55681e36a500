import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { levelOfCode, type AreaLevel } from "../src/area-codes.js";
import { DOMAINS, KINDS, type IndicatorKind } from "../src/catalogue.js";
import {
  accessKey,
  ANY_PURPOSE,
  decideAccess,
  grantAppliesTo,
  grantsOf,
  discloseFigure,
  disclosureExempt,
  OPEN_DATA_POLICY,
  type Actor,
  type FigureSubject,
  type Grant,
  type RawFigure,
  type ReleasePolicy,
} from "../src/release.js";

const RUNS = { seed: 42, numRuns: 200 };
const ROLES = ["public", "analyst", "field-worker", "admin"];
const ORGS = ["gemeente", "politie", "corporatie"];
const USERS = ["u1", "u2", "u3"];
const CODES = [
  "NL01",
  "GM0034",
  "GM0363",
  "WK003401",
  "WK0363EK",
  "BU00340101",
  "BU0363EK03",
  "1314",
  "1314AB",
];

const actorArb: fc.Arbitrary<Actor> = fc.record({
  id: fc.constantFrom(...USERS),
  roles: fc.subarray(ROLES.filter((r) => r !== "public")),
  purpose: fc.constantFrom("open-data", "policy", "research"),
  organisation: fc.option(fc.constantFrom(...ORGS), { nil: null }),
});

const subjectArb: fc.Arbitrary<FigureSubject> = fc
  .record({
    indicatorId: fc.constantFrom(
      "eenzaam_18plus",
      "misdrijven",
      "aantal_inwoners",
      "bijstand_per_1000",
      "profile:schulden",
    ),
    domain: fc.constantFrom(...DOMAINS),
    sourceOpen: fc.boolean(),
    areaCode: fc.constantFrom(...CODES),
  })
  .map((s) => ({ ...s, level: levelOfCode(s.areaCode)! }));

const grantArb: fc.Arbitrary<Grant> = fc.record(
  {
    id: fc.string({ minLength: 1, maxLength: 8 }),
    to: fc.oneof(
      fc.record({ kind: fc.constant("role" as const), id: fc.constantFrom(...ROLES) }),
      fc.record({ kind: fc.constant("organisation" as const), id: fc.constantFrom(...ORGS) }),
      fc.record({ kind: fc.constant("user" as const), id: fc.constantFrom(...USERS) }),
    ),
    what: fc.oneof(
      fc.constant("open-data" as const),
      fc.record(
        {
          domains: fc.subarray([...DOMAINS]),
          indicators: fc.subarray(["eenzaam_18plus", "misdrijven", "aantal_inwoners"]),
          profiles: fc.subarray(["schulden", "eenzaam"]),
        },
        { requiredKeys: [] },
      ),
    ),
    areas: fc.subarray(CODES, { minLength: 1 }),
    finestLevel: fc.constantFrom<AreaLevel>("land", "gemeente", "wijk", "buurt", "pc4", "pc6"),
    purpose: fc.constantFrom("open-data", "policy", "research", ANY_PURPOSE),
  },
  { requiredKeys: ["id", "to", "what", "purpose"] },
);

const policyArb: fc.Arbitrary<ReleasePolicy> = fc.record({
  grants: fc.array(grantArb, { maxLength: 5 }),
  minCount: fc.integer({ min: 1, max: 50 }),
});

/** Counts as they come in: small ones (around the threshold) and large ones; null for absent parts. */
const countArb = fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 1_000_000 }));
const figureArb: fc.Arbitrary<RawFigure> = fc.record({
  value: fc.oneof(countArb, fc.double({ min: 0, max: 1_000, noNaN: true })),
  numerator: fc.option(countArb, { nil: null }),
  denominator: fc.option(countArb, { nil: null }),
});
const kindArb = fc.constantFrom<IndicatorKind>(...KINDS);

describe("decideAccess (properties)", () => {
  it("is default-deny: a policy without grants never allows", () => {
    fc.assert(
      fc.property(actorArb, subjectArb, fc.integer({ min: 0, max: 100 }), (actor, subject, minCount) => {
        const decision = decideAccess({ grants: [], minCount }, actor, subject);
        expect(decision.allowed).toBe(false);
      }),
      RUNS,
    );
  });

  it("never allows an actor to whom no grant is given (by role, public role, organisation or user)", () => {
    fc.assert(
      fc.property(policyArb, actorArb, subjectArb, (policy, actor, subject) => {
        const notMine = {
          ...policy,
          grants: policy.grants.filter(
            (g) =>
              !(g.to.kind === "role" && (g.to.id === "public" || actor.roles.includes(g.to.id))) &&
              !(g.to.kind === "organisation" && g.to.id === actor.organisation) &&
              !(g.to.kind === "user" && g.to.id === actor.id),
          ),
        };
        expect(decideAccess(notMine, actor, subject).allowed).toBe(false);
        expect(grantsOf(notMine, actor)).toEqual([]);
      }),
      RUNS,
    );
  });

  it("decides the same for two actors with the same access key", () => {
    fc.assert(
      fc.property(policyArb, actorArb, actorArb, subjectArb, (policy, a, b, subject) => {
        fc.pre(accessKey(policy, a) === accessKey(policy, b));
        expect(decideAccess(policy, a, subject).allowed).toBe(decideAccess(policy, b, subject).allowed);
      }),
      RUNS,
    );
  });

  it("says why when it denies, naming a grant given to the actor when there is one", () => {
    fc.assert(
      fc.property(policyArb, actorArb, subjectArb, (policy, actor, subject) => {
        const decision = decideAccess(policy, actor, subject);
        if (decision.allowed) return;
        const mine = grantsOf(policy, actor);
        if (mine.length === 0) expect(decision.reason).toMatch(/^default deny/);
        else expect(mine.some((g) => decision.reason.includes(`grant ${g.id} `))).toBe(true);
      }),
      RUNS,
    );
  });

  it("names a grant given to the actor when it allows", () => {
    let allowed = 0;
    fc.assert(
      fc.property(policyArb, actorArb, subjectArb, (policy, actor, subject) => {
        const decision = decideAccess(policy, actor, subject);
        if (!decision.allowed) return;
        allowed++;
        const grant = policy.grants.find((g) => g.id === decision.grantId);
        expect(grant).toBeDefined();
        expect(grantAppliesTo(grant!, actor)).toBe(true);
      }),
      RUNS,
    );
    expect(allowed).toBeGreaterThan(0); // the generators do produce allowing policies
  });

  it("never allows through a grant made for another purpose", () => {
    fc.assert(
      fc.property(policyArb, actorArb, subjectArb, (policy, actor, subject) => {
        const samePurpose = {
          ...policy,
          grants: policy.grants.filter((g) => g.purpose === actor.purpose || g.purpose === ANY_PURPOSE),
        };
        expect(decideAccess(policy, actor, subject).allowed).toBe(
          decideAccess(samePurpose, actor, subject).allowed,
        );
      }),
      RUNS,
    );
  });

  it("the open-data policy shows the public open sources only", () => {
    fc.assert(
      fc.property(subjectArb, (subject) => {
        const decision = decideAccess(
          OPEN_DATA_POLICY,
          { id: "anonymous", roles: ["public"], purpose: "open-data" },
          subject,
        );
        expect(decision.allowed).toBe(subject.sourceOpen);
      }),
      RUNS,
    );
  });
});

describe("discloseFigure (properties)", () => {
  it("never releases a count, numerator or denominator below minCount for a source that is not open", () => {
    fc.assert(
      fc.property(policyArb, figureArb, kindArb, (policy, figure, kind) => {
        const out = discloseFigure(policy, figure, kind, false);
        if (out.status === "suppressed") {
          expect(out).toEqual({ status: "suppressed", value: null, numerator: null, denominator: null });
          return;
        }
        if (kind === "count") expect(out.value!).toBeGreaterThanOrEqual(policy.minCount);
        if (out.numerator !== null) expect(out.numerator).toBeGreaterThanOrEqual(policy.minCount);
        if (out.denominator !== null) expect(out.denominator).toBeGreaterThanOrEqual(policy.minCount);
      }),
      RUNS,
    );
  });

  it("releases a figure of a source that is not open unchanged when nothing in it is small", () => {
    fc.assert(
      fc.property(policyArb, figureArb, kindArb, (policy, figure, kind) => {
        const big = (n: number | null): boolean => n === null || n >= policy.minCount;
        fc.pre((kind !== "count" || big(figure.value)) && big(figure.numerator) && big(figure.denominator));
        expect(discloseFigure(policy, figure, kind, false)).toEqual({ status: "released", ...figure });
      }),
      RUNS,
    );
  });

  it("exempts open sources and sources whose counts are not about people, nothing else", () => {
    expect(disclosureExempt({ open: true })).toBe(true);
    expect(disclosureExempt({ open: true, personal: true })).toBe(true);
    expect(disclosureExempt({ open: false, personal: false })).toBe(true);
    // Not said (an older source, a mapping file without the field): about people.
    expect(disclosureExempt({ open: false })).toBe(false);
    expect(disclosureExempt({ open: false, personal: null })).toBe(false);
    expect(disclosureExempt({ open: false, personal: true })).toBe(false);
  });

  it("passes figures of open sources unchanged", () => {
    fc.assert(
      fc.property(policyArb, figureArb, kindArb, (policy, figure, kind) => {
        expect(discloseFigure(policy, figure, kind, true)).toEqual({ status: "released", ...figure });
      }),
      RUNS,
    );
  });
});
