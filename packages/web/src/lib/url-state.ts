/**
 * The view lives in the URL, so a view can be shared, bookmarked and reloaded, and the browser's back
 * button walks back through drill-downs: ?v=map&i=eenzaam_18plus&p=2020&l=buurt&a=GM0034. The alert
 * inbox keeps its filters there too (?v=alerts&sev=red&gm=GM0034&pg=2), an alert page its id
 * (?v=alert&id=8399), and the map its layer (&lay=alerts). The login view keeps where to return to
 * (?v=login&next=%2F%3Fv%3Dprofile%26a%3DWK003401), the administration its tab (?v=admin&tab=grants),
 * the audit trail its search (?v=audit&au=wijkwerker&ob=WK003401&res=denied&org=gemeente-almere&from=2025-01-01&apg=2).
 * Field work: an area's signal board (?v=board&a=BU00340101), the interventions with their tab
 * (?v=interventions&tab=library), one intervention (?v=intervention&id=3), and a profile narrowed
 * to one domain (?v=profile&a=BU00340101&focus=housing).
 */
import { useCallback, useSyncExternalStore } from "react";
import type { AlertSeverity, AlertStatus, Level } from "../api/types";
import { CLASS_METHODS, type ClassMethod } from "./classify";
import type { Lang } from "./format";

export const VIEWS = [
  "map",
  "table",
  "profile",
  "compare",
  "alerts",
  "alert",
  "login",
  "account",
  "admin",
  "audit",
  "board",
  "interventions",
  "intervention",
] as const;
export type View = (typeof VIEWS)[number];

export const ALERT_SEVERITIES: readonly AlertSeverity[] = ["red", "yellow"];
export const ALERT_STATUSES: readonly AlertStatus[] = ["new", "acknowledged", "investigating", "closed"];
export const ALERT_LEVELS: readonly Level[] = ["gemeente", "wijk", "buurt"];

/** The filters of the alert inbox; an empty list means every value. */
export interface AlertFilter {
  readonly severity: readonly AlertSeverity[];
  readonly status: readonly AlertStatus[];
  readonly domain?: string;
  readonly level?: Level;
  /** A gemeente: its own alerts and those of its wijken and buurten. */
  readonly gemeente?: string;
  /** One area's alerts. */
  readonly area?: string;
  /** Also alerts the latest run did not find again. */
  readonly inactive: boolean;
  /** 1-based. */
  readonly page: number;
}

export const NO_ALERT_FILTER: AlertFilter = { severity: [], status: [], inactive: false, page: 1 };

export type MapLayer = "values" | "alerts";

export const ADMIN_TABS = ["organisations", "users", "grants", "sessions"] as const;
export type AdminTab = (typeof ADMIN_TABS)[number];

export const INTERVENTION_TABS = ["ours", "library"] as const;
export type InterventionTab = (typeof INTERVENTION_TABS)[number];

export const AUDIT_RESULTS = ["released", "suppressed", "denied"] as const;

/** The search of the audit trail; empty fields are left out. */
export interface AuditFilter {
  readonly actor?: string;
  readonly object?: string;
  readonly action?: string;
  readonly result?: (typeof AUDIT_RESULTS)[number];
  readonly organisation?: string;
  /** YYYY-MM-DD. */
  readonly from?: string;
  readonly to?: string;
  /** 1-based. */
  readonly page: number;
}

export const NO_AUDIT_FILTER: AuditFilter = { page: 1 };

export interface UrlState {
  readonly view: View;
  readonly indicator?: string;
  readonly period?: string;
  readonly level?: Level;
  readonly area: string;
  readonly method: ClassMethod;
  readonly classes: number;
  readonly breaks?: string;
  readonly compare: readonly string[];
  readonly lang: Lang;
  /** The alert of the alert page. */
  readonly alert?: number;
  readonly filter: AlertFilter;
  readonly layer: MapLayer;
  /** The login view: the path and query to return to afterwards (same site only). */
  readonly next?: string;
  readonly adminTab: AdminTab;
  readonly audit: AuditFilter;
  /** The intervention of the intervention page. */
  readonly intervention?: number;
  readonly interventionTab: InterventionTab;
  /** The profile shows this domain only (from a signal's "look at the underlying factors"). */
  readonly focus?: string;
}

