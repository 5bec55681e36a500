/**
 * Builds the demo database once per test run (the real first-start import of all bundled data), so
 * API and CLI tests can each work on their own copy of a real DuckDB file. The template lives in a
 * folder of its own per run, so concurrent runs never share it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { loadDemoIfEmpty } from "../src/demo/demo-loader.js";
import { Database } from "../src/store/database.js";

declare module "vitest" {
  export interface ProvidedContext {
    demoDb: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const dir = mkdtempSync(join(tmpdir(), "wijkradar-demo-"));
  const path = join(dir, "demo-template.duckdb");
  const db = await Database.open({ path });
  try {
    await loadDemoIfEmpty(db);
    await db.checkpoint();
  } finally {
    db.close();
  }
  project.provide("demoDb", path);
  return () => rmSync(dir, { recursive: true, force: true });
}
