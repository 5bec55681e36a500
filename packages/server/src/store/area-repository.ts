/**
 * Reads of the area registry and the boundaries: tree, search, one area, geometry per level and
 * parent, and how the codes of one division match the boundaries of another.
 */
import type { AreaLevel } from "@wijkradar/core";
import type { Database, SqlParam } from "./database.js";

/**
 * SQL condition "lies under this parent": its direct children, and for a gemeente also its buurten
 * (whose parent is a wijk). The parent itself is not under itself. Binds the parent code 3 times.
 */
export function underParentSql(areaAlias: string): string {
  return `(${areaAlias}.parent_code = ? OR (${areaAlias}.gemeente_code = ? AND ${areaAlias}.code <> ?))`;
}

export interface AreaRow {
  readonly code: string;
  readonly division: number;
  readonly level: AreaLevel;
  /** The name, or null when no file of any division named it. */
  readonly name: string | null;
  /** The division the name was taken from (may differ from `division`: names are borrowed). */
  readonly nameDivision: number | null;
  readonly parentCode: string | null;
  readonly hasGeometry: boolean;
}

interface RawArea {
  code: string;
  division: number;
  level: AreaLevel;
  name: string | null;
  name_division: number | null;
  parent_code: string | null;
  has_geometry: boolean;
}

const toArea = (r: RawArea): AreaRow => ({
  code: r.code,
  division: r.division,
  level: r.level,
  name: r.name,
  nameDivision: r.name_division,
  parentCode: r.parent_code,
  hasGeometry: r.has_geometry,
});

export interface AreaQuery {
  readonly level?: AreaLevel;
  readonly parent?: string;
  readonly q?: string;
  readonly division?: number;
  readonly limit: number;
}

/**
 * Areas by level, parent and/or search text. Without a division, each code appears once, in the
 * latest division that has it.
 */
export async function findAreas(db: Database, query: AreaQuery): Promise<AreaRow[]> {
  const where: string[] = [];
  const params: SqlParam[] = [];
  if (query.level) {
    where.push("level = ?");
    params.push(query.level);
  }
  if (query.parent) {
    where.push(underParentSql("a"));
    params.push(query.parent, query.parent, query.parent);
  }
  if (query.division !== undefined) {
    where.push("division = ?");
    params.push(query.division);
  }
  let order = "code";
  if (query.q) {
    where.push("(code ILIKE ? OR strip_accents(name) ILIKE strip_accents(?))");
    params.push(`${query.q}%`, `%${query.q}%`);
    // Exact and prefix matches first, then by level (coarse first) and name.
    order = `CASE WHEN upper(code) = upper(?) OR lower(name) = lower(?) THEN 0 WHEN name ILIKE ? THEN 1 ELSE 2 END,
             list_position(['land','gemeente','wijk','buurt','pc4','pc6'], level), name, code`;
  }
  const sql = `
    SELECT * FROM (
      SELECT *, row_number() OVER (PARTITION BY code ORDER BY division DESC) AS rn FROM areas a
      ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
    ) WHERE rn = 1 ORDER BY ${order} LIMIT ?`;
  const orderParams: SqlParam[] = query.q ? [query.q, query.q, `${query.q}%`] : [];
  const rows = await db.read((ex) =>
    ex.all<RawArea & Record<string, unknown>>(sql, [...params, ...orderParams, query.limit]),
  );
  return rows.map(toArea);
}

/** One area in a division, or in the latest division that has it. Includes the divisions it occurs in. */
export async function getArea(
  db: Database,
  code: string,
  division?: number,
): Promise<(AreaRow & { divisions: number[]; childCount: number }) | undefined> {
  const rows = await db.read((ex) =>
    ex.all<RawArea & { divisions: number[]; child_count: number }>(
      `SELECT a.*, d.divisions,
         (SELECT count(*)::INTEGER FROM areas c WHERE c.parent_code = a.code AND c.division = a.division) AS child_count
       FROM areas a, (SELECT list(division ORDER BY division) AS divisions FROM areas WHERE code = ?) d
       WHERE a.code = ? ${division !== undefined ? "AND a.division = ?" : ""}
       ORDER BY a.division DESC LIMIT 1`,
      division !== undefined ? [code, code, division] : [code, code],
    ),
  );
  const r = rows[0];
  return r ? { ...toArea(r), divisions: r.divisions, childCount: r.child_count } : undefined;
}

