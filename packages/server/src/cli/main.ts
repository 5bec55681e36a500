/**
 * The `wijkradar` command line: serve, import, areas, indicators, export, vault, profile, synth, detect, alerts, audit, users, orgs. Exit codes: 0 ok, 64 usage,
 * 65 bad input data, 66 missing input, 70 internal error, 75 database busy, 77 not allowed, 78 bad configuration.
 */
import { writeFileSync } from "node:fs";
import { AREA_LEVELS, normaliseAreaCode, type AreaLevel } from "@wijkradar/core";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { loadConfig, type Config } from "../config.js";
import { AccessDeniedError, ConfigError, EXIT, InputError, NotFoundError, StoreError } from "../errors.js";
import type { ImportReport } from "../ingest/import-service.js";
import { startServer } from "../main.js";
import { openBackend, type Backend } from "./backend.js";
import { toCsv } from "./csv-export.js";
import { progressReporter } from "./progress.js";
import type { Io } from "./shared.js";
import { registerSynthCommand } from "./synth-command.js";
import { registerVaultCommands } from "./vault-command.js";
import { registerProfileCommands } from "./profile-command.js";
import { registerDetectCommands } from "./detect-command.js";
import { registerAuditCommands } from "./audit-command.js";
import { registerUserCommands } from "./users-command.js";

const levelOption = (desc: string) => new Option("--level <level>", desc).choices(AREA_LEVELS);
const yearArg = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1900 || n > 2100)
    throw new InvalidArgumentError("expected a year such as 2020");
  return n;
};

function dbFlags(cmd: Command): Command {
  return cmd
    .option("--db <file>", "DuckDB database file (env WIJKRADAR_DB, default ./data/wijkradar.duckdb)")
    .option("--config <file>", "config file, YAML or JSON (env WIJKRADAR_CONFIG)");
}

function config(io: Io, flags: Record<string, unknown>): Config {
  return loadConfig({ env: io.env, flags: flags });
}

function printReport(io: Io, r: ImportReport): void {
  const verb =
    r.status === "imported"
      ? "imported"
      : r.status === "unchanged"
        ? "unchanged"
        : "valid (dry run, nothing written)";
  io.out(`${r.file}: ${verb}`);
  if (r.status !== "unchanged") {
    io.out(
      `  source ${r.source}, division ${r.division}, ${r.rows} rows, ${r.values} values, ${r.areas} areas registered`,
    );
    io.out(`  periods ${r.periods.join(", ") || "-"}; ${r.indicators.length} indicators`);
  }
  if (r.deliveryId !== undefined && r.status === "imported") {
    io.out(
      `  delivery ${r.deliveryId}${r.replacedDeliveries?.length ? `, replaces ${r.replacedValues} values of deliveries ${r.replacedDeliveries.join(", ")}` : ""}${r.derivedValues ? `, ${r.derivedValues} parent values derived` : ""}`,
    );
  }
  for (const n of r.notes) io.out(`  note: ${n}`);
  io.out(`  ${Math.round(r.durationMs)} ms, sha256 ${r.fileSha256.slice(0, 16)}…`);
}

