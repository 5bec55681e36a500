/**
 * `wijkradar profile …`: create (from a YAML or JSON file), list, show, and counts — the released
 * figures of a profile through the same release function and audit as the API (the database file,
 * or the running server that holds it). Never prints a record or a pseudonym: there are none to print.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { describeCondition, isIsoDate, normaliseAreaCode } from "@wijkradar/core";
import { type Command, InvalidArgumentError, Option } from "commander";
import { parse as parseYaml } from "yaml";
import { loadConfig } from "../config.js";
import { AccessDeniedError, InputError } from "../errors.js";
import {
  PROFILE_LEVELS,
  type ProfileLevel,
  type ProfileValuesResponse,
} from "../services/profile-service.js";
import { openBackend, type Backend } from "./backend.js";
import type { Io } from "./shared.js";

interface DbFlags {
  db?: string;
  config?: string;
}

const withDb = (cmd: Command): Command =>
  cmd
    .option("--db <file>", "DuckDB database file (env WIJKRADAR_DB, default ./data/wijkradar.duckdb)")
    .option("--config <file>", "config file, YAML or JSON (env WIJKRADAR_CONFIG)");

async function run<T>(io: Io, flags: DbFlags, mode: "read" | "write", fn: (b: Backend) => Promise<T>) {
  const cfg = loadConfig({ env: io.env, flags: { db: flags.db, config: flags.config } });
  const backend = await openBackend(cfg, mode);
  if (backend.via) io.err(`wijkradar: ${backend.via}`);
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}

const cell = (v: unknown): string => {
  if (v === null || v === undefined) return "";
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/** CSV of released profile figures, the attribution and reference date as the first line. */
export function profileCsv(body: ProfileValuesResponse): string {
  const lines = [
    `# ${body.source.attribution}; profiel ${body.profile.id} (${body.profile.name.nl}); peildatum ${body.referenceDate}; k=${body.rules.k}`,
    "code,naam,niveau,status,reden,aantal,populatie,aandeel,ouder,ouder_aandeel,gemeente_aandeel",
  ];
  for (const v of body.values)
    lines.push(
      [
        v.code,
        v.name,
        v.level,
        v.status,
        "reason" in v ? v.reason : null,
        v.count,
        v.population,
        v.share,
        v.parent?.code,
        v.parent?.share,
        v.gemeenteReference?.share,
      ]
        .map(cell)
        .join(","),
    );
  return `${lines.join("\n")}\n`;
}

export function registerProfileCommands(program: Command, io: Io): void {
  const profile = program
    .command("profile")
    .description(
      "profiles: documented combinations of conditions over microdata, released as counts per area",
    );

  withDb(
    profile
      .command("create")
      .description("create or replace a profile from a YAML or JSON definition (see docs/profiles.md)")
      .argument("<file>", "definition file"),
  ).action(async (file: string, opts: DbFlags) => {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new InputError(
        `${file}: cannot read the definition: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text);
    } catch (e) {
      throw new InputError(`${file}: not valid YAML or JSON: ${(e as Error).message}`);
    }
    const r = await run(io, opts, "write", (b) => b.saveProfile(parsed));
    io.out(`${r.profile.id}: ${r.status}`);
  });

  withDb(profile.command("list").description("list the profiles").option("--json", "JSON output")).action(
    async (opts: DbFlags & { json?: boolean }) => {
      const list = await run(io, opts, "read", (b) => b.profiles());
      if (opts.json) io.out(JSON.stringify(list, null, 2));
      else
        for (const p of list)
          io.out(`${p.id.padEnd(32)} ${p.domain.padEnd(14)} ${p.purpose.padEnd(18)} ${p.name.nl}`);
    },
  );

  withDb(
    profile
      .command("show")
      .description("show a profile's definition")
      .argument("<id>")
      .option("--json", "JSON output"),
  ).action(async (id: string, opts: DbFlags & { json?: boolean }) => {
    const p = await run(io, opts, "read", (b) => b.profile(id));
    if (opts.json) return io.out(JSON.stringify(p, null, 2));
    io.out(`${p.id}: ${p.name.nl} / ${p.name.en}`);
    io.out(`  ${p.description.nl}`);
    io.out(`  ${p.description.en}`);
    io.out(`  domain ${p.domain}, key purpose ${p.purpose}${p.sdc?.k ? `, k ${p.sdc.k}` : ""}`);
    io.out(`  population: ${p.population.map(describeCondition).join(" AND ") || "all residents"}`);
    io.out(`  conditions: ${p.conditions.map(describeCondition).join(" AND ")}`);
  });

  withDb(
    profile
      .command("counts")
      .description("released counts of a profile per area (through disclosure control and the audit trail)")
      .argument("<id>")
      .addOption(new Option("--level <level>", "area level").choices(PROFILE_LEVELS).default("buurt"))
      .option("--parent <code>", "only areas under this area")
      .option("--date <date>", "reference date YYYY-MM-DD (default: today, UTC)", (v) => {
        if (!isIsoDate(v)) throw new InvalidArgumentError("expected a date YYYY-MM-DD");
        return v;
      })
      .option("--json", "JSON output")
      .option("-o, --output <file>", "write CSV to this file"),
  ).action(
    async (
      id: string,
      opts: DbFlags & {
        level: ProfileLevel;
        parent?: string;
        date?: string;
        json?: boolean;
        output?: string;
      },
    ) => {
      // Read-write: the release is audited.
      const body = await run(io, opts, "write", (b) =>
        b.profileValues({
          id,
          level: opts.level,
          parent: opts.parent === undefined ? undefined : normaliseAreaCode(opts.parent),
          date: opts.date,
        }),
      );
      if (body.denied > 0 && body.released + body.suppressed === 0)
        throw new AccessDeniedError(body.deniedReason ?? "the access policy does not allow these figures");
      if (body.denied > 0) io.err(`wijkradar: ${body.denied} figure(s) withheld: ${body.deniedReason}`);
      if (opts.json) io.out(JSON.stringify(body, null, 2));
      else if (opts.output) writeFileSync(opts.output, profileCsv(body));
      else io.out(profileCsv(body).trimEnd());
    },
  );
}
