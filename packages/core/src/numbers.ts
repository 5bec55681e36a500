/**
 * Parsing numbers as they appear in Dutch statistical files: decimal point or decimal comma, CBS
 * space padding, and missing-value markers such as "." or "-99999999".
 */

export type Decimal = "." | ",";

export type ParsedNumber =
  | { readonly kind: "value"; readonly value: number }
  | { readonly kind: "missing" }
  | { readonly kind: "invalid"; readonly expected: string };

const WITH_POINT = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
const WITH_COMMA = /^[-+]?(?:\d+(?:,\d*)?|,\d+)$/;

/**
 * Parses one cell. Numbers from JSON (GeoJSON properties) pass through as they are.
 *
 * @example parseCell("12,5", ",", new Set(["."])) // { kind: "value", value: 12.5 }
 * @example parseCell(" . ", ".", new Set(["."])) // { kind: "missing" }
 */
export function parseCell(raw: unknown, decimal: Decimal, missing: ReadonlySet<string>): ParsedNumber {
  if (raw === null || raw === undefined) return { kind: "missing" };
  if (typeof raw === "number") {
    if (!Number.isFinite(raw)) return { kind: "invalid", expected: "a finite number" };
    return missing.has(String(raw)) ? { kind: "missing" } : { kind: "value", value: raw };
  }
  if (typeof raw !== "string") return { kind: "invalid", expected: "a number" };
  const s = raw.trim();
  if (missing.has(s)) return { kind: "missing" };
  if (decimal === "." ? WITH_POINT.test(s) : WITH_COMMA.test(s)) {
    return { kind: "value", value: Number(decimal === "," ? s.replace(",", ".") : s) };
  }
  return {
    kind: "invalid",
    expected:
      decimal === "." ? "a number with a decimal point (12.5)" : "a number with a decimal comma (12,5)",
  };
}

/**
 * Guesses the decimal separator from sample cells: a comma between digits with no point anywhere
 * means decimal comma.
 */
export function detectDecimal(samples: readonly string[]): Decimal {
  let comma = 0;
  let point = 0;
  for (const raw of samples) {
    const s = raw.trim();
    if (/^[-+]?\d*,\d+$/.test(s)) comma++;
    else if (/^[-+]?\d*\.\d+$/.test(s)) point++;
  }
  return comma > point ? "," : ".";
}

/** Rounds to a number of decimals without binary artefacts such as 0.30000000000000004. */
export function roundTo(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round((value + Number.EPSILON * Math.sign(value)) * f) / f;
}
