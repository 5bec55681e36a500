/**
 * The hash-chained audit trail on real DuckDB files: chaining across flushes and racing flushes, the
 * legacy trail, verification of edits, deletions (first, middle, last) and reordering on copies of a
 * database file, retention with anchors, search and export, the `wijkradar audit` commands, and a
 * property: any one tampering is found, no tampering is never reported.
 */
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { EXIT } from "../src/errors.js";
import {
  AuditLog,
  GENESIS_HASH,
  auditResult,
  exportAudit,
  hashRecord,
  pruneAudit,
  searchAudit,
  verifyChain,
  type AuditEntry,
  type AuditRow,
} from "../src/store/audit-repository.js";
import { Database } from "../src/store/database.js";
import { tempDir } from "./fixtures.js";

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);

const entry = (i: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
  at: new Date(T0 + i * DAY),
  actor: `user:${i % 3}`,
  roles: ["analyst", "public"],
  purpose: "open-data",
  action: i % 2 ? "values" : "profile-values",
  object: `GM00${String(i).padStart(2, "0")}`,
  released: i % 4,
  suppressed: i % 5 === 0 ? 2 : 0,
  denied: i % 7 === 0 ? 1 : 0,
  origin: "test",
  ...over,
});

async function freshDb(dir = tempDir()): Promise<{ db: Database; path: string }> {
  const path = join(dir, "audit.duckdb");
  return { db: await Database.open({ path }), path };
}

/** A copy of a closed database file (with its WAL, if any). */
function copyOf(path: string): string {
  const copy = join(tempDir(), "copy.duckdb");
  copyFileSync(path, copy);
  if (existsSync(`${path}.wal`)) copyFileSync(`${path}.wal`, `${copy}.wal`);
  return copy;
}

/** Runs SQL on a copy of the file and verifies the copy. */
async function tamperedCopy(path: string, sql: string[], expectHead?: string) {
  const copy = copyOf(path);
  const db = await Database.open({ path: copy });
  try {
    await db.transaction(async (ex) => {
      for (const s of sql) await ex.run(s);
    });
    return await verifyChain(db, expectHead ? { expectHead } : {});
  } finally {
    db.close();
  }
}

const kinds = (r: { problems: readonly { kind: string; seq: number }[] }) =>
  r.problems.map((p) => [p.kind, p.seq]);

