/**
 * From the URL state to what the map shows: which indicator, period and level, within which area,
 * the classes and colours. Pure apart from the data passed in, so the same rules serve the map, the
 * ranking list and the table.
 */
import type { AreaDetail, GeoResponse, Indicator, Level, ValueRow, ValuesResponse } from "../api/types";
import type { Fill } from "../map/MapView";
import { classOf, computeClasses, parseBreaks, type ClassMethod, type Classes } from "./classify";
import { MAP_LEVELS, NATIONAL, rank } from "./levels";
import { paletteFor } from "./palette";

export const DEFAULT_INDICATOR = "moeite_rondkomen_18plus";

export function chooseIndicator(
  indicators: readonly Indicator[],
  wanted: string | undefined,
): Indicator | undefined {
  const usable = indicators.filter((i) => i.periods.length > 0 && i.levels.some((l) => mapLevel(l)));
  return usable.find((i) => i.id === wanted) ?? usable.find((i) => i.id === DEFAULT_INDICATOR) ?? usable[0];
}

const mapLevel = (l: Level): boolean => l === "gemeente" || l === "wijk" || l === "buurt";

/** The level of an area from the prefix of its code (enough to pick a default level). */
export function levelOfCodePrefix(code: string): Level {
  if (code.startsWith("BU")) return "buurt";
  if (code.startsWith("WK")) return "wijk";
  if (code.startsWith("GM")) return "gemeente";
  return "land";
}

export interface Scope {
  readonly level: Level;
  /** The area whose children are shown (NL01 for the whole country). */
  readonly scope: string;
  readonly scopeLevel: Level;
  /** The area of the chain at the shown level, if any: outlined on the map. */
  readonly selected: string | null;
  /** Levels the user can switch to here. */
  readonly levels: readonly Level[];
}

/**
 * Which level to show, within which area. The map shows the areas of one level inside the nearest
 * coarser area of the chain (the wijken of Almere; the buurten of a wijk). Buurten of the whole
 * country are not offered: too many boundaries for a phone.
 */
export function resolveScope(
  ind: Indicator,
  chain: readonly Pick<AreaDetail, "code" | "level">[],
  wanted: Level | undefined,
  area: string,
): Scope {
  const areaLevel = chain.at(-1)?.level ?? levelOfCodePrefix(area);
  const available: Level[] = MAP_LEVELS.filter((l) => l !== "land" && ind.levels.includes(l));
  const scopeFor = (level: Level) => [...chain].reverse().find((a) => rank(a.level) < rank(level));
  const allowed = available.filter(
    (l) => l !== "buurt" || (scopeFor(l) ?? { level: "land" }).level !== "land",
  );
  let level: Level | undefined = wanted && allowed.includes(wanted) ? wanted : undefined;
  level ??=
    allowed.find((l) => rank(l) === rank(areaLevel) + 1) ??
    (allowed.includes(areaLevel) ? areaLevel : undefined) ??
    allowed.filter((l) => rank(l) <= rank(areaLevel)).at(-1) ??
    allowed[0] ??
    "gemeente";
  const scope = scopeFor(level);
  return {
    level,
    scope: scope?.code ?? NATIONAL,
    scopeLevel: scope?.level ?? "land",
    selected: chain.find((a) => a.level === level)?.code ?? null,
    levels: allowed,
  };
}

export interface ClassedMap {
  readonly classes: Classes;
  readonly palette: readonly string[];
  readonly counts: readonly number[];
  readonly fills: ReadonlyMap<string, Fill>;
  readonly colourOf: (row: ValueRow) => string | undefined;
  readonly suppressed: number;
  readonly noData: number;
  readonly otherDivision: number;
  /** Areas with a figure but no boundary in the boundaries' division. */
  readonly unmatched: readonly ValueRow[];
  readonly breaksError?: string;
}

export function classify(
  values: ValuesResponse,
  geo: GeoResponse | undefined,
  method: ClassMethod,
  k: number,
  breaksText: string | undefined,
): ClassedMap {
  const released = values.values.filter((v) => v.status === "released" && typeof v.value === "number");
  let manual: number[] = [];
  let breaksError: string | undefined;
  if (method === "manual") {
    const parsed = parseBreaks(breaksText ?? "");
    if ("error" in parsed) breaksError = parsed.error;
    else manual = parsed.breaks;
  }
  const classes = computeClasses(
    released.map((v) => v.value!),
    method,
    k,
    manual,
  );
  const palette = paletteFor(values.indicator.polarity, classes.breaks.length + 1);
  const counts = palette.map(() => 0);
  const fills = new Map<string, Fill>();
  const colourOf = (row: ValueRow) =>
    row.status === "released" && typeof row.value === "number"
      ? palette[classOf(row.value, classes.breaks)]
      : undefined;
  for (const row of values.values) {
    if (row.status === "suppressed") fills.set(row.code, { status: "suppressed" });
    else if (typeof row.value === "number") {
      const c = classOf(row.value, classes.breaks);
      counts[c]!++;
      fills.set(row.code, { status: "value", colour: palette[c]! });
    }
  }
  let noData = 0;
  let otherDivision = 0;
  const drawn = new Set<string>();
  for (const f of geo?.features ?? []) {
    drawn.add(f.properties.code);
    if (f.properties.inData === false) otherDivision++;
    else if (!fills.has(f.properties.code)) noData++;
  }
  return {
    classes,
    palette,
    counts,
    fills,
    colourOf,
    suppressed: values.values.filter((v) => v.status === "suppressed").length,
    noData,
    otherDivision,
    unmatched: geo ? values.values.filter((v) => !drawn.has(v.code)) : [],
    ...(breaksError !== undefined ? { breaksError } : {}),
  };
}

/** Unfavourable first: highest first when higher is worse (or neutral), lowest first when higher is better. */
export function rankRows(values: ValuesResponse): ValueRow[] {
  const sign = values.indicator.polarity === "higher-is-better" ? 1 : -1;
  const withValue = values.values.filter((v) => v.status === "released" && typeof v.value === "number");
  const rest = values.values.filter((v) => !(v.status === "released" && typeof v.value === "number"));
  withValue.sort((a, b) => sign * (a.value! - b.value!) || a.code.localeCompare(b.code));
  return [...withValue, ...rest];
}
