/**
 * Synthetic population generation (src/synth): the whole country from the demo database's calibration
 * (`gemeenten: all`), scaled to 1 M and to 18 M persons (national scale), Parquet. Each size runs in
 * its own child process (fresh heap, peak memory per run); time, file sizes and rows per file.
 *
 * Usage: node --import tsx bench/synth-generate.ts [--runs 3] [--sizes 1000000,18000000] [--db <file>]
 *        (run-all: npm run bench -- --only synth-generate)
 * The demo database: bench/out/demo.duckdb when first-start left one there, else data/wijkradar.duckdb.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as CalibrationRepository from "../packages/server/src/store/calibration-repository.js";
import type * as DatabaseModule from "../packages/server/src/store/database.js";
import type * as Calibration from "../packages/server/src/synth/calibration.js";
import type * as Generate from "../packages/server/src/synth/generate.js";
import {
  argNumber,
  DEMO_DB,
  fmtBytes,
  fmtInt,
  fmtMs,
  isMain,
  log,
  machine,
  median,
  report,
  ROOT,
  serverDist,
  type BenchResult,
} from "./lib.js";

const SEED = 20260101;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Child {
  persons: number;
  ms: number;
  peakRss: number;
  files: readonly { file: string; rows: number; bytes: number }[];
}

/** One generation in this process (the child): prints a JSON line. */
async function child(persons: number, db: string, out: string): Promise<void> {
  const { Database } = await serverDist<typeof DatabaseModule>("store/database.js");
  const { readCalibrationInputs } = await serverDist<typeof CalibrationRepository>(
    "store/calibration-repository.js",
  );
  const { calibrate } = await serverDist<typeof Calibration>("synth/calibration.js");
  const { generatePopulation } = await serverDist<typeof Generate>("synth/generate.js");
  const copy = join(out, "..", "calibration.duckdb");
  copyFileSync(db, copy);
  const database = await Database.open({ path: copy, readOnly: true });
  const targets = calibrate(await readCalibrationInputs(database, "all"));
  database.close();
  const started = performance.now();
  const r = await generatePopulation(
    { seed: SEED, gemeenten: targets.gemeenten.map((g) => g.code), targets, persons },
    out,
  );
  const ms = performance.now() - started;
  const status = readFileSync("/proc/self/status", "utf8");
  const peakRss = Number(/^VmHWM:\s*(\d+) kB/m.exec(status)?.[1] ?? NaN) * 1024;
  process.stdout.write(`${JSON.stringify({ persons, ms, peakRss, files: r.files } satisfies Child)}\n`);
}

function run(): BenchResult {
  const began = performance.now();
  const runs = argNumber("runs", 3);
  const sizes = (arg("sizes") ?? "1000000,18000000").split(",").map(Number);
  const db = arg("db") ?? (existsSync(DEMO_DB) ? DEMO_DB : join(ROOT, "data", "wijkradar.duckdb"));
  const results: Child[][] = [];
  for (const persons of sizes) {
    const n = persons >= 5_000_000 ? 1 : runs;
    const rs: Child[] = [];
    for (let i = 0; i < n; i++) {
      const dir = mkdtempSync(join(tmpdir(), "wijkradar-synth-"));
      try {
        log(`synth ${fmtInt(persons)} persons, run ${i + 1}/${n}`);
        const r = spawnSync(
          process.execPath,
          [
            "--import",
            "tsx",
            join(ROOT, "bench", "synth-generate.ts"),
            "--child",
            String(persons),
            "--db",
            db,
            "--out",
            join(dir, "out"),
          ],
          {
            cwd: ROOT,
            encoding: "utf8",
            timeout: 20 * 60_000,
            maxBuffer: 1 << 24,
            stdio: ["ignore", "pipe", "inherit"],
          },
        );
        if (r.status !== 0) throw new Error(`child failed (${r.status ?? r.signal})`);
        rs.push(JSON.parse(r.stdout.trim().split("\n").pop()!) as Child);
        log(`  ${fmtMs(rs[rs.length - 1]!.ms)}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    results.push(rs);
  }
  const rows = results.map((rs) => {
    const ms = rs.map((r) => r.ms);
    const last = rs[rs.length - 1]!;
    const bytes = last.files.reduce((s, f) => s + f.bytes, 0);
    const brp = last.files.find((f) => f.file === "brp.parquet")!;
    const pc6 = last.files.find((f) => f.file === "pc6_buurt.csv")!;
    return [
      fmtInt(last.persons),
      rs.length,
      fmtMs(median(ms)),
      `${fmtMs(Math.min(...ms))}–${fmtMs(Math.max(...ms))}`,
      fmtInt((last.persons / median(ms)) * 1000),
      fmtInt(brp.rows),
      fmtInt(pc6.rows),
      fmtBytes(brp.bytes),
      fmtBytes(bytes),
      fmtBytes(Math.max(...rs.map((r) => r.peakRss))),
    ];
  });
  const files = results[results.length - 1]![0]!.files.map((f) => [
    f.file,
    fmtInt(f.rows),
    fmtBytes(f.bytes),
  ]);
  return {
    name: "synth-generate",
    title: "Synthetic population generation (all gemeenten, Parquet)",
    command: `node --import tsx bench/synth-generate.ts --sizes ${sizes.join(",")}`,
    tables: [
      {
        title: "Generation time and output",
        columns: [
          "persons",
          "runs",
          "median",
          "range",
          "persons/s",
          "brp rows",
          "PC6",
          "brp.parquet",
          "all files",
          "peak RSS",
        ],
        rows,
      },
      {
        title: `Files at ${fmtInt(sizes[sizes.length - 1]!)} persons`,
        columns: ["file", "rows", "size"],
        rows: files,
      },
    ],
    notes: [
      `seed ${SEED}; calibration read from ${db.startsWith(ROOT) ? db.slice(ROOT.length + 1) : db}`,
      "time = generatePopulation only (generation, appenders, COPY to Parquet, manifest); calibration excluded",
    ],
    raw: results,
    machine: machine(),
    durationMs: performance.now() - began,
  };
}

if (isMain(import.meta.url)) {
  const c = process.argv.indexOf("--child");
  if (c >= 0) await child(Number(process.argv[c + 1]), arg("db")!, arg("out")!);
  else report(run());
}
