/**
 * The view lives in the URL, so a view can be shared, bookmarked and reloaded, and the browser's back
 * button walks back through drill-downs: ?v=map&i=eenzaam_18plus&p=2020&l=buurt&a=GM0034.
 */
import { useCallback, useSyncExternalStore } from "react";
import type { Level } from "../api/types";
import { CLASS_METHODS, type ClassMethod } from "./classify";
import type { Lang } from "./format";

export const VIEWS = ["map", "table", "profile", "compare"] as const;
export type View = (typeof VIEWS)[number];

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
}

const LEVELS: readonly Level[] = ["land", "gemeente", "wijk", "buurt"];

export function parseState(search: string, fallbackLang: Lang): UrlState {
  const q = new URLSearchParams(search);
  const view = q.get("v");
  const method = q.get("m");
  const level = q.get("l");
  const classes = Number(q.get("k"));
  const lang = q.get("lang");
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
