/**
 * Writes tables to Parquet or CSV files through an in-memory DuckDB instance: rows go through an
 * appender into a table of the in-memory database (one appender per table, open for the whole run, so rows are never held
 * as JS objects), then `COPY … TO 'file' (FORMAT parquet)` or CSV with a header. Used by the synthetic
 * population generator (src/synth), which must not touch DuckDB itself.
 *
 * Column kinds: `varchar`, `integer`, `double` and `date`. Dates are passed as day numbers since
 * 1970-01-01 (integers) and written as DATE (Parquet) or ISO `YYYY-MM-DD` (CSV); `null` is an empty
 * cell (an open-ended period).
 */
import { mkdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from "@duckdb/node-api";

export type ColumnKind = "varchar" | "integer" | "double" | "date";
export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
}
export type CellValue = string | number | null;
export type OutputFormat = "parquet" | "csv";

export interface WrittenFile {
  readonly table: string;
  readonly file: string;
  readonly rows: number;
  readonly bytes: number;
}

const SQL_TYPE: Record<ColumnKind, string> = {
  varchar: "VARCHAR",
  integer: "INTEGER",
  double: "DOUBLE",
  date: "INTEGER",
};

const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;
const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

interface OpenTable {
  readonly columns: readonly ColumnSpec[];
  readonly appender: DuckDBAppender;
  rows: number;
}

export class TableWriter {
  private readonly tables = new Map<string, OpenTable>();
  private closed = false;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    readonly outDir: string,
    readonly format: OutputFormat,
    private readonly tempDir: string,
  ) {}

  /**
   * Opens an in-memory DuckDB instance that may spill to `<outDir>/.table-writer-tmp` beyond
   * `memoryLimit` (default 6GB).
   */
  static async open(
    outDir: string,
    format: OutputFormat,
    options: { memoryLimit?: string; threads?: number } = {},
  ): Promise<TableWriter> {
    mkdirSync(outDir, { recursive: true });
    const tempDir = join(outDir, ".table-writer-tmp");
    const instance = await DuckDBInstance.create(":memory:", {
      threads: String(options.threads ?? 2),
      memory_limit: options.memoryLimit ?? "6GB",
      temp_directory: tempDir,
      preserve_insertion_order: "true",
    });
    const conn = await instance.connect();
    return new TableWriter(instance, conn, outDir, format, tempDir);
  }

  /** Creates a table and its appender. */
  async define(table: string, columns: readonly ColumnSpec[]): Promise<void> {
    if (this.tables.has(table)) throw new Error(`table ${table} is already defined`);
    const cols = columns.map((c) => `${ident(c.name)} ${SQL_TYPE[c.kind]}`).join(", ");
    await this.conn.run(`CREATE TABLE ${ident(table)} (${cols})`);
    const appender = await this.conn.createAppender(table);
    this.tables.set(table, { columns, appender, rows: 0 });
  }

  /** Appends one row (values in column order); synchronous. */
  append(table: string, row: readonly CellValue[]): void {
    const t = this.tables.get(table);
    if (!t) throw new Error(`table ${table} is not defined`);
    const a = t.appender;
    const cols = t.columns;
    for (let i = 0; i < cols.length; i++) {
      const v = row[i];
      if (v === null || v === undefined) {
        a.appendNull();
        continue;
      }
      switch (cols[i]!.kind) {
        case "varchar":
          a.appendVarchar(v as string);
          break;
        case "integer":
        case "date":
          a.appendInteger(v as number);
          break;
        case "double":
          a.appendDouble(v as number);
          break;
      }
    }
    a.endRow();
    t.rows++;
  }

  rowCount(table: string): number {
    return this.tables.get(table)?.rows ?? 0;
  }

  /** Flushes every appender and writes each table to `<outDir>/<table>.<ext>`. */
  async finish(): Promise<WrittenFile[]> {
    const written: WrittenFile[] = [];
    for (const [name, t] of this.tables) {
      t.appender.closeSync();
      const ext = this.format === "parquet" ? "parquet" : "csv";
      const file = join(this.outDir, `${name}.${ext}`);
      const select = t.columns
        .map((c) =>
          c.kind === "date" ? `(DATE '1970-01-01' + ${ident(c.name)}) AS ${ident(c.name)}` : ident(c.name),
        )
        .join(", ");
      const options =
        this.format === "parquet"
          ? "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880"
          : "FORMAT csv, HEADER true, DELIMITER ',', DATEFORMAT '%Y-%m-%d'";
      await this.conn.run(`COPY (SELECT ${select} FROM ${ident(name)}) TO ${literal(file)} (${options})`);
      await this.conn.run(`DROP TABLE ${ident(name)}`);
      written.push({ table: name, file, rows: t.rows, bytes: statSync(file).size });
    }
    this.tables.clear();
    this.close();
    return written;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.tables.values()) {
      try {
        t.appender.closeSync();
      } catch {
        // already closed
      }
    }
    this.conn.closeSync();
    this.instance.closeSync();
    rmSync(this.tempDir, { recursive: true, force: true });
  }
}

/**
 * Runs one read-only query over output files in an in-memory DuckDB instance (read_parquet,
 * read_csv): for checks, summaries and tests. Returns plain JS rows.
 */
export async function queryFiles<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(sql);
    return reader.getRowObjectsJS() as T[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
