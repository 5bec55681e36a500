/**
 * The alert inbox: the alerts of the latest detection run, ranked by severity and certainty (the
 * API's order), filtered by severity, status, problem domain, level and gemeente, a page at a time.
 * Each alert shows its area, domain, strongest indicator, detector in words, period, severity,
 * status and source; its link opens the alert page with the explanation. Filters live in the URL.
 */
import { useEffect, useId, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, MODEL_URL, type AlertQuery } from "../api/client";
import type { AlertSummary, DetectionRuns, Indicator } from "../api/types";
import { useApp } from "../app-context";
import { SeverityChip, StatusChip } from "../components/AlertChips";
import { StateLink } from "../components/StateLink";
import { alertAreaNames, gemeenten, nameKey } from "../lib/alert-areas";
import { formatNumber, text, type Lang } from "../lib/format";
import { useAsync } from "../lib/use-async";
import {
  ALERT_LEVELS,
  ALERT_SEVERITIES,
  ALERT_STATUSES,
  NO_ALERT_FILTER,
  type AlertFilter,
} from "../lib/url-state";

export const PAGE_SIZE = 25;

/** The problem domains an alert can have (population is context, never a problem). */
export const ALERT_DOMAINS = [
  "income",
  "debts",
  "work",
  "youth",
  "education",
  "safety",
  "health",
  "housing",
  "physical-environment",
] as const;

export function alertQuery(f: AlertFilter): AlertQuery {
  return {
    severity: f.severity.length ? f.severity.join(",") : undefined,
    status: f.status.length ? f.status.join(",") : undefined,
    domain: f.domain,
    level: f.level,
    parent: f.gemeente,
    area: f.area,
    active: f.inactive ? "all" : "true",
    limit: PAGE_SIZE,
    offset: (f.page - 1) * PAGE_SIZE,
  };
}

