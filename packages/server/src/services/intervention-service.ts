/**
 * Interventions: registration for one or more areas of one division and level, agreements, the
 * effect on the target indicators, and the library of shared interventions (ADR 0008).
 *
 * Need to know is core `interventionAccess` (visible when one of its areas is); editing is for the
 * owner organisation's users and administrators. The effect is computed from RELEASED figures only:
 * one `releaseView` per request loads the target indicator's values at the intervention's level and
 * division over all periods, the release function applies the actor's grants and disclosure control,
 * and the shaping (which never sees the raw values) matches comparison areas and estimates the
 * difference in differences (core `matchComparisonAreas`, `differenceInDifferences`). A comparison
 * area outside the actor's grants therefore contributes no figure.
 */
import {
  differenceInDifferences,
  interventionAccess,
  levelOfCode,
  matchComparisonAreas,
  splitPeriods,
  type Actor,
  type AreaLevel,
  type AreaSeries,
  type Domain,
} from "@wijkradar/core";
import { AccessDeniedError, InputError, NotFoundError } from "../errors.js";
import type { ReleasedView, Releaser, RequestContext } from "../release/release-service.js";
import { findAreas, getArea } from "../store/area-repository.js";
import type { Database } from "../store/database.js";
import {
  getIntervention,
  insertAgreement,
  insertIntervention,
  listInterventions,
  setOutcome,
  updateAgreement,
  updateIntervention,
  type AgreementStatus,
  type InterventionFields,
  type InterventionQuery,
  type InterventionRow,
  type InterventionStatus,
  type NewAgreement,
} from "../store/intervention-repository.js";
import { indicatorSlices, valuesForIndicator } from "../store/value-repository.js";
import {
  checkDate,
  checkOrganisation,
  domainLookup,
  screenText,
  todayOf,
  type FieldAccess,
} from "./board-service.js";
import { attribution } from "./cube-service.js";

export interface InterventionInput {
  readonly title: string;
  readonly goal: string;
  readonly kind: string;
  readonly problem: string;
  readonly domain: Domain;
  readonly areas: readonly string[];
  readonly division: number;
  readonly targetIndicators: readonly string[];
  readonly startDate: string;
  readonly endDate?: string | null;
  readonly ownerOrganisation: string;
  readonly budget?: number | null;
  readonly status: InterventionStatus;
  readonly shared: boolean;
  readonly lessons?: string | null;
}

export interface AgreementInput {
  readonly text: string;
  readonly ownerOrganisation: string;
  readonly ownerName?: string | null;
  readonly dueDate: string;
  readonly status?: AgreementStatus;
}

/** Comparison areas matched per treated set (ADR 0008 "Effects"). */
export const MATCH_K = 5;
/** Below this many other areas of the level in the gemeente, candidates come from every gemeente. */
export const MIN_LOCAL_CANDIDATES = 10;

/**
 * The gemeente size class of the library's area type, from the number of buurten the gemeente has in
 * the division (registry metadata, not a figure): small < 20, medium 20–59, large ≥ 60 buurten.
 */
export function sizeClass(buurten: number): "small" | "medium" | "large" {
  return buurten >= 60 ? "large" : buurten >= 20 ? "medium" : "small";
}

/** An intervention as it leaves the server to those who may see it. */
export function shapeIntervention(r: InterventionRow, mayEdit: boolean) {
  return {
    id: r.id,
    title: r.title,
    goal: r.goal,
    kind: r.kind,
    problem: r.problem,
    domain: r.domain,
    areas: r.areas,
    division: r.division,
    level: r.level,
    targetIndicators: r.targetIndicators,
    startDate: r.startDate,
    endDate: r.endDate,
    ownerOrganisation: r.ownerOrganisation,
    budget: r.budget,
    status: r.status,
    shared: r.shared,
    lessons: r.lessons,
    areaType: r.areaType,
    outcome: r.outcome ? (JSON.parse(r.outcome) as unknown) : null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    mayEdit,
    agreements: r.agreements.map((a) => ({
      id: a.id,
      text: a.text,
      ownerOrganisation: a.ownerOrganisation,
      ownerName: a.ownerName,
      dueDate: a.dueDate,
      status: a.status,
      createdAt: a.createdAt,
      updatedAt: a.updatedAt,
    })),
  };
}

