/**
 * The early-warning store: detection runs, alerts (one per area and problem domain, kept across runs
 * with their status history) and the per-area accumulation of the latest run per scope. Writes of a
 * run's results are one transaction: a run's alerts appear all at once or not at all.
 */
import type { AlertDraft, AreaLevel, AreaSummary, Severity } from "@wijkradar/core";
import type { Database, Executor, SqlParam } from "./database.js";

export const ALERT_STATUSES = ["new", "acknowledged", "investigating", "closed"] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export interface RunRow {
  readonly id: number;
  readonly trigger: string;
  readonly actor: string;
  readonly scope: string;
  readonly settings: unknown;
  readonly modelVersion: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly status: "running" | "finished" | "failed";
  readonly series: number | null;
  readonly tests: number | null;
  readonly alerts: number | null;
  readonly message: string | null;
  /** The largest p still red / yellow after Benjamini–Hochberg in this run (null: none). */
  readonly pCutoffs: { readonly red: number | null; readonly yellow: number | null };
}

/** A stored test of an alert (the explanation's figures; AssessedTest without repetition of the alert's keys). */
export interface StoredTest {
  readonly detector: string;
  readonly indicatorId: string;
  readonly period: string;
  readonly observed: number;
  readonly expected: number | null;
  readonly effect: number;
  readonly p: number;
  readonly q: number;
  readonly severity: Severity;
  readonly details: Readonly<Record<string, number | string | null>>;
}

export interface AlertRow {
  readonly id: number;
  readonly key: string;
  readonly areaCode: string;
  readonly gemeenteCode: string | null;
  readonly level: AreaLevel;
  readonly division: number;
  readonly domain: string;
  readonly indicatorId: string;
  readonly detector: string;
  readonly detectors: readonly string[];
  readonly period: string;
  readonly effect: number;
  readonly p: number;
  readonly q: number;
  readonly severity: "red" | "yellow";
  readonly score: number;
  readonly rank: number;
  readonly tests: readonly StoredTest[];
  /** Found again by the latest run of its scope. */
  readonly active: boolean;
  readonly status: AlertStatus;
  readonly statusReason: string | null;
  readonly statusBy: string | null;
  readonly statusAt: string | null;
  readonly firstRun: number;
  readonly lastRun: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface AlertEvent {
  readonly at: string;
  readonly actor: string;
  readonly event: "opened" | "updated" | "reopened" | "status" | "resolved-by-data";
  readonly status: AlertStatus;
  readonly reason: string | null;
  readonly runId: number | null;
}

const nullIfNaN = (v: number | undefined): number | null => (v === undefined || Number.isNaN(v) ? null : v);
const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v).replace(" ", "T") + "Z");
const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v));

function toRun(r: Record<string, unknown>): RunRow {
  return {
    id: Number(r.id),
    trigger: String(r.trigger),
    actor: String(r.actor),
    scope: String(r.scope),
    settings: JSON.parse(String(r.settings)) as unknown,
    modelVersion: String(r.model_version),
    startedAt: iso(r.started_at),
    finishedAt: isoOrNull(r.finished_at),
    status: r.status as RunRow["status"],
    series: r.series === null ? null : Number(r.series),
    tests: r.tests === null ? null : Number(r.tests),
    alerts: r.alerts === null ? null : Number(r.alerts),
    message: (r.message as string | null) ?? null,
    pCutoffs: {
      red: (r.p_cut_red as number | null) ?? null,
      yellow: (r.p_cut_yellow as number | null) ?? null,
    },
  };
}

const ALERT_COLUMNS = `id, key, area_code, gemeente_code, level, division, domain, indicator_id, detector,
  detectors, period, effect, p, q, severity, score, rank, tests, active, status, status_reason, status_by,
  strftime(status_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS status_at, first_run, last_run,
  strftime(created_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS created_at, strftime(updated_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS updated_at`;

function toAlert(r: Record<string, unknown>): AlertRow {
  return {
    id: Number(r.id),
    key: String(r.key),
    areaCode: String(r.area_code),
    gemeenteCode: (r.gemeente_code as string | null) ?? null,
    level: r.level as AreaLevel,
    division: Number(r.division),
    domain: String(r.domain),
    indicatorId: String(r.indicator_id),
    detector: String(r.detector),
    detectors: (r.detectors as string[]) ?? [],
    period: String(r.period),
    effect: Number(r.effect),
    p: Number(r.p),
    q: Number(r.q),
    severity: r.severity as AlertRow["severity"],
    score: Number(r.score),
    rank: Number(r.rank),
    tests: JSON.parse(String(r.tests)) as StoredTest[],
    active: Boolean(r.active),
    status: r.status as AlertStatus,
    statusReason: (r.status_reason as string | null) ?? null,
    statusBy: (r.status_by as string | null) ?? null,
    statusAt: (r.status_at as string | null) ?? null,
    firstRun: Number(r.first_run),
    lastRun: Number(r.last_run),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
  };
}

