/**
 * The microdata vault's import path on real DuckDB files: registry, pseudonymisation at ingest,
 * the identifier screen (T-PS-3), rejected rows by line without values, atomic commits, replace /
 * unchanged, the PC6 lookup and retention.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isValidBsn } from "@wijkradar/core";
import { beforeEach, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { ConfigError, InputError } from "../src/errors.js";
import { Database } from "../src/store/database.js";
import { queryFiles } from "../src/store/table-writer.js";
import { importMicrodata } from "../src/vault/import-microdata.js";
import { KeyRing } from "../src/vault/keys.js";
import { Pseudonymiser } from "../src/vault/pseudonymise.js";
import { importPc6Lookup, purge, registerSources } from "../src/vault/registry.js";
import { tempDir } from "./fixtures.js";

const ring = (...purposes: string[]): KeyRing =>
  KeyRing.of(purposes.map((purpose) => ({ purpose, current: 1, versions: new Map([[1, randomBytes(32)]]) })));

/** n valid BSNs from a seed block. */
function bsns(n: number, from = 100_000_000): string[] {
  const out: string[] = [];
  for (let x = from; out.length < n; x++) {
    const s = String(x).padStart(9, "0");
    if (isValidBsn(s)) out.push(s);
  }
  return out;
}

const SOURCE = {
  name: "Register",
  organisation: "Gemeente Test",
  legalBasis: "Wet BRP art. 3.8",
  purpose: "Vroegsignalering",
  dpiaReference: "DPIA-T-1",
  retentionMonths: 12,
  keyPurpose: "wijkaanpak",
  synthetic: true,
};

const REGISTER_MAPPING = `
version: 1
kind: microdata
record: register
source: brp
identifiers: { person: bsn, household: huishouden_id, address: adres_id }
fields: { pc6: postcode, birthDate: geboortedatum, sex: geslacht, householdSize: huishouden_grootte, householdType: huishouden_type }
validity: { from: ingangsdatum, to: einddatum }
`;
const BENEFIT_MAPPING = `
version: 1
kind: microdata
record: fact
source: uitkeringen
subject: person
identifiers: { person: bsn }
fact: { prefix: "uitkering:", column: regeling, values: [bijstand, ww] }
amount: bedrag
validity: { from: ingangsdatum, to: einddatum }
`;

const HEADER =
  "bsn,huishouden_id,adres_id,postcode,geboortedatum,geslacht,huishouden_grootte,huishouden_type,ingangsdatum,einddatum";
function registerCsv(
  ids: readonly string[],
  extra?: { header: string; value: (i: number) => string },
): string {
  const lines = [extra ? `${HEADER},${extra.header}` : HEADER];
  ids.forEach((bsn, i) => {
    const row = `${bsn},H${Math.floor(i / 2)},A${Math.floor(i / 2)},13${String(10 + (i % 40)).padStart(2, "0")}AB,${1940 + (i % 80)}-0${1 + (i % 9)}-15,${i % 2 ? "M" : "V"},2,paar,2020-01-01,${i % 10 === 0 ? "2023-06-30" : ""}`;
    lines.push(extra ? `${row},${extra.value(i)}` : row);
  });
  return `${lines.join("\n")}\n`;
}

async function freshDb(): Promise<{ db: Database; dir: string }> {
  const dir = tempDir();
  const db = await Database.open({ path: join(dir, "vault.duckdb") });
  await registerSources(
    db,
    [
      { id: "brp", recordLevel: "person", ...SOURCE },
      { id: "uitkeringen", recordLevel: "person", ...SOURCE, name: "Uitkeringen" },
    ],
    "test",
    new Date("2026-01-01T00:00:00Z"),
  );
  return { db, dir };
}

const count = async (db: Database, sql: string): Promise<number> =>
  (await db.read((ex) => ex.all<{ n: number }>(`SELECT (${sql})::DOUBLE AS n`)))[0]!.n;

