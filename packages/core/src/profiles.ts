/**
 * Profiles: a named, documented combination of conditions over microdata at a reference date
 * ("65+ AND living alone AND low income → risk of loneliness"). A profile yields counts per area
 * only — never a record, a pseudonym or a list of people. Every profile is documented in Dutch and
 * English (the SyRI lesson: no secret indicators) and serves one pseudonymisation key purpose, which
 * all of its sources must share.
 *
 * Pure: the definition contract (zod), its validation with field paths, the near-identical profiles
 * disclosure control must compare with, and the date arithmetic of age conditions.
 */
import { HOUSEHOLD_TYPES } from "./microdata.js";
import { z } from "zod";
import { DOMAINS, LocalisedText, POLARITIES, type Domain, type Polarity } from "./catalogue.js";

export type HouseholdType = (typeof HOUSEHOLD_TYPES)[number];

export const SEXES = ["M", "V"] as const;
export type Sex = (typeof SEXES)[number];

/** Profile ids and key purposes: lower-case letters, digits and "-", 2 to 63 characters. */
export const PROFILE_ID_PATTERN = /^[a-z][a-z0-9-]{1,62}$/;

/** Fact names as the microdata importer stores them: `schuldhulp`, `uitkering:bijstand`. */
export const FACT_NAME_PATTERN = /^[a-z][a-z0-9_-]*(?::[a-z0-9_-]+)*$/;

/** The smallest minimum cell frequency a profile may ask for: it can only make rules stricter. */
export const PROFILE_MIN_K = 10;

/** How deep `not` may nest (`{ not: { not: … } }` is legal but pointless beyond this). */
export const MAX_NOT_DEPTH = 3;

export interface Range {
  readonly min?: number;
  readonly max?: number;
}

export type Condition =
  | { readonly age: Range }
  | { readonly sex: Sex }
  | { readonly household: { readonly size?: Range; readonly type?: readonly HouseholdType[] } }
  | {
      readonly fact: string | readonly string[];
      /** Look-back window in days: the fact holds on at least one of the `within` days ending at the date. */
      readonly within?: number;
      /** Only facts with an amount of at least this. */
      readonly minAmount?: number;
    }
  | { readonly not: Condition };

export interface ProfileDefinition {
  readonly id: string;
  readonly name: { readonly nl: string; readonly en: string };
  readonly description: { readonly nl: string; readonly en: string };
  readonly domain: Domain;
  /** Whether a higher share is unfavourable (tested by early warning) or neutral (not tested). */
  readonly polarity: Polarity;
  readonly purpose: string;
  /** The relevant population (the denominator of the share); empty: every resident. */
  readonly population: readonly Condition[];
  /** All must hold (AND); at least one in a saved definition. */
  readonly conditions: readonly Condition[];
  readonly sdc?: { readonly k?: number };
}

const wholeNumber = (what: string, min: number, max: number) =>
  z
    .number({ error: `expected ${what}: a whole number ${min}–${max}` })
    .int({ error: `expected ${what}: a whole number ${min}–${max}` })
    .min(min, { error: `expected ${what}: a whole number ${min}–${max}` })
    .max(max, { error: `expected ${what}: a whole number ${min}–${max}` });

const rangeOf = (what: string, min: number, max: number) =>
  z
    .object({ min: wholeNumber(what, min, max).optional(), max: wholeNumber(what, min, max).optional() })
    .strict()
    .refine((r) => r.min !== undefined || r.max !== undefined, { error: "expected min and/or max" })
    .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, {
      error: "expected min ≤ max",
    });

const FactName = z
  .string({ error: "expected a fact name such as uitkering:bijstand" })
  .max(80, { error: "expected a fact name of at most 80 characters" })
  .regex(FACT_NAME_PATTERN, {
    error:
      "expected a fact name: lower-case letters, digits, _ and -, parts separated by : (uitkering:bijstand)",
  });

const CONDITION_KEYS = ["age", "sex", "household", "fact", "not"] as const;

/**
 * One condition. Written as one object with optional keys (not a union) so that every error names
 * the field it is about (`conditions[1].age.min`) instead of "no union member matched".
 */
