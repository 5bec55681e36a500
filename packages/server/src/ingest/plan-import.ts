/**
 * Turns a parsed table (CSV records or GeoJSON features) and a validated mapping into an import plan:
 * areas to register, indicators, and values in columnar form — or a list of errors that name file,
 * line and column and the expected form. Pure apart from its inputs: nothing here touches the store.
 */
import { basename } from "node:path";
import {
  CODE_FORMS,
  levelOfCode,
  normaliseAreaCode,
  normalisePeriod,
  parentOfCode,
  parseCell,
  detectDecimal,
  PERIOD_FORM,
  type AreaLevel,
  type Decimal,
  type IndicatorColumn,
  type IndicatorMeta,
  type Mapping,
  type Source,
  type ValueFrom,
  KIND_SCALE,
} from "@wijkradar/core";
import type { Geometry } from "geojson";
import { InputError } from "../errors.js";
import type { CsvTable } from "./read-csv.js";
import type { GeoFeature, GeoTable } from "./read-geo.js";

/** One row of input, whatever the format. */
interface InputRow {
  readonly where: string;
  get(column: string): unknown;
  readonly geometry: Geometry | null;
}

export interface PlannedArea {
  readonly code: string;
  readonly level: AreaLevel;
  readonly name: string | null;
  readonly parentCode: string | null;
  readonly geometry: Geometry | null;
}

export interface PlannedIndicator extends IndicatorMeta {
  readonly id: string;
}

/** Values of one indicator, columnar. */
export interface ValueColumns {
  readonly areaCodes: string[];
  readonly levels: AreaLevel[];
  readonly periods: string[];
  readonly values: number[];
  /** NaN where the source has no numerator: plain number arrays stay unboxed (1 M rows → 4 M values). */
  readonly numerators: number[];
  readonly denominators: number[];
}

export interface ImportPlan {
  readonly file: string;
  readonly source: Source;
  readonly division: number;
  readonly register: boolean;
  readonly areas: ReadonlyMap<string, PlannedArea>;
  readonly indicators: readonly PlannedIndicator[];
  readonly values: ReadonlyMap<string, ValueColumns>;
  /** Area codes used by values (for the unknown-code check against the store). */
  readonly usedCodes: ReadonlyMap<string, { readonly where: string }>;
  readonly periods: readonly string[];
  readonly rows: number;
  readonly skippedRows: number;
  readonly missingValues: number;
  readonly valueCount: number;
  readonly notes: string[];
}

const MAX_LISTED_ERRORS = 50;

class ErrorList {
  readonly lines: string[] = [];
  count = 0;
  add(message: string): void {
    this.count++;
    if (this.lines.length < MAX_LISTED_ERRORS) this.lines.push(message);
  }
}

const CONVENTION_CODE = ["statcode", "buurtcode", "wijkcode", "gemeentecode"];
const CONVENTION_NAME = ["statnaam", "buurtnaam", "wijknaam", "gemeentenaam"];

function fromFileName(regex: string, file: string, what: string): string {
  const m = new RegExp(regex).exec(file);
  if (!m?.[1])
    throw new InputError(`mapping: ${what}.fromFileName /${regex}/ does not match the file name "${file}"`);
  return m[1];
}

/** A cell's text: strings as they are, numbers and booleans printed, anything else as JSON. */
function cellText(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v) ?? "";
}

