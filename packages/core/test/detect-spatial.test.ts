/**
 * Properties of the spatial weights and the space detectors (fast-check), beside the golden tests
 * against spdep in detect-spatial-golden.test.ts: contiguity on synthetic grids, k nearest neighbours
 * against a brute-force scan, centroids, invariances of local Moran's I and Gi*, and the permutation
 * engine (determinism, the sorted fast path against direct evaluation, the exact moments of
 * conditional randomisation, validity under the null).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  QUADRANT,
  cardinalities,
  centroids,
  drawPermutations,
  greatCircleDistance,
  includeSelf,
  isSymmetric,
  kNearestNeighbours,
  localG,
  localGPermutation,
  localMoran,
  localMoranPermutation,
  localMoranPermutations,
  maxCardinality,
  neighbourLists,
  neighboursFromLists,
  polygonCentroid,
  queenContiguity,
  spatialWeights,
  subsetNeighbours,
  symmetrise,
  type ArealGeometry,
  type Neighbours,
  type PermutationTest,
  type PolygonGeometry,
} from "../src/index.js";

const STEP = 0.01;

/** Square cell (row, col) of a grid near Utrecht, counter-clockwise, closed. */
function square(row: number, col: number, size = STEP): PolygonGeometry {
  const x = 5 + col * STEP;
  const y = 52 + row * STEP;
  return {
    type: "Polygon",
    coordinates: [
      [
        [x, y],
        [x + size, y],
        [x + size, y + size],
        [x, y + size],
        [x, y],
      ],
    ],
  };
}

function grid(rows: number, cols: number): PolygonGeometry[] {
  const out: PolygonGeometry[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out.push(square(r, c));
  return out;
}

/** Queen neighbours of a grid cell, by index arithmetic. */
function gridQueen(rows: number, cols: number): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      const row: number[] = [];
      for (let dr = -1; dr <= 1; dr++)
        for (let dc = -1; dc <= 1; dc++) {
          const rr = r + dr;
          const cc = c + dc;
          if ((dr || dc) && rr >= 0 && rr < rows && cc >= 0 && cc < cols) row.push(rr * cols + cc);
        }
      out.push(row.sort((a, b) => a - b));
    }
  return out;
}

/** Brute-force k nearest neighbours: sort by (distance, index), as spdep's C loop. */
function bruteKnn(lon: number[], lat: number[], k: number): number[][] {
  return lon.map((_, i) =>
    lon
      .map((_, j) => ({ j, d: greatCircleDistance(lon[i]!, lat[i]!, lon[j]!, lat[j]!) }))
      .filter((c) => c.j !== i)
      .sort((a, b) => a.d - b.d || a.j - b.j)
      .slice(0, k)
      .map((c) => c.j)
      .sort((a, b) => a - b),
  );
}

/** Deterministic pseudo-random numbers for test data (not for the code under test). */
function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function normals(n: number, seed: number): number[] {
  const u = lcg(seed);
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u()));
}

function closeArrays(a: ArrayLike<number>, b: ArrayLike<number>, rel: number, label: string): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (Number.isNaN(y)) {
      expect(Number.isNaN(x), `${label}[${i}]`).toBe(true);
      continue;
    }
    if (!(Math.abs(x - y) <= rel * Math.max(1, Math.abs(y)))) expect.fail(`${label}[${i}]: ${x} vs ${y}`);
  }
}

/** Random neighbour lists (not necessarily symmetric) on n areas, at least one neighbour each. */
const randomGraph = fc.integer({ min: 10, max: 60 }).chain((n) =>
  fc.array(fc.uniqueArray(fc.integer({ min: 0, max: n - 2 }), { minLength: 1, maxLength: 7 }), {
    minLength: n,
    maxLength: n,
  }),
);
function graphFrom(lists: number[][]): Neighbours {
  // Values 0..n−2 shifted past i: never self.
  return neighboursFromLists(lists.map((row, i) => row.map((j) => (j >= i ? j + 1 : j))));
}

