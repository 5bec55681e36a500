/**
 * The signal boards' store side (migration 6): professionals' signals per area with their responses,
 * and the actions agreed on. Reads return every row asked for; who may see which is the service's
 * business (core `boardAccess`). Multi-row changes run in one transaction.
 */
import type { AreaLevel, Domain } from "@wijkradar/core";
import type { Database, Executor, SqlParam } from "./database.js";

export const SIGNAL_STATUSES = ["open", "closed"] as const;
export type SignalStatus = (typeof SIGNAL_STATUSES)[number];
export const URGENCIES = ["low", "normal", "high"] as const;
export type Urgency = (typeof URGENCIES)[number];
export const ACTION_STATUSES = ["open", "done", "dropped"] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** Where a board item is: its area in one division, with level and gemeente. */
export interface BoardPlace {
  readonly areaCode: string;
  readonly division: number;
  readonly level: AreaLevel;
  readonly gemeenteCode: string | null;
}

/** Who wrote something: the user's id, display name (when still known) and organisation. */
export interface Author {
  readonly id: string;
  readonly name: string | null;
  readonly organisation: string | null;
}

export interface ResponseRow {
  readonly id: number;
  readonly signalId: number;
  readonly text: string;
  readonly author: Author;
  readonly createdAt: string;
}

export interface SignalRow extends BoardPlace {
  readonly id: number;
  readonly domain: Domain;
  readonly tags: readonly string[];
  readonly urgency: Urgency;
  readonly text: string;
  readonly status: SignalStatus;
  readonly author: Author;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly responses: readonly ResponseRow[];
}

export interface ActionRow extends BoardPlace {
  readonly id: number;
  readonly domain: Domain;
  readonly signalId: number | null;
  readonly text: string;
  readonly ownerOrganisation: string;
  readonly ownerName: string | null;
  readonly dueDate: string;
  readonly status: ActionStatus;
  readonly createdBy: Author;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly doneAt: string | null;
}

const TS = (col: string) => `strftime(${col}, '%Y-%m-%dT%H:%M:%S.%gZ')`;

/**
 * SQL condition "is this area, or (with `descendants`) lies in it", by the codes' own hierarchy: a
 * gemeente GMgggg holds WKgggg… and BUgggg…, a wijk WKggggww holds BUggggww…, the land everything.
 */
export function areaFilter(
  column: string,
  areaCode: string,
  descendants: boolean,
): { sql: string; params: SqlParam[] } {
  if (!descendants) return { sql: `${column} = ?`, params: [areaCode] };
  if (areaCode.startsWith("NL")) return { sql: "true", params: [] };
  if (areaCode.startsWith("GM"))
    return {
      sql: `(${column} = ? OR ${column} LIKE ? OR ${column} LIKE ?)`,
      params: [areaCode, `WK${areaCode.slice(2)}%`, `BU${areaCode.slice(2)}%`],
    };
  if (areaCode.startsWith("WK"))
    return { sql: `(${column} = ? OR ${column} LIKE ?)`, params: [areaCode, `BU${areaCode.slice(2)}%`] };
  return { sql: `${column} = ?`, params: [areaCode] };
}

interface RawSignal {
  id: number;
  area_code: string;
  division: number;
  level: AreaLevel;
  gemeente_code: string | null;
  domain: Domain;
  tags: string[];
  urgency: Urgency;
  text: string;
  status: SignalStatus;
  author_id: string;
  author_name: string | null;
  organisation_id: string | null;
  created_at: string;
  updated_at: string;
}

interface RawResponse {
  id: number;
  signal_id: number;
  text: string;
  author_id: string;
  author_name: string | null;
  organisation_id: string | null;
  created_at: string;
}

const SIGNAL_SELECT = `SELECT s.id, s.area_code, s.division, s.level, s.gemeente_code, s.domain, s.tags, s.urgency,
  s.text, s.status, s.author_id, u.display_name AS author_name, s.organisation_id,
  ${TS("s.created_at")} AS created_at, ${TS("s.updated_at")} AS updated_at
  FROM board_signals s LEFT JOIN (SELECT DISTINCT id, display_name FROM users) u ON u.id = s.author_id`;