interface Raw {
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
const rawRows = (db: Database) =>
  db.read((ex) =>
    ex.all<Raw>(
      `SELECT seq, epoch_us(occurred_at) AS us, actor, on_behalf_of, organisation, roles, purpose, action, object,
        result, released, suppressed, denied, origin, prev_hash, hash FROM audit_log ORDER BY seq`,
    ),
  );
const storedHead = async (db: Database) => {
  const rows = await db.read((ex) =>
    ex.all<{ value: string }>("SELECT value FROM settings WHERE key = 'audit-head'"),
  );
  return rows[0] ? (JSON.parse(rows[0].value) as { seq: number; hash: string }) : undefined;
};

describe("the result of a record", () => {
  it("is derived from the counts", () => {
    expect(auditResult(0, 0, 3)).toBe("denied");
    expect(auditResult(0, 2, 1)).toBe("suppressed");
    expect(auditResult(1, 2, 1)).toBe("released");
    expect(auditResult(0, 0, 0)).toBe("released");
  });
});

describe("chaining", () => {
  it("chains records across flushes: seq, prev_hash, hash recomputed from what is read back, the stored head", async () => {
    const { db } = await freshDb();
    const log = new AuditLog(db, 60_000);
    for (let i = 0; i < 5; i++) log.record(entry(i));
    await log.flush();
    for (let i = 5; i < 8; i++)
      log.record(entry(i, { onBehalfOf: "user:9", organisation: "org:almere", actor: "x\uD800y\u0000z" }));
    await log.flush();
    await log.flush(); // nothing queued: nothing written
    log.record(entry(8, { released: 2.7 }));
    expect(await log.count()).toBe(9);

    const rows = await rawRows(db);
    expect(rows.map((r) => Number(r.seq))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let prev = GENESIS_HASH;
    for (const r of rows) {
      expect(r.prev_hash).toBe(prev);
      const fields = {
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
      expect(hashRecord(prev, fields)).toBe(r.hash);
      prev = r.hash;
    }
    expect(rows[5]).toMatchObject({
      on_behalf_of: "user:9",
      organisation: "org:almere",
      actor: "x\uFFFDy\u0000z",
    });
    expect(rows[0]).toMatchObject({ on_behalf_of: null, organisation: null, roles: "analyst,public" });
    expect(rows[0]!.us).toBe(BigInt(T0) * 1000n);
    expect(rows.map((r) => r.result)).toEqual([
      "suppressed", // 0: nothing released, 2 suppressed
      "released",
      "released",
      "released",
      "released",
      "released",
      "released",
      "released",
      "released",
    ]);
    expect(rows[8]!.released).toBe(2);
    expect(await storedHead(db)).toEqual({ seq: 9, hash: prev });
    const v = await verifyChain(db);
    expect(v).toMatchObject({ ok: true, records: 9, firstSeq: 1, lastSeq: 9, head: prev, problems: [] });
    db.close();
  });

  it("keeps one chain when many records race many flushes, from two AuditLogs on one database", async () => {
    const { db } = await freshDb();
    const a = new AuditLog(db, 1);
    const b = new AuditLog(db, 3);
    const flushes: Promise<void>[] = [];
    for (let i = 0; i < 400; i++) {
      (i % 3 ? a : b).record(entry(i));
      if (i % 7 === 0) flushes.push(a.flush());
      if (i % 11 === 0) flushes.push(b.flush());
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 2));
    }
    flushes.push(a.flush(), b.flush());
    await Promise.all(flushes);
    const rows = await rawRows(db);
    expect(rows).toHaveLength(400);
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.prev_hash)).size).toBe(400);
    expect(await verifyChain(db)).toMatchObject({ ok: true, records: 400, lastSeq: 400 });
    db.close();
  });

  it("keeps a failed batch and does not fork the chain: the retry continues it", async () => {
    const { db } = await freshDb();
    const errors: unknown[] = [];
    const log = new AuditLog(db, 60_000, (e) => errors.push(e));
    for (let i = 0; i < 3; i++) log.record(entry(i));
    await log.flush();
    // The head cannot be stored: the whole batch is rolled back, records and all.
    await db.transaction((ex) => ex.run("ALTER TABLE settings RENAME TO settings_away"));
    log.record(entry(3));
    log.record(entry(4));
    await expect(log.flush()).rejects.toThrow();
    expect((await rawRows(db)).length).toBe(3);
    await db.transaction((ex) => ex.run("ALTER TABLE settings_away RENAME TO settings"));
    log.record(entry(5));
    await log.flush();
    const rows = await rawRows(db);
    expect(rows.map((r) => [Number(r.seq), r.object])).toEqual([
      [1, "GM0000"],
      [2, "GM0001"],
      [3, "GM0002"],
      [4, "GM0003"],
      [5, "GM0004"],
      [6, "GM0005"],
    ]);
    expect(await verifyChain(db)).toMatchObject({ ok: true, records: 6 });
    db.close();
  });

  it("chains the trail of before the chain (audit_log_v1) in time, then insertion order, and drops it", async () => {
    const { db } = await freshDb();
    const legacy = [
      ["2023-05-02 10:00:00", "b", 0, 0, 3],
      ["2023-05-01 09:00:00", "a", 5, 0, 0],
      ["2023-05-02 10:00:00", "c", 0, 4, 0],
      ["2023-05-03 08:30:00.123456", "d", 0, 0, 0],
    ] as const;
    await db.transaction(async (ex) => {
      for (const [t, object, released, suppressed, denied] of legacy)
        await ex.run(
          "INSERT INTO audit_log_v1 VALUES (?::TIMESTAMP, 'anonymous', 'public', 'open-data', 'values', ?, ?, ?, ?, 'api')",
          [t, object, released, suppressed, denied],
        );
    });
    const log = new AuditLog(db, 60_000);
    log.record(entry(0, { object: "new" }));
    await log.flush();
    const rows = await rawRows(db);
    expect(rows.map((r) => [Number(r.seq), r.object, r.result])).toEqual([
      [1, "a", "released"],
      [2, "b", "denied"],
      [3, "c", "suppressed"],
      [4, "d", "released"],
      [5, "new", "suppressed"],
    ]);
    expect(rows[3]!.us % 1_000_000n).toBe(123456n);
    expect(rows.slice(0, 4).every((r) => r.on_behalf_of === null && r.organisation === null)).toBe(true);
    const tables = await db.read((ex) =>
      ex.all<{ n: number }>(
        "SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name LIKE 'audit_log_v1%' OR table_name = 'audit_v1_ordered'",
      ),
    );
    expect(tables[0]!.n).toBe(0);
    expect(await verifyChain(db)).toMatchObject({ ok: true, records: 5 });
    db.close();
  });

  it("chains the legacy trail on ready() without new records", async () => {
    const { db } = await freshDb();
    await db.transaction((ex) =>
      ex.run(
        "INSERT INTO audit_log_v1 VALUES (TIMESTAMP '2023-01-01', 'anonymous', 'public', 'open-data', 'values', 'x', 1, 0, 0, 'api')",
      ),
    );
    await new AuditLog(db).ready();
    expect(await verifyChain(db)).toMatchObject({ ok: true, records: 1, lastSeq: 1 });
    expect((await storedHead(db))?.seq).toBe(1);
    db.close();
  });
});