describe("queen contiguity", () => {
  it("on a grid of squares: every cell touches its 8 surrounding cells (fewer at the border)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), (rows, cols) => {
        const nb = queenContiguity(grid(rows, cols));
        expect(neighbourLists(nb)).toEqual(gridQueen(rows, cols));
        expect(isSymmetric(nb)).toBe(true);
        expect(nb.islands.length).toBe(rows * cols === 1 ? 1 : 0);
      }),
    );
  });

  it("does not depend on the order of the areas", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 2, max: 6 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (rows, cols, seed) => {
          const cells = grid(rows, cols);
          const u = lcg(seed);
          const order = cells.map((_, i) => i).sort(() => u() - 0.5);
          const nb = neighbourLists(queenContiguity(order.map((i) => cells[i]!)));
          const expected = gridQueen(rows, cols);
          nb.forEach((row, a) => {
            expect(row.map((b) => order[b]).sort((x, y) => x! - y!)).toEqual(expected[order[a]!]);
          });
        },
      ),
    );
  });

  it("links two squares across a gap exactly when the gap is within the snap distance", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 0.004, noNaN: true }),
        fc.double({ min: 0, max: 0.004, noNaN: true }),
        (gap, snap) => {
          const a = square(0, 0);
          const b: PolygonGeometry = {
            type: "Polygon",
            coordinates: [
              [
                [5 + STEP + gap, 52],
                [5 + 2 * STEP + gap, 52],
                [5 + 2 * STEP + gap, 52 + STEP],
                [5 + STEP + gap, 52 + STEP],
                [5 + STEP + gap, 52],
              ],
            ],
          };
          const nb = queenContiguity([a, b], { snap });
          // The vertex distance as the implementation computes it (the gap after rounding).
          const linked = Math.abs(5 + STEP - (5 + STEP + gap)) <= snap;
          expect(nb.neighbours.length).toBe(linked ? 2 : 0);
          expect(Array.from(nb.islands)).toEqual(linked ? [] : [0, 1]);
        },
      ),
    );
  });

  it("reports islands: a far square, a missing geometry; a MultiPolygon links through any part", () => {
    const far = square(50, 50);
    const multi: ArealGeometry = {
      type: "MultiPolygon",
      coordinates: [square(10, 10).coordinates, square(0, 2).coordinates],
    };
    const nb = queenContiguity([square(0, 0), square(0, 1), far, null, multi]);
    expect(neighbourLists(nb)).toEqual([[1], [0, 4], [], [], [1]]);
    expect(Array.from(nb.islands)).toEqual([2, 3]);
  });

  it("a single shared corner is enough (queen), as in spdep", () => {
    const nb = queenContiguity([square(0, 0), square(1, 1)]);
    expect(neighbourLists(nb)).toEqual([[1], [0]]);
  });
});

