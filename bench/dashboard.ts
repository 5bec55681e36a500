/**
 * The dashboard's targets (issue 3), measured in headless Chromium against the real server.
 *
 * (1) Navigation to the first rendered choropleth, cold: a fresh browser profile (empty HTTP cache)
 *     per run, from navigation start to the app's `wijkradar:choropleth` mark (its startTime is
 *     relative to the navigation start) for `/`, `/?a=GM0034` (wijken of Almere) and
 *     `/?a=GM0034&l=buurt`. Target ≤ 1.5 s. The comparison: the same profile visiting again (warm
 *     HTTP cache). The first round after the server started (its view caches empty) is reported apart.
 * (2) Switching indicator (#indicator) or period (#period): from performance.now() just before the
 *     change, in the page, to the next mark whose detail is the expected key. First time (figures not
 *     yet fetched by this page) and repeated (cached in the page) apart; at national gemeente level,
 *     Almere wijk level and Almere buurt level. Pass A is the first browser session after the server
 *     started (the server's view caches cold for most indicators); pass B a fresh session once
 *     the server has seen them. Target ≤ 300 ms.
 * (3) JavaScript shipped, gzip level 9 (the build's .gz files), excluding MapLibre: every .js/.mjs of
 *     the production build; what the map page loads at start (entry, its static imports and the
 *     modulepreloads of index.html) against later. Target ≤ 400 KB.
 * (4) Lighthouse 12 (performance, accessibility, best practices) on the map page and the profile
 *     page, desktop preset and the default mobile preset (simulated slow 4G, 4× CPU). Targets ≥ 90.
 *     Reports go to bench/out/lighthouse-*.json.
 *
 * The server is the compiled CLI (`wijkradar serve`) on a copy of the demo database (demo data
 * loaded: a warm start) serving a snapshot of packages/web/dist (copied to bench/out/dashboard-web,
 * so that a rebuild by someone else during the run does not change what is measured).
 *
 * Usage: node --import tsx bench/dashboard.ts [--runs 7] [--switches 20] [--lighthouse-runs 1]
 *          [--quick] [--no-lighthouse] [--parts navigation,switching,lighthouse] [--web-root <dir>]
 *   --web-root: serve that build as it is (an A/B comparison), instead of a snapshot of packages/web/dist.
 *   --quick: 3 navigation runs, 8 switches per kind, pass B only, one Lighthouse run per page and preset
 *   (default 3).
 */
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import {
  argFlag,
  argNumber,
  DEMO_DB,
  ensureOut,
  fmtBytes,
  fmtMs,
  isMain,
  log,
  machine,
  machineBusySeconds,
  median,
  OUT,
  quantile,
  removeDb,
  report,
  ROOT,
  startServer,
  stopServer,
  verdict,
  type BenchResult,
  type ServerHandle,
  type Table,
} from "./lib.js";

const NAV_TARGET_MS = 1500;
const SWITCH_TARGET_MS = 300;
const JS_TARGET_BYTES = 400 * 1024;
const LIGHTHOUSE_TARGET = 90;

const CHROMIUM = "/usr/bin/chromium";
/** docs TECH-NOTES "Browser tests"; never --disable-software-rasterizer (MapLibre needs it). */
const CHROME_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const VIEWPORT = { width: 1280, height: 800 };
const NATIONAL = "NL01";
const ALMERE = "GM0034";
const WEB_SNAPSHOT = join(OUT, "dashboard-web");
const BENCH_DB = join(OUT, "dashboard.duckdb");
const MARK = "wijkradar:choropleth";

interface Page0 {
  readonly name: string;
  readonly path: string;
  readonly level: string;
  readonly parent: string;
}

/** The three cold-navigation pages and the three switching scopes. */
const NAV_PAGES: readonly Page0[] = [
  { name: "gemeenten of NL", path: "/", level: "gemeente", parent: NATIONAL },
  { name: "wijken of Almere", path: `/?a=${ALMERE}`, level: "wijk", parent: ALMERE },
  { name: "buurten of Almere", path: `/?a=${ALMERE}&l=buurt`, level: "buurt", parent: ALMERE },
];
const SWITCH_PAGES: readonly Page0[] = [
  { name: "national, gemeente", path: "/?l=gemeente", level: "gemeente", parent: NATIONAL },
  { name: "Almere, wijk", path: `/?a=${ALMERE}&l=wijk`, level: "wijk", parent: ALMERE },
  { name: "Almere, buurt", path: `/?a=${ALMERE}&l=buurt`, level: "buurt", parent: ALMERE },
];

// ---------------------------------------------------------------------------------------------
// The build and the database

interface WebSnapshot {
  readonly root: string;
  readonly inputsHash: string;
  readonly builtAt: string;
  /** `git status --porcelain packages/web` lines: uncommitted changes the build includes. */
  readonly dirty: readonly string[];
}

function readStamp(dir: string): { inputsHash: string; builtAt: string } {
  return JSON.parse(readFileSync(join(dir, ".build-stamp.json"), "utf8")) as {
    inputsHash: string;
    builtAt: string;
  };
}

/**
 * Builds packages/web/dist when stale (the build script decides) and copies it to
 * bench/out/dashboard-web; retried when the build changed during the copy.
 */
function snapshotWeb(): WebSnapshot {
  const dist = join(ROOT, "packages", "web", "dist");
  for (let attempt = 1; attempt <= 5; attempt++) {
    const r = spawnSync(process.execPath, [join(ROOT, "packages", "web", "scripts", "build.mjs")], {
      cwd: ROOT,
      stdio: ["ignore", "inherit", "inherit"],
    });
    if (r.status !== 0) throw new Error(`web build failed (${r.status ?? r.signal})`);
    const before = readStamp(dist);
    rmSync(WEB_SNAPSHOT, { recursive: true, force: true });
    cpSync(dist, WEB_SNAPSHOT, { recursive: true });
    const after = existsSync(join(dist, ".build-stamp.json")) ? readStamp(dist) : undefined;
    const copied = readStamp(WEB_SNAPSHOT);
    const html = readFileSync(join(WEB_SNAPSHOT, "index.html"), "utf8");
    const referenced = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
    const complete = referenced.every((f) => existsSync(join(WEB_SNAPSHOT, f)));
    if (
      after &&
      after.inputsHash === before.inputsHash &&
      copied.inputsHash === before.inputsHash &&
      complete
    ) {
      const git = spawnSync("git", ["status", "--porcelain", "packages/web"], {
        cwd: ROOT,
        encoding: "utf8",
      });
      return {
        root: WEB_SNAPSHOT,
        inputsHash: before.inputsHash,
        builtAt: before.builtAt,
        dirty: git.stdout.split("\n").filter(Boolean),
      };
    }
    log(`packages/web/dist changed while copying it (attempt ${attempt}); again`);
  }
  throw new Error("packages/web/dist kept changing; no stable snapshot");
}

