/**
 * Interventions over real HTTP on a copy of the demo database with real users and grants
 * (board-fixture.ts): registration with named bad input, agreements, editing by the owner
 * organisation only, need to know (a field worker of another area sees nothing: list, single, effect),
 * the library without area codes, one audit record per request, and the effect: the route's estimate
 * equals core `differenceInDifferences` recomputed here from the released values the same user gets
 * from the values API (RIVM's eenzaam_18plus at buurt level in Almere, waves 2012, 2016, 2020),
 * and "no-data-after" when no wave follows the start.
 */
import {
  differenceInDifferences,
  matchComparisonAreas,
  splitPeriods,
  type AreaSeries,
} from "@wijkradar/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boardWorld, dayFromNow, type BoardWorld, type Session } from "./board-fixture.js";

let w: BoardWorld;
type Json = Record<string, unknown>;

const INDICATOR = "eenzaam_18plus";
const TREATED = ["BU00340101", "BU00340103", "BU00340104"]; // Almere-Haven (WK003401)

const registration = (over: Json = {}): Json => ({
  title: "Buurtkamer tegen eenzaamheid",
  goal: "Minder eenzaamheid onder volwassenen door een wekelijkse buurtkamer.",
  kind: "buurtkamer",
  problem: "eenzaamheid",
  domain: "health",
  areas: TREATED,
  division: 2020,
  targetIndicators: [INDICATOR],
  startDate: "2018-01-01",
  endDate: "2019-12-31",
  ownerOrganisation: "gemeente-almere",
  budget: 25000,
  status: "running",
  shared: false,
  ...over,
});

let main: number;

beforeAll(async () => {
  w = await boardWorld();
  const r = await w.call("POST", "/api/interventions", w.sessions.fw01, registration());
  expect(r.status, r.text).toBe(201);
  main = r.body.id as number;
}, 180_000);

afterAll(async () => {
  await w?.close();
});

/** The released values one user gets from the values API, per area and period (status released only). */
async function releasedSeries(
  s: Session,
  periods: readonly string[],
): Promise<Map<string, Map<string, number>>> {
  const series = new Map<string, Map<string, number>>();
  for (const period of periods) {
    const r = await w.call(
      "GET",
      `/api/indicators/${INDICATOR}/values?period=${period}&level=buurt&division=2020&parent=GM0034`,
      s,
    );
    expect(r.status, r.text).toBe(200);
    for (const v of r.body.values as { code: string; status: string; value?: number }[]) {
      if (v.status !== "released" || typeof v.value !== "number") continue;
      (series.get(v.code) ?? series.set(v.code, new Map()).get(v.code)!).set(period, v.value);
    }
  }
  return series;
}

