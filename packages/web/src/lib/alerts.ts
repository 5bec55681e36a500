/**
 * Early warning in the dashboard, the pure part: severity colours, detector families, how p- and
 * q-values, effects and references are written, the normal quantiles of the severity thresholds, the
 * funnel limits and the neighbours of an area on the drawn boundaries. Tested in test/alerts.test.ts.
 */
import type {
  AlertMapArea,
  AlertMapResponse,
  AlertTest,
  DetectorId,
  GeoFeature,
  GeoResponse,
  Indicator,
  Severity,
  TestDetails,
} from "../api/types";
import type { Fill } from "../map/MapView";
import { formatNumber, type Lang } from "./format";

/**
 * Severity colours: map fills and chips. Red and yellow for alerts, a light blue for "tested, no
 * signal" and grey for "no baseline". Chips carry their name as text, so colour is never the only cue;
 * their text colours meet WCAG AA contrast on these backgrounds.
 */
export const SEVERITY_FILL: Readonly<Record<Severity, string>> = {
  red: "#c8102e",
  yellow: "#f9c20a",
  blue: "#c6dbef",
  grey: "#d9d9d9",
};
export const SEVERITY_INK: Readonly<Record<Severity, string>> = {
  red: "#ffffff",
  yellow: "#1b1f24",
  blue: "#1b1f24",
  grey: "#1b1f24",
};

export type Family = "status" | "dynamics" | "space";

export function familyOf(detector: DetectorId): Family {
  return detector.startsWith("status-") ? "status" : detector.startsWith("space-") ? "space" : "dynamics";
}

const SUPERSCRIPT: Readonly<Record<string, string>> = {
  "-": "⁻",
  "0": "⁰",
  "1": "¹",
  "2": "²",
  "3": "³",
  "4": "⁴",
  "5": "⁵",
  "6": "⁶",
  "7": "⁷",
  "8": "⁸",
  "9": "⁹",
};

/**
 * A p- or q-value as people read it: two significant digits ("0,038"), powers of ten below 0.001
 * ("1,1 × 10⁻¹⁵"), and "< 1 × 10⁻³⁰⁰" for a value that underflowed to 0.
 */
export function formatProbability(p: number, lang: Lang): string {
  if (!Number.isFinite(p)) return "–";
  if (p <= 0) return `<\u00a01\u00a0×\u00a010${superscript(-300)}`;
  if (p >= 0.001) {
    const decimals = Math.max(0, 1 - Math.floor(Math.log10(p)));
    return formatNumber(Number(p.toPrecision(2)), lang, Math.min(decimals, 4));
  }
  let exponent = Math.floor(Math.log10(p));
  let mantissa = Number((p / 10 ** exponent).toFixed(1));
  if (mantissa >= 10) {
    mantissa /= 10;
    exponent += 1;
  }
  return `${formatNumber(mantissa, lang, 1)}\u00a0×\u00a010${superscript(exponent)}`;
}

const superscript = (n: number): string =>
  String(n)
    .split("")
    .map((c) => SUPERSCRIPT[c] ?? c)
    .join("");

/** A signed number: "+2,1", "−2,6" (a real minus sign), "0,0". */
export function formatSigned(value: number, lang: Lang, decimals: number): string {
  const text = formatNumber(Math.abs(value), lang, decimals);
  const zero = Number(text.replace(/[^\d]/g, "")) === 0;
  return zero ? text : `${value > 0 ? "+" : "−"}${text}`;
}

/**
 * A figure on the indicator's scale with its unit ("11,9 %", a no-break space before the unit);
 * "procentpunt" / "pp" for differences of percentages.
 */
export function formatOnScale(
  value: number | null | undefined,
  ind: Pick<Indicator, "unit" | "decimals"> | undefined,
  lang: Lang,
  options: { signed?: boolean; difference?: boolean } = {},
): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  const decimals = ind?.decimals ?? 2;
  const n = options.signed ? formatSigned(value, lang, decimals) : formatNumber(value, lang, decimals);
  const unit = ind?.unit ?? "";
  if (unit === "%")
    return options.difference ? `${n}\u00a0${lang === "nl" ? "procentpunt" : "pp"}` : `${n}\u00a0%`;
  if (!unit || unit === "aantal") return n;
  return `${n}\u00a0${unit}`;
}

/**
 * The standard normal quantile Φ⁻¹(p) by Acklam's rational approximation (relative error below
 * 1.2e-9): enough to draw the z-limits of the severity thresholds, Φ⁻¹(1 − 0.05) = 1.645.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ] as const;
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ] as const;
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ] as const;
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416] as const;
  const tail = (q: number) =>
    (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  const low = 0.02425;
  if (p < low) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - low) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/** What a reference text of a test names: "buurt areas of GM0034", "all buurt areas", or a code. */
export type ReferenceGroup =
  | { readonly kind: "group"; readonly level: string; readonly gemeente: string }
  | { readonly kind: "all"; readonly level: string }
  | { readonly kind: "area"; readonly code: string }
  | { readonly kind: "text"; readonly text: string };

export function parseReference(text: string | number | null | undefined): ReferenceGroup | undefined {
  if (typeof text !== "string" || text === "") return undefined;
  const group = /^(\w+) areas of (\w+)$/.exec(text);
  if (group) return { kind: "group", level: group[1]!, gemeente: group[2]! };
  const all = /^all (\w+) areas$/.exec(text);
  if (all) return { kind: "all", level: all[1]! };
  if (/^(NL\d\d|GM\d{4}|WK\d{6}|BU\d{8})$/.test(text)) return { kind: "area", code: text };
  return { kind: "text", text };
}

