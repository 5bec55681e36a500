/** Properties of the status and short-series building blocks (fast-check), and their input checks. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  differenceInChange,
  empiricalBayesRates,
  empiricalBayesZScores,
  localEmpiricalBayesRates,
  mahonianNumbers,
  mannKendall,
  mannKendallExact,
  mannKendallPValue,
  relativeChangeDeviations,
  standardisedDeviation,
  standardisedDeviations,
  unfavourablePValue,
  type DeviationMethod,
  type StandardisedResult,
} from "../src/index.js";

const RUNS = { numRuns: 200 };

/** Areas as [cases, population]: populations from a dozen (a PC6) to a large buurt. */
const areas = (min: number, max: number) =>
  fc
    .array(
      fc
        .tuple(fc.integer({ min: 8, max: 20_000 }), fc.double({ min: 0, max: 0.2, noNaN: true }))
        .map(([n, r]) => ({
          population: n,
          cases: Math.round(n * r),
        })),
      { minLength: min, maxLength: max },
    )
    .map((list) => ({ cases: list.map((a) => a.cases), population: list.map((a) => a.population) }));

function between(v: number, a: number, b: number): boolean {
  const slack = 1e-12 * Math.max(Math.abs(a), Math.abs(b), 1e-300);
  return v >= Math.min(a, b) - slack && v <= Math.max(a, b) + slack;
}

describe("Empirical Bayes properties", () => {
  it("Poisson EB lies between the raw rate and b, with more weight on the raw rate for larger areas", () => {
    fc.assert(
      fc.property(areas(2, 60), ({ cases, population }) => {
        const eb = empiricalBayesRates(cases, population);
        eb.estimate.forEach((e, i) => {
          expect(Number.isFinite(e)).toBe(true);
          expect(between(e, eb.raw[i]!, eb.b)).toBe(true);
          expect(eb.weight[i]).toBeGreaterThanOrEqual(0);
          expect(eb.weight[i]).toBeLessThanOrEqual(1);
        });
        const order = population.map((_, i) => i).sort((i, j) => population[i]! - population[j]!);
        for (let k = 1; k < order.length; k++)
          expect(eb.weight[order[k]!]!).toBeGreaterThanOrEqual(eb.weight[order[k - 1]!]!);
      }),
      RUNS,
    );
  });

  it("no cases anywhere: every estimate and z is 0, not NaN", () => {
    const population = [12, 40, 300, 5000];
    const cases = [0, 0, 0, 0];
    expect(empiricalBayesRates(cases, population).estimate).toEqual([0, 0, 0, 0]);
    expect(empiricalBayesZScores(cases, population)).toEqual([0, 0, 0, 0]);
    expect(localEmpiricalBayesRates(cases, population, [[1], [0, 2], [1, 3], [2]]).estimate).toEqual([
      0, 0, 0, 0,
    ]);
  });

  it("local EB on the complete graph equals global Poisson EB (both variance forms)", () => {
    fc.assert(
      fc.property(areas(2, 25), fc.boolean(), ({ cases, population }, geoda) => {
        const global = empiricalBayesRates(cases, population);
        const all = cases.map((_, i) => cases.map((__, j) => j).filter((j) => j !== i));
        const local = localEmpiricalBayesRates(cases, population, all, { geoda });
        local.m.forEach((m) => expect(Math.abs(m - global.b)).toBeLessThanOrEqual(1e-13 * global.b));
        local.a.forEach((a) => expect(Math.abs(a - global.a)).toBeLessThanOrEqual(1e-9 * global.a + 1e-18));
        local.estimate.forEach((e, i) =>
          expect(Math.abs(e - global.estimate[i]!)).toBeLessThanOrEqual(1e-9 * global.estimate[i]! + 1e-15),
        );
      }),
      RUNS,
    );
  });

  it("local EB lies between the raw rate and the local mean; an island keeps its raw rate", () => {
    fc.assert(
      fc.property(
        areas(2, 40).chain((a) =>
          fc.record({
            data: fc.constant(a),
            nb: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: a.cases.length - 1 }), { maxLength: 6 }), {
              minLength: a.cases.length,
              maxLength: a.cases.length,
            }),
          }),
        ),
        ({ data, nb }) => {
          const neighbours = nb.map((list, i) => list.filter((j) => j !== i));
          const eb = localEmpiricalBayesRates(data.cases, data.population, neighbours);
          eb.estimate.forEach((e, i) => {
            expect(between(e, eb.raw[i]!, eb.m[i]!)).toBe(true);
            if (neighbours[i]!.length === 0) expect(e).toBe(eb.raw[i]);
          });
        },
      ),
      RUNS,
    );
  });

  it("EB z is 0 at the reference rate and grows with the raw rate", () => {
    fc.assert(
      fc.property(areas(3, 40), ({ cases, population }) => {
        const eb = empiricalBayesRates(cases, population);
        const z = empiricalBayesZScores(cases, population);
        z.forEach((v, i) => expect(Math.sign(v)).toBe(Math.sign(eb.raw[i]! - eb.b)));
      }),
      RUNS,
    );
  });

  it("rejects what it cannot smooth", () => {
    expect(() => empiricalBayesRates([1, 2], [10])).toThrow(RangeError);
    expect(() => empiricalBayesRates([1, -2], [10, 10])).toThrow(RangeError);
    expect(() => empiricalBayesRates([1, 2], [10, 0])).toThrow(RangeError);
    expect(() => localEmpiricalBayesRates([1, 2], [10, 20], [[0], []])).toThrow(/itself/);
    expect(() => localEmpiricalBayesRates([1, 2], [10, 20], [[1, 1], []])).toThrow(/twice/);
    expect(() => localEmpiricalBayesRates([1, 2], [10, 20], [[2], []])).toThrow(RangeError);
    expect(() => localEmpiricalBayesRates([1, 2], [10, 20], [[1]])).toThrow(RangeError);
  });
});

