/**
 * Synthetic field observations for the demo's Almere: about five years of weekly observations per
 * buurt (seeded Poisson counts of dumping, litter, vandalism and nuisance, with a yearly season), and
 * a planted rise of illegal dumping in one buurt of Almere-Haven over the last four weeks, so the map,
 * the quick view and the weekly and monthly count detectors (which need five years of history) have
 * something real to show. Stored as user "demo-synthetic", without notes or coordinates, then counted
 * as the `veldwaarnemingen` indicators. Once per database (setting `demo-observations`).
 */
import { getSetting, setSetting } from "../store/catalogue-repository.js";
import type { Database } from "../store/database.js";
import {
  buurtenOfGemeenten,
  insertObservations,
  type ObservationRow,
} from "../store/observation-repository.js";
import type { ObservationService } from "../services/observation-service.js";
import { Rng } from "../synth/rng.js";

const SETTING = "demo-observations";
/** The demo's user id for generated observations (no account has it). */
export const DEMO_OBSERVATION_USER = "demo-synthetic";
/** The buurt with the planted rise of dumping (Almere-Haven, in the demo field worker's wijk). */
export const DEMO_RISE_BUURT = "BU00340105";
const GEMEENTE = "GM0034";
/** Weeks of history: five years for the count detectors' baseline, plus their windows. */
const WEEKS = 5 * 52 + 10;
/** Mean observations per buurt and week. */
const RATES: Readonly<Record<string, number>> = { dumping: 0.5, litter: 0.7, vandalism: 0.2, nuisance: 0.3 };
const RISE_WEEKS = 4;
const RISE_FACTOR = 8;

function poisson(rng: Rng, mean: number): number {
  // Knuth: fine for the small means used here.
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.float();
  while (p > limit) {
    k++;
    p *= rng.float();
  }
  return k;
}

export interface DemoObservationsReport {
  readonly observations: number;
  readonly buurten: number;
  readonly values: number;
  readonly seconds: { readonly generate: number; readonly count: number };
}

/**
 * Generates and counts the synthetic observations when the database has none yet (and Almere's
 * buurten exist in the field division); returns null when skipped.
 */
export async function loadDemoObservations(
  db: Database,
  service: ObservationService,
  now: number = Date.now(),
): Promise<DemoObservationsReport | null> {
  if ((await getSetting(db, SETTING)) === "complete") return null;
  const division = await service.division();
  if (division === undefined) return null;
  const buurten = (await buurtenOfGemeenten(db, division, [GEMEENTE])).map((b) => b.code);
  if (buurten.length === 0) return null;
  const started = performance.now();
  const rng = new Rng(20261122, "demo-observations");
  const rows: ObservationRow[] = [];
  const week = 7 * 86_400_000;
  const received = new Date(now);
  let seq = 0;
  for (let w = WEEKS - 1; w >= 0; w--) {
    const weekStart = now - (w + 1) * week;
    // A mild season: more litter and nuisance in summer.
    const season = 1 + 0.3 * Math.sin((2 * Math.PI * new Date(weekStart).getUTCMonth()) / 12);
    for (const buurt of buurten) {
      for (const [category, rate] of Object.entries(RATES)) {
        const rise = category === "dumping" && buurt === DEMO_RISE_BUURT && w < RISE_WEEKS ? RISE_FACTOR : 1;
        const n = poisson(rng, rate * season * rise);
        for (let i = 0; i < n; i++) {
          // Within the week, never after now.
          const at = Math.min(now - 60_000, weekStart + Math.floor(rng.float() * week));
          rows.push({
            id: `demo-${(seq++).toString(36).padStart(10, "0")}-synthetic`,
            category,
            observedAt: new Date(at),
            receivedAt: received,
            areaCode: buurt,
            division,
            gemeenteCode: GEMEENTE,
            pc6: null,
            lon: null,
            lat: null,
            locationSource: "map",
            note: null,
            userId: DEMO_OBSERVATION_USER,
            organisationId: null,
          });
        }
      }
    }
  }
  // The count detectors test the current week, however far it has got: the rise shows in it too.
  const day = new Date(now);
  const monday =
    Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate()) -
    ((day.getUTCDay() + 6) % 7) * 86_400_000;
  const from = Math.min(monday, now - 3_600_000);
  for (let i = 0, n = 4 + poisson(rng, 2); i < n; i++)
    rows.push({
      ...rows[rows.length - 1]!,
      id: `demo-${(seq++).toString(36).padStart(10, "0")}-synthetic`,
      category: "dumping",
      areaCode: DEMO_RISE_BUURT,
      observedAt: new Date(from + Math.floor(rng.float() * (now - 60_000 - from))),
    });
  await insertObservations(db, rows);
  const generated = performance.now();
  // Counted now; the first start's detection run (over every indicator) follows.
  const written = await service.rewrite(division, { actor: "wijkradar", detect: false, full: true });
  await setSetting(db, SETTING, "complete");
  return {
    observations: rows.length,
    buurten: buurten.length,
    values: written.values,
    seconds: { generate: (generated - started) / 1000, count: (performance.now() - generated) / 1000 },
  };
}
