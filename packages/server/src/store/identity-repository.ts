/**
 * The store side of access: organisations, users, sessions and grants (migration 5). Passwords are
 * stored as scrypt hashes only, sessions by the sha256 of their token; nothing here ever holds a
 * password or a live token.
 */
import type { AreaLevel, Grant, Grantee } from "@wijkradar/core";
import type { Database, Executor } from "./database.js";

export interface OrganisationRow {
  readonly id: string;
  readonly name: string;
  /** "gemeente", "police", "housing", "school", "care", "welfare", "research", "other". */
  readonly kind: string;
  readonly createdAt: string;
}

export interface UserRow {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly organisationId: string;
  readonly role: string;
  readonly purpose: string;
  readonly passwordHash: string | null;
  readonly totpSecret: string | null;
  readonly oidcIssuer: string | null;
  readonly oidcSubject: string | null;
  readonly disabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastLoginAt: string | null;
}

export interface SessionRow {
  readonly tokenHash: string;
  readonly userId: string;
  readonly csrfToken: string;
  /** "password", "password+totp", "oidc". */
  readonly method: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly origin: string;
  readonly endedAt: Date | null;
  readonly endReason: string | null;
}

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

function userOf(r: Record<string, unknown>): UserRow {
  return {
    id: String(r.id),
    username: String(r.username),
    displayName: String(r.display_name),
    organisationId: String(r.organisation_id),
    role: String(r.role),
    purpose: String(r.purpose),
    passwordHash: (r.password_hash as string | null) ?? null,
    totpSecret: (r.totp_secret as string | null) ?? null,
    oidcIssuer: (r.oidc_issuer as string | null) ?? null,
    oidcSubject: (r.oidc_subject as string | null) ?? null,
    disabled: Boolean(r.disabled),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    lastLoginAt: r.last_login_at == null ? null : iso(r.last_login_at),
  };
}

const USER_COLUMNS = `id, username, display_name, organisation_id, role, purpose, password_hash, totp_secret,
  oidc_issuer, oidc_subject, disabled, created_at::VARCHAR AS created_at, updated_at::VARCHAR AS updated_at,
  last_login_at::VARCHAR AS last_login_at`;

// ---- organisations ---------------------------------------------------------------------------

export async function listOrganisations(db: Database): Promise<OrganisationRow[]> {
  const rows = await db.read((ex) =>
    ex.all<Record<string, unknown>>(
      "SELECT id, name, kind, created_at::VARCHAR AS created_at FROM organisations ORDER BY name",
    ),
  );
  return rows.map((r) => ({
    id: String(r.id),
    name: String(r.name),
    kind: String(r.kind),
    createdAt: String(r.created_at),
  }));
}

export async function insertOrganisation(
  db: Database,
  org: { id: string; name: string; kind: string },
): Promise<void> {
  await db.transaction((ex) =>
    ex.run("INSERT INTO organisations VALUES (?, ?, ?, now()::TIMESTAMP)", [org.id, org.name, org.kind]),
  );
}

export async function updateOrganisation(
  db: Database,
  id: string,
  change: { name?: string; kind?: string },
): Promise<void> {
  await db.transaction((ex) =>
    ex.run("UPDATE organisations SET name = coalesce(?, name), kind = coalesce(?, kind) WHERE id = ?", [
      change.name ?? null,
      change.kind ?? null,
      id,
    ]),
  );
}

export async function deleteOrganisation(db: Database, id: string): Promise<void> {
  await db.transaction((ex) => ex.run("DELETE FROM organisations WHERE id = ?", [id]));
}

// ---- users -----------------------------------------------------------------------------------

export async function listUsers(db: Database): Promise<UserRow[]> {
  const rows = await db.read((ex) =>
    ex.all<Record<string, unknown>>(`SELECT ${USER_COLUMNS} FROM users ORDER BY username`),
  );
  return rows.map(userOf);
}