export async function createRun(
  db: Database,
  run: { trigger: string; actor: string; scope: string; settings: unknown; modelVersion: string },
): Promise<number> {
  return db.transaction(async (ex) => {
    const rows = await ex.all<{ id: number }>(
      `INSERT INTO detection_runs (trigger, actor, scope, settings, model_version, started_at, status)
       VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP, 'running') RETURNING id`,
      [run.trigger, run.actor, run.scope, JSON.stringify(run.settings), run.modelVersion],
    );
    return Number(rows[0]!.id);
  });
}

export async function failRun(db: Database, id: number, message: string): Promise<void> {
  await db.transaction((ex) =>
    ex.run(
      "UPDATE detection_runs SET status = 'failed', finished_at = now()::TIMESTAMP, message = ? WHERE id = ?",
      [message, id],
    ),
  );
}

export async function getRun(db: Database, id: number): Promise<RunRow | undefined> {
  const rows = await db.read((ex) => ex.all("SELECT * FROM detection_runs WHERE id = ?", [id]));
  return rows[0] ? toRun(rows[0]) : undefined;
}

export async function listRuns(db: Database, limit = 20): Promise<RunRow[]> {
  const rows = await db.read((ex) =>
    ex.all("SELECT * FROM detection_runs ORDER BY id DESC LIMIT ?", [limit]),
  );
  return rows.map(toRun);
}

/** Marks runs left "running" by a process that stopped as failed (call at start). */
export async function abandonRunningRuns(db: Database): Promise<void> {
  await db.transaction((ex) =>
    ex.run(
      `UPDATE detection_runs SET status = 'failed', finished_at = now()::TIMESTAMP,
       message = 'interrupted: the server stopped during the run' WHERE status = 'running'`,
    ),
  );
}

function storedTests(a: AlertDraft): StoredTest[] {
  return a.tests.map((t) => ({
    detector: t.detector,
    indicatorId: t.indicatorId,
    period: t.period,
    observed: t.observed,
    expected: t.expected,
    effect: t.effect,
    p: t.p as number,
    q: t.q as number,
    severity: t.severity,
    details: t.details,
  }));
}

/**
 * Stores a run's outcome for its scopes (`<division>:<level>`, profiles `p:<division>:<level>`) in one transaction: alerts found again
 * are updated (a closed one reopens), new ones are opened, alerts of the scopes not found again become
 * inactive ("resolved by the data") with their status kept; the scopes' area signals are replaced.
 */
