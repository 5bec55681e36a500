/**
 * Microdata import: a delivered file (CSV or Parquet) of person, household or address records
 * becomes pseudonymised vault records, all of them or none.
 *
 * 1. The mapping is validated and its source must be in the registry (organisation, legal basis,
 *    purpose, DPIA, retention, key purpose); otherwise nothing is read.
 * 2. The file is read by DuckDB into a private in-memory instance (store/microdata-staging.ts).
 *    Columns the mapping neither uses nor ignores are screened: values that look like BSNs, e-mail
 *    addresses, phone numbers or street addresses refuse the import (T-PS-3).
 * 3. In that instance, in SQL: every value is validated and normalised (a bad row is reported by
 *    line and column, never with its value), and identifiers are replaced by HMAC-SHA-256 pseudonyms
 *    with the source's purpose key (the key's padded blocks as bound parameters).
 * 4. Everything is written in one transaction (replacing the source's earlier records unless the
 *    mapping says `mode: append`); too many rejected rows roll it all back.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename, extname } from "node:path";
import { mappedColumns, MicrodataMappingSchema, screenColumn, type MicrodataMapping } from "@wijkradar/core";
import { InputError } from "../errors.js";
import type { Database } from "../store/database.js";
import { MicrodataStaging, type TabularFormat } from "../store/microdata-staging.js";
import {
  findIdenticalVaultDelivery,
  getVaultSource,
  pc6WithoutBuurt,
  VaultDeliveryWriter,
  type VaultSource,
} from "../store/vault-repository.js";
import type { KeyRing } from "./keys.js";
import { Pseudonymiser } from "./pseudonymise.js";
import { parseYamlWith, readTextFile } from "../yaml-input.js";

export type MicrodataPhase = "read" | "screen" | "write";

export interface MicrodataImportRequest {
  readonly file: string;
  readonly mappingFile?: string;
  /** Mapping text given directly; `mappingName` names it in messages. */
  readonly mappingText?: string;
  readonly mappingName?: string;
  readonly keys: KeyRing;
  readonly dryRun?: boolean;
  readonly now?: Date;
  readonly onProgress?: (phase: MicrodataPhase, fraction: number) => void;
}

export interface MicrodataImportReport {
  readonly status: "imported" | "unchanged" | "validated";
  readonly file: string;
  readonly source: string;
  readonly record: MicrodataMapping["record"];
  readonly rows: number;
  readonly imported: number;
  readonly rejected: number;
  /** The first problems, `file:line: column: message` — never a value. */
  readonly problems: readonly string[];
  readonly replacedRows: number;
  readonly deliveryId?: number;
  readonly keyPurpose: string;
  readonly keyVersion: number;
  readonly fileSha256: string;
  readonly notes: readonly string[];
  readonly durationMs: number;
}

