/**
 * Spatial weights from geometry for the space detectors (docs/methods.md, "Space: Local Moran's I and
 * Gi*"): queen contiguity from shared boundary points (as spdep::poly2nb(queen = TRUE)), k nearest
 * neighbours by great-circle distance between representative points (as spdep::knearneigh with
 * longlat = TRUE), GEOS-compatible planar centroids, and the compressed sparse row (CSR) form with
 * row-standardised ("W") or binary ("B") weights that the local statistics read.
 *
 * Coordinates are GeoJSON longitude/latitude (EPSG:4326). Areas are numbered 0..n−1 in input order.
 */

/** A GeoJSON position: [longitude, latitude]. */
export type Position = readonly number[];
/** A closed ring of positions (first equals last). */
export type Ring = readonly Position[];
/** GeoJSON Polygon geometry: an outer ring followed by holes. */
export interface PolygonGeometry {
  readonly type: "Polygon";
  readonly coordinates: readonly Ring[];
}
/** GeoJSON MultiPolygon geometry. */
export interface MultiPolygonGeometry {
  readonly type: "MultiPolygon";
  readonly coordinates: readonly (readonly Ring[])[];
}
/** The area geometries the weights are built from. */
export type ArealGeometry = PolygonGeometry | MultiPolygonGeometry;

/**
 * Neighbour lists in compressed sparse row form: the neighbours of area i are
 * `neighbours[offsets[i] .. offsets[i + 1])`, ascending, without duplicates.
 */
export interface Neighbours {
  readonly n: number;
  /** Length n + 1. */
  readonly offsets: Int32Array;
  readonly neighbours: Int32Array;
  /** True when every area lists itself (spdep include.self; Getis–Ord Gi*). */
  readonly selfIncluded: boolean;
  /** Areas without any neighbour other than themselves, ascending (spdep "no-neighbour" regions). */
  readonly islands: Int32Array;
}

/** Weighting style, as spdep::nb2listw: "W" row-standardised (1/cardinality), "B" binary (1). */
export type WeightStyle = "W" | "B";

/** Neighbours with a weight per link, aligned with `neighbours`. */
export interface SpatialWeights extends Neighbours {
  readonly style: WeightStyle;
  readonly weights: Float64Array;
}

/** spdep's default snap for poly2nb: sqrt(.Machine$double.eps). */
export const DEFAULT_SNAP = Math.sqrt(Number.EPSILON);

function buildNeighbours(offsets: Int32Array, neighbours: Int32Array, selfIncluded: boolean): Neighbours {
  const n = offsets.length - 1;
  const islands: number[] = [];
  for (let i = 0; i < n; i++) {
    const size = (offsets[i + 1] as number) - (offsets[i] as number);
    if (size === 0 || (selfIncluded && size === 1)) islands.push(i);
  }
  return { n, offsets, neighbours, selfIncluded, islands: Int32Array.from(islands) };
}

/**
 * Neighbours from plain lists (0-based area indices), e.g. neighbour lists written by R. Lists are
 * sorted; duplicates, indices out of range and self-links (unless `selfIncluded`) are rejected.
 */
export function neighboursFromLists(
  lists: readonly (readonly number[])[],
  options: { selfIncluded?: boolean } = {},
): Neighbours {
  const selfIncluded = options.selfIncluded ?? false;
  const n = lists.length;
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++)
    offsets[i + 1] = (offsets[i] as number) + (lists[i] as readonly number[]).length;
  const neighbours = new Int32Array(offsets[n] as number);
  for (let i = 0; i < n; i++) {
    const row = Int32Array.from(lists[i] as readonly number[]).sort();
    for (let k = 0; k < row.length; k++) {
      const j = row[k] as number;
      if (!Number.isInteger(j) || j < 0 || j >= n)
        throw new RangeError(`area ${i}: neighbour ${j} is out of range`);
      if (k > 0 && row[k - 1] === j) throw new RangeError(`area ${i}: neighbour ${j} is listed twice`);
    }
    if (selfIncluded !== row.includes(i))
      throw new RangeError(`area ${i}: ${selfIncluded ? "must" : "must not"} list itself`);
    neighbours.set(row, offsets[i]);
  }
  return buildNeighbours(offsets, neighbours, selfIncluded);
}