export async function saveRunResults(
  db: Database,
  runId: number,
  result: {
    scopes: readonly string[];
    alerts: readonly AlertDraft[];
    summaries: readonly AreaSummary[];
    series: number;
    tests: number;
    pCutoffs?: { red: number; yellow: number };
  },
): Promise<void> {
  await db.transaction(async (ex) => {
    await ex.run(`CREATE TEMP TABLE IF NOT EXISTS alert_staging (
      key VARCHAR, area_code VARCHAR, gemeente_code VARCHAR, level VARCHAR, division SMALLINT, domain VARCHAR,
      indicator_id VARCHAR, detector VARCHAR, detectors VARCHAR, period VARCHAR, effect DOUBLE, p DOUBLE,
      q DOUBLE, severity VARCHAR, score DOUBLE, rank INTEGER, tests VARCHAR)`);
    await ex.run("DELETE FROM alert_staging");
    await ex.append("alert_staging", (ap) => {
      result.alerts.forEach((a, i) => {
        ap.appendVarchar(a.key);
        ap.appendVarchar(a.area);
        if (a.gemeente === null) ap.appendNull();
        else ap.appendVarchar(a.gemeente);
        ap.appendVarchar(a.level);
        ap.appendSmallInt(a.division);
        ap.appendVarchar(a.domain);
        ap.appendVarchar(a.indicatorId);
        ap.appendVarchar(a.detector);
        ap.appendVarchar(a.detectors.join(","));
        ap.appendVarchar(a.period);
        ap.appendDouble(a.effect);
        ap.appendDouble(a.p);
        ap.appendDouble(a.q);
        ap.appendVarchar(a.severity);
        ap.appendDouble(a.score);
        ap.appendInteger(i + 1);
        ap.appendVarchar(JSON.stringify(storedTests(a)));
        ap.endRow();
      });
    });
    const scopeList = result.scopes.map(() => "?").join(", ") || "NULL";
    const scopeParams: SqlParam[] = [...result.scopes];
    // Scopes: `<division>:<level>` for indicator alerts, `p:<division>:<level>` for profile alerts.
    // `p:*`: every profile alert (a run that tested the profiles, whatever series they gave).
    const inScope = `(((CASE WHEN key LIKE 'p:%' THEN 'p:' ELSE '' END) || division::VARCHAR || ':' || level) IN (${scopeList})
      OR (key LIKE 'p:%' AND ${result.scopes.includes("p:*") ? "true" : "false"}))`;
    const signalScopes = result.scopes.filter((x) => !x.startsWith("p:"));
    // (area signals are over the indicators only)
    const signalScopeList = signalScopes.map(() => "?").join(", ") || "NULL";
    // Events first, while the old statuses are still there.
    await ex.run(
      `INSERT INTO alert_events
       SELECT a.id, now()::TIMESTAMP, 'detection', CASE WHEN a.status = 'closed' THEN 'reopened' ELSE 'updated' END,
              CASE WHEN a.status = 'closed' THEN 'new' ELSE a.status END, NULL, ?
       FROM alerts a JOIN alert_staging s USING (key)
       WHERE a.status = 'closed' OR NOT a.active OR a.severity <> s.severity`,
      [runId],
    );
    await ex.run(
      `UPDATE alerts SET area_code = s.area_code, gemeente_code = s.gemeente_code, domain = s.domain,
         indicator_id = s.indicator_id, detector = s.detector, detectors = string_split(s.detectors, ','),
         period = s.period, effect = s.effect, p = s.p, q = s.q, severity = s.severity, score = s.score,
         rank = s.rank, tests = s.tests, active = true, last_run = ?, updated_at = now()::TIMESTAMP,
         status = CASE WHEN alerts.status = 'closed' THEN 'new' ELSE alerts.status END,
         status_reason = CASE WHEN alerts.status = 'closed' THEN NULL ELSE alerts.status_reason END
       FROM alert_staging s WHERE alerts.key = s.key`,
      [runId],
    );
    await ex.run(
      `INSERT INTO alerts (key, area_code, gemeente_code, level, division, domain, indicator_id, detector, detectors,
         period, effect, p, q, severity, score, rank, tests, active, status, first_run, last_run, created_at, updated_at)
       SELECT s.key, s.area_code, s.gemeente_code, s.level, s.division, s.domain, s.indicator_id, s.detector,
         string_split(s.detectors, ','), s.period, s.effect, s.p, s.q, s.severity, s.score, s.rank, s.tests, true,
         'new', ?, ?, now()::TIMESTAMP, now()::TIMESTAMP
       FROM alert_staging s WHERE NOT EXISTS (SELECT 1 FROM alerts a WHERE a.key = s.key)`,
      [runId, runId],
    );
    await ex.run(
      `INSERT INTO alert_events
       SELECT a.id, now()::TIMESTAMP, 'detection', 'opened', 'new', NULL, ? FROM alerts a WHERE a.first_run = ?`,
      [runId, runId],
    );
    await ex.run(
      `INSERT INTO alert_events
       SELECT id, now()::TIMESTAMP, 'detection', 'resolved-by-data', status, NULL, ? FROM alerts
       WHERE active AND ${inScope} AND key NOT IN (SELECT key FROM alert_staging)`,
      [runId, ...scopeParams],
    );
    await ex.run(
      `UPDATE alerts SET active = false, updated_at = now()::TIMESTAMP
       WHERE active AND ${inScope} AND key NOT IN (SELECT key FROM alert_staging)`,
      scopeParams,
    );
    if (signalScopes.length > 0) {
      await ex.run(
        `DELETE FROM area_signals WHERE (division::VARCHAR || ':' || level) IN (${signalScopeList})`,
        signalScopes,
      );
      await appendSummaries(
        ex,
        runId,
        result.summaries.filter((x) => signalScopes.includes(`${x.division}:${x.level}`)),
      );
    }
    await ex.run("DELETE FROM alert_staging");
    await ex.run(
      `UPDATE detection_runs SET status = 'finished', finished_at = now()::TIMESTAMP, series = ?, tests = ?,
       alerts = ?, p_cut_red = ?, p_cut_yellow = ? WHERE id = ?`,
      [
        result.series,
        result.tests,
        result.alerts.length,
        nullIfNaN(result.pCutoffs?.red),
        nullIfNaN(result.pCutoffs?.yellow),
        runId,
      ],
    );
  });
}

