/**
 * The demo's synthetic municipality goes only beside the demo's open data: never into a database
 * that got its data otherwise, and only once.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildApp } from "../src/api/app.js";
import { main } from "../src/cli/main.js";
import { removeServerFile, writeServerFile } from "../src/server-file.js";
import { DEMO_MICRODATA, loadDemoMicrodata } from "../src/demo/demo-microdata.js";
import { Database } from "../src/store/database.js";
import { listVaultSources, vaultStatus } from "../src/store/vault-repository.js";
import { KeyRing } from "../src/vault/keys.js";
import { demoDbCopy, listenOnLoopback, tempDir } from "./fixtures.js";

describe("demo microdata", () => {
  it("is in the demo database: nine synthetic sources with records and the three example profiles", async () => {
    const db = await Database.open({ path: demoDbCopy(), readOnly: true });
    try {
      const sources = await listVaultSources(db);
      expect(sources.map((s) => s.id).sort()).toEqual([...DEMO_MICRODATA].sort());
      expect(sources.every((s) => s.synthetic)).toBe(true);
      const status = await vaultStatus(db);
      const brp = status.find((s) => s.sourceId === "brp")!;
      // Almere has ~226,500 residents; movers have two register rows.
      expect(brp.persons).toBeGreaterThan(220_000);
      for (const s of status) expect(s.persons + s.facts).toBeGreaterThan(0);
      const profiles = await db.read((ex) => ex.all<{ id: string }>("SELECT id FROM profiles ORDER BY id"));
      expect(profiles.map((p) => p.id)).toEqual([
        "eenzaamheid-65plus",
        "huurachterstand-schuldhulp",
        "jeugd-5-9",
      ]);
    } finally {
      db.close();
    }
  });

  it("is not generated into a database without the demo's open data, nor twice", async () => {
    const dir = tempDir();
    const db = await Database.open({ path: join(dir, "own.duckdb") });
    let asked = 0;
    const keys = () => {
      asked++;
      return KeyRing.of([]);
    };
    try {
      expect(await loadDemoMicrodata(db, keys)).toEqual([]);
      expect(asked).toBe(0);
      expect(existsSync(join(dir, "wijkradar-keys.yaml"))).toBe(false);
      expect(await listVaultSources(db)).toEqual([]);
    } finally {
      db.close();
    }
    const demo = await Database.open({ path: demoDbCopy() });
    try {
      expect(await loadDemoMicrodata(demo, keys)).toEqual([]);
      expect(asked).toBe(0);
    } finally {
      demo.close();
    }
  });

  it("lists the source register through a running server that holds the database", async () => {
    const path = demoDbCopy();
    const db = await Database.open({ path });
    const app = await buildApp({ db, logLevel: "silent" });
    try {
      const url = await listenOnLoopback(app);
      writeServerFile(path, { pid: process.pid, url, token: "t".repeat(43) });
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(["node", "wijkradar", "vault", "sources", "--db", path], {
        out: (s) => out.push(s),
        err: (s) => err.push(s),
        env: {},
      });
      expect(code).toBe(0);
      expect(err.join("\n")).toContain("holds the database; asking it");
      expect(out.join("\n")).toMatch(
        /^brp\s+person\s+24 mo {2}Gemeente Almere \(synthetisch\) \(synthetic\)/m,
      );
      expect(out.join("\n")).toContain("DPIA DEMO-DPIA-2026-01");
    } finally {
      removeServerFile(path);
      await app.close();
      db.close();
    }
  });
});
