/**
 * First start and later starts of the real CLI server.
 *
 * (a) First start: a fresh database file, `wijkradar serve` imports all bundled demo data, timed from
 *     spawn until /api/health answers 200. Target ≤ 30 s on 2 cores.
 * (b) Later start: the same file again, until /api/health answers. Target ≤ 2 s.
 * (c) What `npm start` adds: the build step when nothing changed (`tsc -b packages/server`, and
 *     `npm run build --silent` as npm start runs it), and the bare CLI start (`wijkradar --version`,
 *     which loads every module but opens no database).
 *
 * Usage: node --import tsx bench/first-start.ts [--first 3] [--later 5] [--build 5]
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type * as DemoLoader from "../packages/server/src/demo/demo-loader.js";
import type * as ImportService from "../packages/server/src/ingest/import-service.js";
import type * as DatabaseModule from "../packages/server/src/store/database.js";
import {
  argNumber,
  CLI,
  DEMO_DB,
  ensureOut,
  fmtBytes,
  fmtInt,
  fmtMs,
  isMain,
  log,
  machine,
  median,
  memoryOf,
  OUT,
  quantile,
  removeDb,
  report,
  ROOT,
  serverDist,
  startServer,
  stopServer,
  verdict,
  type BenchResult,
} from "./lib.js";

const FIRST_TARGET_MS = 30_000;
const LATER_TARGET_MS = 2_000;

interface StartRun {
  readonly run: number;
  readonly readyMs: number;
  readonly reportedReadyMs: number | undefined;
  readonly stopMs: number;
  readonly exitCode: number | null;
  readonly loadedValues: number | undefined;
  readonly peakRss: number;
  readonly dbBytes: number;
  readonly cpuSeconds: number;
  readonly otherLoad: number;
}

async function oneStart(db: string, run: number, timeoutMs: number): Promise<StartRun> {
  const h = await startServer({ db, timeoutMs });
  const mem = memoryOf(h.child.pid);
  const stop = await stopServer(h);
  return {
    run,
    readyMs: h.readyMs,
    reportedReadyMs: h.reportedReadyMs,
    stopMs: stop.ms,
    exitCode: stop.code,
    loadedValues: h.loadedValues,
    peakRss: mem.peak,
    dbBytes: existsSync(db) ? statSync(db).size : NaN,
    cpuSeconds: h.cpuSeconds,
    otherLoad: h.otherLoad,
  };
}

function timeCommand(cmd: string, args: readonly string[], n: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const r = spawnSync(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
    const ms = performance.now() - started;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
    times.push(ms);
  }
  return times;
}

interface DemoFileTiming {
  readonly file: string;
  readonly mapping: string;
  readonly ms: number;
  readonly rows: number;
  readonly values: number;
  readonly phases: Record<string, number>;
}

/**
 * Where the first start's time goes: the demo plan imported file by file with the server's own
 * importer (packages/server/dist) into a fresh database, in this process, timing each import.
 */
async function demoBreakdown(): Promise<{ files: DemoFileTiming[]; openMs: number; checkpointMs: number }> {
  const { Database } = await serverDist<typeof DatabaseModule>("store/database.js");
  const { importFile } = await serverDist<typeof ImportService>("ingest/import-service.js");
  const { demoPlan } = await serverDist<typeof DemoLoader>("demo/demo-loader.js");
  const db = join(OUT, "first-start-breakdown.duckdb");
  removeDb(db);
  const t0 = performance.now();
  const database = await Database.open({ path: db });
  const openMs = performance.now() - t0;
  const files: DemoFileTiming[] = [];
  try {
    for (const item of demoPlan()) {
      const marks: Record<string, number> = {};
      const started = performance.now();
      const r = await importFile(database, {
        file: item.file,
        mappingFile: item.mapping,
        onProgress: (phase, fraction) => {
          const now = performance.now();
          if (fraction === 1) marks[phase] = now;
        },
      });
      const end = performance.now();
      const read = marks.read ?? started;
      const parse = marks.parse ?? read;
      const validate = marks.validate ?? parse;
      files.push({
        file: basename(item.file),
        mapping: basename(item.mapping),
        ms: end - started,
        rows: r.rows,
        values: r.values,
        phases: {
          "read + parse": parse - started,
          validate: validate - parse,
          write: end - validate,
        },
      });
    }
    const c0 = performance.now();
    await database.checkpoint();
    return { files, openMs, checkpointMs: performance.now() - c0 };
  } finally {
    database.close();
    removeDb(db);
  }
}

