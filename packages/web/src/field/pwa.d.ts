/// <reference types="vite-plugin-pwa/client" />

/** The "field" blocks of src/locales/nl.json and en.json (vite.config.ts, fieldLocalesPlugin). */
declare module "virtual:wijkradar-field-locales" {
  export const nl: Record<string, unknown>;
  export const en: Record<string, unknown>;
}
