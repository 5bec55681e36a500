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
  {
    version: 3,
    name: "microdata vault: source registry, pseudonymised records, PC6 lookup, profiles",
    sql: [
      // The register of microdata sources (PRIVACY.md): nothing is imported for a source not in it.
      `CREATE TABLE vault_sources (
        id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, organisation VARCHAR NOT NULL,
        legal_basis VARCHAR NOT NULL, purpose VARCHAR NOT NULL, dpia_reference VARCHAR NOT NULL,
        retention_months INTEGER NOT NULL, key_purpose VARCHAR NOT NULL, record_level VARCHAR NOT NULL,
        synthetic BOOLEAN NOT NULL, description VARCHAR,
        registered_at TIMESTAMP NOT NULL, registered_by VARCHAR NOT NULL)`,
      `CREATE SEQUENCE vault_delivery_ids START 1`,
      `CREATE TABLE vault_deliveries (
        id INTEGER PRIMARY KEY DEFAULT nextval('vault_delivery_ids'), source_id VARCHAR NOT NULL,
        file_name VARCHAR NOT NULL, file_sha256 VARCHAR NOT NULL, mapping_sha256 VARCHAR NOT NULL,
        rows INTEGER NOT NULL, rejected INTEGER NOT NULL, key_purpose VARCHAR NOT NULL,
        key_version SMALLINT NOT NULL, imported_at TIMESTAMP NOT NULL, report VARCHAR NOT NULL)`,
      // Identifying keys are stored only as keyed pseudonyms: the first 8 bytes of the HMAC-SHA-256 as
      // a BIGINT (fast joins over millions of rows), with the key version. record_key (4 further bytes
      // of the same HMAC) is the person's record key for cell-key perturbation.
      `CREATE TABLE vault_persons (
        source_id VARCHAR NOT NULL, delivery_id INTEGER NOT NULL, key_version SMALLINT NOT NULL,
        person BIGINT NOT NULL, household BIGINT, address BIGINT, record_key UINTEGER NOT NULL,
        pc6 VARCHAR NOT NULL, birth_date DATE NOT NULL, sex VARCHAR, household_size SMALLINT,
        household_type VARCHAR, valid_from DATE NOT NULL, valid_to DATE)`,
      // Facts from every other source: a benefit, debt assistance, an absence report, rent arrears, a
      // nuisance report… about a person, household or address (or only a PC6), valid from–to (events:
      // one day), with an optional amount.
      `CREATE TABLE vault_facts (
        source_id VARCHAR NOT NULL, delivery_id INTEGER NOT NULL, key_version SMALLINT NOT NULL,
        subject_kind VARCHAR NOT NULL, subject BIGINT, pc6 VARCHAR, fact VARCHAR NOT NULL,
        valid_from DATE NOT NULL, valid_to DATE, amount DOUBLE)`,
      // PC6 -> buurt, per year (postcodes and buurten both change).
      `CREATE TABLE vault_pc6_areas (
        pc6 VARCHAR NOT NULL, year SMALLINT NOT NULL, buurt_code VARCHAR NOT NULL,
        division SMALLINT NOT NULL, source VARCHAR NOT NULL, PRIMARY KEY (pc6, year))`,
      `CREATE TABLE profiles (
        id VARCHAR PRIMARY KEY, definition VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
        created_by VARCHAR NOT NULL, updated_at TIMESTAMP NOT NULL)`,
    ],
  },
  {
    version: 4,
    name: "early warning: detection runs, alerts with their history, per-area signals",
    sql: [
      `CREATE SEQUENCE detection_run_ids START 1`,
      // One row per run: what triggered it, the settings it used (JSON), progress and outcome.
      `CREATE TABLE detection_runs (
        id INTEGER PRIMARY KEY DEFAULT nextval('detection_run_ids'), trigger VARCHAR NOT NULL,
        actor VARCHAR NOT NULL, scope VARCHAR NOT NULL, settings VARCHAR NOT NULL,
        model_version VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP,
        status VARCHAR NOT NULL, series INTEGER, tests INTEGER, alerts INTEGER, message VARCHAR,
        p_cut_red DOUBLE, p_cut_yellow DOUBLE)`,
      `CREATE SEQUENCE alert_ids START 1`,
      // One alert per area and problem domain (key), kept across runs so its status and history stay;
      // tests holds the contributing tests as JSON (aggregate figures only, released on the way out).
      // No UNIQUE index on key: the repository keeps it unique, and DuckDB updates of indexed tables
      // inside one transaction are best avoided (TECH-NOTES).
      `CREATE TABLE alerts (
        id INTEGER PRIMARY KEY DEFAULT nextval('alert_ids'), key VARCHAR NOT NULL,
        area_code VARCHAR NOT NULL, gemeente_code VARCHAR, level VARCHAR NOT NULL, division SMALLINT NOT NULL,
        domain VARCHAR NOT NULL, indicator_id VARCHAR NOT NULL, detector VARCHAR NOT NULL,
        detectors VARCHAR[] NOT NULL, period VARCHAR NOT NULL, effect DOUBLE NOT NULL, p DOUBLE NOT NULL,
        q DOUBLE NOT NULL, severity VARCHAR NOT NULL, score DOUBLE NOT NULL, rank INTEGER NOT NULL,
        tests VARCHAR NOT NULL, active BOOLEAN NOT NULL, status VARCHAR NOT NULL, status_reason VARCHAR,
        status_by VARCHAR, status_at TIMESTAMP, first_run INTEGER NOT NULL, last_run INTEGER NOT NULL,
        created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)`,
      `CREATE TABLE alert_events (
        alert_id INTEGER NOT NULL, occurred_at TIMESTAMP NOT NULL, actor VARCHAR NOT NULL, event VARCHAR NOT NULL,
        status VARCHAR NOT NULL, reason VARCHAR, run_id INTEGER)`,
      // The accumulation view of the latest run per scope (division and level); domains comma-separated.
      `CREATE TABLE area_signals (
        run_id INTEGER NOT NULL, area_code VARCHAR NOT NULL, gemeente_code VARCHAR, level VARCHAR NOT NULL,
        division SMALLINT NOT NULL, severity VARCHAR NOT NULL, domains_flagged VARCHAR NOT NULL,
        status_index DOUBLE, dynamics_index DOUBLE, status_class TINYINT, dynamics_class TINYINT,
        composite DOUBLE, tests INTEGER NOT NULL, PRIMARY KEY (division, level, area_code))`,
    ],
  },
  {
    version: 5,
    name: "access: organisations, users, sessions, grants; hash-chained audit trail",
    sql: [
      // The trail of before this version has no chain: kept aside, chained into the new one at the
      // next start (store/audit-repository.ts), then dropped.
      `ALTER TABLE audit_log RENAME TO audit_log_v1`,
      // One record per request that touches data (BIO / NEN 7513 fields). seq is the position in the
      // chain; hash = sha256(prev_hash, the record's fields): any edit, deletion or reordering breaks it.
      `CREATE TABLE audit_log (
        seq BIGINT NOT NULL, occurred_at TIMESTAMP NOT NULL, actor VARCHAR NOT NULL, on_behalf_of VARCHAR,
        organisation VARCHAR, roles VARCHAR NOT NULL, purpose VARCHAR NOT NULL, action VARCHAR NOT NULL,
        object VARCHAR NOT NULL, result VARCHAR NOT NULL, released INTEGER NOT NULL,
        suppressed INTEGER NOT NULL, denied INTEGER NOT NULL, origin VARCHAR NOT NULL,
        prev_hash VARCHAR NOT NULL, hash VARCHAR NOT NULL)`,
      // Retention: records before an anchor were pruned; the anchor keeps the last pruned hash so the
      // chain still verifies from there.
      `CREATE TABLE audit_anchors (
        seq BIGINT NOT NULL, hash VARCHAR NOT NULL, pruned_at TIMESTAMP NOT NULL, records BIGINT NOT NULL)`,
      `CREATE TABLE organisations (
        id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, kind VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL)`,
      // No PRIMARY KEY on users and sessions (updated often; the repository keeps ids unique, see the
      // note on alerts). password_hash: scrypt in PHC-like form; never a password.
      `CREATE TABLE users (
        id VARCHAR NOT NULL, username VARCHAR NOT NULL, display_name VARCHAR NOT NULL,
        organisation_id VARCHAR NOT NULL, role VARCHAR NOT NULL, purpose VARCHAR NOT NULL,
        password_hash VARCHAR, totp_secret VARCHAR, oidc_issuer VARCHAR, oidc_subject VARCHAR,
        disabled BOOLEAN NOT NULL, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL,
        last_login_at TIMESTAMP)`,
      // Sessions by the sha256 of their token (a copy of the database gives no live session).
      `CREATE TABLE sessions (
        token_hash VARCHAR NOT NULL, user_id VARCHAR NOT NULL, csrf_token VARCHAR NOT NULL,
        method VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, last_seen_at TIMESTAMP NOT NULL,
        origin VARCHAR NOT NULL, ended_at TIMESTAMP, end_reason VARCHAR)`,
      // what: JSON ("open-data", "synthetic-data" or {domains, indicators, profiles}).
      `CREATE TABLE grants (
        id VARCHAR PRIMARY KEY, grantee_kind VARCHAR NOT NULL, grantee VARCHAR NOT NULL, what VARCHAR NOT NULL,
        areas VARCHAR[], finest_level VARCHAR, purpose VARCHAR NOT NULL, note VARCHAR,
        created_at TIMESTAMP NOT NULL, created_by VARCHAR NOT NULL)`,
    ],
  },
  {
    version: 6,
    name: "field work: observations, signal boards with responses and actions, interventions",
    sql: [
      // One row per observation from the field app. id: the client's random id (the outbox's
      // idempotency key: a re-sent observation is stored once). Location: the buurt it was snapped to
      // (division = the boundary division used), the PC6 when given as a postcode, and coordinates
      // rounded to the configured precision (NULL when not kept). note: screened free text.
      `CREATE TABLE observations (
        id VARCHAR PRIMARY KEY, category VARCHAR NOT NULL, observed_at TIMESTAMP NOT NULL,
        received_at TIMESTAMP NOT NULL, area_code VARCHAR NOT NULL, division SMALLINT NOT NULL,
        gemeente_code VARCHAR, pc6 VARCHAR, lon DOUBLE, lat DOUBLE, location_source VARCHAR NOT NULL,
        note VARCHAR, user_id VARCHAR NOT NULL, organisation_id VARCHAR)`,
      // The signal board of an area (not the detectors' area_signals): professionals' signals,
      // colleagues' responses and the actions agreed on.
      `CREATE SEQUENCE board_signal_ids START 1`,
      `CREATE TABLE board_signals (
        id INTEGER PRIMARY KEY DEFAULT nextval('board_signal_ids'), area_code VARCHAR NOT NULL,
        division SMALLINT NOT NULL, level VARCHAR NOT NULL, gemeente_code VARCHAR, domain VARCHAR NOT NULL,
        tags VARCHAR[] NOT NULL, urgency VARCHAR NOT NULL, text VARCHAR NOT NULL, status VARCHAR NOT NULL,
        author_id VARCHAR NOT NULL, organisation_id VARCHAR, created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL)`,
      `CREATE SEQUENCE board_response_ids START 1`,
      `CREATE TABLE board_responses (
        id INTEGER PRIMARY KEY DEFAULT nextval('board_response_ids'), signal_id INTEGER NOT NULL,
        text VARCHAR NOT NULL, author_id VARCHAR NOT NULL, organisation_id VARCHAR,
        created_at TIMESTAMP NOT NULL)`,
      `CREATE SEQUENCE board_action_ids START 1`,
      `CREATE TABLE board_actions (
        id INTEGER PRIMARY KEY DEFAULT nextval('board_action_ids'), area_code VARCHAR NOT NULL,
        division SMALLINT NOT NULL, level VARCHAR NOT NULL, gemeente_code VARCHAR, domain VARCHAR NOT NULL,
        signal_id INTEGER, text VARCHAR NOT NULL, owner_organisation VARCHAR NOT NULL, owner_name VARCHAR,
        due_date DATE NOT NULL, status VARCHAR NOT NULL, created_by VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL, done_at TIMESTAMP)`,
      // Interventions for one or more areas (areas: codes of one division), with their agreements.
      // shared: listed in the library of interventions; outcome: the effect estimate as last shared
      // (JSON, aggregates only); area_type: what kind of area it ran in, for the library's search.
      `CREATE SEQUENCE intervention_ids START 1`,
      `CREATE TABLE interventions (
        id INTEGER PRIMARY KEY DEFAULT nextval('intervention_ids'), title VARCHAR NOT NULL,
        goal VARCHAR NOT NULL, kind VARCHAR NOT NULL, problem VARCHAR NOT NULL, domain VARCHAR NOT NULL,
        areas VARCHAR[] NOT NULL, division SMALLINT NOT NULL, level VARCHAR NOT NULL,
        gemeente_code VARCHAR, target_indicators VARCHAR[] NOT NULL, start_date DATE NOT NULL,
        end_date DATE, owner_organisation VARCHAR NOT NULL, budget DOUBLE, status VARCHAR NOT NULL,
        shared BOOLEAN NOT NULL, lessons VARCHAR, area_type VARCHAR, outcome VARCHAR,
        created_by VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)`,
      `CREATE SEQUENCE intervention_agreement_ids START 1`,
      `CREATE TABLE intervention_agreements (
        id INTEGER PRIMARY KEY DEFAULT nextval('intervention_agreement_ids'),
        intervention_id INTEGER NOT NULL, text VARCHAR NOT NULL, owner_organisation VARCHAR NOT NULL,
        owner_name VARCHAR, due_date DATE NOT NULL, status VARCHAR NOT NULL, created_by VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)`,
    ],
  },
  {
    version: 7,
    name: "sources: whether their counts are about people (disclosure control of field reports)",
    // NULL: not said, treated as yes. False only for counts of reports about places (core
    // `disclosureExempt`): they pass minimum-frequency suppression; access control still applies.
    sql: [`ALTER TABLE sources ADD COLUMN personal BOOLEAN`],
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