async function withResponses(ex: Executor, rows: RawSignal[]): Promise<SignalRow[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const responses = await ex.all<RawResponse>(
    `SELECT r.id, r.signal_id, r.text, r.author_id, u.display_name AS author_name, r.organisation_id,
       ${TS("r.created_at")} AS created_at
     FROM board_responses r LEFT JOIN (SELECT DISTINCT id, display_name FROM users) u ON u.id = r.author_id
     WHERE r.signal_id IN (${ids.map(() => "?").join(",")}) ORDER BY r.created_at, r.id`,
    ids,
  );
  const bySignal = new Map<number, ResponseRow[]>();
  for (const r of responses)
    (bySignal.get(r.signal_id) ?? bySignal.set(r.signal_id, []).get(r.signal_id)!).push({
      id: r.id,
      signalId: r.signal_id,
      text: r.text,
      author: { id: r.author_id, name: r.author_name, organisation: r.organisation_id },
      createdAt: r.created_at,
    });
  return rows.map((r) => ({
    id: r.id,
    areaCode: r.area_code,
    division: r.division,
    level: r.level,
    gemeenteCode: r.gemeente_code,
    domain: r.domain,
    tags: r.tags,
    urgency: r.urgency,
    text: r.text,
    status: r.status,
    author: { id: r.author_id, name: r.author_name, organisation: r.organisation_id },
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    responses: bySignal.get(r.id) ?? [],
  }));
}

/** Signals of an area (and, with `descendants`, of the areas in it), newest first, with responses. */
export async function listSignals(
  db: Database,
  q: { readonly areaCode: string; readonly descendants?: boolean; readonly status?: SignalStatus },
): Promise<SignalRow[]> {
  const area = areaFilter("s.area_code", q.areaCode, q.descendants ?? false);
  const params = [...area.params];
  let status = "";
  if (q.status) {
    status = "AND s.status = ?";
    params.push(q.status);
  }
  return db.read(async (ex) =>
    withResponses(
      ex,
      await ex.all<RawSignal>(
        `${SIGNAL_SELECT} WHERE ${area.sql} ${status} ORDER BY s.created_at DESC, s.id DESC`,
        params,
      ),
    ),
  );
}

export async function getSignal(db: Database, id: number): Promise<SignalRow | undefined> {
  return db.read(
    async (ex) =>
      (await withResponses(ex, await ex.all<RawSignal>(`${SIGNAL_SELECT} WHERE s.id = ?`, [id])))[0],
  );
}

export interface NewSignal extends BoardPlace {
  readonly domain: Domain;
  readonly tags: readonly string[];
  readonly urgency: Urgency;
  readonly text: string;
  readonly authorId: string;
  readonly organisationId: string | null;
}

export async function insertSignal(db: Database, s: NewSignal): Promise<number> {
  return db.transaction(async (ex) => {
    const rows = await ex.all<{ id: number }>(
      `INSERT INTO board_signals (area_code, division, level, gemeente_code, domain, tags, urgency, text, status,
         author_id, organisation_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, from_json(?, '["VARCHAR"]'), ?, ?, 'open', ?, ?, now()::TIMESTAMP, now()::TIMESTAMP)
       RETURNING id`,
      [
        s.areaCode,
        s.division,
        s.level,
        s.gemeenteCode,
        s.domain,
        JSON.stringify(s.tags),
        s.urgency,
        s.text,
        s.authorId,
        s.organisationId,
      ],
    );
    return rows[0]!.id;
  });
}

/** A response; the signal's updated_at moves with it (one transaction). */
export async function insertResponse(
  db: Database,
  r: {
    readonly signalId: number;
    readonly text: string;
    readonly authorId: string;
    readonly organisationId: string | null;
  },
): Promise<number> {
  return db.transaction(async (ex) => {
    const rows = await ex.all<{ id: number }>(
      `INSERT INTO board_responses (signal_id, text, author_id, organisation_id, created_at)
       VALUES (?, ?, ?, ?, now()::TIMESTAMP) RETURNING id`,
      [r.signalId, r.text, r.authorId, r.organisationId],
    );
    await ex.run("UPDATE board_signals SET updated_at = now()::TIMESTAMP WHERE id = ?", [r.signalId]);
    return rows[0]!.id;
  });
}

export async function updateSignal(
  db: Database,
  id: number,
  change: { readonly status?: SignalStatus; readonly urgency?: Urgency; readonly tags?: readonly string[] },
): Promise<void> {
  await db.transaction(async (ex) => {
    if (change.status) await ex.run("UPDATE board_signals SET status = ? WHERE id = ?", [change.status, id]);
    if (change.urgency)
      await ex.run("UPDATE board_signals SET urgency = ? WHERE id = ?", [change.urgency, id]);
    if (change.tags)
      await ex.run(`UPDATE board_signals SET tags = from_json(?, '["VARCHAR"]') WHERE id = ?`, [
        JSON.stringify(change.tags),
        id,
      ]);
    await ex.run("UPDATE board_signals SET updated_at = now()::TIMESTAMP WHERE id = ?", [id]);
  });
}

