/**
 * Spatial statistics (issue 5): Local Moran's I and Getis–Ord Gi* with 999 conditional permutations
 * (packages/core `localMoranPermutation`, `localGPermutation`) on all 13,808 buurten of 2020, against
 * R's `spdep::localmoran_perm(nsim = 999)` and `localG_perm` on the same weights and values, in the
 * same run.
 *
 * Data: RIVM 2020 (data/demo/rivm/50090NED_2020_18plus.csv and _65plus.csv), buurt rows. Values the
 * RIVM suppressed (".") take the buurt's wijk value, else the gemeente's, else the national one, so
 * that every buurt has a value (a benchmark choice; the detectors subset the weights instead).
 *
 * Weights: k = 6 nearest neighbours (great-circle, spdep's gcdist), row-standardised, from one
 * representative point per 2020 buurt: the 2014 centroid of the buurt where the code exists in
 * data/demo/geo/Buurt_2014_layer_q1e3.json (8,974); else the centroid of its wijk's 2014 polygon
 * (Wijk_2014_layer_labels.json); else the centroid of its gemeente in GemeenteDetail_2015_layer_q1e3.json,
 * or for gemeenten formed after 2015 in gemeenten_2019.geojson. Buurten sharing a wijk or gemeente
 * point are spread on a golden-angle spiral around it (radius 0.002°·√(j + 1) for the j-th buurt in
 * code order), so no two points coincide. The neighbour lists are written to bench/out/spatial/ and R
 * builds its listw from them: both sides use identical weights.
 *
 * Timing: ours with performance.now and process.cpuUsage around the whole per-variable pipeline
 * (analytic statistic + permutation test; the permutation draws are made once per run and counted
 * in the single-variable time), median of `--runs` after a warm-up; R with proc.time around the
 * localmoran_perm / localG_perm call only (reading CSVs and building the listw excluded), median of
 * `--r-runs`. spdep runs serially (no cores option set). Before each phase it waits until the
 * 1-minute load average is below 1.5 (30 s polls, at most 10 minutes in all; `--no-wait` skips).
 *
 * Usage: node --import tsx bench/spatial.ts [--runs 5] [--r-runs 3] [--no-r] [--no-wait]
 *        npm run bench -- --only spatial
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import type { Feature, FeatureCollection, MultiPolygon, Polygon } from "geojson";
import { feature } from "topojson-client";
import type { Topology } from "topojson-specification";
import {
  centroids,
  drawPermutations,
  includeSelf,
  kNearestNeighbours,
  localG,
  localGPermutation,
  localMoran,
  localMoranPermutation,
  maxCardinality,
  polygonCentroid,
  queenContiguity,
  spatialWeights,
  type ArealGeometry,
  type PermutationTest,
} from "../packages/core/src/index.js";
import {
  argFlag,
  argNumber,
  fmtInt,
  fmtMs,
  isMain,
  log,
  machine,
  median,
  OUT,
  report,
  ROOT,
  selfCpuSeconds,
  type BenchResult,
} from "./lib.js";

const DIR = join(OUT, "spatial");
const GEO = join(ROOT, "data", "demo", "geo");
const RIVM = join(ROOT, "data", "demo", "rivm");
const K = 6;
const PERMUTATIONS = 999;
const SEED = 20_260_106;
const COMPARED = "Eenzaam_28";

// ---------------------------------------------------------------------------------------------
// Data

/** One CSV line with double-quoted fields. */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      out.push(field);
      field = "";
    } else field += ch;
  }
  out.push(field);
  return out;
}

interface Wave {
  /** Variable name (column, suffixed with the age group) → value per area code. */
  readonly variables: Map<string, Map<string, number>>;
  readonly buurten: string[];
}

function readRivm(file: string, suffix: string): Wave {
  const lines = readFileSync(join(RIVM, file), "utf8").split(/\r?\n/).filter(Boolean);
  const header = splitCsv(lines[0]!);
  const code = header.indexOf("Codering_3");
  const kind = header.indexOf("SoortRegio_2");
  const first = header.indexOf("Codering_3") + 1;
  const variables = new Map<string, Map<string, number>>();
  for (let c = first; c < header.length; c++) variables.set(`${header[c]!}${suffix}`, new Map());
  const buurten: string[] = [];
  for (const line of lines.slice(1)) {
    const f = splitCsv(line);
    const area = f[code]!.trim();
    if (f[kind]!.trim() === "Buurt") buurten.push(area);
    for (let c = first; c < header.length; c++) {
      const v = f[c]!.trim();
      if (v !== "" && v !== ".") variables.get(`${header[c]!}${suffix}`)!.set(area, Number(v));
    }
  }
  for (const [name, values] of variables) if (values.size === 0) variables.delete(name);
  return { variables, buurten };
}

