/**
 * Contracts of the microdata vault: the source registry entry (who delivers what, on which legal
 * basis, for which purpose, under which DPIA, kept how long, pseudonymised with which key) and the
 * mapping that says how a delivered file (CSV or Parquet) becomes pseudonymised records. Pure: the
 * server reads files and keys; here are only the shapes, their validation and value parsing.
 */
import { z } from "zod";

export const RECORD_LEVELS = ["person", "household", "address"] as const;
export type RecordLevel = (typeof RECORD_LEVELS)[number];

/** The subject a fact is about: a person, household or address (by pseudonym), or only a PC6. */
export const FACT_SUBJECTS = ["person", "household", "address", "pc6"] as const;
export type FactSubject = (typeof FACT_SUBJECTS)[number];

/** BRP-style sex codes (M, V, O = onbekend). */
export const SEX_CODES = ["M", "V", "O"] as const;
export const HOUSEHOLD_TYPES = ["alleenstaand", "paar", "paar_met_kinderen", "eenouder", "overig"] as const;

const ID = /^[a-z][a-z0-9-]{1,62}$/;
const PURPOSE = ID;
const nonEmpty = (what: string) =>
  z
    .string({ error: `expected ${what}` })
    .trim()
    .min(1, `expected ${what}`);

/** One registered microdata source. Every field is required: an import for a source without them is refused. */
export const SourceRegistrationSchema = z
  .object({
    id: z.string().regex(ID, "expected an id: lower-case letters, digits and - (2 to 63 characters)"),
    name: nonEmpty("the source's name"),
    organisation: nonEmpty("the delivering organisation"),
    legalBasis: nonEmpty("the legal basis (e.g. 'Wet BRP art. 3.8; AVG art. 6 lid 1 sub e')"),
    purpose: nonEmpty("the purpose the data serve"),
    dpiaReference: nonEmpty("the reference of the DPIA that covers this source"),
    retentionMonths: z
      .number({ error: "expected the retention period in whole months" })
      .int("expected the retention period in whole months")
      .min(1, "expected at least 1 month")
      .max(1200, "expected at most 1200 months"),
    keyPurpose: z
      .string({ error: "expected the pseudonymisation key purpose" })
      .regex(PURPOSE, "expected a key purpose: lower-case letters, digits and - (2 to 63 characters)"),
    recordLevel: z.enum(RECORD_LEVELS, { error: `expected one of ${RECORD_LEVELS.join(", ")}` }),
    synthetic: z.boolean({ error: "expected true or false" }).default(false),
    description: z.string().optional(),
  })
  .strict();
export type SourceRegistration = z.output<typeof SourceRegistrationSchema>;

const column = z.string().trim().min(1, "expected a column name");

const Validity = z.union([
  z.object({ from: column, to: column.optional() }).strict(),
  z.object({ at: column }).strict(),
]);

const FactName = z.union([
  z
    .object({ name: z.string().regex(/^[a-z][a-z0-9_:-]{0,62}$/, "expected a fact name such as schuldhulp") })
    .strict(),
  z
    .object({
      prefix: z.string().regex(/^[a-z][a-z0-9_-]{0,40}:$/, "expected a prefix such as 'uitkering:'"),
      column,
      values: z
        .array(z.string().regex(/^[a-z0-9_-]{1,40}$/, "expected lower-case codes"))
        .min(1)
        .optional(),
    })
    .strict(),
]);

const Identifiers = z
  .object({ person: column.optional(), household: column.optional(), address: column.optional() })
  .strict();

const Common = {
  version: z.literal(1, { error: "expected version: 1" }),
  kind: z.literal("microdata", { error: "expected kind: microdata" }),
  source: z.string().regex(ID, "expected a registered source id"),
  format: z.enum(["csv", "parquet"]).optional(),
  csv: z
    .object({ delimiter: z.string().length(1).optional(), header: z.literal(true).optional() })
    .strict()
    .optional(),
  identifiers: Identifiers.default({}),
  validity: Validity,
  /** How a delivery combines with earlier ones of the same source: replace them (a full extract) or add. */
  mode: z.enum(["replace", "append"]).default("replace"),
  /** Columns deliberately not imported (not screened). */
  ignore: z.array(column).default([]),
  /** Share of rows that may be rejected (skipped and reported) before the whole import is refused. */
  maxRejected: z.number().min(0).max(1).default(0),
};

