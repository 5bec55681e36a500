/**
 * The pure half of the one release function: access policy (default deny) and disclosure control.
 * Every number that leaves the server passes `decideAccess` and then `discloseFigure`; the server's
 * release module adds the audit record. Grants are given to a role, an organisation or a user; grants
 * to the role "public" apply to everyone (open data).
 */
import { ancestorsOfCode, isFinerLevel, type AreaLevel } from "./area-codes.js";
import type { Domain, IndicatorKind } from "./catalogue.js";

/** The roles of wijkradar's users; "public" is the anonymous visitor (and, for open data, everyone). */
export const ROLES = [
  "analyst",
  "field-worker",
  "policy-advisor",
  "partner",
  "privacy-officer",
  "admin",
] as const;
export type Role = (typeof ROLES)[number];
export const PUBLIC_ROLE = "public";

/** Who asks. The anonymous visitor has the role "public". */
export interface Actor {
  /** The user's id ("anonymous" for visitors, "operator", "cli"). */
  readonly id: string;
  readonly roles: readonly string[];
  readonly purpose: string;
  /** The user's organisation (grants to an organisation apply to its users). */
  readonly organisation?: string | null;
  /** The person or service the actor works for, when not the actor itself (audit "on whose behalf"). */
  readonly onBehalfOf?: string | null;
}

/** To whom a grant is given: every user with a role, every user of an organisation, or one user. */
export interface Grantee {
  readonly kind: "role" | "organisation" | "user";
  readonly id: string;
}

/** Any purpose: only for open and synthetic data, which carry no need-to-know restriction. */
export const ANY_PURPOSE = "*";

/** A grant: to whom, what (open data, domains, indicators or profiles), where (area roots), how fine, why. */
export interface Grant {
  readonly id: string;
  readonly to: Grantee;
  /**
   * "open-data" grants every indicator of an open source; "synthetic-data" every figure computed
   * from synthetic sources only (no real person behind it); otherwise the listed domains, indicators
   * and profiles (a profile's figures have the subject `profile:<id>`).
   */
  readonly what:
    | "open-data"
    | "synthetic-data"
    | {
        readonly domains?: readonly Domain[];
        readonly indicators?: readonly string[];
        readonly profiles?: readonly string[];
      };
  /** Area codes whose descendants (and themselves) are in scope; absent: everywhere. */
  readonly areas?: readonly string[];
  /** The finest level this grant allows (e.g. "buurt": no postcodes). Absent: every level. */
  readonly finestLevel?: AreaLevel;
  /** The purpose the grant serves; it covers requests made for this purpose only ("*": any, open data only). */
  readonly purpose: string;
}

export interface ReleasePolicy {
  readonly grants: readonly Grant[];
  /** Counts (and numerators/denominators) below this are suppressed for sources that are not open. */
  readonly minCount: number;
}

/** What a figure is about, as far as the policy is concerned. */
export interface FigureSubject {
  readonly indicatorId: string;
  readonly domain: Domain;
  readonly sourceOpen: boolean;
  /** All of the figure's sources are synthetic (a generated demo population, no real people). */
  readonly synthetic?: boolean;
  readonly areaCode: string;
  readonly level: AreaLevel;
}

export type AccessDecision =
  { readonly allowed: true; readonly grantId: string } | { readonly allowed: false; readonly reason: string };

/** Whether a grant is given to this actor (by role, organisation or user); "public" grants apply to all. */
export function grantAppliesTo(grant: Grant, actor: Actor): boolean {
  switch (grant.to.kind) {
    case "role":
      return grant.to.id === PUBLIC_ROLE || actor.roles.includes(grant.to.id);
    case "organisation":
      return actor.organisation != null && actor.organisation === grant.to.id;
    case "user":
      return actor.id === grant.to.id;
  }
}

/** The grants given to an actor, in policy order. */
export function grantsOf(policy: ReleasePolicy, actor: Actor): Grant[] {
  return policy.grants.filter((g) => grantAppliesTo(g, actor));
}

