/**
 * The backtest harness (detect/backtest.ts) on a modest fixed-seed configuration: invariants (same
 * seed, same report; nothing planted, nothing found), the targets of issue 5 where the design says
 * they hold (FDR ≤ 10 %, ≥ 90 % of the effects found at the effect size or after the delay the
 * design gives), and the known misses as `it.fails`, so a fix shows up here. The full configuration
 * with more replicates and effect sizes is `bench/backtest.ts` (results in bench/RESULTS.md, 6c).
 */
import { describe, expect, it } from "vitest";
import {
  backtestAnnual,
  backtestCounts,
  backtestStatus,
  backtestStreets,
  BacktestRandom,
  DetectionSettingsSchema,
  mixSeed,
  plantUnits,
  syntheticCity,
  type BacktestResult,
  type StatusBacktestOptions,
} from "../src/index.js";

const SEED = 20_260_105;
const city = syntheticCity(20, 20);

function at(results: readonly BacktestResult[], delta: number): BacktestResult {
  const r = results.find((x) => x.delta === delta);
  if (!r) throw new Error(`no result for δ = ${delta}`);
  return r;
}

describe("backtest: building blocks", () => {
  it("builds queen contiguity of the synthetic city from its polygons", () => {
    expect(city.codes).toHaveLength(400);
    const sizes = city.neighbours.map((l) => l.length);
    expect(sizes[0]).toBe(3); // corner
    expect(sizes[1]).toBe(5); // edge
    expect(sizes[21]).toBe(8); // inside
    expect(city.neighbours[21]).toEqual([0, 1, 2, 20, 22, 40, 41, 42]);
    expect(city.weights.neighbours.islands).toHaveLength(0);
  });

  it("plants units that neither overlap nor touch each other's halo", () => {
    const rng = new BacktestRandom(mixSeed(SEED, 1));
    const units = plantUnits(city.neighbours, 4, "cluster", rng);
    expect(units).toHaveLength(4);
    const owner = new Map<number, number>();
    units.forEach((u, k) => {
      expect(u).toHaveLength(9);
      for (const a of u)
        for (const j of [a, ...(city.neighbours[a] as number[])]) {
          const o = owner.get(j);
          expect(o === undefined || o === k).toBe(true);
          owner.set(j, k);
        }
    });
  });

  it("draws binomial and negative binomial counts with the right mean and variance", () => {
    const rng = new BacktestRandom(7);
    const xs = Array.from({ length: 20_000 }, () => rng.binomial(500, 0.08));
    const m = xs.reduce((s, x) => s + x, 0) / xs.length;
    const v = xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1);
    expect(m).toBeCloseTo(40, 0);
    expect(v / (500 * 0.08 * 0.92)).toBeGreaterThan(0.95);
    expect(v / (500 * 0.08 * 0.92)).toBeLessThan(1.05);
    const ys = Array.from({ length: 20_000 }, () => rng.negativeBinomial(8, 10));
    const my = ys.reduce((s, x) => s + x, 0) / ys.length;
    const vy = ys.reduce((s, x) => s + (x - my) ** 2, 0) / (ys.length - 1);
    expect(my).toBeCloseTo(8, 0);
    expect(vy / (8 + 64 / 10)).toBeGreaterThan(0.93);
    expect(vy / (8 + 64 / 10)).toBeLessThan(1.07);
  });
});

describe("backtest: invariants", () => {
  it("the same seed gives the same report, another seed another one", () => {
    const small = syntheticCity(8, 8);
    const run = (seed: number) =>
      backtestStatus({
        seed,
        replicates: 3,
        data: "rates",
        anomaly: "single",
        deltas: [3],
        planted: 3,
        city: small,
      });
    expect(run(SEED)).toEqual(run(SEED));
    expect(run(SEED)).not.toEqual(run(SEED + 1));
    const counts = (seed: number) =>
      backtestCounts({
        seed,
        replicates: 1,
        shape: "level",
        deltas: [2],
        areas: 12,
        planted: 3,
        weeks: 8,
        onset: 2,
      });
    expect(counts(SEED)).toEqual(counts(SEED));
  });

  it("nothing planted: no true positives, sensitivity undefined, FDR is the share of runs with any alert", () => {
    for (const data of ["rates", "model"] as const) {
      const [r] = backtestStatus({ seed: SEED, replicates: 60, data, anomaly: "none", deltas: [2], city });
      expect(r!.delta).toBe(0);
      expect(r!.planted).toBe(0);
      expect(r!.found).toBe(0);
      expect(r!.sensitivity).toBeNaN();
      expect(r!.haloAlerts).toBe(0);
      expect(r!.falseAlerts).toBe(r!.alerts);
      expect(r!.nullUnits).toBe(60 * 400);
      // Every run with an alert has FDP 1, every other 0.
      const runsWithAlerts = r!.fdr * r!.runs;
      expect(Math.abs(runsWithAlerts - Math.round(runsWithAlerts))).toBeLessThan(1e-9);
      expect(runsWithAlerts).toBeLessThanOrEqual(r!.alerts);
      expect(r!.fdr).toBeLessThanOrEqual(0.1);
      expect(r!.falseAlarmRate).toBeLessThan(0.002);
    }
  });
});

