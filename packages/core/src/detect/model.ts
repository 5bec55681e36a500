/**
 * The early-warning model's settings (every parameter, weight and threshold, validated with zod, with
 * defaults) and its machine-readable description for the municipal algorithm register. Nothing in the
 * detectors is hidden from this object: a run stores the settings it used, every alert shows them.
 */
import { z } from "zod";
import { DOMAINS, type Domain } from "../catalogue.js";

const probability = z.number().gt(0).lt(1);

/** Equal weights for the problem domains, 0 for population (context, not a problem). */
export const DEFAULT_COMPOSITE_WEIGHTS: Readonly<Record<Domain, number>> = {
  population: 0,
  income: 1,
  debts: 1,
  work: 1,
  youth: 1,
  education: 1,
  safety: 1,
  health: 1,
  housing: 1,
  "physical-environment": 1,
};

/** Per-frequency whole numbers (weekly and monthly count series). */
const perFrequency = (weekly: number, monthly: number, min: number, max: [number, number]) =>
  z
    .object({
      weekly: z.number().int().min(min).max(max[0]).default(weekly),
      monthly: z.number().int().min(min).max(max[1]).default(monthly),
    })
    .strict()
    .default({ weekly, monthly });

/**
 * The dynamics-counts detector (engine-counts.ts): the Farrington/Noufaily baseline of weekly or
 * monthly counts, its minimum-count rule and the EWMA/CUSUM charts shown with each test.
 */
const CountSettingsSchema = z
  .object({
    /**
     * "noufaily" (Noufaily 2013: the trend is kept unless it extrapolates) or "farrington" (R's
     * farringtonFlexible default: kept when significant at 5 %); past outbreaks are down-weighted above
     * Anscombe residual 2.58 in both.
     */
    method: z.enum(["noufaily", "farrington"]).default("noufaily"),
    /**
     * Threshold and p-value: "muan" (negative binomial around the upper 1 − α bound of μ̂₀: estimation
     * error included), "nbPlugin" (negative binomial around μ̂₀) or "delta" (Farrington's 2/3-power normal).
     */
    threshold: z.enum(["muan", "nbPlugin", "delta"]).default("muan"),
    /** Years of history for the baseline. */
    b: z.number().int().min(1).max(10).default(5),
    /** Half-width of the window around the same period of earlier years, in periods. */
    w: perFrequency(3, 1, 0, [10, 3]),
    /** Seasonal factor levels (1: windows only, Farrington; 10: Noufaily). */
    noPeriods: perFrequency(10, 4, 1, [50, 12]),
    /** Periods before the tested one left out of the baseline (Noufaily: 26 weeks; 6 months). */
    pastPeriodsNotIncluded: perFrequency(26, 6, 0, [104, 24]),
    /** One-sided level of the upper threshold (and of μ̂₀'s bound for "muan"). */
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    /** [cases, periods]: fewer cases in the last `periods` periods → p = 1 (not tested as a deviation). */
    limit54: z.tuple([z.number().int().min(0), z.number().int().min(1)]).default([5, 4]),
    /** EWMA of the standardised residuals, shown with the test: weight λ, limit L·σ. */
    ewma: z
      .object({ lambda: z.number().gt(0).max(1).default(0.3), limit: z.number().gt(0).default(2.7) })
      .strict()
      .default({ lambda: 0.3, limit: 2.7 }),
    /** Upper CUSUM of the standardised residuals, shown with the test: allowance k, decision interval h. */
    cusum: z
      .object({ k: z.number().min(0).default(0.5), h: z.number().gt(0).default(4) })
      .strict()
      .default({ k: 0.5, h: 4 }),
    /** Periods the EWMA and CUSUM run over, ending with the tested one (each needs its own baseline). */
    chartPeriods: z.number().int().min(1).max(104).default(13),
  })
  .strict()
  .refine(
    (c) => c.noPeriods.weekly <= 52 - 2 * c.w.weekly && c.noPeriods.monthly <= 12 - 2 * c.w.monthly,
    "dynamics.counts.noPeriods must leave a period per seasonal block between the windows (≤ 52 − 2w weekly, ≤ 12 − 2w monthly)",
  );