/** The neighbour lists as plain arrays (0-based). */
export function neighbourLists(nb: Neighbours): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < nb.n; i++)
    out.push(Array.from(nb.neighbours.subarray(nb.offsets[i] as number, nb.offsets[i + 1] as number)));
  return out;
}

/** Number of neighbours of every area (self included when it is). */
export function cardinalities(nb: Neighbours): Int32Array {
  const card = new Int32Array(nb.n);
  for (let i = 0; i < nb.n; i++) card[i] = (nb.offsets[i + 1] as number) - (nb.offsets[i] as number);
  return card;
}

/** The largest number of neighbours of any area. */
export function maxCardinality(nb: Neighbours): number {
  let max = 0;
  for (let i = 0; i < nb.n; i++)
    max = Math.max(max, (nb.offsets[i + 1] as number) - (nb.offsets[i] as number));
  return max;
}

/** Rows from per-area lists that are already sorted and free of duplicates. */
function fromSortedRows(n: number, rows: readonly Int32Array[], selfIncluded: boolean): Neighbours {
  const offsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = (offsets[i] as number) + (rows[i] as Int32Array).length;
  const neighbours = new Int32Array(offsets[n] as number);
  for (let i = 0; i < n; i++) neighbours.set(rows[i] as Int32Array, offsets[i]);
  return buildNeighbours(offsets, neighbours, selfIncluded);
}

/** Adds every area to its own neighbours (spdep::include.self), for Getis–Ord Gi*. */
export function includeSelf(nb: Neighbours): Neighbours {
  if (nb.selfIncluded) throw new RangeError("self is already included");
  const rows: Int32Array[] = [];
  for (let i = 0; i < nb.n; i++) {
    const row = nb.neighbours.subarray(nb.offsets[i], nb.offsets[i + 1]);
    const out = new Int32Array(row.length + 1);
    out.set(row);
    out[row.length] = i;
    rows.push(out.sort());
  }
  return fromSortedRows(nb.n, rows, true);
}

/** True when j lists i whenever i lists j (binary symmetry, as spdep::is.symmetric.nb). */
export function isSymmetric(nb: Neighbours): boolean {
  for (let i = 0; i < nb.n; i++) {
    for (let k = nb.offsets[i] as number; k < (nb.offsets[i + 1] as number); k++) {
      const j = nb.neighbours[k] as number;
      if (!hasLink(nb, j, i)) return false;
    }
  }
  return true;
}

