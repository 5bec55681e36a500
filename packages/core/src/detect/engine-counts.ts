/**
 * The dynamics-counts detector of the engine: weekly ("2024-W05") or monthly ("2024-03") series of
 * counts (nuisance reports, field observations), each area's latest period against its
 * Farrington/Noufaily baseline (counts.ts), with the minimum-count rule and the EWMA/CUSUM charts of
 * count-charts.ts as figures. Settings: `dynamics.counts` (model.ts); docs/methods.md, "dynamics-counts".
 *
 * What is tested:
 * - indicators of kind "count" with polarity higher-is-worse whose periods are all ISO weeks or all
 *   months. Lower-is-worse counts are not tested: the baseline is an outbreak detector, upward by
 *   construction (it down-weights past excesses, not past deficits; the minimum-count rule counts
 *   cases), and the lower tail of a small count cannot become significant (P[Y = 0] is rarely below
 *   a few per cent), so a "drop" test would only add tests to the run's BH;
 * - the series' latest period, for every area with a count in it (a missing count is not a zero: the
 *   area gets no test). The calendar runs from the first to the latest period of the series without
 *   gaps (ISO weeks: 52 or 53 a year), periods without a count are missing (NaN) for the baseline, and
 *   each period carries its date (Monday of the ISO week, first of the month) so reference periods
 *   are found by calendar, as R's farringtonFlexible does for an sts with dates.
 *
 * Per area: p = P[Y ≥ y] under the baseline's predictive distribution (its `pValue`, the same number
 * `detectCounts` gives for that period); grey (p NaN) with the baseline's reason when it has none;
 * p = 1 and effect 0 when fewer than limit54[0] cases were reported in the last limit54[1] periods
 * (missing periods count as none). Effect: the standardised Anscombe residual against the baseline.
 * The EWMA and CUSUM over the last `chartPeriods` periods are computed when a test's details are asked
 * for (only significant tests become alerts), so a run fits one baseline per area.
 */
import type { TestBatch } from "./assess.js";
import { detectCounts, standardisedResidual, type CountDetectionOptions } from "./count-charts.js";
import {
  farringtonFlexible,
  type CountBaselineResult,
  type CountSeries,
  type FarringtonControl,
  type NoBaselineReason,
} from "./counts.js";
import type { DetectionSettings } from "./model.js";
import type { IndicatorSeries } from "./series.js";

// ---------------------------------------------------------------------------------------------
// Calendar: pure arithmetic on days since 1970-01-01 (no Date).

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** ISO weekday of a day, 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday). */
function isoWeekday(days: number): number {
  return (((days + 3) % 7) + 7) % 7;
}

/** The Monday of ISO week 1 of `year`: the week with 4 January in it. */
function isoWeekOneMonday(year: number): number {
  const jan4 = daysFromCivil(year, 1, 4);
  return jan4 - isoWeekday(jan4);
}

/** Number of ISO weeks of a year: 53 when it starts or (leap year) ends on a Thursday, else 52. */
export function isoWeeksInYear(year: number): 52 | 53 {
  return (isoWeekOneMonday(year + 1) - isoWeekOneMonday(year)) / 7 === 53 ? 53 : 52;
}

/** Days since 1970-01-01 of the Monday of ISO week `week` of `year`; NaN when the year has no such week. */
export function isoWeekMonday(year: number, week: number): number {
  if (!Number.isInteger(week) || week < 1 || week > isoWeeksInYear(year)) return NaN;
  return isoWeekOneMonday(year) + 7 * (week - 1);
}

/** The ISO week ("2024-W05") a day falls in. */
export function isoWeekOfDay(days: number): string {
  const thursday = days - isoWeekday(days) + 3;
  // The ISO year is the calendar year of the week's Thursday.
  let year = 1970 + Math.floor(thursday / 365.2425);
  while (daysFromCivil(year + 1, 1, 1) <= thursday) year++;
  while (daysFromCivil(year, 1, 1) > thursday) year--;
  const week = Math.floor((thursday - daysFromCivil(year, 1, 1)) / 7) + 1;
  return `${String(year).padStart(4, "0")}-W${String(week).padStart(2, "0")}`;
}

export type CountFrequency = "weekly" | "monthly";

