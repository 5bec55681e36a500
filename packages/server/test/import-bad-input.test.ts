/**
 * Bad input is refused with a message an analyst can act on (file, line, column or field, what was
 * expected) and leaves the database exactly as it was. Each test runs on its own fresh DuckDB file
 * holding one small valid delivery, so "nothing was written" is checked against non-empty tables.
 */
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { InputError } from "../src/errors.js";
import { importFile, type ImportRequest } from "../src/ingest/import-service.js";
import { Database } from "../src/store/database.js";
import { tempDir, tempFile, listenOnLoopback } from "./fixtures.js";

const SOURCE = {
  id: "test-bron",
  name: "Testbron",
  publisher: "Test",
  attribution: "Bron: test",
  licence: "CC BY 4.0",
  open: true,
};
const INWONERS = {
  column: "inwoners",
  id: "inwoners",
  name: { nl: "Inwoners", en: "Residents" },
  unit: "aantal",
  domain: "population",
  polarity: "neutral",
  kind: "count",
  decimals: 0,
};

/** A CSV mapping (as JSON text, which is YAML too); `over` replaces top-level fields. */
function csvMapping(over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: 1,
    source: SOURCE,
    format: "csv",
    areas: { code: "code", division: 2020, register: true, name: { column: "naam" } },
    period: { column: "jaar" },
    indicators: [INWONERS],
    ...over,
  });
}

/** A GeoJSON or TopoJSON mapping registering boundaries of division 2020. */
function geoMapping(format: "geojson" | "topojson"): string {
  return JSON.stringify({
    version: 1,
    source: { ...SOURCE, id: "test-grenzen" },
    format,
    ...(format === "topojson" ? { topojson: { object: "layer" } } : {}),
    areas: { code: "statcode", division: 2020, register: true, name: { column: "statnaam" }, geometry: true },
  });
}

const VALID_CSV = "code,naam,jaar,inwoners\nGM0034,Almere,2020,218096\nGM0363,Amsterdam,2020,872757\n";

interface Counts {
  deliveries: number;
  values: number;
  areas: number;
  geometries: number;
  indicators: number;
}

async function counts(db: Database): Promise<Counts> {
  const [row] = await db.read((ex) =>
    ex.all<Counts>(
      `SELECT (SELECT count(*) FROM deliveries)::INTEGER AS deliveries,
              (SELECT count(*) FROM indicator_values)::INTEGER AS "values",
              (SELECT count(*) FROM areas)::INTEGER AS areas,
              (SELECT count(*) FROM area_geometries)::INTEGER AS geometries,
              (SELECT count(*) FROM indicators)::INTEGER AS indicators`,
    ),
  );
  return row!;
}

let db: Database;
let dir: string;
let before: Counts;

beforeEach(async () => {
  dir = tempDir();
  db = await Database.open({ path: join(dir, "t.duckdb") });
  await importFile(db, { file: tempFile("seed.csv", VALID_CSV, dir), mappingText: csvMapping() });
  before = await counts(db);
});
afterEach(() => db.close());

/**
 * Runs an import that must fail; returns the error's message and details as one text. Also checks
 * that nothing was written.
 */
