/**
 * The read side of the area cube as the API and the CLI use it: picks sensible defaults (latest
 * period, the division that has it), loads values and references from the store, and sends them
 * through the release function. Responses carry source attribution and period at every figure.
 */
import type { AreaLevel, FigureSubject } from "@wijkradar/core";
import { NotFoundError } from "../errors.js";
import type { ReleasedView, Releaser, ReleaseResult, RequestContext } from "../release/release-service.js";
import { listIndicators, type IndicatorRow } from "../store/catalogue-repository.js";
import type { Database } from "../store/database.js";
import { indicatorSlices, valuesForArea, valuesForIndicator, type Slice } from "../store/value-repository.js";
import { getArea } from "../store/area-repository.js";

export interface ValuesRequest {
  readonly indicatorId: string;
  readonly period?: string;
  readonly level?: AreaLevel;
  readonly parent?: string;
  readonly division?: number;
}

export interface ResolvedSlice {
  readonly period: string;
  readonly level: AreaLevel;
  readonly division: number;
}

/** Public attribution block for an indicator's source. */
export function attribution(ind: IndicatorRow) {
  return {
    id: ind.source.id,
    name: ind.source.name,
    attribution: ind.source.attribution,
    licence: ind.source.licence,
    url: ind.source.url,
  };
}

export function describeIndicator(ind: IndicatorRow) {
  return {
    id: ind.id,
    name: ind.name,
    definition: ind.definition,
    unit: ind.unit,
    domain: ind.domain,
    polarity: ind.polarity,
    kind: ind.kind,
    decimals: ind.decimals,
    periods: ind.periods,
    levels: ind.levels,
    periodsByLevel: ind.periodsByLevel,
    source: attribution(ind),
  };
}

export type IndicatorInfo = ReturnType<typeof describeIndicator>;

/**
 * Indicators that are no rows of the catalogue but are served like them (profiles as map layers:
 * `profile:<id>`); their values go through the release function of their own service.
 */
export interface PseudoIndicators {
  readonly prefix: string;
  list(): Promise<IndicatorInfo[]>;
  valuesView(ctx: RequestContext, req: ValuesRequest, action: string): Promise<ReleasedView>;
  /** What the access policy needs to know of one of them. */
  subjectOf(id: string): Promise<SubjectBase>;
}

/** A figure's subject without its area: what the access policy decides on. */
export type SubjectBase = Omit<FigureSubject, "areaCode" | "level">;

export class CubeService {
  private pseudo: PseudoIndicators | undefined;

  /** Serves ids starting with `provider.prefix` from another service (one provider). */
  usePseudoIndicators(provider: PseudoIndicators): void {
    this.pseudo = provider;
  }

  /** The whole catalogue as the API lists it: indicators, then pseudo-indicators (profiles). */
  async catalogueList(): Promise<IndicatorInfo[]> {
    const list = [...(await this.indicators()).values()].map(describeIndicator);
    return this.pseudo ? [...list, ...(await this.pseudo.list())] : list;
  }

  /** One entry of the catalogue (a pseudo-indicator too). */
  async describe(id: string): Promise<IndicatorInfo> {
    if (this.pseudo && id.startsWith(this.pseudo.prefix)) {
      const found = (await this.pseudo.list()).find((i) => i.id === id);
      if (!found)
        throw new NotFoundError(`indicator ${id} is not in the catalogue; GET /api/indicators lists them`);
      return found;
    }
    return describeIndicator(await this.indicator(id));
  }

  /** The access policy's view of an indicator or profile (404 when unknown). */
  async subjectOf(id: string): Promise<SubjectBase> {
    if (this.pseudo && id.startsWith(this.pseudo.prefix)) return this.pseudo.subjectOf(id);
    const ind = await this.indicator(id);
    return { indicatorId: ind.id, domain: ind.domain, sourceOpen: ind.source.open };
  }

  // In-memory copies of what every request needs, so a cached view costs no query at all.
  private catalogue: Promise<Map<string, IndicatorRow>> | undefined;
  private readonly slices = new Map<string, Promise<Slice[]>>();