function hasLink(nb: Neighbours, i: number, j: number): boolean {
  let lo = nb.offsets[i] as number;
  let hi = (nb.offsets[i + 1] as number) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = nb.neighbours[mid] as number;
    if (v === j) return true;
    if (v < j) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** The symmetric union: j is a neighbour of i when i lists j or j lists i (spdep::make.sym.nb). */
export function symmetrise(nb: Neighbours): Neighbours {
  const lists: number[][] = neighbourLists(nb);
  for (let i = 0; i < nb.n; i++) {
    for (let k = nb.offsets[i] as number; k < (nb.offsets[i + 1] as number); k++) {
      const j = nb.neighbours[k] as number;
      if (!hasLink(nb, j, i)) (lists[j] as number[]).push(i);
    }
  }
  return neighboursFromLists(lists, { selfIncluded: nb.selfIncluded });
}

/**
 * The neighbours among a subset of the areas (spdep subset.nb): areas with `keep[i]` true are
 * renumbered in order; links to dropped areas disappear, so new islands can appear (reported in
 * `islands`). `index[newIndex]` is the old index.
 */
export function subsetNeighbours(
  nb: Neighbours,
  keep: ArrayLike<boolean>,
): { neighbours: Neighbours; index: Int32Array } {
  if (keep.length !== nb.n) throw new RangeError(`keep has ${keep.length} entries for ${nb.n} areas`);
  const renumber = new Int32Array(nb.n).fill(-1);
  const index: number[] = [];
  for (let i = 0; i < nb.n; i++) if (keep[i]) renumber[i] = index.push(i) - 1;
  const rows: Int32Array[] = [];
  for (const i of index) {
    const row: number[] = [];
    for (let k = nb.offsets[i] as number; k < (nb.offsets[i + 1] as number); k++) {
      const j = renumber[nb.neighbours[k] as number] as number;
      if (j >= 0) row.push(j);
    }
    rows.push(Int32Array.from(row)); // old order is ascending, renumbering keeps it
  }
  return { neighbours: fromSortedRows(index.length, rows, nb.selfIncluded), index: Int32Array.from(index) };
}

/**
 * Weights for neighbour lists (spdep::nb2listw with zero.policy = TRUE): style "W" gives every
 * neighbour of i the weight 1/|N(i)|, "B" gives 1. Islands get no weights.
 */
export function spatialWeights(nb: Neighbours, style: WeightStyle = "W"): SpatialWeights {
  const weights = new Float64Array(nb.neighbours.length);
  for (let i = 0; i < nb.n; i++) {
    const lo = nb.offsets[i] as number;
    const hi = nb.offsets[i + 1] as number;
    weights.fill(style === "W" ? 1 / (hi - lo) : 1, lo, hi);
  }
  return { ...nb, style, weights };
}

// ---------------------------------------------------------------------------------------------
// Queen contiguity

/** Calls `visit(ring)` for every ring of a Polygon or MultiPolygon. */
function forEachRing(g: ArealGeometry, visit: (ring: Ring, isShell: boolean) => void): void {
  const polygons = g.type === "Polygon" ? [g.coordinates] : g.coordinates;
  for (const polygon of polygons) polygon.forEach((ring, r) => visit(ring, r === 0));
}

/**
 * Open-addressing hash from a grid cell (two integer-valued doubles, or exact coordinates when the
 * snap is 0) to a chain of vertices. Doubles are hashed through their bit patterns.
 */
class CellHash {
  private readonly mask: number;
  private readonly keyX: Float64Array;
  private readonly keyY: Float64Array;
  readonly head: Int32Array;
  private readonly f64 = new Float64Array(2);
  private readonly u32 = new Uint32Array(this.f64.buffer);

  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.mask = size - 1;
    this.keyX = new Float64Array(size);
    this.keyY = new Float64Array(size);
    this.head = new Int32Array(size).fill(-1);
  }

  /** Slot of the cell (an empty slot with head −1 when it is not there yet). */
  slot(x: number, y: number): number {
    this.f64[0] = x + 0; // −0 and +0 hash alike
    this.f64[1] = y + 0;
    const u = this.u32;
    let h = Math.imul((u[0] as number) ^ Math.imul(u[1] as number, 0x9e3779b1), 0x85ebca6b);
    h ^= Math.imul((u[2] as number) ^ Math.imul(u[3] as number, 0xc2b2ae35), 0x27d4eb2f);
    h ^= h >>> 15;
    let s = h & this.mask;
    for (;;) {
      if (this.head[s] === -1 || (this.keyX[s] === x && this.keyY[s] === y)) return s;
      s = (s + 1) & this.mask;
    }
  }

  claim(s: number, x: number, y: number): void {
    this.keyX[s] = x;
    this.keyY[s] = y;
  }
}

/**
 * Queen contiguity (spdep::poly2nb(queen = TRUE, snap)): two areas are neighbours when a boundary
 * vertex of one lies within `snap` (Euclidean, in degrees) of a boundary vertex of the other. Only
 * vertices are compared, as in spdep; TopoJSON-derived geometry shares its arcs' vertices exactly.
 * Vertices go into a hash grid of cells 2·snap wide (at least 2⁻⁴⁰ of the largest coordinate), so
 * each vertex is compared only with the vertices of at most four cells. Areas without geometry (null) and areas that touch nothing are
 * islands, listed in `islands`.
 *
 * @param options.snap distance in degrees within which two vertices count as one; default
 *   sqrt(machine epsilon) ≈ 1.5e-8, spdep's default; 0 means exactly equal coordinates.
 */
