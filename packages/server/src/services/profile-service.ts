/**
 * Profiles as the API and the CLI use them: definitions (save with checks, list, show), and the
 * figures of a profile at a level — counted per PC6 in the vault, aggregated to pc4, buurt, wijk and
 * gemeente, disclosure-controlled as ONE table per gemeente (all levels and their relations, whatever
 * the request's scope, so the same cell gets the same number by every path: T-SDC-5), then released
 * through the release function.
 *
 * A PC4 can cross a gemeente border: in the table of a gemeente, a PC4 cell is the part of that PC4
 * inside the gemeente (its PC6s there), so the gemeente = Σ pc4 relation holds.
 */
import {
  DEFAULT_SDC_RULES,
  gemeenteOfCode,
  levelOfCode,
  nearProfiles,
  protectTable,
  sdcRules,
  validateProfileDefinition,
  type AreaLevel,
  type ProfileDefinition,
  type ProtectedCell,
  type SdcCell,
  type SdcRelation,
  type SdcRules,
} from "@wijkradar/core";
import { InputError, NotFoundError } from "../errors.js";
import type {
  ProfileFigureInput,
  ProfileReleaseResult,
  ReleasedView,
  Releaser,
  RequestContext,
} from "../release/release-service.js";
import type { DisclosureSettings } from "../config.js";
import { SUPPRESSION_WORDS } from "../release/release-service.js";
import type { Database } from "../store/database.js";
import {
  areaNames,
  countProfile,
  getProfile,
  listProfiles,
  profileSources,
  registerYears,
  saveProfile,
  vaultCatalogue,
  type ProfilePc6Row,
  type ProfileRecord,
  type VaultCatalogue,
} from "../store/profile-repository.js";

/** Levels a profile is released at. */
export const PROFILE_LEVELS = ["gemeente", "wijk", "buurt", "pc4", "pc6"] as const;
export type ProfileLevel = (typeof PROFILE_LEVELS)[number];

/** The attribution of figures from synthetic sources only. */
export const SYNTHETIC_ATTRIBUTION = "Synthetische gegevens (wijkradar)";

export interface ProfileValuesRequest {
  readonly id: string;
  readonly level: ProfileLevel;
  readonly parent?: string;
  /** Reference date `YYYY-MM-DD`. */
  readonly date: string;
}

/** One cell of a gemeente's table, with its place in the hierarchy. */
interface TableCell {
  readonly id: string;
  readonly code: string;
  readonly level: ProfileLevel;
  /** Codes this cell lies under (pc6: pc4, buurt, wijk, gemeente; buurt: wijk, gemeente; …). */
  readonly under: readonly string[];
  /** The reference parent: pc6 → pc4, pc4 → gemeente, buurt → wijk, wijk → gemeente. */
  readonly parent: string | null;
  readonly raw: SdcCell;
}

/** The protected table of one gemeente for one profile and date. */
export interface GemeenteTable {
  readonly gemeente: string;
  readonly division: number | null;
  readonly cells: ReadonlyMap<string, TableCell>;
  readonly protected: ReadonlyMap<string, ProtectedCell>;
}

const cellId = (level: ProfileLevel, code: string): string => `${level}:${code}`;

/**
 * Builds the disclosure-control table of one gemeente from its PC6 rows: cells of every level and
 * the relations pc4 = Σ pc6, buurt = Σ pc6, wijk = Σ buurten, gemeente = Σ wijken = Σ pc4.
 * Cell keys add up modulo 1 (the fractional part of a sum of record keys).
 */
