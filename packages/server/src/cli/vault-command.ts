/**
 * `wijkradar vault …`: the microdata vault from the command line — register sources, import
 * deliveries, the PC6 lookup, retention, status, and a key file for a purpose. These commands open
 * the database file themselves (a running server holds it: stop it first). Every operation is
 * audited; nothing here prints a record, a pseudonym or a key.
 */
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { isoDateToDays } from "@wijkradar/core";
import { loadConfig, type Config } from "../config.js";
import { InputError, StoreError } from "../errors.js";
import { AuditLog } from "../store/audit-repository.js";
import { Database } from "../store/database.js";
import { listVaultSources, vaultStatus, type VaultSource } from "../store/vault-repository.js";
import { readServerFile } from "../server-file.js";
import { importMicrodata, type MicrodataImportReport } from "../vault/import-microdata.js";
import { createKeyFile, defaultKeyFile, loadKeyRing } from "../vault/keys.js";
import { importPc6Lookup, purge, registerSourcesFromFile } from "../vault/registry.js";
import { openBackend } from "./backend.js";
import { progressReporter } from "./progress.js";
import { cliUser, type Io } from "./shared.js";

interface DbFlags {
  db?: string;
  config?: string;
  keyFile?: string;
}

const actor = (): string => `cli:${cliUser()}`;

const dateArg = (v: string): string => {
  if (isoDateToDays(v) === undefined) throw new InvalidArgumentError("expected a date YYYY-MM-DD");
  return v;
};

function withFlags(cmd: Command): Command {
  return cmd
    .option("--db <file>", "DuckDB database file (env WIJKRADAR_DB, default ./data/wijkradar.duckdb)")
    .option("--config <file>", "config file, YAML or JSON (env WIJKRADAR_CONFIG)")
    .option("--key-file <file>", "pseudonymisation key file (env WIJKRADAR_KEY_FILE)");
}

async function withDb<T>(
  io: Io,
  flags: DbFlags,
  readOnly: boolean,
  fn: (db: Database, cfg: Config, audit: AuditLog) => Promise<T>,
): Promise<T> {
  const cfg = loadConfig({
    env: io.env,
    flags: { db: flags.db, config: flags.config, keyFile: flags.keyFile },
  });
  const db = await Database.open({ path: cfg.db, readOnly });
  const audit = new AuditLog(db);
  try {
    return await fn(db, cfg, audit);
  } finally {
    if (!readOnly) await audit.flush();
    db.close();
  }
}

function auditVault(audit: AuditLog, action: string, object: string): void {
  audit.record({
    at: new Date(),
    actor: actor(),
    roles: ["operator"],
    purpose: "vault-administration",
    action,
    object,
    released: 0,
    suppressed: 0,
    denied: 0,
    origin: "cli",
  });
}

export function printVaultReport(io: Io, r: MicrodataImportReport): void {
  const verb =
    r.status === "imported"
      ? "imported"
      : r.status === "unchanged"
        ? "unchanged"
        : "valid (dry run, nothing written)";
  io.out(`${r.file}: ${verb}`);
  io.out(
    `  source ${r.source} (${r.record}), ${r.rows} rows, ${r.imported} records${r.rejected ? `, ${r.rejected} rejected` : ""}; pseudonymised with key ${r.keyPurpose} v${r.keyVersion}`,
  );
  if (r.deliveryId !== undefined && r.status === "imported")
    io.out(
      `  vault delivery ${r.deliveryId}${r.replacedRows ? `, replaces ${r.replacedRows} earlier records of the source` : ""}`,
    );
  for (const p of r.problems) io.out(`  rejected: ${p}`);
  for (const n of r.notes) io.out(`  note: ${n}`);
  io.out(`  ${Math.round(r.durationMs)} ms, sha256 ${r.fileSha256.slice(0, 16)}…`);
}

