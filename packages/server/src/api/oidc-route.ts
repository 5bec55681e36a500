/**
 * Login through the municipality's identity provider (OpenID Connect, config `auth.oidc`; see
 * docs/security.md "OpenID Connect"). GET /api/auth/oidc/login sends the browser to the provider with
 * a fresh state, nonce and PKCE verifier, kept here in memory for 10 minutes under a random id in the
 * httpOnly, SameSite=Lax cookie `wr_oidc` (Lax: the provider's redirect back is a cross-site top-level
 * navigation, which Strict would strip the cookie from). GET /api/auth/oidc/callback takes the
 * transaction (once), lets openid-client validate the answer and maps the provider's user to a
 * wijkradar account: by its (issuer, subject) link, else by user name (the username claim), which
 * links it. Accounts are never created here; an administrator creates them.
 *
 * The callback is a GET, so the CSRF hook does not apply; state, nonce and PKCE bind it to the login
 * this browser started.
 */
import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { OIDC_DEFAULTS, OidcClient, OidcError, type OidcChecks, type OidcSettings } from "../auth/oidc.js";
import type { Database } from "../store/database.js";
import { getUser, getUserByName, getUserByOidc, updateUser } from "../store/identity-repository.js";
import type { AuthHandles } from "./auth-route.js";
import { problem, sendProblem } from "./problem.js";

export const OIDC_COOKIE = "wr_oidc";
const COOKIE_PATH = "/api/auth/oidc";
/** How long a login at the provider may take. */
export const OIDC_TRANSACTION_MS = 10 * 60_000;
/** At most this many logins in flight; beyond it the oldest are forgotten (memory stays bounded). */
const MAX_TRANSACTIONS = 10_000;
const NOT_CONFIGURED = "OpenID Connect is not configured (config auth.oidc)";

export interface OidcRouteDeps {
  readonly db: Database;
  readonly access: AuthHandles;
  readonly settings: OidcSettings | undefined;
  /** The clock (tests); default Date.now. */
  readonly now?: () => number;
}

interface Transaction extends OidcChecks {
  readonly returnTo: string;
  readonly expiresAt: number;
}

/** Logins in flight, by the random id in the browser's `wr_oidc` cookie. Single use. */
class Transactions {
  private readonly byId = new Map<string, Transaction>();
  constructor(private readonly now: () => number) {}

  put(checks: OidcChecks, returnTo: string): string {
    const now = this.now();
    for (const [id, t] of this.byId) if (t.expiresAt <= now) this.byId.delete(id);
    while (this.byId.size >= MAX_TRANSACTIONS) this.byId.delete(this.byId.keys().next().value!);
    const id = randomBytes(32).toString("base64url");
    this.byId.set(id, { ...checks, returnTo, expiresAt: now + OIDC_TRANSACTION_MS });
    return id;
  }

  /** The transaction of an id, removed; undefined when unknown or expired. */
  take(id: string | undefined): Transaction | undefined {
    if (!id) return undefined;
    const t = this.byId.get(id);
    this.byId.delete(id);
    return t && t.expiresAt > this.now() ? t : undefined;
  }
}

/**
 * Where to go after the login: a path on this site only ("/…", not "//host" or "/\host", which
 * browsers read as another host), else "/".
 */
export function safeReturnTo(value: string | undefined): string {
  if (!value || value.length > 2000) return "/";
  // eslint-disable-next-line no-control-regex
  if (!value.startsWith("/") || /^\/[/\\]/.test(value) || /[\\\u0000-\u001f\u007f]/.test(value)) return "/";
  try {
    const base = "http://wijkradar.invalid";
    const url = new URL(value, base);
    return url.origin === base ? value : "/";
  } catch {
    return "/";
  }
}

