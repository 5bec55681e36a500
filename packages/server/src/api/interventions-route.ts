/**
 * Interventions over HTTP (ADR 0008): register, list, read and change them, their agreements, the
 * effect on a target indicator (released figures and the difference-in-differences estimate), and the
 * library of shared interventions (no area codes). Board roles read and register; changes are for the
 * owner organisation's users and administrators. One audit record per request (object like
 * "intervention:7 effect eenzaam_18plus"; never free text).
 */
import { DOMAINS } from "@wijkradar/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { AccessDeniedError, UnauthenticatedError } from "../errors.js";
import type { ReleasedView, Releaser, RequestContext } from "../release/release-service.js";
import { BOARD_ROLES, type FieldAccess } from "../services/board-service.js";
import { InterventionService, shapeIntervention } from "../services/intervention-service.js";
import type { Database } from "../store/database.js";
import { AGREEMENT_STATUSES, INTERVENTION_STATUSES } from "../store/intervention-repository.js";
import type { AuthHandles } from "./auth-route.js";
import { AreaCode, audited, Id, IsoDate, rawParam, Text } from "./board-route.js";

export interface InterventionRouteDeps extends FieldAccess {
  readonly db: Database;
  readonly access: AuthHandles;
  readonly releaser: Releaser;
  readonly contextOf: (request: FastifyRequest) => RequestContext;
  readonly sendView: (request: FastifyRequest, reply: FastifyReply, view: ReleasedView) => FastifyReply;
  readonly clock?: () => number;
}

const Short = z.string().trim().min(1).max(200);
const IndicatorId = z.string().min(1).max(80);

const InterventionBody = z
  .object({
    title: Short.describe("1–200 characters"),
    goal: Text,
    kind: Short.describe("what kind of intervention (e.g. 'buurtpreventie', 'huisbezoeken')"),
    problem: Short.describe("the problem it addresses, in a few words (searchable in the library)"),
    domain: z.enum(DOMAINS),
    areas: z.array(AreaCode).min(1).max(100).describe("area codes of one level in the division"),
    division: z.number().int().min(1900).max(2100).describe("the division year of the areas"),
    targetIndicators: z.array(IndicatorId).min(1).max(10).describe("indicator ids of the catalogue"),
    startDate: IsoDate,
    endDate: IsoDate.nullable().optional(),
    ownerOrganisation: z.string().trim().min(1).max(80),
    budget: z.number().min(0, { error: "expected 0 or more" }).nullable().optional().describe("euros"),
    status: z.enum(INTERVENTION_STATUSES),
    shared: z.boolean().describe("listed in the library of interventions"),
    lessons: Text.nullable().optional(),
  })
  .strict();

const AgreementBody = z
  .object({
    text: Text,
    ownerOrganisation: z.string().trim().min(1).max(80),
    ownerName: z.string().trim().min(1).max(100).nullable().optional().describe("a role or team"),
    dueDate: IsoDate.describe("YYYY-MM-DD, today or later"),
    status: z.enum(AGREEMENT_STATUSES).optional(),
  })
  .strict();

