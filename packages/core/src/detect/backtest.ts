/**
 * Backtest of the detectors (issue 5, "Validation"): null data drawn from the models the tests
 * assume, planted anomalies of known size and place, the REAL detectors (engine.ts, count-charts.ts)
 * and the REAL run assessment (assessRun: Benjamini–Hochberg over every test of a run, severities,
 * one alert per area and domain), scored like `surveillance::algo.quality`: sensitivity, false-alarm
 * rate, empirical false-discovery rate and detection delay. Pure: seeded with pure-rand
 * (xoroshiro128+), no Math.random, no clock, no I/O; the same options give the same report.
 *
 * Scenarios (docs/methods.md, "Backtest: sensitivity, false alarms, detection delay"):
 *
 * - **status / space** (`backtestStatus`): a synthetic city of rows × cols square buurten (GeoJSON
 *   polygons; queen contiguity built by the real weights code through `prepareWeights`), one
 *   gemeente, one indicator, one period. Data either "rates" — counts ~ Binomial(nᵢ, θ) with
 *   log-normal denominators (funnel test) — or "model" — model-based percentages μ + σ·ε rounded to
 *   one decimal (standardised test). The run is what the system runs on such a series:
 *   `detectSeries` with the city's weights (funnel or standardised, Local Moran's I, Gi*, 999
 *   permutations), then `assessRun`. Planted: single areas ("single") or an area with its queen
 *   neighbours ("cluster") shifted by δ SD. Options for stress tests: `betweenSd` (true proportions
 *   that vary between areas, i.e. overdispersion in the null) and the what-if `spatialPValue:
 *   "normal"` (spatial p-values from the permutation z instead of the permutation rank).
 * - **single street** (`backtestStreets`): buurten made of PC6-like units; one PC6 per chosen buurt
 *   is shifted by δ SD while the rest of its buurt is lowered so the buurt's expected rate stays the
 *   gemeente's: an average buurt with one deviating street. One run holds the PC6 series (funnel) and
 *   the buurt series (funnel, Moran, Gi*).
 * - **weekly counts** (`backtestCounts`): negative binomial (or Poisson) weekly counts with
 *   seasonality per area, b years of history; from a known onset week a level shift or a trend (a
 *   ramp to δ SD over `rampWeeks`) is planted. The weekly run is the engine's: `countTests` on the
 *   areas' series up to that week (ISO weeks, settings.dynamics.counts), then `assessRun`; per area
 *   `detectCounts` with the same baseline settings over the evaluation window scores the raw rules
 *   (baseline threshold, EWMA, CUSUM) and the calibration of the p-values.
 * - **short annual series** (`backtestAnnual`): T = 3 … 8 waves of model-based percentages with a
 *   city-wide change; planted step (level shift from the middle wave on) or ramp (steady rise per
 *   wave); run = `detectSeries` (standardised status of the last wave, relative change, Mann–Kendall
 *   trend when T ≥ 4, Moran, Gi*) + `assessRun`.
 *
 * What "δ SD" means is given per scenario in `effectUnit` of every result; in short: the planted
 * shift in units of the null standard deviation of the quantity the test reads (the area's observed
 * proportion for the funnel test, the value for the standardised test, the weekly count for the count
 * detector, the difference in change for the relative change; the ramp per wave in units of the wave
 * noise).
 */
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import type { AreaLevel } from "../area-codes.js";
import type { Domain, IndicatorKind } from "../catalogue.js";
import { assessRun, type AlertDraft, type DetectorId, type TestBatch } from "./assess.js";
import { detectCounts, type CountDetection, type CountDetectionOptions } from "./count-charts.js";
import { normalCdf } from "./distributions.js";
import { countChartOptions, countControl, countTests, isoWeekMonday, isoWeekOfDay } from "./engine-counts.js";
import { detectSeries, prepareWeights, type PreparedWeights } from "./engine.js";
import { DEFAULT_DETECTION_SETTINGS, type DetectionSettings } from "./model.js";
import type { IndicatorSeries } from "./series.js";
import { neighbourLists } from "./weights.js";

// ---------------------------------------------------------------------------------------------
// Seeded random numbers

/** A 32-bit seed from integers (murmur3's finaliser over each), for independent streams. */
export function mixSeed(...parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    const lo = p | 0;
    const hi = Math.floor(p / 4294967296) | 0;
    for (const x of [lo, hi]) {
      h = Math.imul(h ^ x, 0x85ebca6b);
      h ^= h >>> 13;
      h = Math.imul(h, 0xc2b2ae35);
      h ^= h >>> 16;
    }
  }
  return h | 0;
}

/**
 * Samplers on one xoroshiro128+ stream. Independent of the detectors' own distribution code on
 * purpose (binomial by waiting times, Poisson by inversion, gamma by Marsaglia–Tsang), so a bug there
 * cannot make null data and test agree with each other.
 */
export class BacktestRandom {
  private readonly g: RandomGenerator;

  constructor(seed: number) {
    this.g = xoroshiro128plus(seed | 0);
  }

  /** Uniform on [0, 1). */
  uniform(): number {
    return uniformFloat64(this.g);
  }

  /** Whole number uniform on lo … hi. */
  int(lo: number, hi: number): number {
    return lo + Math.min(hi - lo, Math.floor(this.uniform() * (hi - lo + 1)));
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
  }

  /** Gamma(shape, 1) (Marsaglia & Tsang 2000; shape < 1 boosted by U^(1/shape)). */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * this.uniform() ** (1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.normal();
      const v = (1 + c * x) ** 3;
      if (v > 0 && Math.log(1 - this.uniform()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  }

  /** Poisson(λ) by inversion (λ up to a few hundred). */
  poisson(lambda: number): number {
    if (!(lambda > 0)) return 0;
    let k = 0;
    let p = Math.exp(-lambda);
    let s = p;
    const x = this.uniform();
    while (x > s && k < 100_000) {
      k++;
      p *= lambda / k;
      s += p;
    }
    return k;
  }

  /** Binomial(n, p): successes among n trials, by geometric waiting times (O(n·min(p, 1 − p))). */
  binomial(n: number, p: number): number {
    if (!(p > 0) || n <= 0) return 0;
    if (p >= 1) return n;
    if (p > 0.5) return n - this.binomial(n, 1 - p);
    const logq = Math.log1p(-p);
    let x = 0;
    let at = 0;
    for (;;) {
      at += Math.floor(Math.log(1 - this.uniform()) / logq) + 1;
      if (at > n) return x;
      x++;
    }
  }

  /** Negative binomial with mean μ and size k (variance μ + μ²/k), as a gamma–Poisson mixture; k = ∞: Poisson. */
  negativeBinomial(mu: number, size: number): number {
    if (size === Infinity) return this.poisson(mu);
    return this.poisson((this.gamma(size) * mu) / size);
  }
}

// ---------------------------------------------------------------------------------------------
// The synthetic city

/** Fictional gemeente of the synthetic city (no real gemeente has this code). */
export const BACKTEST_GEMEENTE = "GM9001";

export interface SyntheticCity {
  readonly rows: number;
  readonly cols: number;
  /** Buurt codes BU9001wwbb, row-major. */
  readonly codes: readonly string[];
  /** GeoJSON Polygon text per area (squares of 0.01° longitude × 0.006° latitude near Amsterdam). */
  readonly geometries: readonly string[];
  /** Queen-contiguity neighbours built by the real weights code (`prepareWeights`). */
  readonly weights: PreparedWeights;
  /** The same neighbours as lists. */
  readonly neighbours: readonly (readonly number[])[];
}

/**
 * A city of rows × cols square buurten with queen-contiguity weights from their polygons (8 neighbours
 * inside, 5 on an edge, 3 in a corner). The weights come from `prepareWeights`, so the backtest
 * exercises the same geometry code as a real run.
 */
export function syntheticCity(
  rows: number,
  cols: number,
  settings: DetectionSettings = DEFAULT_DETECTION_SETTINGS,
): SyntheticCity {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 3 || cols < 3 || rows * cols > 9999)
    throw new RangeError(
      `the city needs 3 … 9999 areas in at least 3 rows and columns, got ${rows} × ${cols}`,
    );
  const lon = Array.from({ length: cols + 1 }, (_, c) => 4.8 + c * 0.01);
  const lat = Array.from({ length: rows + 1 }, (_, r) => 52.3 + r * 0.006);
  const codes: string[] = [];
  const geometries: string[] = [];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const i = r * cols + c;
      codes.push(`BU9001${String(Math.floor(i / 100)).padStart(2, "0")}${String(i % 100).padStart(2, "0")}`);
      const [x0, x1, y0, y1] = [lon[c], lon[c + 1], lat[r], lat[r + 1]] as [number, number, number, number];
      geometries.push(
        JSON.stringify({
          type: "Polygon",
          coordinates: [
            [
              [x0, y0],
              [x1, y0],
              [x1, y1],
              [x0, y1],
              [x0, y0],
            ],
          ],
        }),
      );
    }
  const weights = prepareWeights(
    { key: "backtest:buurt", geometryDivision: 2025, codes, geometries },
    { ...settings, space: { ...settings.space, weights: "queen" } },
  );
  return { rows, cols, codes, geometries, weights, neighbours: neighbourLists(weights.neighbours) };
}