/** A shared intervention in the library: no area codes, no gemeente, no user. */
export function shapeLibraryEntry(r: InterventionRow) {
  return {
    id: r.id,
    title: r.title,
    goal: r.goal,
    kind: r.kind,
    problem: r.problem,
    domain: r.domain,
    level: r.level,
    areaCount: r.areas.length,
    areaType: r.areaType,
    targetIndicators: r.targetIndicators,
    startDate: r.startDate,
    endDate: r.endDate,
    status: r.status,
    ownerOrganisation: r.ownerOrganisation,
    budget: r.budget,
    lessons: r.lessons,
    outcome: r.outcome ? (JSON.parse(r.outcome) as unknown) : null,
  };
}

export class InterventionService {
  constructor(
    private readonly db: Database,
    private readonly access: FieldAccess,
    private readonly releaser: Releaser,
    private readonly clock: () => number = Date.now,
  ) {}

  private async decide(actor: Actor, r: Pick<InterventionRow, "areas" | "level" | "domain">) {
    return interventionAccess(
      this.access.policy.current(),
      actor,
      { areas: r.areas, level: r.level, domain: r.domain },
      await domainLookup(this.access.cube),
    );
  }

  /** An intervention the actor may see: 404 when it does not exist, 403 with the rule otherwise. */
  async get(actor: Actor, id: number): Promise<InterventionRow> {
    const r = await getIntervention(this.db, id);
    if (!r) throw new NotFoundError(`intervention ${id} does not exist`);
    const d = await this.decide(actor, r);
    if (!d.allowed) throw new AccessDeniedError(d.reason);
    return r;
  }

  /** Whether the actor may change it: a user of the owner organisation, or an administrator. */
  mayEdit(actor: Actor, r: InterventionRow): boolean {
    return (
      actor.roles.includes("admin") ||
      (actor.organisation != null && actor.organisation === r.ownerOrganisation)
    );
  }

  private requireEdit(actor: Actor, r: InterventionRow): void {
    if (!this.mayEdit(actor, r))
      throw new AccessDeniedError(
        `intervention ${r.id} is owned by ${r.ownerOrganisation}: only its users and administrators change it (you are of ${actor.organisation ?? "no organisation"})`,
      );
  }

  async list(actor: Actor, query: InterventionQuery) {
    const rows = await listInterventions(this.db, query);
    const out = [];
    for (const r of rows)
      if ((await this.decide(actor, r)).allowed) out.push(shapeIntervention(r, this.mayEdit(actor, r)));
    return out;
  }

  async library(query: Omit<InterventionQuery, "area" | "status" | "sharedOnly">) {
    return (await listInterventions(this.db, { ...query, sharedOnly: true })).map(shapeLibraryEntry);
  }

