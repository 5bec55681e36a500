/**
 * Interventions and their agreements (migration 6). An intervention names one or more areas of one
 * division and level, target indicators, start and end; `outcome` holds the effect estimate as last
 * shared (aggregates only, no area codes) for the library. Multi-row changes run in one transaction.
 */
import type { AreaLevel, Domain } from "@wijkradar/core";
import type { Database, SqlParam } from "./database.js";

export const INTERVENTION_STATUSES = ["planned", "running", "finished", "stopped"] as const;
export type InterventionStatus = (typeof INTERVENTION_STATUSES)[number];
export const AGREEMENT_STATUSES = ["open", "done", "dropped"] as const;
export type AgreementStatus = (typeof AGREEMENT_STATUSES)[number];

export interface AgreementRow {
  readonly id: number;
  readonly interventionId: number;
  readonly text: string;
  readonly ownerOrganisation: string;
  readonly ownerName: string | null;
  readonly dueDate: string;
  readonly status: AgreementStatus;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface InterventionFields {
  readonly title: string;
  readonly goal: string;
  readonly kind: string;
  readonly problem: string;
  readonly domain: Domain;
  readonly areas: readonly string[];
  readonly division: number;
  readonly level: AreaLevel;
  readonly gemeenteCode: string | null;
  readonly targetIndicators: readonly string[];
  readonly startDate: string;
  readonly endDate: string | null;
  readonly ownerOrganisation: string;
  readonly budget: number | null;
  readonly status: InterventionStatus;
  readonly shared: boolean;
  readonly lessons: string | null;
  readonly areaType: string | null;
}

export interface InterventionRow extends InterventionFields {
  readonly id: number;
  /** The shared outcome (JSON text), or null. */
  readonly outcome: string | null;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly agreements: readonly AgreementRow[];
}

const TS = (col: string) => `strftime(${col}, '%Y-%m-%dT%H:%M:%S.%gZ')`;

const SELECT = `SELECT id, title, goal, kind, problem, domain, areas, division, level, gemeente_code, target_indicators,
  strftime(start_date, '%Y-%m-%d') AS start_date, strftime(end_date, '%Y-%m-%d') AS end_date, owner_organisation,
  budget, status, shared, lessons, area_type, outcome, created_by, ${TS("created_at")} AS created_at,
  ${TS("updated_at")} AS updated_at FROM interventions`;

interface Raw {
  id: number;
  title: string;
  goal: string;
  kind: string;
  problem: string;
  domain: Domain;
  areas: string[];
  division: number;
  level: AreaLevel;
  gemeente_code: string | null;
  target_indicators: string[];
  start_date: string;
  end_date: string | null;
  owner_organisation: string;
  budget: number | null;
  status: InterventionStatus;
  shared: boolean;
  lessons: string | null;
  area_type: string | null;
  outcome: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

interface RawAgreement {
  id: number;
  intervention_id: number;
  text: string;
  owner_organisation: string;
  owner_name: string | null;
  due_date: string;
  status: AgreementStatus;
  created_by: string;
  created_at: string;
  updated_at: string;
}

const toRow = (r: Raw, agreements: AgreementRow[]): InterventionRow => ({
  id: r.id,
  title: r.title,
  goal: r.goal,
  kind: r.kind,
  problem: r.problem,
  domain: r.domain,
  areas: r.areas,
  division: r.division,
  level: r.level,
  gemeenteCode: r.gemeente_code,
  targetIndicators: r.target_indicators,
  startDate: r.start_date,
  endDate: r.end_date,
  ownerOrganisation: r.owner_organisation,
  budget: r.budget,
  status: r.status,
  shared: r.shared,
  lessons: r.lessons,
  areaType: r.area_type,
  outcome: r.outcome,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  agreements,
});

async function load(
  db: Database,
  where: string,
  params: SqlParam[],
  tail = "ORDER BY start_date DESC, id DESC",
): Promise<InterventionRow[]> {
  return db.read(async (ex) => {
    const rows = await ex.all<Raw>(`${SELECT} WHERE ${where} ${tail}`, params);
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const agreements = await ex.all<RawAgreement>(
      `SELECT id, intervention_id, text, owner_organisation, owner_name, strftime(due_date, '%Y-%m-%d') AS due_date,
         status, created_by, ${TS("created_at")} AS created_at, ${TS("updated_at")} AS updated_at
       FROM intervention_agreements WHERE intervention_id IN (${ids.map(() => "?").join(",")}) ORDER BY due_date, id`,
      ids,
    );
    const byId = new Map<number, AgreementRow[]>();
    for (const a of agreements)
      (byId.get(a.intervention_id) ?? byId.set(a.intervention_id, []).get(a.intervention_id)!).push({
        id: a.id,
        interventionId: a.intervention_id,
        text: a.text,
        ownerOrganisation: a.owner_organisation,
        ownerName: a.owner_name,
        dueDate: a.due_date,
        status: a.status,
        createdBy: a.created_by,
        createdAt: a.created_at,
        updatedAt: a.updated_at,
      });
    return rows.map((r) => toRow(r, byId.get(r.id) ?? []));
  });
}

export interface InterventionQuery {
  /** Text in title, goal, problem or lessons (case- and accent-insensitive). */
  readonly q?: string;
  readonly domain?: Domain;
  readonly status?: InterventionStatus;
  /** Interventions naming this area, or an area in it. */
  readonly area?: string;
  readonly problem?: string;
  readonly areaType?: string;
  readonly sharedOnly?: boolean;
}

/** Interventions matching a query (all of them: the service filters by need to know). */
export async function listInterventions(db: Database, query: InterventionQuery): Promise<InterventionRow[]> {
  const where: string[] = ["true"];
  const params: SqlParam[] = [];
  if (query.q) {
    where.push(
      `strip_accents(concat_ws(' ', title, goal, problem, coalesce(lessons, ''))) ILIKE strip_accents(?)`,
    );
    params.push(`%${query.q.replaceAll("\\", "\\\\").replaceAll("%", "\\%").replaceAll("_", "\\_")}%`);
    where[where.length - 1] += " ESCAPE '\\'";
  }
  if (query.domain) {
    where.push("domain = ?");
    params.push(query.domain);
  }
  if (query.status) {
    where.push("status = ?");
    params.push(query.status);
  }
  if (query.problem) {
    where.push("strip_accents(problem) ILIKE strip_accents(?)");
    params.push(`%${query.problem}%`);
  }
  if (query.areaType) {
    where.push("area_type = ?");
    params.push(query.areaType);
  }
  if (query.sharedOnly) where.push("shared");
  if (query.area) {
    // The area itself or an area in it (codes carry their parents).
    where.push("(list_contains(areas, ?) OR len(list_filter(areas, a -> a LIKE ? OR a LIKE ?)) > 0)");
    const digits = query.area.slice(2);
    params.push(query.area, `WK${digits}%`, `BU${digits}%`);
  }
  return load(db, where.join(" AND "), params);
}

export async function getIntervention(db: Database, id: number): Promise<InterventionRow | undefined> {
  return (await load(db, "id = ?", [id]))[0];
}

const list = (v: readonly string[]) => JSON.stringify(v);

export async function insertIntervention(
  db: Database,
  f: InterventionFields,
  createdBy: string,
): Promise<number> {
  return db.transaction(async (ex) => {
    const rows = await ex.all<{ id: number }>(
      `INSERT INTO interventions (title, goal, kind, problem, domain, areas, division, level, gemeente_code,
         target_indicators, start_date, end_date, owner_organisation, budget, status, shared, lessons, area_type,
         outcome, created_by, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, from_json(?, '["VARCHAR"]'), ?, ?, ?, from_json(?, '["VARCHAR"]'), ?::DATE, ?::DATE,
         ?, ?, ?, ?, ?, ?, NULL, ?, now()::TIMESTAMP, now()::TIMESTAMP)
       RETURNING id`,
      [
        f.title,
        f.goal,
        f.kind,
        f.problem,
        f.domain,
        list(f.areas),
        f.division,
        f.level,
        f.gemeenteCode,
        list(f.targetIndicators),
        f.startDate,
        f.endDate,
        f.ownerOrganisation,
        f.budget,
        f.status,
        f.shared,
        f.lessons,
        f.areaType,
        createdBy,
      ],
    );
    return rows[0]!.id;
  });
}

/** Replaces the changeable fields of an intervention (the service merged the change). */
export async function updateIntervention(db: Database, id: number, f: InterventionFields): Promise<void> {
  await db.transaction(async (ex) => {
    await ex.run(
      `UPDATE interventions SET title = ?, goal = ?, kind = ?, problem = ?, domain = ?, areas = from_json(?, '["VARCHAR"]'),
         division = ?, level = ?, gemeente_code = ?, target_indicators = from_json(?, '["VARCHAR"]'),
         start_date = ?::DATE, end_date = ?::DATE, owner_organisation = ?, budget = ?, status = ?, shared = ?,
         lessons = ?, area_type = ?, updated_at = now()::TIMESTAMP
       WHERE id = ?`,
      [
        f.title,
        f.goal,
        f.kind,
        f.problem,
        f.domain,
        list(f.areas),
        f.division,
        f.level,
        f.gemeenteCode,
        list(f.targetIndicators),
        f.startDate,
        f.endDate,
        f.ownerOrganisation,
        f.budget,
        f.status,
        f.shared,
        f.lessons,
        f.areaType,
        id,
      ],
    );
  });
}

/** Stores (or clears) the shared outcome snapshot of an intervention. */
export async function setOutcome(db: Database, id: number, outcome: string | null): Promise<void> {
  await db.transaction((ex) => ex.run("UPDATE interventions SET outcome = ? WHERE id = ?", [outcome, id]));
}

export interface NewAgreement {
  readonly text: string;
  readonly ownerOrganisation: string;
  readonly ownerName: string | null;
  readonly dueDate: string;
  readonly status: AgreementStatus;
}

/** Adds an agreement; the intervention's updated_at moves with it (one transaction). */
export async function insertAgreement(
  db: Database,
  interventionId: number,
  a: NewAgreement,
  createdBy: string,
): Promise<number> {
  return db.transaction(async (ex) => {
    const rows = await ex.all<{ id: number }>(
      `INSERT INTO intervention_agreements (intervention_id, text, owner_organisation, owner_name, due_date, status,
         created_by, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?::DATE, ?, ?, now()::TIMESTAMP, now()::TIMESTAMP) RETURNING id`,
      [interventionId, a.text, a.ownerOrganisation, a.ownerName, a.dueDate, a.status, createdBy],
    );
    await ex.run("UPDATE interventions SET updated_at = now()::TIMESTAMP WHERE id = ?", [interventionId]);
    return rows[0]!.id;
  });
}

/** Changes an agreement of an intervention; false when the agreement is not one of its agreements. */
export async function updateAgreement(
  db: Database,
  interventionId: number,
  id: number,
  c: Partial<NewAgreement>,
): Promise<boolean> {
  return db.transaction(async (ex) => {
    const found = await ex.all(
      "SELECT id FROM intervention_agreements WHERE id = ? AND intervention_id = ?",
      [id, interventionId],
    );
    if (found.length === 0) return false;
    const sets: string[] = [];
    const params: SqlParam[] = [];
    const set = (sql: string, v: SqlParam) => {
      sets.push(sql);
      params.push(v);
    };
    if (c.text !== undefined) set("text = ?", c.text);
    if (c.ownerOrganisation !== undefined) set("owner_organisation = ?", c.ownerOrganisation);
    if (c.ownerName !== undefined) set("owner_name = ?", c.ownerName);
    if (c.dueDate !== undefined) set("due_date = ?::DATE", c.dueDate);
    if (c.status !== undefined) set("status = ?", c.status);
    sets.push("updated_at = now()::TIMESTAMP");
    await ex.run(`UPDATE intervention_agreements SET ${sets.join(", ")} WHERE id = ?`, [...params, id]);
    await ex.run("UPDATE interventions SET updated_at = now()::TIMESTAMP WHERE id = ?", [interventionId]);
    return true;
  });
}
