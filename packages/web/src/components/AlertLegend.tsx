/**
 * The legend of the alert layer: red, yellow, blue and grey with the number of areas of each, what
 * they mean, where the alerts come from, and a link to the same alerts as a list.
 */
import { useTranslation } from "react-i18next";
import type { DetectionRun, Severity } from "../api/types";
import { useApp } from "../app-context";
import type { AlertLayer } from "../lib/alerts";
import { SEVERITY_FILL } from "../lib/alerts";
import { formatNumber } from "../lib/format";
import { NATIONAL } from "../lib/levels";
import { StateLink } from "./StateLink";

const ORDER: readonly Severity[] = ["red", "yellow", "blue", "grey"];

export function AlertLegend({
  layer,
  level,
  division,
  parent,
  run,
  thresholds,
}: {
  readonly layer: AlertLayer;
  readonly level: string;
  readonly division: number;
  readonly parent: string | null;
  readonly run: DetectionRun | undefined;
  readonly thresholds: { readonly red: number; readonly yellow: number } | undefined;
}) {
  const { t } = useTranslation();
  const { state } = useApp();
  const n = (v: number) => formatNumber(v, state.lang, 2);
  const meaning = (s: Severity) =>
    s === "red" && thresholds
      ? t("alertLegend.red", { q: n(thresholds.red) })
      : s === "yellow" && thresholds
        ? t("alertLegend.yellow", { q: n(thresholds.yellow) })
        : t(`alertLegend.${s}`, { q: "" });
  // The gemeente of the shown scope (a wijk's or buurt's code starts with its gemeente's digits).
  const gemeente =
    parent && parent !== NATIONAL && /^(GM|WK|BU)\d{4}/.test(parent) ? `GM${parent.slice(2, 6)}` : undefined;
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
        {ORDER.map((s) => (
          <li key={s} data-severity={s}>
            <span className="swatch" style={{ background: SEVERITY_FILL[s] }} aria-hidden="true" />
            <span className="range">
              <strong>{t(`severity.${s}`)}</strong>: {meaning(s)}
            </span>
            <span className="count" data-testid={`alert-count-${s}`}>
              {t("legend.areas", { count: layer.counts[s] })}
            </span>
          </li>
        ))}
      </ul>
      {layer.unmatched.length > 0 && (
        <p className="legend-note">{t("alertLegend.unmatched", { count: layer.unmatched.length })}</p>
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
