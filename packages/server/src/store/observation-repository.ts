/**
 * Field observations (ADR 0008): storing a synced batch once per client id, the caller's own recent
 * observations, counts per category, buurt and hour for the count indicators, and the lookups that
 * snap a location to a buurt (boundaries of a division, PC6 → buurt). Nothing here leaves the server
 * as it is: counts become indicator values (a delivery) and pass the release function from there;
 * notes go back to their author only.
 */
import { timestampValue } from "@duckdb/node-api";
import { PLACEHOLDER_AREA_CODES, type AreaLevel } from "@wijkradar/core";
import type { Database, Executor, SqlParam } from "./database.js";
import type { CubeValue } from "./value-repository.js";

/** One observation as stored. Coordinates are already rounded (or null: not kept). */
export interface ObservationRow {
  readonly id: string;
  readonly category: string;
  readonly observedAt: Date;
  readonly receivedAt: Date;
  readonly areaCode: string;
  readonly division: number;
  readonly gemeenteCode: string | null;
  readonly pc6: string | null;
  readonly lon: number | null;
  readonly lat: number | null;
  readonly locationSource: "gps" | "map" | "postcode";
  readonly note: string | null;
  readonly userId: string;
  readonly organisationId: string | null;
}

/** Placeholders as a JSON list for `from_json(?::JSON, '["VARCHAR"]')`. */
const PLACEHOLDERS = JSON.stringify([...PLACEHOLDER_AREA_CODES]);

async function existingIds(ex: Executor, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await ex.all<{ id: string }>(
    `SELECT id FROM observations WHERE id IN (SELECT unnest(from_json(?::JSON, '["VARCHAR"]')))`,
    [JSON.stringify(ids)],
  );
  return new Set(rows.map((r) => r.id));
}

/**
 * Stores a batch in one transaction, each id once: rows whose id is already stored (an earlier sync
 * of the same outbox) or repeated within the batch (the first wins) are left out. Returns the ids
 * that were new.
 */
export async function insertObservations(
  db: Database,
  rows: readonly ObservationRow[],
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  return db.transaction(async (ex) => {
    // Checked inside the write transaction: writes are serialised, so no other sync can slip in.
    const stored = await existingIds(
      ex,
      rows.map((r) => r.id),
    );
    const fresh: ObservationRow[] = [];
    const seen = new Set<string>();
    for (const r of rows) {
      if (stored.has(r.id) || seen.has(r.id)) continue;
      seen.add(r.id);
      fresh.push(r);
    }
    if (fresh.length === 0) return seen;
    await ex.append("observations", (a) => {
      for (const r of fresh) {
        a.appendVarchar(r.id);
        a.appendVarchar(r.category);
        a.appendTimestamp(tsOf(r.observedAt));
        a.appendTimestamp(tsOf(r.receivedAt));
        a.appendVarchar(r.areaCode);
        a.appendSmallInt(r.division);
        if (r.gemeenteCode === null) a.appendNull();
        else a.appendVarchar(r.gemeenteCode);
        if (r.pc6 === null) a.appendNull();
        else a.appendVarchar(r.pc6);
        if (r.lon === null) a.appendNull();
        else a.appendDouble(r.lon);
        if (r.lat === null) a.appendNull();
        else a.appendDouble(r.lat);
        a.appendVarchar(r.locationSource);
        if (r.note === null) a.appendNull();
        else a.appendVarchar(r.note);
        a.appendVarchar(r.userId);
        if (r.organisationId === null) a.appendNull();
        else a.appendVarchar(r.organisationId);
        a.endRow();
      }
    });
    return seen;
  });
}

/** A DuckDB TIMESTAMP value (microseconds since the epoch) for a Date. */
const tsOf = (d: Date) => timestampValue(BigInt(d.getTime()) * 1000n);

/** The caller's own most recent observations (by observation time), notes included. */
export async function recentObservations(
  db: Database,
  userId: string,
  limit: number,
): Promise<ObservationRow[]> {
  const rows = await db.read((ex) =>
    ex.all<Record<string, unknown>>(
      `SELECT * FROM observations WHERE user_id = ? ORDER BY observed_at DESC, id LIMIT ?`,
      [userId, limit],
    ),
  );
  return rows.map((r) => ({
    id: String(r.id),
    category: String(r.category),
    observedAt: new Date(r.observed_at as Date),
    receivedAt: new Date(r.received_at as Date),
    areaCode: String(r.area_code),
    division: Number(r.division),
    gemeenteCode: (r.gemeente_code as string | null) ?? null,
    pc6: (r.pc6 as string | null) ?? null,
    lon: (r.lon as number | null) ?? null,
    lat: (r.lat as number | null) ?? null,
    locationSource: r.location_source as ObservationRow["locationSource"],
    note: (r.note as string | null) ?? null,
    userId: String(r.user_id),
    organisationId: (r.organisation_id as string | null) ?? null,
  }));
}

