/**
 * The microdata vault's store side: the source registry, vault deliveries, pseudonymised records
 * (register rows and facts), the PC6 → buurt lookup and retention. Only pseudonyms (BIGINT) reach
 * these tables; raw identifiers never do (see vault/import-microdata.ts).
 */
import type { SourceRegistration } from "@wijkradar/core";
import type { Database, Executor } from "./database.js";
import type { StagedRows } from "./microdata-staging.js";

export interface VaultSource extends SourceRegistration {
  readonly registeredAt: string;
  readonly registeredBy: string;
}

interface SourceDbRow {
  id: string;
  name: string;
  organisation: string;
  legal_basis: string;
  purpose: string;
  dpia_reference: string;
  retention_months: number;
  key_purpose: string;
  record_level: SourceRegistration["recordLevel"];
  synthetic: boolean;
  description: string | null;
  registered_at: string;
  registered_by: string;
}

const toSource = (r: SourceDbRow): VaultSource => ({
  id: r.id,
  name: r.name,
  organisation: r.organisation,
  legalBasis: r.legal_basis,
  purpose: r.purpose,
  dpiaReference: r.dpia_reference,
  retentionMonths: r.retention_months,
  keyPurpose: r.key_purpose,
  recordLevel: r.record_level,
  synthetic: r.synthetic,
  ...(r.description === null ? {} : { description: r.description }),
  registeredAt: r.registered_at,
  registeredBy: r.registered_by,
});

const SOURCE_SELECT = `SELECT id, name, organisation, legal_basis, purpose, dpia_reference, retention_months,
  key_purpose, record_level, synthetic, description, strftime(registered_at, '%Y-%m-%dT%H:%M:%SZ') AS registered_at,
  registered_by FROM vault_sources`;

export async function listVaultSources(db: Database): Promise<VaultSource[]> {
  return (await db.read((ex) => ex.all<SourceDbRow>(`${SOURCE_SELECT} ORDER BY id`))).map(toSource);
}

export async function getVaultSource(db: Database, id: string): Promise<VaultSource | undefined> {
  const rows = await db.read((ex) => ex.all<SourceDbRow>(`${SOURCE_SELECT} WHERE id = ?`, [id]));
  return rows[0] ? toSource(rows[0]) : undefined;
}

export async function vaultRowCount(ex: Executor, sourceId: string): Promise<number> {
  const rows = await ex.all<{ n: number }>(
    `SELECT ((SELECT count(*) FROM vault_persons WHERE source_id = $1) + (SELECT count(*) FROM vault_facts WHERE source_id = $1))::DOUBLE AS n`,
    [sourceId],
  );
  return rows[0]?.n ?? 0;
}

/**
 * Registers a source or updates its entry. Returns what happened, or the reason it is refused: the
 * key purpose and record level of a source that holds records cannot change (its pseudonyms would
 * no longer link).
 */
export async function registerVaultSource(
  db: Database,
  reg: SourceRegistration,
  by: string,
  now: Date,
): Promise<
  { readonly status: "registered" | "updated" } | { readonly status: "refused"; readonly reason: string }
> {
  return db.transaction(async (ex) => {
    const existing = (await ex.all<SourceDbRow>(`${SOURCE_SELECT} WHERE id = ?`, [reg.id]))[0];
    if (existing) {
      const rows = await vaultRowCount(ex, reg.id);
      if (rows > 0 && existing.key_purpose !== reg.keyPurpose)
        return {
          status: "refused" as const,
          reason: `source ${reg.id} holds ${rows} records pseudonymised with key purpose "${existing.key_purpose}"; it cannot change to "${reg.keyPurpose}" (purge it first)`,
        };
      if (rows > 0 && existing.record_level !== reg.recordLevel)
        return {
          status: "refused" as const,
          reason: `source ${reg.id} holds ${rows} records at level ${existing.record_level}; it cannot change to ${reg.recordLevel}`,
        };
      await ex.run("DELETE FROM vault_sources WHERE id = ?", [reg.id]);
    }
    await ex.run(`INSERT INTO vault_sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::TIMESTAMP, ?)`, [
      reg.id,
      reg.name,
      reg.organisation,
      reg.legalBasis,
      reg.purpose,
      reg.dpiaReference,
      reg.retentionMonths,
      reg.keyPurpose,
      reg.recordLevel,
      reg.synthetic,
      reg.description ?? null,
      now.toISOString().replace("Z", ""),
      by,
    ]);
    return { status: existing ? ("updated" as const) : ("registered" as const) };
  });
}

export interface VaultDelivery {
  readonly id: number;
  readonly sourceId: string;
  readonly fileName: string;
  readonly fileSha256: string;
  readonly rows: number;
  readonly rejected: number;
  readonly keyPurpose: string;
  readonly keyVersion: number;
  readonly importedAt: string;
}

