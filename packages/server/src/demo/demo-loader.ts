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
import { deliveryCount } from "../store/catalogue-repository.js";

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

/** Imports the demo data when the database has no deliveries yet. Returns the reports (empty if skipped). */
export async function loadDemoIfEmpty(
  db: Database,
  onProgress?: DemoProgress,
  dir = DEMO_DIR,
): Promise<ImportReport[]> {
  if ((await deliveryCount(db)) > 0) return [];
  const plan = demoPlan(dir);
  const reports: ImportReport[] = [];
  for (const [index, item] of plan.entries()) {
    reports.push(
      await importFile(db, {
        file: item.file,
        mappingFile: item.mapping,
        onProgress: (phase, fraction) =>
          onProgress?.({ index, total: plan.length, file: item.file, phase, fraction }),
      }),
    );
  }
  await db.checkpoint();
  return reports;
}
