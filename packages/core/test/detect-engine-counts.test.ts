/**
 * The engine's dynamics-counts detector (engine-counts.ts): the calendar arithmetic (ISO weeks with
 * 52 and 53-week years, months) against hand-computed dates; the latest period of each area against
 * its Farrington/Noufaily baseline with p exactly detectCounts' own for the same counts and dates;
 * grey without a baseline; the minimum-count rule; monthly series; what the detector and the other
 * dynamics detectors do and do not test; the settings and the model description.
 */
import { describe, expect, it } from "vitest";
import {
  assessRun,
  BacktestRandom,
  countCalendar,
  countChartOptions,
  countControl,
  countTests,
  daysFromCivil,
  DEFAULT_DETECTION_SETTINGS,
  DetectionSettingsSchema,
  describeModel,
  detectCounts,
  detectSeries,
  isoWeekMonday,
  isoWeekOfDay,
  isoWeeksInYear,
  materialise,
  periodDay,
  trendTests,
  weeklyOrMonthlyCounts,
  type IndicatorSeries,
  type SeriesIndicator,
} from "../src/index.js";

const S = DEFAULT_DETECTION_SETTINGS;

const NUISANCE: SeriesIndicator = {
  id: "overlast_meldingen",
  domain: "safety",
  polarity: "higher-is-worse",
  kind: "count",
};

/** A series of counts per area ([area][period], NaN: missing) over the given periods. */
function countSeries(
  periods: readonly string[],
  counts: readonly (readonly number[])[],
  indicator: SeriesIndicator = NUISANCE,
): IndicatorSeries {
  const areas = counts.map((_, a) => `BU0363${String(a).padStart(4, "0")}`);
  return {
    indicator,
    level: "buurt",
    division: 2024,
    periods,
    areas,
    gemeenten: areas.map(() => "GM0363"),
    values: periods.map((_, k) => Float64Array.from(counts, (c) => c[k] as number)),
    numerators: null,
    denominators: null,
    references: new Map(),
    referenceCounts: new Map(),
  };
}

/** `n` consecutive ISO weeks from a Monday (days since 1970). */
function weeksFrom(monday: number, n: number): string[] {
  return Array.from({ length: n }, (_, t) => isoWeekOfDay(monday + 7 * t));
}

/** Seasonal negative binomial weekly counts (mean m, k = 10), seeded. */
function weeklyCounts(seed: number, n: number, m: number): number[] {
  const rng = new BacktestRandom(seed);
  return Array.from({ length: n }, (_, t) =>
    rng.negativeBinomial(m * Math.exp(0.3 * Math.sin((2 * Math.PI * t) / 52.18)), 10),
  );
}