describe("neighbour lists and weights", () => {
  it("row-standardised rows sum to 1, binary weights are 1, self is added by includeSelf", () => {
    fc.assert(
      fc.property(randomGraph, (lists) => {
        const nb = graphFrom(lists);
        const w = spatialWeights(nb, "W");
        const card = cardinalities(nb);
        for (let i = 0; i < nb.n; i++) {
          let s = 0;
          for (let k = w.offsets[i]!; k < w.offsets[i + 1]!; k++) s += w.weights[k]!;
          expect(Math.abs(s - 1)).toBeLessThan(1e-12);
        }
        expect(Array.from(spatialWeights(nb, "B").weights).every((v) => v === 1)).toBe(true);
        const self = includeSelf(nb);
        expect(self.selfIncluded).toBe(true);
        expect(Array.from(cardinalities(self))).toEqual(Array.from(card, (c) => c + 1));
        neighbourLists(self).forEach((row, i) => expect(row).toContain(i));
        expect(maxCardinality(self)).toBe(maxCardinality(nb) + 1);
      }),
    );
  });

  it("symmetrise gives a symmetric superset; isSymmetric detects asymmetry", () => {
    fc.assert(
      fc.property(randomGraph, (lists) => {
        const nb = graphFrom(lists);
        const sym = symmetrise(nb);
        expect(isSymmetric(sym)).toBe(true);
        const symLists = neighbourLists(sym);
        neighbourLists(nb).forEach((row, i) => row.forEach((j) => expect(symLists[i]).toContain(j)));
        expect(isSymmetric(nb)).toBe(sym.neighbours.length === nb.neighbours.length);
      }),
    );
  });

  it("subsetNeighbours renumbers, drops links to removed areas and reports new islands", () => {
    const nb = neighboursFromLists([[1], [0, 2], [1, 3], [2]]);
    const { neighbours, index } = subsetNeighbours(nb, [true, false, true, true]);
    expect(Array.from(index)).toEqual([0, 2, 3]);
    expect(neighbourLists(neighbours)).toEqual([[], [2], [1]]);
    expect(Array.from(neighbours.islands)).toEqual([0]);
  });

  it("rejects malformed lists", () => {
    expect(() => neighboursFromLists([[1], [5]])).toThrow(/out of range/);
    expect(() => neighboursFromLists([[1, 1], [0]])).toThrow(/twice/);
    expect(() => neighboursFromLists([[0], [0]])).toThrow(/must not list itself/);
    expect(() => includeSelf(includeSelf(neighboursFromLists([[1], [0]])))).toThrow(/already/);
  });
});

describe("k nearest neighbours", () => {
  const point = fc.record({
    lon: fc.double({ min: -180, max: 180, noNaN: true }),
    lat: fc.double({ min: -89, max: 89, noNaN: true }),
  });
  const dutch = fc.record({
    // A coarse grid (as quantised TopoJSON) makes exact ties and duplicates likely.
    lon: fc.integer({ min: 0, max: 40 }).map((v) => 3.4 + v * 0.01),
    lat: fc.integer({ min: 0, max: 40 }).map((v) => 50.8 + v * 0.01),
  });

  it("equals the brute-force scan (ties by lower index), worldwide and on a coarse Dutch grid", () => {
    for (const arb of [point, dutch]) {
      fc.assert(
        fc.property(
          fc.array(arb, { minLength: 2, maxLength: 80 }),
          fc.integer({ min: 1, max: 8 }),
          (pts, k0) => {
            const k = Math.min(k0, pts.length - 1);
            const lon = pts.map((p) => p.lon);
            const lat = pts.map((p) => p.lat);
            const nb = kNearestNeighbours(lon, lat, k);
            expect(neighbourLists(nb)).toEqual(bruteKnn(lon, lat, k));
            expect(nb.islands.length).toBe(0);
          },
        ),
        { numRuns: 60 },
      );
    }
  });

  it("handles 2,000 points in a small area like the brute-force scan", () => {
    const u = lcg(7);
    const lon = Array.from({ length: 2000 }, () => 4 + u() * 3);
    const lat = Array.from({ length: 2000 }, () => 51 + u() * 2);
    expect(neighbourLists(kNearestNeighbours(lon, lat, 6))).toEqual(bruteKnn(lon, lat, 6));
  });

  it("rejects k ≥ n and non-coordinates", () => {
    expect(() => kNearestNeighbours([5, 6], [52, 52], 2)).toThrow(/smaller/);
    expect(() => kNearestNeighbours([5, 6, NaN], [52, 52, 52], 1)).toThrow(/longitude/);
  });

  it("distance: 0 for the same point, symmetric, close to the haversine distance", () => {
    fc.assert(
      fc.property(point, point, (a, b) => {
        expect(greatCircleDistance(a.lon, a.lat, a.lon, a.lat)).toBe(0);
        const d = greatCircleDistance(a.lon, a.lat, b.lon, b.lat);
        const rad = Math.PI / 180;
        const h =
          Math.sin(((b.lat - a.lat) * rad) / 2) ** 2 +
          Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(((b.lon - a.lon) * rad) / 2) ** 2;
        const haversine = 2 * 6371.0088 * Math.asin(Math.min(1, Math.sqrt(h)));
        // Ellipsoid against the mean sphere: within 0.7 %; Andoyer's formula breaks down near antipodes.
        if (haversine > 1 && haversine < 19_000) expect(Math.abs(d / haversine - 1)).toBeLessThan(0.007);
      }),
    );
  });
});