export function registerVaultCommands(program: Command, io: Io): void {
  const vault = program
    .command("vault")
    .description("the microdata vault: sources, pseudonymised imports, PC6 lookup, retention");

  withFlags(
    vault
      .command("register")
      .description(
        "register (or update) microdata sources from a YAML/JSON file: organisation, legal basis, purpose, DPIA reference, retention, key purpose",
      )
      .argument("<file>", "registration file (one source, or `sources:` with a list)"),
  ).action(async (file: string, opts: DbFlags) => {
    await withDb(io, opts, false, async (db, _cfg, audit) => {
      const lines = await registerSourcesFromFile(db, file, actor(), new Date());
      for (const l of lines) {
        io.out(l);
        auditVault(audit, "vault.register", `source:${l.split(":")[0]}`);
      }
    });
  });

  withFlags(
    vault
      .command("sources")
      .description("list the registered microdata sources")
      .option("--json", "JSON output"),
  ).action(async (opts: DbFlags & { json?: boolean }) => {
    const cfg = loadConfig({ env: io.env, flags: { db: opts.db, config: opts.config } });
    const server = readServerFile(cfg.db);
    let sources: (Omit<VaultSource, "keyPurpose" | "registeredBy"> & { keyPurpose?: string })[];
    if (server) {
      // The register is public metadata: a running server that holds the file answers it.
      io.err(
        `wijkradar: the wijkradar server (PID ${server.pid}) at ${server.url} holds the database; asking it`,
      );
      let res: Response;
      try {
        res = await fetch(`${server.url}/api/vault/sources`);
      } catch (e) {
        throw new StoreError(
          `the wijkradar server at ${server.url} does not answer: ${(e as Error).message}`,
        );
      }
      if (!res.ok) throw new StoreError(`the wijkradar server answered ${res.status} for /api/vault/sources`);
      sources = ((await res.json()) as { sources: typeof sources }).sources;
    } else sources = await withDb(io, opts, true, (db) => listVaultSources(db));
    if (opts.json) io.out(JSON.stringify(sources, null, 2));
    else if (sources.length === 0) io.out("no microdata sources registered");
    else
      for (const s of sources)
        io.out(
          `${s.id.padEnd(24)} ${s.recordLevel.padEnd(9)}${s.keyPurpose ? ` key ${s.keyPurpose.padEnd(14)}` : ""} ${String(s.retentionMonths).padStart(4)} mo  ${s.organisation}${s.synthetic ? " (synthetic)" : ""}\n${" ".repeat(25)}basis: ${s.legalBasis}; DPIA ${s.dpiaReference}; purpose: ${s.purpose}`,
        );
  });

  withFlags(
    vault
      .command("import")
      .description(
        "import a microdata file (CSV or Parquet) of a registered source; identifiers are pseudonymised in memory; all rows or none",
      )
      .argument("<file>", "data file")
      .requiredOption(
        "--mapping <file>",
        "microdata mapping (YAML or JSON); see data/demo/microdata for examples",
      )
      .option("--dry-run", "validate and report, write nothing")
      .option("--no-detect", "do not test the profiles for early warning afterwards"),
  ).action(async (file: string, opts: DbFlags & { mapping: string; dryRun?: boolean; detect: boolean }) => {
    const progress = progressReporter("vault import");
    try {
      const report = await withDb(io, opts, false, async (db, cfg, audit) => {
        const r = await importMicrodata(db, {
          file,
          mappingFile: opts.mapping,
          keys: loadKeyRing(cfg, io.env),
          dryRun: opts.dryRun ?? false,
          onProgress: (phase, fraction) => progress.step(0, 1, file, phase as never, fraction),
        });
        if (r.status === "imported") {
          auditVault(audit, "vault.import", `source:${r.source} delivery:${r.deliveryId}`);
          await db.checkpoint();
        }
        return r;
      });
      progress.stop();
      printVaultReport(io, report);
      if (report.status === "imported" && opts.detect) {
        // The profiles' figures changed: early warning over the profiles (the open data is unchanged).
        const cfg = loadConfig({
          env: io.env,
          flags: { db: opts.db, config: opts.config, keyFile: opts.keyFile },
        });
        const backend = await openBackend(cfg, "write");
        try {
          const o = await backend.detect({ indicators: [], profiles: true });
          io.err(
            `wijkradar: early-warning run ${o.runId} over the profiles: ${o.alerts} alerts (${o.message ?? ""})`,
          );
        } finally {
          await backend.close();
        }
      }
    } finally {
      progress.stop();
    }
  });

  withFlags(
    vault
      .command("pc6")
      .description(
        "import a PC6 → buurt lookup (CSV: postcode, jaar, buurtcode, indeling); replaces the lookup of its years",
      )
      .argument("<file>", "CSV file"),
  ).action(async (file: string, opts: DbFlags) => {
    await withDb(io, opts, false, async (db, _cfg, audit) => {
      const r = await importPc6Lookup(db, file);
      auditVault(audit, "vault.pc6-lookup", `years:${r.years.join(",")}`);
      io.out(
        `${file}: ${r.rows} postcodes for ${r.years.join(", ")}${r.replaced ? ` (replaced ${r.replaced})` : ""}`,
      );
      for (const n of r.notes) io.out(`  note: ${n}`);
    });
  });

  withFlags(
    vault
      .command("purge")
      .description(
        "enforce retention: remove records that ended longer ago than their source's retention period",
      )
      .option("--dry-run", "count only")
      .option("--as-of <date>", "the date to count retention from (default: today)", dateArg),
  ).action(async (opts: DbFlags & { dryRun?: boolean; asOf?: string }) => {
    await withDb(io, opts, opts.dryRun === true, async (db, _cfg, audit) => {
      const asOf = opts.asOf ? new Date(`${opts.asOf}T00:00:00Z`) : new Date();
      const counts = await purge(db, asOf, opts.dryRun ?? false);
      if (counts.length === 0) io.out("no microdata sources registered");
      for (const c of counts)
        io.out(
          `${c.sourceId}: ${opts.dryRun ? "would remove" : "removed"} ${c.persons} register and ${c.facts} fact record(s) that ended before ${c.cutoff} (retention ${c.retentionMonths} months)`,
        );
      if (!opts.dryRun) {
        auditVault(audit, "vault.purge", `as-of:${asOf.toISOString().slice(0, 10)}`);
        await db.checkpoint();
      }
    });
  });

  withFlags(
    vault
      .command("status")
      .description("records, deliveries and periods per source (counts only)")
      .option("--json", "JSON output"),
  ).action(async (opts: DbFlags & { json?: boolean }) => {
    await withDb(io, opts, true, async (db) => {
      const status = await vaultStatus(db);
      if (opts.json) io.out(JSON.stringify(status, null, 2));
      else
        for (const s of status)
          io.out(
            `${s.sourceId.padEnd(24)} ${String(s.persons + s.facts).padStart(9)} records in ${s.deliveries} deliveries, ${s.validFrom ?? "-"} … ${s.validTo ?? "-"}`,
          );
    });
  });

  vault
    .command("keygen")
    .description("create a key file with a new random key for a purpose (owner-only; refuses to overwrite)")
    .requiredOption("--purpose <name>", "key purpose, e.g. wijkaanpak")
    .option("--key-file <file>", "where to write it (default: wijkradar-keys.yaml beside the database)")
    .option("--db <file>", "database file, to place the default key file beside it")
    .action((opts: { purpose: string; keyFile?: string; db?: string }) => {
      if (!/^[a-z][a-z0-9-]{1,62}$/.test(opts.purpose))
        throw new InputError("--purpose: expected lower-case letters, digits and - (2 to 63 characters)");
      const cfg = loadConfig({ env: io.env, flags: { db: opts.db } });
      const path = opts.keyFile ?? defaultKeyFile(cfg.db);
      createKeyFile(path, opts.purpose);
      io.out(
        `${path}: created with a new key for purpose ${opts.purpose} (mode 600). Keep it secret and back it up apart from the database.`,
      );
    });
}