const MAX_PROBLEMS = 50;
/** Values sampled per unmapped column for the identifier screen. */
const SCREEN_SAMPLE = 500;

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (e) {
    throw new InputError(
      `${path}: cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return hash.digest("hex");
}

function formatOf(file: string, mapping: MicrodataMapping): TabularFormat {
  if (mapping.format) return mapping.format;
  const ext = extname(file).toLowerCase();
  if (ext === ".parquet" || ext === ".pq") return "parquet";
  if (ext === ".csv" || ext === ".txt" || ext === ".tsv") return "csv";
  throw new InputError(
    `${file}: cannot tell the format from the extension "${ext}"; set format: csv or parquet in the mapping`,
  );
}

function sourceFitsMapping(source: VaultSource, m: MicrodataMapping): string | undefined {
  const level = m.record === "register" ? "person" : m.subject === "pc6" ? "address" : m.subject;
  if (source.recordLevel !== level)
    return `source ${source.id} is registered with records at level ${source.recordLevel}, but this mapping imports ${m.record === "register" ? "a person register" : `facts about a ${m.subject}`} (level ${level})`;
  for (const [field, value] of Object.entries({
    organisation: source.organisation,
    legalBasis: source.legalBasis,
    purpose: source.purpose,
    dpiaReference: source.dpiaReference,
    keyPurpose: source.keyPurpose,
  }))
    if (!value.trim())
      return `source ${source.id} has no ${field} in the registry; register it again with all fields`;
  if (!(source.retentionMonths > 0)) return `source ${source.id} has no retention period in the registry`;
  return undefined;
}

/** Refuses unmapped columns whose values look like identifiers (T-PS-3); notes the others. */
async function screenUnmapped(
  file: string,
  f: MicrodataStaging,
  m: MicrodataMapping,
  notes: string[],
): Promise<void> {
  const used = new Set([...mappedColumns(m), ...m.ignore]);
  const refused: string[] = [];
  for (const column of f.columns) {
    if (used.has(column)) continue;
    const verdict = screenColumn(await f.sample(column, SCREEN_SAMPLE));
    if (verdict)
      refused.push(
        `${file}: column "${column}" is not mapped and ${verdict.matched} of ${verdict.checked} sampled values look like ${
          { bsn: "BSNs", email: "e-mail addresses", phone: "phone numbers", address: "street addresses" }[
            verdict.kind
          ]
        }; map it as an identifier, list it under ignore, or remove it from the file`,
      );
    else
      notes.push(
        `column "${column}" is not in the mapping: not imported (list it under ignore to silence this note)`,
      );
  }
  if (refused.length > 0)
    throw new InputError(
      `${file}: refused — unmapped columns look like personal identifiers; nothing was imported`,
      refused,
    );
}

/**
 * Imports one microdata file. Throws InputError (bad mapping, unregistered source, unreadable file,
 * identifier-like unmapped columns, too many bad rows) or ConfigError (no key for the purpose);
 * in every such case nothing is written.
 */
export async function importMicrodata(
  db: Database,
  req: MicrodataImportRequest,
): Promise<MicrodataImportReport> {
  const started = performance.now();
  const now = req.now ?? new Date();
  const fileName = basename(req.file);
  const mappingSource =
    req.mappingText !== undefined
      ? { text: req.mappingText, name: req.mappingName ?? "mapping" }
      : readTextFile(req.mappingFile ?? "", "mapping file");
  const mapping = parseYamlWith(
    MicrodataMappingSchema,
    mappingSource.text,
    mappingSource.name,
    "microdata mapping",
  );
  const source = await getVaultSource(db, mapping.source);
  if (!source)
    throw new InputError(
      `${mappingSource.name}: source "${mapping.source}" is not registered; nothing was imported. Register it first (wijkradar vault register <file>) with its organisation, legal basis, purpose, DPIA reference, retention period and key purpose`,
    );
  const misfit = sourceFitsMapping(source, mapping);
  if (misfit) throw new InputError(`${mappingSource.name}: ${misfit}; nothing was imported`);
  const pseudonymiser = new Pseudonymiser(req.keys, source.keyPurpose);
  const format = formatOf(req.file, mapping);
  req.onProgress?.("read", 0);
  const fileSha256 = await sha256File(req.file);
  const mappingSha256 = createHash("sha256").update(mappingSource.text).digest("hex");

  const base = {
    file: fileName,
    source: source.id,
    record: mapping.record,
    keyPurpose: source.keyPurpose,
    keyVersion: pseudonymiser.keyVersion,
    fileSha256,
  };
  if (!req.dryRun) {
    const same = await findIdenticalVaultDelivery(
      db,
      source.id,
      fileSha256,
      mappingSha256,
      pseudonymiser.keyVersion,
    );
    if (same !== undefined)
      return {
        ...base,
        status: "unchanged",
        rows: 0,
        imported: 0,
        rejected: 0,
        problems: [],
        replacedRows: 0,
        deliveryId: same,
        notes: [`identical to delivery ${same}; nothing to do`],
        durationMs: performance.now() - started,
      };
  }

  const staging = await MicrodataStaging.open(req.file, {
    format,
    ...(mapping.csv?.delimiter ? { delimiter: mapping.csv.delimiter } : {}),
  });
  try {
    const missing = mappedColumns(mapping).filter((c) => !staging.columns.includes(c));
    if (missing.length > 0)
      throw new InputError(
        `${fileName}: the mapping names column(s) the file does not have: ${missing.join(", ")}; the file has ${staging.columns.join(", ")}`,
      );
    const notes: string[] = [];
    req.onProgress?.("screen", 0);
    await screenUnmapped(fileName, staging, mapping, notes);

    const lineOf =
      format === "csv"
        ? (row: number) => `${fileName}:${row + 2}`
        : (row: number) => `${fileName}: row ${row + 1}`;
    const allowed = Math.floor(mapping.maxRejected * staging.rowCount);
    const checked = await staging.validate(mapping, MAX_PROBLEMS);
    const problems = checked.problems.map((p) => `${lineOf(p.row)}: ${p.message}`);
    if (checked.rejected > allowed)
      throw new InputError(
        `${fileName}: ${checked.rejected} row(s) rejected${allowed > 0 ? `, more than the ${allowed} allowed (maxRejected ${mapping.maxRejected})` : " (the mapping allows none: maxRejected 0)"}; nothing was imported`,
        problems,
      );
    const counts = {
      rows: staging.rowCount,
      imported: staging.rowCount - checked.rejected,
      rejected: checked.rejected,
      problems,
    };

    if (req.dryRun)
      return {
        ...base,
        status: "validated",
        ...counts,
        replacedRows: 0,
        notes,
        durationMs: performance.now() - started,
      };
    req.onProgress?.("write", 0);
    const result = await db.transaction(async (ex) => {
      const { writer, replacedRows } = await VaultDeliveryWriter.start(ex, {
        sourceId: source.id,
        fileName,
        fileSha256,
        mappingSha256,
        keyPurpose: source.keyPurpose,
        keyVersion: pseudonymiser.keyVersion,
        replace: mapping.mode === "replace",
        now,
      });
      const written = await writer.appendStaged(
        await staging.rows(mapping, pseudonymiser.keyBlocks(), {
          sourceId: source.id,
          deliveryId: writer.id,
          keyVersion: pseudonymiser.keyVersion,
        }),
      );
      if (written !== counts.imported)
        throw new Error(`internal: staged ${counts.imported} rows but wrote ${written}`);
      if (mapping.record === "register") {
        const orphans = await pc6WithoutBuurt(ex, source.id);
        if (orphans > 0)
          notes.push(
            `${orphans} postcode(s) have no buurt in the PC6 lookup yet: their residents count at PC6 and PC4 only`,
          );
      }
      await writer.finish(counts.rows, counts.rejected, JSON.stringify({ notes, problems }));
      return { replacedRows, deliveryId: writer.id };
    });
    req.onProgress?.("write", 1);
    return {
      ...base,
      status: "imported",
      ...counts,
      ...result,
      notes,
      durationMs: performance.now() - started,
    };
  } finally {
    staging.close();
  }
}
