import { describe, expect, it } from "vitest";
import type { AlertMapResponse, AlertTest, GeoFeature, GeoResponse } from "../src/api/types";
import {
  alertLayer,
  comparisonGroup,
  controlLimits,
  familyOf,
  formatOnScale,
  formatProbability,
  formatSigned,
  funnelLimit,
  gemeenteOf,
  LAYER_FILL,
  neighbourCodes,
  normalQuantile,
  parseReference,
  referenceArea,
  SEVERITY_FILL,
} from "../src/lib/alerts";
import { formatState, parseState } from "../src/lib/url-state";

const square = (code: string, x: number, y: number, size = 1, inData?: boolean): GeoFeature => ({
  type: "Feature",
  id: code,
  bbox: [x, y, x + size, y + size],
  properties: {
    code,
    name: code,
    level: "buurt",
    parent: null,
    division: 2014,
    ...(inData === undefined ? {} : { inData }),
  },
  geometry: {
    type: "Polygon",
    coordinates: [
      [
        [x, y],
        [x + size, y],
        [x + size, y + size],
        [x, y + size],
        [x, y],
      ],
    ],
  },
});

describe("p- and q-values in words", () => {
  it("two significant digits, powers of ten below 0.001, a floor for 0", () => {
    expect(formatProbability(0.0380850773474739, "nl")).toBe("0,038");
    expect(formatProbability(0.0380850773474739, "en")).toBe("0.038");
    expect(formatProbability(0.5, "nl")).toBe("0,50");
    expect(formatProbability(0.001, "nl")).toBe("0,0010");
    expect(formatProbability(1.138288475519432e-15, "nl")).toBe("1,1\u00a0×\u00a010⁻¹⁵");
    expect(formatProbability(9.96e-7, "en")).toBe("1.0\u00a0×\u00a010⁻⁶");
    expect(formatProbability(0, "nl")).toBe("<\u00a01\u00a0×\u00a010⁻³⁰⁰");
  });
  it("signed figures with a real minus sign, zero without a sign", () => {
    expect(formatSigned(2.1, "nl", 1)).toBe("+2,1");
    expect(formatSigned(-2.6, "nl", 1)).toBe("−2,6");
    expect(formatSigned(-0.01, "nl", 1)).toBe("0,0");
  });
  it("figures with their unit; differences of percentages in percentage points", () => {
    const pct = { unit: "%", decimals: 1 };
    expect(formatOnScale(11.9, pct, "nl")).toBe("11,9\u00a0%");
    expect(formatOnScale(4.699999, pct, "nl", { signed: true, difference: true })).toBe(
      "+4,7\u00a0procentpunt",
    );
    expect(formatOnScale(4.7, pct, "en", { difference: true })).toBe("4.7\u00a0pp");
    expect(formatOnScale(null, pct, "nl")).toBe("–");
  });
});

describe("the run's p cut-offs as control limits", () => {
  it("normalQuantile agrees with R's qnorm", () => {
    expect(normalQuantile(0.95)).toBeCloseTo(1.6448536269514722, 8);
    expect(normalQuantile(0.99)).toBeCloseTo(2.3263478740408408, 8);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 8);
    // qnorm(5.733633185117352e-05, lower.tail = FALSE), qnorm(1e-20, lower.tail = FALSE)
    expect(-normalQuantile(5.733633185117352e-5)).toBeCloseTo(3.857244031, 5);
    expect(-normalQuantile(1e-20)).toBeCloseTo(9.26234009, 5);
  });
  it("places a limit at z = Φ⁻¹(1 − p) for each cut-off the run has, none for a missing one", () => {
    const limits = controlLimits({ pCutoffs: { red: 5.733633185117352e-5, yellow: 0.0013664073929588925 } });
    expect(limits.map((l) => l.severity)).toEqual(["yellow", "red"]);
    expect(limits[0]!.p).toBe(0.0013664073929588925);
    expect(limits[0]!.z).toBeCloseTo(2.996295489, 5); // qnorm(0.0013664073929588925, lower.tail = FALSE)
    expect(limits[1]!.z).toBeCloseTo(3.857244031, 5);
    // Not the uncorrected 0.05 and 0.01.
    expect(limits[0]!.z).toBeGreaterThan(normalQuantile(0.95));
    expect(limits[1]!.z).toBeGreaterThan(normalQuantile(0.99));
    expect(controlLimits({ pCutoffs: { red: null, yellow: 0.02 } }).map((l) => l.severity)).toEqual([
      "yellow",
    ]);
    expect(controlLimits(null)).toEqual([]);
    expect(controlLimits({ pCutoffs: { red: null, yellow: null } })).toEqual([]);
  });
  it("funnel limits narrow with size and widen with overdispersion, multiplicative or additive", () => {
    const z = normalQuantile(0.99);
    const small = funnelLimit(0.04466, 10_000, z, {}, "poisson", 1000);
    const large = funnelLimit(0.04466, 1_000_000, z, { phi: 1, tau2: 0 }, "poisson", 1000);
    expect(small).toBeGreaterThan(large);
    expect(large).toBeGreaterThan(44.66);
    expect(funnelLimit(0.04466, 10_000, z, { phi: 4 }, "poisson", 1000) - 44.66).toBeCloseTo(
      2 * (small - 44.66),
      9,
    );
    expect(funnelLimit(0.2, 100, -z, { phi: 1 }, "binomial", 100)).toBeCloseTo((0.2 - z * 0.04) * 100, 9);
    // Additive: θ ± z·√(V(θ)/n + τ²); τ² wins over φ, and keeps the limits apart for large n.
    const tau2 = 1e-5;
    expect(funnelLimit(0.04466, 10_000, z, { phi: 3, tau2 }, "poisson", 1000)).toBeCloseTo(
      (0.04466 + z * Math.sqrt(0.04466 / 10_000 + tau2)) * 1000,
      9,
    );
    expect(funnelLimit(0.04466, 1e12, z, { tau2 }, "poisson", 1000)).toBeCloseTo(
      (0.04466 + z * Math.sqrt(tau2)) * 1000,
      6,
    );
  });
});

