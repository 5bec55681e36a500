/**
 * Where a CLI command gets its data: the database file directly, or — when a wijkradar server holds
 * the file (DuckDB allows one writer) — that server's HTTP API. Both paths release figures through
 * the same release function and audit them; commands do not care which one they use.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { cliUser } from "./shared.js";
import { DEFAULT_DETECTION_SETTINGS, OPEN_DATA_POLICY, type DetectionSettings } from "@wijkradar/core";
import type { summaryOf } from "../services/alert-service.js";
import { AlertService, type AlertListQuery } from "../services/alert-service.js";
import { DetectionService } from "../services/detection-service.js";
import type { Config, DisclosureSettings } from "../config.js";
import { AccessDeniedError, InputError, NotFoundError, StoreError } from "../errors.js";
import { importFile, type ImportPhase, type ImportReport } from "../ingest/import-service.js";
import { Releaser } from "../release/release-service.js";
import { readServerFile, type ServerInfo } from "../server-file.js";
import type { describeIndicator } from "../services/cube-service.js";
import { CubeService, type ValuesRequest, type ValuesResponse } from "../services/cube-service.js";
import { findAreas, type AreaQuery, type AreaRow } from "../store/area-repository.js";
import { AuditLog } from "../store/audit-repository.js";
import { Database } from "../store/database.js";
import {
  describeProfile,
  ProfileService,
  type ProfileValuesRequest,
  type ProfileValuesResponse,
} from "../services/profile-service.js";

export type IndicatorInfo = ReturnType<typeof describeIndicator>;
export type ProfileInfo = ReturnType<typeof describeProfile>;
export type ProfileCountsRequest = Omit<ProfileValuesRequest, "date"> & { readonly date?: string };

export interface Backend {
  /** Says where the data comes from, for a line on stderr (undefined: the database file). */
  readonly via: string | undefined;
  areas(query: AreaQuery): Promise<AreaRow[]>;
  indicators(): Promise<IndicatorInfo[]>;
  values(req: ValuesRequest): Promise<ValuesResponse>;
  import(
    file: string,
    mappingFile: string,
    dryRun: boolean,
    onProgress?: (phase: ImportPhase, fraction: number) => void,
  ): Promise<ImportReport>;
  profiles(): Promise<ProfileInfo[]>;
  profile(id: string): Promise<ProfileInfo>;
  /** Creates or replaces a profile (validated; 422-like InputError naming the fields). */
  saveProfile(definition: unknown): Promise<{ status: "created" | "replaced"; profile: ProfileInfo }>;
  /** A profile's released figures (audited; the date defaults to today, UTC). */
  profileValues(req: ProfileCountsRequest): Promise<ProfileValuesResponse>;
  /** Runs the early-warning detection (write access) and reports progress. */
  detect(req: DetectRequest, onProgress?: (p: RunProgressInfo) => void): Promise<DetectOutcome>;
  /** Released alerts (audited), ranked. */
  alerts(query: AlertListQuery): Promise<AlertListResponse>;
  close(): Promise<void>;
}

export interface DetectRequest {
  readonly indicators?: readonly string[];
  readonly divisions?: readonly number[];
  /** Test the profiles too (default: when no indicators are named). */
  readonly profiles?: boolean;
}
export interface RunProgressInfo {
  readonly runId: number;
  readonly phase: string;
  readonly done: number;
  readonly total: number;
  readonly current: string | null;
}
export interface DetectOutcome {
  readonly runId: number;
  readonly status: string;
  readonly series: number | null;
  readonly tests: number | null;
  readonly alerts: number | null;
  readonly message: string | null;
}
export type AlertListResponse = {
  total: number;
  limit: number;
  offset: number;
  alerts: ReturnType<typeof summaryOf>[];
};

/** The CLI acts for the local user with the visitor's rights until accounts exist. */
const cliContext = () => ({
  actor: { id: `cli:${cliUser()}`, roles: ["public"], purpose: "open-data" },
  origin: "cli",
});

