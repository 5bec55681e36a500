/**
 * Administration over HTTP (administrators only, with the X-CSRF-Token): organisations, users and
 * their roles, grants (with a preview of what a grant exposes) and live sessions. Every change writes
 * one audit record; secrets (one-time passwords, TOTP secrets) are answered once and never stored in
 * readable form.
 */
import { ROLES } from "@wijkradar/core";
import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { AuthService } from "../auth/auth-service.js";
import type { PolicyStore } from "../auth/policy-store.js";
import { ROLE_INFO } from "../auth/roles.js";
import type { Releaser } from "../release/release-service.js";
import { AdminService } from "../services/admin-service.js";
import type { CubeService } from "../services/cube-service.js";
import type { Database } from "../store/database.js";
import { listLiveSessions, listUsers } from "../store/identity-repository.js";
import type { AuthHandles } from "./auth-route.js";
import { InputError, NotFoundError } from "../errors.js";

export interface AdminRouteDeps {
  readonly db: Database;
  readonly auth: AuthService;
  readonly policy: PolicyStore;
  readonly releaser: Releaser;
  readonly cube: CubeService;
  readonly access: AuthHandles;
}

const Id = z.string().trim().min(1).max(100);
/** Sessions are named by the first 16 hex digits of their token's hash (never the token). */
const SessionId = z.string().regex(/^[0-9a-f]{16}$/, { error: "expected 16 hex digits" });