export function queenContiguity(
  geometries: readonly (ArealGeometry | null | undefined)[],
  options: { snap?: number } = {},
): Neighbours {
  const snap = options.snap ?? DEFAULT_SNAP;
  if (!(snap >= 0) || !Number.isFinite(snap)) throw new RangeError(`snap must be ≥ 0, got ${snap}`);
  const n = geometries.length;
  // Flatten the vertices, grouped by area.
  let count = 0;
  for (const g of geometries) if (g) forEachRing(g, (ring) => (count += ring.length));
  const xs = new Float64Array(count);
  const ys = new Float64Array(count);
  const start = new Int32Array(n + 1);
  let v = 0;
  geometries.forEach((g, i) => {
    if (g)
      forEachRing(g, (ring) => {
        for (const p of ring) {
          const x = p[0] as number;
          const y = p[1] as number;
          if (!Number.isFinite(x) || !Number.isFinite(y))
            throw new RangeError(`area ${i}: coordinates must be finite, got [${x}, ${y}]`);
          xs[v] = x;
          ys[v] = y;
          v++;
        }
      });
    start[i + 1] = v;
  });
  const owner = new Int32Array(count);
  for (let i = 0; i < n; i++) owner.fill(i, start[i], start[i + 1]);

  // Cells at least 2·snap wide, so the square of side 2·snap around a vertex meets at most four.
  // A larger cell is always correct (only more candidates): the floor keeps cell numbers exact
  // integers (below 2^53) for a tiny or zero snap.
  let maxAbs = 1;
  for (let k = 0; k < count; k++)
    maxAbs = Math.max(maxAbs, Math.abs(xs[k] as number), Math.abs(ys[k] as number));
  const cell = Math.max(2 * snap, maxAbs * 2 ** -40);
  const cellOf = (c: number) => Math.floor(c / cell);
  const hash = new CellHash(count);
  const next = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const cx = cellOf(xs[k] as number);
    const cy = cellOf(ys[k] as number);
    const s = hash.slot(cx, cy);
    if (hash.head[s] === -1) hash.claim(s, cx, cy);
    next[k] = hash.head[s] as number;
    hash.head[s] = k;
  }

  // A little slack so that a vertex exactly `snap` away is not lost to rounding of the cell bounds.
  const reach = snap * (1 + 1e-9);
  const mark = new Int32Array(n).fill(-1);
  const rows: Int32Array[] = [];
  const found: number[] = [];
  for (let i = 0; i < n; i++) {
    found.length = 0;
    for (let k = start[i] as number; k < (start[i + 1] as number); k++) {
      const x = xs[k] as number;
      const y = ys[k] as number;
      const x0 = cellOf(x - reach);
      const x1 = cellOf(x + reach);
      const y0 = cellOf(y - reach);
      const y1 = cellOf(y + reach);
      for (let cx = x0; cx <= x1; cx++) {
        for (let cy = y0; cy <= y1; cy++) {
          for (let u = hash.head[hash.slot(cx, cy)] as number; u !== -1; u = next[u] as number) {
            const j = owner[u] as number;
            if (j === i || mark[j] === i) continue;
            // spdep polypolyC: |dx| ≤ snap, |dy| ≤ snap, then hypot(dx, dy) ≤ snap.
            const dx = x - (xs[u] as number);
            if (Math.abs(dx) > snap) continue;
            const dy = y - (ys[u] as number);
            if (Math.abs(dy) > snap) continue;
            if (Math.hypot(dx, dy) <= snap) {
              mark[j] = i;
              found.push(j);
            }
          }
        }
      }
    }
    rows.push(Int32Array.from(found).sort());
  }
  return fromSortedRows(n, rows, false);
}

// ---------------------------------------------------------------------------------------------
// Centroids (GEOS Centroid, as sf::st_centroid with sf_use_s2(FALSE))

const BIG_SCALE = 1074n;

/** A finite double as an exact integer times 2^−1074. */
function exactBig(d: number): bigint {
  if (d === 0) return 0n;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, d);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const exponent = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (exponent !== 0) mantissa |= 1n << 52n;
  const shift = BigInt(Math.max(exponent, 1) - 1075) + BIG_SCALE;
  const value = mantissa << shift;
  return d < 0 ? -value : value;
}

/**
 * Orientation of q relative to the directed line p1→p2: 1 left (counter-clockwise), −1 right, 0
 * collinear, exact (floating-point filter, exact integer arithmetic when the filter cannot decide),
 * as GEOS's CGAlgorithmsDD::orientationIndex.
 */
