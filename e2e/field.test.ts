/**
 * The field app (/veld/, issue 7) in a real Chromium at 375×812 against the real server on a copy of
 * the demo database with the demo accounts: the field worker logs in, the service worker takes
 * control, the network is cut, an observation is recorded at a GPS point in Almere-Haven and waits in
 * the outbox; the page is reloaded offline and still opens (precached shell) with the item waiting;
 * the network returns and the first sync's answer is lost after the server stored it (page.route
 * forwards the request with route.fetch() and then aborts it), so the app must send the same id again:
 * the server holds it exactly once; after the indicator rewrite the observation is counted in the
 * dashboard's table of `veld_totaal_week` at buurt level. The personal-data warning of notes (BSN,
 * phone, e-mail), axe-core and touch targets on every field screen.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import booleanPointInPolygon from "@turf/boolean-point-in-polygon";
import type { Page, Route } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { screenNote } from "../packages/core/src/field/screen-note.js";
import { createDemoAccounts, type DemoAccount } from "../packages/server/src/demo/demo-accounts.js";
import {
  axeViolations,
  pageWidth,
  ROOT,
  screenshot,
  smallTargets,
  startSession,
  type Session,
} from "./browser.js";

const DUTCH = JSON.parse(
  readFileSync(join(ROOT, "packages", "web", "src", "locales", "nl.json"), "utf8"),
) as Record<string, unknown>;
/** A Dutch text of the field app by its key ("field.offline"). */
const nl = (key: string): string => {
  const text = key
    .split(".")
    .reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], DUTCH);
  if (typeof text !== "string") throw new Error(`no Dutch text ${key}`);
  return text;
};
const fill = (template: string, values: Record<string, string | number>): string =>
  template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => String(values[k] ?? ""));

const PHONE = { width: 375, height: 812 };
const HAVEN = "WK003401";

interface GeoFeature {
  properties: { code: string; name?: string };
  geometry: { type: "Polygon" | "MultiPolygon"; coordinates: unknown };
}
interface ValuesResponse {
  period: string;
  values: { code: string; status: string; value?: number | null }[];
}

/** A point well inside the buurt: the grid point of its bounding box nearest its middle that lies in it. */
function pointInside(feature: GeoFeature): { lon: number; lat: number } {
  const xs: number[] = [];
  const ys: number[] = [];
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === "number" && typeof c[1] === "number") {
      xs.push(c[0]);
      ys.push(c[1]);
    } else if (Array.isArray(c)) c.forEach(visit);
  };
  visit(feature.geometry.coordinates);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const inside: { lon: number; lat: number }[] = [];
  const steps = 24;
  for (let i = 1; i < steps; i++)
    for (let j = 1; j < steps; j++) {
      const lon = x0 + ((x1 - x0) * i) / steps;
      const lat = y0 + ((y1 - y0) * j) / steps;
      if (booleanPointInPolygon([lon, lat], feature.geometry as never)) inside.push({ lon, lat });
    }
  if (inside.length === 0) throw new Error(`no grid point inside ${feature.properties.code}`);
  const mx = inside.reduce((s, p) => s + p.lon, 0) / inside.length;
  const my = inside.reduce((s, p) => s + p.lat, 0) / inside.length;
  return inside.reduce((a, b) =>
    Math.hypot(a.lon - mx, a.lat - my) <= Math.hypot(b.lon - mx, b.lat - my) ? a : b,
  );
}

