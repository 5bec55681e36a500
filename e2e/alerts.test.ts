/**
 * Early warning in the dashboard (issue 5), in a real Chromium against the real server on a copy of
 * the demo database, which holds a finished detection run: the alert inbox (ranked as the API, its
 * filters, paging), the alert layer of the map (areas coloured by their worst alert, the tested ones
 * blue or grey exactly as the API lists them, a click opens the area's strongest alert the layer
 * names), the alert page (every test in words with figures that match the API, parameters, history,
 * the charts with source and period, control lines at the run's Benjamini–Hochberg p cut-offs, the
 * cluster map outlining exactly the neighbours the test used), English, axe-core, and a 375×812 phone
 * viewport.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  attributes,
  axeViolations,
  featureState,
  pageWidth,
  pointOfArea,
  query,
  ROOT,
  screenshot,
  smallTargets,
  startSession,
  waitForMap,
  type Session,
} from "./browser.js";

// --- the API's shapes, as far as the tests read them ----------------------------------------------

interface Indicator {
  id: string;
  name: { nl: string; en: string };
  unit: string;
  decimals: number;
  polarity: "higher-is-worse" | "higher-is-better" | "neutral";
}
interface AlertSummary {
  id: number;
  areaCode: string;
  gemeenteCode: string | null;
  level: string;
  division: number;
  domain: string;
  indicatorId: string;
  detector: string;
  detectors: string[];
  period: string;
  severity: "red" | "yellow";
  status: string;
  attribution: string | null;
}
interface AlertList {
  total: number;
  alerts: AlertSummary[];
}
interface AlertTest {
  indicatorId: string;
  detector: string;
  period: string;
  observed: number | null;
  expected: number | null;
  effect: number;
  p: number;
  q: number;
  severity: string;
  details: Record<string, number | string | null>;
  attribution: string;
}
interface AlertDetail extends AlertSummary {
  lastRun: number;
  explanation: AlertTest[];
  events: { event: string; status: string; runId: number | null }[];
  parameters: { fdr: number; severity: { red: number; yellow: number }; space: { permutations: number } };
}
interface AlertRun {
  id: number;
  tests: number;
  pCutoffs: { red: number | null; yellow: number | null };
}
interface AlertDetailResponse {
  alert: AlertDetail;
  run: AlertRun | null;
}
interface AlertMap {
  areas: { code: string; severity: "red" | "yellow"; alerts: number; alertId: number }[];
  tested: { code: string; division: number; severity: "blue" | "grey" }[];
}
interface AreaSummary {
  code: string;
  name: string | null;
}

type Locale = {
  nav: Record<string, string>;
  chart: Record<string, string>;
  explain: Record<string, string>;
  levelPlural: Record<string, string>;
  domain: Record<string, string>;
  detector: Record<string, string>;
  severity: Record<string, string>;
  alertStatus: Record<string, string>;
  alertEvent: Record<string, string>;
  alerts: Record<string, string>;
  alert: Record<string, string>;
  layer: Record<string, string>;
};
const locale = (lang: "nl" | "en") =>
  JSON.parse(readFileSync(join(ROOT, "packages", "web", "src", "locales", `${lang}.json`), "utf8")) as Locale;
const nl = locale("nl");
const en = locale("en");

/** The colours of the alert layer (packages/web/src/lib/alerts.ts, LAYER_FILL): white for untested areas. */
const LAYER_FILL = {
  red: "#c8102e",
  yellow: "#f9c20a",
  blue: "#c6dbef",
  grey: "#d9d9d9",
  untested: "#ffffff",
};
const PHONE = { width: 375, height: 812 };
const DESKTOP = { width: 1280, height: 800 };

// --- numbers as the dashboard writes them in Dutch --------------------------------------------------