describe("source registry", () => {
  it("refuses a registration without the required fields, naming them", async () => {
    const { db } = await freshDb();
    const { parseRegistrations } = await import("../src/vault/registry.js");
    expect(() => parseRegistrations("id: x-source\nname: X\norganisation: Org\n", "reg.yaml")).toThrow(
      InputError,
    );
    try {
      parseRegistrations("id: x-source\nname: X\norganisation: Org\n", "reg.yaml");
    } catch (e) {
      const details = (e as InputError).details.join("\n");
      for (const field of [
        "legalBasis",
        "purpose",
        "dpiaReference",
        "retentionMonths",
        "keyPurpose",
        "recordLevel",
      ])
        expect(details).toContain(`reg.yaml: ${field}`);
    }
    db.close();
  });

  it("refuses an import for an unregistered source and writes nothing", async () => {
    const { db, dir } = await freshDb();
    const file = join(dir, "x.csv");
    writeFileSync(file, registerCsv(bsns(3)));
    await expect(
      importMicrodata(db, {
        file,
        mappingText: REGISTER_MAPPING.replace("source: brp", "source: onbekend"),
        mappingName: "m.yaml",
        keys: ring("wijkaanpak"),
      }),
    ).rejects.toThrow(/source "onbekend" is not registered; nothing was imported/);
    expect(await count(db, "SELECT count(*) FROM vault_deliveries")).toBe(0);
    db.close();
  });

  it("refuses an import when the source's key purpose has no key", async () => {
    const { db, dir } = await freshDb();
    const file = join(dir, "x.csv");
    writeFileSync(file, registerCsv(bsns(3)));
    await expect(
      importMicrodata(db, { file, mappingText: REGISTER_MAPPING, keys: ring("andere-doel") }),
    ).rejects.toThrow(ConfigError);
    db.close();
  });
});

