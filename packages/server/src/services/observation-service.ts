/**
 * Field observations (ADR 0008): a synced batch is validated item by item (a rejected item names its
 * field and never blocks the valid ones), snapped to a buurt (point in the boundaries of the field
 * division, or postcode → buurt), stored once per client id with coordinates rounded to the
 * configured precision (never the exact ones), and counted: after a sync, debounced, the count
 * indicators `veld_<category>_week|_maand` and `veld_totaal_week|_maand` are rewritten as a delivery
 * of the source `veldwaarnemingen` (zeros included, so the count detectors see every period), the
 * cube's caches are forgotten and a detection run for just these indicators follows.
 */
import { createHash } from "node:crypto";
import booleanPointInPolygon from "@turf/boolean-point-in-polygon";
import {
  isInNetherlandsBox,
  isoWeekOf,
  monthOf,
  monthsBetween,
  NOTE_MAX_LENGTH,
  noteFindingKinds,
  roundLocation,
  screenNote,
  weeksBetween,
  type AreaLevel,
  type IndicatorMeta,
  type NoteFindingKind,
  type Source,
} from "@wijkradar/core";
import type { MultiPolygon, Polygon } from "geojson";
import type { FieldCategory, FieldSettings } from "../config.js";
import { NotFoundError } from "../errors.js";
import type { CubeService } from "./cube-service.js";
import type { DetectionService } from "./detection-service.js";
import type { Database } from "../store/database.js";
import { writeDelivery } from "../store/delivery-repository.js";
import {
  buurtBoundaries,
  buurtInfo,
  buurtOfPostcodes,
  buurtenOfGemeenten,
  hourlyCounts,
  insertObservations,
  latestBuurtDivision,
  observedGemeenten,
  unregisteredGemeenten,
  writtenObservationSlices,
  type BuurtInfo,
  type ObservationRow,
} from "../store/observation-repository.js";

/** The source of the observation counts: not open, so grants and disclosure control apply. */
export const OBSERVATION_SOURCE_ID = "veldwaarnemingen";

/** At most this many observations in one sync request. */
export const MAX_SYNC_ITEMS = 2000;

/** How far in the future an observation time may lie (clocks of phones differ). */
const FUTURE_SLACK_MS = 10 * 60_000;

const ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
/** ISO 8601 date-time with seconds optional, fraction optional, and a zone (Z or ±hh:mm). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const PC6 = /^[1-9]\d{3}[A-Z]{2}$/;

/** The id of a category's count indicator: `veld_<id with - as _>_week` or `_maand`. */
export function observationIndicatorId(category: string, frequency: "week" | "maand"): string {
  return `veld_${category.replaceAll("-", "_")}_${frequency}`;
}

/** Every indicator id the categories can give (for grants): per category and the totals, week and month. */
export function observationIndicatorIds(categories: readonly { readonly id: string }[]): string[] {
  return [...categories.map((c) => c.id), "totaal"].flatMap((id) => [
    observationIndicatorId(id, "week"),
    observationIndicatorId(id, "maand"),
  ]);
}

export interface SyncItemResult {
  readonly id: string | null;
  readonly status: "stored" | "duplicate" | "rejected";
  readonly areaCode?: string;
  readonly problem?: string;
}

export interface SyncOutcome {
  readonly results: SyncItemResult[];
  readonly stored: number;
  readonly duplicates: number;
  readonly rejected: number;
  /** The kinds of personal data found in notes the client confirmed (for the audit record). */
  readonly confirmedFindings: NoteFindingKind[];
}

export interface SyncActor {
  readonly userId: string;
  readonly organisationId: string | null;
}

/** Where a location lies: its buurt and what is kept of the location. */
export interface Located {
  readonly buurt: BuurtInfo;
  readonly lon: number | null;
  readonly lat: number | null;
  readonly pc6: string | null;
  readonly source: "gps" | "map" | "postcode";
}

/** A location that cannot be used: `field` is relative to the location ("", "postcode", "lon"…). */
export class LocationProblem extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

interface PreparedBoundary {
  readonly code: string;
  readonly bbox: readonly [number, number, number, number];
  readonly text: string;
  parsed?: Polygon | MultiPolygon;
}

export interface ObservationServiceOptions {
  readonly db: Database;
  readonly settings: FieldSettings;
  readonly cube: CubeService;
  readonly detection: DetectionService;
  /** Milliseconds since the epoch (tests move it). */
  readonly clock?: () => number;
  /** Where a failed rewrite is reported. */
  readonly log?: (message: string, error?: unknown) => void;
}

