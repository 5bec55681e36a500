/**
 * API under load: the real CLI server on the demo database, autocannon with 50 connections.
 *
 * (a) GET /api/indicators/eenzaam_18plus/values?level=buurt&period=2020 — all 13,808 buurten of the 2020
 *     division. Target p50 ≤ 30 ms.
 * (b) GET /api/areas/BU00340101/profile — every indicator of one buurt. Target p50 ≤ 20 ms.
 * Each with `Accept-Encoding: gzip` (what browsers send) and without. Also: the cold first request of
 * each (uncached), a few more uncached requests once the process is warm, and sequential single
 * requests (no concurrency) for reference.
 *
 * Usage: node --import tsx bench/api-load.ts [--duration 10] [--connections 50]
 */
import autocannon from "autocannon";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type * as AreaRepo from "../packages/server/src/store/area-repository.js";
import type * as CatalogueRepo from "../packages/server/src/store/catalogue-repository.js";
import type * as DatabaseModule from "../packages/server/src/store/database.js";
import type * as ValueRepo from "../packages/server/src/store/value-repository.js";
import {
  argNumber,
  DEMO_DB,
  ensureOut,
  fmtBytes,
  fmtInt,
  fmtMs,
  httpGet,
  isMain,
  log,
  machine,
  median,
  memoryOf,
  otherLoad,
  processCpuSeconds,
  ROOT,
  report,
  startServer,
  stopServer,
  verdict,
  type BenchResult,
  type HttpResult,
  type ServerHandle,
} from "./lib.js";

const VALUES = "/api/indicators/eenzaam_18plus/values?level=buurt&period=2020";
const PROFILE = "/api/areas/BU00340101/profile";
const GZIP = { "accept-encoding": "gzip" };
/** More indicators with 2020 buurt values, for uncached requests on a warm process. */
const OTHER_INDICATORS = [
  "roker_18plus",
  "overgewicht_18plus",
  "drinker_18plus",
  "veel_stress_18plus",
  "mantelzorger_65plus",
];

interface LoadRun {
  readonly endpoint: string;
  readonly path: string;
  readonly gzip: boolean;
  readonly target: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly rps: number;
  readonly bytesPerSec: number;
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly timeouts: number;
  readonly bodyBytes: number;
  /** Cores busy with other work on average during the run (autocannon and server excluded). */
  readonly otherLoad: number;
  /** Server CPU seconds per second during the run. */
  readonly serverCores: number;
  /** Completed requests of the warm-up load (autocannon reports them separately). */
  readonly warmupRequests: number;
}

function check(r: HttpResult, what: string, gzip: boolean): HttpResult {
  if (r.status !== 200) throw new Error(`${what}: status ${r.status}`);
  if (gzip && r.headers["content-encoding"] !== "gzip")
    throw new Error(`${what}: asked for gzip, got identity`);
  return r;
}

async function load(
  server: ServerHandle,
  endpoint: string,
  path: string,
  gzip: boolean,
  target: number,
  connections: number,
  duration: number,
): Promise<LoadRun> {
  const { port } = server;
  const headers = gzip ? GZIP : {};
  const warm = check(await httpGet(port, path, headers), `warm-up ${path}`, gzip);
  log(
    `load ${endpoint} ${gzip ? "gzip" : "identity"}: ${connections} connections, ${duration} s (+2 s warm-up)`,
  );
  const cpu0 = processCpuSeconds(server.child.pid);
  const other = otherLoad();
  const r = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections,
    duration,
    headers,
    timeout: 30,
    warmup: { connections, duration: 2 },
  });
  const serverCpu = processCpuSeconds(server.child.pid) - cpu0;
  const otherCores = other(serverCpu);
  return {
    endpoint,
    path,
    gzip,
    otherLoad: otherCores,
    serverCores: serverCpu / (duration + 2),
    target,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    max: r.latency.max,
    rps: r.requests.average,
    bytesPerSec: r.throughput.average,
    requests: r.latency.totalCount,
    errors: r.errors,
    non2xx: r.non2xx,
    timeouts: r.timeouts,
    bodyBytes: warm.bytes,
    warmupRequests:
      (r as typeof r & { warmup?: { latency: { totalCount: number } } }).warmup?.latency.totalCount ?? 0,
  };
}

/** Rows in the audit log (database opened read-only while no server holds it). */
async function auditRows(db: string): Promise<number> {
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(db, { access_mode: "READ_ONLY" });
  const conn = await instance.connect();
  const reader = await conn.runAndReadAll("SELECT count(*)::INTEGER FROM audit_log");
  const n = Number(reader.getRows()[0]![0]);
  conn.closeSync();
  instance.closeSync();
  return n;
}

interface QueryTiming {
  readonly name: string;
  readonly sequentialMs: number;
  readonly concurrentPerSec: number;
}

