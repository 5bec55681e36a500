/**
 * The detection engine and the run assessment: BH over typed arrays equals R's p.adjust (via the
 * golden-tested benjaminiHochberg), funnel tests equal the exact tails, the standardised and
 * relative-change detectors compare with the right areas, spatial tests find a planted cluster and
 * are reproducible by seed, and assessRun groups, ranks and accumulates as documented.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assessRun,
  benjaminiHochberg,
  benjaminiHochbergFast,
  binomialUpperTail,
  buildSeries,
  DEFAULT_DETECTION_SETTINGS,
  DetectionSettingsSchema,
  detectSeries,
  empiricalBayesRates,
  empiricalBayesZScores,
  describeModel,
  normalCdf,
  funnelTests,
  groupAlerts,
  materialise,
  rankScore,
  prepareWeights,
  relativeChangeTests,
  spatialTests,
  standardisedTests,
  type IndicatorSeries,
  type SeriesColumns,
  type SeriesIndicator,
  type TestBatch,
} from "../src/index.js";

const S = DEFAULT_DETECTION_SETTINGS;

/** A series from plain rows (one per area and period), as the store would deliver them. */
function series(
  indicator: SeriesIndicator,
  rows: { area: string; gemeente: string; period: string; value: number; num?: number; den?: number }[],
  refs: { code: string; period: string; value: number; num?: number; den?: number }[] = [],
  level: "buurt" | "gemeente" = "buurt",
): IndicatorSeries {
  const all = [
    ...rows.map((r) => ({ ...r, level })),
    ...refs.map((r) => ({
      ...r,
      area: r.code,
      gemeente: r.code === "NL01" ? "" : r.code,
      level: r.code === "NL01" ? ("land" as const) : ("gemeente" as const),
    })),
  ];
  const codes = [...new Set(all.flatMap((r) => [r.area, r.gemeente]).filter((c) => c))].sort();
  const periods = [...new Set(all.map((r) => r.period))].sort();
  const levels = [...new Set(all.map((r) => r.level))].sort();
  all.sort(
    (a, b) =>
      a.level.localeCompare(b.level) || a.area.localeCompare(b.area) || a.period.localeCompare(b.period),
  );
  const columns: SeriesColumns = {
    indicators: [indicator.id],
    levels,
    codes,
    periods,
    indicator: all.map(() => 0),
    level: all.map((r) => levels.indexOf(r.level)),
    division: all.map(() => 2020),
    area: all.map((r) => codes.indexOf(r.area)),
    gemeente: all.map((r) => (r.gemeente ? codes.indexOf(r.gemeente) : -1)),
    period: all.map((r) => periods.indexOf(r.period)),
    value: all.map((r) => r.value),
    numerator: all.map((r) => r.num ?? NaN),
    denominator: all.map((r) => r.den ?? NaN),
  };
  const out = buildSeries(columns, new Map([[indicator.id, indicator]]));
  const s = out.find((x) => x.level === level);
  if (!s) throw new Error("no series built");
  return s;
}

const worse = (kind: SeriesIndicator["kind"], polarity: SeriesIndicator["polarity"] = "higher-is-worse") => ({
  id: "x",
  domain: "health" as const,
  polarity,
  kind,
});

