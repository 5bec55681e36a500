/**
 * The numbers the API serves for the bundled RIVM demo data equal the numbers in the CSV files. The
 * files are parsed here with csv-parse directly, independently of the importer; values come over
 * HTTP from a server on a private copy of the demo database.
 */
import { readFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { Database } from "../src/store/database.js";
import { demoDbCopy, demoFile, listenOnLoopback } from "./fixtures.js";

type Row = Record<string, string>;

interface DemoFile {
  readonly file: string;
  readonly period: string;
  readonly suffix: string;
}

const RIVM_2020_18PLUS: DemoFile = {
  file: "rivm/50090NED_2020_18plus.csv",
  period: "2020",
  suffix: "18plus",
};
const RIVM_2012_65PLUS: DemoFile = {
  file: "rivm/50090NED_2012_65plus.csv",
  period: "2012",
  suffix: "65plus",
};

const rowsCache = new Map<string, Row[]>();
function rowsOf(f: DemoFile): Row[] {
  let rows = rowsCache.get(f.file);
  if (!rows) {
    rows = parse<Row>(readFileSync(demoFile(f.file)), { columns: true, bom: true, trim: true });
    rowsCache.set(f.file, rows);
  }
  return rows;
}

const LEVELS: Record<string, string> = { Buurt: "buurt", Wijk: "wijk", Gemeente: "gemeente", Land: "land" };
const MISSING = new Set([".", ""]);

/** Every 500th buurt row, plus BU00340101 (Centrum Almere-Haven), Almere (GM0034) and NL01. */
function sample(f: DemoFile): Row[] {
  const rows = rowsOf(f);
  const buurten = rows.filter((r) => r.SoortRegio_2 === "Buurt");
  const picked = buurten.filter((_, i) => i % 500 === 0);
  for (const code of ["BU00340101", "GM0034", "NL01"])
    picked.push(rows.find((r) => r.WijkenEnBuurten === code)!);
  return picked;
}

interface ApiValue {
  code: string;
  value?: number;
  status: string;
}

let db: Database;
let app: App;
let base: string;

beforeAll(async () => {
  db = await Database.open({ path: demoDbCopy() });
  app = await buildApp({ db, logLevel: "silent" });
  base = await listenOnLoopback(app);
});
afterAll(async () => {
  await app.close();
  db.close();
});

/** The values the API serves for an indicator, period and level, by area code. */
async function apiValues(indicator: string, period: string, level: string): Promise<Map<string, ApiValue>> {
  const res = await fetch(`${base}/api/indicators/${indicator}/values?level=${level}&period=${period}`);
  expect(res.status, `${indicator} ${period} ${level}`).toBe(200);
  const body = (await res.json()) as { values: ApiValue[]; period: string; level: string };
  expect([body.period, body.level]).toEqual([period, level]);
  return new Map(body.values.map((v) => [v.code, v]));
}

describe("the sample", () => {
  it("holds about 30 buurten plus the fixed areas, all with codes", () => {
    const s = sample(RIVM_2020_18PLUS);
    expect(s.length).toBeGreaterThan(25);
    expect(s.map((r) => r.WijkenEnBuurten)).toEqual(expect.arrayContaining(["BU00340101", "GM0034", "NL01"]));
  });
});

describe("stored values equal the bundled CSV", () => {
  it.each<[string, string, string, DemoFile]>([
    ["2020 18+", "Eenzaam_28", "eenzaam", RIVM_2020_18PLUS],
    ["2020 18+", "MoeiteMetRondkomen_38", "moeite_rondkomen", RIVM_2020_18PLUS],
    ["2020 18+", "ErvarenGezondheidGoedZeerGoed_4", "ervaren_gezondheid_goed", RIVM_2020_18PLUS],
    ["2020 18+", "Roker_11", "roker", RIVM_2020_18PLUS],
    ["2012 65+", "Eenzaam_28", "eenzaam", RIVM_2012_65PLUS],
    ["2012 65+", "MoeiteMetRondkomen_38", "moeite_rondkomen", RIVM_2012_65PLUS],
    ["2012 65+", "ErvarenGezondheidGoedZeerGoed_4", "ervaren_gezondheid_goed", RIVM_2012_65PLUS],
    ["2012 65+", "Mantelzorger_32", "mantelzorger", RIVM_2012_65PLUS],
  ])("%s: column %s -> %s", async (_name, column, id, f) => {
    const indicator = `${id}_${f.suffix}`;
    const byLevel = new Map<string, Map<string, ApiValue>>();
    for (const level of ["buurt", "gemeente", "land"])
      byLevel.set(level, await apiValues(indicator, f.period, level));
    for (const row of sample(f)) {
      const code = row.WijkenEnBuurten!;
      const cell = row[column]!;
      const served = byLevel.get(LEVELS[row.SoortRegio_2!]!)!.get(code);
      const expected = MISSING.has(cell) ? undefined : Number(cell);
      expect(served?.value, `${indicator} ${f.period} ${code}: CSV "${cell}"`).toBe(expected);
    }
  });
});

describe("cells without a value in the CSV have no value in the API", () => {
  it.each(["buurt", "wijk"])(
    "Eenzaam_28 2020 18+: the %s rows marked '.' are absent, every other row is present",
    async (level) => {
      const rows = rowsOf(RIVM_2020_18PLUS).filter((r) => LEVELS[r.SoortRegio_2!] === level);
      const marked = rows.filter((r) => MISSING.has(r.Eenzaam_28!)).map((r) => r.WijkenEnBuurten!);
      const served = await apiValues("eenzaam_18plus", "2020", level);
      expect(marked.length).toBeGreaterThan(0);
      expect(marked.filter((code) => served.has(code))).toEqual([]);
      expect(served.size).toBe(rows.length - marked.length);
    },
  );

  it("SociaalEenzaam_31 is empty in the whole 2012 65+ file: the API has no 2012 values, not zeros", async () => {
    const rows = rowsOf(RIVM_2012_65PLUS);
    expect(rows.every((r) => r.SociaalEenzaam_31 === "")).toBe(true);
    const res = await fetch(`${base}/api/indicators/sociaal_eenzaam_65plus/values?level=buurt&period=2012`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { detail: string }).detail).toContain("no values for period 2012");
  });

  it("SociaalEenzaam_31 65+: the profile of BU00340101 has the 2016 and 2020 values and no 2012 entry", async () => {
    const res = await fetch(`${base}/api/areas/BU00340101/profile`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      domains: Record<string, { indicator: { id: string }; series: { period: string; value?: number }[] }[]>;
    };
    const entry = body.domains.health!.find((e) => e.indicator.id === "sociaal_eenzaam_65plus")!;
    const csv = (file: string): number =>
      Number(
        rowsOf({ file, period: "", suffix: "" }).find((r) => r.WijkenEnBuurten === "BU00340101")!
          .SociaalEenzaam_31,
      );
    expect(entry.series.map((s) => [s.period, s.value])).toEqual([
      ["2016", csv("rivm/50090NED_2016_65plus.csv")],
      ["2020", csv("rivm/50090NED_2020_65plus.csv")],
    ]);
  });
});