/**
 * Picks `count` planted units at random: each the chosen area plus, for clusters, its queen
 * neighbours. A unit is never a neighbour of another unit or of its halo (the neighbours of its
 * members), so every null area next to a planted one belongs to exactly one unit. Cluster centres
 * are inner areas (a full set of neighbours). Returns fewer units when the city is too small.
 */
export function plantUnits(
  neighbours: readonly (readonly number[])[],
  count: number,
  kind: "single" | "cluster",
  rng: BacktestRandom,
): number[][] {
  const n = neighbours.length;
  const maxNb = neighbours.reduce((m, l) => Math.max(m, l.length), 0);
  const blocked = new Uint8Array(n);
  const units: number[][] = [];
  for (let attempt = 0; units.length < count && attempt < 200 * count; attempt++) {
    const a = rng.int(0, n - 1);
    const nb = neighbours[a] as readonly number[];
    if (kind === "cluster" && nb.length < maxNb) continue;
    const members = kind === "cluster" ? [a, ...nb] : [a];
    // The unit, its halo and the halo's neighbours must be free of other units and their halos.
    const reach = new Set<number>();
    for (const m of members) {
      reach.add(m);
      for (const j of neighbours[m] as readonly number[]) {
        reach.add(j);
        for (const k of neighbours[j] as readonly number[]) reach.add(k);
      }
    }
    if ([...reach].some((j) => blocked[j])) continue;
    for (const m of members) {
      blocked[m] = 1;
      for (const j of neighbours[m] as readonly number[]) blocked[j] = 1;
    }
    units.push(members.sort((x, y) => x - y));
  }
  return units;
}

// ---------------------------------------------------------------------------------------------
// Results

/** Detectors whose statistic is about an area's neighbourhood, not only the area itself. */
const NEIGHBOURHOOD_DETECTORS: ReadonlySet<DetectorId> = new Set(["space-local-moran", "space-gi-star"]);

export interface BacktestResult {
  /** e.g. "status-rates-single", "street-pc6", "counts-level", "annual-ramp-5". */
  readonly scenario: string;
  readonly description: string;
  /** What δ = 1 means in this scenario. */
  readonly effectUnit: string;
  readonly delta: number;
  readonly replicates: number;
  /** Runs assessed (status: one per replicate; weekly counts: one per replicate and week). */
  readonly runs: number;
  /** Planted units over all replicates (single areas, clusters, PC6s, area series). */
  readonly planted: number;
  /** Planted units with an alert (clusters: on any member; counts: within the horizon). */
  readonly found: number;
  /** found / planted; NaN when nothing was planted. */
  readonly sensitivity: number;
  /** Null units over all runs (areas, or area-weeks for counts) that could raise a false alert. */
  readonly nullUnits: number;
  readonly falseAlerts: number;
  /** falseAlerts / nullUnits. */
  readonly falseAlarmRate: number;
  /**
   * Alerts on null areas next to a planted unit raised only by a neighbourhood statistic (Local
   * Moran, Gi*): they report the planted cluster, so they are counted apart, neither true nor false.
   */
  readonly haloAlerts: number;
  /** All alerts (true, false and halo). */
  readonly alerts: number;
  /** Empirical FDR: the mean over runs of V / max(1, R − H) (V false, R all, H halo alerts of the run). */
  readonly fdr: number;
  /** The same with halo alerts counted as false: mean of (V + H) / max(1, R). */
  readonly fdrStrict: number;
  /** Planted units found per detector (a unit can be found by several). */
  readonly foundBy: Readonly<Partial<Record<DetectorId, number>>>;
  /** Scenario-specific figures (member sensitivity, φ, parent buurt, …), documented per scenario. */
  readonly metrics: Readonly<Record<string, number>>;
}

/** Detection delay over all planted units (misses count as infinite). */
export interface DelaySummary {
  /** Weeks from onset to the first alarm (0: in the onset week); median over all planted units. */
  readonly median: number;
  /** The delay within which 90 % of the planted units were found (Infinity when fewer were found). */
  readonly p90: number;
  /** Share found within 1, 4, 13 weeks and within the horizon (from the onset week on). */
  readonly within: Readonly<Record<"1" | "4" | "13" | "horizon", number>>;
}

export const COUNT_RULES = ["run", "baseline", "ewma", "cusum", "any"] as const;
/**
 * run: an alert of the weekly run (the engine's countTests over all areas, BH, q < 0.05);
 * baseline: the Farrington/Noufaily threshold alarm (count above the upper bound and the minimum-count
 * rule); ewma / cusum: the chart's alarm; any: baseline, EWMA or CUSUM (no multiplicity control).
 */
export type CountRule = (typeof COUNT_RULES)[number];

export interface CountRuleResult {
  readonly sensitivity: number;
  readonly falseAlarmRate: number;
  /** Alarmed null area-weeks / all alarmed area-weeks (depends on how many areas were planted). */
  readonly falseShare: number;
  readonly delay: DelaySummary;
}

export interface CountBacktestResult extends BacktestResult {
  readonly horizon: number;
  readonly rules: Readonly<Record<CountRule, CountRuleResult>>;
}

/** Per-scenario tallies across runs. */
class Tally {
  runs = 0;
  planted = 0;
  found = 0;
  nullUnits = 0;
  falseAlerts = 0;
  haloAlerts = 0;
  alerts = 0;
  fdpSum = 0;
  fdpStrictSum = 0;
  readonly foundBy = new Map<DetectorId, number>();