describe("Benjamini–Hochberg for a whole run", () => {
  it("equals the golden-tested benjaminiHochberg, with ties and missing p-values", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1, 0.05, 0.01, NaN)),
          { maxLength: 300 },
        ),
        (ps) => {
          const slow = benjaminiHochberg(ps);
          const fast = benjaminiHochbergFast(Float64Array.from(ps));
          for (let i = 0; i < ps.length; i++) {
            if (Number.isNaN(slow[i]!)) expect(Number.isNaN(fast[i]!)).toBe(true);
            else expect(fast[i]).toBeCloseTo(slow[i]!, 14);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("grades a run by p cut-offs exactly as by the q-values (ties included)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.double({ min: 0, max: 0.02, noNaN: true }), fc.constantFrom(0, 1e-5, 0.001, 0.5, NaN)),
          {
            minLength: 1,
            maxLength: 200,
          },
        ),
        (ps) => {
          const n = ps.length;
          const batch: TestBatch = {
            detector: "status-standardised",
            indicatorId: "x",
            domain: "health",
            polarity: "higher-is-worse",
            level: "buurt",
            division: 2020,
            areas: ps.map((_, i) => `BU${String(i).padStart(8, "0")}`),
            gemeenten: ps.map(() => "GM0001"),
            area: Int32Array.from(ps.keys()),
            p: Float64Array.from(ps),
            effect: new Float64Array(n).fill(1),
            observed: new Float64Array(n),
            expected: new Float64Array(n),
            period: () => "2020",
            details: () => ({}),
          };
          const run = assessRun([batch], S);
          const q = benjaminiHochberg(ps);
          const expected = { red: 0, yellow: 0, blue: 0, grey: 0 };
          for (const qi of q)
            expected[Number.isNaN(qi) ? "grey" : qi < 0.01 ? "red" : qi < 0.05 ? "yellow" : "blue"]++;
          expect(run.severities).toEqual(expected);
          for (const a of run.alerts)
            for (const t of a.tests) expect(t.q).toBeCloseTo(q[batch.areas.indexOf(t.area)]!, 14);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("rejects p-values outside [0, 1]", () => {
    expect(() => benjaminiHochbergFast(Float64Array.of(0.1, 1.5))).toThrow(/\[0, 1\]/);
  });
});

describe("status: funnel tests on counts", () => {
  const rows = [
    { area: "BU01", gemeente: "GM01", period: "2024", value: 20, num: 20, den: 100 },
    { area: "BU02", gemeente: "GM01", period: "2024", value: 10, num: 10, den: 100 },
    { area: "BU03", gemeente: "GM01", period: "2024", value: 11, num: 11, den: 100 },
    { area: "BU04", gemeente: "GM01", period: "2024", value: 9, num: 9, den: 100 },
    { area: "BU05", gemeente: "GM01", period: "2024", value: 10, num: 10, den: 100 },
    { area: "BU06", gemeente: "GM01", period: "2024", value: 0, num: 0, den: 5 },
  ];
  const refs = [{ code: "GM01", period: "2024", value: 10, num: 60, den: 600 }];

  it("gives the exact binomial upper tail around the gemeente's rate (no overdispersion)", () => {
    const b = funnelTests(series(worse("percentage"), rows, refs), S)!;
    const t = [...Array(b.p.length).keys()].map((i) => materialise(b, i));
    const bu01 = t.find((x) => x.area === "BU01")!;
    expect(bu01.p).toBeCloseTo(binomialUpperTail(20, 100, 0.1), 14);
    expect(bu01.expected).toBeCloseTo(10, 12);
    expect(bu01.effect).toBeGreaterThan(3);
    expect(bu01.details).toMatchObject({
      reference: "GM01",
      numerator: 20,
      denominator: 100,
      model: "binomial",
    });
    // The EB rate shrinks the area's own rate towards the pooled rate of the tested areas.
    const tested = rows.filter((r) => r.den >= 10);
    const eb = empiricalBayesRates(
      tested.map((r) => r.num),
      tested.map((r) => r.den),
      "binomial",
    );
    expect(bu01.details.ebRate).toBeCloseTo(100 * eb.estimate[0]!, 12);
    expect(bu01.details.ebRate as number).toBeLessThan(20);
    // A denominator below the minimum: grey, no p-value.
    expect(t.find((x) => x.area === "BU06")).toMatchObject({ p: null, expected: null });
  });

  it("turns the tail around when higher is better", () => {
    const b = funnelTests(series(worse("percentage", "higher-is-better"), rows, refs), S)!;
    const bu01 = materialise(
      b,
      [...b.area].findIndex((a) => b.areas[a] === "BU01"),
    );
    expect(bu01.p).toBeGreaterThan(0.99);
    expect(bu01.effect).toBeLessThan(-3);
  });

  it("skips indicators without counts", () => {
    const plain = rows.map(({ num: _n, den: _d, ...r }) => r);
    expect(funnelTests(series(worse("percentage"), plain, refs), S)).toBeNull();
  });
});

describe("status: standardised deviation against comparable areas", () => {
  // Gemeente A has six buurten, B only three (too few: compared with all buurten).
  const values: [string, string, number][] = [
    ["BU0101", "GM01", 10],
    ["BU0102", "GM01", 11],
    ["BU0103", "GM01", 12],
    ["BU0104", "GM01", 11],
    ["BU0105", "GM01", 10],
    ["BU0106", "GM01", 30],
    ["BU0201", "GM02", 20],
    ["BU0202", "GM02", 21],
    ["BU0203", "GM02", 22],
  ];
  const s = series(
    worse("percentage"),
    values.map(([area, gemeente, value]) => ({ area, gemeente, period: "2020", value })),
  );
  const b = standardisedTests(s, S)!;
  const byArea = new Map(
    [...Array(b.p.length).keys()].map((i) => [materialise(b, i).area, materialise(b, i)]),
  );

  it("uses the other buurten of the same gemeente (leave-one-out median and MAD)", () => {
    const t = byArea.get("BU0106")!;
    // Others of GM01: 10, 10, 11, 11, 12 → median 11, MAD 1.4826·1; the floor is half the scale of
    // all buurten (leave-one-out), below that.
    expect(t.expected).toBe(11);
    expect(t.details.reference).toBe("buurt areas of GM01");
    expect(t.details.z).toBeCloseTo(19 / (t.details.scale as number), 10);
    expect(t.p).toBeLessThan(1e-6);
  });

  it("falls back to all buurten when a gemeente has too few", () => {
    const t = byArea.get("BU0202")!;
    expect(t.details.reference).toBe("all buurt areas");
    const others = values
      .filter(([a]) => a !== "BU0202")
      .map(([, , v]) => v)
      .sort((x, y) => x - y);
    expect(t.expected).toBe((others[3]! + others[4]!) / 2);
  });

  it("never divides by a spread far below the level's own", () => {
    // GM01's other buurten lie within 0.04 of each other; the level's spread is ~7.
    const flat = series(worse("percentage"), [
      ...[5, 5.01, 5.02, 5.03, 5.04].map((value, i) => ({
        area: `BU010${i}`,
        gemeente: "GM01",
        period: "2020",
        value,
      })),
      { area: "BU0199", gemeente: "GM01", period: "2020", value: 5.3 },
      ...Array.from({ length: 20 }, (_, i) => ({
        area: `BU02${String(i).padStart(2, "0")}`,
        gemeente: "GM02",
        period: "2020",
        value: i,
      })),
    ]);
    const fb = standardisedTests(flat, S)!;
    const t = [...Array(fb.p.length).keys()].map((i) => materialise(fb, i)).find((x) => x.area === "BU0199")!;
    expect(t.details.reference).toBe("buurt areas of GM01");
    expect(t.expected).toBeCloseTo(5.02, 12);
    // Without the floor: 0.28 / (1.4826 · 0.01) ≈ 19.
    expect(Math.abs(t.details.z as number)).toBeLessThan(1);
    expect(t.p).toBeGreaterThan(0.2);
  });
});

describe("dynamics: change relative to the reference's change", () => {
  it("compares (x_t − x_0) − (r_t − r_0) with the other areas' differences in change", () => {
    const rows = [];
    const changes = [0, 0.5, -0.5, 0.2, -0.2, 5];
    for (let i = 0; i < changes.length; i++) {
      rows.push({ area: `BU0${i}`, gemeente: "GM01", period: "2016", value: 10 });
      rows.push({ area: `BU0${i}`, gemeente: "GM01", period: "2020", value: 11 + changes[i]! });
    }
    const refs = [
      { code: "GM01", period: "2016", value: 10 },
      { code: "GM01", period: "2020", value: 11 },
    ];
    const b = relativeChangeTests(series(worse("percentage"), rows, refs), S)!;
    const t = [...Array(b.p.length).keys()].map((i) => materialise(b, i));
    const big = t.find((x) => x.area === "BU05")!;
    expect(big.observed).toBeCloseTo(5, 12);
    expect(big.period).toBe("2016–2020");
    expect(big.details).toMatchObject({ from: 10, to: 16, referenceFrom: 10, referenceTo: 11 });
    expect(big.p).toBeLessThan(0.001);
    expect(t.find((x) => x.area === "BU00")!.p).toBeGreaterThan(0.3);
  });
});

/** A square grid of n×n cells as GeoJSON polygons; codes BU0000rrcc. */
function grid(n: number): { codes: string[]; geometries: string[] } {
  const codes: string[] = [];
  const geometries: string[] = [];
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++) {
      codes.push(`BU0000${String(r).padStart(2, "0")}${String(c).padStart(2, "0")}`);
      const x = 5 + c * 0.01;
      const y = 52 + r * 0.01;
      geometries.push(
        JSON.stringify({
          type: "Polygon",
          coordinates: [
            [
              [x, y],
              [x + 0.01, y],
              [x + 0.01, y + 0.01],
              [x, y + 0.01],
              [x, y],
            ],
          ],
        }),
      );
    }
  return { codes, geometries };
}

