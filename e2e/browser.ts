/**
 * Browser tests of the dashboard: Debian's Chromium driven by playwright-core against the real
 * wijkradar server (the production build of packages/web/dist, fresh from the vitest global setup,
 * and the API on a private copy of the demo database). One browser per test file.
 *
 * The root tsconfig has no DOM library (server code must not see browser globals), so the functions
 * that run in the page describe the little of the browser they use in `PageGlobals` below.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { buildApp, type App } from "../packages/server/src/api/app.js";
import { Database } from "../packages/server/src/store/database.js";
import { demoDbCopy, listenOnLoopback, tempDir } from "../packages/server/test/fixtures.js";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const SCREENSHOTS = join(ROOT, "test-output", "screenshots");
/** `WIJKRADAR_UPDATE_SCREENSHOTS=1` also writes the README screenshots in docs/img. */
export const UPDATE_DOC_IMAGES = process.env.WIJKRADAR_UPDATE_SCREENSHOTS === "1";

const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // Not --disable-software-rasterizer: MapLibre needs WebGL, which headless Chromium renders in software.
];

export interface SessionOptions {
  readonly viewport?: { readonly width: number; readonly height: number };
  readonly isMobile?: boolean;
  readonly hasTouch?: boolean;
}

export interface Session {
  /** http://127.0.0.1:<port> of the wijkradar server. */
  readonly base: string;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every URL a page of the context asked for, in order (including failed and blocked ones). */
  readonly requests: string[];
  /** Console messages of type error and uncaught page errors. */
  readonly errors: string[];
  /** The server's app and database (to create accounts, read the audit trail). */
  readonly app: App;
  readonly db: Database;
  /** GET from the server as JSON (not through the browser, not recorded). */
  json<T>(path: string): Promise<T>;
  close(): Promise<void>;
}

/** Starts a server on a copy of the demo database and a headless Chromium with a fresh profile. */
export async function startSession(options: SessionOptions = {}): Promise<Session> {
  const db = await Database.open({ path: demoDbCopy() });
  let app: App | undefined;
  let context: BrowserContext | undefined;
  try {
    app = await buildApp({ db, logLevel: "silent" });
    const base = await listenOnLoopback(app);
    context = await chromium.launchPersistentContext(tempDir(), {
      executablePath: "/usr/bin/chromium",
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: options.viewport ?? { width: 1280, height: 800 },
      deviceScaleFactor: 1,
      isMobile: options.isMobile ?? false,
      hasTouch: options.hasTouch ?? false,
      locale: "nl-NL",
      timezoneId: "Europe/Amsterdam",
      reducedMotion: "reduce",
    });
    const requests: string[] = [];
    const errors: string[] = [];
    context.on("request", (r) => requests.push(r.url()));
    const watch = (page: Page) => {
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(`console: ${m.text()} (${m.location().url})`);
      });
      page.on("pageerror", (e) => errors.push(`page error: ${e.message}`));
    };
    context.pages().forEach(watch);
    context.on("page", watch);
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(30_000);
    const started = { app, context };
    return {
      base,
      context,
      page,
      requests,
      errors,
      app,
      db,
      async json<T>(path: string): Promise<T> {
        const res = await fetch(`${base}${path}`);
        if (!res.ok) throw new Error(`${path}: ${res.status}`);
        return (await res.json()) as T;
      },
      async close() {
        await started.context.close();
        await started.app.close();
        db.close();
      },
    };
  } catch (e) {
    await context?.close();
    await app?.close();
    db.close();
    throw e;
  }
}

/** The key the map container carries once painted: indicator|period|level|parent (NL01 nationally). */
export const renderKey = (indicator: string, period: string, level: string, parent = "NL01"): string =>
  `${indicator}|${period}|${level}|${parent}`;

/**
 * Waits until the map has painted the choropleth: for exactly `key` (see renderKey), for any data
 * within `parent`, or, without either, for anything.
 */
export async function waitForMap(page: Page, key?: string | { readonly parent: string }): Promise<void> {
  const rendered =
    key === undefined
      ? "[data-rendered]"
      : typeof key === "string"
        ? `[data-rendered=${JSON.stringify(key)}]`
        : `[data-rendered$=${JSON.stringify(`|${key.parent}`)}]`;
  await page.locator(`[data-testid=map][data-state=ready]${rendered}`).waitFor({ state: "attached" });
}

/** What the map shows now: indicator, period, level and parent of its data-rendered key. */
export async function rendered(
  page: Page,
): Promise<{ indicator: string; period: string; level: string; parent: string }> {
  const key = (await page.locator("[data-testid=map]").getAttribute("data-rendered")) ?? "";
  const [indicator = "", period = "", level = "", parent = ""] = key.split("|");
  return { indicator, period, level, parent };
}

