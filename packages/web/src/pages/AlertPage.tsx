/**
 * One alert: "why this alert" — every contributing test in plain words with its figures (observed
 * against expected or reference, effect, p and q, severity), the charts (deviation among comparable
 * areas, the series against the reference, the cluster map of spatial tests), the parameters the run
 * used, and the status history, and — for logged-in users whose role works on alerts — the status
 * change (components/AlertStatusForm.tsx).
 */
import { useMemo, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, MODEL_URL } from "../api/client";
import { BOARD_ROLES } from "../api/field-work";
import type { AlertDetail, AlertTest, AreaDetail, Indicator } from "../api/types";
import { useApp } from "../app-context";
import { SeverityChip, StatusChip } from "../components/AlertChips";
import { AlertCharts } from "../components/AlertCharts";
import { AlertStatusForm } from "../components/AlertStatusForm";
import { StateLink } from "../components/StateLink";
import {
  comparisonGroup,
  detailNumber,
  detailText,
  familyOf,
  formatOnScale,
  formatProbability,
  formatSigned,
  referenceArea,
  type ReferenceGroup,
} from "../lib/alerts";
import { formatNumber, text, type Lang } from "../lib/format";
import { useSession } from "../lib/session";
import { useAsync } from "../lib/use-async";

/** Tests shown before "show all". */
const FIRST_TESTS = 6;

/** Names of the areas an alert's tests refer to (the area, its gemeente, reference areas). */
export type AreaNames = ReadonlyMap<string, string>;

async function loadNames(alert: AlertDetail): Promise<{ names: Map<string, string>; area: AreaDetail }> {
  const area = await api.area(alert.areaCode, alert.division).catch(() => api.area(alert.areaCode));
  const codes = new Set<string>();
  if (alert.gemeenteCode) codes.add(alert.gemeenteCode);
  for (const t of alert.explanation) {
    const reference = referenceArea(t);
    if (reference) codes.add(reference);
    const group = comparisonGroup(t, alert);
    if (group?.kind === "group") codes.add(group.gemeente);
    if (group?.kind === "area") codes.add(group.code);
  }
  codes.delete(alert.areaCode);
  codes.delete("NL01");
  const names = new Map<string, string>([[alert.areaCode, area.name ?? alert.areaCode]]);
  const found = await Promise.all(
    [...codes].map((c) =>
      api
        .area(c, alert.division)
        .catch(() => api.area(c))
        .catch(() => undefined),
    ),
  );
  for (const a of found) if (a) names.set(a.code, a.name ?? a.code);
  return { names, area };
}