/** Values with many ties (integers 0–6 in tenths) or continuous, with missing values now and then. */
const sample = fc.oneof(
  fc.array(
    fc.oneof(
      fc.integer({ min: 0, max: 6 }).map((v) => 10 + v / 10),
      fc.constant(NaN),
    ),
    {
      minLength: 0,
      maxLength: 40,
    },
  ),
  // Continuous, flushed to 0 below 1e-100: squares of smaller numbers underflow, and neither R nor
  // we promise a standard deviation of values near 1e-162.
  fc.array(
    fc.oneof(
      fc.double({ min: -1e3, max: 1e3, noNaN: true }).map((v) => (Math.abs(v) < 1e-100 ? 0 : v)),
      fc.constant(NaN),
    ),
    { minLength: 0, maxLength: 40 },
  ),
);
const method = fc.constantFrom<DeviationMethod>("robust", "classic");

function same(a: StandardisedResult, b: StandardisedResult): void {
  expect(a.kind).toBe(b.kind);
  expect(a.referenceSize).toBe(b.referenceSize);
  if (a.kind === "deviation" && b.kind === "deviation") {
    expect(a.scaleMethod).toBe(b.scaleMethod);
    for (const key of ["centre", "scale", "z", "p"] as const)
      if (a[key] !== b[key])
        // equal infinities (a subnormal spread) pass too
        expect(Math.abs(a[key] - b[key])).toBeLessThanOrEqual(1e-9 * Math.abs(b[key]) + 1e-12);
  } else expect(a).toEqual(b);
}