/** A period's frequency and date (Monday of an ISO week, first of a month), or null for other periods. */
export function periodDay(period: string): { frequency: CountFrequency; day: number } | null {
  const week = /^(\d{4})-W(\d{2})$/.exec(period);
  if (week) {
    const day = isoWeekMonday(Number(week[1]), Number(week[2]));
    return Number.isNaN(day) ? null : { frequency: "weekly", day };
  }
  const month = /^(\d{4})-(\d{2})$/.exec(period);
  if (month) {
    const m = Number(month[2]);
    return m >= 1 && m <= 12 ? { frequency: "monthly", day: daysFromCivil(Number(month[1]), m, 1) } : null;
  }
  return null;
}

/** The full calendar of a series' periods: every week or month from the first to the last. */
export interface CountCalendar {
  readonly frequency: CountFrequency;
  /** Date of every calendar period (days since 1970-01-01), ascending without gaps. */
  readonly days: Int32Array;
  /** Per calendar period the index into the series' periods, −1 where the series has none. */
  readonly seriesIndex: Int32Array;
}

/**
 * The calendar of ascending periods that are all ISO weeks or all months; null otherwise (years,
 * quarters, mixed forms, an ISO week that does not exist, or periods out of order).
 */
export function countCalendar(periods: readonly string[]): CountCalendar | null {
  if (periods.length === 0) return null;
  const parsed = periods.map(periodDay);
  const first = parsed[0];
  if (!first || parsed.some((p) => p === null || p.frequency !== first.frequency)) return null;
  const weekly = first.frequency === "weekly";
  // Position of a date in the calendar: weeks apart, or months apart.
  const position = (day: number): number => {
    if (weekly) return (day - first.day) / 7;
    const [y0, m0] = yearMonth(first.day);
    const [y, m] = yearMonth(day);
    return (y - y0) * 12 + (m - m0);
  };
  const last = parsed[parsed.length - 1] as { day: number };
  const length = position(last.day) + 1;
  const days = new Int32Array(length);
  const seriesIndex = new Int32Array(length).fill(-1);
  const [y0, m0] = yearMonth(first.day);
  for (let i = 0; i < length; i++)
    days[i] = weekly
      ? first.day + 7 * i
      : daysFromCivil(y0 + Math.floor((m0 - 1 + i) / 12), ((m0 - 1 + i) % 12) + 1, 1);
  let previous = -1;
  for (let k = 0; k < parsed.length; k++) {
    const pos = position((parsed[k] as { day: number }).day);
    if (pos <= previous) return null;
    seriesIndex[pos] = k;
    previous = pos;
  }
  return { frequency: first.frequency, days, seriesIndex };
}

/** Year and month of the first of a month given as days since 1970 (only used on firsts of months). */
function yearMonth(day: number): [number, number] {
  let year = 1970 + Math.floor(day / 365.2425);
  while (daysFromCivil(year + 1, 1, 1) <= day) year++;
  while (daysFromCivil(year, 1, 1) > day) year--;
  let month = 12;
  while (daysFromCivil(year, month, 1) > day) month--;
  return [year, month];
}

/**
 * Whether a series is a count series with weekly or monthly periods (whatever its polarity): such
 * series are left to countTests. trendTests skips them: a Mann–Kendall test over years of weeks
 * assumes independent values, and seasonal, autocorrelated counts would make its p-values too small.
 */
export function weeklyOrMonthlyCounts(series: Pick<IndicatorSeries, "indicator" | "periods">): boolean {
  return series.indicator.kind === "count" && countCalendar(series.periods) !== null;
}

// ---------------------------------------------------------------------------------------------
// Settings → the baseline's and the charts' options

/** The baseline control (counts.ts) the engine uses for a frequency, from `dynamics.counts`. */
export function countControl(
  settings: Pick<DetectionSettings, "dynamics">,
  frequency: CountFrequency,
): Partial<FarringtonControl> & { readonly frequency: number } {
  const c = settings.dynamics.counts;
  return {
    frequency: frequency === "weekly" ? 52 : 12,
    b: c.b,
    w: c.w[frequency],
    noPeriods: c.noPeriods[frequency],
    pastWeeksNotIncluded: c.pastPeriodsNotIncluded[frequency],
    alpha: c.alpha,
    limit54: c.limit54,
    thresholdMethod: c.threshold,
    weightsThreshold: 2.58,
    pThresholdTrend: c.method === "noufaily" ? 1 : 0.05,
    reweight: true,
    trend: true,
  };
}