describe("verification on tampered copies of a database file", () => {
  let path: string;
  let hashes: string[];
  beforeAll(async () => {
    const fresh = await freshDb();
    path = fresh.path;
    const log = new AuditLog(fresh.db, 60_000);
    for (let i = 0; i < 20; i++) {
      log.record(entry(i));
      if (i % 6 === 5) await log.flush();
    }
    await log.flush();
    hashes = (await rawRows(fresh.db)).map((r) => r.hash);
    await fresh.db.checkpoint();
    fresh.db.close();
  });

  it("an untouched copy verifies; an external head in the chain too", async () => {
    const r = await tamperedCopy(path, [], hashes[7]);
    expect(r).toMatchObject({
      ok: true,
      records: 20,
      firstSeq: 1,
      lastSeq: 20,
      head: hashes[19],
      problems: [],
    });
  });

  it.each([
    ["the object", "UPDATE audit_log SET object = 'GM9999' WHERE seq = 5", [["edited", 5]]],
    [
      "the time",
      "UPDATE audit_log SET occurred_at = occurred_at + INTERVAL 1 MICROSECOND WHERE seq = 5",
      [["edited", 5]],
    ],
    ["a count", "UPDATE audit_log SET denied = 0 WHERE seq = 8", [["edited", 8]]],
    ["on behalf of", "UPDATE audit_log SET on_behalf_of = 'user:1' WHERE seq = 12", [["edited", 12]]],
    ["the hash", "UPDATE audit_log SET hash = repeat('a', 64) WHERE seq = 5", [["edited", 5]]],
    ["the prev_hash", "UPDATE audit_log SET prev_hash = repeat('b', 64) WHERE seq = 5", [["edited", 5]]],
    ["the last record", "UPDATE audit_log SET actor = 'nobody' WHERE seq = 20", [["edited", 20]]],
  ])("finds an edit of %s", async (_what, sql, expected) => {
    expect(kinds(await tamperedCopy(path, [sql]))).toEqual(expected);
  });

  it("finds deleted records: first, middle, two in the middle, last", async () => {
    expect(kinds(await tamperedCopy(path, ["DELETE FROM audit_log WHERE seq = 1"]))).toEqual([
      ["missing", 1],
    ]);
    expect(kinds(await tamperedCopy(path, ["DELETE FROM audit_log WHERE seq = 10"]))).toEqual([
      ["missing", 10],
    ]);
    const two = await tamperedCopy(path, ["DELETE FROM audit_log WHERE seq IN (10, 11)"]);
    expect(kinds(two)).toEqual([["missing", 10]]);
    expect(two.problems[0]!.detail).toContain("10..11");
    expect(kinds(await tamperedCopy(path, ["DELETE FROM audit_log WHERE seq = 20"]))).toEqual([
      ["missing", 20],
    ]);
    expect(kinds(await tamperedCopy(path, ["DELETE FROM audit_log"]))).toEqual([["missing", 1]]);
  });

  it("finds reordered records (two rows' seq swapped), adjacent or not", async () => {
    const swap = (a: number, b: number) =>
      `UPDATE audit_log SET seq = CASE seq WHEN ${a} THEN ${b} ELSE ${a} END WHERE seq IN (${a}, ${b})`;
    expect(kinds(await tamperedCopy(path, [swap(5, 7)]))).toEqual([
      ["reordered", 5],
      ["reordered", 7],
    ]);
    expect(kinds(await tamperedCopy(path, [swap(5, 6)]))).toEqual([
      ["reordered", 5],
      ["reordered", 6],
    ]);
    expect(kinds(await tamperedCopy(path, [swap(1, 2)]))).toEqual([
      ["reordered", 1],
      ["reordered", 2],
    ]);
  });

  it("finds a replaced record (edited, its hash recomputed) by the next record's link", async () => {
    const rows = await (async () => {
      const db = await Database.open({ path: copyOf(path), readOnly: true });
      try {
        return await rawRows(db);
      } finally {
        db.close();
      }
    })();
    const r = rows[8]!;
    const fields = {
      seq: 9,
      occurredAtUs: Number(r.us),
      actor: r.actor,
      onBehalfOf: r.on_behalf_of,
      organisation: r.organisation,
      roles: r.roles,
      purpose: r.purpose,
      action: r.action,
      object: "GM0666",
      result: r.result,
      released: r.released,
      suppressed: r.suppressed,
      denied: r.denied,
      origin: r.origin,
    };
    const forged = hashRecord(r.prev_hash, fields);
    const result = await tamperedCopy(path, [
      `UPDATE audit_log SET object = 'GM0666', hash = '${forged}' WHERE seq = 9`,
    ]);
    expect(kinds(result)).toEqual([["edited", 9]]);
    expect(result.problems[0]!.detail).toContain("replaced");
  });

  it("finds a missing or wrong stored head, records after it, duplicates, and an external head not in the chain", async () => {
    expect(kinds(await tamperedCopy(path, ["DELETE FROM settings WHERE key = 'audit-head'"]))).toEqual([
      ["head-mismatch", 20],
    ]);
    expect(
      kinds(
        await tamperedCopy(path, [
          `UPDATE settings SET value = '{"seq":20,"hash":"${"c".repeat(64)}"}' WHERE key = 'audit-head'`,
        ]),
      ),
    ).toEqual([["head-mismatch", 20]]);
    expect(
      kinds(
        await tamperedCopy(path, [
          `INSERT INTO audit_log SELECT 21, occurred_at, actor, on_behalf_of, organisation, roles, purpose, action, object,
             result, released, suppressed, denied, origin, hash, repeat('d', 64) FROM audit_log WHERE seq = 20`,
        ]),
      ),
    ).toEqual([["head-mismatch", 21]]);
    expect(
      kinds(await tamperedCopy(path, ["INSERT INTO audit_log SELECT * FROM audit_log WHERE seq = 4"])),
    ).toEqual([["reordered", 4]]);
    const external = await tamperedCopy(path, [], "e".repeat(64));
    expect(kinds(external)).toEqual([["head-mismatch", 20]]);
    expect(external.problems[0]!.detail).toContain("not in the chain");
  });

  it("finds the whole trail rewritten from some record on only with an external head", async () => {
    // An attacker who rewrites records 15..20 and the stored head consistently is not found by the
    // database alone; the head printed earlier (and kept elsewhere) finds it.
    const db = await Database.open({ path: copyOf(path) });
    try {
      await db.transaction(async (ex) => {
        await ex.run("DELETE FROM audit_log WHERE seq >= 15");
        await ex.run(
          `UPDATE settings SET value = '{"seq":14,"hash":"${hashes[13]}"}' WHERE key = 'audit-head'`,
        );
      });
      expect((await verifyChain(db)).ok).toBe(true);
      expect(kinds(await verifyChain(db, { expectHead: hashes[19]! }))).toEqual([["head-mismatch", 14]]);
    } finally {
      db.close();
    }
  });

  it("continues a chain with a deleted tail after the stored head, so the gap stays visible", async () => {
    const db = await Database.open({ path: copyOf(path) });
    try {
      await db.transaction((ex) => ex.run("DELETE FROM audit_log WHERE seq = 20"));
      const log = new AuditLog(db);
      log.record(entry(99));
      await log.flush();
      const r = await verifyChain(db);
      expect(kinds(r)).toEqual([["missing", 20]]);
      expect(r.lastSeq).toBe(21);
    } finally {
      db.close();
    }
  });

  it("pages through the trail (small pages) with the same findings", async () => {
    const copy = copyOf(path);
    const db = await Database.open({ path: copy });
    try {
      expect(await verifyChain(db, { pageSize: 3 })).toMatchObject({ ok: true, records: 20 });
      await db.transaction((ex) => ex.run("DELETE FROM audit_log WHERE seq BETWEEN 6 AND 13"));
      expect(kinds(await verifyChain(db, { pageSize: 3 }))).toEqual([["missing", 6]]);
    } finally {
      db.close();
    }
  });
});

