/**
 * Fetches from the wijkradar API on the same origin. Responses are cached per URL for the life of the
 * page (the server sends ETags too), so switching back and forth costs nothing; errors carry the
 * server's problem+json detail so the UI can say what went wrong.
 */
import type {
  AlertDetailResponse,
  AlertList,
  AlertMapResponse,
  AreaDetail,
  AreaSummary,
  DetectionRuns,
  GeoResponse,
  Indicator,
  Level,
  ProfileResponse,
  ValuesResponse,
} from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const cache = new Map<string, Promise<unknown>>();

async function load<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: "application/json" } });
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const problem = (await response.json()) as { detail?: string; title?: string };
      detail = problem.detail ?? problem.title ?? detail;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, detail);
  }
  return (await response.json()) as T;
}

export function getJson<T>(url: string): Promise<T> {
  let pending = cache.get(url) as Promise<T> | undefined;
  if (!pending) {
    pending = load<T>(url);
    cache.set(url, pending);
    // A failed request is not remembered: the next attempt asks again.
    pending.catch(() => cache.delete(url));
  }
  return pending;
}

/** Without the page cache: for what changes while the page is open (a detection run's progress). */
export function getFresh<T>(url: string): Promise<T> {
  return load<T>(url);
}

function query(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

export const api = {
  indicators: () =>
    getJson<{ count: number; indicators: Indicator[] }>("/api/indicators").then((r) => r.indicators),
  values: (id: string, period: string, level: Level, parent: string | null) =>
    getJson<ValuesResponse>(
      `/api/indicators/${encodeURIComponent(id)}/values${query({ period, level, parent })}`,
    ),
  geo: (level: Level, parent: string | null, dataDivision: number | undefined) =>
    getJson<GeoResponse>(`/api/geo/${level}${query({ parent, dataDivision })}`),
  area: (code: string, division?: number) =>
    getJson<AreaDetail>(`/api/areas/${encodeURIComponent(code)}${query({ division })}`),
  search: (q: string, limit = 10) =>
    getJson<{ count: number; areas: AreaSummary[] }>(`/api/areas${query({ q, limit })}`).then((r) => r.areas),
  profile: (code: string) => getJson<ProfileResponse>(`/api/areas/${encodeURIComponent(code)}/profile`),
  /** Areas of a level (under a parent, in a division): names for lists that carry codes only. */
  areas: (level: Level, parent: string | null, division: number | undefined, limit = 20000) =>
    getJson<{ count: number; areas: AreaSummary[] }>(
      `/api/areas${query({ level, parent, division, limit })}`,
    ).then((r) => r.areas),
  alerts: (filter: AlertQuery) => getJson<AlertList>(`/api/alerts${query({ ...filter })}`),
  /** One alert (null when unknown to the viewer) and the run that last found it, with its p cut-offs. */
  alert: (id: number) => getJson<AlertDetailResponse>(`/api/alerts/${id}`),
  alertMap: (level: Level, division: number | undefined, parent: string | null) =>
    getJson<AlertMapResponse>(`/api/alerts/map${query({ level, division, parent })}`),
  runs: () => getFresh<DetectionRuns>("/api/detection/runs"),
};

/** The filters of GET /api/alerts (lists comma-separated). */
export interface AlertQuery {
  readonly severity?: string;
  readonly status?: string;
  readonly domain?: string;
  readonly level?: Level;
  readonly division?: number;
  readonly parent?: string;
  readonly area?: string;
  readonly indicator?: string;
  readonly active?: "true" | "false" | "all";
  readonly limit?: number;
  readonly offset?: number;
}

/** The model description for the algorithm register (a download link, not fetched by the app). */
export const MODEL_URL = "/api/detection/model";
