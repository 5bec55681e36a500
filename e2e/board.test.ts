/**
 * Signal boards and interventions in the dashboard (issue 7), in a real Chromium against the real
 * server on a copy of the demo database with the demo accounts: the analyst posts a signal on a buurt
 * of Almere-Haven (the personal-data warning before sending, the server's refusal under the field it
 * names); the housing corporation (a partner whose grant covers housing) responds; an action with an
 * owner and a due date is agreed and marked done; the field worker of Almere-Haven sees that board,
 * and for a buurt of another wijk gets the rule that denies it and no signal text; an intervention is
 * registered through the form and its follow-up page says what the server's estimate says; axe-core
 * on the three pages at 1280 and 375 px, no sideways scrolling and 44 px targets on the phone.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDemoAccounts, type DemoAccount } from "../packages/server/src/demo/demo-accounts.js";
import {
  axeViolations,
  pageWidth,
  query,
  ROOT,
  screenshot,
  smallTargets,
  startSession,
  type Session,
} from "./browser.js";

const DUTCH = JSON.parse(
  readFileSync(join(ROOT, "packages", "web", "src", "locales", "nl.json"), "utf8"),
) as Record<string, unknown>;
/** A Dutch text of the dashboard by its key. */
const nl = (key: string): string => {
  const text = key
    .split(".")
    .reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], DUTCH);
  if (typeof text !== "string") throw new Error(`no Dutch text ${key}`);
  return text;
};
/** The part of a Dutch template before its first {{placeholder}}. */
const lead = (key: string): string => nl(key).split("{{")[0]!;

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 812 };

interface AreaList {
  areas: { code: string; name: string | null; level: string }[];
}
interface IndicatorList {
  indicators: {
    id: string;
    domain: string;
    levels: string[];
    periodsByLevel?: Record<string, string[]>;
  }[];
}
interface Effect {
  estimate: { verdict: string; estimate: number | null; lower: number | null; upper: number | null };
}

/** A date `days` from today as YYYY-MM-DD (UTC, as the server checks due dates). */
const inDays = (days: number): string => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