describe("retention", () => {
  it("prunes records older than a date with an anchor; the rest still verifies; the prune is recorded", async () => {
    const { db, path } = await freshDb();
    const log = new AuditLog(db, 60_000);
    for (let i = 0; i < 12; i++) log.record(entry(i));
    await log.flush();
    const before = await rawRows(db);
    const r = await pruneAudit(db, new Date(T0 + 5 * DAY), "cli:operator");
    expect(r).toMatchObject({
      removed: 5,
      fromSeq: 1,
      toSeq: 5,
      anchor: { seq: 5, hash: before[4]!.hash },
      stoppedAt: null,
      recordSeq: 13,
    });
    const rows = await rawRows(db);
    expect(rows.map((x) => Number(x.seq))).toEqual([6, 7, 8, 9, 10, 11, 12, 13]);
    expect(rows.at(-1)).toMatchObject({ actor: "cli:operator", action: "audit-prune", object: "audit:1-5" });
    const anchors = await db.read((ex) =>
      ex.all<{ seq: bigint; hash: string; records: bigint }>("SELECT seq, hash, records FROM audit_anchors"),
    );
    expect(anchors).toEqual([{ seq: 5n, hash: before[4]!.hash, records: 5n }]);
    const v = await verifyChain(db);
    expect(v).toMatchObject({ ok: true, records: 8, firstSeq: 6, lastSeq: 13, anchor: { seq: 5 } });
    // An external head from before the prune is still accepted (it is the anchor's).
    expect((await verifyChain(db, { expectHead: before[4]!.hash })).ok).toBe(true);

    // A second prune continues from the anchor; nothing newer is touched.
    const again = await pruneAudit(db, new Date(T0 + 7 * DAY), "cli:operator");
    expect(again).toMatchObject({ removed: 2, fromSeq: 6, toSeq: 7, recordSeq: 14 });
    expect(await verifyChain(db)).toMatchObject({ ok: true, firstSeq: 8, lastSeq: 14 });
    await db.checkpoint();
    db.close();

    // On copies: the pruned records are not a problem; a deletion after the anchor is.
    expect(kinds(await tamperedCopy(path, []))).toEqual([]);
    expect(kinds(await tamperedCopy(path, ["DELETE FROM audit_log WHERE seq = 8"]))).toEqual([
      ["missing", 8],
    ]);
    expect(kinds(await tamperedCopy(path, ["DELETE FROM audit_log WHERE seq = 10"]))).toEqual([
      ["missing", 10],
    ]);
    // An anchor no prune recorded (records deleted and an anchor forged) is found.
    const h = (
      await (async () => {
        const d = await Database.open({ path: copyOf(path), readOnly: true });
        try {
          return await rawRows(d);
        } finally {
          d.close();
        }
      })()
    )[2]!;
    expect(
      kinds(
        await tamperedCopy(path, [
          `DELETE FROM audit_log WHERE seq <= ${Number(h.seq)}`,
          `INSERT INTO audit_anchors VALUES (${Number(h.seq)}, '${h.hash}', now()::TIMESTAMP, 3)`,
        ]),
      ),
    ).toEqual([["bad-start", Number(h.seq) + 1]]);
  });

  it("prunes everything old enough; the chain continues from the anchor", async () => {
    const { db } = await freshDb();
    const log = new AuditLog(db, 60_000);
    for (let i = 0; i < 4; i++) log.record(entry(i));
    await log.flush();
    const r = await pruneAudit(db, new Date(T0 + 100 * DAY), "cli:operator");
    expect(r).toMatchObject({ removed: 4, recordSeq: 5 });
    log.record(entry(200));
    await log.flush();
    expect(await verifyChain(db)).toMatchObject({ ok: true, records: 2, firstSeq: 5, lastSeq: 6 });
    // Nothing to prune: no anchor, but the prune is recorded.
    const none = await pruneAudit(db, new Date(T0), "cli:operator");
    expect(none).toMatchObject({ removed: 0, anchor: null, recordSeq: 7 });
    expect(await verifyChain(db)).toMatchObject({ ok: true, records: 3 });
    db.close();
  });

  it("never prunes past a gap, a broken record or a newer record", async () => {
    const { db } = await freshDb();
    const log = new AuditLog(db, 60_000);
    for (let i = 0; i < 10; i++) log.record(entry(i === 4 ? 50 : i)); // record 5 is newer than the rest
    await log.flush();
    const stopsAtNewer = await pruneAudit(db, new Date(T0 + 20 * DAY), "cli:operator");
    expect(stopsAtNewer).toMatchObject({ removed: 4, toSeq: 4, stoppedAt: null });
    await db.transaction((ex) => ex.run("DELETE FROM audit_log WHERE seq = 7"));
    await db.transaction((ex) =>
      ex.run("UPDATE audit_log SET occurred_at = TIMESTAMP '2024-01-02' WHERE seq = 5"),
    );
    // seq 5 is now old enough but edited: pruning stops there and keeps the evidence.
    const stopsAtEdit = await pruneAudit(db, new Date(T0 + 60 * DAY), "cli:operator");
    expect(stopsAtEdit).toMatchObject({ removed: 0, stoppedAt: { seq: 5, kind: "edited" } });
    expect(kinds(await verifyChain(db))).toEqual([
      ["edited", 5],
      ["missing", 7],
    ]);
    db.close();
  });

  it("stops at a gap among old records", async () => {
    const { db } = await freshDb();
    const log = new AuditLog(db, 60_000);
    for (let i = 0; i < 6; i++) log.record(entry(i));
    await log.flush();
    await db.transaction((ex) => ex.run("DELETE FROM audit_log WHERE seq = 3"));
    const r = await pruneAudit(db, new Date(T0 + 60 * DAY), "cli:operator");
    expect(r).toMatchObject({ removed: 2, toSeq: 2, stoppedAt: { seq: 3, kind: "missing" } });
    expect(kinds(await verifyChain(db))).toEqual([["missing", 3]]);
    db.close();
  });
});