/** A copy of the demo database (created first, with a first start, when there is none). */
async function prepareDb(): Promise<void> {
  if (!existsSync(DEMO_DB)) {
    const fresh = join(OUT, "dashboard-first-start.duckdb");
    removeDb(fresh);
    log(`no ${DEMO_DB}: creating it with a first start (demo import, ~15 s)`);
    const h = await startServer({ db: fresh, timeoutMs: 300_000 });
    await stopServer(h);
    copyFileSync(fresh, DEMO_DB);
    removeDb(fresh);
  }
  removeDb(BENCH_DB);
  copyFileSync(DEMO_DB, BENCH_DB);
}

// ---------------------------------------------------------------------------------------------
// The browser

/**
 * Installed before any script of the page: collects long tasks, and helpers the benchmark calls
 * (page code as a string: the bench is compiled without the DOM library).
 */
const INIT_SCRIPT = `(() => {
  const longtasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) longtasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch {}
  window.__wr = {
    longtasks,
    marks: () => performance.getEntriesByName(${JSON.stringify(MARK)}).map((e) => [e.startTime, e.detail]),
    state: () => {
      const m = document.querySelector("[data-testid=map]");
      return m ? [m.dataset.state ?? null, m.dataset.rendered ?? null] : [null, null];
    },
    switchTo: (id, value) => {
      const el = document.getElementById(id);
      if (!el) throw new Error("no #" + id);
      const t0 = performance.now();
      if (el instanceof HTMLSelectElement) {
        el.value = value;
        el.dispatchEvent(new Event("change", { bubbles: true }));
      } else {
        Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set.call(el, String(value));
        el.dispatchEvent(new Event("input", { bubbles: true }));
        el.dispatchEvent(new Event("change", { bubbles: true }));
      }
      return t0;
    },
    resources: () =>
      performance.getEntriesByType("resource").map((e) => ({
        name: e.name,
        start: e.startTime,
        end: e.responseEnd,
        transfer: e.transferSize,
        encoded: e.encodedBodySize,
        decoded: e.decodedBodySize,
      })),
    navigation: () => {
      const n = performance.getEntriesByType("navigation")[0];
      return n ? { responseEnd: n.responseEnd, dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd } : null;
    },
  };
})();`;

interface Browser {
  readonly context: BrowserContext;
  readonly page: Page;
  readonly profile: string;
  /** Requests not to 127.0.0.1 (there must be none). */
  readonly external: string[];
  /** Requests in flight, and when the last one ended (Date.now()). */
  readonly net: { inflight: number; lastEnd: number; started: { url: string; at: number }[] };
  close(): Promise<void>;
}

async function openBrowser(origin: string, profile?: string): Promise<Browser> {
  const dir = profile ?? mkdtempSync(join(tmpdir(), "wijkradar-bench-profile-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROME_FLAGS,
    viewport: VIEWPORT,
  });
  await context.addInitScript({ content: INIT_SCRIPT });
  const page = context.pages()[0] ?? (await context.newPage());
  const external: string[] = [];
  const net = { inflight: 0, lastEnd: Date.now(), started: [] as { url: string; at: number }[] };
  context.on("request", (r) => {
    const url = r.url();
    if (!url.startsWith(origin) && !url.startsWith("data:") && !url.startsWith("blob:")) external.push(url);
    net.inflight++;
    net.started.push({ url: url.replace(origin, ""), at: Date.now() });
  });
  const done = () => {
    net.inflight = Math.max(0, net.inflight - 1);
    net.lastEnd = Date.now();
  };
  context.on("requestfinished", done);
  context.on("requestfailed", done);
  return {
    context,
    page,
    profile: dir,
    external,
    net,
    async close() {
      await context.close();
      if (!profile) rmSync(dir, { recursive: true, force: true });
    },
  };
}

type MarkEntry = [number, string];
interface ResourceEntry {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly transfer: number;
  readonly encoded: number;
  readonly decoded: number;
}

const marksOf = (page: Page) => page.evaluate<MarkEntry[]>("window.__wr.marks()");

/** Waits for a mark after `t0` whose detail satisfies `match`; returns it. */
async function waitForMark(page: Page, t0: number, match: string, timeoutMs: number): Promise<MarkEntry> {
  const test = `window.__wr.marks().find(([t, d]) => t >= ${t0} && ${match})`;
  try {
    await page.waitForFunction(`!!(${test})`, undefined, { polling: 25, timeout: timeoutMs });
  } catch (e) {
    const marks = (await marksOf(page)).slice(-3);
    const state = await page.evaluate<unknown>("window.__wr.state()");
    throw new Error(
      `no ${MARK} mark after ${t0.toFixed(0)} ms with ${match} within ${timeoutMs} ms at ${page.url()}; last marks ${JSON.stringify(marks)}, map ${JSON.stringify(state)}: ${String(e)}`,
    );
  }
  return (await page.evaluate<MarkEntry | undefined>(test))!;
}

/** Until no request is in flight, the map says "ready" and nothing happened for `quietMs`. */
async function settle(b: Browser, quietMs = 250, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  let lastMarks = -1;
  let lastChange = Date.now();
  for (;;) {
    const n = (await marksOf(b.page)).length;
    if (n !== lastMarks) {
      lastMarks = n;
      lastChange = Date.now();
    }
    const [state] = await b.page.evaluate<[string | null, string | null]>("window.__wr.state()");
    const now = Date.now();
    if (
      b.net.inflight === 0 &&
      state === "ready" &&
      now - lastChange >= quietMs &&
      now - b.net.lastEnd >= quietMs
    )
      return;
    if (now - started > timeoutMs) return;
    await new Promise((r) => setTimeout(r, 40));
  }
}

