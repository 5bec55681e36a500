/**
 * Aggregation up the area hierarchy, for parents that the source did not publish. Counts add up;
 * ratios with numerator and denominator are recomputed from the summed parts; model-based estimates
 * and means without parts cannot be aggregated and are left alone (no false reference values).
 */
import { KIND_SCALE, type IndicatorKind } from "./catalogue.js";

export interface CellValue {
  readonly code: string;
  readonly value: number;
  readonly numerator: number | null;
  readonly denominator: number | null;
}

/** Whether values of this kind can be aggregated from children. */
export function isAggregable(kind: IndicatorKind, hasParts: boolean): boolean {
  if (kind === "count") return true;
  return hasParts && KIND_SCALE[kind] !== undefined;
}

/**
 * Derives parent values from complete sets of children. A parent gets a value only when every one of
 * its children (per `childrenOf`) has one: a sum over part of a gemeente is not the gemeente's figure.
 *
 * @param values  the known values of one indicator, period and division
 * @param childrenOf  for every parent to derive, the codes of all its children in the division
 * @returns derived values for parents that have none yet
 * @example aggregateToParents([{code:"GM1",value:2,...},{code:"GM2",value:3,...}], "count", new Map([["NL01",["GM1","GM2"]]]))
 *          // [{ code: "NL01", value: 5, numerator: null, denominator: null }]
 */
export function aggregateToParents(
  values: readonly CellValue[],
  kind: IndicatorKind,
  childrenOf: ReadonlyMap<string, readonly string[]>,
): CellValue[] {
  const byCode = new Map(values.map((v) => [v.code, v]));
  const out: CellValue[] = [];
  for (const [parent, children] of childrenOf) {
    if (byCode.has(parent) || children.length === 0) continue;
    const cells = children.map((c) => byCode.get(c));
    if (cells.some((c) => c === undefined)) continue;
    const present = cells as CellValue[];
    if (kind === "count") {
      out.push({ code: parent, value: sum(present.map((c) => c.value)), numerator: null, denominator: null });
      continue;
    }
    const scale = KIND_SCALE[kind];
    if (scale === undefined || present.some((c) => c.numerator === null || c.denominator === null)) continue;
    const num = sum(present.map((c) => c.numerator!));
    const den = sum(present.map((c) => c.denominator!));
    if (den <= 0) continue;
    out.push({ code: parent, value: (num / den) * scale, numerator: num, denominator: den });
  }
  return out;
}

/** Kahan–Babuška summation: order-independent to within rounding for our magnitudes. */
export function sum(xs: readonly number[]): number {
  let s = 0;
  let c = 0;
  for (const x of xs) {
    const t = s + x;
    c += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
    s = t;
  }
  return s + c;
}
