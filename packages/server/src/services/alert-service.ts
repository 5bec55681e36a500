/**
 * Alerts as released views, shared by the HTTP routes and the CLI: the list (ranked, filtered,
 * paged), one alert with its explanation and history, and the alert layer of the map. Every view
 * goes through the release function (Releaser.releaseAlerts): access per test's indicator,
 * disclosure control of its figures, one audit record per request.
 */
import type { AreaLevel, Domain } from "@wijkradar/core";
import type {
  ProfileSubject,
  ReleasedAlert,
  ReleasedView,
  Releaser,
  RequestContext,
} from "../release/release-service.js";
import type { ProfileService } from "./profile-service.js";
import {
  areaSignals,
  getAlert,
  getRun,
  listAlerts,
  type AlertEvent,
  type AlertStatus,
} from "../store/alert-repository.js";
import type { Database } from "../store/database.js";
import { NotFoundError } from "../errors.js";
import type { CubeService } from "./cube-service.js";
import type { DetectionService } from "./detection-service.js";

export interface AlertListQuery {
  readonly severity?: readonly ("red" | "yellow")[];
  readonly status?: readonly AlertStatus[];
  readonly domain?: Domain;
  readonly level?: AreaLevel;
  readonly division?: number;
  readonly parent?: string;
  readonly area?: string;
  readonly indicator?: string;
  /** "true" (default): found by the latest run; "false": no longer found; "all". */
  readonly active?: "true" | "false" | "all";
  readonly limit?: number;
  readonly offset?: number;
}

export class AlertService {
  constructor(
    private readonly db: Database,
    private readonly releaser: Releaser,
    private readonly cube: CubeService,
    private readonly detection: DetectionService,
    private readonly profileService?: ProfileService,
  ) {}

  /** What each profile's tests are about (access policy) and their attribution. */
  private async profiles(): Promise<
    Map<string, { subject: ProfileSubject; attribution: string }> | undefined
  > {
    if (!this.profileService) return undefined;
    const out = new Map<string, { subject: ProfileSubject; attribution: string }>();
    for (const rec of await this.profileService.list()) {
      const def = rec.definition;
      const id = `profile:${def.id}`;
      out.set(id, {
        subject: {
          indicatorId: id,
          domain: def.domain,
          synthetic: await this.profileService.synthetic(def),
          perturbed: this.profileService.rulesOf(def).perturbation.maxNoise > 0,
        },
        attribution: (await this.profileService.attribution(def)).attribution,
      });
    }
    return out;
  }

  /** The ranked list; totals count the alerts the caller may see. */
  listView(ctx: RequestContext, q: AlertListQuery): Promise<ReleasedView> {
    const active = q.active ?? "true";
    const limit = q.limit ?? 50;
    const offset = q.offset ?? 0;
    const object = `alerts?${new URLSearchParams(
      Object.entries(q)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]): [string, string] => [k, String(v)]),
    ).toString()}`;
    return this.releaser.releaseAlerts(
      ctx,
      "alerts",
      object,
      async () => ({
        alerts: (
          await listAlerts(this.db, {
            ...q,
            active: active === "all" ? "all" : active === "true",
            limit: 1_000_000,
            offset: 0,
          })
        ).alerts,
        indicators: await this.cube.indicators(),
        ...(this.profileService ? { profiles: await this.profiles() } : {}),
        context: { limit, offset },
      }),
      (result, c) => ({
        total: result.alerts.length,
        limit: c.limit,
        offset: c.offset,
        alerts: result.alerts.slice(c.offset, c.offset + c.limit).map(summaryOf),
      }),
    );
  }