// ---------------------------------------------------------------------------------------------
// Other load: this is a shared 2-core machine, and the browser, the server and the benchmark share it.

/** pid → [parent pid, CPU seconds (user + system)] of every process, from /proc. */
function processTable(): Map<number, [number, number]> {
  const table = new Map<number, [number, number]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      table.set(Number(name), [Number(f[1]), (Number(f[11]) + Number(f[12])) / 100]);
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

interface Load {
  readonly part: string;
  readonly seconds: number;
  /** Cores busy with this benchmark: itself and its process tree (browsers, server). */
  readonly ownCores: number;
  /** Cores busy with anything else on the machine (other sessions' tests and builds). */
  readonly otherCores: number;
}

/**
 * Runs f while sampling /proc every 250 ms: the CPU of this process's tree (Chromium's zygote and
 * renderers are not reaped into our own counters, so they are followed by their parent chain) against
 * the whole machine's. A process of ours that ends between samples loses up to 250 ms of its CPU.
 */
async function measured<T>(part: string, loads: Load[], f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const busy0 = machineBusySeconds();
  const base = new Map<number, number>();
  const last = new Map<number, number>();
  const sample = (first: boolean) => {
    const table = processTable();
    const ours = new Set<number>([process.pid]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const [pid, [ppid]] of table)
        if (!ours.has(pid) && ours.has(ppid)) {
          ours.add(pid);
          grew = true;
        }
    }
    for (const [pid, [, cpu]] of table) {
      if (first) base.set(pid, cpu);
      else if (ours.has(pid)) {
        if (!base.has(pid)) base.set(pid, 0);
        last.set(pid, cpu);
      }
    }
  };
  sample(true);
  const timer = setInterval(() => sample(false), 250);
  try {
    return await f();
  } finally {
    clearInterval(timer);
    sample(false);
    const seconds = (performance.now() - t0) / 1000;
    let own = 0;
    for (const [pid, cpu] of last) own += cpu - (base.get(pid) ?? 0);
    const other = Math.max(0, machineBusySeconds() - busy0 - own);
    loads.push({ part, seconds, ownCores: own / seconds, otherCores: other / seconds });
    log(
      `${part}: ${seconds.toFixed(0)} s; this benchmark ${(own / seconds).toFixed(2)} cores, other load ${(other / seconds).toFixed(2)} cores`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// (1) Navigation

interface NavRun {
  readonly page: string;
  readonly round: number;
  readonly cache: "cold" | "warm";
  readonly serverCold: boolean;
  readonly markMs: number;
  readonly detail: string;
  readonly responseEnd: number;
  readonly dcl: number;
  /** responseEnd of the requests on the way, relative to navigation start. */
  readonly jsEnd: number;
  readonly indicatorsEnd: number;
  readonly valuesEnd: number;
  readonly geoStart: number;
  readonly geoEnd: number;
  readonly workerEnd: number;
  readonly geoBytes: number;
  /** Bytes over the wire until the mark (transferSize; 0 for cache hits). */
  readonly transfer: number;
  readonly jsEncoded: number;
  readonly requests: number;
  readonly longTasks: number;
  readonly longTaskMs: number;
  readonly longestTaskMs: number;
}

async function navigate(
  b: Browser,
  origin: string,
  p: Page0,
): Promise<Omit<NavRun, "round" | "cache" | "serverCold">> {
  await b.page.goto(origin + p.path, { waitUntil: "commit" });
  const [markMs, detail] = await waitForMark(
    b.page,
    0,
    `d.endsWith(${JSON.stringify(`|${p.level}|${p.parent}`)})`,
    60_000,
  );
  const nav = await b.page.evaluate<{ responseEnd: number; dcl: number; load: number } | null>(
    "window.__wr.navigation()",
  );
  const res = (await b.page.evaluate<ResourceEntry[]>("window.__wr.resources()")).filter(
    (r) => r.start <= markMs,
  );
  const lts = await b.page.evaluate<[number, number][]>("window.__wr.longtasks");
  const before = lts.filter(([s]) => s <= markMs);
  const path = (r: ResourceEntry) => new URL(r.name).pathname;
  const maxOf = (xs: number[]) => (xs.length ? Math.max(...xs) : NaN);
  const endOf = (pred: (r: ResourceEntry) => boolean) => maxOf(res.filter(pred).map((r) => r.end));
  const geo = res.filter((r) => path(r).startsWith("/api/geo/"));
  const isJs = (r: ResourceEntry) => /\.m?js$/.test(path(r));
  return {
    page: p.name,
    markMs,
    detail,
    responseEnd: nav?.responseEnd ?? NaN,
    dcl: nav?.dcl ?? NaN,
    jsEnd: maxOf(res.filter((r) => isJs(r) && !path(r).includes("worker")).map((r) => r.end)),
    indicatorsEnd: endOf((r) => path(r) === "/api/indicators"),
    valuesEnd: endOf((r) => /^\/api\/indicators\/[^/]+\/values$/.test(path(r))),
    geoStart: maxOf(geo.map((r) => r.start)),
    geoEnd: maxOf(geo.map((r) => r.end)),
    workerEnd: endOf((r) => path(r).includes("maplibre-gl-worker")),
    geoBytes: geo.reduce((n, r) => n + r.encoded, 0),
    transfer: res.reduce((n, r) => n + r.transfer, 0),
    jsEncoded: res.filter(isJs).reduce((n, r) => n + r.encoded, 0),
    requests: res.length,
    longTasks: before.length,
    longTaskMs: before.reduce((n, [, d]) => n + d, 0),
    longestTaskMs: Math.max(0, ...before.map(([, d]) => d)),
  };
}

async function measureNavigation(
  origin: string,
  rounds: number,
): Promise<{ runs: NavRun[]; external: string[]; jsLoaded: Record<string, ResourceEntry[]> }> {
  const runs: NavRun[] = [];
  const external: string[] = [];
  const jsLoaded: Record<string, ResourceEntry[]> = {};
  // Round 0 is the first visit of each page after the server started (its caches empty).
  for (let round = 0; round <= rounds; round++) {
    for (const p of NAV_PAGES) {
      const b = await openBrowser(origin);
      try {
        const cold = await navigate(b, origin, p);
        runs.push({ ...cold, round, cache: "cold", serverCold: round === 0 });
        if (round === 1) {
          const res = await b.page.evaluate<ResourceEntry[]>("window.__wr.resources()");
          jsLoaded[p.name] = res.filter((r) => /\.m?js$/.test(new URL(r.name).pathname));
        }
        await settle(b);
        // The same profile again: HTTP cache warm (hashed assets immutable; index.html and the API
        // revalidated with their ETags).
        const warm = await navigate(b, origin, p);
        runs.push({ ...warm, round, cache: "warm", serverCold: false });
        log(
          `navigation ${round === 0 ? "(server cold) " : ""}${round}/${rounds} ${p.name}: cold ${fmtMs(cold.markMs)}, warm ${fmtMs(warm.markMs)}`,
        );
      } finally {
        external.push(...b.external);
        await b.close();
      }
    }
  }
  // The profile page, once, for what it loads.
  const b = await openBrowser(origin);
  try {
    await b.page.goto(`${origin}/?v=profile&a=${ALMERE}`, { waitUntil: "load" });
    await b.page.waitForSelector("main h1", { timeout: 30_000 });
    await settle(b, 500).catch(() => undefined);
    const res = await b.page.evaluate<ResourceEntry[]>("window.__wr.resources()");
    jsLoaded["profile page"] = res.filter((r) => /\.m?js$/.test(new URL(r.name).pathname));
  } finally {
    external.push(...b.external);
    await b.close();
  }
  return { runs, external, jsLoaded };
}

// ---------------------------------------------------------------------------------------------
// (2) Switching

interface IndicatorInfo {
  readonly id: string;
  readonly periods: readonly string[];
  readonly levels: readonly string[];
  /** Periods with figures at the level being measured. */
  readonly available?: readonly string[];
}

interface Step {
  readonly kind: "indicator" | "period";
  /** Option value (indicator id) or range index. */
  readonly value: string;
  readonly indicator: string;
  readonly period: string;
}

interface SwitchRun {
  readonly scope: string;
  readonly pass: "A" | "B";
  readonly kind: "indicator" | "period";
  readonly first: boolean;
  readonly key: string;
  /** To the first mark with the expected key. */
  readonly ms: number;
  /** To the last mark with the expected key once everything settled (geometry of another division). */
  readonly settledMs: number;
  readonly marks: number;
  readonly fetchedValues: boolean;
  readonly fetchedGeo: boolean;
  readonly longTaskMs: number;
}

/** Evenly spaced picks from a sorted list: deterministic, spread over the domains. */
function spread<T>(xs: readonly T[], k: number): T[] {
  if (xs.length <= k) return [...xs];
  return Array.from({ length: k }, (_, j) => xs[Math.floor(((j + 0.5) * xs.length) / k)]!);
}

/**
 * The periods an indicator has at a level. The catalogue lists periods over all levels (and the
 * period slider offers them all), so a switch could ask for a slice that does not exist (404). The
 * API's 404 for a period that cannot exist lists what does ("available (period/level/division):
 * 2024/wijk/division 2024, …"); an error answer warms none of the server's view caches.
 */
async function periodsAt(origin: string, i: IndicatorInfo, level: string): Promise<IndicatorInfo> {
  const r = await fetch(
    `${origin}/api/indicators/${encodeURIComponent(i.id)}/values?period=1900&level=${level}`,
  );
  const detail = ((await r.json()) as { detail?: string }).detail ?? "";
  if (r.status !== 404 || !/available/.test(detail))
    throw new Error(`no availability for ${i.id}: ${detail}`);
  const here = new Set(
    [...detail.matchAll(/(\d{4})\/(\w+)\/division/g)].filter((m) => m[2] === level).map((m) => m[1]!),
  );
  return { ...i, available: i.periods.filter((p) => here.has(p)) };
}

/**
 * The switches at one level: k indicators (first time, then again: cached), then periods of
 * indicators with more than one period at this level, stepping back (first time) and forward again
 * (cached) until k first-time period switches. Indicators whose latest period (which a switch shows)
 * has no figures at this level are left out.
 */
function switchSteps(all: readonly IndicatorInfo[], k: number, start: string): Step[] {
  const usable = all
    .filter((i) => i.id !== start && i.periods.length > 0 && i.available?.includes(i.periods.at(-1)!))
    .sort((a, b) => a.id.localeCompare(b.id));
  const chosen = spread(usable, k);
  const ind = (i: IndicatorInfo): Step => ({
    kind: "indicator",
    value: i.id,
    indicator: i.id,
    period: i.periods.at(-1)!,
  });
  // The range input's value is the index in the catalogue's periods.
  const per = (i: IndicatorInfo, period: string): Step => ({
    kind: "period",
    value: String(i.periods.indexOf(period)),
    indicator: i.id,
    period,
  });
  const steps: Step[] = [...chosen.map(ind), ...chosen.map(ind)];
  let firstTime = 0;
  const multi = [...chosen, ...usable.filter((i) => !chosen.includes(i))].filter(
    (i) => (i.available?.length ?? 0) > 1,
  );
  for (const i of multi) {
    if (firstTime >= k) break;
    const here = i.available!;
    steps.push(ind(i));
    for (let p = here.length - 2; p >= 0; p--) steps.push(per(i, here[p]!));
    for (let p = here.length - 1; p >= 0; p--) steps.push(per(i, here[p]!));
    firstTime += here.length - 1;
  }
  return steps;
}

async function measureSwitching(
  origin: string,
  indicators: readonly IndicatorInfo[],
  k: number,
  passes: readonly ("A" | "B")[],
): Promise<{ runs: SwitchRun[]; external: string[] }> {
  const runs: SwitchRun[] = [];
  const external: string[] = [];
  const startIndicator = "moeite_rondkomen_18plus"; // the app's default (DEFAULT_INDICATOR)
  for (const pass of passes) {
    for (const scope of SWITCH_PAGES) {
      const atLevel = await Promise.all(
        indicators
          .filter((i) => i.levels.includes(scope.level))
          .map((i) => periodsAt(origin, i, scope.level)),
      );
      const steps = switchSteps(atLevel, k, startIndicator);
      const b = await openBrowser(origin);
      try {
        await navigate(b, origin, scope);
        await settle(b);
        const seen = new Set((await marksOf(b.page)).map(([, d]) => d));
        let current = "";
        for (const step of steps) {
          const key = `${step.indicator}|${step.period}|${scope.level}|${scope.parent}`;
          if (key === current) continue;
          const requestsBefore = b.net.started.length;
          const t0 = await b.page.evaluate<number>(
            `window.__wr.switchTo(${JSON.stringify(step.kind)}, ${JSON.stringify(step.value)})`,
          );
          const [tMark] = await waitForMark(b.page, t0, `d === ${JSON.stringify(key)}`, 30_000);
          await settle(b);
          const withKey = (await marksOf(b.page)).filter(([t, d]) => t >= t0 && d === key);
          const lts = (await b.page.evaluate<[number, number][]>("window.__wr.longtasks")).filter(
            ([s]) => s >= t0 && s <= tMark,
          );
          const urls = b.net.started.slice(requestsBefore).map((r) => r.url);
          runs.push({
            scope: scope.name,
            pass,
            kind: step.kind,
            first: !seen.has(key),
            key,
            ms: tMark - t0,
            settledMs: withKey.at(-1)![0] - t0,
            marks: withKey.length,
            fetchedValues: urls.some((u) => /^\/api\/indicators\/[^/]+\/values/.test(u)),
            fetchedGeo: urls.some((u) => u.startsWith("/api/geo/")),
            longTaskMs: lts.reduce((n, [, d]) => n + d, 0),
          });
          seen.add(key);
          current = key;
        }
        const mine = runs.filter((r) => r.pass === pass && r.scope === scope.name);
        const med = (kind: string, first: boolean) =>
          fmtMs(median(mine.filter((r) => r.kind === kind && r.first === first).map((r) => r.ms)));
        log(
          `switching pass ${pass}, ${scope.name}: indicator first ${med("indicator", true)}, cached ${med("indicator", false)}; period first ${med("period", true)}, cached ${med("period", false)}`,
        );
      } finally {
        external.push(...b.external);
        await b.close();
      }
    }
  }
  return { runs, external };
}

// ---------------------------------------------------------------------------------------------
// (3) JavaScript shipped

interface ChunkSize {
  readonly file: string;
  readonly group: "ours" | "maplibre";
  readonly loaded: "initial" | "lazy";
  readonly raw: number;
  readonly gzip: number;
  readonly brotli: number;
}

function bundleSizes(root: string): ChunkSize[] {
  const assets = join(root, "assets");
  const js = readdirSync(assets).filter((f) => /\.m?js$/.test(f));
  const html = readFileSync(join(root, "index.html"), "utf8");
  const initial = new Set(
    [
      ...html.matchAll(/<(?:script[^>]*\bsrc|link[^>]*rel="modulepreload"[^>]*\bhref)="\/assets\/([^"]+)"/g),
    ].map((m) => m[1]!),
  );
  // Static imports (`import … from"./x.js"`, `import"./x.js"`) of initial chunks load at start too;
  // `import(\`./x.js\`)` is lazy.
  const queue = [...initial];
  while (queue.length) {
    const f = queue.pop()!;
    if (!existsSync(join(assets, f))) continue;
    const text = readFileSync(join(assets, f), "utf8");
    for (const m of text.matchAll(/(?:\bfrom|\bimport)\s*"\.\/([^"]+\.m?js)"/g)) {
      if (!initial.has(m[1]!)) {
        initial.add(m[1]!);
        queue.push(m[1]!);
      }
    }
  }
  return js
    .map((file): ChunkSize => {
      const full = join(assets, file);
      const content = readFileSync(full);
      return {
        file,
        group: /^maplibre-/.test(file) ? "maplibre" : "ours",
        loaded: initial.has(file) ? "initial" : "lazy",
        raw: content.length,
        gzip: existsSync(`${full}.gz`) ? statSync(`${full}.gz`).size : gzipSync(content, { level: 9 }).length,
        brotli: existsSync(`${full}.br`) ? statSync(`${full}.br`).size : NaN,
      };
    })
    .sort((a, b) => a.group.localeCompare(b.group) || b.gzip - a.gzip);
}

// ---------------------------------------------------------------------------------------------
// (4) Lighthouse

interface LighthouseRun {
  readonly page: string;
  readonly preset: "desktop" | "mobile";
  readonly run: number;
  readonly file: string;
  readonly scores: Record<string, number>;
  readonly metrics: Record<string, { value: number; score: number; weight: number }>;
  /** The metric that costs the performance score most (weight × (1 − score)). */
  readonly worst: string;
  readonly external: readonly string[];
  readonly runtimeError?: string;
  readonly warnings: readonly string[];
}

interface Lhr {
  readonly categories: Record<string, { score: number | null; auditRefs: { id: string; weight: number }[] }>;
  readonly audits: Record<
    string,
    { score: number | null; numericValue?: number; details?: { items?: { url?: string }[] } }
  >;
  readonly runtimeError?: { code: string; message: string };
  readonly runWarnings: string[];
}

type LighthouseFn = (
  url: string,
  flags: Record<string, unknown>,
  config?: unknown,
) => Promise<{ lhr: Lhr; report: string | string[] } | undefined>;

async function runLighthouse(origin: string, runsPerCase: number): Promise<LighthouseRun[]> {
  // Module names in variables: their types (which pull in the DOM library) stay out of this program.
  const lhModule = "lighthouse";
  const desktopModule = "lighthouse/core/config/desktop-config.js";
  const launcherModule = "chrome-launcher";
  const lighthouse = ((await import(lhModule)) as { default: LighthouseFn }).default;
  const desktopConfig = ((await import(desktopModule)) as { default: unknown }).default;
  const { launch } = (await import(launcherModule)) as {
    launch: (opts: {
      chromePath: string;
      chromeFlags: string[];
    }) => Promise<{ port: number; kill: () => unknown }>;
  };
  const pages = [
    { name: "map", path: "/" },
    { name: "profile", path: `/?v=profile&a=${ALMERE}` },
  ];
  const out: LighthouseRun[] = [];
  for (let run = 1; run <= runsPerCase; run++) {
    for (const p of pages) {
      for (const preset of ["desktop", "mobile"] as const) {
        const chrome = await launch({
          chromePath: CHROMIUM,
          chromeFlags: ["--headless=new", ...CHROME_FLAGS],
        });
        try {
          const result = await lighthouse(
            origin + p.path,
            {
              port: chrome.port,
              output: "json",
              logLevel: "error",
              onlyCategories: ["performance", "accessibility", "best-practices"],
            },
            preset === "desktop" ? desktopConfig : undefined,
          );
          if (!result) throw new Error("lighthouse returned nothing");
          const file = join(OUT, `lighthouse-${p.name}-${preset}${runsPerCase > 1 ? `-${run}` : ""}.json`);
          writeFileSync(file, typeof result.report === "string" ? result.report : result.report.join(""));
          const lhr = result.lhr;
          const scores = Object.fromEntries(
            Object.entries(lhr.categories).map(([k, c]) => [k, Math.round((c.score ?? NaN) * 100)]),
          );
          const metrics: LighthouseRun["metrics"] = {};
          for (const ref of lhr.categories.performance?.auditRefs ?? []) {
            if (ref.weight === 0) continue;
            const a = lhr.audits[ref.id];
            metrics[ref.id] = { value: a?.numericValue ?? NaN, score: a?.score ?? NaN, weight: ref.weight };
          }
          const worst =
            Object.entries(metrics).sort(
              ([, a], [, b]) => b.weight * (1 - b.score) - a.weight * (1 - a.score),
            )[0]?.[0] ?? "–";
          const external = (lhr.audits["network-requests"]?.details?.items ?? [])
            .map((i) => i.url ?? "")
            .filter((u) => u && !u.startsWith(origin) && !u.startsWith("data:") && !u.startsWith("blob:"));
          out.push({
            page: p.name,
            preset,
            run,
            file: file.replace(`${ROOT}/`, ""),
            scores,
            metrics,
            worst,
            external,
            ...(lhr.runtimeError
              ? { runtimeError: `${lhr.runtimeError.code}: ${lhr.runtimeError.message}` }
              : {}),
            warnings: lhr.runWarnings,
          });
          log(
            `lighthouse ${p.name} ${preset} ${run}/${runsPerCase}: ${Object.entries(scores)
              .map(([k, v]) => `${k} ${v}`)
              .join(", ")}; worst metric ${worst}`,
          );
        } finally {
          await chrome.kill();
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const range = (xs: readonly number[]) =>
  xs.length ? `${fmtMs(Math.min(...xs))}–${fmtMs(Math.max(...xs))}` : "–";
const medOf = <T>(xs: readonly T[], f: (x: T) => number) => median(xs.map(f).filter(Number.isFinite));

const METRIC_NAMES: Record<string, string> = {
  "first-contentful-paint": "FCP",
  "largest-contentful-paint": "LCP",
  "total-blocking-time": "TBT",
  "cumulative-layout-shift": "CLS",
  "speed-index": "SI",
};

function fmtMetric(id: string, v: number): string {
  return id === "cumulative-layout-shift" ? v.toFixed(3) : fmtMs(v);
}

export async function run(): Promise<BenchResult> {
  ensureOut();
  const began = performance.now();
  const quick = argFlag("quick");
  const rounds = argNumber("runs", quick ? 3 : 7);
  const k = argNumber("switches", quick ? 8 : 20);
  const lighthouseRuns = argFlag("no-lighthouse") ? 0 : argNumber("lighthouse-runs", quick ? 1 : 3);
  const passes: ("A" | "B")[] = quick ? ["B"] : ["A", "B"];
  const partsAt = process.argv.indexOf("--parts");
  const parts = new Set(
    partsAt >= 0 ? (process.argv[partsAt + 1] ?? "").split(",") : ["navigation", "switching", "lighthouse"],
  );

  log("web build: packages/web/dist (built when stale), copied to bench/out/dashboard-web");
  const rootAt = process.argv.indexOf("--web-root");
  const web: WebSnapshot =
    rootAt >= 0
      ? { root: resolve(process.argv[rootAt + 1] ?? ""), inputsHash: "(--web-root)", builtAt: "?", dirty: [] }
      : snapshotWeb();
  log(
    `web build ${web.inputsHash.slice(0, 12)} of ${web.builtAt}; ${web.dirty.length} uncommitted paths in packages/web`,
  );
  await prepareDb();
  const chunks = bundleSizes(web.root);

  let server: ServerHandle | undefined;
  let nav: Awaited<ReturnType<typeof measureNavigation>>;
  let sw: Awaited<ReturnType<typeof measureSwitching>> | undefined;
  let lh: LighthouseRun[] = [];
  let serverReadyMs = NaN;
  const loads: Load[] = [];
  try {
    server = await startServer({ db: BENCH_DB, timeoutMs: 120_000, env: { WIJKRADAR_WEB_ROOT: web.root } });
    serverReadyMs = server.readyMs;
    const origin = `http://127.0.0.1:${server.port}`;
    log(`server on ${origin} (ready in ${fmtMs(server.readyMs)})`);
    nav = parts.has("navigation")
      ? await measured("navigation", loads, () => measureNavigation(origin, rounds))
      : { runs: [], external: [], jsLoaded: {} };
    if (k > 0 && parts.has("switching")) {
      const r = await fetch(`${origin}/api/indicators`);
      const { indicators } = (await r.json()) as { indicators: IndicatorInfo[] };
      sw = await measured("switching", loads, () => measureSwitching(origin, indicators, k, passes));
    }
    if (lighthouseRuns > 0 && parts.has("lighthouse"))
      lh = await measured("lighthouse", loads, () => runLighthouse(origin, lighthouseRuns));
  } finally {
    if (server) await stopServer(server);
    removeDb(BENCH_DB);
  }

  // --- tables
  const tables: Table[] = [];
  const coldRuns = nav.runs.filter((r) => r.cache === "cold" && !r.serverCold);
  const warmRuns = nav.runs.filter((r) => r.cache === "warm" && r.round > 0);
  const serverColdRuns = nav.runs.filter((r) => r.serverCold);
  const navRows = NAV_PAGES.map((p) => {
    const cold = coldRuns.filter((r) => r.page === p.name).map((r) => r.markMs);
    const warm = warmRuns.filter((r) => r.page === p.name).map((r) => r.markMs);
    const first = serverColdRuns.find((r) => r.page === p.name);
    return [
      `${p.name} (${p.path})`,
      cold.length,
      fmtMs(median(cold)),
      range(cold),
      "≤ 1.5 s",
      verdict(median(cold), NAV_TARGET_MS),
      fmtMs(median(warm)),
      range(warm),
      `${(median(cold) / median(warm)).toFixed(2)}×`,
      first ? fmtMs(first.markMs) : "–",
    ];
  });
  tables.push({
    title: "(1) Navigation → first rendered choropleth (wijkradar:choropleth mark), medians",
    columns: [
      "page",
      "runs",
      "cold cache",
      "cold min–max",
      "target",
      "verdict",
      "warm cache (same profile, 2nd visit)",
      "warm min–max",
      "cold ÷ warm",
      "first visit after server start (server caches cold)",
    ],
    rows: navRows,
  });
  tables.push({
    title: "(1b) Where the cold navigation goes (medians, ms from navigation start; responseEnd of each)",
    columns: [
      "page",
      "document",
      "JS (non-worker) loaded",
      "DOMContentLoaded",
      "/api/indicators",
      "values",
      "geo request starts",
      "geo loaded",
      "MapLibre worker loaded",
      "mark",
      "mark − geo loaded",
      "geo bytes (as sent)",
      "JS bytes (as sent)",
      "bytes until mark",
      "long tasks (n / total / longest)",
    ],
    rows: NAV_PAGES.map((p) => {
      const rs = coldRuns.filter((r) => r.page === p.name);
      const m = (f: (r: NavRun) => number) => medOf(rs, f);
      return [
        p.name,
        fmtMs(m((r) => r.responseEnd)),
        fmtMs(m((r) => r.jsEnd)),
        fmtMs(m((r) => r.dcl)),
        fmtMs(m((r) => r.indicatorsEnd)),
        fmtMs(m((r) => r.valuesEnd)),
        fmtMs(m((r) => r.geoStart)),
        fmtMs(m((r) => r.geoEnd)),
        fmtMs(m((r) => r.workerEnd)),
        fmtMs(m((r) => r.markMs)),
        fmtMs(m((r) => r.markMs - r.geoEnd)),
        fmtBytes(m((r) => r.geoBytes)),
        fmtBytes(m((r) => r.jsEncoded)),
        fmtBytes(m((r) => r.transfer)),
        `${m((r) => r.longTasks)} / ${fmtMs(m((r) => r.longTaskMs))} / ${fmtMs(m((r) => r.longestTaskMs))}`,
      ];
    }),
  });

  if (sw) {
    const rows: (string | number)[][] = [];
    for (const pass of passes) {
      for (const scope of SWITCH_PAGES) {
        for (const kind of ["indicator", "period"] as const) {
          for (const first of [true, false]) {
            const rs = sw.runs.filter(
              (r) => r.pass === pass && r.scope === scope.name && r.kind === kind && r.first === first,
            );
            if (!rs.length) continue;
            const ms = rs.map((r) => r.ms);
            rows.push([
              pass,
              scope.name,
              kind,
              first ? "first time" : "repeated (cached)",
              rs.length,
              fmtMs(median(ms)),
              fmtMs(quantile(ms, 0.9)),
              range(ms),
              verdict(median(ms), SWITCH_TARGET_MS),
              fmtMs(median(rs.map((r) => r.settledMs))),
              rs.filter((r) => r.marks > 1).length,
              `${rs.filter((r) => r.fetchedValues).length} / ${rs.filter((r) => r.fetchedGeo).length}`,
              fmtMs(median(rs.map((r) => r.longTaskMs))),
            ]);
          }
        }
      }
    }
    tables.push({
      title: "(2) Switching indicator or period → mark with the new key (ms from just before the change)",
      columns: [
        "pass",
        "scope",
        "switch",
        "data",
        "n",
        "median",
        "p90",
        "min–max",
        "verdict (≤ 300 ms)",
        "median to last mark with the key (settled)",
        "switches with > 1 mark for the key",
        "fetched values / geo",
        "long tasks until mark (median total)",
      ],
      rows,
    });
  }

  const sum = (f: (c: ChunkSize) => boolean, g: (c: ChunkSize) => number) =>
    chunks.filter(f).reduce((n, c) => n + g(c), 0);
  const ours = (c: ChunkSize) => c.group === "ours";
  const ml = (c: ChunkSize) => c.group === "maplibre";
  tables.push({
    title:
      "(3) JavaScript shipped (production build; gzip = the build's .gz files, level 9; brotli = what Chromium is sent)",
    columns: ["what", "raw", "gzip", "brotli", "target", "verdict"],
    rows: [
      [
        "ours: every .js except MapLibre",
        kb(sum(ours, (c) => c.raw)),
        kb(sum(ours, (c) => c.gzip)),
        kb(sum(ours, (c) => c.brotli)),
        "≤ 400 KB gzip",
        verdict(
          sum(ours, (c) => c.gzip),
          JS_TARGET_BYTES,
        ),
      ],
      [
        "ours, loaded at start (entry, static imports, modulepreloads)",
        kb(
          sum(
            (c) => ours(c) && c.loaded === "initial",
            (c) => c.raw,
          ),
        ),
        kb(
          sum(
            (c) => ours(c) && c.loaded === "initial",
            (c) => c.gzip,
          ),
        ),
        kb(
          sum(
            (c) => ours(c) && c.loaded === "initial",
            (c) => c.brotli,
          ),
        ),
        "–",
        "–",
      ],
      [
        "ours, lazy (profile, compare, …)",
        kb(
          sum(
            (c) => ours(c) && c.loaded === "lazy",
            (c) => c.raw,
          ),
        ),
        kb(
          sum(
            (c) => ours(c) && c.loaded === "lazy",
            (c) => c.gzip,
          ),
        ),
        kb(
          sum(
            (c) => ours(c) && c.loaded === "lazy",
            (c) => c.brotli,
          ),
        ),
        "–",
        "–",
      ],
      [
        "MapLibre (maplibre-* chunk and worker)",
        kb(sum(ml, (c) => c.raw)),
        kb(sum(ml, (c) => c.gzip)),
        kb(sum(ml, (c) => c.brotli)),
        "(excluded)",
        "–",
      ],
      ...chunks.map((c) => [
        `  ${c.file} (${c.group}, ${c.loaded})`,
        kb(c.raw),
        kb(c.gzip),
        kb(c.brotli),
        "",
        "",
      ]),
    ],
  });
  tables.push({
    title: "(3b) JavaScript the pages actually loaded (resource timing, bytes as sent: brotli)",
    columns: ["page", "files", "ours", "MapLibre", "all"],
    rows: Object.entries(nav.jsLoaded).map(([page, res]) => {
      const isMl = (r: ResourceEntry) => /\/maplibre-/.test(r.name);
      const bytes = (f: (r: ResourceEntry) => boolean) => res.filter(f).reduce((n, r) => n + r.encoded, 0);
      return [
        page,
        res.map((r) => new URL(r.name).pathname.replace("/assets/", "")).join(", "),
        kb(bytes((r) => !isMl(r))),
        kb(bytes(isMl)),
        kb(bytes(() => true)),
      ];
    }),
  });

  if (lh.length) {
    const cases = [...new Set(lh.map((r) => `${r.page}|${r.preset}`))];
    tables.push({
      title:
        "(4) Lighthouse 12 (medians over runs; performance score weights: TBT 30, LCP 25, CLS 25, FCP 10, SI 10)",
      columns: [
        "page",
        "preset",
        "runs",
        "performance",
        "accessibility",
        "best practices",
        "verdict (≥ 90)",
        "FCP",
        "LCP",
        "TBT",
        "CLS",
        "SI",
        "costs the most",
        "report",
      ],
      rows: cases.map((c) => {
        const rs = lh.filter((r) => `${r.page}|${r.preset}` === c);
        const s = (cat: string) => median(rs.map((r) => r.scores[cat] ?? NaN));
        const mv = (id: string) => fmtMetric(id, median(rs.map((r) => r.metrics[id]?.value ?? NaN)));
        const ok = ["performance", "accessibility", "best-practices"].every(
          (cat) => s(cat) >= LIGHTHOUSE_TARGET,
        );
        return [
          rs[0]!.page,
          rs[0]!.preset,
          rs.length,
          s("performance"),
          s("accessibility"),
          s("best-practices"),
          ok ? "ok" : "**MISS**",
          mv("first-contentful-paint"),
          mv("largest-contentful-paint"),
          mv("total-blocking-time"),
          mv("cumulative-layout-shift"),
          mv("speed-index"),
          [...new Set(rs.map((r) => METRIC_NAMES[r.worst] ?? r.worst))].join(", "),
          rs.map((r) => r.file).join(", "),
        ];
      }),
    });
  }

  const external = [...new Set([...nav.external, ...(sw?.external ?? []), ...lh.flatMap((r) => r.external)])];
  return {
    name: "dashboard",
    title: "Dashboard in the browser (bench/dashboard.ts)",
    command: `node --import tsx bench/dashboard.ts --runs ${rounds} --switches ${k} --lighthouse-runs ${lighthouseRuns}${quick ? " --quick" : ""}`,
    machine: machine(),
    durationMs: performance.now() - began,
    tables,
    notes: [
      `Web build ${web.inputsHash.slice(0, 12)} (built ${web.builtAt}); uncommitted paths in packages/web at the time: ${web.dirty.length ? web.dirty.join("; ") : "none"}.`,
      `Server: compiled CLI on a copy of ${DEMO_DB.replace(`${ROOT}/`, "")} (demo data loaded), ready in ${fmtMs(serverReadyMs)}. ${spawnSync(CHROMIUM, ["--version"], { encoding: "utf8" }).stdout.trim() || CHROMIUM} (${CHROMIUM}) headless, ${VIEWPORT.width}×${VIEWPORT.height}, flags ${CHROME_FLAGS.join(" ")}; a fresh profile per cold run.`,
      "Times come from the page's own clock: the mark's startTime (navigation) and performance.now() just before the change event (switching). The app marks at MapLibre's idle after the new colours (and, since fd310fd, the boundaries of the figures' division) are drawn; the first view jumps, a drill-down animates 300 ms.",
      `Requests not to 127.0.0.1 (browser and Lighthouse): ${external.length ? external.join(", ") : "none"}.`,
      `CPU while measuring (2 cores in all): ${loads.map((l) => `${l.part} ${l.seconds.toFixed(0)} s, this benchmark (bench, browsers, server) ${l.ownCores.toFixed(2)} cores, other load ${l.otherCores.toFixed(2)} cores`).join("; ")}.`,
      ...lh
        .filter((r) => r.runtimeError || r.warnings.length)
        .map(
          (r) =>
            `Lighthouse ${r.page} ${r.preset} ${r.run}: ${[r.runtimeError, ...r.warnings].filter(Boolean).join("; ")}`,
        ),
    ],
    raw: {
      web,
      loads,
      chunks,
      navigation: nav.runs,
      jsLoaded: nav.jsLoaded,
      switching: sw?.runs ?? [],
      lighthouse: lh,
    },
  };
}

if (isMain(import.meta.url)) report(await run());