/** Buurt value, else its wijk's, gemeente's or the national one. */
function filled(
  values: Map<string, number>,
  buurten: readonly string[],
): { x: Float64Array; imputed: number } {
  let imputed = 0;
  const x = Float64Array.from(buurten, (b) => {
    const own = values.get(b);
    if (own !== undefined) return own;
    imputed++;
    return values.get(`WK${b.slice(2, 8)}`) ?? values.get(`GM${b.slice(2, 6)}`) ?? values.get("NL01") ?? NaN;
  });
  return { x, imputed };
}

function topoFeatures(file: string, object: string): Feature<Polygon | MultiPolygon>[] {
  const topology = JSON.parse(readFileSync(join(GEO, file), "utf8")) as Topology;
  return (feature(topology, topology.objects[object]!) as FeatureCollection<Polygon | MultiPolygon>).features;
}

interface Points {
  readonly lon: Float64Array;
  readonly lat: Float64Array;
  readonly source: Record<string, number>;
  readonly buurtGeometries: ArealGeometry[];
}

/** Representative points for the 2020 buurten (see the header). */
function representativePoints(buurten: readonly string[]): Points {
  const buurt2014 = topoFeatures("Buurt_2014_layer_q1e3.json", "layer");
  const byCode = new Map<string, [number, number]>();
  const { lon: bl, lat: bt } = centroids(buurt2014.map((f) => f.geometry));
  buurt2014.forEach((f, i) => byCode.set((f.properties as { statcode: string }).statcode, [bl[i]!, bt[i]!]));
  const parents = new Map<string, [number, number]>();
  for (const f of topoFeatures("Wijk_2014_layer_labels.json", "layer"))
    parents.set((f.properties as { statcode: string }).statcode, polygonCentroid(f.geometry));
  for (const f of topoFeatures("GemeenteDetail_2015_layer_q1e3.json", "layer"))
    parents.set((f.properties as { gemeentecode: string }).gemeentecode, polygonCentroid(f.geometry));
  const later = JSON.parse(readFileSync(join(GEO, "gemeenten_2019.geojson"), "utf8")) as FeatureCollection<
    Polygon | MultiPolygon
  >;
  for (const f of later.features) {
    const code = (f.properties as { gemeentecode: string }).gemeentecode;
    if (!parents.has(code)) parents.set(code, polygonCentroid(f.geometry));
  }
  const lon = new Float64Array(buurten.length);
  const lat = new Float64Array(buurten.length);
  const source: Record<string, number> = {
    "buurt 2014": 0,
    "wijk 2014": 0,
    "gemeente 2015": 0,
    "gemeente 2019": 0,
  };
  const used = new Map<string, number>();
  const gemeente2015 = new Set(
    topoFeatures("GemeenteDetail_2015_layer_q1e3.json", "layer").map(
      (f) => (f.properties as { gemeentecode: string }).gemeentecode,
    ),
  );
  [...buurten]
    .map((b, i) => ({ b, i }))
    .sort((p, q) => (p.b < q.b ? -1 : p.b > q.b ? 1 : 0))
    .forEach(({ b, i }) => {
      const own = byCode.get(b);
      if (own) {
        [lon[i], lat[i]] = own;
        source["buurt 2014"]!++;
        return;
      }
      const wijk = `WK${b.slice(2, 8)}`;
      const gemeente = `GM${b.slice(2, 6)}`;
      const parent = parents.has(wijk) ? wijk : gemeente;
      const point = parents.get(parent);
      if (!point) throw new Error(`${b}: no wijk ${wijk} or gemeente ${gemeente} geometry`);
      source[
        parent === wijk ? "wijk 2014" : gemeente2015.has(gemeente) ? "gemeente 2015" : "gemeente 2019"
      ]!++;
      const j = used.get(parent) ?? 0;
      used.set(parent, j + 1);
      const r = 0.002 * Math.sqrt(j + 1);
      const angle = j * 2.399963229728653; // golden angle
      lon[i] = point[0] + r * Math.cos(angle);
      lat[i] = point[1] + r * Math.sin(angle);
    });
  return { lon, lat, source, buurtGeometries: buurt2014.map((f) => f.geometry) };
}