/**
 * The store reads a request still makes when its response is already cached in the server: resolving
 * the slice (values) and looking up the area (profile), plus /api/health's count for reference. Timed
 * with the server's own repository functions (packages/server/dist) on the demo database, read-only,
 * one at a time and 200 in flight on the default pool of 2 readers.
 */
async function cachedPathQueries(db: string): Promise<QueryTiming[]> {
  const dist = join(ROOT, "packages", "server", "dist", "store");
  const load = async <T>(file: string): Promise<T> =>
    (await import(pathToFileURL(join(dist, file)).href)) as T;
  const { Database } = await load<typeof DatabaseModule>("database.js");
  const { indicatorSlices } = await load<typeof ValueRepo>("value-repository.js");
  const { getArea } = await load<typeof AreaRepo>("area-repository.js");
  const { deliveryCount } = await load<typeof CatalogueRepo>("catalogue-repository.js");
  const database = await Database.open({ path: db, readOnly: true });
  try {
    const queries: [string, () => Promise<unknown>][] = [
      [
        "indicatorSlices(eenzaam_18plus): every values request",
        () => indicatorSlices(database, "eenzaam_18plus"),
      ],
      ["getArea(BU00340101): every profile request", () => getArea(database, "BU00340101")],
      ["deliveryCount: every /api/health request", () => deliveryCount(database)],
    ];
    const out: QueryTiming[] = [];
    for (const [name, q] of queries) {
      for (let i = 0; i < 5; i++) await q();
      const times: number[] = [];
      for (let i = 0; i < 30; i++) {
        const t = performance.now();
        await q();
        times.push(performance.now() - t);
      }
      const t = performance.now();
      await Promise.all(Array.from({ length: 200 }, () => q()));
      out.push({ name, sequentialMs: median(times), concurrentPerSec: 200_000 / (performance.now() - t) });
    }
    return out;
  } finally {
    database.close();
  }
}

async function sequential(port: number, path: string, gzip: boolean, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) times.push(check(await httpGet(port, path, gzip ? GZIP : {}), path, gzip).ms);
  return times;
}