export function buildGemeenteTable(
  gemeente: string,
  rows: readonly ProfilePc6Row[],
): { cells: Map<string, TableCell>; relations: SdcRelation[] } {
  // Sums accumulate in mutable records (one per cell) and become cells once at the end: at national
  // scale (~430k PC6) creating a new cell object per addition cost a third of the whole request.
  interface Acc {
    readonly id: string;
    readonly code: string;
    readonly level: ProfileLevel;
    readonly under: string[];
    readonly parent: string | null;
    count: number;
    population: number;
    areaPopulation: number;
    countKey: number;
    populationKey: number;
    readonly nearCounts: number[];
    readonly parts: string[];
  }
  const acc = new Map<string, Acc>();
  const frac = (x: number): number => x - Math.floor(x);
  const add = (
    level: ProfileLevel,
    code: string,
    under: string[],
    parent: string | null,
    r: {
      count: number;
      population: number;
      areaPopulation: number;
      countKey: number;
      populationKey: number;
      nearCounts: readonly number[];
    },
    partId?: string,
  ): Acc => {
    const id = cellId(level, code);
    let a = acc.get(id);
    if (!a) {
      a = {
        id,
        code,
        level,
        under,
        parent,
        count: 0,
        population: 0,
        areaPopulation: 0,
        countKey: 0,
        populationKey: 0,
        nearCounts: r.nearCounts.map(() => 0),
        parts: [],
      };
      acc.set(id, a);
    }
    a.count += r.count;
    a.population += r.population;
    a.areaPopulation += r.areaPopulation;
    a.countKey = frac(a.countKey + r.countKey);
    a.populationKey = frac(a.populationKey + r.populationKey);
    for (let i = 0; i < r.nearCounts.length; i++) a.nearCounts[i] = (a.nearCounts[i] ?? 0) + r.nearCounts[i]!;
    if (partId !== undefined) a.parts.push(partId);
    return a;
  };
  const wijken = new Map<string, Acc>();
  for (const r of rows) {
    if (!r.buurt || !r.wijk) continue;
    const pc4 = r.pc6.slice(0, 4);
    const figures = {
      count: r.count,
      population: r.population,
      areaPopulation: r.residents,
      countKey: r.countKey,
      populationKey: r.populationKey,
      nearCounts: r.nearCounts,
    };
    const pc6 = add("pc6", r.pc6, [pc4, r.buurt, r.wijk, gemeente], pc4, figures);
    add("pc4", pc4, [gemeente], gemeente, figures, pc6.id);
    const buurt = add("buurt", r.buurt, [r.wijk, gemeente], r.wijk, figures);
    if (buurt.parts.length === 0 || buurt.parts[buurt.parts.length - 1] !== pc6.id) buurt.parts.push(pc6.id);
    const wijk = add("wijk", r.wijk, [gemeente], gemeente, figures);
    if (!wijk.parts.includes(buurt.id)) wijk.parts.push(buurt.id);
    wijken.set(wijk.id, wijk);
    add("gemeente", gemeente, [], null, figures);
  }
  const g = acc.get(cellId("gemeente", gemeente));
  if (g) g.parts.push(...wijken.keys());
  const cells = new Map<string, TableCell>();
  const relations: SdcRelation[] = [];
  const pc4s: string[] = [];
  for (const a of acc.values()) {
    const raw: SdcCell = {
      id: a.id,
      count: a.count,
      population: a.population,
      areaPopulation: a.areaPopulation,
      countKey: a.countKey,
      populationKey: a.populationKey,
      nearCounts: a.nearCounts,
    };
    cells.set(a.id, { id: a.id, code: a.code, level: a.level, under: a.under, parent: a.parent, raw });
    if (a.parts.length) relations.push({ total: a.id, parts: [...new Set(a.parts)] });
    if (a.level === "pc4") pc4s.push(a.id);
  }
  // The gemeente is also the sum of its PC4 parts.
  if (pc4s.length) relations.push({ total: cellId("gemeente", gemeente), parts: pc4s });
  return { cells, relations };
}

export class ProfileService {
  private catalogue: Promise<VaultCatalogue> | undefined;
  private profiles: Promise<Map<string, ProfileRecord>> | undefined;
  private readonly cache = new Map<string, Promise<GemeenteTable>>();
  private readonly years = new Map<string, Promise<number[]>>();

  constructor(
    private readonly db: Database,
    private readonly releaser: Releaser,
    /** Today's date (UTC) — the server's clock, injected for tests. */
    private readonly today: () => string = () => new Date().toISOString().slice(0, 10),
    /** The installation's disclosure-control settings (config `disclosure`). */
    private readonly disclosure: DisclosureSettings = {},
  ) {}

  /** Forgets every cached count and table: call after any change to the vault or the profiles. */
  invalidate(): void {
    this.catalogue = undefined;
    this.profiles = undefined;
    this.cache.clear();
    this.years.clear();
  }

  todayUtc(): string {
    return this.today();
  }

  private vault(): Promise<VaultCatalogue> {
    this.catalogue ??= vaultCatalogue(this.db);
    this.catalogue.catch(() => (this.catalogue = undefined));
    return this.catalogue;
  }