/** Local calendar date (YYYY-MM-DD) of a UTC hour in a time zone, cached per hour. */
class LocalDates {
  private readonly format: Intl.DateTimeFormat;
  private readonly cache = new Map<number, string>();
  constructor(timeZone: string) {
    this.format = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
  }
  of(ms: number): string {
    const hour = Math.floor(ms / 3_600_000);
    let d = this.cache.get(hour);
    if (d === undefined) {
      d = this.format.format(new Date(hour * 3_600_000));
      this.cache.set(hour, d);
    }
    return d;
  }
}

export class ObservationService {
  readonly settings: FieldSettings;
  private readonly db: Database;
  private readonly cube: CubeService;
  private readonly detection: DetectionService;
  private readonly clock: () => number;
  private readonly log: (message: string, error?: unknown) => void;
  private readonly dates: LocalDates;
  private readonly categories: ReadonlyMap<string, FieldCategory>;
  private boundaries:
    Promise<{ division: number; list: PreparedBoundary[]; info: Map<string, BuurtInfo> }> | undefined;
  /** Per division, the (indicator, period) slices that got observations not counted yet; the actors. */
  private readonly pending = new Map<number, Set<string>>();
  private readonly pendingActors = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private closing = false;
  /** Set while forgetting caches after a count delivery that registered no areas (boundaries unchanged). */
  private ownDelivery = false;

  constructor(options: ObservationServiceOptions) {
    this.db = options.db;
    this.settings = options.settings;
    this.cube = options.cube;
    this.detection = options.detection;
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? (() => undefined);
    this.dates = new LocalDates(options.settings.timeZone);
    this.categories = new Map(options.settings.categories.map((c) => [c.id, c]));
    // New boundaries (an import) replace the snapping cache.
    this.cube.onInvalidate(() => {
      if (!this.ownDelivery) this.boundaries = undefined;
    });
  }

  /** The configured categories. */
  listCategories(): readonly FieldCategory[] {
    return this.settings.categories;
  }

  /** The boundary division points snap to: config `field.division`, else the latest with buurt boundaries. */
  private loadBoundaries(): Promise<{
    division: number;
    list: PreparedBoundary[];
    info: Map<string, BuurtInfo>;
  }> {
    this.boundaries ??= (async () => {
      const division = this.settings.division ?? (await latestBuurtDivision(this.db));
      if (division === undefined)
        throw new NotFoundError("there are no buurt boundaries to place observations in; import them first");
      const list = (await buurtBoundaries(this.db, division)).map((b) => ({
        code: b.code,
        bbox: b.bbox,
        text: b.geometry,
      }));
      // Every buurt of the division with its wijk and gemeente: a batch needs no query per item.
      return { division, list, info: await buurtInfo(this.db, division) };
    })();
    this.boundaries.catch(() => (this.boundaries = undefined));
    return this.boundaries;
  }

  /** The buurt whose boundary contains a point: bounding-box prefilter, then point in polygon. */
  private async snapPoint(lon: number, lat: number): Promise<{ code: string; division: number } | null> {
    const { division, list } = await this.loadBoundaries();
    for (const b of list) {
      const [x0, y0, x1, y1] = b.bbox;
      if (lon < x0 || lon > x1 || lat < y0 || lat > y1) continue;
      b.parsed ??= JSON.parse(b.text) as Polygon | MultiPolygon;
      if (booleanPointInPolygon([lon, lat], b.parsed)) return { code: b.code, division };
    }
    return null;
  }

