/**
 * The legend of the alert layer: red, yellow, blue, grey and untested with the number of areas of
 * each, what they mean (with the run's p cut-offs), where the alerts come from, and a link to the same
 * alerts as a list.
 */
import { useTranslation } from "react-i18next";
import type { DetectionRun } from "../api/types";
import { useApp } from "../app-context";
import type { AlertLayer, LayerClass } from "../lib/alerts";
import { formatProbability, gemeenteOf, LAYER_CLASSES, LAYER_FILL } from "../lib/alerts";
import { formatNumber } from "../lib/format";
import { NATIONAL } from "../lib/levels";
import { StateLink } from "./StateLink";

export function AlertLegend({
  layer,
  level,
  division,
  parent,
  run,
  thresholds,
  cutoffs,
}: {
  readonly layer: AlertLayer;
  readonly level: string;
  readonly division: number;
  readonly parent: string | null;
  readonly run: DetectionRun | undefined;
  readonly thresholds: { readonly red: number; readonly yellow: number } | undefined;
  /** The run's p cut-offs: the largest p still red / yellow after Benjamini–Hochberg. */
  readonly cutoffs: { readonly red: number | null; readonly yellow: number | null } | undefined;
}) {
  const { t } = useTranslation();
  const { state } = useApp();
  const n = (v: number) => formatNumber(v, state.lang, 2);
  const meaning = (c: LayerClass) => {
    if ((c === "red" || c === "yellow") && thresholds) {
      const q = t(`alertLegend.${c}`, { q: n(thresholds[c]) });
      const p = cutoffs?.[c];
      return typeof p === "number"
        ? `${q} ${t("alertLegend.cutoff", { p: formatProbability(p, state.lang) })}`
        : q;
    }
    return t(`alertLegend.${c}`, { q: "" });
  };
  const gemeente = parent && parent !== NATIONAL ? gemeenteOf(parent) : undefined;
  return (
    <section className="legend alert-legend" aria-labelledby="alert-legend-title" data-testid="alert-legend">
      <h2 id="alert-legend-title" className="legend-title">
        {t("alertLegend.title")}
      </h2>
      <p className="legend-sub">
        {t("legend.periodLevel", {
          period: t("alert.division", { division }),
          level: t(`levelPlural.${level}`),
        })}{" "}
        · {t("alertLegend.worst")}
      </p>
      <ul className="legend-classes">
        {LAYER_CLASSES.map((c) => (
          <li key={c} data-severity={c}>
            <span className="swatch" style={{ background: LAYER_FILL[c] }} aria-hidden="true" />
            <span className="range">
              <strong>{c === "untested" ? t("alertLegend.untestedName") : t(`severity.${c}`)}</strong>:{" "}
              {meaning(c)}
            </span>
            <span className="count" data-testid={`alert-count-${c}`}>
              {t("legend.areas", { count: layer.counts[c] })}
            </span>
          </li>
        ))}
      </ul>
      {layer.unmatched.length > 0 && (
        <p className="legend-note">{t("alertLegend.unmatched", { count: layer.unmatched.length })}</p>
      )}
      {layer.unmatchedTested > 0 && (
        <p className="legend-note">{t("alertLegend.unmatchedTested", { count: layer.unmatchedTested })}</p>
      )}
      <p className="legend-note">{t("alertLegend.click")}</p>
      <p className="legend-note">
        <StateLink
          patch={{
            view: "alerts",
            filter: {
              severity: [],
              status: [],
              inactive: false,
              page: 1,
              level: level === "land" ? undefined : (level as "gemeente" | "wijk" | "buurt"),
              gemeente,
            },
          }}
        >
          {t("alertLegend.list")}
        </StateLink>
      </p>
      <p className="source">
        {run
          ? t("alertLegend.source", {
              id: run.id,
              date: new Date(run.finishedAt ?? run.startedAt).toLocaleDateString(
                state.lang === "nl" ? "nl-NL" : "en-GB",
              ),
            })
          : t("alertLegend.sourceNoRun")}
      </p>
    </section>
  );
}