  /** The alert layer: per area the worst released severity, its domains and number of alerts. */
  mapView(
    ctx: RequestContext,
    q: { level: AreaLevel; division?: number; parent?: string },
  ): Promise<ReleasedView> {
    return this.releaser.releaseAlerts(
      ctx,
      "alert-map",
      `alerts/map?level=${q.level}&division=${q.division ?? ""}&parent=${q.parent ?? ""}`,
      async () => ({
        alerts: (await listAlerts(this.db, { ...q, limit: 1_000_000 })).alerts,
        indicators: await this.cube.indicators(),
        ...(this.profileService ? { profiles: await this.profiles() } : {}),
        context: {
          level: q.level,
          division: q.division ?? null,
          // Tested areas without an alert: blue (no significant deviation) or grey (no baseline).
          // Severities only, no figures.
          // Only where a grant of the actor reaches (a field worker sees their own area tested).
          signals: (await areaSignals(this.db, q)).filter(
            (x) =>
              (x.severity === "blue" || x.severity === "grey") &&
              this.releaser.areaVisible(ctx.actor, x.areaCode, x.level),
          ),
        },
      }),
      (result, c) => {
        const areas = new Map<
          string,
          {
            code: string;
            division: number;
            severity: "red" | "yellow";
            domains: Set<string>;
            alerts: number;
            alertId: number;
          }
        >();
        // Alerts arrive ranked: the first of an area is its strongest (the one a click opens).
        for (const a of result.alerts) {
          const e = areas.get(a.areaCode);
          if (!e)
            areas.set(a.areaCode, {
              code: a.areaCode,
              division: a.division,
              severity: a.severity,
              domains: new Set([a.domain]),
              alerts: 1,
              alertId: a.id,
            });
          else {
            if (a.severity === "red") e.severity = "red";
            e.domains.add(a.domain);
            e.alerts++;
          }
        }
        return {
          level: c.level,
          division: c.division,
          areas: [...areas.values()].map((e) => ({ ...e, domains: [...e.domains].sort() })),
          tested: c.signals
            .filter((x) => !areas.has(x.areaCode))
            .map((x) => ({ code: x.areaCode, division: x.division, severity: x.severity })),
        };
      },
    );
  }

  /**
   * Whether the actor may see (and so act on) an alert: the access policy over its tests, as the
   * release of the alert would decide; 404 when unknown. Releases nothing, so writes no audit record
   * (the action that follows writes it).
   */
  async mayAct(ctx: RequestContext, id: number): Promise<{ allowed: boolean; reason: string | null }> {
    const found = await getAlert(this.db, id);
    if (!found) throw new NotFoundError(`alert ${id} does not exist`);
    return this.releaser.alertAccess(ctx.actor, {
      alerts: [found.alert],
      indicators: await this.cube.indicators(),
      ...(this.profileService ? { profiles: await this.profiles() } : {}),
      context: null,
    });
  }

  /** One alert with its explanation, history and parameters; 404 when unknown. */
  async detailView(ctx: RequestContext, id: number): Promise<ReleasedView> {
    const found = await getAlert(this.db, id);
    if (!found) throw new NotFoundError(`alert ${id} does not exist`);
    return this.releaser.releaseAlerts(
      ctx,
      "alert",
      `alert:${id}`,
      async () => ({
        alerts: [found.alert],
        indicators: await this.cube.indicators(),
        ...(this.profileService ? { profiles: await this.profiles() } : {}),
        context: { events: found.events, run: await getRun(this.db, found.alert.lastRun) },
      }),
      (result, c) => {
        const alert = result.alerts[0];
        return {
          alert: alert ? detailOf(alert, c.events, this.detection) : null,
          run: c.run
            ? { id: c.run.id, finishedAt: c.run.finishedAt, tests: c.run.tests, pCutoffs: c.run.pCutoffs }
            : null,
        };
      },
    );
  }
}

/** An alert in a list: the headline figures, without the test details. */
export function summaryOf(a: ReleasedAlert) {
  const top = a.tests[0];
  return {
    id: a.id,
    areaCode: a.areaCode,
    gemeenteCode: a.gemeenteCode,
    level: a.level,
    division: a.division,
    domain: a.domain,
    indicatorId: a.indicatorId,
    detector: a.detector,
    detectors: a.detectors,
    period: a.period,
    effect: a.effect,
    p: a.p,
    q: a.q,
    severity: a.severity,
    score: a.score,
    status: a.status,
    active: a.active,
    tests: a.tests.length,
    observed: top?.observed ?? null,
    expected: top?.expected ?? null,
    attribution: top?.attribution ?? null,
    updatedAt: a.updatedAt,
  };
}

/** One alert with its explanation, history and the parameters that made it. */
function detailOf(a: ReleasedAlert, events: readonly AlertEvent[], detection: DetectionService) {
  const settings = detection.settings;
  return {
    ...summaryOf(a),
    statusReason: a.statusReason,
    statusBy: a.statusBy,
    statusAt: a.statusAt,
    firstRun: a.firstRun,
    lastRun: a.lastRun,
    createdAt: a.createdAt,
    explanation: a.tests.map((t) => ({
      indicatorId: t.indicatorId,
      detector: t.detector,
      period: t.period,
      observed: t.observed,
      expected: t.expected,
      effect: t.effect,
      p: t.p,
      q: t.q,
      severity: t.severity,
      status: t.status,
      details: t.details,
      attribution: t.attribution,
    })),
    hiddenTests: a.hiddenTests,
    events,
    parameters: {
      fdr: settings.fdr,
      severity: settings.severity,
      status: settings.status,
      dynamics: settings.dynamics,
      space: settings.space,
    },
  };
}
