/**
 * The synthetic population generator (issue 4, requirement 3): Almere (GM0034) from the demo database,
 * scaled to 20,000 residents, read back with DuckDB. No mocks: real database copies, real files.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isValidBsn } from "@wijkradar/core";
import { beforeAll, describe, expect, it } from "vitest";
import { readCalibrationInputs } from "../src/store/calibration-repository.js";
import { Database } from "../src/store/database.js";
import { queryFiles } from "../src/store/table-writer.js";
import { passesElevenTest } from "../src/synth/bsn.js";
import { calibrate, type CalibrationTargets } from "../src/synth/calibration.js";
import { FILE_COLUMNS, generatePopulation, TOLERANCE, type GenerateReport } from "../src/synth/generate.js";
import { demoDbCopy, tempDir } from "./fixtures.js";

const PERSONS = 20_000;
const REF = "2026-01-01";
let targets: CalibrationTargets;
let out: string;
let report: GenerateReport;

const q = <T = Record<string, unknown>>(sql: string) => queryFiles<T>(sql);
const f = (name: string) => `'${join(out, name)}'`;
const pq = (name: string) => `read_parquet(${f(`${name}.parquet`)})`;
const pc6 = () => `read_csv(${f("pc6_buurt.csv")}, all_varchar = true)`;

async function fileHashes(dir: string): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const name of Object.keys(FILE_COLUMNS)) {
    const rows = await queryFiles<{ h: string }>(
      `SELECT md5(string_agg(t::VARCHAR, chr(10) ORDER BY t::VARCHAR)) AS h FROM read_parquet('${join(dir, `${name}.parquet`)}') t`,
    );
    hashes[name] = rows[0]!.h;
  }
  hashes.pc6_buurt = readFileSync(join(dir, "pc6_buurt.csv"), "utf8");
  return hashes;
}

beforeAll(async () => {
  const db = await Database.open({ path: demoDbCopy(), readOnly: true });
  try {
    targets = calibrate(await readCalibrationInputs(db, ["GM0034"]));
  } finally {
    db.close();
  }
  out = tempDir();
  report = await generatePopulation(
    {
      seed: 7,
      gemeenten: ["GM0034"],
      targets,
      persons: PERSONS,
      referenceDate: REF,
      historyFrom: "2022-01-01",
    },
    out,
  );
});

describe("calibration targets from the demo database", () => {
  it("covers Almere's 67 buurten of division 2020 and sums to the gemeente's population", () => {
    const g = targets.gemeenten[0]!;
    expect(g.code).toBe("GM0034");
    expect(g.buurten).toHaveLength(67);
    expect(g.buurten.every((b) => b.indeling === 2020 && /^BU0034\d{4}$/.test(b.code))).toBe(true);
    expect(g.buurten.reduce((s, b) => s + b.persons, 0)).toBe(g.persons);
    expect(g.persons).toBeGreaterThan(200_000);
    // Name-matched buurten take the 2024 wijk's population.
    const film = g.buurten.find((b) => b.code === "BU00340202")!;
    expect(film.rule).toBe("wijk-name-match");
    expect(film.persons).toBe(10425);
    // The worst RIVM buurt is worse than the best.
    const staats = g.buurten.find((b) => b.code === "BU00340209")!;
    const vogel = g.buurten.find((b) => b.code === "BU00340502")!;
    expect(staats.finance).toBeGreaterThan(2 * vogel.finance);
    expect(g.buurten.find((b) => b.code === "BU00340311")!.hotPc6).toBeGreaterThan(0);
  });
});

describe("determinism", () => {
  it("gives the same rows for the same seed and other rows for another seed", async () => {
    const again = tempDir();
    await generatePopulation(
      { seed: 7, gemeenten: ["GM0034"], targets, persons: PERSONS, referenceDate: REF },
      again,
    );
    const a = await fileHashes(out);
    const b = await fileHashes(again);
    expect(b).toEqual(a);
    expect(readFileSync(join(again, "manifest.json"), "utf8")).toBe(
      readFileSync(join(out, "manifest.json"), "utf8"),
    );
    const other = tempDir();
    await generatePopulation({ seed: 8, gemeenten: ["GM0034"], targets, persons: PERSONS }, other);
    const c = await fileHashes(other);
    expect(c.brp).not.toBe(a.brp);
    expect(c.uitkeringen).not.toBe(a.uitkeringen);
  });
});

describe("the register (brp)", () => {
  it("has valid, unique BSNs and well-formed ids", async () => {
    const rows = await q<{ bsn: string; adres_id: string; huishouden_id: string; postcode: string }>(
      `SELECT DISTINCT bsn, adres_id, huishouden_id, postcode FROM ${pq("brp")}`,
    );
    const bsns = new Set(rows.map((r) => r.bsn));
    for (const b of bsns) {
      expect(b).toMatch(/^\d{9}$/);
      if (!passesElevenTest(b) || !isValidBsn(b)) throw new Error(`BSN ${b} fails the 11-test`);
    }
    for (const r of rows) {
      expect(r.adres_id).toMatch(/^003420\d{10}$/);
      expect(r.postcode).toMatch(/^1[0-9]{3}[A-Z]{2}$/);
    }
    // One person per BSN: a single birth date and sex, at most one open row.
    const [u] = await q<{ multi: bigint; open_dup: bigint; persons: bigint }>(
      `SELECT (SELECT count(*) FROM (SELECT bsn FROM ${pq("brp")} GROUP BY bsn
                 HAVING count(DISTINCT geboortedatum) > 1 OR count(DISTINCT geslacht) > 1)) AS multi,
              (SELECT count(*) FROM (SELECT bsn FROM ${pq("brp")} WHERE einddatum IS NULL GROUP BY bsn HAVING count(*) > 1)) AS open_dup,
              (SELECT count(*) FROM ${pq("brp")} WHERE einddatum IS NULL) AS persons`,
    );
    expect(Number(u!.multi)).toBe(0);
    expect(Number(u!.open_dup)).toBe(0);
    expect(Number(u!.persons)).toBe(PERSONS);
  });

  it("has consistent periods: movers have consecutive rows, some were born, died or left", async () => {
    const [r] = await q<{ bad: bigint; gaps: bigint; movers: bigint; births: bigint; left: bigint }>(
      `WITH b AS (SELECT *, lead(ingangsdatum) OVER (PARTITION BY bsn ORDER BY ingangsdatum) AS next_start
                  FROM ${pq("brp")})
       SELECT count(*) FILTER (WHERE einddatum IS NOT NULL AND ingangsdatum >= einddatum
                                 OR ingangsdatum < geboortedatum) AS bad,
              count(*) FILTER (WHERE next_start IS NOT NULL AND next_start <> einddatum) AS gaps,
              count(*) FILTER (WHERE next_start IS NOT NULL) AS movers,
              count(DISTINCT bsn) FILTER (WHERE geboortedatum >= DATE '2022-01-01') AS births,
              count(DISTINCT bsn) FILTER (WHERE einddatum IS NOT NULL AND next_start IS NULL) AS "left"
       FROM b`,
    );
    expect(Number(r!.bad)).toBe(0);
    expect(Number(r!.gaps)).toBe(0);
    expect(Number(r!.movers)).toBeGreaterThan(PERSONS * 0.05);
    expect(Number(r!.births)).toBeGreaterThan(100);
    expect(Number(r!.left)).toBeGreaterThan(PERSONS * 0.05);
  });

  it("matches the calibration targets within the stated tolerances", async () => {
    const g = targets.gemeenten[0]!;
    const [r] = await q<Record<string, number>>(
      `WITH p AS (SELECT *, date_diff('year', geboortedatum, DATE '${REF}')
                        - CASE WHEN strftime(geboortedatum, '%m%d') > '0101' THEN 1 ELSE 0 END AS age
                  FROM ${pq("brp")} WHERE einddatum IS NULL)
       SELECT count(*)::DOUBLE AS persons, count(DISTINCT huishouden_id)::DOUBLE AS households,
              avg((age < 15)::INT) * 100 AS a0, avg((age BETWEEN 15 AND 24)::INT) * 100 AS a1,
              avg((age BETWEEN 25 AND 44)::INT) * 100 AS a2, avg((age BETWEEN 45 AND 64)::INT) * 100 AS a3,
              avg((age >= 65)::INT) * 100 AS a4,
              count(DISTINCT huishouden_id) FILTER (WHERE huishouden_grootte = 1)::DOUBLE AS singles,
              avg((huishouden_grootte = 1)::INT) FILTER (WHERE age >= 65) AS alone65,
              avg((huishouden_grootte = 1)::INT) FILTER (WHERE age BETWEEN 25 AND 64) AS alone25
       FROM p`,
    );
    expect(r!.persons).toBe(PERSONS);
    g.ageShares.forEach((s, i) =>
      expect(Math.abs(r![`a${i}`]! - 100 * s)).toBeLessThanOrEqual(TOLERANCE.agePct),
    );
    expect(Math.abs(r!.persons! / r!.households! - g.meanHouseholdSize)).toBeLessThanOrEqual(
      TOLERANCE.meanHouseholdSize,
    );
    expect(Math.abs((100 * r!.singles!) / r!.households! - 100 * g.singleShare)).toBeLessThanOrEqual(
      TOLERANCE.singlePct,
    );
    // Living alone is more common among 65+.
    expect(r!.alone65).toBeGreaterThan(r!.alone25! * 1.3);
    // Every check in the manifest is within its tolerance.
    for (const c of report.calibration[0]!.checks)
      expect(Math.abs(c.generated - c.target), c.measure).toBeLessThanOrEqual(c.tolerance + 1e-9);
  });

  it("puts the scaled number of residents in every buurt", async () => {
    const g = targets.gemeenten[0]!;
    const rows = await q<{ buurtcode: string; n: bigint }>(
      `SELECT m.buurtcode, count(*) AS n FROM ${pq("brp")} b JOIN ${pc6()} m ON m.postcode = b.postcode
       WHERE b.einddatum IS NULL GROUP BY 1`,
    );
    const byCode = new Map(rows.map((r) => [r.buurtcode, Number(r.n)]));
    const scale = PERSONS / g.persons;
    for (const b of g.buurten)
      expect(Math.abs((byCode.get(b.code) ?? 0) - b.persons * scale)).toBeLessThanOrEqual(1);
  });
});

describe("postcodes (pc6_buurt.csv)", () => {
  it("puts every PC6 in exactly one buurt, with PC4 in 1311–1364 crossing buurt borders", async () => {
    const [r] = await q<Record<string, bigint | number>>(
      `SELECT count(*) AS n, count(DISTINCT postcode) AS distinct_pc6,
              count(*) FILTER (WHERE substr(postcode, 1, 4)::INT NOT BETWEEN 1311 AND 1364) AS outside,
              count(*) FILTER (WHERE jaar <> '2026' OR indeling <> '2020') AS other_year
       FROM ${pc6()}`,
    );
    expect(Number(r!.n)).toBe(Number(r!.distinct_pc6));
    expect(Number(r!.outside)).toBe(0);
    expect(Number(r!.other_year)).toBe(0);
    const [c] = await q<{ crossing: bigint }>(
      `SELECT count(*) AS crossing FROM (SELECT substr(postcode, 1, 4) AS pc4 FROM ${pc6()}
       GROUP BY 1 HAVING count(DISTINCT buurtcode) > 1)`,
    );
    expect(Number(c!.crossing)).toBeGreaterThan(5);
    const [m] = await q<{ missing: bigint }>(
      `SELECT count(*) AS missing FROM (
         SELECT postcode FROM ${pq("brp")} UNION SELECT postcode FROM ${pq("overlast")}
       ) x WHERE postcode NOT IN (SELECT postcode FROM ${pc6()})`,
    );
    expect(Number(m!.missing)).toBe(0);
    const [s] = await q<{ avg: number; max: bigint }>(
      `SELECT avg(n) AS avg, max(n) AS max FROM (SELECT postcode, count(*) AS n FROM ${pq("brp")}
       WHERE einddatum IS NULL GROUP BY 1)`,
    );
    expect(s!.avg).toBeGreaterThan(25);
    expect(s!.avg).toBeLessThan(60);
    expect(Number(s!.max)).toBeGreaterThanOrEqual(150);
  });
});

describe("facts", () => {
  const ageAt = (col: string) =>
    `(date_diff('year', p.geboortedatum, ${col}) - CASE WHEN strftime(p.geboortedatum, '%m%d') > strftime(${col}, '%m%d') THEN 1 ELSE 0 END)`;
  const persons = () => `(SELECT DISTINCT bsn, geboortedatum FROM ${pq("brp")}) p`;

  it("reports school absence only at ages 5–18 and youth care only at 0–17", async () => {
    const [v] = await q<{ n: bigint; bad: bigint; weekend: bigint }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE ${ageAt("v.meldingsdatum")} NOT BETWEEN 5 AND 18) AS bad,
              count(*) FILTER (WHERE dayofweek(v.meldingsdatum) IN (0, 6)) AS weekend
       FROM ${pq("verzuim")} v JOIN ${persons()} USING (bsn)`,
    );
    expect(Number(v!.n)).toBeGreaterThan(100);
    expect(Number(v!.bad)).toBe(0);
    const [j] = await q<{ n: bigint; bad: bigint }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE ${ageAt("j.ingangsdatum")} NOT BETWEEN 0 AND 17
                 OR ${ageAt("coalesce(j.einddatum, DATE '" + REF + "')")} NOT BETWEEN 0 AND 17) AS bad
       FROM ${pq("jeugdhulp")} j JOIN ${persons()} USING (bsn)`,
    );
    expect(Number(j!.n)).toBeGreaterThan(100);
    expect(Number(j!.bad)).toBe(0);
  });

  it("has consistent periods and known BSNs in every person-level file", async () => {
    for (const name of ["uitkeringen", "schuldhulp", "jeugdhulp", "wmo"]) {
      const [r] = await q<{ bad: bigint; unknown: bigint }>(
        `SELECT count(*) FILTER (WHERE einddatum IS NOT NULL AND ingangsdatum >= einddatum) AS bad,
                count(*) FILTER (WHERE bsn NOT IN (SELECT bsn FROM ${pq("brp")})) AS unknown
         FROM ${pq(name)}`,
      );
      expect(Number(r!.bad), name).toBe(0);
      expect(Number(r!.unknown), name).toBe(0);
    }
    for (const name of ["huurachterstand", "minima"]) {
      const [r] = await q<{ bad: bigint }>(
        `SELECT count(*) FILTER (WHERE einddatum IS NOT NULL AND ingangsdatum >= einddatum) AS bad FROM ${pq(name)}`,
      );
      expect(Number(r!.bad), name).toBe(0);
    }
  });

  it("makes profiles meaningful: low income clusters with benefits, debts and arrears; Wmo is mostly 65+", async () => {
    const [r] = await q<Record<string, number>>(
      `WITH cur AS (SELECT * FROM ${pq("brp")} WHERE einddatum IS NULL),
            mh AS (SELECT DISTINCT huishouden_id FROM ${pq("minima")} WHERE einddatum IS NULL),
            c AS (SELECT cur.*, huishouden_id IN (SELECT * FROM mh) AS minima,
                         bsn IN (SELECT bsn FROM ${pq("uitkeringen")} WHERE regeling = 'bijstand' AND einddatum IS NULL) AS bijstand,
                         bsn IN (SELECT bsn FROM ${pq("schuldhulp")}) AS schuld,
                         adres_id IN (SELECT adres_id FROM ${pq("huurachterstand")}) AS arrears
                  FROM cur)
       SELECT avg(bijstand::INT) FILTER (WHERE minima) AS bij_min, avg(bijstand::INT) FILTER (WHERE NOT minima) AS bij_rest,
              avg(schuld::INT) FILTER (WHERE minima) AS sch_min, avg(schuld::INT) FILTER (WHERE NOT minima) AS sch_rest,
              avg(arrears::INT) FILTER (WHERE minima) AS arr_min, avg(arrears::INT) FILTER (WHERE NOT minima) AS arr_rest
       FROM c`,
    );
    expect(r!.bij_min).toBeGreaterThan(5 * r!.bij_rest!);
    expect(r!.sch_min).toBeGreaterThan(3 * r!.sch_rest!);
    expect(r!.arr_min).toBeGreaterThan(3 * r!.arr_rest!);
    const [w] = await q<{ old: number }>(
      `SELECT avg((${ageAt("DATE '" + REF + "'")} >= 65)::INT) AS old FROM ${pq("wmo")} w JOIN ${persons()} USING (bsn)
       WHERE w.einddatum IS NULL`,
    );
    expect(w!.old).toBeGreaterThan(0.6);
  });

  it("has worse buurten where RIVM says so, and hot PC6 inside an average buurt (Eilandenbuurt)", async () => {
    const rows = await q<{ key: string; share: number; n: bigint }>(
      `WITH h AS (SELECT DISTINCT b.huishouden_id, b.postcode, m.buurtcode
                  FROM ${pq("brp")} b JOIN ${pc6()} m USING (postcode) WHERE b.einddatum IS NULL),
            mh AS (SELECT DISTINCT huishouden_id FROM ${pq("minima")} WHERE einddatum IS NULL)
       SELECT buurtcode AS key, avg((huishouden_id IN (SELECT * FROM mh))::INT) AS share, count(*) AS n FROM h GROUP BY 1
       UNION ALL
       SELECT 'hot' AS key, avg((huishouden_id IN (SELECT * FROM mh))::INT), count(*) FROM h
       WHERE postcode IN (${report.calibration[0]!.hotPc6.map((p) => `'${p}'`).join(", ")})`,
    );
    const share = new Map(rows.map((r) => [r.key, r.share]));
    expect(share.get("BU00340209")!).toBeGreaterThan(share.get("BU00340502")!);
    expect(report.calibration[0]!.hotBuurten).toContain("BU00340311");
    expect(share.get("hot")!).toBeGreaterThan(3 * share.get("BU00340311")!);
  });
});

describe("files", () => {
  it("writes every file with the contract's columns, and a manifest with the counts", async () => {
    for (const [name, cols] of Object.entries(FILE_COLUMNS)) {
      const desc = await q<{ column_name: string }>(`DESCRIBE SELECT * FROM ${pq(name)}`);
      expect(desc.map((d) => d.column_name)).toEqual(cols.map((c) => c.name));
    }
    const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as {
      seed: number;
      files: { file: string; rows: number }[];
      historyWindow: string[];
    };
    expect(manifest.seed).toBe(7);
    expect(manifest.historyWindow).toEqual(["2022-01-01", REF]);
    for (const file of manifest.files) {
      const [r] = await q<{ n: bigint }>(
        file.file.endsWith(".csv")
          ? `SELECT count(*) AS n FROM read_csv(${f(file.file)})`
          : `SELECT count(*) AS n FROM read_parquet(${f(file.file)})`,
      );
      expect(Number(r!.n), file.file).toBe(file.rows);
    }
  });

  it("writes CSV with a header, ISO dates and empty open ends on request", async () => {
    const dir = tempDir();
    await generatePopulation({ seed: 7, gemeenten: ["GM0034"], targets, persons: 1500, format: "csv" }, dir);
    const text = readFileSync(join(dir, "brp.csv"), "utf8");
    const [header, first] = text.split("\n");
    expect(header).toBe(FILE_COLUMNS.brp!.map((c) => c.name).join(","));
    expect(first).toMatch(
      /^\d{9},003420\d{10},\d+,1\d{3}[A-Z]{2},\d{4}-\d{2}-\d{2},[MV],\d+,[a-z_]+,\d{4}-\d{2}-\d{2},(\d{4}-\d{2}-\d{2})?$/,
    );
    const [r] = await q<{ n: bigint }>(
      `SELECT count(*) AS n FROM read_csv('${join(dir, "brp.csv")}') WHERE einddatum IS NULL`,
    );
    expect(Number(r!.n)).toBe(1500);
  });
});
