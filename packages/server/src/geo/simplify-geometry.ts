/**
 * Geometry preparation for serving: simplification per level (turf's Douglas–Peucker), coordinates
 * rounded to 5 decimals (~1 m) and a bounding box for zooming. Sizes matter: a buurt layer of a whole
 * country must stay small enough for a phone.
 */
import simplify from "@turf/simplify";
import type { AreaLevel } from "@wijkradar/core";
import type { Geometry, Position } from "geojson";

/** Douglas–Peucker tolerance in degrees per level (~1 degree latitude = 111 km). */
const TOLERANCE: Readonly<Record<AreaLevel, number>> = {
  land: 0.002,
  gemeente: 0.0005,
  wijk: 0.0002,
  buurt: 0.0001,
  pc4: 0.0001,
  pc6: 0.00005,
};

export interface PreparedGeometry {
  readonly full: string;
  readonly simplified: string;
  readonly bbox: readonly [number, number, number, number];
}

const round = (n: number): number => Math.round(n * 1e5) / 1e5;

function mapPositions(g: Geometry, f: (p: Position) => Position): Geometry {
  switch (g.type) {
    case "Point":
      return { type: "Point", coordinates: f(g.coordinates) };
    case "Polygon":
      return { type: "Polygon", coordinates: g.coordinates.map((r) => r.map(f)) };
    case "MultiPolygon":
      return { type: "MultiPolygon", coordinates: g.coordinates.map((p) => p.map((r) => r.map(f))) };
    default:
      return g;
  }
}

function bboxOf(g: Geometry): [number, number, number, number] {
  const box: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  mapPositions(g, (p) => {
    box[0] = Math.min(box[0], p[0]!);
    box[1] = Math.min(box[1], p[1]!);
    box[2] = Math.max(box[2], p[0]!);
    box[3] = Math.max(box[3], p[1]!);
    return p;
  });
  return box;
}

/** Drops repeated consecutive positions and rings that collapse below 4 positions (quantised input). */
function cleanRing(ring: Position[]): Position[] | undefined {
  const out: Position[] = [];
  for (const p of ring) {
    const last = out[out.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push(p);
  }
  return out.length >= 4 ? out : undefined;
}

function cleanPolygon(rings: Position[][]): Position[][] | undefined {
  const outer = rings[0] && cleanRing(rings[0]);
  if (!outer) return undefined;
  return [
    outer,
    ...rings
      .slice(1)
      .map(cleanRing)
      .filter((r): r is Position[] => r !== undefined),
  ];
}

/** Removes degenerate parts; returns null when nothing of the geometry is left. */
export function cleanGeometry(g: Geometry): Geometry | null {
  if (g.type === "Polygon") {
    const p = cleanPolygon(g.coordinates);
    return p ? { type: "Polygon", coordinates: p } : null;
  }
  if (g.type === "MultiPolygon") {
    const polys = g.coordinates.map(cleanPolygon).filter((p): p is Position[][] => p !== undefined);
    return polys.length ? { type: "MultiPolygon", coordinates: polys } : null;
  }
  return g;
}

/**
 * Prepares one geometry for storage: the full (rounded, cleaned) one and a simplified one for maps.
 * Returns null when the geometry collapses entirely at 5-decimal precision.
 */
export function prepareGeometry(geometry: Geometry, level: AreaLevel): PreparedGeometry | null {
  const full = cleanGeometry(mapPositions(geometry, (p) => [round(p[0]!), round(p[1]!)]));
  if (!full) return null;
  let simplified: Geometry = full;
  if (full.type !== "Point") {
    try {
      simplified =
        cleanGeometry(simplify(full, { tolerance: TOLERANCE[level], highQuality: false, mutate: false })) ??
        full;
    } catch {
      // A ring that simplification would collapse: keep the cleaned full geometry.
      simplified = full;
    }
  }
  return { full: JSON.stringify(full), simplified: JSON.stringify(simplified), bbox: bboxOf(full) };
}