/** The values of attribute `name` of every element matching `selector`, in document order. */
export async function attributes(page: Page, selector: string, name: string): Promise<string[]> {
  return page.evaluate(
    ([selector, name]) =>
      [...(globalThis as unknown as PageGlobals).document.querySelectorAll(selector)].map(
        (el) => el.getAttribute(name) ?? "",
      ),
    [selector, name] as const,
  );
}

/** The URL's query of the page as an object. */
export const query = (page: Page): Record<string, string> =>
  Object.fromEntries(new URL(page.url()).searchParams);

// --- the browser as the page functions see it -------------------------------------------------

interface Rect {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}
interface PageElement {
  readonly tagName: string;
  readonly id: string;
  readonly className: unknown;
  readonly textContent: string | null;
  readonly outerHTML: string;
  readonly scrollWidth: number;
  readonly clientWidth: number;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): Rect;
  closest(selector: string): PageElement | null;
  checkVisibility(options?: { visibilityProperty?: boolean; opacityProperty?: boolean }): boolean;
}
interface RenderedFeature {
  readonly properties: Record<string, unknown>;
  readonly geometry: { readonly type: string; readonly coordinates: unknown };
}
/** The part of MapLibre's Map the tests use (window.wijkradarMap, see MapView.tsx). */
interface MapHook {
  getCanvas(): PageElement;
  project(lngLat: [number, number]): { x: number; y: number };
  queryRenderedFeatures(
    geometry?: [number, number] | { layers: string[] },
    options?: { layers: string[] },
  ): RenderedFeature[];
  getFeatureState(feature: { source: string; id: string }): Record<string, unknown>;
}
interface AxeNode {
  readonly target: unknown[];
  readonly failureSummary?: string;
}
interface AxeViolation {
  readonly id: string;
  readonly impact?: string | null;
  readonly help: string;
  readonly nodes: AxeNode[];
}
interface PageGlobals {
  readonly document: {
    readonly activeElement: PageElement | null;
    readonly scrollingElement: PageElement | null;
    querySelectorAll(selector: string): Iterable<PageElement>;
    elementFromPoint(x: number, y: number): PageElement | null;
  };
  readonly innerWidth: number;
  scrollTo(x: number, y: number): void;
  readonly wijkradarMap?: MapHook;
  readonly axe?: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> };
}

// --- the map ------------------------------------------------------------------------------------

/**
 * Where the area `code` is drawn, in page coordinates: a point inside its polygon (MapLibre's own
 * hit test, so a click there reaches the area), not covered by a control; undefined if not drawn.
 */
export async function pointOfArea(page: Page, code: string): Promise<{ x: number; y: number } | undefined> {
  const point = await page.evaluate((code) => {
    const g = globalThis as unknown as PageGlobals;
    const map = g.wijkradarMap;
    if (!map) throw new Error("window.wijkradarMap is not set: the map has not loaded");
    const canvas = map.getCanvas();
    const rect = canvas.getBoundingClientRect();
    // The bounding box of the area from the rendered geometry (tile pieces included).
    let box: [number, number, number, number] | undefined;
    const visit = (c: unknown): void => {
      if (Array.isArray(c) && typeof c[0] === "number" && typeof c[1] === "number") {
        const p = map.project([c[0], c[1]]);
        box = box
          ? [Math.min(box[0], p.x), Math.min(box[1], p.y), Math.max(box[2], p.x), Math.max(box[3], p.y)]
          : [p.x, p.y, p.x, p.y];
      } else if (Array.isArray(c)) c.forEach(visit);
    };
    for (const f of map.queryRenderedFeatures({ layers: ["areas-fill"] }))
      if (f.properties.code === code) visit(f.geometry.coordinates);
    if (!box) return undefined;
    const x0 = Math.max(box[0], 0);
    const y0 = Math.max(box[1], 0);
    const x1 = Math.min(box[2], rect.width);
    const y1 = Math.min(box[3], rect.height);
    const hits: { x: number; y: number }[] = [];
    const steps = 20;
    for (let i = 1; i < steps; i++)
      for (let j = 1; j < steps; j++) {
        const x = x0 + ((x1 - x0) * i) / steps;
        const y = y0 + ((y1 - y0) * j) / steps;
        const top = map.queryRenderedFeatures([x, y], { layers: ["areas-fill"] })[0];
        if (top?.properties.code !== code) continue;
        if (g.document.elementFromPoint(rect.left + x, rect.top + y) !== canvas) continue;
        hits.push({ x, y });
      }
    if (hits.length === 0) return undefined;
    // The hit nearest to the middle of all hits: well inside the area.
    const mx = hits.reduce((s, h) => s + h.x, 0) / hits.length;
    const my = hits.reduce((s, h) => s + h.y, 0) / hits.length;
    const best = hits.reduce((a, b) =>
      Math.hypot(a.x - mx, a.y - my) <= Math.hypot(b.x - mx, b.y - my) ? a : b,
    );
    return { x: rect.left + best.x, y: rect.top + best.y };
  }, code);
  return point ?? undefined;
}

