/**
 * Names for alerts, which carry area codes only: the areas of each (level, gemeente, division) that a
 * list of alerts touches, one cached request per group, and every gemeente's name.
 */
import { api } from "../api/client";
import type { AlertSummary, AreaSummary } from "../api/types";

/** Key of an area's name: the division matters (CBS reuses wijk and buurt codes). */
export const nameKey = (division: number, code: string): string => `${division}:${code}`;

export async function alertAreaNames(alerts: readonly AlertSummary[]): Promise<Map<string, string>> {
  const groups = new Map<string, Promise<AreaSummary[]>>();
  for (const a of alerts) {
    const parent = a.level === "gemeente" ? null : a.gemeenteCode;
    const key = `${a.level}|${parent ?? ""}|${a.division}`;
    if (!groups.has(key)) groups.set(key, api.areas(a.level, parent, a.division));
  }
  const names = new Map<string, string>();
  for (const areas of await Promise.all(groups.values()))
    for (const area of areas) if (area.name) names.set(nameKey(area.division, area.code), area.name);
  return names;
}

/** Every gemeente (each code once, in the newest division that has it), sorted by name. */
export async function gemeenten(lang: string): Promise<AreaSummary[]> {
  const all = await api.areas("gemeente", null, undefined, 2000);
  return [...all].sort((a, b) => (a.name ?? a.code).localeCompare(b.name ?? b.code, lang));
}
