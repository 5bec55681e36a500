/**
 * The additive random-effects overdispersion of the funnel test (Spiegelhalter 2005, QSHC 14:347)
 * against base R: fixtures/detect/funnel-re-golden.json was written by
 * fixtures/detect/make-funnel-re-golden.R; the tests never run R. Tolerance 1e-9 relative (absolute
 * floor 1e-12 for z-scores and winsorising bounds, which can cross 0; τ² = 0 exactly where R gives 0).
 * Then the consistent robust τ² (`robustRandomEffectsTau2`, R: uniroot of the same moment equation)
 * and the engine: `funnelTests` with `status.overdispersion` additive (default; beta-binomial and
 * negative binomial tails), multiplicative and none on the same data, areas with their own
 * gemeente's rate as target.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  BacktestRandom,
  binomialUpperTail,
  mixSeed,
  DEFAULT_DETECTION_SETTINGS,
  DetectionSettingsSchema,
  describeModel,
  funnelTests,
  funnelVariance,
  funnelZScore,
  normalCdf,
  poissonUpperTail,
  randomEffectsTau2,
  randomEffectsZScore,
  robustRandomEffectsTau2,
  winsorisedNormalSecondMoment,
  type DetectionSettings,
  type FunnelModel,
  type IndicatorSeries,
} from "../src/index.js";

interface Case {
  label: string;
  model: FunnelModel;
  winsor: number;
  target: number[];
  observed: number[];
  denominator: number[];
  z: number[];
  variance: number[];
  lowerBound: number;
  upperBound: number;
  phi: number;
  statistic: number;
  pValue: number;
  weightSpread: number;
  tau2: number;
  zAdditive: number[];
  consistency: number;
  phiConsistent: number;
  pValueConsistent: number;
  tau2Consistent: number;
  zConsistent: number[];
  /** The engine's p-values (default settings): beta-binomial / NB tails with the consistent τ². */
  pEngine: number[];
  /** The same tails with Spiegelhalter's τ² (null where that τ² is not used). */
  pSpiegelhalter: (number | null)[];
}

const golden = JSON.parse(
  readFileSync(new URL("./fixtures/detect/funnel-re-golden.json", import.meta.url), "utf8"),
) as { generator: string; cases: Case[] };

const REL = 1e-9;
function close(actual: number, expected: number, label: string, abs = 1e-300): void {
  const tolerance = Math.max(REL * Math.abs(expected), abs);
  if (!(Math.abs(actual - expected) <= tolerance))
    expect.fail(`${label}: got ${actual}, R gives ${expected} (tolerance ${tolerance})`);
}

