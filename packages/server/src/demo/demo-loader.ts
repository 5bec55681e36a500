/**
 * Loads the bundled open data (data/demo/) into an empty database on first start, following
 * data/demo/demo.json. Each import is an ordinary delivery through the importer, so the demo is also
 * the importer's largest end-to-end exercise.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { importFile, type ImportPhase, type ImportReport } from "../ingest/import-service.js";
import type { Database } from "../store/database.js";
import { deliveryCount, getSetting, setSetting } from "../store/catalogue-repository.js";
import { borrowAreaNames } from "../store/delivery-repository.js";

const DEMO_SETTING = "demo";

/** The bundled demo folder: <repo>/data/demo, found relative to this module (src/ or dist/). */
export const DEMO_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..", "data", "demo");

const DemoPlan = z.object({
  description: z.string().optional(),
  imports: z.array(z.object({ file: z.string(), mapping: z.string() }).strict()).min(1),
});

export interface DemoProgress {
  (step: { index: number; total: number; file: string; phase: ImportPhase; fraction: number }): void;
}

/** The demo imports, in order. */
export function demoPlan(dir = DEMO_DIR): { file: string; mapping: string }[] {
  const plan = DemoPlan.parse(JSON.parse(readFileSync(join(dir, "demo.json"), "utf8")));
  return plan.imports.map((i) => ({ file: join(dir, i.file), mapping: join(dir, i.mapping) }));
}

/**
 * Imports the demo data into an empty database, or finishes a demo load that was interrupted (the
 * `demo` setting says "loading" until every file is in; files already imported are no-ops).
 * A database that got its data otherwise is left alone. Returns the reports (empty if skipped).
 */
export async function loadDemoIfEmpty(
  db: Database,
  onProgress?: DemoProgress,
  dir = DEMO_DIR,
): Promise<ImportReport[]> {
  const state = await getSetting(db, DEMO_SETTING);
  if (state === "complete") return [];
  if (state === undefined && (await deliveryCount(db)) > 0) return [];
  const plan = demoPlan(dir);
  await setSetting(db, DEMO_SETTING, "loading");
  const reports: ImportReport[] = [];
  for (const [index, item] of plan.entries()) {
    reports.push(
      await importFile(db, {
        file: item.file,
        mappingFile: item.mapping,
        deferNames: true,
        onProgress: (phase, fraction) =>
          onProgress?.({ index, total: plan.length, file: item.file, phase, fraction }),
      }),
    );
  }
  // Names for areas of divisions without names, once for all 26 files instead of after each.
  await borrowAreaNames(db);
  await setSetting(db, DEMO_SETTING, "complete");
  await db.checkpoint();
  return reports;
}