  /**
   * Scores one run's alerts. Keys are `<level>:<code>`; `units` the planted units' member keys,
   * `halo` the null keys next to a planted unit, `nullKeys` the number of null keys in the run.
   */
  scoreRun(
    alerts: readonly AlertDraft[],
    units: readonly (readonly string[])[],
    halo: ReadonlySet<string>,
    nullKeys: number,
    countUnits = true,
  ): { byKey: Map<string, AlertDraft>; membersFound: number } {
    const byKey = new Map<string, AlertDraft>();
    for (const a of alerts) byKey.set(`${a.level}:${a.area}`, a);
    const planted = new Set(units.flat());
    let v = 0;
    let h = 0;
    for (const [key, a] of byKey) {
      if (planted.has(key)) continue;
      if (halo.has(key) && a.detectors.every((d) => NEIGHBOURHOOD_DETECTORS.has(d))) h++;
      else v++;
    }
    let membersFound = 0;
    for (const unit of countUnits ? units : []) {
      const hits = unit.filter((k) => byKey.has(k));
      membersFound += hits.length;
      if (hits.length === 0) continue;
      this.found++;
      const by = new Set<DetectorId>();
      for (const k of hits) for (const d of (byKey.get(k) as AlertDraft).detectors) by.add(d);
      for (const d of by) this.foundBy.set(d, (this.foundBy.get(d) ?? 0) + 1);
    }
    const r = byKey.size;
    this.runs++;
    if (countUnits) this.planted += units.length;
    this.nullUnits += nullKeys;
    this.falseAlerts += v;
    this.haloAlerts += h;
    this.alerts += r;
    this.fdpSum += v / Math.max(1, r - h);
    this.fdpStrictSum += (v + h) / Math.max(1, r);
    return { byKey, membersFound };
  }

  result(
    head: Pick<BacktestResult, "scenario" | "description" | "effectUnit" | "delta" | "replicates">,
    metrics: Record<string, number>,
  ): BacktestResult {
    return {
      ...head,
      runs: this.runs,
      planted: this.planted,
      found: this.found,
      sensitivity: this.planted > 0 ? this.found / this.planted : NaN,
      nullUnits: this.nullUnits,
      falseAlerts: this.falseAlerts,
      falseAlarmRate: this.nullUnits > 0 ? this.falseAlerts / this.nullUnits : NaN,
      haloAlerts: this.haloAlerts,
      alerts: this.alerts,
      fdr: this.runs > 0 ? this.fdpSum / this.runs : NaN,
      fdrStrict: this.runs > 0 ? this.fdpStrictSum / this.runs : NaN,
      foundBy: Object.fromEntries([...this.foundBy].sort(([a], [b]) => a.localeCompare(b))),
      metrics,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Series

interface SeriesSpec {
  readonly id: string;
  readonly domain: Domain;
  readonly kind: IndicatorKind;
  readonly level: AreaLevel;
  readonly periods: readonly string[];
  readonly areas: readonly string[];
  /** [period][area]. */
  readonly values: readonly Float64Array[];
  readonly numerators?: readonly Float64Array[];
  readonly denominators?: readonly Float64Array[];
  /** Gemeente value per period. */
  readonly reference: Float64Array;
  readonly referenceCounts?: { numerator: Float64Array; denominator: Float64Array };
}

/** An indicator series of one gemeente (higher is worse), as `buildSeries` would deliver it. */
function indicatorSeries(spec: SeriesSpec): IndicatorSeries {
  return {
    indicator: { id: spec.id, domain: spec.domain, polarity: "higher-is-worse", kind: spec.kind },
    level: spec.level,
    division: 2025,
    periods: spec.periods,
    areas: spec.areas,
    gemeenten: spec.areas.map(() => BACKTEST_GEMEENTE),
    values: spec.values,
    numerators: spec.numerators ?? null,
    denominators: spec.denominators ?? null,
    references: new Map([[BACKTEST_GEMEENTE, spec.reference]]),
    referenceCounts: new Map(spec.referenceCounts ? [[BACKTEST_GEMEENTE, spec.referenceCounts]] : []),
  };
}

/** A rate series (counts of one period) with the gemeente's pooled counts as reference. */
export function rateSeries(
  id: string,
  level: AreaLevel,
  areas: readonly string[],
  nums: Float64Array,
  dens: Float64Array,
): IndicatorSeries {
  let sn = 0;
  let sd = 0;
  for (let i = 0; i < nums.length; i++) {
    sn += nums[i] as number;
    sd += dens[i] as number;
  }
  return indicatorSeries({
    id,
    domain: "income",
    kind: "percentage",
    level,
    periods: ["2025"],
    areas,
    values: [nums.map((x, i) => (100 * x) / (dens[i] as number))],
    numerators: [nums],
    denominators: [dens],
    reference: Float64Array.of((100 * sn) / sd),
    referenceCounts: { numerator: Float64Array.of(sn), denominator: Float64Array.of(sd) },
  });
}

function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i] as number;
  return s / xs.length;
}

function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

/** Log-normal whole numbers clipped to [min, max]. */
function logNormalSize(rng: BacktestRandom, median: number, sdLog: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.round(median * Math.exp(sdLog * rng.normal()))));
}

/** Keys of the null areas next to the planted ones. */
function haloOf(
  units: readonly (readonly number[])[],
  neighbours: readonly (readonly number[])[],
  key: (i: number) => string,
): Set<string> {
  const planted = new Set(units.flat());
  const halo = new Set<string>();
  for (const i of planted)
    for (const j of neighbours[i] as readonly number[]) if (!planted.has(j)) halo.add(key(j));
  return halo;
}

// ---------------------------------------------------------------------------------------------
// Status and space

/** The what-if of `spatialPValue: "normal"`: a spatial batch's p from the normal tail of its permutation z. */
function normalSpatialP(b: TestBatch): TestBatch {
  if (!NEIGHBOURHOOD_DETECTORS.has(b.detector)) return b;
  const p = b.p.map((pi, i) => (pi === 1 || Number.isNaN(pi) ? pi : normalCdf(-(b.effect[i] as number))));
  return { ...b, p, period: (i) => b.period(i), details: (i) => b.details(i) };
}

export interface StatusBacktestOptions {
  readonly seed: number;
  readonly replicates: number;
  /** "rates": binomial counts, funnel test; "model": model-based percentages, standardised test. */
  readonly data: "rates" | "model";
  readonly anomaly: "none" | "single" | "cluster";
  /** Effect sizes in SD (ignored for "none", which runs δ = 0 once). */
  readonly deltas: readonly number[];
  /** Planted units per replicate (default: 10 single areas, 2 clusters of 9 areas). */
  readonly planted?: number;
  /** City (default 20 × 20 = 400 buurten; a given city is reused). */
  readonly rows?: number;
  readonly cols?: number;
  readonly city?: SyntheticCity;
  /** Rates: null proportion θ (default 0.08) and denominators log-normal (median 800, sdlog 0.9, 20 … 15,000). */
  readonly rate?: number;
  readonly population?: {
    readonly median: number;
    readonly sdLog: number;
    readonly min: number;
    readonly max: number;
  };
  /**
   * Rates: SD of the areas' true proportions around θ on the logit scale (default 0: pure binomial).
   * Above 0 the null has between-area variation (overdispersion) and δ SD includes it.
   */
  readonly betweenSd?: number;
  /**
   * What-if for the spatial detectors: "permutation" (default) keeps the engine's pseudo p-values
   * (≥ 1/(permutations + 1)); "normal" replaces them by the normal tail of the permutation z.
   */
  readonly spatialPValue?: "permutation" | "normal";
  /** Model: mean (default 20 %) and SD (default 3 points) of the values, decimals published (default 1). */
  readonly modelMean?: number;
  readonly modelSd?: number;
  readonly decimals?: number;
  readonly settings?: DetectionSettings;
}

const STATUS_UNIT = {
  rates:
    "δ SD = the planted area's true proportion lies δ·√(θ(1 − θ)/n + v) above its null proportion, v the between-area variance (0 unless betweenSd > 0): δ null SDs of its observed proportion (the funnel z it expects when v = 0)",
  model:
    "δ SD = the planted area's value is raised by δ·σ, σ the null SD of the values (the standardised z it expects)",
} as const;

