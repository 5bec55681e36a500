/**
 * The outbox: observations wait in IndexedDB (idb) until the server has them. Each item carries the
 * random id made when it was saved (src/field/id.ts), which is the server's idempotency key: a batch
 * whose answer was lost is sent again with the same ids and the server answers "duplicate" for what
 * it already stored, so nothing is stored twice.
 *
 * States: waiting → sending → synced | rejected (with the server's reason; editable and sent again) or
 * back to waiting (no connection, a server error, or a session that ended: then the outbox keeps
 * everything and asks for a new login). A sync runs at start, on the `online` event, after every save
 * and, while items wait, again after a growing pause (2 s, 4 s, … up to 60 s). Items marked "sending"
 * when the page died are waiting again at the next start.
 */
import { openDB, type DBSchema, type IDBPDatabase } from "idb";
import { ApiError } from "../api/client";
import type { ObservationInput, ObservationResult } from "./api";

export type OutboxState = "waiting" | "sending" | "synced" | "rejected";

export interface OutboxItem extends ObservationInput {
  readonly state: OutboxState;
  /** How many times it was sent without an answer about it. */
  readonly attempts: number;
  /** Why the last attempt did not get through (no connection, a server error). */
  readonly lastError?: string;
  /** The server's reason for a rejection (names the field). */
  readonly problem?: string;
  /** The buurt the server snapped it to, once stored; or the one shown when it was saved. */
  readonly areaCode?: string;
  readonly areaName?: string;
  readonly savedAt: string;
  readonly syncedAt?: string;
}

export interface OutboxStatus {
  readonly online: boolean;
  readonly syncing: boolean;
  /** The session ended: items wait until the user logs in again. */
  readonly loginNeeded: boolean;
  /** The last error of a sync round that did not get through. */
  readonly lastError?: string;
  /** When the next automatic attempt is due (epoch ms), while items wait. */
  readonly retryAt?: number;
}

export interface OutboxSnapshot {
  readonly items: readonly OutboxItem[];
  readonly status: OutboxStatus;
}

interface FieldDb extends DBSchema {
  outbox: { key: string; value: OutboxItem; indexes: { state: OutboxState } };
  kv: { key: string; value: unknown };
}

export const DB_NAME = "wijkradar-veld";

export function openFieldDb(name = DB_NAME): Promise<IDBPDatabase<FieldDb>> {
  return openDB<FieldDb>(name, 1, {
    upgrade(db) {
      const outbox = db.createObjectStore("outbox", { keyPath: "id" });
      outbox.createIndex("state", "state");
      db.createObjectStore("kv");
    },
  });
}

export type FieldDatabase = IDBPDatabase<FieldDb>;

/** Reads a cached value (categories, the last area) from the field app's database. */
export async function cached<T>(db: FieldDatabase, key: string): Promise<T | undefined> {
  return (await db.get("kv", key)) as T | undefined;
}

export async function cache(db: FieldDatabase, key: string, value: unknown): Promise<void> {
  await db.put("kv", value, key);
}

/** Pause before the next automatic attempt after `failures` rounds in a row that did not get through. */
export function backoffMs(failures: number): number {
  return Math.min(60_000, 2_000 * 2 ** Math.max(0, failures - 1));
}

/** Splits a list into batches of at most `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The observation as the server takes it (the outbox's own fields left out). */
export function toInput(item: OutboxItem): ObservationInput {
  return {
    id: item.id,
    category: item.category,
    observedAt: item.observedAt,
    location: item.location,
    ...(item.note ? { note: item.note } : {}),
    ...(item.note && item.noteConfirmed ? { noteConfirmed: true } : {}),
  };
}

/** Synced items kept on the phone for "mijn waarnemingen" (the newest). */
const KEEP_SYNCED = 200;

export interface OutboxOptions {
  readonly post: (batch: readonly ObservationInput[]) => Promise<ObservationResult[]>;
  readonly batchSize?: number;
  readonly now?: () => Date;
  readonly isOnline?: () => boolean;
}