  /**
   * Where a location lies. Points: inside the Netherlands and inside a buurt of the field division;
   * postcodes: known in the PC6 table, in a buurt that the field division has. Throws a
   * LocationProblem that says which.
   */
  async locate(
    location: { lon: number; lat: number; source: "gps" | "map" } | { postcode: string },
    cache?: Map<string, { buurt: string; division: number }>,
  ): Promise<Located> {
    const { division, info: buurten } = await this.loadBoundaries();
    if ("postcode" in location) {
      const pc6 = location.postcode.replace(/\s+/g, "").toUpperCase();
      if (!PC6.test(pc6))
        throw new LocationProblem(
          "postcode",
          "expected a postcode of four digits and two letters, e.g. 1311 AA",
        );
      const found = cache?.get(pc6) ?? (await buurtOfPostcodes(this.db, [pc6], this.year())).get(pc6);
      if (!found) throw new LocationProblem("postcode", `postcode ${pc6} is not in the postcode table`);
      const info = buurten.get(found.buurt);
      if (!info)
        throw new LocationProblem(
          "postcode",
          `postcode ${pc6} lies in buurt ${found.buurt} (division ${found.division}), which the boundaries of division ${division} do not have; give the location on the map instead`,
        );
      return { buurt: info, lon: null, lat: null, pc6, source: "postcode" };
    }
    const { lon, lat } = location;
    if (!isInNetherlandsBox(lon, lat))
      throw new LocationProblem(
        "",
        "lies outside the Netherlands; expected a point in WGS84 (lon about 3.2–7.3, lat 50.7–53.6)",
      );
    const snapped = await this.snapPoint(lon, lat);
    if (!snapped)
      throw new LocationProblem("", `lies outside every buurt of the boundaries of division ${division}`);
    const info = buurten.get(snapped.code);
    if (!info)
      throw new LocationProblem(
        "",
        `lies in buurt ${snapped.code}, which is not registered in division ${division}`,
      );
    const rounded = roundLocation(lon, lat, this.settings.precisionMeters);
    return {
      buurt: info,
      lon: rounded?.lon ?? null,
      lat: rounded?.lat ?? null,
      pc6: null,
      source: location.source,
    };
  }

  private year(): number {
    return new Date(this.clock()).getUTCFullYear();
  }

