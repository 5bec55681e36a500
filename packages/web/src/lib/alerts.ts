/**
 * Early warning in the dashboard, the pure part: severity colours, detector families, how p- and
 * q-values, effects and references are written, the normal quantiles of the run's p cut-offs (the
 * chart's control limits), the funnel limits, the comparable areas and neighbours a test names, and
 * the colours of the alert layer. Tested in test/alerts.test.ts.
 */
import type {
  AlertMapArea,
  AlertMapResponse,
  AlertRun,
  AlertSeverity,
  AlertTest,
  DetectorId,
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
 * 1.2e-9): enough to draw the z-limits of the run's p cut-offs, Φ⁻¹(1 − 0.05) = 1.645.
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

/** A control limit of the charts: a p cut-off of the run and its one-sided z = Φ⁻¹(1 − p). */
export interface ControlLimit {
  readonly severity: AlertSeverity;
  readonly p: number;
  readonly z: number;
}

/**
 * The control limits of a run: at its p cut-offs, the largest p-values that were still red resp.
 * yellow after Benjamini–Hochberg over all its tests, so a test beyond a line is (at least) of that
 * colour. z = Φ⁻¹(1 − p), computed as −Φ⁻¹(p) so that tiny p keep their precision. A severity no test
 * of the run reached has no limit.
 */
export function controlLimits(run: Pick<AlertRun, "pCutoffs"> | null | undefined): ControlLimit[] {
  const out: ControlLimit[] = [];
  for (const severity of ["yellow", "red"] as const) {
    const p = run?.pCutoffs[severity];
    if (typeof p === "number" && p > 0 && p < 1) out.push({ severity, p, z: -normalQuantile(p) });
  }
  return out;
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
  if (AREA_CODE.test(text)) return { kind: "area", code: text };
  return { kind: "text", text };
}

const AREA_CODE = /^(NL\d\d|GM\d{4}|WK\d{6}|BU\d{8})$/;

/** The gemeente of a gemeente, wijk or buurt code (a wijk's or buurt's code starts with its digits). */
export function gemeenteOf(code: string | null | undefined): string | undefined {
  return code && /^(GM|WK|BU)\d{4}/.test(code) ? `GM${code.slice(2, 6)}` : undefined;
}

/**
 * The comparable areas of a standardised-deviation or relative-change test, from its structured
 * fields: `comparedWithin` "gemeente" (the areas of the same level in `gemeente`, or else the area's
 * own gemeente) or "level" (all areas of the level). Tests stored without them (older runs) fall back
 * to the reference text.
 */
export function comparisonGroup(
  test: Pick<AlertTest, "detector" | "details">,
  area: { readonly level: string; readonly gemeenteCode: string | null },
): ReferenceGroup | undefined {
  const d = test.details;
  const within = detailText(d, "comparedWithin");
  if (within === "gemeente") {
    const gemeente = detailText(d, "gemeente") ?? area.gemeenteCode;
    if (gemeente) return { kind: "group", level: area.level, gemeente };
  }
  if (within === "level") return { kind: "all", level: area.level };
  return parseReference(test.detector === "dynamics-relative-change" ? d.comparedWith : d.reference);
}

/** The reference area a funnel, change or trend test names by code (its rate, change or series). */
export function referenceArea(test: Pick<AlertTest, "details">): string | undefined {
  const r = test.details.reference;
  return typeof r === "string" && AREA_CODE.test(r) ? r : undefined;
}

/** The codes of the neighbours a spatial test used (undefined: a test stored without them). */
export function neighbourCodes(details: TestDetails): string[] | undefined {
  const v = details.neighbourCodes;
  if (typeof v !== "string") return undefined;
  return v
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
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

/** How a funnel test widened its limits for overdispersion: φ (multiplicative) or τ² (additive). */
export interface Overdispersion {
  readonly phi?: number;
  readonly tau2?: number;
}

/**
 * A funnel limit on the indicator's scale for a unit of size n, as the detector reads its z: with the
 * additive random-effects variance τ² (when positive) θ ± z·√(V(θ)/n + τ²), else θ ± z·√(φ·V(θ)/n),
 * with V = θ(1 − θ) (binomial) or θ (Poisson), times the scale — the normal approximation of the
 * exact limits.
 */
export function funnelLimit(
  theta: number,
  n: number,
  z: number,
  over: Overdispersion,
  model: "binomial" | "poisson",
  scale: number,
): number {
  const variance = (model === "binomial" ? theta * (1 - theta) : theta) / n;
  const tau2 = over.tau2 ?? 0;
  const spread = tau2 > 0 ? variance + tau2 : Math.max(1, over.phi ?? 1) * variance;
  return (theta + z * Math.sqrt(spread)) * scale;
}

/** The strongest test of each family (the explanation is ordered strongest first). */
export function firstOfFamily(tests: readonly AlertTest[], family: Family): AlertTest | undefined {
  return tests.find((t) => familyOf(t.detector) === family);
}

// --- the alert layer of the map ---------------------------------------------------------------

/** A class of the alert layer: a severity, or "untested" (no result of the latest run to show). */
export type LayerClass = Severity | "untested";

export const LAYER_CLASSES: readonly LayerClass[] = ["red", "yellow", "blue", "grey", "untested"];

/** Fills of the alert layer: the severities, and white for areas without a result. */
export const LAYER_FILL: Readonly<Record<LayerClass, string>> = { ...SEVERITY_FILL, untested: "#ffffff" };

export interface AlertLayer {
  readonly fills: ReadonlyMap<string, Fill>;
  /** The class of each drawn area. */
  readonly classOf: ReadonlyMap<string, LayerClass>;
  /** Drawn areas per class. */
  readonly counts: Readonly<Record<LayerClass, number>>;
  readonly byCode: ReadonlyMap<string, AlertMapArea>;
  /** Areas with an alert but no boundary on the map. */
  readonly unmatched: readonly AlertMapArea[];
  /** Tested areas without an alert and without a boundary on the map. */
  readonly unmatchedTested: number;
}

/**
 * Colours of the alert layer, as the API says: each drawn area with an alert by its worst severity,
 * each tested area without one blue (no significant deviation) or grey (no baseline), the rest white
 * (untested: no figures in the division, or alerts the viewer may not see).
 */
export function alertLayer(geo: GeoResponse, alerts: AlertMapResponse): AlertLayer {
  const byCode = new Map(alerts.areas.map((a) => [a.code, a]));
  const tested = new Map(alerts.tested.map((a) => [a.code, a.severity]));
  const fills = new Map<string, Fill>();
  const classOf = new Map<string, LayerClass>();
  const counts: Record<LayerClass, number> = { red: 0, yellow: 0, blue: 0, grey: 0, untested: 0 };
  for (const f of geo.features) {
    const code = f.properties.code;
    const c: LayerClass = byCode.get(code)?.severity ?? tested.get(code) ?? "untested";
    classOf.set(code, c);
    counts[c]++;
    fills.set(code, { status: "value", colour: LAYER_FILL[c] });
  }
  return {
    fills,
    classOf,
    counts,
    byCode,
    unmatched: alerts.areas.filter((a) => !classOf.has(a.code)),
    unmatchedTested: alerts.tested.filter((a) => !classOf.has(a.code)).length,
  };
}
