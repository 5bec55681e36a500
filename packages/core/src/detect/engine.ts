/**
 * The detectors applied to indicator series: status (funnel test for rates with counts, standardised
 * deviation for model-based percentages), dynamics (change relative to the reference, trend test for
 * longer series) and space (Local Moran's I and Gi* with conditional permutations on spatial weights).
 * Each yields one-sided tests in the unfavourable direction as a column-wise `TestBatch`;
 * `assessRun` (assess.ts) turns a run's batches into alerts. Pure: the caller loads the series and
 * boundaries. See docs/methods.md.
 */
import { KIND_SCALE } from "../catalogue.js";
import type { DetectorId, TestBatch } from "./assess.js";
import { binomialUpperTail, binomialCdf, normalCdf, poissonCdf, poissonUpperTail } from "./distributions.js";
import {
  betaBinomialCdf,
  betaBinomialUpperTail,
  negativeBinomialCdf,
  negativeBinomialUpperTail,
} from "./count-distributions.js";
import { countTests, weeklyOrMonthlyCounts } from "./engine-counts.js";
import {
  funnelVariance,
  funnelZScore,
  overdispersion,
  randomEffectsTau2,
  robustRandomEffectsTau2,
  type FunnelModel,
} from "./funnel.js";
import type { DetectionSettings } from "./model.js";
import type { IndicatorSeries } from "./series.js";
import { empiricalBayesRates, empiricalBayesZScores } from "./smoothing.js";
import {
  drawPermutations,
  localGPermutation,
  localMoran,
  localMoranPermutation,
  QUADRANT,
} from "./spatial.js";
import {
  centreAndScale,
  differenceInChange,
  relativeChangeDeviations,
  standardisedDeviations,
  type GroupedStandardisedOptions,
  type StandardisedResult,
} from "./standardised.js";
import { mannKendall, mannKendallPValue, theilSen } from "./trend.js";
import {
  centroids,
  includeSelf,
  kNearestNeighbours,
  maxCardinality,
  queenContiguity,
  spatialWeights,
  subsetNeighbours,
  type ArealGeometry,
  type Neighbours,
} from "./weights.js";

/** Land code: the reference of gemeenten and the fallback of every area. */
export const LAND = "NL01";

/** The reference code of area `a` of a series: its gemeente (unless the setting says land), else land. */
export function referenceCode(
  series: Pick<IndicatorSeries, "level" | "gemeenten">,
  a: number,
  settings: Pick<DetectionSettings, "status">,
): string {
  if (series.level === "gemeente" || settings.status.reference === "land") return LAND;
  return series.gemeenten[a] ?? LAND;
}

/** Numeric time of a period ("2020" → 2020, "2020-W05" → 2020 + 4/52, "2020-03" → 2020 + 2/12), for slopes. */
export function periodTime(period: string): number {
  const year = Number(period.slice(0, 4));
  const week = /^\d{4}-W(\d{2})$/.exec(period);
  if (week) return year + (Number(week[1]) - 1) / 52;
  const month = /^\d{4}-(\d{2})$/.exec(period);
  if (month) return year + (Number(month[1]) - 1) / 12;
  const quarter = /^\d{4}-Q(\d)$/.exec(period);
  if (quarter) return year + (Number(quarter[1]) - 1) / 4;
  return year;
}

/** The latest period index with at least `min` areas with a value, or −1. */
export function latestPeriod(series: Pick<IndicatorSeries, "values">, min: number): number {
  for (let k = series.values.length - 1; k >= 0; k--) {
    let count = 0;
    for (const v of series.values[k] as Float64Array) if (!Number.isNaN(v)) count++;
    if (count >= min) return k;
  }
  return -1;
}

/** Collects the tests of one detector on one series into typed arrays. */
class BatchBuilder {
  private n = 0;
  private area = new Int32Array(64);
  private p = new Float64Array(64);
  private effect = new Float64Array(64);
  private observed = new Float64Array(64);
  private expected = new Float64Array(64);

  constructor(
    private readonly series: IndicatorSeries,
    private readonly detector: DetectorId,
  ) {}