  /**
   * Validates, snaps and stores a batch (per-item results, in the order given), then schedules the
   * rewrite of the counts. `items` must already be an array of at most MAX_SYNC_ITEMS.
   */
  async sync(actor: SyncActor, items: readonly unknown[]): Promise<SyncOutcome> {
    const now = this.clock();
    const oldest = new Date(now);
    oldest.setUTCFullYear(oldest.getUTCFullYear() - 1);
    const results: (SyncItemResult | undefined)[] = Array.from({ length: items.length }, () => undefined);
    const confirmed = new Set<NoteFindingKind>();
    // Postcodes in one query for the whole batch.
    const postcodes = new Set<string>();
    for (const item of items) {
      const loc = (item as { location?: { postcode?: unknown } } | null)?.location;
      if (loc && typeof loc.postcode === "string")
        postcodes.add(loc.postcode.replace(/\s+/g, "").toUpperCase());
    }
    const pcCache = await buurtOfPostcodes(
      this.db,
      [...postcodes].filter((p) => PC6.test(p)),
      this.year(),
    );
    const rows: { index: number; row: ObservationRow }[] = [];
    const receivedAt = new Date(now);
    for (let i = 0; i < items.length; i++) {
      const at = `observations[${i}]`;
      const reject = (field: string, message: string, id: string | null = null): void => {
        results[i] = { id, status: "rejected", problem: `${at}${field ? `.${field}` : ""}: ${message}` };
      };
      const item = items[i];
      if (typeof item !== "object" || item === null || Array.isArray(item)) {
        reject("", "expected an object { id, category, observedAt, location, note?, noteConfirmed? }");
        continue;
      }
      const o = item as Record<string, unknown>;
      const unknown = Object.keys(o).filter(
        (k) => !["id", "category", "observedAt", "location", "note", "noteConfirmed"].includes(k),
      );
      const id = typeof o.id === "string" && ID_PATTERN.test(o.id) ? o.id : null;
      if (id === null) {
        reject("id", "expected 16 to 64 characters of letters, digits, '_' or '-' (the outbox's random id)");
        continue;
      }
      if (unknown.length > 0) {
        reject("", `unknown field(s) ${unknown.join(", ")}`, id);
        continue;
      }
      if (typeof o.category !== "string" || !this.categories.has(o.category)) {
        reject("category", `expected one of ${[...this.categories.keys()].join(", ")}`, id);
        continue;
      }
      const observedAt =
        typeof o.observedAt === "string" && DATE_TIME.test(o.observedAt) ? Date.parse(o.observedAt) : NaN;
      if (Number.isNaN(observedAt)) {
        reject(
          "observedAt",
          "expected an ISO 8601 date-time with a time zone, e.g. 2026-11-20T14:05:00+01:00",
          id,
        );
        continue;
      }
      if (observedAt > now + FUTURE_SLACK_MS) {
        reject("observedAt", "lies in the future", id);
        continue;
      }
      if (observedAt < oldest.getTime()) {
        reject("observedAt", "is more than a year ago", id);
        continue;
      }
      if (o.noteConfirmed !== undefined && typeof o.noteConfirmed !== "boolean") {
        reject("noteConfirmed", "expected true or false", id);
        continue;
      }
      let note: string | null = null;
      if (o.note !== undefined && o.note !== null) {
        if (typeof o.note !== "string") {
          reject("note", "expected text", id);
          continue;
        }
        if (o.note.length > NOTE_MAX_LENGTH) {
          reject("note", `expected at most ${NOTE_MAX_LENGTH} characters`, id);
          continue;
        }
        note = o.note.trim() || null;
      }
      if (note !== null) {
        const kinds = noteFindingKinds(screenNote(note));
        if (kinds.length > 0 && o.noteConfirmed !== true) {
          reject(
            "note",
            `looks like it contains personal data (${kinds.map(kindText).join(", ")}); remove it or confirm`,
            id,
          );
          continue;
        }
        for (const k of kinds) confirmed.add(k);
      }
      const loc = o.location;
      let location: { lon: number; lat: number; source: "gps" | "map" } | { postcode: string };
      if (typeof loc !== "object" || loc === null || Array.isArray(loc)) {
        reject("location", 'expected { lon, lat, source: "gps" | "map" } or { postcode }', id);
        continue;
      }
      const l = loc as Record<string, unknown>;
      if ("postcode" in l) {
        if (typeof l.postcode !== "string" || Object.keys(l).length !== 1) {
          reject("location", "expected { postcode } with the postcode as text, and nothing else", id);
          continue;
        }
        location = { postcode: l.postcode };
      } else {
        const extra = Object.keys(l).filter((k) => !["lon", "lat", "source"].includes(k));
        if (typeof l.lon !== "number" || !Number.isFinite(l.lon) || l.lon < -180 || l.lon > 180) {
          reject("location.lon", "expected a longitude in degrees (WGS84), -180 to 180", id);
          continue;
        }
        if (typeof l.lat !== "number" || !Number.isFinite(l.lat) || l.lat < -90 || l.lat > 90) {
          reject("location.lat", "expected a latitude in degrees (WGS84), -90 to 90", id);
          continue;
        }
        if (l.source !== "gps" && l.source !== "map") {
          reject("location.source", 'expected "gps" or "map"', id);
          continue;
        }
        if (extra.length > 0) {
          reject("location", `unknown field(s) ${extra.join(", ")}`, id);
          continue;
        }
        location = { lon: l.lon, lat: l.lat, source: l.source };
      }
      let located: Located;
      try {
        located = await this.locate(location, pcCache);
      } catch (e) {
        if (!(e instanceof LocationProblem)) throw e;
        reject(e.field ? `location.${e.field}` : "location", e.message, id);
        continue;
      }
      rows.push({
        index: i,
        row: {
          id,
          category: o.category,
          observedAt: new Date(observedAt),
          receivedAt,
          areaCode: located.buurt.code,
          division: located.buurt.division,
          gemeenteCode: located.buurt.gemeente?.code ?? null,
          pc6: located.pc6,
          lon: located.lon,
          lat: located.lat,
          locationSource: located.source,
          note,
          userId: actor.userId,
          organisationId: actor.organisationId,
        },
      });
    }
    const fresh = await insertObservations(
      this.db,
      rows.map((r) => r.row),
    );
    // The first of a repeated id in the batch is the stored one; the others are duplicates.
    const claimed = new Set<string>();
    let stored = 0;
    let duplicates = 0;
    for (const { index, row } of rows) {
      const isNew = fresh.has(row.id) && !claimed.has(row.id);
      claimed.add(row.id);
      results[index] = { id: row.id, status: isNew ? "stored" : "duplicate", areaCode: row.areaCode };
      if (isNew) {
        stored++;
        this.markPending(row, actor.userId);
      } else duplicates++;
    }
    if (stored > 0) this.schedule();
    const all = results as SyncItemResult[];
    return {
      results: all,
      stored,
      duplicates,
      rejected: all.filter((r) => r.status === "rejected").length,
      confirmedFindings: [...confirmed],
    };
  }

