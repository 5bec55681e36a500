/**
 * Reads for the early-warning run: every value of the tested (non-neutral) indicators, column by
 * column, and the boundaries from which spatial weights are built. Nothing here leaves the server:
 * the detectors turn these into tests, and only alerts pass the release function.
 */
import type { AreaLevel, Domain, IndicatorKind, Polarity, SeriesColumns } from "@wijkradar/core";
import type { Database, Executor, SqlParam } from "./database.js";

export interface DetectionIndicator {
  readonly id: string;
  readonly domain: Domain;
  readonly polarity: Exclude<Polarity, "neutral">;
  readonly kind: IndicatorKind;
  readonly sourceOpen: boolean;
}

export async function detectionIndicators(db: Database): Promise<DetectionIndicator[]> {
  const rows = await db.read((ex) =>
    ex.all<{ id: string; domain: Domain; polarity: Polarity; kind: IndicatorKind; open: boolean }>(
      `SELECT i.id, i.domain, i.polarity, i.kind, s.open FROM indicators i JOIN sources s ON s.id = i.source_id
       WHERE i.polarity <> 'neutral' ORDER BY i.id`,
    ),
  );
  return rows.map((r) => ({
    id: r.id,
    domain: r.domain,
    polarity: r.polarity as DetectionIndicator["polarity"],
    kind: r.kind,
    sourceOpen: r.open,
  }));
}

/**
 * The values of the given indicators (all levels and divisions, or only `divisions`), with each
 * area's gemeente, as dictionary-coded columns: millions of rows arrive as numbers, and each code
 * or period string once (decoding a string per row was most of the load time).
 */
export async function detectionValues(
  db: Database,
  indicatorIds: readonly string[],
  divisions?: readonly number[],
): Promise<SeriesColumns> {
  const empty: SeriesColumns = {
    indicators: [],
    levels: [],
    codes: [],
    periods: [],
    indicator: [],
    level: [],
    division: [],
    area: [],
    gemeente: [],
    period: [],
    value: [],
    numerator: [],
    denominator: [],
  };
  if (indicatorIds.length === 0) return empty;
  const params: SqlParam[] = [...indicatorIds];
  let divisionFilter = "";
  if (divisions?.length) {
    divisionFilter = `AND v.division IN (${divisions.map(() => "?").join(", ")})`;
    params.push(...divisions);
  }
  const filtered = `SELECT v.indicator_id, v.level, v.division, v.area_code,
         COALESCE(a.gemeente_code, CASE WHEN v.level = 'gemeente' THEN v.area_code END) AS gemeente_code,
         v.period, v.value, v.numerator, v.denominator
       FROM indicator_values v
       LEFT JOIN areas a ON a.code = v.area_code AND a.division = v.division
       WHERE v.indicator_id IN (${indicatorIds.map(() => "?").join(", ")}) ${divisionFilter}`;
  return db.read(async (ex) => {
    // One read transaction: the dictionaries and the coded rows come from the same snapshot.
    await ex.run("BEGIN TRANSACTION");
    try {
      return await readCoded(ex);
    } finally {
      await ex.run("COMMIT");
    }
  });

  async function readCoded(ex: Executor): Promise<SeriesColumns> {
    // The filtered rows once into a connection-private temporary table; the dictionaries and the
    // coded rows are read from it.
    await ex.run(`CREATE OR REPLACE TEMP TABLE detection_rows AS ${filtered}`, params);
    try {
      const dict = async (sql: string) => (await ex.columns(sql)).v as string[];
      const indicators = await dict("SELECT DISTINCT indicator_id AS v FROM detection_rows ORDER BY 1");
      const levels = (await dict("SELECT DISTINCT level AS v FROM detection_rows ORDER BY 1")) as AreaLevel[];
      const codes = await dict(
        `SELECT v FROM (SELECT area_code AS v FROM detection_rows
         UNION SELECT gemeente_code FROM detection_rows WHERE gemeente_code IS NOT NULL) ORDER BY 1`,
      );
      const periods = await dict("SELECT DISTINCT period AS v FROM detection_rows ORDER BY 1");
      const c = await ex.columns(
        `WITH codes AS (SELECT v AS code, (row_number() OVER (ORDER BY v) - 1)::INTEGER AS id
                        FROM (SELECT area_code AS v FROM detection_rows
                              UNION SELECT gemeente_code FROM detection_rows WHERE gemeente_code IS NOT NULL)),
         inds AS (SELECT indicator_id, (row_number() OVER (ORDER BY indicator_id) - 1)::INTEGER AS id
                  FROM (SELECT DISTINCT indicator_id FROM detection_rows)),
         levels AS (SELECT level, (row_number() OVER (ORDER BY level) - 1)::INTEGER AS id
                    FROM (SELECT DISTINCT level FROM detection_rows)),
         pers AS (SELECT period, (row_number() OVER (ORDER BY period) - 1)::INTEGER AS id
                  FROM (SELECT DISTINCT period FROM detection_rows))
         SELECT i.id AS indicator, l.id AS level, f.division::INTEGER AS division, ca.id AS area,
                COALESCE(cg.id, -1)::INTEGER AS gemeente, p.id AS period, f.value,
                COALESCE(f.numerator, 'NaN'::DOUBLE) AS numerator,
                COALESCE(f.denominator, 'NaN'::DOUBLE) AS denominator
         FROM detection_rows f JOIN inds i USING (indicator_id) JOIN levels l USING (level)
         JOIN codes ca ON ca.code = f.area_code LEFT JOIN codes cg ON cg.code = f.gemeente_code
         JOIN pers p USING (period)
         ORDER BY f.indicator_id, f.level, f.division, f.area_code, f.period`,
      );
      return {
        indicators,
        levels,
        codes,
        periods,
        indicator: c.indicator as number[],
        level: c.level as number[],
        division: c.division as number[],
        area: c.area as number[],
        gemeente: c.gemeente as number[],
        period: c.period as number[],
        value: c.value as number[],
        numerator: c.numerator as number[],
        denominator: c.denominator as number[],
      };
    } finally {
      await ex.run("DROP TABLE IF EXISTS detection_rows");
    }
  }
}

