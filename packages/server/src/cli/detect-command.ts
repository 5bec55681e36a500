/**
 * `wijkradar detect run|model` and `wijkradar alerts`: the early-warning run on demand (the database
 * file, or the running server that holds it), the model description for the algorithm register, and
 * the ranked alerts — released through the same release function and audit as the API.
 */
import { writeFileSync } from "node:fs";
import {
  AREA_LEVELS,
  describeModel,
  DOMAINS,
  normaliseAreaCode,
  type AreaLevel,
  type Domain,
} from "@wijkradar/core";
import { type Command, InvalidArgumentError, Option } from "commander";
import { loadConfig } from "../config.js";
import type { AlertListQuery } from "../services/alert-service.js";
import { ALERT_STATUSES, type AlertStatus } from "../store/alert-repository.js";
import { openBackend, type AlertListResponse, type Backend } from "./backend.js";
import type { Io } from "./shared.js";

interface DbFlags {
  db?: string;
  config?: string;
}

const withDb = (cmd: Command): Command =>
  cmd
    .option("--db <file>", "DuckDB database file (env WIJKRADAR_DB, default ./data/wijkradar.duckdb)")
    .option("--config <file>", "config file, YAML or JSON (env WIJKRADAR_CONFIG)");

async function withBackend<T>(
  io: Io,
  flags: DbFlags,
  mode: "read" | "write",
  fn: (b: Backend) => Promise<T>,
) {
  const cfg = loadConfig({ env: io.env, flags: { db: flags.db, config: flags.config } });
  const backend = await openBackend(cfg, mode);
  if (backend.via) io.err(`wijkradar: ${backend.via}`);
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

function listOf<T extends string>(allowed: readonly T[], what: string) {
  return (value: string): T[] => {
    const items = value.split(",").map((v) => v.trim());
    for (const item of items)
      if (!(allowed as readonly string[]).includes(item))
        throw new InvalidArgumentError(`unknown ${what} "${item}"; expected one of ${allowed.join(", ")}`);
    return items as T[];
  };
}

function divisionsOf(value: string): number[] {
  return value.split(",").map((v) => {
    const n = Number(v.trim());
    if (!Number.isInteger(n) || n < 1900 || n > 2100)
      throw new InvalidArgumentError(`"${v}" is not a division year (e.g. 2020)`);
    return n;
  });
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a whole number ≥ 1`);
  return n;
}

const fmt = (v: number | null, digits = 2): string =>
  v === null
    ? ""
    : Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)
      ? v.toExponential(2)
      : v.toFixed(digits);

/** The alerts as a plain table (one line each), or CSV with the attribution line. */
export function alertsTable(body: AlertListResponse, format: "table" | "csv"): string {
  if (format === "csv") {
    const lines = [
      "# wijkradar alerts; figures: see the attribution column",
      "id,area,level,division,domain,indicator,detector,period,observed,expected,effect,p,q,severity,status,attribution",
    ];
    for (const a of body.alerts)
      lines.push(
        [
          a.id,
          a.areaCode,
          a.level,
          a.division,
          a.domain,
          a.indicatorId,
          a.detector,
          a.period,
          a.observed,
          a.expected,
          a.effect,
          a.p,
          a.q,
          a.severity,
          a.status,
          a.attribution,
        ]
          .map((v) => {
            const s = v === null || v === undefined ? "" : String(v);
            return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
          })
          .join(","),
      );
    return `${lines.join("\n")}\n`;
  }
  const lines = [`${body.total} alerts (showing ${body.alerts.length} from ${body.offset + 1})`];
  for (const a of body.alerts)
    lines.push(
      `#${a.id} ${a.severity.padEnd(6)} ${a.areaCode.padEnd(11)} ${a.domain.padEnd(10)} ${a.indicatorId} (${a.detector}, ${a.period}): ` +
        `${fmt(a.observed)} vs ${fmt(a.expected)}, effect ${fmt(a.effect)}, q ${fmt(a.q, 4)} [${a.status}]`,
    );
  return `${lines.join("\n")}\n`;
}