class LocalBackend implements Backend {
  readonly via = undefined;
  private readonly parts:
    | {
        db: Database;
        audit: AuditLog;
        cube: CubeService;
        profiles: ProfileService;
        detection: DetectionService;
        alerts: AlertService;
      }
    | undefined;
  constructor(
    private readonly db: Database | undefined,
    disclosure: DisclosureSettings = {},
    detectionSettings: DetectionSettings = DEFAULT_DETECTION_SETTINGS,
  ) {
    if (db) {
      const audit = new AuditLog(db);
      const releaser = new Releaser(OPEN_DATA_POLICY, audit);
      const cube = new CubeService(db, releaser);
      const profiles = new ProfileService(db, releaser, undefined, disclosure);
      // `wijkradar export profile:<id>` reads the same protected tables as the API.
      cube.usePseudoIndicators({
        prefix: "profile:",
        list: () => profiles.pseudoIndicators(),
        valuesView: (ctx, req, action) => profiles.indicatorValuesView(ctx, req, action),
        subjectOf: (id) => profiles.subjectOf(id),
      });
      cube.onInvalidate(() => profiles.invalidate());
      const detection = new DetectionService(db, detectionSettings, profiles);
      const alerts = new AlertService(db, releaser, cube, detection, profiles);
      this.parts = { db, audit, cube, profiles, detection, alerts };
    }
  }
  private need() {
    if (!this.parts)
      throw new StoreError("the database does not exist yet: run `wijkradar serve` or an import first");
    return this.parts;
  }
  areas(query: AreaQuery) {
    return findAreas(this.need().db, query);
  }
  async indicators() {
    return this.need().cube.catalogueList();
  }
  async profiles() {
    return (await this.need().profiles.list()).map(describeProfile);
  }
  async profile(id: string) {
    return describeProfile(await this.need().profiles.get(id));
  }
  async saveProfile(definition: unknown) {
    const { profiles, audit } = this.need();
    const r = await profiles.save(definition, cliContext().actor.id);
    audit.record({
      at: new Date(),
      actor: cliContext().actor.id,
      roles: ["operator"],
      purpose: "profile-definition",
      action: `profile-${r.status === "created" ? "create" : "replace"}`,
      object: `profile:${r.definition.id}`,
      released: 0,
      suppressed: 0,
      denied: 0,
      origin: "cli",
    });
    return { status: r.status, profile: describeProfile(await profiles.get(r.definition.id)) };
  }
  async profileValues(req: ProfileCountsRequest) {
    const { profiles } = this.need();
    const view = await profiles.valuesView(
      cliContext(),
      { ...req, date: req.date ?? profiles.todayUtc() },
      "profile-export",
    );
    return JSON.parse(view.body.toString("utf8")) as ProfileValuesResponse;
  }
  async values(req: ValuesRequest) {
    const view = await this.need().cube.valuesView(cliContext(), req, "export");
    return JSON.parse(view.body.toString("utf8")) as ValuesResponse;
  }
  async detect(req: DetectRequest, onProgress?: (p: RunProgressInfo) => void) {
    const { detection, audit, db } = this.need();
    if (db.readOnly) throw new StoreError("a detection run needs the database open for writing");
    await detection.recover();
    const off = onProgress ? detection.onProgress(onProgress) : () => undefined;
    try {
      const o = await detection.run({
        trigger: "cli",
        actor: cliContext().actor.id,
        ...(req.indicators ? { indicators: req.indicators } : {}),
        ...(req.divisions ? { divisions: req.divisions } : {}),
        ...(req.profiles === undefined ? {} : { profiles: req.profiles }),
      });
      audit.record({
        at: new Date(),
        actor: cliContext().actor.id,
        roles: ["operator"],
        purpose: "early-warning",
        action: "detection-run",
        object: `run:${o.runId}`,
        released: 0,
        suppressed: 0,
        denied: 0,
        origin: "cli",
      });
      await db.checkpoint();
      return {
        runId: o.runId,
        status: "finished",
        series: o.series,
        tests: o.tests,
        alerts: o.alerts,
        message: `${o.red} red, ${o.yellow} yellow; ${o.seconds.toFixed(1)} s`,
      };
    } finally {
      off();
    }
  }
  async alerts(query: AlertListQuery) {
    const view = await this.need().alerts.listView(cliContext(), query);
    return JSON.parse(view.body.toString("utf8")) as AlertListResponse;
  }
  async import(
    file: string,
    mappingFile: string,
    dryRun: boolean,
    onProgress?: (p: ImportPhase, f: number) => void,
  ) {
    const report = await importFile(this.db, { file, mappingFile, dryRun, onProgress });
    if (report.status === "imported") await this.db?.checkpoint();
    return report;
  }
  async close() {
    if (!this.parts) return;
    if (!this.parts.db.readOnly) await this.parts.audit.flush();
    this.parts.db.close();
  }
}

interface ProblemBody {
  detail?: string;
  errors?: string[];
}

