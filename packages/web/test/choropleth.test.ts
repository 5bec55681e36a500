import { describe, expect, it } from "vitest";
import type { Indicator, Level } from "../src/api/types";
import { rankRows, resolveScope } from "../src/lib/choropleth";
import { deviation } from "../src/lib/deviation";
import { paletteFor } from "../src/lib/palette";
import { formatState, parseState } from "../src/lib/url-state";

const indicator = (levels: Level[], polarity: Indicator["polarity"] = "higher-is-worse"): Indicator => ({
  id: "x",
  name: { nl: "x", en: "x" },
  definition: null,
  unit: "%",
  domain: "health",
  polarity,
  kind: "percentage",
  decimals: 1,
  periods: ["2020"],
  levels,
  source: { id: "s", name: "s", attribution: "s", licence: "CC BY 4.0", url: null },
});
const ALL: Level[] = ["land", "gemeente", "wijk", "buurt"];
const NL = { code: "NL01", level: "land" as Level };
const GM = { code: "GM0034", level: "gemeente" as Level };
const WK = { code: "WK003402", level: "wijk" as Level };
const BU = { code: "BU00340203", level: "buurt" as Level };

describe("resolveScope", () => {
  it("the country shows its gemeenten; buurten of the whole country are not offered", () => {
    const s = resolveScope(indicator(ALL), [NL], undefined, "NL01");
    expect(s).toMatchObject({ level: "gemeente", scope: "NL01", selected: null });
    expect(s.levels).toEqual(["gemeente", "wijk"]);
  });
  it("a gemeente shows its wijken; a wijk its buurten", () => {
    expect(resolveScope(indicator(ALL), [NL, GM], undefined, "GM0034")).toMatchObject({
      level: "wijk",
      scope: "GM0034",
    });
    expect(resolveScope(indicator(ALL), [NL, GM, WK], undefined, "WK003402")).toMatchObject({
      level: "buurt",
      scope: "WK003402",
    });
  });
  it("a buurt is shown among the buurten of its wijk, outlined", () => {
    expect(resolveScope(indicator(ALL), [NL, GM, WK, BU], undefined, "BU00340203")).toMatchObject({
      level: "buurt",
      scope: "WK003402",
      selected: "BU00340203",
    });
  });
  it("an indicator only for gemeenten shows the gemeente among all gemeenten", () => {
    expect(resolveScope(indicator(["gemeente", "land"]), [NL, GM], undefined, "GM0034")).toMatchObject({
      level: "gemeente",
      scope: "NL01",
      selected: "GM0034",
    });
  });
  it("a level asked for in the URL wins when the indicator has it", () => {
    expect(resolveScope(indicator(ALL), [NL, GM], "buurt", "GM0034")).toMatchObject({
      level: "buurt",
      scope: "GM0034",
    });
    expect(resolveScope(indicator(["gemeente"]), [NL, GM], "buurt", "GM0034").level).toBe("gemeente");
  });
});

describe("rankRows", () => {
  const values = (polarity: Indicator["polarity"]) =>
    ({
      indicator: indicator(ALL, polarity),
      values: [
        { code: "A", status: "released", value: 2 },
        { code: "B", status: "suppressed" },
        { code: "C", status: "released", value: 9 },
        { code: "D", status: "released", value: 5 },
      ],
    }) as never;
  it("unfavourable first, areas without a figure last", () => {
    expect(rankRows(values("higher-is-worse")).map((r) => r.code)).toEqual(["C", "D", "A", "B"]);
    expect(rankRows(values("higher-is-better")).map((r) => r.code)).toEqual(["A", "D", "C", "B"]);
  });
});

describe("deviation", () => {
  it("judges by polarity with a 5 % threshold", () => {
    expect(deviation(110, 100, "higher-is-worse")?.judgement).toBe("unfavourable");
    expect(deviation(110, 100, "higher-is-better")?.judgement).toBe("favourable");
    expect(deviation(103, 100, "higher-is-worse")?.judgement).toBe("similar");
    expect(deviation(90, 100, "neutral")?.judgement).toBe("lower");
    expect(deviation(null, 100, "neutral")).toBeUndefined();
    expect(deviation(5, 0, "neutral")).toBeUndefined();
  });
  it("sorts unfavourable before favourable", () => {
    const worse = deviation(120, 100, "higher-is-worse")!;
    const better = deviation(80, 100, "higher-is-worse")!;
    expect(worse.score).toBeGreaterThan(better.score);
  });
});

describe("paletteFor", () => {
  it("puts the warm end where the indicator is unfavourable", () => {
    const worse = paletteFor("higher-is-worse", 5);
    const better = paletteFor("higher-is-better", 5);
    expect(worse).toHaveLength(5);
    expect(worse[4]).toBe(better[0]);
    expect(worse[0]).toBe(better[4]);
    // RdYlBu: red has more red than blue.
    const red = (hex: string) => parseInt(hex.slice(1, 3), 16) - parseInt(hex.slice(5, 7), 16);
    expect(red(worse[4]!)).toBeGreaterThan(0);
    expect(red(worse[0]!)).toBeLessThan(0);
  });
  it("gives as many colours as classes", () => {
    for (let n = 1; n <= 9; n++) expect(paletteFor("neutral", n)).toHaveLength(n);
  });
});

describe("URL state", () => {
  it("round-trips through the query string", () => {
    const s = parseState(
      "?v=profile&i=eenzaam_18plus&p=2020&l=buurt&a=gm0034&m=manual&b=10;20&c=GM0034,GM0363&lang=en",
      "nl",
    );
    expect(s).toMatchObject({
      view: "profile",
      indicator: "eenzaam_18plus",
      level: "buurt",
      area: "GM0034",
      method: "manual",
      compare: ["GM0034", "GM0363"],
      lang: "en",
    });
    expect(parseState(formatState(s).slice(1), "nl")).toEqual(s);
  });
  it("ignores invalid values", () => {
    expect(parseState("?v=nonsense&l=pc6&m=magic&k=42", "nl")).toMatchObject({
      view: "map",
      level: undefined,
      method: "quantile",
      classes: 5,
      area: "NL01",
    });
  });
});