async function appendSummaries(
  ex: Executor,
  runId: number,
  summaries: readonly AreaSummary[],
): Promise<void> {
  await ex.append("area_signals", (ap) => {
    for (const s of summaries) {
      ap.appendInteger(runId);
      ap.appendVarchar(s.area);
      if (s.gemeente === null) ap.appendNull();
      else ap.appendVarchar(s.gemeente);
      ap.appendVarchar(s.level);
      ap.appendSmallInt(s.division);
      ap.appendVarchar(s.severity);
      ap.appendVarchar(s.domainsFlagged.join(","));
      for (const v of [s.statusIndex, s.dynamicsIndex]) {
        if (v === null) ap.appendNull();
        else ap.appendDouble(v);
      }
      for (const v of [s.statusClass, s.dynamicsClass]) {
        if (v === null) ap.appendNull();
        else ap.appendTinyInt(v);
      }
      if (s.composite === null) ap.appendNull();
      else ap.appendDouble(s.composite);
      ap.appendInteger(s.tests);
      ap.endRow();
    }
  });
}

export interface AlertFilter {
  readonly severity?: readonly ("red" | "yellow")[];
  readonly status?: readonly AlertStatus[];
  readonly domain?: string;
  readonly level?: AreaLevel;
  readonly division?: number;
  /** A gemeente or wijk code: alerts of that area and the areas under it. */
  readonly parent?: string;
  readonly area?: string;
  readonly indicator?: string;
  /** Default true: only alerts the latest run found; false: only the others; "all": both. */
  readonly active?: boolean | "all";
  readonly limit?: number;
  readonly offset?: number;
}

function filterSql(f: AlertFilter): { where: string; params: SqlParam[] } {
  const parts: string[] = [];
  const params: SqlParam[] = [];
  const active = f.active ?? true;
  if (active !== "all") parts.push(active ? "active" : "NOT active");
  if (f.severity?.length) {
    parts.push(`severity IN (${f.severity.map(() => "?").join(", ")})`);
    params.push(...f.severity);
  }
  if (f.status?.length) {
    parts.push(`status IN (${f.status.map(() => "?").join(", ")})`);
    params.push(...f.status);
  }
  if (f.domain) {
    parts.push("domain = ?");
    params.push(f.domain);
  }
  if (f.level) {
    parts.push("level = ?");
    params.push(f.level);
  }
  if (f.division !== undefined) {
    parts.push("division = ?");
    params.push(f.division);
  }
  if (f.area) {
    parts.push("area_code = ?");
    params.push(f.area);
  }
  if (f.parent) {
    // A gemeente: its own alerts and those of areas in it; a wijk: buurten with the wijk's digits.
    parts.push(
      `(area_code = ? OR gemeente_code = ? OR (? LIKE 'WK%' AND area_code LIKE 'BU' || substr(?, 3) || '%'))`,
    );
    params.push(f.parent, f.parent, f.parent, f.parent);
  }
  if (f.indicator) {
    parts.push("(indicator_id = ? OR tests LIKE ?)");
    params.push(f.indicator, `%"indicatorId":"${f.indicator.replace(/["%_\\]/g, "")}"%`);
  }
  return { where: parts.length ? `WHERE ${parts.join(" AND ")}` : "", params };
}