/** Division years that have boundaries at a level, newest first. */
export async function geometryDivisions(db: Database, level: AreaLevel): Promise<number[]> {
  const rows = await db.read((ex) =>
    ex.all<{ division: number }>(
      "SELECT DISTINCT division FROM area_geometries WHERE level = ? ORDER BY division DESC",
      [level],
    ),
  );
  return rows.map((r) => r.division);
}

export interface GeometryRow {
  readonly code: string;
  readonly name: string | null;
  readonly parentCode: string | null;
  readonly geometry: string;
  readonly bbox: [number, number, number, number];
}

/** Simplified boundaries of one division at a level, optionally under a parent (a gemeente: also its buurten via wijken). */
export async function getGeometries(
  db: Database,
  level: AreaLevel,
  division: number,
  parent?: string,
): Promise<GeometryRow[]> {
  // A buurt's parent is its wijk; asking for the buurten of a gemeente is common, so match on the
  // gemeente code too.
  const parentFilter = parent ? `AND ${underParentSql("a")}` : "";
  const rows = await db.read((ex) =>
    ex.all<{
      code: string;
      name: string | null;
      parent_code: string | null;
      simplified: string;
      min_x: number;
      min_y: number;
      max_x: number;
      max_y: number;
    }>(
      `SELECT g.code, a.name, g.parent_code, g.simplified, g.min_x, g.min_y, g.max_x, g.max_y
       FROM area_geometries g JOIN areas a ON a.code = g.code AND a.division = g.division
       WHERE g.level = ? AND g.division = ? ${parentFilter} ORDER BY g.code`,
      parent ? [level, division, parent, parent, parent] : [level, division],
    ),
  );
  return rows.map((r) => ({
    code: r.code,
    name: r.name,
    parentCode: r.parent_code,
    geometry: r.simplified,
    bbox: [r.min_x, r.min_y, r.max_x, r.max_y],
  }));
}

export interface DivisionMatch {
  readonly dataDivision: number;
  readonly geometryDivision: number;
  readonly level: AreaLevel;
  readonly dataAreas: number;
  readonly matched: number;
  /** Codes of the data division with no boundary in the geometry division. */
  readonly unmatched: { code: string; name: string | null }[];
  /** Boundaries of the geometry division whose code does not occur in the data division. */
  readonly geometryOnly: { code: string; name: string | null }[];
}

/**
 * How the area codes of one division (the data) match the boundaries of another (the map): CBS
 * renumbers wijken and buurten, so a 2020 code may have no 2014 polygon and the other way round.
 */
export async function matchDivisions(
  db: Database,
  level: AreaLevel,
  dataDivision: number,
  geometryDivision: number,
  parent?: string,
): Promise<DivisionMatch> {
  const p = parent ? [parent, parent, parent] : [];
  const [data, geo] = await db.read(async (ex) => [
    await ex.all<{ code: string; name: string | null; has: boolean }>(
      `SELECT a.code, a.name, EXISTS (SELECT 1 FROM area_geometries g WHERE g.code = a.code AND g.division = ?) AS has
       FROM areas a WHERE a.division = ? AND a.level = ? ${parent ? `AND ${underParentSql("a")}` : ""} ORDER BY a.code`,
      [geometryDivision, dataDivision, level, ...p],
    ),
    await ex.all<{ code: string; name: string | null }>(
      `SELECT g.code, a.name FROM area_geometries g JOIN areas a ON a.code = g.code AND a.division = g.division
       WHERE g.division = ? AND g.level = ? ${parent ? `AND ${underParentSql("a")}` : ""}
         AND NOT EXISTS (SELECT 1 FROM areas d WHERE d.code = g.code AND d.division = ?)
       ORDER BY g.code`,
      [geometryDivision, level, ...p, dataDivision],
    ),
  ]);
  return {
    dataDivision,
    geometryDivision,
    level,
    dataAreas: data.length,
    matched: data.filter((d) => d.has).length,
    unmatched: data.filter((d) => !d.has).map((d) => ({ code: d.code, name: d.name })),
    geometryOnly: geo,
  };
}

/** Every area code with its level (any division, once): for previews of what a grant's scope holds. */
export async function allAreaCodes(db: Database): Promise<{ code: string; level: AreaLevel }[]> {
  const rows = await db.read((ex) => ex.columns("SELECT DISTINCT code, level FROM areas ORDER BY code"));
  const codes = (rows.code ?? []) as string[];
  const levels = (rows.level ?? []) as AreaLevel[];
  return codes.map((code, i) => ({ code, level: levels[i]! }));
}
