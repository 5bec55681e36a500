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

/** Prepares one geometry for storage: the full (rounded) one and a simplified one for maps. */
export function prepareGeometry(geometry: Geometry, level: AreaLevel): PreparedGeometry {
  const full = mapPositions(geometry, (p) => [round(p[0]!), round(p[1]!)]);
  const simplified =
    full.type === "Point" ? full : simplify(full, { tolerance: TOLERANCE[level], highQuality: false, mutate: false });
  return { full: JSON.stringify(full), simplified: JSON.stringify(simplified), bbox: bboxOf(full) };
}