/** Boundaries (GeoJSON geometry text) for the areas of a data division at a level. */
export interface WeightsGeometry {
  /** The division the boundaries come from (the one with most codes in common with the data). */
  readonly geometryDivision: number;
  readonly codes: string[];
  readonly geometries: string[];
}

/**
 * The boundaries for spatial weights of `division` at `level`: the geometry division that has the
 * most codes of the data division (CBS renumbers; the bundled 2020 RIVM buurten borrow 2014
 * boundaries), full-resolution geometry (shared vertices survive). Undefined when none match.
 */
export async function weightsGeometry(
  db: Database,
  level: AreaLevel,
  division: number,
): Promise<WeightsGeometry | undefined> {
  return db.read(async (ex) => {
    const best = await ex.all<{ division: number }>(
      `SELECT g.division::INTEGER AS division, count(*) AS n FROM area_geometries g
       JOIN areas a ON a.code = g.code AND a.division = ? AND a.level = ?
       WHERE g.level = ? GROUP BY g.division ORDER BY n DESC, abs(g.division - ?) LIMIT 1`,
      [division, level, level, division],
    );
    const geometryDivision = best[0]?.division;
    if (geometryDivision === undefined) return undefined;
    const c = await ex.columns(
      `SELECT g.code, g.geometry FROM area_geometries g
       JOIN areas a ON a.code = g.code AND a.division = ? AND a.level = ?
       WHERE g.level = ? AND g.division = ? ORDER BY g.code`,
      [division, level, level, geometryDivision],
    );
    return { geometryDivision, codes: c.code as string[], geometries: c.geometry as string[] };
  });
}
