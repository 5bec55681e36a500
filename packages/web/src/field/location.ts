/**
 * Where the user is: the browser's geolocation as a promise, the area last shown on the home screen
 * (kept in IndexedDB, so the map picker knows which gemeente to draw, also after a restart), and
 * local date-time strings for the time field.
 */
import type { Located } from "./api";
import { cache, cached, type FieldDatabase } from "./outbox";

/** The area the user works in now: chosen, located or granted. */
export interface CurrentArea {
  readonly code: string;
  readonly name: string;
  /** The gemeente it lies in (for the map picker), when known. */
  readonly gemeente?: string;
  readonly how: "gps" | "postcode" | "grant" | "chosen";
}

export const currentArea = (db: FieldDatabase) => cached<CurrentArea>(db, "area");
export const rememberArea = (db: FieldDatabase, area: CurrentArea) => cache(db, "area", area);

export function fromLocated(l: Located, how: CurrentArea["how"]): CurrentArea {
  return { code: l.code, name: l.name, gemeente: l.gemeente?.code, how };
}

export class GeolocationFailed extends Error {
  constructor(readonly reason: "denied" | "unavailable" | "timeout" | "unsupported") {
    super(`geolocation ${reason}`);
  }
}

/** The current position (WGS84) from the browser; rejects with the reason. */
export function currentPosition(): Promise<{ lon: number; lat: number }> {
  return new Promise((resolve, reject) => {
    if (!("geolocation" in navigator)) return reject(new GeolocationFailed("unsupported"));
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude }),
      (e) =>
        reject(new GeolocationFailed(e.code === 1 ? "denied" : e.code === 3 ? "timeout" : "unavailable")),
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 },
    );
  });
}

const pad = (n: number): string => String(n).padStart(2, "0");

/** A Date as the value of an <input type="datetime-local"> (local time, minutes). */
export function toLocalInput(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The value of an <input type="datetime-local"> as a Date; undefined when empty or invalid. */
export function fromLocalInput(value: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
