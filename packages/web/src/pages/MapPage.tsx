/**
 * The map page (and its table view): choose an indicator, period and level; drill down from the
 * country to gemeente, wijk and buurt by clicking; the ranking list beside the map is linked to it.
 */
import { useCallback, useMemo, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, ApiError } from "../api/client";
import type { ValueRow } from "../api/types";
import { useApp } from "../app-context";
import { AlertLegend } from "../components/AlertLegend";
import { Breadcrumb } from "../components/Breadcrumb";
import { Controls } from "../components/Controls";
import { DataTable } from "../components/DataTable";
import { Legend } from "../components/Legend";
import { Ranking } from "../components/Ranking";
import { StateLink } from "../components/StateLink";
import { Tooltip } from "../components/Tooltip";
import { WhyNot } from "../components/WhyNot";
import { alertLayer } from "../lib/alerts";
import { areaChain } from "../lib/area-chain";
import { chooseIndicator, classify, resolveScope } from "../lib/choropleth";
import { text } from "../lib/format";
import { finerLevel, NATIONAL } from "../lib/levels";
import { useAsync } from "../lib/use-async";
import { MapView } from "../map/MapView";

interface TipState {
  readonly code: string;
  readonly x: number;
  readonly y: number;
  readonly pinned: boolean;
  /** Width of the map panel when the card opened (it opens leftwards on the right half). */
  readonly width: number;
}