describe("signal boards and interventions in the dashboard", () => {
  let s: Session;
  let page: Page;
  const accounts = new Map<string, DemoAccount>();
  let haven: string; // a buurt of WK003401 (Almere-Haven)
  let other: string; // a buurt of WK003402
  const signalText = `Grofvuil bij de portieken aan de noordkant, al drie weken (${Date.now() % 100_000})`;
  const otherText = "Verwaarloosde voortuinen in de straat achter de school";

  const open = async (path: string) => {
    await page.goto(`${s.base}${path}`);
  };
  /** GET through the browser context: with its session cookie. */
  const get = async <T>(path: string): Promise<T> => {
    const res = await s.context.request.get(`${s.base}${path}`);
    if (!res.ok()) throw new Error(`${path}: ${res.status()}`);
    return (await res.json()) as T;
  };
  const login = async (username: string) => {
    await s.context.clearCookies();
    await open("/?v=login");
    await page.locator("#login-username").fill(username);
    await page.locator("#login-password").fill(accounts.get(username)!.password);
    await page.locator("[data-testid=login-submit]").click();
    await page.locator("[data-testid=user-button]").waitFor();
  };
  const openBoard = async (code: string) => {
    await open(`/?v=board&a=${code}`);
    await page.locator(`[data-testid=board][data-area=${code}]`).waitFor();
    await page.locator("[data-testid=signal-form], [data-testid=board-denied]").first().waitFor();
  };
  const postSignal = async (text: string, domain: string) => {
    await page.locator("#signal-text").fill(text);
    await page.locator("#signal-domain").selectOption(domain);
    await page.locator("#signal-urgency").selectOption("high");
    await page.locator("#signal-tags").fill("portiek, avond");
    await page.locator("[data-testid=signal-submit]").click();
    await page.locator("[data-testid=signal-text]", { hasText: text }).waitFor();
  };
  const phoneChecks = async (name: string) => {
    const width = await pageWidth(page);
    expect(width.scrollWidth, name).toBeLessThanOrEqual(width.viewport);
    expect(await smallTargets(page), name).toEqual([]);
    expect(await axeViolations(page), name).toEqual([]);
  };

  beforeAll(async () => {
    s = await startSession({ viewport: DESKTOP });
    page = s.page;
    for (const a of await createDemoAccounts(s.db, s.app.admin)) accounts.set(a.username, a);
    haven = (await s.json<AreaList>("/api/areas?level=buurt&parent=WK003401&limit=5")).areas[0]!.code;
    other = (await s.json<AreaList>("/api/areas?level=buurt&parent=WK003402&limit=5")).areas[0]!.code;
  });
  afterAll(async () => {
    await s?.close();
  });

  it("the analyst posts a signal; personal data is warned about and refused under its field", async () => {
    await login("analist");
    await openBoard(haven);
    expect(await page.locator("[data-testid=board-empty]").isVisible()).toBe(true);

    // The warning appears while typing, before anything is sent.
    await page.locator("#signal-text").fill("Bewoner belt steeds 06-12345678 over overlast");
    const warning = page.locator("#signal-text-pd");
    await warning.filter({ hasText: nl("board.pdKind.phone") }).waitFor();
    expect(await warning.textContent()).toContain("06-12345678");
    // Sent anyway: the server refuses and its reason stands under the text field.
    await page.locator("#signal-domain").selectOption("housing");
    await page.locator("[data-testid=signal-submit]").click();
    const fieldError = page.locator("#signal-text-error");
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toMatch(/personal data/);
    expect(await page.locator("#signal-text").getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator("[data-testid=signal]").count()).toBe(0);

    await postSignal(signalText, "housing");
    expect(await warning.textContent()).toBe("");
    const signal = page.locator("[data-testid=signal]").first();
    expect(await signal.textContent()).toContain(nl("board.urgency.high"));
    expect(await signal.textContent()).toContain("gemeente-almere");
    expect(await signal.textContent()).toContain(nl("domain.housing"));
    expect(await axeViolations(page)).toEqual([]);

    // "Bekijk de onderliggende factoren": the profile of the buurt, housing only.
    await signal.locator("[data-testid=signal-factors]").click();
    await page.waitForURL((u) => u.searchParams.get("v") === "profile");
    expect(query(page)).toMatchObject({ a: haven, focus: "housing" });
    const focusNote = page.locator("[data-testid=profile-focus]");
    await focusNote.waitFor();
    // What the profile holds for the analyst decides what the narrowed profile shows.
    const profile = await get<{ domains: Record<string, unknown[]> }>(`/api/areas/${haven}/profile`);
    const present = Object.keys(profile.domains).filter((d) => profile.domains[d]!.length > 0);
    const headings = () => page.locator(".profile-domain h2[id^=domain-]").allTextContents();
    await page.locator(".profile-domain h2[id^=domain-]").first().waitFor();
    if (present.includes("housing")) {
      expect(await headings()).toEqual([nl("domain.housing")]);
    } else {
      // No housing figures here: said so, and every domain is shown.
      expect(await focusNote.textContent()).toContain(lead("board.focusNone"));
      expect((await headings()).length).toBe(present.length);
    }
    // Narrowed to a domain the buurt has figures for: that domain only.
    const some = present.find((d) => d !== "profiles" && d !== "housing") ?? present[0]!;
    await open(`/?v=profile&a=${haven}&focus=${some}`);
    await page.locator("[data-testid=profile-focus]").waitFor();
    await page.locator(".profile-domain h2[id^=domain-]").first().waitFor();
    expect(await headings()).toEqual([nl(`domain.${some}`)]);
    await page.locator("[data-testid=focus-all]").click();
    await page.waitForURL((u) => !u.searchParams.has("focus"));
    expect((await headings()).length).toBe(present.length);

    // A signal on a buurt of another wijk, for the field worker's test below.
    await openBoard(other);
    await postSignal(otherText, "housing");
  });

  it("the housing corporation responds; an action with owner and due date is agreed and done", async () => {
    await login("corporatie");
    await openBoard(haven);
    const signal = page.locator("[data-testid=signal]", { hasText: signalText });
    await signal.waitFor();
    await signal.locator("textarea").fill("Wij sturen deze week de huismeester langs.");
    await signal.locator("[data-testid=respond-submit]").click();
    await signal.locator("[data-testid=response]", { hasText: "huismeester" }).waitFor();
    expect(await signal.locator("[data-testid=response]").textContent()).toContain("corporatie-almere");

    // A due date in the past is refused by the server, under the date field.
    const id = await signal.getAttribute("data-id");
    await page.locator("#action-text").fill("Grofvuil laten ophalen en bewoners informeren");
    await page.locator("#action-signal").selectOption(id);
    await page.locator("#action-owner").fill("corporatie-almere");
    await page.locator("#action-owner-name").fill("huismeester");
    await page.locator("#action-due").fill(inDays(-2));
    await page.locator("[data-testid=action-submit]").click();
    await page.locator("#action-due-error").waitFor();
    expect(await page.locator("#action-due-error").textContent()).toMatch(/past|today/);

    await page.locator("#action-due").fill(inDays(14));
    await page.locator("[data-testid=action-submit]").click();
    const action = page.locator("[data-testid=action]", { hasText: "Grofvuil laten ophalen" });
    await action.waitFor();
    expect(await action.getAttribute("data-status")).toBe("open");
    expect(await action.getAttribute("data-overdue")).toBeNull();
    expect(await action.textContent()).toContain(inDays(14));
    expect(await action.textContent()).toContain("huismeester");
    await action.locator("[data-testid=action-done]").click();
    await page
      .locator("[data-testid=action][data-status=done]", { hasText: "Grofvuil laten ophalen" })
      .waitFor();
    expect(await axeViolations(page)).toEqual([]);
  });

  it("the field worker of Almere-Haven sees that board, and elsewhere only the rule that denies it", async () => {
    await login("wijkwerker");
    await openBoard(haven);
    await page.locator("[data-testid=signal-text]", { hasText: signalText }).waitFor();
    await page.locator("[data-testid=action][data-status=done]").waitFor();

    await openBoard(other);
    const denied = page.locator("[data-testid=board-denied]");
    await denied.waitFor();
    expect(await denied.textContent()).toContain(lead("board.denied"));
    await page.locator("[data-testid=why-not-button]").click();
    const reason = await page.locator("[data-testid=why-reason]").textContent();
    expect(reason?.length).toBeGreaterThan(10);
    expect(await page.locator("[data-testid=signal]").count()).toBe(0);
    expect(await page.locator("body").textContent()).not.toContain(otherText);
    expect(await axeViolations(page)).toEqual([]);
  });

  it("an intervention registered through the form gets a follow-up page that says what the estimate says", async () => {
    await login("analist");
    const { indicators } = await get<IndicatorList>("/api/indicators");
    const target =
      indicators.find((i) => i.domain === "housing" && (i.periodsByLevel?.buurt?.length ?? 0) >= 3) ??
      indicators.find((i) => (i.periodsByLevel?.buurt?.length ?? 0) >= 3);
    expect(target).toBeDefined();
    const periods = [...target!.periodsByLevel!.buurt!].sort();
    const start = `${periods[Math.floor(periods.length / 2)]!.slice(0, 4)}-01-01`;

    await open("/?v=interventions");
    await page.locator("[data-testid=intervention-form]").waitFor();
    expect(await page.locator(".tabs a[aria-current=page]").textContent()).toBe(nl("nav.interventions"));
    await page.locator("#iv-title").fill("Schoon portiek Haven");
    await page.locator("#iv-problem").fill("grofvuil bij portieken");
    await page.locator("#iv-kind").selectOption("physical");
    await page.locator("#iv-domain").selectOption(target!.domain);
    await page.locator("#iv-goal").fill("Minder grofvuil en meer tevredenheid over de woonomgeving");
    await page.locator("#iv-area-search").fill(haven);
    await page.locator(`[role=option]`, { hasText: haven }).first().click();
    await page.locator("[data-testid=iv-areas]", { hasText: haven }).waitFor();
    await page.locator(`input[type=checkbox][value="${target!.id}"]`).check();
    await page.locator("#iv-start").fill(start);
    await page.locator("#iv-owner").fill("gemeente-almere");
    await page.locator("#iv-budget").fill("25000");
    await page.locator("#iv-status").selectOption("running");
    expect(await axeViolations(page)).toEqual([]);
    await page.locator("[data-testid=intervention-submit]").click();

    await page.waitForURL((u) => u.searchParams.get("v") === "intervention");
    const id = Number(query(page).id);
    expect(id).toBeGreaterThan(0);
    const block = page.locator(`[data-testid=effect][data-indicator="${target!.id}"]`);
    await block.waitFor();
    const effect = await get<Effect>(`/api/interventions/${id}/effect?indicator=${target!.id}`);
    expect(await block.getAttribute("data-verdict")).toBe(effect.estimate.verdict);
    const verdict = (await block.locator("[data-testid=effect-verdict]").textContent()) ?? "";
    if (effect.estimate.verdict === "effect") {
      expect(verdict).toMatch(/^(daling|stijging|geen verschil)/);
      expect(verdict).toContain("95 %-interval");
    } else {
      expect(verdict.startsWith("Nog geen meetbaar effect")).toBe(true);
    }
    expect(await block.locator("[data-testid=effect-source]").textContent()).toMatch(/\S/);
    expect(await page.locator("[data-testid=intervention-details]").textContent()).toContain(haven);

    // An agreement with an owner and a due date, then done.
    await page.locator("#ag-text").fill("Bewonersavond organiseren");
    await page.locator("#ag-owner").fill("gemeente-almere");
    await page.locator("#ag-due").fill(inDays(30));
    await page.locator("[data-testid=agreement-submit]").click();
    const agreement = page.locator("[data-testid=agreement]", { hasText: "Bewonersavond" });
    await agreement.waitFor();
    await agreement.locator("[data-testid=agreement-toggle]").click();
    await page.locator("[data-testid=agreement][data-status=done]").waitFor();
    if (await page.locator("[data-testid=effect-chart]").count())
      await page.locator("[data-testid=effect-chart][data-drawn=true]").first().waitFor();
    expect(await axeViolations(page)).toEqual([]);
    // The README shows the follow-up: the effect section in view.
    await page.locator("[data-testid=effect]").first().scrollIntoViewIfNeeded();
    await screenshot(page, "desktop-intervention", "docs/img/dashboard-intervention.png");

    // The list has it; the library searches shared ones.
    await open("/?v=interventions");
    await page.locator("[data-testid=intervention-list]", { hasText: "Schoon portiek Haven" }).waitFor();
    await page.locator("[data-testid=tab-library]").click();
    await page.locator("[data-testid=library-search]").waitFor();
    await page.locator("[data-testid=library-submit]").click();
    await page.locator(".interventions-page [role=status]", { hasText: /gevonden/ }).waitFor();
    expect(await axeViolations(page)).toEqual([]);

    // A 375 px phone: the three pages.
    await page.setViewportSize(PHONE);
    try {
      await open(`/?v=intervention&id=${id}`);
      await page.locator(`[data-testid=effect]`).first().waitFor();
      await phoneChecks("intervention");
      await screenshot(page, "phone-intervention");
      await open("/?v=interventions");
      await page.locator("[data-testid=intervention-list]").waitFor();
      await phoneChecks("interventions");
      await openBoard(haven);
      await page.locator("[data-testid=signal]").first().waitFor();
      await phoneChecks("board");
      await screenshot(page, "phone-board", "docs/img/dashboard-board-phone.png");
    } finally {
      await page.setViewportSize(DESKTOP);
    }
    expect(s.errors.filter((e) => !/status of (401|403|422)/.test(e))).toEqual([]);
  });
});
