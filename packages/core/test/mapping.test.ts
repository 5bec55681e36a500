import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { formatIssues, MappingSchema } from "../src/mapping.js";

const MAPPINGS_DIR = join(import.meta.dirname, "..", "..", "..", "data", "demo", "mappings");
const demoMappings = readdirSync(MAPPINGS_DIR)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

/** A small valid CSV mapping; cases below break one thing each. */
const VALID = {
  version: 1,
  source: {
    id: "test-source",
    name: "Test",
    publisher: "Tester",
    attribution: "Bron: test",
    licence: "CC BY 4.0",
    open: true,
  },
  format: "csv",
  areas: { code: "code", division: 2020 },
  period: { value: 2020 },
  indicators: [
    {
      column: "x",
      id: "x",
      name: { nl: "x", en: "x" },
      unit: "%",
      domain: "health",
      polarity: "neutral",
      kind: "percentage",
    },
  ],
};
const indicator = VALID.indicators[0]!;

/** The formatted issues of a mapping that must be rejected. */
function issuesOf(mapping: unknown): string[] {
  const result = MappingSchema.safeParse(mapping);
  expect(result.success).toBe(false);
  return result.success ? [] : formatIssues(result.error.issues);
}

describe("MappingSchema on the demo mappings", () => {
  it("finds the demo mapping files", () => {
    expect(demoMappings.length).toBeGreaterThanOrEqual(6);
  });

  it.each(demoMappings)("accepts %s", (file) => {
    const result = MappingSchema.safeParse(parse(readFileSync(join(MAPPINGS_DIR, file), "utf8")));
    expect(result.success ? [] : formatIssues(result.error.issues)).toEqual([]);
  });

  it("fills the defaults of the RIVM mapping", () => {
    const m = MappingSchema.parse(parse(readFileSync(join(MAPPINGS_DIR, "rivm-gezondheid.yaml"), "utf8")));
    expect(m.areas.register).toBe(true);
    expect(m.areas.geometry).toBe(false);
    expect(m.missing).toEqual([".", "", "-99999999", "-99999997", "x"]);
    expect(m.indicators.every((i) => i.optional === false)).toBe(true);
    expect(Object.values(m.variant!.values).map((v) => v.suffix)).toEqual(["18plus", "18_65", "65plus"]);
  });
});

describe("MappingSchema defaults", () => {
  it("a minimal CSV mapping gets auto CSV options, the CBS missing markers and register: false", () => {
    const m = MappingSchema.parse(VALID);
    expect(m.csv).toEqual({ delimiter: "auto", decimal: "auto", encoding: "auto" });
    expect(m.missing).toContain("-99999999");
    expect(m.areas.register).toBe(false);
    expect(m.indicators[0]!.decimals).toBe(1);
    expect(m.source.open).toBe(true);
  });
});

describe("MappingSchema rejects incomplete or wrong mappings, naming the field", () => {
  it.each<[string, unknown, string]>([
    ["missing source", { ...VALID, source: undefined }, "source:"],
    ["missing areas.code", { ...VALID, areas: { division: 2020 } }, "areas.code:"],
    ["missing areas.division", { ...VALID, areas: { code: "code" } }, "areas.division:"],
    ["missing format", { ...VALID, format: undefined }, "format:"],
    ["unknown format", { ...VALID, format: "xlsx" }, "format:"],
    ["wrong version", { ...VALID, version: 2 }, "version:"],
    ["bad source id", { ...VALID, source: { ...VALID.source, id: "Bad Id" } }, "source.id:"],
    [
      "missing attribution",
      { ...VALID, source: { ...VALID.source, attribution: undefined } },
      "source.attribution:",
    ],
    ["bad source url", { ...VALID, source: { ...VALID.source, url: "not a url" } }, "source.url:"],
    ["division out of range", { ...VALID, areas: { ...VALID.areas, division: 1800 } }, "areas.division:"],
    ["unknown delimiter", { ...VALID, csv: { delimiter: ":" } }, "csv.delimiter:"],
    ["unknown encoding", { ...VALID, csv: { encoding: "latin9" } }, "csv.encoding:"],
    [
      "indicator without column or numerator/denominator",
      { ...VALID, indicators: [{ ...indicator, column: undefined }] },
      "indicators.0: needs `column`, or both `numerator` and `denominator`",
    ],
    [
      "indicator with only a numerator",
      { ...VALID, indicators: [{ ...indicator, column: undefined, numerator: "n" }] },
      "indicators.0: needs `column`",
    ],
    [
      "count derived from numerator/denominator",
      {
        ...VALID,
        indicators: [{ ...indicator, column: undefined, kind: "count", numerator: "n", denominator: "d" }],
      },
      "indicators.0: kind count cannot be derived",
    ],
    ["unknown kind", { ...VALID, indicators: [{ ...indicator, kind: "ratio" }] }, "indicators.0.kind:"],
    [
      "unknown domain",
      { ...VALID, indicators: [{ ...indicator, domain: "weather" }] },
      "indicators.0.domain:",
    ],
    ["bad indicator id", { ...VALID, indicators: [{ ...indicator, id: "Eenzaam" }] }, "indicators.0.id:"],
    [
      "missing english name",
      { ...VALID, indicators: [{ ...indicator, name: { nl: "x" } }] },
      "indicators.0.name.en:",
    ],
    [
      "duplicate indicator id",
      { ...VALID, indicators: [indicator, { ...indicator, column: "y" }] },
      "indicators.1.id: duplicate indicator id x",
    ],
    [
      "no period for indicators",
      { ...VALID, period: undefined },
      "period: needed when an indicator has no period",
    ],
    ["nothing to import", { ...VALID, indicators: [] }, "indicators: nothing to import"],
    [
      "topojson without object",
      { ...VALID, format: "topojson" },
      "topojson: format topojson needs `topojson.object`",
    ],
    [
      "geometry from a CSV",
      { ...VALID, areas: { ...VALID.areas, geometry: true } },
      "areas.geometry: a CSV file has no geometry",
    ],
    [
      "invalid regex",
      { ...VALID, period: { column: "p", pattern: "(" } },
      "period.pattern: is not a valid regular expression",
    ],
    [
      "regex without capture group",
      { ...VALID, period: { column: "p", pattern: "\\d+" } },
      "period.pattern: needs one capture group",
    ],
    [
      "division regex without capture group",
      { ...VALID, areas: { code: "code", division: { fromFileName: "\\d{4}" } } },
      "areas.division",
    ],
    [
      "bad variant suffix",
      { ...VALID, variant: { column: "v", values: { a: { suffix: "A-b", label: { nl: "a", en: "a" } } } } },
      "variant.values.a.suffix:",
    ],
    ["unknown key at top level", { ...VALID, extra: 1 }, '"extra"'],
    [
      "unknown key in areas",
      { ...VALID, areas: { ...VALID.areas, codes: "x" } },
      'areas: Unrecognized key: "codes"',
    ],
    [
      "unknown level in areas.name.levels",
      { ...VALID, areas: { ...VALID.areas, name: { column: "n", levels: ["provincie"] } } },
      "areas.name.levels.0:",
    ],
  ])("%s", (_name, mapping, expected) => {
    expect(issuesOf(mapping).join("\n")).toContain(expected);
  });

  it("lists every problem, not only the first", () => {
    const issues = issuesOf({ ...VALID, source: undefined, areas: { division: 2020 } });
    expect(issues.some((i) => i.startsWith("source:"))).toBe(true);
    expect(issues.some((i) => i.startsWith("areas.code:"))).toBe(true);
  });
});