describe("tests and their references", () => {
  it("families of detectors", () => {
    expect(familyOf("status-funnel")).toBe("status");
    expect(familyOf("dynamics-relative-change")).toBe("dynamics");
    expect(familyOf("space-gi-star")).toBe("space");
  });
  it("reads the comparable areas from the structured fields", () => {
    const test = (detector: AlertTest["detector"], details: AlertTest["details"]) => ({ detector, details });
    const buurt = { level: "buurt", gemeenteCode: "GM0034" };
    // The English text says otherwise: the structured fields win.
    expect(
      comparisonGroup(
        test("status-standardised", {
          reference: "all buurt areas",
          comparedWithin: "gemeente",
          gemeente: "GM0363",
        }),
        buurt,
      ),
    ).toEqual({ kind: "group", level: "buurt", gemeente: "GM0363" });
    expect(
      comparisonGroup(
        test("dynamics-relative-change", {
          reference: "GM0034",
          comparedWith: "buurt areas of GM0034",
          comparedWithin: "level",
        }),
        buurt,
      ),
    ).toEqual({ kind: "all", level: "buurt" });
    // A change test names no gemeente: the area's own.
    expect(
      comparisonGroup(
        test("dynamics-relative-change", { reference: "GM0034", comparedWithin: "gemeente" }),
        buurt,
      ),
    ).toEqual({ kind: "group", level: "buurt", gemeente: "GM0034" });
    // Tests of older runs: the reference text.
    expect(
      comparisonGroup(test("status-standardised", { reference: "buurt areas of GM0034" }), buurt),
    ).toEqual({
      kind: "group",
      level: "buurt",
      gemeente: "GM0034",
    });
    expect(
      comparisonGroup(test("dynamics-relative-change", { comparedWith: "all wijk areas" }), {
        level: "wijk",
        gemeenteCode: null,
      }),
    ).toEqual({ kind: "all", level: "wijk" });
    expect(referenceArea({ details: { reference: "GM0034" } })).toBe("GM0034");
    expect(referenceArea({ details: { reference: "NL01" } })).toBe("NL01");
    expect(referenceArea({ details: { reference: "own series" } })).toBeUndefined();
    expect(referenceArea({ details: { reference: "buurt areas of GM0034" } })).toBeUndefined();
    expect(gemeenteOf("BU00340209")).toBe("GM0034");
    expect(gemeenteOf("WK036301")).toBe("GM0363");
    expect(gemeenteOf("GM0034")).toBe("GM0034");
    expect(gemeenteOf("NL01")).toBeUndefined();
  });
  it("reads the reference texts of the detectors", () => {
    expect(parseReference("buurt areas of GM0034")).toEqual({
      kind: "group",
      level: "buurt",
      gemeente: "GM0034",
    });
    expect(parseReference("all gemeente areas")).toEqual({ kind: "all", level: "gemeente" });
    expect(parseReference("NL01")).toEqual({ kind: "area", code: "NL01" });
    expect(parseReference("own series")).toEqual({ kind: "text", text: "own series" });
    expect(parseReference(null)).toBeUndefined();
  });
});