describe("registering and changing an intervention", () => {
  it("stores the registration with its level, area type and agreements; one audit record", async () => {
    const r = await w.callAudited(
      "POST",
      "/api/interventions",
      w.sessions.fw01,
      registration({ title: "Tweede" }),
    );
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({
      level: "buurt",
      division: 2020,
      areas: TREATED,
      areaType: "buurt:large",
      mayEdit: true,
    });
    expect(r.audit).toEqual({
      action: "intervention-create",
      object: "intervention:new",
      result: "released",
    });
    const a = await w.callAudited("POST", `/api/interventions/${main}/agreements`, w.sessions.fw01, {
      text: "Welzijnsorganisatie levert twee vrijwilligers",
      ownerOrganisation: "gemeente-almere",
      ownerName: "buurtteam Haven",
      dueDate: dayFromNow(14),
    });
    expect(a.status, a.text).toBe(201);
    expect(a.audit.object).toBe(`intervention:${main} agreement`);
    const aid = a.body.agreementId as number;
    const p = await w.call("PATCH", `/api/interventions/${main}/agreements/${aid}`, w.sessions.fw01, {
      status: "done",
    });
    expect(p.status, p.text).toBe(200);
    expect((p.body.agreements as Json[]).find((x) => x.id === aid)?.status).toBe("done");
  });

  it("lets only the owner organisation's users change it (403 naming the owner for the police)", async () => {
    const police = await w.callAudited("PATCH", `/api/interventions/${main}`, w.sessions.politie, {
      budget: 1,
    });
    expect(police.status).toBe(403);
    expect(police.body.detail).toContain("owned by gemeente-almere");
    expect(police.audit.result).toBe("denied");
    const agreement = await w.call("POST", `/api/interventions/${main}/agreements`, w.sessions.politie, {
      text: "x",
      ownerOrganisation: "politie",
      dueDate: dayFromNow(1),
    });
    expect(agreement.status).toBe(403);
    // The police may read it: their health grant reaches Almere.
    expect((await w.call("GET", `/api/interventions/${main}`, w.sessions.politie)).body.mayEdit).toBe(false);
  });

  it("names bad input", async () => {
    const cases: [Json, number, string][] = [
      [{ areas: ["BU00340101", "WK003401"] }, 422, "areas: expected areas of one level"],
      [{ areas: ["BU00349999"] }, 422, "areas[0]: BU00349999 is not an area of division 2020"],
      [
        { targetIndicators: ["geen_indicator"] },
        422,
        "targetIndicators[0]: indicator geen_indicator is not in the catalogue",
      ],
      [{ endDate: "2017-01-01" }, 422, "endDate: 2017-01-01 is before startDate 2018-01-01"],
      [{ startDate: "2018-02-30" }, 422, "startDate: expected a date YYYY-MM-DD"],
      [{ ownerOrganisation: "brandweer" }, 422, "ownerOrganisation: organisation brandweer does not exist"],
      [{ goal: "Bel meneer De Boer op 06-12345678" }, 422, "goal: looks like it contains personal data"],
      [
        { lessons: "Mail naar a.b@example.org" },
        422,
        "lessons: looks like it contains personal data (an e-mail address)",
      ],
      [{ status: "paused" }, 400, "body field status"],
      [{ budget: -5 }, 400, "body field budget"],
      [{ areas: [] }, 400, "body field areas"],
    ];
    for (const [over, status, text] of cases) {
      const r = await w.callAudited("POST", "/api/interventions", w.sessions.fw01, registration(over));
      expect(r.status, JSON.stringify(over)).toBe(status);
      expect(r.body.detail).toContain(text);
      expect(r.audit.object).toBe(`intervention:new refused:${status}`);
    }
    // Registering for an area out of reach is refused with the rule.
    const far = await w.callAudited(
      "POST",
      "/api/interventions",
      w.sessions.fw01,
      registration({ areas: ["BU00340201"] }),
    );
    expect(far.status).toBe(403);
    expect(far.body.detail).toContain("covers only WK003401");
  });
});

describe("a field worker of another area sees nothing", () => {
  it("leaves the intervention out of the list and answers 403 with the rule for it and its effect", async () => {
    const own = await w.callAudited("GET", "/api/interventions", w.sessions.fw01);
    expect((own.body.interventions as Json[]).map((i) => i.id)).toContain(main);
    const list = await w.callAudited("GET", "/api/interventions", w.sessions.fw02);
    expect(list.status).toBe(200);
    expect(list.body.count).toBe(0);
    expect(list.text).not.toContain("BU003401");
    const one = await w.callAudited("GET", `/api/interventions/${main}`, w.sessions.fw02);
    expect(one.status).toBe(403);
    expect(one.body.detail).toContain("grant fw02-stad covers only WK003402");
    expect(one.audit).toMatchObject({ action: "intervention", result: "denied" });
    const effect = await w.callAudited(
      "GET",
      `/api/interventions/${main}/effect?indicator=${INDICATOR}`,
      w.sessions.fw02,
    );
    expect(effect.status).toBe(403);
    expect(effect.audit).toMatchObject({ action: "intervention-effect", result: "denied" });
    // A housing-only partner does not see a health intervention either.
    const corp = await w.call("GET", "/api/interventions?domain=health", w.sessions.corporatie);
    expect(corp.body.count).toBe(0);
    expect((await w.call("GET", `/api/interventions/${main}`)).status).toBe(401);
  });
});

