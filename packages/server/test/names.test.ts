import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Database } from "../src/store/database.js";
import { borrowAreaNames } from "../src/store/delivery-repository.js";
import { demoDbCopy } from "./fixtures.js";

interface NameRow {
  code: string;
  division: number;
  name: string | null;
  name_division: number | null;
}

describe("names borrowed for areas of a division without names", () => {
  let db: Database;
  const names = () =>
    db.transaction((ex) =>
      ex.all<NameRow>(
        `SELECT code, division, name, name_division FROM areas WHERE name_division <> division ORDER BY code, division`,
      ),
    );

  beforeAll(async () => {
    db = await Database.open({ path: demoDbCopy() });
  });
  afterAll(() => db.close());

  it("the demo has borrowed names, and borrowing them again from scratch gives the same", async () => {
    const before = await names();
    expect(before.length).toBeGreaterThan(1000);
    await db.transaction((ex) =>
      ex.run(`UPDATE areas SET name = NULL, name_division = NULL WHERE name_division <> division`),
    );
    expect(await names()).toEqual([]);
    await borrowAreaNames(db);
    expect(await names()).toEqual(before);
  });

  it("takes the name from the division with the most alike codes in the gemeente, not the nearest year", async () => {
    const rows = await db.transaction((ex) =>
      ex.all<NameRow>(
        `SELECT code, division, name, name_division FROM areas WHERE code = 'WK003402' ORDER BY division`,
      ),
    );
    const of2020 = rows.find((r) => r.division === 2020)!;
    // 2024 is nearer to 2020, but Almere's 2024 wijken are another set (72 codes, most new).
    expect(of2020.name_division).toBe(2014);
    expect(of2020.name).toBe(rows.find((r) => r.division === 2014)!.name);
  });
});