/** A 12 × 12 grid with its queen weights and a value per cell (row, column, inside the 3×3 hot block). */
function hotGrid(value: (r: number, c: number, hot: boolean) => number) {
  const n = 12;
  const g = grid(n);
  const prepared = prepareWeights({ key: "2020:buurt", geometryDivision: 2020, ...g }, S);
  const rows = g.codes.map((code, i) => {
    const r = Math.floor(i / n);
    const c = i % n;
    const hot = r >= 4 && r <= 6 && c >= 4 && c <= 6;
    return { area: code, gemeente: "GM0000", period: "2020", value: value(r, c, hot) };
  });
  return { n, g, prepared, rows, s: series(worse("percentage"), rows) };
}

describe("space: Local Moran's I and Gi* on queen contiguity", () => {
  // A smooth null field with a planted 3×3 hot block.
  const { n, g, prepared, rows, s } = hotGrid(
    (r, c, hot) => 10 + ((r * 7 + c * 3) % 5) * 0.3 + (hot ? 8 : 0),
  );

  it("builds queen neighbours from the boundaries (corners count)", () => {
    const nb = prepared.neighbours;
    const centre = 5 * n + 5;
    expect(nb.offsets[centre + 1]! - nb.offsets[centre]!).toBe(8);
    expect(nb.offsets[1]! - nb.offsets[0]!).toBe(3);
  });

  it("finds the planted cluster, and only there, reproducibly by seed", () => {
    const [moran, gi] = spatialTests(s, S, prepared) as [TestBatch, TestBatch];
    const significant = (b: TestBatch) =>
      new Set([...Array(b.p.length).keys()].filter((i) => b.p[i]! <= 0.01).map((i) => b.areas[b.area[i]!]));
    const hot = new Set(rows.filter((r) => r.value > 15).map((r) => r.area));
    const giHot = significant(gi);
    expect([...hot].filter((a) => giHot.has(a)).length).toBeGreaterThanOrEqual(8);
    for (const a of giHot) {
      const i = g.codes.indexOf(a!);
      const [r, c] = [Math.floor(i / n), i % n];
      expect(Math.max(Math.abs(r - 5), Math.abs(c - 5))).toBeLessThanOrEqual(2);
    }
    const moranHot = significant(moran);
    expect(moranHot.has("BU00000505")).toBe(true);
    const t = materialise(
      moran,
      [...moran.area].findIndex((a) => moran.areas[a] === "BU00000505"),
    );
    expect(t.details).toMatchObject({ quadrant: "HH", neighbours: 8, permutations: 999 });
    const again = spatialTests(s, S, prepared);
    expect(Array.from(again[0]!.p)).toEqual(Array.from(moran.p));
    const other = spatialTests(s, DetectionSettingsSchema.parse({ space: { seed: 7 } }), prepared);
    expect(Array.from(other[0]!.p)).not.toEqual(Array.from(moran.p));
  });
});

