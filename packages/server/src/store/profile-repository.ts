/**
 * Profiles in the store: their definitions, and the one query that counts a profile per PC6 at a
 * reference date from the microdata vault. What leaves here are counts per PC6 and cell keys (the
 * fractional part of the sum of the persons' record keys) — never a person, a pseudonym or a list.
 * Everything the caller gives (dates, fact names, codes) is bound as a parameter.
 */
import {
  ageBirthBounds,
  daysBefore,
  nearProfiles,
  ProfileDefinitionSchema,
  profileFacts,
  type Condition,
  type ProfileDefinition,
} from "@wijkradar/core";
import type { Database, SqlParam } from "./database.js";

export interface ProfileRecord {
  readonly definition: ProfileDefinition;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
}

interface RawProfile {
  definition: string;
  created_at: string;
  created_by: string;
  updated_at: string;
}

const PROFILE_SELECT = `SELECT definition, strftime(created_at, '%Y-%m-%dT%H:%M:%SZ') AS created_at, created_by,
  strftime(updated_at, '%Y-%m-%dT%H:%M:%SZ') AS updated_at FROM profiles`;

const toRecord = (r: RawProfile): ProfileRecord => ({
  // Parsed again: definitions stored before a field existed get its default (e.g. polarity).
  definition: ProfileDefinitionSchema.parse(JSON.parse(r.definition)),
  createdAt: r.created_at,
  createdBy: r.created_by,
  updatedAt: r.updated_at,
});

/** Creates or replaces a (validated) definition; says which. */
export async function saveProfile(
  db: Database,
  def: ProfileDefinition,
  by: string,
): Promise<"created" | "replaced"> {
  return db.transaction(async (ex) => {
    const existing = await ex.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM profiles WHERE id = ?", [
      def.id,
    ]);
    if ((existing[0]?.n ?? 0) > 0) {
      await ex.run("UPDATE profiles SET definition = ?, updated_at = now()::TIMESTAMP WHERE id = ?", [
        JSON.stringify(def),
        def.id,
      ]);
      return "replaced";
    }
    await ex.run("INSERT INTO profiles VALUES (?, ?, now()::TIMESTAMP, ?, now()::TIMESTAMP)", [
      def.id,
      JSON.stringify(def),
      by,
    ]);
    return "created";
  });
}

export async function listProfiles(db: Database): Promise<ProfileRecord[]> {
  return (await db.read((ex) => ex.all<RawProfile>(`${PROFILE_SELECT} ORDER BY id`))).map(toRecord);
}

export async function getProfile(db: Database, id: string): Promise<ProfileRecord | undefined> {
  const rows = await db.read((ex) => ex.all<RawProfile>(`${PROFILE_SELECT} WHERE id = ?`, [id]));
  return rows[0] ? toRecord(rows[0]) : undefined;
}

export type SubjectKind = "person" | "household" | "address" | "pc6";

/** Which sources hold which facts, about which kind of subject; which sources hold register rows. */
export interface VaultCatalogue {
  readonly sources: ReadonlyMap<
    string,
    {
      readonly id: string;
      readonly name: string;
      readonly organisation: string;
      readonly keyPurpose: string;
      readonly synthetic: boolean;
    }
  >;
  /** Register (person) sources per key purpose. */
  readonly registers: ReadonlyMap<string, readonly string[]>;
  /** fact → its (source, subject kind) pairs. */
  readonly facts: ReadonlyMap<string, readonly { readonly sourceId: string; readonly kind: SubjectKind }[]>;
}

