/**
 * Microdata import: a delivered file (CSV or Parquet) of person, household or address records
 * becomes pseudonymised vault records, all of them or none.
 *
 * 1. The mapping is validated and its source must be in the registry (organisation, legal basis,
 *    purpose, DPIA, retention, key purpose); otherwise nothing is read.
 * 2. The file is read by DuckDB in a private in-memory instance (store/tabular-file.ts). Columns the
 *    mapping neither uses nor ignores are screened: values that look like BSNs, e-mail addresses,
 *    phone numbers or street addresses refuse the import (T-PS-3).
 * 3. Row by row, in memory: identifiers are replaced by HMAC-SHA-256 pseudonyms with the source's
 *    purpose key (vault/pseudonymise.ts); values are validated; a bad row is reported by line and
 *    column, never with its value.
 * 4. Everything is written in one transaction (replacing the source's earlier records unless the
 *    mapping says `mode: append`); too many rejected rows roll it all back.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { basename, extname } from "node:path";
import {
  HOUSEHOLD_TYPES,
  isoDateToDays,
  isValidBsn,
  mappedColumns,
  MicrodataMappingSchema,
  normalisePc6,
  screenColumn,
  SEX_CODES,
  type FactMapping,
  type MicrodataMapping,
  type RegisterMapping,
} from "@wijkradar/core";
import { InputError } from "../errors.js";
import type { Database } from "../store/database.js";
import { openTabularFile, type TabularFile, type TabularFormat } from "../store/tabular-file.js";
import {
  emptyFactBatch,
  emptyPersonBatch,
  findIdenticalVaultDelivery,
  getVaultSource,
  pc6WithoutBuurt,
  VaultDeliveryWriter,
  type FactBatch,
  type PersonBatch,
  type VaultSource,
} from "../store/vault-repository.js";
import type { KeyRing } from "./keys.js";
import { Pseudonymiser, type IdentifierKind } from "./pseudonymise.js";
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
const DAY = 1;

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

/** The converter of one row: fills the batch or returns the problem (column: message). */
type RowConverter = (cols: (string | null)[][], i: number) => string | undefined;

interface Converter {
  readonly columns: readonly string[];
  readonly convert: RowConverter;
  flush(writer: VaultDeliveryWriter | undefined): Promise<number>;
}

const present = (v: string | null | undefined): v is string =>
  v !== null && v !== undefined && v.trim() !== "";

function validity(m: MicrodataMapping, idx: Map<string, number>) {
  if ("at" in m.validity) {
    const at = idx.get(m.validity.at)!;
    const col = m.validity.at;
    return (cols: (string | null)[][], i: number): { from: number; to: number | null } | string => {
      const v = cols[at]![i];
      const d = present(v) ? isoDateToDays(v) : undefined;
      if (d === undefined) return `${col}: expected a date YYYY-MM-DD`;
      return { from: d, to: d + DAY };
    };
  }
  const from = idx.get(m.validity.from)!;
  const to = m.validity.to === undefined ? undefined : idx.get(m.validity.to)!;
  const fromCol = m.validity.from;
  const toCol = m.validity.to;
  return (cols: (string | null)[][], i: number): { from: number; to: number | null } | string => {
    const f = cols[from]![i];
    const fd = present(f) ? isoDateToDays(f) : undefined;
    if (fd === undefined) return `${fromCol}: expected a date YYYY-MM-DD`;
    if (to === undefined) return { from: fd, to: null };
    const t = cols[to]![i];
    if (!present(t)) return { from: fd, to: null };
    const td = isoDateToDays(t);
    if (td === undefined) return `${toCol}: expected a date YYYY-MM-DD or empty`;
    if (td <= fd) return `${toCol}: ends on or before ${fromCol}`;
    return { from: fd, to: td };
  };
}

function identifier(
  p: Pseudonymiser,
  kind: IdentifierKind,
  column: string,
): (v: string | null | undefined) => { id: bigint; recordKey: number } | null | string {
  // Households and addresses repeat (2–3 people each): their pseudonyms are kept for the rest of the
  // import, in memory only, and forgotten with it.
  const cache = kind === "bsn" ? undefined : new Map<string, { id: bigint; recordKey: number }>();
  return (v) => {
    if (!present(v)) return null;
    const cached = cache?.get(v);
    if (cached) return cached;
    if (kind === "bsn" && !isValidBsn(v.replace(/[\s.]/g, "")))
      return `${column}: not a valid BSN (9 digits passing the 11-test)`;
    const key = p.pseudonymiseToKey(kind, v);
    if (!key) return `${column}: not a valid identifier`;
    if (cache) {
      if (cache.size >= 1_000_000) cache.clear();
      cache.set(v, key);
    }
    return key;
  };
}