  /** Adds a test; p NaN means no baseline (grey), expected NaN none. Returns the test's index. */
  add(a: number, p: number, effect: number, observed: number, expected: number): number {
    if (this.n === this.area.length) {
      const grow = <T extends Int32Array | Float64Array>(arr: T): T => {
        const next = new (arr.constructor as new (n: number) => T)(arr.length * 2);
        next.set(arr);
        return next;
      };
      this.area = grow(this.area);
      this.p = grow(this.p);
      this.effect = grow(this.effect);
      this.observed = grow(this.observed);
      this.expected = grow(this.expected);
    }
    const i = this.n++;
    this.area[i] = a;
    this.p[i] = Number.isNaN(p) ? NaN : Math.min(1, Math.max(0, p));
    this.effect[i] = effect;
    this.observed[i] = observed;
    this.expected[i] = expected;
    return i;
  }

  build(
    period: (i: number, a: number) => string,
    details: (i: number, a: number) => Record<string, number | string | null>,
  ): TestBatch {
    const { series, detector } = this;
    const area = this.area.slice(0, this.n);
    return {
      detector,
      indicatorId: series.indicator.id,
      domain: series.indicator.domain,
      polarity: series.indicator.polarity,
      level: series.level,
      division: series.division,
      areas: series.areas,
      gemeenten: series.gemeenten,
      area,
      p: this.p.slice(0, this.n),
      effect: this.effect.slice(0, this.n),
      observed: this.observed.slice(0, this.n),
      expected: this.expected.slice(0, this.n),
      period: (i) => period(i, area[i] as number),
      details: (i) => details(i, area[i] as number),
    };
  }
}

/** The reference's rate per unit (not per 100/1,000) in period k: counts when present, else value/scale. */
function referenceRate(series: IndicatorSeries, ref: string, k: number, scale: number): number | null {
  const counts = series.referenceCounts.get(ref) ?? series.referenceCounts.get(LAND);
  if (counts) {
    const num = counts.numerator[k] as number;
    const den = counts.denominator[k] as number;
    if (Number.isFinite(num) && Number.isFinite(den) && den > 0) return num / den;
  }
  const value = (series.references.get(ref) ?? series.references.get(LAND))?.[k];
  return value !== undefined && Number.isFinite(value) ? value / scale : null;
}

/**
 * Status of rates with counts (numerator and denominator): the exact binomial (percentages) or
 * Poisson (rates per 1,000) upper or lower tail of the area's numerator around the reference rate.
 * With overdispersion (φ > 1 and its χ² test at 5 %) the test allows for the spread between areas,
 * by `status.overdispersion`: "additive" (default) z = (y − θ)/√(s² + τ²), s² = V(θ)/n with the
 * area's own reference rate θ and τ² the random-effects variance (`status.tau2` says how it is
 * estimated), p from the exact beta-binomial / negative binomial tail of the count
 * (`randomEffectsTail`); "multiplicative" z/√φ and the normal tail; "none" keeps the exact
 * binomial/Poisson tails. Areas with a denominator below `minDenominator` get a grey test (no
 * baseline).
 */
