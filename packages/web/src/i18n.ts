/**
 * Dutch first, English available. Every string of the interface is in locales/nl.json and
 * locales/en.json (same keys; test/locales.test.ts checks they match). The language comes from the URL
 * (?lang=en), else the last choice on this device, else Dutch.
 */
import i18next from "i18next";
import { initReactI18next } from "react-i18next";
import type { Lang } from "./lib/format";
import en from "./locales/en.json";
import nl from "./locales/nl.json";

export function initialLang(): Lang {
  const fromUrl = new URLSearchParams(location.search).get("lang");
  if (fromUrl === "en" || fromUrl === "nl") return fromUrl;
  try {
    const stored = localStorage.getItem("wijkradar.lang");
    if (stored === "en" || stored === "nl") return stored;
  } catch {
    // storage may be unavailable (private mode): Dutch
  }
  return "nl";
}

export function rememberLang(lang: Lang): void {
  try {
    localStorage.setItem("wijkradar.lang", lang);
  } catch {
    // not remembered: the URL still carries it
  }
}

export async function initI18n(lang: Lang): Promise<void> {
  await i18next.use(initReactI18next).init({
    resources: { nl: { translation: nl }, en: { translation: en } },
    lng: lang,
    fallbackLng: "nl",
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  document.documentElement.lang = lang;
}

export { i18next };