  async list(): Promise<ProfileRecord[]> {
    this.profiles ??= listProfiles(this.db).then((l) => new Map(l.map((p) => [p.definition.id, p])));
    this.profiles.catch(() => (this.profiles = undefined));
    return [...(await this.profiles).values()];
  }

  async get(id: string): Promise<ProfileRecord> {
    const found = (await this.list()).find((p) => p.definition.id === id) ?? (await getProfile(this.db, id));
    if (!found) throw new NotFoundError(`profile ${id} is not known; GET /api/profiles lists them`);
    return found;
  }

  /** Whether all of a profile's sources are synthetic (no sources at all counts as not synthetic). */
  async synthetic(def: ProfileDefinition): Promise<boolean> {
    const cat = await this.vault();
    const { used } = profileSources(cat, def);
    return used.length > 0 && used.every((id) => cat.sources.get(id)?.synthetic === true);
  }

  /** Source attribution: "Synthetische gegevens (wijkradar)" when all sources are synthetic. */
  async attribution(def: ProfileDefinition) {
    const cat = await this.vault();
    const { used } = profileSources(cat, def);
    const synthetic = used.length > 0 && used.every((id) => cat.sources.get(id)?.synthetic === true);
    const names = used.map((id) => cat.sources.get(id)).filter((s) => s !== undefined);
    return {
      synthetic,
      attribution: synthetic
        ? SYNTHETIC_ATTRIBUTION
        : `Bron: ${[...new Set(names.map((s) => s.organisation))].join(", ") || "microdata"}`,
      sources: names.map((s) => ({
        id: s.id,
        name: s.name,
        organisation: s.organisation,
        synthetic: s.synthetic,
      })),
    };
  }

  /**
   * Validates and saves a definition (create or replace). Refuses facts held by sources of another
   * key purpose (their pseudonyms cannot be linked, and must not be), naming them.
   */
  async save(
    input: unknown,
    by: string,
  ): Promise<{ status: "created" | "replaced"; definition: ProfileDefinition }> {
    const v = validateProfileDefinition(input);
    if (!v.ok) throw new InputError("the profile definition is not valid", v.errors);
    const def = v.definition;
    const { foreign } = profileSources(await this.vault(), def);
    if (foreign.length)
      throw new InputError(
        `the profile's purpose is ${def.purpose}, but some of its facts come from sources of another key purpose`,
        foreign.map(
          (f) => `fact ${f.fact}: source ${f.sourceId} has key purpose ${f.keyPurpose}, not ${def.purpose}`,
        ),
      );
    const status = await saveProfile(this.db, def, by);
    this.invalidate();
    return { status, definition: def };
  }

  /**
   * The SDC rules of a profile: the installation's settings (else the defaults), with k made
   * stricter — never looser — by its domain's setting and by the profile itself.
   */
  rulesOf(def: ProfileDefinition): SdcRules {
    const d = this.disclosure;
    const baseK = d.k ?? DEFAULT_SDC_RULES.k;
    const k = Math.max(baseK, d.domains?.[def.domain] ?? 0, def.sdc?.k ?? 0);
    return sdcRules({
      k,
      ...(d.minPopulation === undefined ? {} : { minPopulation: d.minPopulation }),
      protectionLevel: Math.max(d.protectionLevel ?? k, k),
      ...(d.dominance ? { dominance: d.dominance } : {}),
      ...(d.pPercent === undefined ? {} : { pPercent: d.pPercent }),
      ...(d.maxNoise === undefined ? {} : { perturbation: { maxNoise: d.maxNoise } }),
    });
  }

  /** The protected tables of the given gemeenten (all gemeenten with data: `undefined`). */
  async tables(
    def: ProfileDefinition,
    date: string,
    gemeenten?: readonly string[],
  ): Promise<GemeenteTable[]> {
    const key = (g: string) => `${def.id}|${JSON.stringify(def)}|${date}|${g}`;
    // Any reference date may be asked for: keep the cache bounded (tables are rebuilt on demand).
    if (this.cache.size > 5000) this.cache.clear();
    const missing = gemeenten === undefined ? undefined : gemeenten.filter((g) => !this.cache.has(key(g)));
    if (missing === undefined || missing.length > 3) {
      // Count the whole vault once and split it per gemeente: the same tables as per gemeente.
      const allKey = key("*");
      let all = this.cache.get(allKey) as Promise<unknown> | undefined;
      if (!all) {
        const counting = this.countAll(def, date, (g, t) => this.cache.set(key(g), t));
        this.cache.set(allKey, counting as unknown as Promise<GemeenteTable>);
        counting.catch(() => this.cache.delete(allKey));
        all = counting;
      }
      const list = (await all) as string[];
      const wanted = gemeenten ?? list;
      return Promise.all(wanted.filter((g) => this.cache.has(key(g))).map((g) => this.cache.get(key(g))!));
    }
    for (const g of missing) {
      const t = this.countGemeente(def, date, g);
      this.cache.set(key(g), t);
      t.catch(() => this.cache.delete(key(g)));
    }
    return Promise.all(gemeenten!.map((g) => this.cache.get(key(g))!));
  }