export default function AlertPage() {
  const { t } = useTranslation();
  const { state, indicators } = useApp();
  const id = state.alert;
  // A status change makes a new version of the alert (the client has forgotten its cached answer).
  const [version, setVersion] = useState(0);
  const loaded = useAsync(() => (id ? api.alert(id) : undefined), [id, version]);
  // While a new version loads (after a status change) the one shown stays.
  const alert = loaded.value?.alert?.id === id ? loaded.value?.alert : undefined;
  const run = alert ? (loaded.value?.run ?? null) : null;
  const named = useAsync(() => (alert ? loadNames(alert) : undefined), [alert]);
  const [showAll, setShowAll] = useState(false);
  const byId = useMemo(() => new Map(indicators.map((i) => [i.id, i])), [indicators]);
  const { session } = useSession();
  const boardRole = session.authenticated && BOARD_ROLES.includes(session.user.role);

  if (!id) return <p className="page-error">{t("alert.noId")}</p>;
  if (loaded.state === "error")
    return (
      <p role="alert" className="page-error">
        {t("error.api", { detail: loaded.error.message })}
      </p>
    );
  if (loaded.state === "ready" && loaded.value?.alert === null)
    return (
      <p role="alert" className="page-error">
        {t("alert.hidden")}
      </p>
    );
  if (!alert) return <p className="loading">{t("loading")}</p>;

  const names: AreaNames = named.value?.names ?? new Map();
  const areaName = names.get(alert.areaCode) ?? alert.areaCode;
  const gemeenteName = alert.gemeenteCode ? (names.get(alert.gemeenteCode) ?? alert.gemeenteCode) : undefined;
  const top = byId.get(alert.indicatorId);
  const tests = alert.explanation;
  const shown = showAll ? tests : tests.slice(0, FIRST_TESTS);
  const red = tests.filter((x) => x.severity === "red").length;
  const yellow = tests.filter((x) => x.severity === "yellow").length;
  const lastPeriod = alert.period.split("–").at(-1);

  return (
    <article className="alert-page" data-testid="alert" data-alert-id={alert.id}>
      <nav className="alert-back no-print" aria-label={t("breadcrumb.label")}>
        <StateLink patch={{ view: "alerts" }} className="back-link">
          <span aria-hidden="true">←{"\u00a0"}</span>
          {t("alert.back")}
        </StateLink>
      </nav>
      <header className="alert-header">
        <p className="alert-kicker">
          <SeverityChip severity={alert.severity} /> <StatusChip status={alert.status} />{" "}
          <span className="profile-code">{t("alert.number", { id: alert.id })}</span>
        </p>
        <h1>{t("alert.title", { domain: t(`domain.${alert.domain}`), area: areaName })}</h1>
        <p className="alert-where">
          {t(`level.${alert.level}`)} {alert.areaCode}
          {gemeenteName && alert.level !== "gemeente"
            ? ` · ${t("level.gemeente")} ${gemeenteName}`
            : ""} · {t("alert.division", { division: alert.division })} · {t("alerts.period")} {alert.period}
        </p>
        <p className="alert-headline" data-testid="alert-headline">
          {t("alert.headline", {
            indicator: top ? text(top.name, state.lang) : alert.indicatorId,
            detector: t(`detector.${alert.detector}`),
            period: alert.period,
            count: tests.length,
          })}
        </p>
        {alert.status !== "new" && (alert.statusReason || alert.statusBy) && (
          <p className="alert-status-note">
            {t("alert.statusBy", {
              status: t(`alertStatus.${alert.status}`),
              by: alert.statusBy ?? "–",
              date: alert.statusAt ? dateTime(alert.statusAt, state.lang) : "–",
            })}
            {alert.statusReason ? ` ${t("alert.reason", { reason: alert.statusReason })}` : ""}
          </p>
        )}
        <div className="profile-actions no-print">
          <StateLink
            patch={{
              view: "map",
              area: alert.areaCode,
              level: alert.level,
              indicator: alert.indicatorId,
              period: lastPeriod,
              layer: "alerts",
            }}
            className="button-link"
          >
            {t("alert.showMap")}
          </StateLink>
          <StateLink patch={{ view: "profile", area: alert.areaCode }} className="button-link">
            {t("map.openProfile", { name: areaName })}
          </StateLink>
          <StateLink
            patch={{
              view: "alerts",
              filter: { severity: [], status: [], inactive: true, page: 1, area: alert.areaCode },
            }}
            className="button-link"
          >
            {t("alert.areaAlerts")}
          </StateLink>
          {boardRole && (
            <StateLink
              patch={{ view: "board", area: alert.areaCode }}
              className="button-link"
              data-testid="board-link"
            >
              {t("board.link")}
            </StateLink>
          )}
        </div>
      </header>

      <div className="alert-body">
        <section className="alert-why" aria-labelledby="alert-why-title">
          <h2 id="alert-why-title">{t("alert.why")}</h2>
          <p data-testid="alert-summary">
            {t("alert.summary", {
              count: tests.length,
              red,
              yellow,
              domain: t(`domain.${alert.domain}`).toLowerCase(),
              area: areaName,
            })}{" "}
            {t("alert.fdrNote", {
              fdr: formatNumber(alert.parameters.fdr, state.lang, 2),
              red: formatNumber(alert.parameters.severity.red, state.lang, 2),
              yellow: formatNumber(alert.parameters.severity.yellow, state.lang, 2),
            })}
          </p>
          {alert.hiddenTests > 0 && (
            <p className="profile-note" role="note">
              {t("alert.hiddenTests", { count: alert.hiddenTests })}
            </p>
          )}
          <ol className="alert-tests">
            {shown.map((test, i) => (
              <TestCard
                key={`${test.detector}|${test.indicatorId}|${test.period}|${i}`}
                test={test}
                alert={alert}
                index={i}
                indicator={byId.get(test.indicatorId)}
                areaName={areaName}
                names={names}
                lang={state.lang}
              />
            ))}
          </ol>
          {tests.length > FIRST_TESTS && (
            <button
              type="button"
              onClick={() => setShowAll(!showAll)}
              aria-expanded={showAll}
              className="show-all"
            >
              {showAll ? t("alert.fewer") : t("alert.all", { count: tests.length })}
            </button>
          )}
        </section>

        <AlertCharts alert={alert} run={run} area={named.value?.area} names={names} indicators={byId} />
      </div>

      <section className="alert-parameters" aria-labelledby="alert-parameters-title">
        <h2 id="alert-parameters-title">{t("alert.parameters")}</h2>
        <Parameters alert={alert} lang={state.lang} />
        <p>
          <a href={MODEL_URL} download="wijkradar-model.json" className="model-link">
            {t("alerts.model")}
          </a>{" "}
          <span className="hint">{t("alert.modelHint")}</span>
        </p>
      </section>

      <section className="alert-history" aria-labelledby="alert-history-title">
        <h2 id="alert-history-title">{t("alert.history")}</h2>
        {/* Focusable: on a phone the table scrolls sideways, and a keyboard must be able to scroll it. */}
        <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="alert-history-title">
          <table className="history-table" data-testid="alert-history">
            <thead>
              <tr>
                <th scope="col">{t("alert.when")}</th>
                <th scope="col">{t("alert.event")}</th>
                <th scope="col">{t("alert.status")}</th>
                <th scope="col">{t("alert.by")}</th>
                <th scope="col">{t("alert.reasonHeader")}</th>
              </tr>
            </thead>
            <tbody>
              {alert.events.map((e, i) => (
                <tr key={`${e.at}|${i}`} data-event={e.event}>
                  <td>{dateTime(e.at, state.lang)}</td>
                  <td>
                    {t(`alertEvent.${e.event}`)}
                    {e.runId !== null && <span className="hint"> ({t("alert.run", { id: e.runId })})</span>}
                  </td>
                  <td>
                    <StatusChip status={e.status} />
                  </td>
                  <td>{e.actor}</td>
                  <td>{e.reason ?? "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <AlertStatusForm alert={alert} onChanged={() => setVersion((v) => v + 1)} />
        <p className="hint">
          {t("alert.readOnly", {
            first: alert.firstRun,
            last: alert.lastRun,
            active: alert.active ? t("alert.activeYes") : t("alert.activeNo"),
          })}
        </p>
      </section>
    </article>
  );
}

export function dateTime(iso: string, lang: Lang): string {
  return new Date(iso).toLocaleString(lang === "nl" ? "nl-NL" : "en-GB", {
    dateStyle: "medium",
    timeStyle: "short",
  });
}

/** The comparable areas or reference area of a test, in words. */
export function useReferenceWords(names: AreaNames): (ref: ReferenceGroup | string | undefined) => string {
  const { t } = useTranslation();
  return (value) => {
    const ref: ReferenceGroup | undefined = typeof value === "string" ? { kind: "area", code: value } : value;
    if (!ref) return t("explain.reference");
    if (ref.kind === "group")
      return t("explain.group", {
        levels: t(`levelPlural.${ref.level}`),
        gemeente: names.get(ref.gemeente) ?? ref.gemeente,
      });
    if (ref.kind === "all") return t("explain.all", { levels: t(`levelPlural.${ref.level}`) });
    if (ref.kind === "area") return ref.code === "NL01" ? t("level.land") : (names.get(ref.code) ?? ref.code);
    return ref.text;
  };
}

/**
 * The spatial weights of a test in words, from its structured fields (method, boundaries) and its
 * statistic: row-standardised for Local Moran's I, binary with the area itself for Gi*. Tests stored
 * without them (older runs) show their weights text.
 */
function useWeightsWords(): (test: AlertTest) => string {
  const { t } = useTranslation();
  return (test) => {
    const method = detailText(test.details, "weightsMethod");
    const division = detailNumber(test.details, "geometryDivision");
    if ((method !== "queen" && method !== "knn") || division === undefined)
      return detailText(test.details, "weights") ?? "–";
    return t("explain.weights", {
      kind: method === "queen" ? t("explain.weightsQueen") : t("explain.weightsKnn"),
      form: t(test.detector === "space-local-moran" ? "explain.rowStandardised" : "explain.binarySelf"),
      division,
    });
  };
}

function TestCard({
  test,
  alert,
  index,
  indicator,
  areaName,
  names,
  lang,
}: {
  readonly test: AlertTest;
  readonly alert: AlertDetail;
  readonly index: number;
  readonly indicator: Indicator | undefined;
  readonly areaName: string;
  readonly names: AreaNames;
  readonly lang: Lang;
}) {
  const { t } = useTranslation();
  const refWords = useReferenceWords(names);
  const weightsWords = useWeightsWords();
  const d = test.details;
  const family = familyOf(test.detector);
  const difference = test.detector === "dynamics-relative-change" || test.detector === "dynamics-trend";
  const value = (v: number | null | undefined, signed = false) =>
    formatOnScale(v, indicator, lang, { signed, difference });
  const plain = (v: number | undefined, decimals = 2) =>
    v === undefined ? "–" : formatNumber(v, lang, decimals);
  const name = indicator ? text(indicator.name, lang) : test.indicatorId;
  const worseHigh = indicator?.polarity !== "higher-is-better";
  const z = detailNumber(d, "z");

  let sentence: string;
  let observedLabel = t("explain.observed");
  let expectedLabel = t("explain.expected");
  switch (test.detector) {
    case "status-standardised":
      expectedLabel = t("explain.median");
      sentence = t("explain.standardised", {
        area: areaName,
        indicator: name,
        period: test.period,
        observed: value(test.observed),
        expected: value(test.expected),
        reference: refWords(comparisonGroup(test, alert)),
        z: plain(Math.abs(z ?? test.effect)),
        scale: formatOnScale(detailNumber(d, "scale"), indicator, lang, { difference: true }),
        side: t(worseHigh ? "explain.above" : "explain.below"),
        areas: plain(detailNumber(d, "areas"), 0),
      });
      break;
    case "status-funnel": {
      const phi = detailNumber(d, "phi") ?? 1;
      sentence = `${t("explain.funnel", {
        area: areaName,
        indicator: name,
        period: test.period,
        numerator: plain(detailNumber(d, "numerator"), 0),
        denominator: plain(detailNumber(d, "denominator"), 0),
        observed: value(test.observed),
        expected: value(test.expected),
        reference: refWords(referenceArea(test)),
      })} ${
        phi > 1
          ? t("explain.overdispersed", { phi: plain(phi), z: plain(z ?? test.effect) })
          : t("explain.exact", {
              model: detailText(d, "model") === "binomial" ? t("explain.binomial") : t("explain.poisson"),
            })
      }`;
      expectedLabel = t("explain.expectedRate");
      break;
    }
    case "dynamics-relative-change": {
      const from = detailNumber(d, "from");
      const to = detailNumber(d, "to");
      const rf = detailNumber(d, "referenceFrom");
      const rt = detailNumber(d, "referenceTo");
      const [p0, p1] = test.period.split("–");
      observedLabel = t("explain.differenceInChange");
      expectedLabel = t("explain.usualDifference");
      sentence = t("explain.relativeChange", {
        area: areaName,
        indicator: name,
        from: formatOnScale(from, indicator, lang),
        to: formatOnScale(to, indicator, lang),
        start: p0,
        end: p1 ?? p0,
        change:
          from !== undefined && to !== undefined
            ? formatOnScale(to - from, indicator, lang, { signed: true, difference: true })
            : "–",
        reference: refWords(referenceArea(test)),
        referenceFrom: formatOnScale(rf, indicator, lang),
        referenceTo: formatOnScale(rt, indicator, lang),
        referenceChange:
          rf !== undefined && rt !== undefined
            ? formatOnScale(rt - rf, indicator, lang, { signed: true, difference: true })
            : "–",
        observed: value(test.observed, true),
        z: plain(Math.abs(z ?? test.effect)),
        comparedWith: refWords(comparisonGroup(test, alert)),
      });
      break;
    }
    case "dynamics-trend":
      observedLabel = t("explain.slope");
      expectedLabel = t("explain.noTrend");
      sentence = t("explain.trend", {
        area: areaName,
        indicator: name,
        periods: plain(detailNumber(d, "periods"), 0),
        period: test.period,
        slope: value(detailNumber(d, "relativeSlope"), true),
        reference: refWords(referenceArea(test) ?? { kind: "text", text: t("explain.ownSeries") }),
        s: plain(detailNumber(d, "s"), 0),
        tau: plain(detailNumber(d, "tau")),
      });
      break;
    case "space-local-moran": {
      const quadrant = detailText(d, "quadrant") ?? "";
      expectedLabel = t("explain.neighbourMean");
      sentence = t("explain.localMoran", {
        area: areaName,
        indicator: name,
        period: test.period,
        observed: value(test.observed),
        neighbours: plain(detailNumber(d, "neighbours"), 0),
        neighbourMean: value(detailNumber(d, "neighbourMean")),
        quadrant,
        quadrantWords: t(`quadrant.${quadrant}`, { defaultValue: quadrant }),
        ii: plain(detailNumber(d, "ii")),
        permutations: plain(detailNumber(d, "permutations"), 0),
      });
      break;
    }
    case "space-gi-star":
      sentence = t("explain.giStar", {
        area: areaName,
        indicator: name,
        period: test.period,
        observed: value(test.observed),
        neighbours: plain(detailNumber(d, "neighbours"), 0),
        direction: t(worseHigh ? "explain.hot" : "explain.cold"),
        z: plain(z ?? test.effect),
        permutations: plain(detailNumber(d, "permutations"), 0),
      });
      break;
    default:
      sentence = t("explain.generic", {
        area: areaName,
        indicator: name,
        period: test.period,
        observed: value(test.observed),
        expected: value(test.expected),
      });
  }

  return (
    <li
      className={`alert-test alert-test-${test.severity}`}
      data-testid="alert-test"
      data-detector={test.detector}
      data-indicator={test.indicatorId}
      data-period={test.period}
      data-index={index}
    >
      <h3>
        <span className="alert-test-indicator">{name}</span>
        <span className="alert-test-detector">
          {t(`family.${family}`)}: {t(`detector.${test.detector}`)}
        </span>
      </h3>
      <p className="alert-test-sentence" data-testid="test-sentence">
        {sentence}
      </p>
      <dl className="test-figures">
        <div>
          <dt>{observedLabel}</dt>
          <dd data-testid="test-observed" data-value={test.observed ?? ""}>
            {value(test.observed, difference)}
          </dd>
        </div>
        {test.expected !== null && (
          <div>
            <dt>{expectedLabel}</dt>
            <dd data-testid="test-expected" data-value={test.expected}>
              {value(test.expected, difference)}
            </dd>
          </div>
        )}
        <div>
          <dt>{t("explain.effect")}</dt>
          <dd data-testid="test-effect" data-value={test.effect}>
            {formatSigned(test.effect, lang, 2)}
          </dd>
        </div>
        <div>
          <dt>{t("explain.p")}</dt>
          <dd data-testid="test-p" data-value={test.p}>
            {formatProbability(test.p, lang)}
          </dd>
        </div>
        <div>
          <dt>{t("explain.q")}</dt>
          <dd data-testid="test-q" data-value={test.q}>
            {formatProbability(test.q, lang)}
          </dd>
        </div>
        <div>
          <dt>{t("explain.severity")}</dt>
          <dd data-testid="test-severity">
            <SeverityChip severity={test.severity} />
          </dd>
        </div>
        {family === "space" && (
          <>
            <div>
              <dt>{t("explain.permutations")}</dt>
              <dd>
                {plain(detailNumber(d, "permutations"), 0)} ({t("explain.seed")}{" "}
                {String(detailNumber(d, "seed") ?? "–")})
              </dd>
            </div>
            <div className="wide">
              <dt>{t("explain.weightsLabel")}</dt>
              <dd>{weightsWords(test)}</dd>
            </div>
          </>
        )}
      </dl>
      <p className="figure-source">{t("source.short", { source: test.attribution, period: test.period })}</p>
    </li>
  );
}

function Parameters({ alert, lang }: { readonly alert: AlertDetail; readonly lang: Lang }) {
  const { t } = useTranslation();
  const p = alert.parameters;
  const n = (v: number, decimals = 0) => formatNumber(v, lang, decimals);
  const rows: [string, string][] = [
    [t("param.fdr"), `q = ${n(p.fdr, 2)}`],
    [t("param.red"), `q < ${n(p.severity.red, 2)}`],
    [t("param.yellow"), `q < ${n(p.severity.yellow, 2)}`],
    [t("param.reference"), p.status.reference === "land" ? t("level.land") : t("param.referenceGemeente")],
    [t("param.minComparable"), n(p.status.minComparableAreas)],
    [t("param.minScale"), n(p.status.minScaleFraction, 2)],
    [t("param.winsor"), `${n(p.status.winsor * 100)} %`],
    [t("param.minDenominator"), n(p.status.minDenominator)],
    [t("param.minTrend"), n(p.dynamics.minTrendPeriods)],
    [t("param.permutations"), `${n(p.space.permutations)} (${t("explain.seed")} ${p.space.seed})`],
    [
      t("param.weights"),
      p.space.weights === "queen" ? t("explain.weightsQueen") : t("param.knn", { k: p.space.k }),
    ],
    [t("param.minAreas"), n(p.space.minAreas)],
    [t("param.spaceLevels"), p.space.levels.map((l) => t(`levelPlural.${l}`)).join(", ")],
  ];
  return (
    <dl className="parameters" data-testid="alert-parameters">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