describe("centroids", () => {
  it("a square's centre; independent of ring orientation; a hole and a second part weigh by area", () => {
    const sq = square(0, 0);
    const [x, y] = polygonCentroid(sq);
    expect(Math.abs(x - (5 + STEP / 2))).toBeLessThan(1e-12);
    expect(Math.abs(y - (52 + STEP / 2))).toBeLessThan(1e-12);
    const reversed: PolygonGeometry = { type: "Polygon", coordinates: [[...sq.coordinates[0]!].reverse()] };
    expect(polygonCentroid(reversed)).toEqual(polygonCentroid(sq));
    // Two equal squares side by side: the midpoint.
    const two: ArealGeometry = {
      type: "MultiPolygon",
      coordinates: [square(0, 0).coordinates, square(0, 1).coordinates],
    };
    const [mx] = polygonCentroid(two);
    expect(Math.abs(mx - (5 + STEP))).toBeLessThan(1e-12);
    // A square with its right half cut out as a hole: the centroid moves left, to x0 + size/4.
    const big = square(0, 0, 0.04).coordinates[0]!;
    const hole = [
      [5.02, 52],
      [5.02, 52.04],
      [5.04, 52.04],
      [5.04, 52],
      [5.02, 52],
    ];
    const [hx] = polygonCentroid({ type: "Polygon", coordinates: [big, hole] });
    expect(Math.abs(hx - 5.01)).toBeLessThan(1e-12);
  });

  it("degenerate shapes: a collapsed ring gives its line centroid, a cancelling bow-tie stays in its box", () => {
    const line: PolygonGeometry = {
      type: "Polygon",
      coordinates: [
        [
          [5, 52],
          [5.02, 52],
          [5, 52],
          [5, 52],
        ],
      ],
    };
    expect(polygonCentroid(line)).toEqual([5.01, 52]);
    // Two lobes of equal area and opposite orientation: GEOS divides by ~0.
    const bowtie: PolygonGeometry = {
      type: "Polygon",
      coordinates: [
        [
          [5, 52],
          [5.02, 52.02],
          [5.02, 52],
          [5, 52.02],
          [5, 52],
        ],
      ],
    };
    const [bx, by] = polygonCentroid(bowtie);
    expect(bx).toBeGreaterThanOrEqual(5);
    expect(bx).toBeLessThanOrEqual(5.02);
    expect(by).toBeGreaterThanOrEqual(52);
    expect(by).toBeLessThanOrEqual(52.02);
    const { lon } = centroids([square(0, 0), null]);
    expect(Number.isNaN(lon[1])).toBe(true);
  });
});

