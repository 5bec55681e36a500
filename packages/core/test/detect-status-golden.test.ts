/**
 * Golden tests of the status and short-series building blocks against R 4.2 with spdep 1.2: the numbers
 * in fixtures/detect/status-golden.json were written by fixtures/detect/make-status-golden.R; the tests
 * never run R. Tolerance: 1e-9 relative throughout, with an absolute floor of 1e-12 for quantities
 * that can be or cross 0 (z-scores, centres, differences, rates of 0). One exception, R's own: its
 * exact "greater" Kendall p-value is 1 − P[T ≤ q − 1], which cancels (1.6e-15 instead of 1/49! for a
 * monotone series of 49), so comparisons with it get an absolute floor of 2e-15 (4e-15 two-sided, which
 * R doubles); the same tails are also compared at 1e-9 relative with R's "less" p-value of the reversed
 * series, which has no cancellation.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  centreAndScale,
  differenceInChange,
  empiricalBayesRates,
  empiricalBayesZScores,
  localEmpiricalBayesRates,
  mannKendall,
  mannKendallExact,
  mannKendallPValue,
  median,
  medianAbsoluteDeviation,
  relativeChangeDeviations,
  standardisedDeviation,
  standardisedDeviations,
  type DeviationMethod,
  type EmpiricalBayesFamily,
  type Polarity,
  type StandardisedResult,
} from "../src/index.js";

type RResult =
  | {
      kind: "deviation";
      value: number;
      centre: number;
      scale: number;
      scaleMethod: string;
      z: number;
      p: number;
      referenceSize: number;
    }
  | { kind: "no-reference"; reason: string; referenceSize: number };

interface GroupedCase {
  name: string;
  groups: (string | number)[];
  method: DeviationMethod;
  leaveOneOut: boolean;
  minReferenceSize: number;
  polarity: Polarity;
  results: RResult[];
}

interface Golden {
  generator: string;
  ebest: {
    name: string;
    family: EmpiricalBayesFamily;
    cases: number[];
    population: number[];
    raw: number[];
    estimate: number[];
    a: number;
    b: number;
  }[];
  ebZ: { name: string; cases: number[]; population: number[]; z: number[] }[];
  eblocal: {
    name: string;
    geoda: boolean;
    cases: number[];
    population: number[];
    neighbours: number[][];
    raw: number[];
    estimate: (number | null)[];
    a: number[];
    m: number[];
  }[];
  standardised: (GroupedCase & { values: (number | null)[] })[];
  summaries: { values: number[]; median: number; mad: number; mean: number; sd: number | null }[];
  relativeChange: (GroupedCase & {
    areas: (number | null)[][];
    references: number[][];
    difference: (number | null)[];
  })[];
  mannKendallExact: {
    y: number[];
    s: number;
    pGreater: number;
    pLess: number;
    pGreaterDirect: number;
    pTwoSided: number;
  }[];
  kendallCdf: { n: number; cdf: number[] }[];
}

const golden = JSON.parse(
  readFileSync(new URL("./fixtures/detect/status-golden.json", import.meta.url), "utf8"),
) as Golden;

const REL = 1e-9;
function close(actual: number, expected: number, label: string, abs = 1e-300): void {
  const tolerance = Math.max(REL * Math.abs(expected), abs);
  if (!(Math.abs(actual - expected) <= tolerance))
    expect.fail(`${label}: got ${actual}, R gives ${expected} (tolerance ${tolerance})`);
}
const nan = (v: number | null): number => v ?? NaN;

function compare(actual: StandardisedResult, want: RResult, label: string): void {
  expect(actual.kind, label).toBe(want.kind);
  expect(actual.referenceSize, `${label} reference size`).toBe(want.referenceSize);
  if (actual.kind === "no-reference" || want.kind === "no-reference") {
    expect(actual).toMatchObject({ reason: (want as { reason: string }).reason });
    return;
  }
  expect(actual.scaleMethod, `${label} scale method`).toBe(want.scaleMethod);
  close(actual.value, want.value, `${label} value`, 1e-12);
  close(actual.centre, want.centre, `${label} centre`, 1e-12);
  close(actual.scale, want.scale, `${label} scale`);
  close(actual.z, want.z, `${label} z`, 1e-12);
  close(actual.p, want.p, `${label} p`);
}

describe(`Empirical Bayes against spdep (${golden.generator})`, () => {
  it.each(golden.ebest.map((c) => [c.name, c] as const))("EBest: %s", (_, c) => {
    const eb = empiricalBayesRates(c.cases, c.population, c.family);
    close(eb.b, c.b, "b");
    close(eb.a, c.a, "a", 1e-300);
    expect(eb.raw).toHaveLength(c.raw.length);
    eb.raw.forEach((v, i) => close(v, c.raw[i]!, `raw[${i}]`, 1e-12));
    eb.estimate.forEach((v, i) => close(v, c.estimate[i]!, `estimate[${i}]`));
  });

  it.each(golden.ebZ.map((c) => [c.name, c] as const))("EBImoran.mc z (Assunção–Reis): %s", (_, c) => {
    const z = empiricalBayesZScores(c.cases, c.population);
    expect(z).toHaveLength(c.z.length);
    z.forEach((v, i) => close(v, c.z[i]!, `z[${i}]`, 1e-12));
  });

  it.each(golden.eblocal.map((c) => [c.name, c] as const))("EBlocal: %s", (_, c) => {
    // Without options the default is spdep's default, geoda = FALSE.
    const eb = c.geoda
      ? localEmpiricalBayesRates(c.cases, c.population, c.neighbours, { geoda: true })
      : localEmpiricalBayesRates(c.cases, c.population, c.neighbours);
    eb.raw.forEach((v, i) => close(v, c.raw[i]!, `raw[${i}]`, 1e-12));
    eb.m.forEach((v, i) => close(v, c.m[i]!, `m[${i}]`, 1e-12));
    eb.a.forEach((v, i) => close(v, c.a[i]!, `a[${i}]`, 1e-15));
    eb.estimate.forEach((v, i) => {
      const want = c.estimate[i];
      // R's NaN: a neighbourhood without any case (0/0); we return the local mean, 0.
      if (want === null || want === undefined) {
        expect(c.m[i], `R's m[${i}] where its estimate is NaN`).toBe(0);
        expect(v).toBe(c.m[i]);
      } else close(v, want, `estimate[${i}]`, 1e-12);
    });
  });

  it("the island case of the fixture does contain R's NaN (so the branch above is exercised)", () => {
    const islands = golden.eblocal.filter((c) => c.estimate.some((v) => v === null));
    expect(islands.length).toBeGreaterThan(0);
  });
});

describe("standardised deviations against R's median, mad, mean, sd and pnorm", () => {
  it("summaries: median, mad, mean and sd", () => {
    for (const c of golden.summaries) {
      const label = JSON.stringify(c.values);
      close(median(c.values), c.median, `median ${label}`, 1e-12);
      close(medianAbsoluteDeviation(c.values), c.mad, `mad ${label}`, 1e-12);
      if (c.sd === null) expect(() => centreAndScale(c.values, "classic")).toThrow(RangeError);
      else {
        const cs = centreAndScale(c.values, "classic");
        close(cs.centre, c.mean, `mean ${label}`, 1e-12);
        close(cs.scale, c.sd, `sd ${label}`);
      }
    }
  });

  it.each(golden.standardised.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const values = c.values.map(nan);
    const options = {
      groups: c.groups,
      method: c.method,
      leaveOneOut: c.leaveOneOut,
      minReferenceSize: c.minReferenceSize,
      polarity: c.polarity,
    };
    const results = standardisedDeviations(values, options);
    expect(results).toHaveLength(c.results.length);
    results.forEach((r, i) => compare(r, c.results[i]!, `${c.name} [${i}]`));
    // The one-area form with the same reference gives the same numbers.
    values.forEach((v, i) => {
      const reference = values.filter((_, j) => c.groups[j] === c.groups[i] && (!c.leaveOneOut || j !== i));
      compare(standardisedDeviation(v, reference, options), c.results[i]!, `${c.name} single [${i}]`);
    });
  });

  it.each(golden.relativeChange.map((c) => [c.name, c] as const))("relative change: %s", (_, c) => {
    const areas = c.areas.map((a) => a.map(nan));
    areas.forEach((a, i) => {
      const want = c.difference[i];
      const d = differenceInChange(a, c.references[i]!);
      if (want === null || want === undefined) expect(d, `d[${i}]`).toBeNaN();
      else close(d, want, `d[${i}]`, 1e-12);
    });
    const results = relativeChangeDeviations(areas, c.references, {
      groups: c.groups,
      method: c.method,
      leaveOneOut: c.leaveOneOut,
      minReferenceSize: c.minReferenceSize,
      polarity: c.polarity,
    });
    results.forEach((r, i) => compare(r, c.results[i]!, `${c.name} [${i}]`));
  });
});

describe("exact Mann–Kendall against cor.test(method = 'kendall', exact = TRUE)", () => {
  it(`series without ties of length 3–10, 20, 35 and 49 (${golden.mannKendallExact.length} series)`, () => {
    for (const c of golden.mannKendallExact) {
      const label = `n=${c.y.length} ${JSON.stringify(c.y)}`;
      const mk = mannKendall(c.y);
      expect(mk.s, label).toBe(c.s);
      expect(mk.exact, label).not.toBeNull();
      const exact = mk.exact!;
      close(exact.pIncreasing, c.pGreaterDirect, `P[S ≥ s] ${label}`);
      close(exact.pIncreasing, c.pGreater, `P[S ≥ s] vs R's 1 − F ${label}`, 2e-15);
      close(exact.pDecreasing, c.pLess, `P[S ≤ s] ${label}`);
      close(exact.pTwoSided, c.pTwoSided, `two-sided vs R ${label}`, 4e-15);
      const direct = Math.min(1, 2 * (c.s > 0 ? c.pGreaterDirect : c.pLess));
      close(exact.pTwoSided, direct, `two-sided ${label}`);
      expect(mannKendallPValue(mk, "increasing")).toBe(exact.pIncreasing);
      expect(mannKendallPValue(mk, "decreasing")).toBe(exact.pDecreasing);
      expect(mannKendallPValue(mk, "two-sided")).toBe(exact.pTwoSided);
    }
  });

  it("the smallest attainable p is that of a monotone series, 1/n! (1/6 for n = 3)", () => {
    const monotone = golden.mannKendallExact.filter((c) => c.s === (c.y.length * (c.y.length - 1)) / 2);
    expect(monotone.length).toBeGreaterThanOrEqual(8);
    for (const c of monotone)
      close(mannKendall(c.y).exact!.minimumP, c.pGreaterDirect, `1/n! n=${c.y.length}`);
    const three = monotone.find((c) => c.y.length === 3)!;
    expect(three.pGreaterDirect).toBeGreaterThan(0.05);
  });

  it("the whole null distribution of Kendall's T for n = 3–12 (R's internal pkendall)", () => {
    for (const { n, cdf } of golden.kendallCdf) {
      const pairs = (n * (n - 1)) / 2;
      expect(cdf).toHaveLength(pairs + 1);
      // T concordant pairs: S = 2T − N, so P[T ≤ q] = P[S ≤ 2q − N].
      cdf.forEach((want, q) => close(mannKendallExact(2 * q - pairs, n).pDecreasing, want, `n=${n} q=${q}`));
    }
  });
});
