/**
 * Early warning over HTTP: alerts (list, one alert with its explanation and history, status changes),
 * the alert layer of the map (worst released severity per area), detection runs (start, progress) and
 * the model description for the algorithm register. Alerts leave the server through the release
 * function only: access per test's indicator, disclosure control of its figures, one audit record.
 */
import { AREA_LEVELS, CODE_FORMS, DOMAINS, levelOfCode, normaliseAreaCode } from "@wijkradar/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { NotFoundError } from "../errors.js";
import type { ReleasedView, Releaser, RequestContext } from "../release/release-service.js";
import { AlertService } from "../services/alert-service.js";
import type { CubeService } from "../services/cube-service.js";
import type { DetectionService } from "../services/detection-service.js";
import type { ProfileService } from "../services/profile-service.js";
import { ALERT_STATUSES, getAlert, getRun, listRuns, updateAlertStatus } from "../store/alert-repository.js";
import type { AuditLog } from "../store/audit-repository.js";
import type { Database } from "../store/database.js";
import type { AuthHandles } from "./auth-route.js";
import { problem, sendProblem } from "./problem.js";

export interface AlertRouteDeps {
  readonly db: Database;
  readonly cube: CubeService;
  readonly releaser: Releaser;
  readonly audit: AuditLog;
  readonly detection: DetectionService;
  /** Profiles whose tests alerts may carry (their access subjects and attribution). */
  readonly profiles?: ProfileService;
  readonly access: AuthHandles;
  readonly contextOf: (request: FastifyRequest) => RequestContext;
  readonly sendView: (request: FastifyRequest, reply: FastifyReply, view: ReleasedView) => FastifyReply;
}

const Code = z
  .string()
  .transform(normaliseAreaCode)
  .refine((c) => levelOfCode(c) !== undefined, {
    error: `expected an area code: ${Object.values(CODE_FORMS).join(", ")}`,
  });
const Id = z.coerce.number().int().min(1).max(2_147_483_647);
const csv = <T extends readonly [string, ...string[]]>(values: T, what: string) =>
  z
    .string()
    .transform((s) => s.split(",").map((v) => v.trim()))
    .pipe(z.array(z.enum(values)).min(1))
    .describe(`${what}, comma-separated: ${values.join(", ")}`);

/** Roles that work on alerts (set their status): whoever may see the alert, among these. */
export const ALERT_ROLES = ["analyst", "field-worker", "policy-advisor", "partner"] as const;

/** The statuses a person can set; "new" is the detection's own. */
const SETTABLE = ["acknowledged", "investigating", "closed", "new"] as const;