describe("calendar arithmetic (no Date)", () => {
  it("days since 1970 of civil dates", () => {
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(daysFromCivil(1969, 12, 31)).toBe(-1);
    expect(daysFromCivil(2000, 3, 1)).toBe(11017); // 30 years of 365 days + 7 leap days + 31 + 29
    expect(daysFromCivil(2020, 1, 1)).toBe(18262);
    expect(daysFromCivil(2024, 1, 1)).toBe(19723);
    expect(daysFromCivil(2024, 3, 1)).toBe(19723 + 31 + 29);
  });

  it("ISO weeks: 53-week years are those starting on a Thursday, or leap years starting on a Wednesday", () => {
    // 1 January: 2009 Thu, 2015 Thu, 2020 Wed (leap), 2026 Thu → 53 weeks; 2021 Fri, 2024 Mon, 2025 Wed (not leap) → 52.
    for (const y of [2004, 2009, 2015, 2020, 2026, 2032]) expect(isoWeeksInYear(y), String(y)).toBe(53);
    for (const y of [2019, 2021, 2022, 2023, 2024, 2025, 2027]) expect(isoWeeksInYear(y), String(y)).toBe(52);
    let fiftyThree = 0;
    for (let y = 2001; y <= 2400; y++) fiftyThree += isoWeeksInYear(y) === 53 ? 1 : 0;
    expect(fiftyThree).toBe(71); // 71 long years in every 400-year cycle
  });

  it("ISO week → Monday against hand-computed dates", () => {
    // 2020-W01 starts on Monday 30 December 2019 (4 January 2020 was a Saturday).
    expect(isoWeekMonday(2020, 1)).toBe(daysFromCivil(2019, 12, 30));
    expect(isoWeekMonday(2020, 1)).toBe(18260);
    // 2020 has 53 weeks: W53 is Monday 28 December 2020, and 2021-W01 is Monday 4 January 2021.
    expect(isoWeekMonday(2020, 53)).toBe(daysFromCivil(2020, 12, 28));
    expect(isoWeekMonday(2021, 1)).toBe(daysFromCivil(2021, 1, 4));
    expect(isoWeekMonday(2021, 1) - isoWeekMonday(2020, 53)).toBe(7);
    // 2024-W01 starts on 1 January 2024 (a Monday); 2024-W10 on 4 March.
    expect(isoWeekMonday(2024, 1)).toBe(19723);
    expect(isoWeekMonday(2024, 10)).toBe(daysFromCivil(2024, 3, 4));
    // 2026-W01 starts on Monday 29 December 2025; 2026-W53 on 28 December 2026.
    expect(isoWeekMonday(2026, 1)).toBe(daysFromCivil(2025, 12, 29));
    expect(isoWeekMonday(2026, 53)).toBe(daysFromCivil(2026, 12, 28));
    expect(isoWeekMonday(2015, 53)).toBe(daysFromCivil(2015, 12, 28));
    // Weeks that do not exist.
    expect(isoWeekMonday(2021, 53)).toBeNaN();
    expect(isoWeekMonday(2024, 53)).toBeNaN();
    expect(isoWeekMonday(2024, 0)).toBeNaN();
  });

  it("day → ISO week, also across the turn of the year", () => {
    expect(isoWeekOfDay(daysFromCivil(2019, 12, 30))).toBe("2020-W01");
    expect(isoWeekOfDay(daysFromCivil(2021, 1, 3))).toBe("2020-W53"); // a Sunday
    expect(isoWeekOfDay(daysFromCivil(2021, 1, 4))).toBe("2021-W01");
    expect(isoWeekOfDay(daysFromCivil(2024, 12, 30))).toBe("2025-W01");
    expect(isoWeekOfDay(daysFromCivil(2027, 1, 1))).toBe("2026-W53"); // a Friday
    expect(isoWeekOfDay(daysFromCivil(2024, 2, 7))).toBe("2024-W06");
    // Round trip over 30 years of Mondays.
    for (let d = isoWeekMonday(2000, 1); d < isoWeekMonday(2030, 1); d += 7) {
      const w = isoWeekOfDay(d);
      expect(periodDay(w)).toEqual({ frequency: "weekly", day: d });
    }
  });

  it("periods → dates; other periods are not weekly or monthly", () => {
    expect(periodDay("2024-W10")).toEqual({ frequency: "weekly", day: daysFromCivil(2024, 3, 4) });
    expect(periodDay("2024-03")).toEqual({ frequency: "monthly", day: 19783 });
    expect(periodDay("2021-W53")).toBeNull();
    expect(periodDay("2024-13")).toBeNull();
    expect(periodDay("2024")).toBeNull();
    expect(periodDay("2024-Q1")).toBeNull();
  });

  it("the calendar runs without gaps from the first to the last period, through week 53", () => {
    const c = countCalendar(["2020-W51", "2020-W53", "2021-W02"])!;
    expect(c.frequency).toBe("weekly");
    // W51, W52, W53, 2021-W01, W02
    expect(Array.from(c.days)).toEqual([0, 1, 2, 3, 4].map((i) => isoWeekMonday(2020, 51) + 7 * i));
    expect(Array.from(c.seriesIndex)).toEqual([0, -1, 1, -1, 2]);
    const m = countCalendar(["2023-11", "2024-02", "2024-03"])!;
    expect(m.frequency).toBe("monthly");
    expect(Array.from(m.days)).toEqual([
      daysFromCivil(2023, 11, 1),
      daysFromCivil(2023, 12, 1),
      daysFromCivil(2024, 1, 1),
      daysFromCivil(2024, 2, 1),
      daysFromCivil(2024, 3, 1),
    ]);
    expect(Array.from(m.seriesIndex)).toEqual([0, -1, -1, 1, 2]);
    expect(countCalendar(["2020", "2021"])).toBeNull();
    expect(countCalendar(["2024-03", "2024-W12"])).toBeNull();
    expect(countCalendar(["2024-W03", "2024-W02"])).toBeNull();
    expect(countCalendar([])).toBeNull();
  });
});