/** The count detector's defaults (docs/methods.md, "dynamics-counts"). */
export const DEFAULT_COUNT_SETTINGS: z.output<typeof CountSettingsSchema> = {
  method: "noufaily",
  threshold: "muan",
  b: 5,
  w: { weekly: 3, monthly: 1 },
  noPeriods: { weekly: 10, monthly: 4 },
  pastPeriodsNotIncluded: { weekly: 26, monthly: 6 },
  alpha: 0.05,
  limit54: [5, 4],
  ewma: { lambda: 0.3, limit: 2.7 },
  cusum: { k: 0.5, h: 4 },
  chartPeriods: 13,
};

export const DetectionSettingsSchema = z
  .object({
    /** Target false-discovery rate of a run (Benjamini–Hochberg). */
    fdr: probability.default(0.05),
    severity: z
      .object({ red: probability.default(0.01), yellow: probability.default(0.05) })
      .strict()
      .default({ red: 0.01, yellow: 0.05 })
      .refine((s) => s.red < s.yellow, "severity.red must be smaller than severity.yellow"),
    status: z
      .object({
        /** What an area is compared with: its gemeente, or the land. */
        reference: z.enum(["gemeente", "land"]).default("gemeente"),
        /** Fewest comparable areas for a standardised deviation or an overdispersion estimate. */
        minComparableAreas: z.number().int().min(3).default(5),
        /** Winsorising fraction of the overdispersion estimate (Spiegelhalter 2005: 10 %). */
        winsor: z.number().min(0).lt(0.5).default(0.1),
        /**
         * Funnel tests when the areas vary more than chance allows (χ² test of φ at 5 %): "additive"
         * random-effects variance τ² (z = (y − θ)/√(s² + τ²)), "multiplicative" φ (z/√φ), or "none"
         * (exact tails always). Spiegelhalter 2005, QSHC 14:347.
         */
        overdispersion: z.enum(["additive", "multiplicative", "none"]).default("additive"),
        /**
         * How the additive τ² is estimated: "consistent" (default) solves the moment equation of the
         * winsorised standardised residuals with the normal consistency constant (docs/methods.md,
         * "Overdispersion: a consistent robust τ²"); "spiegelhalter" is the DerSimonian–Laird form on
         * the winsorised φ of Spiegelhalter 2005 / FunnelPlotR, which underestimates τ² by 2–3×.
         */
        tau2: z.enum(["consistent", "spiegelhalter"]).default("consistent"),
        /** Smallest denominator (residents) for a funnel test of a rate. */
        minDenominator: z.number().min(1).default(10),
        /** A gemeente's spread is taken at least this fraction of the spread of all areas of the level. */
        minScaleFraction: z.number().min(0).max(1).default(0.5),
      })
      .strict()
      .default({
        reference: "gemeente",
        minComparableAreas: 5,
        winsor: 0.1,
        overdispersion: "additive",
        tau2: "consistent",
        minDenominator: 10,
        minScaleFraction: 0.5,
      }),
    dynamics: z
      .object({
        /** Fewest periods for a Mann–Kendall / Theil–Sen trend test (fewer: relative change only). */
        minTrendPeriods: z.number().int().min(3).default(4),
        /** Weekly and monthly counts (dynamics-counts). */
        counts: CountSettingsSchema.default(DEFAULT_COUNT_SETTINGS),
      })
      .strict()
      .default({ minTrendPeriods: 4, counts: DEFAULT_COUNT_SETTINGS }),
    space: z
      .object({
        /** Conditional permutations per test (≥ 999). */
        permutations: z.number().int().min(99).default(999),
        /** Seed of the permutations: the same data and seed give the same alerts. */
        seed: z.number().int().min(0).default(20_260_101),
        /** Weights: queen contiguity of the boundaries, or k nearest neighbours of their centroids. */
        weights: z.enum(["queen", "knn"]).default("queen"),
        k: z.number().int().min(1).max(30).default(6),
        /** Fewest areas with a value for spatial statistics in one run. */
        minAreas: z.number().int().min(10).default(30),
        /** Levels with spatial statistics (boundaries needed). */
        levels: z.array(z.enum(["buurt", "wijk", "pc4", "pc6"])).default(["buurt"]),
        /**
         * The p-value of an area whose statistic exceeds every permutation: "floor" keeps the pseudo
         * p-value 1/(permutations + 1); "normal-tail" (default) extrapolates beyond it with the normal
         * tail of the permutation z-score, never above the floor (docs/methods.md, "Beyond the
         * permutations").
         */
        beyondPermutations: z.enum(["floor", "normal-tail"]).default("normal-tail"),
        /**
         * What the spatial statistics read for rates with counts: "eb-standardised" (default)
         * Assunção–Reis EB-standardised rates (pᵢ − b)/√(a + b/nᵢ), as spdep's EBImoran.mc, so that
         * small areas' noisy proportions do not dominate; "raw" the published values.
         */
        rates: z.enum(["eb-standardised", "raw"]).default("eb-standardised"),
      })
      .strict()
      .default({
        permutations: 999,
        seed: 20_260_101,
        weights: "queen",
        k: 6,
        minAreas: 30,
        levels: ["buurt"],
        beyondPermutations: "normal-tail",
        rates: "eb-standardised",
      }),
    classes: z
      .object({
        /** Status index cut points (unfavourable z): ≤ a high, < b middle, < c low, ≥ c very low. */
        status: z.tuple([z.number(), z.number(), z.number()]).default([-1, 1, 1.5]),
        /** Dynamics index cut points: ≤ a improving, < b stable, ≥ b deteriorating. */
        dynamics: z.tuple([z.number(), z.number()]).default([-1, 1]),
      })
      .strict()
      .default({ status: [-1, 1, 1.5], dynamics: [-1, 1] }),
    composite: z
      .object({
        weights: z.record(z.enum(DOMAINS), z.number().min(0)).default({ ...DEFAULT_COMPOSITE_WEIGHTS }),
      })
      .strict()
      .default({ weights: { ...DEFAULT_COMPOSITE_WEIGHTS } }),
  })
  .strict();