  private async countAll(
    def: ProfileDefinition,
    date: string,
    put: (gemeente: string, table: Promise<GemeenteTable>) => void,
  ): Promise<string[]> {
    const rows = await countProfile(this.db, def, date, undefined, await this.vault());
    const byGemeente = new Map<string, ProfilePc6Row[]>();
    for (const r of rows)
      if (r.gemeente) (byGemeente.get(r.gemeente) ?? byGemeente.set(r.gemeente, []).get(r.gemeente)!).push(r);
    for (const [g, list] of byGemeente) put(g, Promise.resolve(this.protect(def, g, list)));
    return [...byGemeente.keys()].sort();
  }

  private async countGemeente(
    def: ProfileDefinition,
    date: string,
    gemeente: string,
  ): Promise<GemeenteTable> {
    const rows = await countProfile(this.db, def, date, gemeente, await this.vault());
    return this.protect(
      def,
      gemeente,
      rows.filter((r) => r.gemeente === gemeente),
    );
  }

  private protect(def: ProfileDefinition, gemeente: string, rows: readonly ProfilePc6Row[]): GemeenteTable {
    const { cells, relations } = buildGemeenteTable(gemeente, rows);
    const prot = protectTable({ cells: [...cells.values()].map((c) => c.raw), relations }, this.rulesOf(def));
    const divisions = new Map<number, number>();
    for (const r of rows)
      if (r.division !== null) divisions.set(r.division, (divisions.get(r.division) ?? 0) + 1);
    const division = [...divisions].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
    return { gemeente, division, cells, protected: prot };
  }

  /** The gemeenten a request needs: the parent's, or all. */
  private gemeentenFor(parent: string | undefined): string[] | undefined {
    if (!parent) return undefined;
    const g = gemeenteOfCode(parent);
    return g ? [g] : undefined; // pc4/pc6 parents: all (a postcode has no gemeente in its code)
  }

  /** Figures of one profile at a level (under a parent), ready for the release function. */
  private async figures(
    def: ProfileDefinition,
    level: ProfileLevel,
    parent: string | undefined,
    date: string,
  ): Promise<{ figures: ProfileFigureInput[]; division: number | null }> {
    const tables = await this.tables(def, date, this.gemeentenFor(parent));
    const out: Omit<ProfileFigureInput, "name">[] = [];
    const divisions = new Set<number>();
    for (const t of tables) {
      for (const c of t.cells.values()) {
        if (c.level !== level) continue;
        if (parent !== undefined && !c.under.includes(parent)) continue;
        const ref = (code: string | null) => {
          if (code === null) return null;
          const refLevel = levelOfCode(code) as ProfileLevel | undefined;
          const cell = refLevel ? t.protected.get(cellId(refLevel, code)) : undefined;
          return refLevel && cell ? { code, level: refLevel as AreaLevel, cell } : null;
        };
        out.push({
          code: c.code,
          level: c.level,
          gemeenteCode: t.gemeente,
          cell: t.protected.get(c.id)!,
          parent: ref(c.parent),
          gemeente: level === "gemeente" ? null : ref(t.gemeente),
        });
      }
      if (t.division !== null) divisions.add(t.division);
    }
    if (out.length === 0)
      throw new NotFoundError(
        `profile ${def.id} has no figures at level ${level}${parent ? ` under ${parent}` : ""} on ${date}` +
          (level === "pc4" && parent && levelOfCode(parent) !== "gemeente"
            ? "; a pc4 lies under a gemeente only"
            : ""),
      );
    const division = divisions.size ? Math.max(...divisions) : null;
    const names = await areaNames(this.db, [...new Set(out.map((f) => f.code))], division);
    out.sort((a, b) =>
      a.code < b.code ? -1 : a.code > b.code ? 1 : a.gemeenteCode < b.gemeenteCode ? -1 : 1,
    );
    return { figures: out.map((f) => ({ ...f, name: names.get(f.code) ?? null })), division };
  }