  private markPending(row: ObservationRow, actor: string): void {
    let keys = this.pending.get(row.division);
    if (!keys) this.pending.set(row.division, (keys = new Set()));
    const date = this.dates.of(row.observedAt.getTime());
    const week = isoWeekOf(date);
    const month = monthOf(date);
    for (const c of [row.category, "totaal"]) {
      keys.add(`${observationIndicatorId(c, "week")}\u001f${week}`);
      keys.add(`${observationIndicatorId(c, "maand")}\u001f${month}`);
    }
    this.pendingActors.add(actor);
  }

  /** Debounced: the rewrite starts `syncDebounceMs` after the first sync that stored something. */
  private schedule(): void {
    if (this.timer || this.closing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, this.settings.syncDebounceMs);
    this.timer.unref();
  }

  /** Queues one rewrite of everything pending (never two at once: a chain). */
  private kick(): void {
    this.chain = this.chain.then(async () => {
      if (this.pending.size === 0) return;
      const work = [...this.pending];
      const actor = [...this.pendingActors][0] ?? "wijkradar";
      this.pending.clear();
      this.pendingActors.clear();
      for (const [division, touched] of work) {
        try {
          await this.rewrite(division, {
            actor,
            touched,
            detect: this.settings.detectAfterSync && !this.closing,
          });
        } catch (e) {
          this.log(`rewriting the observation counts of division ${division} failed`, e);
        }
      }
    });
  }

  /** Runs the pending rewrite (and its detection run) now and waits for it: tests and shutdown. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.size > 0) this.kick();
    await this.chain;
  }

  /** Finishes pending rewrites (without starting detection runs); call before closing the database. */
  async close(): Promise<void> {
    this.closing = true;
    await this.flush();
  }

  private indicatorMeta(
    category: FieldCategory | "totaal",
    frequency: "week" | "maand",
  ): IndicatorMeta & { id: string } {
    const per =
      frequency === "week" ? { nl: "per week", en: "per week" } : { nl: "per maand", en: "per month" };
    if (category === "totaal")
      return {
        id: observationIndicatorId("totaal", frequency),
        name: { nl: `Veldwaarnemingen, totaal ${per.nl}`, en: `Field observations, total ${per.en}` },
        definition: {
          nl: `Aantal waarnemingen over de openbare ruimte en woningen (alle categorieën behalve die over mensen) die veldwerkers in de buurt vastlegden, ${per.nl} (tijdzone ${this.settings.timeZone}).`,
          en: `Number of observations about public space and housing (every category except those about people) that field workers recorded in the area, ${per.en} (time zone ${this.settings.timeZone}).`,
        },
        unit: "aantal",
        domain: "physical-environment",
        polarity: "higher-is-worse",
        kind: "count",
        decimals: 0,
      };
    return {
      id: observationIndicatorId(category.id, frequency),
      name: {
        nl: `Veldwaarnemingen: ${category.label.nl.toLowerCase()} ${per.nl}`,
        en: `Field observations: ${category.label.en.toLowerCase()} ${per.en}`,
      },
      definition: {
        nl: `Aantal waarnemingen "${category.label.nl}" die veldwerkers in de buurt vastlegden, ${per.nl} (tijdzone ${this.settings.timeZone}).`,
        en: `Number of "${category.label.en}" observations that field workers recorded in the area, ${per.en} (time zone ${this.settings.timeZone}).`,
      },
      unit: "aantal",
      domain: category.domain,
      polarity: "higher-is-worse",
      kind: "count",
      decimals: 0,
    };
  }

  /** The division observations are placed in (undefined when there are no buurt boundaries). */
  async division(): Promise<number | undefined> {
    try {
      return (await this.loadBoundaries()).division;
    } catch (e) {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    }
  }

  /** The last `n` ISO weeks up to this one (field time zone), oldest first. */
  recentWeeks(n: number): string[] {
    const { date } = this.currentPeriods();
    const [y, m, d] = date.split("-").map(Number) as [number, number, number];
    const back = new Date(Date.UTC(y, m - 1, d) - (n - 1) * 7 * 86_400_000).toISOString().slice(0, 10);
    return weeksBetween(isoWeekOf(back), isoWeekOf(date));
  }

  /** Today's week and month in the field time zone. */
  currentPeriods(): { week: string; month: string; date: string } {
    const date = this.dates.of(this.clock());
    return { week: isoWeekOf(date), month: monthOf(date), date };
  }