export function MapPage() {
  const { t } = useTranslation();
  const { state, update, indicators } = useApp();
  const ind = chooseIndicator(indicators, state.indicator);
  const chain = useAsync(() => areaChain(state.area), [state.area]);
  const chainValue = chain.value?.at(-1)?.code === state.area ? chain.value : undefined;

  const scope = ind ? resolveScope(ind, chainValue ?? [], state.level, state.area) : undefined;
  // Only the periods that have figures at the shown level (wijken may have fewer years than gemeenten).
  const periods = ind && scope ? (ind.periodsByLevel?.[scope.level] ?? ind.periods) : [];
  const period = state.period && periods.includes(state.period) ? state.period : periods.at(-1);
  const parentParam = scope && scope.scope !== NATIONAL ? scope.scope : null;
  const ready =
    ind !== undefined &&
    period !== undefined &&
    scope !== undefined &&
    (chainValue !== undefined || state.area === NATIONAL);

  const values = useAsync(
    () => (ready ? api.values(ind.id, period, scope.level, parentParam) : undefined),
    [ready, ind?.id, period, scope?.level, parentParam],
  );
  const current = values.value;
  // The breadcrumb names the areas as they were in the division of the figures.
  const shownChain = useAsync(
    () => (current && state.area !== NATIONAL ? areaChain(state.area, current.division) : undefined),
    [state.area, current?.division],
  );
  const crumbs = shownChain.value?.at(-1)?.code === state.area ? shownChain.value : chainValue;
  const geo = useAsync(
    () => (current ? api.geo(current.level, current.parent, current.division) : undefined),
    [current],
  );
  // Geometry and figures belong together: draw only when both are for the same request.
  const geoValue =
    geo.value &&
    current &&
    geo.value.wijkradar.level === current.level &&
    geo.value.wijkradar.parent === current.parent &&
    // Also for the figures' division (another year): not the new figures on the old boundaries while
    // the new ones load, and the map not marked as showing them before it does.
    (geo.value.wijkradar.match?.dataDivision ?? current.division) === current.division
      ? geo.value
      : undefined;
  const classed = useMemo(
    () => (current ? classify(current, geoValue, state.method, state.classes, state.breaks) : undefined),
    [current, geoValue, state.method, state.classes, state.breaks],
  );
  // The alert layer: areas by the worst severity of their alerts (issue 5), same level and division.
  const showAlerts = state.layer === "alerts";
  const alertMap = useAsync(
    () => (showAlerts && current ? api.alertMap(current.level, current.division, current.parent) : undefined),
    [showAlerts, current?.level, current?.division, current?.parent],
  );
  const alertMapValue =
    showAlerts &&
    alertMap.value &&
    current &&
    alertMap.value.level === current.level &&
    alertMap.value.division === current.division
      ? alertMap.value
      : undefined;
  const alerts = useMemo(
    () => (geoValue && alertMapValue ? alertLayer(geoValue, alertMapValue) : undefined),
    [geoValue, alertMapValue],
  );
  const runs = useAsync(() => (showAlerts ? api.runs() : undefined), [showAlerts]);
  const latestRun = runs.value?.runs.find((r) => r.status === "finished");

  const panel = useRef<HTMLDivElement>(null);
  const [hovered, setHovered] = useState<string | null>(null);
  const [tip, setTip] = useState<TipState | null>(null);
  const rowsByCode = useMemo(() => new Map(current?.values.map((v) => [v.code, v]) ?? []), [current]);
  const namesByCode = useMemo(
    () =>
      new Map(
        geoValue?.features.map((f) => [f.properties.code, f.properties.name ?? f.properties.code]) ?? [],
      ),
    [geoValue],
  );

  const next = current && ind ? finerLevel(current.level, ind.levels) : undefined;
  const drill = useCallback(
    (code: string) => {
      setTip(null);
      setHovered(null);
      if (next) update({ area: code, level: next }, { push: true });
      else update({ area: code, level: current?.level }, { push: true });
    },
    [next, update, current?.level],
  );

  /** Opens the alert page of the area's strongest alert (the layer names it); drills down if it has none. */
  const openAlert = (code: string) => {
    const strongest = alerts?.byCode.get(code)?.alertId;
    setTip(null);
    if (strongest !== undefined) update({ view: "alert", alert: strongest }, { push: true });
    else drill(code);
  };

  if (!ind || !period || !scope) return <p className="page-error">{t("map.noIndicators")}</p>;

  const renderKey = current
    ? `${current.indicator.id}|${current.period}|${current.level}|${current.parent ?? NATIONAL}`
    : "";
  const label = t("map.label", {
    indicator: text(ind.name, state.lang),
    period,
    level: t(`levelPlural.${scope.level}`),
    area: crumbs?.at(-1)?.name ?? t("level.land"),
  });
  const tipRow = tip ? rowsByCode.get(tip.code) : undefined;
  const loading =
    values.state === "loading" ||
    geo.state === "loading" ||
    chain.state === "loading" ||
    (showAlerts && alertMap.state === "loading");
  const error =
    values.state === "error"
      ? values.error
      : geo.state === "error"
        ? geo.error
        : chain.state === "error"
          ? chain.error
          : showAlerts && alertMap.state === "error"
            ? alertMap.error
            : undefined;
  // The access policy hides every figure asked for: say so, and offer "why can't I see this?".
  const forbidden =
    values.state === "error" && values.error instanceof ApiError && values.error.status === 403;
  const tipAlert = tip ? alerts?.byCode.get(tip.code) : undefined;
  const tipClass = tip ? alerts?.classOf.get(tip.code) : undefined;

  return (
    <div className="map-page">
      <h1 className="visually-hidden">{label}</h1>
      <Controls indicator={ind} periods={periods} period={period} level={scope.level} levels={scope.levels}>
        <div className="field layer-switch" role="group" aria-labelledby="layer-label">
          <span id="layer-label" className="field-label">
            {t("layer.label")}
          </span>
          <div className="toggles">
            <button
              type="button"
              className="toggle"
              aria-pressed={!showAlerts}
              onClick={() => update({ layer: "values" })}
              data-testid="layer-values"
            >
              {t("layer.values")}
            </button>
            <button
              type="button"
              className="toggle"
              aria-pressed={showAlerts}
              onClick={() => update({ layer: "alerts" })}
              data-testid="layer-alerts"
            >
              {t("layer.alerts")}
            </button>
          </div>
        </div>
      </Controls>
      <div className="crumb-row">
        <Breadcrumb chain={crumbs ?? []} />
        {state.area !== NATIONAL && (
          <StateLink patch={{ view: "profile" }} className="button-link">
            {t("map.openProfile", { name: crumbs?.at(-1)?.name ?? state.area })}
          </StateLink>
        )}
      </div>
      <p className="status-line" aria-live="polite">
        {forbidden ? (
          <span role="alert">{t("why.forbidden", { indicator: text(ind.name, state.lang) })}</span>
        ) : error ? (
          <span role="alert">{t("error.api", { detail: error.message })}</span>
        ) : loading ? (
          t("loading")
        ) : (
          ""
        )}
      </p>
      {forbidden && (
        <div className="denied-note" data-testid="denied-note">
          <WhyNot
            indicator={ind.id}
            area={scope.scope}
            areaName={crumbs?.find((c) => c.code === scope.scope)?.name ?? undefined}
            indicatorName={text(ind.name, state.lang)}
          />
        </div>
      )}
      {!forbidden && current && current.denied > 0 && (
        <div className="denied-note" data-testid="denied-note">
          <p>{t("why.someHidden", { count: current.denied, levels: t(`levelPlural.${current.level}`) })}</p>
          <WhyNot
            indicator={current.indicator.id}
            area={scope.scope}
            indicatorName={text(ind.name, state.lang)}
            known={current.deniedReason}
          />
        </div>
      )}
      <div className="map-layout">
        <div className="map-panel" hidden={state.view === "table"} ref={panel}>
          <MapView
            geo={geoValue}
            fills={(alerts ? alerts.fills : classed?.fills) ?? new Map()}
            layer={alerts ? "alerts" : "values"}
            renderKey={geoValue ? renderKey : ""}
            hovered={hovered ?? tip?.code ?? null}
            selected={scope.selected}
            label={
              alerts
                ? t("layer.mapLabel", {
                    level: t(`level.${scope.level}`),
                    area: crumbs?.at(-1)?.name ?? t("level.land"),
                  })
                : `${label}. ${t("map.tableHint")}`
            }
            onHover={(code, point) => {
              setHovered(code);
              if (!tip?.pinned)
                setTip(
                  code && point
                    ? { code, ...point, pinned: false, width: panel.current?.clientWidth ?? 0 }
                    : null,
                );
            }}
            onActivate={(code, point, touch) => {
              if (touch) setTip({ code, ...point, pinned: true, width: panel.current?.clientWidth ?? 0 });
              else if (alerts?.byCode.has(code)) openAlert(code);
              else drill(code);
            }}
          />
          {tip && current && (
            <Tooltip
              values={current}
              row={tipRow}
              name={tipRow?.name ?? namesByCode.get(tip.code) ?? tip.code}
              x={tip.x}
              y={tip.y}
              pinned={tip.pinned}
              panelWidth={tip.width}
              canDrill={next !== undefined}
              onDrill={() => drill(tip.code)}
              alert={tipAlert}
              layerClass={tipClass}
              onOpenAlert={() => openAlert(tip.code)}
              onClose={() => setTip(null)}
            />
          )}
          {current && alerts ? (
            <AlertLegend
              layer={alerts}
              level={current.level}
              division={current.division}
              parent={current.parent}
              run={latestRun}
              thresholds={latestRun?.settings?.severity}
              cutoffs={latestRun?.pCutoffs}
            />
          ) : (
            current && classed && <Legend values={current} geo={geoValue} classed={classed} />
          )}
        </div>
        {state.view === "table" && current && classed && (
          <DataTable values={current} unmatched={classed.unmatched} />
        )}
        {current && classed && state.view === "map" && (
          <Ranking
            values={current}
            classed={classed}
            hovered={hovered}
            selected={scope.selected}
            onHover={setHovered}
            onActivate={(row: ValueRow) => drill(row.code)}
          />
        )}
      </div>
    </div>
  );
}
