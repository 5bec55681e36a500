/**
 * Reads a delivered CSV or Parquet file with DuckDB's readers in a private in-memory DuckDB instance:
 * fast, typed-as-text, streamed in chunks. Raw microdata (with raw identifiers) pass through this
 * instance's memory only — never the wijkradar database, and never a temp file: the instance has
 * no temp directory, and nothing here sorts or materialises the file.
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { InputError } from "../errors.js";

export type TabularFormat = "csv" | "parquet";

export interface TabularFileOptions {
  readonly format: TabularFormat;
  /** CSV delimiter (default: DuckDB's sniffer decides). */
  readonly delimiter?: string;
}

export interface TabularFile {
  /** Column names as in the file. */
  readonly columns: readonly string[];
  readonly rowCount: number;
  /** Up to `n` non-empty values of a column, from the start of the file (for screening; kept in memory only). */
  sample(column: string, n: number): Promise<string[]>;
  /** The rows in file order as text (null for empty), in batches of columns. */
  batches(
    columns: readonly string[],
  ): AsyncGenerator<{ readonly columns: (string | null)[][]; readonly rows: number }>;
  close(): void;
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

function reader(options: TabularFileOptions): string {
  if (options.format === "parquet") return "read_parquet($1)";
  // all_varchar: every value arrives as written (leading zeros of BSNs and postcodes survive).
  const delim = options.delimiter ? `, delim = '${options.delimiter.replace(/'/g, "''")}'` : "";
  return `read_csv($1, header = true, all_varchar = true${delim}, null_padding = false)`;
}

/**
 * Opens a file for reading. Errors name the file and what DuckDB could not read, never a value.
 *
 * @example const f = await openTabularFile("brp.parquet", { format: "parquet" });
 */
export async function openTabularFile(path: string, options: TabularFileOptions): Promise<TabularFile> {
  const instance = await DuckDBInstance.create(":memory:", { threads: "2", temp_directory: "" });
  let conn: DuckDBConnection | undefined;
  try {
    conn = await instance.connect();
    const source = reader(options);
    let described: { column_name: string }[];
    let rowCount: number;
    try {
      // A view, so every query streams from the file; nothing is copied into memory first.
      await conn.run(
        `CREATE VIEW delivery AS SELECT * FROM ${source.replace("$1", `'${path.replace(/'/g, "''")}'`)}`,
      );
      described = (await conn.runAndReadAll("DESCRIBE delivery")).getRowObjectsJS() as {
        column_name: string;
      }[];
      const counted = (
        await conn.runAndReadAll("SELECT count(*)::BIGINT AS n FROM delivery")
      ).getRowObjectsJS();
      rowCount = Number(counted[0]!.n);
    } catch (e) {
      // DuckDB's messages on a bad CSV may quote a line of it: keep the first sentence, without the quote.
      const first = ((e as Error).message.split("\n")[0] ?? "").replace(/".*"/g, "…").slice(0, 200);
      throw new InputError(`${path}: cannot read it as ${options.format.toUpperCase()}: ${first}`);
    }
    const columns = described.map((d) => d.column_name);
    const c = conn;
    return {
      columns,
      rowCount,
      async sample(column, n) {
        const col = quoteIdent(column);
        const rows = (
          await c.runAndReadAll(
            `SELECT CAST(${col} AS VARCHAR) AS v FROM delivery WHERE ${col} IS NOT NULL AND trim(CAST(${col} AS VARCHAR)) <> '' LIMIT ${Math.max(1, Math.floor(n))}`,
          )
        ).getRowObjectsJS() as { v: string }[];
        return rows.map((r) => r.v);
      },
      async *batches(wanted) {
        const select = wanted.map((w) => `CAST(${quoteIdent(w)} AS VARCHAR)`).join(", ");
        const result = await c.stream(`SELECT ${select} FROM delivery`);
        for (;;) {
          const chunk = await result.fetchChunk();
          if (!chunk || chunk.rowCount === 0) break;
          yield { columns: chunk.getColumns() as (string | null)[][], rows: chunk.rowCount };
        }
      },
      close() {
        c.closeSync();
        instance.closeSync();
      },
    };
  } catch (e) {
    conn?.closeSync();
    instance.closeSync();
    throw e;
  }
}