export async function listVaultDeliveries(db: Database, sourceId?: string): Promise<VaultDelivery[]> {
  return db.read((ex) =>
    ex.all<VaultDelivery>(
      `SELECT id, source_id AS sourceId, file_name AS fileName, file_sha256 AS fileSha256, rows, rejected,
        key_purpose AS keyPurpose, key_version AS keyVersion,
        strftime(imported_at, '%Y-%m-%dT%H:%M:%SZ') AS importedAt
       FROM vault_deliveries ${sourceId ? "WHERE source_id = ?" : ""} ORDER BY id DESC`,
      sourceId ? [sourceId] : [],
    ),
  );
}

/** The delivery of this source with the same file, mapping and key version, if its records are still there. */
export async function findIdenticalVaultDelivery(
  db: Database,
  sourceId: string,
  fileSha256: string,
  mappingSha256: string,
  keyVersion: number,
): Promise<number | undefined> {
  const rows = await db.read((ex) =>
    ex.all<{ id: number }>(
      `SELECT d.id FROM vault_deliveries d WHERE d.source_id = ? AND d.file_sha256 = ? AND d.mapping_sha256 = ? AND d.key_version = ?
         AND (EXISTS (SELECT 1 FROM vault_persons p WHERE p.delivery_id = d.id) OR EXISTS (SELECT 1 FROM vault_facts f WHERE f.delivery_id = d.id))
       ORDER BY d.id DESC LIMIT 1`,
      [sourceId, fileSha256, mappingSha256, keyVersion],
    ),
  );
  return rows[0]?.id;
}

/** Writes one vault delivery inside a transaction the caller holds. */
export class VaultDeliveryWriter {
  private constructor(
    private readonly ex: Executor,
    readonly id: number,
  ) {}

  /**
   * Starts a delivery: its manifest row (completed by `finish`) and, in replace mode, the removal of
   * the source's earlier records (returns how many).
   */
  static async start(
    ex: Executor,
    d: {
      sourceId: string;
      fileName: string;
      fileSha256: string;
      mappingSha256: string;
      keyPurpose: string;
      keyVersion: number;
      replace: boolean;
      now: Date;
    },
  ): Promise<{ writer: VaultDeliveryWriter; replacedRows: number }> {
    let replacedRows = 0;
    if (d.replace) {
      replacedRows = await vaultRowCount(ex, d.sourceId);
      await ex.run("DELETE FROM vault_persons WHERE source_id = ?", [d.sourceId]);
      await ex.run("DELETE FROM vault_facts WHERE source_id = ?", [d.sourceId]);
    }
    const rows = await ex.all<{ id: number }>(
      `INSERT INTO vault_deliveries (source_id, file_name, file_sha256, mapping_sha256, rows, rejected, key_purpose, key_version, imported_at, report)
       VALUES (?, ?, ?, ?, 0, 0, ?, ?, ?::TIMESTAMP, '') RETURNING id`,
      [
        d.sourceId,
        d.fileName,
        d.fileSha256,
        d.mappingSha256,
        d.keyPurpose,
        d.keyVersion,
        d.now.toISOString().replace("Z", ""),
      ],
    );
    return { writer: new VaultDeliveryWriter(ex, rows[0]!.id), replacedRows };
  }

  /** Appends the staged, pseudonymised rows (store/microdata-staging.ts); returns how many. */
  appendStaged(rows: StagedRows): Promise<number> {
    return this.ex.appendChunks(rows.table, () => rows.next());
  }

  async finish(rows: number, rejected: number, report: string): Promise<void> {
    await this.ex.run("UPDATE vault_deliveries SET rows = ?, rejected = ?, report = ? WHERE id = ?", [
      rows,
      rejected,
      report,
      this.id,
    ]);
  }
}

/** PC6 codes of a register that have no buurt in the lookup for any year. */
export async function pc6WithoutBuurt(ex: Executor, sourceId: string): Promise<number> {
  const rows = await ex.all<{ n: number }>(
    `SELECT count(DISTINCT pc6)::DOUBLE AS n FROM vault_persons p WHERE source_id = ?
       AND NOT EXISTS (SELECT 1 FROM vault_pc6_areas l WHERE l.pc6 = p.pc6)`,
    [sourceId],
  );
  return rows[0]?.n ?? 0;
}

export interface Pc6AreaRow {
  readonly pc6: string;
  readonly year: number;
  readonly buurtCode: string;
  readonly division: number;
}

/** Replaces the PC6 → buurt lookup of the given years with these rows, atomically. */
export async function replacePc6Lookup(
  db: Database,
  rows: readonly Pc6AreaRow[],
  source: string,
): Promise<{ readonly years: number[]; readonly replaced: number }> {
  const years = [...new Set(rows.map((r) => r.year))].sort();
  return db.transaction(async (ex) => {
    let replaced = 0;
    for (const y of years) {
      const n = await ex.all<{ n: number }>(
        "SELECT count(*)::DOUBLE AS n FROM vault_pc6_areas WHERE year = ?",
        [y],
      );
      replaced += n[0]?.n ?? 0;
      await ex.run("DELETE FROM vault_pc6_areas WHERE year = ?", [y]);
    }
    await ex.append("vault_pc6_areas", (a) => {
      for (const r of rows) {
        a.appendVarchar(r.pc6);
        a.appendSmallInt(r.year);
        a.appendVarchar(r.buurtCode);
        a.appendSmallInt(r.division);
        a.appendVarchar(source);
        a.endRow();
      }
    });
    return { years, replaced };
  });
}

