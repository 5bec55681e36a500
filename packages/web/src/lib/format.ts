import type { Indicator, Localised } from "../api/types";

export type Lang = "nl" | "en";

const formats = new Map<string, Intl.NumberFormat>();

export function formatNumber(value: number, lang: Lang, decimals: number): string {
  const key = `${lang}|${decimals}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(lang === "nl" ? "nl-NL" : "en-GB", {
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    });
    formats.set(key, f);
  }
  return f.format(value);
}

/** A value with its unit: "47,0 %" or "226.500". */
export function formatValue(value: number | null | undefined, ind: Indicator, lang: Lang): string {
  if (value === null || value === undefined) return "–";
  const n = formatNumber(value, lang, ind.decimals);
  if (ind.unit === "%") return `${n} %`;
  if (!ind.unit || ind.unit === "aantal") return n;
  return `${n} ${ind.unit}`;
}

export function text(l: Localised | null | undefined, lang: Lang): string {
  return l ? l[lang] : "";
}