describe("backtest: status and space (one period, BH over the run)", () => {
  const [rates, model] = (["rates", "model"] as const).map((data) =>
    backtestStatus({ seed: SEED, replicates: 40, data, anomaly: "single", deltas: [2, 6], city }),
  ) as [BacktestResult[], BacktestResult[]];
  const clusters = (["rates", "model"] as const).map((data) =>
    backtestStatus({ seed: SEED, replicates: 40, data, anomaly: "cluster", deltas: [2, 4], city }),
  );

  it("keeps the empirical FDR at or below 10 % in every status scenario", () => {
    for (const r of [...rates, ...model, ...clusters.flat()]) {
      expect(r.fdr, r.scenario).toBeLessThanOrEqual(0.1);
      expect(r.falseAlarmRate, r.scenario).toBeLessThan(0.005);
    }
  });

  it("plants δ SD as the funnel / standardised z it expects", () => {
    for (const r of [...rates, ...model]) expect(Math.abs(r.metrics.meanZ! - r.delta)).toBeLessThan(0.5);
  });

  it("finds ≥ 90 % of single areas at 6 SD (a one-period test under BH needs ~5–6 SD, not 2)", () => {
    expect(at(rates, 6).sensitivity).toBeGreaterThanOrEqual(0.9);
    expect(at(model, 6).sensitivity).toBeGreaterThanOrEqual(0.9);
    // Documented limit, not a target: one test at z ≈ 2 among ~1,200 per run rarely survives BH.
    expect(at(rates, 2).sensitivity).toBeLessThan(at(rates, 6).sensitivity);
  });

  it("finds ≥ 90 % of clusters (an area and its 8 neighbours) at 4 SD", () => {
    for (const c of clusters) expect(at(c, 4).sensitivity).toBeGreaterThanOrEqual(0.9);
  });

  it("finds ≥ 90 % of clusters at 2 SD (p beyond every permutation; rates as EB-standardised rates)", () => {
    for (const c of clusters) expect(at(c, 2).sensitivity, c[0]!.scenario).toBeGreaterThanOrEqual(0.9);
  });

  /** One cluster scenario at 2 SD with other settings or the what-if. */
  const clusterAt2 = (data: "rates" | "model", replicates: number, extra: Partial<StatusBacktestOptions>) =>
    backtestStatus({ seed: SEED, replicates, data, anomaly: "cluster", deltas: [2], city, ...extra })[0]!;

  it("with the published rates (space.rates: raw) small areas' noise hides more clusters", () => {
    const raw = clusterAt2("rates", 40, {
      settings: DetectionSettingsSchema.parse({ space: { rates: "raw" } }),
    });
    expect(raw.sensitivity).toBeLessThan(at(clusters[0]!, 2).sensitivity);
    expect(raw.metrics.memberSensitivity!).toBeLessThan(at(clusters[0]!, 2).metrics.memberSensitivity!);
  });

  it("with the pseudo p-value floor of 1/1000 (space.beyondPermutations: floor) clusters of 2 SD are rarely found", () => {
    const floor = clusterAt2("model", 20, {
      settings: DetectionSettingsSchema.parse({ space: { beyondPermutations: "floor" } }),
    });
    expect(floor.sensitivity).toBeLessThan(0.5);
    expect(floor.sensitivity).toBeLessThan(at(clusters[1]!, 2).sensitivity);
  });

  it("what-if: with p from the normal tail of the permutation z, clusters of 2 SD are found (model data)", () => {
    const r = clusterAt2("model", 20, { spatialPValue: "normal" });
    expect(r.sensitivity).toBeGreaterThanOrEqual(0.9);
    expect(r.fdr).toBeLessThanOrEqual(0.1);
  });

  // Between-area variation: the consistent robust τ² and the beta-binomial tails hold the FDR; with
  // Spiegelhalter's τ² (winsorised φ, about a third of the true τ²) and the normal tail they did not.
  it("with between-area variation (logit SD 0.15) the additive model holds the FDR", () => {
    const [none] = backtestStatus({
      seed: SEED,
      replicates: 60,
      data: "rates",
      anomaly: "none",
      deltas: [0],
      city,
      betweenSd: 0.15,
    });
    expect(none!.fdr).toBeLessThanOrEqual(0.1);
    expect(none!.falseAlarmRate).toBeLessThan(0.001);
    const planted = backtestStatus({
      seed: SEED,
      replicates: 20,
      data: "rates",
      anomaly: "single",
      deltas: [6],
      city,
      betweenSd: 0.15,
    });
    expect(at(planted, 6).sensitivity).toBeGreaterThanOrEqual(0.9);
    expect(at(planted, 6).fdr).toBeLessThanOrEqual(0.1);
  });

  it("Spiegelhalter's τ² (status.tau2: spiegelhalter) flags more null areas under between-area variation", () => {
    const run = (tau2: "consistent" | "spiegelhalter") =>
      backtestStatus({
        seed: SEED,
        replicates: 30,
        data: "rates",
        anomaly: "none",
        deltas: [0],
        city,
        betweenSd: 0.15,
        settings: DetectionSettingsSchema.parse({ status: { tau2 } }),
      })[0]!;
    expect(run("spiegelhalter").alerts).toBeGreaterThan(2 * Math.max(1, run("consistent").alerts));
  });
});