  /** Validates input into stored fields: areas of one level in the division, known indicators, dates. */
  private async fields(
    actor: Actor,
    input: InterventionInput,
    created: boolean,
  ): Promise<InterventionFields> {
    for (const [field, text] of [
      ["title", input.title],
      ["goal", input.goal],
      ["kind", input.kind],
      ["problem", input.problem],
      ["lessons", input.lessons],
    ] as const)
      screenText(field, text);
    const areas = [...new Set(input.areas)];
    const levels = new Set(areas.map((a) => levelOfCode(a)));
    if (levels.size !== 1)
      throw new InputError(
        `areas: expected areas of one level, got ${[...levels].join(", ")} (${areas.join(", ")})`,
      );
    const level = [...levels][0] as AreaLevel;
    if (level === "land" || level === "pc4" || level === "pc6")
      throw new InputError(`areas: expected gemeenten, wijken or buurten, got level ${level}`);
    for (const [i, code] of areas.entries())
      if (!(await getArea(this.db, code, input.division)))
        throw new InputError(`areas[${i}]: ${code} is not an area of division ${input.division}`);
    const gemeenten = new Set(areas.map((a) => `GM${a.slice(2, 6)}`));
    const catalogue = await this.access.cube.indicators();
    for (const [i, id] of input.targetIndicators.entries())
      if (!catalogue.has(id))
        throw new InputError(
          `targetIndicators[${i}]: indicator ${id} is not in the catalogue; GET /api/indicators lists them`,
        );
    const endDate = input.endDate ?? null;
    checkDate("startDate", input.startDate);
    if (endDate !== null) {
      checkDate("endDate", endDate);
      if (endDate < input.startDate)
        throw new InputError(`endDate: ${endDate} is before startDate ${input.startDate}`);
    }
    if (input.budget != null && !(input.budget >= 0))
      throw new InputError(`budget: expected 0 or more, got ${input.budget}`);
    await checkOrganisation(this.db, "ownerOrganisation", input.ownerOrganisation);
    // Registering for an area out of one's reach is refused: every area must be reachable.
    const policy = this.access.policy.current();
    const domainOf = await domainLookup(this.access.cube);
    for (const code of areas) {
      const d = interventionAccess(policy, actor, { areas: [code], level, domain: input.domain }, domainOf);
      if (!d.allowed)
        throw new AccessDeniedError(
          `${created ? "registering" : "changing"} an intervention for ${code}: ${d.reason}`,
        );
    }
    const gemeente = gemeenten.size === 1 ? [...gemeenten][0]! : null;
    let areaType: string | null = level;
    if (gemeente && level !== "gemeente") {
      const buurten = await findAreas(this.db, {
        level: "buurt",
        parent: gemeente,
        division: input.division,
        limit: 20000,
      });
      areaType = `${level}:${sizeClass(buurten.length)}`;
    } else if (gemeente) {
      const buurten = await findAreas(this.db, {
        level: "buurt",
        parent: gemeente,
        division: input.division,
        limit: 20000,
      });
      areaType = `gemeente:${sizeClass(buurten.length)}`;
    }
    return {
      title: input.title,
      goal: input.goal,
      kind: input.kind,
      problem: input.problem,
      domain: input.domain,
      areas,
      division: input.division,
      level,
      gemeenteCode: gemeente,
      targetIndicators: [...new Set(input.targetIndicators)],
      startDate: input.startDate,
      endDate,
      ownerOrganisation: input.ownerOrganisation,
      budget: input.budget ?? null,
      status: input.status,
      shared: input.shared,
      lessons: input.lessons ?? null,
      areaType,
    };
  }

  async create(ctx: RequestContext, input: InterventionInput) {
    const fields = await this.fields(ctx.actor, input, true);
    const id = await insertIntervention(this.db, fields, ctx.actor.id);
    await this.refreshOutcome(ctx, id);
    const r = (await getIntervention(this.db, id))!;
    return shapeIntervention(r, this.mayEdit(ctx.actor, r));
  }

  async update(ctx: RequestContext, id: number, change: Partial<InterventionInput>) {
    const r = await this.get(ctx.actor, id);
    this.requireEdit(ctx.actor, r);
    const merged: InterventionInput = {
      title: change.title ?? r.title,
      goal: change.goal ?? r.goal,
      kind: change.kind ?? r.kind,
      problem: change.problem ?? r.problem,
      domain: change.domain ?? r.domain,
      areas: change.areas ?? r.areas,
      division: change.division ?? r.division,
      targetIndicators: change.targetIndicators ?? r.targetIndicators,
      startDate: change.startDate ?? r.startDate,
      endDate: change.endDate === undefined ? r.endDate : change.endDate,
      ownerOrganisation: change.ownerOrganisation ?? r.ownerOrganisation,
      budget: change.budget === undefined ? r.budget : change.budget,
      status: change.status ?? r.status,
      shared: change.shared ?? r.shared,
      lessons: change.lessons === undefined ? r.lessons : change.lessons,
    };
    const fields = await this.fields(ctx.actor, merged, false);
    await updateIntervention(this.db, id, fields);
    // Effects depend on areas, dates and targets: cached effect views must not outlive a change.
    this.releaser.invalidate();
    await this.refreshOutcome(ctx, id);
    const after = (await getIntervention(this.db, id))!;
    return shapeIntervention(after, this.mayEdit(ctx.actor, after));
  }

