/**
 * The field app's requests (ADR 0008, "API"): categories, locate, the quick view of an area, posting
 * observations and the own recent ones. Shapes follow packages/server/src/api/observations-route.ts;
 * reads are never cached by the page (the service worker does not cache /api/ either), writes go
 * through the dashboard client's `send` (the session's CSRF token).
 */
import { getFresh, query, send } from "../api/client";

export type Lang = "nl" | "en";

export interface Category {
  readonly id: string;
  readonly label: { readonly nl: string; readonly en: string };
  readonly domain: string;
}

/** Where an observation was made: a point (GPS or a tap on the map) or a postcode (PC6). */
export type ObservationLocation =
  | { readonly lon: number; readonly lat: number; readonly source: "gps" | "map" }
  | { readonly postcode: string };

/** One observation as POST /api/observations takes it. */
export interface ObservationInput {
  readonly id: string;
  readonly category: string;
  readonly observedAt: string;
  readonly location: ObservationLocation;
  readonly note?: string;
  readonly noteConfirmed?: boolean;
}

export interface ObservationResult {
  readonly id: string;
  readonly status: "stored" | "duplicate" | "rejected";
  readonly areaCode?: string;
  readonly problem?: string;
}

/** The buurt a location snaps to. */
export interface Located {
  readonly code: string;
  readonly name: string;
  readonly division?: number;
  readonly wijk?: { readonly code: string; readonly name: string };
  readonly gemeente?: { readonly code: string; readonly name: string };
  readonly lon?: number;
  readonly lat?: number;
}

/** A released weekly figure of the quick view: a value, or suppressed / denied / missing. */
export interface QuickWeek {
  readonly period: string;
  readonly status: string;
  readonly value: number | null;
}

/** Observation counts of one category (or "totaal") for the last weeks. */
export interface QuickCount {
  readonly category: string;
  readonly label?: { readonly nl: string; readonly en: string };
  readonly weeks: readonly QuickWeek[];
}

export interface QuickAlert {
  readonly id: number;
  readonly severity?: string;
  readonly indicatorId?: string;
  readonly domain?: string;
  readonly period?: string;
}

export interface QuickView {
  readonly area: { readonly code: string; readonly name: string; readonly level: string };
  readonly parents: readonly { readonly code: string; readonly name: string; readonly level: string }[];
  readonly signal: { readonly severity?: string; readonly domains: readonly string[] } | null;
  readonly alerts: { readonly count: number; readonly top: readonly QuickAlert[] };
  readonly counts: readonly QuickCount[];
  /** The weeks of the counts (ISO weeks, oldest first). */
  readonly weeks: readonly string[];
  /** Where the counts come from (the source's attribution). */
  readonly source: string;
}

/** What the server answered, read leniently: fields it names differently are looked up by alias. */
type Loose = Record<string, unknown>;
const obj = (v: unknown): Loose => (v && typeof v === "object" ? (v as Loose) : {});
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

function areaRef(v: unknown): { code: string; name: string } | undefined {
  const o = obj(v);
  const code = str(o.code);
  return code ? { code, name: str(o.name) ?? code } : undefined;
}

/** Normalises the answer of GET /api/field/locate. */
export function readLocated(raw: unknown): Located {
  const r = obj(raw);
  const a = obj(r.area ?? r.buurt ?? r);
  const code = str(a.code);
  if (!code) throw new Error("the locate answer names no area");
  const point = obj(r.point ?? r.location ?? r);
  return {
    code,
    name: str(a.name) ?? code,
    division: num(a.division ?? r.division),
    wijk: areaRef(a.wijk ?? r.wijk),
    gemeente: areaRef(a.gemeente ?? r.gemeente),
    lon: num(point.lon),
    lat: num(point.lat),
  };
}