/** A number from a test's details, or undefined. */
export function detailNumber(details: TestDetails, key: string): number | undefined {
  const v = details[key];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

export function detailText(details: TestDetails, key: string): string | undefined {
  const v = details[key];
  return typeof v === "string" ? v : undefined;
}

/** Units of an indicator kind per unit rate: percentages per 100, rates per 1,000. */
export function kindScale(kind: string, model: string | undefined): number {
  if (kind === "percentage") return 100;
  if (kind === "rate-per-1000") return 1000;
  return model === "binomial" ? 100 : 1000;
}

/**
 * A funnel limit on the indicator's scale for a unit of size n: θ ± z·√(φ·V(θ)/n)·scale with
 * V = θ(1 − θ) (binomial) or θ (Poisson) — the normal approximation of the exact limits, inflated by
 * the overdispersion φ as the detector does.
 */
export function funnelLimit(
  theta: number,
  n: number,
  z: number,
  phi: number,
  model: "binomial" | "poisson",
  scale: number,
): number {
  const variance = model === "binomial" ? theta * (1 - theta) : theta;
  return (theta + z * Math.sqrt((Math.max(1, phi) * variance) / n)) * scale;
}

/** The strongest test of each family (the explanation is ordered strongest first). */
export function firstOfFamily(tests: readonly AlertTest[], family: Family): AlertTest | undefined {
  return tests.find((t) => familyOf(t.detector) === family);
}

// --- neighbours on the drawn boundaries -------------------------------------------------------

type Ring = readonly (readonly number[])[];

function ringsOf(geometry: unknown): Ring[] {
  const g = geometry as { type?: string; coordinates?: unknown } | null;
  if (!g) return [];
  if (g.type === "Polygon") return g.coordinates as Ring[];
  if (g.type === "MultiPolygon") return (g.coordinates as Ring[][]).flat();
  return [];
}

function segmentDistance2(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len = dx * dx + dy * dy;
  const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len));
  const x = ax + t * dx - px;
  const y = ay + t * dy - py;
  return x * x + y * y;
}

function near(a: Ring[], b: Ring[], tolerance: number): boolean {
  const t2 = tolerance * tolerance;
  for (const ring of a)
    for (const p of ring)
      for (const other of b)
        for (let i = 1; i < other.length; i++) {
          const s = other[i - 1]!;
          const e = other[i]!;
          if (segmentDistance2(p[0]!, p[1]!, s[0]!, s[1]!, e[0]!, e[1]!) <= t2) return true;
        }
  return false;
}

/**
 * The areas whose drawn boundary touches that of `code` (queen contiguity: a shared point is enough),
 * within `tolerance` degrees: the served boundaries are simplified per area, so shared borders no
 * longer coincide exactly (buurten: 0.0001° ≈ 10 m each side).
 */
export function touchingAreas(features: readonly GeoFeature[], code: string, tolerance = 0.00025): string[] {
  const target = features.find((f) => f.properties.code === code);
  if (!target) return [];
  const [x0, y0, x1, y1] = target.bbox;
  const rings = ringsOf(target.geometry);
  const out: string[] = [];
  for (const f of features) {
    if (f === target) continue;
    const [a0, b0, a1, b1] = f.bbox;
    if (a0 > x1 + tolerance || a1 < x0 - tolerance || b0 > y1 + tolerance || b1 < y0 - tolerance) continue;
    const other = ringsOf(f.geometry);
    if (near(rings, other, tolerance) || near(other, rings, tolerance)) out.push(f.properties.code);
  }
  return out.sort();
}

// --- the alert layer of the map ---------------------------------------------------------------

export interface AlertLayer {
  readonly fills: ReadonlyMap<string, Fill>;
  /** Drawn areas per severity: red and yellow (worst alert), blue (in the data, no alert), grey (no baseline). */
  readonly counts: Readonly<Record<Severity, number>>;
  readonly byCode: ReadonlyMap<string, AlertMapArea>;
  /** Areas with an alert but no boundary on the map. */
  readonly unmatched: readonly AlertMapArea[];
}

/**
 * Colours of the alert layer: each drawn area by the worst severity of its alerts; areas of the data
 * without an alert blue; boundaries without an area in the data's division grey (no baseline: not
 * tested).
 */
export function alertLayer(geo: GeoResponse, alerts: AlertMapResponse): AlertLayer {
  const byCode = new Map(alerts.areas.map((a) => [a.code, a]));
  const fills = new Map<string, Fill>();
  const counts: Record<Severity, number> = { red: 0, yellow: 0, blue: 0, grey: 0 };
  const drawn = new Set<string>();
  for (const f of geo.features) {
    const code = f.properties.code;
    drawn.add(code);
    const alert = byCode.get(code);
    const severity: Severity = alert ? alert.severity : f.properties.inData === false ? "grey" : "blue";
    counts[severity]++;
    fills.set(code, { status: "value", colour: SEVERITY_FILL[severity] });
  }
  return { fills, counts, byCode, unmatched: alerts.areas.filter((a) => !drawn.has(a.code)) };
}