  async addAgreement(ctx: RequestContext, id: number, input: AgreementInput) {
    const r = await this.get(ctx.actor, id);
    this.requireEdit(ctx.actor, r);
    screenText("text", input.text);
    screenText("ownerName", input.ownerName);
    checkDate("dueDate", input.dueDate, todayOf(this.clock));
    await checkOrganisation(this.db, "ownerOrganisation", input.ownerOrganisation);
    const agreement: NewAgreement = {
      text: input.text,
      ownerOrganisation: input.ownerOrganisation,
      ownerName: input.ownerName ?? null,
      dueDate: input.dueDate,
      status: input.status ?? "open",
    };
    const aid = await insertAgreement(this.db, id, agreement, ctx.actor.id);
    const after = (await getIntervention(this.db, id))!;
    return { agreementId: aid, intervention: shapeIntervention(after, true) };
  }

  async updateAgreement(ctx: RequestContext, id: number, aid: number, change: Partial<AgreementInput>) {
    const r = await this.get(ctx.actor, id);
    this.requireEdit(ctx.actor, r);
    screenText("text", change.text);
    screenText("ownerName", change.ownerName);
    const current = r.agreements.find((a) => a.id === aid);
    if (change.dueDate !== undefined && change.dueDate !== current?.dueDate)
      checkDate("dueDate", change.dueDate, todayOf(this.clock));
    if (change.ownerOrganisation !== undefined)
      await checkOrganisation(this.db, "ownerOrganisation", change.ownerOrganisation);
    const { ownerName, ...rest } = change;
    const ok = await updateAgreement(this.db, id, aid, {
      ...rest,
      ...(ownerName !== undefined ? { ownerName } : {}),
    });
    if (!ok) throw new NotFoundError(`agreement ${aid} of intervention ${id} does not exist`);
    const after = (await getIntervention(this.db, id))!;
    return shapeIntervention(after, true);
  }

