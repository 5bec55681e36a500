/**
 * The audit trail's store side: one record per request that touches data, appended in batches so a
 * busy API does not wait on the write connection. Records are flushed at least every second and on
 * close. (Hash-chaining, retention and search come with the access-control issue.)
 */
import { timestampValue } from "@duckdb/node-api";
import type { Database } from "./database.js";

export interface AuditEntry {
  readonly at: Date;
  readonly actor: string;
  readonly roles: readonly string[];
  readonly purpose: string;
  readonly action: string;
  readonly object: string;
  readonly released: number;
  readonly suppressed: number;
  readonly denied: number;
  readonly origin: string;
}

export class AuditLog {
  private buffer: AuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly intervalMs = 1000,
    private readonly onError: (e: unknown) => void = (e) =>
      console.error(`wijkradar: audit records could not be written yet: ${(e as Error).message}`),
  ) {}

  /** Queues one record; it is written within `intervalMs`. */
  record(entry: AuditEntry): void {
    this.buffer.push(entry);
    // unref: a pending flush never keeps a finished CLI process alive; close() flushes explicitly.
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      // Not awaited by anyone: report, keep the records (flush put them back) and try again later.
      this.flush().catch((e: unknown) => this.onError(e));
    }, this.intervalMs).unref();
  }

  /** Writes every queued record now. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length === 0 || this.db.readOnly) return this.flushing;
    const write = (): Promise<void> =>
      this.db.transaction((ex) =>
        ex.append("audit_log", (a) => {
          for (const e of batch) {
            a.appendTimestamp(timestampValue(BigInt(e.at.getTime()) * 1000n));
            a.appendVarchar(e.actor);
            a.appendVarchar(e.roles.join(","));
            a.appendVarchar(e.purpose);
            a.appendVarchar(e.action);
            a.appendVarchar(e.object);
            a.appendInteger(e.released);
            a.appendInteger(e.suppressed);
            a.appendInteger(e.denied);
            a.appendVarchar(e.origin);
            a.endRow();
          }
        }),
      );
    // A failed write keeps its records for the next flush and does not poison the chain.
    this.flushing = this.flushing
      .catch(() => undefined)
      .then(write)
      .catch((e: unknown) => {
        this.buffer.unshift(...batch);
        throw e;
      });
    return this.flushing;
  }

  /** Number of records written (for tests and the health endpoint). */
  async count(): Promise<number> {
    await this.flush();
    const rows = await this.db.read((ex) =>
      ex.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM audit_log"),
    );
    return rows[0]?.n ?? 0;
  }
}