describe("additive random-effects overdispersion against R", () => {
  it("has cases with and without τ², with several targets, both models and winsor 0, 0.1, 0.2", () => {
    expect(golden.cases).toHaveLength(5);
    expect(golden.cases.filter((c) => c.tau2 === 0)).toHaveLength(1);
    expect(new Set(golden.cases.map((c) => c.model))).toEqual(new Set(["binomial", "poisson"]));
  });

  for (const c of golden.cases)
    it(c.label, () => {
      const z = c.observed.map((o, i) =>
        funnelZScore(c.model, o, c.denominator[i] as number, c.target[i] as number),
      );
      const v = c.denominator.map((n, i) => funnelVariance(c.model, n, c.target[i] as number));
      z.forEach((x, i) => close(x, c.z[i] as number, `z[${i}]`, 1e-12));
      v.forEach((x, i) => close(x, c.variance[i] as number, `s²[${i}]`));
      const re = randomEffectsTau2(z, v, c.winsor);
      expect(re.areas).toBe(c.observed.length);
      close(re.lowerBound, c.lowerBound, "lower bound", 1e-12);
      close(re.upperBound, c.upperBound, "upper bound", 1e-12);
      close(re.phi, c.phi, "φ");
      close(re.statistic, c.statistic, "I·φ");
      close(re.pValue, c.pValue, "p(φ)");
      close(re.weightSpread, c.weightSpread, "Σw − Σw²/Σw");
      if (c.tau2 === 0) expect(re.tau2).toBe(0);
      else close(re.tau2, c.tau2, "τ²");
      c.observed.forEach((o, i) =>
        close(
          randomEffectsZScore(c.model, o, c.denominator[i] as number, c.target[i] as number, re.tau2),
          c.zAdditive[i] as number,
          `z additive[${i}]`,
          1e-12,
        ),
      );
    });

  for (const c of golden.cases)
    it(`consistent robust τ²: ${c.label}`, () => {
      close(winsorisedNormalSecondMoment(c.winsor), c.consistency, "E[w(Z)²]", 1e-12);
      const re = robustRandomEffectsTau2(c.z, c.variance, c.winsor);
      close(re.consistency, c.consistency, "E[w(Z)²]", 1e-12);
      close(re.phiConsistent, c.phiConsistent, "φ / E[w(Z)²]");
      close(re.pValue, c.pValueConsistent, "p(φ consistent)", 1e-300);
      // Spiegelhalter's parts stay as they were.
      close(re.phi, c.phi, "φ");
      if (c.tau2Consistent === 0) expect(re.tau2).toBe(0);
      // Both sides solve the same equation numerically (bisection to 1e-10; uniroot).
      else {
        const tolerance = 1e-8 * c.tau2Consistent;
        if (!(Math.abs(re.tau2 - c.tau2Consistent) <= tolerance))
          expect.fail(`τ²: got ${re.tau2}, R's uniroot gives ${c.tau2Consistent}`);
      }
    });

  it("is consistent: on 5,000 simulated areas τ̂² is near the true τ² (Spiegelhalter's: ≤ ½ of it)", () => {
    const rng = new BacktestRandom(mixSeed(20261122, 5));
    // [τ², tolerance]: a small τ² (SD 0.0045 against ~0.01 of sampling noise) is estimated less precisely.
    for (const [trueTau2, tolerance] of [
      [2e-5, 0.25],
      [1.2e-4, 0.1],
      [5e-4, 0.1],
    ] as const) {
      const z: number[] = [];
      const v: number[] = [];
      for (let i = 0; i < 5000; i++) {
        const n = Math.round(Math.min(15000, Math.max(20, 800 * Math.exp(0.9 * rng.normal()))));
        const theta = 0.08;
        const truth = Math.min(0.999, Math.max(0.001, theta + Math.sqrt(trueTau2) * rng.normal()));
        const y = rng.binomial(n, truth) / n;
        const s2 = (theta * (1 - theta)) / n;
        z.push((y - theta) / Math.sqrt(s2));
        v.push(s2);
      }
      const robust = robustRandomEffectsTau2(z, v);
      expect(Math.abs(robust.tau2 / trueTau2 - 1)).toBeLessThan(tolerance);
      expect(randomEffectsTau2(z, v).tau2 / trueTau2).toBeLessThan(0.6);
    }
  });

  it("gives τ² = 0 when the winsorised z-scores vary no more than N(0, 1) allows", () => {
    const rng = new BacktestRandom(mixSeed(20261122, 6));
    const z = Array.from({ length: 400 }, () => 0.9 * rng.normal());
    expect(
      robustRandomEffectsTau2(
        z,
        z.map(() => 1e-4),
      ).tau2,
    ).toBe(0);
  });

  it("E[w(Z)²] of a winsorised standard normal: 1 without winsorising, 0.6787 at 10 %, falling", () => {
    expect(winsorisedNormalSecondMoment(0)).toBe(1);
    expect(winsorisedNormalSecondMoment(0.1)).toBeCloseTo(0.678654558952875, 12);
    let previous = 1;
    for (const w of [0.01, 0.05, 0.1, 0.2, 0.3, 0.45]) {
      const m = winsorisedNormalSecondMoment(w);
      expect(m).toBeLessThan(previous);
      previous = m;
    }
    expect(() => winsorisedNormalSecondMoment(0.5)).toThrow(/winsor/);
  });

  it("rejects mismatched, non-positive or non-finite variances and a negative τ²", () => {
    expect(() => randomEffectsTau2([0, 1, 2], [1, 1])).toThrow(/3 z-scores but 2 variances/);
    expect(() => randomEffectsTau2([0, 1], [1, 0])).toThrow(/variance/);
    expect(() => randomEffectsTau2([0, 1], [1, Infinity])).toThrow(/variance/);
    expect(() => randomEffectsZScore("binomial", 3, 10, 0.2, -1e-6)).toThrow(/τ²/);
  });

  it("gives τ² = 0 when one area carries all the weight (Σw − Σw²/Σw = 0)", () => {
    const re = randomEffectsTau2([5, -5], [1e-300, 1]);
    expect(re.weightSpread).toBe(0);
    expect(re.tau2).toBe(0);
  });
});

