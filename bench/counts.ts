/**
 * Weekly count detection (issue 5): the Farrington/Noufaily count baseline of packages/core
 * (`farringtonFlexible`, and `detectCounts` = baseline + EWMA + CUSUM) against R's
 * `surveillance::farringtonFlexible` on the same series, in the same run.
 *
 * Data: 1,000 areas × 5 years (260 weeks) of simulated weekly counts (seed 20260105; negative
 * binomial with per-area level, trend, seasonality and dispersion, plus planted outbreaks in past
 * years and in the last weeks), written to bench/out/counts/series.csv for R.
 *
 * Settings (both methods): "Farrington" = noPeriods 1, weightsThreshold 1, pThresholdTrend 0.05,
 * delta threshold; "Noufaily" = noPeriods 10, weightsThreshold 2.58, pastWeeksNotIncluded 26,
 * pThresholdTrend 1, nbPlugin threshold; w = 3, alpha = 0.05, limit54 = (5, 4).
 *   - latest week (week 260) of every area, b = 4 (4 years back: all a 5-year series allows);
 *   - the last 52 weeks (weeks 209–260) of every area, b = 3 (with b = 4 only weeks ≥ 212 have the
 *     history); R runs this on the first `--r-areas` areas (default 100) and the time per evaluated
 *     week is compared.
 * R is timed inside R (proc.time around the farringtonFlexible call only: loading the package and
 * reading the CSV are excluded); ours with performance.now around the loop over areas, after one
 * warm-up run. Wall and CPU time (R: user + system of proc.time; ours: process.cpuUsage) are both
 * reported, since the shared machine's load stretches wall times. Medians over `--runs` (default 5
 * for ours, `--r-runs` default 3 for R).
 * Before each timed phase it waits until the 1-minute load average is below 1.5 (30 s polls, at
 * most 10 minutes in all; `--no-wait` skips), and records the load.
 *
 * Usage: node --import tsx bench/counts.ts [--areas 1000] [--r-areas 100] [--runs 5] [--r-runs 3] [--no-r] [--no-wait]
 *        npm run bench -- --only counts
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
// The detector modules directly (not the core index), so the bench does not depend on unrelated modules.
import { detectCounts } from "../packages/core/src/detect/count-charts.js";
import {
  farringtonFlexible,
  type CountBaselineResult,
  type FarringtonControl,
} from "../packages/core/src/detect/counts.js";
import {
  argFlag,
  argNumber,
  fmtMs,
  isMain,
  log,
  machine,
  median,
  OUT,
  report,
  selfCpuSeconds,
  type BenchResult,
} from "./lib.js";

const SEED = 20_260_105;
const WEEKS = 260;
const DIR = join(OUT, "counts");

type Control = Partial<FarringtonControl> & { frequency: number };
const SETTINGS: Record<"Farrington" | "Noufaily", Control> = {
  Farrington: {
    frequency: 52,
    w: 3,
    noPeriods: 1,
    weightsThreshold: 1,
    pThresholdTrend: 0.05,
    thresholdMethod: "delta",
  },
  Noufaily: {
    frequency: 52,
    w: 3,
    noPeriods: 10,
    weightsThreshold: 2.58,
    pastWeeksNotIncluded: 26,
    pThresholdTrend: 1,
    thresholdMethod: "nbPlugin",
  },
};
type SettingName = keyof typeof SETTINGS;

// ---------------------------------------------------------------------------------------------
// Data

/** Seeded NB(μ, size) counts as a gamma–Poisson mixture (Marsaglia–Tsang gamma, Poisson by inversion). */
function generator(seed: number) {
  const g = xoroshiro128plus(seed);
  const u = () => uniformFloat64(g);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const gamma = (shape: number): number => {
    if (shape < 1) return gamma(shape + 1) * u() ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = normal();
      const v = (1 + c * x) ** 3;
      if (v > 0 && Math.log(1 - u()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  const poisson = (lambda: number): number => {
    if (lambda > 500) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal()));
    let k = 0;
    let p = Math.exp(-lambda);
    let s = p;
    const x = u();
    while (x > s && k < 100_000) {
      k++;
      p *= lambda / k;
      s += p;
    }
    return k;
  };
  return { u, negBin: (mu: number, size: number) => poisson((gamma(size) * mu) / size) };
}

/** counts[area][week] */
function simulate(areas: number): number[][] {
  const out: number[][] = [];
  for (let a = 0; a < areas; a++) {
    const r = generator(SEED + a);
    const level = Math.log(0.5) + r.u() * (Math.log(40) - Math.log(0.5));
    const trend = -0.1 + 0.25 * r.u(); // per year, log scale
    const amplitude = 0.6 * r.u();
    const phase = 2 * Math.PI * r.u();
    const size = 1 + 19 * r.u();
    const counts: number[] = [];
    for (let t = 0; t < WEEKS; t++) {
      const mu = Math.exp(level + (trend * t) / 52 + amplitude * Math.sin((2 * Math.PI * t) / 52 + phase));
      counts.push(r.negBin(mu, size));
    }
    // Outbreaks in 30 % of the areas: one in a past year, and for half of those one in the last 8 weeks.
    if (r.u() < 0.3) {
      const add = (start: number) => {
        for (let t = start; t < Math.min(WEEKS, start + 4); t++)
          counts[t] = counts[t]! + r.negBin(3 + 2 * Math.exp(level), 5);
      };
      add(52 + Math.floor(r.u() * 150));
      if (r.u() < 0.5) add(WEEKS - 1 - Math.floor(r.u() * 8));
    }
    out.push(counts);
  }
  return out;
}

function writeCsv(series: readonly number[][]): string {
  mkdirSync(DIR, { recursive: true });
  const path = join(DIR, "series.csv");
  const lines: string[] = [];
  for (let t = 0; t < WEEKS; t++) lines.push(series.map((s) => s[t]).join(","));
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

// ---------------------------------------------------------------------------------------------
// R

const R_SCRIPT = String.raw`
suppressMessages(library(surveillance))
a <- commandArgs(trailingOnly = TRUE)
obs <- as.matrix(read.csv(a[1], header = FALSE))
runs <- as.integer(a[3]); rAreas <- as.integer(a[4])
colnames(obs) <- paste0("a", seq_len(ncol(obs)))
controls <- list(
  Farrington = list(w = 3, noPeriods = 1, weightsThreshold = 1, pThresholdTrend = 0.05,
                    thresholdMethod = "delta", glmWarnings = FALSE),
  Noufaily = list(w = 3, noPeriods = 10, weightsThreshold = 2.58, pastWeeksNotIncluded = 26,
                  pThresholdTrend = 1, thresholdMethod = "nbPlugin", glmWarnings = FALSE))
num <- function(v) paste0("[", paste(ifelse(is.na(v), "null", sprintf("%.17g", v)), collapse = ","), "]")
out <- c()
for (name in names(controls)) {
  latest <- sts(observed = obs, frequency = 52, start = c(2020, 1))
  ctl <- modifyList(controls[[name]], list(b = 4, range = nrow(obs)))
  secs <- c(); cpu <- c()
  for (i in seq_len(runs)) {
    t0 <- proc.time()
    res <- suppressWarnings(farringtonFlexible(latest, control = ctl))
    d <- proc.time() - t0
    secs <- c(secs, d[["elapsed"]]); cpu <- c(cpu, d[["user.self"]] + d[["sys.self"]])
  }
  # exp(eta0) for every area (R reports expected only when limit54 holds): mu0Vector for nbPlugin;
  # for delta the expected where present.
  expected <- if (name == "Noufaily") res@control$mu0Vector[1, ] else res@control$expected[1, ]
  out <- c(out, sprintf('"%s latest":{"seconds":%s,"cpuSeconds":%s,"evaluations":%d,"expected":%s,"upperbound":%s,"alarm":%s,"trend":%s}',
    name, num(secs), num(cpu), ncol(obs), num(expected), num(upperbound(res)[1, ]),
    num(as.numeric(alarms(res)[1, ])), num(res@control$trend[1, ])))
  year <- sts(observed = obs[, seq_len(rAreas), drop = FALSE], frequency = 52, start = c(2020, 1))
  ctl <- modifyList(controls[[name]], list(b = 3, range = (nrow(obs) - 51):nrow(obs)))
  secs <- c(); cpu <- c()
  for (i in seq_len(runs)) {
    t0 <- proc.time()
    res <- suppressWarnings(farringtonFlexible(year, control = ctl))
    d <- proc.time() - t0
    secs <- c(secs, d[["elapsed"]]); cpu <- c(cpu, d[["user.self"]] + d[["sys.self"]])
  }
  out <- c(out, sprintf('"%s 52 weeks":{"seconds":%s,"cpuSeconds":%s,"evaluations":%d,"alarms":%d}', name, num(secs), num(cpu),
    52L * rAreas, sum(alarms(res), na.rm = TRUE)))
}
writeLines(paste0("{", paste(out, collapse = ","), ",\"version\":\"", as.character(packageVersion("surveillance")),
  "\",\"r\":\"", R.version.string, "\"}"), a[2])
`;

interface RLatest {
  seconds: number[];
  cpuSeconds: number[];
  evaluations: number;
  expected: (number | null)[];
  upperbound: (number | null)[];
  alarm: (number | null)[];
  trend: (number | null)[];
}
interface RYear {
  seconds: number[];
  cpuSeconds: number[];
  evaluations: number;
  alarms: number;
}
type RResult = Record<`${SettingName} latest`, RLatest> &
  Record<`${SettingName} 52 weeks`, RYear> & { version: string; r: string };

function runR(csv: string, runs: number, rAreas: number): { result: RResult; wallMs: number } {
  const script = join(DIR, "farrington.R");
  const json = join(DIR, "r-result.json");
  writeFileSync(script, R_SCRIPT);
  const started = performance.now();
  const r = spawnSync("Rscript", [script, csv, json, String(runs), String(rAreas)], {
    encoding: "utf8",
    timeout: 60 * 60_000,
  });
  if (r.status !== 0) throw new Error(`Rscript failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return { result: JSON.parse(readFileSync(json, "utf8")) as RResult, wallMs: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------

let waitBudgetS = 10 * 60;
async function waitForQuiet(what: string): Promise<number> {
  const started = performance.now();
  for (;;) {
    const l = loadavg()[0]!;
    const waited = (performance.now() - started) / 1000;
    if (argFlag("no-wait") || l < 1.5 || waited >= waitBudgetS) {
      waitBudgetS = Math.max(0, waitBudgetS - waited);
      if (l >= 1.5) log(`${what}: measuring at load ${l.toFixed(2)}`);
      return l;
    }
    log(`${what}: 1-min load ${l.toFixed(2)} ≥ 1.5, waiting 30 s`);
    await new Promise((r) => setTimeout(r, 30_000));
  }
}

/** Runs fn `runs` times after one warm-up; returns wall and CPU times in ms and the last result. */
function timeRuns<T>(
  runs: number,
  fn: () => T,
): { ms: number[]; cpuMs: number[]; warmupMs: number; result: T } {
  let t0 = performance.now();
  let result = fn();
  const warmupMs = performance.now() - t0;
  const ms: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = selfCpuSeconds();
    t0 = performance.now();
    result = fn();
    ms.push(performance.now() - t0);
    cpuMs.push((selfCpuSeconds() - c0) * 1000);
  }
  return { ms, cpuMs, warmupMs, result };
}

export async function main(): Promise<BenchResult> {
  const began = performance.now();
  const areas = argNumber("areas", 1000);
  const rAreas = Math.min(areas, argNumber("r-areas", 100));
  const runs = argNumber("runs", 5);
  const rRuns = argNumber("r-runs", 3);
  const withR = !argFlag("no-r");
  log(`simulating ${areas} areas × ${WEEKS} weeks`);
  const series = simulate(areas);
  const csv = writeCsv(series);
  const latest = [WEEKS - 1];
  const year = Array.from({ length: 52 }, (_, i) => WEEKS - 52 + i);

  const rows: (string | number)[][] = [];
  const agreement: (string | number)[][] = [];
  const raw: Record<string, unknown> = { areas, rAreas, runs, rRuns, weeks: WEEKS, seed: SEED };
  const loads: number[] = [];

  // JIT warm-up over both settings and both workloads, so the first timed workload is not the one
  // that pays for compilation (the per-workload warm-up run below stays, and is reported).
  for (const control of Object.values(SETTINGS))
    for (const counts of series.slice(0, 200)) farringtonFlexible({ counts }, { ...control, b: 3 }, year);
  const ours: Record<string, { ms: number[]; cpuMs: number[]; warmupMs: number; evaluations: number }> = {};
  const latestResults: Partial<Record<SettingName, CountBaselineResult[]>> = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const control = SETTINGS[name];
    loads.push(await waitForQuiet(`ours ${name}`));
    const l = timeRuns(runs, () =>
      series.map((counts) => farringtonFlexible({ counts }, { ...control, b: 4 }, latest)[0]!),
    );
    latestResults[name] = l.result;
    ours[`${name} latest`] = { ...l, evaluations: areas };
    const y = timeRuns(runs, () =>
      series.map((counts) => farringtonFlexible({ counts }, { ...control, b: 3 }, year)),
    );
    ours[`${name} 52 weeks`] = { ...y, evaluations: areas * 52 };
    const d = timeRuns(runs, () =>
      series.map((counts) => detectCounts({ counts }, { ...control, b: 3 }, {}, year)),
    );
    ours[`${name} 52 weeks + EWMA + CUSUM`] = { ...d, evaluations: areas * 52 };
    const alarms = y.result.flat().filter((r) => r.kind === "baseline" && r.alarm).length;
    raw[`${name} 52 weeks alarms`] = alarms;
    log(`ours ${name}: latest ${fmtMs(median(l.ms))}, 52 weeks ${fmtMs(median(y.ms))} (${alarms} alarms)`);
  }

  let rResult: RResult | undefined;
  if (withR) {
    loads.push(await waitForQuiet("R"));
    log(
      `R farringtonFlexible: ${areas} areas latest week and ${rAreas} areas × 52 weeks, ${rRuns} runs each`,
    );
    const r = runR(csv, rRuns, rAreas);
    rResult = r.result;
    raw.r = { ...r.result, wallMs: r.wallMs };
    log(`R done in ${fmtMs(r.wallMs)}`);
  }
  loads.push(loadavg()[0]!);

  for (const key of Object.keys(ours)) {
    const o = ours[key]!;
    const oursPerEval = median(o.ms) / o.evaluations;
    const oursCpuPerEval = median(o.cpuMs) / o.evaluations;
    const rKey = key.replace(" + EWMA + CUSUM", "") as keyof RResult;
    const rr = rResult?.[rKey] as RLatest | RYear | undefined;
    const rMs = rr ? median(rr.seconds.map((s) => s * 1000)) : NaN;
    const rPerEval = rr ? rMs / rr.evaluations : NaN;
    const rCpuPerEval = rr ? median(rr.cpuSeconds.map((s) => s * 1000)) / rr.evaluations : NaN;
    const us = (ms: number) => `${(ms * 1000).toFixed(ms < 0.1 ? 1 : 0)} µs`;
    rows.push([
      key,
      o.evaluations.toLocaleString("en"),
      fmtMs(median(o.ms)),
      us(oursPerEval),
      us(oursCpuPerEval),
      fmtMs(o.warmupMs),
      rr ? `${rr.evaluations.toLocaleString("en")}` : "–",
      rr ? fmtMs(rMs) : "–",
      rr ? us(rPerEval) : "–",
      rr ? us(rCpuPerEval) : "–",
      rr
        ? `${(rPerEval / oursPerEval).toFixed(0)}× (CPU ${(rCpuPerEval / oursCpuPerEval).toFixed(0)}×)`
        : "–",
      rr ? (Math.min(rPerEval / oursPerEval, rCpuPerEval / oursCpuPerEval) >= 10 ? "ok" : "**MISS**") : "–",
    ]);
    raw[key] = { ours: o, rSeconds: rr?.seconds, rCpuSeconds: rr?.cpuSeconds };
  }

  // Agreement with R on the latest week of every area.
  if (rResult) {
    for (const name of Object.keys(SETTINGS) as SettingName[]) {
      const r = rResult[`${name} latest`];
      const mine = latestResults[name]!;
      let worstExpected = 0;
      let worstUpper = 0;
      let compared = 0;
      let alarmsAgree = 0;
      let trendAgree = 0;
      let alarmsR = 0;
      mine.forEach((m, i) => {
        const alarm = r.alarm[i] === 1;
        alarmsR += alarm ? 1 : 0;
        if (m.kind !== "baseline") return;
        if ((m.alarm ? 1 : 0) === (alarm ? 1 : 0)) alarmsAgree++;
        if ((m.trend ? 1 : 0) === r.trend[i]) trendAgree++;
        const e = r.expected[i];
        const u = r.upperbound[i];
        if (e !== null && e !== undefined && e > 0) {
          worstExpected = Math.max(worstExpected, Math.abs(m.expected - e) / e);
          compared++;
        }
        if (u !== null && u !== undefined && u > 0)
          worstUpper = Math.max(worstUpper, Math.abs(m.upperbound - u) / u);
      });
      agreement.push([
        name,
        areas,
        compared,
        worstExpected.toExponential(1),
        worstUpper.toExponential(1),
        `${alarmsAgree}/${areas} (R: ${alarmsR} alarms)`,
        `${trendAgree}/${areas}`,
      ]);
    }
  }

  const m = machine();
  return {
    name: "counts",
    title: "6b. Weekly count detection (issue 5) (`bench/counts.ts`)",
    command: `node --import tsx bench/counts.ts --areas ${areas} --r-areas ${rAreas} --runs ${runs} --r-runs ${rRuns}`,
    tables: [
      {
        title: `Time: ours (median of ${runs} after a warm-up) vs R surveillance::farringtonFlexible ${rResult?.version ?? ""} (median of ${rRuns})`,
        columns: [
          "workload",
          "evaluations (ours)",
          "ours (wall)",
          "ours per evaluation (wall)",
          "ours per evaluation (CPU)",
          "ours warm-up",
          "evaluations (R)",
          "R (wall)",
          "R per evaluation (wall)",
          "R per evaluation (CPU)",
          "R / ours",
          "≥ 10×",
        ],
        rows,
      },
      ...(agreement.length
        ? [
            {
              title: "Agreement with R on the latest week of every area",
              columns: [
                "setting",
                "areas",
                "expected compared",
                "max rel. diff expected",
                "max rel. diff upper bound",
                "alarms equal",
                "trend decisions equal",
              ],
              rows: agreement,
            },
          ]
        : []),
    ],
    notes: [
      `1-minute load average before the phases and at the end: ${loads.map((l) => l.toFixed(2)).join(", ")}`,
      `${areas} areas × ${WEEKS} weeks, seed ${SEED}; latest week with b = 4, 52 weeks with b = 3; w = 3, alpha = 0.05, limit54 = (5, 4).`,
      "Ours: packages/core source through tsx, one process, single-threaded. R: time inside R around the farringtonFlexible call only.",
    ],
    raw,
    machine: m,
    durationMs: performance.now() - began,
  };
}

if (isMain(import.meta.url)) {
  main()
    .then(report)
    .catch((e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    });
}
