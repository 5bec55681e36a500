import { join } from "node:path";
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { StoreError } from "../src/errors.js";
import { Database } from "../src/store/database.js";
import { MIGRATIONS, SCHEMA_VERSION } from "../src/store/migrations.js";
import { tempDir } from "./fixtures.js";

describe("store", () => {
  it("creates the file and applies every migration once", async () => {
    const path = join(tempDir(), "sub", "w.duckdb");
    const db = await Database.open({ path });
    const rows = await db.read((ex) =>
      ex.all<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version"),
    );
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    db.close();
    const again = await Database.open({ path });
    const n = await again.read((ex) =>
      ex.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM schema_migrations"),
    );
    expect(n[0]!.n).toBe(SCHEMA_VERSION);
    again.close();
  });

  it("rolls a failed transaction back completely", async () => {
    const db = await Database.open({ path: join(tempDir(), "w.duckdb") });
    await expect(
      db.transaction(async (ex) => {
        await ex.run(
          "INSERT INTO sources (id, name, publisher, attribution, licence, url, open) VALUES ('s1', 'n', 'p', 'a', 'l', NULL, true)",
        );
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    const rows = await db.read((ex) => ex.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM sources"));
    expect(rows[0]!.n).toBe(0);
    db.close();
  });

  it("refuses a second writer in another process with a clear message", async () => {
    const path = join(tempDir(), "w.duckdb");
    const db = await Database.open({ path });
    // A real second process: DuckDB's lock is per process.
    const script = `
      import { Database } from ${JSON.stringify(join(import.meta.dirname, "..", "src", "store", "database.ts"))};
      try { await Database.open({ path: ${JSON.stringify(path)} }); console.log("OPENED"); }
      catch (e) { console.log(e.name + ": " + e.message); }`;
    const out = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let s = "";
      child.stdout.on("data", (d: Buffer) => (s += d.toString()));
      child.on("close", () => resolve(s));
    });
    db.close();
    expect(out).toContain("StoreError");
    expect(out).toContain(
      `database ${path} is already opened for writing by another process (PID ${process.pid})`,
    );
    expect(out).not.toContain("OPENED");
  });

  it("opens read-only and refuses writes there", async () => {
    const path = join(tempDir(), "w.duckdb");
    (await Database.open({ path })).close();
    const ro = await Database.open({ path, readOnly: true });
    await expect(ro.transaction(() => Promise.resolve(undefined))).rejects.toThrow(StoreError);
    ro.close();
  });

  it("says so when a read-only database does not exist", async () => {
    await expect(Database.open({ path: join(tempDir(), "missing.duckdb"), readOnly: true })).rejects.toThrow(
      StoreError,
    );
  });
});
