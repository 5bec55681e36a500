/**
 * Indicator series for the detectors: the values of one indicator at one level and division, per
 * period, as typed arrays over a fixed list of areas, with the references (gemeente and land values)
 * the status and dynamics detectors compare with. Built from column-wise store reads.
 */
import type { AreaLevel } from "../area-codes.js";
import type { Domain, IndicatorKind, Polarity } from "../catalogue.js";

export interface SeriesIndicator {
  readonly id: string;
  readonly domain: Domain;
  readonly polarity: Exclude<Polarity, "neutral">;
  readonly kind: IndicatorKind;
}

export interface IndicatorSeries {
  readonly indicator: SeriesIndicator;
  readonly level: AreaLevel;
  readonly division: number;
  /** Ascending. */
  readonly periods: readonly string[];
  readonly areas: readonly string[];
  /** Each area's gemeente (null when unknown). */
  readonly gemeenten: readonly (string | null)[];
  /** [period][area]; NaN where missing. */
  readonly values: readonly Float64Array[];
  /** [period][area]; NaN where missing. Null when no area has counts in any period. */
  readonly numerators: readonly Float64Array[] | null;
  readonly denominators: readonly Float64Array[] | null;
  /** Reference values per period by code (gemeente codes and NL01), NaN where missing. */
  readonly references: ReadonlyMap<string, Float64Array>;
  /** Same for reference numerators/denominators, when present. */
  readonly referenceCounts: ReadonlyMap<string, { numerator: Float64Array; denominator: Float64Array }>;
}

/**
 * Column-wise values, sorted by indicator, level, division, area, period (the store's order), with
 * strings dictionary-coded: `indicator[i]` indexes `indicators`, `area[i]` and `gemeente[i]` index
 * `codes` (gemeente −1: unknown), `period[i]` indexes `periods`. Missing counts are NaN.
 */
export interface SeriesColumns {
  readonly indicators: readonly string[];
  readonly levels: readonly AreaLevel[];
  readonly codes: readonly string[];
  readonly periods: readonly string[];
  readonly indicator: ArrayLike<number>;
  readonly level: ArrayLike<number>;
  readonly division: ArrayLike<number>;
  readonly area: ArrayLike<number>;
  readonly gemeente: ArrayLike<number>;
  readonly period: ArrayLike<number>;
  readonly value: ArrayLike<number>;
  readonly numerator: ArrayLike<number>;
  readonly denominator: ArrayLike<number>;
}

/** The levels that are tested (land is only a reference). */
const TESTED_LEVELS: ReadonlySet<AreaLevel> = new Set(["gemeente", "wijk", "buurt", "pc4", "pc6"]);

/**
 * Groups the columns into one series per (indicator, level, division) of a tested level. References
 * of a division: the gemeente-level values of the same indicator and division (and NL01 from the land
 * level). Indicators not in `indicators` (neutral ones) are skipped.
 */