export async function run(): Promise<BenchResult> {
  ensureOut();
  const began = performance.now();
  const firstRuns = argNumber("first", 3);
  const laterRuns = argNumber("later", 5);
  const buildRuns = argNumber("build", 5);

  const first: StartRun[] = [];
  let lastDb = "";
  for (let i = 1; i <= firstRuns; i++) {
    const db = join(OUT, `first-start-${i}.duckdb`);
    removeDb(db);
    log(`first start ${i}/${firstRuns} on a fresh ${db}`);
    const r = await oneStart(db, i, 180_000);
    log(`  ready after ${fmtMs(r.readyMs)} (server says ${fmtMs(r.reportedReadyMs ?? NaN)})`);
    first.push(r);
    if (lastDb) removeDb(lastDb);
    lastDb = db;
  }

  const later: StartRun[] = [];
  for (let i = 1; i <= laterRuns; i++) {
    log(`later start ${i}/${laterRuns} on ${lastDb}`);
    const r = await oneStart(lastDb, i, 60_000);
    log(`  ready after ${fmtMs(r.readyMs)} (server says ${fmtMs(r.reportedReadyMs ?? NaN)})`);
    later.push(r);
  }
  // Leave the fresh demo database for the API benchmark.
  removeDb(DEMO_DB);
  copyFileSync(lastDb, DEMO_DB);
  removeDb(lastDb);

  log(`build step when up to date, ${buildRuns}×`);
  timeCommand("npx", ["tsc", "-b", "packages/server"], 1); // make sure it is up to date
  const tscTimes = timeCommand("npx", ["tsc", "-b", "packages/server"], buildRuns);
  const npmBuildTimes = timeCommand("npm", ["run", "build", "--silent"], buildRuns);
  const cliTimes = timeCommand(process.execPath, [CLI, "--version"], buildRuns);

  log("first-start breakdown: the demo plan imported file by file, in process");
  const breakdown = await demoBreakdown();
  const byKind = new Map<
    string,
    { n: number; ms: number; values: number; parse: number; validate: number; write: number }
  >();
  for (const f of breakdown.files) {
    const kind = f.file.endsWith(".csv") ? `RIVM CSV (${f.mapping})` : `GeoJSON/TopoJSON (${f.mapping})`;
    const k = byKind.get(kind) ?? { n: 0, ms: 0, values: 0, parse: 0, validate: 0, write: 0 };
    k.n++;
    k.ms += f.ms;
    k.values += f.values;
    k.parse += f.phases["read + parse"] ?? 0;
    k.validate += f.phases.validate ?? 0;
    k.write += f.phases.write ?? 0;
    byKind.set(kind, k);
  }
  const breakdownTotal = breakdown.files.reduce((n, f) => n + f.ms, 0);

  const ready = (rs: readonly StartRun[]) => rs.map((r) => r.readyMs);
  const firstMed = median(ready(first));
  const laterMed = median(ready(later));
  const startRow = (kind: string, r: StartRun) => [
    kind,
    r.run,
    fmtMs(r.readyMs),
    r.reportedReadyMs === undefined ? "–" : fmtMs(r.reportedReadyMs),
    `${r.cpuSeconds.toFixed(1)} s`,
    r.otherLoad.toFixed(2),
    fmtMs(r.stopMs),
    r.exitCode ?? "–",
    r.loadedValues === undefined ? "–" : fmtInt(r.loadedValues),
    fmtBytes(r.peakRss),
    fmtBytes(r.dbBytes),
  ];
  const startColumns = [
    "start",
    "run",
    "spawn → /api/health 200",
    "server's own 'ready in'",
    "server CPU until ready",
    "other load (cores)",
    "SIGTERM → exit",
    "exit code",
    "values loaded",
    "peak RSS",
    "db file",
  ];
  const buildMed = median(tscTimes);
  const npmMed = median(npmBuildTimes);
  return {
    name: "first-start",
    title: "First start and later starts (bench/first-start.ts)",
    command: `node --import tsx bench/first-start.ts --first ${firstRuns} --later ${laterRuns} --build ${buildRuns}`,
    machine: machine(),
    durationMs: performance.now() - began,
    tables: [
      {
        title: "Summary (medians)",
        columns: ["measure", "runs", "median", "min", "max", "target", "verdict"],
        rows: [
          [
            "first start, fresh db, incl. demo import (spawn → health 200)",
            first.length,
            fmtMs(firstMed),
            fmtMs(Math.min(...ready(first))),
            fmtMs(Math.max(...ready(first))),
            "≤ 30 s",
            verdict(firstMed, FIRST_TARGET_MS),
          ],
          [
            "later start, existing db (spawn → health 200)",
            later.length,
            fmtMs(laterMed),
            fmtMs(Math.min(...ready(later))),
            fmtMs(Math.max(...ready(later))),
            "≤ 2 s",
            verdict(laterMed, LATER_TARGET_MS),
          ],
          [
            "build when up to date: npx tsc -b packages/server",
            tscTimes.length,
            fmtMs(buildMed),
            fmtMs(Math.min(...tscTimes)),
            fmtMs(Math.max(...tscTimes)),
            "–",
            "–",
          ],
          [
            "build as npm start runs it: npm run build --silent",
            npmBuildTimes.length,
            fmtMs(npmMed),
            fmtMs(Math.min(...npmBuildTimes)),
            fmtMs(Math.max(...npmBuildTimes)),
            "–",
            "–",
          ],
          [
            "bare CLI process: wijkradar --version (loads all modules, no db)",
            cliTimes.length,
            fmtMs(median(cliTimes)),
            fmtMs(Math.min(...cliTimes)),
            fmtMs(Math.max(...cliTimes)),
            "–",
            "–",
          ],
          [
            "npm start on an existing db ≈ npm run build + later start",
            "–",
            fmtMs(npmMed + laterMed),
            "–",
            "–",
            "≤ 2 s (if the target is meant for npm start)",
            verdict(npmMed + laterMed, LATER_TARGET_MS),
          ],
        ],
      },
      {
        title: `Where the first start goes: the ${breakdown.files.length} demo imports one by one, in process (one run; ${fmtMs(breakdownTotal)} in all, open ${fmtMs(breakdown.openMs)}, checkpoint ${fmtMs(breakdown.checkpointMs)})`,
        columns: ["files", "n", "time", "share", "read + parse", "validate", "write", "values"],
        rows: [...byKind].map(([kind, k]) => [
          kind,
          k.n,
          fmtMs(k.ms),
          `${((k.ms / breakdownTotal) * 100).toFixed(0)} %`,
          fmtMs(k.parse),
          fmtMs(k.validate),
          fmtMs(k.write),
          fmtInt(k.values),
        ]),
      },
      {
        title: "Every run",
        columns: startColumns,
        rows: [...first.map((r) => startRow("first", r)), ...later.map((r) => startRow("later", r))],
      },
    ],
    notes: [
      `Later-start p90 over ${later.length} runs: ${fmtMs(quantile(ready(later), 0.9))}.`,
      "Server CPU until ready is user + system time of the server process (all its threads), less sensitive to other work on the machine than wall-clock time; 'other load' is the average number of cores busy with processes other than the server and this benchmark during the start (2 = the machine was fully taken by something else).",
      "Ready is measured from spawn (node process start, module loading included) to the first 200 from /api/health, polled every 20 ms; the server's own 'ready in' starts after module loading, at opening the database.",
    ],
    raw: { first, later, tscTimes, npmBuildTimes, cliTimes, breakdown },
  };
}

if (isMain(import.meta.url)) report(await run());