/** The feature state of an area on the map (hover, selected, status, colour). */
export async function featureState(page: Page, code: string): Promise<Record<string, unknown>> {
  return page.evaluate((code) => {
    const map = (globalThis as unknown as PageGlobals).wijkradarMap;
    if (!map) throw new Error("window.wijkradarMap is not set: the map has not loaded");
    return map.getFeatureState({ source: "areas", id: code });
  }, code);
}

// --- focus, layout, targets ---------------------------------------------------------------------

/** The focused element as "tag#id.class: text" (for asserting the tab order). */
export async function focused(page: Page): Promise<{ tag: string; id: string; cls: string; text: string }> {
  return page.evaluate(() => {
    const el = (globalThis as unknown as PageGlobals).document.activeElement;
    return {
      tag: el?.tagName.toLowerCase() ?? "",
      id: el?.id ?? "",
      cls: typeof el?.className === "string" ? el.className : "",
      text: (el?.textContent ?? "").trim(),
    };
  });
}

/** How far the page scrolls sideways: scrollWidth of the document and the viewport width. */
export async function pageWidth(page: Page): Promise<{ scrollWidth: number; viewport: number }> {
  return page.evaluate(() => {
    const g = globalThis as unknown as PageGlobals;
    return { scrollWidth: g.document.scrollingElement?.scrollWidth ?? 0, viewport: g.innerWidth };
  });
}

export interface SmallTarget {
  readonly element: string;
  readonly width: number;
  readonly height: number;
}

/**
 * Visible buttons, links, selects, inputs and summaries smaller than `min` × `min` CSS px (WCAG 2.5.5
 * target size). Skipped: the skip link while hidden off screen and MapLibre's canvas (the map itself).
 */
export async function smallTargets(page: Page, min = 44): Promise<SmallTarget[]> {
  return page.evaluate((min) => {
    const g = globalThis as unknown as PageGlobals;
    const out: { element: string; width: number; height: number }[] = [];
    const selector = "a[href], button, select, input:not([type=hidden]), summary, [role=option]";
    for (const el of g.document.querySelectorAll(selector)) {
      if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      if (r.left + r.width <= 0 || r.top + r.height <= 0) continue; // moved off screen (skip link)
      if (r.width + 0.5 >= min && r.height + 0.5 >= min) continue;
      const cls = typeof el.className === "string" && el.className ? `.${el.className.split(" ")[0]}` : "";
      const label = (el.getAttribute("aria-label") ?? el.textContent ?? "").trim().slice(0, 40);
      out.push({
        element: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${cls} "${label}"`,
        width: Math.round(r.width * 10) / 10,
        height: Math.round(r.height * 10) / 10,
      });
    }
    return out;
  }, min);
}

/** Scrolls the page back to its top (a tap scrolls the tapped control into view). */
export async function scrollToTop(page: Page): Promise<void> {
  await page.evaluate(() => (globalThis as unknown as PageGlobals).scrollTo(0, 0));
}

// --- axe ----------------------------------------------------------------------------------------

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/**
 * Runs axe-core (WCAG 2.0/2.1 A and AA rules) on the page and returns the serious and critical
 * violations, one line per element: "rule (impact): help — target".
 */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the server's Content-Security-Policy (script-src 'self')
  // refuses an injected inline <script>, as it should.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const g = globalThis as unknown as PageGlobals;
    if (!g.axe) throw new Error("axe-core was not injected");
    const result = await g.axe.run(g.document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
      resultTypes: ["violations"],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? "",
      help: v.help,
      targets: v.nodes.map((n) => JSON.stringify(n.target)),
    }));
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.targets.map((t) => `${v.id} (${v.impact}): ${v.help} — ${t}`));
}

// --- screenshots --------------------------------------------------------------------------------

/** Saves a PNG of the page to test-output/screenshots/<name>.png, and to `docImage` (under the repository) when asked. */
export async function screenshot(page: Page, name: string, docImage?: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const png = await page.screenshot({ animations: "disabled", caret: "hide" });
  writeFileSync(join(SCREENSHOTS, `${name}.png`), png);
  if (docImage && UPDATE_DOC_IMAGES) {
    const path = join(ROOT, docImage);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, png);
  }
}
