/**
 * Reads of the catalogue: sources, indicators with their periods and divisions, deliveries.
 */
import type { Domain, IndicatorKind, Polarity } from "@wijkradar/core";
import type { Database } from "./database.js";

export interface SourceRow {
  readonly id: string;
  readonly name: string;
  readonly publisher: string;
  readonly attribution: string;
  readonly licence: string;
  readonly url: string | null;
  readonly open: boolean;
  /** Whether its counts are about people; null: not said (yes). See core `disclosureExempt`. */
  readonly personal: boolean | null;
}

export interface IndicatorRow {
  readonly id: string;
  readonly sourceId: string;
  readonly name: { nl: string; en: string };
  readonly definition: { nl: string; en: string } | null;
  readonly unit: string;
  readonly domain: Domain;
  readonly polarity: Polarity;
  readonly kind: IndicatorKind;
  readonly decimals: number;
  /** Periods with values, ascending. */
  readonly periods: string[];
  /** Levels with values. */
  readonly levels: string[];
  /** Periods with values per level, ascending (a wijk level may have fewer years than gemeenten). */
  readonly periodsByLevel: Readonly<Record<string, string[]>>;
  readonly source: SourceRow;
}

interface RawIndicator {
  id: string;
  source_id: string;
  name_nl: string;
  name_en: string;
  definition_nl: string | null;
  definition_en: string | null;
  unit: string;
  domain: Domain;
  polarity: Polarity;
  kind: IndicatorKind;
  decimals: number;
  periods: string[] | null;
  levels: string[] | null;
  periods_by_level: string | null;
  s_name: string;
  publisher: string;
  attribution: string;
  licence: string;
  url: string | null;
  open: boolean;
  personal: boolean | null;
}

const INDICATOR_SQL = `
  SELECT i.*, p.periods, p.levels, p.periods_by_level,
         s.name AS s_name, s.publisher, s.attribution, s.licence, s.url, s.open, s.personal
  FROM indicators i JOIN sources s ON s.id = i.source_id
  LEFT JOIN (
    SELECT indicator_id,
           list_sort(list_distinct(flatten(list(periods)))) AS periods,
           list_sort(list(level)) AS levels,
           json_group_object(level, periods)::VARCHAR AS periods_by_level
    FROM (
      SELECT indicator_id, level, list(DISTINCT period ORDER BY period) AS periods
      FROM indicator_values GROUP BY indicator_id, level
    ) GROUP BY indicator_id
  ) p ON p.indicator_id = i.id`;

function toIndicator(r: RawIndicator): IndicatorRow {
  return {
    id: r.id,
    sourceId: r.source_id,
    name: { nl: r.name_nl, en: r.name_en },
    definition: r.definition_nl && r.definition_en ? { nl: r.definition_nl, en: r.definition_en } : null,
    unit: r.unit,
    domain: r.domain,
    polarity: r.polarity,
    kind: r.kind,
    decimals: r.decimals,
    periods: r.periods ?? [],
    levels: r.levels ?? [],
    periodsByLevel: r.periods_by_level ? (JSON.parse(r.periods_by_level) as Record<string, string[]>) : {},
    source: {
      id: r.source_id,
      name: r.s_name,
      publisher: r.publisher,
      attribution: r.attribution,
      licence: r.licence,
      url: r.url,
      open: r.open,
      personal: r.personal,
    },
  };
}

/** Every indicator of the catalogue with its source, periods and levels, ordered by domain and id. */
export async function listIndicators(db: Database): Promise<IndicatorRow[]> {
  const rows = await db.read((ex) =>
    ex.all<RawIndicator & Record<string, unknown>>(`${INDICATOR_SQL} ORDER BY i.domain, i.id`),
  );
  return rows.map(toIndicator);
}

/** Number of deliveries (0: an empty database). */
export async function deliveryCount(db: Database): Promise<number> {
  const rows = await db.read((ex) => ex.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM deliveries"));
  return rows[0]?.n ?? 0;
}

export interface DeliveryRow {
  readonly id: number;
  readonly sourceId: string;
  readonly fileName: string;
  readonly fileSha256: string;
  readonly rows: number;
  readonly valueCount: number;
  readonly periods: string[];
  readonly division: number;
  readonly importedAt: string;
}

/** The delivery manifests, newest first. */
export async function listDeliveries(db: Database): Promise<DeliveryRow[]> {
  const rows = await db.read((ex) =>
    ex.all<{
      id: number;
      source_id: string;
      file_name: string;
      file_sha256: string;
      rows: number;
      value_count: number;
      periods: string[];
      division: number;
      imported_at: Date;
    }>("SELECT * FROM deliveries ORDER BY id DESC"),
  );
  return rows.map((r) => ({
    id: r.id,
    sourceId: r.source_id,
    fileName: r.file_name,
    fileSha256: r.file_sha256,
    rows: r.rows,
    valueCount: r.value_count,
    periods: r.periods,
    division: r.division,
    importedAt: new Date(r.imported_at).toISOString(),
  }));
}

/** A value from the settings table, or undefined. */
export async function getSetting(db: Database, key: string): Promise<string | undefined> {
  const rows = await db.read((ex) =>
    ex.all<{ value: string }>("SELECT value FROM settings WHERE key = ?", [key]),
  );
  return rows[0]?.value;
}

export async function setSetting(db: Database, key: string, value: string): Promise<void> {
  await db.transaction((ex) =>
    ex.run("INSERT OR REPLACE INTO settings VALUES (?, ?, now()::TIMESTAMP)", [key, value]),
  );
}