function orientationIndex(p1: Position, p2: Position, q: Position): number {
  const [ax, ay] = p1 as [number, number];
  const [bx, by] = p2 as [number, number];
  const [cx, cy] = q as [number, number];
  const left = (bx - ax) * (cy - ay);
  const right = (by - ay) * (cx - ax);
  const det = left - right;
  // Shewchuk's orient2d error bound (3 + 16ε)ε·(|left| + |right|).
  const bound = 3.3306690738754716e-16 * (Math.abs(left) + Math.abs(right));
  if (det > bound) return 1;
  if (-det > bound) return -1;
  const X = (v: number) => exactBig(v);
  const e = (X(bx) - X(ax)) * (X(cy) - X(ay)) - (X(by) - X(ay)) * (X(cx) - X(ax));
  return e > 0n ? 1 : e < 0n ? -1 : 0;
}

/** GEOS/JTS Orientation::isCCW: the ring's orientation from its highest "cap". */
function isCCW(ring: Ring): boolean {
  const nPts = ring.length - 1;
  if (nPts < 3) return false;
  const y = (i: number) => (ring[i] as Position)[1] as number;
  const same = (a: Position, b: Position) => a[0] === b[0] && a[1] === b[1];
  let upHi = ring[0] as Position;
  let prevY = y(0);
  let upLow: Position | undefined;
  let iUpHi = 0;
  for (let i = 1; i <= nPts; i++) {
    const py = y(i);
    if (py > prevY && py >= (upHi[1] as number)) {
      upHi = ring[i] as Position;
      iUpHi = i;
      upLow = ring[i - 1];
    }
    prevY = py;
  }
  if (iUpHi === 0 || upLow === undefined) return false;
  let iDownLow = iUpHi;
  do {
    iDownLow = (iDownLow + 1) % nPts;
  } while (iDownLow !== iUpHi && y(iDownLow) === upHi[1]);
  const downLow = ring[iDownLow] as Position;
  const downHi = ring[iDownLow > 0 ? iDownLow - 1 : nPts - 1] as Position;
  if (same(upHi, downHi)) {
    if (same(upLow, upHi) || same(downLow, upHi) || same(upLow, downLow)) return false;
    return orientationIndex(upLow, upHi, downLow) === 1;
  }
  return (downHi[0] as number) - (upHi[0] as number) < 0;
}

/** Tolerance in degrees for "the centroid lies outside the bounding box". */
const BBOX_SLACK = 1e-9;

/**
 * Planar centroid of a Polygon or MultiPolygon in longitude/latitude, computed as GEOS's Centroid
 * (sf::st_centroid with sf_use_s2(FALSE)): area-weighted over triangles fanned from the first vertex
 * of each shell (holes subtract); for a geometry of zero area the length-weighted centroid of its
 * boundary, and for zero length the mean of its ring start points. Returns [lon, lat].
 *
 * One deliberate difference: when the area-weighted centroid falls outside the geometry's bounding
 * box (more than 1e-9° — possible only for self-intersecting rings whose lobes cancel, e.g. 9 of the
 * 11,691 quantised 2014 buurten, two of them at a longitude of ±1e10), the boundary's centroid is
 * returned instead, as st_centroid(st_cast(g, "MULTILINESTRING")) in R.
 */
