/**
 * Accounts and sessions over real HTTP on a copy of the demo database with the demo accounts: login
 * (password, TOTP for administrators), cookies, a new token at every login, idle and absolute expiry
 * on a clock the test moves, revocation when a user is disabled, CSRF and foreign origins, 429 after
 * repeated failures per account and per address, password rules, role checks, need to know for the
 * field worker with "why can't I see this?", administration with a grant preview, all audited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { totpCode } from "../src/auth/totp.js";
import { createDemoAccounts, demoAccountLines, type DemoAccount } from "../src/demo/demo-accounts.js";
import { Database } from "../src/store/database.js";
import { demoDbCopy, listenOnLoopback } from "./fixtures.js";

let db: Database;
let app: App;
let url: string;
let accounts: DemoAccount[];
let now = Date.parse("2026-11-22T09:00:00Z");
const clock = () => now;
const account = (username: string) => accounts.find((a) => a.username === username)!;

interface Session {
  cookie: string;
  csrf: string;
}

async function login(
  username: string,
  password = account(username).password,
  extra: Record<string, unknown> = {},
  cookie?: string,
) {
  const res = await fetch(`${url}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(cookie ? { cookie } : {}) },
    body: JSON.stringify({ username, password, ...extra }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  const setCookie = res.headers.get("set-cookie") ?? "";
  return { res, body, setCookie, cookie: setCookie.split(";")[0] ?? "" };
}

async function session(username: string): Promise<Session> {
  const a = account(username);
  // A TOTP code is accepted once: the next administrator login waits for the next 30-s step.
  if (a.totpSecret) now += 30_000;
  const r = await login(username, a.password, a.totpSecret ? { totp: totpCode(a.totpSecret, now) } : {});
  expect(r.res.status, JSON.stringify(r.body)).toBe(200);
  return { cookie: r.cookie, csrf: r.body.csrfToken as string };
}

async function call(
  method: string,
  path: string,
  s?: Session,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...(s ? { cookie: s.cookie, "x-csrf-token": s.csrf } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: res.headers,
  };
}

async function auditRows(action: string): Promise<{ actor: string; object: string; result: string }[]> {
  await app.audit.flush();
  return db.read((ex) =>
    ex.all<{ actor: string; object: string; result: string }>(
      "SELECT actor, object, result FROM audit_log WHERE action = ? ORDER BY seq",
      [action],
    ),
  );
}

beforeAll(async () => {
  db = await Database.open({ path: demoDbCopy() });
  app = await buildApp({
    db,
    logLevel: "silent",
    clock,
    sessions: {
      idleMinutes: 30,
      absoluteHours: 12,
      throttle: { perAccount: 5, perIp: 20, windowSeconds: 900 },
    },
  });
  url = await listenOnLoopback(app);
  accounts = await createDemoAccounts(db, app.admin);
}, 120_000);

afterAll(async () => {
  await app?.close();
  db?.close();
});

describe("demo accounts", () => {
  it("creates one account per role with random one-time passwords, once", async () => {
    expect(accounts.map((a) => a.role).sort()).toEqual(
      ["admin", "analyst", "field-worker", "partner", "policy-advisor", "privacy-officer"].sort(),
    );
    for (const a of accounts) expect(a.password.length).toBeGreaterThanOrEqual(12);
    expect(new Set(accounts.map((a) => a.password)).size).toBe(accounts.length);
    expect(account("beheer").totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    expect(await createDemoAccounts(db, app.admin)).toEqual([]);
    const lines = demoAccountLines(accounts).join("\n");
    for (const a of accounts) expect(lines).toContain(a.password);
    // The database keeps scrypt hashes, never the passwords.
    const stored = await db.read((ex) =>
      ex.all<{ h: string }>("SELECT password_hash AS h FROM users ORDER BY username"),
    );
    for (const r of stored) expect(r.h).toMatch(/^scrypt\$32768\$8\$1\$/);
    const all = stored.map((r) => r.h).join(" ");
    for (const a of accounts) expect(all).not.toContain(a.password);
  });

  it("gives a second database other passwords (nothing fixed in the code)", async () => {
    const other = await Database.open({ path: ":memory:" });
    try {
      const otherApp = await buildApp({ db: other, logLevel: "silent" });
      try {
        await otherApp.admin.createOrganisation({
          id: "gemeente-almere",
          name: "Gemeente Almere",
          kind: "gemeente",
        });
        const second = await createDemoAccounts(other, otherApp.admin);
        expect(second.length).toBe(accounts.length);
        for (const a of second) expect(a.password).not.toBe(account(a.username).password);
      } finally {
        await otherApp.close();
      }
    } finally {
      other.close();
    }
  });
});

describe("login and sessions", () => {
  it("answers the same 401 for a wrong password and an unknown user, and audits both", async () => {
    const before = (await auditRows("login-failed")).length;
    const wrong = await login("analist", "not-the-password-at-all");
    const unknown = await login("nobody-here", "not-the-password-at-all");
    expect(wrong.res.status).toBe(401);
    expect(unknown.res.status).toBe(401);
    expect(wrong.body.detail).toBe(unknown.body.detail);
    expect(wrong.setCookie).toBe("");
    const rows = await auditRows("login-failed");
    expect(rows.length).toBe(before + 2);
    // The typed name is not in the trail (it may be a mistyped password); an existing account's id is.
    expect(rows.map((r) => r.object).join(" ")).not.toContain("nobody-here");
    const analystId = (
      await db.read((ex) => ex.all<{ id: string }>("SELECT id FROM users WHERE username = 'analist'"))
    )[0]!.id;
    expect(rows.slice(-2).map((r) => r.object)).toEqual([`user:${analystId}`, "user:?"]);
  });

  it("sets an httpOnly SameSite cookie with a 256-bit token, and a new token at every login", async () => {
    const first = await login("analist");
    expect(first.res.status).toBe(200);
    expect(first.setCookie).toMatch(/^wr_session=[A-Za-z0-9_-]{43};/);
    expect(first.setCookie).toMatch(/HttpOnly/i);
    expect(first.setCookie).toMatch(/SameSite=Lax/i);
    expect(first.setCookie).not.toMatch(/Secure/i); // plain HTTP on loopback
    const s1 = { cookie: first.cookie, csrf: first.body.csrfToken as string };
    expect((await call("GET", "/api/auth/session", s1)).body).toMatchObject({
      authenticated: true,
      user: { username: "analist", role: "analyst", organisation: "gemeente-almere" },
    });
    // Logging in again from the same browser replaces the token; the old one is dead.
    const second = await login("analist", account("analist").password, {}, first.cookie);
    expect(second.cookie).not.toBe(first.cookie);
    const old = await call("GET", "/api/indicators/eenzaam_18plus/values?level=gemeente", s1);
    expect(old.status).toBe(401);
    expect(String(old.body.detail)).toMatch(/session has ended.*replaced by a new login/);
    expect((await auditRows("login")).some((r) => r.actor !== "anonymous")).toBe(true);
  });

  it("ends a session after 30 idle minutes, and after 12 hours however active", async () => {
    const s = await session("beleid");
    now += 29 * 60_000;
    expect((await call("GET", "/api/auth/session", s)).body.authenticated).toBe(true);
    now += 31 * 60_000;
    // A file of the dashboard first: it keeps the cookie, so the dashboard can still learn why.
    const page = await fetch(`${url}/`, { headers: { cookie: s.cookie } });
    expect(page.headers.get("set-cookie")).toBeNull();
    const ended = await call("GET", "/api/auth/session", s);
    expect(ended.body).toMatchObject({ authenticated: false, ended: "no activity for 30 min" });
    expect(ended.headers.get("set-cookie")).toMatch(/^wr_session=;/);
    const idle = await call("GET", "/api/indicators/eenzaam_18plus/values?level=gemeente", s);
    expect(idle.status).toBe(401);
    expect(String(idle.body.detail)).toMatch(/no activity for 30 min/);
    expect((await call("GET", "/api/auth/session", s)).body.authenticated).toBe(false);

    const busy = await session("beleid");
    for (let step = 0; step < 36; step++) {
      now += 20 * 60_000;
      expect((await call("GET", "/api/auth/session", busy)).body.authenticated).toBe(true);
    }
    now += 60_000;
    const late = await call("GET", "/api/access/me", busy);
    expect(late.status).toBe(401);
    expect(String(late.body.detail)).toMatch(/maximum of 12 h/);
  });

  it("ends every live session of a user the administrator disables", async () => {
    const worker = await session("corporatie");
    const worker2 = await session("corporatie");
    const admin = await session("beheer");
    const id = ((await call("GET", "/api/auth/session", worker)).body.user as { id: string }).id;
    const res = await call("PATCH", `/api/admin/users/${id}`, admin, { disabled: true });
    expect(res.status).toBe(200);
    expect(res.body.sessionsEnded).toBe(2);
    for (const s of [worker, worker2]) {
      const r = await call("GET", "/api/access/me", s);
      expect(r.status).toBe(401);
      expect(String(r.body.detail)).toMatch(/disabled/);
    }
    expect((await login("corporatie")).res.status).toBe(403);
    expect((await call("PATCH", `/api/admin/users/${id}`, admin, { disabled: false })).status).toBe(200);
    expect((await login("corporatie")).res.status).toBe(200);
    const audited = await auditRows("admin-user-update");
    expect(audited.some((r) => r.object.startsWith(`user:${id} fields:disabled`))).toBe(true);
  });

  it("refuses state-changing requests without the session's CSRF token or from another origin", async () => {
    const s = await session("analist");
    const alert = (
      (await call("GET", "/api/alerts?level=wijk&limit=1", s)).body.alerts as { id: number }[]
    )[0]!;
    const noToken = await call(
      "PATCH",
      `/api/alerts/${alert.id}`,
      { ...s, csrf: "" },
      { status: "acknowledged" },
    );
    expect(noToken.status).toBe(403);
    expect(String(noToken.body.detail)).toMatch(/CSRF/);
    const wrongToken = await call(
      "PATCH",
      `/api/alerts/${alert.id}`,
      { ...s, csrf: "x".repeat(43) },
      { status: "acknowledged" },
    );
    expect(wrongToken.status).toBe(403);
    const foreign = await call(
      "PATCH",
      `/api/alerts/${alert.id}`,
      s,
      { status: "acknowledged" },
      { origin: "https://evil.example" },
    );
    expect(foreign.status).toBe(403);
    expect(String(foreign.body.detail)).toMatch(/another origin/);
    const ok = await call("PATCH", `/api/alerts/${alert.id}`, s, { status: "acknowledged" }, { origin: url });
    expect(ok.status).toBe(200);
    const detail = await call("GET", `/api/alerts/${alert.id}`, s);
    const events = (detail.body.alert as { events: { actor: string; status: string }[] }).events;
    expect(events.at(-1)).toMatchObject({ status: "acknowledged" });
    expect(events.at(-1)!.actor).toMatch(/^u-/);
    // Logout needs the token too.
    expect((await call("POST", "/api/auth/logout", { ...s, csrf: "" })).status).toBe(403);
    expect((await call("POST", "/api/auth/logout", s)).status).toBe(204);
  });

  it("answers 429 with Retry-After after 5 failures for an account, even with the right password", async () => {
    for (let i = 0; i < 5; i++) expect((await login("privacy", "wrong-password-" + i)).res.status).toBe(401);
    const blocked = await login("privacy");
    expect(blocked.res.status).toBe(429);
    expect(Number(blocked.res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(blocked.res.headers.get("retry-after"))).toBeLessThanOrEqual(900);
    expect((await auditRows("login-throttled")).length).toBeGreaterThan(0);
    now += 901_000;
    expect((await login("privacy")).res.status).toBe(200);
  });

  it("answers 429 after 20 failures from one address over many accounts", async () => {
    now += 901_000;
    for (let i = 0; i < 20; i++) await login(`someone-${i}`, "wrong-password-here");
    const blocked = await login("analist");
    expect(blocked.res.status).toBe(429);
    now += 901_000;
    expect((await login("analist")).res.status).toBe(200);
  });

  it("requires the TOTP code of administrators and refuses a replayed code", async () => {
    now += 901_000;
    const a = account("beheer");
    const noCode = await login("beheer");
    expect(noCode.res.status).toBe(401);
    expect(noCode.body.secondFactor).toBe("totp");
    const code = totpCode(a.totpSecret!, now);
    expect((await login("beheer", a.password, { totp: code })).res.status).toBe(200);
    expect((await login("beheer", a.password, { totp: code })).res.status).toBe(401);
    now += 30_000;
    expect((await login("beheer", a.password, { totp: "000000" })).res.status).toBe(401);
  });

  it("enforces the password rules when a user changes their password", async () => {
    now += 901_000;
    const s = await session("analist");
    const tooShort = await call("POST", "/api/auth/password", s, {
      current: account("analist").password,
      password: "kort-2026!",
    });
    expect(tooShort.status).toBe(422);
    expect(String(tooShort.body.detail)).toMatch(/at least 12 characters/);
    const common = await call("POST", "/api/auth/password", s, {
      current: account("analist").password,
      password: "Wachtwoord2024!",
    });
    expect(common.status).toBe(422);
    expect(String(common.body.detail)).toMatch(/common password/);
    const leaked = await call("POST", "/api/auth/password", s, {
      current: account("analist").password,
      password: "1234567890123",
    });
    expect(leaked.status).toBe(422);
    const fresh = "groene-fiets-onder-de-brug";
    const ok = await call("POST", "/api/auth/password", s, {
      current: account("analist").password,
      password: fresh,
    });
    expect(ok.status).toBe(200);
    expect((await login("analist", fresh)).res.status).toBe(200);
    (account("analist") as { password: string }).password = fresh;
  });
});

describe("roles and need to know", () => {
  it("keeps administration to administrators", async () => {
    expect((await call("GET", "/api/admin/users")).status).toBe(401);
    const analyst = await session("analist");
    const denied = await call("GET", "/api/admin/users", analyst);
    expect(denied.status).toBe(403);
    expect(String(denied.body.detail)).toMatch(/role admin/);
    const admin = await session("beheer");
    const users = (await call("GET", "/api/admin/users", admin)).body.users as Record<string, unknown>[];
    expect(users.length).toBe(6);
    expect(JSON.stringify(users)).not.toMatch(/scrypt|password_hash|totp_secret/);
  });

  it("shows the field worker figures of Almere-Haven only, and says why not elsewhere", async () => {
    now += 901_000;
    const worker = await session("wijkwerker");
    const profiles = ((await call("GET", "/api/profiles", worker)).body.profiles as { id: string }[]).map(
      (p) => p.id,
    );
    expect(profiles.length).toBeGreaterThan(0);
    const id = profiles[0]!;
    const haven = await call("GET", `/api/profiles/${id}/values?level=buurt&parent=WK003401`, worker);
    expect(haven.status).toBe(200);
    const other = await call("GET", `/api/profiles/${id}/values?level=buurt&parent=WK003402`, worker);
    expect(other.status).toBe(403);
    expect(String(other.body.detail)).toMatch(/demo-fieldworker-haven covers the areas WK003401/);
    const why = await call("GET", `/api/access/explain?indicator=profile:${id}&area=WK003402`, worker);
    expect(why.body).toMatchObject({ allowed: false });
    expect(String(why.body.reason)).toMatch(/WK003401/);
    const yes = await call("GET", `/api/access/explain?indicator=profile:${id}&area=BU00340101`, worker);
    expect(yes.body).toMatchObject({ allowed: true, grantId: "demo-fieldworker-haven" });
    // Visitors see open data, no synthetic profiles in the demo.
    const anon = await call("GET", `/api/profiles/${id}/values?level=buurt&parent=WK003401`);
    expect(anon.status).toBe(403);
    expect(String(anon.body.detail)).toMatch(/open data only|default deny|synthetic/);
    expect((await call("GET", "/api/indicators/eenzaam_18plus/values?level=wijk&parent=GM0034")).status).toBe(
      200,
    );
  });

  it("previews a grant before it is made, then applies it at once", async () => {
    const admin = await session("beheer");
    const grant = {
      id: "test-policy-pc4",
      to: { kind: "role", id: "policy-advisor" },
      what: "synthetic-data",
      areas: ["GM0034"],
      finestLevel: "pc4",
      purpose: "beleid",
    };
    const preview = await call("POST", "/api/admin/grants/preview", admin, grant);
    expect(preview.status).toBe(200);
    expect(preview.body.levels).toEqual(["land", "gemeente", "wijk", "buurt", "pc4"]);
    expect((preview.body.profiles as string[]).length).toBeGreaterThan(0);
    expect((preview.body.recipients as { username: string }[]).map((r) => r.username)).toEqual(["beleid"]);
    expect((preview.body.areasByLevel as Record<string, number>).buurt).toBeGreaterThan(10);
    const bad = await call("POST", "/api/admin/grants", admin, { ...grant, finestLevel: "street" });
    expect(bad.status).toBe(422);
    expect(String(bad.body.detail)).toMatch(/grant\.finestLevel/);
    const beleid = await session("beleid");
    const id = ((await call("GET", "/api/profiles", beleid)).body.profiles as { id: string }[])[0]!.id;
    expect((await call("GET", `/api/profiles/${id}/values?level=buurt&parent=WK003401`, beleid)).status).toBe(
      403,
    );
    expect((await call("POST", "/api/admin/grants", admin, grant)).status).toBe(201);
    expect((await call("GET", `/api/profiles/${id}/values?level=buurt&parent=WK003401`, beleid)).status).toBe(
      200,
    );
    expect((await call("DELETE", `/api/admin/grants/${grant.id}`, admin)).status).toBe(204);
    expect((await call("GET", `/api/profiles/${id}/values?level=buurt&parent=WK003401`, beleid)).status).toBe(
      403,
    );
    const rows = await auditRows("admin-grant-create");
    expect(rows.at(-1)!.object).toBe("grant:test-policy-pc4 to:role:policy-advisor");
  });

  it("lists live sessions without tokens and lets the administrator end one", async () => {
    const victim = await session("beleid");
    const admin = await session("beheer");
    const list = (await call("GET", "/api/admin/sessions", admin)).body.sessions as {
      id: string;
      username: string;
    }[];
    expect(JSON.stringify(list)).not.toContain(victim.cookie.split("=")[1]!);
    const mine = list.filter((s) => s.username === "beleid");
    expect(mine.length).toBeGreaterThan(0);
    for (const s of mine)
      expect((await call("DELETE", `/api/admin/sessions/${s.id}`, admin)).status).toBe(204);
    expect((await call("GET", "/api/access/me", victim)).status).toBe(401);
  });
});

describe("the privacy officer's audit trail", () => {
  it("searches per user and object, exports CSV, verifies the chain; nobody else may", async () => {
    now += 901_000;
    const worker = await session("wijkwerker");
    const workerId = ((await call("GET", "/api/auth/session", worker)).body.user as { id: string }).id;
    await call("GET", "/api/areas/BU00340101/profile", worker);
    const officer = await session("privacy");
    const found = await call("GET", `/api/audit?actor=${workerId}&object=BU00340101`, officer);
    expect(found.status).toBe(200);
    const records = found.body.records as { actor: string; object: string; action: string; result: string }[];
    expect(found.body.total).toBe(records.length);
    expect(records.length).toBeGreaterThan(0);
    for (const r of records) {
      expect(r.actor).toBe(workerId);
      expect(r.object).toContain("BU00340101");
    }
    const byName = await call("GET", "/api/audit?actor=wijkwerker&action=login", officer);
    expect((byName.body.records as { actor: string }[]).every((r) => r.actor === workerId)).toBe(true);
    expect((byName.body.total as number) > 0).toBe(true);
    const bad = await call("GET", "/api/audit?from=yesterday", officer);
    expect(bad.status).toBe(400);
    expect(String(bad.body.detail)).toMatch(/from/);

    const csv = await fetch(`${url}/api/audit/export?actor=${workerId}`, {
      headers: { cookie: officer.cookie },
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split("\n");
    expect(lines[0]).toMatch(/^seq,occurredAt,actor/);
    expect(lines.length - 1).toBeGreaterThanOrEqual(records.length);

    const verify = await call("GET", "/api/audit/verify", officer);
    expect(verify.body).toMatchObject({ ok: true, problems: [] });
    expect(verify.body.records as number).toBeGreaterThan(20);

    for (const who of ["analist", "beheer", "wijkwerker"]) {
      const s = await session(who);
      expect((await call("GET", "/api/audit", s)).status).toBe(403);
    }
    expect((await call("GET", "/api/audit")).status).toBe(401);
    // Looking at the log is logged.
    const looked = await auditRows("audit-search");
    expect(looked.length).toBeGreaterThanOrEqual(2);
  });

  it("finds an edited record of the running server's trail", async () => {
    const officer = await session("privacy");
    await app.audit.flush();
    await db.transaction((ex) => ex.run("UPDATE audit_log SET object = 'area:GM0363' WHERE seq = 3"));
    const verify = await call("GET", "/api/audit/verify", officer);
    expect(verify.body.ok).toBe(false);
    expect(verify.body.problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ seq: 3, kind: "edited" })]),
    );
  });
});

describe("behind a reverse proxy", () => {
  it("takes https and the client's address from X-Forwarded-* only when trustProxy is set", async () => {
    for (const trustProxy of [true, false]) {
      const proxied = await buildApp({ db, logLevel: "silent", clock, security: { tls: true, trustProxy } });
      try {
        const base = await listenOnLoopback(proxied);
        const res = await fetch(`${base}/api/auth/login`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-forwarded-for": "203.0.113.9",
            "x-forwarded-proto": "https",
          },
          body: JSON.stringify({ username: "beleid", password: account("beleid").password }),
        });
        expect(res.status).toBe(200);
        const cookie = res.headers.get("set-cookie") ?? "";
        if (trustProxy) expect(cookie).toMatch(/; Secure/i);
        else expect(cookie).not.toMatch(/; Secure/i);
        await proxied.audit.flush();
        const last = await db.read((ex) =>
          ex.all<{ origin: string }>(
            "SELECT origin FROM audit_log WHERE action = 'login' ORDER BY seq DESC LIMIT 1",
          ),
        );
        expect(last[0]!.origin).toBe(trustProxy ? "http 203.0.113.9" : "http 127.0.0.1");
      } finally {
        await proxied.close();
      }
    }
  });
});
