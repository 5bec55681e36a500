/**
 * Field work over HTTP (ADR 0008, tag "field"): the observation categories, where a location snaps
 * to, syncing the field app's outbox (idempotent by the client's id, per-item results, one audit
 * record per request), the caller's own recent observations (the only place notes leave the server:
 * to their author), and the quick view of an area. Figures in the quick view — alerts and observation
 * counts — pass the release function with the caller's context.
 */
import { CODE_FORMS, levelOfCode, normaliseAreaCode, type AreaLevel } from "@wijkradar/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { InputError, NotFoundError } from "../errors.js";
import type { Releaser, RequestContext } from "../release/release-service.js";
import { AlertService } from "../services/alert-service.js";
import type { CubeService } from "../services/cube-service.js";
import type { DetectionService } from "../services/detection-service.js";
import {
  LocationProblem,
  MAX_SYNC_ITEMS,
  observationIndicatorId,
  type ObservationService,
} from "../services/observation-service.js";
import type { ProfileService } from "../services/profile-service.js";
import { areaSignals } from "../store/alert-repository.js";
import type { Database } from "../store/database.js";
import { areaChain, observationValuesForArea, recentObservations } from "../store/observation-repository.js";
import type { AuthHandles } from "./auth-route.js";
import { problem, sendProblem } from "./problem.js";

/** Who may record observations (ADR 0008). */
export const OBSERVATION_ROLES = ["field-worker", "analyst", "policy-advisor", "partner"] as const;

/** Largest sync body: 2,000 observations with notes of 280 characters fit with room to spare. */
const SYNC_BODY_LIMIT = 4 * 1024 * 1024;

export interface ObservationRouteDeps {
  readonly db: Database;
  readonly observations: ObservationService;
  readonly cube: CubeService;
  readonly releaser: Releaser;
  readonly detection: DetectionService;
  readonly profiles?: ProfileService;
  readonly access: AuthHandles;
  readonly contextOf: (request: FastifyRequest) => RequestContext;
}

const Code = z
  .string()
  .transform(normaliseAreaCode)
  .refine((c) => levelOfCode(c) !== undefined, {
    error: `expected an area code: ${Object.values(CODE_FORMS).join(", ")}`,
  });

/** The shape of one observation, for the OpenAPI document (each item is checked on its own). */
const ITEM_SHAPE =
  '{ id: the client\'s random id (16–64 of A–Z a–z 0–9 _ -), category: an id of GET /api/field/categories, observedAt: ISO 8601 date-time with zone (not in the future, at most a year ago), location: { lon, lat, source: "gps" | "map" } (WGS84) or { postcode } (PC6), note?: at most 280 characters, screened for personal data, noteConfirmed?: true when the author keeps a note with findings }';