export function polygonCentroid(geometry: ArealGeometry): [number, number] {
  let baseX = 0;
  let baseY = 0;
  let cg3x = 0;
  let cg3y = 0;
  let areasum2 = 0;
  let lineX = 0;
  let lineY = 0;
  let totalLength = 0;
  let ptX = 0;
  let ptY = 0;
  let ptCount = 0;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  forEachRing(geometry, (ring, isShell) => {
    const len = ring.length;
    if (len === 0) return;
    for (const p of ring) {
      minX = Math.min(minX, p[0] as number);
      maxX = Math.max(maxX, p[0] as number);
      minY = Math.min(minY, p[1] as number);
      maxY = Math.max(maxY, p[1] as number);
    }
    if (isShell) {
      baseX = (ring[0] as Position)[0] as number;
      baseY = (ring[0] as Position)[1] as number;
    }
    const ccw = isCCW(ring);
    const sign = (isShell ? !ccw : ccw) ? 1 : -1;
    for (let i = 0; i < len - 1; i++) {
      const p1 = ring[i] as Position;
      const p2 = ring[i + 1] as Position;
      const x1 = p1[0] as number;
      const y1 = p1[1] as number;
      const x2 = p2[0] as number;
      const y2 = p2[1] as number;
      // GEOS addTriangle: centroid3 × area2 of (base, p1, p2).
      const cx = baseX + x1 + x2;
      const cy = baseY + y1 + y2;
      const area2 = (x1 - baseX) * (y2 - baseY) - (x2 - baseX) * (y1 - baseY);
      cg3x += sign * area2 * cx;
      cg3y += sign * area2 * cy;
      areasum2 += sign * area2;
    }
    // GEOS addLineSegments
    let lineLen = 0;
    for (let i = 0; i < len - 1; i++) {
      const p1 = ring[i] as Position;
      const p2 = ring[i + 1] as Position;
      const dx = (p1[0] as number) - (p2[0] as number);
      const dy = (p1[1] as number) - (p2[1] as number);
      const segmentLen = Math.sqrt(dx * dx + dy * dy);
      if (segmentLen === 0) continue;
      lineLen += segmentLen;
      lineX += segmentLen * (((p1[0] as number) + (p2[0] as number)) / 2);
      lineY += segmentLen * (((p1[1] as number) + (p2[1] as number)) / 2);
    }
    totalLength += lineLen;
    if (lineLen === 0) {
      ptX += (ring[0] as Position)[0] as number;
      ptY += (ring[0] as Position)[1] as number;
      ptCount++;
    }
  });
  if (Math.abs(areasum2) > 0) {
    const x = cg3x / 3 / areasum2;
    const y = cg3y / 3 / areasum2;
    const inside =
      x >= minX - BBOX_SLACK && x <= maxX + BBOX_SLACK && y >= minY - BBOX_SLACK && y <= maxY + BBOX_SLACK;
    if (inside || !(totalLength > 0)) return [x, y];
  }
  if (totalLength > 0) return [lineX / totalLength, lineY / totalLength];
  if (ptCount > 0) return [ptX / ptCount, ptY / ptCount];
  return [NaN, NaN];
}

/** Centroids of many areas as two arrays; NaN for areas without geometry. */
export function centroids(geometries: readonly (ArealGeometry | null | undefined)[]): {
  lon: Float64Array;
  lat: Float64Array;
} {
  const lon = new Float64Array(geometries.length).fill(NaN);
  const lat = new Float64Array(geometries.length).fill(NaN);
  geometries.forEach((g, i) => {
    if (g) [lon[i], lat[i]] = polygonCentroid(g);
  });
  return { lon, lat };
}

// ---------------------------------------------------------------------------------------------
// k nearest neighbours

const DE2RA = Math.PI / 180;
const WGS84_A = 6378.137;
const WGS84_F = 1 / 298.257223563;

/**
 * Distance in km between two longitude/latitude points on the WGS84 ellipsoid by Lambert's/Andoyer's
 * formula, exactly as spdep's and sp's C `gcdist` (used by knearneigh and nbdists with longlat = TRUE;
 * error against the geodesic of order f² ≈ 1e-5).
 */