/** Observations per category, buurt and UTC hour (the hour decides the local week and month). */
export interface HourlyCounts {
  readonly category: string[];
  readonly areaCode: string[];
  readonly gemeenteCode: string[];
  /** Start of the UTC hour, milliseconds since the epoch. */
  readonly hour: number[];
  readonly count: number[];
}

/** The observations of a division (optionally only in these gemeenten), counted per hour. */
export async function hourlyCounts(
  db: Database,
  division: number,
  gemeenten?: readonly string[],
): Promise<HourlyCounts> {
  const params: SqlParam[] = [division];
  let filter = "";
  if (gemeenten) {
    filter = `AND gemeente_code IN (SELECT unnest(from_json(?::JSON, '["VARCHAR"]')))`;
    params.push(JSON.stringify(gemeenten));
  }
  const cols = await db.read((ex) =>
    ex.columns(
      `SELECT category, area_code, gemeente_code,
              (epoch(date_trunc('hour', observed_at)) * 1000)::DOUBLE AS hour, count(*)::INTEGER AS n
       FROM observations WHERE division = ? AND gemeente_code IS NOT NULL ${filter}
       GROUP BY ALL`,
      params,
    ),
  );
  return {
    category: (cols.category ?? []) as string[],
    areaCode: (cols.area_code ?? []) as string[],
    gemeenteCode: (cols.gemeente_code ?? []) as string[],
    hour: (cols.hour ?? []) as number[],
    count: (cols.n ?? []) as number[],
  };
}

/** The gemeenten of a division that have observations. */
export async function observedGemeenten(db: Database, division: number): Promise<string[]> {
  const rows = await db.read((ex) =>
    ex.all<{ g: string }>(
      `SELECT DISTINCT gemeente_code AS g FROM observations
       WHERE division = ? AND gemeente_code IS NOT NULL ORDER BY 1`,
      [division],
    ),
  );
  return rows.map((r) => r.g);
}

/** The buurten of these gemeenten in a division (placeholders left out), with their gemeente. */
export async function buurtenOfGemeenten(
  db: Database,
  division: number,
  gemeenten: readonly string[],
): Promise<{ code: string; gemeente: string }[]> {
  if (gemeenten.length === 0) return [];
  return db.read((ex) =>
    ex.all<{ code: string; gemeente: string }>(
      `SELECT code, gemeente_code AS gemeente FROM areas
       WHERE division = ? AND level = 'buurt'
         AND gemeente_code IN (SELECT unnest(from_json(?::JSON, '["VARCHAR"]')))
         AND NOT list_contains(from_json(?::JSON, '["VARCHAR"]'), code)
       ORDER BY code`,
      [division, JSON.stringify(gemeenten), PLACEHOLDERS],
    ),
  );
}

/**
 * The (indicator, period) pairs of observation indicators already written at buurt level in a
 * division, and the gemeenten they cover: what a rewrite can leave alone.
 */
export async function writtenObservationSlices(
  db: Database,
  division: number,
  indicatorIds: readonly string[],
): Promise<{ slices: Set<string>; gemeenten: Set<string> }> {
  if (indicatorIds.length === 0) return { slices: new Set(), gemeenten: new Set() };
  return db.read(async (ex) => {
    const list = JSON.stringify(indicatorIds);
    const slices = await ex.all<{ k: string }>(
      `SELECT DISTINCT indicator_id || chr(31) || period AS k FROM indicator_values
       WHERE division = ? AND level = 'buurt' AND NOT derived
         AND indicator_id IN (SELECT unnest(from_json(?::JSON, '["VARCHAR"]')))`,
      [division, list],
    );
    const gemeenten = await ex.all<{ g: string }>(
      `SELECT DISTINCT a.gemeente_code AS g FROM indicator_values v
       JOIN areas a ON a.code = v.area_code AND a.division = v.division
       WHERE v.division = ? AND v.level = 'buurt' AND NOT v.derived AND a.gemeente_code IS NOT NULL
         AND v.indicator_id IN (SELECT unnest(from_json(?::JSON, '["VARCHAR"]')))`,
      [division, list],
    );
    return { slices: new Set(slices.map((r) => r.k)), gemeenten: new Set(gemeenten.map((r) => r.g)) };
  });
}