export function registerAdminRoutes(server: FastifyInstance, deps: AdminRouteDeps): AdminService {
  const admin = new AdminService(deps.db, deps.policy, deps.auth, deps.cube, () => deps.cube.invalidate());
  const app = server.withTypeProvider<ZodTypeProvider>();
  const { access } = deps;
  const only = (request: Parameters<AuthHandles["authorise"]>[0]) =>
    access.authorise(request, { roles: ["admin"] });
  const noStore = { "cache-control": "no-store" };

  app.get(
    "/api/admin/roles",
    { schema: { tags: ["admin"], summary: "The roles and what they are for" } },
    (request) => {
      only(request);
      return Promise.resolve({ roles: ROLES.map((r) => ROLE_INFO[r]) });
    },
  );

  app.get(
    "/api/admin/organisations",
    { schema: { tags: ["admin"], summary: "Organisations with their number of users" } },
    async (request, reply) => {
      only(request);
      const users = await listUsers(deps.db);
      reply.headers(noStore);
      return {
        organisations: (await admin.organisations()).map((o) => ({
          ...o,
          users: users.filter((u) => u.organisationId === o.id).length,
        })),
      };
    },
  );

  app.post(
    "/api/admin/organisations",
    { schema: { tags: ["admin"], summary: "Add an organisation (id, name, kind)", body: z.unknown() } },
    async (request, reply) => {
      only(request);
      await admin.createOrganisation(request.body);
      const id = (request.body as { id: string }).id.trim().toLowerCase();
      access.auditAction(request, "admin-organisation-create", `organisation:${id}`);
      return reply.code(201).send({ id });
    },
  );

  app.patch(
    "/api/admin/organisations/:id",
    {
      schema: {
        tags: ["admin"],
        summary: "Rename an organisation or change its kind",
        params: z.object({ id: Id }),
        body: z.unknown(),
      },
    },
    async (request) => {
      only(request);
      await admin.updateOrganisation(request.params.id, request.body);
      access.auditAction(request, "admin-organisation-update", `organisation:${request.params.id}`);
      return { id: request.params.id };
    },
  );

  app.delete(
    "/api/admin/organisations/:id",
    {
      schema: {
        tags: ["admin"],
        summary: "Remove an organisation without users",
        params: z.object({ id: Id }),
      },
    },
    async (request, reply) => {
      only(request);
      await admin.deleteOrganisation(request.params.id);
      access.auditAction(request, "admin-organisation-delete", `organisation:${request.params.id}`);
      return reply.code(204).send();
    },
  );

  app.get(
    "/api/admin/users",
    { schema: { tags: ["admin"], summary: "Users (never a password hash or secret)" } },
    async (request, reply) => {
      only(request);
      reply.headers(noStore);
      return { users: await admin.users() };
    },
  );

  app.post(
    "/api/admin/users",
    {
      schema: {
        tags: ["admin"],
        summary: "Add a user; answers a one-time password (and an administrator's TOTP secret) once",
        body: z.unknown(),
      },
    },
    async (request, reply) => {
      only(request);
      const created = await admin.createUser(request.body);
      access.auditAction(request, "admin-user-create", `user:${created.user.id} role:${created.user.role}`);
      return reply.code(201).headers(noStore).send(created);
    },
  );

  app.patch(
    "/api/admin/users/:id",
    {
      schema: {
        tags: ["admin"],
        summary: "Change a user's name, organisation, role, purpose or disable them (ends their sessions)",
        params: z.object({ id: Id }),
        body: z.unknown(),
      },
    },
    async (request) => {
      const me = only(request);
      if (
        me.user!.id === request.params.id &&
        (request.body as { disabled?: boolean } | null)?.disabled === true
      )
        throw new InputError("disabled: you cannot disable your own account");
      const result = await admin.updateUser(request.params.id, request.body);
      const fields = Object.keys((request.body as object | null) ?? {})
        .sort()
        .join(",");
      access.auditAction(request, "admin-user-update", `user:${result.user.id} fields:${fields}`);
      return result;
    },
  );

  app.post(
    "/api/admin/users/:id/password-reset",
    {
      schema: {
        tags: ["admin"],
        summary: "A new one-time password (answered once); ends the user's sessions",
        params: z.object({ id: Id }),
      },
    },
    async (request, reply) => {
      only(request);
      const r = await admin.resetPassword(request.params.id);
      access.auditAction(request, "admin-user-password-reset", `user:${request.params.id}`);
      return reply.headers(noStore).send(r);
    },
  );

  app.post(
    "/api/admin/users/:id/totp",
    {
      schema: {
        tags: ["admin"],
        summary: "A new TOTP secret (answered once); ends the user's sessions",
        params: z.object({ id: Id }),
      },
    },
    async (request, reply) => {
      only(request);
      const r = await admin.enrolTotp(request.params.id);
      access.auditAction(request, "admin-user-totp", `user:${request.params.id}`);
      return reply.headers(noStore).send(r);
    },
  );

  app.get(
    "/api/admin/grants",
    { schema: { tags: ["admin"], summary: "Every grant of the access policy" } },
    async (request, reply) => {
      only(request);
      reply.headers(noStore);
      return {
        editable: deps.policy.editable,
        minCount: deps.policy.current().minCount,
        grants: admin.grants(),
      };
    },
  );

  app.post(
    "/api/admin/grants/preview",
    {
      schema: {
        tags: ["admin"],
        summary: "What a grant would expose: indicators, profiles, levels, areas, recipients",
        body: z.unknown(),
      },
    },
    async (request) => {
      only(request);
      return admin.previewGrant(request.body);
    },
  );

  app.post(
    "/api/admin/grants",
    {
      schema: {
        tags: ["admin"],
        summary:
          "Add a grant: to a role, organisation or user; domains, indicators or profiles; areas; finest level; purpose",
        body: z.unknown(),
      },
    },
    async (request, reply) => {
      only(request);
      const g = await admin.createGrant(request.body, request.principal.actor.id);
      access.auditAction(request, "admin-grant-create", `grant:${g.id} to:${g.to.kind}:${g.to.id}`);
      return reply.code(201).send({ grant: g });
    },
  );

  app.delete(
    "/api/admin/grants/:id",
    { schema: { tags: ["admin"], summary: "Remove a grant", params: z.object({ id: Id }) } },
    async (request, reply) => {
      only(request);
      await admin.deleteGrant(request.params.id);
      access.auditAction(request, "admin-grant-delete", `grant:${request.params.id}`);
      return reply.code(204).send();
    },
  );

  app.get(
    "/api/admin/sessions",
    { schema: { tags: ["admin"], summary: "Live sessions (never a token)" } },
    async (request, reply) => {
      only(request);
      const users = new Map((await listUsers(deps.db)).map((u) => [u.id, u]));
      reply.headers(noStore);
      return {
        idleMinutes: deps.auth.settings.idleMinutes,
        absoluteHours: deps.auth.settings.absoluteHours,
        sessions: (await listLiveSessions(deps.db)).map((s) => ({
          id: s.tokenHash.slice(0, 16),
          userId: s.userId,
          username: users.get(s.userId)?.username ?? null,
          role: users.get(s.userId)?.role ?? null,
          method: s.method,
          createdAt: s.createdAt.toISOString(),
          lastSeenAt: s.lastSeenAt.toISOString(),
          origin: s.origin,
          current: request.principal.session?.tokenHash === s.tokenHash,
        })),
      };
    },
  );

  app.delete(
    "/api/admin/sessions/:id",
    { schema: { tags: ["admin"], summary: "End a live session", params: z.object({ id: SessionId }) } },
    async (request, reply) => {
      only(request);
      const match = (await listLiveSessions(deps.db)).find((s) => s.tokenHash.startsWith(request.params.id));
      if (!match) throw new NotFoundError(`no live session ${request.params.id}`);
      await deps.auth.endSession(match.tokenHash, "ended by an administrator");
      access.auditAction(request, "admin-session-end", `session:${request.params.id} user:${match.userId}`);
      return reply.code(204).send();
    },
  );

  return admin;
}
