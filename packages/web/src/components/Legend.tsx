/**
 * The legend: one row per class with its range and count, then the special states ("no data",
 * "suppressed", "other division") with their patterns, the classing method, and the source and
 * period of what the map shows.
 */
import { useId, useState } from "react";
import { useTranslation } from "react-i18next";
import type { GeoResponse, ValuesResponse } from "../api/types";
import { useApp } from "../app-context";
import { CLASS_METHODS, type ClassMethod } from "../lib/classify";
import type { ClassedMap } from "../lib/choropleth";
import { formatNumber, text } from "../lib/format";
import { NO_DATA_COLOUR, OTHER_DIVISION_COLOUR, SUPPRESSED_COLOUR } from "../lib/palette";

export function Legend({
  values,
  geo,
  classed,
}: {
  readonly values: ValuesResponse;
  readonly geo: GeoResponse | undefined;
  readonly classed: ClassedMap;
}) {
  const { t } = useTranslation();
  const { state, update } = useApp();
  const id = useId();
  const ind = values.indicator;
  const { breaks, min, max } = classed.classes;
  const fmt = (v: number) => formatNumber(v, state.lang, ind.decimals);

  const bounds = [min, ...breaks, max];
  const unit = ind.unit === "aantal" ? "" : ` ${ind.unit}`;
  const polarityNote = t(`polarity.${ind.polarity}`);
  const match = geo?.wijkradar.match;

  return (
    <section className="legend" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="legend-title">
        {text(ind.name, state.lang)}
        {unit && <span className="unit">{unit}</span>}
      </h2>
      <p className="legend-sub">
        {t("legend.periodLevel", { period: values.period, level: t(`levelPlural.${values.level}`) })} ·{" "}
        {polarityNote}
      </p>
      <ul className="legend-classes">
        {classed.palette.map((colour, i) => (
          <li key={colour + i}>
            <span className="swatch" style={{ background: colour }} aria-hidden="true" />
            <span className="range">
              {Number.isFinite(bounds[i]!)
                ? `${fmt(bounds[i]!)} – ${i === classed.palette.length - 1 ? "" : "< "}${fmt(bounds[i + 1]!)}`
                : "–"}
            </span>
            <span className="count">{t("legend.areas", { count: classed.counts[i] ?? 0 })}</span>
          </li>
        ))}
        <li>
          <span className="swatch" style={{ background: NO_DATA_COLOUR }} aria-hidden="true" />
          <span className="range">{t("legend.noData")}</span>
          <span className="count">{t("legend.areas", { count: classed.noData })}</span>
        </li>
        <li>
          <span
            className="swatch swatch-hatch"
            style={{ backgroundColor: SUPPRESSED_COLOUR }}
            aria-hidden="true"
          />
          <span className="range">{t("legend.suppressed")}</span>
          <span className="count">{t("legend.areas", { count: classed.suppressed })}</span>
        </li>
        {(classed.otherDivision > 0 || classed.unmatched.length > 0) && (
          <li>
            <span
              className="swatch swatch-dots"
              style={{ backgroundColor: OTHER_DIVISION_COLOUR }}
              aria-hidden="true"
            />
            <span className="range">
              {t("legend.otherDivision", { division: values.division, geometry: geo?.wijkradar.division })}
            </span>
            <span className="count">{t("legend.areas", { count: classed.otherDivision })}</span>
          </li>
        )}
      </ul>
      {classed.unmatched.length > 0 && (
        <p className="legend-note">
          {t("legend.unmatched", {
            count: classed.unmatched.length,
            division: values.division,
            geometry: geo?.wijkradar.division,
          })}
        </p>
      )}
      <details className="legend-method">
        <summary>{t("legend.method", { method: t(`method.${state.method}`) })}</summary>
        <div className="field">
          <label htmlFor={`${id}-method`}>{t("legend.methodLabel")}</label>
          <select
            id={`${id}-method`}
            value={state.method}
            onChange={(e) => update({ method: e.target.value as ClassMethod })}
          >
            {CLASS_METHODS.map((m) => (
              <option key={m} value={m}>
                {t(`method.${m}`)}
              </option>
            ))}
          </select>
        </div>
        {state.method !== "manual" ? (
          <div className="field">
            <label htmlFor={`${id}-k`}>{t("legend.classes")}</label>
            <select
              id={`${id}-k`}
              value={state.classes}
              onChange={(e) => update({ classes: Number(e.target.value) })}
            >
              {[3, 4, 5, 6, 7].map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          </div>
        ) : (
          <ManualBreaks key={state.breaks ?? ""} id={id} error={classed.breaksError} />
        )}
      </details>
      <p className="source">
        {t("source.figure", {
          source: values.source.attribution,
          licence: values.source.licence,
          period: values.period,
        })}
        {match && match.geometryDivision !== match.dataDivision && (
          <> {t("source.division", { data: match.dataDivision, geometry: match.geometryDivision })}</>
        )}
      </p>
    </section>
  );
}

/** The manual breaks field; keyed by the breaks in the URL, so it starts from them after a change. */
function ManualBreaks({ id, error }: { readonly id: string; readonly error: string | undefined }) {
  const { t } = useTranslation();
  const { state, update } = useApp();
  const [breaksText, setBreaksText] = useState(state.breaks ?? "");
  return (
    <form
      className="field"
      onSubmit={(e) => {
        e.preventDefault();
        update({ breaks: breaksText.trim() || undefined });
      }}
    >
      <label htmlFor={`${id}-breaks`}>{t("legend.breaks")}</label>
      <div className="inline">
        <input
          id={`${id}-breaks`}
          type="text"
          inputMode="decimal"
          value={breaksText}
          aria-describedby={`${id}-breaks-help`}
          aria-invalid={error !== undefined}
          onChange={(e) => setBreaksText(e.target.value)}
        />
        <button type="submit">{t("legend.apply")}</button>
      </div>
      <p id={`${id}-breaks-help`} className={error !== undefined ? "field-error" : "hint"}>
        {error !== undefined ? t("legend.breaksError", { part: error }) : t("legend.breaksHelp")}
      </p>
    </form>
  );
}
