import { describe, expect, it } from "vitest";
import type { AlertMapResponse, GeoFeature, GeoResponse } from "../src/api/types";
import {
  alertLayer,
  familyOf,
  formatOnScale,
  formatProbability,
  formatSigned,
  funnelLimit,
  normalQuantile,
  parseReference,
  SEVERITY_FILL,
  touchingAreas,
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

describe("the thresholds as z-limits", () => {
  it("normalQuantile agrees with R's qnorm", () => {
    expect(normalQuantile(0.95)).toBeCloseTo(1.6448536269514722, 8);
    expect(normalQuantile(0.99)).toBeCloseTo(2.3263478740408408, 8);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 8);
  });
  it("funnel limits narrow with size and widen with overdispersion", () => {
    const z = normalQuantile(0.99);
    const small = funnelLimit(0.04466, 10_000, z, 1, "poisson", 1000);
    const large = funnelLimit(0.04466, 1_000_000, z, 1, "poisson", 1000);
    expect(small).toBeGreaterThan(large);
    expect(large).toBeGreaterThan(44.66);
    expect(funnelLimit(0.04466, 10_000, z, 4, "poisson", 1000) - 44.66).toBeCloseTo(2 * (small - 44.66), 9);
    expect(funnelLimit(0.2, 100, -z, 1, "binomial", 100)).toBeCloseTo((0.2 - z * 0.04) * 100, 9);
  });
});

describe("tests and their references", () => {
  it("families of detectors", () => {
    expect(familyOf("status-funnel")).toBe("status");
    expect(familyOf("dynamics-relative-change")).toBe("dynamics");
    expect(familyOf("space-gi-star")).toBe("space");
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

describe("neighbours on the drawn boundaries", () => {
  it("finds areas that share an edge or a corner (queen), within the simplification tolerance", () => {
    const features = [
      square("A", 0, 0),
      square("B", 1, 0), // edge
      square("C", 1.0001, 1.0001), // corner, a little off
      square("D", 3, 0), // far
      square("E", 0, 1.0002), // edge, off by 0.0002°
    ];
    expect(touchingAreas(features, "A")).toEqual(["B", "C", "E"]);
    expect(touchingAreas(features, "D")).toEqual([]);
    expect(touchingAreas(features, "X")).toEqual([]);
  });
});

describe("the alert layer", () => {
  it("colours areas by their worst alert, the rest of the data blue, boundaries without data grey", () => {
    const geo = {
      type: "FeatureCollection",
      wijkradar: {
        level: "buurt",
        division: 2014,
        divisions: [2014],
        parent: "GM0034",
        source: { attribution: "", licence: "" },
      },
      features: [square("A", 0, 0), square("B", 1, 0), square("C", 2, 0), square("D", 3, 0, 1, false)],
    } as GeoResponse;
    const alerts: AlertMapResponse = {
      level: "buurt",
      division: 2020,
      areas: [
        { code: "A", division: 2020, severity: "red", domains: ["health"], alerts: 2 },
        { code: "B", division: 2020, severity: "yellow", domains: ["income"], alerts: 1 },
        { code: "Z", division: 2020, severity: "red", domains: ["health"], alerts: 1 },
      ],
    };
    const layer = alertLayer(geo, alerts);
    expect(layer.counts).toEqual({ red: 1, yellow: 1, blue: 1, grey: 1 });
    expect(layer.fills.get("A")).toEqual({ status: "value", colour: SEVERITY_FILL.red });
    expect(layer.fills.get("C")).toEqual({ status: "value", colour: SEVERITY_FILL.blue });
    expect(layer.fills.get("D")).toEqual({ status: "value", colour: SEVERITY_FILL.grey });
    expect(layer.unmatched.map((a) => a.code)).toEqual(["Z"]);
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
