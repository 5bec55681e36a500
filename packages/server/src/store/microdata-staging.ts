/**
 * Staging of a microdata delivery in a private in-memory DuckDB instance (no temp directory): the file
 * (CSV or Parquet) is read into memory, every value is validated and normalised in SQL, identifiers
 * are replaced by HMAC-SHA-256 pseudonyms in SQL (DuckDB's sha256 over the key's padded blocks,
 * RFC 2104; the key arrives as a bound parameter, never in SQL text), and only the finished,
 * pseudonymised rows stream out — as DuckDB data chunks the vault writer appends whole. Raw
 * identifiers stay inside this instance's memory and die with it.
 *
 * Row numbers follow the file: the delivery is materialised in file order and `rowid` is the
 * 0-based data row. Every conversion of a delivered value is a TRY_CAST: DuckDB does not promise to
 * short-circuit AND, and a failing CAST would both stop the import and quote the value.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBDataChunk } from "@duckdb/node-api";
import {
  HOUSEHOLD_TYPES,
  SEX_CODES,
  type FactMapping,
  type MicrodataMapping,
  type RegisterMapping,
} from "@wijkradar/core";
import { InputError } from "../errors.js";

export type TabularFormat = "csv" | "parquet";

export interface StagingOptions {
  readonly format: TabularFormat;
  /** CSV delimiter (default: DuckDB's sniffer decides). */
  readonly delimiter?: string;
}

/** The HMAC key of a purpose as its two padded 64-byte blocks (K ⊕ ipad, K ⊕ opad). */
export interface KeyBlocks {
  readonly inner: Buffer;
  readonly outer: Buffer;
}

export interface StagedProblem {
  /** 0-based data row of the file. */
  readonly row: number;
  readonly message: string;
}

/** Finished vault rows, in the column order of their table; opaque outside the store. */
export interface StagedRows {
  readonly table: "vault_persons" | "vault_facts";
  next(): Promise<DuckDBDataChunk | null>;
}

const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const lit = (text: string): string => `'${text.replace(/'/g, "''")}'`;