export async function vaultCatalogue(db: Database): Promise<VaultCatalogue> {
  return db.read(async (ex) => {
    const sources = await ex.all<{
      id: string;
      name: string;
      organisation: string;
      key_purpose: string;
      synthetic: boolean;
    }>("SELECT id, name, organisation, key_purpose, synthetic FROM vault_sources ORDER BY id");
    const registers = await ex.all<{ source_id: string }>(
      "SELECT DISTINCT source_id FROM vault_persons ORDER BY source_id",
    );
    const facts = await ex.all<{ fact: string; source_id: string; subject_kind: SubjectKind }>(
      "SELECT DISTINCT fact, source_id, subject_kind FROM vault_facts ORDER BY fact, source_id, subject_kind",
    );
    const byId = new Map(
      sources.map((s) => [
        s.id,
        {
          id: s.id,
          name: s.name,
          organisation: s.organisation,
          keyPurpose: s.key_purpose,
          synthetic: s.synthetic,
        },
      ]),
    );
    const regs = new Map<string, string[]>();
    for (const r of registers) {
      const purpose = byId.get(r.source_id)?.keyPurpose;
      if (purpose !== undefined) (regs.get(purpose) ?? regs.set(purpose, []).get(purpose)!).push(r.source_id);
    }
    const factMap = new Map<string, { sourceId: string; kind: SubjectKind }[]>();
    for (const f of facts)
      (factMap.get(f.fact) ?? factMap.set(f.fact, []).get(f.fact)!).push({
        sourceId: f.source_id,
        kind: f.subject_kind,
      });
    return { sources: byId, registers: regs, facts: factMap };
  });
}

/**
 * The sources a profile counts from: the register sources of its key purpose and the sources of
 * its facts that share the purpose; and the facts held only by sources of another purpose (a
 * profile must refuse those: their pseudonyms cannot, and must not, be linked to its register).
 */
export function profileSources(
  catalogue: VaultCatalogue,
  def: Pick<ProfileDefinition, "purpose" | "population" | "conditions">,
): { readonly used: string[]; readonly foreign: { fact: string; sourceId: string; keyPurpose: string }[] } {
  const used = new Set(catalogue.registers.get(def.purpose) ?? []);
  const foreign: { fact: string; sourceId: string; keyPurpose: string }[] = [];
  for (const fact of profileFacts(def)) {
    const entries = (catalogue.facts.get(fact) ?? []).map((e) => ({
      sourceId: e.sourceId,
      keyPurpose: catalogue.sources.get(e.sourceId)?.keyPurpose ?? "(unregistered)",
    }));
    const own = entries.filter((e) => e.keyPurpose === def.purpose);
    for (const e of own) used.add(e.sourceId);
    if (own.length === 0)
      for (const e of entries)
        if (!foreign.some((f) => f.fact === fact && f.sourceId === e.sourceId)) foreign.push({ fact, ...e });
  }
  return { used: [...used].sort(), foreign };
}

/** One PC6 of a profile count. Keys are cell keys in [0, 1). */
export interface ProfilePc6Row {
  readonly pc6: string;
  /** The buurt of the PC6 in the lookup year used (null: the PC6 is not in the lookup). */
  readonly buurt: string | null;
  readonly wijk: string | null;
  readonly gemeente: string | null;
  readonly division: number | null;
  /** Every person registered at the date. */
  readonly residents: number;
  /** The relevant population. */
  readonly population: number;
  readonly count: number;
  /** Counts of the near-identical profiles, in the order of `nearProfiles(def)`. */
  readonly nearCounts: readonly number[];
  readonly residentsKey: number;
  readonly populationKey: number;
  readonly countKey: number;
}

/** Compiles conditions to SQL over the person row `p`; binds parameters in text order. */
class ConditionCompiler {
  readonly params: SqlParam[] = [];
  constructor(
    private readonly date: string,
    private readonly factSources: readonly string[],
    private readonly factKinds: ReadonlyMap<string, readonly SubjectKind[]>,
  ) {}

  private bind(v: SqlParam): string {
    this.params.push(v);
    return "?";
  }

  private list(values: readonly SqlParam[]): string {
    return values.map((v) => this.bind(v)).join(", ");
  }

  compile(c: Condition): string {
    if ("not" in c) return `(NOT ${this.compile(c.not)})`;
    // Every leaf is true or false, never NULL, so that NOT is the exact complement.
    return `coalesce(${this.leaf(c)}, false)`;
  }

