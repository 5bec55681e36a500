/**
 * The count detectors beyond the R comparison (detect-counts-golden.test.ts): "no baseline" reasons,
 * settings checks, hand-computed EWMA and CUSUM cases, and properties (fast-check) that hold for any
 * series: the current count does not enter its own baseline, the alarm is "count above threshold",
 * history before the reference window and the scale of the population offset do not matter.
 */
import fc from "fast-check";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { describe, expect, it } from "vitest";
import {
  countForResidual,
  cusum,
  detectCounts,
  ewma,
  farringtonControl,
  farringtonFlexible,
  FARRINGTON_1996,
  negativeBinomialCdf,
  negativeBinomialQuantile,
  negativeBinomialUpperTail,
  NOUFAILY_2013,
  poissonCdf,
  standardisedResidual,
  type CountBaseline,
  type CountBaselineResult,
} from "../src/index.js";

// ---------------------------------------------------------------------------------------------
// Seeded series (negative binomial as a gamma–Poisson mixture)

function sampler(seed: number) {
  const g = xoroshiro128plus(seed);
  const u = () => uniformFloat64(g);
  const normal = () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
  const gamma = (shape: number): number => {
    // Marsaglia & Tsang (2000); shape < 1 boosted by U^(1/shape).
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
    // Inversion: fine for the small means used here.
    let k = 0;
    let p = Math.exp(-lambda);
    let s = p;
    const x = u();
    while (x > s && k < 10_000) {
      k++;
      p *= lambda / k;
      s += p;
    }
    return k;
  };
  return { u, poisson, negBin: (mu: number, size: number) => poisson((gamma(size) * mu) / size) };
}

function seasonalSeries(seed: number, weeks: number, level = 2, size = 5): number[] {
  const s = sampler(seed);
  return Array.from({ length: weeks }, (_, t) =>
    s.negBin(Math.exp(level + 0.5 * Math.sin((2 * Math.PI * t) / 52)), size),
  );
}

function ok(r: CountBaselineResult | undefined): CountBaseline {
  if (!r || r.kind !== "baseline") throw new Error(`expected a baseline, got ${JSON.stringify(r)}`);
  return r;
}

const WEEKLY = { frequency: 52 } as const;

// ---------------------------------------------------------------------------------------------

describe("count baseline: no baseline (grey)", () => {
  const counts = seasonalSeries(1, 320);

  it("reports too little history with a reason, and a baseline from b·52 + w on", () => {
    const results = farringtonFlexible({ counts }, { ...WEEKLY, b: 5, w: 3 });
    expect(results).toHaveLength(320);
    const first = results.findIndex((r) => r.kind === "baseline");
    expect(first).toBe(5 * 52 + 3);
    const grey = results[first - 1]!;
    expect(grey.kind).toBe("no-baseline");
    if (grey.kind === "no-baseline") {
      expect(grey.reason).toBe("too-little-history");
      expect(grey.message).toMatch(/5 year/);
    }
  });

  it("reports a missing reference date for a dated series with a gap", () => {
    // Weekly Mondays from 2015-01-05, with one week of the reference window missing from the series.
    const days = counts.map((_, i) => 16440 + 7 * i);
    const keep = counts.map((_, i) => i !== 319 - 2 * 52);
    const r = farringtonFlexible(
      { counts: counts.filter((_, i) => keep[i]), days: days.filter((_, i) => keep[i]) },
      { ...WEEKLY, b: 3 },
      [318],
    )[0]!;
    expect(r.kind).toBe("no-baseline");
    if (r.kind === "no-baseline") {
      expect(r.reason).toBe("reference-period-missing");
      expect(r.message).toMatch(/^the reference period of \d{4}-\d{2}-\d{2}/);
    }
  });

  it("reports too few observations when the reference counts are missing", () => {
    const gappy = counts.map((v, i) => (i < 300 ? NaN : v));
    const r = farringtonFlexible({ counts: gappy }, { ...WEEKLY, b: 5 }, [319])[0]!;
    expect(r.kind).toBe("no-baseline");
    if (r.kind === "no-baseline") expect(r.reason).toBe("too-few-observations");
  });

  it("a missing current count still gets a baseline but no p-value and no alarm", () => {
    const gappy = [...counts];
    gappy[319] = NaN;
    const r = ok(farringtonFlexible({ counts: gappy }, WEEKLY, [319])[0]);
    expect(r.expected).toBeGreaterThan(0);
    expect(Number.isNaN(r.pValue)).toBe(true);
    expect(r.alarm).toBe(false);
    expect(r.enoughCases).toBe(false);
  });

  it("all-zero history: a tiny baseline, no alarm without enough cases", () => {
    const zeros = new Array<number>(300).fill(0);
    zeros[299] = 3;
    const r = ok(farringtonFlexible({ counts: zeros }, WEEKLY, [299])[0]);
    expect(r.expected).toBeLessThan(1e-6);
    expect(r.enoughCases).toBe(false);
    expect(r.alarm).toBe(false);
    expect(r.pValue).toBeLessThan(1e-6);
  });
});

