import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aggregateToParents, isAggregable, sum, type CellValue } from "../src/aggregate.js";
import { KIND_SCALE, type IndicatorKind } from "../src/catalogue.js";

const RUNS = { seed: 42, numRuns: 200 };
const RATIO_KINDS = ["percentage", "rate-per-1000", "mean"] as const satisfies readonly IndicatorKind[];

interface Child {
  readonly value: number;
  readonly numerator: number;
  readonly denominator: number;
  /** Whether the child has a value at all. */
  readonly present: boolean;
}

/** A two-level hierarchy: gemeenten (parents) with their wijken (children), integer counts. */
const hierarchyArb = fc.array(
  fc.array(
    fc.record({
      value: fc.integer({ min: 0, max: 1_000_000 }),
      numerator: fc.integer({ min: 0, max: 5_000 }),
      denominator: fc.integer({ min: 1, max: 50_000 }),
      present: fc.boolean(),
    }),
    { minLength: 1, maxLength: 6 },
  ),
  { minLength: 1, maxLength: 8 },
);
/** The same, every child with a value. */
const completeArb = hierarchyArb.map((h) => h.map((cs) => cs.map((c) => ({ ...c, present: true }))));

const pad = (n: number, w: number): string => String(n).padStart(w, "0");
const parentCode = (i: number): string => `GM${pad(i + 1, 4)}`;
const childCode = (i: number, j: number): string => `WK${pad(i + 1, 4)}${pad(j + 1, 2)}`;

interface Built {
  readonly values: CellValue[];
  readonly childrenOf: Map<string, string[]>;
}

/** Values (with or without numerator/denominator) and the children map of a generated hierarchy. */
function build(h: readonly (readonly Child[])[], withParts: boolean, kind: IndicatorKind = "count"): Built {
  const values: CellValue[] = [];
  const childrenOf = new Map<string, string[]>();
  h.forEach((children, i) => {
    childrenOf.set(
      parentCode(i),
      children.map((_, j) => childCode(i, j)),
    );
    children.forEach((c, j) => {
      if (!c.present) return;
      const scale = KIND_SCALE[kind] ?? 1;
      values.push(
        withParts
          ? {
              code: childCode(i, j),
              value: (c.numerator / c.denominator) * scale,
              numerator: c.numerator,
              denominator: c.denominator,
            }
          : { code: childCode(i, j), value: c.value, numerator: null, denominator: null },
      );
    });
  });
  return { values, childrenOf };
}

const byCode = (cells: readonly CellValue[]): CellValue[] =>
  [...cells].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));

/** A permutation of 0..n-1. */
const permutationArb = (n: number): fc.Arbitrary<number[]> =>
  fc.shuffledSubarray(
    Array.from({ length: n }, (_, i) => i),
    { minLength: n, maxLength: n },
  );

const kindArb = fc.constantFrom<IndicatorKind>("count", ...RATIO_KINDS);

