/**
 * Early warning from the command line on a real DuckDB file: an import runs the detectors for its
 * division, a planted outlier becomes a red alert through the funnel test, `wijkradar alerts` lists
 * it (table, CSV, JSON) through the release function, `detect run` and `detect model` work, bad
 * options name themselves with exit code 64.
 */
import { readFileSync } from "node:fs";
import { binomialUpperTail, funnelZScore, normalCdf, overdispersion } from "@wijkradar/core";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { EXIT } from "../src/errors.js";
import { Database } from "../src/store/database.js";
import { tempDir, tempFile } from "./fixtures.js";

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["node", "wijkradar", ...args], {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    env: {},
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const MAPPING = `
version: 1
source: { id: test-schulden, name: Testbron, publisher: Test, attribution: "Bron: Test", licence: CC BY 4.0, open: true }
format: csv
areas: { code: regio, division: 2024, register: true, name: { column: naam } }
period: { value: 2024 }
indicators:
  - id: schulden_test
    name: { nl: Problematische schulden, en: Problem debts }
    unit: "%"
    domain: debts
    polarity: higher-is-worse
    kind: percentage
    decimals: 1
    numerator: met_schulden
    denominator: huishoudens
`;

// Eight gemeenten around 10 %, one at 16 %; the land value is their sum.
const ROWS: [string, string, number, number][] = [
  ["GM0001", "Een", 101, 1000],
  ["GM0002", "Twee", 98, 1000],
  ["GM0003", "Drie", 104, 1000],
  ["GM0004", "Vier", 95, 1000],
  ["GM0005", "Vijf", 100, 1000],
  ["GM0006", "Zes", 160, 1000],
  ["GM0007", "Zeven", 97, 1000],
  ["GM0008", "Acht", 103, 1000],
];
const LAND: [string, string, number, number] = [
  "NL01",
  "Nederland",
  ROWS.reduce((n, r) => n + r[2], 0),
  ROWS.reduce((n, r) => n + r[3], 0),
];
const CSV = `regio;naam;met_schulden;huishoudens\n${[...ROWS, LAND].map((r) => r.join(";")).join("\n")}\n`;

describe("wijkradar detect and alerts", () => {
  const dir = tempDir();
  const db = `${dir}/cli.duckdb`;
  const mapping = tempFile("schulden.yaml", MAPPING, dir);
  const csv = tempFile("schulden.csv", CSV, dir);

  it("runs the detectors after an import and finds the planted outlier", async () => {
    const r = await run(["import", csv, "--mapping", mapping, "--db", db]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.err).toMatch(/early-warning run \d+ for division 2024: 1 alerts/);
    const list = await run(["alerts", "--db", db, "--format", "json"]);
    expect(list.code).toBe(EXIT.ok);
    const body = JSON.parse(list.out) as {
      total: number;
      alerts: {
        areaCode: string;
        detector: string;
        observed: number;
        expected: number;
        p: number;
        severity: string;
      }[];
    };
    expect(body.total).toBe(1);
    const a = body.alerts[0]!;
    expect(a).toMatchObject({ areaCode: "GM0006", detector: "status-funnel", observed: 16, severity: "red" });
    const theta = LAND[2] / LAND[3];
    expect(a.expected).toBeCloseTo(100 * theta, 10);
    // The funnel test by hand: z-scores against the land's rate, φ from them (winsorised 10 %); with
    // significant overdispersion the normal tail of z/√φ, else the exact binomial tail.
    const zs = ROWS.map(([, , num, den]) => funnelZScore("binomial", num, den, theta));
    const over = overdispersion(zs, 0.1);
    const phi = over.phi > 1 && over.pValue < 0.05 ? over.phi : 1;
    const z6 = zs[5]! / Math.sqrt(phi);
    const expected = phi > 1 ? normalCdf(-z6) : binomialUpperTail(160, 1000, theta);
    expect(a.p).toBeCloseTo(expected, 12);
    expect(a.p).toBeLessThan(1e-4);
  });

  it("lists alerts as a table and as CSV with the attribution", async () => {
    const table = await run(["alerts", "--db", db, "--severity", "red", "--domain", "debts"]);
    expect(table.out).toMatch(/^1 alerts/);
    expect(table.out).toMatch(/GM0006 +debts +schulden_test \(status-funnel, 2024\): 16\.00 vs/);
    const csvOut = await run(["alerts", "--db", db, "--format", "csv"]);
    const lines = csvOut.out.trim().split("\n");
    expect(lines[1]).toMatch(/^id,area,level/);
    expect(lines[2]).toMatch(/,GM0006,gemeente,2024,debts,schulden_test,status-funnel,2024,16,/);
    expect(lines[2]).toMatch(/,Bron: Test$/);
  });

  it("runs on demand and prints the model description", async () => {
    const r = await run(["detect", "run", "--db", db, "--divisions", "2024"]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toMatch(/detection run \d+ finished: 1 series, 8 tests, 1 alerts/);
    const file = `${dir}/model.json`;
    const m = await run(["detect", "model", "--db", db, "-o", file]);
    expect(m.code).toBe(EXIT.ok);
    const model = JSON.parse(readFileSync(file, "utf8")) as {
      detectors: { id: string }[];
      settings: { fdr: number };
    };
    expect(model.settings.fdr).toBe(0.05);
    expect(model.detectors.length).toBeGreaterThanOrEqual(7);
    const d = await Database.open({ path: db, readOnly: true });
    try {
      const runs = await d.read((ex) =>
        ex.all<{ trigger: string; status: string }>("SELECT trigger, status FROM detection_runs ORDER BY id"),
      );
      expect(runs).toEqual([
        { trigger: "cli", status: "finished" },
        { trigger: "cli", status: "finished" },
      ]);
    } finally {
      d.close();
    }
  });

  it("a run of named indicators updates their alerts and leaves the others active", async () => {
    const other = tempFile(
      "bijstand.yaml",
      MAPPING.replace("id: test-schulden", "id: test-bijstand")
        .replace("id: schulden_test", "id: bijstand_test")
        .replace("domain: debts", "domain: income"),
      dir,
    );
    expect(
      (await run(["import", tempFile("bijstand.csv", CSV, dir), "--mapping", other, "--db", db])).code,
    ).toBe(EXIT.ok);
    const both = JSON.parse((await run(["alerts", "--db", db, "--format", "json"])).out) as {
      alerts: { domain: string }[];
    };
    expect(both.alerts.map((a) => a.domain).sort()).toEqual(["debts", "income"]);
    const r = await run(["detect", "run", "--db", db, "--indicators", "schulden_test"]);
    expect(r.out).toMatch(/1 series, 8 tests, 1 alerts/);
    const after = JSON.parse((await run(["alerts", "--db", db, "--format", "json"])).out) as {
      alerts: { domain: string }[];
    };
    expect(after.alerts.map((a) => a.domain).sort()).toEqual(["debts", "income"]);
  });

  it("names bad options and skips detection with --no-detect", async () => {
    const bad = await run(["alerts", "--db", db, "--severity", "purple"]);
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.err).toMatch(/unknown severity "purple"/);
    const div = await run(["detect", "run", "--db", db, "--divisions", "20x4"]);
    expect(div.code).toBe(EXIT.usage);
    expect(div.err).toMatch(/"20x4" is not a division year/);
    const other = tempDir();
    const r = await run(["import", csv, "--mapping", mapping, "--db", `${other}/x.duckdb`, "--no-detect"]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.err).not.toMatch(/early-warning/);
  });
});
