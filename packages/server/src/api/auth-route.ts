/**
 * Who is asking, for every request: a session cookie (a logged-in user), the operator token (scripts
 * and the CLI through a running server), or nobody (the anonymous "public" visitor). The principal's
 * actor is what the release function decides on. State-changing requests with a session must carry
 * the session's CSRF token; requests from another origin are refused. Login, logout, the session and
 * "what may I see, and why not this?" live here.
 */
import cookie from "@fastify/cookie";
import {
  AREA_LEVELS,
  CODE_FORMS,
  grantsOf,
  levelOfCode,
  normaliseAreaCode,
  type Actor,
} from "@wijkradar/core";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import {
  actorOfUser,
  csrfMatches,
  LoginError,
  PUBLIC_ACTOR,
  SESSION_COOKIE,
  type AuthService,
} from "../auth/auth-service.js";
import { hashPassword, passwordProblems, verifyPassword } from "../auth/passwords.js";
import type { PolicyStore } from "../auth/policy-store.js";
import { AccessDeniedError, UnauthenticatedError } from "../errors.js";
import type { Releaser, RequestContext } from "../release/release-service.js";
import type { CubeService } from "../services/cube-service.js";
import type { AuditLog } from "../store/audit-repository.js";
import type { Database } from "../store/database.js";
import { getUser, updateUser, type SessionRow, type UserRow } from "../store/identity-repository.js";
import { tokenMatches } from "./operator-token.js";
import { problem, sendProblem } from "./problem.js";

export interface Principal {
  readonly kind: "anonymous" | "user" | "operator";
  readonly actor: Actor;
  readonly user?: UserRow;
  readonly session?: SessionRow;
}

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal;
  }
}

/** Why the session a request carried has ended (for GET /api/auth/session). */
const endedReasons = new WeakMap<FastifyRequest, string>();

const ANONYMOUS: Principal = { kind: "anonymous", actor: PUBLIC_ACTOR };

export const OPERATOR_ACTOR: Actor = { id: "operator", roles: ["operator"], purpose: "operations" };

export interface AuthRouteDeps {
  readonly db: Database;
  readonly auth: AuthService;
  readonly policy: PolicyStore;
  readonly releaser: Releaser;
  readonly cube: CubeService;
  readonly audit: AuditLog;
  readonly operatorToken: string | undefined;
  /** Secure cookies: always, never, or when the request came over TLS ("auto", the default). */
  readonly secureCookies?: boolean | "auto";
}

/** What a route needs of its caller. */
export interface Need {
  /** A logged-in user with one of these roles (any role when empty or absent). */
  readonly roles?: readonly string[];
  /** The operator token is enough too. */
  readonly operator?: boolean;
}

export interface AuthHandles {
  /** The principal when it meets the need; 401 when nobody is logged in, 403 for the wrong role. */
  readonly authorise: (request: FastifyRequest, need: Need) => Principal;
  readonly contextOf: (request: FastifyRequest) => RequestContext;
  /** Starts a session cookie for a user (password or OIDC login). */
  readonly startSession: (
    request: FastifyRequest,
    reply: FastifyReply,
    user: UserRow,
    method: string,
  ) => Promise<void>;
  /** One audit record of an action without figures (login, administration, status changes). */
  readonly auditAction: (
    request: FastifyRequest,
    action: string,
    object: string,
    result?: "released" | "denied",
  ) => void;
}

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const Code = z
  .string()
  .transform(normaliseAreaCode)
  .refine((c) => levelOfCode(c) !== undefined, {
    error: `expected an area code: ${Object.values(CODE_FORMS).join(", ")}`,
  });

function originOf(request: FastifyRequest): string {
  return `http ${request.ip}`;
}

/** The host a browser says it came from, when it says (Origin); undefined for non-browser clients. */
function foreignOrigin(request: FastifyRequest): string | undefined {
  const origin = request.headers.origin;
  if (!origin || origin === "null") return origin === "null" ? "null" : undefined;
  try {
    return new URL(origin).host === request.headers.host ? undefined : origin;
  } catch {
    return origin;
  }
}