describe("the field app at 375×812", () => {
  let s: Session;
  let page: Page;
  const accounts = new Map<string, DemoAccount>();
  let point: { lon: number; lat: number };
  let buurt: string;

  /** GET through the browser context (its session cookie), outside the page and its routes. */
  const get = async <T>(path: string): Promise<T> => {
    const res = await s.context.request.get(`${s.base}${path}`);
    if (!res.ok()) throw new Error(`${path}: ${res.status()} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const rowsWithId = async (id: string): Promise<number> => {
    const rows = await s.db.read((ex) =>
      ex.all<{ n: bigint | number }>("SELECT count(*) AS n FROM observations WHERE id = ?", [id]),
    );
    return Number(rows[0]?.n ?? 0);
  };
  const shellViolations = async (name: string) => {
    expect(await axeViolations(page), `axe on ${name}`).toEqual([]);
    expect(await smallTargets(page), `touch targets on ${name}`).toEqual([]);
    const width = await pageWidth(page);
    expect(width.scrollWidth, `no sideways scrolling on ${name}`).toBeLessThanOrEqual(width.viewport);
  };

  beforeAll(async () => {
    s = await startSession({ viewport: PHONE, isMobile: true, hasTouch: true });
    page = s.page;
    for (const a of await createDemoAccounts(s.db, s.app.admin)) accounts.set(a.username, a);
    // A GPS point in a buurt of Almere-Haven, from the server's own boundaries.
    const geo = await s.json<{ features: GeoFeature[] }>(`/api/geo/buurt?parent=${HAVEN}`);
    expect(geo.features.length).toBeGreaterThan(0);
    const feature = geo.features[0]!;
    point = pointInside(feature);
    buurt = feature.properties.code;
    await s.context.grantPermissions(["geolocation"], { origin: s.base });
    await s.context.setGeolocation({ latitude: point.lat, longitude: point.lon, accuracy: 10 });
  });
  // A test that fails while offline must not leave the next one without a network.
  afterEach(async () => {
    await s?.context.setOffline(false);
  });
  afterAll(async () => {
    await s?.close();
  });

  it("logs in, records an observation offline, survives an offline reload and syncs it exactly once", async () => {
    await page.goto(`${s.base}/veld/`);
    // Not logged in: the app's own login form (the dashboard's login would leave /veld/).
    await page.locator("[data-testid=field-login]").waitFor();
    await shellViolations("the login");
    await page.locator("#f-username").fill("wijkwerker");
    await page.locator("#f-password").fill(accounts.get("wijkwerker")!.password);
    await page.locator("[data-testid=field-login-submit]").click();
    await page.locator("[data-testid=field-login]").waitFor({ state: "detached" });
    // The area of the field worker's grant, with its quick view.
    await page.locator("[data-testid=area-how]", { hasText: HAVEN }).waitFor();
    await page.locator("[data-testid=counts-source]").waitFor();
    await screenshot(page, "field-home", "docs/img/field-app-phone.png");
    await shellViolations("the home screen");

    // The service worker controls the page (its precache is complete once it is active).
    await page.waitForFunction("navigator.serviceWorker && navigator.serviceWorker.controller !== null");

    await s.context.setOffline(true);
    await page.locator("[data-testid=net-state][data-online=false]").waitFor();
    expect(await page.locator("[data-testid=net-state]").textContent()).toBe(nl("field.offline"));

    await page.locator("[data-testid=tab-new]").click();
    await page.locator("[data-testid=new-observation][data-ready=true]").waitFor();
    await page.locator("button[data-category=dumping]").click();
    expect(await page.locator("button[data-category=dumping]").getAttribute("aria-pressed")).toBe("true");
    await page.locator("[data-testid=use-gps]").click();
    // Offline the buurt is left to the sync.
    await page.locator("[data-testid=where][data-snap=later]").waitFor();
    expect(await page.locator("[data-testid=where]").textContent()).toContain(nl("field.new.snap.later"));
    await shellViolations("a new observation (offline)");
    await page.locator("[data-testid=save]").click();
    await page.locator("[data-testid=saved]").waitFor();
    const pending = page.locator("[data-testid=pending]");
    await pending.filter({ hasText: fill(nl("field.pending_one"), { count: 1 }) }).waitFor();
    expect(await pending.getAttribute("aria-live")).toBe("polite");

    await page.locator("[data-testid=tab-outbox]").click();
    const item = page.locator("[data-testid=outbox-item]");
    await item.first().waitFor();
    expect(await item.count()).toBe(1);
    expect(await item.getAttribute("data-state")).toBe("waiting");
    const id = (await item.getAttribute("data-id"))!;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await rowsWithId(id)).toBe(0);
    await shellViolations("the outbox (offline)");

    // Reloaded without a network: the precached shell opens and the item still waits.
    await page.reload();
    await page.locator("[data-testid=outbox-item]").first().waitFor();
    // A send may be under way for a moment at start (navigator.onLine can lag the emulated network);
    // it fails without a network and the item waits again — never synced, never stored.
    await page.locator("[data-testid=outbox-item][data-state=waiting]").waitFor();
    expect(await rowsWithId(id)).toBe(0);
    expect(await page.locator("[data-testid=outbox-item]").getAttribute("data-id")).toBe(id);
    await pending.filter({ hasText: fill(nl("field.pending_one"), { count: 1 }) }).waitFor();

    // The network returns; the first answer is lost after the server stored the item.
    const posts: string[] = [];
    let lost = 0;
    const route = async (r: Route) => {
      posts.push(r.request().postData() ?? "");
      if (lost === 0) {
        lost++;
        const answer = await r.fetch();
        expect(answer.status()).toBe(200);
        await r.abort("connectionreset");
        return;
      }
      await r.continue();
    };
    await page.route("**/api/observations", route);
    await s.context.setOffline(false);
    await page.locator("[data-testid=outbox-item][data-state=synced]").waitFor({ timeout: 45_000 });
    await page.unroute("**/api/observations", route);
    await pending.filter({ hasText: nl("field.allSent") }).waitFor();

    // Sent twice with the same id, stored once.
    expect(lost).toBe(1);
    expect(posts.length).toBeGreaterThanOrEqual(2);
    for (const body of posts)
      expect((JSON.parse(body) as { observations: { id: string }[] }).observations.map((o) => o.id)).toEqual([
        id,
      ]);
    expect(await rowsWithId(id)).toBe(1);
    const mine = await get<{ observations: { id: string; areaCode: string; category: string }[] }>(
      "/api/observations/mine?limit=500",
    );
    const own = mine.observations.filter((o) => o.id === id);
    expect(own).toHaveLength(1);
    expect(own[0]).toMatchObject({ areaCode: buurt, category: "dumping" });
    expect(await page.locator("[data-testid=outbox-item]").getAttribute("data-state")).toBe("synced");
    await screenshot(page, "field-outbox-synced");

    // Counted: after the indicator rewrite, the dashboard's table of veld_totaal_week at buurt level
    // shows the count of the week, and the count is that of the observations the server holds.
    await s.app.observations.flush();
    const values = await get<ValuesResponse>(
      `/api/indicators/veld_totaal_week/values?level=buurt&parent=${HAVEN}`,
    );
    const observedWeek = values.period;
    const held = await s.db.read((ex) =>
      ex.all<{ n: bigint | number }>(
        `SELECT count(*) AS n FROM observations WHERE area_code = ? AND strftime(observed_at, '%G-W%V') = ?`,
        [buurt, observedWeek],
      ),
    );
    const count = Number(held[0]?.n ?? 0);
    expect(count).toBeGreaterThanOrEqual(1);
    const released = values.values.find((v) => v.code === buurt);
    expect(released, `${buurt} in the values of ${observedWeek}`).toBeDefined();
    await page.goto(`${s.base}/?v=table&i=veld_totaal_week&p=${observedWeek}&l=buurt&a=${HAVEN}`);
    const cell = page.locator(`[data-testid=data-table] tr[data-code=${buurt}] td.num`).first();
    await cell.waitFor();
    expect(released!.status).toBe("released");
    expect(released!.value).toBe(count);
    expect((await cell.textContent())?.replace(/\D/g, "")).toBe(String(count));
  });

  it("warns about personal data in a note (BSN, phone, e-mail) and saves only when confirmed", async () => {
    await page.goto(`${s.base}/veld/?s=new`);
    await page.locator("[data-testid=new-observation][data-ready=true]").waitFor();
    const note = page.locator("[data-testid=note]");
    const warning = page.locator("[data-testid=note-warning]");
    const cases: [string, string][] = [
      ["Afval bij de deur, BSN 111222333 op een brief", "bsn"],
      ["Bewoner vraagt terug te bellen op 06-12345678", "phone"],
      ["Melding ook gestuurd naar buurman@example.nl", "email"],
    ];
    for (const [text, kind] of cases) {
      await note.fill(text);
      await warning.waitFor();
      const kinds = (await warning.getAttribute("data-kinds"))!.split(" ");
      expect(kinds, text).toContain(kind);
      expect(kinds, text).toEqual([...new Set(screenNote(text).map((f) => f.kind))]);
      expect(await warning.textContent()).toContain(nl(`field.new.note.kind.${kind}`));
    }
    await shellViolations("a note with a warning");
    await note.fill("Matras en twee zakken afval naast de container");
    await warning.waitFor({ state: "detached" });

    // With a finding, Save asks first; "Toch opslaan" keeps it, confirmed (the server stores it).
    await note.fill("Bel 06-12345678 voor de sleutel");
    await page.locator("button[data-category=litter]").click();
    await page.locator("[data-testid=use-gps]").click();
    await page.locator(`[data-testid=where] [data-area=${buurt}]`).waitFor();
    await page.locator("[data-testid=save]").click();
    await page.locator("[data-testid=save-anyway]").waitFor();
    expect(await page.locator("[data-testid=saved]").count()).toBe(0);
    await page.locator("[data-testid=save-anyway]").click();
    await page.locator("[data-testid=saved]").waitFor();
    await page.locator("[data-testid=tab-outbox]").click();
    const item = page.locator("[data-testid=outbox-item]").first();
    await page.locator("[data-testid=outbox-item][data-state=synced]").nth(1).waitFor();
    const id = (await item.getAttribute("data-id"))!;
    const mine = await get<{ observations: { id: string; note: string | null }[] }>("/api/observations/mine");
    expect(mine.observations.find((o) => o.id === id)?.note).toBe("Bel 06-12345678 voor de sleutel");
  });

  it("shows a refused observation with the server's reason; changed, it is sent again and stored", async () => {
    const known = await s.db.read((ex) =>
      ex.all<{ pc6: string }>(
        "SELECT pc6 FROM vault_pc6_areas WHERE buurt_code LIKE 'BU003401%' ORDER BY pc6 LIMIT 1",
      ),
    );
    expect(known.length).toBe(1);
    await page.goto(`${s.base}/veld/?s=new`);
    await page.locator("[data-testid=new-observation][data-ready=true]").waitFor();
    // Online, a postcode that is no PC6 of the table is refused before saving, naming the field.
    await page.locator("button[data-category=vandalism]").click();
    await page.locator("[data-testid=postcode]").fill("9999 ZZ");
    await page.locator("[data-testid=use-postcode]").click();
    await page.locator("[data-testid=where][data-snap=refused]").waitFor();
    expect(await page.locator("[data-testid=where]").textContent()).toContain("postcode");
    await page.locator("[data-testid=save]").click();
    await page.locator("[data-testid=new-errors] [role=alert]").waitFor();
    expect(await page.locator("[data-testid=saved]").count()).toBe(0);

    // Offline it cannot be checked: saved, and refused by the server at the sync.
    await s.context.setOffline(true);
    await page.locator("[data-testid=net-state][data-online=false]").waitFor();
    await page.locator("[data-testid=use-postcode]").click();
    await page.locator("[data-testid=where][data-snap=later]").waitFor();
    await page.locator("[data-testid=save]").click();
    await page.locator("[data-testid=saved]").waitFor();
    await s.context.setOffline(false);
    await page.locator("[data-testid=tab-outbox]").click();
    const refused = page.locator("[data-testid=outbox-item][data-state=rejected]");
    await refused.waitFor();
    expect(await refused.locator("[data-testid=problem]").textContent()).toMatch(/postcode/);
    await shellViolations("the outbox with a refused item");

    // Changed to a known postcode and sent again: stored, with the same id.
    const id = (await refused.getAttribute("data-id"))!;
    await refused.locator("[data-testid=edit]").click();
    await page.locator(`#f-edit-${id}-postcode`).fill(known[0]!.pc6.replace(/^(\d{4})/, "$1 "));
    await page.locator("[data-testid=resend]").click();
    await page.locator(`[data-testid=outbox-item][data-id="${id}"][data-state=synced]`).waitFor();
    expect(await rowsWithId(id)).toBe(1);
  });
  it("keeps the outbox when the session ended while offline, and sends it after a new login", async () => {
    await page.goto(`${s.base}/veld/?s=new`);
    await page.locator("[data-testid=new-observation][data-ready=true]").waitFor();
    await s.context.setOffline(true);
    await page.locator("[data-testid=net-state][data-online=false]").waitFor();
    await page.locator("button[data-category=nuisance]").click();
    await page.locator("[data-testid=use-gps]").click();
    await page.locator("[data-testid=where][data-snap=later]").waitFor();
    await page.locator("[data-testid=save]").click();
    await page.locator("[data-testid=saved]").waitFor();
    const userId = (await s.app.admin.users()).find((u) => u.username === "wijkwerker")!.id;
    await s.app.auth.endUserSessions(userId, "ended by an administrator");

    await s.context.setOffline(false);
    const again = page.locator("[data-testid=login-needed] h2", { hasText: nl("field.login.again") });
    await again.waitFor();
    await page.locator("[data-testid=tab-outbox]").click();
    const waiting = page.locator("[data-testid=outbox-item][data-state=waiting]");
    expect(await waiting.count()).toBe(1);
    const id = (await waiting.getAttribute("data-id"))!;
    expect(await rowsWithId(id)).toBe(0);
    await shellViolations("the login after an ended session");

    await page.locator("#f-username").fill("wijkwerker");
    await page.locator("#f-password").fill(accounts.get("wijkwerker")!.password);
    await page.locator("[data-testid=field-login-submit]").click();
    await page.locator(`[data-testid=outbox-item][data-id="${id}"][data-state=synced]`).waitFor();
    expect(await page.locator("[data-testid=login-needed]").count()).toBe(0);
    expect(await rowsWithId(id)).toBe(1);
  });
});
