/**
 * THE release function. Every number that leaves the server — JSON, CSV, GeoJSON — passes here:
 * access policy (default deny) → disclosure control → one audit record for the request.
 * Routes and the CLI export call `releaseView` (figures of the area cube) or `releaseProfile`
 * (profile counts from the microdata vault); none builds its own way around it.
 */
import {
  accessKey,
  areaInScope,
  decideAccess,
  discloseFigure,
  disclosureExempt,
  type Actor,
  type AreaLevel,
  type DisclosureStatus,
  type Domain,
  type FigureSubject,
  type ProtectedCell,
  type ReleasePolicy,
  type SuppressionReason,
} from "@wijkradar/core";
import type { AlertRow, StoredTest } from "../store/alert-repository.js";
import type { AuditLog } from "../store/audit-repository.js";
import type { IndicatorRow } from "../store/catalogue-repository.js";
import type { CubeValue, Reference } from "../store/value-repository.js";
import { levelOfCode } from "@wijkradar/core";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";

/** A released and serialised response, kept while the data and the policy do not change. */
export interface ReleasedView {
  /** The JSON as UTF-8 bytes. */
  readonly body: Buffer;
  readonly gzip: Buffer;
  /** Strong ETag of the JSON; the gzip representation has its own (`…-gz`). */
  readonly etag: string;
  readonly summary: Pick<ReleaseResult, "released" | "suppressed" | "denied" | "deniedReason">;
}

export interface RequestContext {
  readonly actor: Actor;
  /** Where the request came from: "http 127.0.0.1", "cli". */
  readonly origin: string;
}

export interface ReleasedReference {
  readonly code: string;
  readonly status: DisclosureStatus | "denied";
  readonly value: number | null;
  readonly numerator: number | null;
  readonly denominator: number | null;
  readonly derived: boolean;
}

export interface ReleasedValue {
  readonly indicatorId: string;
  readonly code: string;
  readonly name: string | null;
  readonly nameDivision: number | null;
  readonly level: CubeValue["level"];
  readonly division: number;
  readonly period: string;
  readonly status: DisclosureStatus;
  readonly value: number | null;
  readonly numerator: number | null;
  readonly denominator: number | null;
  readonly derived: boolean;
  readonly parent: ReleasedReference | null;
  readonly national: ReleasedReference | null;
}

export interface ReleaseResult {
  readonly values: ReleasedValue[];
  readonly released: number;
  readonly suppressed: number;
  readonly denied: number;
  /** Why figures were withheld by the access policy (first reason), for "why can't I see this?". */
  readonly deniedReason: string | null;
}

export class Releaser {
  // Oldest first (Map order); bounded by the bytes the views hold, not by their number: one buurt
  // layer is ~1.4 MB of JSON plus ~160 kB gzip, a profile a few kB.
  private readonly views = new Map<string, Promise<ReleasedView>>();
  private readonly sizes = new Map<string, number>();
  private cachedBytes = 0;
  private dataVersion = 0;

  private readonly policySource: { current(): ReleasePolicy };

  constructor(
    policy: ReleasePolicy | { current(): ReleasePolicy },
    private readonly audit: AuditLog,
    private readonly maxCachedBytes = 256 * 1024 * 1024,
  ) {
    this.policySource = "current" in policy ? policy : { current: () => policy };
  }

  /** The policy in force (grants change in the administration; `invalidate` follows every change). */
  private get policy(): ReleasePolicy {
    return this.policySource.current();
  }

  /** Forgets every cached view: call after any write to the data. */
  invalidate(): void {
    this.dataVersion++;
    this.views.clear();
    this.sizes.clear();
    this.cachedBytes = 0;
  }

  private forget(key: string): void {
    this.views.delete(key);
    this.cachedBytes -= this.sizes.get(key) ?? 0;
    this.sizes.delete(key);
  }

  /**
   * Releases a whole response through the release function and keeps the serialised result for
   * identical requests by actors with the same grants and purpose (the only inputs of the policy).
   * Every request is audited, cached or not.
   */
  async releaseView<
    L extends { values: readonly CubeValue[]; indicators: ReadonlyMap<string, IndicatorRow> },
  >(
    ctx: RequestContext,
    action: string,
    object: string,
    load: () => Promise<L>,
    shape: (result: ReleaseResult, context: Omit<L, "values">) => unknown,
  ): Promise<ReleasedView> {
    return this.cachedView(ctx, action, object, async () => {
      const loaded = await load();
      const result = this.apply(ctx.actor, loaded.values, loaded.indicators);
      // The shaping sees the released result only, never the raw values it was made from.
      const { values: _raw, ...context } = loaded;
      const { released, suppressed, denied, deniedReason } = result;
      return { body: shape(result, context), summary: { released, suppressed, denied, deniedReason } };
    });
  }

