/**
 * Imports that should succeed, on a fresh empty database with small generated files: format
 * detection, CBS conventions, dry runs, re-imports, replacement and derived parent values.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { importFile } from "../src/ingest/import-service.js";
import { Database } from "../src/store/database.js";
import { tempDir, tempFile } from "./fixtures.js";

const SOURCE = {
  id: "test-bron",
  name: "Testbron",
  publisher: "Test",
  attribution: "Bron: test",
  licence: "CC BY 4.0",
  open: true,
};
const meta = (id: string, kind: string, extra: Record<string, unknown>) => ({
  id,
  name: { nl: id, en: id },
  unit: kind === "count" ? "aantal" : kind === "percentage" ? "%" : "per 1.000 inwoners",
  domain: "population",
  polarity: "neutral",
  kind,
  ...extra,
});

/** A CSV mapping registering gemeenten of division 2020 with a count and a percentage column. */
function mapping(over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: 1,
    source: SOURCE,
    format: "csv",
    areas: { code: "code", division: 2020, register: true, name: { column: "naam" } },
    period: { column: "jaar" },
    indicators: [
      meta("inwoners", "count", { column: "inwoners", decimals: 0 }),
      meta("pct_jong", "percentage", { column: "pct" }),
    ],
    ...over,
  });
}

let db: Database;
let dir: string;
beforeEach(async () => {
  dir = tempDir();
  db = await Database.open({ path: join(dir, "t.duckdb") });
});
afterEach(() => db.close());

const load = (name: string, content: string | Uint8Array, mappingText = mapping(), dryRun = false) =>
  importFile(db, { file: tempFile(name, content, dir), mappingText, mappingName: "test.yaml", dryRun });

interface StoredValue {
  code: string;
  value: number;
  numerator: number | null;
  denominator: number | null;
  derived: boolean;
  delivery: number;
}

/** The stored values of one indicator, by area code. */
async function stored(indicator: string): Promise<Map<string, StoredValue>> {
  const rows = await db.read((ex) =>
    ex.all<StoredValue>(
      `SELECT area_code AS code, value, numerator, denominator, derived, delivery_id AS delivery
       FROM indicator_values WHERE indicator_id = ? ORDER BY area_code`,
      [indicator],
    ),
  );
  return new Map(rows.map((r) => [r.code, r]));
}

const valuesOf = async (indicator: string): Promise<Record<string, number>> =>
  Object.fromEntries([...(await stored(indicator))].map(([code, v]) => [code, v.value]));

const nameOf = async (code: string): Promise<string | null | undefined> =>
  (
    await db.read((ex) =>
      ex.all<{ name: string | null }>("SELECT name FROM areas WHERE code = ? AND division = 2020", [code]),
    )
  )[0]?.name;

async function tableCounts(): Promise<{ deliveries: number; values: number; areas: number }> {
  const [row] = await db.read((ex) =>
    ex.all<{ deliveries: number; values: number; areas: number }>(
      `SELECT (SELECT count(*) FROM deliveries)::INTEGER AS deliveries,
              (SELECT count(*) FROM indicator_values)::INTEGER AS "values",
              (SELECT count(*) FROM areas)::INTEGER AS areas`,
    ),
  );
  return row!;
}