// ---------------------------------------------------------------------------------------------
// R

const R_SCRIPT = String.raw`
suppressMessages(library(spdep))
a <- commandArgs(trailingOnly = TRUE)
runs <- as.integer(a[4]); nsim <- as.integer(a[5])
links <- read.csv(a[1])
x <- read.csv(a[2])$x
n <- length(x)
nb <- split(links$to, factor(links$from, levels = seq_len(n)))
nb <- lapply(nb, function(v) if (length(v) == 0) 0L else sort(as.integer(v)))
names(nb) <- NULL
class(nb) <- "nb"; attr(nb, "region.id") <- as.character(seq_len(n))
lw <- nb2listw(nb, style = "W", zero.policy = TRUE)
lws <- nb2listw(include.self(nb), style = "W", zero.policy = TRUE)
time <- function(f) {
  secs <- c(); cpu <- c(); res <- NULL
  for (i in seq_len(runs)) {
    t0 <- proc.time(); res <- f(); d <- proc.time() - t0
    secs <- c(secs, d[["elapsed"]]); cpu <- c(cpu, d[["user.self"]] + d[["sys.self"]])
  }
  list(secs = secs, cpu = cpu, res = res)
}
num <- function(v) paste0("[", paste(ifelse(is.na(v), "null", sprintf("%.17g", v)), collapse = ","), "]")
lm <- time(function() localmoran(x, lw, zero.policy = TRUE))
lmp <- time(function() localmoran_perm(x, lw, nsim = nsim, zero.policy = TRUE, iseed = 1))
lgp <- time(function() localG_perm(x, lws, nsim = nsim, zero.policy = TRUE, iseed = 2))
writeLines(paste0("{",
  '"localmoran":{"seconds":', num(lm$secs), ',"cpuSeconds":', num(lm$cpu), '},',
  '"localmoran_perm":{"seconds":', num(lmp$secs), ',"cpuSeconds":', num(lmp$cpu),
  ',"pFolded":', num(lmp$res[, "Pr(folded) Sim"]), '},',
  '"localG_perm":{"seconds":', num(lgp$secs), ',"cpuSeconds":', num(lgp$cpu),
  ',"pFolded":', num(attr(lgp$res, "internals")[, "Pr(folded) Sim"]), '},',
  '"spdep":"', as.character(packageVersion("spdep")), '","r":"', R.version.string, '"}'), a[3])
`;

interface RTimed {
  seconds: number[];
  cpuSeconds: number[];
  pFolded?: (number | null)[];
}
interface RResult {
  localmoran: RTimed;
  localmoran_perm: RTimed;
  localG_perm: RTimed;
  spdep: string;
  r: string;
}