/** A one-period rate series whose areas belong to gemeenten with the given target rates. */
function seriesOf(c: Case, kind: "percentage" | "rate-per-1000"): IndicatorSeries {
  const scale = kind === "percentage" ? 100 : 1000;
  const targets = [...new Set(c.target)];
  const gemeente = (t: number) => `GM${String(targets.indexOf(t)).padStart(4, "0")}`;
  const areas = c.observed.map((_, i) => `BU${String(i).padStart(8, "0")}`);
  return {
    indicator: { id: "re", domain: "income", polarity: "higher-is-worse", kind },
    level: "buurt",
    division: 2025,
    periods: ["2025"],
    areas,
    gemeenten: c.target.map(gemeente),
    values: [Float64Array.from(c.observed, (o, i) => (scale * o) / (c.denominator[i] as number))],
    numerators: [Float64Array.from(c.observed)],
    denominators: [Float64Array.from(c.denominator)],
    references: new Map(targets.map((t) => [gemeente(t), Float64Array.of(scale * t)])),
    // num/den = t exactly: the engine's target is R's.
    referenceCounts: new Map(
      targets.map((t) => [gemeente(t), { numerator: Float64Array.of(t), denominator: Float64Array.of(1) }]),
    ),
  };
}

function withMethod(method: DetectionSettings["status"]["overdispersion"]): DetectionSettings {
  return DetectionSettingsSchema.parse({ status: { overdispersion: method } });
}