describe("standardised deviation properties", () => {
  it("the fast leave-one-out equals recomputing each area's reference from scratch", () => {
    fc.assert(
      fc.property(sample, method, fc.integer({ min: 2, max: 8 }), (values, m, minReferenceSize) => {
        const options = { method: m, minReferenceSize, polarity: "higher-is-worse" } as const;
        const fast = standardisedDeviations(values, options);
        values.forEach((v, i) =>
          same(
            fast[i]!,
            standardisedDeviation(
              v,
              values.filter((_, j) => j !== i),
              options,
            ),
          ),
        );
      }),
      RUNS,
    );
  });

  it("groups are independent: a group's results do not depend on the other groups", () => {
    fc.assert(
      fc.property(sample, sample, method, fc.boolean(), (a, b, m, leaveOneOut) => {
        const options = { method: m, leaveOneOut, polarity: "higher-is-better" } as const;
        const together = standardisedDeviations([...a, ...b], {
          ...options,
          groups: [...a.map(() => "GM1"), ...b.map(() => "GM2")],
        });
        const alone = standardisedDeviations(a, options);
        alone.forEach((r, i) => same(together[i]!, r));
      }),
      RUNS,
    );
  });

  it("z is invariant under a positive affine change of units; polarity mirrors the one-sided p", () => {
    // Percentages with one decimal; shifts and factors that do not themselves lose the data's digits.
    fc.assert(
      fc.property(
        fc.array(
          fc.integer({ min: 0, max: 1000 }).map((v) => v / 10),
          { minLength: 8, maxLength: 30 },
        ),
        method,
        fc.integer({ min: -500, max: 500 }).map((v) => v / 10),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (values, m, shift, factor) => {
          const worse = standardisedDeviations(values, { method: m, polarity: "higher-is-worse" });
          const moved = standardisedDeviations(
            values.map((v) => shift + factor * v),
            { method: m, polarity: "higher-is-better" },
          );
          worse.forEach((r, i) => {
            const s = moved[i]!;
            if (r.kind !== "deviation" || s.kind !== "deviation") return;
            expect(Math.abs(r.z - s.z)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(r.z)));
            expect(s.effect).toBe(-s.z);
            expect(Math.abs(r.p + unfavourablePValue(r.z, "higher-is-better") - 1)).toBeLessThan(1e-15);
          });
        },
      ),
      RUNS,
    );
  });

  it("says why there is no reference", () => {
    const options = { polarity: "higher-is-worse", minReferenceSize: 3 } as const;
    expect(standardisedDeviation(NaN, [1, 2, 3], options)).toMatchObject({ reason: "missing-value" });
    expect(standardisedDeviation(4, [1, 2, NaN], options)).toMatchObject({
      reason: "too-few-areas",
      referenceSize: 2,
    });
    expect(standardisedDeviation(4, [2, 2, 2], options)).toMatchObject({ reason: "no-spread" });
    expect(() => standardisedDeviation(4, [1, 2, 3], { ...options, minReferenceSize: 1 })).toThrow(
      RangeError,
    );
    expect(() => standardisedDeviations([1, 2], { ...options, groups: ["a"] })).toThrow(RangeError);
  });

  it("leave-one-out lets a lone outlier stand out that the area-included reference masks", () => {
    // With mean and sd, an area inside its own reference of n can never exceed |z| = (n − 1)/√n.
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 12 }),
        fc.double({ min: 10, max: 1e4, noNaN: true }),
        (n, out) => {
          const values = [...Array.from({ length: n - 1 }, (_, i) => i % 3), out];
          const opt = { method: "classic", minReferenceSize: 2, polarity: "higher-is-worse" } as const;
          const included = standardisedDeviations(values, { ...opt, leaveOneOut: false })[n - 1]!;
          const excluded = standardisedDeviations(values, { ...opt, leaveOneOut: true })[n - 1]!;
          if (included.kind !== "deviation") throw new Error("expected a deviation");
          expect(included.z).toBeLessThanOrEqual((n - 1) / Math.sqrt(n) + 1e-12);
          if (excluded.kind === "deviation") expect(excluded.z).toBeGreaterThan(included.z);
        },
      ),
      RUNS,
    );
  });
});

describe("relative change properties", () => {
  const series = fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 2, maxLength: 6 });
  it("d ignores a level shift of the area and a change shared with the reference", () => {
    fc.assert(
      fc.property(
        series.chain((x) =>
          fc.tuple(
            fc.constant(x),
            fc.array(fc.double({ min: 0, max: 100, noNaN: true }), {
              minLength: x.length,
              maxLength: x.length,
            }),
            fc.array(fc.double({ min: -10, max: 10, noNaN: true }), {
              minLength: x.length,
              maxLength: x.length,
            }),
          ),
        ),
        fc.double({ min: -50, max: 50, noNaN: true }),
        ([x, r, common], level) => {
          const d = differenceInChange(x, r);
          const shifted = differenceInChange(
            x.map((v, i) => v + level + common[i]!),
            r.map((v, i) => v + common[i]!),
          );
          expect(Math.abs(d - shifted)).toBeLessThanOrEqual(1e-12 * 400);
        },
      ),
      RUNS,
    );
  });

  it("an area that worsens faster than its city is flagged by polarity, a missing end wave is not tested", () => {
    const areas = Array.from({ length: 12 }, (_, i) => [30 + i, 31 + i, 32 + i + (i % 4) * 0.3]);
    areas[5] = [35, 38, 44];
    areas[7] = [NaN, 38, 40];
    const references = areas.map(() => [40, 41, 42]);
    const worse = relativeChangeDeviations(areas, references, { polarity: "higher-is-worse" });
    const better = relativeChangeDeviations(areas, references, { polarity: "higher-is-better" });
    const top = worse[5]!;
    if (top.kind !== "deviation") throw new Error("expected a deviation");
    expect(top.value).toBe(44 - 35 - 2);
    expect(top.effect).toBeGreaterThan(0);
    const pWorse = worse.map((r) => (r.kind === "deviation" ? r.p : 1));
    expect(Math.min(...pWorse)).toBe(top.p);
    expect(better[5]).toMatchObject({ kind: "deviation" });
    expect((better[5] as { p: number }).p).toBeGreaterThan(0.5);
    expect(worse[7]).toMatchObject({ kind: "no-reference", reason: "missing-value" });
    expect(() => differenceInChange([1], [1])).toThrow(RangeError);
    expect(() => differenceInChange([1, 2], [1, 2, 3])).toThrow(RangeError);
  });
});

