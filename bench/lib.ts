/**
 * Shared helpers for the benchmarks: statistics, machine description, a free port, starting and
 * stopping the real CLI server as a child process, plain HTTP requests to 127.0.0.1, and the result
 * format (tables that render to Markdown). Benchmarks only ever talk to 127.0.0.1.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer, type AddressInfo } from "node:net";
import { availableParallelism, loadavg, release, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const OUT = join(ROOT, "bench", "out");
export const CLI = join(ROOT, "packages", "server", "bin", "wijkradar.js");
/** The demo database the API benchmark uses (first-start.ts leaves a fresh one here). */
export const DEMO_DB = join(OUT, "demo.duckdb");

/**
 * Imports a module of the compiled server (packages/server/dist/<rel>), as the CLI runs it: profiles
 * then show real function names and lines. Type it with the matching src module's type.
 */
export async function serverDist<T>(rel: string): Promise<T> {
  return (await import(pathToFileURL(join(ROOT, "packages", "server", "dist", rel)).href)) as T;
}

export function ensureOut(): void {
  mkdirSync(OUT, { recursive: true });
}

/** True when this module is the script node was started with (not imported by run-all). */
export function isMain(metaUrl: string): boolean {
  return process.argv[1] !== undefined && pathToFileURL(resolve(process.argv[1])).href === metaUrl;
}

/** `--name value` from the command line, or the fallback. */
export function argNumber(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) ? v : fallback;
}

export function argFlag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

// ---------------------------------------------------------------------------------------------
// Statistics

export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en") : "–";
}

export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return "–";
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

/** "ok" or "MISS" against a ceiling. */
export function verdict(value: number, target: number): string {
  return value <= target ? "ok" : "**MISS**";
}

// ---------------------------------------------------------------------------------------------
// Machine

export interface Machine {
  readonly date: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memory: string;
  readonly node: string;
  readonly kernel: string;
  readonly duckdb: string;
  readonly commit: string;
  /** 1-minute load average when the benchmark finished (other work on the machine skews timings). */
  readonly load1: number;
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

export function machine(): Machine {
  const model = /^model name\s*:\s*(.+)$/m.exec(readText("/proc/cpuinfo"))?.[1]?.trim() ?? "unknown";
  const duckPkg = readText(join(ROOT, "node_modules", "@duckdb", "node-api", "package.json"));
  const head = readText(join(ROOT, ".git", "HEAD")).trim();
  const ref = /^ref: (.+)$/.exec(head)?.[1];
  const commit = ref ? readText(join(ROOT, ".git", ref)).trim() : head;
  return {
    date: new Date().toISOString(),
    cpus: availableParallelism(),
    cpuModel: model,
    memory: fmtBytes(totalmem()),
    node: process.version,
    kernel: release(),
    duckdb: duckPkg ? ((JSON.parse(duckPkg) as { version?: string }).version ?? "?") : "?",
    commit: commit.slice(0, 12) || "?",
    load1: loadavg()[0]!,
  };
}

/** Peak and current resident memory of a process (Linux), in bytes. */
export function memoryOf(pid: number | undefined): { peak: number; rss: number } {
  if (pid === undefined) return { peak: NaN, rss: NaN };
  const status = readText(`/proc/${pid}/status`);
  const kb = (key: string) =>
    Number(new RegExp(`^${key}:\\s*(\\d+) kB`, "m").exec(status)?.[1] ?? NaN) * 1024;
  return { peak: kb("VmHWM"), rss: kb("VmRSS") };
}

// ---------------------------------------------------------------------------------------------
// CPU accounting (Linux): how much CPU a process used, and how busy the rest of the machine was.
// Other work on this shared 2-core machine (tests, builds) lengthens wall-clock times; these numbers
// say how much it did.

const HZ = 100; // USER_HZ

/** CPU seconds (user + system) a live process has used, from /proc/<pid>/stat. */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const stat = readText(`/proc/${pid}/stat`);
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / HZ;
}

/** Busy CPU seconds of the whole machine so far, from /proc/stat. */
export function machineBusySeconds(): number {
  const f = (/^cpu\s+(.+)$/m.exec(readText("/proc/stat"))?.[1] ?? "").split(/\s+/).map(Number);
  // user nice system idle iowait irq softirq steal
  return ((f[0] ?? NaN) + (f[1] ?? 0) + (f[2] ?? 0) + (f[5] ?? 0) + (f[6] ?? 0) + (f[7] ?? 0)) / HZ;
}