export async function countUsers(db: Database): Promise<number> {
  const rows = await db.read((ex) => ex.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM users"));
  return rows[0]?.n ?? 0;
}

async function oneUser(db: Database, where: string, params: (string | null)[]): Promise<UserRow | undefined> {
  const rows = await db.read((ex) =>
    ex.all<Record<string, unknown>>(`SELECT ${USER_COLUMNS} FROM users WHERE ${where} LIMIT 1`, params),
  );
  return rows[0] ? userOf(rows[0]) : undefined;
}

export const getUser = (db: Database, id: string): Promise<UserRow | undefined> =>
  oneUser(db, "id = ?", [id]);

/** By user name, case-insensitive (names are stored lower case). */
export const getUserByName = (db: Database, username: string): Promise<UserRow | undefined> =>
  oneUser(db, "username = ?", [username.trim().toLowerCase()]);

export const getUserByOidc = (db: Database, issuer: string, subject: string): Promise<UserRow | undefined> =>
  oneUser(db, "oidc_issuer = ? AND oidc_subject = ?", [issuer, subject]);

export interface NewUser {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly organisationId: string;
  readonly role: string;
  readonly purpose: string;
  readonly passwordHash: string | null;
  readonly totpSecret: string | null;
}

export async function insertUser(db: Database, u: NewUser, ex?: Executor): Promise<void> {
  const run = (e: Executor) =>
    e.run(
      `INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, false, now()::TIMESTAMP, now()::TIMESTAMP, NULL)`,
      [
        u.id,
        u.username.trim().toLowerCase(),
        u.displayName,
        u.organisationId,
        u.role,
        u.purpose,
        u.passwordHash,
        u.totpSecret,
      ],
    );
  if (ex) await run(ex);
  else await db.transaction(run);
}

export interface UserChange {
  readonly displayName?: string;
  readonly organisationId?: string;
  readonly role?: string;
  readonly purpose?: string;
  readonly passwordHash?: string;
  /** null removes the second factor. */
  readonly totpSecret?: string | null;
  readonly disabled?: boolean;
  readonly oidc?: { issuer: string; subject: string };
  readonly loggedIn?: boolean;
}

export async function updateUser(db: Database, id: string, c: UserChange): Promise<void> {
  const sets: string[] = [];
  const params: (string | boolean | null)[] = [];
  const set = (col: string, v: string | boolean | null) => {
    sets.push(`${col} = ?`);
    params.push(v);
  };
  if (c.displayName !== undefined) set("display_name", c.displayName);
  if (c.organisationId !== undefined) set("organisation_id", c.organisationId);
  if (c.role !== undefined) set("role", c.role);
  if (c.purpose !== undefined) set("purpose", c.purpose);
  if (c.passwordHash !== undefined) set("password_hash", c.passwordHash);
  if (c.totpSecret !== undefined) set("totp_secret", c.totpSecret);
  if (c.disabled !== undefined) set("disabled", c.disabled);
  if (c.oidc) {
    set("oidc_issuer", c.oidc.issuer);
    set("oidc_subject", c.oidc.subject);
  }
  if (c.loggedIn) sets.push("last_login_at = now()::TIMESTAMP");
  if (sets.length === 0) return;
  sets.push("updated_at = now()::TIMESTAMP");
  await db.transaction((ex) => ex.run(`UPDATE users SET ${sets.join(", ")} WHERE id = ?`, [...params, id]));
}

// ---- sessions --------------------------------------------------------------------------------

function sessionOf(r: Record<string, unknown>): SessionRow {
  const date = (v: unknown): Date => new Date(`${String(v).replace(" ", "T")}Z`);
  return {
    tokenHash: String(r.token_hash),
    userId: String(r.user_id),
    csrfToken: String(r.csrf_token),
    method: String(r.method),
    createdAt: date(r.created_at),
    lastSeenAt: date(r.last_seen_at),
    origin: String(r.origin),
    endedAt: r.ended_at == null ? null : date(r.ended_at),
    endReason: (r.end_reason as string | null) ?? null,
  };
}

const SESSION_COLUMNS = `token_hash, user_id, csrf_token, method, created_at::VARCHAR AS created_at,
  last_seen_at::VARCHAR AS last_seen_at, origin, ended_at::VARCHAR AS ended_at, end_reason`;

const ts = (d: Date): string => d.toISOString().replace("T", " ").replace("Z", "");

export async function insertSession(
  db: Database,
  s: Omit<SessionRow, "endedAt" | "endReason">,
): Promise<void> {
  await db.transaction((ex) =>
    ex.run("INSERT INTO sessions VALUES (?, ?, ?, ?, ?::TIMESTAMP, ?::TIMESTAMP, ?, NULL, NULL)", [
      s.tokenHash,
      s.userId,
      s.csrfToken,
      s.method,
      ts(s.createdAt),
      ts(s.lastSeenAt),
      s.origin,
    ]),
  );
}

export async function getSession(db: Database, tokenHash: string): Promise<SessionRow | undefined> {
  const rows = await db.read((ex) =>
    ex.all<Record<string, unknown>>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE token_hash = ? LIMIT 1`, [
      tokenHash,
    ]),
  );
  return rows[0] ? sessionOf(rows[0]) : undefined;
}

/** Live sessions (not ended), newest first; with `userId` only that user's. */
export async function listLiveSessions(db: Database, userId?: string): Promise<SessionRow[]> {
  const rows = await db.read((ex) =>
    ex.all<Record<string, unknown>>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE ended_at IS NULL ${userId ? "AND user_id = ?" : ""}
       ORDER BY created_at DESC`,
      userId ? [userId] : [],
    ),
  );
  return rows.map(sessionOf);
}