export default function AlertsPage() {
  const { t } = useTranslation();
  const { state, update, indicators } = useApp();
  const f = state.filter;
  const query = alertQuery(f);
  const key = JSON.stringify(query);
  const list = useAsync(() => api.alerts(query), [key]);
  const data = list.state === "ready" ? list.value : undefined;
  const names = useAsync(() => (data ? alertAreaNames(data.alerts) : undefined), [data]);
  const gems = useAsync(() => gemeenten(state.lang), [state.lang]);
  const gemName = new Map((gems.value ?? []).map((g) => [g.code, g.name ?? g.code]));
  const byId = new Map(indicators.map((i) => [i.id, i]));

  const setFilter = (patch: Partial<AlertFilter>) =>
    update({ filter: { ...f, page: 1, ...patch } }, { push: false });
  const toggle = <T extends string>(values: readonly T[], value: T): T[] =>
    values.includes(value) ? values.filter((v) => v !== value) : [...values, value];
  const filtered = JSON.stringify(f) !== JSON.stringify(NO_ALERT_FILTER);

  const total = data?.total ?? 0;
  const first = data ? data.offset + 1 : 0;
  const last = data ? data.offset + data.alerts.length : 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));

  return (
    <article className="alerts-page" data-testid="alerts">
      <h1>{t("alerts.title")}</h1>
      <p className="hint alerts-intro">{t("alerts.intro")}</p>
      <RunInfo />
      <section className="alert-filters" aria-labelledby="alert-filters-title">
        <h2 id="alert-filters-title" className="visually-hidden">
          {t("alerts.filters")}
        </h2>
        <ToggleGroup
          label={t("alerts.severity")}
          values={ALERT_SEVERITIES}
          chosen={f.severity}
          name={(v) => t(`severity.${v}`)}
          onToggle={(v) => setFilter({ severity: toggle(f.severity, v) })}
          testid="filter-severity"
        />
        <ToggleGroup
          label={t("alerts.status")}
          values={ALERT_STATUSES}
          chosen={f.status}
          name={(v) => t(`alertStatus.${v}`)}
          onToggle={(v) => setFilter({ status: toggle(f.status, v) })}
          testid="filter-status"
        />
        <div className="field">
          <label htmlFor="alert-domain">{t("alerts.domain")}</label>
          <select
            id="alert-domain"
            value={f.domain ?? ""}
            onChange={(e) => setFilter({ domain: e.target.value || undefined })}
          >
            <option value="">{t("alerts.allDomains")}</option>
            {[...ALERT_DOMAINS]
              .sort((a, b) => t(`domain.${a}`).localeCompare(t(`domain.${b}`), state.lang))
              .map((d) => (
                <option key={d} value={d}>
                  {t(`domain.${d}`)}
                </option>
              ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="alert-level">{t("alerts.level")}</label>
          <select
            id="alert-level"
            value={f.level ?? ""}
            onChange={(e) =>
              setFilter({ level: (e.target.value || undefined) as AlertFilter["level"] | undefined })
            }
          >
            <option value="">{t("alerts.allLevels")}</option>
            {ALERT_LEVELS.map((l) => (
              <option key={l} value={l}>
                {t(`levelPlural.${l}`)}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-gemeente">
          <label htmlFor="alert-gemeente">{t("alerts.gemeente")}</label>
          <select
            id="alert-gemeente"
            value={f.gemeente ?? ""}
            onChange={(e) => setFilter({ gemeente: e.target.value || undefined })}
          >
            <option value="">{t("alerts.allGemeenten")}</option>
            {f.gemeente && !gemName.has(f.gemeente) && <option value={f.gemeente}>{f.gemeente}</option>}
            {(gems.value ?? []).map((g) => (
              <option key={g.code} value={g.code}>
                {g.name ?? g.code}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="alert-active">{t("alerts.which")}</label>
          <select
            id="alert-active"
            value={f.inactive ? "all" : "active"}
            onChange={(e) => setFilter({ inactive: e.target.value === "all" })}
          >
            <option value="active">{t("alerts.activeOnly")}</option>
            <option value="all">{t("alerts.alsoInactive")}</option>
          </select>
        </div>
        {f.area && (
          <p className="area-filter">
            {t("alerts.areaFilter", { area: f.area })}{" "}
            <button type="button" onClick={() => setFilter({ area: undefined })}>
              {t("alerts.clearArea")}
            </button>
          </p>
        )}
        {filtered && (
          <button type="button" className="filters-reset" onClick={() => update({ filter: NO_ALERT_FILTER })}>
            {t("alerts.reset")}
          </button>
        )}
      </section>
      <p className="status-line" aria-live="polite" data-testid="alerts-count">
        {list.state === "error" ? (
          <span role="alert">{t("error.api", { detail: list.error.message })}</span>
        ) : !data ? (
          t("loading")
        ) : total === 0 ? (
          t("alerts.none")
        ) : (
          t("alerts.count", {
            count: total,
            first: formatNumber(first, state.lang, 0),
            last: formatNumber(last, state.lang, 0),
            total: formatNumber(total, state.lang, 0),
          })
        )}
      </p>
      {data && data.alerts.length > 0 && (
        <ol className="alert-list" start={first} data-testid="alert-list">
          {data.alerts.map((a, i) => (
            <AlertItem
              key={a.id}
              alert={a}
              rank={first + i}
              name={names.value?.get(nameKey(a.division, a.areaCode))}
              gemeente={a.gemeenteCode ? gemName.get(a.gemeenteCode) : undefined}
              indicator={byId.get(a.indicatorId)}
              lang={state.lang}
            />
          ))}
        </ol>
      )}
      {data && total > PAGE_SIZE && (
        <nav className="pager" aria-label={t("alerts.pages")}>
          <button
            type="button"
            disabled={f.page <= 1}
            onClick={() => update({ filter: { ...f, page: f.page - 1 } }, { push: true })}
          >
            <span aria-hidden="true">←</span> {t("alerts.previous")}
          </button>
          <span className="pager-text">{t("alerts.page", { page: f.page, pages })}</span>
          <button
            type="button"
            disabled={f.page >= pages}
            onClick={() => update({ filter: { ...f, page: f.page + 1 } }, { push: true })}
          >
            {t("alerts.next")} <span aria-hidden="true">→</span>
          </button>
        </nav>
      )}
    </article>
  );
}

function ToggleGroup<T extends string>({
  label,
  values,
  chosen,
  name,
  onToggle,
  testid,
}: {
  readonly label: string;
  readonly values: readonly T[];
  readonly chosen: readonly T[];
  readonly name: (v: T) => string;
  readonly onToggle: (v: T) => void;
  readonly testid: string;
}) {
  const id = useId();
  return (
    <div className="field toggle-field" role="group" aria-labelledby={id} data-testid={testid}>
      <span id={id} className="field-label">
        {label}
      </span>
      <div className="toggles">
        {values.map((v) => (
          <button
            key={v}
            type="button"
            className={`toggle toggle-${v}`}
            aria-pressed={chosen.includes(v)}
            data-value={v}
            onClick={() => onToggle(v)}
          >
            {name(v)}
          </button>
        ))}
      </div>
    </div>
  );
}

function AlertItem({
  alert: a,
  rank,
  name,
  gemeente,
  indicator,
  lang,
}: {
  readonly alert: AlertSummary;
  readonly rank: number;
  readonly name: string | undefined;
  readonly gemeente: string | undefined;
  readonly indicator: Indicator | undefined;
  readonly lang: Lang;
}) {
  const { t } = useTranslation();
  const others = a.detectors.filter((d) => d !== a.detector);
  return (
    <li
      className={`alert-item alert-item-${a.severity}`}
      data-alert-id={a.id}
      data-area={a.areaCode}
      data-gemeente={a.gemeenteCode ?? ""}
      data-level={a.level}
      data-severity={a.severity}
      data-status={a.status}
      data-domain={a.domain}
    >
      <div className="alert-item-head">
        <span className="alert-rank" aria-hidden="true">
          {rank}
        </span>
        <SeverityChip severity={a.severity} />
        <h2 className="alert-item-title">
          <StateLink patch={{ view: "alert", alert: a.id }} data-testid="alert-link">
            {name ?? a.areaCode}
            <span className="visually-hidden">
              {" "}
              — {t(`domain.${a.domain}`)}, {t(`severity.${a.severity}`)}
            </span>
          </StateLink>
        </h2>
        <StatusChip status={a.status} />
      </div>
      <p className="alert-item-where">
        {t(`level.${a.level}`)} {a.areaCode}
        {a.level !== "gemeente" && gemeente ? ` · ${gemeente}` : ""}
        {!a.active && <> · {t("alerts.inactive")}</>}
      </p>
      <dl className="alert-item-facts">
        <div>
          <dt>{t("alerts.domain")}</dt>
          <dd data-testid="alert-domain">{t(`domain.${a.domain}`)}</dd>
        </div>
        <div>
          <dt>{t("alerts.strongest")}</dt>
          <dd data-testid="alert-indicator">{indicator ? text(indicator.name, lang) : a.indicatorId}</dd>
        </div>
        <div>
          <dt>{t("alerts.detector")}</dt>
          <dd data-testid="alert-detector">
            {t(`detector.${a.detector}`)}
            {others.length > 0 && (
              <span className="hint">
                {" "}
                {t("alerts.andOthers", { list: others.map((d) => t(`detector.${d}`)).join(", ") })}
              </span>
            )}
          </dd>
        </div>
        <div>
          <dt>{t("alerts.period")}</dt>
          <dd data-testid="alert-period">{a.period}</dd>
        </div>
        <div>
          <dt>{t("alerts.tests")}</dt>
          <dd>{formatNumber(a.tests, lang, 0)}</dd>
        </div>
      </dl>
      {a.attribution && (
        <p className="figure-source">{t("source.short", { source: a.attribution, period: a.period })}</p>
      )}
    </li>
  );
}

/** The latest detection run: when, how many tests and alerts; progress while a run is going. */
function RunInfo() {
  const { t } = useTranslation();
  const { state } = useApp();
  const [tick, setTick] = useState(0);
  const runs = useAsync<DetectionRuns>(() => api.runs(), [tick]);
  const running = runs.value?.running;
  useEffect(() => {
    if (!running) return;
    const timer = setTimeout(() => setTick((n) => n + 1), 3000);
    return () => clearTimeout(timer);
  }, [running]);
  const latest = runs.value?.runs.find((r) => r.status === "finished");
  const date = (iso: string) =>
    new Date(iso).toLocaleString(state.lang === "nl" ? "nl-NL" : "en-GB", {
      dateStyle: "long",
      timeStyle: "short",
    });
  return (
    <div className="run-info" data-testid="run-info">
      {latest ? (
        <p>
          {t("alerts.run", {
            id: latest.id,
            date: date(latest.finishedAt ?? latest.startedAt),
            tests: formatNumber(latest.tests ?? 0, state.lang, 0),
            alerts: formatNumber(latest.alerts ?? 0, state.lang, 0),
            version: latest.modelVersion,
          })}{" "}
          <a href={MODEL_URL} download="wijkradar-model.json" className="model-link">
            {t("alerts.model")}
          </a>
        </p>
      ) : runs.value ? (
        <p>{t("alerts.noRun")}</p>
      ) : null}
      {running && (
        <p role="status">
          {t("alerts.running", { id: running.runId, done: running.done, total: running.total })}
        </p>
      )}
    </div>
  );
}