/**
 * Everything the policy's decisions for this actor depend on: the grants given to them and their
 * purpose. Two actors with the same key see exactly the same figures (a cache key for released views).
 */
export function accessKey(policy: ReleasePolicy, actor: Actor): string {
  return `${actor.purpose}|${grantsOf(policy, actor)
    .map((g) => g.id)
    .join(",")}`;
}

/** Why a grant given to the actor does not cover a figure, or null when it does. */
export function grantMismatch(grant: Grant, actor: Actor, s: FigureSubject): string | null {
  // Need to know: a grant serves one purpose; asking for another purpose is not covered.
  if (grant.purpose !== ANY_PURPOSE && grant.purpose !== actor.purpose)
    return `grant ${grant.id} serves purpose "${grant.purpose}", not "${actor.purpose}"`;
  if (grant.what === "open-data") {
    if (!s.sourceOpen) return `grant ${grant.id} covers open data only; ${s.indicatorId} is not open data`;
  } else if (grant.what === "synthetic-data") {
    if (s.synthetic !== true)
      return `grant ${grant.id} covers synthetic data only; ${s.indicatorId} is not synthetic`;
  } else {
    const byDomain = grant.what.domains?.includes(s.domain) ?? false;
    const byIndicator = grant.what.indicators?.includes(s.indicatorId) ?? false;
    const byProfile =
      s.indicatorId.startsWith("profile:") &&
      (grant.what.profiles?.includes(s.indicatorId.slice("profile:".length)) ?? false);
    if (!byDomain && !byIndicator && !byProfile)
      return `grant ${grant.id} does not name ${s.indicatorId.startsWith("profile:") ? "profile" : "indicator"} ${s.indicatorId.replace(/^profile:/, "")} or its domain ${s.domain}`;
  }
  if (grant.finestLevel && isFinerLevel(s.level, grant.finestLevel))
    return `grant ${grant.id} allows levels down to ${grant.finestLevel}, not ${s.level}`;
  if (grant.areas) {
    const chain = [s.areaCode, ...ancestorsOfCode(s.areaCode)];
    if (!grant.areas.some((root) => chain.includes(root)))
      return `grant ${grant.id} covers the areas ${grant.areas.join(", ")} (and what lies in them), not ${s.areaCode}`;
  }
  return null;
}

/**
 * Default deny: a figure is visible only when a grant given to the actor covers it. A denial says
 * which rule applies ("why can't I see this?"): no grant at all, or why the nearest one does not cover.
 *
 * @example decideAccess(policy, { id: "anon", roles: ["public"], purpose: "open-data" }, subject)
 */
export function decideAccess(policy: ReleasePolicy, actor: Actor, subject: FigureSubject): AccessDecision {
  const reasons: string[] = [];
  for (const grant of policy.grants) {
    if (!grantAppliesTo(grant, actor)) continue;
    const mismatch = grantMismatch(grant, actor, subject);
    if (mismatch === null) return { allowed: true, grantId: grant.id };
    reasons.push(mismatch);
  }
  const what = `${subject.indicatorId} (domain ${subject.domain}, ${subject.sourceOpen ? "open data" : subject.synthetic ? "synthetic data" : "not open data"}) at level ${subject.level} in ${subject.areaCode}`;
  if (reasons.length === 0)
    return {
      allowed: false,
      reason: `default deny: no grant is given to ${actor.id} (role(s) ${actor.roles.join(", ") || "none"}${actor.organisation ? `, organisation ${actor.organisation}` : ""}) for ${what}`,
    };
  // The most specific mismatch first: a grant that names the figure but not this level or area.
  const rank = (r: string): number =>
    r.includes("allows levels") ? 0 : r.includes("covers the areas") ? 1 : r.includes("purpose") ? 2 : 3;
  const best = [...reasons].sort((a, b) => rank(a) - rank(b))[0]!;
  return { allowed: false, reason: `no grant covers ${what}: ${best}` };
}

