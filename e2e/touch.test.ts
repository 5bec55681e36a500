/**
 * The dashboard on a phone (375×812) and a tablet (768×1024), both with touch: the main path by
 * tapping (a tap pins a tooltip with "Inzoomen" and "Profiel"), search, no sideways scrolling, touch
 * targets of at least 44×44 CSS px on every main screen, and axe-core at phone size.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  axeViolations,
  attributes,
  pageWidth,
  pointOfArea,
  query,
  rendered,
  renderKey,
  ROOT,
  screenshot,
  scrollToTop,
  smallTargets,
  startSession,
  waitForMap,
  type Session,
} from "./browser.js";

const PHONE = { width: 375, height: 812 };
const TABLET = { width: 768, height: 1024 };
const nl = JSON.parse(readFileSync(join(ROOT, "packages", "web", "src", "locales", "nl.json"), "utf8")) as {
  tooltip: { drill: string; profile: string };
  alertLegend: { open: string };
};

describe("the dashboard on touch screens", () => {
  let s: Session;
  let page: Page;
  /** Opens a view of the app; in Dutch unless the path names a language (the last choice is remembered). */
  const open = async (path: string) => {
    const url = new URL(path, s.base);
    if (!url.searchParams.has("lang")) url.searchParams.set("lang", "nl");
    await page.goto(url.href);
  };
  /** The page fits the viewport's width (no sideways scrolling) and every target is 44×44 or more. */
  const expectFits = async (screen: string) => {
    const { scrollWidth, viewport } = await pageWidth(page);
    expect(scrollWidth, `${screen}: the page scrolls sideways`).toBeLessThanOrEqual(viewport);
    const small = await smallTargets(page);
    expect(
      small,
      `${screen}: targets under 44×44 px:\n${small.map((t) => `${t.element} ${t.width}×${t.height}`).join("\n")}`,
    ).toEqual([]);
  };
  /** Taps the area on the map and waits for the pinned tooltip with its actions. */
  const tapArea = async (code: string) => {
    await waitForMap(page);
    const point = await pointOfArea(page, code);
    if (!point) throw new Error(`${code} is not drawn on the map`);
    await page.touchscreen.tap(point.x, point.y);
    const tip = page.locator("[data-testid=tooltip].pinned");
    await tip.waitFor();
    return tip;
  };
  const tapFirstDrawn = async (codes: readonly string[]) => {
    for (const code of codes) if (await pointOfArea(page, code)) return { code, tip: await tapArea(code) };
    throw new Error(`none of ${codes.join(", ")} is drawn on the map`);
  };

  beforeAll(async () => {
    s = await startSession({ viewport: PHONE, isMobile: true, hasTouch: true });
    page = s.page;
  });
  afterAll(async () => {
    await s?.close();
  });

  it("phone: choose an indicator, find Almere, tap to drill down, open a profile", async () => {
    await page.setViewportSize(PHONE);
    await open("/");
    await waitForMap(page);
    await expectFits("phone, national map");

    await page.locator("#indicator").selectOption("eenzaam_18plus");
    await page.waitForURL((u) => u.searchParams.get("i") === "eenzaam_18plus");
    await waitForMap(page);
    const { period } = await rendered(page);
    await waitForMap(page, renderKey("eenzaam_18plus", period, "gemeente"));

    // Search: type, tap the suggestion.
    await page.locator("#area-search").tap();
    await page.keyboard.type("Almere");
    const option = page.locator("#area-search-list [role=option]", { hasText: "GM0034" });
    await option.tap();
    await page.waitForURL((u) => u.searchParams.get("a") === "GM0034");
    await page.locator('section.ranking li[data-code="GM0034"] button[aria-current="true"]').waitFor();

    // A tap pins the tooltip (a touch has no hover) with "Inzoomen" and "Profiel".
    const tip = await tapArea("GM0034");
    expect(await tip.locator(".tooltip-name").textContent()).toBe("Almere");
    expect(await tip.getAttribute("role")).toBe("dialog");
    expect(await tip.locator(".tooltip-actions button").first().textContent()).toBe(nl.tooltip.drill);
    expect(await tip.locator(".tooltip-actions a").textContent()).toBe(nl.tooltip.profile);
    await expectFits("phone, pinned tooltip");
    await screenshot(page, "phone-tooltip");
    await tip.getByRole("button", { name: nl.tooltip.drill }).tap();
    await page.waitForURL((u) => u.searchParams.get("l") === "wijk");
    expect(query(page)).toMatchObject({ i: "eenzaam_18plus", a: "GM0034", l: "wijk" });
    await waitForMap(page, renderKey("eenzaam_18plus", period, "wijk", "GM0034"));
    await expectFits("phone, wijken of Almere");
    await scrollToTop(page);
    await screenshot(page, "phone-map-almere", "docs/img/dashboard-phone.png");

    // A wijk: tap, then "Profiel".
    const wijken = await attributes(page, "section.ranking li[data-code]", "data-code");
    const { code, tip: wijkTip } = await tapFirstDrawn(wijken);
    await wijkTip.getByRole("link", { name: nl.tooltip.profile }).tap();
    await page.waitForURL((u) => u.searchParams.get("v") === "profile");
    expect(query(page)).toMatchObject({ v: "profile", a: code });
    // By code: the profile names the area as in its newest division, the map as in the figures' one.
    await page.locator("[data-testid=profile] h1", { hasText: code }).waitFor();
    await page.locator("[data-testid=profile-value]").first().waitFor();
    await expectFits("phone, profile");
    await screenshot(page, "phone-profile");
  });

  describe("phone screens fit 375 px with 44 px targets", () => {
    const screens: [string, string, () => Promise<void>][] = [
      ["map of Almere", "/?a=GM0034", () => waitForMap(page, { parent: "GM0034" })],
      [
        "table",
        "/?v=table&a=GM0034",
        () => page.locator("[data-testid=data-table] tr[data-code]").first().waitFor(),
      ],
      [
        "profile of a buurt",
        "/?v=profile&a=BU00340101",
        () => page.locator("[data-testid=profile-value]").first().waitFor(),
      ],
      [
        "compare",
        "/?v=compare&c=GM0034,GM0363",
        () => page.locator("[data-testid=compare-table] tbody tr").first().waitFor(),
      ],
      ["English map", "/?lang=en", () => waitForMap(page)],
      [
        "English profile",
        "/?v=profile&a=GM0034&lang=en",
        () => page.locator("[data-testid=profile-value]").first().waitFor(),
      ],
    ];
    it.each(screens)("%s", async (name, path, ready) => {
      await page.setViewportSize(PHONE);
      await open(path);
      await ready();
      await expectFits(`phone, ${name}`);
      await screenshot(page, `phone-${name.replace(/\s+/g, "-").toLowerCase()}`);
    });
  });

  it("phone: the map has no serious or critical axe violations", async () => {
    await page.setViewportSize(PHONE);
    await open("/?a=GM0034");
    await waitForMap(page, { parent: "GM0034" });
    const violations = await axeViolations(page);
    expect(violations, violations.join("\n")).toEqual([]);
  });

  it("phone: the alert layer; a tap on a red buurt pins its alerts, and “Signaal openen” opens the strongest the layer names", async () => {
    await page.setViewportSize(PHONE);
    await open("/?a=GM0034&l=buurt&lay=alerts");
    await page
      .locator("[data-testid=map][data-layer=alerts][data-state=ready]")
      .waitFor({ state: "attached" });
    const layer = (await (
      await fetch(`${s.base}/api/alerts/map?level=buurt&division=2020&parent=GM0034`)
    ).json()) as {
      areas: { code: string; severity: string; alerts: number; alertId: number }[];
    };
    let tapped: (typeof layer.areas)[number] | undefined;
    for (const a of layer.areas.filter((x) => x.severity === "red")) {
      const point = await pointOfArea(page, a.code);
      if (!point) continue;
      await page.touchscreen.tap(point.x, point.y);
      tapped = a;
      break;
    }
    expect(tapped, "a red buurt drawn on the map").toBeDefined();
    const tip = page.locator("[data-testid=tooltip].pinned");
    await tip.locator("[data-testid=tooltip-alert]").waitFor();
    await expectFits("phone, alert layer with a pinned tooltip");
    await tip.getByRole("button", { name: nl.alertLegend.open }).tap();
    await page.waitForURL((u) => u.searchParams.get("v") === "alert");
    // The area's strongest alert as the layer names it, which is the first the API ranks.
    expect(query(page)).toMatchObject({ v: "alert", id: String(tapped!.alertId) });
    const top = (await (
      await fetch(`${s.base}/api/alerts?area=${tapped!.code}&level=buurt&division=2020&limit=1`)
    ).json()) as { alerts: { id: number }[] };
    expect(top.alerts[0]!.id).toBe(tapped!.alertId);
    await page.locator("[data-testid=alert-test]").first().waitFor();
    await expectFits("phone, alert page");
  });

  it("tablet: loads, drills into Almere by tapping, fits 768 px", async () => {
    await page.setViewportSize(TABLET);
    try {
      await open("/");
      await waitForMap(page);
      const { indicator, period } = await rendered(page);
      await expectFits("tablet, national map");
      const tip = await tapArea("GM0034");
      await tip.getByRole("button", { name: nl.tooltip.drill }).tap();
      await page.waitForURL((u) => u.searchParams.get("a") === "GM0034");
      expect(query(page)).toMatchObject({ a: "GM0034", l: "wijk" });
      await waitForMap(page, renderKey(indicator, period, "wijk", "GM0034"));
      await expectFits("tablet, wijken of Almere");
      await screenshot(page, "tablet-map-almere");
    } finally {
      await page.setViewportSize(PHONE);
    }
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
