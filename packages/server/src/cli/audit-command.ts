/**
 * `wijkradar audit verify|search|export|prune`: the hash-chained audit trail from the command line —
 * check the chain (optionally against a head kept outside the database), search and export records,
 * and apply retention with an anchor. These commands open the database file themselves (a running
 * server holds it: stop it first). Reading or pruning the trail is audited too.
 */
import { createWriteStream, existsSync, renameSync, rmSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type Command, InvalidArgumentError, Option } from "commander";
import { stringify } from "csv-stringify";
import { loadConfig } from "../config.js";
import { InputError, StoreError } from "../errors.js";
import { readServerFile } from "../server-file.js";
import {
  AUDIT_RESULTS,
  AuditLog,
  exportAudit,
  parseAuditTime,
  pruneAudit,
  searchAudit,
  verifyChain,
  type AuditFilter,
  type AuditResult,
  type AuditRow,
} from "../store/audit-repository.js";
import { Database } from "../store/database.js";
import { cliUser, type Io } from "./shared.js";

interface DbFlags {
  db?: string;
  config?: string;
}

interface FilterFlags {
  actor?: string;
  object?: string;
  action?: string;
  result?: AuditResult;
  from?: string;
  to?: string;
  organisation?: string;
}

const actor = (): string => `cli:${cliUser()}`;

const withDbFlags = (cmd: Command): Command =>
  cmd
    .option("--db <file>", "DuckDB database file (env WIJKRADAR_DB, default ./data/wijkradar.duckdb)")
    .option("--config <file>", "config file, YAML or JSON (env WIJKRADAR_CONFIG)");

/** A date flag: YYYY-MM-DD (UTC) or an ISO time; commander names the flag in its error. */
const dateArg = (v: string): string => {
  try {
    parseAuditTime(v, "date");
  } catch {
    throw new InvalidArgumentError("expected a date YYYY-MM-DD or an ISO time such as 2025-01-31T12:00:00Z");
  }
  return v;
};

const wholeNumber = (min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < min || n > max)
    throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
  return n;
};

const hashArg = (v: string): string => {
  if (!/^[0-9a-f]{64}$/i.test(v.trim()))
    throw new InvalidArgumentError("expected a sha256 hash: 64 hexadecimal digits");
  return v.trim().toLowerCase();
};

function withFilterFlags(cmd: Command): Command {
  return cmd
    .option("--actor <text>", "user id, or a part of it or of the user's name (also matches on behalf of)")
    .option("--object <text>", "a part of the object: area code, indicator, profile, export")
    .option("--action <action>", "this action exactly (e.g. values, export, profile-values, audit-prune)")
    .addOption(new Option("--result <result>", "this result").choices(AUDIT_RESULTS))
    .option("--organisation <id>", "this organisation")
    .option("--from <date>", "from this UTC date (YYYY-MM-DD) or ISO time, inclusive", dateArg)
    .option("--to <date>", "up to this UTC date (the whole day) or ISO time, inclusive", dateArg);
}

const filterOf = (o: FilterFlags): AuditFilter => ({
  ...(o.actor ? { actor: o.actor } : {}),
  ...(o.object ? { object: o.object } : {}),
  ...(o.action ? { action: o.action } : {}),
  ...(o.result ? { result: o.result } : {}),
  ...(o.organisation ? { organisation: o.organisation } : {}),
  ...(o.from ? { from: o.from } : {}),
  ...(o.to ? { to: o.to } : {}),
});

const describeFilter = (f: AuditFilter): string =>
  Object.entries(f)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(" ");

/** Opens the database file read-write (the audit commands record themselves) and always closes it. */
async function withAuditDb<T>(
  io: Io,
  flags: DbFlags,
  fn: (db: Database, audit: AuditLog) => Promise<T>,
): Promise<T> {
  const cfg = loadConfig({ env: io.env, flags: { db: flags.db, config: flags.config } });
  const server = readServerFile(cfg.db);
  if (server)
    throw new StoreError(
      `the wijkradar server (PID ${server.pid}) at ${server.url} holds ${cfg.db}; the audit commands open the file themselves: stop the server first`,
    );
  if (!existsSync(cfg.db)) throw new InputError(`cannot read ${cfg.db}: the database does not exist`);
  const db = await Database.open({ path: cfg.db });
  const audit = new AuditLog(db);
  try {
    // Chains the trail of before the hash chain, if this database still has one.
    await audit.ready();
    return await fn(db, audit);
  } finally {
    await audit.flush();
    db.close();
  }
}

function auditOperator(audit: AuditLog, action: string, object: string, released = 0): void {
  audit.record({
    at: new Date(),
    actor: actor(),
    roles: ["operator"],
    purpose: "audit",
    action,
    object,
    released,
    suppressed: 0,
    denied: 0,
    origin: "cli",
  });
}

const counts = (r: AuditRow): string => `${r.released}/${r.suppressed}/${r.denied}`;

/** One line per record: seq, time, actor (for whom), action, object, result, released/suppressed/denied, origin. */
export function auditLine(r: AuditRow): string {
  const who = r.onBehalfOf ? `${r.actor} for ${r.onBehalfOf}` : r.actor;
  const org = r.organisation ? ` (${r.organisation})` : "";
  return `${String(r.seq).padStart(7)} ${r.occurredAt} ${who}${org} ${r.action} ${r.object} ${r.result} ${counts(r)} ${r.origin}`;
}

