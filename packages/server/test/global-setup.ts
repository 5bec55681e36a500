/**
 * Builds the demo database once per test run (the real first-start import of all bundled data), so
 * API and CLI tests can each work on their own copy of a real DuckDB file.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { loadDemoIfEmpty } from "../src/demo/demo-loader.js";
import { Database } from "../src/store/database.js";

export const TEST_OUTPUT = join(import.meta.dirname, "..", "..", "..", "test-output");
export const DEMO_DB = join(TEST_OUTPUT, "demo-template.duckdb");

export default async function setup(): Promise<void> {
  mkdirSync(TEST_OUTPUT, { recursive: true });
  rmSync(DEMO_DB, { force: true });
  rmSync(`${DEMO_DB}.wal`, { force: true });
  const db = await Database.open({ path: DEMO_DB });
  try {
    await loadDemoIfEmpty(db);
    await db.checkpoint();
  } finally {
    db.close();
  }
}
