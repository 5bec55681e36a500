/**
 * The audit trail's store side: one record per request that touches data (BIO / NEN 7513 fields),
 * appended in batches so a busy API does not wait on the write connection. Records are flushed at
 * least every second and on close.
 *
 * The trail is append-only and hash-chained: record n has seq n, prev_hash = the hash of record n - 1
 * (the genesis hash, or the latest retention anchor's hash) and hash = sha256(prev_hash + the record's
 * fields in a canonical form). The head (seq, hash) is kept in memory per database and in the
 * `settings` table (`audit-head`), written in the same transaction as the records, so that editing,
 * deleting (first, middle, last) or reordering records is found by `verifyChain`.
 */
import { createHash } from "node:crypto";
import { timestampValue, type DuckDBAppender } from "@duckdb/node-api";
import { InputError } from "../errors.js";
import type { Database, Executor } from "./database.js";

export interface AuditEntry {
  readonly at: Date;
  readonly actor: string;
  /** The person the actor acts for (e.g. a colleague's request), if any. */
  readonly onBehalfOf?: string | null;
  /** The actor's organisation, if known. */
  readonly organisation?: string | null;
  readonly roles: readonly string[];
  readonly purpose: string;
  readonly action: string;
  readonly object: string;
  readonly released: number;
  readonly suppressed: number;
  readonly denied: number;
  readonly origin: string;
}

export const AUDIT_RESULTS = ["released", "suppressed", "denied"] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

/**
 * A record's result: "denied" when only denials, "suppressed" when suppressions and no release, else
 * "released" (also for zero counts: an administrative change, a status update).
 */
export function auditResult(released: number, suppressed: number, denied: number): AuditResult {
  if (denied > 0 && released + suppressed === 0) return "denied";
  if (suppressed > 0 && released === 0) return "suppressed";
  return "released";
}

/** Every field a record's hash covers, exactly as stored and read back. */
export interface AuditFields {
  readonly seq: number;
  /** occurred_at as DuckDB stores it: microseconds since the epoch, UTC. */
  readonly occurredAtUs: number;
  readonly actor: string;
  readonly onBehalfOf: string | null;
  readonly organisation: string | null;
  /** Comma-separated, as stored. */
  readonly roles: string;
  readonly purpose: string;
  readonly action: string;
  readonly object: string;
  readonly result: string;
  readonly released: number;
  readonly suppressed: number;
  readonly denied: number;
  readonly origin: string;
}

/** The prev_hash of the first record of a chain that was never pruned. */
export const GENESIS_HASH = "0".repeat(64);
const HEAD_KEY = "audit-head";
const PAGE = 50_000;

/** The canonical serialisation a record's hash covers: its fields in a fixed order, as JSON. */
export function canonicalAuditFields(f: AuditFields): string {
  return JSON.stringify([
    f.seq,
    f.occurredAtUs,
    f.actor,
    f.onBehalfOf,
    f.organisation,
    f.roles,
    f.purpose,
    f.action,
    f.object,
    f.result,
    f.released,
    f.suppressed,
    f.denied,
    f.origin,
  ]);
}

/** sha256 (hex) over the previous record's hash and the record's canonical fields. */
export function hashRecord(prevHash: string, fields: AuditFields): string {
  return createHash("sha256")
    .update(prevHash, "utf8")
    .update(canonicalAuditFields(fields), "utf8")
    .digest("hex");
}

// What is hashed must be exactly what DuckDB gives back: lone UTF-16 surrogates would come back as
// U+FFFD, a fraction of a count as an integer.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const text = (s: string): string => String(s).replace(LONE_SURROGATE, "\uFFFD");
const optText = (s: string | null | undefined): string | null =>
  s === null || s === undefined ? null : text(s);
const int32 = (n: number): number =>
  Number.isFinite(n) ? Math.max(-2147483648, Math.min(2147483647, Math.trunc(n))) : 0;

function fieldsOfEntry(e: AuditEntry, seq: number): AuditFields {
  const ms = e.at instanceof Date ? e.at.getTime() : Number.NaN;
  const released = int32(e.released);
  const suppressed = int32(e.suppressed);
  const denied = int32(e.denied);
  return {
    seq,
    occurredAtUs: (Number.isFinite(ms) ? ms : Date.now()) * 1000,
    actor: text(e.actor),
    onBehalfOf: optText(e.onBehalfOf),
    organisation: optText(e.organisation),
    roles: text(e.roles.join(",")),
    purpose: text(e.purpose),
    action: text(e.action),
    object: text(e.object),
    result: auditResult(released, suppressed, denied),
    released,
    suppressed,
    denied,
    origin: text(e.origin),
  };
}

