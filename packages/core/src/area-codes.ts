/**
 * CBS area codes and the area hierarchy.
 *
 * CBS codes carry their parents: a buurt `BUggggwwbb` lies in wijk `WKggggww`, which lies in gemeente
 * `GMgggg`, which lies in the land `NL01`. Postcodes are PC4 (`1234`) and PC6 (`1234AB`); a PC6 lies in
 * its PC4, a PC4 has no parent in the CBS hierarchy (it can cross gemeente borders).
 */

/** The levels of the area hierarchy, coarse to fine. */
export const AREA_LEVELS = ["land", "gemeente", "wijk", "buurt", "pc4", "pc6"] as const;
export type AreaLevel = (typeof AREA_LEVELS)[number];

/** The code of the Netherlands as a whole in CBS tables. */
export const LAND_CODE = "NL01";

const PATTERNS: ReadonlyArray<readonly [AreaLevel, RegExp]> = [
  ["land", /^NL\d{2}$/],
  ["gemeente", /^GM\d{4}$/],
  // Since 2022 some gemeenten (Amsterdam) number wijken and buurten with letters: WK0363EK, BU0363EK03.
  ["wijk", /^WK\d{4}[0-9A-Z]{2}$/],
  ["buurt", /^BU\d{4}[0-9A-Z]{4}$/],
  ["pc4", /^[1-9]\d{3}$/],
  ["pc6", /^[1-9]\d{3}[A-Z]{2}$/],
];

/**
 * Codes CBS files list as gemeenten that are no part of the country's total: GM0998 "Buitenland"
 * (abroad, in the PDOK key-figure files from 2017 on) and GM9999 (an unnamed placeholder in 2012).
 * They are registered like other areas but never expected to add to a parent.
 */
export const PLACEHOLDER_AREA_CODES: ReadonlySet<string> = new Set(["GM0998", "GM9999"]);

/** The form each level's codes take, for error messages. */
export const CODE_FORMS: Readonly<Record<AreaLevel, string>> = {
  land: "NL01",
  gemeente: "GM + 4 digits (GM0034)",
  wijk: "WK + 4 digits + 2 digits or letters (WK003401)",
  buurt: "BU + 4 digits + 4 digits or letters (BU00340101)",
  pc4: "4 digits, not starting with 0 (1314)",
  pc6: "4 digits + 2 letters (1314AB)",
};

/**
 * Normalises a code as it appears in source files: CBS pads codes with spaces, postcodes are written
 * with a space and in lower case.
 *
 * @example normaliseAreaCode(" GM0034  ") // "GM0034"
 * @example normaliseAreaCode("1314 ab") // "1314AB"
 */
export function normaliseAreaCode(raw: string): string {
  const trimmed = raw.trim().toUpperCase();
  const pc = /^([1-9]\d{3})\s+([A-Z]{2})$/.exec(trimmed);
  return pc ? `${pc[1]}${pc[2]}` : trimmed;
}

/**
 * The level of a (normalised) code, or `undefined` when it is not a valid code of any level.
 *
 * @example levelOfCode("WK003401") // "wijk"
 */
export function levelOfCode(code: string): AreaLevel | undefined {
  for (const [level, pattern] of PATTERNS) if (pattern.test(code)) return level;
  return undefined;
}

/**
 * The parent code derived from a code, or `undefined` for the land and for PC4.
 *
 * @example parentOfCode("BU00340101") // "WK003401"
 * @example parentOfCode("GM0034") // "NL01"
 */
export function parentOfCode(code: string): string | undefined {
  switch (levelOfCode(code)) {
    case "buurt":
      return `WK${code.slice(2, 8)}`;
    case "wijk":
      return `GM${code.slice(2, 6)}`;
    case "gemeente":
      return LAND_CODE;
    case "pc6":
      return code.slice(0, 4);
    case "land":
    case "pc4":
    case undefined:
      return undefined;
  }
}

/**
 * All ancestors of a code, nearest first.
 *
 * @example ancestorsOfCode("BU00340101") // ["WK003401", "GM0034", "NL01"]
 */
export function ancestorsOfCode(code: string): string[] {
  const out: string[] = [];
  for (let p = parentOfCode(code); p !== undefined; p = parentOfCode(p)) out.push(p);
  return out;
}

/** The gemeente code a wijk or buurt code belongs to (itself for a gemeente). */
export function gemeenteOfCode(code: string): string | undefined {
  const level = levelOfCode(code);
  if (level === "gemeente") return code;
  if (level === "wijk" || level === "buurt") return `GM${code.slice(2, 6)}`;
  return undefined;
}

/** Whether `level` is finer than `other` in the CBS hierarchy. */
export function isFinerLevel(level: AreaLevel, other: AreaLevel): boolean {
  return AREA_LEVELS.indexOf(level) > AREA_LEVELS.indexOf(other);
}
