import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { demoPlan, loadDemoIfEmpty } from "../src/demo/demo-loader.js";
import { importFile } from "../src/ingest/import-service.js";
import { deliveryCount, getSetting, setSetting } from "../src/store/catalogue-repository.js";
import { Database } from "../src/store/database.js";
import { tempDir, tempFile } from "./fixtures.js";

const MAPPING = (n: number) => `
version: 1
source: { id: demo-${n}, name: Demo, publisher: Test, attribution: "Bron: Test", licence: CC BY 4.0, open: true }
format: csv
areas: { code: regio, division: 2024, register: true }
period: { value: 2024 }
indicators:
  - { column: n, id: n_${n}, name: { nl: N, en: N }, unit: aantal, domain: population, polarity: neutral, kind: count, decimals: 0 }
`;

/** A small demo folder with two files, like data/demo. */
function smallDemo(): string {
  const dir = tempDir();
  for (const n of [1, 2]) {
    tempFile(`d${n}.csv`, `regio,n\nGM0034,${n}\n`, dir);
    tempFile(`m${n}.yaml`, MAPPING(n), dir);
  }
  writeFileSync(
    join(dir, "demo.json"),
    JSON.stringify({ imports: [1, 2].map((n) => ({ file: `d${n}.csv`, mapping: `m${n}.yaml` })) }),
  );
  return dir;
}

describe("demo loading on first start", () => {
  it("loads every file into an empty database and marks the load complete", async () => {
    const demo = smallDemo();
    const db = await Database.open({ path: join(tempDir(), "w.duckdb") });
    expect(await loadDemoIfEmpty(db, undefined, demo)).toHaveLength(2);
    expect(await getSetting(db, "demo")).toBe("complete");
    expect(await loadDemoIfEmpty(db, undefined, demo)).toEqual([]);
    db.close();
  });

  it("finishes a load that was interrupted (e.g. Ctrl-C during the first start)", async () => {
    const demo = smallDemo();
    const db = await Database.open({ path: join(tempDir(), "w.duckdb") });
    const [first] = demoPlan(demo);
    // What an interrupted first start leaves: the marker says loading, one file is in.
    await setSetting(db, "demo", "loading");
    await importFile(db, { file: first!.file, mappingFile: first!.mapping });
    const reports = await loadDemoIfEmpty(db, undefined, demo);
    expect(reports.map((r) => r.status)).toEqual(["unchanged", "imported"]);
    expect(await deliveryCount(db)).toBe(2);
    expect(await getSetting(db, "demo")).toBe("complete");
    db.close();
  });

  it("leaves a database alone that got its data another way", async () => {
    const demo = smallDemo();
    const db = await Database.open({ path: join(tempDir(), "w.duckdb") });
    const [first] = demoPlan(demo);
    await importFile(db, { file: first!.file, mappingFile: first!.mapping });
    expect(await loadDemoIfEmpty(db, undefined, demo)).toEqual([]);
    expect(await deliveryCount(db)).toBe(1);
    db.close();
  });
});