function registerConverter(m: RegisterMapping, idx: Map<string, number>, p: Pseudonymiser): Converter {
  const batch: { b: PersonBatch } = { b: emptyPersonBatch() };
  const col = (name: string | undefined) => (name === undefined ? -1 : idx.get(name)!);
  const person = identifier(p, "bsn", m.identifiers.person!);
  const household = identifier(p, "household", m.identifiers.household ?? "");
  const address = identifier(p, "address", m.identifiers.address ?? "");
  const [cPerson, cHh, cAd, cPc6, cBirth, cSex, cSize, cType] = [
    col(m.identifiers.person),
    col(m.identifiers.household),
    col(m.identifiers.address),
    col(m.fields.pc6),
    col(m.fields.birthDate),
    col(m.fields.sex),
    col(m.fields.householdSize),
    col(m.fields.householdType),
  ];
  const valid = validity(m, idx);
  const sexes = new Set<string>(SEX_CODES);
  const types = new Set<string>(HOUSEHOLD_TYPES);
  const convert: RowConverter = (cols, i) => {
    const pid = person(cols[cPerson]![i]);
    if (pid === null) return `${m.identifiers.person}: empty; every register row needs a BSN`;
    if (typeof pid === "string") return pid;
    const hh = cHh < 0 ? null : household(cols[cHh]![i]);
    if (typeof hh === "string") return hh;
    const ad = cAd < 0 ? null : address(cols[cAd]![i]);
    if (typeof ad === "string") return ad;
    const pcRaw = cols[cPc6]![i];
    const pc6 = present(pcRaw) ? normalisePc6(pcRaw) : undefined;
    if (!pc6) return `${m.fields.pc6}: expected a postcode such as 1312AB`;
    const bRaw = cols[cBirth]![i];
    const birth = present(bRaw) ? isoDateToDays(bRaw) : undefined;
    if (birth === undefined) return `${m.fields.birthDate}: expected a date YYYY-MM-DD`;
    let sex: string | null = null;
    if (cSex >= 0 && present(cols[cSex]![i])) {
      sex = cols[cSex]![i].trim().toUpperCase();
      if (!sexes.has(sex)) return `${m.fields.sex}: expected one of ${SEX_CODES.join(", ")}`;
    }
    let size: number | null = null;
    if (cSize >= 0 && present(cols[cSize]![i])) {
      size = Number(cols[cSize]![i]);
      if (!Number.isInteger(size) || size < 1 || size > 99)
        return `${m.fields.householdSize}: expected a whole number 1–99`;
    }
    let type: string | null = null;
    if (cType >= 0 && present(cols[cType]![i])) {
      type = cols[cType]![i].trim().toLowerCase();
      if (!types.has(type)) return `${m.fields.householdType}: expected one of ${HOUSEHOLD_TYPES.join(", ")}`;
    }
    const v = valid(cols, i);
    if (typeof v === "string") return v;
    if (v.from < birth)
      return `${"from" in m.validity ? m.validity.from : "validity"}: before the date of birth`;
    const b = batch.b;
    b.person.push(pid.id);
    b.recordKey.push(pid.recordKey);
    b.household.push(hh === null ? null : hh.id);
    b.address.push(ad === null ? null : ad.id);
    b.pc6.push(pc6);
    b.birthDate.push(birth);
    b.sex.push(sex);
    b.householdSize.push(size);
    b.householdType.push(type);
    b.validFrom.push(v.from);
    b.validTo.push(v.to);
    b.length++;
    return undefined;
  };
  return {
    columns: [...idx.keys()],
    convert,
    async flush(writer) {
      const n = batch.b.length;
      if (writer) await writer.appendPersons(batch.b);
      batch.b = emptyPersonBatch();
      return n;
    },
  };
}

