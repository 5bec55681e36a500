/**
 * OpenID Connect login end to end, over real HTTP: a real provider (oidc-provider with its built-in
 * development login and consent pages) on a random loopback port, wijkradar on another, and a small
 * "browser" (fetch with manual redirects and a cookie jar per host) that clicks through both.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createNetServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { OIDC_COOKIE, safeReturnTo, multiFactor } from "../src/api/oidc-route.js";
import { SESSION_COOKIE } from "../src/auth/auth-service.js";
import { Database } from "../src/store/database.js";
import { getUserByName } from "../src/store/identity-repository.js";
import { tempDir } from "./fixtures.js";

// oidc-provider ships no type declarations: the little of it this test uses, typed here.
interface OidcProvider {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
type ProviderClass = new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
const PROVIDER_MODULE: string = "oidc-provider";

/** A browser's view of HTTP: redirects followed by hand, cookies kept per host (paths ignored). */
class Browser {
  private readonly jars = new Map<string, Map<string, string>>();

  jar(host: string): Map<string, string> {
    let jar = this.jars.get(host);
    if (!jar) this.jars.set(host, (jar = new Map<string, string>()));
    return jar;
  }

  async request(url: string | URL, init: { method?: string; form?: Record<string, string> } = {}) {
    const u = new URL(url);
    const jar = this.jar(u.host);
    const headers: Record<string, string> = {};
    if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    if (init.form) headers["content-type"] = "application/x-www-form-urlencoded";
    const response = await fetch(u, {
      method: init.method ?? "GET",
      headers,
      redirect: "manual",
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    const setCookies = response.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair = "", ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [k = "", v = ""] = a.trim().split("=");
        if (k.toLowerCase() === "max-age") return Number(v) <= 0;
        if (k.toLowerCase() === "expires") return Date.parse(v) <= Date.now();
        return false;
      });
      if (expired || value === "") jar.delete(name);
      else jar.set(name, value);
    }
    const location = response.headers.get("location");
    return {
      response,
      status: response.status,
      location: location === null ? undefined : new URL(location, u),
      setCookies,
    };
  }
}

const formAction = (html: string): string => {
  const m = /<form[^>]*action="([^"]+)"/.exec(html);
  if (!m) throw new Error(`no form in the provider's page:\n${html.slice(0, 500)}`);
  return m[1]!.replaceAll("&amp;", "&");
};

