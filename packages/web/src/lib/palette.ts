/**
 * Colours for the choropleth. ColorBrewer schemes (Brewer & Harrower), chosen from those marked
 * colour-blind safe: RdYlBu for indicators with a direction — the unfavourable end warm (red), the
 * favourable end cool (blue) — and sequential PuBu for neutral ones (more is not worse or better).
 * Special states use greys and patterns that no scheme colour can be mistaken for.
 */
import { schemePuBu, schemeRdYlBu } from "d3-scale-chromatic";
import type { Polarity } from "../api/types";

/** Colours for classes low → high (n from 1 to 9). */
export function paletteFor(polarity: Polarity, n: number): readonly string[] {
  const k = Math.max(3, Math.min(9, n));
  if (polarity === "neutral") {
    const scheme = schemePuBu[k]!;
    return n >= 3 ? scheme : scheme.slice(k - n);
  }
  // RdYlBu runs red → blue: high values red when higher is worse, blue when higher is better.
  const scheme = [...schemeRdYlBu[k]!];
  const lowToHigh = polarity === "higher-is-worse" ? scheme.reverse() : scheme;
  if (n >= 3) return lowToHigh;
  // One or two classes: the two ends.
  return n === 1 ? [lowToHigh[Math.floor(k / 2)]!] : [lowToHigh[0]!, lowToHigh[k - 1]!];
}

export const NO_DATA_COLOUR = "#d9d9d9";
export const SUPPRESSED_COLOUR = "#8c8c8c";
export const OTHER_DIVISION_COLOUR = "#ffffff";
export const OUTLINE_COLOUR = "#4d4d4d";
export const HIGHLIGHT_COLOUR = "#000000";
