/**
 * The field app's first load on a phone over a throttled connection (issue 7: ≤ 3 s), and the
 * dashboard's under the same conditions for comparison.
 *
 * Headless Chromium (Debian) at 375×812 (mobile, touch), Chromium DevTools' "Fast 3G" profile through
 * CDP `Network.emulateNetworkConditions`: latency 562.5 ms (150 ms × 3.75), download 180,000 B/s
 * (1.6 Mbit/s × 0.9 ÷ 8), upload 84,375 B/s (750 kbit/s × 0.9 ÷ 8) — DevTools' own numbers. Cold: a new
 * browser context per run (empty HTTP cache, no service worker yet; the app registers its worker
 * during the load, as on a real first visit), logged in as the demo field worker (the session cookie
 * set through the context's request API before the navigation, which fills no cache).
 *
 * Measured per run, from navigation start (the marks' startTime):
 * - /veld/?s=new: until the app's `wijkradar:field-ready` mark (the observation form has rendered,
 *   with its categories, and takes input);
 * - /: until the dashboard's `wijkradar:choropleth` mark (the first map painted);
 * and the bytes the page transferred until then (CDP Network.loadingFinished encodedDataLength: the
 * compressed bytes on the wire, headers included), the requests, and the load event. Median of
 * `--runs` (default 5) runs each, alternating.
 *
 * The server is the real app in this process (buildApp, as the browser tests run it) on a copy of
 * bench/out/demo.duckdb (or the test template) with the demo accounts; the web build is
 * packages/web/dist, rebuilt first when stale.
 *
 * Usage: node --import tsx bench/field-load.ts [--runs 5]
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { buildApp, type App } from "../packages/server/src/api/app.js";
import { createDemoAccounts } from "../packages/server/src/demo/demo-accounts.js";
import { Database } from "../packages/server/src/store/database.js";
import { ensureWebBuild } from "../packages/web/scripts/build.mjs";
import {
  argNumber,
  DEMO_DB,
  fmtBytes,
  fmtMs,
  isMain,
  log,
  machine,
  median,
  report,
  verdict,
  type BenchResult,
} from "./lib.js";

const TARGET_MS = 3000;
/** Chromium DevTools' "Fast 3G" preset (front_end/core/sdk/NetworkManager.ts). */
export const FAST_3G = {
  offline: false,
  latency: 562.5,
  downloadThroughput: 180_000,
  uploadThroughput: 84_375,
} as const;
const PHONE = { width: 375, height: 812 };
const TEMPLATE = "/tmp/wr-template/demo-template.duckdb";

interface Run {
  readonly ms: number;
  readonly bytes: number;
  readonly requests: number;
  readonly loadEventMs: number;
}

/** The part of the page's Performance API the predicate uses (the bench has no DOM library). */
interface MarkLookup {
  getEntriesByName(name: string, type: string): { startTime: number }[];
}

interface Target {
  readonly name: string;
  readonly path: string;
  readonly mark: string;
}

const TARGETS: readonly Target[] = [
  { name: "field app /veld/ (new observation)", path: "/veld/?s=new", mark: "wijkradar:field-ready" },
  { name: "dashboard / (first map)", path: "/", mark: "wijkradar:choropleth" },
];

async function once(
  browser: Browser,
  base: string,
  target: Target,
  login: { username: string; password: string },
): Promise<Run> {
  const context = await browser.newContext({
    viewport: PHONE,
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
    locale: "nl-NL",
  });
  try {
    const res = await context.request.post(`${base}/api/auth/login`, { data: login });
    if (!res.ok()) throw new Error(`login: ${res.status()} ${await res.text()}`);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: false });
    await cdp.send("Network.emulateNetworkConditions", FAST_3G);
    let bytes = 0;
    let requests = 0;
    let counting = true;
    cdp.on("Network.loadingFinished", (e: { encodedDataLength: number }) => {
      if (!counting) return;
      bytes += e.encodedDataLength;
      requests++;
    });
    await page.goto(`${base}${target.path}`, { waitUntil: "commit" });
    // A function, not a string: the page's CSP has no 'unsafe-eval'.
    const handle = await page.waitForFunction(
      (mark: string) => {
        const perf = (globalThis as unknown as { performance: MarkLookup }).performance;
        const m = perf.getEntriesByName(mark, "mark")[0];
        return m ? m.startTime : false;
      },
      target.mark,
      { timeout: 120_000 },
    );
    const ms = (await handle.jsonValue()) as number;
    counting = false;
    const loadEventMs = await page.evaluate<number>(
      `(() => { const n = performance.getEntriesByType("navigation")[0]; return n ? n.loadEventEnd : 0; })()`,
    );
    return { ms, bytes, requests, loadEventMs };
  } finally {
    await context.close();
  }
}