describe("microdata import", () => {
  let db: Database;
  let dir: string;
  beforeEach(async () => {
    ({ db, dir } = await freshDb());
    return () => db.close();
  });

  it("imports a register: pseudonyms only, no raw identifier anywhere in the database file", async () => {
    const ids = bsns(500);
    const file = join(dir, "brp.csv");
    writeFileSync(file, registerCsv(ids));
    const keys = ring("wijkaanpak");
    const r = await importMicrodata(db, { file, mappingText: REGISTER_MAPPING, keys });
    expect(r).toMatchObject({
      status: "imported",
      rows: 500,
      imported: 500,
      rejected: 0,
      keyPurpose: "wijkaanpak",
      keyVersion: 1,
    });
    expect(await count(db, "SELECT count(DISTINCT person) FROM vault_persons")).toBe(500);
    expect(await count(db, "SELECT count(DISTINCT household) FROM vault_persons")).toBe(250);
    expect(await count(db, "SELECT count(*) FROM vault_persons WHERE valid_to IS NOT NULL")).toBe(50);
    await db.checkpoint();
    db.close();
    const bytes = readFileSync(join(dir, "vault.duckdb")).toString("latin1");
    for (const bsn of ids.slice(0, 100)) expect(bytes.includes(bsn)).toBe(false);
    expect(bytes.includes("H17,")).toBe(false);
    db = await Database.open({ path: join(dir, "vault.duckdb") });
  });

  it("computes in SQL exactly the pseudonyms and record keys of the Pseudonymiser (RFC 2104 HMAC)", async () => {
    const ids = bsns(20);
    const addresses = ids.map((_, i) =>
      i % 3 === 0 ? `Straße-${i}\\x41é` : ` 0034200000${String(i).padStart(6, "0")} `,
    );
    const lines = [
      HEADER,
      ...ids.map(
        (b, i) =>
          `${i % 2 ? b : `${b.slice(0, 4)}.${b.slice(4)}`},HH${i},${addresses[i]},1312AB,1980-01-01,M,1,alleenstaand,2020-01-01,`,
      ),
    ];
    const file = join(dir, "brp.csv");
    writeFileSync(file, lines.join("\n"));
    const keys = ring("wijkaanpak");
    await importMicrodata(db, { file, mappingText: REGISTER_MAPPING, keys });
    const stored = await db.read((ex) =>
      ex.all<{ person: bigint; household: bigint; address: bigint; record_key: number }>(
        "SELECT person, household, address, record_key FROM vault_persons ORDER BY rowid",
      ),
    );
    const p = new Pseudonymiser(keys, "wijkaanpak");
    expect(stored).toHaveLength(20);
    stored.forEach((row, i) => {
      const person = p.pseudonymiseToKey("bsn", ids[i]!)!;
      expect(BigInt(row.person)).toBe(person.id);
      expect(Number(row.record_key)).toBe(person.recordKey);
      expect(BigInt(row.household)).toBe(p.pseudonymiseToKey("household", `HH${i}`)!.id);
      expect(BigInt(row.address)).toBe(p.pseudonymiseToKey("address", addresses[i]!.trim())!.id);
    });
  });

  it("links sources of one key purpose and keeps purposes unlinkable", async () => {
    const ids = bsns(100);
    writeFileSync(join(dir, "brp.csv"), registerCsv(ids));
    const benefits = [
      "bsn,regeling,bedrag,ingangsdatum,einddatum",
      ...ids.slice(0, 30).map((b, i) => `${b},${i % 3 ? "bijstand" : "ww"},1200,2021-01-01,`),
    ].join("\n");
    writeFileSync(join(dir, "uitk.csv"), benefits);
    const keys = ring("wijkaanpak");
    await importMicrodata(db, { file: join(dir, "brp.csv"), mappingText: REGISTER_MAPPING, keys });
    await importMicrodata(db, { file: join(dir, "uitk.csv"), mappingText: BENEFIT_MAPPING, keys });
    const linked =
      "SELECT count(*) FROM vault_persons p WHERE p.person IN (SELECT subject FROM vault_facts WHERE fact = 'uitkering:bijstand')";
    expect(await count(db, linked)).toBe(20);
    // The same file pseudonymised under another key (another purpose) links to nothing.
    await registerSources(
      db,
      [{ id: "uitkeringen", recordLevel: "person", ...SOURCE, keyPurpose: "onderzoek" }],
      "t",
      new Date(),
    ).catch(() => undefined);
    const other = ring("wijkaanpak", "onderzoek");
    await db.transaction((ex) => ex.run("DELETE FROM vault_facts"));
    await db.transaction((ex) =>
      ex.run("UPDATE vault_sources SET key_purpose = 'onderzoek' WHERE id = 'uitkeringen'"),
    );
    await importMicrodata(db, { file: join(dir, "uitk.csv"), mappingText: BENEFIT_MAPPING, keys: other });
    expect(await count(db, "SELECT count(*) FROM vault_facts")).toBe(30);
    expect(await count(db, linked)).toBe(0);
  });

  it("refuses unmapped columns that look like identifiers (T-PS-3), without echoing them", async () => {
    const ids = bsns(60);
    const cases: [string, (i: number) => string, RegExp][] = [
      ["extra_id", (i) => bsns(60, 200_000_000)[i]!, /look like BSNs/],
      ["contact", (i) => `persoon${i}@example.nl`, /look like e-mail addresses/],
      ["telefoon", (i) => `06-${String(12345600 + i)}`, /look like phone numbers/],
      ["woonadres", (i) => `Kerkstraat ${i + 1}`, /look like street addresses/],
    ];
    for (const [header, value, expected] of cases) {
      const file = join(dir, `${header}.csv`);
      writeFileSync(file, registerCsv(ids, { header, value }));
      const err = await importMicrodata(db, {
        file,
        mappingText: REGISTER_MAPPING,
        keys: ring("wijkaanpak"),
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      const text = `${(err as InputError).message}\n${(err as InputError).details.join("\n")}`;
      expect(text).toMatch(expected);
      expect(text).toContain(`column "${header}"`);
      expect(text).not.toContain(value(0));
      expect(text).not.toContain(ids[0]!);
    }
    expect(await count(db, "SELECT count(*) FROM vault_persons")).toBe(0);
    // Listed under ignore, the column is dropped and the import goes ahead.
    const file = join(dir, "contact.csv");
    const r = await importMicrodata(db, {
      file,
      mappingText: `${REGISTER_MAPPING}ignore: [contact]\n`,
      keys: ring("wijkaanpak"),
    });
    expect(r.imported).toBe(60);
  });

  it("rejects bad rows by line and column without their values; all or nothing", async () => {
    const ids = bsns(5000);
    const bad = "123456789"; // fails the 11-test
    ids[3000] = bad;
    const lines = registerCsv(ids).split("\n");
    lines[4001] = lines[4001]!.replace(/,(\d{4})-0(\d)-15,/, ",1980-02-30,");
    // Malformed dates must be reported, never crash a CAST that would quote them.
    lines[4501] = lines[4501]!.replace(/,(\d{4})-0(\d)-15,/, ",15-01-1980,");
    lines[4601] = lines[4601]!.replace(/,2020-01-01,/, ",abcd-ef-gh,");
    const file = join(dir, "brp.csv");
    writeFileSync(file, lines.join("\n"));
    const err = (await importMicrodata(db, {
      file,
      mappingText: REGISTER_MAPPING,
      keys: ring("wijkaanpak"),
    }).catch((e: unknown) => e)) as InputError;
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/4 row\(s\) rejected.*nothing was imported/);
    expect(err.details).toEqual([
      "brp.csv:3002: bsn: not a valid BSN (9 digits passing the 11-test)",
      "brp.csv:4002: geboortedatum: expected a date YYYY-MM-DD",
      "brp.csv:4502: geboortedatum: expected a date YYYY-MM-DD",
      "brp.csv:4602: ingangsdatum: expected a date YYYY-MM-DD",
    ]);
    expect(err.details.join()).not.toContain(bad);
    // The first chunks (2048 rows each) were appended before the bad row: rolled back.
    expect(await count(db, "SELECT count(*) FROM vault_persons")).toBe(0);
    expect(await count(db, "SELECT count(*) FROM vault_deliveries")).toBe(0);
    // With a tolerance the good rows go in and the bad ones are reported.
    const r = await importMicrodata(db, {
      file,
      mappingText: `${REGISTER_MAPPING}maxRejected: 0.01\n`,
      keys: ring("wijkaanpak"),
    });
    expect(r).toMatchObject({ status: "imported", rows: 5000, imported: 4996, rejected: 4 });
    expect(r.problems).toHaveLength(4);
  });

  it("reads Parquet, replaces the source's earlier delivery and sees an identical one as unchanged", async () => {
    const ids = bsns(300);
    const csv = join(dir, "brp.csv");
    writeFileSync(csv, registerCsv(ids));
    const parquet = join(dir, "brp.parquet");
    // Typed columns as a real extract would have them (dates, integers).
    await queryFiles(
      `COPY (SELECT bsn, huishouden_id, adres_id, postcode, CAST(geboortedatum AS DATE) AS geboortedatum, geslacht,
        CAST(huishouden_grootte AS INTEGER) AS huishouden_grootte, huishouden_type, CAST(ingangsdatum AS DATE) AS ingangsdatum,
        CAST(einddatum AS DATE) AS einddatum FROM read_csv('${csv}', all_varchar = true) LIMIT 200) TO '${parquet}' (FORMAT parquet)`,
    );
    const keys = ring("wijkaanpak");
    const first = await importMicrodata(db, { file: csv, mappingText: REGISTER_MAPPING, keys });
    expect(first.imported).toBe(300);
    const second = await importMicrodata(db, { file: parquet, mappingText: REGISTER_MAPPING, keys });
    expect(second).toMatchObject({ status: "imported", imported: 200, replacedRows: 300 });
    expect(await count(db, "SELECT count(*) FROM vault_persons")).toBe(200);
    const again = await importMicrodata(db, { file: parquet, mappingText: REGISTER_MAPPING, keys });
    expect(again.status).toBe("unchanged");
    expect(await count(db, "SELECT count(*) FROM vault_persons")).toBe(200);
  });

  it("says which mapped columns a file lacks, and a dry run writes nothing", async () => {
    const file = join(dir, "brp.csv");
    writeFileSync(file, registerCsv(bsns(10)).replace("postcode", "pc"));
    await expect(
      importMicrodata(db, { file, mappingText: REGISTER_MAPPING, keys: ring("wijkaanpak") }),
    ).rejects.toThrow(/does not have: postcode; the file has bsn, huishouden_id/);
    writeFileSync(file, registerCsv(bsns(10)));
    const r = await importMicrodata(db, {
      file,
      mappingText: REGISTER_MAPPING,
      keys: ring("wijkaanpak"),
      dryRun: true,
    });
    expect(r).toMatchObject({ status: "validated", imported: 10 });
    expect(await count(db, "SELECT count(*) FROM vault_persons")).toBe(0);
  });

  it("enforces retention with purge (dry run counts, then removes only ended records)", async () => {
    writeFileSync(join(dir, "brp.csv"), registerCsv(bsns(100)));
    await importMicrodata(db, {
      file: join(dir, "brp.csv"),
      mappingText: REGISTER_MAPPING,
      keys: ring("wijkaanpak"),
    });
    // 10 rows ended 2023-06-30; retention 12 months.
    const early = await purge(db, new Date("2024-06-01T00:00:00Z"), false);
    expect(early.find((c) => c.sourceId === "brp")).toMatchObject({ persons: 0, cutoff: "2023-06-01" });
    const dry = await purge(db, new Date("2026-01-01T00:00:00Z"), true);
    expect(dry.find((c) => c.sourceId === "brp")).toMatchObject({ persons: 10, cutoff: "2025-01-01" });
    expect(await count(db, "SELECT count(*) FROM vault_persons")).toBe(100);
    await purge(db, new Date("2026-01-01T00:00:00Z"), false);
    expect(await count(db, "SELECT count(*) FROM vault_persons")).toBe(90);
    expect(await count(db, "SELECT count(*) FROM vault_persons WHERE valid_to IS NOT NULL")).toBe(0);
  });

  it("imports a PC6 → buurt lookup, refusing a file with a bad row", async () => {
    const file = join(dir, "pc6.csv");
    writeFileSync(
      file,
      "postcode,jaar,buurtcode,indeling\n1311AB,2020,BU00340101,2020\n1311 ac,2020,BU00340102,2020\n",
    );
    const r = await importPc6Lookup(db, file);
    expect(r).toMatchObject({ rows: 2, years: [2020] });
    expect(r.notes[0]).toMatch(/not known areas/);
    writeFileSync(
      file,
      "postcode,jaar,buurtcode,indeling\n1311AB,2021,BU00340101,2020\n13XX,2021,BU00340101,2020\n",
    );
    await expect(importPc6Lookup(db, file)).rejects.toThrow(/1 bad row/);
    expect(await count(db, "SELECT count(*) FROM vault_pc6_areas")).toBe(2);
  });
});

describe("wijkradar vault (CLI)", () => {
  it("creates a key file, registers, imports and reports status without printing identifiers or keys", async () => {
    const dir = tempDir();
    const dbPath = join(dir, "cli.duckdb");
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s), env: {} };
    expect(
      await main(["node", "wijkradar", "vault", "keygen", "--purpose", "wijkaanpak", "--db", dbPath], io),
    ).toBe(0);
    const keyText = readFileSync(join(dir, "wijkradar-keys.yaml"), "utf8");
    const key = /1: "([^"]+)"/.exec(keyText)![1]!;
    writeFileSync(
      join(dir, "sources.yaml"),
      `id: brp\nname: R\norganisation: O\nlegalBasis: L\npurpose: P\ndpiaReference: D\nretentionMonths: 6\nkeyPurpose: wijkaanpak\nrecordLevel: person\n`,
    );
    expect(
      await main(["node", "wijkradar", "vault", "register", join(dir, "sources.yaml"), "--db", dbPath], io),
    ).toBe(0);
    const ids = bsns(40);
    writeFileSync(join(dir, "brp.csv"), registerCsv(ids));
    writeFileSync(join(dir, "brp.yaml"), REGISTER_MAPPING);
    expect(
      await main(
        [
          "node",
          "wijkradar",
          "vault",
          "import",
          join(dir, "brp.csv"),
          "--mapping",
          join(dir, "brp.yaml"),
          "--db",
          dbPath,
        ],
        io,
      ),
    ).toBe(0);
    expect(await main(["node", "wijkradar", "vault", "status", "--db", dbPath], io)).toBe(0);
    const all = [...out, ...err].join("\n");
    expect(all).toMatch(/brp\.csv: imported/);
    expect(all).toMatch(/brp\s+40 records in 1 deliveries/);
    expect(all).not.toContain(key);
    for (const id of ids) expect(all).not.toContain(id);
    // A bad registration is a data error (65) that names the field.
    writeFileSync(join(dir, "bad.yaml"), "id: x\n");
    err.length = 0;
    expect(
      await main(["node", "wijkradar", "vault", "register", join(dir, "bad.yaml"), "--db", dbPath], io),
    ).toBe(65);
    expect(err.join("\n")).toMatch(/bad\.yaml: id: expected an id/);
  });
});