describe("countTests: the latest week of each area against its baseline", () => {
  // Six years and ten weeks of weekly counts from 2018-W01 (so 2020-W53 is in the history).
  const monday0 = isoWeekMonday(2018, 1);
  const n = 6 * 52 + 10;
  const allPeriods = weeksFrom(monday0, n);
  const base = [0, 1, 2, 3].map((a) => weeklyCounts(1000 + a, n, 8));
  const outbreak = base[0]!.slice();
  outbreak[n - 1] = 40; // planted in the last week
  const gappy = base[1]!.slice();
  const missingLast = base[2]!.slice();
  missingLast[n - 1] = NaN;
  // One week of the history is not in the data at all (no area reported): it drops out of the periods.
  const dropped = 150;
  const periods = allPeriods.filter((_, t) => t !== dropped);
  const rows = [outbreak, gappy, missingLast, base[3]!];
  const series = countSeries(
    periods,
    rows.map((r) => r.filter((_, t) => t !== dropped)),
  );
  const batch = countTests(series, S)!;

  it("tests every area with a count in the latest period (a missing count is no test)", () => {
    expect(batch.detector).toBe("dynamics-counts");
    expect(Array.from(batch.area)).toEqual([0, 1, 3]);
    expect(batch.period(0)).toBe(allPeriods[n - 1]);
    expect(allPeriods).toContain("2020-W53");
  });

  it("p equals detectCounts' own baseline p for that period, with the same counts and dates", () => {
    const days = Int32Array.from({ length: n }, (_, t) => monday0 + 7 * t);
    rows.forEach((r, a) => {
      if (a === 2) return;
      const counts = Float64Array.from(r, (v, t) => (t === dropped ? NaN : v));
      const [det] = detectCounts({ counts, days }, countControl(S, "weekly"), countChartOptions(S), [n - 1]);
      const i = Array.from(batch.area).indexOf(a);
      expect(det!.baseline.kind).toBe("baseline");
      if (det!.baseline.kind !== "baseline") return;
      expect(batch.p[i]).toBe(det!.baseline.pValue);
      expect(batch.expected[i]).toBe(det!.baseline.expected);
      expect(batch.observed[i]).toBe(r[n - 1]);
      expect(batch.effect[i]).toBeCloseTo(det!.residual, 12);
    });
  });

  it("flags the planted outbreak, and only it, in a run", () => {
    expect(batch.p[0]).toBeLessThan(1e-4);
    expect(batch.p[1]).toBeGreaterThan(0.01);
    expect(batch.p[2]).toBeGreaterThan(0.01);
    const run = assessRun([batch], S);
    expect(run.alerts.map((x) => x.area)).toEqual([series.areas[0]]);
    const t = materialise(batch, 0);
    expect(t.effect).toBeGreaterThan(4);
    const d = t.details;
    expect(d.expected).toBe(batch.expected[0]);
    expect(d.upperThreshold as number).toBeGreaterThan(d.expected as number);
    expect(d.upperThreshold as number).toBeLessThan(40);
    expect(d.phi as number).toBeGreaterThanOrEqual(1);
    expect(["kept", "not kept"]).toContain(d.trend);
    expect(d.pBaseline).toBe(batch.p[0]);
    expect(d.frequency).toBe("weekly");
    expect(d.recentCases).toBe(outbreak.slice(-4).reduce((s, v) => s + v, 0));
    expect(d.reason).toBeUndefined();
    // The charts over the last 13 weeks, the last one being the tested week.
    expect(d.chartPeriods).toBe(13);
    // One week's spike lifts the charts; they alarm on sustained rises (the next test).
    expect(d.ewma as number).toBeGreaterThan(0);
    expect(d.ewmaAlarm).toBe((d.ewma as number) > (d.ewmaLimit as number) ? "yes" : "no");
    expect(d.cusum as number).toBeGreaterThan(0);
    expect(d.cusumAlarm).toBe((d.cusum as number) >= 4 ? "yes" : "no");
    expect(String(d.method)).toMatch(/Noufaily, muan/);
  });

  it("the charts in the details equal detectCounts over the same 13 weeks", () => {
    const days = Int32Array.from({ length: n }, (_, t) => monday0 + 7 * t);
    const counts = Float64Array.from(outbreak, (v, t) => (t === dropped ? NaN : v));
    const range = Array.from({ length: 13 }, (_, j) => n - 13 + j);
    const det = detectCounts({ counts, days }, countControl(S, "weekly"), countChartOptions(S), range).at(
      -1,
    )!;
    const d = batch.details(0);
    expect(d.ewma).toBe(det.ewma.statistic);
    expect(d.ewmaLimit).toBe(det.ewma.upperLimit);
    expect(d.cusum).toBe(det.cusum.statistic);
  });

  it("the charts alarm on a sustained rise of 1.5 SD over the last 8 weeks", () => {
    const risen = base[3]!.map((v, t) => (t >= n - 8 ? v + Math.round(1.5 * Math.sqrt(8 + 6.4)) : v));
    const b = countTests(countSeries(allPeriods, [risen]), S)!;
    const d = b.details(0);
    expect(d.ewmaAlarm).toBe("yes");
    expect(d.cusumAlarm).toBe("yes");
    expect(d.ewma as number).toBeGreaterThan(d.ewmaLimit as number);
    expect(d.cusum as number).toBeGreaterThanOrEqual(4);
  });

  it("is part of detectSeries; the trend test leaves weekly counts alone", () => {
    const batches = detectSeries(series, S, null);
    expect(batches.map((b) => b.detector)).toEqual(["dynamics-counts"]);
    expect(trendTests(series, S)).toBeNull();
    expect(weeklyOrMonthlyCounts(series)).toBe(true);
    // Annual counts keep their Mann–Kendall test on the own series.
    const annual = countSeries(["2019", "2020", "2021", "2022", "2023"], [[1, 2, 3, 4, 5]]);
    expect(weeklyOrMonthlyCounts(annual)).toBe(false);
    expect(trendTests(annual, S)?.detector).toBe("dynamics-trend");
    expect(countTests(annual, S)).toBeNull();
  });

  it("does not test lower-is-worse counts, nor weekly series of other kinds", () => {
    expect(countTests({ ...series, indicator: { ...NUISANCE, polarity: "higher-is-better" } }, S)).toBeNull();
    expect(countTests({ ...series, indicator: { ...NUISANCE, kind: "percentage" } }, S)).toBeNull();
  });
});

