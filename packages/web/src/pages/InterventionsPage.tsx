/**
 * Interventions (?v=interventions&tab=ours|library). "Onze interventies": the interventions the user
 * may see (filters status, domain, area) and the form to register one. "Bibliotheek": interventions
 * other teams shared, searchable by text, problem, domain and type of area, each with its outcome
 * (the estimate with its interval, or "nog geen meetbaar effect"); "hergebruik" fills in the form.
 */
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { DOMAINS } from "../api/accounts";
import {
  fieldWork,
  INTERVENTION_STATUSES,
  type InterventionQuery,
  type LibraryItem,
  type LibraryQuery,
} from "../api/field-work";
import { useApp } from "../app-context";
import "../components/board/board.css";
import { effectInWords } from "../components/board/effect-words";
import { InterventionForm, type InterventionDraft } from "../components/board/InterventionForm";
import { SelectField, TextField } from "../components/forms";
import { StateLink } from "../components/StateLink";
import { text } from "../lib/format";
import { useAsync } from "../lib/use-async";
import { INTERVENTION_TABS } from "../lib/url-state";

export default function InterventionsPage() {
  const { t } = useTranslation();
  const { state, update } = useApp();
  const tab = state.interventionTab;
  // A library item to reuse: the form is made anew with it (key).
  const [draft, setDraft] = useState<{ n: number; draft?: InterventionDraft }>({ n: 0 });
  const reuse = (item: LibraryItem) => {
    setDraft((d) => ({
      n: d.n + 1,
      draft: {
        title: item.title,
        goal: item.goal,
        kind: item.kind,
        problem: item.problem,
        domain: item.domain,
        targetIndicators: item.targetIndicators,
        lessons: item.lessons,
      },
    }));
    update({ interventionTab: "ours" }, { push: true });
    requestAnimationFrame(() => document.getElementById("iv-title")?.focus());
  };
  return (
    <div className="interventions-page" data-testid="interventions" data-tab={tab}>
      <h1>{t("interventions.title")}</h1>
      <p className="hint">{t("interventions.intro")}</p>
      <nav aria-label={t("interventions.tabsLabel")} className="sub-tabs">
        <ul>
          {INTERVENTION_TABS.map((x) => (
            <li key={x}>
              <StateLink
                patch={{ view: "interventions", interventionTab: x }}
                aria-current={x === tab ? "page" : undefined}
                data-testid={`tab-${x}`}
              >
                {t(`interventions.tab.${x}`)}
              </StateLink>
            </li>
          ))}
        </ul>
      </nav>
      {tab === "ours" ? <OurInterventions key={draft.n} draft={draft.draft} /> : <Library onReuse={reuse} />}
    </div>
  );
}

