import type { Polarity } from "../api/types";

/** Relative difference from which a deviation is marked (descriptive, not a significance test). */
export const DEVIATION_THRESHOLD = 0.05;

export type Judgement = "unfavourable" | "favourable" | "higher" | "lower" | "similar" | "none";

export interface Deviation {
  /** (value − reference) / |reference|. */
  readonly relative: number;
  readonly judgement: Judgement;
  /** For sorting: positive is unfavourable, larger is worse; neutral indicators by size of difference. */
  readonly score: number;
}

/**
 * How far a value is from its reference, judged by the indicator's polarity. Issue-5 detectors do the
 * statistics (funnel plots, trends); the profile only marks differences of 5 % or more.
 */
export function deviation(
  value: number | null | undefined,
  reference: number | null | undefined,
  polarity: Polarity,
): Deviation | undefined {
  if (typeof value !== "number" || typeof reference !== "number" || reference === 0) return undefined;
  const relative = (value - reference) / Math.abs(reference);
  const big = Math.abs(relative) >= DEVIATION_THRESHOLD;
  if (polarity === "neutral") {
    return {
      relative,
      judgement: !big ? "similar" : relative > 0 ? "higher" : "lower",
      score: Math.abs(relative) * 0.001,
    };
  }
  const worse = polarity === "higher-is-worse" ? relative > 0 : relative < 0;
  return {
    relative,
    judgement: !big ? "similar" : worse ? "unfavourable" : "favourable",
    score: worse ? Math.abs(relative) : -Math.abs(relative),
  };
}
