/**
 * The areas of the map ordered by the indicator, unfavourable first. Linked to the map: hovering or
 * focusing a row outlines the area on the map, hovering the map highlights the row.
 */
import { useEffect, useRef } from "react";
import { useTranslation } from "react-i18next";
import type { ValueRow, ValuesResponse } from "../api/types";
import { useApp } from "../app-context";
import { formatValue } from "../lib/format";
import { rankRows, type ClassedMap } from "../lib/choropleth";

export function Ranking({
  values,
  classed,
  hovered,
  selected,
  onHover,
  onActivate,
}: {
  readonly values: ValuesResponse;
  readonly classed: ClassedMap;
  readonly hovered: string | null;
  readonly selected: string | null;
  readonly onHover: (code: string | null) => void;
  readonly onActivate: (row: ValueRow) => void;
}) {
  const { t } = useTranslation();
  const { state } = useApp();
  const list = useRef<HTMLOListElement>(null);
  const rows = rankRows(values);
  const max = Math.max(...rows.map((r) => (typeof r.value === "number" ? Math.abs(r.value) : 0)), 0);

  // The hovered area's row is scrolled into the list's view. Only the list scrolls, never the page:
  // on a phone the list is below the map, and a tap on the map must not carry the page away from it.
  useEffect(() => {
    const ol = list.current;
    if (!hovered || !ol) return;
    const item = ol.querySelector<HTMLElement>(`[data-code="${CSS.escape(hovered)}"]`);
    if (!item || item.contains(document.activeElement)) return;
    const box = ol.getBoundingClientRect();
    const row = item.getBoundingClientRect();
    if (row.top < box.top) ol.scrollTop -= box.top - row.top;
    else if (row.bottom > box.bottom) ol.scrollTop += row.bottom - box.bottom;
  }, [hovered]);

  return (
    <section className="ranking" aria-labelledby="ranking-title">
      <h2 id="ranking-title">{t("ranking.title", { level: t(`levelPlural.${values.level}`) })}</h2>
      <p className="hint">
        {t(values.indicator.polarity === "higher-is-better" ? "ranking.lowFirst" : "ranking.highFirst")}
      </p>
      <ol ref={list} onMouseLeave={() => onHover(null)}>
        {rows.map((row, i) => {
          const colour = classed.colourOf(row);
          const value =
            row.status === "suppressed"
              ? t("legend.suppressed")
              : typeof row.value === "number"
                ? formatValue(row.value, values.indicator, state.lang)
                : t("legend.noData");
          const width = typeof row.value === "number" && max > 0 ? (Math.abs(row.value) / max) * 100 : 0;
          return (
            <li key={row.code} data-code={row.code} className={row.code === hovered ? "hovered" : undefined}>
              <button
                type="button"
                aria-current={row.code === selected ? "true" : undefined}
                onMouseEnter={() => onHover(row.code)}
                onFocus={() => onHover(row.code)}
                onBlur={() => onHover(null)}
                onClick={() => onActivate(row)}
              >
                <span className="rank">{typeof row.value === "number" ? i + 1 : ""}</span>
                <span className="name">{row.name ?? row.code}</span>
                <span className="value">{value}</span>
                <span className="bar" aria-hidden="true">
                  <span style={{ width: `${width}%`, background: colour ?? "transparent" }} />
                </span>
              </button>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
