/**
 * T-AC-1 over real HTTP: 10,000 random (user, route, area, indicator, level) tuples on a copy of the
 * demo database, with a random default-deny policy (grants to roles, organisations and single users;
 * domains, indicators, profiles; area scopes; finest levels; purposes) and users of every role logged
 * in with real sessions. Whatever the policy denies never yields data, through any data route: every
 * number in every answer must be allowed by the policy for that user, that indicator or profile, that
 * area and that level. The oracle is the core's `decideAccess` on the catalogue's subjects (its own
 * properties are tested in packages/core); what is tested here is that no route forgets it.
 */
import {
  AREA_LEVELS,
  areaInScope,
  decideAccess,
  DOMAINS,
  levelOfCode,
  OPEN_DATA_POLICY,
  ROLES,
  type Actor,
  type AreaLevel,
  type FigureSubject,
  type Grant,
  type ReleasePolicy,
} from "@wijkradar/core";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { ROLE_INFO } from "../src/auth/roles.js";
import { Database } from "../src/store/database.js";
import { demoDbCopy, listenOnLoopback } from "./fixtures.js";

const TUPLES = 10_000;
const SEED = 20261122;

let db: Database;
let app: App;
let url: string;
let policy: ReleasePolicy;
let areas: string[];
let indicators: string[];
let alertIds: number[];
const subjects = new Map<string, Omit<FigureSubject, "areaCode" | "level">>();
/** Per alert: its area, level and the indicators of its tests (read from the store, not the API). */
const alertTests = new Map<number, { area: string; level: AreaLevel; indicators: string[] }>();
interface TestUser {
  actor: Actor;
  cookie: string | null;
}
const users: TestUser[] = [];

const PURPOSES = ["analyse", "wijkaanpak", "beleid", "samenwerking"];
const ORGS = ["gemeente-almere", "politie", "corporatie"];

function allowed(actor: Actor, indicatorId: string, code: string, level?: AreaLevel): boolean {
  const subject = subjects.get(indicatorId);
  if (!subject) throw new Error(`no subject for ${indicatorId}`);
  return decideAccess(policy, actor, { ...subject, areaCode: code, level: level ?? levelOfCode(code)! })
    .allowed;
}

