/**
 * The vault's administration: registering sources, the PC6 → buurt lookup, retention (purge).
 * Each call validates its input fully before it writes, and writes in one transaction.
 */
import {
  normaliseAreaCode,
  normalisePc6,
  SourceRegistrationSchema,
  type SourceRegistration,
} from "@wijkradar/core";
import { parse as parseCsv } from "csv-parse/sync";
import { z } from "zod";
import { InputError } from "../errors.js";
import type { Database } from "../store/database.js";
import {
  purgeExpired,
  registerVaultSource,
  replacePc6Lookup,
  unknownBuurten,
  type Pc6AreaRow,
  type PurgeCount,
} from "../store/vault-repository.js";
import { parseYamlWith, readTextFile } from "../yaml-input.js";

/** Parses a registration document (YAML/JSON): one source, or `sources:` with a list of them. */
export function parseRegistrations(text: string, name: string): SourceRegistration[] {
  if (/^sources\s*:/m.test(text))
    return parseYamlWith(
      z.object({ sources: SourceRegistrationSchema.array().min(1, "expected at least one source") }).strict(),
      text,
      name,
      "source registration",
    ).sources;
  return [parseYamlWith(SourceRegistrationSchema, text, name, "source registration")];
}

/** Registers the sources of a registration file; returns one line per source. */
export async function registerSourcesFromFile(
  db: Database,
  path: string,
  by: string,
  now: Date,
): Promise<string[]> {
  const { text, name } = readTextFile(path, "source registration");
  return registerSources(db, parseRegistrations(text, name), by, now);
}

export async function registerSources(
  db: Database,
  regs: readonly SourceRegistration[],
  by: string,
  now: Date,
): Promise<string[]> {
  const out: string[] = [];
  for (const reg of regs) {
    const r = await registerVaultSource(db, reg, by, now);
    if (r.status === "refused") throw new InputError(r.reason);
    out.push(
      `${reg.id}: ${r.status} (${reg.organisation}; key purpose ${reg.keyPurpose}; retention ${reg.retentionMonths} months)`,
    );
  }
  return out;
}

/**
 * Reads a PC6 → buurt lookup (CSV with columns postcode, jaar, buurtcode, indeling) and replaces the
 * lookup of its years. Every row is checked; any bad row refuses the whole file.
 */
export async function importPc6Lookup(
  db: Database,
  path: string,
): Promise<{
  readonly rows: number;
  readonly years: number[];
  readonly replaced: number;
  readonly notes: string[];
}> {
  const { text, name } = readTextFile(path, "PC6 lookup");
  let records: Record<string, string>[];
  try {
    records = parseCsv<Record<string, string>>(text, {
      columns: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
    });
  } catch (e) {
    throw new InputError(`${name}: not a valid CSV file: ${(e as Error).message.split("\n")[0]}`);
  }
  const required = ["postcode", "jaar", "buurtcode", "indeling"];
  const header = records[0] ? Object.keys(records[0]) : [];
  const missing = required.filter((c) => !header.includes(c));
  if (records.length === 0 || missing.length > 0)
    throw new InputError(
      `${name}: expected a header with ${required.join(", ")}${missing.length ? `; missing ${missing.join(", ")}` : ""} and at least one row`,
    );
  const rows: Pc6AreaRow[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  records.forEach((r, i) => {
    const line = i + 2;
    const pc6 = normalisePc6(r.postcode ?? "");
    const year = Number(r.jaar);
    const buurt = normaliseAreaCode(r.buurtcode ?? "");
    const division = Number(r.indeling);
    if (!pc6) problems.push(`${name}:${line}: postcode: expected a postcode such as 1312AB`);
    else if (!Number.isInteger(year) || year < 1990 || year > 2100)
      problems.push(`${name}:${line}: jaar: expected a year`);
    else if (!/^BU\d{8}$/.test(buurt)) problems.push(`${name}:${line}: buurtcode: expected BU + 8 digits`);
    else if (!Number.isInteger(division) || division < 1990 || division > 2100)
      problems.push(`${name}:${line}: indeling: expected the division year of the buurt code`);
    else if (seen.has(`${pc6}|${year}`))
      problems.push(`${name}:${line}: postcode ${pc6} appears twice for ${year}`);
    else {
      seen.add(`${pc6}|${year}`);
      rows.push({ pc6, year, buurtCode: buurt, division });
    }
  });
  if (problems.length > 0)
    throw new InputError(
      `${name}: ${problems.length} bad row(s); nothing was imported`,
      problems.slice(0, 50),
    );
  const unknown = await unknownBuurten(db, [
    ...new Map(
      rows.map((r) => [`${r.buurtCode}|${r.division}`, { code: r.buurtCode, division: r.division }]),
    ).values(),
  ]);
  const notes =
    unknown.size > 0
      ? [
          `${unknown.size} buurt code(s) are not known areas of their division (e.g. ${[...unknown][0]}); their figures have no wijk or name`,
        ]
      : [];
  const { years, replaced } = await replacePc6Lookup(db, rows, name);
  return { rows: rows.length, years, replaced, notes };
}

/** Retention: see store/vault-repository.ts purgeExpired. */
export function purge(db: Database, asOf: Date, dryRun: boolean): Promise<PurgeCount[]> {
  return purgeExpired(db, asOf, dryRun);
}