  private leaf(c: Exclude<Condition, { not: Condition }>): string {
    if ("age" in c) {
      const b = ageBirthBounds(c.age, this.date);
      const parts = [
        b.bornOnOrBefore !== undefined ? `p.birth_date <= ${this.bind(b.bornOnOrBefore)}::DATE` : "",
        b.bornAfter !== undefined ? `p.birth_date > ${this.bind(b.bornAfter)}::DATE` : "",
      ].filter(Boolean);
      return `(${parts.join(" AND ")})`;
    }
    if ("sex" in c) return `(p.sex = ${this.bind(c.sex)})`;
    if ("household" in c) {
      const { size, type } = c.household;
      const parts: string[] = [];
      if (size?.min !== undefined) parts.push(`p.household_size >= ${this.bind(size.min)}`);
      if (size?.max !== undefined) parts.push(`p.household_size <= ${this.bind(size.max)}`);
      if (type) parts.push(`p.household_type IN (${this.list(type)})`);
      return `(${parts.join(" AND ")})`;
    }
    const facts = typeof c.fact === "string" ? [c.fact] : [...c.fact];
    const kinds = new Set(facts.flatMap((f) => this.factKinds.get(f) ?? []));
    if (kinds.size === 0) return "false"; // no such fact in the vault (yet): nobody has it
    // Valid on at least one of the `within` days ending at the date: from ≤ date, to > date − within + 1.
    const since = daysBefore(this.date, (c.within ?? 1) - 1);
    const semi = (kind: SubjectKind, column: string, subject: string): string =>
      `p.${column} IN (SELECT ${subject} FROM vault_facts WHERE subject_kind = '${kind}' AND fact IN (${this.list(facts)})
         AND source_id IN (${this.list(this.factSources)})
         AND valid_from <= ${this.bind(this.date)}::DATE AND (valid_to IS NULL OR valid_to > ${this.bind(since)}::DATE)${
           c.minAmount !== undefined ? ` AND amount >= ${this.bind(c.minAmount)}` : ""
         } AND ${subject} IS NOT NULL)`;
    const parts: string[] = [];
    // The kind names are our constants, never user text.
    if (kinds.has("person")) parts.push(semi("person", "person", "subject"));
    if (kinds.has("household")) parts.push(semi("household", "household", "subject"));
    if (kinds.has("address")) parts.push(semi("address", "address", "subject"));
    if (kinds.has("pc6")) parts.push(semi("pc6", "pc6", "pc6"));
    return `(${parts.join(" OR ")})`;
  }
}

/** fact → subject kinds, from the catalogue (only sources of the purpose count). */
export function factKindsFor(catalogue: VaultCatalogue, purpose: string): Map<string, SubjectKind[]> {
  const out = new Map<string, SubjectKind[]>();
  for (const [fact, entries] of catalogue.facts) {
    const kinds = [
      ...new Set(
        entries.filter((e) => catalogue.sources.get(e.sourceId)?.keyPurpose === purpose).map((e) => e.kind),
      ),
    ];
    if (kinds.length) out.set(fact, kinds);
  }
  return out;
}

/**
 * Counts a profile per PC6 at the reference date (`YYYY-MM-DD`), in one pass over the register:
 * residents, relevant population, the profile's count and the count of every near-identical
 * profile, with cell keys. PC6s map to buurten by the newest lookup year ≤ the date's year (else the
 * oldest). With `gemeente`, only PC6s whose buurt lies in that gemeente.
 */
