/** Indicator, level and period (with a player that steps through the periods). */
import { useEffect, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";
import type { Indicator, Level } from "../api/types";
import { useApp } from "../app-context";
import { text } from "../lib/format";

export function Controls({
  indicator,
  periods,
  period,
  level,
  levels,
  children,
}: {
  readonly indicator: Indicator;
  /** The periods with figures at the shown level, ascending. */
  readonly periods: readonly string[];
  readonly period: string;
  readonly level: Level;
  readonly levels: readonly Level[];
  /** More fields after the period (the map layer). */
  readonly children?: ReactNode;
}) {
  const { t } = useTranslation();
  const { state, update, indicators } = useApp();
  const [playing, setPlaying] = useState(false);

  const groups = (() => {
    const byDomain = new Map<string, Indicator[]>();
    for (const i of indicators) {
      if (i.periods.length === 0 || !i.levels.some((l) => l === "gemeente" || l === "wijk" || l === "buurt"))
        continue;
      const list = byDomain.get(i.domain) ?? [];
      list.push(i);
      byDomain.set(i.domain, list);
    }
    for (const list of byDomain.values())
      list.sort((a, b) => text(a.name, state.lang).localeCompare(text(b.name, state.lang), state.lang));
    return [...byDomain].sort((a, b) => t(`domain.${a[0]}`).localeCompare(t(`domain.${b[0]}`), state.lang));
  })();

  const index = Math.max(0, periods.indexOf(period));

  // The player steps one period every 1.5 s and stops at the last.
  useEffect(() => {
    if (!playing) return;
    const timer = setTimeout(() => {
      if (index >= periods.length - 1) setPlaying(false);
      else update({ period: periods[index + 1] });
    }, 1500);
    return () => clearTimeout(timer);
  }, [playing, index, periods, update]);

  const play = () => {
    if (!playing && index >= periods.length - 1) update({ period: periods[0] });
    setPlaying(!playing);
  };

  return (
    <section className="controls" aria-label={t("controls.label")}>
      <div className="field field-indicator">
        <label htmlFor="indicator">{t("controls.indicator")}</label>
        <select
          id="indicator"
          value={indicator.id}
          onChange={(e) => update({ indicator: e.target.value, period: undefined }, { push: true })}
        >
          {groups.map(([domain, list]) => (
            <optgroup key={domain} label={t(`domain.${domain}`)}>
              {list.map((i) => (
                <option key={i.id} value={i.id}>
                  {text(i.name, state.lang)}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="level">{t("controls.level")}</label>
        <select
          id="level"
          value={level}
          onChange={(e) => update({ level: e.target.value as Level }, { push: true })}
        >
          {levels.map((l) => (
            <option key={l} value={l}>
              {t(`levelPlural.${l}`)}
            </option>
          ))}
        </select>
      </div>
      <div className="field field-period">
        <label htmlFor="period">{t("controls.period")}</label>
        <div className="period-row">
          <button
            type="button"
            className="icon-button"
            onClick={play}
            disabled={periods.length < 2}
            aria-pressed={playing}
            aria-label={playing ? t("controls.pause") : t("controls.play")}
            title={playing ? t("controls.pause") : t("controls.play")}
          >
            <span aria-hidden="true">{playing ? "❚❚" : "▶"}</span>
          </button>
          <input
            id="period"
            type="range"
            min={0}
            max={Math.max(0, periods.length - 1)}
            step={1}
            value={index}
            disabled={periods.length < 2}
            aria-valuetext={period}
            onChange={(e) => update({ period: periods[Number(e.target.value)] })}
          />
          <output htmlFor="period" className="period-value" aria-live="polite">
            {period}
          </output>
        </div>
      </div>
      {children}
    </section>
  );
}
