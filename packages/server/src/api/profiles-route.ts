/**
 * Profiles over HTTP: the definitions are public (transparency: every profile is documented and
 * listed), creating or replacing one needs the operator token, and the figures of a profile go out
 * through the release function only (access policy → disclosure control → audit). Profiles also
 * appear in the indicator catalogue as map layers `profile:<id>` (see services/profile-service.ts).
 */
import {
  CODE_FORMS,
  isIsoDate,
  levelOfCode,
  normaliseAreaCode,
  ProfileDefinitionSchema,
  PROFILE_ID_PATTERN,
} from "@wijkradar/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ReleasedView, Releaser, RequestContext } from "../release/release-service.js";
import type { CubeService } from "../services/cube-service.js";
import { describeProfile, PROFILE_LEVELS, ProfileService } from "../services/profile-service.js";
import type { AuditLog } from "../store/audit-repository.js";
import type { DisclosureSettings } from "../config.js";
import type { Database } from "../store/database.js";
import type { AuthHandles } from "./auth-route.js";

export interface ProfileRouteDeps {
  readonly db: Database;
  readonly cube: CubeService;
  readonly releaser: Releaser;
  readonly audit: AuditLog;
  /** Who may create profiles: analysts, or the operator token. */
  readonly access: AuthHandles;
  readonly contextOf: (request: FastifyRequest) => RequestContext;
  readonly sendView: (request: FastifyRequest, reply: FastifyReply, view: ReleasedView) => FastifyReply;
  /** Today's UTC date, for the default reference date (injectable for tests). */
  readonly today?: () => string;
  /** The installation's disclosure-control settings. */
  readonly disclosure?: DisclosureSettings;
}

const ProfileId = z.string().regex(PROFILE_ID_PATTERN, { error: "expected a profile id" });
const Code = z
  .string()
  .transform(normaliseAreaCode)
  .refine((c) => levelOfCode(c) !== undefined, {
    error: `expected an area code: ${Object.values(CODE_FORMS).join(", ")}`,
  });
const IsoDate = z
  .string()
  .refine(isIsoDate, { error: "expected a date YYYY-MM-DD" })
  .describe("reference date YYYY-MM-DD; default: today (UTC)");

/** Registers the profile routes and makes profiles pseudo-indicators of the catalogue. */
export function registerProfileRoutes(server: FastifyInstance, deps: ProfileRouteDeps): ProfileService {
  const profiles = new ProfileService(deps.db, deps.releaser, deps.today, deps.disclosure);
  deps.cube.onInvalidate(() => profiles.invalidate());
  deps.cube.usePseudoIndicators({
    prefix: "profile:",
    list: () => profiles.pseudoIndicators(),
    valuesView: (ctx, req, action) => profiles.indicatorValuesView(ctx, req, action),
    subjectOf: (id) => profiles.subjectOf(id),
  });
  const app = server.withTypeProvider<ZodTypeProvider>();

  app.get(
    "/api/profiles",
    {
      schema: {
        tags: ["profiles"],
        summary: "Every profile's definition: conditions, population, purpose, documentation (public)",
      },
    },
    async () => {
      const list = (await profiles.list()).map(describeProfile);
      return { count: list.length, profiles: list };
    },
  );

  app.get(
    "/api/profiles/:id",
    {
      schema: {
        tags: ["profiles"],
        summary: "One profile's definition",
        params: z.object({ id: ProfileId }),
      },
    },
    async (request) => describeProfile(await profiles.get(request.params.id)),
  );

  app.post(
    "/api/profiles",
    {
      // Validation errors of the definition are answered as 422 with field paths, not as 400.
      attachValidation: true,
      schema: {
        tags: ["profiles"],
        summary: "Create or replace a profile (analysts or the operator token)",
        description:
          "For logged-in analysts (with the X-CSRF-Token) or `Authorization: Bearer <operator token>`. 422 names every bad field (`conditions[1].age.min: …`) and every fact that comes from a source of another key purpose.",
        body: ProfileDefinitionSchema,
      },
    },
    async (request, reply) => {
      const who = deps.access.authorise(request, { roles: ["analyst"], operator: true });
      const result = await profiles.save(request.body, who.actor.id);
      deps.access.auditAction(
        request,
        `profile-${result.status === "created" ? "create" : "replace"}`,
        `profile:${result.definition.id}`,
      );
      deps.cube.invalidate();
      return reply
        .code(result.status === "created" ? 201 : 200)
        .send({ status: result.status, profile: describeProfile(await profiles.get(result.definition.id)) });
    },
  );

  app.get(
    "/api/profiles/:id/values",
    {
      schema: {
        tags: ["profiles"],
        summary:
          "A profile's count, relevant population and share per area at a reference date, with parent and gemeente references, after disclosure control",
        description:
          "Every figure passes the access policy (default deny; synthetic profiles are public), disclosure control over the whole gemeente table (suppressed figures carry no number and say why; released counts carry cell-key noise) and the audit trail.",
        params: z.object({ id: ProfileId }),
        querystring: z
          .object({
            level: z.enum(PROFILE_LEVELS).default("buurt").describe("gemeente, wijk, buurt, pc4 or pc6"),
            parent: Code.optional().describe("only areas under this area (a gemeente, wijk, buurt or pc4)"),
            date: IsoDate.optional(),
          })
          .strict(),
      },
    },
    async (request, reply) =>
      deps.sendView(
        request,
        reply,
        await profiles.valuesView(deps.contextOf(request), {
          id: request.params.id,
          level: request.query.level,
          parent: request.query.parent,
          date: request.query.date ?? profiles.todayUtc(),
        }),
      ),
  );

  return profiles;
}