export function greatCircleDistance(lon1: number, lat1: number, lon2: number, lat2: number): number {
  if (Math.abs(lat1 - lat2) < Number.EPSILON) {
    if (Math.abs(lon1 - lon2) < Number.EPSILON) return 0;
    if (Math.abs(Math.abs(lon1) + Math.abs(lon2) - 360) < Number.EPSILON) return 0;
  }
  const F = (lat1 * DE2RA + lat2 * DE2RA) / 2;
  const G = (lat1 * DE2RA - lat2 * DE2RA) / 2;
  const L = (lon1 * DE2RA - lon2 * DE2RA) / 2;
  const sinG = Math.sin(G);
  const cosG = Math.cos(G);
  const sinF = Math.sin(F);
  const cosF = Math.cos(F);
  const sinL = Math.sin(L);
  const cosL = Math.cos(L);
  const sinG2 = sinG * sinG;
  const cosG2 = cosG * cosG;
  const sinF2 = sinF * sinF;
  const cosF2 = cosF * cosF;
  const sinL2 = sinL * sinL;
  const cosL2 = cosL * cosL;
  const S = sinG2 * cosL2 + cosF2 * sinL2;
  const C = cosG2 * cosL2 + sinF2 * sinL2;
  const w = Math.atan(Math.sqrt(S / C));
  const R = Math.sqrt(S * C) / w;
  const D = 2 * w * WGS84_A;
  const H1 = (3 * R - 1) / (2 * C);
  const H2 = (3 * R + 1) / (2 * S);
  return D * (1 + WGS84_F * H1 * sinF2 * cosG2 - WGS84_F * H2 * cosF2 * sinG2);
}

/**
 * Lower bound in km for `greatCircleDistance` from the chord between the points on the unit sphere
 * (geodetic coordinates taken as spherical). The ellipsoid's metric dominates a(1 − e²) times the
 * unit sphere's (the smallest meridional radius of curvature), and Andoyer's formula is within
 * ~1e-5 of the geodesic; the factor 0.99 leaves ample room for both.
 */
const KM_PER_RADIAN_BOUND = 0.99 * WGS84_A * (1 - WGS84_F * (2 - WGS84_F));

/**
 * The k nearest neighbours of every point by `greatCircleDistance` (spdep::knearneigh(x, k,
 * longlat = TRUE) on a coordinate matrix, then knn2nb): for each point the k other points with the
 * smallest distance; ties are broken by the lower index, as spdep's insertion sort does. Identical
 * points are each other's nearest neighbours at distance 0. The result is not symmetric in general
 * (see `symmetrise`).
 *
 * Points go into a grid of cubes on the unit sphere; the search visits shells of cubes around the
 * point until the k-th distance is below the lower bound for every unvisited cube, so the result is
 * the same as the brute-force O(n²) scan.
 */