export function funnelTests(series: IndicatorSeries, settings: DetectionSettings): TestBatch | null {
  const { numerators, denominators } = series;
  const scale = KIND_SCALE[series.indicator.kind];
  if (!numerators || !denominators || scale === undefined) return null;
  const k = latestPeriod(series, settings.status.minComparableAreas);
  if (k < 0) return null;
  const model: FunnelModel = series.indicator.kind === "percentage" ? "binomial" : "poisson";
  const nums = numerators[k] as Float64Array;
  const dens = denominators[k] as Float64Array;
  const vals = series.values[k] as Float64Array;
  const worseHigh = series.indicator.polarity === "higher-is-worse";
  const n = series.areas.length;
  const target = new Float64Array(n).fill(NaN);
  const z = new Float64Array(n).fill(NaN);
  const variance = new Float64Array(n).fill(NaN);
  const zs: number[] = [];
  const vs: number[] = [];
  for (let a = 0; a < n; a++) {
    const num = nums[a] as number;
    const den = dens[a] as number;
    if (Number.isNaN(num) || Number.isNaN(den)) continue;
    const t = referenceRate(series, referenceCode(series, a, settings), k, scale);
    if (
      den < settings.status.minDenominator ||
      t === null ||
      (model === "binomial" && !(t > 0 && t < 1)) ||
      (model === "poisson" && !(t > 0))
    )
      continue;
    target[a] = t;
    const size = model === "binomial" ? Math.round(den) : den;
    z[a] = funnelZScore(model, num, size, t);
    variance[a] = funnelVariance(model, size, t);
    zs.push(z[a] as number);
    vs.push(variance[a] as number);
  }
  const method = settings.status.overdispersion;
  const enough = zs.length >= Math.max(2, settings.status.minComparableAreas);
  let phi = 1;
  let tau2 = 0;
  if (enough && method === "multiplicative") {
    const over = overdispersion(zs, settings.status.winsor);
    if (over.phi > 1 && over.pValue < 0.05) phi = over.phi;
  } else if (enough && method === "additive") {
    // φ as reported: consistent (divided by E[w(Z)²]) or Spiegelhalter's winsorised mean square.
    const re =
      settings.status.tau2 === "consistent"
        ? (({ phiConsistent, pValue, tau2 }) => ({ phi: phiConsistent, pValue, tau2 }))(
            robustRandomEffectsTau2(zs, vs, settings.status.winsor),
          )
        : randomEffectsTau2(zs, vs, settings.status.winsor);
    if (re.phi > 1 && re.pValue < 0.05 && re.tau2 > 0) {
      phi = re.phi;
      tau2 = re.tau2;
    }
  }
  // The z the test reads: the plain funnel z, z/√φ (multiplicative) or (y − θ)/√(s² + τ²) (additive).
  const adjusted = (a: number): number =>
    tau2 > 0
      ? ((z[a] as number) * Math.sqrt(variance[a] as number)) / Math.sqrt((variance[a] as number) + tau2)
      : (z[a] as number) / Math.sqrt(phi);
  // Empirical-Bayes rates (Marshall's global EB, spdep::EBest) of the tested areas, shown with each
  // test: a small area's own rate is shrunk towards the pooled rate by how little it can be trusted.
  const tested: number[] = [];
  for (let a = 0; a < n; a++) if (!Number.isNaN(target[a])) tested.push(a);
  const ebRate = new Float64Array(n).fill(NaN);
  if (tested.length >= 2) {
    const eb = empiricalBayesRates(
      tested.map((a) => Math.max(0, nums[a] as number)),
      tested.map((a) => dens[a] as number),
      model === "binomial" ? "binomial" : "poisson",
    );
    tested.forEach((a, i) => (ebRate[a] = (eb.estimate[i] as number) * scale));
  }
  const b = new BatchBuilder(series, "status-funnel");
  for (let a = 0; a < n; a++) {
    const den = dens[a] as number;
    if (Number.isNaN(nums[a]) || Number.isNaN(den)) continue;
    const t = target[a] as number;
    if (Number.isNaN(t)) {
      b.add(a, NaN, 0, vals[a] as number, NaN);
      continue;
    }
    const num = Math.round(nums[a] as number);
    const za = adjusted(a);
    let p: number;
    if (tau2 > 0) p = randomEffectsTail(model, num, den, t, tau2, worseHigh, za);
    else if (phi > 1) p = normalCdf(worseHigh ? -za : za);
    else if (model === "binomial") {
      const size = Math.round(den);
      p = worseHigh ? binomialUpperTail(num, size, t) : binomialCdf(num, size, t);
    } else p = worseHigh ? poissonUpperTail(num, t * den) : poissonCdf(num, t * den);
    b.add(a, p, worseHigh ? za : -za, vals[a] as number, t * scale);
  }
  const period = series.periods[k] as string;
  return b.build(
    () => period,
    (_i, a): Record<string, number | string | null> =>
      Number.isNaN(target[a])
        ? {
            reference: referenceCode(series, a, settings),
            denominator: dens[a] as number,
            reason: "denominator below the minimum or no reference rate",
          }
        : {
            reference: referenceCode(series, a, settings),
            numerator: nums[a] as number,
            denominator: dens[a] as number,
            model,
            overdispersion: method,
            phi,
            tau2,
            z: adjusted(a),
            ebRate: Number.isNaN(ebRate[a]) ? null : (ebRate[a] as number),
          },
  );
}

