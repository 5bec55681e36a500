/**
 * The charts of an alert page, drawn with Observable Plot from the figures the API releases:
 * - the deviation among comparable areas: a funnel plot (rates with counts: value against size with
 *   the control limits around the reference rate, widened for overdispersion as the test was) or a
 *   standardised-deviation plot (the comparable areas ordered by value, the median and the control
 *   lines at centre + z·spread), the area highlighted. The control limits lie at the run's p
 *   cut-offs (z = Φ⁻¹(1 − p)), on the unfavourable side only: the tests are one-sided;
 * - the series: the area against its reference and the country over all periods, with the change;
 * - the cluster map of a spatial test: the area and exactly the neighbours the test used, coloured by
 *   value.
 * Every figure names its indicator, period and source; its words say what a chart shows.
 */
import * as Plot from "@observablehq/plot";
import { useCallback, useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api/client";
import type {
  AlertDetail,
  AlertRun,
  AlertTest,
  AreaDetail,
  GeoFeature,
  GeoResponse,
  Indicator,
  SeriesPoint,
  ValueRow,
} from "../api/types";
import { useApp } from "../app-context";
import {
  comparisonGroup,
  controlLimits,
  detailNumber,
  detailText,
  familyOf,
  firstOfFamily,
  formatOnScale,
  formatProbability,
  formatSigned,
  funnelLimit,
  gemeenteOf,
  kindScale,
  neighbourCodes,
  referenceArea,
  SEVERITY_FILL,
  type ControlLimit,
} from "../lib/alerts";
import { classOf, computeClasses } from "../lib/classify";
import { formatNumber, text } from "../lib/format";
import { NO_DATA_COLOUR, OTHER_DIVISION_COLOUR, paletteFor } from "../lib/palette";
import { useAsync } from "../lib/use-async";
import { PlotBox } from "./PlotBox";

/** Control lines: the yellow one darker than the chip, for 3:1 contrast on white. */
const LINE: Readonly<Record<ControlLimit["severity"], { stroke: string; dash: string }>> = {
  red: { stroke: "#b2182b", dash: "2,2" },
  yellow: { stroke: "#9a6b00", dash: "6,3" },
};
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
  run,
  area,
  names,
  indicators,
}: {
  readonly alert: AlertDetail;
  /** The run that last found the alert: its p cut-offs place the control lines. */
  readonly run: AlertRun | null;
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
          run={run}
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
  run,
  test,
  indicator,
  names,
}: {
  readonly alert: AlertDetail;
  readonly run: AlertRun | null;
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
  // The comparable areas: a funnel's those of its reference area (a gemeente, or all of the level for
  // the land); else the group the test names (the areas of a gemeente, or all of the level).
  const reference = funnel ? referenceArea(test) : undefined;
  const group = funnel ? undefined : comparisonGroup(test, alert);
  const parent = funnel
    ? reference && reference !== "NL01"
      ? reference
      : null
    : group?.kind === "group"
      ? group.gemeente
      : null;
  const [p0, p1] = test.period.split("–");
  // A difference in change needs one shared reference for every comparable area.
  const changeDrawable = change && (group?.kind === "group" || alert.level === "gemeente");
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

  // The control lines at the run's p cut-offs, on the unfavourable side (the tests are one-sided).
  const limits = useMemo(() => controlLimits(run), [run]);
  const zOfTest = detailNumber(d, "z");
  const side =
    indicator?.polarity === "higher-is-worse"
      ? 1
      : indicator?.polarity === "higher-is-better"
        ? -1
        : zOfTest && test.effect
          ? Math.sign(zOfTest * test.effect)
          : 1;
  const areaName = names.get(alert.areaCode) ?? alert.areaCode;
  const nameOfRef = (code: string | undefined) =>
    !code ? "" : code === "NL01" ? t("level.land") : (names.get(code) ?? code);

  // Centre and spread of the test (the spread of the differences in change since runs name it).
  const centre = test.expected ?? NaN;
  const spread =
    detailNumber(d, "scale") ??
    (change
      ? (() => {
          const z = detailNumber(d, "z");
          return z && test.observed !== null ? (test.observed - centre) / z : NaN;
        })()
      : NaN);
  const phiOfTest = detailNumber(d, "phi");
  const tau2OfTest = detailNumber(d, "tau2");

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

  /** Where each control line lies on the value axis (standardised and change plots). */
  const lines = useMemo(
    () => limits.map((l) => ({ ...l, y: centre + side * l.z * spread })).filter((l) => Number.isFinite(l.y)),
    [limits, centre, side, spread],
  );

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
      const selfMarks = [
        Plot.dot(self, {
          x: "x",
          y: "y",
          r: 6,
          fill: SEVERITY_FILL[test.severity],
          stroke: "#000",
          strokeWidth: 2,
        }),
      ];
      if (funnel) {
        const scale = kindScale(indicator?.kind ?? "", detailText(d, "model"));
        const theta = (test.expected ?? NaN) / scale;
        const model = detailText(d, "model") === "binomial" ? "binomial" : "poisson";
        const xs = points.map((p) => p.x);
        const lo = Math.max(1, Math.min(...xs) * 0.8);
        const hi = Math.max(...xs) * 1.25;
        const steps = 80;
        const curve = (z: number) =>
          Array.from({ length: steps + 1 }, (_, i) => {
            const n = lo * (hi / lo) ** (i / steps);
            return {
              n,
              v: funnelLimit(theta, n, z, { phi: phiOfTest, tau2: tau2OfTest }, model, scale),
            };
          });
        // The values decide the vertical range; the limits are cut off at its edges (they widen fast
        // for small areas) and never go below 0.
        const ys = [...points.map((p) => p.y), theta * scale];
        const span = Math.max(...ys) - Math.min(...ys) || 1;
        const domain = [Math.max(0, Math.min(...ys) - 0.15 * span), Math.max(...ys) + 0.15 * span];
        return Plot.plot({
          ...common,
          x: { type: "log", label: t("chart.denominator"), grid: true },
          y: { label: yLabel, grid: true, domain },
          marks: [
            Plot.ruleY([theta * scale], { stroke: "#1b1f24", strokeWidth: 1.5 }),
            ...limits.map((l) =>
              Plot.line(curve(side * l.z), {
                x: "n",
                y: "v",
                clip: "frame",
                stroke: LINE[l.severity].stroke,
                strokeDasharray: LINE[l.severity].dash,
                className: `limit-${l.severity}`,
              }),
            ),
            Plot.dot(points, { x: "x", y: "y", r: 2.5, fill: OTHER_DOT }),
            ...selfMarks,
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
      return Plot.plot({
        ...common,
        x: { label: t("chart.rank"), ticks: 0, axis: null },
        y: { label: yLabel, grid: true },
        marks: [
          Number.isFinite(centre) ? Plot.ruleY([centre], { stroke: "#1b1f24", strokeWidth: 1.5 }) : null,
          ...lines.map((l) =>
            Plot.ruleY([l.y], {
              stroke: LINE[l.severity].stroke,
              strokeDasharray: LINE[l.severity].dash,
              className: `limit-${l.severity}`,
            }),
          ),
          Plot.dot(points, { x: "x", y: "y", r: points.length > 500 ? 1.2 : 3, fill: OTHER_DOT }),
          ...selfMarks,
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
    [
      points,
      funnel,
      test,
      indicator,
      d,
      limits,
      lines,
      side,
      phiOfTest,
      tau2OfTest,
      centre,
      areaName,
      yLabel,
      t,
    ],
  );

  const fmt = (v: number) => formatOnScale(v, indicator, lang, { difference: change });
  const selfPoint = points?.find((p) => p.self);
  const groupWords =
    group?.kind === "group"
      ? t("explain.group", {
          levels: t(`levelPlural.${group.level}`),
          gemeente: names.get(group.gemeente) ?? group.gemeente,
        })
      : funnel && parent
        ? t("explain.group", { levels: t(`levelPlural.${alert.level}`), gemeente: nameOfRef(parent) })
        : t("explain.all", { levels: t(`levelPlural.${alert.level}`) });
  const signedZ = (l: ControlLimit) => formatSigned(side * l.z, lang, 2);
  const limitWords = limits
    .map((l) =>
      t("chart.limitWords", {
        severity: t(`severity.${l.severity}`),
        z: signedZ(l),
        p: formatProbability(l.p, lang),
      }),
    )
    .join(" ");
  const label = points
    ? `${t(funnel ? "chart.funnelLabel" : "chart.deviationLabel", {
        count: points.length,
        group: groupWords,
        area: areaName,
        value: selfPoint ? fmt(selfPoint.y) : "–",
        centre: fmt(centre),
        z: formatNumber(detailNumber(d, "z") ?? test.effect, lang, 2),
      })}${limitWords ? ` ${limitWords}` : ""}`
    : t("loading");
  const title = funnel ? t("chart.funnelTitle") : change ? t("chart.changeTitle") : t("chart.deviationTitle");
  const tau2 = tau2OfTest ?? 0;
  const phi = phiOfTest ?? 1;
  const cutoff = run?.pCutoffs;
  return (
    <figure
      className="alert-figure"
      data-testid="figure-deviation"
      data-detector={test.detector}
      data-indicator={test.indicatorId}
      data-run={run?.id}
      data-side={side > 0 ? "above" : "below"}
      data-centre={Number.isFinite(centre) ? centre : undefined}
      data-spread={Number.isFinite(spread) ? spread : undefined}
      data-limits={lines.map((l) => `${l.severity}:${l.y}`).join(" ") || undefined}
    >
      <figcaption>
        <span className="figure-title">{title}</span>
        <span className="figure-sub">
          {indicator ? text(indicator.name, lang) : test.indicatorId}, {test.period} — {groupWords}
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
        {(["red", "yellow"] as const).map((severity) => {
          const l = limits.find((x) => x.severity === severity);
          return (
            <li key={severity} data-testid={`limit-${severity}`} data-p={l?.p} data-z={l?.z}>
              <span className={`key-line key-${severity}`} aria-hidden="true" />
              {l
                ? t(funnel ? "chart.funnelLimit" : "chart.limit", {
                    severity: t(`severity.${severity}`),
                    z: signedZ(l),
                    p: formatProbability(l.p, lang),
                  })
                : t("chart.noLimit", { severity: t(`severity.${severity}`) })}
            </li>
          );
        })}
      </ul>
      <p className="hint" data-testid="limit-note">
        {funnel
          ? t("chart.funnelNote", {
              widened:
                tau2 > 0
                  ? t("chart.funnelTau", { tau2: formatProbability(tau2, lang) })
                  : phi > 1
                    ? t("chart.funnelPhi", { phi: formatNumber(phi, lang, 2) })
                    : t("chart.funnelPlain"),
            })
          : t("chart.limitNote")}{" "}
        {run && cutoff && limits.length > 0
          ? t("chart.cutoffNote", {
              run: run.id,
              tests: formatNumber(run.tests ?? NaN, lang, 0),
              red: cutoff.red === null ? "–" : formatProbability(cutoff.red, lang),
              yellow: cutoff.yellow === null ? "–" : formatProbability(cutoff.yellow, lang),
              side: t(side > 0 ? "chart.sideAbove" : "chart.sideBelow"),
            })
          : t("chart.cutoffNone")}
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
  // The reference area the test names, else the gemeente of its comparable areas, else the area's
  // gemeente (the land for a gemeente).
  const named = referenceArea(test);
  const group = comparisonGroup(test, alert);
  const refCode =
    named ??
    (group?.kind === "group"
      ? group.gemeente
      : alert.level === "gemeente" || !alert.gemeenteCode
        ? "NL01"
        : alert.gemeenteCode);
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

/** Boundaries and values of the gemeenten a cluster map needs (the area's and its neighbours'). */
interface ClusterData {
  readonly features: readonly GeoFeature[];
  readonly rows: readonly ValueRow[];
  readonly geo: GeoResponse;
}

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
  // The neighbours the test used (undefined: a test stored by a run that did not name them).
  const codes = useMemo(() => neighbourCodes(test.details), [test.details]);
  const codesKey = codes?.join(",") ?? "";
  // The gemeenten to draw: the area's, and those of neighbours across its border.
  const gemeenten = useMemo(() => {
    const out = new Set<string>();
    if (gemeente) out.add(gemeente);
    for (const c of codesKey ? codesKey.split(",") : []) {
      const g = gemeenteOf(c);
      if (g) out.add(g);
    }
    return [...out].sort();
  }, [gemeente, codesKey]);
  const data = useAsync(async (): Promise<ClusterData | undefined> => {
    if (!indicator || gemeenten.length === 0) return undefined;
    // The area's own gemeente must load; a neighbouring one that fails only leaves its areas out
    // (the note counts the neighbours without a boundary).
    const load = (g: string) =>
      Promise.all([
        api.values(indicator.id, test.period, alert.level, g),
        api.geo(alert.level, g, alert.division),
      ]);
    const own = gemeente ?? gemeenten[0]!;
    const parts = await Promise.all(
      gemeenten.map((g) => (g === own ? load(g) : load(g).catch(() => undefined))),
    );
    const seen = new Set<string>();
    const features: GeoFeature[] = [];
    const rows: ValueRow[] = [];
    let geo: GeoResponse | undefined;
    for (const part of parts) {
      if (!part) continue;
      const [values, g] = part;
      geo ??= g;
      for (const f of g.features)
        if (!seen.has(f.properties.code)) {
          seen.add(f.properties.code);
          features.push(f);
        }
      rows.push(...values.values);
    }
    if (!geo) return undefined;
    return { features, rows, geo };
  }, [indicator?.id, test.period, alert.level, gemeente, gemeenten.join(","), alert.division]);

  const v = data.value;
  const polarity = indicator?.polarity ?? "neutral";
  const model = useMemo(() => {
    const valueOf = new Map(v ? released(v.rows).map((r) => [r.code, r.value!]) : []);
    const features = v?.features ?? [];
    const drawn = features
      .map((f) => valueOf.get(f.properties.code))
      .filter((x): x is number => x !== undefined);
    const classes = computeClasses(drawn, "quantile", 5);
    const palette = paletteFor(polarity, classes.breaks.length + 1);
    const wanted = new Set(codesKey ? codesKey.split(",") : []);
    const colourOf = (f: GeoFeature): string => {
      if (f.properties.inData === false) return OTHER_DIVISION_COLOUR;
      const value = valueOf.get(f.properties.code);
      return value === undefined
        ? NO_DATA_COLOUR
        : (palette[classOf(value, classes.breaks)] ?? NO_DATA_COLOUR);
    };
    const neighbours = features.filter((f) => wanted.has(f.properties.code));
    const drawnCodes = new Set(neighbours.map((f) => f.properties.code));
    return {
      valueOf,
      classes,
      palette,
      colourOf,
      target: features.find((f) => f.properties.code === alert.areaCode),
      neighbours,
      /** Neighbours of the test without a boundary on this map. */
      missing: [...wanted].filter((c) => !drawnCodes.has(c)).sort(),
    };
  }, [v, polarity, alert.areaCode, codesKey]);
  const { valueOf, classes, palette, target, neighbours, missing } = model;
  const areaName = names.get(alert.areaCode) ?? alert.areaCode;
  const quadrant = detailText(test.details, "quadrant");

  const draw = useCallback(
    (width: number): Element | null => {
      const { target, neighbours, colourOf } = model;
      if (!v || !target) return null;
      const focus = [target, ...neighbours];
      const height = Math.round(Math.min(420, Math.max(260, width * 0.75)));
      const chart = Plot.plot({
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
          Plot.geo(v.features, {
            fill: (f: GeoFeature) => colourOf(f),
            stroke: "#4d4d4d",
            strokeWidth: 0.6,
            clip: "frame",
          }),
          Plot.geo(neighbours, {
            fill: "none",
            stroke: "#000",
            strokeWidth: 1.8,
            strokeDasharray: "5,3",
            clip: "frame",
            className: "cluster-neighbour",
          }),
          Plot.geo([target], {
            fill: "none",
            stroke: "#000",
            strokeWidth: 4,
            clip: "frame",
            className: "cluster-area",
          }),
        ],
      });
      // Each outline names its area (in the order of the marks' data), for tests and inspection.
      const tag = (selector: string, features: readonly GeoFeature[]) =>
        chart.querySelectorAll(`${selector} path`).forEach((path, i) => {
          const code = features[i]?.properties.code;
          if (code) path.setAttribute("data-code", code);
        });
      tag("g.cluster-neighbour", neighbours);
      tag("g.cluster-area", [target]);
      return chart;
    },
    [v, model],
  );

  const fmt = (x: number) => formatNumber(x, lang, indicator?.decimals ?? 1);
  const nameOf = (c: string) => v?.rows.find((r) => r.code === c)?.name ?? names.get(c) ?? c;
  const label = v
    ? t("chart.clusterLabel", {
        area: areaName,
        value: formatOnScale(valueOf.get(alert.areaCode), indicator, lang),
        count: codes?.length ?? 0,
        neighbours: (codes ?? [])
          .map((c) => `${nameOf(c)}: ${formatOnScale(valueOf.get(c), indicator, lang)}`)
          .join("; "),
      })
    : t("loading");
  const division = v?.geo.wijkradar.division;
  const geometryDivision = detailNumber(test.details, "geometryDivision");
  const method = detailText(test.details, "weightsMethod");
  const weights =
    method === "queen" || method === "knn"
      ? t("chart.weights", {
          kind: method === "queen" ? t("explain.weightsQueen") : t("explain.weightsKnn"),
          division: geometryDivision ?? "–",
        })
      : undefined;
  const tested = detailNumber(test.details, "neighbours");
  return (
    <figure
      className="alert-figure"
      data-testid="figure-cluster"
      data-detector={test.detector}
      data-indicator={test.indicatorId}
      data-neighbours={v ? neighbours.map((f) => f.properties.code).join(",") : undefined}
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
        {codes && (
          <li>
            <span className="swatch key-outline-dashed" aria-hidden="true" />
            {t("chart.neighbours", { count: codes.length })}
          </li>
        )}
      </ul>
      <p className="hint" data-testid="cluster-note">
        {quadrant &&
          `${t("chart.quadrant", { quadrant, words: t(`quadrant.${quadrant}`, { defaultValue: quadrant }) })} `}
        {codes
          ? t("chart.neighboursNote", {
              tested:
                tested === undefined ? formatNumber(codes.length, lang, 0) : formatNumber(tested, lang, 0),
              weights: weights ?? detailText(test.details, "weights") ?? "–",
            })
          : t("chart.noNeighbourCodes", { area: areaName })}
        {missing.length > 0 && v ? ` ${t("chart.neighboursMissing", { count: missing.length })}` : ""}
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
