/**
 * Need to know for the signal board and interventions (ADR 0008): free text and agreements about an
 * area are no figures, so they do not pass the figure release; they get an access check of their own,
 * built from the same grants. An actor sees a board item when one of their grants — not a grant to the
 * `public` role, which would open the board to every visitor — serves their purpose, reaches the
 * item's area (names it or an ancestor, or names no areas), is not limited to a coarser level, and
 * covers the item's domain (`open-data` and `synthetic-data` grants cover every domain; a
 * `{domains, indicators}` grant its domains and the domains of its indicators).
 */
import { ancestorsOfCode, isFinerLevel, type AreaLevel } from "../area-codes.js";
import type { Domain } from "../catalogue.js";
import {
  ANY_PURPOSE,
  grantAppliesTo,
  PUBLIC_ROLE,
  type Actor,
  type Grant,
  type ReleasePolicy,
} from "../release.js";

/** What a board item (signal, action) is about. Without a domain: the board of the area as such. */
export interface BoardItem {
  readonly areaCode: string;
  readonly level: AreaLevel;
  readonly domain?: Domain;
}

export type BoardDecision =
  { readonly allowed: true; readonly grantId: string } | { readonly allowed: false; readonly reason: string };

/** Whether a grant is one to everyone (the `public` role): it opens figures, never a board. */
export function isPublicGrant(grant: Grant): boolean {
  return grant.to.kind === "role" && grant.to.id === PUBLIC_ROLE;
}

/** Why a grant given to the actor does not reach a board item, as separate rules (empty: it does). */
export function boardGrantMismatches(
  grant: Grant,
  actor: Actor,
  item: BoardItem,
  domainOfIndicator: (id: string) => Domain | undefined,
): string[] {
  const out: string[] = [];
  if (grant.purpose !== ANY_PURPOSE && grant.purpose !== actor.purpose)
    out.push(`grant ${grant.id} serves purpose "${grant.purpose}", not "${actor.purpose}"`);
  if (item.domain !== undefined && typeof grant.what === "object") {
    const domains = new Set<Domain>(grant.what.domains ?? []);
    for (const id of grant.what.indicators ?? []) {
      const d = domainOfIndicator(id);
      if (d) domains.add(d);
    }
    if (!domains.has(item.domain))
      out.push(
        `grant ${grant.id} covers ${domains.size ? `only the domain(s) ${[...domains].sort().join(", ")}` : "no domain"} (its domains and those of its indicators), not ${item.domain}`,
      );
  }
  if (grant.finestLevel && isFinerLevel(item.level, grant.finestLevel))
    out.push(`grant ${grant.id} allows levels down to ${grant.finestLevel}, not ${item.level}`);
  if (grant.areas) {
    const chain = [item.areaCode, ...ancestorsOfCode(item.areaCode)];
    if (!grant.areas.some((root) => chain.includes(root)))
      out.push(
        `grant ${grant.id} covers only ${grant.areas.join(", ")} (and what lies in them), not ${item.areaCode}`,
      );
  }
  return out;
}

/**
 * Whether an actor may see (and work on) a board item; a denial names the rule, in the style of the
 * figure release's `decideAccess`: "default deny: …" when no grant but public ones is given to the
 * actor, else the nearest grant's mismatches.
 *
 * @example boardAccess(policy, fieldWorker, { areaCode: "BU00340101", level: "buurt", domain: "safety" }, domainOf)
 */
export function boardAccess(
  policy: ReleasePolicy,
  actor: Actor,
  item: BoardItem,
  domainOfIndicator: (id: string) => Domain | undefined,
): BoardDecision {
  let nearest: string[] | undefined;
  for (const grant of policy.grants) {
    if (isPublicGrant(grant) || !grantAppliesTo(grant, actor)) continue;
    const mismatches = boardGrantMismatches(grant, actor, item, domainOfIndicator);
    if (mismatches.length === 0) return { allowed: true, grantId: grant.id };
    if (!nearest || mismatches.length < nearest.length) nearest = mismatches;
  }
  const what = `${item.areaCode} (level ${item.level}${item.domain ? `, domain ${item.domain}` : ""})`;
  if (!nearest)
    return {
      allowed: false,
      reason: `default deny: no grant other than the public's is given to ${actor.id} (role(s) ${actor.roles.join(", ") || "none"}${actor.organisation ? `, organisation ${actor.organisation}` : ""}); the board of ${what} needs a grant to your role, organisation or account that reaches it`,
    };
  return {
    allowed: false,
    reason: `no grant reaches ${what}: ${nearest.join("; ")}`,
  };
}

/** What an intervention is about: one or more areas of one level, and a domain. */
export interface InterventionItem {
  readonly areas: readonly string[];
  readonly level: AreaLevel;
  readonly domain: Domain;
}

/** An intervention is visible when at least one of its areas is (its effect figures are released apart). */
export function interventionAccess(
  policy: ReleasePolicy,
  actor: Actor,
  item: InterventionItem,
  domainOfIndicator: (id: string) => Domain | undefined,
): BoardDecision {
  let first: string | undefined;
  for (const areaCode of item.areas) {
    const d = boardAccess(
      policy,
      actor,
      { areaCode, level: item.level, domain: item.domain },
      domainOfIndicator,
    );
    if (d.allowed) return d;
    first ??= d.reason;
  }
  if (item.areas.length > 1 && first)
    return {
      allowed: false,
      reason: `none of the intervention's ${item.areas.length} areas is reachable; the first: ${first}`,
    };
  return { allowed: false, reason: first ?? "default deny: the intervention names no area" };
}