export function registerAlertRoutes(server: FastifyInstance, deps: AlertRouteDeps): void {
  const { db } = deps;
  const alerts = new AlertService(db, deps.releaser, deps.cube, deps.detection, deps.profiles);
  const app = server.withTypeProvider<ZodTypeProvider>();
  // A finished run changes alerts: forget released views, like an import does.
  deps.detection.onFinished(() => deps.cube.invalidate());

  const ListQuery = z
    .object({
      severity: csv(["red", "yellow"] as const, "severities").optional(),
      status: csv(ALERT_STATUSES, "statuses").optional(),
      domain: z.enum(DOMAINS).optional(),
      level: z.enum(AREA_LEVELS).optional(),
      division: z.coerce.number().int().min(1900).max(2100).optional(),
      parent: Code.optional().describe("a gemeente or wijk: alerts of that area and of the areas in it"),
      area: Code.optional(),
      indicator: z.string().min(1).max(80).optional().describe("alerts with a test of this indicator"),
      active: z
        .enum(["true", "false", "all"])
        .default("true")
        .describe("found again by the latest run (default)"),
      limit: z.coerce.number().int().min(1).max(1000).default(50),
      offset: z.coerce.number().int().min(0).default(0),
    })
    .strict();

  app.get(
    "/api/alerts",
    {
      schema: {
        tags: ["alerts"],
        summary: "Alerts ranked by severity and score (one per area and problem domain), filtered",
        description:
          "Each alert names its detector, area, indicator, period, effect, p and q value, severity and status. " +
          "Tests of indicators the caller may not see are left out; alerts with none left are not listed.",
        querystring: ListQuery,
      },
    },
    async (request, reply) =>
      deps.sendView(request, reply, await alerts.listView(deps.contextOf(request), request.query)),
  );

  app.get(
    "/api/alerts/map",
    {
      schema: {
        tags: ["alerts"],
        summary: "The alert layer: per area the worst released severity, its domains and alert count",
        querystring: z
          .object({
            level: z.enum(AREA_LEVELS),
            division: z.coerce.number().int().min(1900).max(2100).optional(),
            parent: Code.optional(),
          })
          .strict(),
      },
    },
    async (request, reply) =>
      deps.sendView(request, reply, await alerts.mapView(deps.contextOf(request), request.query)),
  );

  app.get(
    "/api/alerts/:id",
    {
      schema: {
        tags: ["alerts"],
        summary:
          "One alert: its explanation (every contributing test with its figures), history and parameters",
        params: z.object({ id: Id }),
      },
    },
    async (request, reply) =>
      deps.sendView(request, reply, await alerts.detailView(deps.contextOf(request), request.params.id)),
  );

  app.patch(
    "/api/alerts/:id",
    {
      attachValidation: true,
      schema: {
        tags: ["alerts"],
        summary: "Set an alert's status: acknowledged, investigating, closed with a reason",
        description:
          "For logged-in analysts, field workers, policy advisors and partners who may see the alert (with the X-CSRF-Token), or the operator token. Closing needs a `reason`.",
        params: z.object({ id: Id }),
        body: z
          .object({
            status: z.enum(SETTABLE),
            reason: z.string().trim().min(1).max(2000).optional().describe("why (required when closing)"),
          })
          .strict(),
      },
    },
    async (request, reply) => {
      const who = deps.access.authorise(request, { roles: ALERT_ROLES, operator: true });
      if (request.validationError)
        return sendProblem(reply, problem(422, `body: ${request.validationError.message}`));
      const { status, reason } = request.body;
      if (status === "closed" && !reason)
        return sendProblem(reply, problem(422, "body.reason: closing an alert needs a reason"));
      if (who.kind === "user") {
        // Need to know: only who may see the alert may act on it (the same policy as its release).
        const may = await alerts.mayAct(deps.contextOf(request), request.params.id);
        if (!may.allowed) {
          deps.access.auditAction(request, "alert-status", `alert:${request.params.id}`, "denied");
          return sendProblem(reply, problem(403, may.reason ?? "the access policy does not allow this"));
        }
      }
      const ok = await updateAlertStatus(db, request.params.id, {
        status,
        reason: reason ?? null,
        actor: who.actor.id,
      });
      if (!ok) throw new NotFoundError(`alert ${request.params.id} does not exist`);
      deps.access.auditAction(request, "alert-status", `alert:${request.params.id} status:${status}`);
      deps.cube.invalidate();
      const after = await getAlert(db, request.params.id);
      return { id: request.params.id, status: after?.alert.status, statusReason: after?.alert.statusReason };
    },
  );

  app.post(
    "/api/detection/runs",
    {
      schema: {
        tags: ["alerts"],
        summary: "Start a detection run (analysts or the operator token); answers 202 with the run id",
        description:
          "For logged-in analysts (with the X-CSRF-Token) or `Authorization: Bearer <operator token>`. Optional body: `indicators` and `divisions` to limit the run.",
        body: z
          .object({
            indicators: z.array(z.string().min(1).max(80)).min(1).optional(),
            divisions: z.array(z.number().int().min(1900).max(2100)).min(1).optional(),
            profiles: z
              .boolean()
              .optional()
              .describe("test the profiles too (default: when no indicators are named)"),
          })
          .strict()
          .optional(),
      },
    },
    async (request, reply) => {
      const who = deps.access.authorise(request, { roles: ["analyst"], operator: true });
      const started = deps.detection.start({
        trigger: "api",
        actor: who.actor.id,
        ...(request.body?.indicators ? { indicators: request.body.indicators } : {}),
        ...(request.body?.divisions ? { divisions: request.body.divisions } : {}),
        ...(request.body?.profiles === undefined ? {} : { profiles: request.body.profiles }),
      });
      started.done.catch((e: unknown) => request.log.error({ err: e }, "detection run failed"));
      const runId = await started.runId;
      deps.access.auditAction(request, "detection-run", `run:${runId}`);
      return reply.code(202).header("location", `/api/detection/runs/${runId}`).send({ runId });
    },
  );

  app.get(
    "/api/detection/runs",
    { schema: { tags: ["alerts"], summary: "Recent detection runs, newest first, with their outcome" } },
    async () => ({ runs: await listRuns(db), running: deps.detection.progress() }),
  );

  app.get(
    "/api/detection/runs/:id",
    {
      schema: {
        tags: ["alerts"],
        summary: "One detection run: status, counts, and progress while it runs",
        params: z.object({ id: Id }),
      },
    },
    async (request) => {
      const run = await getRun(db, request.params.id);
      if (!run) throw new NotFoundError(`detection run ${request.params.id} does not exist`);
      const progress = deps.detection.progress();
      // Committed but not yet finished here (cached views not yet forgotten): still running.
      const status = deps.detection.busyWith(run.id) ? "running" : run.status;
      return { ...run, status, progress: progress && progress.runId === run.id ? progress : null };
    },
  );

  app.get(
    "/api/detection/model",
    {
      schema: {
        tags: ["alerts"],
        summary: "The early-warning model as one machine-readable description (for the algorithm register)",
      },
    },
    async () => {
      const indicators = [...(await deps.cube.indicators()).values()]
        .filter((i) => i.polarity !== "neutral")
        .map((i) => ({
          id: i.id,
          domain: i.domain,
          polarity: i.polarity,
          kind: i.kind,
          source: i.source.id,
        }));
      return { ...deps.detection.model(), indicatorsTested: indicators };
    },
  );
}