/** The EWMA/CUSUM options the engine uses (Anscombe residuals; the minimum-count rule applied by the engine). */
export function countChartOptions(settings: Pick<DetectionSettings, "dynamics">): CountDetectionOptions {
  const c = settings.dynamics.counts;
  return {
    residual: "anscombe",
    minimumCountRule: false,
    ewma: { lambda: c.ewma.lambda, limit: c.ewma.limit },
    cusum: { k: c.cusum.k, h: c.cusum.h, headStart: 0, resetAfterAlarm: false },
  };
}

// ---------------------------------------------------------------------------------------------
// The detector

const NO_BASELINE_TEXT: Readonly<Record<NoBaselineReason, string>> = {
  "too-little-history": "too little history for a baseline",
  "reference-period-missing": "a reference period is missing",
  "too-few-observations": "too few reference periods with a count",
  "no-convergence": "the baseline model did not converge",
  "singular-design": "the reference data do not identify the baseline model",
};

/**
 * The weekly or monthly count test of each area's latest period (see the file comment); null when
 * the series is not a higher-is-worse count series with weekly or monthly periods.
 */
export function countTests(series: IndicatorSeries, settings: DetectionSettings): TestBatch | null {
  const { indicator } = series;
  if (indicator.kind !== "count" || indicator.polarity !== "higher-is-worse") return null;
  const calendar = countCalendar(series.periods);
  if (!calendar) return null;
  const c = settings.dynamics.counts;
  const control = countControl(settings, calendar.frequency);
  const length = calendar.days.length;
  const k = length - 1;
  const latest = series.values[series.periods.length - 1] as Float64Array;
  const [minCases, recentPeriods] = c.limit54;
  const [b, w] = [c.b, c.w[calendar.frequency]];

  const countsOf = (a: number): Float64Array => calendarCounts(series, calendar, a);

  const n = series.areas.length;
  const area: number[] = [];
  const p: number[] = [];
  const effect: number[] = [];
  const observed: number[] = [];
  const expected: number[] = [];
  const baselines: CountBaselineResult[] = [];
  const recent: number[] = [];
  for (let a = 0; a < n; a++) {
    const y = latest[a] as number;
    if (!(y >= 0 && Number.isFinite(y))) continue;
    const counts = countsOf(a);
    const [baseline] = farringtonFlexible({ counts, days: calendar.days }, control, [k]) as [
      CountBaselineResult,
    ];
    let cases = 0;
    for (let t = Math.max(0, k - recentPeriods + 1); t <= k; t++)
      if (!Number.isNaN(counts[t])) cases += counts[t] as number;
    area.push(a);
    observed.push(y);
    baselines.push(baseline);
    recent.push(cases);
    if (baseline.kind !== "baseline" || Number.isNaN(baseline.pValue)) {
      p.push(NaN);
      effect.push(0);
      expected.push(baseline.kind === "baseline" ? baseline.expected : NaN);
      continue;
    }
    expected.push(baseline.expected);
    if (cases < minCases) {
      p.push(1);
      effect.push(0);
      continue;
    }
    p.push(Math.min(1, Math.max(0, baseline.pValue)));
    effect.push(standardisedResidual("anscombe", y, baseline.expected, baseline.varianceFactor));
  }

  const period = series.periods[series.periods.length - 1] as string;
  const frequencyText = calendar.frequency === "weekly" ? "weeks" : "months";
  const method =
    `${c.method === "noufaily" ? "Noufaily" : "Farrington"}, ${c.threshold}; b = ${b} years, w = ${w}, ` +
    `${c.noPeriods[calendar.frequency]} seasonal levels, last ${c.pastPeriodsNotIncluded[calendar.frequency]} ${frequencyText} left out`;
  const chartOptions = countChartOptions(settings);
  const details = (i: number): Record<string, number | string | null> => {
    const a = area[i] as number;
    const baseline = baselines[i] as CountBaselineResult;
    const cases = recent[i] as number;
    const common = {
      method,
      frequency: calendar.frequency,
      recentCases: cases,
      minimumCount: `${minCases} in ${recentPeriods} ${frequencyText}`,
    };
    if (baseline.kind !== "baseline" || Number.isNaN(baseline.pValue)) {
      // The calendar has no gaps, so a missing reference period lies before the series' start.
      const reason: NoBaselineReason | "threshold-overflow" =
        baseline.kind === "baseline"
          ? "threshold-overflow"
          : baseline.reason === "reference-period-missing"
            ? "too-little-history"
            : baseline.reason;
      return {
        ...common,
        reason,
        message:
          reason === "threshold-overflow"
            ? "the baseline's threshold could not be computed"
            : reason === "too-little-history"
              ? `needs ${b} year(s) of history plus ${w} ${frequencyText} before ${period}; the series starts at ${series.periods[0] as string}`
              : `${NO_BASELINE_TEXT[reason]}: ${(baseline as { message: string }).message}`,
      };
    }
    // The charts over the last chartPeriods periods, each against its own baseline.
    const from = Math.max(0, k - c.chartPeriods + 1);
    const range = Array.from({ length: k - from + 1 }, (_, j) => from + j);
    const chart = detectCounts({ counts: countsOf(a), days: calendar.days }, control, chartOptions, range).at(
      -1,
    );
    const enough = cases >= minCases;
    return {
      ...common,
      expected: baseline.expected,
      upperThreshold: baseline.upperbound,
      phi: baseline.phi,
      trend: baseline.trend ? "kept" : "not kept",
      trendPerPeriod: baseline.trend ? baseline.trendCoefficient : null,
      referencePeriods: baseline.observations,
      pBaseline: baseline.pValue,
      residual: standardisedResidual(
        "anscombe",
        baseline.observed,
        baseline.expected,
        baseline.varianceFactor,
      ),
      ewma: chart?.ewma.statistic ?? null,
      ewmaLimit: chart?.ewma.upperLimit ?? null,
      ewmaAlarm: chart?.ewma.alarm && enough ? "yes" : "no",
      cusum: chart?.cusum.statistic ?? null,
      cusumH: c.cusum.h,
      cusumAlarm: chart?.cusum.alarm && enough ? "yes" : "no",
      chartPeriods: range.length,
      ...(enough
        ? {}
        : {
            reason: "minimum-count",
            message: `fewer than ${minCases} cases in the last ${recentPeriods} ${frequencyText}: p set to 1`,
          }),
    };
  };
  const m = area.length;
  return {
    detector: "dynamics-counts",
    indicatorId: indicator.id,
    domain: indicator.domain,
    polarity: indicator.polarity,
    level: series.level,
    division: series.division,
    areas: series.areas,
    gemeenten: series.gemeenten,
    area: Int32Array.from(area),
    p: Float64Array.from(p),
    effect: Float64Array.from(effect),
    observed: Float64Array.from(observed),
    expected: Float64Array.from(expected),
    period: () => period,
    details: (i) => {
      if (!(i >= 0 && i < m)) throw new RangeError(`test ${i} outside 0 … ${m - 1}`);
      return details(i);
    },
  };
}

/** Area a's counts over the calendar, NaN where missing; negative or non-finite values count as missing. */
function calendarCounts(series: IndicatorSeries, calendar: CountCalendar, a: number): Float64Array {
  const counts = new Float64Array(calendar.days.length).fill(NaN);
  for (let t = 0; t < counts.length; t++) {
    const idx = calendar.seriesIndex[t] as number;
    if (idx < 0) continue;
    const v = (series.values[idx] as Float64Array)[a] as number;
    if (v >= 0 && Number.isFinite(v)) counts[t] = v;
  }
  return counts;
}

/**
 * The count series of area `a` as the engine passes it to the baseline (full calendar, NaN where
 * missing, dates), e.g. to draw its chart with `detectCounts`; null when countTests does not apply
 * to the series' periods.
 */
export function areaCountSeries(
  series: IndicatorSeries,
  a: number,
): (CountSeries & { days: Int32Array }) | null {
  const calendar = countCalendar(series.periods);
  return calendar ? { counts: calendarCounts(series, calendar, a), days: calendar.days } : null;
}
