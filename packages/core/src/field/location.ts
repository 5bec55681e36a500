/**
 * Coarsening the location of a field observation (ADR 0008 "Observations"): a GPS fix or a tap on
 * the map is kept only snapped to a grid of about `field.precisionMeters` (default 100 m; 0 = not
 * kept), so a stored observation does not point at a front door.
 */

/** Metres per degree of latitude (and of longitude at the equator), the usual approximation. */
const METRES_PER_DEGREE = 111_320;

/** Snapped coordinates are written with at most 7 decimals (about 1 cm). */
const DECIMALS = 1e7;

/** The bounding box of the Netherlands used for plausibility messages (WGS84 degrees). */
export const NETHERLANDS_BOX = { minLon: 3.2, maxLon: 7.3, minLat: 50.7, maxLat: 53.6 } as const;

/** The largest grid cell `roundLocation` accepts, in metres. */
export const MAX_PRECISION_METERS = 100_000;

function checkCoordinate(name: string, value: number, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(
      `${name} must be a number from ${min} to ${max} (WGS84 degrees), got ${String(value)}`,
    );
  }
}

const fixed = (x: number): number => Math.round(x * DECIMALS) / DECIMALS;

/** `x` snapped to a multiple of `step`, written with at most 7 decimals and kept within ±`limit`. */
function snap(x: number, step: number, limit: number): number {
  const snapped = fixed(Math.round(x / step) * step);
  // + 0 turns −0 into 0 (JSON writes both as 0, but Object.is and toEqual tell them apart).
  return Math.min(limit, Math.max(-limit, snapped)) + 0;
}

/**
 * Snaps a WGS84 point to a grid of about `precisionMeters` in both directions: latitude in steps of
 * `precisionMeters / 111 320` degrees, then longitude in steps scaled by the cosine of the snapped
 * latitude (so a cell is about as wide as it is high). Returns null for precision 0 (the point is not
 * kept). Idempotent: snapping a snapped point gives the same point. Throws a RangeError naming the
 * parameter for NaN, infinite or out-of-range input (lon −180…180, lat −90…90, precision 0…100 000 m;
 * a positive precision below 1 m is refused too).
 *
 * @example roundLocation(5.2147, 52.3731, 100) // { lon: 5.2144…, lat: 52.3733… } (a cell of about 100 m)
 * @example roundLocation(5.2147, 52.3731, 0) // null
 */
export function roundLocation(
  lon: number,
  lat: number,
  precisionMeters: number,
): { lon: number; lat: number } | null {
  checkCoordinate("lon", lon, -180, 180);
  checkCoordinate("lat", lat, -90, 90);
  if (
    typeof precisionMeters !== "number" ||
    !Number.isFinite(precisionMeters) ||
    precisionMeters < 0 ||
    precisionMeters > MAX_PRECISION_METERS ||
    (precisionMeters > 0 && precisionMeters < 1)
  ) {
    throw new RangeError(
      `precisionMeters must be 0 (not kept) or a number of metres from 1 to ${MAX_PRECISION_METERS}, got ${String(precisionMeters)}`,
    );
  }
  if (precisionMeters === 0) return null;
  const latStep = precisionMeters / METRES_PER_DEGREE;
  const snappedLat = snap(lat, latStep, 90);
  // Near the poles the cosine goes to 0: one cell spans every longitude (the step is capped at 360°).
  const cos = Math.cos((snappedLat * Math.PI) / 180);
  const lonStep = Math.min(360, latStep / Math.max(cos, 1e-12));
  return { lon: snap(lon, lonStep, 180), lat: snappedLat };
}

/**
 * Whether a point lies in the Netherlands' bounding box (lon 3.2–7.3, lat 50.7–53.6): a plausibility
 * check for messages ("this looks like a point outside the Netherlands — longitude and latitude
 * swapped?"), not a boundary test. False for NaN.
 *
 * @example isInNetherlandsBox(5.21, 52.37) // true
 * @example isInNetherlandsBox(52.37, 5.21) // false (swapped)
 */
export function isInNetherlandsBox(lon: number, lat: number): boolean {
  const box = NETHERLANDS_BOX;
  return lon >= box.minLon && lon <= box.maxLon && lat >= box.minLat && lat <= box.maxLat;
}
