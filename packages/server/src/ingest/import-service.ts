/**
 * One import, from files on disk to a committed delivery: read the mapping, read and parse the file,
 * validate every row (plan), check codes and catalogue against the store, then write atomically.
 * `dryRun` stops before writing and returns the same report.
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import { LAND_CODE, type Mapping } from "@wijkradar/core";
import { InputError } from "../errors.js";
import { prepareGeometry } from "../geo/simplify-geometry.js";
import type { Database } from "../store/database.js";
import {
  areaCodesOfDivision,
  catalogueEntries,
  findIdenticalDelivery,
  writeDelivery,
  type AreaInput,
} from "../store/delivery-repository.js";
import { loadMapping, parseMapping } from "./mapping-file.js";
import { planImport, type ImportPlan } from "./plan-import.js";
import { readCsv } from "./read-csv.js";
import { readGeoJson, readTopoJson } from "./read-geo.js";

export type ImportPhase = "read" | "parse" | "validate" | "write";

export interface ImportRequest {
  /** Path of the data file (used for its name and, when `bytes` is absent, to read it). */
  readonly file: string;
  readonly bytes?: Uint8Array;
  readonly mappingFile?: string;
  /** Mapping text given directly (API uploads); `mappingName` names it in messages. */
  readonly mappingText?: string;
  readonly mappingName?: string;
  readonly dryRun?: boolean;
  readonly onProgress?: (phase: ImportPhase, fraction: number) => void;
  /** A batch of imports names areas without a name once at its end (see `borrowAreaNames`). */
  readonly deferNames?: boolean;
}

export interface ImportReport {
  readonly status: "imported" | "unchanged" | "validated";
  readonly file: string;
  readonly source: string;
  readonly division: number;
  readonly rows: number;
  readonly values: number;
  readonly areas: number;
  readonly indicators: readonly string[];
  readonly periods: readonly string[];
  readonly deliveryId?: number;
  readonly replacedDeliveries?: readonly number[];
  readonly replacedValues?: number;
  readonly derivedValues?: number;
  readonly fileSha256: string;
  readonly notes: readonly string[];
  readonly durationMs: number;
}

const sha256 = (data: Uint8Array | string): string => createHash("sha256").update(data).digest("hex");

function readBytes(path: string): Uint8Array {
  try {
    if (statSync(path).isDirectory()) throw new InputError(`${path}: is a directory; expected a data file`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(
      `${path}: cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      [],
      {
        cause: e,
      },
    );
  }
}

async function parseTable(mapping: Mapping, bytes: Uint8Array, path: string, progress: (f: number) => void) {
  if (mapping.format === "csv") {
    return { kind: "csv" as const, csv: await readCsv(bytes, path, mapping.csv, progress) };
  }
  if (bytes.length === 0)
    throw new InputError(
      `${basename(path)}: the file is empty; expected ${mapping.format === "geojson" ? "GeoJSON" : "TopoJSON"}`,
    );
  const text = Buffer.from(bytes).toString("utf8");
  const geo =
    mapping.format === "geojson"
      ? readGeoJson(text, path)
      : readTopoJson(text, path, mapping.topojson!.object);
  progress(1);
  return { kind: "geo" as const, geo };
}

/** Checks the plan against what the store already holds: known area codes and the catalogue. */
async function checkAgainstStore(db: Database, plan: ImportPlan): Promise<void> {
  const details: string[] = [];
  const known = await areaCodesOfDivision(db, plan.division);
  if (plan.register) {
    // Parents come from the codes; say how many have no parent area in this division (yet).
    const orphans = [...plan.areas.values()].filter(
      (a) =>
        a.parentCode &&
        a.parentCode !== LAND_CODE &&
        !known.has(a.parentCode) &&
        !plan.areas.has(a.parentCode),
    );
    if (orphans.length > 0) {
      const levels = [...new Set(orphans.map((o) => o.level))].join("/");
      plan.notes.push(
        `${orphans.length} ${levels} area(s) have no parent registered in division ${plan.division} (e.g. ${orphans[0]!.code} → ${orphans[0]!.parentCode}); import that level's division to complete the tree`,
      );
    }
  } else {
    const unknown = [...plan.usedCodes].filter(([code]) => !known.has(code));
    if (unknown.length > 0) {
      throw new InputError(
        `${plan.file}: ${unknown.length} area code${unknown.length === 1 ? " is" : "s are"} not in the ${plan.division} division; nothing was imported`,
        [
          ...unknown
            .slice(0, 20)
            .map(([code, row]) => `${row.where}: unknown area code ${code} (division ${plan.division})`),
          ...(unknown.length > 20 ? [`… and ${unknown.length - 20} more`] : []),
          known.size === 0
            ? `no areas of division ${plan.division} are registered yet: import its area division first, or set areas.register: true`
            : `expected codes of division ${plan.division} (${known.size} registered)`,
        ],
      );
    }
  }
  const existing = await catalogueEntries(
    db,
    plan.indicators.map((i) => i.id),
  );
  const byId = new Map(plan.indicators.map((i) => [i.id, i]));
  for (const e of existing) {
    const mine = byId.get(e.id)!;
    if (e.sourceId !== plan.source.id)
      details.push(
        `indicator ${e.id}: already belongs to source ${e.sourceId}; this mapping's source is ${plan.source.id}`,
      );
    for (const field of ["kind", "unit", "domain", "polarity"] as const) {
      if (e[field] !== mine[field])
        details.push(
          `indicator ${e.id}: ${field} is "${e[field]}" in the catalogue; the mapping says "${mine[field]}"`,
        );
    }
  }
  if (details.length > 0)
    throw new InputError(
      `${plan.file}: the mapping contradicts the indicator catalogue; nothing was imported`,
      details,
    );
}