class ServerBackend implements Backend {
  readonly via: string;
  constructor(private readonly server: ServerInfo) {
    this.via = `the wijkradar server (PID ${server.pid}) at ${server.url} holds the database; asking it`;
  }
  private async call<T>(path: string, init?: RequestInit): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.server.url}${path}`, init);
    } catch (e) {
      throw new StoreError(
        `the wijkradar server at ${this.server.url} does not answer: ${(e as Error).message}`,
      );
    }
    const body = (await res.json()) as T & ProblemBody;
    if (res.ok) return body;
    const detail = body.detail ?? `${res.status} ${res.statusText}`;
    if (res.status === 404) throw new NotFoundError(detail);
    if (res.status === 403) throw new AccessDeniedError(detail);
    if (res.status === 400 || res.status === 422) throw new InputError(detail, body.errors ?? []);
    throw new StoreError(`the wijkradar server answered ${res.status}: ${detail}`);
  }
  private static query(params: Record<string, string | number | undefined>): string {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
    const s = q.toString();
    return s ? `?${s}` : "";
  }
  async areas(query: AreaQuery) {
    const body = await this.call<{ areas: AreaRow[] }>(
      `/api/areas${ServerBackend.query({ level: query.level, parent: query.parent, q: query.q, division: query.division, limit: query.limit })}`,
    );
    return body.areas;
  }
  async indicators() {
    return (await this.call<{ indicators: IndicatorInfo[] }>("/api/indicators")).indicators;
  }
  values(req: ValuesRequest) {
    const { indicatorId, ...rest } = req;
    return this.call<ValuesResponse>(
      `/api/indicators/${encodeURIComponent(indicatorId)}/values${ServerBackend.query({ ...rest })}`,
    );
  }
  async profiles() {
    return (await this.call<{ profiles: ProfileInfo[] }>("/api/profiles")).profiles;
  }
  profile(id: string) {
    return this.call<ProfileInfo>(`/api/profiles/${encodeURIComponent(id)}`);
  }
  saveProfile(definition: unknown) {
    return this.call<{ status: "created" | "replaced"; profile: ProfileInfo }>("/api/profiles", {
      method: "POST",
      body: JSON.stringify(definition),
      headers: { authorization: `Bearer ${this.server.token}`, "content-type": "application/json" },
    });
  }
  profileValues(req: ProfileCountsRequest) {
    const { id, ...rest } = req;
    return this.call<ProfileValuesResponse>(
      `/api/profiles/${encodeURIComponent(id)}/values${ServerBackend.query({ ...rest })}`,
    );
  }
  import(file: string, mappingFile: string, dryRun: boolean) {
    const read = (path: string, what: string): Buffer => {
      try {
        return readFileSync(path);
      } catch (e) {
        throw new InputError(
          `${path}: cannot read the ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
    };
    const form = new FormData();
    form.append("file", new Blob([read(file, "file")]), basename(file));
    form.append("mapping", new Blob([read(mappingFile, "mapping file")]), basename(mappingFile));
    return this.call<ImportReport>(`/api/imports${dryRun ? "?dryRun=true" : ""}`, {
      method: "POST",
      body: form,
      headers: { authorization: `Bearer ${this.server.token}` },
    });
  }
  async detect(req: DetectRequest, onProgress?: (p: RunProgressInfo) => void) {
    const { runId } = await this.call<{ runId: number }>("/api/detection/runs", {
      method: "POST",
      body: JSON.stringify(req),
      headers: { authorization: `Bearer ${this.server.token}`, "content-type": "application/json" },
    });
    for (;;) {
      const run = await this.call<DetectOutcome & { progress: RunProgressInfo | null }>(
        `/api/detection/runs/${runId}`,
      );
      if (run.progress && onProgress) onProgress(run.progress);
      if (run.status !== "running") return run;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  alerts(query: AlertListQuery) {
    const q: Record<string, string | number | undefined> = {
      ...query,
      severity: query.severity?.join(","),
      status: query.status?.join(","),
    };
    return this.call<AlertListResponse>(`/api/alerts${ServerBackend.query(q)}`);
  }
  close() {
    return Promise.resolve();
  }
}

/**
 * Opens the backend for a command: the running server if one holds the database, else the file —
 * read-only for reads, read-write for what writes (imports, and audited exports).
 * A read on a database that does not exist yet gets a backend without one (dry runs still work).
 */
export async function openBackend(config: Config, mode: "read" | "write"): Promise<Backend> {
  const server = readServerFile(config.db);
  if (server) return new ServerBackend(server);
  if (mode === "read" && !existsSync(config.db)) return new LocalBackend(undefined);
  return new LocalBackend(
    await Database.open({ path: config.db, readOnly: mode === "read" }),
    config.disclosure,
    config.detection,
  );
}