describe("the effect", () => {
  it("equals core differenceInDifferences on the values the same user gets from the values API", async () => {
    const r = await w.callAudited(
      "GET",
      `/api/interventions/${main}/effect?indicator=${INDICATOR}`,
      w.sessions.fw01,
    );
    expect(r.status, r.text).toBe(200);
    expect(r.audit).toEqual({
      action: "intervention-effect",
      object: `intervention:${main} effect ${INDICATOR}`,
      result: "released",
    });
    const periods = (r.body.periods as { all: string[] }).all;
    expect(periods.length).toBeGreaterThanOrEqual(3);
    const series = await releasedSeries(w.sessions.fw01, periods);
    const asSeries = (code: string): AreaSeries => ({ code, values: series.get(code) ?? new Map() });
    const treated = TREATED.map(asSeries);
    const candidates = [...series.keys()].filter((c) => !TREATED.includes(c)).map(asSeries);
    const { before, after } = splitPeriods(periods, "2018-01-01", "2019-12-31");
    expect(r.body.periods).toMatchObject({ before, after });
    const matched = matchComparisonAreas({ treated, candidates, before, k: 5 });
    const expected = differenceInDifferences({
      treated,
      comparison: matched.map((m) => asSeries(m.code)),
      before,
      after,
    });
    const comparison = r.body.comparison as { areas: { code: string }[] };
    expect(comparison.areas.map((a) => a.code)).toEqual(matched.map((m) => m.code));
    const estimate = r.body.estimate as Json;
    expect(estimate.verdict).toBe(expected.verdict);
    expect(estimate.estimate).toBeCloseTo(expected.estimate!, 12);
    expect(estimate.lower).toBeCloseTo(expected.lower!, 12);
    expect(estimate.upper).toBeCloseTo(expected.upper!, 12);
    expect(expected.treatedCount).toBe(TREATED.length);
    expect(expected.comparisonCount).toBe(5);
    expect(["effect", "no-measurable-effect"]).toContain(expected.verdict);
    // Every figure shows its source and period.
    expect((r.body.source as Json).attribution).toMatch(/RIVM/);
    const first = (r.body.treated as { series: { period: string; value: number | null }[] }[])[0]!;
    expect(first.series.map((p) => p.period)).toEqual([...before, ...after]);
    expect(first.series.map((p) => p.value)).toEqual(
      [...before, ...after].map((p) => series.get(TREATED[0]!)?.get(p) ?? null),
    );
  });

  it('says "no-data-after" when no period follows the start', async () => {
    const c = await w.call(
      "POST",
      "/api/interventions",
      w.sessions.fw01,
      registration({ startDate: "2021-03-01", endDate: null }),
    );
    expect(c.status, c.text).toBe(201);
    const r = await w.call("GET", `/api/interventions/${c.body.id as number}/effect`, w.sessions.fw01);
    expect(r.status, r.text).toBe(200);
    expect((r.body.estimate as Json).verdict).toBe("no-data-after");
    expect((r.body.periods as { after: string[] }).after).toEqual([]);
    const bad = await w.callAudited(
      "GET",
      `/api/interventions/${c.body.id as number}/effect?indicator=moeite_rondkomen_18plus`,
      w.sessions.fw01,
    );
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toContain("indicator: moeite_rondkomen_18plus is not a target indicator");
  });
});

