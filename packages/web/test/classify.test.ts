import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classOf, computeClasses, parseBreaks } from "../src/lib/classify";

describe("computeClasses", () => {
  it("quantiles split 1..100 into five classes of twenty", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    const { breaks, min, max } = computeClasses(values, "quantile", 5);
    expect([min, max]).toEqual([1, 100]);
    const counts = [0, 0, 0, 0, 0];
    for (const v of values) counts[classOf(v, breaks)]!++;
    expect(counts).toEqual([20, 20, 20, 20, 20]);
  });

  it("equal intervals divide the range evenly", () => {
    expect(computeClasses([0, 3, 10], "equal", 5).breaks).toEqual([2, 4, 6, 8]);
  });

  it("manual breaks keep only those inside the range, sorted", () => {
    expect(computeClasses([5, 50], "manual", 5, [60, 10, 1, 20]).breaks).toEqual([10, 20]);
  });

  it("many equal values collapse duplicate breaks", () => {
    const { breaks } = computeClasses([1, 1, 1, 1, 1, 1, 1, 2], "quantile", 5);
    expect(new Set(breaks).size).toBe(breaks.length);
    expect(breaks.length).toBeLessThan(4);
  });

  it("no values: no classes", () => {
    const c = computeClasses([], "quantile", 5);
    expect(c.breaks).toEqual([]);
    expect(Number.isNaN(c.min)).toBe(true);
  });

  it("property: every value falls in a class, and classes are ordered like the values", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.constantFrom("quantile" as const, "equal" as const),
        fc.integer({ min: 2, max: 9 }),
        (values, method, n) => {
          const { breaks } = computeClasses(values, method, n);
          expect(breaks.length).toBeLessThanOrEqual(n - 1);
          for (let i = 1; i < breaks.length; i++) expect(breaks[i]!).toBeGreaterThan(breaks[i - 1]!);
          const sorted = [...values].sort((a, b) => a - b);
          let last = 0;
          for (const v of sorted) {
            const c = classOf(v, breaks);
            expect(c).toBeGreaterThanOrEqual(last);
            expect(c).toBeLessThanOrEqual(breaks.length);
            last = c;
          }
        },
      ),
    );
  });
});

describe("parseBreaks", () => {
  it.each([
    ["10; 20,5; 30", [10, 20.5, 30]],
    ["30 10 20.5", [10, 20.5, 30]],
    ["10, 20, 10", [10, 20]],
    ["-5;0", [-5, 0]],
  ])("%s", (text, breaks) => expect(parseBreaks(text)).toEqual({ breaks }));

  it("names the part that is not a number", () => {
    expect(parseBreaks("10; twintig; 30")).toEqual({ error: "twintig" });
  });
});
