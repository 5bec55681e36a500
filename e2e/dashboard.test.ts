/**
 * The dashboard in a desktop browser (1280×800): the national map, choosing an indicator, drilling
 * down by clicking the map, the profile against the bundled source file, English, the keyboard,
 * axe-core on every main screen, and that no request leaves the machine.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  attributes,
  axeViolations,
  featureState,
  focused,
  pointOfArea,
  query,
  rendered,
  renderKey,
  ROOT,
  screenshot,
  startSession,
  waitForMap,
  type Session,
} from "./browser.js";

interface Indicator {
  id: string;
  name: { nl: string; en: string };
  periods: string[];
  levels: string[];
  decimals: number;
  unit: string;
}
interface Values {
  period: string;
  level: string;
  values: { code: string; name?: string; value?: number; status: string }[];
}
interface Area {
  code: string;
  name?: string;
}

const DEMO = join(ROOT, "data", "demo");
const locale = (lang: "nl" | "en") =>
  JSON.parse(readFileSync(join(ROOT, "packages", "web", "src", "locales", `${lang}.json`), "utf8")) as {
    nav: Record<string, string>;
    levelPlural: Record<string, string>;
  };

// --- the bundled RIVM source, read directly (not through wijkradar) --------------------------------

interface RivmMapping {
  areas: { code: string };
  period: { column: string; pattern: string };
  variant: { column: string; values: Record<string, { suffix: string }> };
  indicators: { column: string; id: string }[];
}
const RIVM_MAPPING = "mappings/rivm-gezondheid.yaml";

/**
 * The values of one RIVM indicator (id with its age suffix, e.g. eenzaam_18plus) for the given area
 * codes and period, from the CSV files that data/demo/demo.json imports with the RIVM mapping.
 */
function rivmSourceValues(
  indicatorId: string,
  period: string,
  codes: readonly string[],
): Map<string, number> {
  const mapping = parseYaml(readFileSync(join(DEMO, RIVM_MAPPING), "utf8")) as RivmMapping;
  const variant = Object.entries(mapping.variant.values).find(([, v]) =>
    indicatorId.endsWith(`_${v.suffix}`),
  );
  if (!variant) throw new Error(`${indicatorId}: no age group of ${RIVM_MAPPING} matches`);
  const base = indicatorId.slice(0, -variant[1].suffix.length - 1);
  const column = mapping.indicators.find((i) => i.id === base)?.column;
  if (!column) throw new Error(`${indicatorId}: ${base} is not in ${RIVM_MAPPING}`);
  const periodPattern = new RegExp(mapping.period.pattern);
  const demo = JSON.parse(readFileSync(join(DEMO, "demo.json"), "utf8")) as {
    imports: { file: string; mapping: string }[];
  };
  const found = new Map<string, number>();
  for (const { file } of demo.imports.filter((i) => i.mapping === RIVM_MAPPING)) {
    const [header, ...lines] = readFileSync(join(DEMO, file), "utf8").split(/\r?\n/);
    // Only the lines naming one of the codes go through the CSV parser (the files have 17,000 rows).
    const wanted = lines.filter((l) => codes.some((c) => l.includes(c)));
    const rows = parseCsv<Record<string, string>>([header, ...wanted].join("\n"), {
      columns: true,
      trim: true,
    });
    for (const row of rows) {
      const code = row[mapping.areas.code]!;
      if (!codes.includes(code) || row[mapping.variant.column] !== variant[0]) continue;
      if (periodPattern.exec(row[mapping.period.column] ?? "")?.[1] !== period) continue;
      if (found.has(code)) throw new Error(`${code} ${period} twice in the source`);
      const raw = row[column];
      if (raw !== undefined && raw !== "") found.set(code, Number(raw));
    }
  }
  return found;
}

/** As the dashboard writes a figure in Dutch: decimal comma, the indicator's decimals, " %". */
const dutch = (value: number, ind: Indicator): string => {
  const n = new Intl.NumberFormat("nl-NL", {
    minimumFractionDigits: ind.decimals,
    maximumFractionDigits: ind.decimals,
  }).format(value);
  return ind.unit === "%" ? `${n} %` : ind.unit === "aantal" || !ind.unit ? n : `${n} ${ind.unit}`;
};