describe("funnelTests with status.overdispersion", () => {
  const binomial = golden.cases[0]!;
  const poisson = golden.cases[2]!;

  it("defaults to additive", () => {
    expect(DEFAULT_DETECTION_SETTINGS.status.overdispersion).toBe("additive");
    expect(() => DetectionSettingsSchema.parse({ status: { overdispersion: "both" } })).toThrow();
  });

  for (const [c, kind] of [
    [binomial, "percentage"],
    [poisson, "rate-per-1000"],
  ] as const)
    it(`additive (default): exact beta-binomial / NB tails with the consistent τ², own targets (${c.model})`, () => {
      expect(c.pValueConsistent).toBeLessThan(0.05);
      const b = funnelTests(seriesOf(c, kind), DEFAULT_DETECTION_SETTINGS)!;
      expect(b.p).toHaveLength(c.observed.length);
      for (let i = 0; i < b.p.length; i++) {
        const a = b.area[i] as number;
        const zA = c.zConsistent[a] as number;
        const d = b.details(i);
        expect(d).toMatchObject({ overdispersion: "additive", model: c.model });
        close(d.tau2 as number, c.tau2Consistent, "τ²", 1e-8 * c.tau2Consistent);
        close(d.phi as number, c.phiConsistent, "φ");
        close(d.z as number, zA, `z[${a}]`, 1e-7);
        close(b.effect[i] as number, zA, `effect[${a}]`, 1e-7);
        // τ² agrees to ~1e-10 relative, so the tails agree to ~1e-6 relative.
        close(b.p[i] as number, c.pEngine[a] as number, `p[${a}]`, 1e-12);
        expect(Math.abs((b.p[i] as number) - (c.pEngine[a] as number))).toBeLessThanOrEqual(
          1e-6 * (c.pEngine[a] as number) + 1e-15,
        );
        close(b.expected[i] as number, (kind === "percentage" ? 100 : 1000) * (c.target[a] as number), "θ");
      }
    });

  it("additive with Spiegelhalter's τ² (status.tau2 = spiegelhalter): R's τ² and its exact tails", () => {
    for (const [c, kind] of [
      [binomial, "percentage"],
      [poisson, "rate-per-1000"],
    ] as const) {
      const settings = DetectionSettingsSchema.parse({ status: { tau2: "spiegelhalter" } });
      const b = funnelTests(seriesOf(c, kind), settings)!;
      for (let i = 0; i < b.p.length; i++) {
        const a = b.area[i] as number;
        close(b.details(i).tau2 as number, c.tau2, "τ²");
        close(b.details(i).phi as number, c.phi, "φ");
        close(b.details(i).z as number, c.zAdditive[a] as number, `z[${a}]`, 1e-12);
        close(b.p[i] as number, c.pSpiegelhalter[a] as number, `p[${a}]`, 1e-300);
      }
    }
  });

  it("Spiegelhalter's τ² is smaller than the consistent one where the areas truly vary", () => {
    for (const c of [binomial, poisson]) expect(c.tau2).toBeLessThan(c.tau2Consistent);
  });

  it("multiplicative: normal tail of z/√φ, τ² recorded as 0", () => {
    const c = binomial;
    const b = funnelTests(seriesOf(c, "percentage"), withMethod("multiplicative"))!;
    for (let i = 0; i < b.p.length; i++) {
      const a = b.area[i] as number;
      const zM = (c.z[a] as number) / Math.sqrt(c.phi);
      expect(b.details(i)).toMatchObject({ overdispersion: "multiplicative", tau2: 0 });
      close(b.details(i).phi as number, c.phi, "φ");
      close(b.p[i] as number, normalCdf(-zM), `p[${a}]`, 1e-15);
    }
  });

  it("none: the exact tails, φ = 1 and τ² = 0", () => {
    for (const [c, kind] of [
      [binomial, "percentage"],
      [poisson, "rate-per-1000"],
    ] as const) {
      const b = funnelTests(seriesOf(c, kind), withMethod("none"))!;
      for (let i = 0; i < b.p.length; i++) {
        const a = b.area[i] as number;
        const o = c.observed[a] as number;
        const n = c.denominator[a] as number;
        const t = c.target[a] as number;
        const exact = c.model === "binomial" ? binomialUpperTail(o, n, t) : poissonUpperTail(o, t * n);
        expect(b.details(i)).toMatchObject({ overdispersion: "none", phi: 1, tau2: 0 });
        close(b.p[i] as number, exact, `p[${a}]`);
        close(b.details(i).z as number, c.z[a] as number, `z[${a}]`, 1e-12);
      }
    }
  });

  it("additive without significant overdispersion: the exact tails, τ² = 0", () => {
    const c = golden.cases[1]!;
    expect(c.tau2).toBe(0);
    const b = funnelTests(seriesOf(c, "percentage"), DEFAULT_DETECTION_SETTINGS)!;
    for (let i = 0; i < b.p.length; i++) {
      const a = b.area[i] as number;
      expect(b.details(i)).toMatchObject({ overdispersion: "additive", phi: 1, tau2: 0 });
      close(
        b.p[i] as number,
        binomialUpperTail(c.observed[a] as number, c.denominator[a] as number, c.target[a] as number),
        `p[${a}]`,
      );
    }
  });

  it("describes the method in the model description", () => {
    const method = (s: DetectionSettings) =>
      describeModel(s).detectors.find((d) => d.id === "status-funnel")!.method;
    expect(method(DEFAULT_DETECTION_SETTINGS)).toMatch(/additive random-effects variance τ²/);
    expect(method(withMethod("multiplicative"))).toMatch(/divided by √φ/);
    expect(method(withMethod("none"))).toMatch(/no overdispersion correction/);
  });
});