/** Alerts matching the filter, ranked (severity, then score), with the total count. */
export async function listAlerts(
  db: Database,
  f: AlertFilter,
): Promise<{ total: number; alerts: AlertRow[] }> {
  const { where, params } = filterSql(f);
  return db.read(async (ex) => {
    const count = await ex.all<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM alerts ${where}`, params);
    const rows = await ex.all(
      `SELECT ${ALERT_COLUMNS} FROM alerts ${where}
       ORDER BY active DESC, CASE severity WHEN 'red' THEN 0 ELSE 1 END, score DESC, key LIMIT ? OFFSET ?`,
      [...params, f.limit ?? 50, f.offset ?? 0],
    );
    return { total: Number(count[0]?.n ?? 0), alerts: rows.map(toAlert) };
  });
}

export async function getAlert(
  db: Database,
  id: number,
): Promise<{ alert: AlertRow; events: AlertEvent[] } | undefined> {
  return db.read(async (ex) => {
    const rows = await ex.all(`SELECT ${ALERT_COLUMNS} FROM alerts WHERE id = ?`, [id]);
    if (!rows[0]) return undefined;
    const events = await ex.all<Record<string, unknown>>(
      `SELECT strftime(occurred_at, '%Y-%m-%dT%H:%M:%S.%gZ') AS at, actor, event, status, reason, run_id
       FROM alert_events WHERE alert_id = ? ORDER BY occurred_at, rowid`,
      [id],
    );
    return {
      alert: toAlert(rows[0]),
      events: events.map((e) => ({
        at: String(e.at),
        actor: String(e.actor),
        event: e.event as AlertEvent["event"],
        status: e.status as AlertStatus,
        reason: (e.reason as string | null) ?? null,
        runId: e.run_id === null ? null : Number(e.run_id),
      })),
    };
  });
}

/** Sets an alert's status (closing needs a reason) and records the event; undefined when unknown. */
export async function updateAlertStatus(
  db: Database,
  id: number,
  change: { status: AlertStatus; reason: string | null; actor: string },
): Promise<boolean> {
  return db.transaction(async (ex) => {
    const exists = await ex.all("SELECT id FROM alerts WHERE id = ?", [id]);
    if (exists.length === 0) return false;
    await ex.run(
      `UPDATE alerts SET status = ?, status_reason = ?, status_by = ?, status_at = now()::TIMESTAMP,
       updated_at = now()::TIMESTAMP WHERE id = ?`,
      [change.status, change.reason, change.actor, id],
    );
    await ex.run("INSERT INTO alert_events VALUES (?, now()::TIMESTAMP, ?, 'status', ?, ?, NULL)", [
      id,
      change.actor,
      change.status,
      change.reason,
    ]);
    return true;
  });
}

export interface AreaSignalRow {
  readonly areaCode: string;
  readonly gemeenteCode: string | null;
  readonly level: AreaLevel;
  readonly division: number;
  readonly severity: Severity;
  readonly domainsFlagged: readonly string[];
  readonly statusIndex: number | null;
  readonly dynamicsIndex: number | null;
  readonly statusClass: number | null;
  readonly dynamicsClass: number | null;
  readonly composite: number | null;
  readonly tests: number;
  readonly runId: number;
}

/** The latest run's per-area signals at a level (and division), optionally under a gemeente. */
export async function areaSignals(
  db: Database,
  q: { level: AreaLevel; division?: number; parent?: string },
): Promise<AreaSignalRow[]> {
  const parts = ["level = ?"];
  const params: SqlParam[] = [q.level];
  if (q.division !== undefined) {
    parts.push("division = ?");
    params.push(q.division);
  }
  if (q.parent) {
    parts.push("(gemeente_code = ? OR area_code = ?)");
    params.push(q.parent, q.parent);
  }
  const rows = await db.read((ex) =>
    ex.all<Record<string, unknown>>(
      `SELECT * FROM area_signals WHERE ${parts.join(" AND ")} ORDER BY division DESC, area_code`,
      params,
    ),
  );
  return rows.map((r) => ({
    areaCode: String(r.area_code),
    gemeenteCode: (r.gemeente_code as string | null) ?? null,
    level: r.level as AreaLevel,
    division: Number(r.division),
    severity: r.severity as Severity,
    domainsFlagged: String(r.domains_flagged)
      .split(",")
      .filter((d) => d.length > 0),
    statusIndex: (r.status_index as number | null) ?? null,
    dynamicsIndex: (r.dynamics_index as number | null) ?? null,
    statusClass: r.status_class === null ? null : Number(r.status_class),
    dynamicsClass: r.dynamics_class === null ? null : Number(r.dynamics_class),
    composite: (r.composite as number | null) ?? null,
    tests: Number(r.tests),
    runId: Number(r.run_id),
  }));
}

/** Whether any detection run has finished (a first start runs one when none has). */
export async function hasFinishedRun(db: Database): Promise<boolean> {
  const rows = await db.read((ex) =>
    ex.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM detection_runs WHERE status = 'finished'"),
  );
  return Number(rows[0]?.n ?? 0) > 0;
}
