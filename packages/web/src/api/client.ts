/**
 * Fetches from the wijkradar API on the same origin. Responses are cached per URL for the life of the
 * page (the server sends ETags too), so switching back and forth costs nothing; errors carry the
 * server's problem+json detail so the UI can say what went wrong. Every state-changing request goes
 * through `send`, which adds the session's CSRF token. A 401 from a data route means the session has
 * ended: the listeners of `onSessionEnded` show the login again with the server's reason.
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

/** An answer other than 2xx, with what its problem+json said. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The problem's `errors[]`: one line per field ("grant.id: …"). */
    readonly errors: readonly string[] = [],
    /** Login: the account needs its authenticator code ("totp"). */
    readonly secondFactor?: string,
    /** 429: seconds to wait (Retry-After). */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

const cache = new Map<string, Promise<unknown>>();

let csrfToken: string | undefined;
/** The CSRF token of the current session (undefined for visitors); `send` adds it to every write. */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

type SessionEndedListener = (detail: string) => void;
const sessionEndedListeners = new Set<SessionEndedListener>();
/** Called with the server's detail when an API request answers 401 (the session has ended). */
export function onSessionEnded(listener: SessionEndedListener): () => void {
  sessionEndedListeners.add(listener);
  return () => sessionEndedListeners.delete(listener);
}

/** Forgets every cached answer (after a login or logout: what a user may see changed). */
export function clearCache(): void {
  cache.clear();
}

async function problemOf(response: Response): Promise<ApiError> {
  let detail = `${response.status} ${response.statusText}`;
  let errors: string[] = [];
  let secondFactor: string | undefined;
  try {
    const problem = (await response.json()) as {
      detail?: string;
      title?: string;
      errors?: unknown;
      secondFactor?: string;
    };
    detail = problem.detail ?? problem.title ?? detail;
    if (Array.isArray(problem.errors)) errors = problem.errors.map(String);
    secondFactor = problem.secondFactor;
  } catch {
    // not JSON: keep the status line
  }
  const wait = Number(response.headers.get("retry-after"));
  return new ApiError(
    response.status,
    detail,
    errors,
    secondFactor,
    Number.isFinite(wait) && wait > 0 ? wait : undefined,
  );
}

async function check(url: string, response: Response): Promise<Response> {
  if (response.ok) return response;
  const error = await problemOf(response);
  // The auth routes answer 401 for a wrong password: that is the login form's business.
  if (error.status === 401 && !new URL(url, location.href).pathname.startsWith("/api/auth/"))
    for (const listener of sessionEndedListeners) listener(error.message);
  throw error;
}

async function load<T>(url: string): Promise<T> {
  const response = await check(url, await fetch(url, { headers: { accept: "application/json" } }));
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

/**
 * The one way the dashboard changes anything: POST, PATCH or DELETE with a JSON body and the
 * session's X-CSRF-Token. Answers the JSON body (undefined for 204). Cached answers are forgotten,
 * since the change may alter them (`keepCache` for a POST that changes nothing, such as a preview).
 */
export async function send<T = unknown>(
  method: "POST" | "PATCH" | "DELETE",
  url: string,
  body?: unknown,
  options: { readonly keepCache?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (csrfToken) headers["x-csrf-token"] = csrfToken;
  const response = await check(
    url,
    await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    }),
  );
  if (!options.keepCache) clearCache();
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export function query(params: Record<string, string | number | undefined | null>): string {
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
  /** The newest period at a level (no period asked). */
  latestValues: (id: string, level: Level, parent: string | null) =>
    getJson<ValuesResponse>(`/api/indicators/${encodeURIComponent(id)}/values${query({ level, parent })}`),
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