function OurInterventions({ draft }: { readonly draft?: InterventionDraft }) {
  const { t } = useTranslation();
  const { update } = useApp();
  const [filter, setFilter] = useState<InterventionQuery>({});
  const list = useAsync(() => fieldWork.interventions(filter), [filter.status, filter.domain, filter.area]);
  const [areaText, setAreaText] = useState("");
  return (
    <>
      {draft && (
        <p role="status" className="notice" data-testid="reuse-notice">
          {t("interventions.reusing", { title: draft.title })}
        </p>
      )}
      <InterventionForm
        draft={draft}
        onCreated={(created) => update({ view: "intervention", intervention: created.id }, { push: true })}
      />
      <section aria-labelledby="iv-list-title">
        <h2 id="iv-list-title">{t("interventions.tab.ours")}</h2>
        <form
          className="form-grid filter-form"
          onSubmit={(e) => {
            e.preventDefault();
            setFilter((f) => ({ ...f, area: areaText.trim().toUpperCase() || undefined }));
          }}
          aria-label={t("interventions.filters")}
        >
          <SelectField
            id="ivf-status"
            label={t("interventions.field.status")}
            value={filter.status ?? ""}
            onChange={(e) => setFilter((f) => ({ ...f, status: e.target.value || undefined }))}
          >
            <option value="">{t("interventions.all")}</option>
            {INTERVENTION_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`interventions.status.${s}`)}
              </option>
            ))}
          </SelectField>
          <SelectField
            id="ivf-domain"
            label={t("interventions.field.domain")}
            value={filter.domain ?? ""}
            onChange={(e) => setFilter((f) => ({ ...f, domain: e.target.value || undefined }))}
          >
            <option value="">{t("interventions.all")}</option>
            {DOMAINS.map((d) => (
              <option key={d} value={d}>
                {t(`domain.${d}`)}
              </option>
            ))}
          </SelectField>
          <TextField
            id="ivf-area"
            label={t("interventions.areaCode")}
            hint={t("interventions.areaCodeHint")}
            value={areaText}
            onChange={(e) => setAreaText(e.target.value)}
            autoComplete="off"
            spellCheck={false}
          />
          <div className="form-actions">
            <button type="submit">{t("interventions.filter")}</button>
          </div>
        </form>
        {list.state === "error" && (
          <p role="alert" className="page-error">
            {t("error.api", { detail: list.error.message })}
          </p>
        )}
        {!list.value && list.state === "loading" && <p className="loading">{t("loading")}</p>}
        {list.value && list.value.length === 0 && <p className="hint">{t("interventions.none")}</p>}
        {list.value && list.value.length > 0 && (
          <ul className="card-list" data-testid="intervention-list">
            {list.value.map((iv) => (
              <li key={iv.id} className="card" data-id={iv.id}>
                <h3>
                  <StateLink patch={{ view: "intervention", intervention: iv.id }}>{iv.title}</StateLink>
                </h3>
                <p className="signal-meta">
                  {t(`interventions.status.${iv.status}`, { defaultValue: iv.status })} ·{" "}
                  {t(`domain.${iv.domain}`, { defaultValue: iv.domain })} · {iv.areas.join(", ")} ·{" "}
                  {t("interventions.period", { start: iv.startDate, end: iv.endDate ?? "…" })} ·{" "}
                  {iv.ownerOrganisation}
                </p>
                <p>{iv.goal}</p>
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

function Library({ onReuse }: { readonly onReuse: (item: LibraryItem) => void }) {
  const { t } = useTranslation();
  const { state, indicators } = useApp();
  const [draft, setDraft] = useState<LibraryQuery>({});
  const [asked, setAsked] = useState<LibraryQuery>({});
  const list = useAsync(
    () => fieldWork.library(asked),
    [asked.q, asked.problem, asked.domain, asked.areaType],
  );
  const byId = new Map(indicators.map((i) => [i.id, i]));
  const set = (k: keyof LibraryQuery, v: string) =>
    setDraft((d) => ({ ...d, [k]: v.trim() ? v : undefined }));
  return (
    <section aria-labelledby="library-title">
      <h2 id="library-title">{t("interventions.tab.library")}</h2>
      <p className="hint">{t("interventions.libraryIntro")}</p>
      <form
        className="form-grid filter-form"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setAsked({ ...draft, q: draft.q?.trim(), problem: draft.problem?.trim() });
        }}
        data-testid="library-search"
      >
        <TextField
          id="lib-q"
          type="search"
          label={t("interventions.search")}
          value={draft.q ?? ""}
          onChange={(e) => set("q", e.target.value)}
          autoComplete="off"
        />
        <TextField
          id="lib-problem"
          label={t("interventions.field.problem")}
          value={draft.problem ?? ""}
          onChange={(e) => set("problem", e.target.value)}
          autoComplete="off"
        />
        <SelectField
          id="lib-domain"
          label={t("interventions.field.domain")}
          value={draft.domain ?? ""}
          onChange={(e) => set("domain", e.target.value)}
        >
          <option value="">{t("interventions.all")}</option>
          {DOMAINS.map((d) => (
            <option key={d} value={d}>
              {t(`domain.${d}`)}
            </option>
          ))}
        </SelectField>
        <TextField
          id="lib-area-type"
          label={t("interventions.areaType")}
          hint={t("interventions.areaTypeHint")}
          value={draft.areaType ?? ""}
          onChange={(e) => set("areaType", e.target.value)}
          autoComplete="off"
        />
        <div className="form-actions">
          <button type="submit" className="primary" data-testid="library-submit">
            {t("interventions.searchButton")}
          </button>
        </div>
      </form>
      {list.state === "error" && (
        <p role="alert" className="page-error">
          {t("error.api", { detail: list.error.message })}
        </p>
      )}
      {!list.value && list.state === "loading" && <p className="loading">{t("loading")}</p>}
      {list.value && (
        <p role="status" className="hint">
          {t("interventions.found", { count: list.value.length })}
        </p>
      )}
      {list.value && list.value.length > 0 && (
        <ul className="card-list" data-testid="library-list">
          {list.value.map((item) => (
            <li key={item.id} className="card" data-id={item.id}>
              <h3>{item.title}</h3>
              <p className="signal-meta">
                {t(`interventions.kind.${item.kind}`, { defaultValue: item.kind })} ·{" "}
                {t(`domain.${item.domain}`, { defaultValue: item.domain })} · {t(`level.${item.level}`)}
                {item.areaType ? ` · ${item.areaType}` : ""} · {item.ownerOrganisation} ·{" "}
                {t("interventions.period", { start: item.startDate, end: item.endDate ?? "…" })}
              </p>
              <dl className="facts">
                <dt>{t("interventions.field.problem")}</dt>
                <dd>{item.problem}</dd>
                <dt>{t("interventions.field.goal")}</dt>
                <dd>{item.goal}</dd>
                {item.lessons && (
                  <>
                    <dt>{t("interventions.field.lessons")}</dt>
                    <dd>{item.lessons}</dd>
                  </>
                )}
              </dl>
              <h4>{t("interventions.outcome")}</h4>
              {!item.outcome || item.outcome.indicators.length === 0 ? (
                <p data-testid="library-outcome">{t("interventions.noOutcome")}</p>
              ) : (
                <ul className="plain-list" data-testid="library-outcome">
                  {item.outcome.indicators.map((o) => {
                    const ind = byId.get(o.indicator.id);
                    return (
                      <li key={o.indicator.id}>
                        <strong>{text(o.indicator.name, state.lang)}:</strong>{" "}
                        {effectInWords(o, state.lang, t, ind?.decimals ?? 1, ind?.unit).text}{" "}
                        <span className="figure-source">
                          {t("source.short", {
                            source: o.source.attribution,
                            period: [...o.periods.before, ...o.periods.after].join(", ") || "–",
                          })}
                        </span>
                      </li>
                    );
                  })}
                </ul>
              )}
              <button type="button" onClick={() => onReuse(item)} data-testid="library-reuse">
                {t("interventions.reuse")}
                <span className="visually-hidden"> {item.title}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