/** A buurt boundary: its bounding box (the prefilter) and its GeoJSON geometry as text. */
export interface BuurtBoundary {
  readonly code: string;
  readonly bbox: readonly [number, number, number, number];
  readonly geometry: string;
}

/** Every buurt boundary of a division (placeholders left out). */
export async function buurtBoundaries(db: Database, division: number): Promise<BuurtBoundary[]> {
  const cols = await db.read((ex) =>
    ex.columns(
      `SELECT code, min_x, min_y, max_x, max_y, geometry FROM area_geometries
       WHERE division = ? AND level = 'buurt' AND min_x IS NOT NULL
         AND NOT list_contains(from_json(?::JSON, '["VARCHAR"]'), code)
       ORDER BY code`,
      [division, PLACEHOLDERS],
    ),
  );
  const code = (cols.code ?? []) as string[];
  const [x0, y0, x1, y1] = [cols.min_x, cols.min_y, cols.max_x, cols.max_y] as number[][];
  const geometry = cols.geometry as string[];
  return code.map((c, i) => ({
    code: c,
    bbox: [x0![i]!, y0![i]!, x1![i]!, y1![i]!],
    geometry: geometry[i]!,
  }));
}

/** The latest division that has buurt boundaries, or undefined when none has. */
export async function latestBuurtDivision(db: Database): Promise<number | undefined> {
  const rows = await db.read((ex) =>
    ex.all<{ d: number | null }>(
      "SELECT max(division)::INTEGER AS d FROM area_geometries WHERE level = 'buurt'",
    ),
  );
  return rows[0]?.d ?? undefined;
}

/**
 * The buurt of each postcode (PC6) in the latest year of the PC6 table up to `year`, with the
 * division of that buurt code.
 */
export async function buurtOfPostcodes(
  db: Database,
  pc6s: readonly string[],
  year: number,
): Promise<Map<string, { buurt: string; division: number }>> {
  if (pc6s.length === 0) return new Map();
  const rows = await db.read((ex) =>
    ex.all<{ pc6: string; buurt_code: string; division: number }>(
      `SELECT pc6, buurt_code, division FROM vault_pc6_areas
       WHERE year <= ? AND pc6 IN (SELECT unnest(from_json(?::JSON, '["VARCHAR"]')))
       QUALIFY row_number() OVER (PARTITION BY pc6 ORDER BY year DESC) = 1`,
      [year, JSON.stringify(pc6s)],
    ),
  );
  return new Map(rows.map((r) => [r.pc6, { buurt: r.buurt_code, division: Number(r.division) }]));
}

/** A buurt with its wijk and gemeente (codes and names) in a division. */
export interface BuurtInfo {
  readonly code: string;
  readonly name: string | null;
  readonly division: number;
  readonly wijk: { readonly code: string; readonly name: string | null } | null;
  readonly gemeente: { readonly code: string; readonly name: string | null } | null;
}

/** Buurten of a division (all, or these codes) with their wijk and gemeente; unknown codes are left out. */
export async function buurtInfo(
  db: Database,
  division: number,
  codes?: readonly string[],
): Promise<Map<string, BuurtInfo>> {
  if (codes?.length === 0) return new Map();
  const rows = await db.read((ex) =>
    ex.all<{
      code: string;
      name: string | null;
      wijk: string | null;
      wijk_name: string | null;
      gemeente: string | null;
      gemeente_name: string | null;
    }>(
      `SELECT b.code, b.name, w.code AS wijk, w.name AS wijk_name,
              b.gemeente_code AS gemeente, g.name AS gemeente_name
       FROM areas b
       LEFT JOIN areas w ON w.code = b.parent_code AND w.division = b.division
       LEFT JOIN areas g ON g.code = b.gemeente_code AND g.division = b.division
       WHERE b.division = ? AND b.level = 'buurt'
         AND (? IS NULL OR b.code IN (SELECT unnest(from_json(?::JSON, '["VARCHAR"]'))))`,
      [division, codes ? "x" : null, JSON.stringify(codes ?? [])],
    ),
  );
  return new Map(
    rows.map((r) => [
      r.code,
      {
        code: r.code,
        name: r.name,
        division,
        wijk: r.wijk ? { code: r.wijk, name: r.wijk_name } : null,
        gemeente: r.gemeente ? { code: r.gemeente, name: r.gemeente_name } : null,
      },
    ]),
  );
}