  /**
   * The cache of serialised views, keyed by data version, roles, purpose, action and object; writes
   * the request's one audit record, cached or not.
   */
  private async cachedView(
    ctx: RequestContext,
    action: string,
    object: string,
    build: () => Promise<{ body: unknown; summary: ReleasedView["summary"] }>,
  ): Promise<ReleasedView> {
    // Two actors with the same grants and purpose see exactly the same figures (core accessKey).
    const key = `${this.dataVersion}|${accessKey(this.policy, ctx.actor)}|${action}|${object}`;
    let view = this.views.get(key);
    if (!view) {
      view = (async () => {
        const built = await build();
        const body = Buffer.from(JSON.stringify(built.body), "utf8");
        const gzip = gzipSync(body, { level: 6 });
        return {
          body,
          gzip,
          // A content hash: a restarted server or another process's import never yields a false 304.
          etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
          summary: built.summary,
        };
      })();
      const pending = view;
      this.views.set(key, pending);
      pending.then(
        (v) => {
          if (this.views.get(key) !== pending) return; // invalidated meanwhile
          const bytes = v.body.length + v.gzip.length;
          this.sizes.set(key, bytes);
          this.cachedBytes += bytes;
          for (const oldest of this.views.keys()) {
            if (this.cachedBytes <= this.maxCachedBytes || oldest === key) break;
            this.forget(oldest);
          }
        },
        () => this.forget(key),
      );
    }
    const done = await view;
    this.record(ctx, action, object, done.summary);
    return done;
  }

  /**
   * Releases profile figures: the access policy per figure and per reference (the subject is the
   * indicator `profile:<id>` in the profile's domain, never open data; synthetic when all of its
   * sources are), then the disclosure-controlled table the caller computed (suppressed cells carry
   * no number; released counts are perturbed, the amount is never sent), then one audit record.
   * Cached like `releaseView` per roles and purpose.
   */
  async releaseProfile<C>(
    ctx: RequestContext,
    action: string,
    object: string,
    load: () => Promise<ProfileLoad<C>>,
    shape: (result: ProfileReleaseResult, context: C) => unknown,
  ): Promise<ReleasedView> {
    // cachedView writes the request's one audit record.
    return this.cachedView(ctx, action, object, async () => {
      const loaded = await load();
      const result = this.applyProfile(ctx.actor, loaded);
      const { released, suppressed, denied, deniedReason } = result;
      return { body: shape(result, loaded.context), summary: { released, suppressed, denied, deniedReason } };
    });
  }

  /**
   * Releases alerts: per alert the access policy for each of its tests' indicators in the alert's
   * area (tests the actor may not see are dropped; an alert with none left is denied), then
   * disclosure control of each test's figures (a non-open figure below the threshold loses its
   * numbers), then the request's one audit record. Cached per roles and purpose like the other views.
   */
  async releaseAlerts<C>(
    ctx: RequestContext,
    action: string,
    object: string,
    load: () => Promise<AlertLoad<C>>,
    shape: (result: AlertReleaseResult, context: C) => unknown,
  ): Promise<ReleasedView> {
    return this.cachedView(ctx, action, object, async () => {
      const loaded = await load();
      const result = this.applyAlerts(ctx.actor, loaded);
      const { released, suppressed, denied, deniedReason } = result;
      return { body: shape(result, loaded.context), summary: { released, suppressed, denied, deniedReason } };
    });
  }

  /** Whether any grant of the actor reaches an area at a level (to show that it was tested). */
  areaVisible(actor: Actor, areaCode: string, level: AreaLevel): boolean {
    return areaInScope(this.policy, actor, areaCode, level);
  }

  /** Whether the actor may see any test of the alerts (nothing released, nothing audited). */
  alertAccess<C>(actor: Actor, loaded: AlertLoad<C>): { allowed: boolean; reason: string | null } {
    const r = this.applyAlerts(actor, loaded);
    return { allowed: r.released + r.suppressed > 0, reason: r.deniedReason };
  }

