/**
 * The early-warning run: loads the tested indicators' values and the boundaries for spatial weights
 * (store), runs the pure detectors of @wijkradar/core per series, controls the false-discovery rate
 * over the run, groups alerts and stores them with the per-area accumulation — one run at a time,
 * with progress. Runs start on demand (CLI, API) and after every import (the import's division).
 */
import {
  assessRun,
  buildSeries,
  describeModel,
  detectSeries,
  MODEL_VERSION,
  prepareWeights,
  PROFILE_PREFIX,
  seriesFromCounts,
  type CountArea,
  type DetectionSettings,
  type IndicatorSeries,
  type ProfileDefinition,
  type PreparedWeights,
  type SeriesIndicator,
  type TestBatch,
} from "@wijkradar/core";
import {
  abandonRunningRuns,
  createRun,
  failRun,
  saveRunResults,
  type RunRow,
} from "../store/alert-repository.js";
import type { Database } from "../store/database.js";
import type { GemeenteTable } from "./profile-service.js";
import { detectionIndicators, detectionValues, weightsGeometry } from "../store/detection-repository.js";

export interface RunRequest {
  /** "cli", "api", "import", "first-start". */
  readonly trigger: string;
  readonly actor: string;
  /** Only these indicators (default: every tested indicator). */
  readonly indicators?: readonly string[];
  /** Only these divisions (default: all). */
  readonly divisions?: readonly number[];
  /** Test the profiles too (default: when no indicators are named; `indicators: []` with this: profiles only). */
  readonly profiles?: boolean;
}

export interface RunProgress {
  readonly runId: number;
  readonly phase: "loading" | "detecting" | "assessing" | "saving" | "finished" | "failed";
  readonly done: number;
  readonly total: number;
  /** `done` of `total` indicators (the profiles count as one). The series being tested, e.g. "eenzaam_18plus buurt 2020". */
  readonly current: string | null;
}

export interface RunOutcome {
  readonly runId: number;
  readonly series: number;
  readonly tests: number;
  /** Tests with q below the yellow threshold, and tests without a baseline (grey). */
  readonly significantTests: number;
  readonly untestable: number;
  readonly alerts: number;
  readonly red: number;
  readonly yellow: number;
  readonly seconds: number;
  readonly scopes: readonly string[];
}

/** Where profile figures come from: the profile service's protected tables (released cells only). */
export interface ProfileSource {
  list(): Promise<readonly { readonly definition: ProfileDefinition }[]>;
  tables(def: ProfileDefinition, date: string): Promise<readonly GemeenteTable[]>;
  todayUtc(): string;
}

/** The scope of every profile alert (`p:<division>:<level>`), for runs that test the profiles. */
export const ALL_PROFILE_SCOPES = "p:*";

/** Chunks of indicators read one after the other, each while the detectors work on the previous one. */
const LOAD_CHUNKS = 8;

/** Levels at which profiles are tested: streets (PC6) and buurten. */
const PROFILE_TEST_LEVELS = ["pc6", "buurt"] as const;

/**
 * One-period count series of a profile from its protected gemeente tables: only RELEASED cells (the
 * same perturbed numbers every route shows), with the gemeenten's released cells as references.
 */
export function profileSeries(
  def: ProfileDefinition,
  date: string,
  tables: readonly GemeenteTable[],
): IndicatorSeries[] {
  if (def.polarity === "neutral") return [];
  const indicator: SeriesIndicator = {
    id: `${PROFILE_PREFIX}${def.id}`,
    domain: def.domain,
    polarity: def.polarity,
    kind: "percentage",
  };
  const out: IndicatorSeries[] = [];
  for (const level of PROFILE_TEST_LEVELS) {
    const byDivision = new Map<
      number,
      { areas: CountArea[]; references: { code: string; count: number; population: number }[] }
    >();
    for (const t of tables) {
      const division = t.division ?? 0;
      let entry = byDivision.get(division);
      if (!entry) byDivision.set(division, (entry = { areas: [], references: [] }));
      const released = (id: string) => {
        const c = t.protected.get(id);
        return c && c.status === "released" && c.count !== null && c.population !== null && c.population > 0
          ? { count: c.count, population: c.population }
          : null;
      };
      const g = released(`gemeente:${t.gemeente}`);
      if (g) entry.references.push({ code: t.gemeente, ...g });
      for (const cell of t.cells.values()) {
        if (cell.level !== level) continue;
        const r = released(cell.id);
        if (r) entry.areas.push({ code: cell.code, gemeente: t.gemeente, ...r });
      }
    }
    for (const [division, e] of byDivision)
      if (e.areas.length > 0)
        out.push(
          seriesFromCounts({
            indicator,
            level,
            division,
            period: date,
            areas: e.areas,
            references: e.references,
          }),
        );
  }
  return out;
}