export type DetectionSettings = z.output<typeof DetectionSettingsSchema>;
export type DetectionSettingsInput = z.input<typeof DetectionSettingsSchema>;

/** The defaults (docs/methods.md lists them). */
export const DEFAULT_DETECTION_SETTINGS: DetectionSettings = DetectionSettingsSchema.parse({});

/** Version of the model description format and of the detector set; bump when a detector changes. */
export const MODEL_VERSION = "1.0.0";

export interface ModelDetectorDescription {
  readonly id: string;
  readonly family: "status" | "dynamics" | "space";
  readonly appliesTo: string;
  readonly method: string;
  readonly references: readonly string[];
}

/**
 * The machine-readable description of the model for the municipal algorithm register (Algoritmeregister):
 * purpose, data, detectors, every parameter and threshold as used, false-alarm control, and what is
 * released. Pure: the caller adds the catalogue and the run it describes.
 */
export function describeModel(settings: DetectionSettings): {
  readonly name: string;
  readonly version: string;
  readonly purpose: string;
  readonly humanInTheLoop: string;
  readonly output: string;
  readonly settings: DetectionSettings;
  readonly detectors: readonly ModelDetectorDescription[];
  readonly falseAlarmControl: Readonly<Record<string, string | number>>;
  readonly accumulation: Readonly<Record<string, unknown>>;
  readonly documentation: string;
} {
  return {
    name: "wijkradar early warning",
    version: MODEL_VERSION,
    purpose:
      "Signal areas (PC6, PC4, buurt, wijk, gemeente) where social problems start to pile up, so field workers and " +
      "policy makers look earlier. It ranks areas for attention; it decides nothing about persons.",
    humanInTheLoop:
      "Every alert is reviewed by a person (status new → acknowledged → investigating → closed with a reason); no " +
      "automatic action follows from an alert.",
    output:
      "Aggregates per area only, released through access policy, disclosure control and audit; never a record or " +
      "a pseudonym.",
    settings,
    detectors: [
      {
        id: "status-funnel",
        family: "status",
        appliesTo: "indicators with numerator and denominator (percentages, rates per 1,000) and profiles",
        method:
          "Exact binomial (percentages) or Poisson (rates) one-sided tail of the area's count around the reference " +
          "rate (Spiegelhalter funnel plot)" +
          (settings.status.overdispersion === "none"
            ? ", always (no overdispersion correction)."
            : `; when the areas vary more than chance allows (φ > 1 from ${100 * settings.status.winsor} % ` +
              "winsorised z-scores" +
              (settings.status.overdispersion === "additive" && settings.status.tau2 === "consistent"
                ? " divided by their expectation under N(0, 1)"
                : "") +
              ", its χ² test at 5 %), " +
              (settings.status.overdispersion === "additive"
                ? settings.status.tau2 === "consistent"
                  ? "an additive random-effects variance τ² is added to the area's own variance V(θ)/n: z = (y − θ)/√(V(θ)/n + τ²), " +
                    "normal tail. τ² solves mean(w(zᵢ*)²) = E[w(Z)²] for zᵢ* = (yᵢ − θᵢ)/√(V(θᵢ)/nᵢ + τ²), w winsorising at the " +
                    "sample quantiles, Z ~ N(0, 1): a consistent, outlier-robust moment estimate."
                  : "an additive random-effects variance τ² = max(0, (I·φ − (I − 1)) / (Σw − Σw²/Σw)), w = n/V(θ), " +
                    "is added to the area's own variance V(θ)/n: z = (y − θ)/√(V(θ)/n + τ²), normal tail."
                : "the z-score is divided by √φ (multiplicative) and the normal tail is used.")),
        references: [
          "Spiegelhalter DJ (2005) Funnel plots for comparing institutional performance. Stat Med 24:1185–1202",
          "Spiegelhalter DJ (2005) Handling over-dispersion of performance indicators. Qual Saf Health Care 14:347–351",
        ],
      },
      {
        id: "status-standardised",
        family: "status",
        appliesTo: "model-based percentages without counts (RIVM small-area estimates)",
        method:
          "Robust standardised deviation (x − median) / (1.4826·MAD) against the comparable areas (same level, " +
          "same gemeente; the land when the gemeente has too few), normal one-sided tail.",
        references: [
          "RIVM Gezondheidsmonitor small-area estimates; Iglewicz & Hoaglin (1993) modified z-scores",
        ],
      },
      {
        id: "dynamics-relative-change",
        family: "dynamics",
        appliesTo: "series of two or more periods",
        method:
          "The area's change minus its reference's change over the same periods, as a robust standardised " +
          "deviation against the comparable areas' differences-in-change, normal one-sided tail.",
        references: ["Berlin Monitoring Soziale Stadtentwicklung (dynamics against the city's own change)"],
      },
      {
        id: "dynamics-trend",
        family: "dynamics",
        appliesTo: `series of at least ${settings.dynamics.minTrendPeriods} periods`,
        method:
          "Mann–Kendall test (exact for short series without ties) of the area's values minus its reference's, " +
          "Theil–Sen slope as the effect.",
        references: ["Mann HB (1945) Econometrica 13:245–259", "Sen PK (1968) JASA 63:1379–1389"],
      },
      {
        id: "dynamics-counts",
        family: "dynamics",
        appliesTo:
          "indicators of kind count with weekly (ISO week) or monthly periods, higher is worse; the latest period " +
          "of each area with a count",
        method:
          `Quasi-Poisson baseline (${settings.dynamics.counts.method === "noufaily" ? "Noufaily 2013: trend kept unless it extrapolates" : "Farrington: trend kept when significant at 5 %"}) ` +
          `from ${settings.dynamics.counts.b} years of history found by calendar: windows of ±w periods around the same ` +
          `period of each year (w = ${settings.dynamics.counts.w.weekly} weeks / ${settings.dynamics.counts.w.monthly} ` +
          `months) and a seasonal factor of ${settings.dynamics.counts.noPeriods.weekly} / ` +
          `${settings.dynamics.counts.noPeriods.monthly} levels, the last ` +
          `${settings.dynamics.counts.pastPeriodsNotIncluded.weekly} weeks / ${settings.dynamics.counts.pastPeriodsNotIncluded.monthly} ` +
          "months left out, past outbreaks down-weighted (Anscombe residuals > 2.58). One-sided p = P[Y ≥ y] under " +
          `the predictive distribution ("${settings.dynamics.counts.threshold}"` +
          (settings.dynamics.counts.threshold === "muan"
            ? `: negative binomial around the upper ${1 - settings.dynamics.counts.alpha} bound of the expected count`
            : "") +
          `); p = 1 with fewer than ${settings.dynamics.counts.limit54[0]} cases in the last ` +
          `${settings.dynamics.counts.limit54[1]} periods; grey without a baseline. Effect: the Anscombe residual. ` +
          `Shown with each alert: EWMA (λ = ${settings.dynamics.counts.ewma.lambda}, L = ${settings.dynamics.counts.ewma.limit}) ` +
          `and CUSUM (k = ${settings.dynamics.counts.cusum.k}, h = ${settings.dynamics.counts.cusum.h}) of the residuals over ` +
          `the last ${settings.dynamics.counts.chartPeriods} periods; they do not enter the run's p-values.`,
        references: [
          "Farrington CP et al. (1996) JRSS A 159:547–563",
          "Noufaily A et al. (2013) Stat Med 32:1206–1222",
        ],
      },
      {
        id: "space-local-moran",
        family: "space",
        appliesTo: "indicators at buurt level with boundaries",
        method:
          `Local Moran's I (high-high cluster in the unfavourable direction) with ${settings.space.permutations} ` +
          `seeded conditional permutations on ${settings.space.weights === "queen" ? "queen-contiguity" : `${settings.space.k}-nearest-neighbour`} ` +
          "row-standardised weights" +
          (settings.space.rates === "eb-standardised"
            ? ", on Assunção–Reis EB-standardised rates (pᵢ − b)/√(a + b/nᵢ) for indicators with counts"
            : "") +
          "; one-sided pseudo p-value (count of permutations at least as extreme + 1) / " +
          `(${settings.space.permutations} + 1)` +
          (settings.space.beyondPermutations === "normal-tail"
            ? "; where the statistic exceeds every permutation, the normal tail of the permutation z-score " +
              "(never above the pseudo p-value's floor), so that a strong cluster can pass Benjamini–Hochberg " +
              "over millions of tests."
            : "."),
        references: ["Anselin L (1995) Local indicators of spatial association. Geogr Anal 27:93–115"],
      },
      {
        id: "space-gi-star",
        family: "space",
        appliesTo: "indicators at buurt level with boundaries",
        method:
          "Getis–Ord Gi* (hot spot including the area itself) with the same permutations, weights and " +
          "p-values as Local Moran's I.",
        references: ["Ord JK, Getis A (1995) Geogr Anal 27:286–306"],
      },
    ],
    falseAlarmControl: {
      tests:
        "one-sided, in the unfavourable direction of the indicator's polarity; neutral indicators are not tested",
      multipleTesting: "Benjamini–Hochberg over every test of a run",
      fdr: settings.fdr,
      red: `q < ${settings.severity.red}`,
      yellow: `q < ${settings.severity.yellow}`,
      blue: "tested, no significant unfavourable deviation",
      grey: "no baseline (too few comparable areas, too short a series, or too small a denominator)",
      grouping: "one alert per area and problem domain; its tests are the explanation",
      ranking: "severity, then Σ effect × min(10, −log10 q) over the alert's tests",
    },
    accumulation: {
      domainsFlagged: "number of problem domains with a significant unfavourable test",
      statusClasses: { cutPoints: settings.classes.status, labels: ["high", "middle", "low", "very low"] },
      dynamicsClasses: {
        cutPoints: settings.classes.dynamics,
        labels: ["improving", "stable", "deteriorating"],
      },
      compositeWeights: settings.composite.weights,
    },
    documentation: "docs/methods.md (Early warning)",
  };
}