function describeValue(v: unknown): string {
  if (v === undefined || v === null) return "(empty)";
  const s = typeof v === "string" ? v : cellText(v);
  return JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…` : s);
}

/** Resolves a period spec for one row. Returns a normalised period or pushes an error. */
function periodResolver(
  spec: ValueFrom,
  file: string,
  errors: ErrorList,
): (row: InputRow) => string | undefined {
  if ("value" in spec) {
    const p = normalisePeriod(String(spec.value));
    if (!p)
      throw new InputError(
        `mapping: period.value ${describeValue(spec.value)} is not a period; expected ${PERIOD_FORM}`,
      );
    return () => p;
  }
  if ("fromFileName" in spec) {
    const raw = fromFileName(spec.fromFileName, file, "period");
    const p = normalisePeriod(raw);
    if (!p)
      throw new InputError(`mapping: period taken from the file name is "${raw}"; expected ${PERIOD_FORM}`);
    return () => p;
  }
  const pattern = spec.pattern ? new RegExp(spec.pattern) : undefined;
  return (row) => {
    const raw = row.get(spec.column);
    let s = cellText(raw).trim();
    if (pattern) s = pattern.exec(s)?.[1] ?? "";
    const p = normalisePeriod(s);
    if (!p)
      errors.add(
        `${row.where}: column ${spec.column}: ${describeValue(raw)} is not a period; expected ${PERIOD_FORM}`,
      );
    return p;
  };
}

/**
 * One CSV record as an input row. A class, not a closure per row: at a million rows the difference
 * is hundreds of megabytes. The location is worked out only for a message.
 */
class CsvRow implements InputRow {
  readonly geometry = null;
  constructor(
    private readonly ctx: {
      readonly table: CsvTable;
      readonly file: string;
      readonly index: ReadonlyMap<string, number>;
    },
    private readonly cells: readonly string[],
    private readonly i: number,
  ) {}
  get where(): string {
    return `${this.ctx.file}:${this.ctx.table.lineOf(this.i)}`;
  }
  get(column: string): unknown {
    const at = this.ctx.index.get(column);
    return at === undefined ? undefined : this.cells[at];
  }
}

class GeoRow implements InputRow {
  constructor(
    private readonly file: string,
    private readonly feature: GeoFeature,
  ) {}
  get where(): string {
    return `${this.file}: feature ${this.feature.index}`;
  }
  get geometry(): Geometry | null {
    return this.feature.geometry;
  }
  get(column: string): unknown {
    return this.feature.properties[column];
  }
}

function rowsOfCsv(table: CsvTable, file: string): { columns: Set<string>; rows: InputRow[] } {
  const ctx = { table, file, index: new Map(table.columns.map((c, i) => [c, i])) };
  return {
    columns: new Set(table.columns),
    rows: table.records.map((cells, i) => new CsvRow(ctx, cells, i)),
  };
}

function rowsOfGeo(table: GeoTable, file: string): { columns: Set<string>; rows: InputRow[] } {
  return { columns: new Set(table.columns), rows: table.features.map((f) => new GeoRow(file, f)) };
}

/** Columns a mapping refers to, with the mapping path that names each (for "no such column" errors). */
function referencedColumns(m: Mapping): [string, string][] {
  const out: [string, string][] = [];
  if (m.areas.code !== "auto") out.push([m.areas.code, "areas.code"]);
  if (m.areas.name) out.push([m.areas.name.column, "areas.name.column"]);
  if (m.period && "column" in m.period) out.push([m.period.column, "period.column"]);
  if (m.variant) out.push([m.variant.column, "variant.column"]);
  if (m.filter) out.push([m.filter.column, "filter.column"]);
  m.indicators.forEach((ind, i) => {
    if (ind.optional) return;
    if (ind.column) out.push([ind.column, `indicators.${i}.column`]);
    if (ind.numerator) out.push([ind.numerator, `indicators.${i}.numerator`]);
    if (ind.denominator) out.push([ind.denominator, `indicators.${i}.denominator`]);
    if (ind.period && "column" in ind.period) out.push([ind.period.column, `indicators.${i}.period.column`]);
  });
  return out;
}

/**
 * Validates every row against the mapping and builds the plan. Throws one InputError listing the
 * problems (up to 50, with the total) when anything is wrong: an import is all or nothing.
 */
export function planImport(
  mapping: Mapping,
  table: { kind: "csv"; csv: CsvTable } | { kind: "geo"; geo: GeoTable },
  path: string,
  onProgress?: (fraction: number) => void,
): ImportPlan {
  const file = basename(path);
  const errors = new ErrorList();
  const notes: string[] = table.kind === "csv" ? [...table.csv.notes] : [];
  const { columns, rows } = table.kind === "csv" ? rowsOfCsv(table.csv, file) : rowsOfGeo(table.geo, file);

  // 1. Every column the mapping names must exist.
  const absent = referencedColumns(mapping).filter(([c]) => !columns.has(c));
  for (const ind of mapping.indicators) {
    const cols = [ind.column, ind.numerator, ind.denominator].filter((c): c is string => !!c);
    if (ind.optional && cols.some((c) => !columns.has(c)))
      notes.push(
        `optional column ${cols.filter((c) => !columns.has(c)).join(", ")} absent: no values for ${ind.id}`,
      );
  }
  if (absent.length > 0) {
    throw new InputError(
      `${file}: the mapping names ${absent.length === 1 ? "a column" : "columns"} the file does not have`,
      [
        ...absent.map(([c, at]) => `mapping ${at}: column "${c}" not found`),
        `the file's columns are: ${[...columns].slice(0, 60).join(", ")}${columns.size > 60 ? ", …" : ""}`,
      ],
    );
  }

  const division =
    typeof mapping.areas.division === "number"
      ? mapping.areas.division
      : Number(fromFileName(mapping.areas.division.fromFileName, file, "areas.division"));
  if (!Number.isInteger(division) || division < 1900 || division > 2100)
    throw new InputError(`mapping: areas.division resolved to "${division}"; expected a year such as 2020`);

  // 2. Decimal separator: declared, or detected from the indicator columns of the first rows.
  let decimal: Decimal = ".";
  if (table.kind === "csv") {
    if (mapping.csv.decimal !== "auto") decimal = mapping.csv.decimal;
    else {
      const samples: string[] = [];
      const cols = mapping.indicators.flatMap((i) =>
        [i.column, i.numerator, i.denominator].filter((c): c is string => !!c),
      );
      for (const row of rows.slice(0, 500)) for (const c of cols) samples.push(cellText(row.get(c)));
      decimal = detectDecimal(samples);
      if (decimal === "," || table.csv.delimiter === ";")
        notes.push(`decimal separator detected: ${decimal === "," ? "comma" : "point"}`);
    }
  }
  const missing = new Set(mapping.missing);

  // 3. Indicators, expanded per variant.
  const variants = mapping.variant ? Object.entries(mapping.variant.values) : [["", undefined] as const];
  const indicators: PlannedIndicator[] = [];
  const idOf = (ind: IndicatorColumn, suffix: string): string => (suffix ? `${ind.id}_${suffix}` : ind.id);
  for (const ind of mapping.indicators) {
    for (const [, variant] of variants) {
      const { column: _c, numerator: _n, denominator: _d, period: _p, id: _i, optional: _o, ...meta } = ind;
      indicators.push({
        ...meta,
        id: idOf(ind, variant?.suffix ?? ""),
        name: variant
          ? { nl: `${ind.name.nl} (${variant.label.nl})`, en: `${ind.name.en} (${variant.label.en})` }
          : ind.name,
      });
    }
  }

  const mainPeriod = mapping.period ? periodResolver(mapping.period, file, errors) : undefined;
  const indicatorPeriod = mapping.indicators.map((ind) =>
    ind.period ? periodResolver(ind.period, file, errors) : mainPeriod!,
  );
  const values = new Map<string, ValueColumns>();
  for (const ind of indicators)
    values.set(ind.id, {
      areaCodes: [],
      levels: [],
      periods: [],
      values: [],
      numerators: [],
      denominators: [],
    });

  const areas = new Map<string, PlannedArea>();
  // Rows, not their locations: a location is only worked out for a message.
  const usedCodes = new Map<string, InputRow>();
  const seenKeys = new Map<string, InputRow>();
  const periods = new Set<string>();
  let skippedRows = 0;
  let missingValues = 0;
  let valueCount = 0;

  const codeColumn = mapping.areas.code;
  const nameSpec = mapping.areas.name;
  const variantIndex = new Map(mapping.variant ? Object.entries(mapping.variant.values) : []);

  const num = (row: InputRow, column: string): number | null | "invalid" => {
    const raw = row.get(column);
    const parsed = parseCell(raw, decimal, missing);
    if (parsed.kind === "value") return parsed.value;
    if (parsed.kind === "missing") return null;
    errors.add(
      `${row.where}: column ${column}: ${describeValue(raw)} is not a number; expected ${parsed.expected}`,
    );
    return "invalid";
  };

  const periodCache = new Map<number, string | undefined>(); // per row, reused: 1 M rows, 1 M fewer maps
  rows.forEach((row, rowIndex) => {
    if (onProgress && rowIndex % 20_000 === 0) onProgress(rowIndex / rows.length);
    if (mapping.filter && cellText(row.get(mapping.filter.column)) !== String(mapping.filter.equals)) {
      skippedRows++;
      return;
    }
    // Area code.
    const codeCol = codeColumn === "auto" ? CONVENTION_CODE.find((c) => row.get(c)) : codeColumn;
    const rawCode = codeCol ? row.get(codeCol) : undefined;
    if (rawCode === null || rawCode === undefined || cellText(rawCode).trim() === "") {
      errors.add(
        `${row.where}: column ${codeCol ?? CONVENTION_CODE.join("/")}: no area code; expected an area code`,
      );
      return;
    }
    const code = normaliseAreaCode(cellText(rawCode));
    const level = levelOfCode(code);
    if (!level) {
      errors.add(
        `${row.where}: column ${codeCol}: ${describeValue(rawCode)} is not an area code; expected one of ${Object.values(CODE_FORMS).join(", ")}`,
      );
      return;
    }
    // Declared parents (CBS/PDOK property conventions) must agree with the code.
    for (const [prop, parentLevel] of [
      ["gemeentecode", "gemeente"],
      ["wijkcode", "wijk"],
    ] as const) {
      const declared = row.get(prop);
      if (typeof declared !== "string" || declared.trim() === "" || level === parentLevel) continue;
      const derived = [code, parentOfCode(code), parentOfCode(parentOfCode(code) ?? "")].find(
        (c) => c !== undefined && levelOfCode(c) === parentLevel,
      );
      if (derived && derived !== normaliseAreaCode(declared)) {
        errors.add(
          `${row.where}: column ${prop}: ${describeValue(declared)} does not contain ${code}; its code says ${derived}`,
        );
      }
    }

    if (mapping.areas.register) {
      const nameCol =
        nameSpec?.column ?? (codeColumn === "auto" ? CONVENTION_NAME.find((c) => row.get(c)) : undefined);
      const nameAllowed = !nameSpec?.levels || nameSpec.levels.includes(level);
      const rawName = nameCol && nameAllowed ? row.get(nameCol) : undefined;
      const name = typeof rawName === "string" && rawName.trim() !== "" ? rawName.trim() : null;
      const existing = areas.get(code);
      if (existing && mapping.areas.geometry) {
        errors.add(
          `${row.where}: duplicate key: area ${code} already has a feature (${usedCodes.get(code)?.where})`,
        );
        return;
      }
      if (!existing) {
        areas.set(code, {
          code,
          level,
          name,
          parentCode: parentOfCode(code) ?? null,
          geometry: mapping.areas.geometry ? row.geometry : null,
        });
      }
    }
    if (!usedCodes.has(code)) usedCodes.set(code, row);

    // Variant.
    let suffix = "";
    if (mapping.variant) {
      const raw = cellText(row.get(mapping.variant.column)).trim();
      const v = variantIndex.get(raw);
      if (!v) {
        errors.add(
          `${row.where}: column ${mapping.variant.column}: ${describeValue(raw)} is not a declared variant; expected one of ${[...variantIndex.keys()].join(", ")}`,
        );
        return;
      }
      suffix = v.suffix;
    }

    // Values.
    periodCache.clear();
    mapping.indicators.forEach((ind, i) => {
      const resolver = indicatorPeriod[i]!;
      // One period lookup (and one duplicate check) per distinct period spec per row.
      const specKey = ind.period ? i : -1;
      let period: string | undefined;
      if (periodCache.has(specKey)) period = periodCache.get(specKey);
      else {
        period = resolver(row);
        periodCache.set(specKey, period);
        if (period) {
          const key = `${code}\u0000${suffix}\u0000${period}\u0000${specKey === -1 ? "" : ind.id}`;
          const first = seenKeys.get(key);
          if (first) {
            errors.add(
              `${row.where}: duplicate key: area ${code}, period ${period}${suffix ? `, ${suffix}` : ""} already at ${first.where}`,
            );
            period = undefined;
            periodCache.set(specKey, undefined);
          } else seenKeys.set(key, row);
        }
      }
      if (!period) return;
      const value = ind.column ? num(row, ind.column) : null;
      const numerator = ind.numerator ? num(row, ind.numerator) : null;
      const denominator = ind.denominator ? num(row, ind.denominator) : null;
      if (value === "invalid" || numerator === "invalid" || denominator === "invalid") return;
      let v = value;
      if (!ind.column) {
        const scale = KIND_SCALE[ind.kind]!;
        v =
          numerator !== null && denominator !== null && denominator > 0
            ? (numerator / denominator) * scale
            : null;
      }
      if (v === null) {
        missingValues++;
        return;
      }
      const cols = values.get(idOf(ind, suffix))!;
      cols.areaCodes.push(code);
      cols.levels.push(level);
      cols.periods.push(period);
      cols.values.push(v);
      cols.numerators.push(numerator ?? NaN);
      cols.denominators.push(denominator ?? NaN);
      periods.add(period);
      valueCount++;
    });
  });
  onProgress?.(1);

  if (errors.count > 0) {
    const more =
      errors.count > errors.lines.length ? [`… and ${errors.count - errors.lines.length} more`] : [];
    throw new InputError(
      `${file}: ${errors.count} problem${errors.count === 1 ? "" : "s"} found; nothing was imported`,
      [...errors.lines, ...more],
    );
  }
  if (rows.length - skippedRows === 0)
    throw new InputError(`${file}: no rows left after filter ${JSON.stringify(mapping.filter)}`);
  if (missingValues > 0) notes.push(`${missingValues} empty or missing-marker cells skipped (no value)`);
  if (skippedRows > 0) notes.push(`${skippedRows} rows skipped by the filter`);

  return {
    file,
    source: mapping.source,
    division,
    register: mapping.areas.register,
    areas,
    indicators,
    values,
    usedCodes,
    periods: [...periods].sort(),
    rows: rows.length,
    skippedRows,
    missingValues,
    valueCount,
    notes,
  };
}
