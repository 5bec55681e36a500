/**
 * The field app's translations: only the "field" block of the dashboard's locales, through a virtual
 * module of vite.config.ts (so the build leaves the dashboard's strings out of this bundle). Dutch first; the
 * language comes from ?lang=, else the last choice on this device (shared with the dashboard).
 */
import i18next from "i18next";
import { initReactI18next } from "react-i18next";
import { en, nl } from "virtual:wijkradar-field-locales";
import type { Lang } from "./api";

export function initialLang(): Lang {
  const fromUrl = new URLSearchParams(location.search).get("lang");
  if (fromUrl === "en" || fromUrl === "nl") return fromUrl;
  try {
    const stored = localStorage.getItem("wijkradar.lang");
    if (stored === "en" || stored === "nl") return stored;
  } catch {
    // storage may be unavailable: Dutch
  }
  return "nl";
}

export async function initFieldI18n(lang: Lang): Promise<void> {
  await i18next.use(initReactI18next).init({
    resources: { nl: { translation: { field: nl } }, en: { translation: { field: en } } },
    lng: lang,
    fallbackLng: "nl",
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  document.documentElement.lang = lang;
}

export async function switchLang(lang: Lang): Promise<void> {
  await i18next.changeLanguage(lang);
  document.documentElement.lang = lang;
  try {
    localStorage.setItem("wijkradar.lang", lang);
  } catch {
    // not remembered
  }
}