  /** GET /api/profiles/{id}/values (and `wijkradar profile counts`), released as a cached view. */
  async valuesView(
    ctx: RequestContext,
    req: ProfileValuesRequest,
    action = "profile-values",
  ): Promise<ReleasedView> {
    const { definition: def } = await this.get(req.id);
    const object = `profile:${def.id} date:${req.date} level:${req.level}${req.parent ? ` parent:${req.parent}` : ""}`;
    const rules = this.rulesOf(def);
    return this.releaser.releaseProfile(
      ctx,
      action,
      object,
      async () => {
        const { figures, division } = await this.figures(def, req.level, req.parent, req.date);
        const source = await this.attribution(def);
        return {
          subject: {
            indicatorId: `profile:${def.id}`,
            domain: def.domain,
            synthetic: source.synthetic,
            perturbed: rules.perturbation.maxNoise > 0,
          },
          figures,
          context: { def, division, source },
        };
      },
      (r, c) => shapeProfileValues(c.def, req, c.division, rules, c.source, r),
    );
  }

  /** The access policy's view of a profile (`profile:<id>`): its domain, never open, synthetic or not. */
  async subjectOf(id: string) {
    const { definition: def } = await this.get(id.replace(/^profile:/, ""));
    const source = await this.attribution(def);
    return {
      indicatorId: `profile:${def.id}`,
      domain: def.domain,
      sourceOpen: false,
      synthetic: source.synthetic,
    };
  }

  /** The years whose 1 January has register data of the profile's purpose (its map periods). */
  registerYears(def: ProfileDefinition): Promise<number[]> {
    let y = this.years.get(def.purpose);
    if (!y) {
      y = registerYears(this.db, def.purpose, Number(this.today().slice(0, 4)));
      this.years.set(def.purpose, y);
      y.catch(() => this.years.delete(def.purpose));
    }
    return y;
  }

  /** A profile as a pseudo-indicator of the catalogue (`profile:<id>`, percentage, 1 January values). */
  async describeAsIndicator(rec: ProfileRecord) {
    const def = rec.definition;
    const periods = (await this.registerYears(def)).map(String);
    const source = await this.attribution(def);
    return {
      id: `profile:${def.id}`,
      name: def.name,
      definition: def.description,
      unit: "%",
      domain: def.domain,
      polarity: def.polarity,
      kind: "percentage" as const,
      decimals: 1,
      periods,
      levels: [...PROFILE_LEVELS],
      periodsByLevel: Object.fromEntries(PROFILE_LEVELS.map((l) => [l, periods])),
      source: {
        id: source.synthetic ? "wijkradar-synthetisch" : `profile:${def.id}`,
        name: source.synthetic ? SYNTHETIC_ATTRIBUTION : source.sources.map((s) => s.name).join(", "),
        attribution: source.attribution,
        licence: source.synthetic ? "synthetisch (geen personen)" : "niet open",
        url: null,
      },
    };
  }

  async pseudoIndicators() {
    return Promise.all((await this.list()).map((p) => this.describeAsIndicator(p)));
  }

  /**
   * GET /api/indicators/profile:<id>/values: the profile as a map layer, in the shape of indicator
   * values (value = share in %, numerator = count, denominator = population) — from the same
   * protected tables, so every path gives the same numbers.
   */
  async indicatorValuesView(
    ctx: RequestContext,
    req: { indicatorId: string; period?: string; level?: AreaLevel; parent?: string },
    action = "indicator-values",
  ): Promise<ReleasedView> {
    const id = req.indicatorId.replace(/^profile:/, "");
    const rec = await this.get(id);
    const def = rec.definition;
    const info = await this.describeAsIndicator(rec);
    const level = req.level ?? "buurt";
    if (!(PROFILE_LEVELS as readonly string[]).includes(level))
      throw new NotFoundError(
        `profile ${id} has no values at level ${level}; levels: ${PROFILE_LEVELS.join(", ")}`,
      );
    const period = req.period ?? info.periods[info.periods.length - 1];
    if (period === undefined || !/^\d{4}$/.test(period) || !info.periods.includes(period))
      throw new NotFoundError(
        `indicator ${req.indicatorId} has no values for period ${req.period ?? "(newest)"}; available: ${info.periods.join(", ") || "none"}`,
      );
    const date = `${period}-01-01`;
    const rules = this.rulesOf(def);
    const object = `indicator:${req.indicatorId} period:${period} level:${level}${req.parent ? ` parent:${req.parent}` : ""}`;
    return this.releaser.releaseProfile(
      ctx,
      action,
      object,
      async () => {
        const { figures, division } = await this.figures(def, level as ProfileLevel, req.parent, date);
        const source = await this.attribution(def);
        return {
          subject: {
            indicatorId: `profile:${def.id}`,
            domain: def.domain,
            synthetic: source.synthetic,
            perturbed: rules.perturbation.maxNoise > 0,
          },
          figures,
          context: { division },
        };
      },
      (r, c) => shapeAsIndicatorValues(info, period, level, c.division, req.parent ?? null, r),
    );
  }
}

