/**
 * The charts of an alert page, drawn with Observable Plot from the figures the API releases:
 * - the deviation among comparable areas: a funnel plot (rates with counts: value against size with
 *   the limits of the red and yellow thresholds around the reference rate, widened by the
 *   overdispersion φ) or a standardised-deviation plot (the comparable areas ordered by value, the
 *   median and ±z·spread lines), the area highlighted;
 * - the series: the area against its reference and the country over all periods, with the change;
 * - the cluster map of a spatial test: the area and its neighbours coloured by value.
 * Every figure names its indicator, period and source; its words say what a chart shows.
 */
import * as Plot from "@observablehq/plot";
import { useCallback, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api/client";
import type {
  AlertDetail,
  AlertTest,
  AreaDetail,
  GeoFeature,
  Indicator,
  SeriesPoint,
  ValueRow,
} from "../api/types";
import { useApp } from "../app-context";
import {
  detailNumber,
  detailText,
  familyOf,
  firstOfFamily,
  formatOnScale,
  funnelLimit,
  kindScale,
  normalQuantile,
  parseReference,
  SEVERITY_FILL,
  touchingAreas,
} from "../lib/alerts";
import { classOf, computeClasses } from "../lib/classify";
import { formatNumber, text } from "../lib/format";
import { NO_DATA_COLOUR, OTHER_DIVISION_COLOUR, paletteFor } from "../lib/palette";
import { useAsync } from "../lib/use-async";
import { PlotBox } from "./PlotBox";

/** Lines of the thresholds: the yellow one darker than the chip, for 3:1 contrast on white. */
const RED_LINE = "#b2182b";
const YELLOW_LINE = "#9a6b00";
const AREA_DOT = "#1d3b5a";
const OTHER_DOT = "#8a96a3";

type Names = ReadonlyMap<string, string>;

/** The test the deviation chart shows: the chosen one when it can, else a status test. */
function deviationTest(tests: readonly AlertTest[], chosen: AlertTest): AlertTest | undefined {
  const drawable = (t: AlertTest) =>
    familyOf(t.detector) === "status" || t.detector === "dynamics-relative-change";
  if (drawable(chosen)) return chosen;
  return (
    tests.find((t) => familyOf(t.detector) === "status" && t.indicatorId === chosen.indicatorId) ??
    firstOfFamily(tests, "status") ??
    tests.find((t) => t.detector === "dynamics-relative-change")
  );
}

function clusterTest(tests: readonly AlertTest[], chosen: AlertTest): AlertTest | undefined {
  if (familyOf(chosen.detector) === "space") return chosen;
  return (
    tests.find((t) => familyOf(t.detector) === "space" && t.indicatorId === chosen.indicatorId) ??
    firstOfFamily(tests, "space")
  );
}

export function AlertCharts({
  alert,
  area,
  names,
  indicators,
}: {
  readonly alert: AlertDetail;
  readonly area: AreaDetail | undefined;
  readonly names: Names;
  readonly indicators: ReadonlyMap<string, Indicator>;
}) {
  const { t } = useTranslation();
  const { state } = useApp();
  const [chosen, setChosen] = useState(0);
  const tests = alert.explanation;
  const test = tests[chosen] ?? tests[0];
  if (!test) return null;
  const deviation = deviationTest(tests, test);
  const cluster = clusterTest(tests, test);
  const nameOf = (id: string) => {
    const ind = indicators.get(id);
    return ind ? text(ind.name, state.lang) : id;
  };
  return (
    <section className="alert-charts" aria-labelledby="alert-charts-title">
      <h2 id="alert-charts-title">{t("chart.title")}</h2>
      {tests.length > 1 && (
        <div className="field chart-test">
          <label htmlFor="chart-test">{t("chart.test")}</label>
          <select id="chart-test" value={chosen} onChange={(e) => setChosen(Number(e.target.value))}>
            {tests.map((x, i) => (
              <option key={`${x.detector}|${x.indicatorId}|${x.period}|${i}`} value={i}>
                {i + 1}. {nameOf(x.indicatorId)} — {t(`detector.${x.detector}`)} ({x.period})
              </option>
            ))}
          </select>
        </div>
      )}
      {deviation && (
        <DeviationFigure
          key={`d|${tests.indexOf(deviation)}`}
          alert={alert}
          test={deviation}
          indicator={indicators.get(deviation.indicatorId)}
          names={names}
        />
      )}
      <SeriesFigure
        key={`s|${test.indicatorId}`}
        alert={alert}
        test={test}
        area={area}
        indicator={indicators.get(test.indicatorId)}
        names={names}
      />
      {cluster && (
        <ClusterFigure
          key={`c|${tests.indexOf(cluster)}`}
          alert={alert}
          test={cluster}
          indicator={indicators.get(cluster.indicatorId)}
          names={names}
        />
      )}
    </section>
  );
}

function FigureSource({ test, extra }: { readonly test: AlertTest; readonly extra?: string }) {
  const { t } = useTranslation();
  return (
    <p className="source">
      {t("source.short", { source: test.attribution, period: test.period })}
      {extra ? ` · ${extra}` : ""}
    </p>
  );
}

// --- deviation among comparable areas -------------------------------------------------------------

interface Point {
  readonly code: string;
  readonly name: string;
  readonly x: number;
  readonly y: number;
  readonly self: boolean;
}

const released = (rows: readonly ValueRow[]) =>
  rows.filter((r) => r.status === "released" && typeof r.value === "number");

function DeviationFigure({
  alert,
  test,
  indicator,
  names,
}: {
  readonly alert: AlertDetail;
  readonly test: AlertTest;
  readonly indicator: Indicator | undefined;
  readonly names: Names;
}) {
  const { t } = useTranslation();
  const { state } = useApp();
  const lang = state.lang;
  const d = test.details;
  const funnel = test.detector === "status-funnel";
  const change = test.detector === "dynamics-relative-change";
  const ref = parseReference(change ? d.comparedWith : d.reference);
  // The comparable areas: those of the reference gemeente, or all of the level.
  const parent = funnel
    ? ref?.kind === "area" && ref.code !== "NL01"
      ? ref.code
      : null
    : ref?.kind === "group"
      ? ref.gemeente
      : null;
  const [p0, p1] = test.period.split("–");
  // A difference in change needs one shared reference for every comparable area.
  const changeDrawable = change && (ref?.kind === "group" || alert.level === "gemeente");
  const data = useAsync(async () => {
    if (!indicator || (change && !changeDrawable)) return undefined;
    if (!change)
      return { now: await api.values(indicator.id, test.period, alert.level, parent), before: undefined };
    const [before, now] = await Promise.all([
      api.values(indicator.id, p0!, alert.level, parent),
      api.values(indicator.id, p1 ?? p0!, alert.level, parent),
    ]);
    return { now, before };
  }, [indicator?.id, test.period, alert.level, parent, change, changeDrawable]);

  const red = alert.parameters.severity.red;
  const yellow = alert.parameters.severity.yellow;
  const zRed = normalQuantile(1 - red);
  const zYellow = normalQuantile(1 - yellow);
  const areaName = names.get(alert.areaCode) ?? alert.areaCode;
  const nameOfRef = (code: string | undefined) =>
    !code ? "" : code === "NL01" ? t("level.land") : (names.get(code) ?? code);

  // Centre and spread of the test: given (standardised) or implied by z (relative change).
  const centre = test.expected ?? NaN;
  const spread = change
    ? (() => {
        const z = detailNumber(d, "z");
        return z && test.observed !== null ? (test.observed - centre) / z : NaN;
      })()
    : (detailNumber(d, "scale") ?? NaN);

  const v = data.value;
  const referenceFrom = detailNumber(d, "referenceFrom") ?? NaN;
  const referenceTo = detailNumber(d, "referenceTo") ?? NaN;
  const points = useMemo((): Point[] | undefined => {
    if (!v) return undefined;
    if (funnel)
      return released(v.now.values)
        .filter((r) => typeof r.denominator === "number" && r.denominator > 0)
        .map((r) => ({
          code: r.code,
          name: r.name ?? r.code,
          x: r.denominator!,
          y: r.value!,
          self: r.code === alert.areaCode,
        }));
    let rows: { code: string; name: string; y: number }[];
    if (change && v.before) {
      const before = new Map(released(v.before.values).map((r) => [r.code, r.value!]));
      const rf = referenceFrom;
      const rt = referenceTo;
      rows = released(v.now.values)
        .filter((r) => before.has(r.code))
        .map((r) => ({
          code: r.code,
          name: r.name ?? r.code,
          y: r.value! - before.get(r.code)! - (rt - rf),
        }));
    } else rows = released(v.now.values).map((r) => ({ code: r.code, name: r.name ?? r.code, y: r.value! }));
    rows.sort((a, b) => a.y - b.y || a.code.localeCompare(b.code));
    return rows.map((r, i) => ({ ...r, x: i + 1, self: r.code === alert.areaCode }));
  }, [v, funnel, change, referenceFrom, referenceTo, alert.areaCode]);

  const unitLabel = indicator?.unit && indicator.unit !== "aantal" ? ` (${indicator.unit})` : "";
  const yLabel = change
    ? t("chart.differenceInChange", { unit: unitLabel })
    : `${indicator ? text(indicator.name, lang) : test.indicatorId}${unitLabel}`;

  const draw = useCallback(
    (width: number): Element | null => {
      if (!points || points.length === 0) return null;
      const self = points.filter((p) => p.self);
      const height = Math.max(240, Math.min(340, width * 0.6));
      const common = {
        width,
        height,
        marginLeft: 56,
        marginRight: 16,
        inset: 10,
        color: { type: "identity" as const },
        style: { fontSize: "12px", background: "transparent" },
      };
      const label = (p: Point) => (p.self ? areaName : "");
      if (funnel) {
        const scale = kindScale(indicator?.kind ?? "", detailText(d, "model"));
        const theta = (test.expected ?? NaN) / scale;
        const phi = detailNumber(d, "phi") ?? 1;
        const model = detailText(d, "model") === "binomial" ? "binomial" : "poisson";
        const xs = points.map((p) => p.x);
        const lo = Math.max(1, Math.min(...xs) * 0.8);
        const hi = Math.max(...xs) * 1.25;
        const steps = 80;
        const curve = (z: number) =>
          Array.from({ length: steps + 1 }, (_, i) => {
            const n = lo * (hi / lo) ** (i / steps);
            return { n, v: funnelLimit(theta, n, z, phi, model, scale) };
          });
        // The values decide the vertical range; the limits are cut off at its edges (they widen fast
        // for small areas) and never go below 0.
        const ys = [...points.map((p) => p.y), theta * scale];
        const span = Math.max(...ys) - Math.min(...ys) || 1;
        const domain = [Math.max(0, Math.min(...ys) - 0.15 * span), Math.max(...ys) + 0.15 * span];
        const limit = { x: "n", y: "v", clip: "frame" as const };
        return Plot.plot({
          ...common,
          x: { type: "log", label: t("chart.denominator"), grid: true },
          y: { label: yLabel, grid: true, domain },
          marks: [
            Plot.ruleY([theta * scale], { stroke: "#1b1f24", strokeWidth: 1.5 }),
            Plot.line(curve(zYellow), { ...limit, stroke: YELLOW_LINE, strokeDasharray: "6,3" }),
            Plot.line(curve(-zYellow), { ...limit, stroke: YELLOW_LINE, strokeDasharray: "6,3" }),
            Plot.line(curve(zRed), { ...limit, stroke: RED_LINE, strokeDasharray: "2,2" }),
            Plot.line(curve(-zRed), { ...limit, stroke: RED_LINE, strokeDasharray: "2,2" }),
            Plot.dot(points, { x: "x", y: "y", r: 2.5, fill: OTHER_DOT }),
            Plot.dot(self, {
              x: "x",
              y: "y",
              r: 6,
              fill: SEVERITY_FILL[test.severity],
              stroke: "#000",
              strokeWidth: 2,
            }),
            Plot.text(self, {
              x: "x",
              y: "y",
              text: label,
              dy: -12,
              fontWeight: 700,
              stroke: "#fff",
              strokeWidth: 3,
              fill: "#000",
            }),
          ],
        });
      }
      const limits = [
        { y: centre + zYellow * spread, stroke: YELLOW_LINE, dash: "6,3" },
        { y: centre - zYellow * spread, stroke: YELLOW_LINE, dash: "6,3" },
        { y: centre + zRed * spread, stroke: RED_LINE, dash: "2,2" },
        { y: centre - zRed * spread, stroke: RED_LINE, dash: "2,2" },
      ].filter((l) => Number.isFinite(l.y));
      return Plot.plot({
        ...common,
        x: { label: t("chart.rank"), ticks: 0, axis: null },
        y: { label: yLabel, grid: true },
        marks: [
          Number.isFinite(centre) ? Plot.ruleY([centre], { stroke: "#1b1f24", strokeWidth: 1.5 }) : null,
          ...limits.map((l) => Plot.ruleY([l.y], { stroke: l.stroke, strokeDasharray: l.dash })),
          Plot.dot(points, { x: "x", y: "y", r: points.length > 500 ? 1.2 : 3, fill: OTHER_DOT }),
          Plot.dot(self, {
            x: "x",
            y: "y",
            r: 6,
            fill: SEVERITY_FILL[test.severity],
            stroke: "#000",
            strokeWidth: 2,
          }),
          Plot.text(self, {
            x: "x",
            y: "y",
            text: label,
            dx: -10,
            textAnchor: "end",
            fontWeight: 700,
            stroke: "#fff",
            strokeWidth: 3,
            fill: "#000",
          }),
        ],
      });
    },
    [points, funnel, test, indicator, d, zRed, zYellow, centre, spread, areaName, yLabel, t],
  );

  const fmt = (v: number) => formatOnScale(v, indicator, lang, { difference: change });
  const selfPoint = points?.find((p) => p.self);
  const group =
    ref?.kind === "group"
      ? t("explain.group", {
          levels: t(`levelPlural.${ref.level}`),
          gemeente: names.get(ref.gemeente) ?? ref.gemeente,
        })
      : funnel && parent
        ? t("explain.group", { levels: t(`levelPlural.${alert.level}`), gemeente: nameOfRef(parent) })
        : t("explain.all", { levels: t(`levelPlural.${alert.level}`) });
  const label = points
    ? t(funnel ? "chart.funnelLabel" : "chart.deviationLabel", {
        count: points.length,
        group,
        area: areaName,
        value: selfPoint ? fmt(selfPoint.y) : "–",
        centre: fmt(centre),
        z: formatNumber(detailNumber(d, "z") ?? test.effect, lang, 2),
      })
    : t("loading");
  const title = funnel ? t("chart.funnelTitle") : change ? t("chart.changeTitle") : t("chart.deviationTitle");
  return (
    <figure
      className="alert-figure"
      data-testid="figure-deviation"
      data-detector={test.detector}
      data-indicator={test.indicatorId}
    >
      <figcaption>
        <span className="figure-title">{title}</span>
        <span className="figure-sub">
          {indicator ? text(indicator.name, lang) : test.indicatorId}, {test.period} — {group}
        </span>
      </figcaption>
      {change && !changeDrawable ? (
        <p className="hint">{t("chart.noSharedReference")}</p>
      ) : data.state === "error" ? (
        <p className="page-error">{t("error.api", { detail: data.error.message })}</p>
      ) : (
        <PlotBox draw={draw} label={label} testid="chart-deviation" minHeight={240} />
      )}
      <ul className="chart-key">
        <li>
          <span
            className="key-dot key-self"
            style={{ background: SEVERITY_FILL[test.severity] }}
            aria-hidden="true"
          />
          {areaName}
        </li>
        <li>
          <span className="key-dot" style={{ background: OTHER_DOT }} aria-hidden="true" />
          {funnel ? t("chart.otherAreas") : t("chart.otherAreasRanked")}
        </li>
        <li>
          <span className="key-line" aria-hidden="true" />
          {funnel
            ? t("chart.referenceRate", { value: fmt(centre) })
            : t("chart.median", { value: fmt(centre) })}
        </li>
        <li>
          <span className="key-line key-yellow" aria-hidden="true" />
          {t("chart.limit", { z: formatNumber(zYellow, lang, 2), p: formatNumber(yellow, lang, 2) })}
        </li>
        <li>
          <span className="key-line key-red" aria-hidden="true" />
          {t("chart.limit", { z: formatNumber(zRed, lang, 2), p: formatNumber(red, lang, 2) })}
        </li>
      </ul>
      <p className="hint">
        {funnel
          ? t("chart.funnelNote", { phi: formatNumber(detailNumber(d, "phi") ?? 1, lang, 2) })
          : t("chart.limitNote")}
      </p>
      <FigureSource test={test} />
    </figure>
  );
}

// --- the series against the reference -------------------------------------------------------------

function SeriesFigure({
  alert,
  test,
  area,
  indicator,
  names,
}: {
  readonly alert: AlertDetail;
  readonly test: AlertTest;
  readonly area: AreaDetail | undefined;
  readonly indicator: Indicator | undefined;
  readonly names: Names;
}) {
  const { t } = useTranslation();
  const { state } = useApp();
  const lang = state.lang;
  // The reference of the test when it names an area, else the gemeente (the land for a gemeente).
  const named = parseReference(test.details.reference);
  const refCode =
    named?.kind === "area"
      ? named.code
      : named?.kind === "group"
        ? named.gemeente
        : alert.level === "gemeente" || !alert.gemeenteCode
          ? "NL01"
          : alert.gemeenteCode;
  const series = useAsync(async () => {
    const profile = await api.profile(alert.areaCode);
    const entryOf = (p: typeof profile) =>
      Object.values(p.domains)
        .flat()
        .find((e) => e.indicator.id === test.indicatorId);
    const entry = entryOf(profile);
    if (!entry) return undefined;
    const own = entry.series.filter((s) => s.division === alert.division);
    let reference: (SeriesPoint & { ref: number | null })[];
    if (refCode === "NL01") reference = own.map((s) => ({ ...s, ref: s.national ?? null }));
    else if (refCode === profile.area.parentCode)
      reference = own.map((s) => ({ ...s, ref: s.parent ?? null }));
    else {
      const other = entryOf(await api.profile(refCode));
      const byPeriod = new Map(
        (other?.series ?? [])
          .filter((s) => s.division === alert.division)
          .map((s) => [s.period, s.value ?? null]),
      );
      reference = own.map((s) => ({ ...s, ref: byPeriod.get(s.period) ?? null }));
    }
    return reference;
  }, [alert.areaCode, alert.division, test.indicatorId, refCode]);

  const areaName = names.get(alert.areaCode) ?? area?.name ?? alert.areaCode;
  const refName = refCode === "NL01" ? t("level.land") : (names.get(refCode) ?? refCode);
  const points = series.value;
  const [p0, p1] = test.period.split("–");

  const draw = useCallback(
    (width: number): Element | null => {
      if (!points || points.length === 0) return null;
      const line = (key: "value" | "ref" | "national") =>
        points
          .filter((s) => typeof s[key] === "number")
          .map((s) => ({ period: s.period, v: s[key] as number }));
      const marks: Plot.Markish[] = [];
      if (p1 && p0)
        marks.push(Plot.ruleX([p0, p1], { stroke: "#c9d1d9", strokeWidth: 10, strokeOpacity: 0.6 }));
      if (refCode !== "NL01")
        marks.push(Plot.line(line("national"), { x: "period", y: "v", stroke: "#8c8c8c", strokeWidth: 1.5 }));
      marks.push(
        Plot.line(line("ref"), {
          x: "period",
          y: "v",
          stroke: "#5b6b7b",
          strokeDasharray: "5,3",
          strokeWidth: 2,
        }),
        Plot.dot(line("ref"), { x: "period", y: "v", fill: "#5b6b7b", r: 3 }),
        Plot.line(line("value"), { x: "period", y: "v", stroke: AREA_DOT, strokeWidth: 2.5 }),
        Plot.dot(line("value"), { x: "period", y: "v", fill: AREA_DOT, r: 4 }),
        Plot.text(line("value"), {
          x: "period",
          y: "v",
          text: (d: { v: number }) => formatNumber(d.v, lang, indicator?.decimals ?? 1),
          dy: -12,
          fill: AREA_DOT,
          stroke: "#fff",
          strokeWidth: 3,
          fontWeight: 700,
        }),
      );
      return Plot.plot({
        width,
        height: 220,
        marginLeft: 48,
        marginRight: 24,
        x: { type: "point", label: t("chart.period"), padding: 0.3 },
        y: {
          label: indicator ? `${indicator.unit === "%" ? "%" : indicator.unit}` : null,
          grid: true,
          nice: true,
        },
        style: { fontSize: "12px", background: "transparent" },
        marks,
      });
    },
    [points, p0, p1, refCode, lang, indicator, t],
  );

  const fmt = (v: number | null | undefined) => formatOnScale(v, indicator, lang);
  const change = (key: "value" | "ref") => {
    const a = points?.find((s) => s.period === p0)?.[key];
    const b = points?.find((s) => s.period === (p1 ?? p0))?.[key];
    return typeof a === "number" && typeof b === "number"
      ? formatOnScale(b - a, indicator, lang, { signed: true, difference: true })
      : "–";
  };
  const label = points
    ? t("chart.seriesLabel", {
        area: areaName,
        series: points.map((s) => `${s.period}: ${fmt(s.value)}`).join("; "),
        reference: refName,
        referenceSeries: points.map((s) => `${s.period}: ${fmt(s.ref)}`).join("; "),
      })
    : t("loading");
  return (
    <figure className="alert-figure" data-testid="figure-series" data-indicator={test.indicatorId}>
      <figcaption>
        <span className="figure-title">{t("chart.seriesTitle")}</span>
        <span className="figure-sub">
          {indicator ? text(indicator.name, lang) : test.indicatorId} — {areaName} {t("chart.against")}{" "}
          {refName}
        </span>
      </figcaption>
      {series.state === "ready" && !points ? (
        <p className="hint">{t("chart.noSeries")}</p>
      ) : (
        <PlotBox draw={draw} label={label} testid="chart-series" minHeight={220} />
      )}
      <ul className="chart-key">
        <li>
          <span className="key-line key-area" aria-hidden="true" />
          {areaName}
        </li>
        <li>
          <span className="key-line key-dashed" aria-hidden="true" />
          {refName}
        </li>
        {refCode !== "NL01" && (
          <li>
            <span className="key-line key-grey" aria-hidden="true" />
            {t("level.land")}
          </li>
        )}
      </ul>
      {p1 && points && (
        <p className="figure-change" data-testid="series-change">
          {t("chart.change", {
            start: p0,
            end: p1,
            area: areaName,
            change: change("value"),
            reference: refName,
            referenceChange: change("ref"),
          })}
        </p>
      )}
      <FigureSource test={test} extra={t("alert.division", { division: alert.division })} />
    </figure>
  );
}

// --- the cluster map of a spatial test ------------------------------------------------------------

function ClusterFigure({
  alert,
  test,
  indicator,
  names,
}: {
  readonly alert: AlertDetail;
  readonly test: AlertTest;
  readonly indicator: Indicator | undefined;
  readonly names: Names;
}) {
  const { t } = useTranslation();
  const { state } = useApp();
  const lang = state.lang;
  const gemeente = alert.gemeenteCode;
  const data = useAsync(async () => {
    if (!indicator || !gemeente) return undefined;
    const [values, geo] = await Promise.all([
      api.values(indicator.id, test.period, alert.level, gemeente),
      api.geo(alert.level, gemeente, alert.division),
    ]);
    return { values, geo, neighbours: touchingAreas(geo.features, alert.areaCode) };
  }, [indicator?.id, test.period, alert.level, gemeente, alert.division, alert.areaCode]);

  const v = data.value;
  const polarity = indicator?.polarity ?? "neutral";
  const model = useMemo(() => {
    const valueOf = new Map(v ? released(v.values.values).map((r) => [r.code, r.value!]) : []);
    const features = v?.geo.features ?? [];
    const drawn = features
      .map((f) => valueOf.get(f.properties.code))
      .filter((x): x is number => x !== undefined);
    const classes = computeClasses(drawn, "quantile", 5);
    const palette = paletteFor(polarity, classes.breaks.length + 1);
    const neighbours = new Set(v?.neighbours ?? []);
    const colourOf = (f: GeoFeature): string => {
      if (f.properties.inData === false) return OTHER_DIVISION_COLOUR;
      const value = valueOf.get(f.properties.code);
      return value === undefined
        ? NO_DATA_COLOUR
        : (palette[classOf(value, classes.breaks)] ?? NO_DATA_COLOUR);
    };
    return {
      valueOf,
      classes,
      palette,
      colourOf,
      target: features.find((f) => f.properties.code === alert.areaCode),
      focus: features.filter(
        (f) => f.properties.code === alert.areaCode || neighbours.has(f.properties.code),
      ),
    };
  }, [v, polarity, alert.areaCode]);
  const { valueOf, classes, palette, target } = model;
  const areaName = names.get(alert.areaCode) ?? alert.areaCode;
  const quadrant = detailText(test.details, "quadrant");

  const draw = useCallback(
    (width: number): Element | null => {
      const { target, focus, colourOf } = model;
      if (!v || !target) return null;
      const height = Math.round(Math.min(420, Math.max(260, width * 0.75)));
      return Plot.plot({
        width,
        height,
        margin: 0,
        color: { type: "identity" },
        projection: {
          type: "mercator",
          domain: { type: "FeatureCollection", features: focus } as never,
          inset: 24,
        },
        marks: [
          Plot.geo(v.geo.features, {
            fill: (f: GeoFeature) => colourOf(f),
            stroke: "#4d4d4d",
            strokeWidth: 0.6,
            clip: "frame",
          }),
          Plot.geo(
            focus.filter((f) => f !== target),
            { fill: "none", stroke: "#000", strokeWidth: 1.8, strokeDasharray: "5,3", clip: "frame" },
          ),
          Plot.geo([target], { fill: "none", stroke: "#000", strokeWidth: 4, clip: "frame" }),
        ],
      });
    },
    [v, model],
  );

  const fmt = (x: number) => formatNumber(x, lang, indicator?.decimals ?? 1);
  const neighboursOfTest = detailNumber(test.details, "neighbours");
  const label = v
    ? t("chart.clusterLabel", {
        area: areaName,
        value: formatOnScale(valueOf.get(alert.areaCode), indicator, lang),
        neighbours: (v.neighbours ?? [])
          .map(
            (c) =>
              `${v.values.values.find((r) => r.code === c)?.name ?? c}: ${formatOnScale(valueOf.get(c), indicator, lang)}`,
          )
          .join("; "),
      })
    : t("loading");
  const division = v?.geo.wijkradar.division;
  return (
    <figure
      className="alert-figure"
      data-testid="figure-cluster"
      data-detector={test.detector}
      data-indicator={test.indicatorId}
    >
      <figcaption>
        <span className="figure-title">{t("chart.clusterTitle")}</span>
        <span className="figure-sub">
          {indicator ? text(indicator.name, lang) : test.indicatorId}, {test.period} —{" "}
          {t(`detector.${test.detector}`)}
        </span>
      </figcaption>
      {v && !target ? (
        <p className="hint">{t("chart.noBoundary", { division: division ?? "–" })}</p>
      ) : data.state === "error" ? (
        <p className="page-error">{t("error.api", { detail: data.error.message })}</p>
      ) : (
        <PlotBox draw={draw} label={label} testid="chart-cluster" minHeight={260} />
      )}
      <ul className="chart-key cluster-key">
        {palette.map((colour, i) => {
          const bounds = [classes.min, ...classes.breaks, classes.max];
          return (
            <li key={colour + i}>
              <span className="swatch" style={{ background: colour }} aria-hidden="true" />
              {Number.isFinite(bounds[i]!) ? `${fmt(bounds[i]!)} – ${fmt(bounds[i + 1]!)}` : "–"}
            </li>
          );
        })}
        <li>
          <span className="swatch" style={{ background: NO_DATA_COLOUR }} aria-hidden="true" />
          {t("legend.noData")}
        </li>
        <li>
          <span className="swatch key-outline" aria-hidden="true" />
          {areaName}
        </li>
        <li>
          <span className="swatch key-outline-dashed" aria-hidden="true" />
          {t("chart.neighbours", { count: v?.neighbours.length ?? 0 })}
        </li>
      </ul>
      <p className="hint" data-testid="cluster-note">
        {quadrant &&
          `${t("chart.quadrant", { quadrant, words: t(`quadrant.${quadrant}`, { defaultValue: quadrant }) })} `}
        {t("chart.neighboursNote", {
          tested: neighboursOfTest === undefined ? "–" : formatNumber(neighboursOfTest, lang, 0),
          drawn: v?.neighbours.length ?? 0,
          gemeente: gemeente ? (names.get(gemeente) ?? gemeente) : "–",
        })}
      </p>
      <FigureSource
        test={test}
        extra={[
          v ? `${v.geo.wijkradar.source.attribution} (${v.geo.wijkradar.source.licence})` : "",
          division !== undefined && division !== alert.division
            ? t("source.division", { data: alert.division, geometry: division })
            : "",
        ]
          .filter(Boolean)
          .join(" ")}
      />
    </figure>
  );
}