const LEVELS: readonly Level[] = ["land", "gemeente", "wijk", "buurt"];
const AREA_CODE = /^(GM\d{4}|WK\d{6}|BU\d{8})$/;

const list = <T extends string>(text: string | null, allowed: readonly T[]): T[] =>
  allowed.filter((v) => (text ?? "").split(",").includes(v));

function parseFilter(q: URLSearchParams): AlertFilter {
  const level = q.get("lvl");
  const gemeente = (q.get("gm") ?? "").toUpperCase();
  const area = (q.get("ar") ?? "").toUpperCase();
  const domain = q.get("dom");
  const page = Number(q.get("pg"));
  return {
    severity: list(q.get("sev"), ALERT_SEVERITIES),
    status: list(q.get("st"), ALERT_STATUSES),
    domain: domain && /^[a-z-]{1,40}$/.test(domain) ? domain : undefined,
    level: ALERT_LEVELS.includes(level as Level) ? (level as Level) : undefined,
    gemeente: /^GM\d{4}$/.test(gemeente) ? gemeente : undefined,
    area: AREA_CODE.test(area) ? area : undefined,
    inactive: q.get("old") === "1",
    page: Number.isInteger(page) && page >= 1 && page <= 100_000 ? page : 1,
  };
}

/** A path on this site to return to: "/…" but never "//…" (another host) or a backslash trick. */
export function safeNext(text: string | null | undefined): string | undefined {
  if (!text || text.length > 2000) return undefined;
  if (!text.startsWith("/") || text.startsWith("//") || text.includes("\\")) return undefined;
  return text;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const field = (text: string | null): string | undefined => {
  const v = text?.trim();
  return v ? v.slice(0, 200) : undefined;
};

function parseAudit(q: URLSearchParams): AuditFilter {
  const result = q.get("res");
  const from = q.get("from");
  const to = q.get("to");
  const page = Number(q.get("apg"));
  return {
    actor: field(q.get("au")),
    object: field(q.get("ob")),
    action: field(q.get("act")),
    organisation: field(q.get("org")),
    result: (AUDIT_RESULTS as readonly string[]).includes(result ?? "")
      ? (result as AuditFilter["result"])
      : undefined,
    from: from && DATE.test(from) ? from : undefined,
    to: to && DATE.test(to) ? to : undefined,
    page: Number.isInteger(page) && page >= 1 && page <= 1_000_000 ? page : 1,
  };
}

export function parseState(search: string, fallbackLang: Lang): UrlState {
  const q = new URLSearchParams(search);
  const view = q.get("v");
  const method = q.get("m");
  const level = q.get("l");
  const classes = Number(q.get("k"));
  const lang = q.get("lang");
  const alert = Number(q.get("id"));
  return {
    view: (VIEWS as readonly string[]).includes(view ?? "") ? (view as View) : "map",
    indicator: q.get("i") ?? undefined,
    period: q.get("p") ?? undefined,
    level: LEVELS.includes(level as Level) ? (level as Level) : undefined,
    area: (q.get("a") ?? "NL01").toUpperCase(),
    method: (CLASS_METHODS as readonly string[]).includes(method ?? "")
      ? (method as ClassMethod)
      : "quantile",
    classes: Number.isInteger(classes) && classes >= 2 && classes <= 9 ? classes : 5,
    breaks: q.get("b") ?? undefined,
    compare: (q.get("c") ?? "")
      .split(",")
      .map((c) => c.trim().toUpperCase())
      .filter(Boolean),
    lang: lang === "en" || lang === "nl" ? lang : fallbackLang,
    alert: Number.isInteger(alert) && alert >= 1 ? alert : undefined,
    filter: parseFilter(q),
    layer: q.get("lay") === "alerts" ? "alerts" : "values",
    next: safeNext(q.get("next")),
    adminTab: (ADMIN_TABS as readonly string[]).includes(q.get("tab") ?? "")
      ? (q.get("tab") as AdminTab)
      : "organisations",
    audit: parseAudit(q),
    intervention: view === "intervention" && Number.isInteger(alert) && alert >= 1 ? alert : undefined,
    interventionTab: q.get("tab") === "library" ? "library" : "ours",
    focus: /^[a-z-]{1,40}$/.test(q.get("focus") ?? "") ? q.get("focus")! : undefined,
  };
}

/**
 * The URL of a state. `lang` is left out only for Dutch when a URL without it means Dutch: when the
 * page started in English (?lang=en or the remembered choice), switching to Dutch must say so.
 */
export function formatState(s: UrlState, fallbackLang: Lang = "nl"): string {
  const q = new URLSearchParams();
  if (s.view !== "map") q.set("v", s.view);
  if (s.indicator) q.set("i", s.indicator);
  if (s.period) q.set("p", s.period);
  if (s.level) q.set("l", s.level);
  if (s.area !== "NL01") q.set("a", s.area);
  if (s.method !== "quantile") q.set("m", s.method);
  if (s.classes !== 5) q.set("k", String(s.classes));
  if (s.method === "manual" && s.breaks) q.set("b", s.breaks);
  if (s.compare.length) q.set("c", s.compare.join(","));
  if (s.layer === "alerts") q.set("lay", "alerts");
  if (s.view === "alert" && s.alert !== undefined) q.set("id", String(s.alert));
  if (s.view === "alerts") {
    const f = s.filter;
    if (f.severity.length) q.set("sev", f.severity.join(","));
    if (f.status.length) q.set("st", f.status.join(","));
    if (f.domain) q.set("dom", f.domain);
    if (f.level) q.set("lvl", f.level);
    if (f.gemeente) q.set("gm", f.gemeente);
    if (f.area) q.set("ar", f.area);
    if (f.inactive) q.set("old", "1");
    if (f.page > 1) q.set("pg", String(f.page));
  }
  if (s.view === "intervention" && s.intervention !== undefined) q.set("id", String(s.intervention));
  if (s.view === "interventions" && s.interventionTab !== "ours") q.set("tab", s.interventionTab);
  if (s.view === "profile" && s.focus) q.set("focus", s.focus);
  if (s.view === "login" && s.next) q.set("next", s.next);
  if (s.view === "admin" && s.adminTab !== "organisations") q.set("tab", s.adminTab);
  if (s.view === "audit") {
    const a = s.audit;
    if (a.actor) q.set("au", a.actor);
    if (a.object) q.set("ob", a.object);
    if (a.action) q.set("act", a.action);
    if (a.result) q.set("res", a.result);
    if (a.organisation) q.set("org", a.organisation);
    if (a.from) q.set("from", a.from);
    if (a.to) q.set("to", a.to);
    if (a.page > 1) q.set("apg", String(a.page));
  }
  if (s.lang !== "nl" || fallbackLang !== "nl") q.set("lang", s.lang);
  const text = q.toString();
  return text ? `/?${text}` : "/";
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  window.addEventListener("wijkradar:navigate", onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener("wijkradar:navigate", onChange);
  };
}

const getSearch = (): string => location.search;

/**
 * The current state and a function to change it. `push` adds a history entry (drill-down, view
 * changes); without it the entry is replaced (e.g. every step of the period player).
 */
export function useUrlState(
  fallbackLang: Lang,
): [UrlState, (patch: Partial<UrlState>, options?: { push?: boolean }) => void] {
  const search = useSyncExternalStore(subscribe, getSearch);
  const state = parseState(search, fallbackLang);
  const update = useCallback(
    (patch: Partial<UrlState>, options?: { push?: boolean }) => {
      const next = formatState({ ...parseState(location.search, fallbackLang), ...patch }, fallbackLang);
      if (options?.push) history.pushState(null, "", next);
      else history.replaceState(null, "", next);
      window.dispatchEvent(new Event("wijkradar:navigate"));
    },
    [fallbackLang],
  );
  return [state, update];
}