export const AUDIT_CSV_COLUMNS = [
  "seq",
  "occurredAt",
  "actor",
  "onBehalfOf",
  "organisation",
  "roles",
  "purpose",
  "action",
  "object",
  "result",
  "released",
  "suppressed",
  "denied",
  "origin",
] as const;

export function registerAuditCommands(program: Command, io: Io): void {
  const audit = program
    .command("audit")
    .description("the hash-chained audit trail: verify the chain, search, export, prune (retention)");

  withDbFlags(
    audit
      .command("verify")
      .description(
        "check the chain: every record's hash, the links, no gaps, the stored head; exit 65 listing the problems",
      )
      .option(
        "--expect-head <hash>",
        "a head hash kept outside the database (printed by an earlier verify): it must be in the chain",
        hashArg,
      ),
  ).action(async (opts: DbFlags & { expectHead?: string }) => {
    await withAuditDb(io, opts, async (db, log) => {
      const r = await verifyChain(db, opts.expectHead ? { expectHead: opts.expectHead } : {});
      auditOperator(log, "audit-verify", `audit:${r.firstSeq ?? "-"}-${r.lastSeq ?? "-"}`);
      const range = r.firstSeq === null ? "-" : `${r.firstSeq}..${r.lastSeq}`;
      if (r.ok) {
        io.out(`ok: ${r.records} records, seq ${range}, head ${r.head}`);
        return;
      }
      for (const p of r.problems) io.out(`${p.kind} at seq ${p.seq}: ${p.detail}`);
      if (r.omitted) io.out(`… and ${r.omitted} more problems`);
      throw new InputError(
        `the audit trail does not verify: ${r.problems.length + r.omitted} problem(s) in ${r.records} records (seq ${range})`,
      );
    });
  });

  withDbFlags(
    withFilterFlags(
      audit
        .command("search")
        .description("search the audit trail, newest first")
        .option("--limit <n>", "at most this many (1 to 1000, default 50)", wholeNumber(1, 1000), 50)
        .option("--offset <n>", "skip this many", wholeNumber(0, Number.MAX_SAFE_INTEGER), 0)
        .option("--json", "JSON output"),
    ),
  ).action(async (opts: DbFlags & FilterFlags & { limit: number; offset: number; json?: boolean }) => {
    const filter = filterOf(opts);
    await withAuditDb(io, opts, async (db, log) => {
      const rows = await searchAudit(db, { ...filter, limit: opts.limit, offset: opts.offset });
      auditOperator(log, "audit-search", `audit:${describeFilter(filter) || "all"}`, rows.length);
      if (opts.json) io.out(JSON.stringify(rows, null, 2));
      else {
        for (const r of rows) io.out(auditLine(r));
        io.err(
          `wijkradar: ${rows.length} record(s)${rows.length === opts.limit ? ` (more with --offset ${opts.offset + opts.limit})` : ""}`,
        );
      }
    });
  });

  withDbFlags(
    withFilterFlags(
      audit
        .command("export")
        .description("export the records matching the filters as CSV, oldest first")
        .requiredOption("--out <file>", "CSV file to write"),
    ),
  ).action(async (opts: DbFlags & FilterFlags & { out: string }) => {
    const filter = filterOf(opts);
    await withAuditDb(io, opts, async (db, log) => {
      let n = 0;
      const rows = async function* () {
        for await (const r of exportAudit(db, filter)) {
          n++;
          yield { ...r, roles: r.roles.join(",") };
        }
      };
      // Written beside the target and renamed: a failed export leaves no half file.
      const part = `${opts.out}.part`;
      try {
        await pipeline(
          Readable.from(rows()),
          stringify({ header: true, columns: [...AUDIT_CSV_COLUMNS] }),
          createWriteStream(part),
        );
        renameSync(part, opts.out);
      } catch (e) {
        rmSync(part, { force: true });
        throw e;
      }
      auditOperator(log, "audit-export", `audit:${describeFilter(filter) || "all"}`, n);
      io.out(`${n} record(s) written to ${opts.out}`);
    });
  });

  const prune = withDbFlags(
    audit
      .command("prune")
      .description(
        "retention: remove the records older than a date, keeping an anchor so the rest still verifies",
      )
      .option("--before <date>", "remove records before this UTC date (YYYY-MM-DD) or ISO time", dateArg)
      .addOption(
        new Option("--older-than-days <n>", "remove records older than this many days")
          .argParser(wholeNumber(1, 1_000_000))
          .conflicts("before"),
      ),
  );
  prune.action(async (opts: DbFlags & { before?: string; olderThanDays?: number }) => {
    if (opts.before === undefined && opts.olderThanDays === undefined)
      prune.error("error: give --before <date> or --older-than-days <n>");
    const before =
      opts.before !== undefined
        ? new Date(parseAuditTime(opts.before, "--before").ms)
        : new Date(Date.now() - opts.olderThanDays! * 86_400_000);
    await withAuditDb(io, opts, async (db) => {
      const r = await pruneAudit(db, before, actor(), "cli");
      if (r.anchor)
        io.out(
          `pruned ${r.removed} record(s) before ${before.toISOString()} (seq ${r.fromSeq}..${r.toSeq}); anchor seq ${r.anchor.seq}, hash ${r.anchor.hash}`,
        );
      else io.out(`nothing to prune before ${before.toISOString()}`);
      if (r.stoppedAt)
        io.err(
          `wijkradar: pruning stopped at seq ${r.stoppedAt.seq}: ${r.stoppedAt.detail}; nothing after it was removed (run \`wijkradar audit verify\`)`,
        );
    });
  });
}
