/**
 * Reads a delimited text file into header + records, with the errors an analyst can act on: the
 * encoding and where it breaks, ragged rows and unbalanced quotes by line, oversized records.
 * Parsing itself is csv-parse's; this module decides encoding and delimiter and words the errors.
 */
import { basename } from "node:path";
import { parse } from "csv-parse";
import { parse as parseSync } from "csv-parse/sync";
import iconv from "iconv-lite";
import { InputError } from "../errors.js";

export type Delimiter = "," | ";" | "\t" | "|";
export type Encoding = "utf-8" | "cp1252";

export interface CsvOptions {
  readonly delimiter: "auto" | Delimiter;
  readonly encoding: "auto" | Encoding;
  /** Largest record accepted, in characters (default 1 MiB): a 100 MB line is an error, not a hang. */
  readonly maxRecordChars?: number;
}

export interface CsvTable {
  readonly columns: readonly string[];
  /** Records (without the header), as cells. */
  readonly records: readonly (readonly string[])[];
  /**
   * The 1-based line in the file where record `index` ends. Computed on first use only (error
   * messages): asking csv-parse for line information on every record doubles the parse time.
   */
  lineOf(index: number): number;
  readonly encoding: Encoding;
  readonly delimiter: Delimiter;
  readonly notes: readonly string[];
}

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const DELIMITER_NAMES: Record<Delimiter, string> = {
  ",": "comma",
  ";": "semicolon",
  "\t": "tab",
  "|": "pipe",
};

/** Line and column (1-based) of a byte offset in a buffer. */
function positionOfByte(bytes: Uint8Array, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Offset of the first byte that breaks UTF-8, or -1 when the buffer is valid UTF-8. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need = 0;
    if (b < 0x80) {
      i++;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) need = 2;
    else if (b >= 0xf0 && b <= 0xf4) need = 3;
    else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** Decodes the bytes as declared, or detects UTF-8 (with or without BOM) versus cp1252. */
export function decodeText(
  bytes: Uint8Array,
  declared: "auto" | Encoding,
  file: string,
): { text: string; encoding: Encoding; note?: string } {
  const hasBom = UTF8_BOM.every((b, i) => bytes[i] === b);
  if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    throw new InputError(`${file}: the file is UTF-16; expected UTF-8 or Windows-1252 (cp1252)`);
  }
  const body = hasBom ? bytes.subarray(3) : bytes;
  if (declared === "cp1252") return { text: iconv.decode(Buffer.from(body), "win1252"), encoding: "cp1252" };
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(body), encoding: "utf-8" };
  } catch {
    // fall through: locate the first bad byte for the message
  }
  const bad = Math.max(0, firstInvalidUtf8(body));
  const pos = positionOfByte(body, bad);
  if (declared === "utf-8") {
    throw new InputError(
      `${file}:${pos.line}:${pos.column}: not valid UTF-8 (byte 0x${body[bad]!.toString(16).padStart(2, "0")}); ` +
        "expected UTF-8 as the mapping declares — if the file comes from Excel on Windows, declare `encoding: cp1252`",
    );
  }
  return {
    text: iconv.decode(Buffer.from(body), "win1252"),
    encoding: "cp1252",
    note: `not UTF-8 (first invalid byte at line ${pos.line}, column ${pos.column}): read as Windows-1252 (cp1252)`,
  };
}

/** Picks the delimiter that splits the header line into the most fields, counting outside quotes. */
export function detectDelimiter(text: string): Delimiter {
  const sample = text.slice(0, 65_536);
  const counts: Record<Delimiter, number> = { ",": 0, ";": 0, "\t": 0, "|": 0 };
  let quoted = false;
  for (const ch of sample) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === "\n" || ch === "\r")) break;
    else if (!quoted && ch in counts) counts[ch as Delimiter]++;
  }
  const best = (Object.entries(counts) as [Delimiter, number][]).sort((a, b) => b[1] - a[1])[0]!;
  return best[1] > 0 ? best[0] : ",";
}

const FEED_CHARS = 1 << 20;

/** Checks the header: every column named, no name twice. The header is line 1 (after a BOM). */
function headerColumns(record: string[], file: string): string[] {
  const columns = record.map((c) => c.trim());
  const seen = new Map<string, number>();
  columns.forEach((c, i) => {
    if (c === "") throw new InputError(`${file}:1:${i + 1}: header column ${i + 1} has no name`);
    const prev = seen.get(c);
    if (prev !== undefined)
      throw new InputError(`${file}:1: header names column "${c}" twice (columns ${prev + 1} and ${i + 1})`);
    seen.set(c, i);
  });
  return columns;
}

interface CsvParseError extends Error {
  code?: string;
  lines?: number;
  record?: unknown[];
}

/**
 * Reads and parses a CSV file's bytes.
 *
 * @param onProgress called now and then with the fraction of the text parsed (0..1)
 */
