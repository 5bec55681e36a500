import fc from "fast-check";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  differenceInDifferences,
  matchComparisonAreas,
  studentTQuantile,
  type AreaSeries,
} from "../src/field/did.js";

/** Golden values from R (fixtures/did/golden.R: qt and t.test(var.equal = TRUE)); the tests never run R. */
interface GoldenArea {
  before: (number | null)[];
  after: (number | null)[];
}
const golden = JSON.parse(readFileSync(new URL("./fixtures/did/golden.json", import.meta.url), "utf8")) as {
  quantiles: { p: number; df: number; q: number }[];
  did: {
    name: string;
    before: string[];
    after: string[];
    confidence: number;
    treated: Record<string, GoldenArea>;
    comparison: Record<string, GoldenArea>;
    estimate: number;
    standardError: number;
    df: number;
    lower: number;
    upper: number;
  }[];
};

/** An area from its values in period order (null = missing). */
function area(code: string, periods: readonly string[], values: readonly (number | null)[]): AreaSeries {
  const map = new Map<string, number>();
  periods.forEach((p, i) => {
    const v = values[i];
    if (v !== null && v !== undefined) map.set(p, v);
  });
  return { code, values: map };
}

const close = (actual: number | null, expected: number, tol = 1e-12) => {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected)));
};

// ---------------------------------------------------------------------------------------------
// Seeded random numbers for the simulations (here, not in core).

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws by Box–Muller from a uniform generator. */
function normals(uniform: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = 1 - uniform(); // (0, 1]
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

describe("studentTQuantile", () => {
  it("equals R's qt for df 1…30, 2.5, 60, 120, 1000 and tail and central probabilities", () => {
    expect(golden.quantiles.length).toBe(34 * 8);
    for (const { p, df, q } of golden.quantiles) {
      const tol = 1e-10 * Math.max(1, Math.abs(q));
      expect(Math.abs(studentTQuantile(p, df) - q), `qt(${p}, ${df})`).toBeLessThanOrEqual(tol);
    }
  });

  it("matches the printed tables (qt(0.975, df) to 3 decimals)", () => {
    const table: [number, number][] = [
      [1, 12.706],
      [2, 4.303],
      [3, 3.182],
      [10, 2.228],
      [30, 2.042],
      [60, 2.0],
      [120, 1.98],
    ];
    for (const [df, q] of table) expect(studentTQuantile(0.975, df)).toBeCloseTo(q, 3);
  });

  it("is antisymmetric and 0 at the median", () => {
    expect(studentTQuantile(0.5, 4)).toBe(0);
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 0.999, noNaN: true }),
        fc.double({ min: 0.5, max: 500, noNaN: true }),
        (p, df) => {
          expect(studentTQuantile(p, df)).toBeCloseTo(-studentTQuantile(1 - p, df), 8);
        },
      ),
      { seed: 5, numRuns: 100 },
    );
  });

  it.each([
    [0, 3, /^p must be in \(0, 1\)/],
    [1, 3, /^p must be in \(0, 1\)/],
    [0.9, 0, /^df must be a positive number/],
    [0.9, Number.NaN, /^df must be a positive number/],
  ])("refuses p %s, df %s", (p, df, message) => {
    expect(() => studentTQuantile(p, df)).toThrow(message);
  });
});

