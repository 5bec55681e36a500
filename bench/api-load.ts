/**
 * API under load: the real CLI server on the demo database, 50 connections, measured with two load
 * clients one after the other: autocannon (JavaScript, in this process, one thread) and wrk (C, its own
 * process, `wrk -t1 -c50 -d<duration>s --latency`; skipped with a note when it is not installed).
 * Both share the machine's cores with the server; their CPU use is reported next to the server's.
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
  findExecutable,
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
  runWrk,
  selfCpuSeconds,
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
/** The same header as wrk is told it on the command line (`-H 'Accept-Encoding: gzip'`). */
const WRK_GZIP = { "Accept-Encoding": "gzip" };
/** More indicators with 2020 buurt values, for uncached requests on a warm process. */
const OTHER_INDICATORS = [
  "roker_18plus",
  "overgewicht_18plus",
  "drinker_18plus",
  "veel_stress_18plus",
  "mantelzorger_65plus",
];

type Client = "autocannon" | "wrk";

interface LoadRun {
  readonly endpoint: string;
  readonly path: string;
  readonly gzip: boolean;
  readonly client: Client;
  readonly target: number;
  readonly p50: number;
  readonly p75: number;
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
  /** Bytes the client read per completed request (body + headers; wrk only, from its total). */
  readonly bytesPerRequest: number;
  /** Cores busy with other work on average during the run (load client and server excluded). */
  readonly otherLoad: number;
  /** Server CPU seconds per second of wall time during the run (warm-up included). */
  readonly serverCores: number;
  /** Load client CPU seconds per second of wall time during the run (warm-up included). */
  readonly clientCores: number;
  /** Completed requests of the warm-up load (reported separately by both clients). */
  readonly warmupRequests: number;
}

function check(r: HttpResult, what: string, gzip: boolean): HttpResult {
  if (r.status !== 200) throw new Error(`${what}: status ${r.status}`);
  if (gzip && r.headers["content-encoding"] !== "gzip")
    throw new Error(`${what}: asked for gzip, got identity`);
  return r;
}

const WARMUP_SECONDS = 2;

/**
 * One load run with each client on the same URL, headers, connections and duration: autocannon (in
 * this process, JavaScript, one thread) and then, if installed, wrk (C, its own process, one thread).
 * Each gets a 2 s warm-up load first, not counted.
 */