export async function readCsv(
  bytes: Uint8Array,
  path: string,
  options: CsvOptions,
  onProgress?: (fraction: number) => void,
): Promise<CsvTable> {
  const file = basename(path);
  const notes: string[] = [];
  const isBlank = bytes.every(
    (b, i) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09 || (i < 3 && b === UTF8_BOM[i]),
  );
  if (bytes.length === 0 || isBlank)
    throw new InputError(`${file}: the file is empty; expected a header line and rows`);
  const decoded = decodeText(bytes, options.encoding, file);
  if (decoded.note) notes.push(decoded.note);
  const text = decoded.text;
  const delimiter = options.delimiter === "auto" ? detectDelimiter(text) : options.delimiter;
  if (options.delimiter === "auto") notes.push(`delimiter detected: ${DELIMITER_NAMES[delimiter]}`);
  const maxRecordChars = options.maxRecordChars ?? 1_048_576;

  const options_ = {
    delimiter,
    bom: true,
    relax_column_count: false,
    skip_empty_lines: true,
    max_record_size: maxRecordChars,
  };
  let columns: string[] | undefined;
  const records: string[][] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const parser = parse(options_);
      parser.on("readable", () => {
        // An error thrown in a stream handler would escape the promise (and crash a server): route it.
        try {
          let record: string[] | null;
          while ((record = parser.read() as string[] | null) !== null) {
            if (columns) records.push(record);
            else columns = headerColumns(record, file);
          }
        } catch (e) {
          parser.destroy(e as Error);
        }
      });
      parser.on("error", reject);
      parser.on("end", resolve);
      // Fed in slices so a server importing a large file keeps answering and progress is visible.
      let offset = 0;
      const feed = (): void => {
        if (parser.destroyed) return;
        if (offset >= text.length) {
          parser.end();
          return;
        }
        parser.write(text.slice(offset, offset + FEED_CHARS));
        offset += FEED_CHARS;
        onProgress?.(Math.min(offset / text.length, 0.99));
        setImmediate(feed);
      };
      feed();
    });
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw csvError(e as CsvParseError, file, text, columns?.length, maxRecordChars);
  }
  if (!columns) throw new InputError(`${file}: the file is empty; expected a header line and rows`);
  if (records.length === 0) throw new InputError(`${file}: the file has a header but no rows`);
  onProgress?.(1);
  let lines: number[] | undefined;
  const lineOf = (index: number): number => {
    lines ??= (parseSync(text, { ...options_, info: true }) as unknown as { info: { lines: number } }[])
      .slice(1)
      .map((r) => r.info.lines);
    return lines[index] ?? 0;
  };
  return { columns, records, lineOf, encoding: decoded.encoding, delimiter, notes };
}

/**
 * The line on which the quoted field that is still open at the end of the text began. csv-parse
 * reports the line where it ran out of text, which for a stray quote is the end of the file.
 */
function lineOfUnclosedQuote(text: string): number | undefined {
  let line = 1;
  let openedAt: number | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) line++;
    else if (c === 34) openedAt = openedAt === undefined ? line : undefined; // "" toggles twice
  }
  return openedAt;
}

function csvError(
  e: CsvParseError,
  file: string,
  text: string,
  headerLength: number | undefined,
  maxChars: number,
): InputError {
  const line = e.lines ?? 0;
  switch (e.code) {
    case "CSV_RECORD_INCONSISTENT_FIELDS_LENGTH": {
      // The parser fails before any record is handed out, so take the header's width from its message.
      const expected = headerLength ?? /\bexpect (\d+)/.exec(e.message)?.[1] ?? "?";
      return new InputError(
        `${file}:${line}: ragged row: ${e.record?.length ?? "?"} fields where the header has ${expected}; ` +
          "expected every row to have as many fields as the header (check the delimiter and quoting)",
        [],
        { cause: e },
      );
    }
    case "CSV_QUOTE_NOT_CLOSED":
      return new InputError(
        `${file}:${lineOfUnclosedQuote(text) ?? line}: unbalanced quotes: a quoted field opened here is never closed; expected a closing "`,
        [],
        { cause: e },
      );
    case "INVALID_OPENING_QUOTE": // csv-parse spells this one without the CSV_ prefix
    case "CSV_INVALID_CLOSING_QUOTE":
    case "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE":
      return new InputError(
        `${file}:${line}: unbalanced quotes: a quote inside an unquoted field or text after a closing quote; ` +
          'expected quotes only around whole fields, with inner quotes doubled ("")',
        [],
        { cause: e },
      );
    case "CSV_MAX_RECORD_SIZE":
      return new InputError(
        `${file}:${line}: a record longer than ${maxChars.toLocaleString("en")} characters; expected one row per line ` +
          "(is this a CSV file, are the line endings intact?)",
        [],
        { cause: e },
      );
    default:
      return new InputError(`${file}:${line}: cannot parse CSV: ${e.message}`, [], { cause: e });
  }
}