describe("countTests: no baseline, minimum count, monthly", () => {
  it("no baseline → grey (p NaN) with the baseline's reason", () => {
    // Two years of weeks: far less than b = 5 years of history.
    const periods = weeksFrom(isoWeekMonday(2022, 1), 104);
    const s = countSeries(periods, [weeklyCounts(7, 104, 10)]);
    const b = countTests(s, S)!;
    expect(b.p.length).toBe(1);
    expect(b.p[0]).toBeNaN();
    expect(b.effect[0]).toBe(0);
    expect(b.expected[0]).toBeNaN();
    const d = b.details(0);
    expect(d.reason).toBe("too-little-history");
    expect(String(d.message)).toMatch(/5 year\(s\) of history/);
    const run = assessRun([b], S);
    expect(run.severities.grey).toBe(1);
    expect(run.alerts).toHaveLength(0);
  });

  it("no baseline when the reference data are too sparse: the baseline's own reason", () => {
    const n = 6 * 53;
    const periods = weeksFrom(isoWeekMonday(2018, 1), n);
    // Only the last 20 weeks have counts: the baseline leaves out the last 26.
    const counts = Array.from({ length: n }, (_, t) => (t >= n - 20 ? 3 : NaN));
    const b = countTests(countSeries(periods, [counts]), S)!;
    expect(b.p[0]).toBeNaN();
    expect(b.details(0).reason).toBe("too-few-observations");
  });

  it("minimum-count rule: fewer than 5 cases in the last 4 weeks → p = 1, effect 0 (documented)", () => {
    const n = 6 * 52 + 10;
    const rng = new BacktestRandom(99);
    const counts = Array.from({ length: n }, () => rng.poisson(0.3));
    counts.splice(n - 4, 4, 0, 0, 0, 4); // 4 cases in the last 4 weeks, all in the last
    const s = countSeries(weeksFrom(isoWeekMonday(2018, 1), n), [counts]);
    const b = countTests(s, S)!;
    const d = b.details(0);
    expect(d.pBaseline as number).toBeLessThan(0.05); // 4 reports at μ ≈ 0.3 would be significant
    expect(b.p[0]).toBe(1);
    expect(b.effect[0]).toBe(0);
    expect(d.reason).toBe("minimum-count");
    expect(d.recentCases).toBe(4);
    expect(d.ewmaAlarm).toBe("no");
    expect(d.cusumAlarm).toBe("no");
    // One more case: the rule is met and the baseline's p is the test's.
    counts[n - 2] = 1;
    const b2 = countTests(countSeries(s.periods, [counts]), S)!;
    expect(b2.p[0]).toBe(b2.details(0).pBaseline);
    expect(b2.p[0]).toBeLessThan(0.05);
  });

  it("monthly counts: reference months by calendar, p equals detectCounts' with frequency 12", () => {
    const months: string[] = [];
    for (let y = 2017; y <= 2024; y++)
      for (let m = 1; m <= 12; m++) if (y < 2024 || m <= 6) months.push(`${y}-${String(m).padStart(2, "0")}`);
    const rng = new BacktestRandom(5);
    const rows = [0, 1].map(() =>
      months.map((_, t) => rng.negativeBinomial(30 * Math.exp(0.4 * Math.cos((2 * Math.PI * t) / 12)), 20)),
    );
    rows[1]![months.length - 1] = 3 * rows[1]![months.length - 1]!; // tripled in the last month
    const s = countSeries(months, rows);
    const b = countTests(s, S)!;
    expect(b.period(0)).toBe("2024-06");
    const days = Int32Array.from(months, (p) => periodDay(p)!.day);
    rows.forEach((r, a) => {
      const [det] = detectCounts(
        { counts: Float64Array.from(r), days },
        { ...countControl(S, "monthly") },
        countChartOptions(S),
        [months.length - 1],
      );
      expect(det!.baseline.kind).toBe("baseline");
      if (det!.baseline.kind === "baseline") expect(b.p[a]).toBe(det!.baseline.pValue);
    });
    expect(countControl(S, "monthly")).toMatchObject({
      frequency: 12,
      w: 1,
      noPeriods: 4,
      pastWeeksNotIncluded: 6,
    });
    expect(b.p[0]).toBeGreaterThan(0.01);
    expect(b.p[1]).toBeLessThan(1e-3);
    expect(b.details(1).frequency).toBe("monthly");
    expect(String(b.details(1).minimumCount)).toBe("5 in 4 months");
  });
});