/**
 * The one-sided p of a count under the additive random-effects model with the area's reference rate θ
 * and the between-area variance τ²: the true proportion drawn from Beta(θm, (1 − θ)m) with
 * m = θ(1 − θ)/τ² − 1 (beta-binomial count), or the true rate from a gamma with mean θ and variance τ²
 * (negative binomial count with size θ²/τ²). The exact tails keep small and middle areas' skewed
 * counts honest where the normal tail of z = (y − θ)/√(s² + τ²) flags them too often (docs/methods.md,
 * "Overdispersion: a consistent robust τ²"). When τ² ≥ θ(1 − θ) (no beta has that variance) the
 * normal tail of z is used.
 */
function randomEffectsTail(
  model: FunnelModel,
  num: number,
  den: number,
  target: number,
  tau2: number,
  worseHigh: boolean,
  z: number,
): number {
  if (model === "binomial") {
    const m = (target * (1 - target)) / tau2 - 1;
    if (!(m > 0)) return normalCdf(worseHigh ? -z : z);
    const size = Math.round(den);
    const k = Math.min(size, Math.max(0, num));
    return worseHigh
      ? betaBinomialUpperTail(k, size, target * m, (1 - target) * m)
      : betaBinomialCdf(k, size, target * m, (1 - target) * m);
  }
  const r = (target * target) / tau2;
  const mu = target * den;
  const prob = r / (r + mu);
  const k = Math.max(0, num);
  return worseHigh
    ? negativeBinomialUpperTail(k, r, prob, mu / (r + mu))
    : negativeBinomialCdf(k, r, prob, mu / (r + mu));
}

/**
 * Grouped standardised deviations with the comparable areas of the area's gemeente (setting
 * status.reference = gemeente) and, where a gemeente has too few, all areas of the level. The scale
 * of a group is never taken below `minScaleFraction` × the robust scale of all areas of the level:
 * values published with one decimal often tie within a small group, and a near-zero spread would turn
 * a rounding step into a huge z.
 */
function groupedDeviations(
  series: IndicatorSeries,
  settings: DetectionSettings,
  values: readonly number[],
  compute: (options: GroupedStandardisedOptions) => StandardisedResult[],
): { results: StandardisedResult[]; grouped: boolean[] } {
  const base = {
    polarity: series.indicator.polarity,
    method: "robust" as const,
    minReferenceSize: settings.status.minComparableAreas,
    leaveOneOut: true,
  };
  if (series.level === "gemeente" || settings.status.reference === "land") {
    const all = compute(base);
    return { results: all, grouped: all.map(() => false) };
  }
  const groups = series.gemeenten.map((g) => g ?? "");
  const byGroup = compute({ ...base, groups });
  const finite = values.filter((v) => Number.isFinite(v));
  const floor =
    finite.length >= 2 ? settings.status.minScaleFraction * centreAndScale(finite, "robust").scale : 0;
  // Areas whose gemeente has too few comparable areas: all areas of the level (computed only if any).
  let national: StandardisedResult[] | null = null;
  const grouped: boolean[] = [];
  const worseHigh = series.indicator.polarity === "higher-is-worse";
  const results = byGroup.map((r, a) => {
    if (r.kind === "no-reference" && r.reason !== "missing-value") {
      grouped.push(false);
      national ??= compute(base);
      return national[a] as StandardisedResult;
    }
    grouped.push(true);
    if (r.kind !== "deviation" || r.scale >= floor) return r;
    const zz = (r.value - r.centre) / floor;
    return {
      ...r,
      scale: floor,
      z: zz,
      effect: worseHigh ? zz : -zz,
      p: normalCdf(worseHigh ? -Math.min(40, zz) : Math.max(-40, zz)),
    };
  });
  return { results, grouped };
}