async function rejected(req: Omit<ImportRequest, "mappingName"> & { mappingName?: string }): Promise<string> {
  let error: unknown;
  try {
    await importFile(db, { mappingName: "test.yaml", ...req });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(InputError);
  expect(await counts(db)).toEqual(before);
  const e = error as InputError;
  return [e.message, ...e.details].join("\n");
}

/** Writes `content` as `name` in the test's folder and imports it with `mapping` (expected to fail). */
const rejectedFile = (name: string, content: string | Uint8Array, mapping = csvMapping()): Promise<string> =>
  rejected({ file: tempFile(name, content, dir), mappingText: mapping });

describe("the seed", () => {
  it("is a non-empty delivery, so 'unchanged' means something", () => {
    expect(before).toMatchObject({ deliveries: 1, values: 3, areas: 3, indicators: 1 }); // 2 + derived NL01
  });
});

describe("CSV structure", () => {
  it("a ragged row (fewer fields than the header) names the line and the expected field count", async () => {
    const text = await rejectedFile(
      "ragged.csv",
      "code,naam,jaar,inwoners\nGM0034,Almere,2020,1\nGM0363,Amsterdam,2020\n",
    );
    expect(text).toContain("ragged.csv:3: ragged row: 3 fields where the header has 4");
    expect(text).toContain("expected every row to have as many fields as the header");
  });

  it("a ragged row (more fields than the header) names the line and the expected field count", async () => {
    const text = await rejectedFile("ragged.csv", "code,naam,jaar,inwoners\nGM0034,Almere,2020,1,5\n");
    expect(text).toContain("ragged.csv:2: ragged row: 5 fields where the header has 4");
  });

  it("an unclosed quote names the line where the quoted field opens, not the end of the file", async () => {
    const rows = Array.from({ length: 20 }, (_, i) => `GM${String(100 + i).padStart(4, "0")},X,2020,${i}`);
    const text = await rejectedFile(
      "quotes.csv",
      `code,naam,jaar,inwoners\nGM0034,"Almere,2020,1\n${rows.join("\n")}\n`,
    );
    expect(text).toContain("quotes.csv:2: unbalanced quotes");
    expect(text).toContain('expected a closing "');
  });

  it("a stray quote inside an unquoted field names the line and how to quote", async () => {
    const text = await rejectedFile("quotes.csv", 'code,naam,jaar,inwoners\nGM0034,Al"mere,2020,1\n');
    expect(text).toContain("quotes.csv:2: unbalanced quotes");
    expect(text).toContain('inner quotes doubled ("")');
  });

  it("cp1252 bytes where the mapping declares UTF-8 name line, column and byte", async () => {
    const bytes = Buffer.from(
      "code,naam,jaar,inwoners\nGM0034,Almere,2020,1\nGM1900,Súdwest-Fryslân,2020,2\n",
      "latin1",
    );
    const text = await rejectedFile("latin1.csv", bytes, csvMapping({ csv: { encoding: "utf-8" } }));
    expect(text).toContain("latin1.csv:3:9: not valid UTF-8 (byte 0xfa)");
    expect(text).toContain("expected UTF-8 as the mapping declares");
    expect(text).toContain("encoding: cp1252");
  });

  it.each<[string, Uint8Array]>([
    ["0 bytes", new Uint8Array(0)],
    ["only a BOM", Buffer.from([0xef, 0xbb, 0xbf])],
    ["only whitespace", Buffer.from("  \r\n\n\t \n")],
    ["a BOM and whitespace", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("\r\n \n")])],
  ])("an empty file (%s) is refused as empty", async (_name, bytes) => {
    const text = await rejectedFile("empty.csv", bytes);
    expect(text).toContain("empty.csv: the file is empty; expected a header line and rows");
  });

  it("a 100 MB single line fails fast with the record-size message", async () => {
    const header = "code,naam,jaar,inwoners\nGM0034,";
    const bytes = Buffer.alloc(100 * 1024 * 1024, "a");
    bytes.write(header, 0, "latin1");
    const started = performance.now();
    const text = await rejected({ file: join(dir, "huge.csv"), bytes, mappingText: csvMapping() });
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(text).toContain("huge.csv:2: a record longer than 1,048,576 characters");
    expect(text).toContain("expected one row per line");
  });
});

describe("CSV content", () => {
  it("unknown area codes (register: false, division already registered) are listed by line", async () => {
    const text = await rejectedFile(
      "unknown.csv",
      "code,naam,jaar,inwoners\nGM0034,Almere,2020,1\nGM9999,Nergens,2020,2\nWK999901,Nowhere,2020,3\n",
      csvMapping({ areas: { code: "code", division: 2020, register: false } }),
    );
    expect(text).toContain("unknown.csv: 2 area codes are not in the 2020 division; nothing was imported");
    expect(text).toContain("unknown.csv:3: unknown area code GM9999 (division 2020)");
    expect(text).toContain("unknown.csv:4: unknown area code WK999901 (division 2020)");
    expect(text).toContain("expected codes of division 2020 (3 registered)");
  });

  it("a non-numeric value names line, column, the value and the expected form", async () => {
    const text = await rejectedFile(
      "nonnum.csv",
      "code,naam,jaar,inwoners\nGM0034,Almere,2020,1\nGM0363,Amsterdam,2020,veel\n",
    );
    expect(text).toContain("nonnum.csv: 1 problem found; nothing was imported");
    expect(text).toContain('nonnum.csv:3: column inwoners: "veel" is not a number; expected a number');
  });

  it("a duplicate key (same area and period twice) names both lines", async () => {
    const text = await rejectedFile(
      "dup.csv",
      "code,naam,jaar,inwoners\nGM0034,Almere,2020,1\nGM0363,Amsterdam,2020,2\nGM0034  ,Almere,2020,3\n",
    );
    expect(text).toContain("dup.csv:4: duplicate key: area GM0034, period 2020 already at dup.csv:2");
  });

  it("a code that is no area code names line, column and the expected forms", async () => {
    const text = await rejectedFile("code.csv", "code,naam,jaar,inwoners\nGM34,Almere,2020,1\n");
    expect(text).toContain('code.csv:2: column code: "GM34" is not an area code; expected one of');
    expect(text).toContain("GM + 4 digits (GM0034)");
  });
});