describe("settings and model description", () => {
  it("defaults under dynamics.counts, validated", () => {
    const c = DetectionSettingsSchema.parse({}).dynamics.counts;
    expect(c).toEqual(S.dynamics.counts);
    expect(c).toMatchObject({ method: "noufaily", threshold: "muan", b: 5, alpha: 0.05, limit54: [5, 4] });
    expect(c.w).toEqual({ weekly: 3, monthly: 1 });
    expect(c.noPeriods).toEqual({ weekly: 10, monthly: 4 });
    const partial = DetectionSettingsSchema.parse({ dynamics: { counts: { threshold: "delta" } } });
    expect(partial.dynamics.minTrendPeriods).toBe(4);
    expect(partial.dynamics.counts.threshold).toBe("delta");
    expect(partial.dynamics.counts.ewma).toEqual({ lambda: 0.3, limit: 2.7 });
    expect(() =>
      DetectionSettingsSchema.parse({
        dynamics: { counts: { w: { monthly: 3 }, noPeriods: { monthly: 8 } } },
      }),
    ).toThrow(/noPeriods/);
    expect(() => DetectionSettingsSchema.parse({ dynamics: { counts: { threshold: "exact" } } })).toThrow();
    expect(countControl(S, "weekly")).toMatchObject({
      frequency: 52,
      thresholdMethod: "muan",
      noPeriods: 10,
      pastWeeksNotIncluded: 26,
      pThresholdTrend: 1,
    });
    const farrington = DetectionSettingsSchema.parse({ dynamics: { counts: { method: "farrington" } } });
    expect(countControl(farrington, "weekly").pThresholdTrend).toBe(0.05);
  });

  it("the model description states the count detector's parameters", () => {
    const d = describeModel(S).detectors.find((x) => x.id === "dynamics-counts")!;
    expect(d.appliesTo).toMatch(/weekly/);
    for (const s of ["muan", "5 years", "λ = 0.3", "h = 4", "fewer than 5 cases in the last 4"])
      expect(d.method).toContain(s);
  });
});