/** A stored record as read from audit_log (the SELECT below). */
interface StoredRow {
  seq: bigint;
  us: bigint;
  actor: string;
  on_behalf_of: string | null;
  organisation: string | null;
  roles: string;
  purpose: string;
  action: string;
  object: string;
  result: string;
  released: number;
  suppressed: number;
  denied: number;
  origin: string;
  prev_hash: string;
  hash: string;
}

const ROW_COLUMNS = `seq, epoch_us(occurred_at) AS us, actor, on_behalf_of, organisation, roles, purpose, action,
  object, result, released, suppressed, denied, origin, prev_hash, hash`;

function fieldsOfRow(r: StoredRow): AuditFields {
  return {
    seq: Number(r.seq),
    occurredAtUs: Number(r.us),
    actor: r.actor,
    onBehalfOf: r.on_behalf_of,
    organisation: r.organisation,
    roles: r.roles,
    purpose: r.purpose,
    action: r.action,
    object: r.object,
    result: r.result,
    released: r.released,
    suppressed: r.suppressed,
    denied: r.denied,
    origin: r.origin,
  };
}

// ---------------------------------------------------------------------------------------------
// The chain head and appending
// ---------------------------------------------------------------------------------------------

interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/**
 * The head per open database, shared by every AuditLog (and pruneAudit) on it. It is only read and
 * advanced inside write transactions, which the database runs one at a time; a failed transaction
 * forgets it, so the next one reads it again from the file.
 */
const heads = new WeakMap<Database, ChainHead>();

async function readStoredHead(ex: Executor): Promise<ChainHead | undefined> {
  const rows = await ex.all<{ value: string }>("SELECT value FROM settings WHERE key = ?", [HEAD_KEY]);
  if (!rows[0]) return undefined;
  try {
    const v = JSON.parse(rows[0].value) as { seq?: unknown; hash?: unknown };
    if (typeof v.seq === "number" && typeof v.hash === "string") return { seq: v.seq, hash: v.hash };
  } catch {
    // Not JSON: as good as missing (verify reports it).
  }
  return undefined;
}

async function latestAnchor(ex: Executor): Promise<ChainHead | undefined> {
  const rows = await ex.all<{ seq: bigint; hash: string }>(
    "SELECT seq, hash FROM audit_anchors ORDER BY seq DESC LIMIT 1",
  );
  return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : undefined;
}

/**
 * Where the chain continues, read in the write transaction. The stored head wins over the last row:
 * after a deleted tail the next record continues at the stored seq + 1 from the stored hash, so the
 * gap stays visible instead of being papered over.
 */