describe("the library", () => {
  it("lists shared interventions with their outcome to any logged-in user, without area codes", async () => {
    const before = await w.call("GET", "/api/interventions/library?problem=eenzaamheid", w.sessions.fw02);
    expect(before.status, before.text).toBe(200);
    expect((before.body.interventions as Json[]).map((i) => i.id)).not.toContain(main);
    // Sharing a finished intervention releases its outcome into the library: the request's record
    // plus one release record per target indicator.
    const count = await w.auditCount();
    const shared = await w.call("PATCH", `/api/interventions/${main}`, w.sessions.fw01, {
      status: "finished",
      shared: true,
      lessons: "Werkt het best met vaste vrijwilligers.",
    });
    expect(shared.status, shared.text).toBe(200);
    expect((await w.auditCount()) - count).toBe(2);
    const records = await w.db.read((ex) =>
      ex.all<{ action: string; object: string }>(
        "SELECT action, object FROM audit_log ORDER BY seq DESC LIMIT 2",
      ),
    );
    expect(records.map((x) => x.action).sort()).toEqual(["intervention-outcome", "intervention-update"]);
    const lib = await w.callAudited(
      "GET",
      "/api/interventions/library?problem=eenzaamheid&areaType=buurt:large",
      w.sessions.fw02,
    );
    expect(lib.status, lib.text).toBe(200);
    expect(lib.audit).toEqual({
      action: "intervention-library",
      object: "interventions library",
      result: "released",
    });
    const entry = (lib.body.interventions as Json[]).find((i) => i.id === main)!;
    expect(entry).toMatchObject({
      title: "Buurtkamer tegen eenzaamheid",
      areaType: "buurt:large",
      areaCount: 3,
      status: "finished",
    });
    const outcome = entry.outcome as { indicators: Json[] };
    const effect = await w.call("GET", `/api/interventions/${main}/effect`, w.sessions.fw01);
    const e = effect.body.estimate as Json;
    expect(outcome.indicators[0]).toMatchObject({
      verdict: e.verdict,
      estimate: e.estimate,
      lower: e.lower,
      upper: e.upper,
    });
    expect(lib.text).not.toMatch(/BU\d{4}|WK\d{4}|GM\d{4}/);
    expect(lib.text).not.toContain("u-");
    const text = await w.call(
      "GET",
      "/api/interventions/library?q=vaste%20vrijwilligers",
      w.sessions.corporatie,
    );
    expect((text.body.interventions as Json[]).map((i) => i.id)).toEqual([main]);
    expect(
      (await w.call("GET", "/api/interventions/library?domain=safety", w.sessions.fw02)).body.count,
    ).toBe(0);
    expect((await w.call("GET", "/api/interventions/library")).status).toBe(401);
  });
});

describe("the effect goes through the release function", () => {
  it("leaves out comparison areas outside the caller's grants (no public open-data grant)", async () => {
    // Last in this file: without the public grant, fw01 sees eenzaam_18plus in Almere-Haven only.
    await w.app.admin.deleteGrant("public-open-data");
    const r = await w.call(
      "GET",
      `/api/interventions/${main}/effect?indicator=${INDICATOR}`,
      w.sessions.fw01,
    );
    expect(r.status, r.text).toBe(200);
    expect(r.body.denied as number).toBeGreaterThan(0);
    const comparison = r.body.comparison as { areas: { code: string }[]; mean: { value: number | null }[] };
    expect(comparison.areas.length).toBeGreaterThan(0);
    for (const a of comparison.areas) expect(a.code.startsWith("BU003401")).toBe(true);
    expect(r.text).not.toMatch(/"code":"BU003402/);
    // The same user's values API gives the same figures, so the same estimate.
    const periods = (r.body.periods as { all: string[] }).all;
    const series = await releasedSeries(w.sessions.fw01, periods);
    expect([...series.keys()].every((c) => c.startsWith("BU003401"))).toBe(true);
    const asSeries = (code: string): AreaSeries => ({ code, values: series.get(code) ?? new Map() });
    const { before, after } = splitPeriods(periods, "2018-01-01", "2019-12-31");
    const candidates = [...series.keys()].filter((c) => !TREATED.includes(c)).map(asSeries);
    const matched = matchComparisonAreas({ treated: TREATED.map(asSeries), candidates, before, k: 5 });
    expect(comparison.areas.map((a) => a.code)).toEqual(matched.map((m) => m.code));
    const expected = differenceInDifferences({
      treated: TREATED.map(asSeries),
      comparison: matched.map((m) => asSeries(m.code)),
      before,
      after,
    });
    expect((r.body.estimate as Json).estimate).toBeCloseTo(expected.estimate!, 12);
    // The police (health in GM0034, purpose samenwerking) see every buurt of Almere: nothing denied.
    const police = await w.call(
      "GET",
      `/api/interventions/${main}/effect?indicator=${INDICATOR}`,
      w.sessions.politie,
    );
    expect(police.status, police.text).toBe(200);
    expect(police.body.denied).toBe(0);
  });
});