/** The chain from an area up to the land in its latest division (or the given one): the area first. */
export async function areaChain(
  db: Database,
  code: string,
  division?: number,
): Promise<{ code: string; name: string | null; level: string; division: number }[]> {
  const rows = await db.read((ex) =>
    ex.all<{
      code: string;
      name: string | null;
      level: string;
      division: number;
      parent_code: string | null;
    }>(
      `SELECT code, name, level, division, parent_code FROM areas
       WHERE division = coalesce(?, (SELECT max(division) FROM areas WHERE code = ?))
         AND code IN (
           WITH RECURSIVE chain(code, d) AS (
             SELECT code, division FROM areas
             WHERE code = ? AND division = coalesce(?, (SELECT max(division) FROM areas WHERE code = ?))
             UNION ALL
             SELECT a.parent_code, a.division FROM areas a JOIN chain c ON a.code = c.code AND a.division = c.d
             WHERE a.parent_code IS NOT NULL
           )
           SELECT code FROM chain)`,
      [division ?? null, code, code, division ?? null, code],
    ),
  );
  const order = ["buurt", "wijk", "gemeente", "land"];
  return rows
    .map((r) => ({ code: r.code, name: r.name, level: r.level, division: Number(r.division) }))
    .sort((a, b) => order.indexOf(a.level) - order.indexOf(b.level));
}

/**
 * Values of the observation indicators for one area in some periods (for the quick view), as cube
 * values without references: they go through the release function like every other figure.
 */
export async function observationValuesForArea(
  db: Database,
  code: string,
  division: number,
  indicatorIds: readonly string[],
  periods: readonly string[],
): Promise<CubeValue[]> {
  if (indicatorIds.length === 0 || periods.length === 0) return [];
  const rows = await db.read((ex) =>
    ex.all<{
      indicator_id: string;
      code: string;
      name: string | null;
      name_division: number | null;
      level: AreaLevel;
      division: number;
      period: string;
      value: number;
      numerator: number | null;
      denominator: number | null;
      derived: boolean;
    }>(
      `SELECT v.indicator_id, v.area_code AS code, a.name, a.name_division, v.level, v.division, v.period,
              v.value, v.numerator, v.denominator, v.derived
       FROM indicator_values v JOIN areas a ON a.code = v.area_code AND a.division = v.division
       WHERE v.area_code = ? AND v.division = ?
         AND v.indicator_id IN (SELECT unnest(from_json(?::JSON, '["VARCHAR"]')))
         AND v.period IN (SELECT unnest(from_json(?::JSON, '["VARCHAR"]')))
       ORDER BY v.indicator_id, v.period`,
      [code, division, JSON.stringify(indicatorIds), JSON.stringify(periods)],
    ),
  );
  return rows.map((r) => ({
    indicatorId: r.indicator_id,
    code: r.code,
    name: r.name,
    nameDivision: r.name_division,
    level: r.level,
    division: Number(r.division),
    period: r.period,
    value: r.value,
    numerator: r.numerator,
    denominator: r.denominator,
    derived: r.derived,
    parent: null,
    national: null,
  }));
}

/**
 * Gemeenten that a division does not register (a boundary file of buurten and wijken only), with
 * their name from the latest division that has one: the count delivery registers them, so that
 * wijk counts can be summed up to the gemeente.
 */
export async function unregisteredGemeenten(
  db: Database,
  division: number,
  codes: readonly string[],
): Promise<{ code: string; name: string | null }[]> {
  if (codes.length === 0) return [];
  return db.read((ex) =>
    ex.all<{ code: string; name: string | null }>(
      `SELECT c.code, (SELECT name FROM areas n WHERE n.code = c.code AND n.name IS NOT NULL
                       ORDER BY n.division DESC LIMIT 1) AS name
       FROM (SELECT unnest(from_json(?::JSON, '["VARCHAR"]')) AS code) c
       WHERE NOT EXISTS (SELECT 1 FROM areas a WHERE a.code = c.code AND a.division = ?)
       ORDER BY c.code`,
      [JSON.stringify(codes), division],
    ),
  );
}