function referenceLabel(series: IndicatorSeries, a: number, grouped: boolean): string {
  return grouped ? `${series.level} areas of ${series.gemeenten[a] ?? "?"}` : `all ${series.level} areas`;
}

/**
 * Status of values without counts (model-based percentages such as the RIVM estimates, means):
 * the robust standardised deviation (x − median) / (1.4826·MAD) against the comparable areas,
 * leave-one-out, normal one-sided tail in the unfavourable direction.
 */
export function standardisedTests(series: IndicatorSeries, settings: DetectionSettings): TestBatch | null {
  if (series.numerators || series.indicator.kind === "count") return null;
  const k = latestPeriod(series, settings.status.minComparableAreas);
  if (k < 0) return null;
  const values = Array.from(series.values[k] as Float64Array);
  const { results, grouped } = groupedDeviations(series, settings, values, (o) =>
    standardisedDeviations(values, o),
  );
  const b = new BatchBuilder(series, "status-standardised");
  const n = results.length;
  const centre = new Float64Array(n);
  const scale = new Float64Array(n);
  const size = new Int32Array(n);
  const reason: (string | null)[] = [];
  results.forEach((r, a) => {
    if (r.kind === "no-reference" && r.reason === "missing-value") return;
    size[a] = r.referenceSize;
    if (r.kind === "deviation") {
      centre[a] = r.centre;
      scale[a] = r.scale;
      b.add(a, r.p, r.effect, values[a] as number, r.centre);
    } else {
      reason[a] = r.reason;
      b.add(a, NaN, 0, values[a] as number, NaN);
    }
  });
  const period = series.periods[k] as string;
  return b.build(
    () => period,
    (_i, a): Record<string, number | string | null> => {
      const reference = referenceLabel(series, a, grouped[a] as boolean);
      const group: Record<string, string | null> = grouped[a]
        ? { comparedWithin: "gemeente", gemeente: series.gemeenten[a] ?? null }
        : { comparedWithin: "level" };
      if (reason[a]) return { reference, ...group, reason: reason[a], areas: size[a] as number };
      const z = ((values[a] as number) - (centre[a] as number)) / (scale[a] as number);
      return {
        reference,
        ...group,
        centre: centre[a] as number,
        scale: scale[a] as number,
        z,
        areas: size[a] as number,
      };
    },
  );
}

/**
 * Dynamics over two or more periods: the area's change from the first to the latest period minus
 * its reference's change (gemeente, or land for gemeenten), as a robust standardised deviation
 * against the comparable areas' differences in change. Counts without a denominator are not
 * compared (their change scales with the area's size).
 */
export function relativeChangeTests(series: IndicatorSeries, settings: DetectionSettings): TestBatch | null {
  if (series.periods.length < 2 || series.indicator.kind === "count") return null;
  const k = latestPeriod(series, settings.status.minComparableAreas);
  if (k < 1) return null;
  const first = series.values[0] as Float64Array;
  const last = series.values[k] as Float64Array;
  const n = series.areas.length;
  const areaSeries: number[][] = [];
  const refSeries: number[][] = [];
  for (let a = 0; a < n; a++) {
    const r = series.references.get(referenceCode(series, a, settings)) ?? series.references.get(LAND);
    areaSeries.push([first[a] as number, last[a] as number]);
    refSeries.push(r ? [r[0] as number, r[k] as number] : [NaN, NaN]);
  }
  const changes = areaSeries.map((x, a) => differenceInChange(x, refSeries[a] as number[]));
  const { results, grouped } = groupedDeviations(series, settings, changes, (o) =>
    relativeChangeDeviations(areaSeries, refSeries, o),
  );
  const b = new BatchBuilder(series, "dynamics-relative-change");
  const z = new Float64Array(n).fill(NaN);
  const scale = new Float64Array(n).fill(NaN);
  const reason: (string | null)[] = [];
  results.forEach((r, a) => {
    if (r.kind === "no-reference" && r.reason === "missing-value") return;
    if (r.kind === "deviation") scale[a] = r.scale;
    const [x0, xt] = areaSeries[a] as [number, number];
    const [r0, rt] = refSeries[a] as [number, number];
    const d = xt - x0 - (rt - r0);
    if (r.kind === "deviation") {
      z[a] = r.z;
      b.add(a, r.p, r.effect, d, r.centre);
    } else {
      reason[a] = r.reason;
      b.add(a, NaN, 0, d, NaN);
    }
  });
  const period = `${series.periods[0] as string}–${series.periods[k] as string}`;
  return b.build(
    () => period,
    (_i, a) => {
      const [x0, xt] = areaSeries[a] as [number, number];
      const [r0, rt] = refSeries[a] as [number, number];
      return {
        reference: referenceCode(series, a, settings),
        comparedWith: referenceLabel(series, a, grouped[a] as boolean),
        from: x0,
        to: xt,
        referenceFrom: r0,
        referenceTo: rt,
        comparedWithin: grouped[a] ? "gemeente" : "level",
        ...(reason[a] ? { reason: reason[a] } : { z: z[a] as number, scale: scale[a] as number }),
      };
    },
  );
}