describe("space: p-values beyond every permutation", () => {
  const { n, g, prepared, s } = hotGrid((r, c, hot) => 10 + ((r * 5 + c * 11) % 7) * 0.4 + (hot ? 9 : 0));
  const floorSettings = DetectionSettingsSchema.parse({ space: { beyondPermutations: "floor" } });

  it("reads the normal tail of the permutation z only where the pseudo p-value is at its floor", () => {
    expect(S.space.beyondPermutations).toBe("normal-tail");
    const tail = spatialTests(s, S, prepared);
    const floor = spatialTests(s, floorSettings, prepared);
    const minimum = 1 / (S.space.permutations + 1);
    let beyond = 0;
    for (const [b, f] of tail.map((b, k) => [b, floor[k]!] as const)) {
      expect(Array.from(b.area)).toEqual(Array.from(f.area));
      for (let i = 0; i < b.p.length; i++) {
        const pseudo = f.p[i]!;
        if (pseudo <= minimum) {
          beyond++;
          // Never above the floor; the normal tail of the permutation z (effect) below it.
          expect(b.p[i]).toBe(Math.min(minimum, normalCdf(-b.effect[i]!)));
          expect(b.p[i]).toBeLessThanOrEqual(minimum);
        } else expect(b.p[i]).toBe(pseudo);
      }
    }
    // The planted block lies beyond every permutation for several areas, with p far below 1/1000.
    expect(beyond).toBeGreaterThanOrEqual(5);
    const smallest = Math.min(...tail.flatMap((b) => Array.from(b.p)));
    expect(smallest).toBeLessThan(minimum / 10);
  });

  it("reads rates with counts as EB-standardised rates, and shows the published values", () => {
    // Counts on the grid: a hot block of high rates, sizes varying 30–3,000.
    const counted = g.codes.map((code, i) => {
      const r = Math.floor(i / n);
      const c = i % n;
      const hot = r >= 4 && r <= 6 && c >= 4 && c <= 6;
      const den = 30 + ((i * 37) % 100) * 30;
      const num = Math.round(den * (0.08 + ((r * 3 + c * 5) % 4) * 0.005 + (hot ? 0.04 : 0)));
      return { area: code, gemeente: "GM0000", period: "2020", value: (100 * num) / den, num, den };
    });
    const rates = series(worse("percentage"), counted);
    const z = empiricalBayesZScores(
      counted.map((r) => r.num),
      counted.map((r) => r.den),
    );
    const asValues = series(
      worse("percentage"),
      counted.map((r, i) => ({ area: r.area, gemeente: r.gemeente, period: r.period, value: z[i]! })),
    );
    const eb = spatialTests(rates, S, prepared);
    const plain = spatialTests(asValues, S, prepared);
    const raw = spatialTests(rates, DetectionSettingsSchema.parse({ space: { rates: "raw" } }), prepared);
    for (let k = 0; k < 2; k++) {
      expect(Array.from(eb[k]!.p)).toEqual(Array.from(plain[k]!.p));
      expect(Array.from(eb[k]!.observed)).toEqual(counted.map((r) => r.value));
      expect(eb[k]!.details(0).variable).toBe("EB-standardised rate (Assunção–Reis)");
      expect(raw[k]!.details(0).variable).toBe("value");
      expect(Array.from(raw[k]!.p)).not.toEqual(Array.from(eb[k]!.p));
    }
  });

  it("names the rule in the model description", () => {
    const method = (settings: typeof S) =>
      describeModel(settings).detectors.find((d) => d.id === "space-local-moran")!.method;
    expect(method(S)).toMatch(/exceeds every permutation, the normal tail of the permutation z-score/);
    expect(method(floorSettings)).not.toMatch(/normal tail/);
  });
});