export async function countProfile(
  db: Database,
  def: Pick<ProfileDefinition, "purpose" | "population" | "conditions">,
  referenceDate: string,
  gemeente?: string,
  catalogue?: VaultCatalogue,
): Promise<ProfilePc6Row[]> {
  const cat = catalogue ?? (await vaultCatalogue(db));
  const year = Number(referenceDate.slice(0, 4));
  // Sources of the purpose, bound as values (a filter the scan can apply, no join).
  const ofPurpose = [...cat.sources.values()].filter((s) => s.keyPurpose === def.purpose).map((s) => s.id);
  const registers = cat.registers.get(def.purpose) ?? [];
  const compiler = new ConditionCompiler(referenceDate, ofPurpose, factKindsFor(cat, def.purpose));

  // One boolean column per distinct condition; the profile and its near profiles are ANDs of them.
  const columns: string[] = [];
  const indexOf = new Map<string, number>();
  const columnOf = (c: Condition): number => {
    const key = JSON.stringify(c);
    let i = indexOf.get(key);
    if (i === undefined) {
      i = columns.length;
      columns.push(compiler.compile(c));
      indexOf.set(key, i);
    }
    return i;
  };
  const and = (conds: readonly Condition[]): string =>
    conds.length ? [...new Set(conds.map((c) => `c${columnOf(c)}`))].sort().join(" AND ") : "true";
  const population = and(def.population);
  const profile = and([...def.population, ...def.conditions]);
  const near = nearProfiles(def).map((n) => and([...n.population, ...n.conditions]));
  const conditionParams = compiler.params;

  const params: SqlParam[] = [year, year];
  const gemeenteFilter =
    gemeente === undefined
      ? ""
      : `AND p.pc6 IN (SELECT lk.pc6 FROM lookup lk LEFT JOIN areas a ON a.code = lk.buurt_code AND a.division = lk.division
           WHERE coalesce(a.gemeente_code, 'GM' || substr(lk.buurt_code, 3, 4)) = ?)`;
  // Sums as DOUBLE: exact for integers below 2^53 (2 million persons of one PC6), and far cheaper
  // than DuckDB's HUGEINT sums.
  const key = (filter: string): string =>
    `coalesce(fmod(sum(record_key::DOUBLE) FILTER (WHERE ${filter}), 4294967296), 0) / 4294967296`;
  const sql = `
    WITH lookup AS (
      SELECT pc6, buurt_code, division FROM vault_pc6_areas
      QUALIFY row_number() OVER (
        PARTITION BY pc6 ORDER BY (year <= ?) DESC, CASE WHEN year <= ? THEN -year ELSE year END) = 1
    ),
    persons AS (
      SELECT p.pc6, p.record_key${columns.map((c, i) => `,\n        ${c} AS c${i}`).join("")}
      FROM vault_persons p
      WHERE ${registers.length ? `p.source_id IN (${registers.map(() => "?").join(", ")})` : "false"}
        AND p.valid_from <= ?::DATE AND (p.valid_to IS NULL OR p.valid_to > ?::DATE)
        ${gemeenteFilter}
    ),
    counted AS (
      SELECT pc6, count(*)::INTEGER AS residents,
             count(*) FILTER (WHERE ${population})::INTEGER AS population,
             count(*) FILTER (WHERE ${profile})::INTEGER AS count,
             ${near.map((n, i) => `count(*) FILTER (WHERE ${n})::INTEGER AS near_${i},`).join("\n             ")}
             ${key("true")} AS residents_key,
             ${key(population)} AS population_key,
             ${key(profile)} AS count_key
      FROM persons GROUP BY pc6
    )
    SELECT c.*, lk.buurt_code AS buurt, lk.division::INTEGER AS division
    FROM counted c
    LEFT JOIN lookup lk ON lk.pc6 = c.pc6
    ORDER BY c.pc6`;
  // Text order: lookup (year ×2), then the persons CTE: columns, purpose, date ×2, gemeente.
  params.push(...conditionParams, ...registers, referenceDate, referenceDate);
  if (gemeente !== undefined) params.push(gemeente);
  // Column by column: at national scale (~430k PC6) per-row objects cost as much as the query.
  const c = await db.read((ex) => ex.columns(sql, params));
  // Wijk and gemeente per buurt once (a few thousand buurten), not per PC6 row.
  const parents = new Map(
    (
      await db.read((ex) =>
        ex.all<{ key: string; wijk: string | null; gemeente: string | null }>(
          "SELECT code || '|' || division AS key, parent_code AS wijk, gemeente_code AS gemeente FROM areas WHERE level = 'buurt'",
        ),
      )
    ).map((r) => [r.key, r]),
  );
  const col = <T>(name: string): T[] => (c[name] ?? []) as T[];
  const [pc6s, buurten, divisions] = [
    col<string>("pc6"),
    col<string | null>("buurt"),
    col<number | null>("division"),
  ];
  const [residents, populations, counts] = [
    col<number>("residents"),
    col<number>("population"),
    col<number>("count"),
  ];
  const nears = near.map((_, i) => col<number | null>(`near_${i}`));
  const [residentsKeys, populationKeys, countKeys] = [
    col<number>("residents_key"),
    col<number>("population_key"),
    col<number>("count_key"),
  ];
  const out: ProfilePc6Row[] = new Array<ProfilePc6Row>(pc6s.length);
  for (let i = 0; i < pc6s.length; i++) {
    const buurt = buurten[i]!;
    // A buurt code unknown to the areas (e.g. synthetic buurten) takes the wijk and gemeente its code implies.
    const known = buurt === null ? undefined : parents.get(`${buurt}|${divisions[i]}`);
    out[i] = {
      pc6: pc6s[i]!,
      buurt,
      wijk: buurt === null ? null : (known?.wijk ?? `WK${buurt.slice(2, 8)}`),
      gemeente: buurt === null ? null : (known?.gemeente ?? `GM${buurt.slice(2, 6)}`),
      division: divisions[i]!,
      residents: residents[i]!,
      population: populations[i]!,
      count: counts[i]!,
      nearCounts: nears.map((n) => n[i] ?? 0),
      residentsKey: residentsKeys[i]!,
      populationKey: populationKeys[i]!,
      countKey: countKeys[i]!,
    };
  }
  return out;
}

