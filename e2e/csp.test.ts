/**
 * The dashboard and the API docs under the server's Content-Security-Policy (no 'unsafe-inline', no
 * 'unsafe-eval', everything from 'self'): in a real Chromium against the real server, every main
 * screen — the map with its MapLibre worker, an area profile with its Plot sparklines, a comparison,
 * the alert inbox, an alert page with its charts — and /api/docs (Swagger UI) render without a single
 * `securitypolicyviolation` event and without a console error. Violations are caught twice: by a
 * listener the page gets before its own scripts run, and from the browser's own log (CDP), where
 * Chromium reports what it refused ("Refused to apply inline style …").
 */
import type { CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSession, waitForMap, type Session } from "./browser.js";

/** Runs in every document before its scripts: reports each violation as a console error. */
const LISTENER = `document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.effectiveDirective + " refused " + (e.blockedURI || "inline") +
    " at " + (e.sourceFile || location.href) + ":" + e.lineNumber + " " + JSON.stringify(e.sample));
});`;

const CSP_TEXT = /content security policy|content-security-policy|csp violation/i;

describe("the dashboard under the Content-Security-Policy", () => {
  let s: Session;
  let page: Page;
  let cdp: CDPSession;
  /** Messages of the browser's own log (security, violations, network) of level error or warning. */
  const browserLog: string[] = [];
  const violations = (): string[] => [
    ...s.errors.filter((e) => CSP_TEXT.test(e)),
    ...browserLog.filter((e) => CSP_TEXT.test(e)),
  ];
  const open = async (path: string) => {
    const url = new URL(path, s.base);
    if (!url.searchParams.has("lang") && !url.pathname.startsWith("/api/"))
      url.searchParams.set("lang", "nl");
    const response = await page.goto(url.href);
    return response;
  };

  beforeAll(async () => {
    s = await startSession({ viewport: { width: 1280, height: 900 } });
    page = s.page;
    await s.context.addInitScript({ content: LISTENER });
    cdp = await s.context.newCDPSession(page);
    cdp.on("Log.entryAdded", ({ entry }) => {
      if (entry.level === "error" || entry.level === "warning")
        browserLog.push(`${entry.source}/${entry.level}: ${entry.text} (${entry.url ?? ""})`);
    });
    await cdp.send("Log.enable");
  });
  afterAll(async () => {
    await cdp?.detach().catch(() => undefined);
    await s?.close();
  });

  it("sends the policy with the page: no 'unsafe-inline', no 'unsafe-eval', nothing but 'self'", async () => {
    const response = await open("/");
    const csp = (await response?.allHeaders())?.["content-security-policy"] ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toMatch(/style-src 'self'( 'sha256-[A-Za-z0-9+/=]+')?;/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(csp).not.toMatch(/https?:/);
    await waitForMap(page);
    expect(violations()).toEqual([]);
  });

  it("the listener and the browser's log both see a violation when there is one (the check itself works)", async () => {
    await page.evaluate(() => {
      const doc = (
        globalThis as unknown as {
          document: { head: { append(n: unknown): void }; createElement(t: string): { textContent: string } };
        }
      ).document;
      const style = doc.createElement("style");
      style.textContent = "body { outline: 1px solid red }";
      doc.head.append(style);
    });
    const seen = () => ({
      listener: s.errors.some((e) => e.includes("CSP violation: style-src-elem")),
      log: browserLog.some((e) => CSP_TEXT.test(e)),
    });
    await expect.poll(seen, { timeout: 5_000 }).toEqual({ listener: true, log: true });
    // Clean slate for the screens below.
    s.errors.length = 0;
    browserLog.length = 0;
  });

  it("draws the map (MapLibre and its worker, from the server) without a violation", async () => {
    await open("/?a=GM0034");
    await waitForMap(page, { parent: "GM0034" });
    expect(s.requests.some((u) => new URL(u).pathname.includes("/assets/maplibre-gl-worker"))).toBe(true);
    expect(violations()).toEqual([]);
    expect(s.errors).toEqual([]);
  });

  it("draws an area profile with its Plot sparklines, styled by the stylesheet, without a violation", async () => {
    await open("/?v=profile&a=GM0034");
    await page.locator("[data-testid=profile-value]").first().waitFor();
    await page.locator(".sparkline svg").first().waitFor();
    const drawn = await page.evaluate(() => {
      const g = globalThis as unknown as {
        document: { querySelectorAll(s: string): ArrayLike<unknown> & Iterable<unknown> };
        getComputedStyle(e: unknown): { display: string };
      };
      const svgs = [...g.document.querySelectorAll(".sparkline svg")];
      return {
        svgs: svgs.length,
        inlineStyles: g.document.querySelectorAll("svg style").length,
        display: svgs[0] ? g.getComputedStyle(svgs[0]).display : "",
      };
    });
    expect(drawn.svgs).toBeGreaterThan(0);
    expect(drawn.inlineStyles).toBe(0);
    expect(drawn.display).toBe("block");
    expect(violations()).toEqual([]);
    expect(s.errors).toEqual([]);
  });

  it("compares two gemeenten without a violation", async () => {
    await open("/?v=compare&c=GM0034,GM0363");
    await page.locator("[data-testid=compare-table] tbody tr").first().waitFor();
    expect(violations()).toEqual([]);
    expect(s.errors).toEqual([]);
  });

  it("lists the alert inbox and draws an alert page's charts without a violation", async () => {
    await open("/?v=alerts");
    await page.locator("[data-testid=alert-list] > li").first().waitFor();
    expect(violations()).toEqual([]);
    const { alerts } = await s.json<{ alerts: { id: number }[] }>(
      "/api/alerts?parent=GM0034&level=buurt&limit=50",
    );
    const withCharts = alerts[0];
    expect(withCharts, "an alert of an Almere buurt").toBeDefined();
    await open(`/?v=alert&id=${withCharts!.id}`);
    await page.locator("[data-testid=chart-deviation][data-drawn] svg").first().waitFor();
    await page.locator("[data-testid=chart-series][data-drawn] svg").first().waitFor();
    expect(await page.locator("svg style").count()).toBe(0);
    // The alert layer of the map too.
    await open("/?a=GM0034&lay=alerts");
    await waitForMap(page);
    expect(violations()).toEqual([]);
    expect(s.errors).toEqual([]);
  });

  it("renders the API docs (Swagger UI, served locally) without a violation", async () => {
    const response = await open("/api/docs");
    expect(response?.status()).toBe(200);
    expect((await response?.allHeaders())?.["content-security-policy"]).toBeDefined();
    await page.locator(".swagger-ui .info .title", { hasText: "wijkradar API" }).waitFor();
    await page.locator(".swagger-ui .opblock").first().waitFor();
    expect(await page.locator(".swagger-ui .opblock").count()).toBeGreaterThan(10);
    // Open one operation: its parameters and "Try it out" render too.
    await page.locator(".swagger-ui .opblock-summary-path", { hasText: "/api/health" }).first().click();
    await page.locator(".swagger-ui .opblock.is-open .try-out__btn").waitFor();
    expect(violations()).toEqual([]);
    expect(s.errors).toEqual([]);
    const outside = s.requests.filter((u) => !/^(https?:\/\/127\.0\.0\.1[:/]|data:|blob:)/.test(u));
    expect(outside).toEqual([]);
  });
});