describe("format detection", () => {
  it("detects a semicolon delimiter and decimal comma, and says so in the report", async () => {
    const report = await load(
      "puntkomma.csv",
      "code;naam;jaar;inwoners;pct\nGM0034;Almere;2020;218096;12,5\nGM0363;Amsterdam;2020;872757;9,75\n",
    );
    expect(report.status).toBe("imported");
    expect(report.notes).toContain("delimiter detected: semicolon");
    expect(report.notes).toContain("decimal separator detected: comma");
    expect(await valuesOf("pct_jong")).toEqual({ GM0034: 12.5, GM0363: 9.75 });
  });

  it("reads a file that is not UTF-8 as cp1252, and the report says so", async () => {
    const bytes = Buffer.from(
      "code,naam,jaar,inwoners,pct\nGM1900,Súdwest-Fryslân,2020,89583,17.1\nGM0034,Almere,2020,218096,20.3\n",
      "latin1",
    );
    const report = await load("cp1252.csv", bytes);
    expect(report.notes.join("\n")).toMatch(/not UTF-8 .*line 2.*read as Windows-1252 \(cp1252\)/);
    expect(await nameOf("GM1900")).toBe("Súdwest-Fryslân");
  });

  it("reads UTF-8 with a byte order mark: the first column keeps its name", async () => {
    const bytes = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from("code,naam,jaar,inwoners,pct\nGM1900,Súdwest-Fryslân,2020,89583,17.1\n", "utf8"),
    ]);
    const report = await load("bom.csv", bytes);
    expect(report.notes.join("\n")).not.toContain("cp1252");
    expect(await nameOf("GM1900")).toBe("Súdwest-Fryslân");
    expect(await valuesOf("inwoners")).toMatchObject({ GM1900: 89583 });
  });

  it("keeps a quoted field that contains the delimiter whole", async () => {
    await load(
      "quoted.csv",
      'code,naam,jaar,inwoners,pct\nGM0373,"Bergen (NH), gemeente",2020,29941,"14.2"\nGM0034,Almere,2020,218096,20.3\n',
    );
    expect(await nameOf("GM0373")).toBe("Bergen (NH), gemeente");
    expect(await valuesOf("pct_jong")).toEqual({ GM0034: 20.3, GM0373: 14.2 });
  });
});

describe("CBS conventions", () => {
  it("trims CBS space padding from codes", async () => {
    await load(
      "padded.csv",
      'code;naam;jaar;inwoners;pct\n"GM0034  ";"Almere                  ";2020;218096;20,3\n"WK003401";"Stad";2020;1000;1,5\n',
    );
    const published = [...(await stored("inwoners")).values()].filter((v) => !v.derived).map((v) => v.code);
    expect(published.sort()).toEqual(["GM0034", "WK003401"]);
    expect(await nameOf("GM0034")).toBe("Almere");
  });

  it("skips the missing markers '.', empty and -99999999: no value, not 0", async () => {
    const report = await load(
      "missing.csv",
      "code,naam,jaar,inwoners,pct\nGM0034,Almere,2020,.,20.3\nGM0363,Amsterdam,2020,,9.5\nGM0014,Groningen,2020,-99999999,\nGM0599,Rotterdam,2020,651446,11.0\n",
    );
    expect(await valuesOf("inwoners")).toEqual({ GM0599: 651446 });
    expect(await valuesOf("pct_jong")).toEqual({ GM0034: 20.3, GM0363: 9.5, GM0599: 11 });
    expect(report.notes).toContain("4 empty or missing-marker cells skipped (no value)");
    expect(report.values).toBe(4);
  });

  it("accepts CBS period codes such as 2020JJ00 through the mapping's pattern", async () => {
    const report = await load(
      "perioden.csv",
      "code,naam,Perioden,inwoners,pct\nGM0034,Almere,2020JJ00,218096,20.3\n",
      mapping({ period: { column: "Perioden", pattern: "^(\\d{4})JJ00$" } }),
    );
    expect(report.periods).toEqual(["2020"]);
  });
});