describe("search and export", () => {
  let db: Database;
  beforeAll(async () => {
    db = (await freshDb()).db;
    await db.transaction((ex) =>
      ex.run(
        `INSERT INTO users VALUES ('u-17', 'jvdberg', 'Jan van den Berg', 'org:almere', 'analyst', 'early-warning',
           NULL, NULL, NULL, NULL, false, now()::TIMESTAMP, now()::TIMESTAMP, NULL)`,
      ),
    );
    const log = new AuditLog(db, 60_000);
    log.record(
      entry(0, {
        actor: "u-17",
        organisation: "org:almere",
        object: "GM0034",
        action: "values",
        released: 3,
        suppressed: 0,
        denied: 0,
      }),
    );
    log.record(
      entry(1, {
        actor: "anonymous",
        object: "BU00340201",
        action: "values",
        released: 0,
        suppressed: 2,
        denied: 0,
      }),
    );
    log.record(
      entry(2, {
        actor: "u-2",
        onBehalfOf: "u-17",
        object: "profile:eenzaamheid-65plus",
        action: "profile-values",
        released: 0,
        suppressed: 0,
        denied: 4,
      }),
    );
    log.record(
      entry(3, {
        actor: "cli:root",
        object: "export:inwoners_test",
        action: "export",
        released: 10,
        suppressed: 0,
        denied: 0,
      }),
    );
    log.record(
      entry(4, {
        actor: "anonymous",
        object: "GM0363 100%_x",
        action: "values",
        released: 1,
        suppressed: 0,
        denied: 0,
      }),
    );
    await log.flush();
  });

  const seqs = (rows: AuditRow[]) => rows.map((r) => r.seq);

  it("filters by actor (id, part of it, a user's name; also on behalf of), object, action, result, organisation", async () => {
    expect(seqs(await searchAudit(db, { actor: "u-17" }))).toEqual([3, 1]);
    expect(seqs(await searchAudit(db, { actor: "van den berg" }))).toEqual([3, 1]);
    expect(seqs(await searchAudit(db, { actor: "anonym" }))).toEqual([5, 2]);
    expect(seqs(await searchAudit(db, { object: "gm0034" }))).toEqual([1]);
    expect(seqs(await searchAudit(db, { object: "0034" }))).toEqual([2, 1]);
    expect(seqs(await searchAudit(db, { object: "100%" }))).toEqual([5]);
    expect(seqs(await searchAudit(db, { object: "%" }))).toEqual([5]);
    expect(seqs(await searchAudit(db, { action: "values" }))).toEqual([5, 2, 1]);
    expect(seqs(await searchAudit(db, { result: "denied" }))).toEqual([3]);
    expect(seqs(await searchAudit(db, { result: "suppressed" }))).toEqual([2]);
    expect(seqs(await searchAudit(db, { organisation: "org:almere" }))).toEqual([1]);
    expect(seqs(await searchAudit(db, { action: "values", actor: "anonymous", result: "released" }))).toEqual(
      [5],
    );
  });

  it("filters by UTC dates (to: the whole day) and times, pages newest first", async () => {
    expect(seqs(await searchAudit(db, { from: "2024-01-02", to: "2024-01-04" }))).toEqual([4, 3, 2]);
    expect(seqs(await searchAudit(db, { to: "2024-01-02T00:00:00Z" }))).toEqual([2, 1]);
    expect(seqs(await searchAudit(db, { from: "2024-01-02T00:00:01" }))).toEqual([5, 4, 3]);
    expect(seqs(await searchAudit(db, { limit: 2 }))).toEqual([5, 4]);
    expect(seqs(await searchAudit(db, { limit: 2, offset: 2 }))).toEqual([3, 2]);
    await expect(searchAudit(db, { limit: 1001 })).rejects.toThrow(/limit/);
    await expect(searchAudit(db, { from: "2024-02-30" })).rejects.toThrow(/from: "2024-02-30" is not a date/);
    const [row] = await searchAudit(db, { object: "profile:" });
    expect(row).toEqual({
      seq: 3,
      occurredAt: "2024-01-03T00:00:00.000Z",
      actor: "u-2",
      onBehalfOf: "u-17",
      organisation: null,
      roles: ["analyst", "public"],
      purpose: "open-data",
      action: "profile-values",
      object: "profile:eenzaamheid-65plus",
      result: "denied",
      released: 0,
      suppressed: 0,
      denied: 4,
      origin: "test",
    });
  });

  it("exports every matching record oldest first", async () => {
    const all: AuditRow[] = [];
    for await (const r of exportAudit(db)) all.push(r);
    expect(seqs(all)).toEqual([1, 2, 3, 4, 5]);
    const some: AuditRow[] = [];
    for await (const r of exportAudit(db, { action: "values" })) some.push(r);
    expect(seqs(some)).toEqual([1, 2, 5]);
  });
});