  private applyAlerts<C>(actor: Actor, loaded: AlertLoad<C>): AlertReleaseResult {
    let released = 0;
    let suppressed = 0;
    let denied = 0;
    let deniedReason: string | null = null;
    const out: ReleasedAlert[] = [];
    for (const alert of loaded.alerts) {
      const tests: ReleasedAlertTest[] = [];
      let hidden = 0;
      for (const t of alert.tests) {
        const profile = loaded.profiles?.get(t.indicatorId);
        if (profile) {
          // A profile test: its figures are released cells of the protected table already.
          const access = decideAccess(this.policy, actor, {
            indicatorId: profile.subject.indicatorId,
            domain: profile.subject.domain,
            sourceOpen: false,
            synthetic: profile.subject.synthetic,
            areaCode: alert.areaCode,
            level: alert.level,
          });
          if (!access.allowed) {
            hidden++;
            deniedReason ??= access.reason;
            continue;
          }
          tests.push({ ...t, status: "released", attribution: profile.attribution });
          continue;
        }
        const ind = loaded.indicators.get(t.indicatorId);
        if (!ind) {
          hidden++;
          deniedReason ??= `indicator ${t.indicatorId} is not in the catalogue`;
          continue;
        }
        const access = decideAccess(this.policy, actor, {
          indicatorId: ind.id,
          domain: ind.domain,
          sourceOpen: ind.source.open,
          areaCode: alert.areaCode,
          level: alert.level,
        });
        if (!access.allowed) {
          hidden++;
          deniedReason ??= access.reason;
          continue;
        }
        const num = typeof t.details.numerator === "number" ? t.details.numerator : null;
        const den = typeof t.details.denominator === "number" ? t.details.denominator : null;
        const d = discloseFigure(
          this.policy,
          { value: t.observed, numerator: num, denominator: den },
          ind.kind,
          disclosureExempt(ind.source),
        );
        if (d.status === "released")
          tests.push({ ...t, status: "released", attribution: ind.source.attribution });
        else
          tests.push({
            ...t,
            status: "suppressed",
            observed: null,
            expected: null,
            details: Object.fromEntries(
              Object.entries(t.details).filter(([k]) => k !== "numerator" && k !== "denominator"),
            ),
            attribution: ind.source.attribution,
          });
      }
      if (tests.length === 0) {
        denied++;
        continue;
      }
      if (tests.every((t) => t.status === "suppressed")) suppressed++;
      else released++;
      const top = tests[0] as ReleasedAlertTest;
      const { tests: _all, ...rest } = alert;
      out.push({
        ...rest,
        indicatorId: top.indicatorId,
        detector: top.detector,
        period: top.period,
        effect: top.effect,
        p: top.p,
        q: top.q,
        detectors: [...new Set(tests.map((t) => t.detector))].sort(),
        tests,
        hiddenTests: hidden,
      });
    }
    return { alerts: out, released, suppressed, denied, deniedReason };
  }

  private applyProfile<C>(actor: Actor, loaded: ProfileLoad<C>): ProfileReleaseResult {
    const { subject } = loaded;
    let released = 0;
    let suppressed = 0;
    let denied = 0;
    let deniedReason: string | null = null;
    const access = (code: string, level: AreaLevel) =>
      decideAccess(this.policy, actor, {
        indicatorId: subject.indicatorId,
        domain: subject.domain,
        sourceOpen: false,
        synthetic: subject.synthetic,
        areaCode: code,
        level,
      });
    const figure = (cell: ProtectedCell): Omit<ReleasedProfileFigure, "code"> => {
      if (cell.status === "suppressed" || cell.count === null || cell.population === null)
        return {
          status: "suppressed",
          reason: cell.reason ?? "complementary",
          count: null,
          population: null,
          share: null,
          perturbed: false,
        };
      return {
        status: "released",
        reason: null,
        count: cell.count,
        population: cell.population,
        share: cell.population > 0 ? (100 * cell.count) / cell.population : null,
        perturbed: subject.perturbed,
      };
    };
    const reference = (ref: ProfileLoad<C>["figures"][number]["parent"]): ReleasedProfileReference | null => {
      if (!ref) return null;
      const a = access(ref.code, ref.level);
      if (!a.allowed) return { code: ref.code, status: "denied", reason: null, share: null };
      const f = figure(ref.cell);
      return { code: ref.code, status: f.status, reason: f.reason, share: f.share };
    };
    const out: ReleasedProfileValue[] = [];
    for (const f of loaded.figures) {
      const a = access(f.code, f.level);
      if (!a.allowed) {
        denied++;
        deniedReason ??= a.reason;
        continue;
      }
      const released1 = figure(f.cell);
      if (released1.status === "released") released++;
      else suppressed++;
      out.push({
        code: f.code,
        name: f.name,
        level: f.level,
        gemeenteCode: f.gemeenteCode,
        ...released1,
        parent: reference(f.parent),
        gemeente: reference(f.gemeente),
      });
    }
    return { values: out, released, suppressed, denied, deniedReason };
  }