// ---------------------------------------------------------------------------------------------------

describe("the dashboard in a desktop browser", () => {
  let s: Session;
  let page: Page;
  let catalogue: Indicator[];
  const indicator = (id: string): Indicator => {
    const ind = catalogue.find((i) => i.id === id);
    if (!ind) throw new Error(`${id} is not in the catalogue`);
    return ind;
  };
  /** Opens a view of the app; in Dutch unless the path names a language (the last choice is remembered). */
  const open = async (path: string) => {
    const url = new URL(path, s.base);
    if (!url.searchParams.has("lang")) url.searchParams.set("lang", "nl");
    await page.goto(url.href);
  };
  const text = async (selector: string) =>
    ((await page.locator(selector).first().textContent()) ?? "").trim();
  const crumbs = async () =>
    (await page.locator("nav.breadcrumb ol li").allTextContents()).map((t) => t.trim());
  const rankedCodes = () => attributes(page, "section.ranking li[data-code]", "data-code");
  /** Clicks the first of `codes` that is drawn on the map (not every area has a boundary). */
  const clickFirstDrawn = async (codes: readonly string[]): Promise<string> => {
    for (const code of codes) {
      const point = await pointOfArea(page, code);
      if (!point) continue;
      await page.mouse.click(point.x, point.y);
      return code;
    }
    throw new Error(`none of ${codes.join(", ")} is drawn on the map`);
  };

  beforeAll(async () => {
    s = await startSession({ viewport: { width: 1280, height: 800 } });
    page = s.page;
    catalogue = (await s.json<{ indicators: Indicator[] }>("/api/indicators")).indicators;
  });
  afterAll(async () => {
    await s?.close();
  });

  it("loads the national map with its legend and ranking, without console errors", async () => {
    await page.goto(`${s.base}/`);
    await waitForMap(page);
    const { indicator: id, period, level, parent } = await rendered(page);
    const ind = indicator(id);
    expect([period, level, parent]).toEqual([ind.periods.at(-1), "gemeente", "NL01"]);
    expect(await page.locator("#indicator").inputValue()).toBe(ind.id);
    expect(await text(".legend-title")).toContain(ind.name.nl);
    expect(await page.locator(".legend-classes li").count()).toBeGreaterThanOrEqual(3);
    // The ranking lists every gemeente the API has a figure for, in the same session's data.
    const values = await s.json<Values>(`/api/indicators/${ind.id}/values?period=${period}&level=gemeente`);
    expect(await page.locator("section.ranking li[data-code]").count()).toBe(values.values.length);
    expect(await crumbs()).toEqual(["Nederland"]);
    expect(await page.locator("html").getAttribute("lang")).toBe("nl");
    await screenshot(page, "desktop-map-national");
    expect(s.errors).toEqual([]);
  });

  it("offers on the period slider only the years that have figures at the shown level", async () => {
    // CBS population density: gemeenten have several years, Almere's wijken only the newest.
    const res = await fetch(`${s.base}/api/indicators`);
    const all = (
      (await res.json()) as { indicators: (Indicator & { periodsByLevel: Record<string, string[]> })[] }
    ).indicators;
    const density = all.find((i) => i.id === "bevolkingsdichtheid")!;
    const wijk = density.periodsByLevel.wijk!;
    expect(wijk.length).toBeLessThan(density.periods.length);
    await open(`/?i=bevolkingsdichtheid&a=GM0034&l=wijk&p=${density.periods[0]}`);
    // A period the wijken don't have falls back to their newest, and the map shows it.
    await waitForMap(page, renderKey("bevolkingsdichtheid", wijk.at(-1)!, "wijk", "GM0034"));
    const slider = page.locator("#period");
    expect(Number(await slider.getAttribute("max"))).toBe(wijk.length - 1);
    expect(await slider.getAttribute("aria-valuetext")).toBe(wijk.at(-1));
    await expect.poll(() => page.locator(".status-line [role=alert]").count()).toBe(0);
  });

  it("changes the indicator with the select: URL, map and legend follow", async () => {
    await open("/");
    await waitForMap(page);
    const before = await text(".legend-title");
    const ind = indicator("eenzaam_18plus");
    await page.locator("#indicator").selectOption(ind.id);
    await page.waitForURL((u) => u.searchParams.get("i") === ind.id);
    await waitForMap(page, renderKey(ind.id, ind.periods.at(-1)!, "gemeente"));
    const after = await text(".legend-title");
    expect(after).toContain(ind.name.nl);
    expect(after).not.toBe(before);
    expect(await text("section.ranking h2")).toContain(locale("nl").levelPlural.gemeente);
  });

  it("drills from the country into Almere, a wijk and a buurt by clicking the map", async () => {
    // The README's map shows this indicator ("moeite met rondkomen") for the wijken of Almere.
    const ind = indicator("moeite_rondkomen_18plus");
    const period = ind.periods.at(-1)!;
    await open(`/?i=${ind.id}`);
    await waitForMap(page, renderKey(ind.id, period, "gemeente"));

    await clickFirstDrawn(["GM0034"]);
    await page.waitForURL((u) => u.searchParams.get("a") === "GM0034");
    expect(query(page)).toMatchObject({ i: ind.id, a: "GM0034", l: "wijk" });
    await waitForMap(page, renderKey(ind.id, period, "wijk", "GM0034"));
    const nl = await s.json<Area>("/api/areas/NL01");
    const almere = await s.json<Area>("/api/areas/GM0034");
    expect(await crumbs()).toEqual([nl.name, almere.name]);
    expect(await page.locator("#level").inputValue()).toBe("wijk");
    await screenshot(page, "desktop-map-almere", "docs/img/dashboard-map.png");

    // A wijk: the first of the ranking that has a boundary on the map.
    const wijk = await clickFirstDrawn(await rankedCodes());
    expect(wijk).toMatch(/^WK0034/);
    await page.waitForURL((u) => u.searchParams.get("a") === wijk);
    expect(query(page)).toMatchObject({ a: wijk, l: "buurt" });
    await waitForMap(page, renderKey(ind.id, period, "buurt", wijk));
    expect(await crumbs()).toHaveLength(3);

    // A buurt: selected in place (the finest level), outlined on the map and marked in the ranking.
    const buurt = await clickFirstDrawn(await rankedCodes());
    expect(buurt).toMatch(/^BU0034/);
    await page.waitForURL((u) => u.searchParams.get("a") === buurt);
    expect(query(page)).toMatchObject({ a: buurt, l: "buurt" });
    const row = page.locator(`section.ranking li[data-code="${buurt}"] button`);
    await row.and(page.locator('[aria-current="true"]')).waitFor();
    const name = (await row.locator(".name").textContent())!.trim();
    await page.locator("nav.breadcrumb [aria-current=location]", { hasText: name }).waitFor();
    expect((await crumbs()).slice(0, 2)).toEqual([nl.name, almere.name]);
    expect(await featureState(page, buurt)).toMatchObject({ selected: true });
    await screenshot(page, "desktop-map-buurt");

    // Its profile, through the link beside the breadcrumb.
    await page.locator(".crumb-row a.button-link").click();
    await page.waitForURL((u) => u.searchParams.get("v") === "profile");
    expect(query(page)).toMatchObject({ v: "profile", a: buurt });
    await page.locator("[data-testid=profile] h1", { hasText: name }).waitFor();
    expect(await text("[data-testid=profile] h1")).toContain(buurt);
  });

  it("shows in the profile of a buurt the figures of the bundled RIVM file", async () => {
    const code = "BU00340101";
    await page.setViewportSize({ width: 1280, height: 900 });
    try {
      await open(`/?v=profile&a=${code}`);
      const area = await s.json<{ parentCode: string }>(`/api/areas/${code}?division=2020`);
      for (const id of ["eenzaam_18plus", "moeite_rondkomen_18plus"]) {
        const ind = indicator(id);
        const row = page.locator(`[data-testid=profile] tr[data-indicator=${id}]`);
        await row.waitFor();
        // The period of the figure as the row states it ("Bron: …, 2020", maybe "(indeling 2014)" after it).
        const period = /,\s*(\d{4})\b/.exec((await row.locator(".figure-source").textContent()) ?? "")?.[1];
        expect(period, `${id}: the period of the figure`).toBe(ind.periods.at(-1));
        const source = rivmSourceValues(id, period!, [code, area.parentCode, "NL01"]);
        expect(source.size, `${id}: buurt, wijk and land rows in the source`).toBe(3);
        const cells = (await row.locator("td").allTextContents()).map((t) => t.trim());
        expect(await row.locator("[data-testid=profile-value]").textContent()).toBe(
          dutch(source.get(code)!, ind),
        );
        expect(cells[0]).toBe(dutch(source.get(code)!, ind));
        expect(cells[1], `${id}: the wijk ${area.parentCode}`).toBe(dutch(source.get(area.parentCode)!, ind));
        expect(cells[2], `${id}: Nederland`).toBe(dutch(source.get("NL01")!, ind));
      }
      await screenshot(page, "desktop-profile", "docs/img/dashboard-profile.png");
      // Sparklines are drawn when near the screen; printing draws every one of them first.
      const sparklines = await page.locator(".sparkline").count();
      expect(sparklines).toBeGreaterThan(20);
      expect(await page.locator(".sparkline svg").count()).toBeLessThan(sparklines);
      await page.evaluate("window.dispatchEvent(new Event('beforeprint'))");
      expect(await page.locator(".sparkline svg").count()).toBe(sparklines);
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it("switches to English and keeps it on reload", async () => {
    const en = locale("en");
    await open("/");
    await waitForMap(page);
    await page.locator(".lang-switch").click();
    await page.waitForURL((u) => u.searchParams.get("lang") === "en");
    const check = async () => {
      expect(await page.locator("html").getAttribute("lang")).toBe("en");
      expect(await page.locator("nav.tabs a").allTextContents()).toEqual([
        en.nav.map,
        en.nav.table,
        en.nav.profile,
        en.nav.compare,
        en.nav.alerts,
      ]);
      expect(await text(".legend-title")).toContain(indicator((await rendered(page)).indicator).name.en);
      expect(await text(".lang-switch")).toBe("Nederlands");
    };
    await page.locator("html[lang=en]").waitFor({ state: "attached" });
    await check();
    await page.reload();
    await waitForMap(page);
    expect(query(page)).toMatchObject({ lang: "en" });
    await check();
    await screenshot(page, "desktop-map-english");
    // Back to Dutch after a page that started in English (the choice is remembered on the device).
    await page.locator(".lang-switch").click();
    await page.waitForURL((u) => u.searchParams.get("lang") !== "en");
    await page.locator("html[lang=nl]").waitFor({ state: "attached" });
    expect(await page.locator("nav.tabs a").first().textContent()).toBe(locale("nl").nav.map);
    await page.reload();
    await waitForMap(page);
    expect(await page.locator("html").getAttribute("lang")).toBe("nl");
  });

  it("works with the keyboard: skip link, brand, tabs, search, ranking", async () => {
    const nl = locale("nl");
    await open("/");
    await waitForMap(page);
    const order: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press("Tab");
      const f = await focused(page);
      order.push(f.id ? `#${f.id}` : f.cls ? `.${f.cls.split(" ")[0]}` : `${f.tag}:${f.text}`);
    }
    expect(order).toEqual([
      ".skip-link",
      ".brand",
      `a:${nl.nav.map}`,
      `a:${nl.nav.table}`,
      `a:${nl.nav.profile}`,
      `a:${nl.nav.compare}`,
      `a:${nl.nav.alerts}`,
      "#area-search",
    ]);

    // Search: type, arrow down to the first suggestion, Enter.
    await page.keyboard.type("Almere");
    const first = page.locator("#area-search-list [role=option]").first();
    await first.waitFor();
    expect(await first.textContent()).toContain("GM0034");
    await page.keyboard.press("ArrowDown");
    expect(await page.locator("#area-search").getAttribute("aria-activedescendant")).toBe(
      await first.getAttribute("id"),
    );
    await page.keyboard.press("Enter");
    await page.waitForURL((u) => u.searchParams.get("a") === "GM0034");
    await page.locator(`section.ranking li[data-code="GM0034"] button[aria-current="true"]`).waitFor();

    // A ranking row with Enter drills down into the wijken of that gemeente.
    const { indicator: id, period } = await rendered(page);
    const button = page.locator(`section.ranking li[data-code="GM0034"] button`);
    await button.focus();
    await page.keyboard.press("Enter");
    await page.waitForURL((u) => u.searchParams.get("l") === "wijk");
    expect(query(page)).toMatchObject({ a: "GM0034", l: "wijk" });
    await waitForMap(page, renderKey(id, period, "wijk", "GM0034"));
  });

  describe("has no serious or critical axe violations", () => {
    // name, URL, what to wait for, and the name of a screenshot (for screens no other test saves).
    const screens: [string, string, () => Promise<void>, string?][] = [
      ["national map", "/", () => waitForMap(page)],
      ["map of Almere", "/?a=GM0034", () => waitForMap(page, { parent: "GM0034" })],
      [
        "table",
        "/?v=table&a=GM0034",
        () => page.locator("[data-testid=data-table] tr[data-code]").first().waitFor(),
        "desktop-table",
      ],
      [
        "profile",
        "/?v=profile&a=BU00340101",
        () => page.locator("[data-testid=profile-value]").first().waitFor(),
      ],
      [
        "compare",
        "/?v=compare&c=GM0034,GM0363",
        () => page.locator("[data-testid=compare-table] tbody tr").first().waitFor(),
        "desktop-compare",
      ],
      ["English map", "/?lang=en", () => waitForMap(page)],
    ];
    it("(the check itself finds violations on a page that has them)", async () => {
      await page.setContent("<html><body><button></button><img src='data:,'></body></html>");
      const found = await axeViolations(page);
      expect(found.map((v) => v.split(" ")[0])).toEqual(
        expect.arrayContaining(["button-name", "html-has-lang", "image-alt"]),
      );
    });
    it.each(screens)("%s", async (name, path, ready, shot) => {
      await open(path);
      await ready();
      if (shot) await screenshot(page, shot);
      const violations = await axeViolations(page);
      expect(violations, `${name}:\n${violations.join("\n")}`).toEqual([]);
    });
  });

  it("made no request outside this machine during the whole session", async () => {
    // Make sure the session covered every screen, also when this test runs alone.
    await open("/?v=compare&c=GM0034,GM0363&lang=en");
    await page.locator("[data-testid=compare-table] tbody tr").first().waitFor();
    await open("/?v=profile&a=GM0034");
    await page.locator("[data-testid=profile-value]").first().waitFor();
    await open("/?a=GM0034");
    await waitForMap(page);
    const outside = s.requests.filter((url) => {
      const u = new URL(url);
      if (u.protocol === "data:" || u.protocol === "blob:") return false;
      return !(u.hostname === "127.0.0.1" || u.hostname === "localhost");
    });
    expect(outside).toEqual([]);
    // The recorder saw the app's own traffic: pages, scripts, the MapLibre worker, every API.
    const paths = s.requests.map((url) => new URL(url).pathname);
    for (const p of [
      "/",
      "/api/indicators",
      "/api/geo/",
      "/profile",
      "/values",
      "/assets/maplibre-gl-worker",
    ])
      expect(
        paths.some((x) => x === p || (p !== "/" && x.includes(p))),
        p,
      ).toBe(true);
    expect(s.errors).toEqual([]);
  });
});