describe("count baseline: settings", () => {
  it("fills R's defaults; pastWeeksNotIncluded defaults to w", () => {
    const c = farringtonControl({ frequency: 52, w: 2 });
    expect(c).toMatchObject({
      b: 5,
      w: 2,
      pastWeeksNotIncluded: 2,
      alpha: 0.05,
      noPeriods: 1,
      limit54: [5, 4],
    });
    expect(c.thresholdMethod).toBe("delta");
    expect(farringtonControl({ frequency: 12, pastWeeksNotIncluded: undefined }).pastWeeksNotIncluded).toBe(
      3,
    );
  });

  it("rejects impossible settings", () => {
    expect(() => farringtonControl({ frequency: 52, alpha: 0.6 })).toThrow(/alpha/);
    expect(() => farringtonControl({ frequency: 52, b: 0 })).toThrow(/b must/);
    expect(() => farringtonControl({ frequency: 52.5 })).toThrow(/frequency/);
    expect(() => farringtonControl({ frequency: 52, limit54: [5, 0] })).toThrow(/limit54/);
    expect(() => farringtonControl({ frequency: 52, thresholdMethod: "x" as "delta" })).toThrow(
      /thresholdMethod/,
    );
  });

  it("rejects a seasonal factor with more levels than periods between the windows (R mislabels)", () => {
    const monthly = seasonalSeries(2, 120).slice(0, 100);
    expect(() =>
      farringtonFlexible({ counts: monthly }, { frequency: 12, noPeriods: 10, w: 3 }, [99]),
    ).toThrow(/noPeriods = 10 needs at least 9 periods/);
  });

  it("rejects negative counts, bad populations and unordered dates", () => {
    expect(() => farringtonFlexible({ counts: [1, -1] }, WEEKLY)).toThrow(/counts/);
    expect(() => farringtonFlexible({ counts: [1, 2] }, { ...WEEKLY, populationOffset: true })).toThrow(
      /population/,
    );
    expect(() => farringtonFlexible({ counts: [1, 2], days: [7, 7] }, WEEKLY)).toThrow(/days/);
    expect(() => farringtonFlexible({ counts: [1, 2] }, WEEKLY, [2])).toThrow(/range/);
  });

  it("the presets run, and 'pearson' standard errors differ from R's", () => {
    const counts = seasonalSeries(3, 364);
    for (const preset of [FARRINGTON_1996, NOUFAILY_2013]) {
      const r = ok(farringtonFlexible({ counts }, { ...WEEKLY, ...preset }, [363])[0]);
      expect(r.upperbound).toBeGreaterThan(r.expected);
    }
    const a = ok(farringtonFlexible({ counts }, WEEKLY, [363])[0]);
    const b = ok(farringtonFlexible({ counts }, { ...WEEKLY, seDispersion: "pearson" }, [363])[0]);
    expect(b.expected).toBeCloseTo(a.expected, 10);
    expect(b.linkSe).not.toBe(a.linkSe);
  });
});