beforeAll(async () => {
  db = await Database.open({ path: demoDbCopy() });
  // Real codes of every level: Almere's wijken, buurten in and outside Almere-Haven, postcodes.
  const pick = async (sql: string) =>
    (await db.read((ex) => ex.all<{ code: string }>(sql))).map((r) => r.code);
  areas = [
    "NL01",
    "GM0034",
    ...(await pick(
      "SELECT DISTINCT code FROM areas WHERE level = 'gemeente' AND code <> 'GM0034' ORDER BY code LIMIT 2",
    )),
    ...(await pick(
      "SELECT DISTINCT code FROM areas WHERE level = 'wijk' AND code LIKE 'WK0034%' ORDER BY code LIMIT 4",
    )),
    ...(await pick(
      "SELECT DISTINCT code FROM areas WHERE level = 'buurt' AND code LIKE 'BU003401%' ORDER BY code LIMIT 3",
    )),
    ...(await pick(
      "SELECT DISTINCT code FROM areas WHERE level = 'buurt' AND code LIKE 'BU003403%' ORDER BY code LIMIT 3",
    )),
    ...(await pick(
      "SELECT DISTINCT code FROM areas WHERE level = 'buurt' AND code NOT LIKE 'BU0034%' ORDER BY code LIMIT 2",
    )),
    ...(await pick(
      "SELECT DISTINCT code FROM areas WHERE level = 'pc4' AND gemeente_code = 'GM0034' ORDER BY code LIMIT 3",
    )),
    ...(await pick(
      "SELECT DISTINCT code FROM areas WHERE level = 'pc6' AND gemeente_code = 'GM0034' ORDER BY code LIMIT 3",
    )),
  ];
  const rows = await db.read((ex) =>
    ex.all<{ id: number; area: string; level: string; tests: string }>(
      `SELECT id, area_code AS area, level, tests FROM alerts
       WHERE gemeente_code = 'GM0034' OR area_code = 'GM0034' ORDER BY id`,
    ),
  );
  for (const r of rows)
    alertTests.set(r.id, {
      area: r.area,
      level: r.level as AreaLevel,
      indicators: [...new Set((JSON.parse(r.tests) as { indicatorId: string }[]).map((t) => t.indicatorId))],
    });
  // A spread of alerts: every level, profile alerts and indicator alerts.
  const byLevel = new Map<string, number[]>();
  for (const [id, a] of alertTests) byLevel.set(a.level, [...(byLevel.get(a.level) ?? []), id]);
  alertIds = [...byLevel.values()].flatMap((ids) =>
    ids.filter((_, i) => i % Math.ceil(ids.length / 12) === 0),
  );

  // The policy: random but fixed by the seed; the public keeps its open-data grant.
  const [generated] = fc.sample(
    fc.array(
      fc.record({
        to: fc.oneof(
          fc.record({ kind: fc.constant("role" as const), id: fc.constantFrom(...ROLES) }),
          fc.record({ kind: fc.constant("organisation" as const), id: fc.constantFrom(...ORGS) }),
          fc.record({ kind: fc.constant("user" as const), id: fc.constantFrom("u-0", "u-1", "u-2", "u-3") }),
        ),
        what: fc.oneof(
          fc.constant("synthetic-data" as const),
          fc.record(
            {
              domains: fc.subarray([...DOMAINS], { maxLength: 3 }),
              indicators: fc.subarray(["eenzaam_18plus", "moeite_rondkomen", "ervaren_gezondheid_goed"]),
              profiles: fc.subarray(["eenzaamheid-65plus", "huurachterstand-schuldhulp", "jeugd-5-9"]),
            },
            { requiredKeys: [] },
          ),
        ),
        areas: fc.option(fc.subarray(areas, { minLength: 1, maxLength: 3 }), { nil: undefined }),
        finestLevel: fc.option(fc.constantFrom<AreaLevel>(...AREA_LEVELS), { nil: undefined }),
        purpose: fc.constantFrom(...PURPOSES),
      }),
      { minLength: 14, maxLength: 14 },
    ),
    { seed: SEED, numRuns: 1 },
  );
  const grants: Grant[] = [
    OPEN_DATA_POLICY.grants[0]!,
    ...generated!.map((g, i) => ({
      id: `g${i}`,
      to: g.to,
      what: g.what,
      purpose: g.purpose,
      ...(g.areas ? { areas: g.areas } : {}),
      ...(g.finestLevel ? { finestLevel: g.finestLevel } : {}),
    })),
  ];
  policy = { grants, minCount: OPEN_DATA_POLICY.minCount };
  // 10,000 requests from one address: above the default rate limit (tested on its own elsewhere).
  app = await buildApp({
    db,
    logLevel: "silent",
    policy,
    security: { tls: false, rateLimit: { max: 1_000_000, windowMs: 60_000 } },
  });
  url = await listenOnLoopback(app);

  for (const o of ORGS) await app.admin.createOrganisation({ id: o, name: o, kind: "other" });
  // Eight users: every role except the administrator (who needs TOTP and sees no data), two field
  // workers and two partners of different organisations; some with a purpose of another role.
  const specs: { role: (typeof ROLES)[number]; org: string; purpose?: string }[] = [
    { role: "analyst", org: "gemeente-almere" },
    { role: "field-worker", org: "gemeente-almere" },
    { role: "field-worker", org: "politie", purpose: "samenwerking" },
    { role: "policy-advisor", org: "gemeente-almere" },
    { role: "partner", org: "corporatie" },
    { role: "partner", org: "politie" },
    { role: "privacy-officer", org: "gemeente-almere" },
    { role: "analyst", org: "politie", purpose: "beleid" },
  ];
  users.push({ actor: { id: "anonymous", roles: ["public"], purpose: "open-data" }, cookie: null });
  for (const [i, s] of specs.entries()) {
    const password = `proef-${SEED}-${i}-wachtwoord-lang`;
    const created = await app.admin.createUser({
      username: `tester${i}`,
      displayName: `Tester ${i}`,
      organisationId: s.org,
      role: s.role,
      purpose: s.purpose ?? ROLE_INFO[s.role].purpose,
      password,
    });
    // Grants to single users name the first users by a stable alias: map it to the real id.
    const alias = `u-${i}`;
    for (const g of policy.grants as Grant[])
      if (g.to.kind === "user" && g.to.id === alias) (g.to as { id: string }).id = created.user.id;
    const res = await fetch(`${url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: `tester${i}`, password }),
    });
    expect(res.status).toBe(200);
    users.push({
      actor: {
        id: created.user.id,
        roles: [s.role],
        purpose: s.purpose ?? ROLE_INFO[s.role].purpose,
        organisation: s.org,
      },
      cookie: (res.headers.get("set-cookie") ?? "").split(";")[0]!,
    });
  }
  app.cube.invalidate(); // grants to single users changed above

  const catalogue = (await (await fetch(`${url}/api/indicators`)).json()) as {
    indicators: { id: string; domain: string }[];
  };
  // A spread over domains and sources, and every profile.
  const seen = new Set<string>();
  indicators = [];
  for (const i of catalogue.indicators)
    if (i.id.startsWith("profile:") || (!seen.has(i.domain) && seen.add(i.domain))) indicators.push(i.id);
  indicators.push("eenzaam_18plus", "moeite_rondkomen");
  for (const id of new Set([
    ...catalogue.indicators.map((i) => i.id),
    ...[...alertTests.values()].flatMap((a) => a.indicators),
  ])) {
    const s = await app.cube.subjectOf(id).catch(() => undefined);
    if (s) subjects.set(id, s);
  }
}, 300_000);

afterAll(async () => {
  await app?.close();
  db?.close();
});

type Json = Record<string, unknown>;
const num = (v: unknown): boolean => typeof v === "number";

/** Every figure of an answer that the policy does not allow, as readable lines (empty: none). */
function leaks(actor: Actor, route: string, indicatorId: string, level: AreaLevel, body: Json): string[] {
  const out: string[] = [];
  const check = (ind: string, code: string, what: string, lvl?: AreaLevel) => {
    if (!allowed(actor, ind, code, lvl)) out.push(`${route}: ${what} of ${ind} in ${code}`);
  };
  if (route === "values" || route === "values-all") {
    for (const v of (body.values as Json[]) ?? [])
      if (num(v.value) || num(v.numerator) || num(v.denominator))
        check(indicatorId, v.code as string, "value", level);
    const refs = body.references as { national: Json | null; parents: Record<string, Json> } | undefined;
    if (refs?.national && num(refs.national.value))
      check(indicatorId, refs.national.code as string, "national");
    for (const [code, p] of Object.entries(refs?.parents ?? {}))
      if (num(p.value)) check(indicatorId, code, "parent");
  } else if (route === "profile") {
    const area = body.area as { code: string; level: AreaLevel };
    for (const entries of Object.values((body.domains as Record<string, Json[]>) ?? {}))
      for (const e of entries) {
        const id = (e.indicator as { id: string }).id;
        if (num(e.value)) check(id, area.code, "value", area.level);
        const parent = e.parent as Json | null;
        if (parent && num(parent.value)) check(id, parent.code as string, "parent");
        const national = e.national as Json | null;
        if (national && num(national.value)) check(id, national.code as string, "national");
        for (const s of (e.series as Json[]) ?? []) {
          if (num(s.value)) check(id, area.code, "series", area.level);
          if (num(s.parent) && parent) check(id, parent.code as string, "series parent");
          if (num(s.national)) check(id, "NL01", "series national");
        }
      }
  } else if (route === "profile-values") {
    for (const v of (body.values as Json[]) ?? [])
      if (num(v.count) || num(v.share) || num(v.population))
        check(indicatorId, v.code as string, "cell", level);
  } else if (route === "alerts") {
    for (const a of (body.alerts as Json[]) ?? [])
      check(a.indicatorId as string, a.areaCode as string, "alert", a.level as AreaLevel);
  } else if (route === "alert") {
    const a = body.alert as Json | null;
    if (a)
      for (const t of a.explanation as Json[])
        check(t.indicatorId as string, a.areaCode as string, "test", a.level as AreaLevel);
  } else if (route === "map") {
    for (const a of (body.areas as Json[]) ?? []) {
      const stored = alertTests.get(a.alertId as number);
      if (!stored) continue; // alerts of other gemeenten: not in the oracle's table
      if (!stored.indicators.some((i) => subjects.has(i) && allowed(actor, i, stored.area, stored.level)))
        out.push(`map: alert ${String(a.alertId)} in ${String(a.code)}`);
    }
    for (const t of (body.tested as Json[]) ?? [])
      if (!areaInScope(policy, actor, t.code as string, level)) out.push(`map: tested ${String(t.code)}`);
  }
  return out;
}

const ROUTES = [
  "values",
  "values-all",
  "profile",
  "profile-values",
  "alerts",
  "alert",
  "map",
  "explain",
] as const;

describe("T-AC-1: what the policy denies never yields data, through any route", () => {
  it(`holds for ${TUPLES.toLocaleString("en")} random (user, route, area, indicator, level) tuples`, async () => {
    const stats = { figures: 0, denied: 0, ok: 0, byRoute: new Map<string, number>() };
    const tuple = fc.record({
      user: fc.integer({ min: 0, max: users.length - 1 }),
      route: fc.constantFrom(...ROUTES),
      area: fc.constantFrom(...areas),
      indicator: fc.constantFrom(...indicators),
      level: fc.constantFrom<AreaLevel>(...AREA_LEVELS),
      alert: fc.constantFrom(...alertIds),
    });
    await fc.assert(
      fc.asyncProperty(tuple, async (t) => {
        const user = users[t.user]!;
        const gemeente = t.area.startsWith("GM") ? t.area : "GM0034";
        const pid = t.indicator.startsWith("profile:") ? t.indicator.slice(8) : "eenzaamheid-65plus";
        const path = {
          values: `/api/indicators/${encodeURIComponent(t.indicator)}/values?level=${t.level}&parent=${t.area}`,
          "values-all": `/api/indicators/${encodeURIComponent(t.indicator)}/values?level=${t.level}`,
          profile: `/api/areas/${t.area}/profile`,
          "profile-values": `/api/profiles/${pid}/values?level=${t.level}&parent=${t.area}`,
          alerts: `/api/alerts?parent=${gemeente}&level=${t.level}&limit=100&active=all`,
          alert: `/api/alerts/${t.alert}`,
          map: `/api/alerts/map?level=${t.level}&parent=${gemeente}`,
          explain: `/api/access/explain?indicator=${encodeURIComponent(t.indicator)}&area=${t.area}&level=${t.level}`,
        }[t.route];
        const res = await fetch(`${url}${path}`, { headers: user.cookie ? { cookie: user.cookie } : {} });
        const text = await res.text();
        expect([200, 400, 403, 404], `${path} → ${res.status} ${text.slice(0, 200)}`).toContain(res.status);
        if (res.status === 403) stats.denied++;
        if (res.status !== 200) return;
        stats.ok++;
        const body = JSON.parse(text) as Json;
        if (t.route === "explain") {
          expect(body.allowed).toBe(allowed(user.actor, t.indicator, t.area, t.level));
          return;
        }
        const indicatorId = t.route === "profile-values" ? `profile:${pid}` : t.indicator;
        const found = leaks(user.actor, t.route, indicatorId, t.level, body);
        expect(found, `${user.actor.id} (${user.actor.roles.join()}) ${path}`).toEqual([]);
        const n =
          ((body.values as unknown[]) ?? []).length +
          ((body.alerts as unknown[]) ?? []).length +
          ((body.areas as unknown[]) ?? []).length +
          (body.alert ? 1 : 0) +
          (typeof body.released === "number" ? body.released : 0);
        stats.figures += n;
        stats.byRoute.set(t.route, (stats.byRoute.get(t.route) ?? 0) + n);
      }),
      { seed: SEED, numRuns: TUPLES },
    );
    // Not vacuous: many answers carried figures (on every data route), many were denied.
    expect(stats.denied).toBeGreaterThan(TUPLES / 50);
    expect(stats.ok).toBeGreaterThan(TUPLES / 5);
    for (const r of ROUTES.filter((x) => x !== "explain"))
      expect(stats.byRoute.get(r) ?? 0, r).toBeGreaterThan(0);
    console.log(
      `T-AC-1: ${TUPLES} tuples, ${stats.ok} answers with data, ${stats.denied} denied (403), ${stats.figures} figures checked`,
    );
  }, 600_000);

  it("writes exactly one audit record per data request", async () => {
    const user = users[2]!;
    await app.audit.flush();
    const count = async () =>
      (await db.read((ex) => ex.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM audit_log")))[0]!.n;
    const before = await count();
    const paths = [
      `/api/indicators/eenzaam_18plus/values?level=buurt&parent=GM0034`,
      `/api/areas/GM0034/profile`,
      `/api/profiles/eenzaamheid-65plus/values?level=wijk&parent=GM0034`,
      `/api/indicators/profile:eenzaamheid-65plus/values?level=wijk`,
      `/api/alerts?parent=GM0034&limit=5`,
      `/api/alerts/map?level=wijk&parent=GM0034`,
      `/api/alerts/${alertIds[0]}`,
      `/api/access/explain?indicator=eenzaam_18plus&area=GM0034`,
    ];
    for (const p of [...paths, ...paths]) await fetch(`${url}${p}`, { headers: { cookie: user.cookie! } });
    await app.audit.flush();
    expect((await count()) - before).toBe(paths.length * 2);
  });
});
