/**
 * `wijkradar users …` and `wijkradar orgs …`: accounts from the command line — for the first
 * administrator of an installation without the demo, and for when nobody can log in. Passwords are
 * random one-time passwords printed once (never typed on a command line, where shells keep history);
 * an administrator's TOTP secret is printed once too. These commands open the database file
 * themselves (stop a running server first) and every change is audited.
 */
import { existsSync } from "node:fs";
import { ROLES } from "@wijkradar/core";
import { type Command, Option } from "commander";
import { PolicyStore } from "../auth/policy-store.js";
import { loadConfig } from "../config.js";
import { InputError, StoreError } from "../errors.js";
import { readServerFile } from "../server-file.js";
import { AdminService, ORGANISATION_KINDS } from "../services/admin-service.js";
import { AuditLog } from "../store/audit-repository.js";
import { Database } from "../store/database.js";
import { cliUser, type Io } from "./shared.js";

interface DbFlags {
  db?: string;
  config?: string;
}

const dbFlags = (cmd: Command): Command =>
  cmd
    .option("--db <file>", "DuckDB database file (env WIJKRADAR_DB, default ./data/wijkradar.duckdb)")
    .option("--config <file>", "config file, YAML or JSON (env WIJKRADAR_CONFIG)");

async function withAdmin<T>(
  io: Io,
  flags: DbFlags,
  fn: (admin: AdminService, record: (action: string, object: string) => void) => Promise<T>,
): Promise<T> {
  const cfg = loadConfig({ env: io.env, flags: { db: flags.db, config: flags.config } });
  const server = readServerFile(cfg.db);
  if (server)
    throw new StoreError(
      `the wijkradar server (PID ${server.pid}) at ${server.url} holds ${cfg.db}; stop it first, or use the administration in the dashboard`,
    );
  if (!existsSync(cfg.db))
    throw new InputError(
      `cannot read ${cfg.db}: the database does not exist (start wijkradar once to create it)`,
    );
  const db = await Database.open({ path: cfg.db });
  const audit = new AuditLog(db);
  try {
    const admin = new AdminService(db, await PolicyStore.fromDatabase(db), undefined, undefined);
    const actor = `cli:${cliUser()}`;
    return await fn(admin, (action, object) =>
      audit.record({
        at: new Date(),
        actor,
        roles: ["operator"],
        purpose: "beheer",
        action,
        object,
        released: 0,
        suppressed: 0,
        denied: 0,
        origin: "cli",
      }),
    );
  } finally {
    await audit.flush();
    db.close();
  }
}

export function registerUserCommands(program: Command, io: Io): void {
  const orgs = program.command("orgs").description("organisations whose users get grants (administration)");
  dbFlags(orgs.command("list").description("list the organisations")).action(async (opts: DbFlags) => {
    await withAdmin(io, opts, async (admin) => {
      const list = await admin.organisations();
      if (list.length === 0) io.out("no organisations yet: wijkradar orgs add <id> <name> --kind gemeente");
      for (const o of list) io.out(`${o.id.padEnd(28)} ${o.kind.padEnd(10)} ${o.name}`);
    });
  });
  dbFlags(
    orgs
      .command("add <id> <name>")
      .description("add an organisation (id: lower-case letters, digits, '-')")
      .addOption(
        new Option("--kind <kind>", "kind of organisation").choices(ORGANISATION_KINDS).default("gemeente"),
      ),
  ).action(async (id: string, name: string, opts: DbFlags & { kind: string }) => {
    await withAdmin(io, opts, async (admin, record) => {
      await admin.createOrganisation({ id, name, kind: opts.kind });
      record("admin-organisation-create", `organisation:${id}`);
      io.out(`organisation ${id} added`);
    });
  });

  const users = program.command("users").description("user accounts and their roles (administration)");
  dbFlags(users.command("list").description("list the users (never a password or secret)")).action(
    async (opts: DbFlags) => {
      await withAdmin(io, opts, async (admin) => {
        const list = await admin.users();
        if (list.length === 0)
          io.out("no users yet: wijkradar users add <name> --role admin --org <organisation>");
        for (const u of list)
          io.out(
            `${u.username.padEnd(20)} ${u.role.padEnd(16)} ${u.organisationId.padEnd(24)} ${u.disabled ? "disabled" : "active  "} ${u.secondFactor ? "2FA" : "   "} ${u.displayName}`,
          );
      });
    },
  );
  dbFlags(
    users
      .command("add <username>")
      .description("add a user; prints a one-time password (and an administrator's TOTP secret) once")
      .addOption(new Option("--role <role>", "the user's role").choices(ROLES).makeOptionMandatory())
      .requiredOption("--org <organisation>", "the organisation's id (wijkradar orgs list)")
      .option("--name <display name>", "the name shown in the dashboard")
      .option("--purpose <purpose>", "the purpose the user works for (default: the role's)"),
  ).action(
    async (
      username: string,
      opts: DbFlags & { role: string; org: string; name?: string; purpose?: string },
    ) => {
      await withAdmin(io, opts, async (admin, record) => {
        const created = await admin.createUser({
          username,
          displayName: opts.name ?? username,
          organisationId: opts.org,
          role: opts.role,
          ...(opts.purpose ? { purpose: opts.purpose } : {}),
        });
        record("admin-user-create", `user:${created.user.id} role:${created.user.role}`);
        io.out(`user ${created.user.username} (${created.user.role}, ${created.user.organisationId}) added`);
        io.out(
          `  one-time password: ${created.oneTimePassword} (shown only now; change it after logging in)`,
        );
        if (created.totp)
          io.out(
            `  second factor (TOTP) secret: ${created.totp.secret} — add it to an authenticator app: ${created.totp.uri}`,
          );
      });
    },
  );
  const change = (name: string, description: string, body: Record<string, unknown>, action: string) =>
    dbFlags(users.command(`${name} <username>`).description(description)).action(
      async (username: string, opts: DbFlags) => {
        await withAdmin(io, opts, async (admin, record) => {
          const r = await admin.updateUser(username, body);
          record(action, `user:${r.user.id} fields:${Object.keys(body).join(",")}`);
          io.out(`user ${r.user.username}: ${r.user.disabled ? "disabled" : "active"}`);
        });
      },
    );
  change("disable", "disable a user (their sessions end)", { disabled: true }, "admin-user-update");
  change("enable", "enable a disabled user", { disabled: false }, "admin-user-update");
  dbFlags(
    users.command("reset-password <username>").description("a new one-time password, printed once"),
  ).action(async (username: string, opts: DbFlags) => {
    await withAdmin(io, opts, async (admin, record) => {
      const r = await admin.resetPassword(username);
      record("admin-user-password-reset", `user:${username}`);
      io.out(`${username}: one-time password ${r.oneTimePassword} (shown only now)`);
    });
  });
  dbFlags(
    users.command("totp <username>").description("a new second-factor (TOTP) secret, printed once"),
  ).action(async (username: string, opts: DbFlags) => {
    await withAdmin(io, opts, async (admin, record) => {
      const r = await admin.enrolTotp(username);
      record("admin-user-totp", `user:${username}`);
      io.out(`${username}: TOTP secret ${r.secret} — add it to an authenticator app: ${r.uri}`);
    });
  });
}
