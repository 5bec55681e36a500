/**
 * A server for the board and intervention tests: a copy of the demo database, three organisations,
 * users of the board roles logged in with real sessions, and real grants in the database:
 *
 * - `fw01`: field worker of gemeente-almere for Almere-Haven (WK003401), every domain, purpose wijkaanpak;
 * - `fw02`: field worker of gemeente-almere for WK003402 only ("a field worker of another area");
 * - `politie`: partner of the police, safety and health in Almere (GM0034), purpose samenwerking;
 * - `corporatie`: partner of the housing corporation, housing only in Almere;
 * - `analist`: analyst of gemeente-almere, every domain in Almere, purpose analyse.
 */
import { DOMAINS } from "@wijkradar/core";
import { expect } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { Database } from "../src/store/database.js";
import { demoDbCopy, listenOnLoopback } from "./fixtures.js";

export interface Session {
  readonly cookie: string;
  readonly csrf: string;
}

export interface Reply {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

export interface BoardWorld {
  db: Database;
  app: App;
  url: string;
  sessions: Record<"fw01" | "fw02" | "politie" | "corporatie" | "analist", Session>;
  call(
    method: string,
    path: string,
    s?: Session,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Reply>;
  /** Audit records written so far (after a flush). */
  auditCount(): Promise<number>;
  /** Calls and checks that exactly one audit record was written for the request; returns it with the reply. */
  callAudited(
    method: string,
    path: string,
    s?: Session,
    body?: unknown,
  ): Promise<Reply & { audit: { action: string; object: string; result: string } }>;
  close(): Promise<void>;
}

/** Today on the test server's clock, and a date some days away from it (YYYY-MM-DD). */
export const NOW = Date.parse("2026-11-22T09:00:00Z");
export const dayFromNow = (days: number): string =>
  new Date(NOW + days * 86_400_000).toISOString().slice(0, 10);

export async function boardWorld(): Promise<BoardWorld> {
  const db = await Database.open({ path: demoDbCopy() });
  const app = await buildApp({ db, logLevel: "silent", clock: () => NOW });
  const url = await listenOnLoopback(app);
  for (const id of ["gemeente-almere", "politie", "corporatie"])
    await app.admin.createOrganisation({ id, name: id, kind: "other" });
  const specs = {
    fw01: { role: "field-worker", org: "gemeente-almere" },
    fw02: { role: "field-worker", org: "gemeente-almere" },
    politie: { role: "partner", org: "politie" },
    corporatie: { role: "partner", org: "corporatie" },
    analist: { role: "analyst", org: "gemeente-almere" },
  } as const;
  const ids: Record<string, string> = {};
  for (const [username, s] of Object.entries(specs)) {
    const created = await app.admin.createUser({
      username,
      displayName: `Tester ${username}`,
      organisationId: s.org,
      role: s.role,
      password: `proef-wachtwoord-lang-${username.length}x`,
    });
    ids[username] = created.user.id;
  }
  const grant = (g: Record<string, unknown>) => app.admin.createGrant(g, "test");
  await grant({
    id: "fw01-haven",
    to: { kind: "user", id: ids.fw01 },
    what: { domains: [...DOMAINS] },
    areas: ["WK003401"],
    purpose: "wijkaanpak",
  });
  await grant({
    id: "fw02-stad",
    to: { kind: "user", id: ids.fw02 },
    what: { domains: [...DOMAINS] },
    areas: ["WK003402"],
    purpose: "wijkaanpak",
  });
  await grant({
    id: "politie-almere",
    to: { kind: "organisation", id: "politie" },
    what: { domains: ["safety", "health"] },
    areas: ["GM0034"],
    purpose: "samenwerking",
  });
  await grant({
    id: "corporatie-almere",
    to: { kind: "organisation", id: "corporatie" },
    what: { domains: ["housing"] },
    areas: ["GM0034"],
    purpose: "samenwerking",
  });
  await grant({
    id: "analist-almere",
    to: { kind: "role", id: "analyst" },
    what: { domains: [...DOMAINS] },
    areas: ["GM0034"],
    purpose: "analyse",
  });

  const sessions = {} as BoardWorld["sessions"];
  for (const username of Object.keys(specs) as (keyof typeof specs)[]) {
    const res = await fetch(`${url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password: `proef-wachtwoord-lang-${username.length}x` }),
    });
    const body = (await res.json()) as { csrfToken: string };
    expect(res.status).toBe(200);
    sessions[username] = {
      cookie: (res.headers.get("set-cookie") ?? "").split(";")[0]!,
      csrf: body.csrfToken,
    };
  }

  const call: BoardWorld["call"] = async (method, path, s, body, headers = {}) => {
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
    return { status: res.status, text, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const auditCount = async () => {
    await app.audit.flush();
    const rows = await db.read((ex) => ex.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM audit_log"));
    return rows[0]!.n;
  };
  const callAudited: BoardWorld["callAudited"] = async (method, path, s, body) => {
    const before = await auditCount();
    const reply = await call(method, path, s, body);
    await app.audit.flush();
    const rows = await db.read((ex) =>
      ex.all<{ action: string; object: string; result: string }>(
        "SELECT action, object, result FROM audit_log ORDER BY seq DESC LIMIT 1",
      ),
    );
    expect((await auditCount()) - before, `${method} ${path}: one audit record`).toBe(1);
    return { ...reply, audit: rows[0]! };
  };
  return {
    db,
    app,
    url,
    sessions,
    call,
    auditCount,
    callAudited,
    async close() {
      await app.close();
      db.close();
    },
  };
}
