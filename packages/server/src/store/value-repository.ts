/**
 * Reads of the area cube: values of one indicator at a level with their parent and national
 * references, and every value of one area (its profile). References are the parent's and the land's
 * value for the same indicator, period and division; derived ones (aggregated by wijkradar) say so.
 */
import type { AreaLevel } from "@wijkradar/core";
import { underParentSql } from "./area-repository.js";
import type { Database, SqlParam } from "./database.js";

export interface Reference {
  readonly code: string;
  readonly value: number;
  readonly numerator: number | null;
  readonly denominator: number | null;
  readonly derived: boolean;
}

export interface CubeValue {
  readonly indicatorId: string;
  readonly code: string;
  readonly name: string | null;
  /** The division the name comes from when it was borrowed from another division (CBS renumbers). */
  readonly nameDivision: number | null;
  readonly level: AreaLevel;
  readonly division: number;
  readonly period: string;
  readonly value: number;
  readonly numerator: number | null;
  readonly denominator: number | null;
  readonly derived: boolean;
  readonly parent: Reference | null;
  readonly national: Reference | null;
}

interface RawCube {
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
  parent_code: string | null;
  p_value: number | null;
  p_num: number | null;
  p_den: number | null;
  p_derived: boolean | null;
  n_value: number | null;
  n_num: number | null;
  n_den: number | null;
  n_derived: boolean | null;
}

/**
 * Values joined with their area and the parent's and land's value of the same indicator, period and
 * division. `cube` is a CTE the caller defines with the rows it wants plus every possible reference
 * row; restricting it first keeps the self-joins small (a full-table self-join costs ~0.5 s).
 */
const CUBE_SELECT = `
  SELECT v.indicator_id, v.area_code AS code, a.name, a.name_division, v.level, v.division, v.period, v.value, v.numerator,
         v.denominator, v.derived, a.parent_code,
         pv.value AS p_value, pv.numerator AS p_num, pv.denominator AS p_den, pv.derived AS p_derived,
         nv.value AS n_value, nv.numerator AS n_num, nv.denominator AS n_den, nv.derived AS n_derived
  FROM target v
  JOIN areas a ON a.code = v.area_code AND a.division = v.division
  LEFT JOIN cube pv ON pv.indicator_id = v.indicator_id AND pv.division = v.division
       AND pv.period = v.period AND pv.area_code = a.parent_code
  LEFT JOIN cube nv ON nv.indicator_id = v.indicator_id AND nv.division = v.division
       AND nv.period = v.period AND nv.area_code = 'NL01' AND v.area_code <> 'NL01'`;

function toCube(r: RawCube): CubeValue {
  return {
    indicatorId: r.indicator_id,
    code: r.code,
    name: r.name,
    nameDivision: r.name_division,
    level: r.level,
    division: r.division,
    period: r.period,
    value: r.value,
    numerator: r.numerator,
    denominator: r.denominator,
    derived: r.derived,
    parent:
      r.p_value === null || r.parent_code === null
        ? null
        : {
            code: r.parent_code,
            value: r.p_value,
            numerator: r.p_num,
            denominator: r.p_den,
            derived: r.p_derived ?? false,
          },
    national:
      r.n_value === null
        ? null
        : {
            code: "NL01",
            value: r.n_value,
            numerator: r.n_num,
            denominator: r.n_den,
            derived: r.n_derived ?? false,
          },
  };
}

export interface Slice {
  readonly period: string;
  readonly division: number;
  readonly level: AreaLevel;
  readonly count: number;
}

/** The (period, division, level) slices an indicator has values for, newest period first. */
export async function indicatorSlices(db: Database, indicatorId: string): Promise<Slice[]> {
  return db.read((ex) =>
    ex.all<{ period: string; division: number; level: AreaLevel; count: number }>(
      `SELECT period, division, level, count(*)::INTEGER AS count FROM indicator_values
       WHERE indicator_id = ? GROUP BY ALL ORDER BY period DESC, division DESC, level`,
      [indicatorId],
    ),
  );
}

export interface ValuesQuery {
  readonly indicatorId: string;
  readonly period: string;
  readonly division: number;
  readonly level: AreaLevel;
  readonly parent?: string;
}

/** Values of one indicator for all areas of a level (optionally under a parent), with references. */
export async function valuesForIndicator(db: Database, q: ValuesQuery): Promise<CubeValue[]> {
  const params: SqlParam[] = [q.indicatorId, q.period, q.division, q.level];
  let parentFilter = "";
  if (q.parent) {
    parentFilter = `AND ${underParentSql("a")}`;
    params.push(q.parent, q.parent, q.parent);
  }
  const rows = await db.read((ex) =>
    ex.all<RawCube & Record<string, unknown>>(
      `WITH cube AS (
         SELECT * FROM indicator_values WHERE indicator_id = ? AND period = ? AND division = ?
       ),
       target AS (SELECT * FROM cube WHERE level = ?)
       ${CUBE_SELECT}
       WHERE true ${parentFilter}
       ORDER BY v.area_code`,
      params,
    ),
  );
  return rows.map(toCube);
}

/** Every value of one area code, over all indicators, periods and divisions, with references. */
export async function valuesForArea(db: Database, code: string): Promise<CubeValue[]> {
  const rows = await db.read((ex) =>
    ex.all<RawCube & Record<string, unknown>>(
      `WITH target AS (SELECT * FROM indicator_values WHERE area_code = ?),
       refs AS (
         SELECT DISTINCT parent_code AS code FROM areas WHERE code = ? AND parent_code IS NOT NULL
         UNION SELECT 'NL01'
       ),
       cube AS (SELECT * FROM indicator_values WHERE area_code IN (SELECT code FROM refs))
       ${CUBE_SELECT}
       ORDER BY v.indicator_id, v.period, v.division`,
      [code, code],
    ),
  );
  return rows.map(toCube);
}
