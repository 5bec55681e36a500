import type { Level } from "../api/types";

/** The levels of the drill-down, coarse to fine (postcodes have no boundaries to draw). */
export const MAP_LEVELS = ["land", "gemeente", "wijk", "buurt"] as const satisfies readonly Level[];

export function rank(level: Level): number {
  const i = (MAP_LEVELS as readonly Level[]).indexOf(level);
  return i < 0 ? MAP_LEVELS.length : i;
}

/** The next finer map level among those the indicator has, if any. */
export function finerLevel(level: Level, available: readonly Level[]): Level | undefined {
  return MAP_LEVELS.find((l) => rank(l) > rank(level) && available.includes(l));
}

export const NATIONAL = "NL01";