  constructor(
    private readonly db: Database,
    private readonly releaser: Releaser,
  ) {}

  private readonly invalidationListeners: (() => void)[] = [];

  /** Forget cached catalogue and released views (after an import). */
  invalidate(): void {
    this.catalogue = undefined;
    this.slices.clear();
    this.releaser.invalidate();
    for (const listener of this.invalidationListeners) listener();
  }

  /** Other caches derived from the store (boundaries) register here to be cleared with it. */
  onInvalidate(listener: () => void): void {
    this.invalidationListeners.push(listener);
  }

  private slicesOf(indicatorId: string): Promise<Slice[]> {
    let slices = this.slices.get(indicatorId);
    if (!slices) {
      slices = indicatorSlices(this.db, indicatorId);
      this.slices.set(indicatorId, slices);
      slices.catch(() => this.slices.delete(indicatorId));
    }
    return slices;
  }

  indicators(): Promise<Map<string, IndicatorRow>> {
    this.catalogue ??= listIndicators(this.db).then((rows) => new Map(rows.map((r) => [r.id, r])));
    this.catalogue.catch(() => (this.catalogue = undefined));
    return this.catalogue;
  }

  async indicator(id: string): Promise<IndicatorRow> {
    const ind = (await this.indicators()).get(id);
    if (!ind)
      throw new NotFoundError(`indicator ${id} is not in the catalogue; GET /api/indicators lists them`);
    return ind;
  }

  /** Picks period, level and division: given ones must exist; missing ones default to the newest. */
  async resolveSlice(ind: IndicatorRow, req: ValuesRequest): Promise<ResolvedSlice> {
    const slices = await this.slicesOf(ind.id);
    const fits = (s: Slice): boolean =>
      (req.period === undefined || s.period === req.period) &&
      (req.level === undefined || s.level === req.level) &&
      (req.division === undefined || s.division === req.division);
    const level = req.level ?? finestCommonLevel(slices, req);
    const match = slices.filter((s) => fits(s) && s.level === level);
    const best = match[0];
    if (!best) {
      const available = [
        ...new Set(slices.map((s) => `${s.period}/${s.level}/division ${s.division}`)),
      ].slice(0, 30);
      const asked = [
        req.period && `period ${req.period}`,
        `level ${level ?? "?"}`,
        req.division && `division ${req.division}`,
      ]
        .filter(Boolean)
        .join(", ");
      throw new NotFoundError(
        `indicator ${ind.id} has no values for ${asked}; available (period/level/division): ${available.join(", ")}`,
      );
    }
    return { period: best.period, level: best.level, division: best.division };
  }

  /**
   * Values of one indicator at a level, released for this request, as a cached serialised view.
   * `action` names the request in the audit trail ("indicator-values" for the API, "export" for CSV).
   */
  async valuesView(
    ctx: RequestContext,
    req: ValuesRequest,
    action = "indicator-values",
  ): Promise<ReleasedView> {
    if (this.pseudo && req.indicatorId.startsWith(this.pseudo.prefix))
      return this.pseudo.valuesView(ctx, req, action);
    const ind = await this.indicator(req.indicatorId);
    const slice = await this.resolveSlice(ind, req);
    const object = `indicator:${ind.id} period:${slice.period} level:${slice.level} division:${slice.division}${req.parent ? ` parent:${req.parent}` : ""}`;
    return this.releaser.releaseView(
      ctx,
      action,
      object,
      async () => ({
        values: await valuesForIndicator(this.db, { indicatorId: ind.id, ...slice, parent: req.parent }),
        indicators: await this.indicators(),
      }),
      (r) => shapeValues(ind, slice, req.parent ?? null, r),
    );
  }

