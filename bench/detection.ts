/**
 * The complete early-warning run on the bundled real data (issue 5): every tested indicator at every
 * level of every division — all buurten × all RIVM indicators × 3 waves (status, relative change,
 * Local Moran's I and Gi* with 999 permutations on queen contiguity) plus the CBS gemeente figures —
 * from loading the values to storing the alerts. Target: ≤ 15 s on 2 cores.
 *
 * Data: a copy of bench/out/demo.duckdb (bench/first-start.ts leaves it). The run is `wijkradar detect run`
 * (the compiled CLI in its own process): importing the sources through tsx made the same run ~25 %
 * slower than the product.
 *
 * Usage: node --import tsx bench/detection.ts [--runs 3] [--no-wait]
 *        npm run bench -- --only detection
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import {
  argNumber,
  CLI,
  DEMO_DB,
  fmtInt,
  fmtMs,
  isMain,
  log,
  machine,
  median,
  OUT,
  removeDb,
  report,
  waitForQuiet,
  type BenchResult,
} from "./lib.js";

const TARGET_S = 15;

export async function run(): Promise<BenchResult> {
  const started = performance.now();
  const runs = argNumber("runs", 3);
  if (!existsSync(DEMO_DB))
    throw new Error(`${DEMO_DB} is missing: run \`npm run bench -- --only first-start\` first`);
  const rows: (string | number)[][] = [];
  const raw: unknown[] = [];
  const totals: number[] = [];
  for (let i = 0; i < runs; i++) {
    const path = join(OUT, `detection-${i}.duckdb`);
    removeDb(path);
    copyFileSync(DEMO_DB, path);
    const quiet = await waitForQuiet(`detection run ${i + 1}`);
    // The product as users run it: the compiled CLI in its own process (`wijkradar detect run`).
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [CLI, "detect", "run", "--db", path], { encoding: "utf8" });
    const processMs = performance.now() - t0;
    removeDb(path);
    if (r.status !== 0) throw new Error(`wijkradar detect run failed (${r.status}): ${r.stderr}`);
    // "detection run 1 finished: 372 series, 3,910,408 tests, 13149 alerts (6320 red, 6988 yellow; 13.5 s)"
    const m =
      /finished: (\d+) series, ([\d,]+) tests, (\d+) alerts \((\d+) red, (\d+) yellow; ([\d.]+) s\)/.exec(
        r.stdout,
      );
    if (!m) throw new Error(`unexpected output: ${r.stdout}`);
    const runMs = Number(m[6]) * 1000;
    totals.push(runMs);
    const phases = phaseTimes(r.stderr);
    raw.push({ stdout: r.stdout.trim(), processMs, runMs, phases, load1: quiet.load1 });
    rows.push([
      i + 1,
      fmtMs(runMs),
      fmtMs(processMs),
      phases,
      fmtInt(Number(m[1])),
      m[2] as string,
      fmtInt(Number(m[3])),
      `${m[4]} / ${m[5]}`,
      quiet.load1.toFixed(2),
    ]);
    log(`run ${i + 1}: ${fmtMs(runMs)} (process ${fmtMs(processMs)}), ${m[2]} tests, ${m[3]} alerts`);
  }
  const med = median(totals);
  return {
    name: "detection",
    title: "5. Early warning: a complete detection run on the bundled data (issue 5)",
    command: `node --import tsx bench/detection.ts --runs ${runs}`,
    tables: [
      {
        title: `Complete run (median ${fmtMs(med)}; target ≤ ${TARGET_S} s: ${med <= TARGET_S * 1000 ? "ok" : "MISSED"})`,
        columns: [
          "run",
          "run (service)",
          "process",
          "phases",
          "series",
          "tests",
          "alerts",
          "red / yellow",
          "load avg",
        ],
        rows,
      },
    ],
    notes: [
      "`wijkradar detect run` (compiled CLI, own process) on a copy of the demo database: every non-neutral indicator at gemeente, wijk and buurt level of every division; spatial statistics (Local Moran's I and Gi*, 999 seeded permutations, queen contiguity from the 2014 boundaries the 2020 buurten borrow) at buurt level.",
      "'run (service)' is the service's own time from reading the values to the committed alerts; 'process' adds starting Node, opening the database and the checkpoint.",
    ],
    raw,
    machine: machine(),
    durationMs: performance.now() - started,
  };
}

if (isMain(import.meta.url)) report(await run());

/** Seconds from the start to each phase's first progress line ("detect: run 1 assessing …"). */
function phaseTimes(stderr: string): string {
  const seen: string[] = [];
  for (const line of stderr.split("\n")) {
    const m = /^detect: run \d+ (\w+)/.exec(line);
    if (m && !seen.includes(m[1] as string)) seen.push(m[1] as string);
  }
  return seen.join(" → ");
}