describe("differenceInDifferences", () => {
  const before = ["2020", "2021"];
  const after = ["2022", "2023"];
  const periods = [...before, ...after];
  // The hand-computed example: 1 treated and 4 comparison areas, 2 periods before and 2 after.
  //   T : 10 12 |  8  9   before 11, after 8.5,  d = −2.5
  //   C1: 10 10 | 11 11   before 10, after 11,   d = 1
  //   C2: 20 22 | 22 24   before 21, after 23,   d = 2
  //   C3:  5  7 |  6  6   before 6,  after 6,    d = 0
  //   C4: 15 15 | 16 18   before 15, after 17,   d = 2
  // d̄_c = (1 + 2 + 0 + 2) / 4 = 1.25; estimate = −2.5 − 1.25 = −3.75.
  // Σ_c (d − d̄_c)² = 0.0625 + 0.5625 + 1.5625 + 0.5625 = 2.75 (the treated term is 0 with one area);
  // df = 1 + 4 − 2 = 3; s² = 2.75 / 3 = 11/12; SE = √(11/12 · (1/1 + 1/4)) = √(55/48) = 1.0704360482…
  // t_{0.975, 3} = 3.182446305284263 (tables: 3.182); interval −3.75 ± 3.1824463 · 1.0704360
  // = [−7.1566052…, −0.3433948…]: excludes 0, so "effect".
  // MDE = (t_{0.975,3} + t_{0.80,3}) · SE with t_{0.80,3} = 0.9784723123633045.
  const hand = {
    treated: [area("T", periods, [10, 12, 8, 9])],
    comparison: [
      area("C1", periods, [10, 10, 11, 11]),
      area("C2", periods, [20, 22, 22, 24]),
      area("C3", periods, [5, 7, 6, 6]),
      area("C4", periods, [15, 15, 16, 18]),
    ],
    before,
    after,
  };

  it("equals the hand-computed example", () => {
    const r = differenceInDifferences(hand);
    const se = Math.sqrt(55 / 48);
    const t975 = 3.182446305284263;
    expect(r.verdict).toBe("effect");
    close(r.estimate, -3.75);
    close(r.standardError, se);
    expect(r.df).toBe(3);
    close(r.lower, -3.75 - t975 * se);
    close(r.upper, -3.75 + t975 * se);
    close(r.mde, (t975 + 0.9784723123633045) * se);
    expect([r.treatedCount, r.comparisonCount, r.dropped]).toEqual([1, 4, []]);
    expect(r.means).toEqual({
      treated: { before: 11, after: 8.5 },
      comparison: { before: 13, after: 14.25 },
    });
    expect(r.series).toEqual([
      { period: "2020", treated: 10, comparison: 12.5 },
      { period: "2021", treated: 12, comparison: 13.5 },
      { period: "2022", treated: 8, comparison: 13.75 },
      { period: "2023", treated: 9, comparison: 14.75 },
    ]);
  });

  it.each(golden.did.map((g) => [g.name, g] as const))(
    "equals R's t.test(var.equal = TRUE) on the changes: %s",
    (_name, g) => {
      const toAreas = (areas: Record<string, GoldenArea>) =>
        Object.entries(areas).map(([code, a]) =>
          area(code, [...g.before, ...g.after], [...a.before, ...a.after]),
        );
      const r = differenceInDifferences({
        treated: toAreas(g.treated),
        comparison: toAreas(g.comparison),
        before: g.before,
        after: g.after,
        confidence: g.confidence,
      });
      close(r.estimate, g.estimate);
      close(r.standardError, g.standardError);
      expect(r.df).toBe(g.df);
      close(r.lower, g.lower, 1e-10);
      close(r.upper, g.upper, 1e-10);
    },
  );

  it("says why there is no estimate instead of throwing", () => {
    const only = (values: (number | null)[]) => area("T", periods, values);
    // Nothing after the start yet.
    const none = differenceInDifferences({ ...hand, after: [] });
    expect(none.verdict).toBe("no-data-after");
    expect([none.estimate, none.lower, none.upper, none.standardError, none.mde, none.df]).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(differenceInDifferences({ ...hand, treated: [only([10, 12, null, null])] }).verdict).toBe(
      "no-data-after",
    );
    // Values after the start, but no baseline.
    const noBase = differenceInDifferences({ ...hand, treated: [only([null, null, 8, 9])] });
    expect(noBase.verdict).toBe("no-baseline");
    expect(noBase.dropped).toEqual([{ code: "T", group: "treated", reason: "no-before" }]);
    expect(noBase.estimate).toBeNull();
    // Two comparison areas with data: the figures are computed, but the verdict says too few.
    const few = differenceInDifferences({
      ...hand,
      comparison: [
        ...hand.comparison.slice(0, 2),
        area("C3", periods, [5, 7, null, null]),
        area("C4", periods, []),
      ],
    });
    expect(few.verdict).toBe("too-few-comparison");
    expect(few.comparisonCount).toBe(2);
    expect(few.dropped).toEqual([
      { code: "C3", group: "comparison", reason: "no-after" },
      { code: "C4", group: "comparison", reason: "no-data" },
    ]);
    close(few.estimate, -2.5 - 1.5);
    expect(few.df).toBe(1);
    // No comparison at all, and no areas at all.
    const alone = differenceInDifferences({ ...hand, comparison: [] });
    expect([alone.verdict, alone.estimate, alone.df]).toEqual(["too-few-comparison", null, null]);
    expect(differenceInDifferences({ treated: [], comparison: [], before, after }).verdict).toBe(
      "no-data-after",
    );
  });

  it("reads an interval containing 0 as no measurable effect, with the MDE", () => {
    const r = differenceInDifferences({ ...hand, treated: [area("T", periods, [10, 12, 12, 12.5])] });
    // d_T = 12.25 − 11 = 1.25 = d̄_c: the estimate is 0.
    close(r.estimate, 0);
    expect(r.verdict).toBe("no-measurable-effect");
    expect(r.lower!).toBeLessThan(0);
    expect(r.upper!).toBeGreaterThan(0);
    expect(r.mde!).toBeGreaterThan(r.upper!);
  });

  it.each([
    [{ confidence: 1 }, /^confidence must be a number between 0 and 1/],
    [{ confidence: Number.NaN }, /^confidence must be a number between 0 and 1/],
    [{ after: ["2021", "2022"] }, /^period 2021 cannot be both before and after/],
    [{ comparison: [area("T", periods, [1, 2, 3, 4])] }, /^area T cannot be both treated and comparison/],
  ])("refuses contradictory input %#", (change, message) => {
    expect(() => differenceInDifferences({ ...hand, ...change })).toThrow(message);
  });

  // Random panels: 1–4 treated and 3–6 comparison areas, 1–4 periods before and after, some gaps.
  const panelArb = fc
    .record({
      nT: fc.integer({ min: 1, max: 4 }),
      nC: fc.integer({ min: 3, max: 6 }),
      nB: fc.integer({ min: 1, max: 4 }),
      nA: fc.integer({ min: 1, max: 4 }),
    })
    .chain(({ nT, nC, nB, nA }) =>
      fc.record({
        nT: fc.constant(nT),
        before: fc.constant(Array.from({ length: nB }, (_, i) => `p${i}`)),
        after: fc.constant(Array.from({ length: nA }, (_, i) => `q${i}`)),
        rows: fc.array(
          fc.array(fc.option(fc.double({ min: -1000, max: 1000, noNaN: true }), { freq: 6 }), {
            minLength: nB + nA,
            maxLength: nB + nA,
          }),
          { minLength: nT + nC, maxLength: nT + nC },
        ),
      }),
    );
  const build = (
    p: { nT: number; before: string[]; after: string[]; rows: (number | null)[][] },
    shift?: (row: number, col: number) => number,
  ) => {
    const periods = [...p.before, ...p.after];
    const areas = p.rows.map((row, r) =>
      area(
        `A${r}`,
        periods,
        row.map((v, c) => (v === null ? null : v + (shift?.(r, c) ?? 0))),
      ),
    );
    return { treated: areas.slice(0, p.nT), comparison: areas.slice(p.nT), before: p.before, after: p.after };
  };
  const tolerance = (a: number) => 1e-7 * Math.max(1, Math.abs(a));

  it("is invariant to a constant added to all values of one period (period effects cancel)", () => {
    fc.assert(
      fc.property(panelArb, fc.nat(), fc.double({ min: -500, max: 500, noNaN: true }), (p, k, c) => {
        const col = k % (p.before.length + p.after.length);
        // Only areas without gaps: with gaps an area's mean shifts by c only when it has that period.
        const full = { ...p, rows: p.rows.map((row) => row.map((v) => v ?? 1)) };
        const base = differenceInDifferences(build(full));
        const moved = differenceInDifferences(build(full, (_r, cc) => (cc === col ? c : 0)));
        expect(Math.abs(moved.estimate! - base.estimate!)).toBeLessThanOrEqual(
          tolerance(base.estimate!) + 1e-9 * Math.abs(c),
        );
        expect(Math.abs(moved.standardError! - base.standardError!)).toBeLessThanOrEqual(
          tolerance(base.standardError!) + 1e-9 * Math.abs(c),
        );
      }),
      { seed: 17, numRuns: 300 },
    );
  });

  it("is invariant to a constant added to all values of one area (area effects cancel), gaps and all", () => {
    fc.assert(
      fc.property(panelArb, fc.nat(), fc.double({ min: -500, max: 500, noNaN: true }), (p, k, c) => {
        const row = k % p.rows.length;
        const base = differenceInDifferences(build(p));
        const moved = differenceInDifferences(build(p, (r) => (r === row ? c : 0)));
        expect(moved.verdict).toBe(base.verdict);
        if (base.estimate === null) expect(moved.estimate).toBeNull();
        else
          expect(Math.abs(moved.estimate! - base.estimate)).toBeLessThanOrEqual(
            tolerance(base.estimate) + 1e-9 * Math.abs(c),
          );
      }),
      { seed: 19, numRuns: 300 },
    );
  });

  it("flips the sign of the estimate and interval when the roles are swapped", () => {
    fc.assert(
      fc.property(panelArb, (p) => {
        const x = build(p);
        const a = differenceInDifferences(x);
        const b = differenceInDifferences({ ...x, treated: x.comparison, comparison: x.treated });
        if (a.estimate === null) {
          expect(b.estimate).toBeNull();
          return;
        }
        expect(Math.abs(a.estimate + b.estimate!)).toBeLessThanOrEqual(tolerance(a.estimate));
        if (a.standardError !== null) {
          expect(Math.abs(a.standardError - b.standardError!)).toBeLessThanOrEqual(
            tolerance(a.standardError),
          );
          expect(Math.abs(a.lower! + b.upper!)).toBeLessThanOrEqual(tolerance(a.lower!));
        }
      }),
      { seed: 23, numRuns: 300 },
    );
  });

  it("covers a known effect in about 95 % of simulated studies", () => {
    // 2,000 studies: 1 treated + 8 comparison areas, 4 periods before and 4 after;
    // y = 50 + area effect (sd 10) + period effect (sd 3) + noise (sd 2) + δ (treated, after), δ = −2.
    const studies = 2000;
    const delta = -2;
    const z = normals(mulberry32(20261122));
    const before = ["b1", "b2", "b3", "b4"];
    const after = ["a1", "a2", "a3", "a4"];
    let covered = 0;
    let detected = 0;
    for (let s = 0; s < studies; s++) {
      const periodEffect = [...before, ...after].map(() => 3 * z());
      const areas = Array.from({ length: 9 }, (_, i) => {
        const areaEffect = 10 * z();
        const values = [...before, ...after].map(
          (_, t) => 50 + areaEffect + periodEffect[t]! + 2 * z() + (i === 0 && t >= 4 ? delta : 0),
        );
        return area(`A${i}`, [...before, ...after], values);
      });
      const r = differenceInDifferences({
        treated: areas.slice(0, 1),
        comparison: areas.slice(1),
        before,
        after,
      });
      if (r.lower! <= delta && delta <= r.upper!) covered++;
      if (r.verdict === "effect") detected++;
    }
    const coverage = covered / studies;
    // Binomial SD of the observed coverage at n = 2,000 if the true coverage is 0.95:
    // √(0.95 · 0.05 / 2000) = 0.00487, so [0.93, 0.97] leaves about 4.1 SD on each side.
    console.info(
      `DiD coverage of the 95 % interval: ${coverage.toFixed(4)} (${covered}/${studies}); power at δ = −2: ${(detected / studies).toFixed(3)}`,
    );
    expect(coverage).toBeGreaterThanOrEqual(0.93);
    expect(coverage).toBeLessThanOrEqual(0.97);
  });
});