export class MicrodataStaging {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
    readonly columns: readonly string[],
    readonly rowCount: number,
  ) {}

  /** Reads the file into memory. Errors name the file and DuckDB's first sentence, never a value. */
  static async open(path: string, options: StagingOptions): Promise<MicrodataStaging> {
    const instance = await DuckDBInstance.create(":memory:", { threads: "2", temp_directory: "" });
    let conn: DuckDBConnection | undefined;
    try {
      conn = await instance.connect();
      const source =
        options.format === "parquet"
          ? `read_parquet(${lit(path)})`
          : // all_varchar: every value as written (leading zeros of BSNs and postcodes survive).
            `read_csv(${lit(path)}, header = true, all_varchar = true${options.delimiter ? `, delim = ${lit(options.delimiter)}` : ""})`;
      try {
        await conn.run(`CREATE TABLE delivery AS SELECT * FROM ${source}`);
      } catch (e) {
        // DuckDB's messages on a bad CSV may quote a line of it: keep the first sentence, without quotes.
        const first = ((e as Error).message.split("\n")[0] ?? "").replace(/".*"/g, "…").slice(0, 200);
        throw new InputError(`${path}: cannot read it as ${options.format.toUpperCase()}: ${first}`);
      }
      const described = (await conn.runAndReadAll("DESCRIBE delivery")).getRowObjectsJS() as {
        column_name: string;
      }[];
      const counted = (
        await conn.runAndReadAll("SELECT count(*)::DOUBLE AS n FROM delivery")
      ).getRowObjectsJS();
      return new MicrodataStaging(
        instance,
        conn,
        described.map((d) => d.column_name),
        Number(counted[0]!.n),
      );
    } catch (e) {
      conn?.closeSync();
      instance.closeSync();
      throw e;
    }
  }

  /** Up to `n` non-empty values of a column from the start of the file (for the identifier screen). */
  async sample(column: string, n: number): Promise<string[]> {
    const col = `CAST(${ident(column)} AS VARCHAR)`;
    const rows = (
      await this.conn.runAndReadAll(
        `SELECT ${col} AS v FROM delivery WHERE ${col} IS NOT NULL AND trim(${col}) <> '' ORDER BY rowid LIMIT ${Math.max(1, Math.floor(n))}`,
      )
    ).getRowObjectsJS() as { v: string }[];
    return rows.map((r) => r.v);
  }

  /**
   * Validates and normalises every row in SQL: the number of rejected rows and the first `limit`
   * problems (row, `column: what was expected`), in file order. Builds the `staged` table.
   */
  async validate(
    m: MicrodataMapping,
    limit: number,
  ): Promise<{ rejected: number; problems: StagedProblem[] }> {
    const { typed, problem } = m.record === "register" ? registerSql(m) : factSql(m);
    await this.conn.run(`CREATE OR REPLACE TABLE staged AS
      WITH typed AS (SELECT rowid AS rn, ${typed.join(", ")} FROM delivery)
      SELECT *, ${problem} AS problem FROM typed`);
    const counted = (
      await this.conn.runAndReadAll("SELECT count(*)::DOUBLE AS n FROM staged WHERE problem IS NOT NULL")
    ).getRowObjectsJS();
    const problems = (
      await this.conn.runAndReadAll(
        `SELECT rn::DOUBLE AS row, problem AS message FROM staged WHERE problem IS NOT NULL ORDER BY rn LIMIT ${limit}`,
      )
    ).getRowObjectsJS() as unknown as StagedProblem[];
    return { rejected: Number(counted[0]!.n), problems };
  }

  /**
   * The valid rows as finished vault rows with pseudonyms, streamed. The key blocks are bound
   * parameters; the SQL text never holds them.
   */
  async rows(
    m: MicrodataMapping,
    key: KeyBlocks,
    head: { readonly sourceId: string; readonly deliveryId: number; readonly keyVersion: number },
  ): Promise<StagedRows> {
    await this.conn.run("CREATE OR REPLACE TABLE k (inner_block BLOB, outer_block BLOB)");
    await this.conn.run("INSERT INTO k VALUES (from_hex($1), from_hex($2))", [
      key.inner.toString("hex"),
      key.outer.toString("hex"),
    ]);
    const mac = (kind: string, canon: string): string =>
      `CASE WHEN ${canon} IS NOT NULL THEN sha256(k.outer_block || unhex(sha256(k.inner_block || encode('${kind}:' || ${canon})))) END`;
    const id = (macCol: string): string =>
      `CAST(CASE WHEN ('0x' || substr(${macCol}, 1, 16))::UBIGINT >= 9223372036854775808::UBIGINT
         THEN ('0x' || substr(${macCol}, 1, 16))::UBIGINT::HUGEINT - 18446744073709551616::HUGEINT
         ELSE ('0x' || substr(${macCol}, 1, 16))::UBIGINT::HUGEINT END AS BIGINT)`;
    const headCols = `$1::VARCHAR AS source_id, $2::INTEGER AS delivery_id, $3::SMALLINT AS key_version`;
    let sql: string;
    if (m.record === "register") {
      sql = `WITH h AS (
          SELECT s.*, ${mac("bsn", "person_id")} AS mac_p, ${mac("household", "household_id")} AS mac_h,
                 ${mac("address", "address_id")} AS mac_a
          FROM staged s, k WHERE s.problem IS NULL)
        SELECT ${headCols}, ${id("mac_p")} AS person, ${id("mac_h")} AS household, ${id("mac_a")} AS address,
          ('0x' || substr(mac_p, 17, 8))::UINTEGER AS record_key, pc6, birth_date, sex,
          household_size::SMALLINT AS household_size, household_type, valid_from, valid_to
        FROM h ORDER BY rn`;
    } else {
      const kind = m.subject === "person" ? "bsn" : m.subject;
      sql = `WITH h AS (
          SELECT s.*, ${m.subject === "pc6" ? "NULL::VARCHAR" : mac(kind, "subject_id")} AS mac_s
          FROM staged s, k WHERE s.problem IS NULL)
        SELECT ${headCols}, subject_kind, CASE WHEN mac_s IS NULL THEN NULL ELSE ${id("mac_s")} END AS subject,
          pc6, fact, valid_from, valid_to, amount
        FROM h ORDER BY rn`;
    }
    const result = await this.conn.stream(sql, [head.sourceId, head.deliveryId, head.keyVersion]);
    return {
      table: m.record === "register" ? "vault_persons" : "vault_facts",
      async next() {
        const chunk = await result.fetchChunk();
        return chunk && chunk.rowCount > 0 ? chunk : null;
      },
    };
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

// ---------------------------------------------------------------------------------------------
// The SQL of validation. Each mapping becomes typed columns and one CASE naming the first problem
// of a row in the order the fields are listed (messages never include a value).

const text = (col: string): string => `nullif(trim(CAST(${ident(col)} AS VARCHAR)), '')`;

/** A date YYYY-MM-DD (or the date part of a timestamp) between 1850 and 2200, else NULL. */
const dateOf = (col: string): string => {
  const t = text(col);
  return `CASE WHEN regexp_full_match(substr(${t}, 1, 10), '[0-9]{4}-[0-9]{2}-[0-9]{2}')
      AND (length(${t}) = 10 OR substr(${t}, 11, 1) IN (' ', 'T'))
      AND TRY_CAST(substr(${t}, 1, 4) AS INTEGER) BETWEEN 1850 AND 2200
    THEN TRY_CAST(substr(${t}, 1, 10) AS DATE) END`;
};

/** A BSN as 9 digits if it passes the 11-test, else NULL (dots and spaces allowed, a lost leading 0 restored). */
const bsnOf = (col: string): string => {
  const digits = `replace(replace(${text(col)}, '.', ''), ' ', '')`;
  const nine = `lpad(${digits}, 9, '0')`;
  const d = (i: number): string => `TRY_CAST(substr(${nine}, ${i}, 1) AS INTEGER)`;
  const sum = [9, 8, 7, 6, 5, 4, 3, 2].map((w, i) => `${w} * ${d(i + 1)}`).join(" + ") + ` - ${d(9)}`;
  return `CASE WHEN regexp_full_match(${digits}, '[0-9]{8,9}') AND ${nine} <> '000000000' AND (${sum}) % 11 = 0 THEN ${nine} END`;
};

const pc6Of = (col: string): string => {
  const p = `upper(replace(${text(col)}, ' ', ''))`;
  return `CASE WHEN regexp_full_match(${p}, '[1-9][0-9]{3}[A-Z]{2}') AND right(${p}, 2) NOT IN ('SA', 'SD', 'SS') THEN ${p} END`;
};

const inList = (values: readonly string[]): string => values.map(lit).join(", ");

function validitySql(m: MicrodataMapping): { typed: string[]; problems: [string, string][] } {
  if ("at" in m.validity)
    return {
      typed: [`${dateOf(m.validity.at)} AS valid_from`, `${dateOf(m.validity.at)} + 1 AS valid_to`],
      problems: [["valid_from IS NULL", `${m.validity.at}: expected a date YYYY-MM-DD`]],
    };
  const problems: [string, string][] = [
    ["valid_from IS NULL", `${m.validity.from}: expected a date YYYY-MM-DD`],
  ];
  const typed = [`${dateOf(m.validity.from)} AS valid_from`];
  if (m.validity.to === undefined) typed.push("NULL::DATE AS valid_to");
  else {
    typed.push(`${dateOf(m.validity.to)} AS valid_to`, `${text(m.validity.to)} AS valid_to_text`);
    problems.push(
      [
        "valid_to_text IS NOT NULL AND valid_to IS NULL",
        `${m.validity.to}: expected a date YYYY-MM-DD or empty`,
      ],
      ["valid_to <= valid_from", `${m.validity.to}: ends on or before ${m.validity.from}`],
    );
  }
  return { typed, problems };
}

const caseOf = (problems: readonly [string, string][]): string =>
  `CASE ${problems.map(([when, msg]) => `WHEN ${when} THEN ${lit(msg)}`).join(" ")} END`;

function registerSql(m: RegisterMapping): { typed: string[]; problem: string } {
  const person = m.identifiers.person!;
  const f = m.fields;
  const typed = [
    `${text(person)} AS person_text`,
    `${bsnOf(person)} AS person_id`,
    m.identifiers.household
      ? `${text(m.identifiers.household)} AS household_id`
      : "NULL::VARCHAR AS household_id",
    m.identifiers.address ? `${text(m.identifiers.address)} AS address_id` : "NULL::VARCHAR AS address_id",
    `${pc6Of(f.pc6)} AS pc6`,
    `${dateOf(f.birthDate)} AS birth_date`,
    f.sex ? `upper(${text(f.sex)}) AS sex` : "NULL::VARCHAR AS sex",
    f.householdSize
      ? `${text(f.householdSize)} AS household_size_text`
      : "NULL::VARCHAR AS household_size_text",
    f.householdSize
      ? `TRY_CAST(${text(f.householdSize)} AS INTEGER) AS household_size`
      : "NULL::INTEGER AS household_size",
    f.householdType ? `lower(${text(f.householdType)}) AS household_type` : "NULL::VARCHAR AS household_type",
  ];
  const v = validitySql(m);
  typed.push(...v.typed);
  const problems: [string, string][] = [
    ["person_text IS NULL", `${person}: empty; every register row needs a BSN`],
    ["person_id IS NULL", `${person}: not a valid BSN (9 digits passing the 11-test)`],
    ["pc6 IS NULL", `${f.pc6}: expected a postcode such as 1312AB`],
    ["birth_date IS NULL", `${f.birthDate}: expected a date YYYY-MM-DD`],
  ];
  if (f.sex)
    problems.push([
      `sex IS NOT NULL AND sex NOT IN (${inList(SEX_CODES)})`,
      `${f.sex}: expected one of ${SEX_CODES.join(", ")}`,
    ]);
  if (f.householdSize)
    problems.push([
      "household_size_text IS NOT NULL AND (household_size IS NULL OR household_size NOT BETWEEN 1 AND 99)",
      `${f.householdSize}: expected a whole number 1–99`,
    ]);
  if (f.householdType)
    problems.push([
      `household_type IS NOT NULL AND household_type NOT IN (${inList(HOUSEHOLD_TYPES)})`,
      `${f.householdType}: expected one of ${HOUSEHOLD_TYPES.join(", ")}`,
    ]);
  problems.push(...v.problems);
  if (!("at" in m.validity))
    problems.push(["valid_from < birth_date", `${m.validity.from}: before the date of birth`]);
  return { typed, problem: caseOf(problems) };
}

function factSql(m: FactMapping): { typed: string[]; problem: string } {
  const subjectCol = m.subject === "pc6" ? undefined : m.identifiers[m.subject]!;
  const typed: string[] = [];
  const problems: [string, string][] = [];
  if (subjectCol) {
    typed.push(`${text(subjectCol)} AS subject_text`);
    typed.push(
      m.subject === "person" ? `${bsnOf(subjectCol)} AS subject_id` : `${text(subjectCol)} AS subject_id`,
    );
    typed.push(
      m.fallbackToPc6
        ? `CASE WHEN ${text(subjectCol)} IS NULL THEN 'pc6' ELSE '${m.subject}' END AS subject_kind`
        : `'${m.subject}' AS subject_kind`,
    );
    if (!m.fallbackToPc6)
      problems.push([
        "subject_text IS NULL",
        `${subjectCol}: empty; every row needs the ${m.subject} it is about`,
      ]);
    if (m.subject === "person")
      problems.push([
        "subject_text IS NOT NULL AND subject_id IS NULL",
        `${subjectCol}: not a valid BSN (9 digits passing the 11-test)`,
      ]);
  } else typed.push("NULL::VARCHAR AS subject_text", "NULL::VARCHAR AS subject_id", "'pc6' AS subject_kind");
  if (m.fields.pc6) {
    typed.push(`${text(m.fields.pc6)} AS pc6_text`, `${pc6Of(m.fields.pc6)} AS pc6`);
    problems.push([
      "pc6_text IS NOT NULL AND pc6 IS NULL",
      `${m.fields.pc6}: expected a postcode such as 1312AB`,
    ]);
    problems.push([
      "pc6_text IS NULL AND subject_kind = 'pc6'",
      `${m.fields.pc6}: empty; a row without ${m.subject === "pc6" ? "a postcode" : `an ${m.subject}`} needs its postcode`,
    ]);
  } else typed.push("NULL::VARCHAR AS pc6_text", "NULL::VARCHAR AS pc6");
  if ("name" in m.fact) typed.push(`${lit(m.fact.name)} AS fact`, "true AS fact_ok", "true AS fact_allowed");
  else {
    const code = `lower(${text(m.fact.column)})`;
    typed.push(
      `${lit(m.fact.prefix)} || ${code} AS fact`,
      `coalesce(regexp_full_match(${code}, '[a-z0-9_-]{1,40}'), false) AS fact_ok`,
      m.fact.values
        ? `coalesce(${code} IN (${inList(m.fact.values)}), false) AS fact_allowed`
        : "true AS fact_allowed",
    );
    problems.push(["NOT fact_ok", `${m.fact.column}: expected a code (letters, digits, _ or -)`]);
    if (m.fact.values)
      problems.push(["NOT fact_allowed", `${m.fact.column}: expected one of ${m.fact.values.join(", ")}`]);
  }
  if (m.amount) {
    typed.push(
      `${text(m.amount)} AS amount_text`,
      `TRY_CAST(replace(${text(m.amount)}, ',', '.') AS DOUBLE) AS amount`,
    );
    problems.push([
      "amount_text IS NOT NULL AND (amount IS NULL OR NOT isfinite(amount))",
      `${m.amount}: expected a number`,
    ]);
  } else typed.push("NULL::DOUBLE AS amount");
  const v = validitySql(m);
  typed.push(...v.typed);
  problems.push(...v.problems);
  return { typed, problem: caseOf(problems) };
}
