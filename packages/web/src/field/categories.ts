/**
 * The observation categories bundled with the app (the defaults of config `field.categories`,
 * ADR 0008): shown when the server's list was never fetched on this phone. The server's list, once
 * fetched, is kept in IndexedDB and used offline.
 */
import type { Category } from "./api";

export const DEFAULT_CATEGORIES: readonly Category[] = [
  { id: "dumping", label: { nl: "Illegaal dumpen", en: "Illegal dumping" }, domain: "physical-environment" },
  { id: "litter", label: { nl: "Zwerfafval", en: "Litter" }, domain: "physical-environment" },
  { id: "vandalism", label: { nl: "Vandalisme", en: "Vandalism" }, domain: "physical-environment" },
  {
    id: "neglected-housing",
    label: { nl: "Verwaarloosde woning", en: "Neglected housing" },
    domain: "housing",
  },
  { id: "nuisance", label: { nl: "Overlast", en: "Nuisance" }, domain: "safety" },
  {
    id: "youth-hanging-around",
    label: { nl: "Hangjongeren", en: "Youth hanging around" },
    domain: "youth",
  },
  {
    id: "loneliness-signal",
    label: { nl: "Signaal van eenzaamheid", en: "Sign of loneliness" },
    domain: "health",
  },
  { id: "other", label: { nl: "Anders", en: "Other" }, domain: "physical-environment" },
];