describe("local Moran's I and Gi*", () => {
  const data = fc.integer({ min: 1, max: 1_000_000 }).map((seed) => normals(49, seed));
  const nb = queenContiguity(grid(7, 7));
  const w = spatialWeights(nb, "W");

  it("I, its moments and z are invariant under x → a·x + b (a > 0); a < 0 swaps HH↔LL and HL↔LH", () => {
    fc.assert(
      fc.property(
        data,
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.double({ min: -100, max: 100, noNaN: true }),
        (x, a, b) => {
          const r = localMoran(x, w);
          const s = localMoran(
            x.map((v) => a * v + b),
            w,
          );
          closeArrays(s.ii, r.ii, 1e-9, "Ii");
          closeArrays(s.z, r.z, 1e-9, "Z");
          closeArrays(s.variance, r.variance, 1e-9, "Var");
          const t = localMoran(
            x.map((v) => -a * v + b),
            w,
          );
          closeArrays(t.ii, r.ii, 1e-9, "Ii (negated)");
          const swap = [QUADRANT.HH, QUADRANT.LH, QUADRANT.HL, QUADRANT.LL];
          for (let i = 0; i < x.length; i++) {
            // Values exactly at a mean would stay "Low" both ways; continuous data has none.
            expect(t.quadrant[i]).toBe(swap[r.quadrant[i]!]);
            expect(s.quadrant[i]).toBe(r.quadrant[i]);
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it("Gi* z is invariant under x → a·x + b (a > 0) and changes sign under x → −x", () => {
    const wStar = spatialWeights(includeSelf(nb), "W");
    fc.assert(
      fc.property(
        data,
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.double({ min: -100, max: 100, noNaN: true }),
        (x, a, b) => {
          const r = localG(x, wStar);
          closeArrays(
            localG(
              x.map((v) => a * v + b),
              wStar,
            ).z,
            r.z,
            1e-8,
            "z",
          );
          closeArrays(
            localG(
              x.map((v) => -v),
              wStar,
            ).z,
            r.z.map((v) => -v),
            1e-8,
            "−z",
          );
        },
      ),
      { numRuns: 50 },
    );
  });

  it("one-sided normal p-values add to 1 and give the two-sided one", () => {
    const r = localMoran(normals(49, 3), w);
    for (let i = 0; i < 49; i++) {
      expect(Math.abs(r.pHigh[i]! + r.pLow[i]! - 1)).toBeLessThan(1e-15);
      expect(Math.abs(2 * Math.min(r.pHigh[i]!, r.pLow[i]!) - r.pTwoSided[i]!)).toBeLessThan(1e-15);
    }
  });

  it("islands get NaN z and p; non-finite values and self-included weights are refused", () => {
    const withIsland = spatialWeights(queenContiguity([...grid(3, 3), square(40, 40)]), "W");
    const r = localMoran(normals(10, 5), withIsland);
    expect(r.ii[9]).toBe(0);
    expect(Number.isNaN(r.z[9])).toBe(true);
    expect(Number.isNaN(r.pTwoSided[9])).toBe(true);
    expect(() => localMoran([1, 2, NaN, 4, 5, 6, 7, 8, 9, 10], withIsland)).toThrow(/finite/);
    expect(() => localMoran(normals(49, 1), spatialWeights(includeSelf(nb), "W"))).toThrow(/self/);
  });
});

describe("permutation inference", () => {
  it("draws: distinct in-range indices per row; the same seed gives the same draws, another seed others", () => {
    const d = drawPermutations(50, 7, { seed: 42, permutations: 199 });
    expect(d.width).toBe(8);
    for (let p = 0; p < 199; p++) {
      const row = Array.from(d.indices.subarray(p * 8, p * 8 + 8));
      expect(new Set(row).size).toBe(8);
      expect(row.every((v) => v >= 0 && v < 50)).toBe(true);
    }
    expect(d.occurrences.length).toBe(199 * 8);
    for (let a = 0; a < 50; a++)
      for (let t = d.occurrenceOffsets[a]!; t < d.occurrenceOffsets[a + 1]!; t++)
        expect(d.indices[d.occurrences[t]!]).toBe(a);
    expect(Array.from(drawPermutations(50, 7, { seed: 42, permutations: 199 }).indices)).toEqual(
      Array.from(d.indices),
    );
    expect(Array.from(drawPermutations(50, 7, { seed: 43, permutations: 199 }).indices)).not.toEqual(
      Array.from(d.indices),
    );
    expect(() => drawPermutations(5, 5, { seed: 1 })).toThrow(/too few/);
  });

  it("same seed ⇒ same p-values; different seed ⇒ different p-values", () => {
    const nb = queenContiguity(grid(8, 8));
    const w = spatialWeights(nb, "W");
    const x = normals(64, 11);
    const run = (seed: number) => localMoranPermutation(x, w, drawPermutations(64, 9, { seed }));
    const a = run(5);
    expect(Array.from(run(5).pFolded)).toEqual(Array.from(a.pFolded));
    expect(Array.from(run(6).pFolded)).not.toEqual(Array.from(a.pFolded));
  });

  function checkSame(fast: PermutationTest, direct: PermutationTest): void {
    expect(Array.from(fast.countHigh)).toEqual(Array.from(direct.countHigh));
    expect(Array.from(fast.countLow)).toEqual(Array.from(direct.countLow));
    closeArrays(fast.mean, direct.mean, 1e-9, "mean");
    closeArrays(fast.variance, direct.variance, 1e-7, "variance");
  }

  it("the sorted fast path counts exactly as direct evaluation (integer data, so ties are exact)", () => {
    fc.assert(
      fc.property(
        randomGraph,
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom(5, 10, 1000),
        (lists, seed, spread) => {
          const nb = graphFrom(lists);
          const u = lcg(seed);
          // Positive integers: ties are exact, and G (a ratio to the sum of the other values) is defined
          // only for non-negative data (with negatives Σ_{j≠i} x_j can be 0 and rounding explodes).
          const x = Array.from({ length: nb.n }, () => Math.floor(u() * spread) + 1);
          if (new Set(x).size < 2) return;
          const self = includeSelf(nb);
          const draws = drawPermutations(nb.n, maxCardinality(self), { seed, permutations: 99 });
          for (const style of ["W", "B"] as const) {
            const w = spatialWeights(nb, style);
            const ws = spatialWeights(self, style);
            checkSame(
              localMoranPermutation(x, w, draws),
              localMoranPermutation(x, w, draws, { method: "direct" }),
            );
            checkSame(localGPermutation(x, ws, draws), localGPermutation(x, ws, draws, { method: "direct" }));
            checkSame(localGPermutation(x, w, draws), localGPermutation(x, w, draws, { method: "direct" }));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("p-values: pFolded from countHigh, both tails cover all permutations, all in [1/(P+1), 1]", () => {
    fc.assert(
      fc.property(randomGraph, fc.integer({ min: 1, max: 1_000_000 }), (lists, seed) => {
        const nb = graphFrom(lists);
        const x = normals(nb.n, seed);
        const P = 199;
        const r = localMoranPermutation(
          x,
          spatialWeights(nb, "W"),
          drawPermutations(nb.n, maxCardinality(nb), { seed, permutations: P }),
        );
        for (let i = 0; i < nb.n; i++) {
          const h = r.countHigh[i]!;
          expect(r.pFolded[i]).toBe((Math.min(h, P - h) + 1) / (P + 1));
          expect(h + r.countLow[i]!).toBeGreaterThanOrEqual(P);
          for (const p of [r.pHigh[i]!, r.pLow[i]!, r.pFolded[i]!]) {
            expect(p).toBeGreaterThanOrEqual(1 / (P + 1));
            expect(p).toBeLessThanOrEqual(1);
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it("permutation mean and variance match the exact moments of conditional randomisation", () => {
    // Drawing c of the other n − 1 values without replacement has exactly spdep's conditional
    // E[Iᵢ] and Var[Iᵢ]; for Gi* (all c positions drawn) E = c·w·x̄₋ᵢ/Σx and
    // Var = (w/Σx)²·c·σ²₋ᵢ·(n − 1 − c)/(n − 2).
    const nb = queenContiguity(grid(12, 12));
    const n = nb.n;
    const P = 4999;
    const x = normals(n, 99).map((v) => 20 + 5 * v);
    const w = spatialWeights(nb, "W");
    const ws = spatialWeights(includeSelf(nb), "W");
    const draws = drawPermutations(n, maxCardinality(ws), { seed: 2024, permutations: P });
    const analytic = localMoran(x, w);
    const perm = localMoranPermutation(x, w, draws);
    const varTolerance = 6 * Math.sqrt(2 / (P - 1)); // ~12 % relative: 6 SE of a sample variance
    for (let i = 0; i < n; i++) {
      const se = Math.sqrt(analytic.variance[i]! / P);
      expect(Math.abs(perm.mean[i]! - analytic.expected[i]!)).toBeLessThanOrEqual(5 * se);
      expect(Math.abs(perm.variance[i]! / analytic.variance[i]! - 1)).toBeLessThanOrEqual(varTolerance);
    }
    const g = localGPermutation(x, ws, draws);
    const total = x.reduce((s, v) => s + v, 0);
    const card = cardinalities(ws);
    for (let i = 0; i < n; i++) {
      const c = card[i]!;
      const others = x.filter((_, j) => j !== i);
      const m = others.reduce((s, v) => s + v, 0) / (n - 1);
      const s2 = others.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1);
      const mean = (c * m) / c / total;
      const variance = (1 / (c * total)) ** 2 * c * s2 * ((n - 1 - c) / (n - 2));
      expect(Math.abs(g.mean[i]! - mean)).toBeLessThanOrEqual(5 * Math.sqrt(variance / P));
      expect(Math.abs(g.variance[i]! / variance - 1)).toBeLessThanOrEqual(varTolerance);
    }
  });

  it("under the null, about 5 % of one-sided p-values fall below 0.05; a planted cluster is found", () => {
    const rows = 30;
    const nb = queenContiguity(grid(rows, rows));
    const w = spatialWeights(nb, "W");
    const ws = spatialWeights(includeSelf(nb), "W");
    const draws = drawPermutations(nb.n, maxCardinality(ws), { seed: 77 });
    const nulls = [1, 2, 3, 4].map((s) => normals(nb.n, s));
    const results = localMoranPermutations(nulls, w, draws);
    const share = results.flatMap((r) => Array.from(r.pHigh)).filter((p) => p <= 0.05).length / (4 * nb.n);
    expect(share).toBeGreaterThan(0.025);
    expect(share).toBeLessThan(0.08);
    // A 5 × 5 block raised by 3 SD in the middle of noise: its inner 3 × 3 cells are HH clusters
    // (Moran) and hot spots (Gi*) at p ≤ 0.01.
    const x = normals(nb.n, 12);
    const block: number[] = [];
    for (let r = 10; r < 15; r++) for (let c = 10; c < 15; c++) x[r * rows + c]! += 3;
    for (let r = 11; r < 14; r++) for (let c = 11; c < 14; c++) block.push(r * rows + c);
    const moran = localMoranPermutation(x, w, draws);
    const quadrant = localMoran(x, w).quadrant;
    const gstar = localGPermutation(x, ws, draws);
    for (const i of block) {
      expect(quadrant[i]).toBe(QUADRANT.HH);
      expect(moran.pHigh[i]).toBeLessThanOrEqual(0.01);
      expect(gstar.pHigh[i]).toBeLessThanOrEqual(0.01);
      expect(gstar.pLow[i]).toBeGreaterThan(0.9);
    }
  });

  it("islands get NaN p-values; weights with more neighbours than the draws serve are refused", () => {
    const nb = queenContiguity([...grid(3, 3), square(40, 40)]);
    const w = spatialWeights(nb, "W");
    const r = localMoranPermutation(
      normals(10, 1),
      w,
      drawPermutations(10, 8, { seed: 1, permutations: 99 }),
    );
    expect(Number.isNaN(r.pFolded[9])).toBe(true);
    expect(r.countHigh[9]).toBe(0);
    expect(() => localMoranPermutation(normals(10, 1), w, drawPermutations(10, 3, { seed: 1 }))).toThrow(
      /serve at most/,
    );
  });
});