export class Outbox {
  private snapshot: OutboxSnapshot;
  private readonly listeners = new Set<() => void>();
  private running: Promise<void> | undefined;
  private again = false;
  private failures = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly batchSize: number;
  private readonly now: () => Date;
  private readonly isOnline: () => boolean;

  constructor(
    private readonly db: FieldDatabase,
    private readonly options: OutboxOptions,
  ) {
    this.batchSize = options.batchSize ?? 200;
    this.now = options.now ?? (() => new Date());
    this.isOnline = options.isOnline ?? (() => navigator.onLine);
    this.snapshot = {
      items: [],
      status: { online: this.isOnline(), syncing: false, loginNeeded: false },
    };
  }

  /** Items left "sending" by a page that died are waiting again; then the first sync. */
  async start(): Promise<void> {
    const tx = this.db.transaction("outbox", "readwrite");
    for (const item of await tx.store.index("state").getAll("sending"))
      await tx.store.put({ ...item, state: "waiting" });
    await tx.done;
    await this.refresh();
    void this.sync();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): OutboxSnapshot => this.snapshot;

  private setStatus(change: Partial<OutboxStatus>): void {
    this.snapshot = { ...this.snapshot, status: { ...this.snapshot.status, ...change } };
    this.emit();
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }

  /** Reads every item again (newest first) and tells the listeners. */
  private async refresh(): Promise<void> {
    const items = await this.db.getAll("outbox");
    items.sort((a, b) => (a.savedAt < b.savedAt ? 1 : a.savedAt > b.savedAt ? -1 : a.id < b.id ? 1 : -1));
    this.snapshot = { ...this.snapshot, items };
    this.emit();
  }

  /** Saves a new observation (waiting) and starts a sync. */
  async add(
    input: ObservationInput,
    shown?: { readonly areaCode?: string; readonly areaName?: string },
  ): Promise<void> {
    await this.db.add("outbox", {
      ...input,
      state: "waiting",
      attempts: 0,
      savedAt: this.now().toISOString(),
      ...(shown?.areaCode ? { areaCode: shown.areaCode, areaName: shown.areaName } : {}),
    });
    await this.refresh();
    void this.sync();
  }

  /** Changes a rejected (or waiting) item and sends it again. */
  async edit(id: string, change: Partial<ObservationInput>): Promise<void> {
    const tx = this.db.transaction("outbox", "readwrite");
    const item = await tx.store.get(id);
    if (!item || item.state === "synced" || item.state === "sending") {
      await tx.done;
      throw new Error(`observation ${id} cannot be changed in state ${item?.state ?? "missing"}`);
    }
    const next: OutboxItem = {
      ...item,
      ...change,
      id,
      state: "waiting",
      attempts: 0,
      problem: undefined,
      lastError: undefined,
    };
    if (!next.note) delete (next as { note?: string }).note;
    await tx.store.put(next);
    await tx.done;
    await this.refresh();
    void this.sync();
  }

  /** Deletes an item that is not being sent. */
  async remove(id: string): Promise<void> {
    const tx = this.db.transaction("outbox", "readwrite");
    const item = await tx.store.get(id);
    if (item && item.state !== "sending") await tx.store.delete(id);
    await tx.done;
    await this.refresh();
  }

  /** The connection changed (online/offline events). */
  setOnline(online: boolean): void {
    this.setStatus({ online });
    if (online) {
      this.failures = 0;
      void this.sync();
    }
  }

  /** A new login: items that waited for it go now. */
  loggedIn(): void {
    this.setStatus({ loginNeeded: false });
    this.failures = 0;
    void this.sync();
  }