interface RawAction {
  id: number;
  area_code: string;
  division: number;
  level: AreaLevel;
  gemeente_code: string | null;
  domain: Domain;
  signal_id: number | null;
  text: string;
  owner_organisation: string;
  owner_name: string | null;
  due_date: string;
  status: ActionStatus;
  created_by: string;
  author_name: string | null;
  organisation_id: string | null;
  created_at: string;
  updated_at: string;
  done_at: string | null;
}

const ACTION_SELECT = `SELECT a.id, a.area_code, a.division, a.level, a.gemeente_code, a.domain, a.signal_id, a.text,
  a.owner_organisation, a.owner_name, strftime(a.due_date, '%Y-%m-%d') AS due_date, a.status, a.created_by,
  u.display_name AS author_name, u.organisation_id,
  ${TS("a.created_at")} AS created_at, ${TS("a.updated_at")} AS updated_at, ${TS("a.done_at")} AS done_at
  FROM board_actions a LEFT JOIN (SELECT DISTINCT id, display_name, organisation_id FROM users) u ON u.id = a.created_by`;

const toAction = (r: RawAction): ActionRow => ({
  id: r.id,
  areaCode: r.area_code,
  division: r.division,
  level: r.level,
  gemeenteCode: r.gemeente_code,
  domain: r.domain,
  signalId: r.signal_id,
  text: r.text,
  ownerOrganisation: r.owner_organisation,
  ownerName: r.owner_name,
  dueDate: r.due_date,
  status: r.status,
  createdBy: { id: r.created_by, name: r.author_name, organisation: r.organisation_id },
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  doneAt: r.done_at,
});

/** Actions of an area (and, with `descendants`, of the areas in it), by due date. */
export async function listActions(
  db: Database,
  q: { readonly areaCode: string; readonly descendants?: boolean; readonly status?: ActionStatus },
): Promise<ActionRow[]> {
  const area = areaFilter("a.area_code", q.areaCode, q.descendants ?? false);
  const params = [...area.params];
  let status = "";
  if (q.status) {
    status = "AND a.status = ?";
    params.push(q.status);
  }
  const rows = await db.read((ex) =>
    ex.all<RawAction>(`${ACTION_SELECT} WHERE ${area.sql} ${status} ORDER BY a.due_date, a.id`, params),
  );
  return rows.map(toAction);
}

export async function getAction(db: Database, id: number): Promise<ActionRow | undefined> {
  const rows = await db.read((ex) => ex.all<RawAction>(`${ACTION_SELECT} WHERE a.id = ?`, [id]));
  return rows[0] ? toAction(rows[0]) : undefined;
}

export interface NewAction extends BoardPlace {
  readonly domain: Domain;
  readonly signalId: number | null;
  readonly text: string;
  readonly ownerOrganisation: string;
  readonly ownerName: string | null;
  readonly dueDate: string;
  readonly status: ActionStatus;
  readonly createdBy: string;
}

export async function insertAction(db: Database, a: NewAction): Promise<number> {
  return db.transaction(async (ex) => {
    const rows = await ex.all<{ id: number }>(
      `INSERT INTO board_actions (area_code, division, level, gemeente_code, domain, signal_id, text, owner_organisation,
         owner_name, due_date, status, created_by, created_at, updated_at, done_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?::DATE, ?, ?, now()::TIMESTAMP, now()::TIMESTAMP,
         CASE WHEN ? = 'open' THEN NULL ELSE now()::TIMESTAMP END)
       RETURNING id`,
      [
        a.areaCode,
        a.division,
        a.level,
        a.gemeenteCode,
        a.domain,
        a.signalId,
        a.text,
        a.ownerOrganisation,
        a.ownerName,
        a.dueDate,
        a.status,
        a.createdBy,
        a.status,
      ],
    );
    return rows[0]!.id;
  });
}

export interface ActionChange {
  readonly text?: string;
  readonly ownerOrganisation?: string;
  readonly ownerName?: string | null;
  readonly dueDate?: string;
  readonly status?: ActionStatus;
}

/** Changes an action in one transaction; `done_at` is set when it leaves "open", cleared when it returns. */
export async function updateAction(db: Database, id: number, c: ActionChange): Promise<void> {
  await db.transaction(async (ex) => {
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
    if (c.status !== undefined) {
      set("status = ?", c.status);
      set("done_at = CASE WHEN ? = 'open' THEN NULL ELSE coalesce(done_at, now()::TIMESTAMP) END", c.status);
    }
    sets.push("updated_at = now()::TIMESTAMP");
    await ex.run(`UPDATE board_actions SET ${sets.join(", ")} WHERE id = ?`, [...params, id]);
  });
}