  /**
   * The effect of an intervention on one of its target indicators, through the release function:
   * one released view (one audit record) per request.
   */
  async effectView(
    ctx: RequestContext,
    id: number,
    indicatorId: string,
    action = "intervention-effect",
  ): Promise<ReleasedView> {
    const r = await this.get(ctx.actor, id);
    if (!r.targetIndicators.includes(indicatorId))
      throw new InputError(
        `indicator: ${indicatorId} is not a target indicator of intervention ${id}; expected one of ${r.targetIndicators.join(", ")}`,
      );
    const ind = await this.access.cube.indicator(indicatorId);
    const periods = (await indicatorSlices(this.db, indicatorId))
      .filter((s) => s.level === r.level && s.division === r.division)
      .map((s) => s.period);
    // Candidates: the other areas of the level and division in the same gemeente, or in every
    // gemeente when the gemeente has too few (registry metadata decides, not figures).
    let parent: string | undefined;
    if (r.gemeenteCode && r.level !== "gemeente") {
      const local = await findAreas(this.db, {
        level: r.level,
        parent: r.gemeenteCode,
        division: r.division,
        limit: 20000,
      });
      if (local.filter((a) => !r.areas.includes(a.code)).length >= MIN_LOCAL_CANDIDATES)
        parent = r.gemeenteCode;
    }
    const object = `intervention:${id} effect ${indicatorId}`;
    return this.releaser.releaseView(
      ctx,
      action,
      object,
      async () => {
        const values = [];
        for (const period of periods)
          values.push(
            ...(await valuesForIndicator(this.db, {
              indicatorId,
              period,
              division: r.division,
              level: r.level,
              parent,
            })),
          );
        return { values, indicators: await this.access.cube.indicators() };
      },
      (released) => {
        // Only released figures (not suppressed, not denied) make the series.
        const series = new Map<string, Map<string, number>>();
        const names = new Map<string, string | null>();
        for (const v of released.values) {
          if (v.status !== "released" || v.value === null) continue;
          (series.get(v.code) ?? series.set(v.code, new Map()).get(v.code)!).set(v.period, v.value);
          names.set(v.code, v.name);
        }
        const asSeries = (code: string): AreaSeries => ({ code, values: series.get(code) ?? new Map() });
        const treated = r.areas.map(asSeries);
        const candidates = [...series.keys()].filter((c) => !r.areas.includes(c)).map(asSeries);
        const { before, after } = splitPeriods(periods, r.startDate, r.endDate ?? undefined);
        const matched = matchComparisonAreas({ treated, candidates, before, k: MATCH_K });
        const comparison = matched.map((m) => asSeries(m.code));
        const estimate = differenceInDifferences({ treated, comparison, before, after });
        const ordered = [...before, ...after];
        const mean = (codes: readonly AreaSeries[], p: string): number | null => {
          const xs = codes.map((s) => s.values.get(p)).filter((x): x is number => x !== undefined);
          return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
        };
        return {
          intervention: {
            id: r.id,
            title: r.title,
            startDate: r.startDate,
            endDate: r.endDate,
            level: r.level,
            division: r.division,
          },
          indicator: {
            id: ind.id,
            name: ind.name,
            unit: ind.unit,
            polarity: ind.polarity,
            domain: ind.domain,
            kind: ind.kind,
          },
          ...(ind.polarity === "neutral"
            ? {
                note: "this indicator has neutral polarity: the estimate has a size but no good or bad direction",
              }
            : {}),
          source: attribution(ind),
          periods: { before, after, all: ordered },
          treated: treated.map((s) => ({
            code: s.code,
            name: names.get(s.code) ?? null,
            series: ordered.map((p) => ({ period: p, value: s.values.get(p) ?? null })),
          })),
          comparison: {
            areas: matched.map((m) => ({ ...m, name: names.get(m.code) ?? null })),
            mean: ordered.map((p) => ({ period: p, value: mean(comparison, p) })),
            candidates: candidates.length,
            scope: parent ?? "all gemeenten",
          },
          estimate,
          released: released.released,
          suppressed: released.suppressed,
          denied: released.denied,
        };
      },
    );
  }

  /**
   * A shared, finished intervention keeps its outcome for the library: per target indicator the
   * verdict, estimate, interval and periods (no area codes), from the figures released to the actor
   * who finished or shared it. Anything else clears a stored outcome. The figures go into the library
   * through the release function: one "intervention-outcome" record per target indicator besides the
   * request's own record.
   */
  private async refreshOutcome(ctx: RequestContext, id: number): Promise<void> {
    const r = (await getIntervention(this.db, id))!;
    if (!(r.shared && r.status === "finished")) {
      if (r.outcome !== null) await setOutcome(this.db, id, null);
      return;
    }
    const outcome = [];
    for (const indicatorId of r.targetIndicators) {
      const view = await this.effectView(ctx, id, indicatorId, "intervention-outcome");
      const body = JSON.parse(view.body.toString("utf8")) as {
        indicator: { id: string; name: unknown; polarity: string };
        source: unknown;
        periods: { before: string[]; after: string[] };
        estimate: Record<string, unknown>;
      };
      const e = body.estimate;
      outcome.push({
        indicator: body.indicator,
        source: body.source,
        periods: { before: body.periods.before, after: body.periods.after },
        verdict: e.verdict,
        estimate: e.estimate ?? null,
        lower: e.lower ?? null,
        upper: e.upper ?? null,
        mde: e.mde ?? null,
        treatedCount: e.treatedCount ?? null,
        comparisonCount: e.comparisonCount ?? null,
      });
    }
    await setOutcome(
      this.db,
      id,
      JSON.stringify({ computedAt: new Date(this.clock()).toISOString(), indicators: outcome }),
    );
  }
}
