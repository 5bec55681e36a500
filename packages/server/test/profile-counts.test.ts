/**
 * countProfile on a small vault whose every count is worked out by hand below: ages at the
 * reference date, validity periods and moves, household, address and PC6 facts, `within`,
 * `minAmount`, `not`, the near-identical profiles and the cell keys.
 */
import { join } from "node:path";
import { validateProfileDefinition, type Condition, type ProfileDefinition } from "@wijkradar/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../src/store/database.js";
import { countProfile, type ProfilePc6Row } from "../src/store/profile-repository.js";
import { tempDir } from "./fixtures.js";
import { insertAreas, insertFacts, insertLookup, insertPersons, registerSources } from "./profile-fixture.js";

const D = "2024-06-01";
const K = 4_000_000_000; // record keys near 2^32: their sums wrap

let db: Database;
beforeAll(async () => {
  db = await Database.open({ path: join(tempDir(), "counts.duckdb") });
  await registerSources(db, [
    { id: "brp", keyPurpose: "wijkaanpak", synthetic: false },
    { id: "minima", keyPurpose: "wijkaanpak", synthetic: false },
    { id: "politie", keyPurpose: "veiligheid", synthetic: false },
  ]);
  await insertAreas(db, [
    { code: "GM0001", level: "gemeente", name: "Testdorp", parent: "NL01", gemeente: "GM0001" },
    { code: "WK000101", level: "wijk", name: "Centrum", parent: "GM0001", gemeente: "GM0001" },
    { code: "BU00010101", level: "buurt", name: "Oud", parent: "WK000101", gemeente: "GM0001" },
    { code: "BU00010102", level: "buurt", name: "Nieuw", parent: "WK000101", gemeente: "GM0001" },
  ]);
  await insertLookup(db, [
    { pc6: "1001AA", year: 2024, buurt: "BU00010101" },
    { pc6: "1001AB", year: 2024, buurt: "BU00010101" },
    { pc6: "1002AA", year: 2024, buurt: "BU00010102" },
    // An older year maps 1002AA elsewhere: used only for dates before 2024.
    { pc6: "1002AA", year: 2020, buurt: "BU00010101", division: 2024 },
  ]);
  const p = (
    person: number,
    pc6: string,
    birth: string,
    extra: Partial<{
      household: number;
      address: number;
      sex: "M" | "V";
      size: number;
      type: string;
      from: string;
      to: string | null;
      key: number;
    }>,
  ) => ({
    person: BigInt(person),
    household: extra.household === undefined ? null : BigInt(extra.household),
    address: extra.address === undefined ? null : BigInt(extra.address),
    recordKey: extra.key ?? K + person,
    pc6,
    birth,
    sex: extra.sex ?? "V",
    size: extra.size ?? 1,
    type: extra.type ?? "alleenstaand",
    from: extra.from ?? "2000-01-01",
    to: extra.to ?? null,
  });
  await insertPersons(db, [
    p(1001, "1001AA", "1959-06-01", {}), // 65 on D exactly
    p(1002, "1001AA", "1959-06-02", { sex: "M" }), // 64 on D (birthday tomorrow)
    p(1003, "1001AA", "1950-01-01", { household: 3003, size: 2, type: "paar" }), // 74
    p(1004, "1001AA", "1950-01-01", { household: 3003, size: 2, type: "paar", sex: "M" }), // 74
    // 1005 moved from 1001AA to 1001AB on 2024-03-01.
    p(1005, "1001AA", "1940-01-01", { from: "2010-01-01", to: "2024-03-01" }),
    p(1005, "1001AB", "1940-01-01", { from: "2024-03-01" }),
    p(1006, "1001AB", "1980-01-01", { to: D }), // left on D: not registered at D
    p(1007, "1002AA", "1980-01-01", { from: "2024-06-02" }), // arrives after D
    p(1008, "1002AA", "2017-01-01", { household: 3008, size: 2, type: "eenouder", from: "2017-01-01" }), // 7
    p(1009, "1002AA", "1990-01-01", { household: 3008, size: 2, type: "eenouder", sex: "M" }), // 34
    p(1010, "1002AA", "2019-06-01", {
      household: 3010,
      address: 4010,
      size: 3,
      type: "paar_met_kinderen",
      from: "2019-06-01",
    }), // 5
  ]);
  await insertFacts(db, [
    { source: "minima", kind: "person", subject: 1001n, fact: "minima", from: "2023-01-01", to: null },
    {
      source: "minima",
      kind: "person",
      subject: 1002n,
      fact: "minima",
      from: "2020-01-01",
      to: "2024-01-01",
    },
    {
      source: "minima",
      kind: "household",
      subject: 3003n,
      fact: "uitkering:bijstand",
      from: "2024-01-01",
      to: null,
      amount: 900,
    },
    { source: "minima", kind: "household", subject: 3008n, fact: "schuldhulp", from: "2024-05-01", to: null },
    {
      source: "minima",
      kind: "address",
      subject: 4010n,
      fact: "huurachterstand",
      from: "2024-02-01",
      to: null,
    },
    {
      source: "minima",
      kind: "person",
      subject: 1008n,
      fact: "verzuim:relatief",
      from: "2024-05-20",
      to: "2024-05-21",
    },
    {
      source: "minima",
      kind: "pc6",
      subject: null,
      pc6: "1002AA",
      fact: "overlast:geluid",
      from: "2024-05-31",
      to: "2024-06-01",
    },
    // Another purpose's source holds a fact of the same name: never linked.
    { source: "politie", kind: "person", subject: 1003n, fact: "minima", from: "2020-01-01", to: null },
  ]);
});
afterAll(() => db.close());

