/**
 * Classing a choropleth: the break points between classes for quantiles (equal counts, the default),
 * equal intervals or manual breaks, and the class of a value. Pure functions, tested in
 * test/classify.test.ts.
 */
import { extent, quantileSorted } from "d3-array";

export const CLASS_METHODS = ["quantile", "equal", "manual"] as const;
export type ClassMethod = (typeof CLASS_METHODS)[number];

export interface Classes {
  /** Ascending inner break points: class i holds values in [breaks[i-1], breaks[i]). */
  readonly breaks: readonly number[];
  readonly min: number;
  readonly max: number;
}

/**
 * Break points for `n` classes. Duplicate breaks (many equal values) collapse, so the number of
 * classes can be smaller than asked; an empty or constant set of values gives one class.
 */
export function computeClasses(
  values: readonly number[],
  method: ClassMethod,
  n: number,
  manual: readonly number[] = [],
): Classes {
  const finite = values.filter((v) => Number.isFinite(v));
  const [min, max] = extent(finite);
  if (min === undefined || max === undefined) return { breaks: [], min: NaN, max: NaN };
  let breaks: number[];
  if (method === "manual") {
    breaks = manual.filter((b) => Number.isFinite(b) && b > min && b <= max);
  } else if (method === "equal") {
    const step = (max - min) / n;
    breaks = Array.from({ length: n - 1 }, (_, i) => min + step * (i + 1));
  } else {
    const sorted = [...finite].sort((a, b) => a - b);
    breaks = Array.from({ length: n - 1 }, (_, i) => quantileSorted(sorted, (i + 1) / n) ?? min);
  }
  const unique = [...new Set(breaks.filter((b) => b > min && b <= max))].sort((a, b) => a - b);
  return { breaks: unique, min, max };
}

/** The class index (0 … breaks.length) of a value. */
export function classOf(value: number, breaks: readonly number[]): number {
  let lo = 0;
  let hi = breaks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (value >= breaks[mid]!) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Parses manual breaks typed by a user: numbers separated by spaces or semicolons, with a decimal
 * comma or point ("10; 20,5; 30" or "10 20.5 30"). Returns the sorted unique breaks, or the part that
 * is not a number.
 */
export function parseBreaks(text: string): { breaks: number[] } | { error: string } {
  const breaks: number[] = [];
  for (const raw of text.split(/[;\s]+/)) {
    const part = raw.replace(/^,+|,+$/g, "");
    if (!part) continue;
    const n = /^-?\d+([.,]\d+)?$/.test(part) ? Number(part.replace(",", ".")) : NaN;
    if (!Number.isFinite(n)) return { error: part };
    breaks.push(n);
  }
  return { breaks: [...new Set(breaks)].sort((a, b) => a - b) };
}