async function load(
  server: ServerHandle,
  endpoint: string,
  path: string,
  gzip: boolean,
  target: number,
  connections: number,
  duration: number,
  wrk: string | undefined,
): Promise<LoadRun[]> {
  const { port } = server;
  const url = `http://127.0.0.1:${port}${path}`;
  const headers = gzip ? GZIP : {};
  const warm = check(await httpGet(port, path, headers), `warm-up ${path}`, gzip);
  const base = { endpoint, path, gzip, target, bodyBytes: warm.bytes };
  const enc = gzip ? "gzip" : "identity";
  const runs: LoadRun[] = [];

  log(
    `autocannon ${endpoint} ${enc}: ${connections} connections, ${duration} s (+${WARMUP_SECONDS} s warm-up)`,
  );
  let cpu0 = processCpuSeconds(server.child.pid);
  let self0 = selfCpuSeconds();
  let other = otherLoad();
  let t0 = performance.now();
  const r = await autocannon({
    url,
    connections,
    duration,
    headers,
    timeout: 30,
    warmup: { connections, duration: WARMUP_SECONDS },
  });
  let wall = (performance.now() - t0) / 1000;
  let serverCpu = processCpuSeconds(server.child.pid) - cpu0;
  runs.push({
    ...base,
    client: "autocannon",
    p50: r.latency.p50,
    p75: r.latency.p75,
    p90: r.latency.p90,
    p99: r.latency.p99,
    max: r.latency.max,
    rps: r.requests.average,
    bytesPerSec: r.throughput.average,
    requests: r.latency.totalCount,
    errors: r.errors,
    non2xx: r.non2xx,
    timeouts: r.timeouts,
    bytesPerRequest: NaN,
    otherLoad: other(serverCpu),
    serverCores: serverCpu / wall,
    clientCores: (selfCpuSeconds() - self0) / wall,
    warmupRequests:
      (r as typeof r & { warmup?: { latency: { totalCount: number } } }).warmup?.latency.totalCount ?? 0,
  });

  if (wrk === undefined) return runs;
  log(`wrk ${endpoint} ${enc}: ${connections} connections, ${duration} s (+${WARMUP_SECONDS} s warm-up)`);
  const wrkOpts = { wrk, url, threads: 1, connections, headers: gzip ? WRK_GZIP : {} };
  cpu0 = processCpuSeconds(server.child.pid);
  self0 = selfCpuSeconds();
  other = otherLoad();
  t0 = performance.now();
  const w0 = await runWrk({ ...wrkOpts, seconds: WARMUP_SECONDS });
  const w = await runWrk({ ...wrkOpts, seconds: duration });
  wall = (performance.now() - t0) / 1000;
  serverCpu = processCpuSeconds(server.child.pid) - cpu0;
  const wrkCpu = w0.cpuSeconds + w.cpuSeconds;
  runs.push({
    ...base,
    client: "wrk",
    p50: w.p50,
    p75: w.p75,
    p90: w.p90,
    p99: w.p99,
    max: w.max,
    rps: w.rps,
    bytesPerSec: w.bytesPerSec,
    requests: w.requests,
    errors: w.socketErrors.connect + w.socketErrors.read + w.socketErrors.write,
    non2xx: w.non2xx3xx,
    timeouts: w.socketErrors.timeout,
    bytesPerRequest: w.bytesRead / w.requests,
    // otherLoad subtracts this process's CPU itself; wrk's is added to the measured processes.
    otherLoad: other(serverCpu + wrkCpu),
    serverCores: serverCpu / wall,
    clientCores: wrkCpu / wall,
    warmupRequests: w0.requests,
  });
  return runs;
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
 * The store reads that, before commit d331555, every request made even when its response was already
 * cached in the server: resolving the slice (values) and looking up the area (profile), plus
 * /api/health's count for reference. Since d331555 they run once per indicator / area, inside the view
 * cache. Timed with the server's own repository functions (packages/server/dist) on the demo database,
 * read-only, one at a time and 200 in flight on the default pool of 2 readers.
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
  const wrk = findExecutable("wrk");
  if (wrk === undefined) log("wrk is not installed (apt-get install wrk): measuring with autocannon only");

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
        runs.push(...(await load(server, endpoint, path, gzip, target, connections, duration, wrk)));
    }
    // Reference: the cheapest route that still asks the database (one count query), same load.
    const health = await load(
      server,
      "health (reference)",
      "/api/health",
      false,
      NaN,
      connections,
      duration,
      wrk,
    );
    const mem = memoryOf(server.child.pid);
    const stop = await stopServer(server);
    if (stop.code !== 0) log(`server exited with code ${stop.code}:\n${server.stderr()}`);
    requestsMade +=
      2 +
      OTHER_INDICATORS.length +
      otherAreas.length +
      4 * 20 +
      runs.reduce((n, r) => n + r.requests + r.warmupRequests, 0) +
      runs.length / (wrk === undefined ? 1 : 2); // one warm-up request per endpoint and encoding
    const audited = (await auditRows(DEMO_DB)) - auditBefore;

    const lat = (ms: number) => (ms < 10 ? `${ms.toFixed(2)} ms` : fmtMs(ms));
    const loadRow = (r: LoadRun) => [
      r.endpoint,
      r.gzip ? "gzip" : "identity",
      fmtBytes(r.bodyBytes),
      r.client,
      lat(r.p50),
      lat(r.p75),
      lat(r.p90),
      lat(r.p99),
      lat(r.max),
      fmtInt(r.rps),
      `${fmtBytes(r.bytesPerSec)}/s`,
      fmtInt(r.requests),
      `${r.errors} / ${r.non2xx} / ${r.timeouts}`,
      r.serverCores.toFixed(2),
      r.clientCores.toFixed(2),
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
          title: `${wrk === undefined ? "autocannon" : "autocannon and wrk"}, ${connections} connections, ${duration} s each after a warm-up request and ${WARMUP_SECONDS} s warm-up load`,
          columns: [
            "endpoint",
            "encoding",
            "body",
            "client",
            "p50",
            "p75",
            "p90",
            "p99",
            "max",
            "req/s",
            "bytes/s",
            "requests",
            "errors / non-2xx / timeouts",
            "server cores",
            "client cores",
            "other load",
            "target p50",
            "verdict",
          ],
          rows: [...runs, ...health].map(loadRow),
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
            "Store reads every request made before d331555 even when its response was cached; now once per indicator / area (server's repository functions, no HTTP)",
          columns: ["query", "one at a time (median of 30)", "200 in flight, 2 readers"],
          rows: queries.map((q) => [q.name, fmtMs(q.sequentialMs), `${fmtInt(q.concurrentPerSec)} /s`]),
        },
      ],
      notes: [
        `Server peak RSS ${fmtBytes(mem.peak)} (RSS at the end ${fmtBytes(mem.rss)}); SIGTERM → exit ${fmtMs(stop.ms)}.`,
        "Both load clients run on the same cores as the server, one after the other: autocannon in the benchmark process (JavaScript, one thread, latency in whole ms), wrk as a child process (C, `-t1`, latency in µs; `--timeout 30s` like autocannon's). Server cores and client cores: CPU seconds per second of wall time during the run, warm-up included (wrk's sampled from /proc every 50 ms). Other load: cores busy with anything but the server, the benchmark and wrk. Errors for wrk are its socket errors (connect + read + write); non-2xx counts its non-2xx-or-3xx responses.",
        ...(wrk === undefined
          ? ["wrk is not installed (Debian: `apt-get install wrk`), so only autocannon measured."]
          : [
              `wrk read per request (body + headers): ${runs
                .filter((r) => r.client === "wrk")
                .map(
                  (r) =>
                    `${r.endpoint} ${r.gzip ? "gzip" : "identity"} ${fmtBytes(r.bytesPerRequest)} (body ${fmtBytes(r.bodyBytes)})`,
                )
                .join("; ")}.`,
            ]),
        `Uncached profiles: ${otherAreas.join(", ")}.`,
        `Audit: ${fmtInt(audited)} audit records written for ${fmtInt(requestsMade)} completed requests to audited routes (values, profile; neither client counts requests still in flight when a run ends, so up to ${connections} more records per run, warm-ups included, are expected: up to ${fmtInt(runs.length * 2 * connections)} here).`,
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