describe("count baseline: properties", () => {
  const settings = [
    { ...WEEKLY, b: 3, ...FARRINGTON_1996, limit54: [0, 4] as const },
    { ...WEEKLY, b: 3, ...NOUFAILY_2013 },
    { ...WEEKLY, b: 3, ...NOUFAILY_2013, thresholdMethod: "muan" as const },
  ];
  const arbSeries = fc.record({
    seed: fc.integer({ min: 1, max: 1e9 }),
    level: fc.double({ min: -1, max: 3.5, noNaN: true }),
    size: fc.double({ min: 0.5, max: 50, noNaN: true }),
    setting: fc.integer({ min: 0, max: settings.length - 1 }),
  });

  it("the alarm is: enough cases, a count > 0 and above the threshold; p in [0, 1]", () => {
    fc.assert(
      fc.property(arbSeries, ({ seed, level, size, setting }) => {
        const counts = seasonalSeries(seed, 170, level, size);
        for (const r of farringtonFlexible({ counts }, settings[setting]!, [165, 166, 167, 168, 169])) {
          const b = ok(r);
          expect(b.alarm).toBe(b.enoughCases && b.observed > 0 && b.observed > b.upperbound);
          expect(b.pValue).toBeGreaterThanOrEqual(0);
          expect(b.pValue).toBeLessThanOrEqual(1);
          expect(b.phi).toBeGreaterThanOrEqual(1);
          expect(b.varianceFactor).toBeGreaterThanOrEqual(b.phi);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("the current count does not enter its baseline; a larger count never lowers the alarm or raises p", () => {
    fc.assert(
      fc.property(arbSeries, fc.integer({ min: 1, max: 60 }), ({ seed, level, size, setting }, extra) => {
        const counts = seasonalSeries(seed, 170, level, size);
        const more = [...counts];
        more[169] = counts[169]! + extra;
        const a = ok(farringtonFlexible({ counts }, settings[setting]!, [169])[0]);
        const b = ok(farringtonFlexible({ counts: more }, settings[setting]!, [169])[0]);
        expect(b.expected).toBe(a.expected);
        expect(b.upperbound).toBe(a.upperbound);
        expect(b.pValue).toBeLessThanOrEqual(a.pValue);
        if (a.alarm) expect(b.alarm).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it("history before the reference window does not change the result", () => {
    fc.assert(
      fc.property(arbSeries, fc.array(fc.nat(30), { minLength: 1, maxLength: 60 }), (s, prefix) => {
        const counts = seasonalSeries(s.seed, 170, s.level, s.size);
        const a = farringtonFlexible({ counts }, settings[s.setting]!, [169])[0];
        const b = farringtonFlexible({ counts: [...prefix, ...counts] }, settings[s.setting]!, [
          169 + prefix.length,
        ])[0];
        expect({ ...b, index: 0 }).toEqual({ ...a, index: 0 });
      }),
      { numRuns: 40 },
    );
  });

  it("a population offset is invariant to the unit of the population", () => {
    fc.assert(
      fc.property(arbSeries, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (s, scale) => {
        const counts = seasonalSeries(s.seed, 170, s.level, s.size);
        const population = counts.map((_, i) => 1000 + 5 * i);
        const control = { ...settings[s.setting]!, populationOffset: true };
        const a = ok(farringtonFlexible({ counts, population }, control, [169])[0]);
        const b = ok(
          farringtonFlexible({ counts, population: population.map((p) => p * scale) }, control, [169])[0],
        );
        expect(Math.abs(b.expected - a.expected)).toBeLessThanOrEqual(1e-8 * a.expected);
        expect(b.trend).toBe(a.trend);
      }),
      { numRuns: 40 },
    );
  });

  it("is deterministic and leaves its input alone", () => {
    const counts = seasonalSeries(9, 300);
    const copy = [...counts];
    const a = farringtonFlexible({ counts }, { ...WEEKLY, ...NOUFAILY_2013 });
    const b = farringtonFlexible({ counts }, { ...WEEKLY, ...NOUFAILY_2013 });
    expect(b).toEqual(a);
    expect(counts).toEqual(copy);
  });
});

describe("EWMA (hand-computed)", () => {
  it("λ = ½: z = ½ r + ½ z₋₁, σₜ² = ⅓ (1 − ¼ᵗ)", () => {
    const points = ewma([1, 2, 0, NaN, 4], { lambda: 0.5, limit: 2 });
    const z = [0.5, 1.25, 0.625, NaN, 2.3125];
    const sigma = [Math.sqrt(0.25), Math.sqrt((1 / 3) * (15 / 16)), Math.sqrt((1 / 3) * (63 / 64)), NaN];
    sigma.push(Math.sqrt((1 / 3) * (255 / 256)));
    points.forEach((p, i) => {
      if (Number.isNaN(z[i]!)) {
        expect(Number.isNaN(p.statistic)).toBe(true);
        expect(p.alarm).toBe(false);
        return;
      }
      expect(p.statistic).toBeCloseTo(z[i]!, 15);
      expect(p.upperLimit).toBeCloseTo(2 * sigma[i]!, 15);
    });
    expect(points.map((p) => p.alarm)).toEqual([false, true, false, false, true]);
    expect(points[0]!.pValue).toBeCloseTo(0.15865525393145705, 14); // P[Z ≥ 1]
  });

  it("λ = 1 is the residual itself against L", () => {
    const r = [0.3, -2, 3.1, 2.9];
    const points = ewma(r, { lambda: 1, limit: 3 });
    points.forEach((p, i) => {
      expect(p.statistic).toBe(r[i]);
      expect(p.upperLimit).toBe(3);
    });
    expect(points.map((p) => p.alarm)).toEqual([false, false, true, false]);
  });

  it("is linear in the residuals and rejects bad parameters", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 40 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        (r, lambda, a) => {
          const x = ewma(r, { lambda });
          const y = ewma(
            r.map((v) => a * v),
            { lambda },
          );
          y.forEach((p, i) =>
            expect(Math.abs(p.statistic - a * x[i]!.statistic)).toBeLessThan(1e-9 * a + 1e-12),
          );
        },
      ),
    );
    expect(() => ewma([1], { lambda: 0 })).toThrow(/λ/);
    expect(() => ewma([1], { limit: -1 })).toThrow(/limit/);
  });
});

describe("CUSUM (hand-computed)", () => {
  it("k = ½, h = 4: S rises by ½ per unit residual and alarms at S ≥ 4", () => {
    const points = cusum(new Array<number>(10).fill(1));
    expect(points.map((p) => p.statistic)).toEqual([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]);
    expect(points.findIndex((p) => p.alarm)).toBe(7);
    expect(points[0]!.residualLimit).toBe(4.5);
    expect(points[7]!.residualLimit).toBe(1);
  });

  it("floors at 0, carries over missing residuals, resets and starts ahead on request", () => {
    const s = cusum([-3, 2, NaN, 1.5, -0.2]).map((p) => p.statistic);
    expect(s.slice(0, 4)).toEqual([0, 1.5, NaN, 2.5]);
    expect(s[4]).toBeCloseTo(1.8, 15);
    const reset = cusum([3, 3, 3, 3], { k: 0.5, h: 4, resetAfterAlarm: true });
    expect(reset.map((p) => p.statistic)).toEqual([2.5, 5, 2.5, 5]);
    expect(reset.map((p) => p.alarm)).toEqual([false, true, false, true]);
    expect(cusum([0.5], { headStart: 2 })[0]!.statistic).toBe(2);
    expect(() => cusum([1], { headStart: 4 })).toThrow(/head start/);
  });

  it("is never negative and never decreases when a residual increases", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 40 }),
        fc.nat(39),
        fc.double({ min: 0, max: 5, noNaN: true }),
        (r, at, up) => {
          const base = cusum(r);
          const bumped = r.map((v, i) => (i === at % r.length ? v + up : v));
          cusum(bumped).forEach((p, i) => {
            expect(p.statistic).toBeGreaterThanOrEqual(0);
            expect(p.statistic).toBeGreaterThanOrEqual(base[i]!.statistic - 1e-12);
          });
        },
      ),
    );
  });
});

describe("residuals and the combined detector", () => {
  it("countForResidual inverts standardisedResidual", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 500 }),
        fc.double({ min: 0.05, max: 300, noNaN: true }),
        fc.double({ min: 1, max: 20, noNaN: true }),
        fc.constantFrom("anscombe" as const, "pearson" as const),
        (y, mu, tau, type) => {
          const r = standardisedResidual(type, y, mu, tau);
          expect(Math.abs(countForResidual(type, r, mu, tau) - y)).toBeLessThan(1e-9 * (1 + y));
        },
      ),
    );
    // Under Poisson(μ = 10): y = 10 is residual 0 either way, y = 20 is (20 − 10)/√10 for Pearson.
    expect(standardisedResidual("anscombe", 10, 10)).toBeCloseTo(0, 14);
    expect(standardisedResidual("pearson", 20, 10)).toBeCloseTo(10 / Math.sqrt(10), 14);
  });

  it("CUSUM and EWMA flag a sustained rise more persistently than the weekly threshold; count limits agree", () => {
    const counts = seasonalSeries(42, 364, 2.5, 20);
    // From week 330 on, 40 % more reports: too little for one week's threshold, enough to accumulate.
    for (let t = 330; t < 364; t++) counts[t] = Math.round(counts[t]! * 1.4);
    const range = Array.from({ length: 84 }, (_, i) => 280 + i);
    const out = detectCounts({ counts }, { ...WEEKLY, ...NOUFAILY_2013 }, {}, range);
    const before = out.filter((d) => d.baseline.index < 330);
    const after = out.filter((d) => d.baseline.index >= 330);
    expect(before.some((d) => d.cusum.alarm)).toBe(false);
    expect(after.some((d) => d.cusum.alarm)).toBe(true);
    expect(after.some((d) => d.ewma.alarm)).toBe(true);
    const weekly = after.filter((d) => d.baseline.kind === "baseline" && d.baseline.alarm).length;
    expect(after.filter((d) => d.cusum.alarm).length).toBeGreaterThan(2 * weekly);
    for (const d of out) {
      if (d.baseline.kind !== "baseline") continue;
      const y = d.baseline.observed;
      const enough = d.baseline.enoughCases;
      if (Math.abs(y - d.cusum.countLimit) > 1e-6)
        expect(d.cusum.alarm).toBe(enough && y > d.cusum.countLimit);
      if (Math.abs(y - d.ewma.countLimit) > 1e-6) expect(d.ewma.alarm).toBe(enough && y > d.ewma.countLimit);
    }
  });

  it("chart alarms obey the minimum-count rule unless it is switched off", () => {
    const counts = new Array<number>(300).fill(0);
    counts[297] = 1;
    counts[298] = 1;
    counts[299] = 2;
    const range = [290, 291, 292, 293, 294, 295, 296, 297, 298, 299];
    const on = detectCounts({ counts }, WEEKLY, {}, range);
    const off = detectCounts({ counts }, WEEKLY, { minimumCountRule: false }, range);
    expect(on.some((d) => d.cusum.alarm || d.ewma.alarm)).toBe(false);
    expect(off.at(-1)!.cusum.alarm).toBe(true);
    expect(off.at(-1)!.cusum.statistic).toBe(on.at(-1)!.cusum.statistic);
  });

  it("periods without a baseline are grey and skipped by the charts", () => {
    const counts = seasonalSeries(5, 270);
    const out = detectCounts({ counts }, WEEKLY, { residual: "pearson" }, [200, 266, 267]);
    expect(out[0]!.baseline.kind).toBe("no-baseline");
    expect(Number.isNaN(out[0]!.residual)).toBe(true);
    expect(Number.isNaN(out[0]!.cusum.statistic)).toBe(true);
    // The first charted period starts the EWMA: σ₁ = λ, so the limit is L·λ.
    expect(out[1]!.ewma.upperLimit).toBeCloseTo(2.7 * 0.3, 14);
  });
});

describe("negative binomial", () => {
  it("tails are complementary, the quantile is the smallest count with cdf ≥ p, and φ → 1 is Poisson", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 1e4, noNaN: true }),
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        (size, prob, p) => {
          const q = negativeBinomialQuantile(p, size, prob);
          expect(negativeBinomialCdf(q, size, prob)).toBeGreaterThanOrEqual(p * (1 - 1e-12));
          if (q > 0) expect(negativeBinomialCdf(q - 1, size, prob)).toBeLessThan(p);
          const lower = negativeBinomialCdf(q, size, prob);
          const upper = negativeBinomialUpperTail(q + 1, size, prob);
          expect(Math.abs(lower + upper - 1)).toBeLessThan(1e-12);
        },
      ),
    );
    // Mean 4, φ = 1 + 1e-7: size = 4e7, the NB is Poisson(4) to ~1e-7.
    const phi = 1 + 1e-7;
    for (const k of [0, 2, 4, 8, 15])
      expect(
        Math.abs(negativeBinomialCdf(k, 4 / (phi - 1), 1 / phi, (phi - 1) / phi) - poissonCdf(k, 4)),
      ).toBeLessThan(1e-6);
  });
});