  /**
   * "Why can't I see this?": the decision of the access policy for one indicator or profile in one
   * area and level, with the grant that allows it or the rule that denies it. No figure goes out;
   * the question is audited like a data request.
   */
  explain(
    ctx: RequestContext,
    subject: Omit<FigureSubject, "areaCode" | "level">,
    areaCode: string,
    level: AreaLevel,
  ): {
    allowed: boolean;
    grantId: string | null;
    reason: string;
    indicatorId: string;
    area: string;
    level: AreaLevel;
  } {
    const decision = decideAccess(this.policy, ctx.actor, { ...subject, areaCode, level });
    const object = `explain:${subject.indicatorId} area:${areaCode} level:${level}`;
    this.record(ctx, "access-explain", object, {
      released: 0,
      suppressed: 0,
      denied: decision.allowed ? 0 : 1,
    });
    return {
      allowed: decision.allowed,
      grantId: decision.allowed ? decision.grantId : null,
      reason: decision.allowed
        ? `grant ${decision.grantId} allows ${subject.indicatorId} in ${areaCode} at level ${level} for purpose ${ctx.actor.purpose}`
        : decision.reason,
      indicatorId: subject.indicatorId,
      area: areaCode,
      level,
    };
  }

  private record(
    ctx: RequestContext,
    action: string,
    object: string,
    r: Pick<ReleaseResult, "released" | "suppressed" | "denied">,
  ): void {
    this.audit.record({
      at: new Date(),
      actor: ctx.actor.id,
      onBehalfOf: ctx.actor.onBehalfOf ?? null,
      organisation: ctx.actor.organisation ?? null,
      roles: ctx.actor.roles,
      purpose: ctx.actor.purpose,
      action,
      object,
      released: r.released,
      suppressed: r.suppressed,
      denied: r.denied,
      origin: ctx.origin,
    });
  }

  /** Access policy, then disclosure control, for every value and reference. */
  private apply(
    actor: Actor,
    values: readonly CubeValue[],
    indicators: ReadonlyMap<string, IndicatorRow>,
  ): ReleaseResult {
    let released = 0;
    let suppressed = 0;
    let denied = 0;
    let deniedReason: string | null = null;
    const out: ReleasedValue[] = [];

    const subjectOf = (ind: IndicatorRow, code: string, level: CubeValue["level"]): FigureSubject => ({
      indicatorId: ind.id,
      domain: ind.domain,
      sourceOpen: ind.source.open,
      areaCode: code,
      level,
    });
    const releaseRef = (ind: IndicatorRow, ref: Reference | null): ReleasedReference | null => {
      if (!ref) return null;
      const level = levelOfCode(ref.code);
      if (!level) return null;
      const access = decideAccess(this.policy, actor, subjectOf(ind, ref.code, level));
      if (!access.allowed)
        return {
          code: ref.code,
          status: "denied",
          value: null,
          numerator: null,
          denominator: null,
          derived: ref.derived,
        };
      const d = discloseFigure(this.policy, ref, ind.kind, disclosureExempt(ind.source));
      return {
        code: ref.code,
        status: d.status,
        value: d.value,
        numerator: d.numerator,
        denominator: d.denominator,
        derived: ref.derived,
      };
    };

    for (const v of values) {
      const ind = indicators.get(v.indicatorId);
      if (!ind) {
        denied++;
        deniedReason ??= `indicator ${v.indicatorId} is not in the catalogue`;
        continue;
      }
      const access = decideAccess(this.policy, actor, subjectOf(ind, v.code, v.level));
      if (!access.allowed) {
        denied++;
        deniedReason ??= access.reason;
        continue;
      }
      const d = discloseFigure(this.policy, v, ind.kind, disclosureExempt(ind.source));
      if (d.status === "released") released++;
      else suppressed++;
      out.push({
        indicatorId: v.indicatorId,
        code: v.code,
        name: v.name,
        nameDivision: v.nameDivision,
        level: v.level,
        division: v.division,
        period: v.period,
        status: d.status,
        value: d.value,
        numerator: d.numerator,
        denominator: d.denominator,
        derived: v.derived,
        parent: releaseRef(ind, v.parent),
        national: releaseRef(ind, v.national),
      });
    }
    return { values: out, released, suppressed, denied, deniedReason };
  }
}

