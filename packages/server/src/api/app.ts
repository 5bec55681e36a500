/**
 * The HTTP API: Fastify with zod-validated parameters, an OpenAPI 3 document at /api/openapi.json and
 * a docs page at /api/docs (served from the local swagger-ui package: no CDN). Every figure goes out
 * through the release function (services/cube-service → release/release-service).
 */
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import {
  AREA_LEVELS,
  CODE_FORMS,
  levelOfCode,
  normaliseAreaCode,
  normalisePeriod,
  DEFAULT_DETECTION_SETTINGS,
  PERIOD_FORM,
  type DetectionSettings,
  type ReleasePolicy,
} from "@wijkradar/core";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import { z } from "zod";
import { FieldSchema, type DisclosureSettings, type FieldSettings } from "../config.js";
import { AccessDeniedError, NotFoundError } from "../errors.js";
import { Releaser, type ReleasedView } from "../release/release-service.js";
import { AuthService, DEFAULT_SESSION_SETTINGS, type SessionSettings } from "../auth/auth-service.js";
import { PolicyStore } from "../auth/policy-store.js";
import { registerAuth, type AuthHandles } from "./auth-route.js";
import { registerAdminRoutes } from "./admin-route.js";
import { registerAuditRoutes } from "./audit-route.js";
import { registerOidcRoutes } from "./oidc-route.js";
import type { OidcSettings } from "../auth/oidc.js";
import type { AdminService } from "../services/admin-service.js";
import { CubeService } from "../services/cube-service.js";
import {
  findAreas,
  geometryDivisions,
  getArea,
  getGeometries,
  matchDivisions,
} from "../store/area-repository.js";
import { AuditLog } from "../store/audit-repository.js";
import { deliveryCount, listDeliveries } from "../store/catalogue-repository.js";
import type { Database } from "../store/database.js";
import { SCHEMA_VERSION } from "../store/migrations.js";
import { BodyCache } from "./geo-cache.js";
import { DetectionService } from "../services/detection-service.js";
import { registerAlertRoutes } from "./alerts-route.js";
import { registerImportRoute } from "./imports-route.js";
import { registerBoardRoutes } from "./board-route.js";
import { registerInterventionRoutes } from "./interventions-route.js";
import { registerObservationRoutes } from "./observations-route.js";
import { ObservationService } from "../services/observation-service.js";
import { registerProfileRoutes } from "./profiles-route.js";
import { registerVaultRoutes } from "./vault-route.js";
import { errorHandler } from "./problem.js";
import { LOG_REDACT_PATHS, registerSecurity, type SecurityOptions } from "./security.js";
import { registerWebRoute } from "./web-route.js";

export const VERSION = "0.1.0";

export interface AppOptions {
  readonly db: Database;
  readonly policy?: ReleasePolicy;
  readonly logLevel?: string;
  /** Enables POST /api/imports for holders of this token. */
  readonly operatorToken?: string;
  /** The dashboard's production build to serve (default: packages/web/dist beside this package). */
  readonly webRoot?: string;
  /** Disclosure-control settings for microdata figures (config `disclosure`). */
  readonly disclosure?: DisclosureSettings;
  /** Early-warning settings (config `detection`); default: the documented defaults. */
  readonly detection?: DetectionSettings;
  /** Session times and login throttling (config `auth`); default 30 min idle, 12 h absolute. */
  readonly sessions?: SessionSettings;
  /** The clock of sessions and login throttling (tests move it; default Date.now). */
  readonly clock?: () => number;
  /** Secure session cookies: always, never, or "auto" (when the request came over TLS). */
  readonly secureCookies?: boolean | "auto";
  /** Security headers and rate limit (config `security`); default: no TLS, the default rate limit. */
  readonly security?: SecurityOptions;
  /** Login through an OpenID Connect provider (config `auth.oidc`); off when absent. */
  readonly oidc?: OidcSettings;
  /** Field work: observation categories, precision, counting (config `field`); default: the defaults. */
  readonly field?: FieldSettings;
}