export function kNearestNeighbours(lon: ArrayLike<number>, lat: ArrayLike<number>, k: number): Neighbours {
  const n = lon.length;
  if (lat.length !== n) throw new RangeError(`${n} longitudes but ${lat.length} latitudes`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  if (k >= n) throw new RangeError(`k (${k}) must be smaller than the number of points (${n})`);
  const px = new Float64Array(n);
  const py = new Float64Array(n);
  const pz = new Float64Array(n);
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    const lo = lon[i] as number;
    const la = lat[i] as number;
    if (!Number.isFinite(lo) || !Number.isFinite(la) || Math.abs(la) > 90)
      throw new RangeError(`point ${i}: not a longitude/latitude: [${lo}, ${la}]`);
    const c = Math.cos(la * DE2RA);
    const v = [c * Math.cos(lo * DE2RA), c * Math.sin(lo * DE2RA), Math.sin(la * DE2RA)] as const;
    px[i] = v[0];
    py[i] = v[1];
    pz[i] = v[2];
    for (let d = 0; d < 3; d++) {
      min[d] = Math.min(min[d] as number, v[d] as number);
      max[d] = Math.max(max[d] as number, v[d] as number);
    }
  }
  // Cube size: about two points per occupied cube on the (two-dimensional) surface patch, with the
  // number of cubes kept below ~8n.
  const ext = [0, 1, 2].map((d) => (max[d] as number) - (min[d] as number)).sort((a, b) => b - a);
  const area = Math.max((ext[0] as number) * (ext[1] as number), (ext[0] as number) ** 2 * 1e-6, 1e-18);
  let size = Math.max(Math.sqrt((area * 2) / n), 1e-9);
  const dims = () => [0, 1, 2].map((d) => Math.floor(((max[d] as number) - (min[d] as number)) / size) + 1);
  let [nx, ny, nz] = dims() as [number, number, number];
  while (nx * ny * nz > 8 * n + 64) {
    size *= 1.5;
    [nx, ny, nz] = dims() as [number, number, number];
  }
  const cellCoord = (value: number, d: number, dim: number) =>
    Math.min(dim - 1, Math.floor((value - (min[d] as number)) / size));
  const cx = new Int32Array(n);
  const cy = new Int32Array(n);
  const cz = new Int32Array(n);
  const cellStart = new Int32Array(nx * ny * nz + 1);
  for (let i = 0; i < n; i++) {
    cx[i] = cellCoord(px[i] as number, 0, nx);
    cy[i] = cellCoord(py[i] as number, 1, ny);
    cz[i] = cellCoord(pz[i] as number, 2, nz);
    const cell = (cx[i] as number) + nx * ((cy[i] as number) + ny * (cz[i] as number));
    cellStart[cell + 1]!++;
  }
  for (let c = 0; c < nx * ny * nz; c++) cellStart[c + 1]! += cellStart[c] as number;
  const fill = cellStart.slice(0, nx * ny * nz);
  const cellItems = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const cell = (cx[i] as number) + nx * ((cy[i] as number) + ny * (cz[i] as number));
    cellItems[fill[cell]!++] = i; // ascending i within a cell
  }

  const offsets = new Int32Array(n + 1);
  for (let i = 0; i <= n; i++) offsets[i] = i * k;
  const neighbours = new Int32Array(n * k);
  const bestD = new Float64Array(k);
  const bestJ = new Int32Array(k);
  const maxShell = Math.max(nx, ny, nz);
  for (let i = 0; i < n; i++) {
    bestD.fill(Infinity);
    bestJ.fill(-1);
    let found = 0;
    // Candidates with a chord above this cannot reach the k-th distance (nor tie with it).
    let chordLimit2 = Infinity;
    const xi = px[i] as number;
    const yi = py[i] as number;
    const zi = pz[i] as number;
    const lon1 = lon[i] as number;
    const lat1 = lat[i] as number;
    const consider = (j: number) => {
      const dx = xi - (px[j] as number);
      const dy = yi - (py[j] as number);
      const dz = zi - (pz[j] as number);
      if (dx * dx + dy * dy + dz * dz > chordLimit2) return;
      const d = greatCircleDistance(lon1, lat1, lon[j] as number, lat[j] as number);
      const last = k - 1;
      if (d > (bestD[last] as number) || (d === bestD[last] && j > (bestJ[last] as number))) return;
      let m = last;
      while (
        m > 0 &&
        (d < (bestD[m - 1] as number) || (d === bestD[m - 1] && j < (bestJ[m - 1] as number)))
      ) {
        bestD[m] = bestD[m - 1] as number;
        bestJ[m] = bestJ[m - 1] as number;
        m--;
      }
      bestD[m] = d;
      bestJ[m] = j;
      if (found < k) found++;
      if (found === k) {
        const angle = Math.min(Math.PI, (bestD[last] as number) / KM_PER_RADIAN_BOUND);
        const chord = 2 * Math.sin(angle / 2);
        chordLimit2 = chord * chord * (1 + 1e-12);
      }
    };
    const visitCell = (x: number, y: number, z: number) => {
      if (x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz) return;
      const cell = x + nx * (y + ny * z);
      for (let t = cellStart[cell] as number; t < (cellStart[cell + 1] as number); t++) {
        const j = cellItems[t] as number;
        if (j !== i) consider(j);
      }
    };
    const ix = cx[i] as number;
    const iy = cy[i] as number;
    const iz = cz[i] as number;
    for (let r = 0; r <= maxShell; r++) {
      for (let dz = -r; dz <= r; dz++) {
        for (let dy = -r; dy <= r; dy++) {
          const onFace = Math.abs(dz) === r || Math.abs(dy) === r;
          for (let dx = -r; dx <= r; dx += onFace || r === 0 ? 1 : 2 * r)
            visitCell(ix + dx, iy + dy, iz + dz);
        }
      }
      if (found === k) {
        // Every unvisited point differs by at least r cubes in some coordinate: chord ≥ r·size.
        const chord = Math.min(2, r * size);
        const bound = KM_PER_RADIAN_BOUND * 2 * Math.asin(chord / 2);
        if ((bestD[k - 1] as number) < bound) break;
      }
    }
    const row = bestJ.slice().sort();
    neighbours.set(row, i * k);
  }
  return buildNeighbours(offsets, neighbours, false);
}