/**
 * Whether any grant given to the actor (for their purpose) reaches this area at this level, whatever
 * it names: the test for releasing that an area was tested (blue/grey on the alert layer) without any
 * figure.
 */
export function areaInScope(
  policy: ReleasePolicy,
  actor: Actor,
  areaCode: string,
  level: AreaLevel,
): boolean {
  return grantsOf(policy, actor).some(
    (g) =>
      (g.purpose === ANY_PURPOSE || g.purpose === actor.purpose) &&
      !(g.finestLevel && isFinerLevel(level, g.finestLevel)) &&
      (!g.areas || g.areas.some((root) => root === areaCode || ancestorsOfCode(areaCode).includes(root))),
  );
}

/** Checks a grant before it is stored: problems in words, empty when fine. */
export function grantProblems(grant: Grant): string[] {
  const problems: string[] = [];
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/i.test(grant.id))
    problems.push("id: expected 1-63 letters, digits, '.', '_' or '-'");
  if (!grant.to.id) problems.push("to.id: expected a role, organisation or user id");
  if (grant.purpose === ANY_PURPOSE && typeof grant.what === "object")
    problems.push(
      'purpose: "*" (any purpose) is only for open or synthetic data; name the purpose this grant serves',
    );
  if (typeof grant.what === "object") {
    const n =
      (grant.what.domains?.length ?? 0) +
      (grant.what.indicators?.length ?? 0) +
      (grant.what.profiles?.length ?? 0);
    if (n === 0) problems.push("what: name at least one domain, indicator or profile");
  }
  if (grant.areas !== undefined && grant.areas.length === 0)
    problems.push("areas: leave out for everywhere, or name at least one area");
  return problems;
}

/** A figure before release. */
export interface RawFigure {
  readonly value: number;
  readonly numerator: number | null;
  readonly denominator: number | null;
}

export type DisclosureStatus = "released" | "suppressed";

export interface DisclosedFigure {
  readonly status: DisclosureStatus;
  readonly value: number | null;
  readonly numerator: number | null;
  readonly denominator: number | null;
}

/**
 * Whether a source's figures pass disclosure control unchanged: open data (disclosure-controlled by
 * its publisher) and sources whose counts are not about people (`personal: false`, e.g. field
 * reports about places). Access control applies to them all the same.
 */
export function disclosureExempt(source: {
  readonly open: boolean;
  readonly personal?: boolean | null;
}): boolean {
  return source.open || source.personal === false;
}

/**
 * Disclosure control for one figure. Figures of an exempt source (`disclosureExempt`: open data, or
 * counts that are not about people) pass unchanged; other counts below `minCount` (and ratios built
 * on them) are suppressed.
 */
export function discloseFigure(
  policy: ReleasePolicy,
  figure: RawFigure,
  kind: IndicatorKind,
  exempt: boolean,
): DisclosedFigure {
  if (exempt) return { status: "released", ...figure };
  const small = (n: number | null): boolean => n !== null && n < policy.minCount;
  const tooSmall =
    (kind === "count" && small(figure.value)) || small(figure.numerator) || small(figure.denominator);
  if (tooSmall) return { status: "suppressed", value: null, numerator: null, denominator: null };
  return { status: "released", ...figure };
}

/**
 * The policy wijkradar starts with: anonymous visitors see open data and figures computed from
 * synthetic sources only (the demo's generated population, so that profiles can be shown without
 * real people behind them), nothing else. Figures from real microdata stay default-deny.
 */
export const OPEN_DATA_POLICY: ReleasePolicy = {
  grants: [
    {
      id: "public-open-data",
      to: { kind: "role", id: PUBLIC_ROLE },
      what: "open-data",
      purpose: ANY_PURPOSE,
    },
    {
      id: "public-synthetic-data",
      to: { kind: "role", id: PUBLIC_ROLE },
      what: "synthetic-data",
      purpose: ANY_PURPOSE,
    },
  ],
  minCount: 10,
};