export async function run(): Promise<BenchResult> {
  const began = performance.now();
  const runs = Math.max(1, argNumber("runs", 5));
  const built = await ensureWebBuild({ log });
  log(built.built ? `web build refreshed (${fmtMs(built.ms)})` : "web build fresh");

  const dir = mkdtempSync(join(tmpdir(), "wijkradar-field-load-"));
  const dbPath = join(dir, "bench.duckdb");
  const source = existsSync(DEMO_DB) ? DEMO_DB : TEMPLATE;
  if (!existsSync(source))
    throw new Error(`no demo database at ${DEMO_DB} or ${TEMPLATE}: run bench/first-start.ts`);
  copyFileSync(source, dbPath);
  const db = await Database.open({ path: dbPath });
  let app: App | undefined;
  let browser: Browser | undefined;
  try {
    app = await buildApp({ db, logLevel: "silent" });
    await app.server.listen({ port: 0, host: "127.0.0.1" });
    const addr = app.server.server.address();
    if (typeof addr !== "object" || addr === null) throw new Error("no address");
    const base = `http://127.0.0.1:${addr.port}`;
    const accounts = await createDemoAccounts(db, app.admin);
    const worker = accounts.find((a) => a.username === "wijkwerker");
    if (!worker) throw new Error("the demo field worker was not created (the database has accounts already)");
    const login = { username: worker.username, password: worker.password };

    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
      ],
    });
    // One warm-up of each (the server's caches), not counted.
    for (const t of TARGETS) await once(browser, base, t, login);
    const results = new Map<string, Run[]>(TARGETS.map((t) => [t.name, []]));
    for (let i = 0; i < runs; i++)
      for (const t of TARGETS) {
        const r = await once(browser, base, t, login);
        results.get(t.name)!.push(r);
        log(`${t.name} run ${i + 1}: ${fmtMs(r.ms)}, ${fmtBytes(r.bytes)} in ${r.requests} requests`);
      }

    const rows = TARGETS.map((t) => {
      const rs = results.get(t.name)!;
      const ms = median(rs.map((r) => r.ms));
      return [
        t.name,
        fmtMs(ms),
        `${fmtMs(Math.min(...rs.map((r) => r.ms)))} – ${fmtMs(Math.max(...rs.map((r) => r.ms)))}`,
        fmtBytes(median(rs.map((r) => r.bytes))),
        String(median(rs.map((r) => r.requests))),
        t.mark === "wijkradar:field-ready" ? verdict(ms, TARGET_MS) : "(comparison)",
      ];
    });
    return {
      name: "field-load",
      title: "Field app: first load on a phone, Fast 3G, cold (issue 7)",
      command: `node --import tsx bench/field-load.ts --runs ${runs}`,
      tables: [
        {
          title: `First load at 375×812 over Chromium's "Fast 3G" (562.5 ms latency, 180,000 B/s down, 84,375 B/s up), new context per run, median of ${runs}`,
          columns: [
            "page",
            "until usable (median)",
            "range",
            "transferred (median)",
            "requests",
            "target ≤ 3 s",
          ],
          rows,
        },
      ],
      notes: [
        "Until usable: navigation start to the page's own mark — the field app's observation form rendered (`wijkradar:field-ready`), the dashboard's first painted map (`wijkradar:choropleth`).",
        "Transferred: compressed bytes on the wire (CDP encodedDataLength) of the page's requests until that mark; the field app's service worker precaches its shell in parallel (not counted: another target).",
        `Server in process (buildApp) on a copy of ${source === DEMO_DB ? "bench/out/demo.duckdb" : "the test template database"}, logged in as the demo field worker; web build packages/web/dist.`,
      ],
      raw: Object.fromEntries(results),
      machine: machine(),
      durationMs: performance.now() - began,
    };
  } finally {
    await browser?.close();
    await app?.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) report(await run());
