/**
 * Runs every benchmark, one after the other, each in its own process (so one benchmark's heap, JIT
 * and DuckDB caches do not colour the next), then writes bench/out/results.md: the machine and every
 * benchmark's tables. bench/RESULTS.md is that file plus notes, written by hand.
 *
 * Usage: npm run bench   (builds first; extra arguments go to every benchmark)
 *        node --import tsx bench/run-all.ts [--only first-start,api-load] [--no-profile]
 *        npm run bench -- --only dashboard [--quick]   (the dashboard in Chromium and Lighthouse)
 *        npm run bench -- --only vault [--quick]   (microdata import and profiles; --quick: 100k persons, no PostgreSQL)
 *        npm run bench -- --only detection   (a complete early-warning run on the bundled data)
 *        npm run bench -- --only field-sync   (syncing 1,000 field observations over loopback HTTP)
 *        npm run bench -- --only field-load   (the field app's first load at 375×812 over Fast 3G, in Chromium)
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  ensureOut,
  fmtMs,
  log,
  machine,
  machineToMarkdown,
  OUT,
  resultToMarkdown,
  ROOT,
  type BenchResult,
} from "./lib.js";

const BENCHMARKS = [
  "first-start",
  "api-load",
  "import-throughput",
  "dashboard",
  "synth-generate",
  "vault",
  "counts",
  "spatial",
  "detection",
  "backtest",
  "field-sync",
  "field-load",
] as const;

/** Minutes a benchmark may take (default 15): vault builds 18 M persons once and waits for a quiet machine. */
const TIMEOUT_MINUTES: Partial<Record<(typeof BENCHMARKS)[number], number>> = { vault: 150 };

function main(): number {
  ensureOut();
  const onlyAt = process.argv.indexOf("--only");
  const only = onlyAt >= 0 ? new Set((process.argv[onlyAt + 1] ?? "").split(",")) : undefined;
  const passOn = process.argv.slice(2).filter((a, i, all) => a !== "--only" && all[i - 1] !== "--only");
  const began = performance.now();
  const results: BenchResult[] = [];
  let failed = 0;
  for (const name of BENCHMARKS) {
    if (only && !only.has(name)) continue;
    log(`=== ${name}`);
    const started = performance.now();
    const r = spawnSync(process.execPath, ["--import", "tsx", join(ROOT, "bench", `${name}.ts`), ...passOn], {
      cwd: ROOT,
      stdio: "inherit",
      timeout: (TIMEOUT_MINUTES[name] ?? 15) * 60_000,
    });
    log(
      `=== ${name}: ${r.status === 0 ? "done" : `FAILED (${r.status ?? r.signal})`} in ${fmtMs(performance.now() - started)}`,
    );
    if (r.status !== 0) {
      failed++;
      continue;
    }
    results.push(JSON.parse(readFileSync(join(OUT, `${name}.json`), "utf8")) as BenchResult);
  }
  const md = [
    "# wijkradar benchmark results (generated)",
    "",
    machineToMarkdown(machine()),
    `- Command: \`npm run bench\` (${fmtMs(performance.now() - began)} in all)`,
    "",
    ...results.map(resultToMarkdown),
  ].join("\n");
  writeFileSync(join(OUT, "results.md"), `${md}\n`);
  log(`wrote ${join(OUT, "results.md")}`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = main();