describe("backtest: a single street inside an average buurt", () => {
  const streets = backtestStreets({ seed: SEED, replicates: 10, deltas: [2, 8] });

  it("the buurt stays average while its PC6 deviates; FDR ≤ 10 %", () => {
    for (const r of streets) {
      expect(r.fdr).toBeLessThanOrEqual(0.1);
      expect(r.metrics.parentAlerted).toBeLessThanOrEqual(0.1);
      expect(Math.abs(r.metrics.parentMeanZ!)).toBeLessThan(0.5);
      expect(r.metrics.meanZ).toBeGreaterThan(r.delta - 1);
    }
  });

  it("finds ≥ 90 % of the deviating PC6s at 8 SD (~2,500 small exact tests per run)", () => {
    expect(at(streets, 8).sensitivity).toBeGreaterThanOrEqual(0.9);
  });
});

describe("backtest: weekly counts (the engine's countTests, Noufaily with muan; a run per week)", () => {
  const options = { seed: SEED, replicates: 1, deltas: [2], areas: 100, planted: 10 } as const;
  const [none] = backtestCounts({ ...options, shape: "none" });
  const [level] = backtestCounts({ ...options, shape: "level" });
  const [trend] = backtestCounts({ ...options, shape: "trend" });

  it("finds ≥ 90 % of level shifts of 2 SD within the horizon (the raw rules: 90 % within 8 weeks)", () => {
    expect(level!.sensitivity).toBeGreaterThanOrEqual(0.9);
    // The run keeps the FDR at the price of delay (muan); the raw baseline/EWMA/CUSUM alarms are faster.
    expect(level!.rules.run.delay.p90).toBeLessThanOrEqual(level!.horizon);
    expect(level!.rules.any.delay.p90).toBeLessThanOrEqual(8);
    // A single week is not enough: the onset week alone finds far fewer.
    expect(level!.rules.run.delay.within["1"]).toBeLessThan(0.9);
  });

  it.fails("KNOWN MISS: the run finds < 90 % of ramps to 2 SD (over 13 weeks) within the horizon", () => {
    expect(trend!.sensitivity).toBeGreaterThanOrEqual(0.9);
  });

  it("the raw rules (baseline threshold, EWMA, CUSUM) find ≥ 90 % of the ramps within the horizon", () => {
    expect(trend!.rules.any.sensitivity).toBeGreaterThanOrEqual(0.9);
    expect(trend!.rules.any.delay.p90).toBeLessThanOrEqual(trend!.horizon);
  });

  it("raises few false alarms per area-week in the run", () => {
    expect(none!.planted).toBe(0);
    expect(none!.falseAlarmRate).toBeLessThan(0.02);
    expect(none!.rules.run.falseAlarmRate).toBe(none!.falseAlarmRate);
  });

  it("keeps the weekly run's FDR at or below 10 % on overdispersed counts", () => {
    for (const r of [none!, level!, trend!]) expect(r.fdr, r.scenario).toBeLessThanOrEqual(0.1);
  });
});

describe("backtest: short annual series (relative change, Mann–Kendall)", () => {
  const null5 = backtestAnnual({ seed: SEED, replicates: 60, shape: "none", waves: 5, deltas: [], city });
  const ramps = [5, 8].map((waves) =>
    backtestAnnual({ seed: SEED, replicates: 10, shape: "ramp", waves, deltas: [2], city }),
  );
  // Weak effects give few true alerts, so the FDR is about P(any false alert): it needs many runs.
  const step = backtestAnnual({ seed: SEED, replicates: 60, shape: "step", waves: 5, deltas: [2, 6], city });

  it("keeps the FDR at or below 10 %", () => {
    for (const r of [...null5, ...ramps.flat(), ...step]) expect(r.fdr, r.scenario).toBeLessThanOrEqual(0.1);
  });

  it("finds ≥ 90 % of areas worsening by 2 noise SDs a wave after 5 and 8 waves", () => {
    for (const r of ramps.flat()) expect(r.sensitivity, r.scenario).toBeGreaterThanOrEqual(0.9);
  });

  it("finds ≥ 90 % of steps at 6 SD of the difference in change (one comparison, like status)", () => {
    expect(at(step, 6).sensitivity).toBeGreaterThanOrEqual(0.9);
    expect(Math.abs(at(step, 6).metrics.meanZ! - 6)).toBeLessThan(1);
  });
});
