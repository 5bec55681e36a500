/**
 * Builds the dashboard when its production build is missing or stale, so that browser tests always
 * test a fresh build of packages/web/dist; then builds the demo database once per test run (the real
 * first-start import of all bundled data), so API and CLI tests can each work on their own copy of a
 * real DuckDB file. The template lives in a folder of its own per run, so concurrent runs never share
 * it.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { ensureWebBuild, STAMP_FILE } from "../../web/scripts/build.mjs";
import { loadDemoIfEmpty } from "../src/demo/demo-loader.js";
import { demoKeys, loadDemoMicrodata } from "../src/demo/demo-microdata.js";
import { buildApp } from "../src/api/app.js";
import { Database } from "../src/store/database.js";

declare module "vitest" {
  export interface ProvidedContext {
    demoDb: string;
    /** The dashboard build the setup ensured: its folder and the text of its stamp. */
    webBuild: { dir: string; stamp: string };
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const web = await ensureWebBuild();
  let stamp = "";
  try {
    stamp = readFileSync(join(web.dir, STAMP_FILE), "utf8");
  } catch {
    // Replaced meanwhile by a build without a stamp (a plain `vite build`): the test says so.
  }
  project.provide("webBuild", { dir: web.dir, stamp });
  const dir = mkdtempSync(join(tmpdir(), "wijkradar-demo-"));
  const path = join(dir, "demo-template.duckdb");
  const db = await Database.open({ path });
  try {
    await loadDemoIfEmpty(db);
    // The synthetic Almere through the real vault path; its key file lands beside the template.
    await loadDemoMicrodata(db, () => demoKeys({ db: path }, {}));
    // The first early-warning run over indicators and profiles, as a first start does.
    const app = await buildApp({ db, logLevel: "silent" });
    try {
      await app.detection.run({ trigger: "first-start", actor: "wijkradar" });
    } finally {
      await app.close();
    }
    await db.checkpoint();
  } finally {
    db.close();
  }
  project.provide("demoDb", path);
  return () => rmSync(dir, { recursive: true, force: true });
}