export class DetectionService {
  private queue: Promise<unknown> = Promise.resolve();
  private closing = false;
  private progressNow: RunProgress | null = null;
  private activeRun: number | null = null;
  private readonly listeners = new Set<(p: RunProgress) => void>();
  private readonly finishedListeners = new Set<() => void>();

  constructor(
    private readonly db: Database,
    readonly settings: DetectionSettings,
    private readonly profiles?: ProfileSource,
  ) {}

  /** Marks runs a stopped process left "running" as failed. */
  async recover(): Promise<void> {
    await abandonRunningRuns(this.db);
  }

  /**
   * Stops: a running run ends at the next series (recorded as failed, "interrupted"), queued ones do
   * not start; resolves when nothing runs any more. Call before closing the database.
   */
  async close(): Promise<void> {
    this.closing = true;
    await this.queue;
  }

  /**
   * Whether a run is still being finished in this process: its outcome may already be committed
   * (the store says "finished") while the cached views are not yet forgotten. The API reports such a
   * run as running, so a client that sees "finished" never gets the views of before it.
   */
  busyWith(runId: number): boolean {
    return this.activeRun === runId;
  }

  /** The running run's progress, or null. */
  progress(): RunProgress | null {
    return this.progressNow;
  }

  onProgress(listener: (p: RunProgress) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called after every finished run (e.g. to forget cached alert views). */
  onFinished(listener: () => void): void {
    this.finishedListeners.add(listener);
  }

  model(): ReturnType<typeof describeModel> {
    return describeModel(this.settings);
  }

  /**
   * Queues a run; resolves with the run id as soon as it is created, and `done` when it finishes.
   * Runs never overlap (one writer; BH needs the whole run's tests).
   */
  start(request: RunRequest): { runId: Promise<number>; done: Promise<RunOutcome> } {
    let resolveId!: (id: number) => void;
    let rejectId!: (e: unknown) => void;
    const runId = new Promise<number>((res, rej) => {
      resolveId = res;
      rejectId = rej;
    });
    const done = this.queue.then(async () => {
      if (this.closing) {
        const e = new Error("the server is stopping; the detection run was not started");
        rejectId(e);
        throw e;
      }
      let id: number;
      try {
        id = await createRun(this.db, {
          trigger: request.trigger,
          actor: request.actor,
          scope: JSON.stringify({
            indicators: request.indicators ?? "all",
            divisions: request.divisions ?? "all",
          }),
          settings: this.settings,
          modelVersion: MODEL_VERSION,
        });
      } catch (e) {
        rejectId(e);
        throw e;
      }
      resolveId(id);
      this.activeRun = id;
      try {
        return await this.execute(id, request);
      } catch (e) {
        this.emit({ runId: id, phase: "failed", done: 0, total: 0, current: null });
        await failRun(this.db, id, (e as Error).message).catch(() => undefined);
        throw e;
      } finally {
        this.progressNow = null;
        this.notifyFinished();
        this.activeRun = null;
      }
    });
    this.queue = done.catch(() => undefined);
    return { runId, done };
  }

  /** Runs now (queued behind a running one) and waits for the outcome. */
  async run(request: RunRequest): Promise<RunOutcome> {
    return this.start(request).done;
  }

  private notifyFinished(): void {
    for (const l of this.finishedListeners) l();
  }

  private emit(p: RunProgress): void {
    this.progressNow = p;
    for (const l of this.listeners) l(p);
  }

  private async execute(runId: number, request: RunRequest): Promise<RunOutcome> {
    const started = performance.now();
    this.emit({ runId, phase: "loading", done: 0, total: 0, current: null });
    const indicators = (await detectionIndicators(this.db)).filter(
      (i) => !request.indicators || request.indicators.includes(i.id),
    );
    const byId = new Map<string, SeriesIndicator>(indicators.map((i) => [i.id, i]));
    // The values come in chunks of indicators; the next chunk is read (DuckDB, its own threads) while
    // the detectors work on this one (JavaScript, the main thread): two cores, both busy.
    const chunkSize = Math.max(1, Math.ceil(indicators.length / LOAD_CHUNKS));
    const chunks: string[][] = [];
    for (let i = 0; i < indicators.length; i += chunkSize)
      chunks.push(indicators.slice(i, i + chunkSize).map((x) => x.id));
    const load = (c: number): Promise<IndicatorSeries[]> =>
      detectionValues(this.db, chunks[c] as string[], request.divisions).then((cols) =>
        buildSeries(cols, byId),
      );
    const profileSeriesList: IndicatorSeries[] = [];
    const scopes = new Set<string>();
    // Profiles over the microdata vault: their released cells, tested like rates with counts.
    if (this.profiles && (request.profiles ?? !request.indicators)) {
      // Every profile alert is in this run's scope, also when no profile yields a series any more.
      scopes.add(ALL_PROFILE_SCOPES);
      const date = this.profiles.todayUtc();
      for (const rec of await this.profiles.list())
        profileSeriesList.push(
          ...profileSeries(rec.definition, date, await this.profiles.tables(rec.definition, date)),
        );
    }
    const weights = new Map<string, PreparedWeights | null>();
    const weightsFor = async (s: IndicatorSeries): Promise<PreparedWeights | null> => {
      if (!(this.settings.space.levels as readonly string[]).includes(s.level)) return null;
      const key = `${s.division}:${s.level}`;
      if (!weights.has(key)) {
        const geo = await weightsGeometry(this.db, s.level, s.division);
        weights.set(
          key,
          geo
            ? prepareWeights(
                { key, geometryDivision: geo.geometryDivision, codes: geo.codes, geometries: geo.geometries },
                this.settings,
              )
            : null,
        );
      }
      return weights.get(key) ?? null;
    };
    const batches: TestBatch[] = [];
    let done = 0;
    let seriesCount = 0;
    const total = indicators.length + (profileSeriesList.length > 0 ? 1 : 0);
    const detect = async (s: IndicatorSeries) => {
      if (this.closing) throw new Error("interrupted: the server stopped during the run");
      this.emit({
        runId,
        phase: "detecting",
        done,
        total,
        current: `${s.indicator.id} ${s.level} ${s.division}`,
      });
      scopes.add(`${s.indicator.id.startsWith(PROFILE_PREFIX) ? "p:" : ""}${s.division}:${s.level}`);
      for (const b of detectSeries(s, this.settings, await weightsFor(s))) batches.push(b);
      seriesCount++;
      // Let the server answer requests (and the next chunk's read complete) between series.
      await new Promise((r) => setImmediate(r));
    };
    let next = chunks.length > 0 ? load(0) : Promise.resolve([]);
    for (let c = 0; c < chunks.length; c++) {
      const current = await next;
      if (c + 1 < chunks.length) next = load(c + 1);
      for (const s of current) await detect(s);
      done += (chunks[c] as string[]).length;
    }
    for (const s of profileSeriesList) await detect(s);
    if (profileSeriesList.length > 0) done++;
    this.emit({ runId, phase: "assessing", done, total, current: null });
    const { alerts, summaries, tests, severities, pCutoffs } = assessRun(batches, this.settings);
    this.emit({ runId, phase: "saving", done, total, current: null });
    await saveRunResults(this.db, runId, {
      // A run of named indicators saw only part of its divisions' tests: it adds and updates alerts,
      // but neither retires others nor replaces the per-area signals (a full run of the scope does).
      scopes: request.indicators ? [...scopes].filter((x) => x.startsWith("p:")) : [...scopes],
      alerts,
      summaries,
      series: seriesCount,
      tests,
      pCutoffs,
    });
    // Forget cached views now, in the same microtask chain as the commit: a client that sees the run
    // "finished" must never get the views of before it (the `finally` in start() repeats this).
    this.notifyFinished();
    this.emit({ runId, phase: "finished", done, total, current: null });
    return {
      runId,
      series: seriesCount,
      tests,
      significantTests: severities.red + severities.yellow,
      untestable: severities.grey,
      alerts: alerts.length,
      red: alerts.filter((a) => a.severity === "red").length,
      yellow: alerts.filter((a) => a.severity === "yellow").length,
      seconds: (performance.now() - started) / 1000,
      scopes: [...scopes].sort(),
    };
  }
}

export type { RunRow };