describe("wijkradar audit", () => {
  async function run(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["node", "wijkradar", "audit", ...args], {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      env: {},
    });
    return { code, out: out.join("\n"), err: err.join("\n") };
  }

  async function trail(n: number): Promise<string> {
    const { db, path } = await freshDb();
    const log = new AuditLog(db, 60_000);
    for (let i = 0; i < n; i++) log.record(entry(i));
    await log.flush();
    await db.checkpoint();
    db.close();
    return path;
  }

  it("verify: exit 0 and one line; then the verify itself is in the trail", async () => {
    const path = await trail(6);
    const r = await run(["verify", "--db", path]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/^ok: 6 records, seq 1\.\.6, head [0-9a-f]{64}$/);
    const head = /head ([0-9a-f]{64})/.exec(r.out)![1]!;
    const again = await run(["verify", "--db", path, "--expect-head", head]);
    expect(again.code).toBe(EXIT.ok);
    expect(again.out).toMatch(/^ok: 7 records, seq 1\.\.7, head /);
    const db = await Database.open({ path, readOnly: true });
    const rows = await searchAudit(db, { action: "audit-verify" });
    db.close();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ actor: expect.stringMatching(/^cli:/) as string, origin: "cli" });
  });

  it("verify: exit 65 listing the problems", async () => {
    const path = await trail(8);
    const db = await Database.open({ path });
    await db.transaction(async (ex) => {
      await ex.run("UPDATE audit_log SET object = 'GM9999' WHERE seq = 5");
      await ex.run("DELETE FROM audit_log WHERE seq = 2");
    });
    db.close();
    const r = await run(["verify", "--db", path]);
    expect(r.code).toBe(EXIT.dataErr);
    expect(r.out.split("\n")).toEqual([
      expect.stringMatching(/^missing at seq 2: record 2 is missing/) as string,
      expect.stringMatching(/^edited at seq 5: /) as string,
    ]);
    expect(r.err).toContain("the audit trail does not verify: 2 problem(s)");
    const bad = await run(["verify", "--db", path, "--expect-head", "f".repeat(64)]);
    expect(bad.code).toBe(EXIT.dataErr);
    expect(bad.out).toContain("head-mismatch at seq");
  });

  it("verify: bad flags and a missing database", async () => {
    const path = await trail(1);
    const r = await run(["verify", "--db", path, "--expect-head", "xyz"]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain("--expect-head");
    const missing = await run(["verify", "--db", join(tempDir(), "nope.duckdb")]);
    expect(missing.code).toBe(EXIT.noInput);
    expect(missing.err).toContain("does not exist");
  });

  it("search: filters, table and JSON output; a bad date names its flag", async () => {
    const path = await trail(6);
    const table = await run(["search", "--db", path, "--action", "values", "--limit", "2"]);
    expect(table.code).toBe(EXIT.ok);
    expect(table.out.split("\n")).toHaveLength(2);
    expect(table.out).toMatch(/^\s+6 2024-01-06T00:00:00\.000Z user:2 values GM0005 /);
    const json = await run(["search", "--db", path, "--from", "2024-01-03", "--to", "2024-01-04", "--json"]);
    expect(json.code).toBe(EXIT.ok);
    expect((JSON.parse(json.out) as AuditRow[]).map((r) => r.seq)).toEqual([4, 3]);
    const bad = await run(["search", "--db", path, "--from", "yesterday"]);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.err).toMatch(/--from <date>.*yesterday.*expected a date/s);
    const badTo = await run(["search", "--db", path, "--to", "2024-13-01"]);
    expect(badTo.code).toBe(EXIT.usage);
    expect(badTo.err).toContain("--to <date>");
    const badLimit = await run(["search", "--db", path, "--limit", "5000"]);
    expect(badLimit.code).toBe(EXIT.usage);
    expect(badLimit.err).toContain("--limit");
    const badResult = await run(["search", "--db", path, "--result", "maybe"]);
    expect(badResult.code).toBe(EXIT.usage);
  });

  it("export: CSV with a header, the filters applied", async () => {
    const path = await trail(5);
    const out = join(tempDir(), "audit.csv");
    const r = await run(["export", "--db", path, "--out", out, "--action", "values"]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toBe(`2 record(s) written to ${out}`);
    const lines = readFileSync(out, "utf8").trimEnd().split("\n");
    expect(lines[0]).toBe(
      "seq,occurredAt,actor,onBehalfOf,organisation,roles,purpose,action,object,result,released,suppressed,denied,origin",
    );
    expect(lines.slice(1)).toEqual([
      '2,2024-01-02T00:00:00.000Z,user:1,,,"analyst,public",open-data,values,GM0001,released,1,0,0,test',
      '4,2024-01-04T00:00:00.000Z,user:0,,,"analyst,public",open-data,values,GM0003,released,3,0,0,test',
    ]);
    expect((await run(["export", "--db", path])).code).toBe(EXIT.usage);
  });

  it("prune: --before or --older-than-days; the chain still verifies", async () => {
    const path = await trail(6);
    const r = await run(["prune", "--db", path, "--before", "2024-01-04"]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(
      /^pruned 3 record\(s\) before 2024-01-04T00:00:00\.000Z \(seq 1\.\.3\); anchor seq 3, hash [0-9a-f]{64}$/,
    );
    const v = await run(["verify", "--db", path]);
    expect(v.code).toBe(EXIT.ok);
    expect(v.out).toMatch(/^ok: 4 records, seq 4\.\.7, head /);
    const old = await run(["prune", "--db", path, "--older-than-days", "1"]);
    expect(old.code).toBe(EXIT.ok);
    expect(old.out).toMatch(/^pruned \d+ record\(s\)/);
    expect((await run(["verify", "--db", path])).code).toBe(EXIT.ok);
    const none = await run(["prune", "--db", path]);
    expect(none.code).toBe(EXIT.usage);
    expect(none.err).toContain("--before <date> or --older-than-days <n>");
    const bad = await run(["prune", "--db", path, "--before", "2024-1-4"]);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.err).toContain("--before <date>");
    const both = await run(["prune", "--db", path, "--before", "2024-01-04", "--older-than-days", "3"]);
    expect(both.code).toBe(EXIT.usage);
    const zero = await run(["prune", "--db", path, "--older-than-days", "0"]);
    expect(zero.code).toBe(EXIT.usage);
    expect(zero.err).toContain("--older-than-days");
  });
});