/**
 * Imports one file. With `dryRun` (or without a database) it validates and reports, writing nothing.
 *
 * @example await importFile(db, { file: "data/demo/rivm/50090NED_2020_18plus.csv", mappingFile: "data/demo/mappings/rivm-gezondheid.yaml" })
 */
export async function importFile(db: Database | undefined, req: ImportRequest): Promise<ImportReport> {
  const started = performance.now();
  const progress = req.onProgress ?? (() => undefined);
  let mapping: Mapping;
  let mappingText: string;
  if (req.mappingText !== undefined) {
    mappingText = req.mappingText;
    mapping = parseMapping(req.mappingText, req.mappingName ?? "mapping");
  } else if (req.mappingFile) {
    ({ mapping, text: mappingText } = loadMapping(req.mappingFile));
  } else {
    throw new InputError("no mapping given; expected --mapping <file> (YAML or JSON)");
  }
  progress("read", 0);
  const bytes = req.bytes ?? readBytes(req.file);
  const fileSha256 = sha256(bytes);
  const mappingSha256 = sha256(mappingText);
  progress("read", 1);

  if (db && !req.dryRun) {
    const same = await findIdenticalDelivery(db, mapping.source.id, fileSha256, mappingSha256);
    if (same) {
      return {
        status: "unchanged",
        file: basename(req.file),
        source: mapping.source.id,
        division: typeof mapping.areas.division === "number" ? mapping.areas.division : 0,
        rows: 0,
        values: same.valueCount,
        areas: 0,
        indicators: [],
        periods: [],
        deliveryId: same.id,
        fileSha256,
        notes: [`identical to delivery ${same.id} of ${same.importedAt}: nothing to do`],
        durationMs: performance.now() - started,
      };
    }
  }

  // No name for the parsed table: its records can be collected while the plan is written.
  const plan = planImport(
    mapping,
    await parseTable(mapping, bytes, req.file, (f) => progress("parse", f)),
    req.file,
    (f) => progress("validate", f),
  );
  if (db) await checkAgainstStore(db, plan);

  const base = {
    file: plan.file,
    source: plan.source.id,
    division: plan.division,
    rows: plan.rows,
    values: plan.valueCount,
    areas: plan.areas.size,
    indicators: plan.indicators.map((i) => i.id),
    periods: plan.periods,
    fileSha256,
    notes: plan.notes,
  };
  if (!db || req.dryRun) return { status: "validated", ...base, durationMs: performance.now() - started };

  progress("write", 0);
  let collapsed = 0;
  const areas: AreaInput[] = [...plan.areas.values()].map((a) => {
    const geometry = a.geometry ? prepareGeometry(a.geometry, a.level) : null;
    if (a.geometry && !geometry) collapsed++;
    return { code: a.code, level: a.level, name: a.name, parentCode: a.parentCode, geometry };
  });
  if (collapsed > 0)
    plan.notes.push(
      `${collapsed} feature(s) have no usable polygon (their rings collapse to fewer than 4 distinct points, e.g. in coarsely quantised TopoJSON): registered without geometry`,
    );
  const result = await writeDelivery(db, {
    source: plan.source,
    fileName: plan.file,
    fileSha256,
    mappingSha256,
    division: plan.division,
    rows: plan.rows,
    areas,
    indicators: plan.indicators,
    values: plan.values,
    periods: plan.periods,
    report: { notes: plan.notes, missingValues: plan.missingValues, skippedRows: plan.skippedRows },
    deferNames: req.deferNames ?? false,
  });
  progress("write", 1);
  return { status: "imported", ...base, ...result, durationMs: performance.now() - started };
}