export function registerOidcRoutes(server: FastifyInstance, deps: OidcRouteDeps): void {
  const app = server.withTypeProvider<ZodTypeProvider>();
  const { access, db } = deps;
  const oidc = deps.settings ? new OidcClient(deps.settings) : undefined;
  const transactions = new Transactions(deps.now ?? Date.now);
  // The cookie must reach the callback as the browser sees it: Secure when the registered callback is
  // https, for the callback's folder (under a proxy's path prefix too).
  const callback = deps.settings ? new URL(deps.settings.redirectUri) : undefined;
  const cookieOptions = {
    path: callback?.pathname.endsWith("/callback")
      ? callback.pathname.slice(0, -"/callback".length)
      : COOKIE_PATH,
    httpOnly: true,
    sameSite: "lax" as const,
    secure: callback?.protocol === "https:",
  };

  app.get(
    "/api/auth/oidc",
    {
      schema: {
        tags: ["auth"],
        summary: "Whether login through the organisation's identity provider (OpenID Connect) is on",
      },
    },
    async (_request, reply) => {
      reply.header("cache-control", "no-store");
      return { enabled: oidc !== undefined, label: oidc?.settings.label ?? OIDC_DEFAULTS.label };
    },
  );

  app.get(
    "/api/auth/oidc/login",
    {
      schema: {
        tags: ["auth"],
        summary: "Start a login at the identity provider (302 to the provider)",
        description:
          "returnTo: a path on this site to come back to after the login (default /); anything else is ignored. 404 when OpenID Connect is not configured, 503 when the provider cannot be reached.",
        querystring: z.object({ returnTo: z.string().max(2000).optional() }).strict(),
      },
    },
    async (request, reply) => {
      if (!oidc) return sendProblem(reply, problem(404, NOT_CONFIGURED));
      let started: Awaited<ReturnType<OidcClient["start"]>>;
      try {
        started = await oidc.start();
      } catch (e) {
        if (!(e instanceof OidcError)) throw e;
        request.log.error({ err: e }, "OpenID Connect discovery failed");
        return sendProblem(reply, problem(e.status, e.message));
      }
      const id = transactions.put(started.checks, safeReturnTo(request.query.returnTo));
      reply.setCookie(OIDC_COOKIE, id, { ...cookieOptions, maxAge: OIDC_TRANSACTION_MS / 1000 });
      reply.header("cache-control", "no-store");
      return reply.redirect(started.url.href, 302);
    },
  );

  const fail = (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    detail: string,
    object = "user:? method:oidc",
  ): FastifyReply => {
    request.log.info({ status, detail }, "OpenID Connect login refused");
    access.auditAction(request, "login-failed", object, "denied");
    reply.header("cache-control", "no-store");
    return sendProblem(reply, problem(status, detail));
  };

  app.get(
    "/api/auth/oidc/callback",
    {
      schema: {
        tags: ["auth"],
        summary: "Where the identity provider sends the browser back (code, state); starts the session",
        description:
          "Validates state, nonce, PKCE and the ID token, maps the provider's user to a wijkradar account (by its link, else by user name) and sets the session cookie; 302 to the returnTo of the login. 400 for a login this browser did not start or that took longer than 10 minutes, 401 when the provider refused or its answer is not valid, 403 when there is no (enabled) wijkradar account.",
      },
    },
    async (request, reply) => {
      if (!oidc) return sendProblem(reply, problem(404, NOT_CONFIGURED));
      const tx = transactions.take(request.cookies[OIDC_COOKIE]);
      reply.clearCookie(OIDC_COOKIE, cookieOptions);
      const q = request.url.indexOf("?");
      const search = q >= 0 ? request.url.slice(q) : "";
      const params = new URLSearchParams(search);
      if (!tx)
        return fail(
          request,
          reply,
          400,
          "no login through the identity provider is in progress in this browser (it took longer than 10 minutes, was already finished, or cookies are blocked); start again",
        );
      if (params.get("state") !== tx.state)
        return fail(
          request,
          reply,
          400,
          "the state of the provider's answer does not belong to the login this browser started; start again",
        );

      let identity: Awaited<ReturnType<OidcClient["finish"]>>;
      try {
        identity = await oidc.finish(search, tx);
      } catch (e) {
        if (!(e instanceof OidcError)) throw e;
        if (e.status === 503) request.log.error({ err: e }, "OpenID Connect discovery failed");
        return fail(request, reply, e.status, e.message);
      }

      let user = await getUserByOidc(db, identity.issuer, identity.subject);
      if (!user) {
        const claim = oidc.settings.usernameClaim;
        if (!identity.username)
          return fail(
            request,
            reply,
            403,
            `the identity provider sent no ${claim} claim to find your wijkradar account by; ask an administrator (config auth.oidc.usernameClaim)`,
          );
        const named = await getUserByName(db, identity.username);
        if (!named)
          return fail(
            request,
            reply,
            403,
            `no wijkradar account for ${identity.username}; ask an administrator`,
          );
        if (named.oidcIssuer !== null || named.oidcSubject !== null)
          return fail(
            request,
            reply,
            403,
            `the wijkradar account ${named.username} is linked to another identity at the identity provider; ask an administrator`,
            `user:${named.id} method:oidc`,
          );
        if (named.disabled)
          return fail(
            request,
            reply,
            403,
            "this account is disabled; ask an administrator",
            `user:${named.id} method:oidc`,
          );
        await updateUser(db, named.id, { oidc: { issuer: identity.issuer, subject: identity.subject } });
        user = (await getUser(db, named.id)) ?? named;
      }
      if (user.disabled)
        return fail(
          request,
          reply,
          403,
          "this account is disabled; ask an administrator",
          `user:${user.id} method:oidc`,
        );

      // Administrators need a second factor: through the provider only when it says it did one
      // (the `amr` claim of RFC 8176), else with password and TOTP here.
      if (user.role === "admin" && !multiFactor(identity.claims.amr))
        return fail(
          request,
          reply,
          403,
          "administrators need a second factor: the identity provider did not report one (amr); log in with password and authenticator code",
          `user:${user.id} method:oidc`,
        );
      await access.startSession(request, reply, user, "oidc");
      access.auditAction(request, "login", `user:${user.id} method:oidc`);
      reply.header("cache-control", "no-store");
      return reply.redirect(tx.returnTo, 302);
    },
  );
}

/** RFC 8176 methods that mean more than one factor (or a factor beyond a password). */
const MULTI_FACTOR = new Set([
  "mfa",
  "otp",
  "hwk",
  "swk",
  "sc",
  "fido",
  "face",
  "fpt",
  "iris",
  "retina",
  "vbm",
]);

/** Whether an `amr` claim reports a multi-factor login. */
export function multiFactor(amr: unknown): boolean {
  return Array.isArray(amr) && amr.some((m) => typeof m === "string" && MULTI_FACTOR.has(m));
}
