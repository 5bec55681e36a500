/**
 * Vault fixtures for the profile tests, written with SQL through Database.transaction (fixture
 * setup only). Every pseudonym is a known BIGINT so responses can be scanned for them (T-SY-2).
 */
import type { Database, SqlParam } from "../src/store/database.js";

export interface PersonRow {
  readonly source?: string;
  readonly person: bigint;
  readonly household: bigint | null;
  readonly address: bigint | null;
  readonly recordKey: number;
  readonly pc6: string;
  readonly birth: string;
  readonly sex: "M" | "V" | null;
  readonly size: number | null;
  readonly type: string | null;
  readonly from: string;
  readonly to: string | null;
}

export interface FactRow {
  readonly source: string;
  readonly kind: "person" | "household" | "address" | "pc6";
  readonly subject: bigint | null;
  readonly pc6?: string;
  readonly fact: string;
  readonly from: string;
  readonly to: string | null;
  readonly amount?: number;
}

export async function registerSources(
  db: Database,
  sources: readonly { id: string; keyPurpose: string; synthetic: boolean; organisation?: string }[],
): Promise<void> {
  await db.transaction(async (ex) => {
    for (const s of sources)
      await ex.run(
        `INSERT INTO vault_sources VALUES (?, ?, ?, 'test', 'test', 'DPIA-T', 60, ?, 'person', ?, NULL, now()::TIMESTAMP, 'test')`,
        [s.id, `Bron ${s.id}`, s.organisation ?? "Gemeente Test", s.keyPurpose, s.synthetic],
      );
  });
}

export async function insertAreas(
  db: Database,
  areas: readonly {
    code: string;
    level: string;
    name: string;
    parent: string | null;
    gemeente: string | null;
  }[],
  division = 2024,
): Promise<void> {
  await db.transaction(async (ex) => {
    for (const a of areas)
      await ex.run(
        `INSERT INTO areas (code, division, level, name, name_division, parent_code, gemeente_code) VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [a.code, division, a.level, a.name, division, a.parent, a.gemeente],
      );
  });
}

export async function insertLookup(
  db: Database,
  rows: readonly { pc6: string; year: number; buurt: string; division?: number }[],
): Promise<void> {
  await db.transaction(async (ex) => {
    for (const r of rows)
      await ex.run(`INSERT INTO vault_pc6_areas VALUES (?, ?, ?, ?, 'test')`, [
        r.pc6,
        r.year,
        r.buurt,
        r.division ?? r.year,
      ]);
  });
}

export async function insertPersons(db: Database, persons: readonly PersonRow[]): Promise<void> {
  await db.transaction(async (ex) => {
    for (const p of persons) {
      const params: SqlParam[] = [
        p.source ?? "brp",
        p.person,
        p.household,
        p.address,
        p.recordKey,
        p.pc6,
        p.birth,
        p.sex,
        p.size,
        p.type,
        p.from,
        p.to,
      ];
      await ex.run(
        `INSERT INTO vault_persons VALUES (?, 1, 1, ?, ?, ?, ?, ?, ?::DATE, ?, ?, ?, ?::DATE, ?::DATE)`,
        params,
      );
    }
  });
}

export async function insertFacts(db: Database, facts: readonly FactRow[]): Promise<void> {
  await db.transaction(async (ex) => {
    for (const f of facts)
      await ex.run(`INSERT INTO vault_facts VALUES (?, 1, 1, ?, ?, ?, ?, ?::DATE, ?::DATE, ?)`, [
        f.source,
        f.kind,
        f.subject,
        f.pc6 ?? null,
        f.fact,
        f.from,
        f.to,
        f.amount ?? null,
      ]);
  });
}

/** Bulk persons (generated): one statement per batch through the appender would be faster; fine here. */
export async function insertPersonsBulk(db: Database, persons: readonly PersonRow[]): Promise<void> {
  await db.transaction(async (ex) => {
    const chunk = 200;
    for (let i = 0; i < persons.length; i += chunk) {
      const part = persons.slice(i, i + chunk);
      const params: SqlParam[] = [];
      for (const p of part)
        params.push(
          p.source ?? "brp",
          p.person,
          p.household,
          p.address,
          p.recordKey,
          p.pc6,
          p.birth,
          p.sex,
          p.size,
          p.type,
          p.from,
          p.to,
        );
      await ex.run(
        `INSERT INTO vault_persons VALUES ${part.map(() => "(?, 1, 1, ?, ?, ?, ?, ?, ?::DATE, ?, ?, ?, ?::DATE, ?::DATE)").join(", ")}`,
        params,
      );
    }
  });
}