describe("dry run and re-imports", () => {
  const FILE =
    "code,naam,jaar,inwoners,pct\nGM0034,Almere,2020,218096,20.3\nGM0363,Amsterdam,2020,872757,9.5\n";

  it("a dry run validates and reports but writes nothing", async () => {
    const report = await load("dry.csv", FILE, mapping(), true);
    expect(report).toMatchObject({ status: "validated", rows: 2, values: 4, areas: 2, periods: ["2020"] });
    expect(await tableCounts()).toEqual({ deliveries: 0, values: 0, areas: 0 });
  });

  it("re-importing the same file with the same mapping is a no-op", async () => {
    const first = await load("same.csv", FILE);
    const after = await tableCounts();
    const again = await load("same.csv", FILE);
    expect(again.status).toBe("unchanged");
    expect(again.deliveryId).toBe(first.deliveryId);
    expect(again.notes.join("\n")).toContain(`identical to delivery ${first.deliveryId}`);
    expect(await tableCounts()).toEqual(after);
  });

  it("a changed file for the same source and period replaces the old values", async () => {
    const first = await load("v1.csv", FILE);
    const second = await load(
      "v2.csv",
      "code,naam,jaar,inwoners,pct\nGM0034,Almere,2020,220000,20.5\nGM0363,Amsterdam,2020,880000,9.7\n",
    );
    expect(second.status).toBe("imported");
    expect(second.replacedDeliveries).toEqual([first.deliveryId]);
    expect(second.replacedValues).toBe(4);
    const inwoners = await stored("inwoners");
    expect(
      Object.fromEntries([...inwoners].filter(([, v]) => !v.derived).map(([c, v]) => [c, v.value])),
    ).toEqual({ GM0034: 220000, GM0363: 880000 });
    const all = await db.read((ex) =>
      ex.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM indicator_values WHERE delivery_id = ?", [
        first.deliveryId!,
      ]),
    );
    expect(all[0]!.n).toBe(0);
    const [manifest] = await db.read((ex) =>
      ex.all<{ replaces: number[] }>("SELECT replaces FROM deliveries WHERE id = ?", [second.deliveryId!]),
    );
    expect(manifest!.replaces).toEqual([first.deliveryId]);
  });

  it("a changed file that drops a row leaves no old value for that area", async () => {
    await load("v1.csv", FILE);
    await load("v2.csv", "code,naam,jaar,inwoners,pct\nGM0034,Almere,2020,220000,20.5\n");
    expect(await valuesOf("pct_jong")).toEqual({ GM0034: 20.5 });
  });

  it("values of another period of the same source stay", async () => {
    await load("2019.csv", FILE.replaceAll(",2020,", ",2019,"));
    const second = await load("2020.csv", FILE);
    expect(second.replacedDeliveries).toEqual([]);
    const periods = await db.read((ex) =>
      ex.all<{ period: string }>(
        "SELECT DISTINCT period FROM indicator_values WHERE indicator_id = 'pct_jong' ORDER BY period",
      ),
    );
    expect(periods.map((p) => p.period)).toEqual(["2019", "2020"]);
  });
});

describe("derived parent values", () => {
  const DERIVING = mapping({
    indicators: [
      meta("inwoners", "count", { column: "inwoners", decimals: 0 }),
      meta("misdrijven", "count", { column: "misdrijven", decimals: 0 }),
      meta("misdrijven_per_1000", "rate-per-1000", { numerator: "misdrijven", denominator: "inwoners" }),
      meta("pct_jong", "percentage", { column: "pct" }),
    ],
  });
  const COMPLETE =
    "code,naam,jaar,inwoners,misdrijven,pct\nGM0034,Almere,2020,200,10,20\nGM0363,Amsterdam,2020,800,60,10\n";
  // Amsterdam has no inwoners (and so no rate), but other figures: it is a real gemeente without a value.
  const INCOMPLETE =
    "code,naam,jaar,inwoners,misdrijven,pct\nGM0034,Almere,2020,200,10,20\nGM0363,Amsterdam,2020,.,60,10\n";

  it.each<[string, string, number | undefined]>([
    ["a count, all children present", "inwoners", 1000],
    ["a second count, all children present", "misdrijven", 70],
    ["a rate from summed numerators and denominators (pooled)", "misdrijven_per_1000", 70],
  ])("NL01 gets %s", async (_case, indicator, expected) => {
    const report = await load("compleet.csv", COMPLETE, DERIVING);
    expect(report.derivedValues).toBe(3);
    const nl = (await stored(indicator)).get("NL01");
    expect(nl).toMatchObject({ value: expected, derived: true, delivery: report.deliveryId });
  });

  it("the pooled rate keeps the summed numerator and denominator", async () => {
    await load("compleet.csv", COMPLETE, DERIVING);
    expect((await stored("misdrijven_per_1000")).get("NL01")).toMatchObject({
      numerator: 70,
      denominator: 1000,
    });
  });

  it("a percentage without numerator and denominator is not aggregated", async () => {
    await load("compleet.csv", COMPLETE, DERIVING);
    expect((await stored("pct_jong")).has("NL01")).toBe(false);
  });

  it.each<[string, string, number | undefined]>([
    ["no count when a child lacks it", "inwoners", undefined],
    ["a count whose children are all present", "misdrijven", 70],
    ["no rate when a child lacks its denominator", "misdrijven_per_1000", undefined],
  ])("with one gemeente missing a value, NL01 gets %s", async (_case, indicator, expected) => {
    await load("incompleet.csv", INCOMPLETE, DERIVING);
    expect((await stored(indicator)).get("NL01")?.value).toBe(expected);
  });

  it("a published parent value replaces the derived one: one row, not two", async () => {
    await load("compleet.csv", COMPLETE, DERIVING);
    const published = mapping({
      indicators: [meta("misdrijven_per_1000", "rate-per-1000", { column: "rate" })],
    });
    await load("nl.csv", "code,naam,jaar,rate\nNL01,Nederland,2020,65\n", published);
    const rows = await db.read((ex) =>
      ex.all<{ value: number; derived: boolean }>(
        "SELECT value, derived FROM indicator_values WHERE indicator_id = 'misdrijven_per_1000' AND area_code = 'NL01'",
      ),
    );
    expect(rows).toEqual([{ value: 65, derived: false }]);
  });

  it("a registered gemeente without any figure blocks the national sum (no partial sums)", async () => {
    await load("regio.csv", "code,naam,jaar,inwoners,pct\nGM0599,Rotterdam,2020,.,.\n");
    await load("compleet.csv", COMPLETE, DERIVING);
    expect((await stored("inwoners")).get("NL01")).toBeUndefined();
  });

  it("CBS placeholders such as GM0998 Buitenland do not block the national sum", async () => {
    await load("regio.csv", "code,naam,jaar,inwoners,pct\nGM0998,Buitenland,2020,.,.\n");
    await load("compleet.csv", COMPLETE, DERIVING);
    expect((await stored("inwoners")).get("NL01")?.value).toBe(1000);
  });

  it("a derived parent follows a replacing delivery", async () => {
    await load("compleet.csv", COMPLETE, DERIVING);
    await load("nieuw.csv", COMPLETE.replace("GM0034,Almere,2020,200,", "GM0034,Almere,2020,300,"), DERIVING);
    const nl = await db.read((ex) =>
      ex.all<{ value: number }>(
        "SELECT value FROM indicator_values WHERE indicator_id = 'inwoners' AND area_code = 'NL01'",
      ),
    );
    expect(nl.map((r) => r.value)).toEqual([1100]);
  });
});