export function registerInterventionRoutes(
  server: FastifyInstance,
  deps: InterventionRouteDeps,
): InterventionService {
  const service = new InterventionService(deps.db, deps, deps.releaser, deps.clock);
  const app = server.withTypeProvider<ZodTypeProvider>();
  const boardRole = (request: FastifyRequest) => deps.access.authorise(request, { roles: BOARD_ROLES });
  const ctx = (request: FastifyRequest): RequestContext => {
    boardRole(request);
    return deps.contextOf(request);
  };
  const rolesText = BOARD_ROLES.join(", ");

  app.get(
    "/api/interventions",
    {
      attachValidation: true,
      schema: {
        tags: ["field"],
        summary: "Interventions you may see, filtered by text, domain, status and area",
        description: `For logged-in ${rolesText}. An intervention is listed when your grants (not the public's) reach at least one of its areas.`,
        querystring: z
          .object({
            q: z
              .string()
              .trim()
              .min(1)
              .max(100)
              .optional()
              .describe("text in title, goal, problem or lessons"),
            domain: z.enum(DOMAINS).optional(),
            status: z.enum(INTERVENTION_STATUSES).optional(),
            area: AreaCode.optional().describe("interventions in this area or in areas in it"),
          })
          .strict(),
      },
    },
    async (request) =>
      audited(deps.access, request, "interventions", "interventions list", async () => {
        const interventions = await service.list(boardRole(request).actor, request.query);
        return { count: interventions.length, interventions };
      }),
  );

  app.post(
    "/api/interventions",
    {
      attachValidation: true,
      schema: {
        tags: ["field"],
        summary: "Register an intervention for one or more areas",
        description:
          "Areas must be of one level in the division and within your grants; target indicators must be in the catalogue (a neutral-polarity one gets an effect without a good/bad direction). Free text with personal data is refused (422 naming the field).",
        body: InterventionBody,
      },
    },
    async (request, reply) => {
      const created = await audited(deps.access, request, "intervention-create", "intervention:new", () =>
        service.create(ctx(request), request.body),
      );
      return reply.code(201).header("location", `/api/interventions/${created.id}`).send(created);
    },
  );

  // Before /api/interventions/:id: a static path wins in Fastify's router anyway, stated for readers.
  app.get(
    "/api/interventions/library",
    {
      attachValidation: true,
      schema: {
        tags: ["field"],
        summary: "The library: shared interventions with their outcome, without area codes",
        description:
          "For any logged-in user. Area type: `<level>:<small|medium|large>` (gemeente size by its number of buurten: < 20, 20–59, ≥ 60).",
        querystring: z
          .object({
            q: z.string().trim().min(1).max(100).optional(),
            domain: z.enum(DOMAINS).optional(),
            problem: z.string().trim().min(1).max(100).optional(),
            areaType: z
              .string()
              .regex(/^(gemeente|wijk|buurt)(:(small|medium|large))?$/, {
                error: "expected <level>:<size>, e.g. buurt:large",
              })
              .optional(),
          })
          .strict(),
      },
    },
    async (request) =>
      audited(deps.access, request, "intervention-library", "interventions library", async () => {
        deps.access.authorise(request, {});
        const interventions = await service.library(request.query);
        return { count: interventions.length, interventions };
      }),
  );

  app.get(
    "/api/interventions/:id",
    {
      attachValidation: true,
      schema: {
        tags: ["field"],
        summary: "One intervention with its agreements",
        params: z.object({ id: Id }),
      },
    },
    async (request) =>
      audited(deps.access, request, "intervention", `intervention:${rawParam(request, "id")}`, async () => {
        const actor = boardRole(request).actor;
        const r = await service.get(actor, request.params.id);
        return shapeIntervention(r, service.mayEdit(actor, r));
      }),
  );

  app.patch(
    "/api/interventions/:id",
    {
      attachValidation: true,
      schema: {
        tags: ["field"],
        summary: "Change an intervention (its owner organisation's users or administrators)",
        description:
          "Any field of the registration. When it is shared and finished, its outcome per target indicator (verdict, estimate, interval, periods; no area codes) is stored for the library.",
        params: z.object({ id: Id }),
        body: InterventionBody.partial()
          .strict()
          .refine((b) => Object.keys(b).length > 0, { error: "expected at least one field to change" }),
      },
    },
    async (request) =>
      audited(
        deps.access,
        request,
        "intervention-update",
        `intervention:${rawParam(request, "id")}${request.body?.status ? ` status:${request.body.status}` : ""}`,
        () => service.update(ctx(request), request.params.id, request.body),
      ),
  );

  app.post(
    "/api/interventions/:id/agreements",
    {
      attachValidation: true,
      schema: {
        tags: ["field"],
        summary: "Add an agreement (text, owner organisation, due date) to an intervention",
        params: z.object({ id: Id }),
        body: AgreementBody,
      },
    },
    async (request, reply) => {
      const out = await audited(
        deps.access,
        request,
        "intervention-agreement",
        `intervention:${rawParam(request, "id")} agreement`,
        () => service.addAgreement(ctx(request), request.params.id, request.body),
      );
      return reply.code(201).send(out);
    },
  );

  app.patch(
    "/api/interventions/:id/agreements/:aid",
    {
      attachValidation: true,
      schema: {
        tags: ["field"],
        summary: "Change an agreement of an intervention",
        params: z.object({ id: Id, aid: Id }),
        body: z
          .object({
            text: Text.optional(),
            ownerOrganisation: z.string().trim().min(1).max(80).optional(),
            ownerName: z.string().trim().min(1).max(100).nullable().optional(),
            dueDate: IsoDate.optional(),
            status: z.enum(AGREEMENT_STATUSES).optional(),
          })
          .strict()
          .refine((b) => Object.keys(b).length > 0, { error: "expected at least one field to change" }),
      },
    },
    async (request) =>
      audited(
        deps.access,
        request,
        "intervention-agreement-update",
        `intervention:${rawParam(request, "id")} agreement:${rawParam(request, "aid")}`,
        () => service.updateAgreement(ctx(request), request.params.id, request.params.aid, request.body),
      ),
  );

  app.get(
    "/api/interventions/:id/effect",
    {
      attachValidation: true,
      schema: {
        tags: ["field"],
        summary:
          "Before/after series of a target indicator (released) and the difference-in-differences estimate",
        description:
          "Comparison areas: the k = 5 nearest on baseline level and trend among the other areas of the level and division in the gemeente (every gemeente when it has fewer than 10). Only figures released to you count: a comparison area outside your grants contributes nothing. Verdict 'no-data-after' when no period lies after the start.",
        params: z.object({ id: Id }),
        querystring: z
          .object({ indicator: IndicatorId.optional().describe("default: the first target indicator") })
          .strict(),
      },
    },
    async (request, reply) => {
      const id = rawParam(request, "id");
      const indicator = (request.query as { indicator?: string } | undefined)?.indicator;
      // The release function writes the request's audit record; refusals before it are audited here.
      let released = false;
      try {
        if (request.validationError) throw request.validationError;
        const c = ctx(request);
        const r = await service.get(c.actor, request.params.id);
        const view = await service.effectView(c, r.id, indicator ?? r.targetIndicators[0]!);
        released = true;
        return deps.sendView(request, reply, view);
      } catch (e) {
        if (released) throw e;
        const denied = e instanceof AccessDeniedError || e instanceof UnauthenticatedError;
        deps.access.auditAction(
          request,
          "intervention-effect",
          `intervention:${id} effect ${indicator ?? "?"}${denied ? "" : " refused"}`,
          denied ? "denied" : "released",
        );
        throw e;
      }
    },
  );

  return service;
}
