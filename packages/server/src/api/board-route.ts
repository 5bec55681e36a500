/**
 * The signal board of an area over HTTP (ADR 0008): signals with responses, status changes, and the
 * actions agreed on. For logged-in users with a board role whose grants reach the area and domain
 * (core `boardAccess`): a single item out of reach is a 403 naming the rule, a list leaves such items
 * out. Every request writes exactly one audit record (object like "board:BU00340101 signals"; never
 * the text), also when it is refused.
 */
import { CODE_FORMS, DOMAINS, levelOfCode, normaliseAreaCode } from "@wijkradar/core";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { AccessDeniedError, InputError, NotFoundError, UnauthenticatedError } from "../errors.js";
import { BOARD_ROLES, BoardService, type FieldAccess } from "../services/board-service.js";
import { ACTION_STATUSES, SIGNAL_STATUSES, URGENCIES } from "../store/board-repository.js";
import type { Database } from "../store/database.js";
import type { AuthHandles } from "./auth-route.js";

export interface BoardRouteDeps extends FieldAccess {
  readonly db: Database;
  readonly access: AuthHandles;
  /** The clock for "not in the past" (tests move it; default Date.now). */
  readonly clock?: () => number;
}

export const AreaCode = z
  .string()
  .transform(normaliseAreaCode)
  .refine((c) => levelOfCode(c) !== undefined, {
    error: `expected an area code: ${Object.values(CODE_FORMS).join(", ")}`,
  });
export const Id = z.coerce.number().int().min(1).max(2_147_483_647);
export const Text = z.string().trim().min(1).max(2000).describe("1–2,000 characters; no personal data");
export const IsoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: "expected a date YYYY-MM-DD" })
  .describe("a date YYYY-MM-DD");
const Tags = z
  .array(z.string().trim().min(1).max(40))
  .max(10)
  .describe("at most 10 tags of at most 40 characters");
const OrganisationId = z.string().trim().min(1).max(80).describe("an organisation's id");

/**
 * Runs a request's work and writes its one audit record: released on success, denied when the
 * caller is not logged in, lacks the role or is out of reach, and the status otherwise (422, 404…).
 * Validation errors are attached (not thrown before the handler) so that they are audited too.
 */
export async function audited<T>(
  access: AuthHandles,
  request: FastifyRequest,
  action: string,
  object: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    if (request.validationError) throw request.validationError;
    const result = await work();
    access.auditAction(request, action, object);
    return result;
  } catch (e) {
    if (e instanceof AccessDeniedError || e instanceof UnauthenticatedError)
      access.auditAction(request, action, object, "denied");
    else {
      const status =
        e instanceof InputError
          ? 422
          : e instanceof NotFoundError
            ? 404
            : ((e as { statusCode?: number }).statusCode ?? 500);
      access.auditAction(request, action, `${object} refused:${status}`);
    }
    throw e;
  }
}

/** A path parameter as given (for the audit object of a request whose parameters did not validate). */
export const rawParam = (request: FastifyRequest, name: string): string => {
  const v = (request.params as Record<string, unknown>)[name];
  return typeof v === "string" || typeof v === "number" ? String(v).slice(0, 40) : "?";
};