describe("matchComparisonAreas", () => {
  const before = ["2018", "2019", "2020", "2021"];
  const line = (code: string, level: number, trend: number) =>
    area(
      code,
      before,
      before.map((_, i) => level + trend * (i - 1.5)),
    );

  it("computes level and trend and ranks by standardised distance, ties by code", () => {
    const treated = [line("T", 10, 1)];
    const candidates = [
      line("Z", 10, 1),
      line("A", 10, 1),
      line("B", 30, 1),
      line("C", 10, -1),
      line("D", 12, 1),
    ];
    const m = matchComparisonAreas({ treated, candidates, before, k: 3 });
    expect(m.map((x) => x.code)).toEqual(["A", "Z", "D"]);
    expect(m[0]).toEqual({ code: "A", level: 10, trend: 1, distance: 0 });
    expect(m[2]!.level).toBeCloseTo(12, 12);
    expect(m[2]!.trend).toBeCloseTo(1, 12);
  });

  it("standardises: the distance uses z-scores over candidates and treated together", () => {
    // Levels 0, 2, 4, 6 (mean 3, population sd √5); all trends 0 (ignored: no variance).
    const treated = [area("T", before, [0, 0, 0, 0])];
    const candidates = [2, 4, 6].map((v) => area(`C${v}`, before, [v, v, v, v]));
    const m = matchComparisonAreas({ treated, candidates, before });
    expect(m.map((x) => x.code)).toEqual(["C2", "C4", "C6"]);
    m.forEach((x) => close(x.distance, x.level / Math.sqrt(5)));
  });

  it("skips candidates without a before value and treated areas; a single value has trend 0", () => {
    const treated = [line("T", 10, 1)];
    const candidates = [
      area("E", before, [null, null, null, null]),
      line("T", 10, 1),
      area("S", before, [null, 11, null, null]),
    ];
    const m = matchComparisonAreas({ treated, candidates, before });
    expect(m.map((x) => [x.code, x.level, x.trend])).toEqual([["S", 11, 0]]);
    expect(matchComparisonAreas({ treated: [area("T", before, [])], candidates, before })).toEqual([]);
    expect(() => matchComparisonAreas({ treated, candidates, before, k: 0 })).toThrow(
      /^k must be a positive whole number/,
    );
    expect(() =>
      matchComparisonAreas({ treated, candidates: [line("A", 1, 1), line("A", 2, 1)], before }),
    ).toThrow(/^candidates has area A twice/);
  });

  it("does not depend on the order of the candidates", () => {
    const pool = Array.from({ length: 12 }, (_, i) =>
      line(`C${String(i).padStart(2, "0")}`, (i * 7) % 5, ((i * 3) % 4) - 2),
    );
    fc.assert(
      fc.property(fc.shuffledSubarray(pool, { minLength: 12, maxLength: 12 }), (shuffled) => {
        expect(
          matchComparisonAreas({ treated: [line("T", 2, 0)], candidates: shuffled, before, k: 4 }),
        ).toEqual(matchComparisonAreas({ treated: [line("T", 2, 0)], candidates: pool, before, k: 4 }));
      }),
      { seed: 29, numRuns: 100 },
    );
  });

  it("chooses areas with parallel trends in a simulation, and so estimates the effect without bias", () => {
    // 200 studies. Treated: level 50, trend +1 per period. Pool: 10 areas with the same trend
    // (levels around 50), 10 with trend −1 (same levels), 10 with trend +1 at level ~100.
    // 6 periods before, 4 after, noise sd 1, δ = −2. Divergent trends do not cancel in DiD:
    // with the trend −1 areas the expected bias is 2 · (mean after index − mean before index) = 2 · 5 = 10.
    const z = normals(mulberry32(7));
    const before6 = ["b0", "b1", "b2", "b3", "b4", "b5"];
    const after4 = ["a0", "a1", "a2", "a3"];
    const all = [...before6, ...after4];
    const delta = -2;
    const studies = 200;
    let parallelChosen = 0;
    let sumMatched = 0;
    let sumDivergent = 0;
    for (let s = 0; s < studies; s++) {
      const make = (code: string, level: number, trend: number, effect = 0) =>
        area(
          code,
          all,
          all.map((_, t) => level + trend * t + z() + (t >= 6 ? effect : 0)),
        );
      const treated = [make("T", 50, 1, delta)];
      const parallel = Array.from({ length: 10 }, (_, i) => make(`P${i}`, 50 + 5 * z(), 1));
      const divergent = Array.from({ length: 10 }, (_, i) => make(`D${i}`, 50 + 5 * z(), -1));
      const far = Array.from({ length: 10 }, (_, i) => make(`F${i}`, 100 + 5 * z(), 1));
      const matches = matchComparisonAreas({
        treated,
        candidates: [...divergent, ...far, ...parallel],
        before: before6,
      });
      expect(matches).toHaveLength(5);
      parallelChosen += matches.filter((m) => m.code.startsWith("P")).length;
      const chosen = new Set(matches.map((m) => m.code));
      const comparison = [...parallel, ...divergent, ...far].filter((a) => chosen.has(a.code));
      sumMatched += differenceInDifferences({
        treated,
        comparison,
        before: before6,
        after: after4,
      }).estimate!;
      sumDivergent += differenceInDifferences({
        treated,
        comparison: divergent.slice(0, 5),
        before: before6,
        after: after4,
      }).estimate!;
    }
    const share = parallelChosen / (5 * studies);
    const meanMatched = sumMatched / studies;
    const meanDivergent = sumDivergent / studies;
    console.info(
      `matching: ${(share * 100).toFixed(1)} % parallel areas chosen; mean estimate ${meanMatched.toFixed(3)} (δ = −2), with divergent areas ${meanDivergent.toFixed(3)}`,
    );
    expect(share).toBeGreaterThanOrEqual(0.99);
    // The mean of 200 estimates has SD ≈ √(1/6 + 1/4) · √(1 + 1/5) / √200 ≈ 0.05: 0.25 is 5 SD.
    expect(Math.abs(meanMatched - delta)).toBeLessThan(0.25);
    expect(meanDivergent - delta).toBeGreaterThan(9);
  });
});