  /** Every indicator of one area with value, references and series over all periods. */
  async profileView(ctx: RequestContext, code: string): Promise<ReleasedView> {
    return this.releaser.releaseView(
      ctx,
      "area-profile",
      `area:${code}`,
      async () => {
        const area = await getArea(this.db, code);
        if (!area)
          throw new NotFoundError(
            `area ${code} is not known; GET /api/areas?q=… finds areas by name or code`,
          );
        return { area, values: await valuesForArea(this.db, code), indicators: await this.indicators() };
      },
      (r, loaded) => shapeProfile(loaded.area, r, loaded.indicators),
    );
  }
}

function finestCommonLevel(slices: readonly Slice[], req: ValuesRequest): AreaLevel | undefined {
  // Without a level: the level with the most values for the requested period (the map's natural level).
  const counts = new Map<AreaLevel, number>();
  for (const s of slices) {
    if (req.period !== undefined && s.period !== req.period) continue;
    counts.set(s.level, (counts.get(s.level) ?? 0) + s.count);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
}

const compact = <T extends Record<string, unknown>>(o: T): Partial<T> =>
  Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== null && v !== undefined && v !== false),
  ) as Partial<T>;

export function shapeValues(
  ind: IndicatorRow,
  slice: ResolvedSlice,
  parent: string | null,
  r: ReleaseResult,
) {
  // References are shared by many rows: sent once, keyed by code, to keep 13,808 buurten small.
  const parents: Record<string, unknown> = {};
  let national: unknown = null;
  for (const v of r.values) {
    if (v.parent && !(v.parent.code in parents))
      parents[v.parent.code] = compact({ ...v.parent, code: undefined });
    if (v.national && national === null) national = compact({ ...v.national });
  }
  return {
    indicator: describeIndicator(ind),
    source: attribution(ind),
    period: slice.period,
    level: slice.level,
    division: slice.division,
    parent,
    references: { national, parents },
    released: r.released,
    suppressed: r.suppressed,
    denied: r.denied,
    ...(r.denied > 0 ? { deniedReason: r.deniedReason } : {}),
    values: r.values.map((v) =>
      compact({
        code: v.code,
        name: v.name,
        // Set only when the name was borrowed from another division: it may not fit this area.
        nameDivision: v.nameDivision !== v.division ? v.nameDivision : null,
        status: v.status,
        value: v.value,
        numerator: v.numerator,
        denominator: v.denominator,
        derived: v.derived,
        parent: v.parent?.code,
      }),
    ),
  };
}

function shapeProfile(
  area: NonNullable<Awaited<ReturnType<typeof getArea>>>,
  r: ReleaseResult,
  catalogue: ReadonlyMap<string, IndicatorRow>,
) {
  const byIndicator = new Map<string, ReleaseResult["values"]>();
  for (const v of r.values) {
    const list = byIndicator.get(v.indicatorId) ?? [];
    list.push(v);
    byIndicator.set(v.indicatorId, list);
  }
  const entries = [...byIndicator].flatMap(([id, series]) => {
    const ind = catalogue.get(id);
    if (!ind) return [];
    const latest = series[series.length - 1]!;
    return [
      {
        indicator: describeIndicator(ind),
        source: attribution(ind),
        period: latest.period,
        division: latest.division,
        status: latest.status,
        value: latest.value,
        derived: latest.derived,
        parent: latest.parent,
        national: latest.national,
        series: series.map((s) =>
          compact({
            period: s.period,
            division: s.division,
            status: s.status,
            value: s.value,
            numerator: s.numerator,
            denominator: s.denominator,
            derived: s.derived,
            parent: s.parent?.value,
            national: s.national?.value,
          }),
        ),
      },
    ];
  });
  const domains: Record<string, typeof entries> = {};
  for (const e of entries) (domains[e.indicator.domain] ??= []).push(e);
  return {
    area: {
      code: area.code,
      name: area.name,
      level: area.level,
      division: area.division,
      parentCode: area.parentCode,
      divisions: area.divisions,
    },
    released: r.released,
    suppressed: r.suppressed,
    denied: r.denied,
    indicators: entries.length,
    domains,
  };
}

/** The JSON body of GET /api/indicators/{id}/values (and the input of the CSV export). */
export type ValuesResponse = ReturnType<typeof shapeValues>;