async function readHead(ex: Executor): Promise<ChainHead> {
  const last = (
    await ex.all<{ seq: bigint; hash: string }>("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
  )[0];
  const anchor = await latestAnchor(ex);
  const stored = await readStoredHead(ex);
  return {
    seq: Math.max(stored?.seq ?? 0, last ? Number(last.seq) : 0, anchor?.seq ?? 0),
    hash: stored?.hash ?? last?.hash ?? anchor?.hash ?? GENESIS_HASH,
  };
}

function appendNullable(a: DuckDBAppender, v: string | null): void {
  if (v === null) a.appendNull();
  else a.appendVarchar(v);
}

/** Appends records with their fields already chained (prev, hash). */
async function appendRows(
  ex: Executor,
  rows: readonly { fields: AuditFields; prevHash: string; hash: string }[],
): Promise<void> {
  if (rows.length === 0) return;
  await ex.append("audit_log", (a) => {
    for (const { fields: f, prevHash, hash } of rows) {
      a.appendBigInt(BigInt(f.seq));
      a.appendTimestamp(timestampValue(BigInt(f.occurredAtUs)));
      a.appendVarchar(f.actor);
      appendNullable(a, f.onBehalfOf);
      appendNullable(a, f.organisation);
      a.appendVarchar(f.roles);
      a.appendVarchar(f.purpose);
      a.appendVarchar(f.action);
      a.appendVarchar(f.object);
      a.appendVarchar(f.result);
      a.appendInteger(f.released);
      a.appendInteger(f.suppressed);
      a.appendInteger(f.denied);
      a.appendVarchar(f.origin);
      a.appendVarchar(prevHash);
      a.appendVarchar(hash);
      a.endRow();
    }
  });
}

/** Chains a list of fields (without seq) onto `head`; returns the rows and the new head. */
function chain(head: ChainHead, list: readonly ((seq: number) => AuditFields)[]) {
  const rows: { fields: AuditFields; prevHash: string; hash: string }[] = [];
  let h = head;
  for (const make of list) {
    const fields = make(h.seq + 1);
    const hash = hashRecord(h.hash, fields);
    rows.push({ fields, prevHash: h.hash, hash });
    h = { seq: fields.seq, hash };
  }
  return { rows, head: h };
}

/**
 * The trail of before the chain (migration 5 renamed it to audit_log_v1): chained into audit_log in
 * time order (then insertion order), then dropped — in the caller's transaction.
 */
async function chainLegacy(ex: Executor, head: ChainHead): Promise<ChainHead> {
  const exists = await ex.all<{ n: number }>(
    "SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name = 'audit_log_v1' AND NOT temporary",
  );
  if (!exists[0]?.n) return head;
  await ex.run(
    `CREATE OR REPLACE TEMP TABLE audit_v1_ordered AS
     SELECT row_number() OVER (ORDER BY occurred_at, rowid) AS n, epoch_us(occurred_at) AS us, actor, roles,
       purpose, action, object, released, suppressed, denied, origin
     FROM audit_log_v1`,
  );
  let h = head;
  for (let from = 1; ; from += PAGE) {
    const page = await ex.all<{
      us: bigint;
      actor: string;
      roles: string;
      purpose: string;
      action: string;
      object: string;
      released: number;
      suppressed: number;
      denied: number;
      origin: string;
    }>(
      `SELECT us, actor, roles, purpose, action, object, released, suppressed, denied, origin
       FROM audit_v1_ordered WHERE n BETWEEN ? AND ? ORDER BY n`,
      [BigInt(from), BigInt(from + PAGE - 1)],
    );
    if (page.length === 0) break;
    const chained = chain(
      h,
      page.map((r) => (seq: number): AuditFields => ({
        seq,
        occurredAtUs: Number(r.us),
        actor: r.actor,
        onBehalfOf: null,
        organisation: null,
        roles: r.roles,
        purpose: r.purpose,
        action: r.action,
        object: r.object,
        result: auditResult(r.released, r.suppressed, r.denied),
        released: r.released,
        suppressed: r.suppressed,
        denied: r.denied,
        origin: r.origin,
      })),
    );
    await appendRows(ex, chained.rows);
    h = chained.head;
  }
  await ex.run("DROP TABLE audit_v1_ordered");
  await ex.run("DROP TABLE audit_log_v1");
  return h;
}

/**
 * Runs `fn` in a write transaction with the chain head (read from the file — and the legacy trail
 * chained — the first time); `fn` returns the new head, which is stored in `settings` when it moved.
 */
async function withChain<T>(
  db: Database,
  fn: (ex: Executor, head: ChainHead) => Promise<{ head: ChainHead; value: T }>,
): Promise<T> {
  try {
    return await db.transaction(async (ex) => {
      let start = heads.get(db);
      let moved = false;
      if (!start) {
        const read = await readHead(ex);
        start = await chainLegacy(ex, read);
        moved = start !== read;
      }
      const { head, value } = await fn(ex, start);
      if (moved || head.seq !== start.seq || head.hash !== start.hash)
        await ex.run("INSERT OR REPLACE INTO settings VALUES (?, ?, now()::TIMESTAMP)", [
          HEAD_KEY,
          JSON.stringify({ seq: head.seq, hash: head.hash }),
        ]);
      // Set last, just before the commit; forgotten again below if the commit fails.
      heads.set(db, head);
      return value;
    });
  } catch (e) {
    heads.delete(db);
    throw e;
  }
}

/** Appends entries to the chain in order, in one transaction. */
function appendEntries(db: Database, entries: readonly AuditEntry[]): Promise<void> {
  return withChain(db, async (ex, head) => {
    const chained = chain(
      head,
      entries.map((e) => (seq: number) => fieldsOfEntry(e, seq)),
    );
    await appendRows(ex, chained.rows);
    return { head: chained.head, value: undefined };
  });
}

export class AuditLog {
  private buffer: AuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly intervalMs = 1000,
    private readonly onError: (e: unknown) => void = (e) =>
      console.error(`wijkradar: audit records could not be written yet: ${(e as Error).message}`),
  ) {}

  /** Queues one record; it is written within `intervalMs`. */
  record(entry: AuditEntry): void {
    this.buffer.push(entry);
    // unref: a pending flush never keeps a finished CLI process alive; close() flushes explicitly.
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      // Not awaited by anyone: report, keep the records (flush put them back) and try again later.
      this.flush().catch((e: unknown) => this.onError(e));
    }, this.intervalMs).unref();
  }

  /** Writes every queued record now, chained after the last one. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length === 0 || this.db.readOnly) return this.flushing;
    // Flushes run one after the other, so batches never interleave or fork the chain.
    // A failed write keeps its records for the next flush and does not poison the chain.
    this.flushing = this.flushing
      .catch(() => undefined)
      .then(() => appendEntries(this.db, batch))
      .catch((e: unknown) => {
        this.buffer.unshift(...batch);
        throw e;
      });
    return this.flushing;
  }

  /**
   * Reads the chain head and chains the trail of before the hash chain (audit_log_v1), if that was
   * not done yet; the first flush does it too. No-op on a read-only database.
   */
  ready(): Promise<void> {
    if (this.db.readOnly) return Promise.resolve();
    this.flushing = this.flushing.catch(() => undefined).then(() => appendEntries(this.db, []));
    return this.flushing;
  }

  /**
   * Writes what is queued, then runs `fn` with no flush in between (records queue meanwhile): a
   * verify of the running server's trail sees a chain that does not grow under it.
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await this.flush().catch(() => undefined);
    let result!: T;
    this.flushing = this.flushing
      .catch(() => undefined)
      .then(async () => {
        result = await fn();
      });
    await this.flushing;
    return result;
  }

  /** Number of records written (for tests and the health endpoint). */
  async count(): Promise<number> {
    await this.flush();
    const rows = await this.db.read((ex) =>
      ex.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM audit_log"),
    );
    return rows[0]?.n ?? 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

export type AuditProblemKind = "edited" | "missing" | "reordered" | "head-mismatch" | "bad-start";

export interface AuditProblem {
  readonly seq: number;
  readonly kind: AuditProblemKind;
  readonly detail: string;
}

export interface VerifyResult {
  readonly ok: boolean;
  /** Records checked. */
  readonly records: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  /** The hash of the last record checked (the anchor's or the genesis hash when there is none). */
  readonly head: string;
  /** The latest retention anchor: records up to its seq were pruned. */
  readonly anchor: { readonly seq: number; readonly hash: string } | null;
  readonly problems: readonly AuditProblem[];
  /** Problems found beyond the first MAX_PROBLEMS (not listed). */
  readonly omitted: number;
}

export interface VerifyOptions {
  /** A head hash kept outside the database (e.g. printed by an earlier verify): it must be in the chain. */
  readonly expectHead?: string;
  /** Records per page (default 50,000). */
  readonly pageSize?: number;
}

const MAX_PROBLEMS = 1000;
const PRUNE_OBJECT = /^audit:(\d+)-(\d+)$/;

/**
 * Checks the whole chain in seq order, page by page: seq contiguous from the latest anchor's seq + 1
 * (or 1), every prev_hash the previous record's hash, every hash recomputed from the fields, the last
 * record the stored head, and (optionally) an externally kept head somewhere in the chain. Each
 * problem names the seq where it is found.
 */
export async function verifyChain(db: Database, options: VerifyOptions = {}): Promise<VerifyResult> {
  const pageSize = options.pageSize ?? PAGE;
  return db.read(async (ex) => {
    const problems: AuditProblem[] = [];
    let omitted = 0;
    const report = (p: AuditProblem) => {
      if (problems.length < MAX_PROBLEMS) problems.push(p);
      else omitted++;
    };
    const stored = await readStoredHead(ex);
    const anchor = (await latestAnchor(ex)) ?? null;
    const start = anchor ? anchor.seq + 1 : 1;
    const upper = stored ? stored.seq : Number.MAX_SAFE_INTEGER;

    // A broken link whose kind depends on who owns the prev_hash it names (looked up afterwards).
    const pending: {
      seq: number;
      prevHash: string;
      expectedPrevSeq: number;
      intact: boolean;
      first: boolean;
    }[] = [];
    let expectedSeq = start;
    let prevHash = anchor?.hash ?? GENESIS_HASH;
    let prevFlagged = false;
    let records = 0;
    let firstSeq: number | null = null;
    let lastSeq: number | null = null;
    let maxSeq = start - 1;
    let lastHash = prevHash;
    let expectFound = options.expectHead === undefined;
    let anchorConfirmed = anchor === null;

    const check = (r: StoredRow): void => {
      const seq = Number(r.seq);
      const fields = fieldsOfRow(r);
      const intact = hashRecord(r.prev_hash, fields) === r.hash;
      const first = records === 0;
      let flagged = false;
      if (seq < expectedSeq) {
        flagged = true;
        if (first)
          report({
            seq,
            kind: "bad-start",
            detail: anchor
              ? `record ${seq} is at or before the retention anchor (seq ${anchor.seq}): it should have been pruned`
              : `the chain starts at seq ${seq}, not 1`,
          });
        else
          report({
            seq,
            kind: "reordered",
            detail: `seq ${seq} comes again after seq ${expectedSeq - 1} (duplicated or out of order)`,
          });
      } else {
        if (seq > expectedSeq) {
          flagged = true;
          report({
            seq: expectedSeq,
            kind: "missing",
            detail:
              seq - 1 === expectedSeq
                ? `record ${expectedSeq} is missing (the next one is ${seq})`
                : `records ${expectedSeq}..${seq - 1} are missing (${seq - expectedSeq})`,
          });
          if (!intact)
            report({ seq, kind: "edited", detail: `record ${seq}: its hash does not match its fields` });
        } else if (r.prev_hash === prevHash) {
          if (!intact) {
            flagged = true;
            report({ seq, kind: "edited", detail: `record ${seq}: its hash does not match its fields` });
          }
        } else if (intact && prevFlagged) {
          // The consequence of the previous record's problem (its hash edited, or it was moved).
        } else {
          flagged = true;
          pending.push({ seq, prevHash: r.prev_hash, expectedPrevSeq: expectedSeq - 1, intact, first });
        }
        expectedSeq = seq + 1;
      }
      if (firstSeq === null) firstSeq = seq;
      lastSeq = seq;
      maxSeq = Math.max(maxSeq, seq);
      lastHash = r.hash;
      prevHash = r.hash;
      prevFlagged = flagged;
      records++;
      if (r.hash === options.expectHead) expectFound = true;
      if (anchor && r.action === "audit-prune" && Number(PRUNE_OBJECT.exec(r.object)?.[2]) === anchor.seq)
        anchorConfirmed = true;
    };

    // Page by seq ranges (cheap on a column appended in order); jump over empty ranges.
    const minAbove = async (after: number): Promise<number | null> => {
      const rows = await ex.all<{ s: bigint | null }>("SELECT min(seq) AS s FROM audit_log WHERE seq > ?", [
        BigInt(after),
      ]);
      return rows[0]?.s === null || rows[0]?.s === undefined ? null : Number(rows[0].s);
    };
    let lo = await minAbove(Number.MIN_SAFE_INTEGER);
    while (lo !== null && lo <= upper) {
      const hi = Math.min(lo + pageSize - 1, upper);
      const rows = await ex.all<StoredRow>(
        `SELECT ${ROW_COLUMNS} FROM audit_log WHERE seq BETWEEN ? AND ? ORDER BY seq, rowid`,
        [BigInt(lo), BigInt(hi)],
      );
      for (const r of rows) check(r);
      lo = rows.length > 0 && Number(rows[rows.length - 1]!.seq) === hi ? hi + 1 : await minAbove(hi);
    }

    // Who owns the prev_hash a broken link names: another record (moved), or nobody.
    if (pending.length > 0) {
      // The chain's start counts as record start - 1 (a record moved to the front links to it).
      const owners = new Map<string, number>([[anchor?.hash ?? GENESIS_HASH, start - 1]]);
      const wanted = [...new Set(pending.map((p) => p.prevHash))];
      for (let i = 0; i < wanted.length; i += 500) {
        const part = wanted.slice(i, i + 500);
        const rows = await ex.all<{ seq: bigint; hash: string }>(
          `SELECT seq, hash FROM audit_log WHERE hash IN (${part.map(() => "?").join(", ")})`,
          part,
        );
        for (const r of rows) owners.set(r.hash, Number(r.seq));
      }
      for (const p of pending) {
        const owner = owners.get(p.prevHash);
        if (owner !== undefined && owner !== p.expectedPrevSeq)
          report({
            seq: p.seq,
            kind: "reordered",
            detail: `record ${p.seq} follows record ${owner} in the chain, not ${p.expectedPrevSeq}`,
          });
        else if (!p.intact)
          report({
            seq: p.seq,
            kind: "edited",
            detail: `record ${p.seq}: its hash does not match its fields and its link to the previous record is broken`,
          });
        else if (p.first)
          report({
            seq: p.seq,
            kind: "bad-start",
            detail: anchor
              ? `the first record does not follow the retention anchor (seq ${anchor.seq})`
              : "the first record does not follow the genesis hash",
          });
        else
          // The previous record verifies on its own but is not the one this record follows: it was
          // replaced (edited and its hash recomputed).
          report({
            seq: p.expectedPrevSeq,
            kind: "edited",
            detail: `record ${p.expectedPrevSeq} was replaced: record ${p.seq} follows a record with hash ${p.prevHash.slice(0, 12)}…, which is not in the trail`,
          });
      }
    }

    // The end: the last record must be the stored head.
    if (!stored) {
      if (records > 0)
        report({
          seq: lastSeq ?? 0,
          kind: "head-mismatch",
          detail: `no stored chain head (setting ${HEAD_KEY}) although the trail has records`,
        });
    } else if (maxSeq < stored.seq) {
      report({
        seq: maxSeq + 1,
        kind: "missing",
        detail:
          maxSeq + 1 === stored.seq
            ? `the last record (${stored.seq}, the stored head) is missing`
            : `the last records ${maxSeq + 1}..${stored.seq} are missing (the stored head is ${stored.seq})`,
      });
    } else if (lastHash !== stored.hash) {
      report({
        seq: stored.seq,
        kind: "head-mismatch",
        detail: `record ${stored.seq} is not the stored head (${stored.hash.slice(0, 12)}…)`,
      });
    }
    if (stored) {
      const after = await ex.all<{ n: number; s: bigint | null }>(
        "SELECT count(*)::INTEGER AS n, min(seq) AS s FROM audit_log WHERE seq > ?",
        [BigInt(stored.seq)],
      );
      const again = await readStoredHead(ex);
      // Records appended while this ran moved the head: not a problem, just not checked now.
      if (after[0]?.n && again?.seq === stored.seq && again.hash === stored.hash)
        report({
          seq: Number(after[0].s),
          kind: "head-mismatch",
          detail: `${after[0].n} record(s) after the stored head (seq ${stored.seq})`,
        });
    }
    if (!anchorConfirmed && anchor)
      report({
        seq: anchor.seq + 1,
        kind: "bad-start",
        detail: `no audit-prune record in the trail confirms the retention anchor at seq ${anchor.seq}`,
      });
    if (!expectFound) {
      const inAnchors = await ex.all<{ n: number }>(
        "SELECT count(*)::INTEGER AS n FROM audit_anchors WHERE hash = ?",
        [options.expectHead!],
      );
      if (!inAnchors[0]?.n)
        report({
          seq: lastSeq ?? start - 1,
          kind: "head-mismatch",
          detail: `the expected head ${options.expectHead} is not in the chain`,
        });
    }

    problems.sort((a, b) => a.seq - b.seq);
    return {
      ok: problems.length === 0,
      records,
      firstSeq,
      lastSeq,
      head: lastHash,
      anchor,
      problems,
      omitted,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Search and export
// ---------------------------------------------------------------------------------------------

export interface AuditFilter {
  /** A user id or a part of one, or a part of a user's name (also matches on_behalf_of). */
  readonly actor?: string;
  /** A part of the object: area code, indicator, profile, export. */
  readonly object?: string;
  readonly action?: string;
  readonly result?: AuditResult;
  /** From this UTC date (YYYY-MM-DD) or ISO time, inclusive. */
  readonly from?: string;
  /** Up to this UTC date (inclusive: the whole day) or ISO time (inclusive). */
  readonly to?: string;
  readonly organisation?: string;
}

export interface AuditSearch extends AuditFilter {
  /** At most this many (1..1000, default 100). */
  readonly limit?: number;
  readonly offset?: number;
}

export interface AuditRow {
  readonly seq: number;
  /** ISO 8601, UTC. */
  readonly occurredAt: string;
  readonly actor: string;
  readonly onBehalfOf: string | null;
  readonly organisation: string | null;
  readonly roles: string[];
  readonly purpose: string;
  readonly action: string;
  readonly object: string;
  readonly result: string;
  readonly released: number;
  readonly suppressed: number;
  readonly denied: number;
  readonly origin: string;
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * A date (YYYY-MM-DD, UTC midnight) or an ISO time (UTC when it names no offset) as epoch
 * milliseconds; `dateOnly` says which. Throws an InputError naming `name` otherwise.
 */
export function parseAuditTime(value: string, name: string): { ms: number; dateOnly: boolean } {
  const d = DATE_ONLY.exec(value);
  if (d) {
    const ms = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]));
    if (new Date(ms).toISOString().slice(0, 10) === value) return { ms, dateOnly: true };
  } else if (DATE_TIME.test(value)) {
    const ms = Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(value) ? value : `${value}Z`);
    if (Number.isFinite(ms)) return { ms, dateOnly: false };
  }
  throw new InputError(
    `${name}: "${value}" is not a date; expected YYYY-MM-DD or an ISO time such as 2025-01-31T12:00:00Z`,
  );
}

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

function whereOf(filter: AuditFilter): { sql: string; params: (string | bigint)[] } {
  const parts: string[] = [];
  const params: (string | bigint)[] = [];
  if (filter.actor) {
    const like = `%${escapeLike(filter.actor)}%`;
    parts.push(
      `(actor ILIKE ? ESCAPE '\\' OR on_behalf_of ILIKE ? ESCAPE '\\' OR actor IN (SELECT id FROM users WHERE username ILIKE ? ESCAPE '\\' OR display_name ILIKE ? ESCAPE '\\')
        OR on_behalf_of IN (SELECT id FROM users WHERE username ILIKE ? ESCAPE '\\' OR display_name ILIKE ? ESCAPE '\\'))`,
    );
    params.push(like, like, like, like, like, like);
  }
  if (filter.object) {
    parts.push(`object ILIKE ? ESCAPE '\\'`);
    params.push(`%${escapeLike(filter.object)}%`);
  }
  if (filter.action) {
    parts.push("action = ?");
    params.push(filter.action);
  }
  if (filter.result) {
    if (!(AUDIT_RESULTS as readonly string[]).includes(filter.result))
      throw new InputError(`result: "${String(filter.result)}" is not one of ${AUDIT_RESULTS.join(", ")}`);
    parts.push("result = ?");
    params.push(filter.result);
  }
  if (filter.organisation) {
    parts.push("organisation = ?");
    params.push(filter.organisation);
  }
  if (filter.from) {
    const t = parseAuditTime(filter.from, "from");
    parts.push("occurred_at >= make_timestamp(?::BIGINT)");
    params.push(BigInt(t.ms) * 1000n);
  }
  if (filter.to) {
    const t = parseAuditTime(filter.to, "to");
    // A date means the whole day; a time is inclusive.
    if (t.dateOnly) {
      parts.push("occurred_at < make_timestamp(?::BIGINT)");
      params.push(BigInt(t.ms + 86_400_000) * 1000n);
    } else {
      parts.push("occurred_at <= make_timestamp(?::BIGINT)");
      params.push(BigInt(t.ms) * 1000n);
    }
  }
  return { sql: parts.length ? parts.join(" AND ") : "true", params };
}

const SEARCH_COLUMNS = `seq, epoch_us(occurred_at) AS us, actor, on_behalf_of, organisation, roles, purpose, action,
  object, result, released, suppressed, denied, origin`;

function rowOf(r: Omit<StoredRow, "prev_hash" | "hash">): AuditRow {
  return {
    seq: Number(r.seq),
    occurredAt: new Date(Math.floor(Number(r.us) / 1000)).toISOString(),
    actor: r.actor,
    onBehalfOf: r.on_behalf_of,
    organisation: r.organisation,
    roles: r.roles === "" ? [] : r.roles.split(","),
    purpose: r.purpose,
    action: r.action,
    object: r.object,
    result: r.result,
    released: r.released,
    suppressed: r.suppressed,
    denied: r.denied,
    origin: r.origin,
  };
}

/** Records matching the filter, newest first, one page (limit 1..1000, default 100). */
export async function searchAudit(db: Database, filter: AuditSearch = {}): Promise<AuditRow[]> {
  const limit = filter.limit ?? 100;
  const offset = filter.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new InputError(`limit: ${limit} is not a whole number from 1 to 1000`);
  if (!Number.isInteger(offset) || offset < 0)
    throw new InputError(`offset: ${offset} is not a whole number ≥ 0`);
  const where = whereOf(filter);
  const rows = await db.read((ex) =>
    ex.all<Omit<StoredRow, "prev_hash" | "hash">>(
      `SELECT ${SEARCH_COLUMNS} FROM audit_log WHERE ${where.sql}
       ORDER BY occurred_at DESC, seq DESC LIMIT ? OFFSET ?`,
      [...where.params, BigInt(limit), BigInt(offset)],
    ),
  );
  return rows.map(rowOf);
}

/** How many records match the filter. */
export async function countAudit(db: Database, filter: AuditFilter = {}): Promise<number> {
  const where = whereOf(filter);
  const rows = await db.read((ex) =>
    ex.all<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM audit_log WHERE ${where.sql}`, where.params),
  );
  return rows[0]?.n ?? 0;
}

/** Every record matching the filter, oldest first (in seq order), read page by page. */
export async function* exportAudit(db: Database, filter: AuditFilter = {}): AsyncIterable<AuditRow> {
  const where = whereOf(filter);
  let after: { seq: bigint; rowid: bigint } | undefined;
  for (;;) {
    const page = await db.read((ex) =>
      ex.all<Omit<StoredRow, "prev_hash" | "hash"> & { rid: bigint }>(
        `SELECT ${SEARCH_COLUMNS}, rowid AS rid FROM audit_log WHERE ${where.sql}
         ${after ? "AND (seq > ? OR (seq = ? AND rowid > ?))" : ""}
         ORDER BY seq, rowid LIMIT ${10_000}`,
        after ? [...where.params, after.seq, after.seq, after.rowid] : where.params,
      ),
    );
    for (const r of page) yield rowOf(r);
    if (page.length < 10_000) return;
    const last = page[page.length - 1]!;
    after = { seq: last.seq, rowid: last.rid };
  }
}

// ---------------------------------------------------------------------------------------------
// Retention
// ---------------------------------------------------------------------------------------------

export interface PruneOutcome {
  readonly removed: number;
  /** The records removed, seq from..to (null when none). */
  readonly fromSeq: number | null;
  readonly toSeq: number | null;
  /** The new anchor (the last removed record's seq and hash), null when nothing was removed. */
  readonly anchor: { readonly seq: number; readonly hash: string } | null;
  /** Where pruning stopped before `before` because the chain is broken there (nothing after is removed). */
  readonly stoppedAt: AuditProblem | null;
  /** The seq of the audit-prune record this wrote. */
  readonly recordSeq: number;
}

/**
 * Retention: removes the records older than `before` in one transaction, keeps an anchor (the last
 * removed seq and hash, and how many were removed) so the rest still verifies, and records the prune
 * itself ("audit-prune", by `actor`) in the same transaction. Only an intact prefix of the chain is
 * removed: pruning stops at the first record that is not older than `before`, and at any gap, broken
 * link or edited record, so evidence of tampering is never pruned away.
 */
export async function pruneAudit(
  db: Database,
  before: Date,
  actor: string,
  origin = "cli",
): Promise<PruneOutcome> {
  const cutoffUs = before.getTime() * 1000;
  if (!Number.isFinite(cutoffUs)) throw new InputError("before: not a valid date");
  return withChain(db, async (ex, head) => {
    const anchor = await latestAnchor(ex);
    let expected = anchor ? anchor.seq + 1 : 1;
    let prev = anchor?.hash ?? GENESIS_HASH;
    let last: { seq: number; hash: string } | undefined;
    let stoppedAt: AuditProblem | null = null;
    scan: for (let lo = expected; ; lo += PAGE) {
      const rows = await ex.all<StoredRow>(
        `SELECT ${ROW_COLUMNS} FROM audit_log WHERE seq BETWEEN ? AND ? ORDER BY seq, rowid`,
        [BigInt(lo), BigInt(lo + PAGE - 1)],
      );
      for (const r of rows) {
        const seq = Number(r.seq);
        if (Number(r.us) >= cutoffUs) break scan;
        if (seq !== expected) {
          stoppedAt =
            seq > expected
              ? { seq: expected, kind: "missing", detail: `record ${expected} is missing` }
              : { seq, kind: "reordered", detail: `seq ${seq} comes again` };
          break scan;
        }
        if (r.prev_hash !== prev || hashRecord(r.prev_hash, fieldsOfRow(r)) !== r.hash) {
          stoppedAt = {
            seq,
            kind: "edited",
            detail: `record ${seq} does not verify (${r.prev_hash !== prev ? "broken link" : "hash does not match its fields"})`,
          };
          break scan;
        }
        last = { seq, hash: r.hash };
        prev = r.hash;
        expected++;
      }
      if (rows.length < PAGE) {
        // The range ended early: the end of the trail, or a gap before an old enough record.
        const next = await ex.all<{ us: bigint }>(
          "SELECT epoch_us(occurred_at) AS us FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 1",
          [BigInt(expected - 1)],
        );
        if (next[0] && Number(next[0].us) < cutoffUs)
          stoppedAt = { seq: expected, kind: "missing", detail: `record ${expected} is missing` };
        break;
      }
    }
    const first = anchor ? anchor.seq + 1 : 1;
    const removed = last ? last.seq - first + 1 : 0;
    if (last) {
      await ex.run("DELETE FROM audit_log WHERE seq <= ?", [BigInt(last.seq)]);
      await ex.run("INSERT INTO audit_anchors VALUES (?, ?, now()::TIMESTAMP, ?)", [
        BigInt(last.seq),
        last.hash,
        BigInt(removed),
      ]);
    }
    const chained = chain(head, [
      (seq) =>
        fieldsOfEntry(
          {
            at: new Date(),
            actor,
            roles: ["operator"],
            purpose: "retention",
            action: "audit-prune",
            object: last ? `audit:${first}-${last.seq}` : "audit:none",
            released: 0,
            suppressed: 0,
            denied: 0,
            origin,
          },
          seq,
        ),
    ]);
    await appendRows(ex, chained.rows);
    return {
      head: chained.head,
      value: {
        removed,
        fromSeq: last ? first : null,
        toSeq: last ? last.seq : null,
        anchor: last ?? null,
        stoppedAt,
        recordSeq: chained.head.seq,
      },
    };
  });
}