const round = (x: number | null, decimals = 1): number | null =>
  x === null ? null : Math.round(x * 10 ** decimals) / 10 ** decimals;

export function describeProfile(rec: ProfileRecord) {
  const def = rec.definition;
  return {
    ...def,
    indicatorId: `profile:${def.id}`,
    createdAt: rec.createdAt,
    createdBy: rec.createdBy,
    updatedAt: rec.updatedAt,
  };
}

function shapeProfileValues(
  def: ProfileDefinition,
  req: ProfileValuesRequest,
  division: number | null,
  rules: SdcRules,
  source: Awaited<ReturnType<ProfileService["attribution"]>>,
  r: ProfileReleaseResult,
) {
  const ref = (x: ProfileReleaseResult["values"][number]["parent"]) =>
    x === null
      ? null
      : {
          code: x.code,
          status: x.status,
          ...(x.reason ? { reason: x.reason, reasonText: SUPPRESSION_WORDS[x.reason] } : {}),
          share: round(x.share),
        };
  return {
    profile: { id: def.id, name: def.name, description: def.description, domain: def.domain },
    referenceDate: req.date,
    level: req.level,
    parent: req.parent ?? null,
    division,
    rules: {
      k: rules.k,
      minPopulation: rules.minPopulation,
      groupDisclosure: rules.groupDisclosure,
      protectionLevel: rules.protectionLevel,
      nearProfiles: nearProfiles(def).length,
      perturbation: { method: "cell-key", maxNoise: rules.perturbation.maxNoise },
    },
    source: { attribution: source.attribution, synthetic: source.synthetic, sources: source.sources },
    released: r.released,
    suppressed: r.suppressed,
    denied: r.denied,
    ...(r.denied > 0 ? { deniedReason: r.deniedReason } : {}),
    values: r.values.map((v) => ({
      code: v.code,
      name: v.name,
      level: v.level,
      ...(v.level === "pc4" ? { gemeente: v.gemeenteCode } : {}),
      status: v.status,
      ...(v.reason ? { reason: v.reason, reasonText: SUPPRESSION_WORDS[v.reason] } : {}),
      count: v.count,
      population: v.population,
      share: round(v.share),
      perturbed: v.perturbed,
      parent: ref(v.parent),
      gemeenteReference: ref(v.gemeente),
    })),
  };
}

/** The JSON body of GET /api/profiles/{id}/values. */
export type ProfileValuesResponse = ReturnType<typeof shapeProfileValues>;

function shapeAsIndicatorValues(
  info: Awaited<ReturnType<ProfileService["describeAsIndicator"]>>,
  period: string,
  level: string,
  division: number | null,
  parent: string | null,
  r: ProfileReleaseResult,
) {
  const parents: Record<string, unknown> = {};
  for (const v of r.values)
    if (v.parent && !(v.parent.code in parents))
      parents[v.parent.code] =
        v.parent.status === "released"
          ? { status: "released", value: round(v.parent.share) }
          : { status: v.parent.status };
  return {
    indicator: info,
    source: info.source,
    period,
    level,
    division: division ?? Number(period),
    parent,
    references: { national: null, parents },
    released: r.released,
    suppressed: r.suppressed,
    denied: r.denied,
    ...(r.denied > 0 ? { deniedReason: r.deniedReason } : {}),
    values: r.values.map((v) => ({
      code: v.code,
      ...(v.name ? { name: v.name } : {}),
      status: v.status,
      ...(v.status === "released"
        ? { value: round(v.share), numerator: v.count!, denominator: v.population! }
        : { value: null }),
      ...(v.parent ? { parent: v.parent.code } : {}),
    })),
  };
}