export interface App {
  readonly server: FastifyInstance;
  readonly cube: CubeService;
  readonly audit: AuditLog;
  readonly detection: DetectionService;
  readonly auth: AuthService;
  readonly policy: PolicyStore;
  readonly access: AuthHandles;
  readonly admin: AdminService;
  /** Field observations: sync, snapping, the count indicators (`flush()` waits for their rewrite). */
  readonly observations: ObservationService;
  close(): Promise<void>;
}

const Level = z.enum(AREA_LEVELS).describe("area level: land, gemeente, wijk, buurt, pc4 or pc6");
// Codes and periods are checked by the same core functions the importer uses.
const Code = z
  .string()
  .transform(normaliseAreaCode)
  .refine((c) => levelOfCode(c) !== undefined, {
    error: `expected an area code: ${Object.values(CODE_FORMS).join(", ")}`,
  });
const Year = z.coerce.number().int().min(1900).max(2100).describe("division year, e.g. 2020");
const Period = z.string().transform((p, ctx) => {
  const period = normalisePeriod(p);
  if (period === undefined) ctx.addIssue({ code: "custom", message: `expected ${PERIOD_FORM}` });
  return period ?? p;
});

/** Sends a released view: gzip when the client accepts it, 304 when its copy is current. */
function sendView(request: FastifyRequest, reply: FastifyReply, view: ReleasedView): FastifyReply {
  const { released, suppressed, denied, deniedReason } = view.summary;
  if (denied > 0 && released + suppressed === 0) {
    // Nothing visible: say which rule applies ("why can't I see this?"), release nothing.
    throw new AccessDeniedError(deniedReason ?? "the access policy does not allow this");
  }
  return sendCached(request, reply, view, "application/json; charset=utf-8");
}

/** Cached bytes with a strong ETag per representation, gzip when the client accepts it. */
function sendCached(
  request: FastifyRequest,
  reply: FastifyReply,
  view: { readonly body: Buffer; readonly gzip: Buffer; readonly etag: string },
  type: string,
): FastifyReply {
  const gzip = /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""));
  // Each representation has its own strong validator (RFC 9110 §8.8.3).
  const etag = gzip ? `${view.etag.slice(0, -1)}-gz"` : view.etag;
  reply.header("etag", etag).header("vary", "accept-encoding").header("cache-control", "no-cache");
  if (request.headers["if-none-match"] === etag) return reply.code(304).send();
  reply.type(type);
  if (gzip) return reply.header("content-encoding", "gzip").send(view.gzip);
  return reply.send(view.body);
}