/** Writes the last-seen times kept in memory (a batch, at most once a minute per session). */
export async function touchSessions(db: Database, seen: ReadonlyMap<string, Date>): Promise<void> {
  if (seen.size === 0) return;
  await db.transaction(async (ex) => {
    for (const [hash, at] of seen)
      await ex.run(
        "UPDATE sessions SET last_seen_at = ?::TIMESTAMP WHERE token_hash = ? AND ended_at IS NULL",
        [ts(at), hash],
      );
  });
}

/** Ends sessions: one (by token hash) or all of a user's; returns the hashes ended. */
export async function endSessions(
  db: Database,
  which: { tokenHash: string } | { userId: string },
  reason: string,
): Promise<string[]> {
  return db.transaction(async (ex) => {
    const [col, v] = "tokenHash" in which ? ["token_hash", which.tokenHash] : ["user_id", which.userId];
    const rows = await ex.all<{ token_hash: string }>(
      `SELECT token_hash FROM sessions WHERE ${col} = ? AND ended_at IS NULL`,
      [v],
    );
    await ex.run(
      `UPDATE sessions SET ended_at = now()::TIMESTAMP, end_reason = ? WHERE ${col} = ? AND ended_at IS NULL`,
      [reason, v],
    );
    return rows.map((r) => r.token_hash);
  });
}

// ---- grants ----------------------------------------------------------------------------------

export interface GrantRow extends Grant {
  readonly note: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
}

export async function listGrants(db: Database): Promise<GrantRow[]> {
  const rows = await db.read((ex) =>
    ex.all<Record<string, unknown>>(
      `SELECT id, grantee_kind, grantee, what, areas, finest_level, purpose, note,
         created_at::VARCHAR AS created_at, created_by FROM grants ORDER BY created_at, id`,
    ),
  );
  return rows.map((r) => {
    const areas = r.areas as string[] | null;
    return {
      id: String(r.id),
      to: { kind: r.grantee_kind as Grantee["kind"], id: String(r.grantee) },
      what: JSON.parse(String(r.what)) as Grant["what"],
      ...(areas ? { areas } : {}),
      ...(r.finest_level ? { finestLevel: r.finest_level as AreaLevel } : {}),
      purpose: String(r.purpose),
      note: (r.note as string | null) ?? null,
      createdAt: String(r.created_at),
      createdBy: String(r.created_by),
    };
  });
}

export async function insertGrants(
  db: Database,
  grants: readonly (Grant & { note?: string | null })[],
  createdBy: string,
): Promise<void> {
  await db.transaction(async (ex) => {
    for (const g of grants)
      await ex.run(
        // Area codes are validated before (letters and digits): joined by commas and split again.
        `INSERT INTO grants VALUES (?, ?, ?, ?, ${g.areas ? "string_split(?, ',')" : "NULL"}, ?, ?, ?, now()::TIMESTAMP, ?)`,
        [
          g.id,
          g.to.kind,
          g.to.id,
          JSON.stringify(g.what),
          ...(g.areas ? [g.areas.join(",")] : []),
          g.finestLevel ?? null,
          g.purpose,
          g.note ?? null,
          createdBy,
        ],
      );
  });
}

export async function deleteGrant(db: Database, id: string): Promise<boolean> {
  return db.transaction(async (ex) => {
    const rows = await ex.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM grants WHERE id = ?", [id]);
    await ex.run("DELETE FROM grants WHERE id = ?", [id]);
    return (rows[0]?.n ?? 0) > 0;
  });
}
