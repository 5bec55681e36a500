/**
 * `wijkradar orgs|users`: the first administrator of an installation without the demo, from the
 * command line, on a real database file; one-time passwords printed once and usable for a login over
 * HTTP; disabling; clear errors naming the problem; every change audited.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildApp } from "../src/api/app.js";
import { totpCode } from "../src/auth/totp.js";
import { main } from "../src/cli/main.js";
import { EXIT } from "../src/errors.js";
import { Database } from "../src/store/database.js";
import { listenOnLoopback, tempDir } from "./fixtures.js";

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["node", "wijkradar", ...args], {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    env: {},
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("wijkradar orgs and users", () => {
  it("creates the first administrator with a one-time password and TOTP secret that log in", async () => {
    const db = join(tempDir(), "w.duckdb");
    (await Database.open({ path: db })).close(); // an installation without the demo
    expect((await run(["users", "list", "--db", db])).out).toMatch(/no users yet/);
    const noOrg = await run([
      "users",
      "add",
      "beheerder",
      "--role",
      "admin",
      "--org",
      "gemeente-x",
      "--db",
      db,
    ]);
    expect(noOrg.code).toBe(EXIT.dataErr);
    expect(noOrg.err).toMatch(/organisation gemeente-x does not exist/);
    expect((await run(["orgs", "add", "gemeente-x", "Gemeente X", "--db", db])).code).toBe(EXIT.ok);
    const badRole = await run([
      "users",
      "add",
      "iemand",
      "--role",
      "boss",
      "--org",
      "gemeente-x",
      "--db",
      db,
    ]);
    expect(badRole.code).toBe(EXIT.usage);
    expect(badRole.err).toMatch(/boss/);
    const added = await run([
      "users",
      "add",
      "beheerder",
      "--role",
      "admin",
      "--org",
      "gemeente-x",
      "--db",
      db,
    ]);
    expect(added.code).toBe(EXIT.ok);
    const password = /one-time password: (\S+)/.exec(added.out)![1]!;
    const secret = /TOTP\) secret: ([A-Z2-7]+)/.exec(added.out)![1]!;
    expect((await run(["users", "list", "--db", db])).out).toMatch(
      /beheerder\s+admin\s+gemeente-x\s+active\s+2FA/,
    );

    const database = await Database.open({ path: db });
    const app = await buildApp({ db: database, logLevel: "silent" });
    try {
      const url = await listenOnLoopback(app);
      const res = await fetch(`${url}/api/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "beheerder", password, totp: totpCode(secret) }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { user: { role: string } }).user.role).toBe("admin");
    } finally {
      await app.close();
      database.close();
    }

    expect((await run(["users", "disable", "beheerder", "--db", db])).out).toMatch(/disabled/);
    const reset = await run(["users", "reset-password", "beheerder", "--db", db]);
    expect(reset.out).toMatch(/one-time password \S{23}/);
    expect(reset.out).not.toContain(password);
    const check = await Database.open({ path: db, readOnly: true });
    const rows = await check.read((ex) =>
      ex.all<{ action: string; actor: string }>(
        "SELECT action, actor FROM audit_log WHERE action LIKE 'admin-%' ORDER BY seq",
      ),
    );
    check.close();
    expect(rows.map((r) => r.action)).toEqual([
      "admin-organisation-create",
      "admin-user-create",
      "admin-user-update",
      "admin-user-password-reset",
    ]);
    for (const r of rows) expect(r.actor).toMatch(/^cli:/);
  });
});