export function registerBoardRoutes(server: FastifyInstance, deps: BoardRouteDeps): BoardService {
  const board = new BoardService(deps.db, deps, deps.clock);
  const app = server.withTypeProvider<ZodTypeProvider>();
  const roles = { roles: BOARD_ROLES };
  const who = (request: FastifyRequest) => deps.access.authorise(request, roles).actor;
  const rolesText = BOARD_ROLES.join(", ");

  const ListQuery = z
    .object({
      descendants: z
        .enum(["true", "false"])
        .default("false")
        .describe(
          "also the items of the areas in this one (a wijk's buurten, a gemeente's wijken and buurten)",
        ),
      status: z.enum(SIGNAL_STATUSES).optional(),
    })
    .strict();

  app.get(
    "/api/areas/:code/signals",
    {
      attachValidation: true,
      schema: {
        tags: ["field"],
        summary: "The signal board of an area: signals with their responses, newest first",
        description: `For logged-in ${rolesText} whose grants (not the public's) reach the area. Signals of domains your grants do not cover are left out. 403 names the rule when the area is out of reach.`,
        params: z.object({ code: AreaCode }),
        querystring: ListQuery,
      },
    },
    async (request) =>
      audited(deps.access, request, "board-signals", `board:${rawParam(request, "code")} signals`, () =>
        board.listSignals(who(request), request.params.code, {
          descendants: request.query.descendants === "true",
          ...(request.query.status ? { status: request.query.status } : {}),
        }),
      ),
  );

  app.post(
    "/api/areas/:code/signals",
    {
      attachValidation: true,
      schema: {
        tags: ["field"],
        summary: "Post a signal on an area's board (text, domain, tags, urgency)",
        description: `For logged-in ${rolesText} (with the X-CSRF-Token) whose grants reach the area and the domain. Text with personal data (BSN, phone number, e-mail address, a name after meneer/mevrouw) is refused with a 422 naming the field.`,
        params: z.object({ code: AreaCode }),
        body: z
          .object({ text: Text, domain: z.enum(DOMAINS), tags: Tags.default([]), urgency: z.enum(URGENCIES) })
          .strict(),
      },
    },
    async (request, reply) => {
      const signal = await audited(
        deps.access,
        request,
        "board-signal-create",
        `board:${rawParam(request, "code")} signal`,
        () => board.createSignal(who(request), request.params.code, request.body),
      );
      return reply.code(201).header("location", `/api/areas/${signal.areaCode}/signals`).send(signal);
    },
  );

  app.post(
    "/api/signals/:id/responses",
    {
      attachValidation: true,
      schema: {
        tags: ["field"],
        summary: "Respond to a signal (a colleague of any organisation that may see it)",
        params: z.object({ id: Id }),
        body: z.object({ text: Text }).strict(),
      },
    },
    async (request, reply) => {
      const signal = await audited(
        deps.access,
        request,
        "board-response",
        `signal:${rawParam(request, "id")} response`,
        () => board.respond(who(request), request.params.id, request.body.text),
      );
      return reply.code(201).send(signal);
    },
  );

  app.patch(
    "/api/signals/:id",
    {
      attachValidation: true,
      schema: {
        tags: ["field"],
        summary: "Change a signal: status open/closed, urgency, tags",
        params: z.object({ id: Id }),
        body: z
          .object({
            status: z.enum(SIGNAL_STATUSES).optional(),
            urgency: z.enum(URGENCIES).optional(),
            tags: Tags.optional(),
          })
          .strict()
          .refine((b) => Object.keys(b).length > 0, {
            error: "expected at least one of status, urgency, tags",
          }),
      },
    },
    async (request) =>
      audited(
        deps.access,
        request,
        "board-signal-update",
        `signal:${rawParam(request, "id")}${request.body?.status ? ` status:${request.body.status}` : ""}`,
        () => board.updateSignal(who(request), request.params.id, request.body),
      ),
  );

  app.get(
    "/api/areas/:code/actions",
    {
      attachValidation: true,
      schema: {
        tags: ["field"],
        summary: "The actions agreed on an area's board, by due date",
        params: z.object({ code: AreaCode }),
        querystring: z
          .object({ descendants: ListQuery.shape.descendants, status: z.enum(ACTION_STATUSES).optional() })
          .strict(),
      },
    },
    async (request) =>
      audited(deps.access, request, "board-actions", `board:${rawParam(request, "code")} actions`, () =>
        board.listActions(who(request), request.params.code, {
          descendants: request.query.descendants === "true",
          ...(request.query.status ? { status: request.query.status } : {}),
        }),
      ),
  );

  const ActionBody = z
    .object({
      text: Text,
      domain: z.enum(DOMAINS),
      signalId: Id.nullable().optional().describe("the signal this action answers (on the same board)"),
      ownerOrganisation: OrganisationId,
      ownerName: z
        .string()
        .trim()
        .min(1)
        .max(100)
        .nullable()
        .optional()
        .describe("a role or team, not a person's name"),
      dueDate: IsoDate.describe("YYYY-MM-DD, today or later"),
      status: z.enum(ACTION_STATUSES).default("open"),
    })
    .strict();

  app.post(
    "/api/areas/:code/actions",
    {
      attachValidation: true,
      schema: {
        tags: ["field"],
        summary: "Record an agreed action: owner organisation, due date, status",
        params: z.object({ code: AreaCode }),
        body: ActionBody,
      },
    },
    async (request, reply) => {
      const action = await audited(
        deps.access,
        request,
        "board-action-create",
        `board:${rawParam(request, "code")} action`,
        () => board.createAction(who(request), request.params.code, request.body),
      );
      return reply.code(201).send(action);
    },
  );

  app.patch(
    "/api/actions/:id",
    {
      attachValidation: true,
      schema: {
        tags: ["field"],
        summary: "Change an action: text, owner, due date, status open/done/dropped",
        params: z.object({ id: Id }),
        body: z
          .object({
            text: Text.optional(),
            ownerOrganisation: OrganisationId.optional(),
            ownerName: ActionBody.shape.ownerName,
            dueDate: IsoDate.optional(),
            status: z.enum(ACTION_STATUSES).optional(),
          })
          .strict()
          .refine((b) => Object.keys(b).length > 0, { error: "expected at least one field to change" }),
      },
    },
    async (request) =>
      audited(
        deps.access,
        request,
        "board-action-update",
        `action:${rawParam(request, "id")}${request.body?.status ? ` status:${request.body.status}` : ""}`,
        () => board.updateAction(who(request), request.params.id, request.body),
      ),
  );

  return board;
}