export async function registerAuth(server: FastifyInstance, deps: AuthRouteDeps): Promise<AuthHandles> {
  await server.register(cookie);
  const { auth } = deps;
  server.decorateRequest("principal", {
    getter() {
      return (this as unknown as { _principal?: Principal })._principal ?? ANONYMOUS;
    },
    setter(value: Principal) {
      (this as unknown as { _principal?: Principal })._principal = value;
    },
  });

  const secure = (request: FastifyRequest): boolean =>
    deps.secureCookies === "auto" || deps.secureCookies === undefined
      ? request.protocol === "https"
      : deps.secureCookies;

  const clearSessionCookie = (request: FastifyRequest, reply: FastifyReply): void => {
    reply.clearCookie(SESSION_COOKIE, {
      path: "/",
      httpOnly: true,
      sameSite: "lax",
      secure: secure(request),
    });
  };

  // Who asks. An ended session on an API request is a 401 that says why (the dashboard shows the
  // login again), never a silent fall-back to the public view.
  server.addHook("onRequest", async (request, reply) => {
    const bearer = request.headers.authorization;
    if (bearer && tokenMatches(deps.operatorToken, bearer)) {
      request.principal = { kind: "operator", actor: OPERATOR_ACTOR };
      return;
    }
    const token = request.cookies[SESSION_COOKIE];
    if (!token) return;
    const resolved = await auth.resolve(token);
    if (resolved?.kind === "session") {
      request.principal = {
        kind: "user",
        actor: actorOfUser(resolved.user),
        user: resolved.user,
        session: resolved.session,
      };
      return;
    }
    // Ended (or unknown): API requests answer 401 with the reason and forget the cookie; the
    // session route says why; the dashboard's files leave the cookie, so the next API request can
    // still tell the reason.
    const path = request.url.split("?")[0] ?? "";
    const reason = resolved?.reason ?? "unknown session";
    if (path === "/api/auth/session") {
      clearSessionCookie(request, reply);
      endedReasons.set(request, reason);
      return;
    }
    if (path.startsWith("/api/auth/")) {
      clearSessionCookie(request, reply);
      return;
    }
    if (path.startsWith("/api/")) {
      clearSessionCookie(request, reply);
      return sendProblem(reply, problem(401, `your session has ended (${reason}); log in again`));
    }
  });

  // CSRF: a state-changing request from a browser session must carry the session's token, and no
  // state-changing request may come from another origin (login included).
  server.addHook("preHandler", async (request, reply) => {
    if (!STATE_CHANGING.has(request.method)) return;
    const foreign = foreignOrigin(request);
    if (foreign !== undefined)
      return sendProblem(reply, problem(403, `requests from another origin (${foreign}) are refused`));
    const { session } = request.principal;
    // Logging in again (a new token replaces the old) needs no token of the old session: the origin
    // check above covers login CSRF.
    const isLogin = request.url.split("?")[0] === "/api/auth/login";
    if (
      session &&
      !isLogin &&
      !csrfMatches(session.csrfToken, request.headers["x-csrf-token"] as string | undefined)
    )
      return sendProblem(
        reply,
        problem(403, "the CSRF token is missing or wrong: send the X-CSRF-Token of GET /api/auth/session"),
      );
  });

  const contextOf = (request: FastifyRequest): RequestContext => ({
    actor: request.principal.actor,
    origin: originOf(request),
  });

  const auditAction: AuthHandles["auditAction"] = (request, action, object, result = "released") => {
    const { actor } = request.principal;
    deps.audit.record({
      at: new Date(),
      actor: actor.id,
      onBehalfOf: actor.onBehalfOf ?? null,
      organisation: actor.organisation ?? null,
      roles: actor.roles,
      purpose: actor.purpose,
      action,
      object,
      released: 0,
      suppressed: 0,
      denied: result === "denied" ? 1 : 0,
      origin: originOf(request),
    });
  };

  const authorise: AuthHandles["authorise"] = (request, need) => {
    const p = request.principal;
    if (p.kind === "operator") {
      if (need.operator) return p;
      throw new AccessDeniedError("the operator token does not give access to this; log in as a user");
    }
    if (p.kind !== "user")
      throw new UnauthenticatedError(
        need.operator
          ? "log in, or send the operator token: Authorization: Bearer <token>"
          : "log in first (POST /api/auth/login)",
      );
    if (need.roles && need.roles.length > 0 && !need.roles.includes(p.user!.role))
      throw new AccessDeniedError(
        `this needs the role ${need.roles.join(" or ")}; you are ${p.user!.role} (${p.user!.username})`,
      );
    return p;
  };

  const startSession: AuthHandles["startSession"] = async (request, reply, user, method) => {
    const live = await auth.startSession(user, method, originOf(request), request.cookies[SESSION_COOKIE]);
    reply.setCookie(SESSION_COOKIE, live.token, {
      path: "/",
      httpOnly: true,
      sameSite: "lax",
      secure: secure(request),
      // A session cookie (no Max-Age): closing the browser ends it; the server enforces the times.
    });
    request.principal = { kind: "user", actor: actorOfUser(user), user, session: live.session };
  };

  const app = server.withTypeProvider<ZodTypeProvider>();

  const sessionBody = (p: Principal, request?: FastifyRequest) => {
    if (p.kind !== "user") {
      const ended = request ? endedReasons.get(request) : undefined;
      return {
        authenticated: false as const,
        role: "public",
        idleMinutes: auth.settings.idleMinutes,
        ...(ended ? { ended } : {}),
      };
    }
    const u = p.user!;
    return {
      authenticated: true as const,
      user: {
        id: u.id,
        username: u.username,
        displayName: u.displayName,
        organisation: u.organisationId,
        role: u.role,
        purpose: u.purpose,
        secondFactor: u.totpSecret !== null,
      },
      csrfToken: p.session!.csrfToken,
      method: p.session!.method,
      startedAt: p.session!.createdAt.toISOString(),
      idleMinutes: auth.settings.idleMinutes,
      absoluteHours: auth.settings.absoluteHours,
    };
  };

  app.post(
    "/api/auth/login",
    {
      schema: {
        tags: ["auth"],
        summary: "Log in with user name and password (and the authenticator code when the account has one)",
        description:
          'Sets the session cookie and answers with the session (its CSRF token included). 401 for a wrong name, password or code (`secondFactor: "totp"` asks for the code), 403 for a disabled account, 429 with Retry-After after repeated failures per account or address.',
        body: z
          .object({
            username: z.string().trim().min(1).max(100),
            password: z.string().min(1).max(256),
            totp: z.string().trim().max(10).optional(),
          })
          .strict(),
      },
    },
    async (request, reply) => {
      try {
        const user = await auth.loginWithPassword(request.body, request.ip);
        await startSession(request, reply, user, user.totpSecret ? "password+totp" : "password");
        auditAction(request, "login", `user:${user.id}`);
        return sessionBody(request.principal);
      } catch (e) {
        if (!(e instanceof LoginError)) throw e;
        // Failed logins are audited with the account's id when it exists, never the typed name
        // (it may be a mistyped password).
        if (!e.extra.prompt)
          auditAction(
            request,
            e.status === 429 ? "login-throttled" : "login-failed",
            `user:${e.extra.userId ?? "?"}`,
            "denied",
          );
        if (e.extra.retryAfter) reply.header("retry-after", String(e.extra.retryAfter));
        return sendProblem(reply, {
          ...problem(e.status, e.message),
          ...(e.extra.secondFactor ? { secondFactor: e.extra.secondFactor } : {}),
        });
      }
    },
  );

  app.post(
    "/api/auth/logout",
    { schema: { tags: ["auth"], summary: "End the session (needs the X-CSRF-Token)" } },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token && request.principal.kind === "user") {
        auditAction(request, "logout", `user:${request.principal.user!.id}`);
        await auth.logout(token);
      }
      clearSessionCookie(request, reply);
      return reply.code(204).send();
    },
  );

  app.get(
    "/api/auth/session",
    {
      schema: {
        tags: ["auth"],
        summary: "The current session: who is logged in, their role and organisation, the CSRF token",
      },
    },
    async (request, reply) => {
      reply.header("cache-control", "no-store");
      return sessionBody(request.principal, request);
    },
  );

  app.post(
    "/api/auth/password",
    {
      schema: {
        tags: ["auth"],
        summary: "Change your own password (the current one is needed); ends your other sessions",
        body: z
          .object({ current: z.string().min(1).max(256), password: z.string().min(1).max(256) })
          .strict(),
      },
    },
    async (request, reply) => {
      const p = authorise(request, {});
      const user = await getUser(deps.db, p.user!.id);
      if (!user || !(await verifyPassword(request.body.current, user.passwordHash)))
        return sendProblem(reply, problem(422, "current: the current password is wrong"));
      const problems = passwordProblems(request.body.password, { username: user.username });
      if (problems.length > 0)
        return sendProblem(reply, { ...problem(422, problems.join("; ")), errors: problems });
      await updateUser(deps.db, user.id, { passwordHash: await hashPassword(request.body.password) });
      await auth.endUserSessions(user.id, "password changed");
      await startSession(request, reply, { ...user }, p.session!.method);
      auditAction(request, "password-change", `user:${user.id}`);
      return sessionBody(request.principal);
    },
  );

  app.get(
    "/api/access/me",
    {
      schema: {
        tags: ["auth"],
        summary: "The grants that apply to you: what you may see, where, how fine and for which purpose",
      },
    },
    async (request, reply) => {
      reply.header("cache-control", "no-store");
      const { actor } = request.principal;
      const policy = deps.policy.current();
      return {
        actor: {
          id: actor.id,
          roles: actor.roles,
          purpose: actor.purpose,
          organisation: actor.organisation ?? null,
        },
        grants: grantsOf(policy, actor),
        minCount: policy.minCount,
      };
    },
  );

  app.get(
    "/api/access/explain",
    {
      schema: {
        tags: ["auth"],
        summary: "Why can't I see this? The rule that applies to you for an indicator or profile in an area",
        querystring: z
          .object({
            indicator: z.string().min(1).max(120).describe("indicator id, or profile:<id>"),
            area: Code,
            level: z.enum(AREA_LEVELS).optional().describe("default: the level of the area code"),
          })
          .strict(),
      },
    },
    async (request, reply) => {
      reply.header("cache-control", "no-store");
      const { indicator, area } = request.query;
      const level = request.query.level ?? levelOfCode(area)!;
      return deps.releaser.explain(contextOf(request), await deps.cube.subjectOf(indicator), area, level);
    },
  );

  return { authorise, contextOf, startSession, auditAction };
}