describe("property: one tampering is always found, none is never reported", () => {
  const entryArb = fc.record({
    day: fc.integer({ min: 0, max: 3000 }),
    ms: fc.integer({ min: 0, max: DAY - 1 }),
    actor: fc.string({ maxLength: 12 }),
    onBehalfOf: fc.option(fc.string({ maxLength: 8 })),
    organisation: fc.option(fc.constantFrom("org:a", "org:b")),
    roles: fc.array(fc.constantFrom("public", "analyst", "admin"), { maxLength: 3 }),
    action: fc.constantFrom("values", "export", "profile-values", "admin"),
    object: fc.string({ maxLength: 20 }),
    released: fc.nat({ max: 50 }),
    suppressed: fc.nat({ max: 5 }),
    denied: fc.nat({ max: 5 }),
  });
  const COLUMNS = [
    "occurred_at",
    "actor",
    "on_behalf_of",
    "organisation",
    "roles",
    "purpose",
    "action",
    "object",
    "result",
    "released",
    "suppressed",
    "denied",
    "origin",
    "prev_hash",
    "hash",
    "seq",
  ] as const;
  const editOf = (column: (typeof COLUMNS)[number]): string => {
    switch (column) {
      case "occurred_at":
        return "occurred_at = occurred_at + INTERVAL 1 MICROSECOND";
      case "released":
      case "suppressed":
      case "denied":
        return `${column} = ${column} + 1`;
      case "seq":
        return "seq = seq + 1000";
      case "on_behalf_of":
      case "organisation":
        return `${column} = coalesce(${column}, '') || 'x'`;
      default:
        return `${column} = ${column} || 'x'`;
    }
  };
  const tamperArb = fc.oneof(
    fc.record({ op: fc.constant("edit" as const), at: fc.nat(), column: fc.constantFrom(...COLUMNS) }),
    fc.record({ op: fc.constant("delete" as const), at: fc.nat() }),
    fc.record({ op: fc.constant("swap" as const), at: fc.nat(), other: fc.nat() }),
    fc.record({ op: fc.constant("rehash" as const), at: fc.nat() }),
    fc.record({ op: fc.constant("head" as const), drop: fc.boolean() }),
    fc.record({ op: fc.constant("append" as const) }),
  );

  it("holds over random trails and tamperings", async () => {
    const dir = tempDir();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(entryArb, fc.boolean()), { minLength: 2, maxLength: 25 }),
        fc.option(tamperArb, { freq: 4 }),
        async (list, tamper) => {
          const db = await Database.open({ path: join(dir, `p${n++}.duckdb`), readers: 1 });
          try {
            const log = new AuditLog(db, 60_000);
            for (const [e, flushAfter] of list) {
              log.record({
                at: new Date(T0 + e.day * DAY + e.ms),
                actor: e.actor,
                onBehalfOf: e.onBehalfOf,
                organisation: e.organisation,
                roles: e.roles,
                purpose: "open-data",
                action: e.action,
                object: e.object,
                released: e.released,
                suppressed: e.suppressed,
                denied: e.denied,
                origin: "test",
              });
              if (flushAfter) await log.flush();
            }
            await log.flush();
            const count = list.length;
            if (tamper === null) {
              const v = await verifyChain(db);
              expect(v.problems).toEqual([]);
              expect(v).toMatchObject({ ok: true, records: count, firstSeq: 1, lastSeq: count });
              return;
            }
            const seq = "at" in tamper ? (tamper.at % count) + 1 : 0;
            const rows = await rawRows(db);
            const sql: string[] = [];
            switch (tamper.op) {
              case "edit":
                sql.push(`UPDATE audit_log SET ${editOf(tamper.column)} WHERE seq = ${seq}`);
                break;
              case "delete":
                sql.push(`DELETE FROM audit_log WHERE seq = ${seq}`);
                break;
              case "swap": {
                const other = ((seq - 1 + 1 + (tamper.other % (count - 1))) % count) + 1;
                sql.push(
                  `UPDATE audit_log SET seq = CASE seq WHEN ${seq} THEN ${other} ELSE ${seq} END WHERE seq IN (${seq}, ${other})`,
                );
                break;
              }
              case "rehash": {
                // Edit a record and recompute its own hash (as someone who knows the algorithm would).
                const r = rows[seq - 1]!;
                const hash = hashRecord(r.prev_hash, {
                  seq,
                  occurredAtUs: Number(r.us),
                  actor: r.actor,
                  onBehalfOf: r.on_behalf_of,
                  organisation: r.organisation,
                  roles: r.roles,
                  purpose: r.purpose,
                  action: r.action,
                  object: `${r.object}x`,
                  result: r.result,
                  released: r.released,
                  suppressed: r.suppressed,
                  denied: r.denied,
                  origin: r.origin,
                });
                sql.push(`UPDATE audit_log SET object = object || 'x', hash = '${hash}' WHERE seq = ${seq}`);
                // (Of the last record, the stored head finds it; changing that too is the rewrite
                // only --expect-head finds.)
                break;
              }
              case "head":
                sql.push(
                  tamper.drop
                    ? "DELETE FROM settings WHERE key = 'audit-head'"
                    : `UPDATE settings SET value = '{"seq":${count},"hash":"${"9".repeat(64)}"}' WHERE key = 'audit-head'`,
                );
                break;
              case "append":
                sql.push(
                  `INSERT INTO audit_log SELECT seq + 1, occurred_at, actor, on_behalf_of, organisation, roles, purpose,
                     action, object, result, released, suppressed, denied, origin, hash, repeat('1', 64)
                   FROM audit_log WHERE seq = ${count}`,
                );
                break;
            }
            await db.transaction(async (ex) => {
              for (const s of sql) await ex.run(s);
            });
            const v = await verifyChain(db);
            expect(v.ok).toBe(false);
            expect(v.problems.length).toBeGreaterThan(0);
            // Where it is found: at the tampered record (or, for a replaced record, the stored head).
            if (tamper.op === "edit" || tamper.op === "delete")
              expect(v.problems.map((p) => p.seq)).toContain(seq);
            if (tamper.op === "swap")
              expect(v.problems.every((p) => p.kind === "reordered" || p.kind === "head-mismatch")).toBe(
                true,
              );
          } finally {
            db.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