export async function run(): Promise<BenchResult> {
  ensureOut();
  const began = performance.now();
  const duration = argNumber("duration", 10);
  const connections = argNumber("connections", 50);

  if (!existsSync(DEMO_DB)) {
    log(`no ${DEMO_DB}: creating it (first start, imports the demo data)`);
    await stopServer(await startServer({ db: DEMO_DB, timeoutMs: 180_000 }));
  }
  const auditBefore = await auditRows(DEMO_DB);
  log("store reads on the cached path");
  const queries = await cachedPathQueries(DEMO_DB);
  let requestsMade = 0; // requests to audited routes (values, profile) that completed
  const server = await startServer({ db: DEMO_DB, timeoutMs: 60_000 });
  const { port } = server;
  try {
    log(`server ready on port ${port} after ${fmtMs(server.readyMs)}`);
    // Cold: the first request of each kind in a fresh process (nothing cached, catalogue not loaded).
    const coldValues = check(await httpGet(port, VALUES), "cold values", false);
    const coldProfile = check(await httpGet(port, PROFILE), "cold profile", false);
    // Uncached on a warm process: other indicators and other buurten, once each.
    const areas = JSON.parse(
      await fetch(`http://127.0.0.1:${port}/api/areas?level=buurt&division=2020&limit=2000`).then((r) =>
        r.text(),
      ),
    ) as { areas: { code: string }[] };
    const otherAreas = areas.areas.filter((_, i) => i % 400 === 199).map((a) => a.code);
    const uncachedValues: number[] = [];
    for (const id of OTHER_INDICATORS)
      uncachedValues.push(
        check(await httpGet(port, `/api/indicators/${id}/values?level=buurt&period=2020`), id, false).ms,
      );
    const uncachedProfiles: number[] = [];
    for (const code of otherAreas)
      uncachedProfiles.push(check(await httpGet(port, `/api/areas/${code}/profile`), code, false).ms);

    // Cached, one request at a time.
    const seq = {
      values: await sequential(port, VALUES, false, 20),
      valuesGzip: await sequential(port, VALUES, true, 20),
      profile: await sequential(port, PROFILE, false, 20),
      profileGzip: await sequential(port, PROFILE, true, 20),
      health: await sequential(port, "/api/health", false, 20),
    };

    const runs: LoadRun[] = [];
    for (const [endpoint, path, target] of [
      ["values, 13,808 buurten", VALUES, 30],
      ["profile, 1 buurt", PROFILE, 20],
    ] as const) {
      for (const gzip of [true, false])
        runs.push(await load(server, endpoint, path, gzip, target, connections, duration));
    }
    // Reference: the cheapest route that still asks the database (one count query), same load.
    const health = await load(server, "health (reference)", "/api/health", false, NaN, connections, duration);
    const mem = memoryOf(server.child.pid);
    const stop = await stopServer(server);
    if (stop.code !== 0) log(`server exited with code ${stop.code}:\n${server.stderr()}`);
    requestsMade +=
      2 +
      OTHER_INDICATORS.length +
      otherAreas.length +
      4 * 20 +
      runs.reduce((n, r) => n + r.requests + r.warmupRequests + 1, 0);
    const audited = (await auditRows(DEMO_DB)) - auditBefore;

    const loadRow = (r: LoadRun) => [
      r.endpoint,
      r.gzip ? "gzip" : "identity",
      fmtBytes(r.bodyBytes),
      `${r.p50} ms`,
      `${r.p99} ms`,
      `${r.max} ms`,
      fmtInt(r.rps),
      `${fmtBytes(r.bytesPerSec)}/s`,
      fmtInt(r.requests),
      r.errors + r.non2xx + r.timeouts,
      r.serverCores.toFixed(2),
      r.otherLoad.toFixed(2),
      Number.isNaN(r.target) ? "–" : `≤ ${r.target} ms`,
      Number.isNaN(r.target) ? "–" : verdict(r.p50, r.target),
    ];
    const med = (xs: number[]) => fmtMs(median(xs));
    return {
      name: "api-load",
      title: `API under load (bench/api-load.ts): ${connections} connections, ${duration} s per run`,
      command: `node --import tsx bench/api-load.ts --duration ${duration} --connections ${connections}`,
      machine: machine(),
      durationMs: performance.now() - began,
      tables: [
        {
          title: `autocannon, ${connections} connections, ${duration} s after a warm-up request and 2 s warm-up load`,
          columns: [
            "endpoint",
            "encoding",
            "body",
            "p50",
            "p99",
            "max",
            "req/s",
            "bytes/s",
            "requests",
            "errors",
            "server cores",
            "other load",
            "target p50",
            "verdict",
          ],
          rows: [...runs.map(loadRow), loadRow(health)],
        },
        {
          title: "Single requests, no concurrency (new connection each)",
          columns: ["request", "n", "median", "body"],
          rows: [
            [
              "values, cold: first request after start (no gzip)",
              1,
              fmtMs(coldValues.ms),
              fmtBytes(coldValues.bytes),
            ],
            [
              "profile, cold: first profile after start (no gzip)",
              1,
              fmtMs(coldProfile.ms),
              fmtBytes(coldProfile.bytes),
            ],
            [
              "values, uncached (other indicators, warm process)",
              uncachedValues.length,
              med(uncachedValues),
              "–",
            ],
            [
              "profile, uncached (other buurten, warm process)",
              uncachedProfiles.length,
              med(uncachedProfiles),
              "–",
            ],
            ["values, cached, identity", seq.values.length, med(seq.values), "–"],
            ["values, cached, gzip", seq.valuesGzip.length, med(seq.valuesGzip), "–"],
            ["profile, cached, identity", seq.profile.length, med(seq.profile), "–"],
            ["profile, cached, gzip", seq.profileGzip.length, med(seq.profileGzip), "–"],
            ["health", seq.health.length, med(seq.health), "–"],
          ],
        },
        {
          title:
            "Store reads every request makes even when its response is cached (server's repository functions, no HTTP)",
          columns: ["query", "one at a time (median of 30)", "200 in flight, 2 readers"],
          rows: queries.map((q) => [q.name, fmtMs(q.sequentialMs), `${fmtInt(q.concurrentPerSec)} /s`]),
        },
      ],
      notes: [
        `Server peak RSS ${fmtBytes(mem.peak)} (RSS at the end ${fmtBytes(mem.rss)}); SIGTERM → exit ${fmtMs(stop.ms)}.`,
        "autocannon runs in the benchmark process on the same 2 cores as the server, so the load generator takes CPU from the server; latencies are autocannon's (1 ms resolution). Server cores: server CPU seconds per second of load (warm-up included); other load: cores busy with anything but the server and this benchmark.",
        `Uncached profiles: ${otherAreas.join(", ")}.`,
        `Audit: ${fmtInt(audited)} audit records written for ${fmtInt(requestsMade)} completed requests to audited routes (values, profile; autocannon does not count requests still in flight when a run ends, so up to ${connections} more records per autocannon run, warm-ups included, are expected).`,
      ],
      raw: {
        audited,
        requestsMade,
        runs,
        health,
        coldValues,
        coldProfile,
        uncachedValues,
        uncachedProfiles,
        seq,
        otherAreas,
      },
    };
  } finally {
    if (server.child.exitCode === null && server.child.signalCode === null) await stopServer(server);
  }
}

if (isMain(import.meta.url)) report(await run());