function factConverter(m: FactMapping, idx: Map<string, number>, p: Pseudonymiser): Converter {
  const batch: { b: FactBatch } = { b: emptyFactBatch() };
  const kind: IdentifierKind | undefined =
    m.subject === "person" ? "bsn" : m.subject === "pc6" ? undefined : m.subject;
  const subjectColumn = m.subject === "pc6" ? undefined : m.identifiers[m.subject]!;
  const subject = kind && subjectColumn ? identifier(p, kind, subjectColumn) : undefined;
  const cSubject = subjectColumn === undefined ? -1 : idx.get(subjectColumn)!;
  const cPc6 = m.fields.pc6 === undefined ? -1 : idx.get(m.fields.pc6)!;
  const cAmount = m.amount === undefined ? -1 : idx.get(m.amount)!;
  const factOf: (cols: (string | null)[][], i: number) => string =
    "name" in m.fact
      ? (
          (name: string) => () =>
            name
        )(m.fact.name)
      : (
          (prefix: string, c: number, values: Set<string> | undefined, column: string) =>
          (cols: (string | null)[][], i: number) => {
            const v = cols[c]![i];
            const code = present(v) ? v.trim().toLowerCase() : "";
            if (!/^[a-z0-9_-]{1,40}$/.test(code))
              return `!${column}: expected a code (letters, digits, _ or -)`;
            if (values && !values.has(code)) return `!${column}: expected one of ${[...values].join(", ")}`;
            return `${prefix}${code}`;
          }
        )(
          m.fact.prefix,
          idx.get(m.fact.column)!,
          m.fact.values ? new Set(m.fact.values) : undefined,
          m.fact.column,
        );
  const valid = validity(m, idx);
  const convert: RowConverter = (cols, i) => {
    let sid: bigint | null = null;
    let kindOfRow: string = m.subject;
    if (subject) {
      const s = subject(cols[cSubject]![i]);
      if (s === null && m.fallbackToPc6) kindOfRow = "pc6";
      else if (s === null) return `${subjectColumn}: empty; every row needs the ${m.subject} it is about`;
      else if (typeof s === "string") return s;
      else sid = s.id;
    }
    let pc6: string | null = null;
    if (cPc6 >= 0) {
      const raw = cols[cPc6]![i];
      if (present(raw)) {
        const n = normalisePc6(raw);
        if (!n) return `${m.fields.pc6}: expected a postcode such as 1312AB`;
        pc6 = n;
      } else if (kindOfRow === "pc6")
        return `${m.fields.pc6}: empty; a row without ${m.subject === "pc6" ? "a postcode" : `an ${m.subject}`} needs its postcode`;
    }
    const fact = factOf(cols, i);
    if (fact.startsWith("!")) return fact.slice(1);
    let amount: number | null = null;
    if (cAmount >= 0 && present(cols[cAmount]![i])) {
      amount = Number(cols[cAmount]![i].trim().replace(",", "."));
      if (!Number.isFinite(amount)) return `${m.amount}: expected a number`;
    }
    const v = valid(cols, i);
    if (typeof v === "string") return v;
    const b = batch.b;
    b.subjectKind.push(kindOfRow);
    b.subject.push(sid);
    b.pc6.push(pc6);
    b.fact.push(fact);
    b.validFrom.push(v.from);
    b.validTo.push(v.to);
    b.amount.push(amount);
    b.length++;
    return undefined;
  };
  return {
    columns: [...idx.keys()],
    convert,
    async flush(writer) {
      const n = batch.b.length;
      if (writer) await writer.appendFacts(batch.b);
      batch.b = emptyFactBatch();
      return n;
    },
  };
}

/** Refuses unmapped columns whose values look like identifiers (T-PS-3); notes the others. */
async function screenUnmapped(
  file: string,
  f: TabularFile,
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

  const file = await openTabularFile(req.file, {
    format,
    ...(mapping.csv?.delimiter ? { delimiter: mapping.csv.delimiter } : {}),
  });
  try {
    const missing = mappedColumns(mapping).filter((c) => !file.columns.includes(c));
    if (missing.length > 0)
      throw new InputError(
        `${fileName}: the mapping names column(s) the file does not have: ${missing.join(", ")}; the file has ${file.columns.join(", ")}`,
      );
    const notes: string[] = [];
    req.onProgress?.("screen", 0);
    await screenUnmapped(fileName, file, mapping, notes);

    const wanted = mappedColumns(mapping);
    const idx = new Map(wanted.map((c, i) => [c, i]));
    const converter =
      mapping.record === "register"
        ? registerConverter(mapping, idx, pseudonymiser)
        : factConverter(mapping, idx, pseudonymiser);
    const lineOf =
      format === "csv"
        ? (row: number) => `${fileName}:${row + 2}`
        : (row: number) => `${fileName}: row ${row + 1}`;
    const allowed = Math.floor(mapping.maxRejected * file.rowCount);

    const run = async (writer: VaultDeliveryWriter | undefined) => {
      let row = 0;
      let imported = 0;
      let rejected = 0;
      const problems: string[] = [];
      for await (const batch of file.batches(wanted)) {
        for (let i = 0; i < batch.rows; i++, row++) {
          const problem = converter.convert(batch.columns, i);
          if (problem === undefined) continue;
          rejected++;
          if (problems.length < MAX_PROBLEMS) problems.push(`${lineOf(row)}: ${problem}`);
        }
        if (rejected > allowed)
          throw new InputError(
            `${fileName}: ${rejected} row(s) rejected${allowed > 0 ? `, more than the ${allowed} allowed (maxRejected ${mapping.maxRejected})` : " (the mapping allows none: maxRejected 0)"}; nothing was imported`,
            problems,
          );
        imported += await converter.flush(writer);
        req.onProgress?.("write", file.rowCount ? row / file.rowCount : 1);
      }
      return { rows: row, imported, rejected, problems };
    };

    if (req.dryRun) {
      const r = await run(undefined);
      return {
        ...base,
        status: "validated",
        ...r,
        replacedRows: 0,
        notes,
        durationMs: performance.now() - started,
      };
    }
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
      const r = await run(writer);
      if (mapping.record === "register") {
        const orphans = await pc6WithoutBuurt(ex, source.id);
        if (orphans > 0)
          notes.push(
            `${orphans} postcode(s) have no buurt in the PC6 lookup yet: their residents count at PC6 and PC4 only`,
          );
      }
      await writer.finish(r.rows, r.rejected, JSON.stringify({ notes, problems: r.problems }));
      return { ...r, replacedRows, deliveryId: writer.id };
    });
    return { ...base, status: "imported", ...result, notes, durationMs: performance.now() - started };
  } finally {
    file.close();
  }
}
