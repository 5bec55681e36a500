/**
 * `wijkradar synth`: generates a synthetic municipality (or the whole country) as the microdata files
 * a municipality has — brp, uitkeringen, schuldhulp, verzuim, huurachterstand, jeugdhulp, wmo, minima,
 * overlast (Parquet or CSV), pc6_buurt.csv and manifest.json — calibrated to the open figures in the
 * database. Same seed, same files. See docs/synthetic-population.md.
 *
 * @example wijkradar synth --gemeente GM0034 --seed 1 --out ./synthetic/almere
 * @example wijkradar synth --all --persons 1000000 --out /tmp/nl-1m
 */
import { InvalidArgumentError, Option, type Command } from "commander";
import { loadConfig } from "../config.js";
import { InputError } from "../errors.js";
import { readCalibrationInputs } from "../store/calibration-repository.js";
import { Database } from "../store/database.js";
import { calibrate } from "../synth/calibration.js";
import { generatePopulation, type GenerateReport } from "../synth/generate.js";
import { progressReporter } from "./progress.js";

/** The CLI's input/output (the same shape main.ts passes to every command). */
export interface SynthIo {
  out: (s: string) => void;
  err: (s: string) => void;
  env: Readonly<Record<string, string | undefined>>;
}

const intArg =
  (what: string, min: number) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected ${what}`);
    return n;
  };
const dateArg = (v: string): string => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)))
    throw new InvalidArgumentError("expected a date as YYYY-MM-DD");
  return v;
};
const gemeenteArg = (v: string, prev: string[] | undefined): string[] => {
  const code = v.trim().toUpperCase();
  const norm = /^\d{1,4}$/.test(code) ? `GM${code.padStart(4, "0")}` : code;
  if (!/^GM\d{4}$/.test(norm))
    throw new InvalidArgumentError(`expected a gemeente code such as GM0034, got "${v}"`);
  return [...(prev ?? []), norm];
};

function printReport(io: SynthIo, r: GenerateReport, outDir: string): void {
  io.out(`synthetic population written to ${outDir} (seed ${r.seed}, ${r.format})`);
  io.out(
    `  ${r.persons.toLocaleString("en")} persons in ${r.gemeenten.length} gemeente(n), reference date ${r.referenceDate}, history from ${r.historyWindow[0]}`,
  );
  for (const f of r.files)
    io.out(
      `  ${f.file.padEnd(26)} ${f.rows.toLocaleString("en").padStart(12)} rows ${(f.bytes / 1024 ** 2).toFixed(1).padStart(9)} MiB`,
    );
  const off = r.calibration.flatMap((g) =>
    g.checks
      .filter((c) => Math.abs(c.generated - c.target) > c.tolerance + 1e-9)
      .map((c) => `${g.code} ${c.measure}: target ${c.target}, generated ${c.generated}`),
  );
  if (r.calibration.length <= 3)
    for (const g of r.calibration) {
      io.out(
        `  ${g.code} ${g.name ?? ""}: ${g.buurten} buurten, ${g.pc6} PC6, hot PC6 ${g.hotPc6.join(", ") || "-"}`,
      );
      for (const c of g.checks)
        io.out(
          `    ${c.measure.padEnd(48)} target ${String(c.target).padStart(8)}  generated ${String(c.generated).padStart(8)}`,
        );
    }
  if (off.length) {
    io.out(`  ${off.length} calibration check(s) outside tolerance (see manifest.json):`);
    for (const o of off.slice(0, 10)) io.out(`    ${o}`);
  }
  io.out(`  ${Math.round(r.durationMs).toLocaleString("en")} ms`);
}

/** Adds `synth` to the program. */
export function registerSynthCommand(program: Command, io: SynthIo): Command {
  return program
    .command("synth")
    .description(
      "generate a synthetic population (persons, households, benefits, debts, care, nuisance…) calibrated to the open figures in the database",
    )
    .option("--gemeente <code...>", "gemeente code(s), e.g. GM0034 (Almere)", gemeenteArg)
    .option("--all", "every gemeente (national scale, ~18 million persons unless --persons)")
    .option("--seed <n>", "seed: the same seed gives the same files", intArg("a non-negative integer", 0), 1)
    .requiredOption("--out <dir>", "output folder (created if needed; files in it are replaced)")
    .addOption(new Option("--format <format>", "file format").choices(["parquet", "csv"]).default("parquet"))
    .option(
      "--persons <n>",
      "total persons to generate (scales every buurt; default the real population)",
      intArg("a positive integer", 1),
    )
    .option(
      "--reference-date <date>",
      "reference date YYYY-MM-DD (default 2026-01-01)",
      dateArg,
      "2026-01-01",
    )
    .option(
      "--history-from <date>",
      "start of the history window YYYY-MM-DD (default 2022-01-01)",
      dateArg,
      "2022-01-01",
    )
    .option(
      "--db <file>",
      "DuckDB database with the open data (env WIJKRADAR_DB, default ./data/wijkradar.duckdb)",
    )
    .option("--config <file>", "config file, YAML or JSON (env WIJKRADAR_CONFIG)")
    .action(
      async (opts: {
        gemeente?: string[];
        all?: boolean;
        seed: number;
        out: string;
        format: "parquet" | "csv";
        persons?: number;
        referenceDate: string;
        historyFrom: string;
        db?: string;
        config?: string;
      }) => {
        if (!opts.all && !opts.gemeente?.length) throw new InputError("give --gemeente <code...> or --all");
        if (opts.all && opts.gemeente?.length)
          throw new InputError("give either --gemeente or --all, not both");
        if (opts.historyFrom >= opts.referenceDate)
          throw new InputError("--history-from must be before --reference-date");
        const cfg = loadConfig({ env: io.env, flags: { db: opts.db, config: opts.config } });
        const db = await Database.open({ path: cfg.db, readOnly: true });
        let targets;
        try {
          targets = calibrate(await readCalibrationInputs(db, opts.all ? "all" : opts.gemeente!));
        } finally {
          db.close();
        }
        const known = new Set(targets.gemeenten.map((g) => g.code));
        const missing = (opts.gemeente ?? []).filter((c) => !known.has(c));
        if (missing.length)
          throw new InputError(
            `no population figures for ${missing.join(", ")} in ${cfg.db}; is the demo data loaded?`,
          );
        const progress = progressReporter("synth");
        let report: GenerateReport;
        try {
          report = await generatePopulation(
            {
              seed: opts.seed,
              gemeenten: [...known],
              targets,
              persons: opts.persons,
              referenceDate: opts.referenceDate,
              historyFrom: opts.historyFrom,
              format: opts.format,
            },
            opts.out,
            (p) => {
              const label = p.phase === "write" ? "writing files" : p.gemeente;
              progress.step(
                0,
                1,
                label,
                p.phase === "write" ? "write" : "validate",
                p.phase === "write" ? 0.5 : p.personsDone / p.personsTotal,
              );
            },
          );
          progress.step(0, 1, "files written", "write", 1);
        } catch (e) {
          if (e instanceof Error && /seed|persons|date|window|PC4|fit/.test(e.message))
            throw new InputError(e.message, [], { cause: e });
          throw e;
        } finally {
          progress.stop();
        }
        printReport(io, report, opts.out);
      },
    );
}