describe("OpenID Connect login against a real provider", () => {
  let provider: Server;
  let issuer: string;
  let db: Database;
  let app: App;
  let base: string;
  /** Claims per provider account (its login name = its sub); default: preferred_username = the login. */
  const accounts = new Map<string, Record<string, string>>();

  beforeAll(async () => {
    // The provider's port first (its issuer URL), then wijkradar's (the registered callback).
    provider = createServer();
    await new Promise<void>((r) => provider.listen(0, "127.0.0.1", r));
    issuer = `http://127.0.0.1:${(provider.address() as { port: number }).port}`;
    const port = await new Promise<number>((resolve, reject) => {
      const probe = createNetServer();
      probe.once("error", reject);
      probe.listen(0, "127.0.0.1", () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    base = `http://127.0.0.1:${port}`;
    const redirectUri = `${base}/api/auth/oidc/callback`;
    const clientSecret = randomBytes(24).toString("base64url");

    const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const { default: Provider } = (await import(PROVIDER_MODULE)) as { default: ProviderClass };
    const oidc = new Provider(issuer, {
      clients: [
        {
          client_id: "wijkradar",
          client_secret: clientSecret,
          redirect_uris: [redirectUri],
          grant_types: ["authorization_code"],
          response_types: ["code"],
          token_endpoint_auth_method: "client_secret_post",
        },
      ],
      jwks: {
        keys: [{ ...privateKey.export({ format: "jwk" }), kid: "test-key", use: "sig", alg: "RS256" }],
      },
      cookies: { keys: [randomBytes(32).toString("hex")] },
      features: { devInteractions: { enabled: true } },
      ttl: { AccessToken: 600, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
      claims: { openid: ["sub"], profile: ["preferred_username", "name"], email: ["email"] },
      findAccount: (_ctx: unknown, sub: string) => ({
        accountId: sub,
        claims: () => ({
          sub,
          preferred_username: sub,
          email: `${sub}@example.nl`,
          name: `Test ${sub}`,
          ...accounts.get(sub),
        }),
      }),
    });
    provider.on("request", oidc.callback());

    db = await Database.open({ path: join(tempDir(), "oidc.duckdb") });
    app = await buildApp({
      db,
      logLevel: "silent",
      oidc: { issuer, clientId: "wijkradar", clientSecret, redirectUri },
    });
    await app.server.listen({ port, host: "127.0.0.1" });
    await app.admin.createOrganisation({ id: "almere", name: "Gemeente Almere", kind: "gemeente" });
    for (const username of ["anna", "bert", "carla"])
      await app.admin.createUser({
        username,
        displayName: `${username[0]!.toUpperCase()}${username.slice(1)}`,
        organisationId: "almere",
        role: "analyst",
      });
    // An administrator (created with TOTP): the dev provider reports no second factor (amr).
    await app.admin.createUser({
      username: "dora",
      displayName: "Dora",
      organisationId: "almere",
      role: "admin",
    });
    const bert = await getUserByName(db, "bert");
    await app.admin.updateUser(bert!.id, { disabled: true });
  });

  afterAll(async () => {
    await app?.close();
    db?.close();
    await new Promise((r) => provider?.close(r));
  });

  /**
   * Starts a login at wijkradar and clicks through the provider's login and consent pages as
   * `login`; returns the URL the provider sends the browser back to (the callback, not yet visited).
   */
  async function loginAtProvider(browser: Browser, login: string, returnTo?: string): Promise<URL> {
    const start = await browser.request(
      `${base}/api/auth/oidc/login${returnTo === undefined ? "" : `?returnTo=${encodeURIComponent(returnTo)}`}`,
    );
    expect(start.status).toBe(302);
    expect(start.location?.origin).toBe(issuer);
    const transaction = start.setCookies.find((c) => c.startsWith(`${OIDC_COOKIE}=`));
    expect(transaction).toMatch(/; Path=\/api\/auth\/oidc(;|$)/);
    expect(transaction).toMatch(/; HttpOnly/i);
    expect(transaction).toMatch(/; SameSite=Lax/i);
    // PKCE S256, state and nonce on the way out.
    expect(start.location?.searchParams.get("code_challenge_method")).toBe("S256");
    expect(start.location?.searchParams.get("state")).toBeTruthy();
    expect(start.location?.searchParams.get("nonce")).toBeTruthy();
    let next: { url: URL; method?: string; form?: Record<string, string> } = { url: start.location! };
    for (let step = 0; step < 20; step++) {
      const r = await browser.request(next.url, next);
      if (r.location) {
        if (r.location.origin === base) return r.location;
        next = { url: r.location };
        continue;
      }
      const html = await r.response.text();
      expect(r.status, html.slice(0, 500)).toBe(200);
      const action = new URL(formAction(html), next.url);
      const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
      if (prompt === "login")
        next = { url: action, method: "POST", form: { prompt, login, password: "anything" } };
      else if (prompt === "consent") next = { url: action, method: "POST", form: { prompt } };
      else throw new Error(`unexpected page at the provider:\n${html.slice(0, 500)}`);
    }
    throw new Error("the provider never sent the browser back");
  }

  async function sessionOf(browser: Browser) {
    const r = await browser.request(`${base}/api/auth/session`);
    return (await r.response.json()) as {
      authenticated: boolean;
      method?: string;
      user?: { id: string; username: string };
    };
  }

  async function auditRecords(): Promise<
    { action: string; object: string; actor: string; result: string }[]
  > {
    await app.audit.flush();
    return db.read((ex) =>
      ex.all<{ action: string; object: string; actor: string; result: string }>(
        "SELECT action, object, actor, result FROM audit_log WHERE object LIKE '%method:oidc%' ORDER BY seq",
      ),
    );
  }

  it("says that it is enabled, with the button's text", async () => {
    const r = await new Browser().request(`${base}/api/auth/oidc`);
    expect(await r.response.json()).toEqual({ enabled: true, label: "Inloggen via je organisatie" });
  });

  it("logs in through the provider: session cookie, method oidc, back to returnTo, linked by sub", async () => {
    const browser = new Browser();
    const callback = await loginAtProvider(browser, "anna", "/gebied/WK003401?tab=alerts");
    expect(callback.pathname).toBe("/api/auth/oidc/callback");
    expect(browser.jar(new URL(base).host).has(OIDC_COOKIE)).toBe(true);
    const done = await browser.request(callback);
    expect(done.status).toBe(302);
    expect(done.location?.href).toBe(`${base}/gebied/WK003401?tab=alerts`);
    const sessionCookie = done.setCookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    expect(sessionCookie).toMatch(/HttpOnly/i);
    expect(sessionCookie).toMatch(/SameSite=Lax/i);
    // The transaction cookie is cleared: the callback cannot be replayed.
    expect(browser.jar(new URL(base).host).has(OIDC_COOKIE)).toBe(false);

    const session = await sessionOf(browser);
    expect(session).toMatchObject({ authenticated: true, method: "oidc", user: { username: "anna" } });
    const anna = await getUserByName(db, "anna");
    expect(anna).toMatchObject({ oidcIssuer: issuer, oidcSubject: "anna" });
    expect(anna!.lastLoginAt).not.toBeNull();

    // Replaying the same callback (the transaction is used up) is refused.
    const replay = await browser.request(callback);
    expect(replay.status).toBe(400);
  });

  it("logs in a second time by the (issuer, sub) link, whatever the user name claim says", async () => {
    accounts.set("anna", { preferred_username: "anna.renamed" });
    try {
      const browser = new Browser();
      const done = await browser.request(await loginAtProvider(browser, "anna"));
      expect(done.status).toBe(302);
      expect(done.location?.pathname).toBe("/");
      expect(await sessionOf(browser)).toMatchObject({
        authenticated: true,
        method: "oidc",
        user: { username: "anna" },
      });
    } finally {
      accounts.delete("anna");
    }
  });

  it("refuses another provider identity with the name of an account that is already linked", async () => {
    accounts.set("anna-impostor", { preferred_username: "ANNA" });
    const browser = new Browser();
    const done = await browser.request(await loginAtProvider(browser, "anna-impostor"));
    expect(done.status).toBe(403);
    expect(((await done.response.json()) as { detail: string }).detail).toMatch(/linked to another identity/);
    expect(done.setCookies.some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
    expect((await getUserByName(db, "anna"))!.oidcSubject).toBe("anna");
  });

  it("refuses a provider user without a wijkradar account: 403, no session, no account created", async () => {
    const browser = new Browser();
    const done = await browser.request(await loginAtProvider(browser, "nobody"));
    expect(done.status).toBe(403);
    expect(done.response.headers.get("content-type")).toMatch(/application\/problem\+json/);
    const body = (await done.response.json()) as { detail: string };
    expect(body.detail).toBe("no wijkradar account for nobody; ask an administrator");
    expect(done.setCookies.some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
    expect(await sessionOf(browser)).toMatchObject({ authenticated: false });
    expect(await getUserByName(db, "nobody")).toBeUndefined();
  });

  it("refuses a disabled account", async () => {
    const browser = new Browser();
    const done = await browser.request(await loginAtProvider(browser, "bert"));
    expect(done.status).toBe(403);
    expect(((await done.response.json()) as { detail: string }).detail).toMatch(/disabled/);
    expect(await sessionOf(browser)).toMatchObject({ authenticated: false });
    expect((await getUserByName(db, "bert"))!.oidcSubject).toBeNull();
  });

  it("refuses an administrator when the provider reports no second factor", async () => {
    const browser = new Browser();
    const done = await browser.request(await loginAtProvider(browser, "dora"));
    expect(done.status).toBe(403);
    expect(((await done.response.json()) as { detail: string }).detail).toMatch(/second factor.*amr/);
    expect(await sessionOf(browser)).toMatchObject({ authenticated: false });
  });

  it("counts RFC 8176 methods beyond a password as a second factor", () => {
    expect(multiFactor(["pwd", "otp"])).toBe(true);
    expect(multiFactor(["mfa"])).toBe(true);
    expect(multiFactor(["pwd"])).toBe(false);
    expect(multiFactor("mfa")).toBe(false);
    expect(multiFactor(undefined)).toBe(false);
  });

  it("refuses a tampered state", async () => {
    const browser = new Browser();
    const callback = await loginAtProvider(browser, "carla");
    callback.searchParams.set("state", "forged-state");
    const done = await browser.request(callback);
    expect(done.status).toBe(400);
    expect(((await done.response.json()) as { detail: string }).detail).toMatch(/state/);
    expect(await sessionOf(browser)).toMatchObject({ authenticated: false });
    expect((await getUserByName(db, "carla"))!.oidcSubject).toBeNull();
  });

  it("refuses a callback without a login started in this browser", async () => {
    const started = new Browser();
    const callback = await loginAtProvider(started, "carla");
    const other = new Browser();
    const done = await other.request(callback);
    expect(done.status).toBe(400);
    expect(((await done.response.json()) as { detail: string }).detail).toMatch(/no login .* in progress/);
    expect(await sessionOf(other)).toMatchObject({ authenticated: false });
  });

  it("refuses when the user cancels at the provider (error parameter)", async () => {
    const browser = new Browser();
    const start = await browser.request(`${base}/api/auth/oidc/login`);
    let r = await browser.request(start.location!);
    while (r.location && r.location.origin === issuer && !/\/interaction\//.test(r.location.pathname))
      r = await browser.request(r.location);
    const interaction = r.location!;
    expect(interaction.pathname).toMatch(/^\/interaction\//);
    let back = await browser.request(new URL(`${interaction.pathname}/abort`, issuer));
    while (back.location && back.location.origin === issuer) back = await browser.request(back.location);
    expect(back.location?.searchParams.get("error")).toBe("access_denied");
    const done = await browser.request(back.location!);
    expect(done.status).toBe(401);
    expect(((await done.response.json()) as { detail: string }).detail).toMatch(
      /the provider refused the login: access_denied/,
    );
  });

  it("does not follow a returnTo to another site", async () => {
    const browser = new Browser();
    const done = await browser.request(await loginAtProvider(browser, "carla", "//evil.example/x"));
    expect(done.status).toBe(302);
    expect(done.location?.href).toBe(`${base}/`);
    expect(await sessionOf(browser)).toMatchObject({ authenticated: true, user: { username: "carla" } });
    for (const bad of [
      "https://evil.example",
      "//evil.example",
      "/\\evil.example",
      "evil",
      "/\t/evil.example",
    ])
      expect(safeReturnTo(bad)).toBe("/");
    expect(safeReturnTo("/kaart?x=1#y")).toBe("/kaart?x=1#y");
  });

  it("audits logins and refused logins", async () => {
    const records = await auditRecords();
    const anna = await getUserByName(db, "anna");
    expect(records).toContainEqual(
      expect.objectContaining({ action: "login", object: `user:${anna!.id} method:oidc`, actor: anna!.id }),
    );
    const failed = records.filter((r) => r.action === "login-failed");
    // Impostor, nobody, bert (disabled), tampered state, no transaction, cancelled.
    expect(failed.length).toBeGreaterThanOrEqual(6);
    expect(failed.every((r) => r.result === "denied")).toBe(true);
    const bert = await getUserByName(db, "bert");
    expect(failed.some((r) => r.object === `user:${bert!.id} method:oidc`)).toBe(true);
  });
});

describe("OpenID Connect not configured or unreachable", () => {
  let db: Database;
  let plain: App;
  let unreachable: App;

  beforeAll(async () => {
    db = await Database.open({ path: join(tempDir(), "no-oidc.duckdb") });
    plain = await buildApp({ db, logLevel: "silent" });
    // A port nobody listens on.
    const port = await new Promise<number>((resolve) => {
      const probe = createNetServer().listen(0, "127.0.0.1", () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => resolve(p));
      });
    });
    unreachable = await buildApp({
      db,
      logLevel: "silent",
      oidc: {
        issuer: `http://127.0.0.1:${port}`,
        clientId: "wijkradar",
        redirectUri: "http://127.0.0.1:1/api/auth/oidc/callback",
        label: "Inloggen met Entra ID",
      },
    });
  });

  afterAll(async () => {
    await plain?.close();
    await unreachable?.close();
    db?.close();
  });

  it("answers 404 with the config key when auth.oidc is absent", async () => {
    const status = await plain.server.inject({ url: "/api/auth/oidc" });
    expect(status.json()).toEqual({ enabled: false, label: "Inloggen via je organisatie" });
    for (const url of ["/api/auth/oidc/login", "/api/auth/oidc/callback?code=x&state=y"]) {
      const r = await plain.server.inject({ url });
      expect(r.statusCode).toBe(404);
      expect(r.json()).toMatchObject({ detail: "OpenID Connect is not configured (config auth.oidc)" });
    }
  });

  it("names the issuer when discovery fails, and tries again at the next login", async () => {
    expect((await unreachable.server.inject({ url: "/api/auth/oidc" })).json()).toEqual({
      enabled: true,
      label: "Inloggen met Entra ID",
    });
    for (let i = 0; i < 2; i++) {
      const r = await unreachable.server.inject({ url: "/api/auth/oidc/login" });
      expect(r.statusCode).toBe(503);
      expect(r.json<{ detail: string }>().detail).toMatch(
        /^OpenID Connect discovery of the provider http:\/\/127\.0\.0\.1:\d+ failed: .*ECONNREFUSED/,
      );
    }
  });
});