export function registerObservationRoutes(server: FastifyInstance, deps: ObservationRouteDeps): void {
  const { db, observations, access } = deps;
  const app = server.withTypeProvider<ZodTypeProvider>();
  const alerts = new AlertService(db, deps.releaser, deps.cube, deps.detection, deps.profiles);

  app.get(
    "/api/field/categories",
    {
      schema: {
        tags: ["field"],
        summary: "The configured observation categories (id, Dutch and English label, domain)",
      },
    },
    (request) => {
      access.authorise(request, {});
      return Promise.resolve({ categories: observations.listCategories() });
    },
  );

  app.get(
    "/api/field/locate",
    {
      schema: {
        tags: ["field"],
        summary: "The buurt a location snaps to (code, name, division, wijk, gemeente) and the rounded point",
        description:
          "Either lon and lat (WGS84) or postcode. 422 when the point lies outside every buurt or the postcode is unknown; the exact point is never kept or logged.",
        querystring: z
          .object({
            lon: z.coerce.number().min(-180).max(180).optional(),
            lat: z.coerce.number().min(-90).max(90).optional(),
            postcode: z.string().trim().min(1).max(10).optional(),
          })
          .strict(),
      },
    },
    async (request, reply) => {
      access.authorise(request, {});
      const { lon, lat, postcode } = request.query;
      reply.header("cache-control", "no-store");
      const point = lon !== undefined || lat !== undefined;
      if (point === (postcode !== undefined))
        throw new InputError("expected either the query parameters lon and lat, or postcode");
      if (point && (lon === undefined || lat === undefined))
        throw new InputError(`query parameter ${lon === undefined ? "lon" : "lat"}: expected a number`);
      try {
        const located = await observations.locate(
          postcode !== undefined ? { postcode } : { lon: lon!, lat: lat!, source: "map" },
        );
        return {
          buurt: { code: located.buurt.code, name: located.buurt.name, division: located.buurt.division },
          wijk: located.buurt.wijk,
          gemeente: located.buurt.gemeente,
          lon: located.lon,
          lat: located.lat,
          precisionMeters: observations.settings.precisionMeters,
        };
      } catch (e) {
        if (!(e instanceof LocationProblem)) throw e;
        return sendProblem(
          reply,
          problem(422, `${e.field || (postcode !== undefined ? "postcode" : "lon, lat")}: ${e.message}`, {
            parameter: e.field || (postcode !== undefined ? "postcode" : "lon"),
          }),
        );
      }
    },
  );

  app.post(
    "/api/observations",
    {
      bodyLimit: SYNC_BODY_LIMIT,
      schema: {
        tags: ["field"],
        summary: "Sync observations from the field app's outbox (idempotent by id; at most 2,000)",
        description:
          'For field workers, analysts, policy advisors and partners (with the X-CSRF-Token). Answers per item, in order: `stored`, `duplicate` (already stored: a repeated sync) or `rejected` with a problem naming the field, e.g. "observations[3].note: looks like it contains personal data (phone number); remove it or confirm". A rejected item never blocks the others. Points are stored rounded to the configured precision; notes go back to their author only.',
        body: z
          .object({
            observations: z
              .array(z.unknown())
              .max(MAX_SYNC_ITEMS, `expected at most ${MAX_SYNC_ITEMS} observations per request`)
              .describe(`the observations, each ${ITEM_SHAPE}`),
          })
          .strict(),
        response: {
          200: z.object({
            results: z.array(
              z.object({
                id: z.string().nullable(),
                status: z.enum(["stored", "duplicate", "rejected"]),
                areaCode: z.string().optional(),
                problem: z.string().optional(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const who = access.authorise(request, { roles: OBSERVATION_ROLES });
      const outcome = await observations.sync(
        { userId: who.user!.id, organisationId: who.user!.organisationId },
        request.body.observations,
      );
      // One record per request: counts and the kinds of personal data confirmed, never a note.
      access.auditAction(
        request,
        "observations-sync",
        `observations:${outcome.stored} stored, ${outcome.duplicates} duplicate, ${outcome.rejected} rejected` +
          (outcome.confirmedFindings.length > 0
            ? `; notes kept with confirmed findings: ${outcome.confirmedFindings.join(", ")}`
            : ""),
      );
      return { results: outcome.results };
    },
  );

  app.get(
    "/api/observations/mine",
    {
      schema: {
        tags: ["field"],
        summary: "Your own recent observations, with their notes (nobody else sees notes)",
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }).strict(),
      },
    },
    async (request, reply) => {
      const who = access.authorise(request, {});
      reply.header("cache-control", "no-store");
      const rows = await recentObservations(db, who.user!.id, request.query.limit);
      access.auditAction(request, "observations-mine", `observations:${rows.length} own`);
      return {
        count: rows.length,
        observations: rows.map((r) => ({
          id: r.id,
          category: r.category,
          observedAt: r.observedAt.toISOString(),
          receivedAt: r.receivedAt.toISOString(),
          areaCode: r.areaCode,
          division: r.division,
          pc6: r.pc6,
          lon: r.lon,
          lat: r.lat,
          locationSource: r.locationSource,
          note: r.note,
        })),
      };
    },
  );

  app.get(
    "/api/field/area/:code",
    {
      schema: {
        tags: ["field"],
        summary:
          "Quick view of an area: its parent chain, latest signal, open alerts (count and top 3) and observation counts of the last 4 weeks",
        description:
          "Alerts and counts pass the release function with your grants: figures you may not see are absent (counts: status `denied`), suppressed ones carry no number.",
        params: z.object({ code: Code }),
      },
    },
    async (request, reply) => {
      access.authorise(request, {});
      reply.header("cache-control", "no-store");
      const ctx = deps.contextOf(request);
      const { code } = request.params;
      const level = levelOfCode(code) as AreaLevel;
      const chain = await areaChain(db, code);
      if (chain.length === 0)
        throw new NotFoundError(`area ${code} is not known; GET /api/areas?q=… finds areas by name or code`);
      const area = chain[0]!;

      // Open alerts, released for this caller (ranked: the first three are the top).
      const alertView = await alerts.listView(ctx, {
        area: code,
        status: ["new", "acknowledged", "investigating"],
        active: "true",
        limit: 100,
      });
      const alertBody = JSON.parse(alertView.body.toString("utf8")) as {
        total: number;
        alerts: { domain: string }[];
      };

      // The latest per-area signal: shown when the caller's grants reach the area; the domains
      // flagged only as far as the caller's released alerts show them (a red signal of hidden alerts
      // would tell what the alerts may not).
      const signals = (await areaSignals(db, { level })).filter((s) => s.areaCode === code);
      const latest = signals[0];
      let signal: unknown = null;
      if (latest && deps.releaser.areaVisible(ctx.actor, code, level)) {
        const visibleDomains = new Set(alertBody.alerts.map((a) => a.domain));
        if (alertBody.total > 0)
          signal = {
            severity: latest.severity,
            division: latest.division,
            domainsFlagged: latest.domainsFlagged.filter((d) => visibleDomains.has(d)),
            runId: latest.runId,
          };
        else if (latest.severity === "blue" || latest.severity === "grey")
          signal = {
            severity: latest.severity,
            division: latest.division,
            domainsFlagged: [],
            runId: latest.runId,
          };
      }

      // Observation counts per category for the last 4 weeks, through the release function.
      const weeks = observations.recentWeeks(4);
      const categories = observations.listCategories();
      const ids = [...categories.map((c) => c.id), "totaal"].map((c) => observationIndicatorId(c, "week"));
      const division = await observations.division();
      const countView = await deps.releaser.releaseView(
        ctx,
        "field-area-counts",
        `area:${code} weeks:${weeks[0]}..${weeks[weeks.length - 1]}`,
        async () => ({
          values:
            division === undefined ? [] : await observationValuesForArea(db, code, division, ids, weeks),
          indicators: await deps.cube.indicators(),
        }),
        (r) => ({ released: r.released, suppressed: r.suppressed, denied: r.denied, values: r.values }),
      );
      const released = JSON.parse(countView.body.toString("utf8")) as {
        denied: number;
        values: { indicatorId: string; period: string; status: string; value: number | null }[];
      };
      const byIndicator = new Map<string, { period: string; status: string; value: number | null }[]>();
      for (const v of released.values) {
        const list = byIndicator.get(v.indicatorId) ?? [];
        list.push({ period: v.period, status: v.status, value: v.value });
        byIndicator.set(v.indicatorId, list);
      }
      const counts = [...categories, { id: "totaal", label: { nl: "Totaal", en: "Total" }, domain: null }]
        .map((c) => {
          const series = byIndicator.get(observationIndicatorId(c.id, "week"));
          return series
            ? {
                category: c.id,
                label: c.label,
                indicatorId: observationIndicatorId(c.id, "week"),
                weeks: weeks.map(
                  (p) => series.find((s) => s.period === p) ?? { period: p, status: "missing", value: null },
                ),
              }
            : null;
        })
        .filter((c) => c !== null);
      return {
        area: { code: area.code, name: area.name, level: area.level, division: area.division },
        parents: chain.slice(1),
        signal,
        alerts: { open: alertBody.total, top: alertBody.alerts.slice(0, 3) },
        observations: {
          weeks,
          division: division ?? null,
          source: { id: "veldwaarnemingen", attribution: "Bron: veldwaarnemingen gemeente (wijkradar)" },
          counts,
          // Figures withheld by the access policy: they are absent, and this says so.
          denied: released.denied,
        },
      };
    },
  );
}
