/**
 * Reads GeoJSON FeatureCollections and TopoJSON topologies into features, checking the structure
 * and geometry so that a malformed file is named precisely (feature number, property, position).
 * TopoJSON arcs are decoded by topojson-client.
 */
import { basename } from "node:path";
import type { Feature, FeatureCollection, Geometry, Position } from "geojson";
import { feature as topoFeature } from "topojson-client";
import type { Topology } from "topojson-specification";
import { InputError } from "../errors.js";

export interface GeoFeature {
  /** 1-based number of the feature in the file. */
  readonly index: number;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly geometry: Geometry | null;
}

export interface GeoTable {
  readonly columns: readonly string[];
  readonly features: readonly GeoFeature[];
}

/** Line and column of a character offset, for JSON syntax errors. */
function lineColumn(text: string, offset: number): string {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return `${line}:${offset - last}`;
}

function parseJson(text: string, file: string): unknown {
  if (text.trim() === "")
    throw new InputError(`${file}: the file is empty; expected a GeoJSON or TopoJSON object`);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg)?.[1];
    const where = pos ? `:${lineColumn(text, Number(pos))}` : "";
    throw new InputError(`${file}${where}: malformed JSON: ${msg}`, [], { cause: e });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function checkPosition(p: unknown, where: string): asserts p is Position {
  if (!Array.isArray(p) || p.length < 2 || !p.every((n) => typeof n === "number" && Number.isFinite(n)))
    throw new InputError(
      `${where}: a position must be [longitude, latitude] of finite numbers, got ${JSON.stringify(p)?.slice(0, 60)}`,
    );
  const [x, y] = p as number[];
  if (x! < -180 || x! > 180 || y! < -90 || y! > 90)
    throw new InputError(
      `${where}: position ${JSON.stringify(p)} is not WGS84 longitude/latitude (EPSG:4326); reproject the file first`,
    );
}

function checkRing(ring: unknown, where: string): void {
  if (!Array.isArray(ring) || ring.length < 4)
    throw new InputError(`${where}: a polygon ring needs at least 4 positions`);
  ring.forEach((p, i) => checkPosition(p, `${where}, position ${i + 1}`));
  const a = ring[0] as number[];
  const b = ring[ring.length - 1] as number[];
  if (a[0] !== b[0] || a[1] !== b[1])
    throw new InputError(`${where}: a polygon ring must end where it starts`);
}

/** Checks a GeoJSON geometry; `where` names the feature for the message. */
export function checkGeometry(g: unknown, where: string): Geometry | null {
  if (g === null) return null;
  if (!isObject(g)) throw new InputError(`${where}: geometry must be an object or null`);
  const coords = g.coordinates;
  switch (g.type) {
    case "Point":
      checkPosition(coords, where);
      break;
    case "Polygon":
      if (!Array.isArray(coords) || coords.length === 0)
        throw new InputError(`${where}: Polygon needs rings`);
      coords.forEach((r, i) => checkRing(r, `${where}, ring ${i + 1}`));
      break;
    case "MultiPolygon":
      if (!Array.isArray(coords) || coords.length === 0)
        throw new InputError(`${where}: MultiPolygon needs polygons`);
      coords.forEach((poly, j) => {
        if (!Array.isArray(poly) || poly.length === 0)
          throw new InputError(`${where}, polygon ${j + 1}: needs rings`);
        poly.forEach((r, i) => checkRing(r, `${where}, polygon ${j + 1}, ring ${i + 1}`));
      });
      break;
    default:
      throw new InputError(
        `${where}: geometry type ${JSON.stringify(g.type)} is not supported; expected Polygon, MultiPolygon or Point`,
      );
  }
  return g as unknown as Geometry;
}

function collectColumns(features: readonly GeoFeature[]): string[] {
  const cols = new Set<string>();
  for (const f of features) for (const k of Object.keys(f.properties)) cols.add(k);
  return [...cols];
}

/** Reads a GeoJSON FeatureCollection. */
export function readGeoJson(text: string, path: string): GeoTable {
  const file = basename(path);
  const doc = parseJson(text, file);
  if (!isObject(doc) || doc.type !== "FeatureCollection" || !Array.isArray(doc.features)) {
    const type = isObject(doc) ? JSON.stringify(doc.type) : typeof doc;
    throw new InputError(
      `${file}: expected a GeoJSON FeatureCollection with a "features" array, found type ${type}`,
    );
  }
  if (doc.features.length === 0) throw new InputError(`${file}: the FeatureCollection has no features`);
  const features = doc.features.map((f, i): GeoFeature => {
    const where = `${file}: feature ${i + 1}`;
    if (!isObject(f) || f.type !== "Feature")
      throw new InputError(`${where}: expected an object with "type": "Feature"`);
    if (f.properties !== null && f.properties !== undefined && !isObject(f.properties))
      throw new InputError(`${where}: "properties" must be an object`);
    return {
      index: i + 1,
      properties: (f.properties as Record<string, unknown>) ?? {},
      geometry: checkGeometry(f.geometry, where),
    };
  });
  return { columns: collectColumns(features), features };
}

/** Reads one named object of a TopoJSON topology as features. */
export function readTopoJson(text: string, path: string, objectName: string): GeoTable {
  const file = basename(path);
  const doc = parseJson(text, file);
  if (!isObject(doc) || doc.type !== "Topology" || !isObject(doc.objects) || !Array.isArray(doc.arcs))
    throw new InputError(`${file}: expected a TopoJSON Topology with "objects" and "arcs"`);
  const object = doc.objects[objectName];
  if (!isObject(object)) {
    throw new InputError(
      `${file}: the topology has no object "${objectName}"; it has: ${Object.keys(doc.objects).join(", ")} (set topojson.object in the mapping)`,
    );
  }
  if (object.type !== "GeometryCollection" || !Array.isArray(object.geometries))
    throw new InputError(`${file}: object "${objectName}" must be a GeometryCollection`);
  const arcCount = doc.arcs.length;
  object.geometries.forEach((g, i) => {
    const bad = JSON.stringify((g as Record<string, unknown>).arcs ?? [])
      .match(/-?\d+/g)
      ?.find((s) => {
        const n = Number(s);
        return (n < 0 ? ~n : n) >= arcCount;
      });
    if (bad !== undefined)
      throw new InputError(
        `${file}: object "${objectName}", geometry ${i + 1}: arc index ${bad} does not exist (${arcCount} arcs)`,
      );
  });
  let list: Feature[];
  try {
    const decoded = topoFeature(doc as unknown as Topology, objectName) as FeatureCollection | Feature;
    list = decoded.type === "FeatureCollection" ? decoded.features : [decoded];
  } catch (e) {
    throw new InputError(
      `${file}: cannot decode topology object "${objectName}": ${(e as Error).message}`,
      [],
      {
        cause: e,
      },
    );
  }
  const features = list.map((f, i): GeoFeature => ({
    index: i + 1,
    properties: (f.properties as Record<string, unknown>) ?? {},
    geometry: checkGeometry(f.geometry, `${file}: object "${objectName}", geometry ${i + 1}`),
  }));
  return { columns: collectColumns(features), features };
}
