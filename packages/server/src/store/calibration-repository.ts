/**
 * Reads what the synthetic population generator (src/synth) is calibrated to: the bundled open
 * figures already in the database (CBS key figures per gemeente and per 2024 wijk, RIVM health-monitor
 * estimates per 2020 buurt and wijk) and the 2020 buurten themselves. Raw inputs only: the rules that
 * turn them into targets live in synth/calibration.ts (pure).
 */
import type { Database } from "./database.js";

/** Indicator ids read at gemeente level (latest period of each, any division). */
export const GEMEENTE_INDICATORS = [
  "aantal_inwoners",
  "huishoudens",
  "gem_huishoudensgrootte",
  "pct_0_15_jaar",
  "pct_15_25_jaar",
  "pct_25_45_jaar",
  "pct_45_65_jaar",
  "pct_65plus",
  "pct_eenpersoonshuishoudens",
  "bijstand_per_1000",
  "ww_per_1000",
  "ao_uitkering",
  "wmo_per_1000",
  "pct_jongeren_jeugdzorg",
  "pct_rond_sociaal_minimum",
  "pct_hh_laag_inkomen",
  "moeite_rondkomen_18plus",
  "eenzaam_65plus",
] as const;

/** RIVM estimates read per 2020 buurt and wijk (period 2020). */
export const RIVM_INDICATORS = [
  "moeite_rondkomen_18plus",
  "moeite_rondkomen_65plus",
  "eenzaam_18plus",
  "eenzaam_65plus",
] as const;

export interface Figure {
  readonly value: number;
  readonly period: string;
  readonly division: number;
}

export interface WijkInput {
  readonly code: string;
  readonly name: string | null;
  readonly division: number;
  /** indicator id → value (2024 KWB: aantal_inwoners, huishoudens, pct_* age bands). */
  readonly figures: Readonly<Record<string, number>>;
}

export interface BuurtInput {
  readonly code: string;
  readonly name: string | null;
  readonly wijkCode: string | null;
  readonly division: number;
  /** RIVM 2020 estimates of the buurt (absent where RIVM published none). */
  readonly rivm: Readonly<Record<string, number>>;
}