export const ConditionSchema: z.ZodType<Condition> = z.lazy(
  () =>
    z
      .object({
        age: rangeOf("an age in whole years", 0, 130)
          .optional()
          .describe("age in whole years at the reference date, min and/or max inclusive"),
        sex: z.enum(SEXES, { error: "expected M or V" }).optional(),
        household: z
          .object({
            size: rangeOf("a household size", 1, 30).optional(),
            type: z
              .array(z.enum(HOUSEHOLD_TYPES, { error: `expected one of ${HOUSEHOLD_TYPES.join(", ")}` }))
              .min(1, { error: "expected at least one household type" })
              .optional(),
          })
          .strict()
          .refine((h) => h.size !== undefined || h.type !== undefined, {
            error: "expected size and/or type",
          })
          .optional(),
        fact: z
          .union([FactName, z.array(FactName).min(1, { error: "expected at least one fact name" })], {
            error: "expected a fact name or a list of fact names (any of them)",
          })
          .optional()
          .describe("a fact name, or a list of which any one suffices"),
        within: wholeNumber("a look-back window in days", 1, 3660)
          .optional()
          .describe("with fact: the fact held on at least one of the last `within` days up to the date"),
        minAmount: z
          .number({ error: "expected a number" })
          .refine(Number.isFinite, { error: "expected a finite number" })
          .optional()
          .describe("with fact: only facts with an amount of at least this"),
        not: ConditionSchema.optional().describe("negation of a condition"),
      })
      .strict()
      .superRefine((c, ctx) => {
        const keys = CONDITION_KEYS.filter((k) => c[k] !== undefined);
        if (keys.length !== 1)
          ctx.addIssue({
            code: "custom",
            message:
              keys.length === 0
                ? `expected exactly one of ${CONDITION_KEYS.join(", ")}`
                : `expected exactly one of ${CONDITION_KEYS.join(", ")}, got ${keys.join(" and ")}`,
          });
        for (const k of ["within", "minAmount"] as const)
          if (c[k] !== undefined && c.fact === undefined)
            ctx.addIssue({ code: "custom", path: [k], message: `${k} belongs to a fact condition` });
      }) as unknown as z.ZodType<Condition>,
);