describe("the neighbours a spatial test used", () => {
  it("reads neighbourCodes; a test without them has none", () => {
    expect(neighbourCodes({ neighbourCodes: "BU00340201,BU00340202, BU03630000" })).toEqual([
      "BU00340201",
      "BU00340202",
      "BU03630000",
    ]);
    expect(neighbourCodes({ neighbourCodes: "" })).toEqual([]);
    expect(neighbourCodes({ neighbours: 6, weights: "queen (row-standardised), boundaries of 2014" })).toBe(
      undefined,
    );
  });
});

describe("the alert layer", () => {
  it("colours areas by their worst alert, tested ones blue or grey as the API says, the rest white", () => {
    const geo = {
      type: "FeatureCollection",
      wijkradar: {
        level: "buurt",
        division: 2014,
        divisions: [2014],
        parent: "GM0034",
        source: { attribution: "", licence: "" },
      },
      features: [
        square("A", 0, 0),
        square("B", 1, 0),
        square("C", 2, 0),
        square("D", 3, 0),
        square("E", 4, 0), // in the data, but neither alerted nor tested
        square("F", 5, 0, 1, false), // a boundary without an area in the data's division
      ],
    } as GeoResponse;
    const alerts: AlertMapResponse = {
      level: "buurt",
      division: 2020,
      areas: [
        { code: "A", division: 2020, severity: "red", domains: ["health"], alerts: 2, alertId: 7 },
        { code: "B", division: 2020, severity: "yellow", domains: ["income"], alerts: 1, alertId: 9 },
        { code: "Z", division: 2020, severity: "red", domains: ["health"], alerts: 1, alertId: 11 },
      ],
      tested: [
        { code: "C", division: 2020, severity: "blue" },
        { code: "D", division: 2020, severity: "grey" },
        { code: "Y", division: 2020, severity: "blue" },
      ],
    };
    const layer = alertLayer(geo, alerts);
    expect(layer.counts).toEqual({ red: 1, yellow: 1, blue: 1, grey: 1, untested: 2 });
    expect(layer.fills.get("A")).toEqual({ status: "value", colour: SEVERITY_FILL.red });
    expect(layer.fills.get("B")).toEqual({ status: "value", colour: SEVERITY_FILL.yellow });
    expect(layer.fills.get("C")).toEqual({ status: "value", colour: SEVERITY_FILL.blue });
    expect(layer.fills.get("D")).toEqual({ status: "value", colour: SEVERITY_FILL.grey });
    expect(layer.fills.get("E")).toEqual({ status: "value", colour: LAYER_FILL.untested });
    expect(layer.fills.get("F")).toEqual({ status: "value", colour: LAYER_FILL.untested });
    expect(LAYER_FILL.untested).not.toBe(SEVERITY_FILL.grey);
    expect(layer.classOf.get("E")).toBe("untested");
    expect(layer.unmatched.map((a) => a.code)).toEqual(["Z"]);
    expect(layer.unmatchedTested).toBe(1);
    // A click opens the area's strongest alert, as the layer names it.
    expect(layer.byCode.get("A")?.alertId).toBe(7);
  });
});

describe("URL state of early warning", () => {
  it("round-trips the inbox filters, the alert id and the map layer", () => {
    const inbox = parseState(
      "?v=alerts&sev=red&st=new,closed&dom=health&lvl=buurt&gm=gm0034&old=1&pg=3",
      "nl",
    );
    expect(inbox.filter).toEqual({
      severity: ["red"],
      status: ["new", "closed"],
      domain: "health",
      level: "buurt",
      gemeente: "GM0034",
      area: undefined,
      inactive: true,
      page: 3,
    });
    expect(parseState(formatState(inbox).slice(1), "nl")).toEqual(inbox);
    const alert = parseState("?v=alert&id=8399", "nl");
    expect(alert).toMatchObject({ view: "alert", alert: 8399 });
    expect(formatState(alert)).toBe("/?v=alert&id=8399");
    expect(parseState("?a=GM0034&lay=alerts", "nl").layer).toBe("alerts");
    expect(parseState("?a=GM0034", "nl").layer).toBe("values");
  });
  it("ignores invalid filters", () => {
    const s = parseState("?v=alerts&sev=purple&st=gone&lvl=pc6&gm=GX12&pg=-2&id=abc", "nl");
    expect(s.filter).toMatchObject({
      severity: [],
      status: [],
      level: undefined,
      gemeente: undefined,
      page: 1,
    });
    expect(s.alert).toBeUndefined();
  });
});
