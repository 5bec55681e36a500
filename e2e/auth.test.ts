/**
 * Accounts and need to know in the dashboard (issue 6), in a real Chromium against the real server on
 * a copy of the demo database with the demo accounts (one per role, random one-time passwords, the
 * administrator's TOTP secret): logging in and out through the form, a wrong password, an ended
 * session that brings the login back with its reason and returns to the page; the field worker of
 * Almere-Haven who sees profile figures there and, elsewhere, "no access" with the rule that applies;
 * an alert status set with the session's CSRF token; the privacy officer who finds the field worker's
 * requests in the audit trail, exports them and verifies the chain; the administrator who logs in
 * with the second factor and makes a grant after seeing what it would expose; axe-core on every new
 * screen, and a 375×812 phone for the login and the audit trail.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { totpCode } from "../packages/server/src/auth/totp.js";
import { createDemoAccounts, type DemoAccount } from "../packages/server/src/demo/demo-accounts.js";
import {
  attributes,
  axeViolations,
  focused,
  pageWidth,
  query,
  ROOT,
  screenshot,
  scrollToTop,
  smallTargets,
  startSession,
  waitForMap,
  type Session,
} from "./browser.js";

const DUTCH = JSON.parse(
  readFileSync(join(ROOT, "packages", "web", "src", "locales", "nl.json"), "utf8"),
) as Record<string, unknown>;
/** A Dutch text of the dashboard by its key ("login.wrong"). */
const nl = (key: string): string => {
  const text = key
    .split(".")
    .reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], DUTCH);
  if (typeof text !== "string") throw new Error(`no Dutch text ${key}`);
  return text;
};

/** i18next's {{name}} interpolation, for comparing with what the page says. */
const fill = (template: string, values: Record<string, string | number>): string =>
  template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => String(values[k] ?? ""));

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 812 };

interface ValuesResponse {
  indicator: { decimals: number; unit: string };
  values: { code: string; status: string; value?: number | null }[];
  denied: number;
}
interface Explanation {
  allowed: boolean;
  grantId: string | null;
  reason: string;
}
interface GrantPreview {
  indicators: number;
  profiles: string[];
  areasByLevel: Record<string, number>;
  recipients: { username: string }[];
}