/** Normalises the answer of GET /api/field/area/:code (observations-route.ts). */
export function readQuickView(raw: unknown): QuickView {
  const r = obj(raw);
  const area = obj(r.area);
  const alerts = obj(r.alerts);
  const obs = obj(r.observations);
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const signal = r.signal ? obj(r.signal) : undefined;
  return {
    area: {
      code: str(area.code) ?? "",
      name: str(area.name) ?? str(area.code) ?? "",
      level: str(area.level) ?? "buurt",
    },
    parents: list(r.parents).flatMap((p) => {
      const ref = areaRef(p);
      return ref ? [{ ...ref, level: str(obj(p).level) ?? "" }] : [];
    }),
    signal: signal
      ? {
          severity: str(signal.severity),
          domains: list(signal.domainsFlagged ?? signal.domains).map(String),
        }
      : null,
    alerts: {
      count: num(alerts.open ?? alerts.count) ?? 0,
      top: list(alerts.top).map((a) => {
        const o = obj(a);
        return {
          id: num(o.id) ?? 0,
          severity: str(o.severity),
          indicatorId: str(o.indicatorId),
          domain: str(o.domain),
          period: str(o.period),
        };
      }),
    },
    counts: list(obs.counts).flatMap((c) => {
      const o = obj(c);
      const category = str(o.category);
      if (!category) return [];
      const label = obj(o.label);
      return [
        {
          category,
          label: str(label.nl) ? { nl: str(label.nl)!, en: str(label.en) ?? str(label.nl)! } : undefined,
          weeks: list(o.weeks).map((w) => {
            const x = obj(w);
            return {
              period: str(x.period) ?? "",
              status: str(x.status) ?? "missing",
              value: num(x.value) ?? null,
            };
          }),
        },
      ];
    }),
    weeks: list(obs.weeks).map(String),
    // The attribution says "Bron: …" itself; the screen adds its own word for it.
    source: (str(obj(obs.source).attribution) ?? str(obs.source) ?? "veldwaarnemingen").replace(
      /^(bron|source):\s*/i,
      "",
    ),
  };
}

export function readCategories(raw: unknown): Category[] {
  const r = obj(raw);
  const list = (Array.isArray(raw) ? raw : Array.isArray(r.categories) ? r.categories : []) as unknown[];
  return list.flatMap((c) => {
    const o = obj(c);
    const id = str(o.id);
    if (!id) return [];
    const label = obj(o.label);
    return [
      {
        id,
        label: {
          nl: str(label.nl) ?? str(o.labelNl) ?? id,
          en: str(label.en) ?? str(o.labelEn) ?? str(label.nl) ?? id,
        },
        domain: str(o.domain) ?? "physical-environment",
      },
    ];
  });
}

export const fieldApi = {
  categories: async (): Promise<Category[]> => readCategories(await getFresh("/api/field/categories")),
  locatePoint: async (lon: number, lat: number): Promise<Located> =>
    readLocated(await getFresh(`/api/field/locate${query({ lon, lat })}`)),
  locatePostcode: async (postcode: string): Promise<Located> =>
    readLocated(await getFresh(`/api/field/locate${query({ postcode })}`)),
  area: async (code: string): Promise<QuickView> =>
    readQuickView(await getFresh(`/api/field/area/${encodeURIComponent(code)}`)),
  post: async (observations: readonly ObservationInput[]): Promise<ObservationResult[]> => {
    const r = await send<{ results: ObservationResult[] }>("POST", "/api/observations", { observations });
    return r.results;
  },
  mine: (limit = 50) => getFresh<unknown>(`/api/observations/mine${query({ limit })}`),
};

/** "1234 AB" (or "1234ab", "1234  ab") → "1234AB"; undefined when it is no Dutch postcode (PC6). */
export function normalisePostcode(text: string): string | undefined {
  const m = /^\s*([1-9][0-9]{3})\s*([a-zA-Z]{2})\s*$/.exec(text);
  if (!m) return undefined;
  const letters = m[2]!.toUpperCase();
  // SA, SD and SS are not issued.
  if (letters === "SA" || letters === "SD" || letters === "SS") return undefined;
  return `${m[1]}${letters}`;
}
