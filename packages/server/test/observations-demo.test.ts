/**
 * The field work configuration (defaults and clear errors) and the demo's synthetic observations on a
 * copy of the demo database: generated once, counted with zeros for every buurt of Almere, and the
 * planted rise of dumping found by the weekly or monthly count detectors.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { loadConfig } from "../src/config.js";
import {
  DEMO_OBSERVATION_USER,
  DEMO_RISE_BUURT,
  loadDemoObservations,
  type DemoObservationsReport,
} from "../src/demo/demo-observations.js";
import { Database } from "../src/store/database.js";
import { demoDbCopy, tempFile } from "./fixtures.js";

describe("config field", () => {
  it("defaults: the eight categories of ADR 0008, 100 m, Europe/Amsterdam, 2 s, detection on", () => {
    const { field } = loadConfig({ env: {} });
    expect(field.categories.map((c) => `${c.id}:${c.domain}`)).toEqual([
      "dumping:physical-environment",
      "litter:physical-environment",
      "vandalism:physical-environment",
      "neglected-housing:housing",
      "nuisance:safety",
      "youth-hanging-around:youth",
      "loneliness-signal:health",
      "other:physical-environment",
    ]);
    expect(field).toMatchObject({
      precisionMeters: 100,
      timeZone: "Europe/Amsterdam",
      syncDebounceMs: 2000,
      detectAfterSync: true,
    });
    expect(field.division).toBeUndefined();
  });

  it("names the setting and what was expected", () => {
    const bad = (yaml: string) => () => loadConfig({ flags: { config: tempFile("c.yaml", yaml) } });
    expect(bad("field:\n  precisionMeters: -1\n")).toThrow(
      /field\.precisionMeters: expected a whole number from 0 to 10000/,
    );
    expect(bad("field:\n  timeZone: Mars/Olympus\n")).toThrow(/field\.timeZone: expected an IANA time zone/);
    expect(
      bad("field:\n  categories:\n    - { id: Dumping, label: { nl: a, en: b }, domain: safety }\n"),
    ).toThrow(/field\.categories\.0\.id: expected an id of lower-case letters/);
    expect(
      bad(
        "field:\n  categories:\n    - { id: a-b, label: { nl: a, en: b }, domain: safety }\n    - { id: a_b, label: { nl: a, en: b }, domain: safety }\n",
      ),
    ).toThrow(/field\.categories: expected every category id once/);
    expect(bad("field:\n  categories:\n    - { id: x, label: { nl: a, en: b }, domain: weather }\n")).toThrow(
      /field\.categories\.0\.domain: expected one of the domains/,
    );
    expect(bad("field:\n  syncDebounce: 5\n")).toThrow(/unknown key\(s\) syncDebounce/);
  });
});

describe("demo observations", () => {
  let db: Database;
  let app: App;
  let report: DemoObservationsReport | null;

  beforeAll(async () => {
    db = await Database.open({ path: demoDbCopy() });
    app = await buildApp({ db, logLevel: "silent" });
    report = await loadDemoObservations(db, app.observations);
  }, 300_000);

  afterAll(async () => {
    await app?.close();
    db?.close();
  });

  it("generates them once, as the synthetic user, without notes or coordinates", async () => {
    expect(report).not.toBeNull();
    const [stored] = await db.read((ex) =>
      ex.all<{ n: number; users: number; notes: number; points: number; gemeenten: number }>(
        `SELECT count(*)::INTEGER AS n, count(DISTINCT user_id)::INTEGER AS users, count(note)::INTEGER AS notes,
                count(lon)::INTEGER AS points, count(DISTINCT gemeente_code)::INTEGER AS gemeenten
         FROM observations`,
      ),
    );
    expect(stored).toEqual({ n: report!.observations, users: 1, notes: 0, points: 0, gemeenten: 1 });
    const [user] = await db.read((ex) =>
      ex.all<{ u: string }>("SELECT DISTINCT user_id AS u FROM observations"),
    );
    expect(user!.u).toBe(DEMO_OBSERVATION_USER);
    expect(await loadDemoObservations(db, app.observations)).toBeNull();
  });

  it("counts them for every buurt of Almere in every week, zeros included", async () => {
    const [shape] = await db.read((ex) =>
      ex.all<{ buurten: number; weeks: number; cells: number; zeros: number; total: number }>(
        `SELECT count(DISTINCT area_code)::INTEGER AS buurten, count(DISTINCT period)::INTEGER AS weeks,
                count(*)::INTEGER AS cells, count(*) FILTER (WHERE value = 0)::INTEGER AS zeros,
                sum(value)::INTEGER AS total
         FROM indicator_values WHERE indicator_id = 'veld_totaal_week' AND level = 'buurt' AND division = 2014`,
      ),
    );
    expect(shape!.buurten).toBe(report!.buurten);
    expect(shape!.cells).toBe(shape!.buurten * shape!.weeks);
    expect(shape!.zeros).toBeGreaterThan(0);
    expect(shape!.total).toBe(report!.observations);
    // More than five years of weeks: enough history for the count detectors' baseline (b = 5).
    expect(shape!.weeks).toBeGreaterThan(5 * 52 + 3);
  });

  it("the count detectors find the planted rise of dumping", async () => {
    const ids = ["veld_dumping_week", "veld_dumping_maand", "veld_totaal_week", "veld_totaal_maand"];
    const outcome = await app.detection.run({
      trigger: "observations",
      actor: "test",
      indicators: ids,
      divisions: [2014],
    });
    expect(outcome.tests).toBeGreaterThan(0);
    const alerts = await db.read((ex) =>
      ex.all<{ area_code: string; indicator_id: string }>(
        `SELECT area_code, indicator_id FROM alerts WHERE starts_with(indicator_id, 'veld_') AND active`,
      ),
    );
    expect(
      alerts.some((a) => a.area_code === DEMO_RISE_BUURT && a.indicator_id.startsWith("veld_dumping")),
    ).toBe(true);
  });
});
