/**
 * The complete early-warning run on the bundled real data (issue 5): every tested indicator at every
 * level of every division — all buurten × all RIVM indicators × 3 waves (status, relative change,
 * Local Moran's I and Gi* with 999 permutations on queen contiguity) plus the CBS gemeente figures —
 * from loading the values to storing the alerts. Target: ≤ 15 s on 2 cores.
 *
 * Data: a copy of bench/out/demo.duckdb (bench/first-start.ts leaves it). The run is the server's DetectionService, as `wijkradar detect run` uses it.
 *
 * Usage: node --import tsx bench/detection.ts [--runs 3] [--no-wait]
 *        npm run bench -- --only detection
 */
import { copyFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import type * as DatabaseModule from "../packages/server/src/store/database.js";
import type * as DetectionModule from "../packages/server/src/services/detection-service.js";
import {
  argNumber,
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
  serverDist,
  waitForQuiet,
  type BenchResult,
} from "./lib.js";

const TARGET_S = 15;

export async function run(): Promise<BenchResult> {
  const started = performance.now();
  const runs = argNumber("runs", 3);
  if (!existsSync(DEMO_DB))
    throw new Error(`${DEMO_DB} is missing: run \`npm run bench -- --only first-start\` first`);
  const core = await import("@wijkradar/core");
  const { Database } = await serverDist<typeof DatabaseModule>("store/database.js");
  const { DetectionService } = await serverDist<typeof DetectionModule>("services/detection-service.js");
  const rows: (string | number)[][] = [];
  const raw: unknown[] = [];
  const totals: number[] = [];
  for (let i = 0; i < runs; i++) {
    const path = join(OUT, `detection-${i}.duckdb`);
    removeDb(path);
    copyFileSync(DEMO_DB, path);
    const quiet = await waitForQuiet(`detection run ${i + 1}`);
    const db = await Database.open({ path });
    try {
      const service = new DetectionService(db, core.DEFAULT_DETECTION_SETTINGS);
      const phases = new Map<string, number>();
      let phase = "";
      let since = performance.now();
      service.onProgress((p) => {
        if (p.phase === phase) return;
        const now = performance.now();
        if (phase) phases.set(phase, (phases.get(phase) ?? 0) + now - since);
        phase = p.phase;
        since = now;
      });
      const t0 = performance.now();
      const o = await service.run({ trigger: "bench", actor: "bench" });
      const ms = performance.now() - t0;
      totals.push(ms);
      raw.push({ outcome: o, phases: Object.fromEntries(phases), load1: quiet.load1 });
      rows.push([
        i + 1,
        fmtMs(ms),
        fmtMs(phases.get("loading") ?? 0),
        fmtMs(phases.get("detecting") ?? 0),
        fmtMs(phases.get("assessing") ?? 0),
        fmtMs(phases.get("saving") ?? 0),
        fmtInt(o.series),
        fmtInt(o.tests),
        fmtInt(o.alerts),
        quiet.load1.toFixed(2),
      ]);
      log(`run ${i + 1}: ${fmtMs(ms)}, ${fmtInt(o.tests)} tests, ${o.alerts} alerts`);
    } finally {
      db.close();
      removeDb(path);
    }
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
          "total",
          "load",
          "detect",
          "assess (BH, alerts, areas)",
          "save",
          "series",
          "tests",
          "alerts",
          "load avg",
        ],
        rows,
      },
    ],
    notes: [
      "DetectionService.run on a copy of the demo database: every non-neutral indicator at gemeente, wijk and buurt level of every division; spatial statistics (Local Moran's I and Gi*, 999 seeded permutations, queen contiguity from the 2014 boundaries the 2020 buurten borrow) at buurt level.",
      "Phases from the service's progress events; 'save' is one transaction (alerts upserted, area signals replaced).",
    ],
    raw,
    machine: machine(),
    durationMs: performance.now() - started,
  };
}

if (isMain(import.meta.url)) report(await run());