describe("assessRun: false alarms, grouping, accumulation", () => {
  it("groups significant tests into one alert per area and domain and counts domains per area", () => {
    const rows = [];
    for (let i = 0; i < 40; i++)
      for (const period of ["2016", "2020"])
        rows.push({
          area: `BU${String(i).padStart(4, "0")}`,
          gemeente: "GM01",
          period,
          value: period === "2016" ? 10 + (i % 7) * 0.1 : 10.5 + (i % 5) * 0.1 + (i === 3 ? 9 : 0),
        });
    const refs = [
      { code: "GM01", period: "2016", value: 10.3 },
      { code: "GM01", period: "2020", value: 10.7 },
    ];
    const health = series(
      { id: "h", domain: "health", polarity: "higher-is-worse", kind: "percentage" },
      rows,
      refs,
    );
    const income = series(
      { id: "i", domain: "income", polarity: "higher-is-worse", kind: "percentage" },
      rows,
      refs,
    );
    const batches = [...detectSeries(health, S, null), ...detectSeries(income, S, null)];
    const run = assessRun(batches, S);
    expect(run.tests).toBe(batches.reduce((n, b) => n + b.p.length, 0));
    const bu3 = run.alerts.filter((a) => a.area === "BU0003");
    expect(bu3.map((a) => a.domain).sort()).toEqual(["health", "income"]);
    for (const a of bu3) {
      expect(a.detectors).toEqual(["dynamics-relative-change", "status-standardised"]);
      expect(a.severity).toBe("red");
      expect(a.tests[0]!.severity).toBe("red");
      expect(a.q).toBe(a.tests[0]!.q);
    }
    expect(run.alerts.filter((a) => a.area !== "BU0003")).toHaveLength(0);
    const summary = run.summaries.find((s) => s.area === "BU0003")!;
    expect(summary.domainsFlagged).toEqual(["health", "income"]);
    expect(summary.severity).toBe("red");
    expect(summary.statusClass).toBe(4);
    expect(summary.dynamicsClass).toBe(3);
    expect(run.summaries.find((s) => s.area === "BU0010")!.domainsFlagged).toEqual([]);
  });
});