/**
 * Status and space on one indicator of a synthetic city: for each δ and replicate, null data, planted
 * units shifted by δ SD, `detectSeries` with the city's weights, `assessRun`, scored. Null areas and
 * the planted units' places are the same for every δ of a replicate (common random numbers).
 *
 * metrics: `memberSensitivity` (planted areas with an alert / planted areas; equals sensitivity for
 * single areas), `phi` (mean overdispersion factor the funnel test used, rates only), `meanZ` (mean
 * funnel or standardised z of the planted areas), `testsPerRun` (tests in one run, the m of BH).
 */
export function backtestStatus(options: StatusBacktestOptions): BacktestResult[] {
  const settings = options.settings ?? DEFAULT_DETECTION_SETTINGS;
  const city = options.city ?? syntheticCity(options.rows ?? 20, options.cols ?? 20, settings);
  const n = city.codes.length;
  const kind = options.anomaly;
  const deltas = kind === "none" ? [0] : options.deltas;
  const count = kind === "none" ? 0 : (options.planted ?? (kind === "single" ? 10 : 2));
  const theta = options.rate ?? 0.08;
  const pop = options.population ?? { median: 800, sdLog: 0.9, min: 20, max: 15_000 };
  const mu = options.modelMean ?? 20;
  const sigma = options.modelSd ?? 3;
  const decimals = options.decimals ?? 1;
  const between = options.betweenSd ?? 0;
  // Variance of the true proportions (delta method on the logit scale).
  const betweenVar = (theta * (1 - theta) * between) ** 2;
  const key = (i: number) => `buurt:${city.codes[i] as string}`;
  const tallies = deltas.map(() => new Tally());
  const memberHits = deltas.map(() => 0);
  const memberTotal = deltas.map(() => 0);
  const zSum = deltas.map(() => 0);
  const phiSum = deltas.map(() => 0);
  const testSum = deltas.map(() => 0);
  const tag = options.data === "rates" ? 1 : 2;
  for (let r = 0; r < options.replicates; r++) {
    const rng = new BacktestRandom(mixSeed(options.seed, tag, r));
    const dens = new Float64Array(n);
    for (let i = 0; i < n; i++) dens[i] = logNormalSize(rng, pop.median, pop.sdLog, pop.min, pop.max);
    // Null data: binomial counts around each area's true proportion, or the model's values (before rounding).
    const truth = new Float64Array(n);
    for (let i = 0; i < n; i++)
      truth[i] =
        between > 0 ? 1 / (1 + Math.exp(-(Math.log(theta / (1 - theta)) + between * rng.normal()))) : theta;
    const base = new Float64Array(n);
    for (let i = 0; i < n; i++)
      base[i] =
        options.data === "rates"
          ? rng.binomial(dens[i] as number, truth[i] as number)
          : mu + sigma * rng.normal();
    const units =
      count > 0 ? plantUnits(city.neighbours, count, kind === "cluster" ? "cluster" : "single", rng) : [];
    const planted = units.flat();
    const halo = haloOf(units, city.neighbours, key);
    const unitKeys = units.map((u) => u.map(key));
    deltas.forEach((delta, d) => {
      // The planted areas' draws come from their own stream: the same for every δ.
      const prng = new BacktestRandom(mixSeed(options.seed, tag, r, 7));
      let series: IndicatorSeries;
      if (options.data === "rates") {
        const nums = base.slice();
        for (const i of planted) {
          const size = dens[i] as number;
          const sd = Math.sqrt((theta * (1 - theta)) / size + betweenVar);
          nums[i] = prng.binomial(size, Math.min(0.999, (truth[i] as number) + delta * sd));
        }
        series = rateSeries("backtest_rate", "buurt", city.codes, nums, dens);
      } else {
        const values = base.slice();
        for (const i of planted) values[i] = (values[i] as number) + delta * sigma;
        for (let i = 0; i < n; i++)
          values[i] = Math.min(100, Math.max(0, round(values[i] as number, decimals)));
        series = indicatorSeries({
          id: "backtest_model",
          domain: "health",
          kind: "percentage",
          level: "buurt",
          periods: ["2025"],
          areas: city.codes,
          values: [values],
          reference: Float64Array.of(mean(values)),
        });
      }
      const batches = detectSeries(series, settings, city.weights).map((b) =>
        options.spatialPValue === "normal" ? normalSpatialP(b) : b,
      );
      const status = batches.find(
        (b) => b.detector === "status-funnel" || b.detector === "status-standardised",
      );
      if (status) {
        if (options.data === "rates" && status.p.length > 0) phiSum[d]! += Number(status.details(0).phi ?? 1);
        const zOf = new Map<number, number>();
        for (let t = 0; t < status.area.length; t++)
          zOf.set(status.area[t] as number, status.effect[t] as number);
        for (const i of planted) zSum[d]! += zOf.get(i) ?? 0;
      }
      const run = assessRun(batches, settings);
      testSum[d]! += run.tests;
      const { membersFound } = tallies[d]!.scoreRun(run.alerts, unitKeys, halo, n - planted.length);
      memberHits[d]! += membersFound;
      memberTotal[d]! += planted.length;
    });
  }
  return deltas.map((delta, d) =>
    tallies[d]!.result(
      {
        scenario: `status-${options.data}-${kind}${between > 0 ? `-between${between}` : ""}${options.spatialPValue === "normal" ? "-normalp" : ""}`,
        description:
          `${city.rows} × ${city.cols} buurten, ${options.data === "rates" ? `binomial counts (θ = ${theta}${between > 0 ? `, between-area SD ${between} on the logit scale` : ""})` : `model-based values (μ = ${mu}, σ = ${sigma})`}, ` +
          (options.spatialPValue === "normal"
            ? "spatial p from the normal tail of the permutation z (what-if), "
            : "") +
          (kind === "none"
            ? "nothing planted"
            : `${count} ${kind === "single" ? "single areas" : "clusters (an area and its 8 neighbours)"} planted per replicate`),
        effectUnit: STATUS_UNIT[options.data],
        delta,
        replicates: options.replicates,
      },
      {
        memberSensitivity: memberTotal[d]! > 0 ? memberHits[d]! / memberTotal[d]! : NaN,
        meanZ: memberTotal[d]! > 0 ? zSum[d]! / memberTotal[d]! : NaN,
        testsPerRun: testSum[d]! / options.replicates,
        ...(options.data === "rates" ? { phi: phiSum[d]! / options.replicates } : {}),
      },
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// A single street inside an average buurt

export interface StreetBacktestOptions {
  readonly seed: number;
  readonly replicates: number;
  readonly deltas: readonly number[];
  /** Buurten with a planted PC6 per replicate (default 5; 0: the null scenario). */
  readonly planted?: number;
  /** Buurten (default 10 × 10). */
  readonly rows?: number;
  readonly cols?: number;
  readonly city?: SyntheticCity;
  /** PC6 units per buurt, uniform in [min, max] (default 15 … 35). */
  readonly pc6PerBuurt?: readonly [number, number];
  /** PC6 residents log-normal (default median 40, sdlog 0.6, 10 … 300). */
  readonly population?: {
    readonly median: number;
    readonly sdLog: number;
    readonly min: number;
    readonly max: number;
  };
  /** Null proportion θ (default 0.1). */
  readonly rate?: number;
  readonly settings?: DetectionSettings;
}

/**
 * A single street inside an average buurt: each buurt of the city consists of PC6 units; in
 * `planted` buurten one PC6 gets the proportion θ + δ·√(θ(1 − θ)/n_pc6) and the buurt's other PC6s
 * are lowered by the same number of expected cases, so the buurt as a whole stays at θ (average
 * overall). One run holds the PC6 series (funnel test) and the buurt series (funnel, Moran, Gi*).
 * Buurten are null units (average by construction), so an alert on a planted PC6's buurt is a
 * false alarm.
 *
 * metrics: `parentAlerted` (share of the planted PC6s' buurten with an alert), `parentMeanZ` (their
 * mean funnel z), `pc6FalseAlarmRate`, `buurtFalseAlarmRate`, `meanZ` (mean funnel z of the planted
 * PC6s), `pc6Units` (PC6 units per run), `testsPerRun`.
 */
export function backtestStreets(options: StreetBacktestOptions): BacktestResult[] {
  const settings = options.settings ?? DEFAULT_DETECTION_SETTINGS;
  const city = options.city ?? syntheticCity(options.rows ?? 10, options.cols ?? 10, settings);
  const nb = city.codes.length;
  const count = options.planted ?? 5;
  const deltas = count === 0 ? [0] : options.deltas;
  const [kMin, kMax] = options.pc6PerBuurt ?? [15, 35];
  const pop = options.population ?? { median: 40, sdLog: 0.6, min: 10, max: 300 };
  const theta = options.rate ?? 0.1;
  const tallies = deltas.map(() => new Tally());
  const extra = deltas.map(() => ({
    parentAlerted: 0,
    parentZ: 0,
    pc6False: 0,
    pc6Null: 0,
    buurtFalse: 0,
    buurtNull: 0,
    z: 0,
    pc6: 0,
    tests: 0,
  }));
  for (let r = 0; r < options.replicates; r++) {
    const rng = new BacktestRandom(mixSeed(options.seed, 3, r));
    const pc6Codes: string[] = [];
    const parent: number[] = [];
    const sizes: number[] = [];
    for (let b = 0; b < nb; b++) {
      const k = rng.int(kMin, kMax);
      for (let j = 0; j < k; j++) {
        pc6Codes.push(
          `${1000 + b}${String.fromCharCode(65 + Math.floor(j / 26))}${String.fromCharCode(65 + (j % 26))}`,
        );
        parent.push(b);
        sizes.push(logNormalSize(rng, pop.median, pop.sdLog, pop.min, pop.max));
      }
    }
    const m = pc6Codes.length;
    const dens = Float64Array.from(sizes);
    const buurtDens = new Float64Array(nb);
    for (let j = 0; j < m; j++) buurtDens[parent[j] as number]! += dens[j] as number;
    // The planted PC6s: a random PC6 in each of `count` random, non-adjacent buurten.
    const buurten = plantUnits(city.neighbours, count, "single", rng).map((u) => u[0] as number);
    const membersOf = new Map<number, number[]>();
    for (let j = 0; j < m; j++) {
      const b = parent[j] as number;
      if (!membersOf.has(b)) membersOf.set(b, []);
      (membersOf.get(b) as number[]).push(j);
    }
    const streets = buurten.map((b) => {
      const members = membersOf.get(b) as number[];
      return members[rng.int(0, members.length - 1)] as number;
    });
    const nullRng = new BacktestRandom(mixSeed(options.seed, 3, r, 5));
    const baseNums = new Float64Array(m);
    for (let j = 0; j < m; j++) baseNums[j] = nullRng.binomial(dens[j] as number, theta);
    deltas.forEach((delta, d) => {
      const prng = new BacktestRandom(mixSeed(options.seed, 3, r, 7));
      const nums = baseNums.slice();
      streets.forEach((s, u) => {
        const b = buurten[u] as number;
        const size = dens[s] as number;
        const p = Math.min(0.999, theta + delta * Math.sqrt((theta * (1 - theta)) / size));
        const excess = (p - theta) * size;
        const rest = (buurtDens[b] as number) - size;
        const pRest = Math.max(0, theta - excess / rest);
        for (const j of membersOf.get(b) as number[])
          nums[j] = prng.binomial(dens[j] as number, j === s ? p : pRest);
      });
      const buurtNums = new Float64Array(nb);
      for (let j = 0; j < m; j++) buurtNums[parent[j] as number]! += nums[j] as number;
      const pc6Series = rateSeries("backtest_rate", "pc6", pc6Codes, nums, dens);
      const buurtSeries = rateSeries("backtest_rate", "buurt", city.codes, buurtNums, buurtDens);
      const batches = [
        ...detectSeries(pc6Series, settings, null),
        ...detectSeries(buurtSeries, settings, city.weights),
      ];
      const run = assessRun(batches, settings);
      extra[d]!.tests += run.tests;
      const unitKeys = streets.map((s) => [`pc6:${pc6Codes[s] as string}`]);
      const { byKey } = tallies[d]!.scoreRun(run.alerts, unitKeys, new Set(), m - streets.length + nb);
      const e = extra[d]!;
      const planted = new Set(unitKeys.flat());
      for (const k of byKey.keys()) {
        if (planted.has(k)) continue;
        if (k.startsWith("pc6:")) e.pc6False++;
        else e.buurtFalse++;
      }
      e.pc6Null += m - streets.length;
      e.buurtNull += nb;
      for (const b of buurten) if (byKey.has(`buurt:${city.codes[b] as string}`)) e.parentAlerted++;
      const funnelZ = (level: AreaLevel) => {
        const batch = batches.find((x) => x.detector === "status-funnel" && x.level === level);
        const out = new Map<number, number>();
        if (batch)
          for (let t = 0; t < batch.area.length; t++)
            out.set(batch.area[t] as number, batch.effect[t] as number);
        return out;
      };
      const pz = funnelZ("pc6");
      const bz = funnelZ("buurt");
      for (const s of streets) e.z += pz.get(s) ?? 0;
      for (const b of buurten) e.parentZ += bz.get(b) ?? 0;
      e.pc6 += m;
    });
  }
  return deltas.map((delta, d) => {
    const e = extra[d]!;
    const planted = tallies[d]!.planted;
    return tallies[d]!.result(
      {
        scenario: count === 0 ? "street-none" : "street-pc6",
        description:
          `${nb} buurten of ${kMin}–${kMax} PC6 units (median ${pop.median} residents), binomial counts (θ = ${theta}); ` +
          (count === 0
            ? "nothing planted"
            : `${count} buurten per replicate with one deviating PC6, the buurt as a whole at θ`),
        effectUnit:
          "δ SD = the PC6's true proportion lies δ·√(θ(1 − θ)/n_pc6) above θ (δ null SDs of its observed proportion); its buurt's expected proportion stays θ",
        delta,
        replicates: options.replicates,
      },
      {
        parentAlerted: planted > 0 ? e.parentAlerted / planted : NaN,
        parentMeanZ: planted > 0 ? e.parentZ / planted : NaN,
        meanZ: planted > 0 ? e.z / planted : NaN,
        pc6FalseAlarmRate: e.pc6False / e.pc6Null,
        buurtFalseAlarmRate: e.buurtFalse / e.buurtNull,
        pc6Units: e.pc6 / options.replicates,
        testsPerRun: e.tests / options.replicates,
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Weekly counts

export interface CountBacktestOptions {
  readonly seed: number;
  readonly replicates: number;
  /** level: a shift of δ SD from the onset week on; trend: a linear ramp to δ SD over `rampWeeks`, then level. */
  readonly shape: "none" | "level" | "trend";
  readonly deltas: readonly number[];
  /** Areas per replicate (default 100), of which `planted` get the anomaly (default 10). */
  readonly areas?: number;
  readonly planted?: number;
  /** Weeks evaluated after the history the baseline needs (default 39) and the onset week in it (default 13). */
  readonly weeks?: number;
  readonly onset?: number;
  /** Weeks of the trend's ramp (default 13). */
  readonly rampWeeks?: number;
  /** Mean weekly count per area, log-uniform in [min, max] (default 2 … 20). */
  readonly meanRange?: readonly [number, number];
  /** Negative binomial size k (variance μ + μ²/k; default 10; Infinity: Poisson counts). */
  readonly size?: number;
  /** Seasonal amplitude on the log scale (default 0.3; a phase per area). */
  readonly seasonality?: number;
  /** Chart options of the raw rules (default the engine's, with the minimum-count rule). */
  readonly charts?: Partial<CountDetectionOptions>;
  /** The run's settings; `dynamics.counts` is the count baseline of the run and of the rules. */
  readonly settings?: DetectionSettings;
}

/** Per area and evaluated week: the rules' alarms and the run's p-values. */
interface AreaWeeks {
  readonly baseline: Uint8Array;
  readonly ewma: Uint8Array;
  readonly cusum: Uint8Array;
  readonly pBaseline: Float64Array;
  readonly pEwma: Float64Array;
  readonly effect: Float64Array;
  readonly observed: Float64Array;
  readonly expected: Float64Array;
}

function areaWeeks(detections: readonly CountDetection[]): AreaWeeks {
  const w = detections.length;
  const out: AreaWeeks = {
    baseline: new Uint8Array(w),
    ewma: new Uint8Array(w),
    cusum: new Uint8Array(w),
    pBaseline: new Float64Array(w).fill(NaN),
    pEwma: new Float64Array(w).fill(NaN),
    effect: new Float64Array(w),
    observed: new Float64Array(w),
    expected: new Float64Array(w).fill(NaN),
  };
  detections.forEach((det, t) => {
    const b = det.baseline;
    out.observed[t] = b.observed;
    out.ewma[t] = det.ewma.alarm ? 1 : 0;
    out.cusum[t] = det.cusum.alarm ? 1 : 0;
    out.pEwma[t] = det.ewma.pValue;
    out.effect[t] = Number.isNaN(det.residual) ? 0 : det.residual;
    if (b.kind !== "baseline") return;
    out.baseline[t] = b.alarm ? 1 : 0;
    out.expected[t] = b.expected;
    // The minimum-count rule: no alarm, so not significant either, without enough recent cases.
    out.pBaseline[t] = Number.isNaN(b.pValue) ? NaN : b.enoughCases ? b.pValue : 1;
    if (!b.enoughCases && !Number.isNaN(out.pEwma[t])) out.pEwma[t] = 1;
  });
  return out;
}

function quantileType1(sorted: readonly number[], prob: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.max(0, Math.ceil(prob * sorted.length) - 1)] as number;
}

function delaySummary(delays: readonly number[], horizon: number): DelaySummary {
  const sorted = [...delays].sort((a, b) => a - b);
  const share = (d: number) => (delays.length > 0 ? delays.filter((x) => x < d).length / delays.length : NaN);
  return {
    median: quantileType1(sorted, 0.5),
    p90: quantileType1(sorted, 0.9),
    within: { "1": share(1), "4": share(4), "13": share(13), horizon: share(horizon) },
  };
}

/**
 * Weekly counts: per replicate `areas` series of b·53 + w ISO weeks of history (from 2020-W01, so
 * 53-week years are in it) plus `weeks` evaluated weeks, negative binomial around a seasonal mean;
 * `planted` of them get, from window week `onset`, a level shift or a ramp of δ SD (SD =
 * √(μ_t + μ_t²/k), the null SD of that week's count). Each week is a run: the engine's `countTests`
 * on the series up to that week (every area's baseline p, 1 under the minimum-count rule), then
 * `assessRun`. Every area also goes through `detectCounts` over the window with the same baseline
 * settings, for the raw rules and the calibration. Sensitivity counts planted series alarmed within
 * the horizon (onset … end of the window); false alarms are alarmed null area-weeks (null areas, and
 * planted areas before the onset). The main figures are the run's; `rules` has each rule's.
 *
 * metrics: `nullAreaWeeks`, `baselineMissing` (area-weeks without a baseline), `meanMu` (mean
 * weekly mean of the areas), `testsPerRun` (areas), and the calibration of the
 * run's p-values on every area's null series: `nullBaselineBelow01` / `…001` / `…0001` (share of
 * null area-weeks with a baseline p below 0.01, 0.001, 0.0001; nominal: the same numbers),
 * `nullEwmaBelow…` (the same for the EWMA p), `nullResidualSd` (SD of the standardised residuals;
 * nominal 1).
 */
export function backtestCounts(options: CountBacktestOptions): CountBacktestResult[] {
  const settings = options.settings ?? DEFAULT_DETECTION_SETTINGS;
  const control = countControl(settings, "weekly");
  const charts = { ...countChartOptions(settings), minimumCountRule: true, ...options.charts };
  const areas = options.areas ?? 100;
  const count = options.shape === "none" ? 0 : Math.min(areas, options.planted ?? 10);
  const deltas = options.shape === "none" ? [0] : options.deltas;
  const weeks = options.weeks ?? 39;
  const onset = options.onset ?? 13;
  if (!(onset >= 0 && onset < weeks))
    throw new RangeError(`onset must lie in 0 … ${weeks - 1}, got ${onset}`);
  const rampWeeks = options.rampWeeks ?? 13;
  const [mMin, mMax] = options.meanRange ?? [2, 20];
  const size = options.size ?? 10;
  const amplitude = options.seasonality ?? 0.3;
  // b ISO years back can be b·53 weeks; then the window of w weeks before that.
  const history = settings.dynamics.counts.b * 53 + settings.dynamics.counts.w.weekly;
  const length = history + weeks;
  const range = Array.from({ length: weeks }, (_, t) => history + t);
  const horizon = weeks - onset;
  const codes = Array.from(
    { length: areas },
    (_, i) => `BU9001${String(Math.floor(i / 100)).padStart(2, "0")}${String(i % 100).padStart(2, "0")}`,
  );
  const monday0 = isoWeekMonday(2020, 1);
  const days = Int32Array.from({ length }, (_, t) => monday0 + 7 * t);
  const periods = Array.from(days, isoWeekOfDay);
  /** The count series of some areas up to window week t, as the store would deliver it. */
  const seriesUpTo = (areaCodes: readonly string[], values: readonly Float64Array[], t: number) =>
    indicatorSeries({
      id: "backtest_counts",
      domain: "safety",
      kind: "count",
      level: "buurt",
      periods: periods.slice(0, history + t + 1),
      areas: areaCodes,
      values: values.slice(0, history + t + 1),
      reference: new Float64Array(history + t + 1).fill(NaN),
    });

  interface Acc {
    tally: Tally;
    delays: Record<CountRule, number[]>;
    alarms: Record<CountRule, { nullWeeks: number; falseWeeks: number; trueWeeks: number }>;
  }
  const acc: Acc[] = deltas.map(() => ({
    tally: new Tally(),
    delays: { run: [], baseline: [], ewma: [], cusum: [], any: [] },
    alarms: {
      run: { nullWeeks: 0, falseWeeks: 0, trueWeeks: 0 },
      baseline: { nullWeeks: 0, falseWeeks: 0, trueWeeks: 0 },
      ewma: { nullWeeks: 0, falseWeeks: 0, trueWeeks: 0 },
      cusum: { nullWeeks: 0, falseWeeks: 0, trueWeeks: 0 },
      any: { nullWeeks: 0, falseWeeks: 0, trueWeeks: 0 },
    },
  }));
  let missing = 0;
  let muSum = 0;
  // Calibration under the null: tails of the run's p-values and the residuals' spread, over every
  // area's null series (before anything is planted).
  const calib = { n: 0, b01: 0, b001: 0, b0001: 0, e01: 0, e001: 0, e0001: 0, r: 0, rr: 0, rn: 0 };
  const tag = options.shape === "trend" ? 5 : 4;
  for (let r = 0; r < options.replicates; r++) {
    const rng = new BacktestRandom(mixSeed(options.seed, 4, r));
    const means: Float64Array[] = [];
    const nullDet: AreaWeeks[] = [];
    const nullCounts: Float64Array[] = [];
    for (let a = 0; a < areas; a++) {
      const level = mMin * (mMax / mMin) ** rng.uniform();
      const phase = 2 * Math.PI * rng.uniform();
      const mu = new Float64Array(length);
      const counts = new Float64Array(length);
      const arng = new BacktestRandom(mixSeed(options.seed, 4, r, a));
      for (let t = 0; t < length; t++) {
        mu[t] = level * Math.exp(amplitude * Math.sin((2 * Math.PI * t) / 52 + phase));
        counts[t] = arng.negativeBinomial(mu[t] as number, size);
      }
      means.push(mu);
      nullCounts.push(counts);
      nullDet.push(areaWeeks(detectCounts({ counts, days }, control, charts, range)));
      for (const t of range) muSum += mu[t] as number;
    }
    for (const det of nullDet)
      for (let t = 0; t < weeks; t++) {
        if (Number.isNaN(det.expected[t])) {
          missing++;
          continue;
        }
        const pb = det.pBaseline[t] as number;
        const pe = det.pEwma[t] as number;
        calib.n++;
        calib.b01 += pb < 0.01 ? 1 : 0;
        calib.b001 += pb < 0.001 ? 1 : 0;
        calib.b0001 += pb < 0.0001 ? 1 : 0;
        calib.e01 += pe < 0.01 ? 1 : 0;
        calib.e001 += pe < 0.001 ? 1 : 0;
        calib.e0001 += pe < 0.0001 ? 1 : 0;
        const res = det.effect[t] as number;
        calib.r += res;
        calib.rr += res * res;
        calib.rn++;
      }
    // Planted areas: the first `count` of a random order.
    const order = Array.from({ length: areas }, (_, i) => i);
    for (let i = areas - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    const planted = order.slice(0, count).sort((x, y) => x - y);
    const isPlanted = new Uint8Array(areas);
    for (const a of planted) isPlanted[a] = 1;
    // [period][area] of the null areas; the planted ones are missing there (they get their own series).
    const nullValues = Array.from({ length }, (_, t) =>
      Float64Array.from(nullCounts, (c, a) => (isPlanted[a] ? NaN : (c[t] as number))),
    );
    const plantedCodes = planted.map((a) => codes[a] as string);
    deltas.forEach((delta, d) => {
      const dets = nullDet.slice();
      const plantedCounts: Float64Array[] = [];
      for (const a of planted) {
        const counts = (nullCounts[a] as Float64Array).slice();
        const mu = means[a] as Float64Array;
        // Post-onset weeks from their own stream: the same for every δ.
        const prng = new BacktestRandom(mixSeed(options.seed, tag, r, a, 7));
        for (let t = history + onset; t < length; t++) {
          const m = mu[t] as number;
          const since = t - history - onset + 1;
          const ramp = options.shape === "trend" ? Math.min(1, since / rampWeeks) : 1;
          counts[t] = prng.negativeBinomial(m + delta * ramp * Math.sqrt(m + (m * m) / size), size);
        }
        dets[a] = areaWeeks(detectCounts({ counts, days }, control, charts, range));
        plantedCounts.push(counts);
      }
      const plantedValues = Array.from({ length }, (_, t) =>
        Float64Array.from(plantedCounts, (c) => c[t] as number),
      );
      const a0 = acc[d] as Acc;
      const first: Record<CountRule, Int32Array> = {
        run: new Int32Array(areas).fill(-1),
        baseline: new Int32Array(areas).fill(-1),
        ewma: new Int32Array(areas).fill(-1),
        cusum: new Int32Array(areas).fill(-1),
        any: new Int32Array(areas).fill(-1),
      };
      const tally = a0.tally;
      const note = (rule: CountRule, a: number, t: number, alarm: boolean) => {
        const isNull = !isPlanted[a] || t < onset;
        const s = a0.alarms[rule];
        if (isNull) {
          s.nullWeeks++;
          if (alarm) s.falseWeeks++;
        } else if (alarm) {
          s.trueWeeks++;
          if ((first[rule][a] as number) < 0) first[rule][a] = t;
        }
      };
      for (let t = 0; t < weeks; t++) {
        // The engine's weekly run: the null areas' series and the planted areas' series up to week t.
        const batches = [
          countTests(seriesUpTo(codes, nullValues, t), settings),
          count > 0 ? countTests(seriesUpTo(plantedCodes, plantedValues, t), settings) : null,
        ].filter((b): b is TestBatch => b !== null);
        const run = assessRun(batches, settings);
        // A run is scored like a status run: planted units are the planted areas from the onset on.
        const units = t >= onset ? planted.map((a) => [`buurt:${codes[a] as string}`]) : [];
        const nullKeys = areas - units.length;
        // Scored for FDR and false alarms only; sensitivity comes from the first alarms below.
        const { byKey } = tally.scoreRun(run.alerts, units, new Set(), nullKeys, false);
        for (let a = 0; a < areas; a++) {
          const det = dets[a] as AreaWeeks;
          const runAlarm = byKey.has(`buurt:${codes[a] as string}`);
          const b = det.baseline[t] === 1;
          const e = det.ewma[t] === 1;
          const c = det.cusum[t] === 1;
          note("run", a, t, runAlarm);
          note("baseline", a, t, b);
          note("ewma", a, t, e);
          note("cusum", a, t, c);
          note("any", a, t, b || e || c);
        }
      }
      for (const a of planted)
        for (const rule of COUNT_RULES) {
          const f = first[rule][a] as number;
          a0.delays[rule].push(f < 0 ? Infinity : f - onset);
        }
      tally.planted += planted.length;
      for (const a of planted) {
        const f = first.run[a] as number;
        if (f < 0) continue;
        tally.found++;
        tally.foundBy.set("dynamics-counts", (tally.foundBy.get("dynamics-counts") ?? 0) + 1);
      }
    });
  }
  return deltas.map((delta, d) => {
    const a0 = acc[d] as Acc;
    const rules = Object.fromEntries(
      COUNT_RULES.map((rule) => {
        const s = a0.alarms[rule];
        const delays = a0.delays[rule];
        const alarmed = s.falseWeeks + s.trueWeeks;
        return [
          rule,
          {
            sensitivity: delays.length > 0 ? delays.filter((x) => x < Infinity).length / delays.length : NaN,
            falseAlarmRate: s.nullWeeks > 0 ? s.falseWeeks / s.nullWeeks : NaN,
            falseShare: alarmed > 0 ? s.falseWeeks / alarmed : 0,
            delay: delaySummary(delays, horizon),
          },
        ];
      }),
    ) as Record<CountRule, CountRuleResult>;
    const base = a0.tally.result(
      {
        scenario: `counts-${options.shape}`,
        description:
          `${areas} areas × ${weeks} evaluated weeks after ${history} weeks of history, negative binomial (k = ${size}) ` +
          `around a seasonal mean of ${mMin}–${mMax} a week; ` +
          (count === 0
            ? "nothing planted"
            : `${count} areas per replicate with a ${options.shape === "level" ? "level shift" : `ramp over ${rampWeeks} weeks`} from window week ${onset}`),
        effectUnit:
          "δ SD = the weekly mean is raised by δ·√(μ_t + μ_t²/k), the null SD of that week's count" +
          (options.shape === "trend" ? ` (reached after ${rampWeeks} weeks, linearly from the onset)` : ""),
        delta,
        replicates: options.replicates,
      },
      {
        nullAreaWeeks: a0.alarms.run.nullWeeks,
        nullBaselineBelow01: calib.b01 / Math.max(1, calib.n),
        nullBaselineBelow001: calib.b001 / Math.max(1, calib.n),
        nullBaselineBelow0001: calib.b0001 / Math.max(1, calib.n),
        nullEwmaBelow01: calib.e01 / Math.max(1, calib.n),
        nullEwmaBelow001: calib.e001 / Math.max(1, calib.n),
        nullEwmaBelow0001: calib.e0001 / Math.max(1, calib.n),
        nullResidualSd: Math.sqrt(
          Math.max(0, calib.rr / Math.max(1, calib.rn) - (calib.r / Math.max(1, calib.rn)) ** 2),
        ),
        testsPerRun: areas,
        baselineMissing: missing / Math.max(1, options.replicates * areas * weeks),
        meanMu: muSum / Math.max(1, options.replicates * areas * weeks),
      },
    );
    return { ...base, horizon, rules };
  });
}

// ---------------------------------------------------------------------------------------------
// Short annual series

export interface AnnualBacktestOptions {
  readonly seed: number;
  readonly replicates: number;
  /** step: a shift of δ·√2·σₑ from wave ⌊T/2⌋ on; ramp: a rise of δ·σₑ per wave from the first wave. */
  readonly shape: "none" | "step" | "ramp";
  readonly deltas: readonly number[];
  /** Number of waves T (3 … 10). */
  readonly waves: number;
  /** Planted single areas per replicate (default 10). */
  readonly planted?: number;
  readonly rows?: number;
  readonly cols?: number;
  readonly city?: SyntheticCity;
  /** Levels: mean (default 20), between-area SD (default 5), wave noise σₑ (default 1.5), city change per wave (default 0.3). */
  readonly mean?: number;
  readonly areaSd?: number;
  readonly noiseSd?: number;
  readonly cityTrend?: number;
  readonly decimals?: number;
  readonly settings?: DetectionSettings;
}

/**
 * Short annual series of model-based percentages: xᵢₜ = μᵢ + γ·t + εᵢₜ (μᵢ ~ N(mean, areaSd),
 * εᵢₜ ~ N(0, σₑ)), the gemeente's value the mean of its areas, rounded to `decimals`. Planted areas
 * get a step or a ramp. The run is `detectSeries` with the city's weights and `assessRun`.
 *
 * metrics: `memberSensitivity`, `meanZ` (mean relative-change z of the planted areas), `changeShift`
 * (the planted shift of the difference in change in its null SDs: δ for a step, δ(T − 1)/√2 for a ramp),
 * `testsPerRun`.
 */
export function backtestAnnual(options: AnnualBacktestOptions): BacktestResult[] {
  const settings = options.settings ?? DEFAULT_DETECTION_SETTINGS;
  const city = options.city ?? syntheticCity(options.rows ?? 20, options.cols ?? 20, settings);
  const n = city.codes.length;
  const waves = options.waves;
  if (!Number.isInteger(waves) || waves < 2 || waves > 20)
    throw new RangeError(`waves must lie in 2 … 20, got ${waves}`);
  const count = options.shape === "none" ? 0 : (options.planted ?? 10);
  const deltas = options.shape === "none" ? [0] : options.deltas;
  const m0 = options.mean ?? 20;
  const areaSd = options.areaSd ?? 5;
  const noise = options.noiseSd ?? 1.5;
  const gamma = options.cityTrend ?? 0.3;
  const decimals = options.decimals ?? 1;
  const periods = Array.from({ length: waves }, (_, t) => String(2016 + t));
  const key = (i: number) => `buurt:${city.codes[i] as string}`;
  const tallies = deltas.map(() => new Tally());
  const zSum = deltas.map(() => 0);
  const hits = deltas.map(() => 0);
  const total = deltas.map(() => 0);
  const testSum = deltas.map(() => 0);
  const start = Math.floor(waves / 2);
  for (let r = 0; r < options.replicates; r++) {
    const rng = new BacktestRandom(mixSeed(options.seed, 6, waves, r));
    const base = Array.from({ length: waves }, () => new Float64Array(n));
    for (let i = 0; i < n; i++) {
      const level = m0 + areaSd * rng.normal();
      for (let t = 0; t < waves; t++) (base[t] as Float64Array)[i] = level + gamma * t + noise * rng.normal();
    }
    const units = count > 0 ? plantUnits(city.neighbours, count, "single", rng) : [];
    const planted = units.flat();
    const halo = haloOf(units, city.neighbours, key);
    const unitKeys = units.map((u) => u.map(key));
    deltas.forEach((delta, d) => {
      const values = base.map((v) => v.slice());
      for (const i of planted)
        for (let t = 0; t < waves; t++) {
          const shift =
            options.shape === "step" ? (t >= start ? delta * Math.SQRT2 * noise : 0) : delta * noise * t;
          (values[t] as Float64Array)[i]! += shift;
        }
      for (const v of values)
        for (let i = 0; i < n; i++) v[i] = Math.min(100, Math.max(0, round(v[i] as number, decimals)));
      const series = indicatorSeries({
        id: "backtest_annual",
        domain: "health",
        kind: "percentage",
        level: "buurt",
        periods,
        areas: city.codes,
        values,
        reference: Float64Array.from(values, (v) => round(mean(v), decimals)),
      });
      const batches = detectSeries(series, settings, city.weights);
      const change = batches.find((b) => b.detector === "dynamics-relative-change");
      if (change) {
        const zOf = new Map<number, number>();
        for (let t = 0; t < change.area.length; t++)
          zOf.set(change.area[t] as number, change.effect[t] as number);
        for (const i of planted) zSum[d]! += zOf.get(i) ?? 0;
      }
      const run = assessRun(batches, settings);
      testSum[d]! += run.tests;
      const { membersFound } = tallies[d]!.scoreRun(run.alerts, unitKeys, halo, n - planted.length);
      hits[d]! += membersFound;
      total[d]! += planted.length;
    });
  }
  return deltas.map((delta, d) =>
    tallies[d]!.result(
      {
        scenario: `annual-${options.shape}-${waves}`,
        description:
          `${city.rows} × ${city.cols} buurten, ${waves} waves of model-based values (μᵢ ~ N(${m0}, ${areaSd}), noise σₑ = ${noise}, city change ${gamma} a wave); ` +
          (count === 0
            ? "nothing planted"
            : `${count} single areas per replicate with a ${options.shape === "step" ? `step from wave ${start + 1}` : "ramp from the first wave"}`),
        effectUnit:
          options.shape === "ramp"
            ? "δ SD = a rise of δ·σₑ per wave (δ wave-noise SDs per wave); the difference in change then shifts by δ(T − 1)/√2 of its null SD"
            : "δ SD = a step of δ·√2·σₑ: δ null SDs of the difference in change (last minus first wave)",
        delta,
        replicates: options.replicates,
      },
      {
        memberSensitivity: total[d]! > 0 ? hits[d]! / total[d]! : NaN,
        meanZ: total[d]! > 0 ? zSum[d]! / total[d]! : NaN,
        changeShift: options.shape === "ramp" ? (delta * (waves - 1)) / Math.SQRT2 : delta,
        testsPerRun: testSum[d]! / options.replicates,
      },
    ),
  );
}