const NBSP = "\u00a0";
const nf = (v: number, decimals: number) =>
  new Intl.NumberFormat("nl-NL", { minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(
    v,
  );
const signed = (v: number, decimals: number) => {
  const text = nf(Math.abs(v), decimals);
  return /^[0.,]+$/.test(text) ? text : `${v > 0 ? "+" : "−"}${text}`;
};
const SUP: Record<string, string> = {
  "-": "⁻",
  "0": "⁰",
  "1": "¹",
  "2": "²",
  "3": "³",
  "4": "⁴",
  "5": "⁵",
  "6": "⁶",
  "7": "⁷",
  "8": "⁸",
  "9": "⁹",
};
/** p and q: two significant digits, a power of ten below 0.001. */
const probability = (p: number): string => {
  if (p <= 0) return `<${NBSP}1${NBSP}×${NBSP}10⁻³⁰⁰`;
  if (p >= 0.001)
    return nf(Number(p.toPrecision(2)), Math.min(4, Math.max(0, 1 - Math.floor(Math.log10(p)))));
  let e = Math.floor(Math.log10(p));
  let m = Number((p / 10 ** e).toFixed(1));
  if (m >= 10) {
    m /= 10;
    e += 1;
  }
  return `${nf(m, 1)}${NBSP}×${NBSP}10${[...String(e)].map((c) => SUP[c]).join("")}`;
};
/**
 * The one-sided normal quantile z = Φ⁻¹(1 − p), independently of the dashboard's: bisection on the
 * upper tail ½·erfc(z/√2) with the Chebyshev erfc of Numerical Recipes (relative error < 1.2e-7).
 */
const zOfP = (p: number): number => {
  const erfc = (x: number) => {
    const t = 1 / (1 + 0.5 * Math.abs(x));
    const r =
      t *
      Math.exp(
        -x * x -
          1.26551223 +
          t *
            (1.00002368 +
              t *
                (0.37409196 +
                  t *
                    (0.09678418 +
                      t *
                        (-0.18628806 +
                          t *
                            (0.27886807 +
                              t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
      );
    return x >= 0 ? r : 2 - r;
  };
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (0.5 * erfc(mid / Math.SQRT2) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
};

/** A figure of a percentage indicator; differences (change, slope) in percentage points. */
const onScale = (v: number, ind: Indicator, difference: boolean) =>
  ind.unit === "%"
    ? difference
      ? `${signed(v, ind.decimals)}${NBSP}procentpunt`
      : `${nf(v, ind.decimals)}${NBSP}%`
    : nf(v, ind.decimals);

/** A locale text with its {{placeholders}} filled in. */
const fill = (template: string | undefined, vars: Record<string, string | number>): string =>
  (template ?? "").replace(/\{\{(\w+)\}\}/g, (_, k: string) => String(vars[k] ?? `{{${k}}}`));

// ---------------------------------------------------------------------------------------------------

describe("early warning in the dashboard", () => {
  let s: Session;
  let page: Page;
  let catalogue: Indicator[];
  const indicator = (id: string): Indicator => {
    const ind = catalogue.find((i) => i.id === id);
    if (!ind) throw new Error(`${id} is not in the catalogue`);
    return ind;
  };
  /** Opens a view of the app; in Dutch unless the path names a language. */
  const open = async (path: string) => {
    const url = new URL(path, s.base);
    if (!url.searchParams.has("lang")) url.searchParams.set("lang", "nl");
    await page.goto(url.href);
  };
  const itemIds = async () =>
    (await attributes(page, "[data-testid=alert-list] > li", "data-alert-id")).map(Number);
  const countText = () => page.locator("[data-testid=alerts-count]").textContent();
  const waitForList = () => page.locator("[data-testid=alert-list] > li").first().waitFor();
  /** Waits until the inbox shows exactly the alerts of `api` (a GET /api/alerts query). */
  const expectInbox = async (api: string) => {
    const want = await s.json<AlertList>(api);
    await expect.poll(itemIds, { timeout: 15_000 }).toEqual(want.alerts.map((a) => a.id));
    return want;
  };
  /** The alert of Almere the page tests explain: the strongest with a status and a spatial test. */
  let spatial: AlertSummary;

  beforeAll(async () => {
    s = await startSession({ viewport: DESKTOP });
    page = s.page;
    catalogue = (await s.json<{ indicators: Indicator[] }>("/api/indicators")).indicators;
    const almere = await s.json<AlertList>("/api/alerts?parent=GM0034&level=buurt&limit=200");
    // Preferably one whose strongest test is a standardised deviation and that has a change test too.
    const usable = almere.alerts.filter(
      (a) => a.detectors.some((d) => d.startsWith("space-")) && a.detectors.includes("status-standardised"),
    );
    const found =
      usable.find(
        (a) => a.detector === "status-standardised" && a.detectors.includes("dynamics-relative-change"),
      ) ?? usable[0];
    if (!found) throw new Error("the demo run has no alert of an Almere buurt with a spatial test");
    spatial = found;
  });
  afterAll(async () => {
    await s?.close();
  });

  /**
   * The control lines of a deviation chart (standardised or change): one per p cut-off of the alert's
   * run at z = Φ⁻¹(1 − p), on the unfavourable side only, drawn at centre + z·spread of the test on
   * the chart's own value axis (read from its tick labels); a cut-off the run lacks has no line.
   */
  const expectControlLines = async (figure: Locator, test: AlertTest, run: AlertRun | null) => {
    expect(run, "the alert's run and its p cut-offs").not.toBeNull();
    const side = indicator(test.indicatorId).polarity === "higher-is-worse" ? 1 : -1;
    expect(await figure.getAttribute("data-run")).toBe(String(run!.id));
    // The value axis: pixel y of each tick label (the rules share its vertical offset).
    const ticks: { v: number; y: number }[] = [];
    const labels = figure.locator('svg g[aria-label="y-axis tick label"] text');
    for (let i = 0; i < (await labels.count()); i++) {
      const v = Number(((await labels.nth(i).textContent()) ?? "").replace("−", "-").replace(/,/g, ""));
      const y = Number(
        /translate\([^,]+,([^)]+)\)/.exec((await labels.nth(i).getAttribute("transform")) ?? "")?.[1],
      );
      ticks.push({ v, y });
    }
    expect(ticks.length).toBeGreaterThan(1);
    const [a, b] = [ticks[0]!, ticks.at(-1)!];
    const pixel = (v: number) => a.y + ((v - a.v) * (b.y - a.y)) / (b.v - a.v);
    for (const severity of ["red", "yellow"] as const) {
      const p = run!.pCutoffs[severity];
      const key = figure.locator(`[data-testid=limit-${severity}]`);
      const rule = figure.locator(`svg g.limit-${severity} line`);
      if (p === null) {
        expect(await rule.count(), severity).toBe(0);
        expect(await key.textContent()).toBe(fill(nl.chart.noLimit, { severity: nl.severity[severity]! }));
        continue;
      }
      const z = zOfP(p);
      // Stricter than the uncorrected thresholds: Benjamini–Hochberg over the whole run.
      expect(z).toBeGreaterThan(zOfP(severity === "red" ? 0.01 : 0.05));
      expect(Number(await key.getAttribute("data-p"))).toBe(p);
      expect(Number(await key.getAttribute("data-z"))).toBeCloseTo(z, 5);
      expect(await key.textContent()).toBe(
        fill(nl.chart.limit, { severity: nl.severity[severity]!, z: signed(side * z, 2), p: probability(p) }),
      );
      expect(await rule.count(), severity).toBe(1);
      const value = test.expected! + side * z * Number(test.details.scale);
      expect(Number(await rule.getAttribute("y1")), `${severity} line at ${value}`).toBeCloseTo(
        pixel(value),
        0,
      );
    }
    // The words say so: the run, its number of tests, its cut-offs.
    const note = (await figure.locator("[data-testid=limit-note]").textContent()) ?? "";
    expect(note).toContain(`run ${run!.id}:`);
    expect(note).toContain(`alle ${nf(run!.tests, 0)} toetsen`);
    expect(note).toContain("Benjamini–Hochberg");
    for (const severity of ["red", "yellow"] as const) {
      const p = run!.pCutoffs[severity];
      if (p !== null) expect(note).toContain(`${nl.severity[severity]} (${probability(p)})`);
    }
    expect(note).toContain(side > 0 ? "(erboven)" : "(eronder)");
    const label = (await figure.locator("[role=img]").getAttribute("aria-label")) ?? "";
    if (run!.pCutoffs.red !== null)
      expect(label).toContain(
        fill(nl.chart.limitWords, {
          severity: nl.severity.red!,
          z: signed(side * zOfP(run!.pCutoffs.red), 2),
          p: probability(run!.pCutoffs.red),
        }),
      );
  };

  it("lists the alerts of the latest run as the API ranks them, with area, domain, indicator, detector, period, severity, status and source", async () => {
    await open("/?v=alerts");
    await waitForList();
    const api = await expectInbox("/api/alerts?active=true&limit=25&offset=0");
    expect(api.total).toBeGreaterThan(25);
    expect(await page.locator("h1").textContent()).toBe(nl.alerts.title);
    expect(await countText()).toBe(`1–25 van ${nf(api.total, 0)} signalen`);
    // The tab is in the menu and marked as the current page.
    expect(await page.locator("nav.tabs a[aria-current=page]").textContent()).toBe(nl.nav.alerts);
    // The latest run and the model description for the algorithm register.
    const runs = await s.json<{ runs: { id: number; status: string; alerts: number }[] }>(
      "/api/detection/runs",
    );
    const run = runs.runs.find((r) => r.status === "finished")!;
    expect(await page.locator("[data-testid=run-info]").textContent()).toContain(
      `${nf(run.alerts, 0)} signalen`,
    );
    const model = page.locator("[data-testid=run-info] a.model-link");
    expect(await model.getAttribute("href")).toBe("/api/detection/model");
    expect(await model.textContent()).toBe(nl.alerts.model);

    // Every item as the API says, in words.
    for (const [i, a] of api.alerts.slice(0, 5).entries()) {
      const item = page.locator(`[data-testid=alert-list] > li[data-alert-id="${a.id}"]`);
      expect(await item.getAttribute("data-severity")).toBe(a.severity);
      expect(await item.locator(".severity").first().textContent()).toBe(nl.severity[a.severity]);
      expect(await item.locator(".alert-status").textContent()).toBe(nl.alertStatus[a.status]);
      expect(await item.locator("[data-testid=alert-domain]").textContent()).toBe(nl.domain[a.domain]);
      expect(await item.locator("[data-testid=alert-indicator]").textContent()).toBe(
        indicator(a.indicatorId).name.nl,
      );
      expect(await item.locator("[data-testid=alert-detector]").textContent()).toContain(
        nl.detector[a.detector],
      );
      expect(await item.locator("[data-testid=alert-period]").textContent()).toBe(a.period);
      expect(await item.locator(".figure-source").textContent()).toBe(`${a.attribution}, ${a.period}`);
      expect(await item.locator(".alert-rank").textContent()).toBe(String(i + 1));
      // The area's name from the area list of its division (the alerts carry codes only).
      const parent = a.level === "gemeente" ? "" : `&parent=${a.gemeenteCode}`;
      const areas = await s.json<{ areas: AreaSummary[] }>(
        `/api/areas?level=${a.level}${parent}&division=${a.division}&limit=20000`,
      );
      const name = areas.areas.find((x) => x.code === a.areaCode)?.name ?? a.areaCode;
      await item.locator("[data-testid=alert-link]", { hasText: name }).waitFor();
      expect(await item.locator(".alert-item-where").textContent()).toContain(a.areaCode);
    }
    await screenshot(page, "desktop-alerts");
  });

  it("filters to a gemeente (only its areas), by severity, level, domain and status, and pages", async () => {
    await open("/?v=alerts");
    await waitForList();
    await page.locator("#alert-gemeente").selectOption("GM0034");
    await page.waitForURL((u) => u.searchParams.get("gm") === "GM0034");
    const almere = await expectInbox("/api/alerts?parent=GM0034&limit=25");
    for (const code of await attributes(page, "[data-testid=alert-list] > li", "data-area"))
      expect(code === "GM0034" || code.startsWith("BU0034") || code.startsWith("WK0034"), code).toBe(true);
    expect(new Set(await attributes(page, "[data-testid=alert-list] > li", "data-gemeente"))).toEqual(
      new Set(["GM0034"]),
    );
    await expect.poll(countText).toBe(`1–${Math.min(25, almere.total)} van ${nf(almere.total, 0)} signalen`);

    // Yellow only.
    await page.locator("[data-testid=filter-severity] button[data-value=yellow]").click();
    await page.waitForURL((u) => u.searchParams.get("sev") === "yellow");
    expect(
      await page
        .locator("[data-testid=filter-severity] button[data-value=yellow]")
        .getAttribute("aria-pressed"),
    ).toBe("true");
    await expectInbox("/api/alerts?parent=GM0034&severity=yellow&limit=25");
    expect(new Set(await attributes(page, "[data-testid=alert-list] > li", "data-severity"))).toEqual(
      new Set(["yellow"]),
    );

    // Buurten, health.
    await page.locator("#alert-level").selectOption("buurt");
    await page.locator("#alert-domain").selectOption("health");
    await page.waitForURL(
      (u) => u.searchParams.get("lvl") === "buurt" && u.searchParams.get("dom") === "health",
    );
    await expectInbox("/api/alerts?parent=GM0034&severity=yellow&level=buurt&domain=health&limit=25");
    expect(new Set(await attributes(page, "[data-testid=alert-list] > li", "data-level"))).toEqual(
      new Set(["buurt"]),
    );
    expect(new Set(await attributes(page, "[data-testid=alert-list] > li", "data-domain"))).toEqual(
      new Set(["health"]),
    );

    // Closed ones: the demo run's alerts are all new, so none.
    await page.locator("[data-testid=filter-status] button[data-value=closed]").click();
    await page.waitForURL((u) => u.searchParams.get("st") === "closed");
    const closed = await s.json<AlertList>(
      "/api/alerts?parent=GM0034&severity=yellow&level=buurt&domain=health&status=closed",
    );
    expect(closed.total).toBe(0);
    await expect.poll(countText).toBe(nl.alerts.none);
    expect(await page.locator("[data-testid=alert-list]").count()).toBe(0);

    // Clear the filters: every alert again; then the next page.
    await page.locator("button.filters-reset").click();
    await page.waitForURL((u) => !u.searchParams.has("gm") && !u.searchParams.has("sev"));
    await expectInbox("/api/alerts?limit=25");
    await page.getByRole("button", { name: nl.alerts.next }).click();
    await page.waitForURL((u) => u.searchParams.get("pg") === "2");
    await expectInbox("/api/alerts?limit=25&offset=25");
    expect(await page.locator("[data-testid=alert-list]").getAttribute("start")).toBe("26");
    // Back to the first page with the browser's back button.
    await page.goBack();
    await expectInbox("/api/alerts?limit=25");
  });

  it("shows on the alert page why: every test in words, with the API's figures, parameters and history", async () => {
    // Through the inbox: Almere's buurten, then the alert's link.
    await open(`/?v=alerts&gm=GM0034&lvl=buurt&dom=${spatial.domain}`);
    await waitForList();
    const link = page.locator(
      `[data-testid=alert-list] > li[data-alert-id="${spatial.id}"] [data-testid=alert-link]`,
    );
    const listed = await expectInbox(
      `/api/alerts?parent=GM0034&level=buurt&domain=${spatial.domain}&limit=25`,
    );
    if (listed.alerts.some((a) => a.id === spatial.id)) await link.click();
    else await open(`/?v=alert&id=${spatial.id}`);
    await page.waitForURL(
      (u) => u.searchParams.get("v") === "alert" && u.searchParams.get("id") === String(spatial.id),
    );
    await page.locator("[data-testid=alert-test]").first().waitFor();

    const { alert } = await s.json<{ alert: AlertDetail }>(`/api/alerts/${spatial.id}`);
    const area = await s.json<AreaSummary>(`/api/areas/${alert.areaCode}?division=${alert.division}`);
    const name = area.name ?? alert.areaCode;
    /**
     * The comparable areas of a test in words, from its structured fields (comparedWithin, gemeente);
     * only a test stored without them falls back to its reference text.
     */
    const groupWords = async (test: AlertTest): Promise<string> => {
      const d = test.details;
      const levels = nl.levelPlural[alert.level]!;
      const within =
        d.comparedWithin ??
        (/ areas of /.test(
          String(test.detector === "dynamics-relative-change" ? d.comparedWith : d.reference),
        )
          ? "gemeente"
          : "level");
      if (within === "level") return fill(nl.explain.all, { levels });
      const code = String(d.gemeente ?? alert.gemeenteCode);
      const gemeente = await s.json<AreaSummary>(`/api/areas/${code}?division=${alert.division}`);
      return fill(nl.explain.group, { levels, gemeente: gemeente.name ?? code });
    };
    await page.locator("h1", { hasText: name }).waitFor();
    expect(await page.locator("h1").textContent()).toBe(`${nl.domain[alert.domain]} in ${name}`);
    expect(await page.locator(".alert-header .severity").first().textContent()).toBe(
      nl.severity[alert.severity],
    );
    expect(await page.locator(".alert-header .alert-status").textContent()).toBe(
      nl.alertStatus[alert.status],
    );
    expect(await page.locator("[data-testid=alert-headline]").textContent()).toContain(
      indicator(alert.indicatorId).name.nl,
    );

    // Every test, in the API's order, with its figures.
    const more = page.locator("button.show-all");
    if (await more.count()) await more.click();
    const cards = page.locator("[data-testid=alert-test]");
    await expect.poll(() => cards.count()).toBe(alert.explanation.length);
    for (const [i, test] of alert.explanation.entries()) {
      const card = cards.nth(i);
      const ind = indicator(test.indicatorId);
      const difference = test.detector === "dynamics-relative-change" || test.detector === "dynamics-trend";
      expect(await card.getAttribute("data-detector")).toBe(test.detector);
      expect(await card.getAttribute("data-indicator")).toBe(test.indicatorId);
      expect(await card.getAttribute("data-period")).toBe(test.period);
      expect(await card.locator("h3").textContent()).toContain(nl.detector[test.detector]);
      const dd = (id: string) => card.locator(`[data-testid=${id}]`);
      expect(Number(await dd("test-observed").getAttribute("data-value"))).toBe(test.observed);
      expect(await dd("test-observed").textContent()).toBe(onScale(test.observed!, ind, difference));
      if (test.expected !== null) {
        expect(Number(await dd("test-expected").getAttribute("data-value"))).toBe(test.expected);
        expect(await dd("test-expected").textContent()).toBe(onScale(test.expected, ind, difference));
      } else expect(await dd("test-expected").count()).toBe(0);
      expect(Number(await dd("test-effect").getAttribute("data-value"))).toBe(test.effect);
      expect(await dd("test-effect").textContent()).toBe(signed(test.effect, 2));
      expect(Number(await dd("test-p").getAttribute("data-value"))).toBe(test.p);
      expect(await dd("test-p").textContent()).toBe(probability(test.p));
      expect(Number(await dd("test-q").getAttribute("data-value"))).toBe(test.q);
      expect(await dd("test-q").textContent()).toBe(probability(test.q));
      expect(await dd("test-severity").textContent()).toBe(nl.severity[test.severity]);
      expect(await card.locator(".figure-source").textContent()).toBe(`${test.attribution}, ${test.period}`);
      // The sentence names the area and the figures it compares.
      const sentence = (await dd("test-sentence").textContent()) ?? "";
      expect(sentence).toContain(name);
      const d = test.details;
      if (test.detector === "status-standardised") {
        expect(sentence).toContain(onScale(test.observed!, ind, false));
        expect(sentence).toContain(onScale(test.expected!, ind, false));
        expect(sentence).toContain(nf(Math.abs(Number(d.z)), 2));
        expect(sentence).toContain(`${d.areas} gebieden`);
        expect(sentence).toContain(`de mediaan van ${await groupWords(test)} (`);
      } else if (test.detector === "dynamics-relative-change") {
        // Compared within the gemeente or the level, as the test's comparedWithin says.
        expect(d.comparedWithin).toMatch(/^(gemeente|level)$/);
        expect(sentence).toContain(`verschillen bij ${await groupWords(test)}.`);
        expect(sentence).toContain(
          `van ${onScale(Number(d.from), ind, false)} naar ${onScale(Number(d.to), ind, false)}`,
        );
        expect(sentence).toContain(
          `van ${onScale(Number(d.referenceFrom), ind, false)} naar ${onScale(Number(d.referenceTo), ind, false)}`,
        );
        expect(sentence).toContain(onScale(test.observed!, ind, true));
      } else if (test.detector === "space-local-moran") {
        expect(sentence).toContain(`kwadrant ${d.quadrant}`);
        expect(sentence).toContain(`${d.neighbours} buren`);
        expect(sentence).toContain(`${nf(Number(d.permutations), 0)} permutaties`);
      } else if (test.detector === "space-gi-star") {
        expect(sentence).toContain(`${d.neighbours} buren`);
        expect(sentence).toContain(`z = ${nf(Number(d.z), 2)}`);
      }
    }

    // The parameters of the run, the model description, the history.
    const params = (await page.locator("[data-testid=alert-parameters]").textContent()) ?? "";
    expect(params).toContain(`q = ${nf(alert.parameters.fdr, 2)}`);
    expect(params).toContain(`q < ${nf(alert.parameters.severity.red, 2)}`);
    expect(params).toContain(`q < ${nf(alert.parameters.severity.yellow, 2)}`);
    expect(params).toContain(nf(alert.parameters.space.permutations, 0));
    expect(await page.locator(".alert-parameters a.model-link").getAttribute("href")).toBe(
      "/api/detection/model",
    );
    const model = await s.json<{ detectors: { id: string }[] }>("/api/detection/model");
    expect(model.detectors.map((x) => x.id)).toEqual(expect.arrayContaining(alert.detectors));
    const history = page.locator("[data-testid=alert-history] tbody tr");
    expect(await history.count()).toBe(alert.events.length);
    expect(await history.first().locator("td").nth(1).textContent()).toContain(
      nl.alertEvent[alert.events[0]!.event],
    );
  });

  it("draws the alert's charts, each with its source and period: deviation, series with the change, cluster map", async () => {
    await page.setViewportSize({ width: 1280, height: 1000 });
    try {
      await open(`/?v=alert&id=${spatial.id}`);
      const { alert, run } = await s.json<AlertDetailResponse>(`/api/alerts/${spatial.id}`);
      const area = await s.json<AreaSummary>(`/api/areas/${alert.areaCode}?division=${alert.division}`);
      const name = area.name ?? alert.areaCode;
      const gemeente = await s.json<AreaSummary>(
        `/api/areas/${alert.gemeenteCode}?division=${alert.division}`,
      );
      const reference = gemeente.name ?? alert.gemeenteCode;
      await page.locator("h1", { hasText: name }).waitFor();
      for (const id of ["chart-deviation", "chart-series", "chart-cluster"])
        await page.locator(`[data-testid=${id}][data-drawn] svg`).waitFor();
      for (const id of ["figure-deviation", "figure-series", "figure-cluster"]) {
        const fig = page.locator(`[data-testid=${id}]`);
        const shown = await fig.getAttribute("data-indicator");
        const tests = alert.explanation.filter((t) => t.indicatorId === shown);
        expect(tests.length, `${id}: a test of ${shown}`).toBeGreaterThan(0);
        // Source and period of the figure.
        const source = (await fig.locator(".source").textContent()) ?? "";
        expect(source, id).toContain(tests[0]!.attribution);
        expect(
          tests.some((t) => source.includes(`, ${t.period}`)),
          `${id}: a period of its test in "${source}"`,
        ).toBe(true);
        // The words of the chart (its accessible name) carry the figures.
        expect((await fig.locator("[role=img]").getAttribute("aria-label"))?.length ?? 0, id).toBeGreaterThan(
          20,
        );
      }
      // The deviation chart of the strongest status or change test, the area highlighted.
      const deviation = page.locator("[data-testid=figure-deviation]");
      const detector = await deviation.getAttribute("data-detector");
      expect(detector).toMatch(/^(status-standardised|dynamics-relative-change)$/);
      const shown = await deviation.getAttribute("data-indicator");
      const devTest = alert.explanation.find((t) => t.detector === detector && t.indicatorId === shown)!;
      await expectControlLines(deviation, devTest, run);
      // The series of a change test: the change of the area and of its reference over its periods.
      const changeTest = alert.explanation.findIndex((t) => t.detector === "dynamics-relative-change");
      if (changeTest >= 0) {
        const test = alert.explanation[changeTest]!;
        await page.locator("#chart-test").selectOption(String(changeTest));
        // Its deviation chart: the differences in change, the control lines from the test's own spread.
        const changeFigure = page.locator(
          `[data-testid=figure-deviation][data-detector="dynamics-relative-change"][data-indicator="${test.indicatorId}"]`,
        );
        await changeFigure.locator("[data-testid=chart-deviation][data-drawn] svg").waitFor();
        expect(Number(await changeFigure.getAttribute("data-spread"))).toBe(test.details.scale);
        await expectControlLines(changeFigure, test, run);
        const figure = page.locator(`[data-testid=figure-series][data-indicator="${test.indicatorId}"]`);
        await figure.locator("[data-testid=chart-series][data-drawn] svg").waitFor();
        const ind = indicator(test.indicatorId);
        const d = test.details;
        const [start, end] = test.period.split("–");
        const change = figure.locator("[data-testid=series-change]");
        await change.waitFor();
        await expect
          .poll(() => change.textContent())
          .toBe(
            `Verandering ${start}–${end}: ${name} ${onScale(Number(d.to) - Number(d.from), ind, true)}, ` +
              `${reference} ${onScale(Number(d.referenceTo) - Number(d.referenceFrom), ind, true)}.`,
          );
        await page.locator("#chart-test").selectOption("0");
      }
      // The cluster map: the spatial test's indicator, the number of neighbours the test used.
      const cluster = page.locator("[data-testid=figure-cluster]");
      const space = alert.explanation.find((t) => t.detector.startsWith("space-"))!;
      expect(await cluster.getAttribute("data-indicator")).toBe(space.indicatorId);
      expect(await cluster.locator("[data-testid=cluster-note]").textContent()).toContain(
        `De toets gebruikte ${space.details.neighbours} buren`,
      );
      expect(await cluster.locator(".source").textContent()).toContain("PDOK");
      await page.locator("#chart-test").selectOption(String(alert.explanation.indexOf(space)));
      await page.locator(`[data-testid=figure-cluster][data-detector="${space.detector}"]`).waitFor();
      // It outlines exactly the neighbours the test used (neighbourCodes), the area itself apart.
      const used = String(space.details.neighbourCodes).split(",");
      expect(used.length).toBe(Number(space.details.neighbours));
      const outlined = (what: string) =>
        attributes(page, `[data-testid=chart-cluster][data-drawn] g.${what} path`, "data-code");
      await expect.poll(async () => (await outlined("cluster-neighbour")).sort()).toEqual([...used].sort());
      expect(await outlined("cluster-area")).toEqual([alert.areaCode]);
      expect((await cluster.getAttribute("data-neighbours"))?.split(",").sort()).toEqual([...used].sort());
      const note = (await cluster.locator("[data-testid=cluster-note]").textContent()) ?? "";
      expect(note).toContain(`De toets gebruikte ${used.length} buren`);
      expect(note).toContain(`grenzen uit indeling ${space.details.geometryDivision}`);
      expect(note).toContain(space.details.weightsMethod === "queen" ? "(queen)" : "(k-nearest)");
      expect(note).toContain("de kaart omlijnt precies die buren");
      await page.locator("#chart-test").selectOption("0");
      await page.locator("[data-testid=chart-cluster][data-drawn] svg").waitFor();
      await page.evaluate(() =>
        (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0),
      );
      await screenshot(page, "desktop-alert", "docs/img/dashboard-alerts.png");
    } finally {
      await page.setViewportSize(DESKTOP);
    }
  });

  it("draws a funnel plot for a rate with counts (crimes per 1,000 residents of a gemeente)", async () => {
    const list = await s.json<AlertList>("/api/alerts?level=gemeente&domain=safety&limit=50");
    const funnel = list.alerts.find((a) => a.detector === "status-funnel");
    expect(funnel, "a funnel alert in the demo run").toBeDefined();
    await open(`/?v=alert&id=${funnel!.id}`);
    await page.locator("[data-testid=chart-deviation][data-drawn] svg").waitFor();
    expect(await page.locator("[data-testid=figure-deviation]").getAttribute("data-detector")).toBe(
      "status-funnel",
    );
    expect(await page.locator("[data-testid=figure-deviation] .figure-title").textContent()).toBe(
      "Trechtergrafiek",
    );
    const { alert, run } = await s.json<AlertDetailResponse>(`/api/alerts/${funnel!.id}`);
    const area = await s.json<AreaSummary>(`/api/areas/${alert.areaCode}?division=${alert.division}`);
    await page.locator("h1", { hasText: area.name ?? alert.areaCode }).waitFor();
    const sentence = (await page.locator("[data-testid=test-sentence]").first().textContent()) ?? "";
    const d = alert.explanation[0]!.details;
    expect(sentence).toContain(`${nf(Number(d.numerator), 0)} op ${nf(Number(d.denominator), 0)}`);
    if (Number(d.phi) > 1) expect(sentence).toContain(`φ = ${nf(Number(d.phi), 2)}`);
    // The funnel's limits at the run's p cut-offs, one curve each on the unfavourable side, widened
    // for overdispersion as the test was (τ² when additive).
    const figure = page.locator("[data-testid=figure-deviation]");
    const side = indicator(alert.indicatorId).polarity === "higher-is-worse" ? 1 : -1;
    expect(run).not.toBeNull();
    for (const severity of ["red", "yellow"] as const) {
      const p = run!.pCutoffs[severity];
      if (p === null) continue;
      expect(await figure.locator(`svg g.limit-${severity} path`).count(), severity).toBe(1);
      expect(await figure.locator(`[data-testid=limit-${severity}]`).textContent()).toBe(
        fill(nl.chart.funnelLimit, {
          severity: nl.severity[severity]!,
          z: signed(side * zOfP(p), 2),
          p: probability(p),
        }),
      );
    }
    const note = (await figure.locator("[data-testid=limit-note]").textContent()) ?? "";
    expect(note).toContain(`run ${run!.id}:`);
    if (Number(d.tau2) > 0) expect(note).toContain(`τ² = ${probability(Number(d.tau2))}`);
    else if (Number(d.phi) > 1) expect(note).toContain(`φ = ${nf(Number(d.phi), 2)}`);
    await screenshot(page, "desktop-alert-funnel");
  });

  it("colours the map's areas by their worst alert and the tested ones as the API lists them; a click opens the area's strongest alert", async () => {
    const ind = "eenzaam_18plus";
    await open(`/?i=${ind}&a=GM0034&l=buurt`);
    await waitForMap(page, { parent: "GM0034" });
    await page.getByRole("button", { name: nl.layer.alerts }).click();
    await page.waitForURL((u) => u.searchParams.get("lay") === "alerts");
    await page
      .locator("[data-testid=map][data-layer=alerts][data-state=ready]")
      .waitFor({ state: "attached" });
    const layer = await s.json<AlertMap>("/api/alerts/map?level=buurt&division=2020&parent=GM0034");
    const geo = await s.json<{ features: { properties: { code: string; inData?: boolean } }[] }>(
      "/api/geo/buurt?parent=GM0034&dataDivision=2020",
    );
    const drawn = new Set(geo.features.map((f) => f.properties.code));
    const alerted = new Map(layer.areas.map((a) => [a.code, a.severity]));
    const tested = new Map(layer.tested.map((a) => [a.code, a.severity]));
    const byClass = { red: 0, yellow: 0, blue: 0, grey: 0, untested: 0 };
    const shownTested: [string, string][] = [];
    for (const f of geo.features) {
      const code = f.properties.code;
      const cls = alerted.get(code) ?? tested.get(code) ?? "untested";
      byClass[cls]++;
      const state = await featureState(page, code);
      expect(state, code).toMatchObject({ status: "value", colour: LAYER_FILL[cls] });
      if (state.colour === LAYER_FILL.blue) shownTested.push([code, "blue"]);
      if (state.colour === LAYER_FILL.grey) shownTested.push([code, "grey"]);
    }
    expect(byClass.red).toBeGreaterThan(0);
    expect(byClass.yellow).toBeGreaterThan(0);
    // The blue and grey areas are exactly the API's tested areas that have a boundary here.
    expect(layer.tested.length).toBeGreaterThan(0);
    expect(shownTested.sort()).toEqual(
      layer.tested
        .filter((a) => drawn.has(a.code))
        .map((a): [string, string] => [a.code, a.severity])
        .sort(),
    );
    // The legend counts the same.
    for (const cls of ["red", "yellow", "blue", "grey", "untested"] as const)
      expect(await page.locator(`[data-testid=alert-count-${cls}]`).textContent(), cls).toBe(
        `${byClass[cls]} ${byClass[cls] === 1 ? "gebied" : "gebieden"}`,
      );
    await screenshot(page, "desktop-map-alerts");

    // Back to the figures and again to the alerts (the toggle).
    await page.getByRole("button", { name: nl.layer.values }).click();
    await page.waitForURL((u) => !u.searchParams.has("lay"));
    await page
      .locator("[data-testid=map][data-layer=values][data-state=ready]")
      .waitFor({ state: "attached" });
    // No area keeps an alert colour under the figures (areas without a figure have status "none").
    for (const code of [...alerted.keys()].filter((c) => drawn.has(c))) {
      const state = await featureState(page, code);
      expect(state.status === "value" && state.colour === LAYER_FILL[alerted.get(code)!], code).toBe(false);
    }
    await page.getByRole("button", { name: nl.layer.alerts }).click();
    await page
      .locator("[data-testid=map][data-layer=alerts][data-state=ready]")
      .waitFor({ state: "attached" });

    // A red area: the alert the layer names for it opens, without asking the API which one.
    const red = layer.areas.filter((a) => a.severity === "red" && drawn.has(a.code));
    let clicked: (typeof red)[number] | undefined;
    const before = s.requests.length;
    for (const a of red) {
      const point = await pointOfArea(page, a.code);
      if (!point) continue;
      await page.mouse.click(point.x, point.y);
      clicked = a;
      break;
    }
    expect(clicked, "a red area drawn on the map").toBeDefined();
    await page.waitForURL((u) => u.searchParams.get("v") === "alert");
    expect(query(page)).toMatchObject({ v: "alert", id: String(clicked!.alertId) });
    await page.locator("[data-testid=alert-test]").first().waitFor();
    expect(s.requests.slice(before).filter((u) => /\/api\/alerts\?/.test(u))).toEqual([]);
    // It is the area's strongest: the first of its alerts as the API ranks them.
    const top = await s.json<AlertList>(
      `/api/alerts?area=${clicked!.code}&level=buurt&division=2020&limit=1`,
    );
    expect(top.alerts[0]!.id).toBe(clicked!.alertId);
  });

  it("speaks English on request", async () => {
    await open(`/?v=alert&id=${spatial.id}&lang=en`);
    await page.locator("[data-testid=alert-test]").first().waitFor();
    expect(await page.locator("#alert-why-title").textContent()).toBe(en.alert.why);
    const { alert } = await s.json<{ alert: AlertDetail }>(`/api/alerts/${spatial.id}`);
    expect(await page.locator("[data-testid=alert-test] h3").first().textContent()).toContain(
      en.detector[alert.explanation[0]!.detector],
    );
    expect(await page.locator("[data-testid=test-p]").first().textContent()).toBe(
      probability(alert.explanation[0]!.p).replace(",", "."),
    );
    // The chart says in English where its control lines are: at the run's p cut-offs.
    const { run } = await s.json<AlertDetailResponse>(`/api/alerts/${spatial.id}`);
    const figure = page.locator("[data-testid=figure-deviation]");
    await figure.locator("[data-testid=chart-deviation][data-drawn] svg").waitFor();
    const shown = indicator((await figure.getAttribute("data-indicator"))!);
    const side = shown.polarity === "higher-is-worse" ? 1 : -1;
    const note = (await figure.locator("[data-testid=limit-note]").textContent()) ?? "";
    expect(note).toContain(`p cut-offs of run ${run!.id}`);
    expect(note).toContain("Benjamini–Hochberg");
    expect(note).toContain("one-sided");
    const red = run!.pCutoffs.red;
    if (red !== null)
      expect(await figure.locator("[data-testid=limit-red]").textContent()).toBe(
        fill(en.chart.limit, {
          severity: en.severity.red!,
          z: signed(side * zOfP(red), 2).replace(",", "."),
          p: probability(red).replace(",", "."),
        }),
      );
    await open("/?v=alerts&lang=en");
    await waitForList();
    expect(await page.locator("h1").textContent()).toBe(en.alerts.title);
    expect(await page.locator("nav.tabs a").allTextContents()).toContain(en.nav.alerts);
  });

  describe("has no serious or critical axe violations", () => {
    const screens: [string, () => string, () => Promise<void>][] = [
      ["inbox", () => "/?v=alerts", () => waitForList()],
      ["filtered inbox", () => "/?v=alerts&gm=GM0034&sev=red&st=new", () => waitForList()],
      [
        "alert page",
        () => `/?v=alert&id=${spatial.id}`,
        () => page.locator("[data-testid=chart-cluster][data-drawn]").waitFor(),
      ],
      [
        "map with the alert layer",
        () => "/?a=GM0034&l=buurt&lay=alerts",
        () =>
          page
            .locator("[data-testid=map][data-layer=alerts][data-state=ready]")
            .waitFor({ state: "attached" }),
      ],
      [
        "English alert page",
        () => `/?v=alert&id=${spatial.id}&lang=en`,
        () => page.locator("[data-testid=chart-series][data-drawn]").waitFor(),
      ],
    ];
    it.each(screens)("%s", async (name, path, ready) => {
      await open(path());
      await ready();
      const violations = await axeViolations(page);
      expect(violations, `${name}:\n${violations.join("\n")}`).toEqual([]);
    });
  });

  describe("on a 375×812 phone screen", () => {
    /** The page fits the width (no sideways scrolling), every target is 44×44 or more, axe is clean. */
    const expectFits = async (screen: string) => {
      const { scrollWidth, viewport } = await pageWidth(page);
      expect(scrollWidth, `${screen}: the page scrolls sideways`).toBeLessThanOrEqual(viewport);
      const small = await smallTargets(page);
      expect(
        small,
        `${screen}: targets under 44×44 px:\n${small.map((t) => `${t.element} ${t.width}×${t.height}`).join("\n")}`,
      ).toEqual([]);
      const violations = await axeViolations(page);
      expect(violations, `${screen}:\n${violations.join("\n")}`).toEqual([]);
    };
    beforeAll(async () => {
      await page.setViewportSize(PHONE);
    });
    afterAll(async () => {
      await page.setViewportSize(DESKTOP);
    });

    it("inbox", async () => {
      await open("/?v=alerts&gm=GM0034");
      await waitForList();
      await expectFits("phone, inbox");
      await screenshot(page, "phone-alerts");
    });
    it("alert page", async () => {
      await open(`/?v=alert&id=${spatial.id}`);
      for (const id of ["chart-deviation", "chart-series", "chart-cluster"])
        await page.locator(`[data-testid=${id}][data-drawn] svg`).waitFor();
      await expectFits("phone, alert page");
      await screenshot(page, "phone-alert");
    });
    it("map with the alert layer", async () => {
      await open("/?a=GM0034&l=buurt&lay=alerts");
      await page
        .locator("[data-testid=map][data-layer=alerts][data-state=ready]")
        .waitFor({ state: "attached" });
      await expectFits("phone, alert layer");
      await screenshot(page, "phone-map-alerts");
    });
  });

  it("logged no console errors and asked nothing from outside this machine", () => {
    const outside = s.requests.filter((url) => {
      const u = new URL(url);
      return !(
        u.protocol === "data:" ||
        u.protocol === "blob:" ||
        ["127.0.0.1", "localhost"].includes(u.hostname)
      );
    });
    expect(outside).toEqual([]);
    expect(s.errors).toEqual([]);
  });
});
