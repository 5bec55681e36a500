/**
 * Versioned schema migrations, applied in order at start inside one transaction each. A migration is
 * never edited once released: add a new one.
 */
import type { Executor } from "./database.js";

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: readonly string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "areas, catalogue, values, deliveries, audit",
    sql: [
      `CREATE TABLE sources (
        id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, publisher VARCHAR NOT NULL,
        attribution VARCHAR NOT NULL, licence VARCHAR NOT NULL, url VARCHAR, open BOOLEAN NOT NULL)`,
      // One row per area code per division year: CBS redraws wijken and buurten every year.
      `CREATE TABLE areas (
        code VARCHAR NOT NULL, division SMALLINT NOT NULL, level VARCHAR NOT NULL,
        name VARCHAR, name_division SMALLINT, parent_code VARCHAR, gemeente_code VARCHAR,
        has_geometry BOOLEAN NOT NULL DEFAULT false, source_id VARCHAR,
        PRIMARY KEY (code, division))`,
      `CREATE TABLE area_geometries (
        code VARCHAR NOT NULL, division SMALLINT NOT NULL, level VARCHAR NOT NULL, parent_code VARCHAR,
        geometry VARCHAR NOT NULL, simplified VARCHAR NOT NULL,
        min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
        PRIMARY KEY (code, division))`,
      `CREATE TABLE indicators (
        id VARCHAR PRIMARY KEY, source_id VARCHAR NOT NULL,
        name_nl VARCHAR NOT NULL, name_en VARCHAR NOT NULL, definition_nl VARCHAR, definition_en VARCHAR,
        unit VARCHAR NOT NULL, domain VARCHAR NOT NULL, polarity VARCHAR NOT NULL, kind VARCHAR NOT NULL,
        decimals TINYINT NOT NULL)`,
      `CREATE SEQUENCE delivery_ids START 1`,
      `CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY DEFAULT nextval('delivery_ids'), source_id VARCHAR NOT NULL,
        file_name VARCHAR NOT NULL, file_sha256 VARCHAR NOT NULL, mapping_sha256 VARCHAR NOT NULL,
        rows INTEGER NOT NULL, value_count INTEGER NOT NULL, area_count INTEGER NOT NULL,
        periods VARCHAR[] NOT NULL, indicators VARCHAR[] NOT NULL, division SMALLINT NOT NULL,
        imported_at TIMESTAMP NOT NULL, replaces INTEGER[] NOT NULL, report VARCHAR NOT NULL)`,
      // Long format: one row per indicator x area x period. No primary key: the importer guarantees
      // uniqueness per delivery and replaces whole (indicator, period, division, level) slices.
      `CREATE TABLE indicator_values (
        indicator_id VARCHAR NOT NULL, division SMALLINT NOT NULL, level VARCHAR NOT NULL,
        area_code VARCHAR NOT NULL, period VARCHAR NOT NULL, value DOUBLE NOT NULL,
        numerator DOUBLE, denominator DOUBLE, derived BOOLEAN NOT NULL, delivery_id INTEGER NOT NULL)`,
      `CREATE TABLE audit_log (
        occurred_at TIMESTAMP NOT NULL, actor VARCHAR NOT NULL, roles VARCHAR NOT NULL, purpose VARCHAR NOT NULL,
        action VARCHAR NOT NULL, object VARCHAR NOT NULL, released INTEGER NOT NULL,
        suppressed INTEGER NOT NULL, denied INTEGER NOT NULL, origin VARCHAR NOT NULL)`,
    ],
  },
  {
    version: 2,
    name: "settings (e.g. the demo load's progress)",
    sql: [
      `CREATE TABLE settings (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL, updated_at TIMESTAMP NOT NULL)`,
    ],
  },
];

/** The schema version this build expects. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Applies every migration newer than the database's version; each in its own transaction. */
export async function applyMigrations(ex: Executor): Promise<number[]> {
  await ex.run(
    `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)`,
  );
  const rows = await ex.all<{ v: number | null }>("SELECT max(version)::INTEGER AS v FROM schema_migrations");
  const current = rows[0]?.v ?? 0;
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    await ex.run("BEGIN TRANSACTION");
    try {
      for (const statement of m.sql) await ex.run(statement);
      await ex.run("INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)", [m.version, m.name]);
      await ex.run("COMMIT");
    } catch (e) {
      await ex.run("ROLLBACK");
      throw new Error(`migration ${m.version} (${m.name}) failed: ${(e as Error).message}`, { cause: e });
    }
    applied.push(m.version);
  }
  return applied;
}