  /**
   * Rewrites the count indicators of a division for every gemeente with observations: each buurt of
   * those gemeenten gets a value (zero when nothing was seen) for every week and month from the
   * category's first observation to now. Only slices that are new or hold new observations are
   * written, unless the set of gemeenten changed (then all of them). One delivery (one transaction),
   * then the caches are forgotten and, with `detect`, the count detectors run for these indicators.
   */
  async rewrite(
    division: number,
    options: {
      actor: string;
      detect: boolean;
      /** Slices (`indicator \u001f period`) with observations stored since the last rewrite. */
      touched?: ReadonlySet<string>;
      /** Every slice, whatever was written before. */
      full?: boolean;
    },
  ): Promise<{ slices: number; values: number; deliveryId: number | null }> {
    const counts = await hourlyCounts(this.db, division);
    const gemeenten = await observedGemeenten(this.db, division);
    if (counts.category.length === 0 || gemeenten.length === 0)
      return { slices: 0, values: 0, deliveryId: null };
    const now = this.currentPeriods();
    // Per indicator: counts per period and buurt, and the first period.
    const cells = new Map<string, Map<string, Map<string, number>>>();
    const first = new Map<string, string>();
    const add = (ind: string, period: string, area: string, n: number): void => {
      let byPeriod = cells.get(ind);
      if (!byPeriod) cells.set(ind, (byPeriod = new Map<string, Map<string, number>>()));
      let byArea = byPeriod.get(period);
      if (!byArea) byPeriod.set(period, (byArea = new Map<string, number>()));
      byArea.set(area, (byArea.get(area) ?? 0) + n);
      const f = first.get(ind);
      if (f === undefined || period < f) first.set(ind, period);
    };
    const categoriesSeen = new Set<string>();
    let observations = 0;
    for (let i = 0; i < counts.category.length; i++) {
      const category = counts.category[i]!;
      if (!this.categories.has(category)) continue;
      categoriesSeen.add(category);
      const date = this.dates.of(counts.hour[i]!);
      const week = isoWeekOf(date);
      const month = monthOf(date);
      const area = counts.areaCode[i]!;
      const n = counts.count[i]!;
      observations += n;
      add(observationIndicatorId(category, "week"), week, area, n);
      add(observationIndicatorId(category, "maand"), month, area, n);
      // Totals count reports about places only: with observations about people in them, a total
      // minus the (unsuppressed) place categories would give away a suppressed count about people.
      if (this.categories.get(category)!.aboutPeople) continue;
      add(observationIndicatorId("totaal", "week"), week, area, n);
      add(observationIndicatorId("totaal", "maand"), month, area, n);
    }
    const metas = [
      ...[...categoriesSeen].sort().flatMap((c) => {
        const cat = this.categories.get(c)!;
        return [this.indicatorMeta(cat, "week"), this.indicatorMeta(cat, "maand")];
      }),
      this.indicatorMeta("totaal", "week"),
      this.indicatorMeta("totaal", "maand"),
    ];
    const ids = metas.map((m) => m.id);
    const written = await writtenObservationSlices(this.db, division, ids);
    const sameGemeenten =
      written.gemeenten.size === gemeenten.length && gemeenten.every((g) => written.gemeenten.has(g));
    const full = options.full || !sameGemeenten;
    // Slices to write: missing ones (a new category, a new week), and those that got observations
    // since the last rewrite (a late observation may belong to an old week).
    const slices: { id: string; period: string }[] = [];
    for (const id of ids) {
      const firstPeriod = first.get(id);
      if (firstPeriod === undefined) continue;
      const weekly = id.endsWith("_week");
      const last = weekly ? now.week : now.month;
      const periods =
        firstPeriod > last
          ? [firstPeriod]
          : weekly
            ? weeksBetween(firstPeriod, last)
            : monthsBetween(firstPeriod, last);
      for (const period of periods) {
        const key = `${id}\u001f${period}`;
        if (full || !written.slices.has(key) || options.touched?.has(key)) slices.push({ id, period });
      }
    }
    if (slices.length === 0) return { slices: 0, values: 0, deliveryId: null };
    const buurten = await buurtenOfGemeenten(this.db, division, gemeenten);
    const values = new Map<
      string,
      {
        areaCodes: string[];
        levels: AreaLevel[];
        periods: string[];
        values: number[];
        numerators: number[];
        denominators: number[];
      }
    >();
    for (const { id, period } of slices) {
      let cols = values.get(id);
      if (!cols)
        values.set(
          id,
          (cols = { areaCodes: [], levels: [], periods: [], values: [], numerators: [], denominators: [] }),
        );
      const byArea = cells.get(id)?.get(period);
      for (const b of buurten) {
        cols.areaCodes.push(b.code);
        cols.levels.push("buurt");
        cols.periods.push(period);
        cols.values.push(byArea?.get(b.code) ?? 0);
        cols.numerators.push(NaN);
        cols.denominators.push(NaN);
      }
    }
    // A boundary division of buurten and wijken only: the gemeente is registered here (no boundary,
    // no parent: a land total of one gemeente would pass for a national reference).
    const areas = (await unregisteredGemeenten(this.db, division, gemeenten)).map((g) => ({
      code: g.code,
      level: "gemeente" as const,
      name: g.name,
      parentCode: null,
      geometry: null,
    }));
    // Two sources: reports about places (counts released without a minimum frequency) and
    // observations about people (disclosure control as for any count about people).
    const aboutPeople = new Set(
      [...this.categories.values()]
        .filter((c) => c.aboutPeople)
        .flatMap((c) => [observationIndicatorId(c.id, "week"), observationIndicatorId(c.id, "maand")]),
    );
    let deliveryId: number | null = null;
    for (const source of [OBSERVATION_SOURCE, OBSERVATION_PEOPLE_SOURCE]) {
      const people = source === OBSERVATION_PEOPLE_SOURCE;
      const part = new Map([...values].filter(([id]) => aboutPeople.has(id) === people));
      if (part.size === 0) continue;
      const partSlices = slices.filter((s) => part.has(s.id));
      const periods = [...new Set(partSlices.map((s) => s.period))].sort();
      const digest = createHash("sha256")
        .update(JSON.stringify([...part].map(([id, c]) => [id, c.areaCodes, c.periods, c.values])))
        .digest("hex");
      const result = await writeDelivery(this.db, {
        source,
        fileName: `${source.id}-${division}`,
        fileSha256: digest,
        mappingSha256: "observations",
        division,
        rows: observations,
        // The gemeenten are registered once, with the first delivery.
        areas: deliveryId === null ? areas : [],
        // Names come with the areas; borrowing names compares every division with every other.
        deferNames: true,
        indicators: metas.filter((m) => part.has(m.id)),
        values: part,
        periods,
        report: { observations, slices: partSlices.length, gemeenten, full },
      });
      deliveryId ??= result.deliveryId;
    }
    this.ownDelivery = areas.length === 0;
    try {
      this.cube.invalidate();
    } finally {
      this.ownDelivery = false;
    }
    let valueCount = 0;
    for (const c of values.values()) valueCount += c.values.length;
    if (options.detect)
      await this.detection
        .run({ trigger: "observations", actor: options.actor, indicators: ids, divisions: [division] })
        .catch((e: unknown) => this.log("detection run after observations failed", e));
    return { slices: slices.length, values: valueCount, deliveryId };
  }
}