/** Buurt codes that are not registered areas of their division (for the lookup's validation). */
export async function unknownBuurten(
  db: Database,
  pairs: readonly { readonly code: string; readonly division: number }[],
): Promise<Set<string>> {
  if (pairs.length === 0) return new Set();
  const known = await db.read((ex) =>
    ex.all<{ key: string }>(
      `SELECT code || '|' || division AS key FROM areas WHERE level = 'buurt' AND division IN (${[
        ...new Set(pairs.map((p) => p.division)),
      ]
        .map(Number)
        .join(",")})`,
    ),
  );
  const set = new Set(known.map((k) => k.key));
  return new Set(
    pairs.filter((p) => !set.has(`${p.code}|${p.division}`)).map((p) => `${p.code}|${p.division}`),
  );
}

export interface PurgeCount {
  readonly sourceId: string;
  readonly retentionMonths: number;
  readonly cutoff: string;
  readonly persons: number;
  readonly facts: number;
}

/**
 * Retention: removes every record of a source that ended (valid_to) before its cutoff, the date
 * `retentionMonths` before `asOf`. Open-ended records stay. Deliveries left without records are
 * removed too. `dryRun` counts only.
 */
export async function purgeExpired(db: Database, asOf: Date, dryRun: boolean): Promise<PurgeCount[]> {
  const work = async (ex: Executor): Promise<PurgeCount[]> => {
    const sources = await ex.all<{ id: string; retention_months: number }>(
      "SELECT id, retention_months FROM vault_sources ORDER BY id",
    );
    const out: PurgeCount[] = [];
    for (const s of sources) {
      const cutoffDate = new Date(
        Date.UTC(asOf.getUTCFullYear(), asOf.getUTCMonth() - s.retention_months, asOf.getUTCDate()),
      );
      const cutoff = cutoffDate.toISOString().slice(0, 10);
      const counts = await ex.all<{ persons: number; facts: number }>(
        `SELECT (SELECT count(*) FROM vault_persons WHERE source_id = $1 AND valid_to IS NOT NULL AND valid_to < $2::DATE)::DOUBLE AS persons,
                (SELECT count(*) FROM vault_facts WHERE source_id = $1 AND valid_to IS NOT NULL AND valid_to < $2::DATE)::DOUBLE AS facts`,
        [s.id, cutoff],
      );
      const c = counts[0]!;
      if (!dryRun && c.persons + c.facts > 0) {
        await ex.run(
          "DELETE FROM vault_persons WHERE source_id = ? AND valid_to IS NOT NULL AND valid_to < ?::DATE",
          [s.id, cutoff],
        );
        await ex.run(
          "DELETE FROM vault_facts WHERE source_id = ? AND valid_to IS NOT NULL AND valid_to < ?::DATE",
          [s.id, cutoff],
        );
      }
      out.push({
        sourceId: s.id,
        retentionMonths: s.retention_months,
        cutoff,
        persons: c.persons,
        facts: c.facts,
      });
    }
    if (!dryRun)
      await ex.run(`DELETE FROM vault_deliveries d WHERE NOT EXISTS (SELECT 1 FROM vault_persons p WHERE p.delivery_id = d.id)
        AND NOT EXISTS (SELECT 1 FROM vault_facts f WHERE f.delivery_id = d.id)`);
    return out;
  };
  return dryRun ? db.read(work) : db.transaction(work);
}

export interface VaultSourceStatus {
  readonly sourceId: string;
  readonly persons: number;
  readonly facts: number;
  readonly deliveries: number;
  readonly validFrom: string | null;
  readonly validTo: string | null;
}

/** Per source: how many records, deliveries and which period they cover. Counts only. */
export async function vaultStatus(db: Database): Promise<VaultSourceStatus[]> {
  return db.read((ex) =>
    ex.all<VaultSourceStatus>(`
      WITH r AS (
        SELECT source_id, count(*) AS persons, 0 AS facts, min(valid_from) AS f, max(coalesce(valid_to, valid_from)) AS t FROM vault_persons GROUP BY source_id
        UNION ALL
        SELECT source_id, 0, count(*), min(valid_from), max(coalesce(valid_to, valid_from)) FROM vault_facts GROUP BY source_id)
      SELECT s.id AS sourceId, coalesce(sum(r.persons), 0)::DOUBLE AS persons, coalesce(sum(r.facts), 0)::DOUBLE AS facts,
        (SELECT count(*) FROM vault_deliveries d WHERE d.source_id = s.id)::DOUBLE AS deliveries,
        strftime(min(r.f), '%Y-%m-%d') AS validFrom, strftime(max(r.t), '%Y-%m-%d') AS validTo
      FROM vault_sources s LEFT JOIN r ON r.source_id = s.id GROUP BY s.id ORDER BY s.id`),
  );
}