describe("mapping files", () => {
  const data = (): string => tempFile("data.csv", VALID_CSV, dir);

  it("a YAML syntax error names the mapping file and the line", async () => {
    const mappingFile = tempFile(
      "broken.yaml",
      "version: 1\nsource:\n  id: test-bron\n   name: Testbron\nformat: csv\n",
      dir,
    );
    const text = await rejected({ file: data(), mappingFile });
    expect(text).toContain("broken.yaml: the mapping is not valid YAML/JSON");
    expect(text).toMatch(/^broken\.yaml:[34]:\d+: /m);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["source", { source: undefined }, "incomplete.yaml: source: Invalid input: expected object"],
    [
      "areas.code",
      { areas: { division: 2020, register: true } },
      "incomplete.yaml: areas.code: Invalid input",
    ],
  ])("an incomplete mapping (missing %s) names the field path", async (_field, over, expected) => {
    const mappingFile = tempFile("incomplete.yaml", csvMapping(over), dir);
    const text = await rejected({ file: data(), mappingFile });
    expect(text).toContain("incomplete.yaml: the mapping is incomplete or wrong");
    expect(text).toContain(expected);
  });

  it("a mapping naming a column the file lacks names the mapping field and lists the file's columns", async () => {
    const text = await rejectedFile("cols.csv", "code,naam,jaar,bewoners\nGM0034,Almere,2020,1\n");
    expect(text).toContain("cols.csv: the mapping names a column the file does not have");
    expect(text).toContain('mapping indicators.0.column: column "inwoners" not found');
    expect(text).toContain("the file's columns are: code, naam, jaar, bewoners");
  });
});

describe("GeoJSON and TopoJSON", () => {
  const square = [
    [5.1, 52.3],
    [5.3, 52.3],
    [5.3, 52.4],
    [5.1, 52.4],
    [5.1, 52.3],
  ];
  const collection = (geometry: unknown): string =>
    JSON.stringify({
      type: "FeatureCollection",
      features: [{ type: "Feature", properties: { statcode: "GM0034", statnaam: "Almere" }, geometry }],
    });

  it("invalid JSON names line and column", async () => {
    const text = await rejectedFile(
      "bad.geojson",
      '{\n  "type": "FeatureCollection",\n  "features": [\n    { "type": "Feature", }\n  ]\n}\n',
      geoMapping("geojson"),
    );
    expect(text).toMatch(/^bad\.geojson:4:\d+: malformed JSON/);
  });

  it("a document that is not a FeatureCollection says what was found and expected", async () => {
    const text = await rejectedFile(
      "feature.geojson",
      JSON.stringify({ type: "Feature", properties: {}, geometry: null }),
      geoMapping("geojson"),
    );
    expect(text).toContain(
      'feature.geojson: expected a GeoJSON FeatureCollection with a "features" array, found type "Feature"',
    );
  });

  it("a polygon ring that is not closed names feature and ring", async () => {
    const open = [...square.slice(0, 4), [5.1, 52.35]];
    const text = await rejectedFile(
      "open.geojson",
      collection({ type: "Polygon", coordinates: [open] }),
      geoMapping("geojson"),
    );
    expect(text).toContain("open.geojson: feature 1, ring 1: a polygon ring must end where it starts");
  });

  it("coordinates that are not numbers name feature, ring and position", async () => {
    const ring = square.map((p, i) => (i === 1 ? [String(p[0]), p[1]] : p));
    const text = await rejectedFile(
      "text.geojson",
      collection({ type: "Polygon", coordinates: [ring] }),
      geoMapping("geojson"),
    );
    expect(text).toContain(
      'text.geojson: feature 1, ring 1, position 2: a position must be [longitude, latitude] of finite numbers, got ["5.3",52.3]',
    );
  });

  const topology = (objectName: string, arcs: number[][]): string =>
    JSON.stringify({
      type: "Topology",
      objects: {
        [objectName]: {
          type: "GeometryCollection",
          geometries: [{ type: "Polygon", arcs, properties: { statcode: "GM0034", statnaam: "Almere" } }],
        },
      },
      arcs: [square],
    });

  it("a TopoJSON without the mapping's object names the object and the ones it has", async () => {
    const text = await rejectedFile("topo.json", topology("gemeenten", [[0]]), geoMapping("topojson"));
    expect(text).toContain('topo.json: the topology has no object "layer"; it has: gemeenten');
    expect(text).toContain("set topojson.object in the mapping");
  });

  it("a TopoJSON arc index out of range names object, geometry and index", async () => {
    const text = await rejectedFile("topo.json", topology("layer", [[0, 7]]), geoMapping("topojson"));
    expect(text).toContain('topo.json: object "layer", geometry 1: arc index 7 does not exist (1 arcs)');
  });
});

describe("a running server", () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("keeps serving the same data while a bad import fails on the same database", async () => {
    app = await buildApp({ db, logLevel: "silent" });
    const base = await listenOnLoopback(app);
    const snapshot = async () => {
      const health = await fetch(`${base}/api/health`);
      const values = await fetch(`${base}/api/indicators/inwoners/values?level=gemeente&period=2020`);
      const h = (await health.json()) as { status: string; database: unknown };
      return {
        status: [health.status, values.status],
        health: [h.status, h.database],
        values: await values.json(),
      };
    };
    const first = await snapshot();
    expect(first.status).toEqual([200, 200]);

    await rejectedFile(
      "unknown.csv",
      "code,naam,jaar,inwoners\nGM0034,Almere,2020,5\nGM9999,Nergens,2020,6\n",
      csvMapping({ areas: { code: "code", division: 2020, register: false } }),
    );
    // Forget cached views, so the answers below are read from the database again.
    app.cube.invalidate();
    expect(await snapshot()).toEqual(first);
  });
});