const nf = (v: number, decimals: number) =>
  new Intl.NumberFormat("nl-NL", { minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(
    v,
  );

describe("accounts and need to know in the dashboard", () => {
  let s: Session;
  let page: Page;
  const accounts = new Map<string, DemoAccount>();
  const ids = new Map<string, string>();

  const open = async (path: string) => {
    await page.goto(`${s.base}${path}`);
  };
  /** GET through the browser context: with its session cookie, outside the page. */
  const get = async <T>(path: string): Promise<T> => {
    const res = await s.context.request.get(`${s.base}${path}`);
    if (!res.ok()) throw new Error(`${path}: ${res.status()}`);
    return (await res.json()) as T;
  };
  const sessionOfPage = () =>
    page.evaluate(() =>
      fetch("/api/auth/session").then(
        (r) => r.json() as Promise<{ authenticated: boolean; user?: { username: string; role: string } }>,
      ),
    );

  /**
   * Waits until the page has had no request in flight for a while ("networkidle" is a state of the
   * document's load, reached once: it says nothing after in-page navigations).
   */
  const settled = async (quietMs = 800) => {
    let inFlight = 0;
    let last = Date.now();
    const started = () => {
      inFlight++;
      last = Date.now();
    };
    const ended = () => {
      inFlight = Math.max(0, inFlight - 1);
      last = Date.now();
    };
    page.on("request", started);
    page.on("requestfinished", ended);
    page.on("requestfailed", ended);
    try {
      while (inFlight > 0 || Date.now() - last < quietMs) await page.waitForTimeout(50);
    } finally {
      page.off("request", started);
      page.off("requestfinished", ended);
      page.off("requestfailed", ended);
    }
  };

  /** Fills and sends the login form that is on screen (with the authenticator code when asked). */
  const submitLogin = async (username: string) => {
    const account = accounts.get(username)!;
    await page.locator("#login-username").fill(username);
    await page.locator("#login-password").fill(account.password);
    await page.locator("[data-testid=login-submit]").click();
    if (account.totpSecret) {
      await page.locator("#login-code").waitFor();
      await page.locator("#login-code").fill(totpCode(account.totpSecret));
      await page.locator("[data-testid=login-submit]").click();
    }
    await page.locator("[data-testid=user-button]").waitFor();
  };
  const login = async (username: string) => {
    await s.context.clearCookies();
    await open("/?v=login");
    await submitLogin(username);
  };

  beforeAll(async () => {
    s = await startSession({ viewport: DESKTOP });
    page = s.page;
    for (const a of await createDemoAccounts(s.db, s.app.admin)) accounts.set(a.username, a);
    for (const u of await s.app.admin.users()) ids.set(u.username, u.id);
  });
  afterAll(async () => {
    await s?.close();
  });

  it("logs in and out through the form; a wrong password is said so", async () => {
    await open("/?v=alerts");
    await page.locator("[data-testid=login-link]").click();
    await page.waitForURL((u) => u.searchParams.get("v") === "login");
    expect(query(page).next).toBe("/?v=alerts");
    await page.locator("[data-testid=login] h1", { hasText: nl("login.title") }).waitFor();

    await page.locator("#login-username").fill("wijkwerker");
    await page.locator("#login-password").fill("not-the-password-at-all");
    await page.locator("[data-testid=login-submit]").click();
    const error = page.locator("[data-testid=login-error]");
    await error.filter({ hasText: nl("login.wrong") }).waitFor();
    expect(await error.getAttribute("role")).toBe("alert");
    expect((await focused(page)).id).toBe("login-password");
    expect(await page.locator("#login-password").inputValue()).toBe("");
    expect(await axeViolations(page)).toEqual([]);
    expect((await sessionOfPage()).authenticated).toBe(false);

    await page.locator("#login-password").fill(accounts.get("wijkwerker")!.password);
    await page.locator("[data-testid=login-submit]").click();
    // Back where the user was, as the field worker.
    await page.waitForURL((u) => u.searchParams.get("v") === "alerts");
    const button = page.locator("[data-testid=user-button]");
    await button.filter({ hasText: "Willem Wijkwerker" }).waitFor();
    expect(await page.locator(".user-menu [role=status]").textContent()).toContain("Willem Wijkwerker");
    expect(await sessionOfPage()).toMatchObject({
      authenticated: true,
      user: { username: "wijkwerker", role: "field-worker" },
    });

    // The user menu: who, role, organisation; then log out.
    expect(await button.getAttribute("aria-expanded")).toBe("false");
    await button.click();
    expect(await button.getAttribute("aria-expanded")).toBe("true");
    const panel = page.locator("[data-testid=user-panel]");
    const who = await panel.textContent();
    expect(who).toContain(nl("role.field-worker"));
    expect(who).toContain("gemeente-almere");
    expect(who).toContain("wijkwerker");
    await page.keyboard.press("Escape");
    expect(await panel.isHidden()).toBe(true);
    expect((await focused(page)).cls).toContain("user-button");
    await button.click();
    await page.locator("[data-testid=logout]").click();
    await page.locator("[data-testid=login-link]").waitFor();
    expect((await focused(page)).cls).toContain("login-link");
    expect((await sessionOfPage()).authenticated).toBe(false);
    expect(s.errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });

  it("an ended session brings the login back with the reason, and returns to the page afterwards", async () => {
    await login("wijkwerker");
    const haven = "/?v=profile&a=WK003401";
    await open(haven);
    await page.locator("[data-testid=profile-figures] tbody tr[data-state=value]").first().waitFor();
    // Nothing in flight while the session ends: a request of this page answering 401 first would
    // show the login before the test acts.
    await settled();
    await s.app.auth.endUserSessions(ids.get("wijkwerker")!, "ended by an administrator");
    // The next request of the dashboard (a search) answers 401: the login view, with the server's
    // reason and the page to return to.
    await page.locator("#area-search").fill("Almere");
    await page.waitForURL((u) => u.searchParams.get("v") === "login");
    expect(query(page).next).toBe(haven);
    const ended = page.locator("[data-testid=session-ended]");
    await ended.waitFor();
    expect(await ended.textContent()).toBe(`${nl("login.endedPrefix")} ${nl("login.ended.admin")}`);
    expect(await ended.getAttribute("role")).toBe("alert");
    expect(await page.locator("[data-testid=user-button]").count()).toBe(0);
    await submitLogin("wijkwerker");
    await page.waitForURL((u) => u.search === haven.slice(1));
    expect(await page.locator("[data-testid=session-ended]").count()).toBe(0);

    // Ended again, and the next thing the user opens is a view whose script is not loaded yet: the
    // server clears the cookie on that file and the API answers as to a visitor; the check at every
    // change of view notices and shows the login all the same.
    await page.locator("[data-testid=profile-figures] tbody tr[data-state=value]").first().waitFor();
    await settled();
    await s.app.auth.endUserSessions(ids.get("wijkwerker")!, "ended by an administrator");
    await page.locator("nav.tabs a", { hasText: nl("nav.compare") }).click();
    await page.waitForURL((u) => u.searchParams.get("v") === "login");
    expect(new URL(query(page).next!, s.base).searchParams.get("v")).toBe("compare");
    await ended.waitFor();
    expect(await ended.textContent()).toMatch(new RegExp(`^${nl("login.endedPrefix")} `));
  });

  it("the field worker sees profile figures in Almere-Haven, and elsewhere no access with the reason", async () => {
    await login("wijkwerker");
    await open("/?v=profile&a=WK003401");
    const rows = "[data-testid=profile-figures] tbody tr";
    await page.locator(`${rows}[data-state=value]`).first().waitFor();
    const states = await attributes(page, rows, "data-state");
    expect(states.length).toBeGreaterThan(0);
    expect(states).not.toContain("denied");
    // The figure is the API's, for this user.
    const profile = (await attributes(page, `${rows}[data-state=value]`, "data-profile"))[0]!;
    const values = await get<ValuesResponse>(
      `/api/indicators/profile:${profile}/values?level=wijk&parent=GM0034`,
    );
    const haven = values.values.find((v) => v.code === "WK003401")!;
    expect(
      await page.locator(`${rows}[data-profile="${profile}"] [data-testid=profile-figure]`).textContent(),
    ).toContain(nf(haven.value!, values.indicator.decimals));

    // The map layer profile:… over the buurten of Almere-Haven.
    await open(`/?i=profile:${profile}&a=WK003401&l=buurt`);
    await waitForMap(page, { parent: "WK003401" });
    expect(await page.locator("section.ranking li[data-code]").count()).toBeGreaterThan(0);
    expect(await page.locator("[data-testid=denied-note]").count()).toBe(0);

    // The wijken of Almere: only Almere-Haven has a figure; the rest says why not.
    await open(`/?i=profile:${profile}&a=GM0034&l=wijk`);
    await waitForMap(page, { parent: "GM0034" });
    const wijken = await get<ValuesResponse>(
      `/api/indicators/profile:${profile}/values?level=wijk&parent=GM0034`,
    );
    expect(wijken.denied).toBeGreaterThan(0);
    expect(await attributes(page, "section.ranking li[data-code]", "data-code")).toEqual(["WK003401"]);
    const partly = page.locator("[data-testid=denied-note]");
    expect(await partly.textContent()).toContain(String(wijken.denied));
    await partly.locator("[data-testid=why-not-button]").click();
    expect(await partly.locator("[data-testid=why-reason]").textContent()).toContain(
      "demo-fieldworker-haven",
    );

    // Another wijk of Almere: every profile hidden, each with "why can't I see this?".
    await open("/?v=profile&a=WK003402");
    await page.locator(`${rows}[data-state=denied]`).first().waitFor();
    const denied = await attributes(page, rows, "data-state");
    expect(new Set(denied)).toEqual(new Set(["denied"]));
    const first = page.locator(rows).first();
    expect(await first.locator("[data-testid=profile-figure]").textContent()).toBe(
      nl("profileFigures.denied"),
    );
    const why = first.locator("[data-testid=why-not-button]");
    expect(await why.textContent()).toBe(nl("why.button"));
    await why.click();
    expect(await why.getAttribute("aria-expanded")).toBe("true");
    const firstProfile = (await first.getAttribute("data-profile"))!;
    const explained = await get<Explanation>(
      `/api/access/explain?indicator=profile:${firstProfile}&area=WK003402&level=wijk`,
    );
    expect(explained.allowed).toBe(false);
    const reason = first.locator("[data-testid=why-reason]");
    expect(await reason.textContent()).toBe(explained.reason);
    expect(explained.reason).toContain("WK003401");
    expect(await reason.getAttribute("lang")).toBe("en");
    expect(await first.locator("[data-testid=why-answer]").textContent()).toContain(
      "Geen van je toekenningen",
    );
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, "desktop-profile-denied");

    // The map of that wijk's buurten: the server refuses them all (403) and the page says why.
    await open(`/?i=profile:${profile}&a=WK003402&l=buurt`);
    const note = page.locator("[data-testid=denied-note]");
    await note.waitFor();
    expect(await page.locator(".status-line [role=alert]").textContent()).toContain(
      nl("why.forbidden").split("{{")[0]!.trim(),
    );
    await note.locator("[data-testid=why-not-button]").click();
    const mapReason = await get<Explanation>(
      `/api/access/explain?indicator=profile:${profile}&area=WK003402`,
    );
    await note.locator("[data-testid=why-reason]", { hasText: "WK003402" }).waitFor();
    expect(await note.locator("[data-testid=why-reason]").textContent()).toBe(mapReason.reason);
  });

  it("the field worker sets an alert's status: one PATCH with the session's CSRF token", async () => {
    await login("wijkwerker");
    const list = await get<{ alerts: { id: number }[] }>("/api/alerts?parent=GM0034&limit=1");
    const id = list.alerts[0]!.id;
    const patches: { csrf?: string }[] = [];
    page.on("request", (r) => {
      if (r.method() === "PATCH") patches.push({ csrf: r.headers()["x-csrf-token"] });
    });
    await open(`/?v=alert&id=${id}`);
    const form = page.locator("[data-testid=alert-status-form]");
    await form.waitFor();
    await form.locator("[data-testid=alert-status-select]").selectOption("closed");
    await form.locator("[data-testid=alert-status-submit]").click();
    // Closing needs a reason: said at the field, which gets the focus.
    await form.locator(".field-error", { hasText: nl("alertWork.reasonNeeded") }).waitFor();
    expect((await focused(page)).tag).toBe("textarea");
    await form.locator("[data-testid=alert-status-select]").selectOption("investigating");
    await form.locator("[data-testid=alert-status-reason]").fill("e2e: huisbezoek gepland");
    await form.locator("[data-testid=alert-status-submit]").click();
    await form
      .locator("[role=status]", {
        hasText: fill(nl("alertWork.done"), { status: nl("alertStatus.investigating") }),
      })
      .waitFor();
    const session = await get<{ csrfToken: string }>("/api/auth/session");
    expect(patches).toEqual([{ csrf: session.csrfToken }]);
    const after = await get<{ alert: { status: string; statusReason: string | null } }>(`/api/alerts/${id}`);
    expect(after.alert).toMatchObject({ status: "investigating", statusReason: "e2e: huisbezoek gepland" });
    // The history on the page shows the change.
    await page.locator("[data-testid=alert-history] tr[data-event=status]").first().waitFor();
  });

  it("the privacy officer finds the field worker's requests in the audit trail, exports them, and the chain is intact", async () => {
    await login("privacy");
    await page.locator("nav.tabs a", { hasText: nl("nav.audit") }).click();
    await page.waitForURL((u) => u.searchParams.get("v") === "audit");
    await page.locator("[data-testid=audit-actor]").fill("wijkwerker");
    await page.locator("[data-testid=audit-submit]").click();
    await page.waitForURL((u) => u.searchParams.get("au") === "wijkwerker");
    /** Waits for the records of exactly this search. */
    const searched = (search: string) =>
      page.locator(`section.audit-results[data-state=ready][data-search="${search}"]`).waitFor();
    await searched("actor=wijkwerker");
    const rows = "[data-testid=audit-table] tbody tr";
    await page.locator(rows).first().waitFor();
    expect(new Set(await attributes(page, rows, "data-actor"))).toEqual(new Set([ids.get("wijkwerker")]));
    const all = await get<{ total: number }>("/api/audit?actor=wijkwerker&limit=1");
    expect(all.total).toBeGreaterThan(0);
    expect(await page.locator("[data-testid=audit-count]").textContent()).toContain(nf(all.total, 0));
    // The results heading takes the focus after a search.
    expect((await focused(page)).tag).toBe("h2");

    // The refusals in De Werven (WK003402).
    await page.locator("[data-testid=audit-object]").fill("WK003402");
    await page.locator("[data-testid=audit-result]").selectOption("denied");
    await page.locator("[data-testid=audit-submit]").click();
    await page.waitForURL(
      (u) => u.searchParams.get("ob") === "WK003402" && u.searchParams.get("res") === "denied",
    );
    await searched("actor=wijkwerker&object=WK003402&result=denied");
    expect(new Set(await attributes(page, rows, "data-result"))).toEqual(new Set(["denied"]));
    for (const object of await page.locator(`${rows} .audit-object`).allTextContents())
      expect(object).toContain("WK003402");

    // The export link asks for exactly this search, and answers CSV.
    const href = (await page.locator("[data-testid=audit-export]").getAttribute("href"))!;
    const url = new URL(href, s.base);
    expect(url.pathname).toBe("/api/audit/export");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      actor: "wijkwerker",
      object: "WK003402",
      result: "denied",
    });
    const csv = await s.context.request.get(url.href);
    expect(csv.status()).toBe(200);
    expect(csv.headers()["content-type"]).toContain("text/csv");
    const lines = (await csv.text()).trim().split("\n");
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).every((l) => l.includes(ids.get("wijkwerker")!))).toBe(true);

    // The field worker's status change is there too.
    await open("/?v=audit&au=wijkwerker&act=alert-status");
    await searched("actor=wijkwerker&action=alert-status");
    expect((await page.locator(rows).first().textContent()) ?? "").toContain("status:investigating");

    // Verify the chain.
    await page.locator("[data-testid=audit-verify]").click();
    const verified = page.locator("[data-testid=audit-verify-result][data-ok=true]");
    await verified.waitFor();
    expect(await verified.textContent()).toContain("De keten is in orde");

    await open("/?v=audit&au=wijkwerker");
    await page.locator(rows).first().waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, "desktop-audit", "docs/img/dashboard-audit.png");

    // A 375 px phone: no sideways scrolling (the table scrolls in its own region), 44 px targets.
    await page.setViewportSize(PHONE);
    try {
      await open("/?v=audit&au=wijkwerker");
      await page.locator(rows).first().waitFor();
      const width = await pageWidth(page);
      expect(width.scrollWidth).toBeLessThanOrEqual(width.viewport);
      expect(await smallTargets(page)).toEqual([]);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, "phone-audit");
    } finally {
      await page.setViewportSize(DESKTOP);
    }
  });

  it("the administrator logs in with the second factor and makes a grant after seeing what it exposes", async () => {
    await s.context.clearCookies();
    // Not logged in: the administration asks for the login in place and stays where it is.
    await open("/?v=admin&tab=grants");
    await page.locator("[data-testid=login]").waitFor();
    await page.locator("#login-username").fill("beheer");
    await page.locator("#login-password").fill(accounts.get("beheer")!.password);
    await page.locator("[data-testid=login-submit]").click();
    // The second step: the code field takes the focus.
    await page.locator("#login-code").waitFor();
    expect((await focused(page)).id).toBe("login-code");
    expect(await axeViolations(page)).toEqual([]);
    await page.locator("#login-code").fill(totpCode(accounts.get("beheer")!.totpSecret!));
    await page.locator("[data-testid=login-submit]").click();
    const form = page.locator("[data-testid=grant-form]");
    await form.waitFor();
    expect(query(page)).toMatchObject({ v: "admin", tab: "grants" });
    expect(await page.locator("nav.tabs a[aria-current=page]").textContent()).toBe(nl("nav.admin"));

    // A grant to the housing corporation: safety figures in Almere-Haven, down to buurt level.
    const grant = {
      id: "e2e-corporatie-veiligheid",
      to: { kind: "organisation", id: "corporatie-almere" },
      what: { domains: ["safety"] },
      areas: ["WK003401"],
      finestLevel: "buurt",
      purpose: "samenwerking",
    };
    const preview = page.locator("[data-testid=grant-preview]");
    expect(await preview.getAttribute("data-state")).toBe("idle");
    await page.locator("[data-testid=grant-id]").fill(grant.id);
    await page.locator("[data-testid=grant-to-kind]").selectOption("organisation");
    await page.locator("[data-testid=grant-to-id]").selectOption(grant.to.id);
    await page.locator("[data-testid=grant-mode-selection]").check();
    await form.getByLabel(nl("domain.safety"), { exact: true }).check();
    await page.locator("[data-testid=grant-areas]").fill("WK003401");
    await page.locator("[data-testid=grant-finest]").selectOption("buurt");
    await page.locator("[data-testid=grant-purpose]").fill(grant.purpose);
    await page.locator("[data-testid=grant-preview][data-state=ready]").waitFor();

    // What the preview says is what the server previews, before anything is saved.
    const session = await get<{ csrfToken: string }>("/api/auth/session");
    const expected = (await (
      await s.context.request.post(`${s.base}/api/admin/grants/preview`, {
        data: grant,
        headers: { "x-csrf-token": session.csrfToken },
      })
    ).json()) as GrantPreview;
    expect(expected.indicators).toBeGreaterThan(0);
    expect(await page.locator("[data-testid=grant-preview-summary]").textContent()).toBe(
      fill(nl(`admin.preview.summary_${expected.recipients.length === 1 ? "one" : "other"}`), {
        indicators: expected.indicators,
        profiles: expected.profiles.length,
        count: expected.recipients.length,
      }),
    );
    expect(await page.locator("[data-testid=grant-preview-recipients]").textContent()).toContain(
      "corporatie",
    );
    const areas = await page.locator("[data-testid=grant-preview-areas]").textContent();
    for (const [level, n] of Object.entries(expected.areasByLevel))
      expect(areas).toContain(`${n} × ${level}`);
    expect(
      (await get<{ grants: { id: string }[] }>("/api/admin/grants")).grants.map((g) => g.id),
    ).not.toContain(grant.id);
    expect(await axeViolations(page)).toEqual([]);
    // The editor and its preview from the top, on a tall screen.
    await page.setViewportSize({ width: 1280, height: 1400 });
    try {
      await scrollToTop(page);
      await screenshot(page, "desktop-admin-grant", "docs/img/dashboard-admin-grant.png");
    } finally {
      await page.setViewportSize(DESKTOP);
    }

    await page.locator("[data-testid=grant-save]").click();
    await page.locator(`[data-testid=grant-table] tr[data-id="${grant.id}"]`).waitFor();
    expect(await page.locator("[data-testid=admin-done]").textContent()).toContain(grant.id);
    const saved = (await get<{ grants: (typeof grant)[] }>("/api/admin/grants")).grants.find(
      (g) => g.id === grant.id,
    );
    expect(saved).toMatchObject(grant);

    // Every tab of the administration passes axe.
    for (const tab of ["organisations", "users", "grants", "sessions"]) {
      await page.locator(".sub-tabs a", { hasText: nl(`admin.tab.${tab}`) }).click();
      await page.waitForURL((u) => (u.searchParams.get("tab") ?? "organisations") === tab);
      await page.locator(".admin-table").first().waitFor();
      expect(await axeViolations(page), tab).toEqual([]);
    }
  });

  it("the login page passes axe and fits a 375 px phone", async () => {
    await s.context.clearCookies();
    await page.setViewportSize(PHONE);
    try {
      await open("/?v=login");
      await page.locator("[data-testid=login]").waitFor();
      const width = await pageWidth(page);
      expect(width.scrollWidth).toBeLessThanOrEqual(width.viewport);
      expect(await smallTargets(page)).toEqual([]);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, "phone-login");
    } finally {
      await page.setViewportSize(DESKTOP);
    }
    await open("/?v=login");
    await page.locator("[data-testid=login]").waitFor();
    expect(await axeViolations(page)).toEqual([]);
  });
});