function runR(links: string, values: string, runs: number): { result: RResult; wallMs: number } {
  const script = join(DIR, "spatial.R");
  const json = join(DIR, "r-result.json");
  writeFileSync(script, R_SCRIPT);
  const started = performance.now();
  const r = spawnSync("Rscript", [script, links, values, json, String(runs), String(PERMUTATIONS)], {
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

interface Timed<T> {
  ms: number[];
  cpuMs: number[];
  warmupMs: number;
  result: T;
}

/** Runs fn `runs` times after one warm-up; wall and CPU times in ms and the last result. */
function timeRuns<T>(runs: number, fn: () => T): Timed<T> {
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

/** Share of areas whose p differs from R's by more than 4·√(p̄(1 − p̄)/P) + 1/1000. */
function agreement(ours: Float64Array, r: readonly (number | null)[]): { misses: number; compared: number } {
  let misses = 0;
  let compared = 0;
  r.forEach((pr, i) => {
    if (pr === null) return;
    const po = ours[i]!;
    const p = (po + pr) / 2;
    compared++;
    if (Math.abs(po - pr) > 4 * Math.sqrt((p * (1 - p)) / PERMUTATIONS) + 1 / 1000) misses++;
  });
  return { misses, compared };
}

export async function main(): Promise<BenchResult> {
  const began = performance.now();
  const runs = argNumber("runs", 5);
  const rRuns = argNumber("r-runs", 3);
  const withR = !argFlag("no-r");
  mkdirSync(DIR, { recursive: true });

  log("reading RIVM 2020 and the geometry");
  const adults = readRivm("50090NED_2020_18plus.csv", "");
  const seniors = readRivm("50090NED_2020_65plus.csv", " (65+)");
  const buurten = adults.buurten;
  const variables: { name: string; x: Float64Array; imputed: number }[] = [];
  for (const wave of [adults, seniors])
    for (const [name, values] of wave.variables) {
      const v = filled(values, buurten);
      if (v.x.every(Number.isFinite)) variables.push({ name, ...v });
    }
  const compared = variables.find((v) => v.name === COMPARED)!;
  const points = representativePoints(buurten);
  const n = buurten.length;

  const loads: number[] = [];
  const raw: Record<string, unknown> = {
    n,
    k: K,
    permutations: PERMUTATIONS,
    seed: SEED,
    points: points.source,
  };

  // Weights (ours): kNN on the 13,808 points; queen contiguity on the 11,691 polygons of 2014.
  loads.push(await waitForQuiet("weights"));
  const knn = timeRuns(runs, () => kNearestNeighbours(points.lon, points.lat, K));
  const queen = timeRuns(runs, () => queenContiguity(points.buurtGeometries));
  const w = spatialWeights(knn.result, "W");
  const wStar = spatialWeights(includeSelf(knn.result), "W");
  log(`kNN ${fmtMs(median(knn.ms))}, queen ${fmtMs(median(queen.ms))}`);

  // Weights and values for R.
  const links = join(DIR, "knn6.csv");
  const rows = ["from,to"];
  for (let i = 0; i < n; i++)
    for (let t = w.offsets[i]!; t < w.offsets[i + 1]!; t++) rows.push(`${i + 1},${w.neighbours[t]! + 1}`);
  writeFileSync(links, `${rows.join("\n")}\n`);
  const valuesFile = join(DIR, "values.csv");
  writeFileSync(valuesFile, `x\n${Array.from(compared.x, (v) => String(v)).join("\n")}\n`);

  // Ours: one variable, the whole pipeline (draws + analytic + permutations).
  loads.push(await waitForQuiet("ours"));
  const draws = () => drawPermutations(n, maxCardinality(wStar), { seed: SEED, permutations: PERMUTATIONS });
  const moranOne = timeRuns(runs, () => {
    const d = draws();
    localMoran(compared.x, w);
    return localMoranPermutation(compared.x, w, d);
  });
  const gOne = timeRuns(runs, () => {
    const d = draws();
    localG(compared.x, wStar);
    return localGPermutation(compared.x, wStar, d);
  });
  const drawTime = timeRuns(runs, draws);
  // Ours: every variable of the 2020 wave (18+ and 65+), both statistics, draws shared.
  const all = timeRuns(runs, () => {
    const d = draws();
    let significant = 0;
    for (const v of variables) {
      localMoran(v.x, w);
      const m: PermutationTest = localMoranPermutation(v.x, w, d);
      localG(v.x, wStar);
      const g = localGPermutation(v.x, wStar, d);
      for (let i = 0; i < n; i++) if (m.pHigh[i]! <= 0.05 || g.pHigh[i]! <= 0.05) significant++;
    }
    return significant;
  });
  log(
    `ours: Moran ${fmtMs(median(moranOne.ms))}, Gi* ${fmtMs(median(gOne.ms))}, ${variables.length} variables × both ${fmtMs(median(all.ms))}`,
  );

  let rResult: RResult | undefined;
  if (withR) {
    loads.push(await waitForQuiet("R"));
    log(
      `R spdep: localmoran, localmoran_perm and localG_perm (nsim = ${PERMUTATIONS}) × ${rRuns} on ${n} areas`,
    );
    const r = runR(links, valuesFile, rRuns);
    rResult = r.result;
    raw.r = { ...r.result, localmoran_perm: undefined, localG_perm: undefined, wallMs: r.wallMs };
    raw.rSeconds = {
      localmoran: r.result.localmoran.seconds,
      localmoran_perm: r.result.localmoran_perm.seconds,
      localG_perm: r.result.localG_perm.seconds,
    };
    log(`R done in ${fmtMs(r.wallMs)}`);
  }
  loads.push(loadavg()[0]!);

  const timeRows: (string | number)[][] = [];
  const rSide = (t: RTimed | undefined) =>
    t
      ? { ms: median(t.seconds.map((s) => s * 1000)), cpuMs: median(t.cpuSeconds.map((s) => s * 1000)) }
      : undefined;
  const addRow = (
    label: string,
    o: Timed<unknown>,
    r: { ms: number; cpuMs: number } | undefined,
    target = true,
  ) => {
    const wall = r ? r.ms / median(o.ms) : NaN;
    const cpu = r ? r.cpuMs / median(o.cpuMs) : NaN;
    timeRows.push([
      label,
      fmtMs(median(o.ms)),
      `${fmtMs(Math.min(...o.ms))}–${fmtMs(Math.max(...o.ms))}`,
      fmtMs(median(o.cpuMs)),
      fmtMs(o.warmupMs),
      r ? fmtMs(r.ms) : "–",
      r ? fmtMs(r.cpuMs) : "–",
      r ? `${wall.toFixed(0)}× (CPU ${cpu.toFixed(0)}×)` : "–",
      r && target ? (Math.min(wall, cpu) >= 10 ? "ok" : "**MISS**") : "–",
    ]);
  };
  addRow(
    `Local Moran's I + ${PERMUTATIONS} permutations, 1 variable`,
    moranOne,
    rSide(rResult?.localmoran_perm),
  );
  addRow(`Gi* + ${PERMUTATIONS} permutations, 1 variable`, gOne, rSide(rResult?.localG_perm));
  addRow("permutation draws (999 × 8 indices)", drawTime, undefined, false);
  addRow(
    `${variables.length} variables × (Moran + Gi*), ${PERMUTATIONS} permutations`,
    all,
    rResult
      ? {
          ms: variables.length * (rSide(rResult.localmoran_perm)!.ms + rSide(rResult.localG_perm)!.ms),
          cpuMs:
            variables.length * (rSide(rResult.localmoran_perm)!.cpuMs + rSide(rResult.localG_perm)!.cpuMs),
        }
      : undefined,
  );
  addRow(`k = ${K} nearest neighbours of ${fmtInt(n)} points`, knn, undefined, false);
  addRow(
    `queen contiguity of ${fmtInt(points.buurtGeometries.length)} polygons (2014)`,
    queen,
    undefined,
    false,
  );

  const agreeRows: (string | number)[][] = [];
  if (rResult) {
    const moran = moranOne.result;
    const g = gOne.result;
    for (const [label, ours, r] of [
      ["Local Moran's I, folded p", moran.pFolded, rResult.localmoran_perm.pFolded!],
      ["Gi*, folded p", g.pFolded, rResult.localG_perm.pFolded!],
    ] as const) {
      const a = agreement(ours, r);
      agreeRows.push([label, a.compared, a.misses, `${((100 * a.misses) / a.compared).toFixed(2)} %`]);
    }
  }

  const imputed = compared.imputed;
  const m = machine();
  return {
    name: "spatial",
    title: "6a. Spatial statistics (issue 5) (`bench/spatial.ts`)",
    command: `node --import tsx bench/spatial.ts --runs ${runs} --r-runs ${rRuns}`,
    tables: [
      {
        title: `Time: ours (median of ${runs} after a warm-up) vs R spdep ${rResult?.spdep ?? ""} (median of ${rRuns}; R × variables for the last workload is extrapolated)`,
        columns: [
          "workload",
          "ours (wall)",
          "ours range",
          "ours (CPU)",
          "ours warm-up",
          "R (wall)",
          "R (CPU)",
          "R / ours",
          "≥ 10×",
        ],
        rows: timeRows,
      },
      ...(agreeRows.length
        ? [
            {
              title: `Agreement with R: |p − p_R| > 4·√(p̄(1 − p̄)/${PERMUTATIONS}) + 1/1000 (independent seeds)`,
              columns: ["statistic", "areas", "outside", "share"],
              rows: agreeRows,
            },
          ]
        : []),
    ],
    notes: [
      `1-minute load average before the phases and at the end: ${loads.map((l) => l.toFixed(2)).join(", ")}`,
      `${fmtInt(n)} buurten of 2020; points: ${Object.entries(points.source)
        .map(([k, v]) => `${fmtInt(v)} ${k}`)
        .join(", ")}; k = ${K}, style W; ${PERMUTATIONS} permutations, seed ${SEED}.`,
      `Compared variable ${COMPARED} (18+); ${imputed} suppressed buurt values filled from the wijk, gemeente or country. ${variables.length} variables in all (18+ and 65+).`,
      `R analytic localmoran: ${rResult ? fmtMs(rSide(rResult.localmoran)!.ms) : "–"} (ours is part of the 1-variable time).`,
      "Ours: packages/core source through tsx, one process, single-threaded. R: time inside R around the spdep call only; serial.",
    ],
    raw: { ...raw, significantCells: all.result },
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