export const RegisterMappingSchema = z
  .object({
    ...Common,
    record: z.literal("register"),
    fields: z
      .object({
        pc6: column,
        birthDate: column,
        sex: column.optional(),
        householdSize: column.optional(),
        householdType: column.optional(),
      })
      .strict(),
  })
  .strict()
  .refine((m) => m.identifiers.person !== undefined, {
    message: "a register needs identifiers.person (the BSN column)",
    path: ["identifiers", "person"],
  });

export const FactMappingSchema = z
  .object({
    ...Common,
    record: z.literal("fact"),
    subject: z.enum(FACT_SUBJECTS),
    fact: FactName,
    amount: column.optional(),
    fields: z.object({ pc6: column.optional() }).strict().default({}),
    /** Address facts whose address is empty count for their PC6 (e.g. nuisance reported at a street). */
    fallbackToPc6: z.boolean().default(false),
  })
  .strict()
  .refine((m) => m.subject === "pc6" || m.identifiers[m.subject] !== undefined, {
    message: "the subject needs its identifier column (identifiers.<subject>)",
    path: ["identifiers"],
  })
  .refine((m) => (m.subject !== "pc6" && !m.fallbackToPc6) || m.fields.pc6 !== undefined, {
    message: "facts about a PC6 (or falling back to one) need fields.pc6",
    path: ["fields", "pc6"],
  });

export const MicrodataMappingSchema = z.discriminatedUnion("record", [
  RegisterMappingSchema,
  FactMappingSchema,
]);
export type MicrodataMapping = z.output<typeof MicrodataMappingSchema>;
export type RegisterMapping = z.output<typeof RegisterMappingSchema>;
export type FactMapping = z.output<typeof FactMappingSchema>;

/** Every column a mapping reads (identifiers, fields, validity, fact, amount), without duplicates. */
export function mappedColumns(m: MicrodataMapping): string[] {
  const cols: (string | undefined)[] = [
    m.identifiers.person,
    m.identifiers.household,
    m.identifiers.address,
    ...Object.values(m.fields),
    "at" in m.validity ? m.validity.at : m.validity.from,
    "at" in m.validity ? undefined : m.validity.to,
  ];
  if (m.record === "fact") {
    if ("column" in m.fact) cols.push(m.fact.column);
    cols.push(m.amount);
  }
  return [...new Set(cols.filter((c): c is string => c !== undefined))];
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const daysInMonth = (y: number, m: number): number =>
  m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;

/**
 * Days since 1970-01-01 of an ISO date (YYYY-MM-DD, also the date part of a timestamp), or undefined
 * for anything else, including impossible dates such as 2023-02-29.
 *
 * @example isoDateToDays("1970-01-02") // 1
 */
export function isoDateToDays(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?$/.exec(text.trim());
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || y < 1850 || y > 2200) return undefined;
  return daysFromCivil(y, mo, d);
}

/** The ISO date of a day number (H. Hinnant's civil_from_days). */
export function daysToIsoDate(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/**
 * A postcode as PC6 (1312AB; "1312 ab" accepted), or undefined.
 *
 * @example normalisePc6(" 1312 ab") // "1312AB"
 */
export function normalisePc6(text: string): string | undefined {
  const m = /^([1-9]\d{3})\s?([A-Za-z]{2})$/.exec(text.trim());
  if (!m) return undefined;
  const letters = m[2]!.toUpperCase();
  // PostNL never issues SA, SD and SS.
  if (letters === "SA" || letters === "SD" || letters === "SS") return undefined;
  return `${m[1]}${letters}`;
}