/** Builds the app (not listening). */
export async function buildApp(options: AppOptions): Promise<App> {
  const { db } = options;
  const audit = new AuditLog(db);
  // The access policy: a fixed one when given (tests), else the grants of the database.
  const policy = options.policy ? PolicyStore.fixed(options.policy) : await PolicyStore.fromDatabase(db);
  const releaser = new Releaser(policy, audit);
  const auth = new AuthService(db, options.sessions ?? DEFAULT_SESSION_SETTINGS, options.clock);
  const cube = new CubeService(db, releaser);
  const geoCache = new BodyCache();
  cube.onInvalidate(() => geoCache.clear());

  const server = Fastify({
    logger: {
      level: options.logLevel ?? "info",
      redact: [...LOG_REDACT_PATHS],
    },
    bodyLimit: 1_048_576,
    // Behind a reverse proxy: the client's address and protocol from X-Forwarded-* (config).
    trustProxy: options.security?.trustProxy ?? false,
  }).withTypeProvider<ZodTypeProvider>();
  server.setValidatorCompiler(validatorCompiler);
  server.setSerializerCompiler(serializerCompiler);
  server.setErrorHandler(errorHandler);
  await registerSecurity(server, options.security ?? { tls: false });
  // Who asks (session cookie, operator token or nobody) and CSRF, before any route.
  const access = await registerAuth(server, {
    db,
    auth,
    policy,
    releaser,
    cube,
    audit,
    operatorToken: options.operatorToken,
    secureCookies: options.secureCookies ?? "auto",
  });
  const { contextOf } = access;
  // The dashboard: the files of its build at /*. Unknown paths: a view of the dashboard gets its
  // index.html (or the "not built" page); the rest, /api/… always, a problem.
  const web = await registerWebRoute(server, options.webRoot);
  server.setNotFoundHandler(
    (request, reply) =>
      web.fallback(request, reply) ??
      reply
        .code(404)
        .type("application/problem+json")
        .send(
          JSON.stringify({
            type: "about:blank",
            title: "Not Found",
            status: 404,
            detail: `no route ${request.method} ${request.url.split("?")[0]}`,
            instance: request.url,
          }),
        ),
  );

  await server.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: {
        title: "wijkradar API",
        version: VERSION,
        description:
          "Aggregates per area only. Every figure passes access policy, disclosure control and audit. Errors are application/problem+json.",
        license: { name: "EUPL-1.2" },
      },
      tags: [
        {
          name: "areas",
          description: "Area divisions: land, gemeente, wijk, buurt, PC4, PC6, per division year",
        },
        { name: "indicators", description: "The indicator catalogue and the area cube" },
        { name: "geo", description: "Simplified boundaries as GeoJSON" },
        {
          name: "profiles",
          description: "Profiles over microdata: definitions and released counts per area",
        },
        { name: "system", description: "Health and deliveries" },
        { name: "vault", description: "The register of microdata sources (metadata only)" },
        {
          name: "alerts",
          description: "Early warning: alerts, the alert layer, detection runs and the model description",
        },
        {
          name: "auth",
          description: "Login, sessions, and what the access policy lets you see (and why not)",
        },
        { name: "admin", description: "Organisations, users, grants and sessions (administrators)" },
        {
          name: "field",
          description:
            "Field work: observation categories, locating, syncing the field app's outbox, the quick view of an area",
        },
        {
          name: "audit",
          description: "The hash-chained audit trail: search, export, verify (privacy officer)",
        },
      ],
    },
    transform: jsonSchemaTransform,
  });
  await server.register(swaggerUi, {
    routePrefix: "/api/docs",
    uiConfig: { docExpansion: "list", validatorUrl: null },
  });
  server.get("/api/openapi.json", { schema: { hide: true } }, () => server.swagger());

  server.get(
    "/api/health",
    { schema: { tags: ["system"], summary: "Liveness and database state" } },
    async () => ({
      status: "ok",
      version: VERSION,
      database: { path: db.path, schemaVersion: SCHEMA_VERSION, deliveries: await deliveryCount(db) },
      uptimeSeconds: Math.round(process.uptime()),
    }),
  );

  server.get(
    "/api/deliveries",
    {
      schema: {
        tags: ["system"],
        summary: "Import manifests (source, file checksum, rows, periods, time), newest first",
      },
    },
    async () => ({ deliveries: await listDeliveries(db) }),
  );

  server.get(
    "/api/areas",
    {
      schema: {
        tags: ["areas"],
        summary: "List areas by level and parent, or search by name or code",
        querystring: z
          .object({
            level: Level.optional(),
            parent: Code.optional().describe("parent area code: the children of this area"),
            q: z
              .string()
              .trim()
              .min(1)
              .max(100)
              .optional()
              .describe("search text: part of a name, or the start of a code"),
            division: Year.optional(),
            limit: z.coerce.number().int().min(1).max(20000).default(100),
          })
          .strict(),
      },
    },
    async (request) => {
      const areas = await findAreas(db, request.query);
      return { count: areas.length, areas };
    },
  );

  server.get(
    "/api/areas/:code",
    {
      schema: {
        tags: ["areas"],
        summary: "One area: level, name, parent, the divisions it occurs in",
        params: z.object({ code: Code }),
        querystring: z.object({ division: Year.optional() }).strict(),
      },
    },
    async (request) => {
      const area = await getArea(db, request.params.code, request.query.division);
      if (!area)
        throw new NotFoundError(
          `area ${request.params.code}${request.query.division ? ` in division ${request.query.division}` : ""} is not known`,
        );
      const parent = area.parentCode ? await getArea(db, area.parentCode, area.division) : undefined;
      return {
        ...area,
        parent: parent ? { code: parent.code, name: parent.name, level: parent.level } : null,
      };
    },
  );

  server.get(
    "/api/areas/:code/profile",
    {
      schema: {
        tags: ["areas"],
        summary:
          "Every indicator of an area by domain: value, parent and national reference, series over all periods",
        params: z.object({ code: Code }),
      },
    },
    async (request, reply) =>
      sendView(request, reply, await cube.profileView(contextOf(request), request.params.code)),
  );

  server.get(
    "/api/indicators",
    {
      schema: {
        tags: ["indicators"],
        summary: "The indicator catalogue with source attribution, periods and levels",
      },
    },
    async (request, reply) => {
      // Every page of the dashboard waits for the catalogue (~94 KB of JSON) before it asks for
      // anything else: built once (until the next import, like the boundaries), gzipped, with an ETag.
      const cached = await geoCache.get("indicators", async () => {
        const list = await cube.catalogueList();
        return JSON.stringify({ count: list.length, indicators: list });
      });
      return sendCached(request, reply, cached, "application/json; charset=utf-8");
    },
  );

  server.get(
    "/api/indicators/:id",
    {
      schema: {
        tags: ["indicators"],
        summary: "One indicator's metadata",
        params: z.object({ id: z.string().min(1).max(80) }),
      },
    },
    async (request) => cube.describe(request.params.id),
  );

  server.get(
    "/api/indicators/:id/values",
    {
      schema: {
        tags: ["indicators"],
        summary:
          "Values of an indicator for all areas of a level (under a parent), with parent and national references",
        params: z.object({ id: z.string().min(1).max(80) }),
        querystring: z
          .object({
            period: Period.optional().describe("default: the newest period with values at the level"),
            level: Level.optional().describe("default: the level with the most values"),
            parent: Code.optional(),
            division: Year.optional().describe("default: the division of the chosen period"),
          })
          .strict(),
      },
    },
    async (request, reply) =>
      sendView(
        request,
        reply,
        await cube.valuesView(contextOf(request), { indicatorId: request.params.id, ...request.query }),
      ),
  );

  server.get(
    "/api/geo/:level",
    {
      schema: {
        tags: ["geo"],
        summary: "Simplified boundaries of a level (under a parent) as a GeoJSON FeatureCollection",
        description:
          "With dataDivision, every feature says whether its code occurs in that division, and `match` counts the codes of the data division with and without a boundary (e.g. RIVM 2020 data on 2014 buurt polygons).",
        params: z.object({ level: Level }),
        querystring: z
          .object({
            parent: Code.optional(),
            division: Year.optional().describe(
              "division of the boundaries; default: the newest that has them",
            ),
            dataDivision: Year.optional().describe(
              "division of the data to be joined: unless division is given, picks the boundaries that match most of its area codes; adds a match report",
            ),
          })
          .strict(),
      },
    },
    async (request, reply) => {
      const { level } = request.params;
      const { parent, dataDivision } = request.query;
      const key = `${level}|${request.query.division ?? ""}|${parent ?? ""}|${dataDivision ?? ""}`;
      const cached = await geoCache.get(key, () =>
        geoBody(level, request.query.division, parent, dataDivision),
      );
      return sendCached(request, reply, cached, "application/geo+json; charset=utf-8");
    },
  );

  /**
   * The boundaries that fit data of another division best: the division whose boundaries match the
   * most of the data's area codes (under the parent), then with the fewest boundaries the data does
   * not have, then the nearest year, then the newer. Almere's 2020 wijk codes fit the 2014 polygons
   * (6 of 6, none extra) better than those of 2024 (6 of 6, 66 extra), for example.
   */
  async function bestGeometryDivision(
    level: (typeof AREA_LEVELS)[number],
    available: readonly number[],
    dataDivision: number,
    parent: string | undefined,
  ): Promise<number | undefined> {
    if (available.includes(dataDivision)) return dataDivision;
    const scored = await Promise.all(
      available.map(async (d) => {
        const m = await matchDivisions(db, level, dataDivision, d, parent);
        return { d, matched: m.matched, extra: m.geometryOnly.length };
      }),
    );
    scored.sort(
      (a, b) =>
        b.matched - a.matched ||
        a.extra - b.extra ||
        Math.abs(a.d - dataDivision) - Math.abs(b.d - dataDivision) ||
        b.d - a.d,
    );
    return scored[0]?.d;
  }

  async function geoBody(
    level: (typeof AREA_LEVELS)[number],
    requestedDivision: number | undefined,
    parent: string | undefined,
    dataDivision: number | undefined,
  ): Promise<string> {
    const available = await geometryDivisions(db, level);
    const division =
      requestedDivision ??
      (dataDivision !== undefined
        ? await bestGeometryDivision(level, available, dataDivision, parent)
        : available[0]);
    if (division === undefined || !available.includes(division)) {
      throw new NotFoundError(
        `no boundaries for level ${level}${requestedDivision ? ` in division ${requestedDivision}` : ""}; available divisions: ${available.join(", ") || "none"}`,
      );
    }
    const rows = await getGeometries(db, level, division, parent);
    const match =
      dataDivision !== undefined
        ? await matchDivisions(db, level, dataDivision, division, parent)
        : undefined;
    // A boundary is "in the data" unless the match report lists it as geometry-only.
    const geometryOnly = match ? new Set(match.geometryOnly.map((g) => g.code)) : undefined;
    const features = rows
      .map(
        (r) =>
          `{"type":"Feature","id":${JSON.stringify(r.code)},"bbox":${JSON.stringify(r.bbox)},"properties":${JSON.stringify(
            {
              code: r.code,
              name: r.name,
              level,
              parent: r.parentCode,
              division,
              ...(geometryOnly ? { inData: !geometryOnly.has(r.code) } : {}),
            },
          )},"geometry":${r.geometry}}`,
      )
      .join(",");
    const meta = JSON.stringify({
      level,
      division,
      divisions: available,
      parent: parent ?? null,
      source: { attribution: "Bron: CBS, PDOK/Kadaster", licence: "CC BY 4.0" },
      ...(match ? { match } : {}),
    });
    return `{"type":"FeatureCollection","wijkradar":${meta},"features":[${features}]}`;
  }

  server.get(
    "/api/divisions/match",
    {
      schema: {
        tags: ["geo"],
        summary: "How the area codes of one division match the boundaries of another",
        querystring: z.object({ level: Level, data: Year, geometry: Year, parent: Code.optional() }).strict(),
      },
    },
    async (request) =>
      matchDivisions(
        db,
        request.query.level,
        request.query.data,
        request.query.geometry,
        request.query.parent,
      ),
  );

  const admin = registerAdminRoutes(server, { db, auth, policy, releaser, cube, access });
  registerAuditRoutes(server, { db, audit, access });
  registerOidcRoutes(server, { db, access, settings: options.oidc });
  registerVaultRoutes(server, { db });
  const profiles = registerProfileRoutes(server, {
    db,
    cube,
    releaser,
    audit,
    access,
    contextOf,
    sendView,
    ...(options.disclosure ? { disclosure: options.disclosure } : {}),
  });

  // Early warning over the indicators and the profiles (their released cells).
  const detection = new DetectionService(db, options.detection ?? DEFAULT_DETECTION_SETTINGS, profiles);
  if (!db.readOnly) await detection.recover();
  registerAlertRoutes(server, {
    db,
    cube,
    releaser,
    audit,
    detection,
    profiles,
    access,
    contextOf,
    sendView,
  });

  await registerImportRoute(server, { db, cube, audit, detection, access });

  // Signal boards and interventions: need to know from the same grants (core boardAccess).
  const clock = options.clock ?? Date.now;
  registerBoardRoutes(server, { db, access, policy, cube, clock });
  registerInterventionRoutes(server, { db, access, policy, cube, releaser, contextOf, sendView, clock });

  const observations = new ObservationService({
    db,
    settings: options.field ?? FieldSchema.parse({}),
    cube,
    detection,
    ...(options.clock ? { clock: options.clock } : {}),
    log: (message, error) => server.log.error({ err: error }, message),
  });
  registerObservationRoutes(server, {
    db,
    observations,
    cube,
    releaser,
    detection,
    profiles,
    access,
    contextOf,
  });

  return {
    server,
    cube,
    audit,
    detection,
    auth,
    policy,
    access,
    admin,
    observations,
    async close() {
      await server.close();
      await observations.close();
      await detection.close();
      await auth.close();
      await audit.flush();
    },
  };
}
