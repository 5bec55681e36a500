/**
 * Field observations over real HTTP on a copy of the demo database with the demo accounts: snapping
 * (point in a 2014 buurt boundary, postcode through the PC6 table), rounded coordinates in the store,
 * idempotent sync by id (across and within requests; a property over random splits), bad items named
 * by field, the 2,000-item limit, roles and CSRF, one audit record per request without the note, the
 * counts as indicators (weekly and monthly, zeros, derived to wijk and gemeente) that follow the
 * grants, the quick view and the caller's own observations.
 */
import booleanPointInPolygon from "@turf/boolean-point-in-polygon";
import { isoWeekOf, monthOf, roundLocation } from "@wijkradar/core";
import fc from "fast-check";
import type { Polygon, MultiPolygon } from "geojson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { createDemoAccounts, type DemoAccount } from "../src/demo/demo-accounts.js";
import { Database } from "../src/store/database.js";
import { demoDbCopy, listenOnLoopback } from "./fixtures.js";

let db: Database;
let app: App;
let url: string;
let accounts: DemoAccount[];
const now = Date.now();
const clock = () => now;

interface Session {
  cookie: string;
  csrf: string;
}
const sessions = new Map<string, Session>();

async function session(username: string): Promise<Session> {
  const known = sessions.get(username);
  if (known) return known;
  const a = accounts.find((x) => x.username === username)!;
  const res = await fetch(`${url}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: a.password }),
  });
  const body = (await res.json()) as { csrfToken: string };
  expect(res.status, JSON.stringify(body)).toBe(200);
  const s = { cookie: (res.headers.get("set-cookie") ?? "").split(";")[0]!, csrf: body.csrfToken };
  sessions.set(username, s);
  return s;
}

async function call(
  method: string,
  path: string,
  s?: Session,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...(s ? { cookie: s.cookie, "x-csrf-token": s.csrf } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

interface Result {
  id: string | null;
  status: "stored" | "duplicate" | "rejected";
  areaCode?: string;
  problem?: string;
}
async function sync(user: string, observations: unknown[]): Promise<Result[]> {
  const r = await call("POST", "/api/observations", await session(user), { observations });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.results as Result[];
}

let seq = 0;
/** A fresh outbox id (the field app's random id). */
const newId = (prefix = "t"): string => `${prefix}-${(seq++).toString().padStart(12, "0")}-obs`;
const hoursAgo = (h: number): string => new Date(now - h * 3_600_000).toISOString();

/** A point inside BU00340101 (Centrum Almere-Haven) of the 2014 boundaries, found from its polygon. */
let havenPoint: { lon: number; lat: number };
/** A postcode of the synthetic Almere and the buurt the PC6 table puts it in. */
let postcode: { pc6: string; buurt: string };

async function interiorPoint(code: string, division: number): Promise<{ lon: number; lat: number }> {
  const [row] = await db.read((ex) =>
    ex.all<{ geometry: string; min_x: number; min_y: number; max_x: number; max_y: number }>(
      "SELECT geometry, min_x, min_y, max_x, max_y FROM area_geometries WHERE code = ? AND division = ?",
      [code, division],
    ),
  );
  const g = JSON.parse(row!.geometry) as Polygon | MultiPolygon;
  // A grid over the bounding box: the first point the polygon contains (turf, independent of the server).
  for (let i = 1; i < 20; i++)
    for (let j = 1; j < 20; j++) {
      const lon = row!.min_x + ((row!.max_x - row!.min_x) * i) / 20;
      const lat = row!.min_y + ((row!.max_y - row!.min_y) * j) / 20;
      if (booleanPointInPolygon([lon, lat], g)) return { lon, lat };
    }
  throw new Error(`no interior point found for ${code}`);
}

beforeAll(async () => {
  db = await Database.open({ path: demoDbCopy() });
  app = await buildApp({ db, logLevel: "silent", clock });
  url = await listenOnLoopback(app);
  accounts = await createDemoAccounts(db, app.admin);
  havenPoint = await interiorPoint("BU00340101", 2014);
  const [pc] = await db.read((ex) =>
    ex.all<{ pc6: string; buurt_code: string }>(
      `SELECT pc6, buurt_code FROM vault_pc6_areas
       WHERE buurt_code IN (SELECT code FROM areas WHERE division = 2014 AND level = 'buurt')
         AND buurt_code LIKE 'BU003402%' ORDER BY pc6 LIMIT 1`,
    ),
  );
  postcode = { pc6: pc!.pc6, buurt: pc!.buurt_code };
}, 180_000);

afterAll(async () => {
  await app?.close();
  db?.close();
});

describe("snapping and storing", () => {
  it("snaps a point to the 2014 buurt that contains it and keeps only rounded coordinates", async () => {
    const id = newId();
    const [r] = await sync("wijkwerker", [
      { id, category: "dumping", observedAt: hoursAgo(2), location: { ...havenPoint, source: "gps" } },
    ]);
    expect(r).toEqual({ id, status: "stored", areaCode: "BU00340101" });
    const [row] = await db.read((ex) =>
      ex.all<{ area_code: string; division: number; gemeente_code: string; lon: number; lat: number }>(
        "SELECT area_code, division, gemeente_code, lon, lat, location_source FROM observations WHERE id = ?",
        [id],
      ),
    );
    expect(row).toMatchObject({ area_code: "BU00340101", division: 2014, gemeente_code: "GM0034" });
    const rounded = roundLocation(havenPoint.lon, havenPoint.lat, 100)!;
    expect(row!.lon).toBeCloseTo(rounded.lon, 9);
    expect(row!.lat).toBeCloseTo(rounded.lat, 9);
    // Never the exact point (the grid point is not on the 100 m grid).
    expect(row!.lon === havenPoint.lon && row!.lat === havenPoint.lat).toBe(false);
  });

  it("snaps a postcode of the synthetic Almere to its buurt, without coordinates", async () => {
    const id = newId();
    const spaced = `${postcode.pc6.slice(0, 4)} ${postcode.pc6.slice(4).toLowerCase()}`;
    const [r] = await sync("wijkwerker", [
      { id, category: "litter", observedAt: hoursAgo(3), location: { postcode: spaced } },
    ]);
    expect(r).toEqual({ id, status: "stored", areaCode: postcode.buurt });
    const [row] = await db.read((ex) =>
      ex.all<Record<string, unknown>>(
        "SELECT pc6, lon, lat, location_source FROM observations WHERE id = ?",
        [id],
      ),
    );
    expect(row).toEqual({ pc6: postcode.pc6, lon: null, lat: null, location_source: "postcode" });
  });

  it("GET /api/field/locate answers the buurt with wijk and gemeente, 422 outside every buurt", async () => {
    const s = await session("wijkwerker");
    const r = await call("GET", `/api/field/locate?lon=${havenPoint.lon}&lat=${havenPoint.lat}`, s);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      buurt: { code: "BU00340101", division: 2014 },
      wijk: { code: "WK003401" },
      gemeente: { code: "GM0034" },
      precisionMeters: 100,
    });
    // The North Sea off Zandvoort: inside the Netherlands' box, outside every buurt.
    const sea = await call("GET", "/api/field/locate?lon=4.2&lat=52.6", s);
    expect(sea.status).toBe(422);
    expect(String(sea.body.detail)).toMatch(/outside every buurt/);
    const both = await call("GET", `/api/field/locate?lon=5.2&lat=52.3&postcode=${postcode.pc6}`, s);
    expect(both.status).toBe(422);
    expect(String(both.body.detail)).toMatch(/either .*lon and lat.* or postcode/);
    expect((await call("GET", "/api/field/locate?lon=5.2&lat=52.3")).status).toBe(401);
  });

  it("stores a repeated id once, over two requests and inside one", async () => {
    const a = newId();
    const b = newId();
    const item = (id: string) => ({
      id,
      category: "nuisance",
      observedAt: hoursAgo(1),
      location: { ...havenPoint, source: "map" },
    });
    const first = await sync("wijkwerker", [item(a), item(a), item(b)]);
    expect(first.map((r) => r.status)).toEqual(["stored", "duplicate", "stored"]);
    const second = await sync("wijkwerker", [item(b), item(a)]);
    expect(second.map((r) => r.status)).toEqual(["duplicate", "duplicate"]);
    const [n] = await db.read((ex) =>
      ex.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM observations WHERE id IN (?, ?)", [a, b]),
    );
    expect(n!.n).toBe(2);
  });

  it("rejects bad items by field and stores the good ones of the batch", async () => {
    const good = newId();
    const confirmed = newId();
    const items = [
      { id: newId(), category: "fireworks", observedAt: hoursAgo(1), location: { postcode: postcode.pc6 } },
      {
        id: newId(),
        category: "dumping",
        observedAt: hoursAgo(1),
        location: { lon: 2.35, lat: 48.85, source: "gps" },
      },
      { id: newId(), category: "dumping", observedAt: hoursAgo(-1), location: { postcode: postcode.pc6 } },
      {
        id: newId(),
        category: "dumping",
        observedAt: hoursAgo(1),
        location: { postcode: postcode.pc6 },
        note: "BSN 111222333 gezien",
      },
      {
        id: newId(),
        category: "dumping",
        observedAt: hoursAgo(1),
        location: { postcode: postcode.pc6 },
        note: "bel 06-12345678",
      },
      {
        id: newId(),
        category: "dumping",
        observedAt: hoursAgo(1),
        location: { postcode: postcode.pc6 },
        note: "mail jan@example.nl",
      },
      {
        id: good,
        category: "dumping",
        observedAt: hoursAgo(1),
        location: { postcode: postcode.pc6 },
        note: "matras bij de container",
      },
      {
        id: confirmed,
        category: "dumping",
        observedAt: hoursAgo(1),
        location: { postcode: postcode.pc6 },
        note: "melding via 06-12345678",
        noteConfirmed: true,
      },
      { id: "short", category: "dumping", observedAt: hoursAgo(1), location: { postcode: postcode.pc6 } },
      {
        id: newId(),
        category: "dumping",
        observedAt: hoursAgo(24 * 400),
        location: { postcode: postcode.pc6 },
      },
      { id: newId(), category: "dumping", observedAt: "yesterday", location: { postcode: postcode.pc6 } },
      { id: newId(), category: "dumping", observedAt: hoursAgo(1), location: { postcode: "9999ZZ" } },
      "not an object",
    ];
    const r = await sync("wijkwerker", items);
    expect(r.map((x) => x.status)).toEqual([
      "rejected",
      "rejected",
      "rejected",
      "rejected",
      "rejected",
      "rejected",
      "stored",
      "stored",
      "rejected",
      "rejected",
      "rejected",
      "rejected",
      "rejected",
    ]);
    expect(r[0]!.problem).toMatch(/^observations\[0\]\.category: expected one of dumping, litter/);
    expect(r[1]!.problem).toMatch(/^observations\[1\]\.location: lies outside the Netherlands/);
    expect(r[2]!.problem).toBe("observations[2].observedAt: lies in the future");
    expect(r[3]!.problem).toBe(
      "observations[3].note: looks like it contains personal data (BSN); remove it or confirm",
    );
    expect(r[4]!.problem).toBe(
      "observations[4].note: looks like it contains personal data (phone number); remove it or confirm",
    );
    expect(r[5]!.problem).toMatch(/^observations\[5\]\.note: .*\(e-mail address\)/);
    expect(r[8]!.problem).toMatch(/^observations\[8\]\.id: expected 16 to 64 characters/);
    expect(r[9]!.problem).toBe("observations[9].observedAt: is more than a year ago");
    expect(r[10]!.problem).toMatch(/^observations\[10\]\.observedAt: expected an ISO 8601 date-time/);
    expect(r[11]!.problem).toMatch(/^observations\[11\]\.location\.postcode: postcode 9999ZZ is not in/);
    expect(r[12]).toMatchObject({ id: null, status: "rejected" });
    expect(r[12]!.problem).toMatch(/^observations\[12\]: expected an object/);
    // Rejected ids are not stored; a confirmed note is kept for its author.
    const stored = await db.read((ex) =>
      ex.all<{ id: string; note: string }>(
        `SELECT id, note FROM observations WHERE id IN (SELECT unnest(from_json(?::JSON, '["VARCHAR"]'))) ORDER BY id`,
        [JSON.stringify(items.map((i) => (typeof i === "object" ? i.id : i)))],
      ),
    );
    expect(stored.map((x) => x.id).sort()).toEqual([good, confirmed].sort());
  });

  it("refuses a body that is not an object with observations, or has more than 2,000 (400 naming the field)", async () => {
    const s = await session("wijkwerker");
    const many = Array.from({ length: 2001 }, () => ({ id: newId(), category: "dumping" }));
    const big = await call("POST", "/api/observations", s, { observations: many });
    expect(big.status).toBe(400);
    expect(big.body.parameter).toBe("observations");
    expect(String(big.body.detail)).toMatch(/body field observations: expected at most 2000/);
    const wrong = await call("POST", "/api/observations", s, { observations: "all of them" });
    expect(wrong.status).toBe(400);
    expect(wrong.body.parameter).toBe("observations");
    expect((await call("POST", "/api/observations", s, [1, 2])).status).toBe(400);
  });
});

describe("who may sync", () => {
  const item = () => ({
    id: newId(),
    category: "litter",
    observedAt: hoursAgo(1),
    location: { postcode: postcode.pc6 },
  });

  it("401 anonymous, 403 for a privacy officer, 403 without the CSRF token", async () => {
    expect((await call("POST", "/api/observations", undefined, { observations: [item()] })).status).toBe(401);
    const privacy = await call("POST", "/api/observations", await session("privacy"), {
      observations: [item()],
    });
    expect(privacy.status).toBe(403);
    expect(String(privacy.body.detail)).toMatch(/field-worker or analyst or policy-advisor or partner/);
    const s = await session("wijkwerker");
    const noCsrf = await call(
      "POST",
      "/api/observations",
      { cookie: s.cookie, csrf: "" },
      { observations: [item()] },
    );
    expect(noCsrf.status).toBe(403);
    expect(String(noCsrf.body.detail)).toMatch(/CSRF/);
    // An analyst and a partner may.
    expect((await sync("analist", [item()]))[0]!.status).toBe("stored");
    expect((await sync("corporatie", [item()]))[0]!.status).toBe("stored");
  });

  it("writes one audit record per request, with counts and never the note", async () => {
    await app.audit.flush();
    const before = await db.read((ex) =>
      ex.all<{ n: number }>(
        "SELECT count(*)::INTEGER AS n FROM audit_log WHERE action = 'observations-sync'",
      ),
    );
    const note = "grofvuil naast de boom, melding 06-98765432";
    const existing = newId();
    await sync("wijkwerker", [{ ...item(), id: existing }]);
    await sync("wijkwerker", [
      { ...item(), note, noteConfirmed: true },
      { ...item(), id: existing },
      { ...item(), category: "unknown" },
    ]);
    await app.audit.flush();
    const rows = await db.read((ex) =>
      ex.all<{ actor: string; object: string }>(
        "SELECT actor, object FROM audit_log WHERE action = 'observations-sync' ORDER BY seq",
      ),
    );
    expect(rows.length).toBe(before[0]!.n + 2);
    const last = rows[rows.length - 1]!;
    expect(last.object).toBe(
      "observations:1 stored, 1 duplicate, 1 rejected; notes kept with confirmed findings: phone",
    );
    const all = await db.read((ex) => ex.all<{ object: string }>("SELECT object FROM audit_log"));
    expect(all.some((r) => r.object.includes("grofvuil") || r.object.includes("98765432"))).toBe(false);
  });
});

describe("counts as indicators", () => {
  it("rewrites weekly and monthly counts with zeros, derived to wijk and gemeente", async () => {
    await sync("wijkwerker", [
      {
        id: newId(),
        category: "vandalism",
        observedAt: hoursAgo(5),
        location: { ...havenPoint, source: "gps" },
      },
    ]);
    await app.observations.flush();
    const date = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Amsterdam" }).format(
      new Date(now - 5 * 3_600_000),
    );
    const week = isoWeekOf(date);
    const month = monthOf(date);
    const value = async (id: string, code: string, period: string) =>
      (
        await db.read((ex) =>
          ex.all<{ value: number; derived: boolean }>(
            "SELECT value, derived FROM indicator_values WHERE indicator_id = ? AND area_code = ? AND period = ? AND division = 2014",
            [id, code, period],
          ),
        )
      )[0];
    // What the store holds for that buurt, week and category, counted independently of the writer.
    const [expected] = await db.read((ex) =>
      ex.all<{ n: number }>(
        `SELECT count(*)::INTEGER AS n FROM observations WHERE category = 'vandalism' AND area_code = 'BU00340101'`,
      ),
    );
    expect((await value("veld_vandalism_week", "BU00340101", week))?.value).toBe(expected!.n);
    expect((await value("veld_vandalism_maand", "BU00340101", month))?.value).toBe(expected!.n);
    // A buurt of Almere without observations has an explicit zero.
    const [quiet] = await db.read((ex) =>
      ex.all<{ code: string }>(
        `SELECT code FROM areas WHERE division = 2014 AND level = 'buurt' AND gemeente_code = 'GM0034'
           AND code NOT IN (SELECT area_code FROM observations) ORDER BY code LIMIT 1`,
      ),
    );
    expect(await value("veld_vandalism_week", quiet!.code, week)).toEqual({ value: 0, derived: false });
    // Derived parents: the wijk and the gemeente hold the sums of their buurten.
    const [sums] = await db.read((ex) =>
      ex.all<{ wijk: number; gemeente: number }>(
        `SELECT sum(value) FILTER (WHERE a.parent_code = 'WK003401')::INTEGER AS wijk, sum(value)::INTEGER AS gemeente
         FROM indicator_values v JOIN areas a ON a.code = v.area_code AND a.division = v.division
         WHERE v.indicator_id = 'veld_totaal_week' AND v.period = ? AND v.division = 2014 AND v.level = 'buurt'
           AND a.gemeente_code = 'GM0034'`,
        [week],
      ),
    );
    expect(await value("veld_totaal_week", "WK003401", week)).toEqual({ value: sums!.wijk, derived: true });
    expect(await value("veld_totaal_week", "GM0034", week)).toEqual({ value: sums!.gemeente, derived: true });
    // The catalogue: not open, counts, higher is worse, the category's domain.
    const ind = await call("GET", "/api/indicators/veld_vandalism_week");
    expect(ind.body).toMatchObject({
      kind: "count",
      polarity: "higher-is-worse",
      domain: "physical-environment",
      source: { id: "veldwaarnemingen", attribution: "Bron: veldwaarnemingen gemeente (wijkradar)" },
    });
    // A detection run for just these indicators followed.
    const runs = await db.read((ex) =>
      ex.all<{ trigger: string; scope: string; status: string }>(
        "SELECT trigger, scope, status FROM detection_runs WHERE trigger = 'observations'",
      ),
    );
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.every((r) => r.status === "finished")).toBe(true);
    expect(JSON.parse(runs[0]!.scope)).toMatchObject({ divisions: [2014] });
  });

  it("releases a single report about a place, suppresses one about people and keeps it out of the totals", async () => {
    // A buurt of WK003401 with no observations yet: its counts are exactly what this test sends.
    const [fresh] = await db.read((ex) =>
      ex.all<{ code: string }>(
        `SELECT a.code FROM areas a JOIN area_geometries g ON g.code = a.code AND g.division = a.division
         WHERE a.division = 2014 AND a.level = 'buurt' AND a.parent_code = 'WK003401'
           AND a.code NOT IN (SELECT area_code FROM observations) ORDER BY a.code LIMIT 1`,
      ),
    );
    expect(fresh, "a buurt of WK003401 without observations").toBeDefined();
    const point = await interiorPoint(fresh!.code, 2014);
    const at = hoursAgo(2);
    const results = await sync("wijkwerker", [
      { id: newId("p"), category: "dumping", observedAt: at, location: { ...point, source: "gps" } },
      {
        id: newId("p"),
        category: "loneliness-signal",
        observedAt: at,
        location: { ...point, source: "gps" },
      },
    ]);
    expect(results.map((r) => r.status)).toEqual(["stored", "stored"]);
    await app.observations.flush();
    const week = isoWeekOf(
      new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Amsterdam" }).format(
        new Date(now - 2 * 3_600_000),
      ),
    );
    const s = await session("wijkwerker");
    const cell = async (indicator: string) => {
      const r = await call(
        "GET",
        `/api/indicators/${indicator}/values?level=buurt&parent=WK003401&division=2014&period=${week}`,
        s,
      );
      expect(r.status, `${indicator}: ${JSON.stringify(r.body)}`).toBe(200);
      return (r.body.values as { code: string; status: string; value: number | null }[]).find(
        (v) => v.code === fresh!.code,
      );
    };
    // Dumping is a report about a place: one is released as one (below the minimum frequency of 10).
    expect(await cell("veld_dumping_week")).toMatchObject({ status: "released", value: 1 });
    // A sign of loneliness is about a person: one is below the minimum frequency and suppressed.
    const lonely = await cell("veld_loneliness_signal_week");
    expect(lonely?.status).toBe("suppressed");
    expect(lonely?.value ?? null).toBeNull();
    // The total counts places only, or total − dumping would give the suppressed count away.
    expect(await cell("veld_totaal_week")).toMatchObject({ status: "released", value: 1 });
    const sources = await db.read((ex) =>
      ex.all<{ indicator: string; source: string; personal: boolean }>(
        `SELECT i.id AS indicator, s.id AS source, s.personal FROM indicators i JOIN sources s ON s.id = i.source_id
         WHERE i.id IN ('veld_dumping_week', 'veld_loneliness_signal_week', 'veld_totaal_week') ORDER BY i.id`,
      ),
    );
    expect(sources).toEqual([
      { indicator: "veld_dumping_week", source: "veldwaarnemingen", personal: false },
      { indicator: "veld_loneliness_signal_week", source: "veldwaarnemingen-personen", personal: true },
      { indicator: "veld_totaal_week", source: "veldwaarnemingen", personal: false },
    ]);
  });

  it("follow the grants: the field worker sees WK003401, not WK003402; anonymous sees nothing", async () => {
    const s = await session("wijkwerker");
    const own = await call(
      "GET",
      "/api/indicators/veld_totaal_maand/values?level=buurt&parent=WK003401&division=2014",
      s,
    );
    expect(own.status).toBe(200);
    expect((own.body.values as unknown[]).length).toBeGreaterThan(0);
    expect(own.body.denied).toBe(0);
    const other = await call(
      "GET",
      "/api/indicators/veld_totaal_maand/values?level=buurt&parent=WK003402&division=2014",
      s,
    );
    expect(other.status).toBe(403);
    expect(String(other.body.detail)).toMatch(/WK003401/);
    const anon = await call(
      "GET",
      "/api/indicators/veld_totaal_maand/values?level=buurt&parent=WK003401&division=2014",
    );
    expect(anon.status).toBe(403);
    const analyst = await call(
      "GET",
      "/api/indicators/veld_totaal_maand/values?level=buurt&parent=WK003402&division=2014",
      await session("analist"),
    );
    expect(analyst.status).toBe(200);
  });
});

describe("quick view and own observations", () => {
  it("GET /api/field/area/:code: chain, alerts and released counts of the last 4 weeks", async () => {
    const s = await session("wijkwerker");
    const r = await call("GET", "/api/field/area/BU00340101", s);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.area).toMatchObject({ code: "BU00340101", level: "buurt" });
    const parents = (r.body.parents as { code: string }[]).map((p) => p.code);
    expect(parents.slice(0, 2)).toEqual(["WK003401", "GM0034"]);
    const obs = r.body.observations as {
      weeks: string[];
      counts: { category: string; weeks: { status: string }[] }[];
      denied: number;
    };
    expect(obs.weeks).toHaveLength(4);
    expect(obs.counts.map((c) => c.category)).toContain("totaal");
    expect(obs.denied).toBe(0);
    // Counts are small: disclosure control suppresses them (no number), never leaks them.
    for (const c of obs.counts)
      for (const w of c.weeks) expect(["released", "suppressed", "missing"]).toContain(w.status);
    expect(typeof (r.body.alerts as { open: unknown }).open).toBe("number");
    // Another wijk: the area is shown, the counts are denied, never leaked.
    const other = await call("GET", "/api/field/area/BU00340201", s);
    expect(other.status).toBe(200);
    const o = other.body.observations as { counts: unknown[]; denied: number };
    expect(o.counts).toEqual([]);
    expect(o.denied).toBeGreaterThan(0);
    // Its signal names only domains of alerts this caller may see (open data here).
    const signal = other.body.signal as { domainsFlagged: string[] } | null;
    const listed = await call("GET", "/api/alerts?area=BU00340201&limit=1000", s);
    const visible = new Set((listed.body.alerts as { domain: string }[]).map((a) => a.domain));
    expect((other.body.alerts as { open: number }).open).toBe(listed.body.total);
    for (const d of signal?.domainsFlagged ?? []) expect(visible.has(d)).toBe(true);
    expect((await call("GET", "/api/field/area/BU99999999", s)).status).toBe(404);
  });

  it("GET /api/observations/mine lists only the caller's observations, with notes", async () => {
    const mine = await call("GET", "/api/observations/mine?limit=500", await session("wijkwerker"));
    expect(mine.status).toBe(200);
    const list = mine.body.observations as { id: string; note: string | null }[];
    const [own] = await db.read((ex) =>
      ex.all<{ n: number }>(
        "SELECT count(*)::INTEGER AS n FROM observations o JOIN users u ON u.id = o.user_id WHERE u.username = 'wijkwerker'",
      ),
    );
    expect(list.length).toBe(Math.min(500, own!.n));
    expect(list.some((o) => o.note === "matras bij de container")).toBe(true);
    const analyst = await call("GET", "/api/observations/mine", await session("analist"));
    const theirs = analyst.body.observations as { id: string; note: string | null }[];
    expect(theirs.length).toBeGreaterThan(0);
    expect(theirs.some((o) => list.some((m) => m.id === o.id))).toBe(false);
    expect((await call("GET", "/api/observations/mine")).status).toBe(401);
  });

  it("GET /api/field/categories lists the configured categories", async () => {
    const r = await call("GET", "/api/field/categories", await session("corporatie"));
    expect((r.body.categories as { id: string }[]).map((c) => c.id)).toEqual([
      "dumping",
      "litter",
      "vandalism",
      "neglected-housing",
      "nuisance",
      "youth-hanging-around",
      "loneliness-signal",
      "other",
    ]);
  });
});

describe("idempotent sync (property)", () => {
  it("random batches with repeated ids in random splits and orders store each valid id once", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ n: fc.integer({ min: 0, max: 11 }), valid: fc.boolean() }), {
          minLength: 1,
          maxLength: 30,
        }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 }),
        fc.integer(),
        async (picks, splits, salt) => {
          const run = `p${(salt >>> 0).toString(36)}${seq++}`;
          const idOf = (n: number) => `${run}-${n.toString().padStart(16, "0")}`;
          // An id is valid or not once and for all (an outbox re-sends the same item).
          const validity = new Map<number, boolean>();
          const items = picks.map(({ n, valid }) => {
            if (!validity.has(n)) validity.set(n, valid);
            return {
              id: idOf(n),
              category: validity.get(n) ? "litter" : "no-such-category",
              observedAt: hoursAgo(1),
              location: { postcode: postcode.pc6 },
            };
          });
          let offset = 0;
          for (let i = 0; offset < items.length; i++) {
            const size = splits[i % splits.length]!;
            await sync("wijkwerker", items.slice(offset, offset + size));
            offset += size;
          }
          const stored = await db.read((ex) =>
            ex.all<{ id: string; n: number }>(
              "SELECT id, count(*)::INTEGER AS n FROM observations WHERE starts_with(id, ?) GROUP BY id",
              [`${run}-`],
            ),
          );
          const expected = [...validity]
            .filter(([, v]) => v)
            .map(([n]) => idOf(n))
            .sort();
          expect(stored.map((s) => s.id).sort()).toEqual(expected);
          expect(stored.every((s) => s.n === 1)).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });
});
