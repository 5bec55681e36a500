import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { importFile } from "../src/ingest/import-service.js";
import { Database } from "../src/store/database.js";
import { tempDir, tempFile, listenOnLoopback } from "./fixtures.js";

const MAPPING = `
version: 1
source: { id: gemeente-onderzoek, name: Onderzoek en Statistiek, publisher: Gemeente, attribution: "Bron: gemeente, O&S", licence: intern, open: false }
format: csv
areas: { code: postcode, division: 2024, register: true }
period: { column: jaar }
indicators:
  - { column: huishoudens, id: hh_pc, name: { nl: Huishoudens, en: Households }, unit: aantal, domain: population, polarity: neutral, kind: count, decimals: 0 }
  - { numerator: schuldhulp, denominator: huishoudens, id: schuldhulp_pct, name: { nl: Schuldhulp, en: Debt assistance }, unit: "%", domain: debts, polarity: higher-is-worse, kind: percentage, decimals: 1 }
`;

describe("postcode areas without geometry", () => {
  let db: Database;
  let app: App;
  let base: string;
  beforeAll(async () => {
    const dir = tempDir();
    db = await Database.open({ path: join(dir, "w.duckdb") });
    const csv =
      "postcode;jaar;huishoudens;schuldhulp\n1314 AB;2024;40;4\n1314ac;2024;12;3\n1315AA;2024;120;30\n";
    await importFile(db, {
      file: tempFile("pc.csv", csv, dir),
      mappingText: MAPPING,
      mappingName: "pc.yaml",
    });
    app = await buildApp({ db, logLevel: "silent" });
    base = await listenOnLoopback(app);
  });
  afterAll(async () => {
    await app.close();
    db.close();
  });

  it("registers PC6 areas with their PC4 as parent, normalising spaces and case", async () => {
    const res = (await (await fetch(`${base}/api/areas?level=pc6&parent=1314`)).json()) as {
      areas: { code: string; parentCode: string; hasGeometry: boolean }[];
    };
    expect(res.areas.map((a) => a.code)).toEqual(["1314AB", "1314AC"]);
    expect(res.areas.every((a) => a.parentCode === "1314" && !a.hasGeometry)).toBe(true);
  });

  it("has no boundaries for postcodes and says which levels have none", async () => {
    const res = await fetch(`${base}/api/geo/pc6`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { detail: string }).detail).toContain("no boundaries for level pc6");
  });

  it("keeps data of a non-open source behind the default-deny policy for anonymous visitors", async () => {
    const res = await fetch(`${base}/api/indicators/schuldhulp_pct/values?level=pc6`);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { detail: string };
    expect(body.detail).toMatch(/no grant covers schuldhulp_pct .*covers open data only/);
    // The rule may name the area it was decided for; no figure leaves.
    expect(JSON.stringify(body)).not.toMatch(/"value"|"values"|"numerator"/);
  });
});