/** This process's CPU seconds so far. */
export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/**
 * Starts a measurement of other load: call the result at the end with the CPU seconds the measured
 * processes used (besides this one); returns the average number of cores busy with anything else.
 */
export function otherLoad(): (measuredCpuSeconds: number) => number {
  const busy0 = machineBusySeconds();
  const self0 = selfCpuSeconds();
  const t0 = performance.now();
  return (measured) => {
    const wall = (performance.now() - t0) / 1000;
    const others = machineBusySeconds() - busy0 - (selfCpuSeconds() - self0) - measured;
    return Math.max(0, others) / wall;
  };
}

// ---------------------------------------------------------------------------------------------
// Network

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

export interface HttpResult {
  readonly status: number;
  readonly bytes: number;
  readonly ms: number;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** One GET to 127.0.0.1 on a new connection; resolves when the whole body has arrived. */
export function httpGet(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<HttpResult> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const req = request(
      { host: "127.0.0.1", port, path, headers, agent: false, timeout: timeoutMs },
      (res) => {
        let bytes = 0;
        res.on("data", (c: Buffer) => (bytes += c.length));
        res.on("end", () =>
          resolvePromise({
            status: res.statusCode ?? 0,
            bytes,
            ms: performance.now() - started,
            headers: res.headers,
          }),
        );
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${path}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------
// The server as a child process

export interface ServerHandle {
  readonly child: ChildProcess;
  readonly port: number;
  /** Spawn until the first 200 from /api/health, measured here. */
  readonly readyMs: number;
  /** What the server itself printed ("ready in N ms"): from open database to listening. */
  readonly reportedReadyMs: number | undefined;
  /** Values the server said it loaded on this start (first start only). */
  readonly loadedValues: number | undefined;
  /** CPU seconds the server used until ready. */
  readonly cpuSeconds: number;
  /** Cores busy with other work on average while it started (see otherLoad). */
  readonly otherLoad: number;
  readonly stderr: () => string;
}

/** Environment for the server: ours, without stray WIJKRADAR_* variables (the config rejects unknown ones). */
function serverEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("WIJKRADAR_")) env[k] = v;
  return { ...env, WIJKRADAR_LOG_LEVEL: "warn", ...extra };
}

export function removeDb(path: string): void {
  for (const p of [path, `${path}.wal`]) if (existsSync(p)) rmSync(p);
}

/**
 * Spawns `node packages/server/bin/wijkradar.js serve --db <db>` on a free port and polls
 * /api/health every `pollMs` until it answers 200.
 */
export async function startServer(opts: {
  db: string;
  timeoutMs: number;
  pollMs?: number;
  nodeArgs?: readonly string[];
  /** Extra WIJKRADAR_* settings, e.g. WIJKRADAR_WEB_ROOT. */
  env?: Record<string, string>;
}): Promise<ServerHandle> {
  const port = await freePort();
  let err = "";
  let exited: string | undefined;
  const started = performance.now();
  const load = otherLoad();
  const child = spawn(
    process.execPath,
    [...(opts.nodeArgs ?? []), CLI, "serve", "--db", opts.db, "--port", String(port), "--host", "127.0.0.1"],
    { cwd: ROOT, env: serverEnv(opts.env ?? {}), stdio: ["ignore", "ignore", "pipe"] },
  );
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (s: string) => (err += s));
  child.once("exit", (code, signal) => (exited = `exit code ${code ?? "-"}, signal ${signal ?? "-"}`));
  const pollMs = opts.pollMs ?? 20;
  for (;;) {
    if (exited) throw new Error(`server exited before it was ready (${exited}):\n${err}`);
    if (performance.now() - started > opts.timeoutMs) {
      child.kill("SIGKILL");
      throw new Error(`server not ready within ${opts.timeoutMs} ms:\n${err}`);
    }
    try {
      const r = await httpGet(port, "/api/health", {}, 2000);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const readyMs = performance.now() - started;
  const cpuSeconds = processCpuSeconds(child.pid);
  const other = load(cpuSeconds);
  const reported = /ready in (\d+) ms/.exec(err)?.[1];
  const loaded = /\(([\d,]+) values\)/.exec(err)?.[1];
  return {
    child,
    port,
    readyMs,
    reportedReadyMs: reported === undefined ? undefined : Number(reported),
    loadedValues: loaded === undefined ? undefined : Number(loaded.replaceAll(",", "")),
    cpuSeconds,
    otherLoad: other,
    stderr: () => err,
  };
}

/** SIGTERM, then wait for the exit (SIGKILL after `timeoutMs`). Resolves to the time it took. */
export async function stopServer(
  h: ServerHandle,
  timeoutMs = 30_000,
): Promise<{ ms: number; code: number | null }> {
  const started = performance.now();
  if (h.child.exitCode !== null || h.child.signalCode !== null) return { ms: 0, code: h.child.exitCode };
  const exit = new Promise<number | null>((r) => h.child.once("exit", (code) => r(code)));
  h.child.kill("SIGTERM");
  const timer = setTimeout(() => h.child.kill("SIGKILL"), timeoutMs);
  const code = await exit;
  clearTimeout(timer);
  return { ms: performance.now() - started, code };
}

export interface Quiet {
  readonly waitedS: number;
  readonly load1: number;
  readonly quiet: boolean;
}

/** Seconds of waiting left for the whole run: 20 minutes in all, so a busy machine cannot stall it for hours. */
let waitBudgetS = 20 * 60;

/**
 * Waits until the 1-minute load average is below 1.5 (polling every 30 s; `--no-wait` skips), at most
 * 20 minutes over a whole benchmark run; says whether the machine was quiet.
 */
export async function waitForQuiet(what: string): Promise<Quiet> {
  const started = performance.now();
  if (argFlag("no-wait")) return { waitedS: 0, load1: loadavg()[0]!, quiet: loadavg()[0]! < 1.5 };
  for (;;) {
    const l = loadavg()[0]!;
    const waited = (performance.now() - started) / 1000;
    if (l < 1.5) {
      waitBudgetS -= waited;
      return { waitedS: waited, load1: l, quiet: true };
    }
    if (waited >= waitBudgetS) {
      log(
        `${what}: load ${l.toFixed(2)} after ${waited.toFixed(0)} s of waiting (budget spent); measuring anyway`,
      );
      waitBudgetS = 0;
      return { waitedS: waited, load1: l, quiet: false };
    }
    log(`${what}: 1-min load ${l.toFixed(2)} ≥ 1.5, waiting 30 s`);
    await new Promise((r) => setTimeout(r, 30_000));
  }
}

// ---------------------------------------------------------------------------------------------
// Results

export interface Table {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

export interface BenchResult {
  readonly name: string;
  readonly title: string;
  readonly command: string;
  readonly tables: readonly Table[];
  readonly notes: readonly string[];
  readonly raw: unknown;
  readonly machine: Machine;
  readonly durationMs: number;
}

export function tableToMarkdown(t: Table): string {
  const esc = (c: string | number) => String(c).replaceAll("|", "\\|");
  return [
    `**${t.title}**`,
    "",
    `| ${t.columns.map(esc).join(" | ")} |`,
    `| ${t.columns.map(() => "---").join(" | ")} |`,
    ...t.rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}

export function resultToMarkdown(r: BenchResult): string {
  return [
    `### ${r.title}`,
    "",
    `Command: \`${r.command}\` (${fmtMs(r.durationMs)})`,
    "",
    ...r.tables.flatMap((t) => [tableToMarkdown(t), ""]),
    ...(r.notes.length ? [...r.notes.map((n) => `- ${n}`), ""] : []),
  ].join("\n");
}

export function machineToMarkdown(m: Machine): string {
  return [
    `- Date: ${m.date}`,
    `- Machine: ${m.cpus} cores (nproc), ${m.memory} memory, CPU ${m.cpuModel}, Linux ${m.kernel}`,
    `- Node ${m.node}, @duckdb/node-api ${m.duckdb}, commit ${m.commit}; 1-minute load average at the end ${m.load1.toFixed(2)}`,
  ].join("\n");
}

/** Writes bench/out/<name>.json and prints the Markdown to stdout. */
export function report(r: BenchResult): void {
  ensureOut();
  writeFileSync(join(OUT, `${r.name}.json`), `${JSON.stringify(r, null, 2)}\n`);
  process.stdout.write(`\n${resultToMarkdown(r)}\n`);
}

export function log(s: string): void {
  process.stderr.write(`[bench] ${s}\n`);
}

// ---------------------------------------------------------------------------------------------
// wrk: a second load client, in C (Debian package `wrk`), as a separate process

/** Full path of an executable on PATH, or undefined. */
export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface WrkResult {
  /** Latency percentiles from `--latency`, in ms (wrk measures in µs). */
  readonly p50: number;
  readonly p75: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly requests: number;
  readonly seconds: number;
  readonly bytesRead: number;
  readonly rps: number;
  readonly bytesPerSec: number;
  readonly non2xx3xx: number;
  readonly socketErrors: { connect: number; read: number; write: number; timeout: number };
  /** CPU seconds wrk used (sampled from /proc every 50 ms while it ran, so up to 50 ms short). */
  readonly cpuSeconds: number;
  readonly wallSeconds: number;
  readonly output: string;
}

const TIME_UNIT: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const BINARY_UNIT: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** "1.62ms" → 1.62 (ms). */
function wrkTime(s: string | undefined): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(s ?? "");
  return m ? Number(m[1]) * TIME_UNIT[m[2]!]! : NaN;
}

/** "3.91GB" or "512.00B" → bytes (wrk uses powers of 1024). */
function wrkBytes(s: string | undefined): number {
  const m = /^([\d.]+)([KMGT]?)B$/.exec(s ?? "");
  return m ? Number(m[1]) * BINARY_UNIT[m[2]!]! : NaN;
}

/** Parses the text wrk 4 prints with `--latency`. */
export function parseWrk(out: string): Omit<WrkResult, "cpuSeconds" | "wallSeconds" | "output"> {
  const pct = (p: number) => wrkTime(new RegExp(`^\\s*${p}%\\s+(\\S+)\\s*$`, "m").exec(out)?.[1]);
  const totals = /^\s*(\d+) requests in (\S+), (\S+) read\s*$/m.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    p50: pct(50),
    p75: pct(75),
    p90: pct(90),
    p99: pct(99),
    max: wrkTime(/^\s*Latency\s+\S+\s+\S+\s+(\S+)/m.exec(out)?.[1]),
    requests: Number(totals?.[1] ?? NaN),
    seconds: wrkTime(totals?.[2]) / 1000,
    bytesRead: wrkBytes(totals?.[3]),
    rps: Number(/^Requests\/sec:\s+([\d.]+)/m.exec(out)?.[1] ?? NaN),
    bytesPerSec: wrkBytes(/^Transfer\/sec:\s+(\S+)/m.exec(out)?.[1]),
    non2xx3xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
    socketErrors: {
      connect: Number(sock?.[1] ?? 0),
      read: Number(sock?.[2] ?? 0),
      write: Number(sock?.[3] ?? 0),
      timeout: Number(sock?.[4] ?? 0),
    },
  };
}

/**
 * Runs `wrk -t<threads> -c<connections> -d<seconds>s --latency --timeout <timeout>s [-H header…] url`
 * and parses its report. Only ever pointed at 127.0.0.1.
 */
export async function runWrk(opts: {
  wrk: string;
  url: string;
  threads: number;
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  timeoutSeconds?: number;
}): Promise<WrkResult> {
  if (!opts.url.startsWith("http://127.0.0.1:")) throw new Error(`wrk only against 127.0.0.1: ${opts.url}`);
  const args = [
    `-t${opts.threads}`,
    `-c${opts.connections}`,
    `-d${opts.seconds}s`,
    "--latency",
    "--timeout",
    `${opts.timeoutSeconds ?? 30}s`,
    ...Object.entries(opts.headers ?? {}).flatMap(([k, v]) => ["-H", `${k}: ${v}`]),
    opts.url,
  ];
  const started = performance.now();
  const child = spawn(opts.wrk, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
  let cpu = 0;
  const sample = () => {
    const c = processCpuSeconds(child.pid);
    if (Number.isFinite(c)) cpu = c;
  };
  const timer = setInterval(sample, 50);
  const killer = setTimeout(() => child.kill("SIGKILL"), (opts.seconds + 60) * 1000);
  const code = await new Promise<number | null>((r, reject) => {
    child.once("error", reject);
    child.once("exit", (c) => r(c));
  }).finally(() => {
    clearInterval(timer);
    clearTimeout(killer);
  });
  if (code !== 0) throw new Error(`wrk ${args.join(" ")}: exit code ${code}\n${out}${err}`);
  return {
    ...parseWrk(out),
    cpuSeconds: cpu,
    wallSeconds: (performance.now() - started) / 1000,
    output: out,
  };
}