/**
 * The source of the count indicators of reports about places (dumping, litter, vandalism…): not
 * open (need to know applies), but its counts are not about people, so they pass without a minimum
 * frequency (core `disclosureExempt`): one report of dumping in a buurt this week is worth seeing.
 */
export const OBSERVATION_SOURCE: Source = {
  id: OBSERVATION_SOURCE_ID,
  name: "Veldwaarnemingen (wijkradar)",
  publisher: "Gemeente (veldwerkers)",
  attribution: "Bron: veldwaarnemingen gemeente (wijkradar)",
  licence: "niet open: alleen voor wie toegang heeft",
  open: false,
  personal: false,
};

/** The source of observations about people (a sign of loneliness…): counts get disclosure control. */
export const OBSERVATION_PEOPLE_SOURCE: Source = {
  id: `${OBSERVATION_SOURCE_ID}-personen`,
  name: "Veldwaarnemingen over mensen (wijkradar)",
  publisher: "Gemeente (veldwerkers)",
  attribution: "Bron: veldwaarnemingen gemeente (wijkradar)",
  licence: "niet open: alleen voor wie toegang heeft",
  open: false,
  personal: true,
};

function kindText(kind: NoteFindingKind): string {
  return { bsn: "BSN", phone: "phone number", email: "e-mail address", name: "name" }[kind];
}