/** Runs a command against the right backend and always closes it. */
async function withBackend<T>(
  io: Io,
  cfg: Config,
  mode: "read" | "write",
  fn: (b: Backend) => Promise<T>,
): Promise<T> {
  const backend = await openBackend(cfg, mode);
  if (backend.via) io.err(`wijkradar: ${backend.via}`);
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

/** Builds the program; `main` runs it. Exposed for tests. */
export function buildProgram(io: Io): Command {
  const program = new Command("wijkradar")
    .description("Early-warning system for neighbourhoods: aggregates per area, open methods.")
    .version("0.1.0")
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)");

  dbFlags(
    program
      .command("serve")
      .description(
        "start the API on the embedded DuckDB database; loads the bundled demo data into an empty database",
      )
      .option("--port <port>", "port (env WIJKRADAR_PORT, default 8080)")
      .option("--host <host>", "address to listen on (env WIJKRADAR_HOST, default 127.0.0.1)")
      .option("--no-demo", "do not load the demo data into an empty database")
      .addOption(
        new Option("--log-level <level>", "log level (env WIJKRADAR_LOG_LEVEL, default warn)").choices([
          "fatal",
          "error",
          "warn",
          "info",
          "debug",
          "trace",
          "silent",
        ]),
      ),
  ).action(
    async (opts: {
      port?: string;
      host?: string;
      db?: string;
      config?: string;
      demo: boolean;
      logLevel?: string;
    }) => {
      const cfg = config(io, {
        port: opts.port,
        host: opts.host,
        db: opts.db,
        config: opts.config,
        demo: opts.demo === false ? false : undefined,
        logLevel: opts.logLevel,
      });
      const running = await startServer(cfg, { log: io.err });
      await running.closed;
    },
  );

  dbFlags(
    program
      .command("import")
      .description(
        "import an aggregate table (CSV, GeoJSON or TopoJSON) driven by a mapping file; all rows or none",
      )
      .argument("<file>", "data file")
      .requiredOption("--mapping <file>", "mapping file (YAML or JSON); see data/demo/mappings for examples")
      .option("--dry-run", "validate and report, write nothing")
      .option("--no-detect", "do not run the early-warning detectors for the delivery's division afterwards"),
  ).action(
    async (
      file: string,
      opts: { mapping: string; dryRun?: boolean; detect: boolean; db?: string; config?: string },
    ) => {
      const progress = progressReporter("import");
      try {
        const cfg = config(io, { db: opts.db, config: opts.config });
        await withBackend(io, cfg, opts.dryRun ? "read" : "write", async (b) => {
          const report = await b.import(file, opts.mapping, opts.dryRun ?? false, (p, f) =>
            progress.step(0, 1, file, p, f),
          );
          progress.stop();
          printReport(io, report);
          // A server runs its own detection after an import; the file path runs it here.
          if (report.status === "imported" && opts.detect && !b.via) {
            const outcome = await b.detect({ divisions: [report.division] });
            io.err(
              `wijkradar: early-warning run ${outcome.runId} for division ${report.division}: ${outcome.alerts} alerts (${outcome.message ?? ""})`,
            );
          }
        });
      } finally {
        progress.stop();
      }
    },
  );

  dbFlags(
    program
      .command("areas")
      .description("list or search areas")
      .addOption(levelOption("only this level"))
      .option("--parent <code>", "children of this area")
      .option("-q, --query <text>", "search by name or code")
      .option("--division <year>", "division year", yearArg)
      .option("--limit <n>", "at most this many", (v) => Number(v), 50)
      .option("--json", "JSON output"),
  ).action(
    async (opts: {
      level?: AreaLevel;
      parent?: string;
      query?: string;
      division?: number;
      limit: number;
      json?: boolean;
      db?: string;
      config?: string;
    }) => {
      const cfg = config(io, { db: opts.db, config: opts.config });
      const areas = await withBackend(io, cfg, "read", (b) =>
        b.areas({
          level: opts.level,
          parent: opts.parent === undefined ? undefined : normaliseAreaCode(opts.parent),
          q: opts.query,
          division: opts.division,
          limit: opts.limit,
        }),
      );
      if (opts.json) io.out(JSON.stringify(areas, null, 2));
      else
        for (const a of areas)
          io.out(`${a.code.padEnd(11)} ${a.level.padEnd(8)} ${String(a.division)}  ${a.name ?? "(no name)"}`);
    },
  );

  dbFlags(
    program.command("indicators").description("list the indicator catalogue").option("--json", "JSON output"),
  ).action(async (opts: { json?: boolean; db?: string; config?: string }) => {
    const cfg = config(io, { db: opts.db, config: opts.config });
    const list = await withBackend(io, cfg, "read", (b) => b.indicators());
    if (opts.json) io.out(JSON.stringify(list, null, 2));
    else
      for (const i of list)
        io.out(
          `${i.id.padEnd(36)} ${i.domain.padEnd(20)} ${i.kind.padEnd(14)} ${i.periods.join(",")}  ${i.name.nl}`,
        );
  });

  dbFlags(
    program
      .command("export")
      .description("export one indicator at a level as CSV, with the source attribution line")
      .argument("<indicator>", "indicator id (see `wijkradar indicators`)")
      .addOption(levelOption("area level (default: the level with most values)"))
      .option("--period <period>", "period (default: the newest)")
      .option("--parent <code>", "only areas under this area")
      .option("--division <year>", "division year", yearArg)
      .option("-o, --output <file>", "write to this file instead of standard output"),
  ).action(
    async (
      id: string,
      opts: {
        level?: AreaLevel;
        period?: string;
        parent?: string;
        division?: number;
        output?: string;
        db?: string;
        config?: string;
      },
    ) => {
      const cfg = config(io, { db: opts.db, config: opts.config });
      // Read-write: the export is audited like any other release.
      const body = await withBackend(io, cfg, "write", (b) =>
        b.values({
          indicatorId: id,
          level: opts.level,
          period: opts.period,
          parent: opts.parent === undefined ? undefined : normaliseAreaCode(opts.parent),
          division: opts.division,
        }),
      );
      if (body.denied > 0 && body.released + body.suppressed === 0)
        throw new AccessDeniedError(body.deniedReason ?? "the access policy does not allow this export");
      if (body.denied > 0) io.err(`wijkradar: ${body.denied} value(s) withheld: ${body.deniedReason}`);
      const csv = toCsv(body);
      if (opts.output) writeFileSync(opts.output, csv);
      else io.out(csv.trimEnd());
    },
  );

  registerVaultCommands(program, io);
  registerProfileCommands(program, io);
  registerSynthCommand(program, io);
  registerDetectCommands(program, io);
  registerAuditCommands(program, io);
  registerUserCommands(program, io);
  return program;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(
  argv: readonly string[],
  io: Io = { out: (s) => console.log(s), err: (s) => console.error(s), env: process.env },
): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (e instanceof ConfigError) {
      io.err(`wijkradar: ${e.message}`);
      return EXIT.config;
    }
    if (e instanceof InputError) {
      io.err(`wijkradar: ${e.message}`);
      for (const d of e.details) io.err(`  ${d}`);
      return /cannot read/.test(e.message) ? EXIT.noInput : EXIT.dataErr;
    }
    if (e instanceof AccessDeniedError) {
      io.err(`wijkradar: ${e.message}`);
      return EXIT.noPerm;
    }
    if (e instanceof NotFoundError) {
      io.err(`wijkradar: ${e.message}`);
      return EXIT.dataErr;
    }
    if (e instanceof StoreError) {
      io.err(`wijkradar: ${e.message}`);
      return EXIT.tempFail;
    }
    io.err(`wijkradar: internal error: ${(e as Error).stack ?? String(e)}`);
    return EXIT.software;
  }
}