/**
 * Years Y whose 1 January has register rows of the purpose (the periods of a profile as a map
 * layer), up to `untilYear`.
 */
export async function registerYears(db: Database, purpose: string, untilYear: number): Promise<number[]> {
  const rows = await db.read((ex) =>
    ex.all<{ y: number }>(
      `WITH src AS (SELECT id FROM vault_sources WHERE key_purpose = ?),
            span AS (SELECT min(year(valid_from)) AS lo, max(year(coalesce(valid_to, make_date(?, 12, 31)))) AS hi
                     FROM vault_persons WHERE source_id IN (SELECT id FROM src))
       SELECT y::INTEGER AS y FROM span, range(span.lo, least(span.hi, ?) + 1) t(y)
       WHERE EXISTS (SELECT 1 FROM vault_persons p WHERE p.source_id IN (SELECT id FROM src)
                     AND p.valid_from <= make_date(y::INTEGER, 1, 1)
                     AND (p.valid_to IS NULL OR p.valid_to > make_date(y::INTEGER, 1, 1)))
       ORDER BY y`,
      [purpose, untilYear, untilYear],
    ),
  );
  return rows.map((r) => r.y);
}

/** Names of areas by code in a division (the nearest name when that division has none). */
export async function areaNames(
  db: Database,
  codes: readonly string[],
  division: number | null,
): Promise<Map<string, string>> {
  if (codes.length === 0) return new Map();
  const rows = await db.read((ex) =>
    ex.all<{ code: string; name: string }>(
      `SELECT code, arg_min(name, abs(division - coalesce(?, division))) AS name
       FROM areas WHERE code IN (SELECT unnest(string_split(?, ','))) AND name IS NOT NULL GROUP BY code`,
      // Area codes never hold a comma (levelOfCode forms): one bound string, split in SQL.
      [division, codes.filter((c) => !c.includes(",")).join(",")],
    ),
  );
  return new Map(rows.map((r) => [r.code, r.name]));
}