export function registerDetectCommands(program: Command, io: Io): void {
  const detect = program
    .command("detect")
    .description("early warning: run the detectors, or print the model description");

  withDb(
    detect
      .command("run")
      .description(
        "run every detector over the data (or some indicators/divisions), control false alarms and store the alerts",
      )
      .option("--indicators <ids>", "only these indicators, comma-separated")
      .option("--divisions <years>", "only these division years, comma-separated", divisionsOf),
  ).action(async (opts: DbFlags & { indicators?: string; divisions?: number[] }) => {
    await withBackend(io, opts, "write", async (backend) => {
      let lastLine = 0;
      const outcome = await backend.detect(
        {
          ...(opts.indicators ? { indicators: opts.indicators.split(",").map((s) => s.trim()) } : {}),
          ...(opts.divisions ? { divisions: opts.divisions } : {}),
        },
        (p) => {
          const now = Date.now();
          if (now - lastLine < 1000 && p.phase === "detecting") return;
          lastLine = now;
          io.err(
            `detect: run ${p.runId} ${p.phase}${p.total ? ` ${p.done}/${p.total}` : ""}${p.current ? ` ${p.current}` : ""}`,
          );
        },
      );
      if (outcome.status !== "finished")
        throw new Error(`detection run ${outcome.runId} ${outcome.status}: ${outcome.message ?? ""}`);
      io.out(
        `detection run ${outcome.runId} finished: ${outcome.series} series, ${outcome.tests?.toLocaleString("en")} tests, ${outcome.alerts} alerts${outcome.message ? ` (${outcome.message})` : ""}\n`,
      );
    });
  });

  withDb(
    detect
      .command("model")
      .description(
        "print the model description (detectors, parameters, thresholds) as JSON for the algorithm register",
      )
      .option("-o, --output <file>", "write to a file instead of standard output"),
  ).action((opts: DbFlags & { output?: string }) => {
    const cfg = loadConfig({ env: io.env, flags: { db: opts.db, config: opts.config } });
    const text = `${JSON.stringify(describeModel(cfg.detection), null, 2)}\n`;
    if (opts.output) {
      writeFileSync(opts.output, text);
      io.err(`wijkradar: model description written to ${opts.output}`);
    } else io.out(text);
  });

  withDb(
    program
      .command("alerts")
      .description("the early-warning alerts, ranked by severity and score (released figures only)")
      .addOption(
        new Option("--severity <list>", "red,yellow").argParser(
          listOf(["red", "yellow"] as const, "severity"),
        ),
      )
      .addOption(
        new Option("--status <list>", ALERT_STATUSES.join(",")).argParser(listOf(ALERT_STATUSES, "status")),
      )
      .addOption(new Option("--domain <domain>", "problem domain").choices(DOMAINS))
      .addOption(new Option("--level <level>", "area level").choices(AREA_LEVELS))
      .option("--parent <code>", "a gemeente or wijk: its alerts and those of the areas in it")
      .option("--indicator <id>", "alerts with a test of this indicator")
      .option("--limit <n>", "at most this many (default 20)", positive, 20)
      .addOption(
        new Option("--format <format>", "output format").choices(["table", "csv", "json"]).default("table"),
      ),
  ).action(
    async (
      opts: DbFlags & {
        severity?: ("red" | "yellow")[];
        status?: AlertStatus[];
        domain?: Domain;
        level?: AreaLevel;
        parent?: string;
        indicator?: string;
        limit: number;
        format: "table" | "csv" | "json";
      },
    ) => {
      const query: AlertListQuery = {
        ...(opts.severity ? { severity: opts.severity } : {}),
        ...(opts.status ? { status: opts.status } : {}),
        ...(opts.domain ? { domain: opts.domain } : {}),
        ...(opts.level ? { level: opts.level } : {}),
        ...(opts.parent ? { parent: normaliseAreaCode(opts.parent) } : {}),
        ...(opts.indicator ? { indicator: opts.indicator } : {}),
        limit: opts.limit,
      };
      await withBackend(io, opts, "write", async (backend) => {
        const body = await backend.alerts(query);
        io.out(
          opts.format === "json" ? `${JSON.stringify(body, null, 2)}\n` : alertsTable(body, opts.format),
        );
      });
    },
  );
}