/**
 * Trend of the area relative to its reference in series of at least `minTrendPeriods` periods:
 * Mann–Kendall on d_t = x_t − r_t (exact for short series without ties; one-sided, unfavourable
 * direction), Theil–Sen slopes of x and d per year as effect figures. Counts without a denominator
 * are tested on their own series; weekly and monthly counts are left to countTests (engine-counts.ts).
 * Areas with a missing period get no test.
 */
export function trendTests(series: IndicatorSeries, settings: DetectionSettings): TestBatch | null {
  const periods = series.periods.length;
  if (periods < settings.dynamics.minTrendPeriods || weeklyOrMonthlyCounts(series)) return null;
  const times = series.periods.map(periodTime);
  const worseHigh = series.indicator.polarity === "higher-is-worse";
  const own = series.indicator.kind === "count";
  const b = new BatchBuilder(series, "dynamics-trend");
  const extra: { slope: number; relativeSlope: number; s: number; tau: number; reference: string }[] = [];
  for (let a = 0; a < series.areas.length; a++) {
    const ref = own ? null : referenceCode(series, a, settings);
    const refValues = ref === null ? null : (series.references.get(ref) ?? series.references.get(LAND));
    if (ref !== null && !refValues) continue;
    const x: number[] = [];
    const d: number[] = [];
    for (let k = 0; k < periods; k++) {
      const v = (series.values[k] as Float64Array)[a] as number;
      const r = refValues ? (refValues[k] as number) : 0;
      if (Number.isNaN(v) || Number.isNaN(r)) break;
      x.push(v);
      d.push(v - r);
    }
    if (x.length < periods) continue;
    const mk = mannKendall(d);
    const relativeSlope = theilSen(times, d).slope;
    const i = b.add(
      a,
      mannKendallPValue(mk, worseHigh ? "increasing" : "decreasing"),
      worseHigh ? mk.z : -mk.z,
      relativeSlope,
      0,
    );
    extra[i] = {
      slope: theilSen(times, x).slope,
      relativeSlope,
      s: mk.s,
      tau: mk.tau,
      reference: ref ?? "own series",
    };
  }
  const period = `${series.periods[0] as string}–${series.periods[periods - 1] as string}`;
  return b.build(
    () => period,
    (i) => ({ ...(extra[i] as (typeof extra)[number]), periods }),
  );
}

/** Boundaries for spatial weights of a series' level and division (from the store). */
export interface SpatialWeightsInput {
  /** `<division>:<level>`: weights are built once per key and reused for every series. */
  readonly key: string;
  /** The division the boundaries come from. */
  readonly geometryDivision: number;
  readonly codes: readonly string[];
  /** GeoJSON geometry text per code (Polygon or MultiPolygon, lon/lat). */
  readonly geometries: readonly string[];
}

/** Neighbours built once from the boundaries, for every series of a level and division. */
export interface PreparedWeights {
  readonly key: string;
  readonly geometryDivision: number;
  readonly method: "queen" | "knn";
  readonly index: ReadonlyMap<string, number>;
  readonly neighbours: Neighbours;
}

