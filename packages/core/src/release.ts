/**
 * The pure half of the one release function: access policy (default deny) and disclosure control.
 * Every number that leaves the server passes `decideAccess` and then `discloseFigure`; the server's
 * release module adds the audit record. Later issues extend the rules (grants per organisation and
 * user, complementary suppression, rounding); the shape of the choke point stays.
 */
import { ancestorsOfCode, isFinerLevel, type AreaLevel } from "./area-codes.js";
import type { Domain, IndicatorKind } from "./catalogue.js";

/** Who asks. The anonymous visitor has the role "public". */
export interface Actor {
  readonly id: string;
  readonly roles: readonly string[];
  readonly purpose: string;
}

/** A grant: who (role), what (open data, domains or indicators), where (area roots) and how fine. */
export interface Grant {
  readonly id: string;
  readonly role: string;
  /**
   * "open-data" grants every indicator of an open source; "synthetic-data" every figure computed
   * from synthetic sources only (no real person behind it); otherwise the listed domains/indicators.
   */
  readonly what:
    | "open-data"
    | "synthetic-data"
    | { readonly domains?: readonly Domain[]; readonly indicators?: readonly string[] };
  /** Area codes whose descendants (and themselves) are in scope; absent: everywhere. */
  readonly areas?: readonly string[];
  /** The finest level this grant allows (e.g. "buurt": no postcodes). Absent: every level. */
  readonly finestLevel?: AreaLevel;
  /** The purpose the grant serves; it covers requests made for this purpose only. */
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

function grantCovers(grant: Grant, actor: Actor, s: FigureSubject): boolean {
  // Need to know: a grant serves one purpose; asking for another purpose is not covered.
  if (grant.purpose !== actor.purpose) return false;
  if (grant.what === "open-data") {
    if (!s.sourceOpen) return false;
  } else if (grant.what === "synthetic-data") {
    if (s.synthetic !== true) return false;
  } else {
    const byDomain = grant.what.domains?.includes(s.domain) ?? false;
    const byIndicator = grant.what.indicators?.includes(s.indicatorId) ?? false;
    if (!byDomain && !byIndicator) return false;
  }
  if (grant.finestLevel && isFinerLevel(s.level, grant.finestLevel)) return false;
  if (grant.areas) {
    const chain = [s.areaCode, ...ancestorsOfCode(s.areaCode)];
    if (!grant.areas.some((root) => chain.includes(root))) return false;
  }
  return true;
}

/**
 * Default deny: a figure is visible only when a grant of one of the actor's roles covers it.
 *
 * @example decideAccess(policy, { id: "anon", roles: ["public"], purpose: "open-data" }, subject)
 */
export function decideAccess(policy: ReleasePolicy, actor: Actor, subject: FigureSubject): AccessDecision {
  for (const grant of policy.grants) {
    if (actor.roles.includes(grant.role) && grantCovers(grant, actor, subject))
      return { allowed: true, grantId: grant.id };
  }
  return {
    allowed: false,
    reason: `no grant for role(s) ${actor.roles.join(", ")} covers indicator ${subject.indicatorId} (domain ${subject.domain}, ${subject.sourceOpen ? "open data" : subject.synthetic ? "synthetic data" : "not open data"}) at level ${subject.level} in this area`,
  };
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
 * Disclosure control for one figure. Open data was disclosure-controlled by its publisher and passes
 * unchanged; other counts below `minCount` (and ratios built on them) are suppressed.
 */
export function discloseFigure(
  policy: ReleasePolicy,
  figure: RawFigure,
  kind: IndicatorKind,
  sourceOpen: boolean,
): DisclosedFigure {
  if (sourceOpen) return { status: "released", ...figure };
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
    { id: "public-open-data", role: "public", what: "open-data", purpose: "open-data" },
    { id: "public-synthetic-data", role: "public", what: "synthetic-data", purpose: "open-data" },
  ],
  minCount: 10,
};