export interface GemeenteInput {
  readonly code: string;
  readonly name: string | null;
  /**
   * Latest value of each GEMEENTE_INDICATORS id at gemeente level, with its period; plus
   * `ao_per_1000` (ao_uitkering per 1,000 residents of the same period).
   */
  readonly figures: Readonly<Record<string, Figure>>;
  /** Wijken of the newest division with KWB population figures (2024 in the demo). */
  readonly wijken: readonly WijkInput[];
  /** Buurten of the division with RIVM buurt estimates (2020 in the demo); empty if none. */
  readonly buurten: readonly BuurtInput[];
  /** RIVM 2020 estimates of the wijken of the buurt division, by wijk code. */
  readonly wijkRivm: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

export interface CalibrationInputs {
  readonly gemeenten: readonly GemeenteInput[];
  /** Median over all gemeenten of each gemeente indicator's latest value (fallback for gaps). */
  readonly nationalMedian: Readonly<Record<string, number>>;
  readonly buurtDivision: number;
  readonly wijkDivision: number;
}

interface FigureRow {
  area_code: string;
  indicator_id: string;
  value: number;
  period: string;
  division: number;
}

const list = (xs: readonly string[]) => xs.map((x) => `'${x.replaceAll("'", "''")}'`).join(", ");

/**
 * Reads the calibration inputs for the given gemeente codes ("GM0034"), or for every gemeente of the
 * newest gemeente division with a population figure when `gemeenten` is "all".
 */
export async function readCalibrationInputs(
  db: Database,
  gemeenten: readonly string[] | "all",
  options: { buurtDivision?: number; wijkDivision?: number } = {},
): Promise<CalibrationInputs> {
  const buurtDivision = options.buurtDivision ?? 2020;
  const wijkDivision = options.wijkDivision ?? 2024;
  return db.read(async (ex) => {
    const latest = await ex.all<FigureRow>(
      `SELECT area_code, indicator_id, value, period, division::INTEGER AS division FROM (
         SELECT area_code, indicator_id, value, period, division,
                row_number() OVER (PARTITION BY area_code, indicator_id ORDER BY period DESC, division DESC) AS rn
         FROM indicator_values
         WHERE level = 'gemeente' AND indicator_id IN (${list(GEMEENTE_INDICATORS)})
       ) WHERE rn = 1`,
    );
    // AO benefits (Wajong, WIA, WAO) are a count: per 1,000 residents of the same period.
    const ao = await ex.all<FigureRow>(
      `SELECT area_code, indicator_id, value, period, division FROM (
         SELECT a.area_code, 'ao_per_1000' AS indicator_id, a.value * 1000 / p.value AS value, a.period,
                a.division::INTEGER AS division,
                row_number() OVER (PARTITION BY a.area_code ORDER BY a.period DESC, a.division DESC) AS rn
         FROM indicator_values a JOIN indicator_values p
           ON p.area_code = a.area_code AND p.period = a.period AND p.division = a.division
          AND p.level = 'gemeente' AND p.indicator_id = 'aantal_inwoners' AND p.value > 0
         WHERE a.level = 'gemeente' AND a.indicator_id = 'ao_uitkering'
       ) WHERE rn = 1`,
    );
    latest.push(...ao);
    const byGemeente = new Map<string, Record<string, Figure>>();
    for (const r of latest) {
      let m = byGemeente.get(r.area_code);
      if (!m) byGemeente.set(r.area_code, (m = {}));
      m[r.indicator_id] = { value: r.value, period: r.period, division: r.division };
    }
    const nationalMedian: Record<string, number> = {};
    for (const id of [...GEMEENTE_INDICATORS, "ao_per_1000"]) {
      const xs = latest.filter((r) => r.indicator_id === id).map((r) => r.value);
      xs.sort((a, b) => a - b);
      if (xs.length) nationalMedian[id] = xs[Math.floor(xs.length / 2)]!;
    }
    let codes: string[];
    if (gemeenten === "all") {
      const rows = await ex.all<{ code: string }>(
        `SELECT DISTINCT area_code AS code FROM indicator_values
         WHERE level = 'gemeente' AND indicator_id = 'aantal_inwoners'
           AND division = (SELECT max(division) FROM indicator_values
                           WHERE level = 'gemeente' AND indicator_id = 'aantal_inwoners')
         ORDER BY code`,
      );
      codes = rows.map((r) => r.code);
    } else {
      codes = [...new Set(gemeenten)].sort();
    }
    if (codes.length === 0) return { gemeenten: [], nationalMedian, buurtDivision, wijkDivision };
    const names = await ex.all<{ code: string; name: string | null }>(
      `SELECT code, arg_max(name, division) AS name FROM areas
       WHERE level = 'gemeente' AND code IN (${list(codes)}) GROUP BY code`,
    );
    const nameOf = new Map(names.map((n) => [n.code, n.name]));
    const wijkRows = await ex.all<{
      code: string;
      name: string | null;
      gemeente_code: string;
      indicator_id: string | null;
      value: number | null;
    }>(
      `SELECT a.code, a.name, a.gemeente_code, v.indicator_id, v.value
       FROM areas a LEFT JOIN indicator_values v
         ON v.area_code = a.code AND v.division = a.division AND v.level = 'wijk'
        AND v.indicator_id IN ('aantal_inwoners', 'huishoudens', 'pct_0_15_jaar', 'pct_15_25_jaar',
                               'pct_25_45_jaar', 'pct_45_65_jaar', 'pct_65plus')
       WHERE a.level = 'wijk' AND a.division = ? AND a.gemeente_code IN (${list(codes)})
       ORDER BY a.code`,
      [wijkDivision],
    );
    const buurtRows = await ex.all<{
      code: string;
      name: string | null;
      parent_code: string | null;
      gemeente_code: string;
      level: string;
      indicator_id: string | null;
      value: number | null;
    }>(
      `SELECT a.code, a.name, a.parent_code, a.gemeente_code, a.level, v.indicator_id, v.value
       FROM areas a LEFT JOIN indicator_values v
         ON v.area_code = a.code AND v.division = a.division AND v.level = a.level AND v.period = '2020'
        AND v.indicator_id IN (${list(RIVM_INDICATORS)})
       WHERE a.level IN ('buurt', 'wijk') AND a.division = ? AND a.gemeente_code IN (${list(codes)})
       ORDER BY a.code`,
      [buurtDivision],
    );
    const result: GemeenteInput[] = codes.map((code) => {
      const wijken = new Map<
        string,
        { code: string; name: string | null; figures: Record<string, number> }
      >();
      for (const r of wijkRows) {
        if (r.gemeente_code !== code) continue;
        let w = wijken.get(r.code);
        if (!w) wijken.set(r.code, (w = { code: r.code, name: r.name, figures: {} }));
        if (r.indicator_id !== null && r.value !== null) w.figures[r.indicator_id] = r.value;
      }
      const buurten = new Map<string, BuurtInput & { rivm: Record<string, number> }>();
      const wijkRivm: Record<string, Record<string, number>> = {};
      for (const r of buurtRows) {
        if (r.gemeente_code !== code) continue;
        if (r.level === "wijk") {
          const m = (wijkRivm[r.code] ??= {});
          if (r.indicator_id !== null && r.value !== null) m[r.indicator_id] = r.value;
          continue;
        }
        let b = buurten.get(r.code);
        if (!b)
          buurten.set(
            r.code,
            (b = {
              code: r.code,
              name: r.name,
              wijkCode: r.parent_code,
              division: buurtDivision,
              rivm: {},
            }),
          );
        if (r.indicator_id !== null && r.value !== null) b.rivm[r.indicator_id] = r.value;
      }
      return {
        code,
        name: nameOf.get(code) ?? null,
        figures: byGemeente.get(code) ?? {},
        wijken: [...wijken.values()].map((w) => ({ ...w, division: wijkDivision })),
        buurten: [...buurten.values()],
        wijkRivm,
      };
    });
    return { gemeenten: result, nationalMedian, buurtDivision, wijkDivision };
  });
}
