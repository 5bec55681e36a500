/**
 * The one boundary to DuckDB. Nothing outside `store/` imports @duckdb/node-api or writes SQL.
 *
 * One process holds the file for writing (DuckDB's own file lock); a second writer is refused with a
 * clear message naming the process. Reads run on a small pool of connections so concurrent HTTP
 * requests do not queue behind each other; writes run one at a time on the write connection.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  DuckDBInstance,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBDataChunk,
  type DuckDBValue,
} from "@duckdb/node-api";
import { StoreError } from "../errors.js";
import { applyMigrations } from "./migrations.js";

export type SqlParam = string | number | boolean | null | bigint;
export type Row = Record<string, unknown>;

/** A connection-bound executor: the surface repositories use. */
export interface Executor {
  all<T = Row>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  run(sql: string, params?: readonly SqlParam[]): Promise<void>;
  /**
   * The result column by column, without per-row objects (for large results of INTEGER, DOUBLE and
   * VARCHAR columns, whose values arrive as JS numbers and strings).
   */
  columns(sql: string, params?: readonly SqlParam[]): Promise<Record<string, unknown[]>>;
  /**
   * Bulk-appends rows to a table: `fill` appends synchronously; the rows are flushed when it returns.
   * If it throws, the appended rows are cleared first — DuckDB would otherwise flush them when the
   * appender is finalised, even after a ROLLBACK.
   */
  append(table: string, fill: (appender: DuckDBAppender) => void): Promise<void>;
  /** Appends whole data chunks (e.g. streamed from another DuckDB instance) until `next` gives null. */
  appendChunks(table: string, next: () => Promise<DuckDBDataChunk | null>): Promise<number>;
}

export interface OpenOptions {
  readonly path: string;
  readonly readOnly?: boolean;
  /** Read connections in the pool (default 2, the cores we have). */
  readonly readers?: number;
  readonly threads?: number;
}

function toValues(params: readonly SqlParam[] | undefined): DuckDBValue[] | undefined {
  return params ? (params as DuckDBValue[]) : undefined;
}

function executor(conn: DuckDBConnection): Executor {
  return {
    async all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]> {
      const reader = await conn.runAndReadAll(sql, toValues(params));
      return reader.getRowObjectsJS() as T[];
    },
    async run(sql: string, params?: readonly SqlParam[]): Promise<void> {
      await conn.run(sql, toValues(params));
    },
    async columns(sql: string, params?: readonly SqlParam[]): Promise<Record<string, unknown[]>> {
      const reader = await conn.runAndReadAll(sql, toValues(params));
      return reader.getColumnsObject();
    },
    async append(table: string, fill: (appender: DuckDBAppender) => void): Promise<void> {
      const appender = await conn.createAppender(table);
      try {
        fill(appender);
      } catch (e) {
        appender.clear();
        appender.closeSync();
        throw e;
      }
      appender.closeSync();
    },
    async appendChunks(table: string, next: () => Promise<DuckDBDataChunk | null>): Promise<number> {
      const appender = await conn.createAppender(table);
      let rows = 0;
      try {
        for (let chunk = await next(); chunk; chunk = await next()) {
          appender.appendDataChunk(chunk);
          rows += chunk.rowCount;
        }
      } catch (e) {
        appender.clear();
        appender.closeSync();
        throw e;
      }
      appender.closeSync();
      return rows;
    },
  };
}

/** A promise chain that runs tasks one at a time. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.tail.then(task, task);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

export class Database {
  private nextReader = 0;
  private readonly writeLock = new Mutex();
  private closed = false;

  private constructor(
    readonly path: string,
    readonly readOnly: boolean,
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection,
    private readonly readers: DuckDBConnection[],
  ) {}

  /**
   * Opens (and creates) the database file and applies pending migrations.
   *
   * @example const db = await Database.open({ path: "./data/wijkradar.duckdb" });
   */
  static async open(options: OpenOptions): Promise<Database> {
    const readOnly = options.readOnly ?? false;
    if (!readOnly && options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(options.path, {
        threads: String(options.threads ?? 2),
        access_mode: readOnly ? "READ_ONLY" : "READ_WRITE",
      });
    } catch (e) {
      const message = (e as Error).message;
      const pid = /PID (\d+)/.exec(message)?.[1];
      if (/Conflicting lock/.test(message)) {
        throw new StoreError(
          `database ${options.path} is already opened for writing by another process${pid ? ` (PID ${pid})` : ""}; ` +
            "wijkradar allows one writer per database file. Stop that process, or use another --db file.",
          { cause: e },
        );
      }
      if (readOnly && /No such file|does not exist|Cannot open/i.test(message)) {
        throw new StoreError(
          `database ${options.path} does not exist; run \`wijkradar serve\` or an import first`,
          {
            cause: e,
          },
        );
      }
      throw new StoreError(`cannot open database ${options.path}: ${message}`, { cause: e });
    }
    const writer = await instance.connect();
    const readers: DuckDBConnection[] = [];
    for (let i = 0; i < (options.readers ?? 2); i++) readers.push(await instance.connect());
    const db = new Database(options.path, readOnly, instance, writer, readers);
    if (!readOnly) {
      try {
        await applyMigrations(executor(writer));
      } catch (e) {
        db.close();
        throw new StoreError(`cannot migrate database ${options.path}: ${(e as Error).message}`, {
          cause: e,
        });
      }
    }
    return db;
  }

  /** Runs a read on the next pooled connection. */
  read<T>(fn: (ex: Executor) => Promise<T>): Promise<T> {
    this.assertOpen();
    const conn = this.readers[this.nextReader++ % this.readers.length]!;
    return fn(executor(conn));
  }

  /**
   * Runs `fn` in one transaction on the write connection: all of it commits or none of it does.
   * Writes are serialised, so a long import never interleaves with another write.
   */
  transaction<T>(fn: (ex: Executor) => Promise<T>): Promise<T> {
    this.assertOpen();
    if (this.readOnly) return Promise.reject(new StoreError(`database ${this.path} is open read-only`));
    return this.writeLock.run(async () => {
      const ex = executor(this.writer);
      await ex.run("BEGIN TRANSACTION");
      try {
        const result = await fn(ex);
        await ex.run("COMMIT");
        return result;
      } catch (e) {
        // DuckDB may already have aborted the transaction (e.g. a failed appender); the original
        // error is the one worth reporting.
        await ex.run("ROLLBACK").catch(() => undefined);
        throw e;
      }
    });
  }

  /** Writes a checkpoint so the next start opens fast (no WAL replay). */
  async checkpoint(): Promise<void> {
    if (this.readOnly) return;
    await this.writeLock.run(() => executor(this.writer).run("CHECKPOINT"));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const r of this.readers) r.closeSync();
    this.writer.closeSync();
    this.instance.closeSync();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError(`database ${this.path} is closed`);
  }
}