/** Parses the boundaries and builds queen-contiguity or k-nearest-neighbour neighbours (settings.space). */
export function prepareWeights(input: SpatialWeightsInput, settings: DetectionSettings): PreparedWeights {
  const geometries = input.geometries.map((g) => JSON.parse(g) as ArealGeometry);
  let neighbours: Neighbours;
  if (settings.space.weights === "queen") neighbours = queenContiguity(geometries);
  else {
    const { lon, lat } = centroids(geometries);
    neighbours = kNearestNeighbours(lon, lat, Math.min(settings.space.k, geometries.length - 1));
  }
  return {
    key: input.key,
    geometryDivision: input.geometryDivision,
    method: settings.space.weights,
    index: new Map(input.codes.map((c, i) => [c, i])),
    neighbours,
  };
}

/**
 * Space, for the latest period: Local Moran's I — a cluster of the unfavourable kind (HH when higher
 * is worse, LL when higher is better), one-sided conditional-permutation p of a large I for areas in
 * that quadrant, p = 1 for the others (they are tested and are no such cluster) — and Getis–Ord Gi*
 * (hot spot when higher is worse, cold spot otherwise), both with `settings.space.permutations`
 * seeded permutations on row-standardised (I) and binary-with-self (Gi*) weights. Areas without a
 * boundary or neighbour with a value are not tested.
 */