describe("derived values need a registered parent", () => {
  it("buurten alone derive nothing for wijken that are not areas of the division", async () => {
    const csv = "code,naam,jaar,inwoners,pct\nBU00340101,A,2020,10,1\nBU00340102,B,2020,20,2\n";
    const report = await load("buurten.csv", csv);
    expect(report.derivedValues).toBe(0);
    expect([...(await stored("inwoners")).keys()].sort()).toEqual(["BU00340101", "BU00340102"]);
  });

  it("once the wijk is registered, its value is derived from its buurten", async () => {
    await load("wijk.csv", "code,naam,jaar,inwoners,pct\nWK003401,W,2019,5,1\n");
    const report = await load(
      "buurten.csv",
      "code,naam,jaar,inwoners,pct\nBU00340101,A,2020,10,1\nBU00340102,B,2020,20,2\n",
    );
    expect((await stored("inwoners")).get("WK003401")).toMatchObject({
      value: 30,
      derived: true,
      delivery: report.deliveryId,
    });
  });
});

describe("the delivery manifest", () => {
  it("records source, file name, sha256 checksum, rows, periods, indicators and counts", async () => {
    const content =
      "code,naam,jaar,inwoners,pct\nGM0034,Almere,2019,1,2\nGM0034,Almere,2020,3,4\nGM0363,A,2020,5,.\n";
    const report = await load("manifest.csv", content);
    const [row] = await db.read((ex) =>
      ex.all<Record<string, unknown>>(
        `SELECT source_id, file_name, file_sha256, rows, value_count, area_count, periods, indicators, division
         FROM deliveries WHERE id = ?`,
        [report.deliveryId!],
      ),
    );
    expect(row).toEqual({
      source_id: "test-bron",
      file_name: "manifest.csv",
      file_sha256: createHash("sha256").update(content).digest("hex"),
      rows: 3,
      value_count: 5,
      area_count: 2,
      periods: ["2019", "2020"],
      indicators: ["inwoners", "pct_jong"],
      division: 2020,
    });
    expect(report.fileSha256).toBe(row!.file_sha256);
  });
});