describe("groupAlerts", () => {
  const base = {
    indicatorId: "a",
    domain: "health" as const,
    polarity: "higher-is-worse" as const,
    level: "buurt" as const,
    division: 2020,
    area: "BU01",
    gemeente: "GM01",
    period: "2020",
    observed: 1,
    expected: 0,
    details: {},
  };
  it("heads a red alert with its strongest red test, even when a yellow test scores higher", () => {
    const tests = [
      {
        ...base,
        detector: "space-gi-star" as const,
        effect: 10,
        p: 0.001,
        q: 0.04,
        severity: "yellow" as const,
      },
      {
        ...base,
        detector: "status-standardised" as const,
        effect: 2,
        p: 1e-4,
        q: 0.005,
        severity: "red" as const,
      },
      {
        ...base,
        area: "BU02",
        detector: "status-standardised" as const,
        effect: 1,
        p: 0.5,
        q: 0.6,
        severity: "blue" as const,
      },
    ];
    const alerts = groupAlerts(tests);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      severity: "red",
      detector: "status-standardised",
      q: 0.005,
      effect: 2,
    });
    expect(alerts[0]!.detectors).toEqual(["space-gi-star", "status-standardised"]);
    expect(alerts[0]!.score).toBeCloseTo(rankScore(tests[0]!) + rankScore(tests[1]!), 12);
  });
});

describe("the model description", () => {
  it("carries every setting and every detector", () => {
    const settings = DetectionSettingsSchema.parse({ fdr: 0.1, space: { permutations: 4999 } });
    const m = describeModel(settings);
    expect(m.settings).toEqual(settings);
    expect(m.falseAlarmControl.fdr).toBe(0.1);
    expect(m.detectors.find((d) => d.id === "space-local-moran")!.method).toMatch(/4999/);
  });

  it("rejects bad settings naming the field", () => {
    const r = DetectionSettingsSchema.safeParse({
      severity: { red: 0.1, yellow: 0.05 },
      space: { permutations: 10 },
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["space.permutations"]));
  });
});