export function buildSeries(
  columns: SeriesColumns,
  indicators: ReadonlyMap<string, SeriesIndicator>,
): IndicatorSeries[] {
  const n = columns.indicator.length;
  const { codes } = columns;
  // Row ranges per (indicator, level, division), in the sorted order.
  interface Range {
    indicator: number;
    level: AreaLevel;
    division: number;
    start: number;
    end: number;
  }
  const ranges: Range[] = [];
  for (let i = 0; i < n;) {
    const ind = columns.indicator[i] as number;
    const level = columns.level[i] as number;
    const division = columns.division[i] as number;
    let j = i + 1;
    while (
      j < n &&
      columns.indicator[j] === ind &&
      columns.level[j] === level &&
      columns.division[j] === division
    )
      j++;
    ranges.push({ indicator: ind, level: columns.levels[level] as AreaLevel, division, start: i, end: j });
    i = j;
  }
  const refRanges = new Map<string, Range[]>();
  for (const r of ranges) {
    if (r.level !== "gemeente" && r.level !== "land") continue;
    const key = `${r.indicator}|${r.division}`;
    let list = refRanges.get(key);
    if (!list) refRanges.set(key, (list = []));
    list.push(r);
  }
  const out: IndicatorSeries[] = [];
  for (const r of ranges) {
    const indicator = indicators.get(columns.indicators[r.indicator] as string);
    if (!indicator || !TESTED_LEVELS.has(r.level)) continue;
    const refs = refRanges.get(`${r.indicator}|${r.division}`) ?? [];
    const periodIds = new Set<number>();
    for (let i = r.start; i < r.end; i++) periodIds.add(columns.period[i] as number);
    // Period dictionary ids are in sorted order of the strings.
    const periodList = [...periodIds].sort((a, b) => a - b);
    const periods = periodList.map((p) => columns.periods[p] as string);
    const periodIndex = new Map(periodList.map((p, k) => [p, k]));
    const areaIndex = new Map<number, number>();
    const areas: string[] = [];
    const gemeenten: (string | null)[] = [];
    for (let i = r.start; i < r.end; i++) {
      const a = columns.area[i] as number;
      if (!areaIndex.has(a)) {
        areaIndex.set(a, areas.length);
        areas.push(codes[a] as string);
        const g = columns.gemeente[i] as number;
        gemeenten.push(g >= 0 ? (codes[g] as string) : null);
      }
    }
    const nan = () => new Float64Array(areas.length).fill(NaN);
    const values = periods.map(nan);
    let hasCounts = false;
    for (let i = r.start; i < r.end && !hasCounts; i++)
      hasCounts = !Number.isNaN(columns.numerator[i]) && !Number.isNaN(columns.denominator[i]);
    const numerators = hasCounts ? periods.map(nan) : null;
    const denominators = hasCounts ? periods.map(nan) : null;
    for (let i = r.start; i < r.end; i++) {
      const k = periodIndex.get(columns.period[i] as number) as number;
      const a = areaIndex.get(columns.area[i] as number) as number;
      (values[k] as Float64Array)[a] = columns.value[i] as number;
      if (numerators && denominators) {
        (numerators[k] as Float64Array)[a] = columns.numerator[i] as number;
        (denominators[k] as Float64Array)[a] = columns.denominator[i] as number;
      }
    }
    const references = new Map<string, Float64Array>();
    const referenceCounts = new Map<string, { numerator: Float64Array; denominator: Float64Array }>();
    for (const ref of refs) {
      for (let i = ref.start; i < ref.end; i++) {
        const k = periodIndex.get(columns.period[i] as number);
        if (k === undefined) continue;
        const code = codes[columns.area[i] as number] as string;
        let arr = references.get(code);
        if (!arr) references.set(code, (arr = new Float64Array(periods.length).fill(NaN)));
        arr[k] = columns.value[i] as number;
        const num = columns.numerator[i] as number;
        const den = columns.denominator[i] as number;
        if (!Number.isNaN(num) && !Number.isNaN(den)) {
          let c = referenceCounts.get(code);
          if (!c)
            referenceCounts.set(
              code,
              (c = {
                numerator: new Float64Array(periods.length).fill(NaN),
                denominator: new Float64Array(periods.length).fill(NaN),
              }),
            );
          c.numerator[k] = num;
          c.denominator[k] = den;
        }
      }
    }
    out.push({
      indicator,
      level: r.level,
      division: r.division,
      periods,
      areas,
      gemeenten,
      values,
      numerators,
      denominators,
      references,
      referenceCounts,
    });
  }
  return out;
}

/** One area of a one-period count series (e.g. a released profile cell). */
export interface CountArea {
  readonly code: string;
  readonly gemeente: string | null;
  readonly count: number;
  readonly population: number;
}

/**
 * A one-period series of counts out of a population (a profile's released cells at one level), with
 * references (the gemeenten's released cells), for the funnel test. Values are percentages.
 */
export function seriesFromCounts(input: {
  readonly indicator: SeriesIndicator;
  readonly level: AreaLevel;
  readonly division: number;
  readonly period: string;
  readonly areas: readonly CountArea[];
  readonly references: readonly {
    readonly code: string;
    readonly count: number;
    readonly population: number;
  }[];
}): IndicatorSeries {
  const n = input.areas.length;
  const values = new Float64Array(n);
  const numerators = new Float64Array(n);
  const denominators = new Float64Array(n);
  input.areas.forEach((a, i) => {
    numerators[i] = a.count;
    denominators[i] = a.population;
    values[i] = a.population > 0 ? (100 * a.count) / a.population : NaN;
  });
  const references = new Map<string, Float64Array>();
  const referenceCounts = new Map<string, { numerator: Float64Array; denominator: Float64Array }>();
  for (const r of input.references) {
    references.set(r.code, Float64Array.of(r.population > 0 ? (100 * r.count) / r.population : NaN));
    referenceCounts.set(r.code, {
      numerator: Float64Array.of(r.count),
      denominator: Float64Array.of(r.population),
    });
  }
  return {
    indicator: input.indicator,
    level: input.level,
    division: input.division,
    periods: [input.period],
    areas: input.areas.map((a) => a.code),
    gemeenten: input.areas.map((a) => a.gemeente),
    values: [values],
    numerators: [numerators],
    denominators: [denominators],
    references,
    referenceCounts,
  };
}