export const ProfileDefinitionSchema = z
  .object({
    id: z.string({ error: "expected a profile id" }).regex(PROFILE_ID_PATTERN, {
      error:
        "expected a profile id: a lower-case letter, then lower-case letters, digits and - (2 to 63 characters)",
    }),
    name: LocalisedText,
    description: LocalisedText.describe(
      "what the profile counts and why, in Dutch and English: profiles are documented (transparency)",
    ),
    domain: z.enum(DOMAINS, { error: `expected one of ${DOMAINS.join(", ")}` }),
    polarity: z
      .enum(POLARITIES, { error: `expected one of ${POLARITIES.join(", ")}` })
      .default("higher-is-worse")
      .describe(
        "whether a higher share is unfavourable (early warning tests it) or neutral (planning figures, not tested)",
      ),
    purpose: z
      .string({ error: "expected the pseudonymisation key purpose" })
      .regex(PROFILE_ID_PATTERN, {
        error: "expected a key purpose: lower-case letters, digits and - (2 to 63 characters)",
      })
      .describe("the pseudonymisation key purpose that all of the profile's sources share"),
    population: z
      .array(ConditionSchema)
      .max(10, { error: "expected at most 10 population conditions" })
      .default([])
      .describe("the relevant population (denominator); empty: all residents"),
    conditions: z
      .array(ConditionSchema)
      .min(1, { error: "expected at least one condition" })
      .max(10, { error: "expected at most 10 conditions" })
      .describe("conditions that must all hold (AND)"),
    sdc: z
      .object({
        k: wholeNumber("a minimum cell frequency", PROFILE_MIN_K, 1000)
          .optional()
          .describe(`minimum cell frequency; only stricter than the default (≥ ${PROFILE_MIN_K})`),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ProfileValidation =
  | { readonly ok: true; readonly definition: ProfileDefinition }
  | { readonly ok: false; readonly errors: readonly string[] };

/** `conditions[1].age.min` from zod's path `["conditions", 1, "age", "min"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || "(definition)";
}

function notDepth(c: Condition): number {
  return "not" in c ? 1 + notDepth(c.not) : 0;
}

/**
 * Validates a profile definition; every error names its field: `conditions[1].age.min: expected …`.
 *
 * @example validateProfileDefinition(yaml.parse(text))
 */
export function validateProfileDefinition(input: unknown): ProfileValidation {
  const parsed = ProfileDefinitionSchema.safeParse(input);
  if (!parsed.success)
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`),
    };
  const def = parsed.data as ProfileDefinition;
  const errors: string[] = [];
  (["population", "conditions"] as const).forEach((list) =>
    def[list].forEach((c, i) => {
      if (notDepth(c) > MAX_NOT_DEPTH)
        errors.push(`${list}[${i}]: expected "not" nested at most ${MAX_NOT_DEPTH} deep`);
    }),
  );
  return errors.length ? { ok: false, errors } : { ok: true, definition: def };
}

/** The fact names a condition list refers to (inside `not` too), sorted, without duplicates. */
export function factsOf(conditions: readonly Condition[]): string[] {
  const out = new Set<string>();
  const visit = (c: Condition): void => {
    if ("fact" in c) for (const f of typeof c.fact === "string" ? [c.fact] : c.fact) out.add(f);
    else if ("not" in c) visit(c.not);
  };
  conditions.forEach(visit);
  return [...out].sort();
}

/** Every fact name of a profile (population and conditions). */
export function profileFacts(def: Pick<ProfileDefinition, "population" | "conditions">): string[] {
  return factsOf([...def.population, ...def.conditions]);
}

/** A profile that differs from another by one dropped condition. */
export interface NearProfile {
  /** Which condition was dropped: `conditions[2]` or `population[0]`. */
  readonly dropped: string;
  readonly population: readonly Condition[];
  /** May be empty (the near profile of a one-condition profile counts the whole population). */
  readonly conditions: readonly Condition[];
}

const within = (inner: Range | undefined, outer: Range | undefined): boolean =>
  outer === undefined ||
  (inner !== undefined &&
    (outer.min === undefined || (inner.min !== undefined && inner.min >= outer.min)) &&
    (outer.max === undefined || (inner.max !== undefined && inner.max <= outer.max)));

/**
 * Whether condition `a` implies condition `b` for every person (a conservative check: age and
 * household ranges and type lists, equal sexes; anything else only when identical).
 *
 * @example implies({ age: { min: 65 } }, { age: { min: 18 } }) // true
 */
export function implies(a: Condition, b: Condition): boolean {
  if ("age" in a && "age" in b) return within(a.age, b.age);
  if ("sex" in a && "sex" in b) return a.sex === b.sex;
  if ("household" in a && "household" in b) {
    const typesOk =
      b.household.type === undefined ||
      (a.household.type !== undefined && a.household.type.every((t) => b.household.type!.includes(t)));
    return typesOk && within(a.household.size, b.household.size);
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The profiles that drop one condition each — of the conditions and of the population (a condition
 * that occurs twice is no difference and is not dropped). Publishing
 * both a profile and one of these would let anyone subtract the two: disclosure control must treat
 * the difference like a cell (PRIVACY.md, complementary suppression between near-identical profiles).
 *
 * @example nearProfiles({ population: [], conditions: [a, b] }) // drops b, then a
 */
export function nearProfiles(def: Pick<ProfileDefinition, "population" | "conditions">): NearProfile[] {
  const without = <T>(list: readonly T[], i: number): T[] => list.filter((_, j) => j !== i);
  const all = [...def.population, ...def.conditions];
  // Dropping a condition that another one implies (65+ in the population and the conditions; 18+ in
  // the population with 65+ among the conditions) leaves the same profile: its difference is 0 by
  // definition, not a small group — no near profile, nothing to subtract.
  const redundantAt = (i: number): boolean => {
    const key = JSON.stringify(all[i]);
    return all.some((other, j) => j !== i && (JSON.stringify(other) === key || implies(other, all[i]!)));
  };
  const offset = def.population.length;
  return [
    ...def.conditions.flatMap((_c, i) =>
      redundantAt(offset + i)
        ? []
        : [
            {
              dropped: `conditions[${i}]`,
              population: def.population,
              conditions: without(def.conditions, i),
            },
          ],
    ),
    ...def.population.flatMap((_c, i) =>
      redundantAt(i)
        ? []
        : [
            {
              dropped: `population[${i}]`,
              population: without(def.population, i),
              conditions: def.conditions,
            },
          ],
    ),
  ];
}

/** A calendar date `YYYY-MM-DD` (proleptic Gregorian, no time zone). */
export const ISO_DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysIn = (y: number, m: number): number =>
  m === 2 ? (isLeap(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** Whether `s` is a real calendar date in `YYYY-MM-DD` form. */
export function isIsoDate(s: string): boolean {
  const m = ISO_DATE_PATTERN.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return y >= 1 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysIn(y, mo);
}

/**
 * The date `years` years before `date`; 29 February becomes 28 February in a common year.
 *
 * @example yearsBefore("2024-02-29", 1) // "2023-02-28"
 */
export function yearsBefore(date: string, years: number): string {
  const m = ISO_DATE_PATTERN.exec(date);
  if (!m) throw new RangeError(`expected a date YYYY-MM-DD, got ${date}`);
  const y = Number(m[1]) - years;
  const mo = Number(m[2]);
  const d = Math.min(Number(m[3]), daysIn(y, mo));
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
}

/**
 * Age in whole years at `date` of someone born on `birth` (a birthday on 29 February counts from
 * 1 March in common years).
 */
export function ageAt(birth: string, date: string): number {
  const [by, bm, bd] = birth.split("-").map(Number) as [number, number, number];
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

/**
 * Birth dates that give an age within `range` at `date`, as a half-open interval:
 * `bornAfter < birth ≤ bornOnOrBefore` (either bound absent: open). Lets the store compare dates
 * instead of computing every resident's age.
 *
 * @example ageBirthBounds({ min: 65 }, "2024-01-01") // { bornOnOrBefore: "1959-01-01" }
 */
export function ageBirthBounds(
  range: Range,
  date: string,
): { readonly bornOnOrBefore?: string; readonly bornAfter?: string } {
  return {
    ...(range.min !== undefined ? { bornOnOrBefore: yearsBefore(date, range.min) } : {}),
    ...(range.max !== undefined ? { bornAfter: yearsBefore(date, range.max + 1) } : {}),
  };
}

/** The date `days` days before `date` (for look-back windows). */
export function daysBefore(date: string, days: number): string {
  const m = ISO_DATE_PATTERN.exec(date);
  if (!m) throw new RangeError(`expected a date YYYY-MM-DD, got ${date}`);
  let [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3]) - days];
  while (d < 1) {
    mo -= 1;
    if (mo < 1) {
      mo = 12;
      y -= 1;
    }
    d += daysIn(y, mo);
  }
  return `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
}

/** A short human reading of a condition, for listings: `age 65–`, `not fact schuldhulp`. */
export function describeCondition(c: Condition): string {
  const range = (r: Range): string => `${r.min ?? ""}–${r.max ?? ""}`;
  if ("age" in c) return `age ${range(c.age)}`;
  if ("sex" in c) return `sex ${c.sex}`;
  if ("household" in c)
    return [
      "household",
      c.household.size ? `size ${range(c.household.size)}` : "",
      c.household.type ? `type ${c.household.type.join("|")}` : "",
    ]
      .filter(Boolean)
      .join(" ");
  if ("fact" in c)
    return [
      `fact ${typeof c.fact === "string" ? c.fact : c.fact.join("|")}`,
      c.within !== undefined ? `within ${c.within} days` : "",
      c.minAmount !== undefined ? `amount ≥ ${c.minAmount}` : "",
    ]
      .filter(Boolean)
      .join(" ");
  return `not (${describeCondition(c.not)})`;
}