describe("aggregateToParents (properties)", () => {
  it("does not depend on the order of the values, of the parents or of each parent's children", () => {
    const arb = fc.tuple(hierarchyArb, kindArb).chain(([h, kind]) => {
      const built = build(h, kind !== "count", kind);
      return fc.tuple(
        fc.constant(built),
        fc.constant(kind),
        permutationArb(built.values.length),
        permutationArb(built.childrenOf.size),
        fc.array(fc.boolean(), { minLength: built.childrenOf.size, maxLength: built.childrenOf.size }),
      );
    });
    fc.assert(
      fc.property(arb, ([built, kind, valueOrder, parentOrder, reverseChildren]) => {
        const entries = [...built.childrenOf];
        const shuffledMap = new Map(
          parentOrder.map((p, k) => {
            const [parent, children] = entries[p]!;
            return [parent, reverseChildren[k] ? [...children].reverse() : children] as const;
          }),
        );
        const shuffledValues = valueOrder.map((i) => built.values[i]!);
        const expected = byCode(aggregateToParents(built.values, kind, built.childrenOf));
        expect(byCode(aggregateToParents(shuffledValues, kind, shuffledMap))).toEqual(expected);
      }),
      RUNS,
    );
  });

  it("commutes with relabelling the area codes", () => {
    const arb = fc.tuple(hierarchyArb, kindArb).chain(([h, kind]) => {
      const built = build(h, kind !== "count", kind);
      const codes = [...new Set([...built.childrenOf.keys(), ...[...built.childrenOf.values()].flat()])];
      return fc.tuple(
        fc.constant(built),
        fc.constant(kind),
        fc.constant(codes),
        permutationArb(codes.length),
      );
    });
    fc.assert(
      fc.property(arb, ([built, kind, codes, perm]) => {
        // A bijection that mixes the labels: a parent may get a former child's code and vice versa.
        const relabel = new Map(codes.map((c, i) => [c, `X${codes[perm[i]!]!}`]));
        const r = (c: string): string => relabel.get(c)!;
        const relabelledValues = built.values.map((v) => ({ ...v, code: r(v.code) }));
        const relabelledMap = new Map([...built.childrenOf].map(([p, cs]) => [r(p), cs.map(r)]));
        const direct = aggregateToParents(built.values, kind, built.childrenOf).map((v) => ({
          ...v,
          code: r(v.code),
        }));
        expect(byCode(aggregateToParents(relabelledValues, kind, relabelledMap))).toEqual(byCode(direct));
      }),
      RUNS,
    );
  });

  it("gives a count parent the sum of its children", () => {
    fc.assert(
      fc.property(completeArb, (h) => {
        const { values, childrenOf } = build(h, false);
        const out = new Map(aggregateToParents(values, "count", childrenOf).map((v) => [v.code, v]));
        expect(out.size).toBe(childrenOf.size);
        h.forEach((children, i) => {
          const expected = children.reduce((s, c) => s + c.value, 0);
          expect(out.get(parentCode(i))).toEqual({
            code: parentCode(i),
            value: expected,
            numerator: null,
            denominator: null,
          });
        });
      }),
      RUNS,
    );
  });

  it("gives a ratio parent the pooled ratio of the summed numerators and denominators", () => {
    fc.assert(
      fc.property(completeArb, fc.constantFrom(...RATIO_KINDS), (h, kind) => {
        const { values, childrenOf } = build(h, true, kind);
        const out = new Map(aggregateToParents(values, kind, childrenOf).map((v) => [v.code, v]));
        expect(out.size).toBe(childrenOf.size);
        h.forEach((children, i) => {
          const num = children.reduce((s, c) => s + c.numerator, 0);
          const den = children.reduce((s, c) => s + c.denominator, 0);
          const parent = out.get(parentCode(i))!;
          expect(parent.numerator).toBe(num);
          expect(parent.denominator).toBe(den);
          expect(parent.value).toBeCloseTo((num / den) * KIND_SCALE[kind]!, 9);
        });
      }),
      RUNS,
    );
  });

  it("gives a parent a value only when every one of its children has one", () => {
    fc.assert(
      fc.property(hierarchyArb, kindArb, (h, kind) => {
        const { values, childrenOf } = build(h, kind !== "count", kind);
        const parents = new Set(aggregateToParents(values, kind, childrenOf).map((v) => v.code));
        h.forEach((children, i) => {
          expect(parents.has(parentCode(i)), parentCode(i)).toBe(children.every((c) => c.present));
        });
      }),
      RUNS,
    );
  });

  it("never overwrites a parent that already has a value", () => {
    fc.assert(
      fc.property(completeArb, fc.integer({ min: 0, max: 1_000 }), (h, published) => {
        const { values, childrenOf } = build(h, false);
        const withParent = [
          ...values,
          { code: parentCode(0), value: published, numerator: null, denominator: null },
        ];
        const out = aggregateToParents(withParent, "count", childrenOf);
        expect(out.map((v) => v.code)).not.toContain(parentCode(0));
        expect(out).toHaveLength(childrenOf.size - 1);
      }),
      RUNS,
    );
  });

  it("derives nothing for ratio kinds whose values have no numerator and denominator", () => {
    fc.assert(
      fc.property(completeArb, fc.constantFrom<IndicatorKind>(...RATIO_KINDS, "index"), (h, kind) => {
        const { values, childrenOf } = build(h, false);
        expect(isAggregable(kind, false)).toBe(false);
        expect(aggregateToParents(values, kind, childrenOf)).toEqual([]);
      }),
      RUNS,
    );
  });
});

describe("sum (properties)", () => {
  it("is exact and order-independent for integers", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.integer({ min: -1_000_000, max: 1_000_000 }))
          .chain((xs) => fc.tuple(fc.constant(xs), permutationArb(xs.length))),
        ([xs, perm]) => {
          const expected = xs.reduce((s, x) => s + x, 0);
          expect(sum(xs)).toBe(expected);
          expect(sum(perm.map((i) => xs[i]!))).toBe(expected);
        },
      ),
      RUNS,
    );
  });

  it("is order-independent to within rounding for fractions", () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 50 })
          .chain((xs) => fc.tuple(fc.constant(xs), permutationArb(xs.length))),
        ([xs, perm]) => {
          const a = sum(xs);
          const b = sum(perm.map((i) => xs[i]!));
          expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, ...xs.map(Math.abs)));
        },
      ),
      RUNS,
    );
  });
});