export function spatialTests(
  series: IndicatorSeries,
  settings: DetectionSettings,
  prepared: PreparedWeights,
): TestBatch[] {
  const k = latestPeriod(series, settings.space.minAreas);
  if (k < 0) return [];
  const values = series.values[k] as Float64Array;
  // Rates with counts are tested as Assunção–Reis EB-standardised rates (setting space.rates), so
  // that small areas' noisy proportions do not drown a cluster; they need a count and a denominator.
  const nums = series.numerators?.[k];
  const dens = series.denominators?.[k];
  const ebRates = settings.space.rates === "eb-standardised" && nums !== undefined && dens !== undefined;
  const usable = (a: number): boolean =>
    !Number.isNaN(values[a]) && (!ebRates || ((nums[a] as number) >= 0 && (dens[a] as number) > 0));
  // Areas of the series with a boundary and a value, in geometry order.
  const seriesOf = new Int32Array(prepared.neighbours.n).fill(-1);
  const keep = new Array<boolean>(prepared.neighbours.n).fill(false);
  series.areas.forEach((code, a) => {
    const g = prepared.index.get(code);
    if (g !== undefined && usable(a)) {
      keep[g] = true;
      seriesOf[g] = a;
    }
  });
  const sub = subsetNeighbours(prepared.neighbours, keep);
  const n = sub.neighbours.n;
  if (n < settings.space.minAreas) return [];
  const shown = new Float64Array(n);
  const areaOf = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    areaOf[i] = seriesOf[sub.index[i] as number] as number;
    shown[i] = values[areaOf[i] as number] as number;
  }
  const x = ebRates
    ? Float64Array.from(
        empiricalBayesZScores(
          Array.from(areaOf, (a) => nums[a] as number),
          Array.from(areaOf, (a) => dens[a] as number),
        ),
      )
    : shown;
  const variable = ebRates ? "EB-standardised rate (Assunção–Reis)" : "value";
  const worseHigh = series.indicator.polarity === "higher-is-worse";
  const period = series.periods[k] as string;
  const options = { seed: settings.space.seed, permutations: settings.space.permutations };
  /** The codes of area i's neighbours (comma-separated), for the cluster map of an alert. */
  const neighbourCodes = (i: number): string => {
    const codes: string[] = [];
    for (let t = sub.neighbours.offsets[i] as number; t < (sub.neighbours.offsets[i + 1] as number); t++)
      codes.push(series.areas[areaOf[sub.neighbours.neighbours[t] as number] as number] as string);
    return codes.join(",");
  };
  const out: TestBatch[] = [];

  const self = includeSelf(sub.neighbours);
  const widest = Math.max(1, maxCardinality(self));
  // Every area draws its (self-included) neighbourhood from the other n − 1 areas.
  if (widest >= n) return [];
  // One draw matrix serves both statistics (Moran uses the first |N(i)| columns of each row).
  const draws = drawPermutations(n, widest, options);
  const wMoran = spatialWeights(sub.neighbours, "W");
  const lisa = localMoran(x, wMoran);
  const perm = localMoranPermutation(x, wMoran, draws);
  // The neighbours' mean on the indicator's own scale, for the alert's figures.
  const shownLag = ebRates ? localMoran(shown, wMoran).lag : lisa.lag;
  const wanted = worseHigh ? QUADRANT.HH : QUADRANT.LL;
  // Beyond every permutation the pseudo p-value sits at its floor 1/(R + 1); the normal tail of the
  // permutation z tells how far beyond (setting space.beyondPermutations).
  const floor = 1 / (settings.space.permutations + 1);
  const extrapolate = settings.space.beyondPermutations === "normal-tail";
  const pOf = (pseudo: number, z: number): number =>
    extrapolate && pseudo <= floor ? Math.min(floor, normalCdf(-z)) : pseudo;
  const mb = new BatchBuilder(series, "space-local-moran");
  const moranIndex = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(perm.pHigh[i])) continue; // island
    const cluster = lisa.quadrant[i] === wanted;
    const idx = mb.add(
      areaOf[i] as number,
      cluster ? pOf(perm.pHigh[i] as number, perm.z[i] as number) : 1,
      cluster ? (perm.z[i] as number) : 0,
      shown[i] as number,
      shownLag[i] as number,
    );
    moranIndex[idx] = i;
  }
  out.push(
    mb.build(
      () => period,
      (t) => {
        const i = moranIndex[t] as number;
        return {
          quadrant: ["LL", "HL", "LH", "HH"][lisa.quadrant[i] as number] as string,
          ii: lisa.ii[i] as number,
          neighbourMean: shownLag[i] as number,
          variable,
          neighbours: (sub.neighbours.offsets[i + 1] as number) - (sub.neighbours.offsets[i] as number),
          neighbourCodes: neighbourCodes(i),
          weightsMethod: prepared.method,
          geometryDivision: prepared.geometryDivision,
          permutations: perm.permutations,
          pFolded: perm.pFolded[i] as number,
          weights: `${prepared.method} (row-standardised), boundaries of ${prepared.geometryDivision}`,
          seed: settings.space.seed,
        };
      },
    ),
  );

  const wG = spatialWeights(self, "B");
  const gp = localGPermutation(x, wG, draws);
  const gb = new BatchBuilder(series, "space-gi-star");
  const gIndex = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(gp.pHigh[i])) continue;
    const zz = gp.z[i] as number;
    const idx = gb.add(
      areaOf[i] as number,
      worseHigh ? pOf(gp.pHigh[i] as number, zz) : pOf(gp.pLow[i] as number, -zz),
      worseHigh ? zz : -zz,
      shown[i] as number,
      NaN,
    );
    gIndex[idx] = i;
  }
  out.push(
    gb.build(
      () => period,
      (t) => {
        const i = gIndex[t] as number;
        return {
          z: gp.z[i] as number,
          variable,
          neighbours: (self.offsets[i + 1] as number) - (self.offsets[i] as number) - 1,
          neighbourCodes: neighbourCodes(i),
          weightsMethod: prepared.method,
          geometryDivision: prepared.geometryDivision,
          permutations: gp.permutations,
          pFolded: gp.pFolded[i] as number,
          weights: `${prepared.method} (binary, self included), boundaries of ${prepared.geometryDivision}`,
          seed: settings.space.seed,
        };
      },
    ),
  );
  return out;
}

/** Every detector that applies to a series (spatial ones when neighbours are given and the level is listed). */
export function detectSeries(
  series: IndicatorSeries,
  settings: DetectionSettings,
  weights: PreparedWeights | null,
): TestBatch[] {
  const batches = [
    funnelTests(series, settings),
    standardisedTests(series, settings),
    relativeChangeTests(series, settings),
    trendTests(series, settings),
    countTests(series, settings),
  ].filter((b): b is TestBatch => b !== null);
  if (weights && (settings.space.levels as readonly string[]).includes(series.level))
    batches.push(...spatialTests(series, settings, weights));
  return batches;
}