const def = (conditions: Condition[], population: Condition[] = []): ProfileDefinition => {
  const r = validateProfileDefinition({
    id: "test-profiel",
    name: { nl: "T", en: "T" },
    description: { nl: "T", en: "T" },
    domain: "health",
    purpose: "wijkaanpak",
    population,
    conditions,
  });
  if (!r.ok) throw new Error(r.errors.join("; "));
  return r.definition;
};

const byPc6 = (rows: ProfilePc6Row[]) => Object.fromEntries(rows.map((r) => [r.pc6, r]));
const counts = async (d: ProfileDefinition, date = D) =>
  Object.fromEntries((await countProfile(db, d, date)).map((r) => [r.pc6, r.count]));

describe("countProfile", () => {
  it("counts residents registered at the date per PC6, with the buurt of the lookup year", async () => {
    const rows = byPc6(await countProfile(db, def([{ age: { min: 0 } }]), D));
    expect(Object.keys(rows)).toEqual(["1001AA", "1001AB", "1002AA"]);
    // 1001AA: 1001–1004 (1005 moved out on 2024-03-01); 1001AB: 1005 (1006 left on D); 1002AA: 1008–1010.
    expect([rows["1001AA"]!.residents, rows["1001AB"]!.residents, rows["1002AA"]!.residents]).toEqual([
      4, 1, 3,
    ]);
    expect(rows["1002AA"]).toMatchObject({
      buurt: "BU00010102",
      wijk: "WK000101",
      gemeente: "GM0001",
      division: 2024,
    });
    // Before 2024 the 2020 lookup applies; before 2020 the oldest year (2020) does.
    const old = byPc6(await countProfile(db, def([{ age: { min: 0 } }]), "2019-06-01"));
    expect(old["1002AA"]).toMatchObject({ buurt: "BU00010101", residents: 3 }); // 1010 arrived on that day
    expect(old["1001AA"]!.residents).toBe(5); // 1005 had not moved yet
  });

  it("takes ages in whole years at the reference date", async () => {
    expect(await counts(def([{ age: { min: 65 } }]))).toEqual({ "1001AA": 3, "1001AB": 1, "1002AA": 0 });
    expect(await counts(def([{ age: { min: 5, max: 9 } }]))).toEqual({
      "1001AA": 0,
      "1001AB": 0,
      "1002AA": 2,
    });
    expect(await counts(def([{ age: { max: 64 } }]))).toEqual({ "1001AA": 1, "1001AB": 0, "1002AA": 3 });
    // The day before 1001's 65th birthday and 1010's 5th.
    expect(await counts(def([{ age: { min: 65 } }]), "2024-05-31")).toEqual({
      "1001AA": 2,
      "1001AB": 1,
      "1002AA": 0,
    });
    expect(await counts(def([{ age: { min: 5, max: 9 } }]), "2024-05-31")).toEqual({
      "1001AA": 0,
      "1001AB": 0,
      "1002AA": 1,
    });
  });

  it("filters sex and household", async () => {
    expect(await counts(def([{ sex: "V" }, { age: { min: 65 } }]))).toEqual({
      "1001AA": 2,
      "1001AB": 1,
      "1002AA": 0,
    });
    expect(await counts(def([{ household: { size: { min: 2 } } }]))).toEqual({
      "1001AA": 2,
      "1001AB": 0,
      "1002AA": 3,
    });
    expect(await counts(def([{ household: { type: ["eenouder", "paar_met_kinderen"] } }]))).toEqual({
      "1001AA": 0,
      "1001AB": 0,
      "1002AA": 3,
    });
  });

  it("joins facts about persons, households, addresses and PC6s valid at the date", async () => {
    // minima: 1001 (open); 1002's ended on 2024-01-01; the politie source's "minima" is another purpose.
    expect(await counts(def([{ fact: "minima" }]))).toEqual({ "1001AA": 1, "1001AB": 0, "1002AA": 0 });
    // bijstand of household 3003 counts both its members.
    expect(await counts(def([{ fact: ["minima", "uitkering:bijstand"] }]))).toEqual({
      "1001AA": 3,
      "1001AB": 0,
      "1002AA": 0,
    });
    expect(await counts(def([{ fact: "huurachterstand" }]))).toEqual({
      "1001AA": 0,
      "1001AB": 0,
      "1002AA": 1,
    });
    expect(await counts(def([{ fact: "schuldhulp" }]))).toEqual({ "1001AA": 0, "1001AB": 0, "1002AA": 2 });
    expect(await counts(def([{ fact: "bestaat-niet" }]))).toEqual({ "1001AA": 0, "1001AB": 0, "1002AA": 0 });
    expect(await counts(def([{ fact: "uitkering:bijstand", minAmount: 1000 }]))).toEqual({
      "1001AA": 0,
      "1001AB": 0,
      "1002AA": 0,
    });
    expect(await counts(def([{ fact: "uitkering:bijstand", minAmount: 900 }]))).toEqual({
      "1001AA": 2,
      "1001AB": 0,
      "1002AA": 0,
    });
  });

  it("looks back `within` days for events", async () => {
    // Absence on 2024-05-20: not valid on D; within 13 days (2024-05-20 … D) yes, within 12 no.
    expect(await counts(def([{ fact: "verzuim:relatief" }]))).toEqual({
      "1001AA": 0,
      "1001AB": 0,
      "1002AA": 0,
    });
    expect(await counts(def([{ fact: "verzuim:relatief", within: 13 }]))).toEqual({
      "1001AA": 0,
      "1001AB": 0,
      "1002AA": 1,
    });
    expect(await counts(def([{ fact: "verzuim:relatief", within: 12 }]))).toEqual({
      "1001AA": 0,
      "1001AB": 0,
      "1002AA": 0,
    });
    // Nuisance at the PC6 on 2024-05-31 counts every resident of 1002AA within 2 days.
    expect(await counts(def([{ fact: "overlast:geluid", within: 2 }]))).toEqual({
      "1001AA": 0,
      "1001AB": 0,
      "1002AA": 3,
    });
  });

  it("negates with not (unknown values are not matched either way)", async () => {
    expect(await counts(def([{ not: { fact: "schuldhulp" } }, { age: { min: 18 } }]))).toEqual({
      "1001AA": 4,
      "1001AB": 1,
      "1002AA": 0,
    });
    expect(await counts(def([{ not: { not: { sex: "M" } } }]))).toEqual({
      "1001AA": 2,
      "1001AB": 0,
      "1002AA": 1,
    });
  });

  it("counts the population and every near-identical profile in the same pass", async () => {
    const d = def(
      [
        { age: { min: 65 } },
        { household: { type: ["alleenstaand"] } },
        { fact: ["minima", "uitkering:bijstand"] },
      ],
      [{ age: { min: 65 } }],
    );
    const rows = byPc6(await countProfile(db, d, D));
    // 1001AA: population 1001, 1003, 1004; profile: 1001 (alone, minima).
    expect(rows["1001AA"]).toMatchObject({ residents: 4, population: 3, count: 1 });
    // Near profiles (65+ occurs twice: never dropped): without alone 1001, 1003, 1004; without facts 1001.
    expect(rows["1001AA"]!.nearCounts).toEqual([3, 1]);
    expect(rows["1001AB"]).toMatchObject({ residents: 1, population: 1, count: 0, nearCounts: [0, 1] });
    // With 65+ only in the population, dropping it is a near profile too: all ages, alone, facts.
    const d2 = def(
      [{ household: { type: ["alleenstaand"] } }, { fact: ["minima", "uitkering:bijstand"] }],
      [{ age: { min: 65 } }],
    );
    expect(byPc6(await countProfile(db, d2, D))["1001AA"]!.nearCounts).toEqual([3, 1, 1]);
  });

  it("keys are the fractional part of the sum of record keys / 2^32", async () => {
    const rows = byPc6(
      await countProfile(db, def([{ fact: ["minima", "uitkering:bijstand"] }], [{ age: { min: 65 } }]), D),
    );
    const frac = (keys: number[]) => (keys.reduce((a, b) => a + b, 0) % 2 ** 32) / 2 ** 32;
    expect(rows["1001AA"]!.residentsKey).toBe(frac([K + 1001, K + 1002, K + 1003, K + 1004]));
    expect(rows["1001AA"]!.populationKey).toBe(frac([K + 1001, K + 1003, K + 1004]));
    expect(rows["1001AA"]!.countKey).toBe(frac([K + 1001, K + 1003, K + 1004]));
    expect(rows["1002AA"]!.countKey).toBe(0);
  });

  it("restricts to one gemeente", async () => {
    expect(await countProfile(db, def([{ age: { min: 0 } }]), D, "GM0002")).toEqual([]);
    expect((await countProfile(db, def([{ age: { min: 0 } }]), D, "GM0001")).map((r) => r.pc6)).toEqual([
      "1001AA",
      "1001AB",
      "1002AA",
    ]);
  });

  it("binds what the user gives: a fact name with SQL in it is just a name", async () => {
    // The definition schema refuses such names; the query binds them anyway.
    const evil = { ...def([{ fact: "minima" }]), conditions: [{ fact: "minima' OR 1=1 --" }] };
    expect(Object.values(await counts(evil))).toEqual([0, 0, 0]);
  });
});