function* permutations(n: number): Generator<number[]> {
  const a = Array.from({ length: n }, (_, i) => i);
  const c = new Array<number>(n).fill(0);
  yield [...a];
  for (let i = 1; i < n;) {
    if (c[i]! < i) {
      const k = i % 2 === 0 ? 0 : c[i]!;
      [a[k], a[i]] = [a[i]!, a[k]!];
      yield [...a];
      c[i]! += 1;
      i = 1;
    } else {
      c[i] = 0;
      i += 1;
    }
  }
}

describe("exact Mann–Kendall properties", () => {
  it("for n = 3–7 the exact tails equal a full enumeration of all n! orderings", () => {
    for (let n = 3; n <= 7; n++) {
      const freq = new Map<number, number>();
      let total = 0;
      for (const p of permutations(n)) {
        const s = mannKendall(p).s;
        freq.set(s, (freq.get(s) ?? 0) + 1);
        total++;
      }
      for (const s of freq.keys()) {
        let ge = 0;
        let le = 0;
        for (const [t, k] of freq) {
          if (t >= s) ge += k;
          if (t <= s) le += k;
        }
        const exact = mannKendallExact(s, n);
        expect(exact.pIncreasing).toBeCloseTo(ge / total, 14);
        expect(exact.pDecreasing).toBeCloseTo(le / total, 14);
      }
      expect(mannKendallExact((n * (n - 1)) / 2, n).minimumP).toBeCloseTo(1 / total, 15);
    }
  });

  it("Mahonian numbers sum to n! and are symmetric", () => {
    for (let n = 1; n <= 49; n++) {
      const m = mahonianNumbers(n);
      let f = 1;
      for (let k = 2; k <= n; k++) f *= k;
      const total = m.reduce((a, b) => a + b, 0);
      expect(Math.abs(total - f)).toBeLessThanOrEqual(1e-13 * f);
      m.forEach((v, k) => expect(Math.abs(v - m[m.length - 1 - k]!)).toBeLessThanOrEqual(1e-13 * v));
    }
    expect(mahonianNumbers(17).every((v) => Number.isInteger(v))).toBe(true);
  });

  it("both tails overlap in exactly P[S = s], and a 3-point series cannot reach 0.05", () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 49 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, u) => {
        const pairs = (n * (n - 1)) / 2;
        const s = pairs - 2 * Math.floor(u * pairs);
        const a = mannKendallExact(s, n);
        // P[S = s] from the upper tails, P[S ≥ s] − P[S ≥ s + 2], and from the lower ones.
        const above = s + 2 <= pairs ? mannKendallExact(s + 2, n).pIncreasing : 0;
        const below = s - 2 >= -pairs ? mannKendallExact(s - 2, n).pDecreasing : 0;
        const pointMass = a.pIncreasing - above;
        const lowerMass = a.pDecreasing - below;
        expect(Math.abs(pointMass - lowerMass)).toBeLessThanOrEqual(1e-12);
        expect(a.pIncreasing + a.pDecreasing - pointMass).toBeCloseTo(1, 12);
      }),
      RUNS,
    );
    expect(mannKendallExact(3, 3).pIncreasing).toBeGreaterThan(0.05);
    expect(() => mannKendallExact(2, 3)).toThrow(RangeError);
    expect(() => mannKendallExact(1, 50)).toThrow(RangeError);
  });

  it("ties or more than 49 values fall back to the normal approximation", () => {
    const tied = mannKendall([1, 2, 2, 3]);
    expect(tied.exact).toBeNull();
    expect(mannKendallPValue(tied, "increasing")).toBe(tied.pIncreasing);
    const long = mannKendall(Array.from({ length: 50 }, (_, i) => Math.sin(i)));
    expect(long.exact).toBeNull();
    expect(mannKendall(Array.from({ length: 49 }, (_, i) => Math.sin(i))).exact).not.toBeNull();
  });
});