  /** Sends every waiting item, in batches; one round at a time (a call during a round runs another). */
  sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.round();
        } while (this.again && !this.snapshot.status.loginNeeded);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const waiting = this.snapshot.items.some((i) => i.state === "waiting");
    if (!waiting || this.snapshot.status.loginNeeded) {
      this.setStatus({ retryAt: undefined });
      return;
    }
    const delay = backoffMs(this.failures);
    this.setStatus({ retryAt: Date.now() + delay });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sync();
    }, delay);
  }

  private async round(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const waiting = (await this.db.getAllFromIndex("outbox", "state", "waiting")).sort((a, b) =>
      a.savedAt < b.savedAt ? -1 : 1,
    );
    if (waiting.length === 0 || this.snapshot.status.loginNeeded) {
      this.setStatus({ syncing: false, retryAt: undefined });
      return;
    }
    if (!this.isOnline()) {
      // The `online` event starts the next round.
      this.setStatus({ syncing: false, online: false, retryAt: undefined });
      return;
    }
    this.setStatus({ syncing: true, online: true });
    let failed = false;
    for (const batch of batches(waiting, this.batchSize)) {
      await this.mark(batch, "sending");
      let results: ObservationResult[];
      try {
        results = await this.options.post(batch.map(toInput));
      } catch (e) {
        failed = true;
        await this.failed(batch, e);
        if (this.snapshot.status.loginNeeded) break;
        continue;
      }
      await this.answered(batch, results);
    }
    if (failed) this.failures++;
    else {
      this.failures = 0;
      this.setStatus({ lastError: undefined });
      await this.prune();
    }
    await this.refresh();
    this.setStatus({ syncing: false });
    this.schedule();
  }

  private async mark(batch: readonly OutboxItem[], state: OutboxState): Promise<void> {
    const tx = this.db.transaction("outbox", "readwrite");
    for (const item of batch) {
      const current = await tx.store.get(item.id);
      if (current) await tx.store.put({ ...current, state });
    }
    await tx.done;
    await this.refresh();
  }

  /** The server answered per item: stored and duplicate are synced, rejected keeps its reason. */
  private async answered(batch: readonly OutboxItem[], results: readonly ObservationResult[]): Promise<void> {
    const byId = new Map(results.map((r) => [r.id, r]));
    const at = this.now().toISOString();
    const tx = this.db.transaction("outbox", "readwrite");
    for (const item of batch) {
      const current = (await tx.store.get(item.id)) ?? item;
      const r = byId.get(item.id);
      if (r?.status === "stored" || r?.status === "duplicate")
        await tx.store.put({
          ...current,
          state: "synced",
          syncedAt: at,
          lastError: undefined,
          problem: undefined,
          ...(r.areaCode && r.areaCode !== current.areaCode
            ? { areaCode: r.areaCode, areaName: undefined }
            : {}),
        });
      else if (r?.status === "rejected")
        await tx.store.put({ ...current, state: "rejected", problem: r.problem ?? "rejected" });
      else await tx.store.put({ ...current, state: "waiting", attempts: current.attempts + 1 });
    }
    await tx.done;
  }

  /** No answer about the items: back to waiting; a 401 asks for a login, a refused request says why. */
  private async failed(batch: readonly OutboxItem[], e: unknown): Promise<void> {
    const message = e instanceof Error ? e.message : String(e);
    const refused =
      e instanceof ApiError && (e.status === 400 || e.status === 413 || e.status === 422)
        ? [message, ...e.errors].join("; ")
        : undefined;
    if (e instanceof ApiError && e.status === 401) this.setStatus({ loginNeeded: true });
    const network = !(e instanceof ApiError);
    this.setStatus({ lastError: network ? "network" : message });
    const tx = this.db.transaction("outbox", "readwrite");
    for (const item of batch) {
      const current = (await tx.store.get(item.id)) ?? item;
      if (refused !== undefined) await tx.store.put({ ...current, state: "rejected", problem: refused });
      else
        await tx.store.put({
          ...current,
          state: "waiting",
          attempts: current.attempts + 1,
          lastError: network ? "network" : message,
        });
    }
    await tx.done;
  }

  /** Keeps the newest synced items only. */
  private async prune(): Promise<void> {
    const synced = await this.db.getAllFromIndex("outbox", "state", "synced");
    if (synced.length <= KEEP_SYNCED) return;
    synced.sort((a, b) => ((a.syncedAt ?? "") < (b.syncedAt ?? "") ? 1 : -1));
    const tx = this.db.transaction("outbox", "readwrite");
    for (const item of synced.slice(KEEP_SYNCED)) await tx.store.delete(item.id);
    await tx.done;
  }
}