export interface AlertLoad<C> {
  readonly alerts: readonly AlertRow[];
  readonly indicators: ReadonlyMap<string, IndicatorRow>;
  /** Profiles by `profile:<id>`: what their tests are about, for the access policy, and their attribution. */
  readonly profiles?: ReadonlyMap<string, { readonly subject: ProfileSubject; readonly attribution: string }>;
  /** Whatever the shaping needs besides the alerts (paging, filters…); no raw figures. */
  readonly context: C;
}

export interface ReleasedAlertTest extends Omit<StoredTest, "observed" | "expected"> {
  readonly status: DisclosureStatus;
  readonly observed: number | null;
  readonly expected: number | null;
  readonly attribution: string;
}

export interface ReleasedAlert extends Omit<AlertRow, "tests"> {
  readonly tests: readonly ReleasedAlertTest[];
  /** Tests of this alert the actor may not see (their indicators are not granted). */
  readonly hiddenTests: number;
}

export interface AlertReleaseResult {
  readonly alerts: ReleasedAlert[];
  readonly released: number;
  readonly suppressed: number;
  readonly denied: number;
  readonly deniedReason: string | null;
}

/** What a profile figure is about, for the access policy. */
export interface ProfileSubject {
  /** `profile:<id>`. */
  readonly indicatorId: string;
  readonly domain: Domain;
  /** Every source of the profile is synthetic. */
  readonly synthetic: boolean;
  /** Released counts carry cell-key noise (rules.perturbation.maxNoise > 0). */
  readonly perturbed: boolean;
}

/** A profile figure before release: its cell of the protected gemeente table and its references. */
export interface ProfileFigureInput {
  readonly code: string;
  readonly name: string | null;
  readonly level: AreaLevel;
  readonly gemeenteCode: string;
  readonly cell: ProtectedCell;
  readonly parent: { readonly code: string; readonly level: AreaLevel; readonly cell: ProtectedCell } | null;
  readonly gemeente: {
    readonly code: string;
    readonly level: AreaLevel;
    readonly cell: ProtectedCell;
  } | null;
}

export interface ProfileLoad<C> {
  readonly subject: ProfileSubject;
  readonly figures: readonly ProfileFigureInput[];
  /** Whatever the shaping needs besides the figures (definition, rules, date…); no raw counts. */
  readonly context: C;
}

export interface ReleasedProfileFigure {
  readonly code: string;
  readonly status: DisclosureStatus;
  readonly reason: SuppressionReason | null;
  readonly count: number | null;
  readonly population: number | null;
  /** count / population in percent, from the released (perturbed) numbers. */
  readonly share: number | null;
  /** Whether the numbers carry cell-key noise (every released figure when perturbation is on). */
  readonly perturbed: boolean;
}

export interface ReleasedProfileReference {
  readonly code: string;
  readonly status: DisclosureStatus | "denied";
  readonly reason: SuppressionReason | null;
  readonly share: number | null;
}

export interface ReleasedProfileValue extends ReleasedProfileFigure {
  readonly name: string | null;
  readonly level: AreaLevel;
  readonly gemeenteCode: string;
  readonly parent: ReleasedProfileReference | null;
  readonly gemeente: ReleasedProfileReference | null;
}

export interface ProfileReleaseResult {
  readonly values: ReleasedProfileValue[];
  readonly released: number;
  readonly suppressed: number;
  readonly denied: number;
  readonly deniedReason: string | null;
}

/** Why a figure is hidden, in words for the public (Dutch and English). */
export const SUPPRESSION_WORDS: Readonly<
  Record<SuppressionReason, { readonly nl: string; readonly en: string }>
> = {
  "count-below-k": { nl: "te weinig personen", en: "too few people" },
  "area-population-below-minimum": {
    nl: "te weinig inwoners in dit gebied",
    en: "too few residents in this area",
  },
  "group-disclosure": {
    nl: "(bijna) iedereen of niemand in dit gebied valt erin",
    en: "(almost) everyone or no one in this area is included",
  },
  "near-profile-difference": {
    nl: "zou via een bijna gelijk profiel een kleine groep onthullen",
    en: "would reveal a small group through a near-identical profile",
  },
  dominance: { nl: "enkele bijdragen overheersen het totaal", en: "a few contributions dominate the total" },
  "p-percent": {
    nl: "enkele bijdragen overheersen het totaal",
    en: "a few contributions dominate the total",
  },
  complementary: {
    nl: "verborgen om een ander verborgen cijfer te beschermen",
    en: "hidden to protect another hidden figure",
  },
};
