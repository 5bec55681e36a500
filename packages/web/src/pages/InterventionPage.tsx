/**
 * One intervention (?v=intervention&id=N): its details and status, its agreements (owner, due date,
 * done), and the follow-up per target indicator — a chart of the treated areas' mean and the matched
 * comparison areas' mean before and after the start (start and end marked), the
 * difference-in-differences estimate with its 95 % interval in words, or the honest "nog geen
 * meetbaar effect" with the reason, the comparison areas, and the source and period of every figure.
 * Figures come released from the server (a comparison area outside the user's grants adds none).
 */
import * as Plot from "@observablehq/plot";
import { useCallback, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { ApiError } from "../api/client";
import {
  fieldWork,
  INTERVENTION_STATUSES,
  isOverdue,
  type Agreement,
  type EffectPoint,
  type IndicatorEffect,
  type Intervention,
  type InterventionStatus,
} from "../api/field-work";
import { useApp } from "../app-context";
import "../components/board/board.css";
import { effectInWords } from "../components/board/effect-words";
import { ScreenedText } from "../components/board/ScreenedText";
import { fieldErrors, FormErrors, SelectField, TextField, type FieldErrors } from "../components/forms";
import { PlotBox } from "../components/PlotBox";
import { StateLink } from "../components/StateLink";
import { formatNumber, formatValue, text, type Lang } from "../lib/format";
import { useSession } from "../lib/session";
import { useAsync } from "../lib/use-async";

const TREATED = "#b35900";
const COMPARISON = "#1d3b5a";

export default function InterventionPage() {
  const { t } = useTranslation();
  const { state } = useApp();
  const id = state.intervention;
  const [version, setVersion] = useState(0);
  const iv = useAsync(() => (id ? fieldWork.intervention(id) : undefined), [id, version]);
  const targets = iv.value && iv.value.id === id ? iv.value.targetIndicators.join(",") : undefined;
  // One released view per target indicator; one that fails says so in its own place.
  const effect = useAsync(
    () =>
      id && targets !== undefined
        ? Promise.all(
            targets
              .split(",")
              .filter(Boolean)
              .map((indicator) =>
                fieldWork.effect(id, indicator).then(
                  (value) => ({ indicator, value }),
                  (e: unknown) => ({ indicator, error: e instanceof Error ? e.message : String(e) }),
                ),
              ),
          )
        : undefined,
    [id, targets, version],
  );
  const refresh = () => setVersion((v) => v + 1);

  if (!id)
    return (
      <p role="alert" className="page-error">
        {t("interventions.notFound")}
      </p>
    );
  if (iv.state === "error")
    return (
      <div className="page-narrow">
        <p role="alert" className="page-error" data-testid="intervention-error">
          {iv.error instanceof ApiError && iv.error.status === 404
            ? t("interventions.notFound")
            : iv.error instanceof ApiError && iv.error.status === 403
              ? t("interventions.denied", { reason: iv.error.message })
              : t("error.api", { detail: iv.error.message })}
        </p>
        <StateLink patch={{ view: "interventions" }}>{t("interventions.back")}</StateLink>
      </div>
    );
  const data = iv.value?.id === id ? iv.value : undefined;
  if (!data) return <p className="loading">{t("loading")}</p>;

  return (
    <article className="intervention-page" data-testid="intervention" data-id={data.id}>
      <header className="profile-header">
        <StateLink patch={{ view: "interventions" }} className="back-link">
          {t("interventions.back")}
        </StateLink>
        <h1>{data.title}</h1>
        <Details iv={data} />
        <StatusForm iv={data} onChange={refresh} />
      </header>
      <section aria-labelledby="iv-agreements">
        <h2 id="iv-agreements">{t("interventions.agreements")}</h2>
        <Agreements iv={data} onChange={refresh} />
      </section>
      <section aria-labelledby="iv-effect" data-testid="effects">
        <h2 id="iv-effect">{t("interventions.followUp")}</h2>
        {effect.state === "error" && (
          <p role="alert" className="page-error">
            {t("error.api", { detail: effect.error.message })}
          </p>
        )}
        {!effect.value && effect.state === "loading" && <p className="loading">{t("loading")}</p>}
        {effect.value?.map((e) =>
          "value" in e ? (
            <EffectBlock key={e.indicator} effect={e.value} iv={data} />
          ) : (
            <p key={e.indicator} role="alert" className="page-error">
              {e.indicator}: {t("error.api", { detail: e.error })}
            </p>
          ),
        )}
        {effect.value && effect.value.length === 0 && <p className="hint">{t("interventions.noTargets")}</p>}
        <details className="how-computed">
          <summary>{t("interventions.how")}</summary>
          <p>{t("interventions.howText")}</p>
          <p>
            {t("interventions.howDocs")} <a href="/api/docs">{t("footer.api")}</a>
          </p>
        </details>
      </section>
    </article>
  );
}

function Details({ iv }: { readonly iv: Intervention }) {
  const { t } = useTranslation();
  const { state, indicators } = useApp();
  const byId = new Map(indicators.map((i) => [i.id, i]));
  return (
    <dl className="facts iv-details" data-testid="intervention-details">
      <dt>{t("interventions.field.status")}</dt>
      <dd data-testid="intervention-status">
        {t(`interventions.status.${iv.status}`, { defaultValue: iv.status })}
      </dd>
      <dt>{t("interventions.field.goal")}</dt>
      <dd>{iv.goal}</dd>
      <dt>{t("interventions.field.problem")}</dt>
      <dd>{iv.problem}</dd>
      <dt>{t("interventions.field.kind")}</dt>
      <dd>{t(`interventions.kind.${iv.kind}`, { defaultValue: iv.kind })}</dd>
      <dt>{t("interventions.field.domain")}</dt>
      <dd>{t(`domain.${iv.domain}`, { defaultValue: iv.domain })}</dd>
      <dt>{t("interventions.field.areas")}</dt>
      <dd>
        <ul className="inline-list">
          {iv.areas.map((a) => (
            <li key={a}>
              <StateLink patch={{ view: "board", area: a }}>{a}</StateLink>
            </li>
          ))}
        </ul>
        <span className="hint">
          {t("interventions.form.derived", { level: t(`level.${iv.level}`), division: iv.division })}
        </span>
      </dd>
      <dt>{t("interventions.field.targetIndicators")}</dt>
      <dd>
        {iv.targetIndicators.map((i) => (byId.get(i) ? text(byId.get(i)!.name, state.lang) : i)).join("; ")}
      </dd>
      <dt>{t("interventions.periodLabel")}</dt>
      <dd>{t("interventions.period", { start: iv.startDate, end: iv.endDate ?? "…" })}</dd>
      <dt>{t("interventions.field.ownerOrganisation")}</dt>
      <dd>{iv.ownerOrganisation}</dd>
      {iv.budget !== undefined && iv.budget !== null && (
        <>
          <dt>{t("interventions.field.budget")}</dt>
          <dd>€ {formatNumber(iv.budget, state.lang, 0)}</dd>
        </>
      )}
      <dt>{t("interventions.field.shared")}</dt>
      <dd>{iv.shared ? t("interventions.yes") : t("interventions.no")}</dd>
      {iv.lessons && (
        <>
          <dt>{t("interventions.field.lessons")}</dt>
          <dd>{iv.lessons}</dd>
        </>
      )}
    </dl>
  );
}

function StatusForm({ iv, onChange }: { readonly iv: Intervention; readonly onChange: () => void }) {
  const { t } = useTranslation();
  const [status, setStatus] = useState<InterventionStatus>(iv.status);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState("");
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    setDone("");
    try {
      await fieldWork.updateIntervention(iv.id, { status });
      setDone(t("interventions.statusSaved"));
      onChange();
    } catch (err) {
      const r = fieldErrors(err, ["status"]);
      setError(r.byField.status ?? r.rest.join(" "));
    }
  };
  return (
    <form className="inline-form no-print" onSubmit={(e) => void submit(e)} data-testid="status-form">
      <SelectField
        id="iv-edit-status"
        label={t("interventions.editStatus")}
        value={status}
        onChange={(e) => setStatus(e.target.value as InterventionStatus)}
        error={error}
      >
        {INTERVENTION_STATUSES.map((s) => (
          <option key={s} value={s}>
            {t(`interventions.status.${s}`)}
          </option>
        ))}
      </SelectField>
      <button type="submit" disabled={status === iv.status}>
        {t("interventions.save")}
      </button>
      <p role="status" className="form-success">
        {done}
      </p>
    </form>
  );
}

function Agreements({ iv, onChange }: { readonly iv: Intervention; readonly onChange: () => void }) {
  const { t } = useTranslation();
  const { session } = useSession();
  const [text, setText] = useState("");
  const [owner, setOwner] = useState(session.authenticated ? session.user.organisation : "");
  const [ownerName, setOwnerName] = useState("");
  const [due, setDue] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [rest, setRest] = useState<string[]>([]);
  const list = iv.agreements;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setRest([]);
    const missing: Record<string, string> = {};
    if (!text.trim()) missing.text = t("board.required");
    if (!owner.trim()) missing.ownerOrganisation = t("board.required");
    if (!due) missing.dueDate = t("board.required");
    if (Object.keys(missing).length) return setErrors(missing);
    try {
      await fieldWork.addAgreement(iv.id, {
        text: text.trim(),
        ownerOrganisation: owner.trim(),
        ...(ownerName.trim() ? { ownerName: ownerName.trim() } : {}),
        dueDate: due,
      });
      setText("");
      setOwnerName("");
      setDue("");
      onChange();
    } catch (err) {
      const r = fieldErrors(err, ["text", "ownerOrganisation", "ownerName", "dueDate"]);
      setErrors(r.byField);
      setRest(r.rest);
    }
  };
  const mark = async (a: Agreement, status: "done" | "open") => {
    setRest([]);
    try {
      await fieldWork.setAgreementStatus(iv.id, a.id, status);
      onChange();
    } catch (err) {
      setRest([err instanceof Error ? err.message : String(err)]);
    }
  };

  return (
    <>
      {list.length === 0 ? (
        <p className="hint">{t("interventions.noAgreements")}</p>
      ) : (
        <ul className="action-list" data-testid="agreement-list">
          {list.map((a) => {
            const overdue = isOverdue(a);
            return (
              <li
                key={a.id}
                className={`action-item status-${a.status}${overdue ? " overdue" : ""}`}
                data-testid="agreement"
                data-status={a.status}
              >
                <p className="action-text">{a.text}</p>
                <p className="signal-meta">
                  {a.ownerOrganisation}
                  {a.ownerName ? ` · ${a.ownerName}` : ""} · {t("board.due")} {a.dueDate}
                  {overdue && <strong className="overdue-label"> {t("board.overdue")}</strong>} ·{" "}
                  {t(`board.actionStatus.${a.status}`, { defaultValue: a.status })}
                </p>
                <button
                  type="button"
                  onClick={() => void mark(a, a.status === "open" ? "done" : "open")}
                  data-testid="agreement-toggle"
                >
                  {a.status === "open" ? t("board.markDone") : t("board.reopenAction")}
                  <span className="visually-hidden"> {a.text}</span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <form
        className="stack-form board-form"
        onSubmit={(e) => void submit(e)}
        noValidate
        data-testid="agreement-form"
      >
        <h3>{t("interventions.newAgreement")}</h3>
        <ScreenedText
          id="ag-text"
          label={t("interventions.agreementText")}
          value={text}
          onChange={setText}
          error={errors.text}
          rows={2}
        />
        <div className="form-grid">
          <TextField
            id="ag-owner"
            label={t("board.ownerOrganisation")}
            value={owner}
            onChange={(e) => setOwner(e.target.value)}
            error={errors.ownerOrganisation}
            autoComplete="off"
            spellCheck={false}
          />
          <TextField
            id="ag-owner-name"
            label={t("board.ownerName")}
            value={ownerName}
            onChange={(e) => setOwnerName(e.target.value)}
            error={errors.ownerName}
            autoComplete="off"
          />
          <TextField
            id="ag-due"
            type="date"
            label={t("board.due")}
            value={due}
            onChange={(e) => setDue(e.target.value)}
            error={errors.dueDate}
          />
        </div>
        <FormErrors lines={rest} />
        <div className="form-actions">
          <button type="submit" className="primary" data-testid="agreement-submit">
            {t("interventions.addAgreement")}
          </button>
        </div>
      </form>
    </>
  );
}

function EffectBlock({ effect, iv }: { readonly effect: IndicatorEffect; readonly iv: Intervention }) {
  const { t } = useTranslation();
  const { state, indicators } = useApp();
  const id = effect.indicator.id;
  const ind = indicators.find((i) => i.id === id);
  const lang = state.lang;
  const name = text(effect.indicator.name, lang);
  const words = effectInWords(effect.estimate, lang, t, ind?.decimals ?? 1, effect.indicator.unit);
  const periods = effect.periods.all;
  // The first period after the start and the first after the end are marked.
  const startPeriod = effect.periods.after[0] ?? null;
  const endPeriod = iv.endDate ? (effect.periods.all.find((p) => p > iv.endDate!) ?? null) : null;
  const treated = periods.map((period) => {
    const xs = effect.treated
      .map((a) => a.series.find((p) => p.period === period)?.value)
      .filter((v): v is number => typeof v === "number");
    return { period, value: xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null };
  });
  const comparison = effect.comparison.mean;
  const draw = useCallback(
    (width: number) =>
      drawEffect(
        width,
        { periods, treated, comparison, startPeriod, endPeriod },
        effect.indicator.unit,
        lang,
        {
          period: t("chart.period"),
          start: t("interventions.start"),
          end: t("interventions.end"),
        },
      ),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [effect, lang, t],
  );
  const fmt = (v: number | null) => (ind ? formatValue(v, ind, lang) : v === null ? "–" : String(v));
  const label = t("interventions.chartLabel", {
    indicator: name,
    treated: treated.map((p) => `${p.period}: ${fmt(p.value)}`).join("; "),
    comparison: comparison.map((p) => `${p.period}: ${fmt(p.value)}`).join("; "),
    start: startPeriod ?? iv.startDate,
  });
  return (
    <section
      className="effect-block"
      aria-labelledby={`effect-${id}`}
      data-testid="effect"
      data-indicator={id}
      data-verdict={effect.estimate.verdict}
    >
      <h3 id={`effect-${id}`}>{name}</h3>
      <p className={`effect-verdict${words.measurable ? " measurable" : ""}`} data-testid="effect-verdict">
        {words.text}
      </p>
      {effect.note && <p className="hint">{t("interventions.neutral")}</p>}
      {treated.some((p) => p.value !== null) ? (
        <PlotBox draw={draw} label={label} testid="effect-chart" minHeight={220} />
      ) : (
        <p className="hint">{t("interventions.noSeries")}</p>
      )}
      <ul className="chart-key">
        <li>
          <span className="key-swatch key-treated" aria-hidden="true" />{" "}
          {t("interventions.treated", { count: effect.treated.length })}
        </li>
        <li>
          <span className="key-swatch key-comparison" aria-hidden="true" />{" "}
          {t("interventions.comparison", { count: effect.comparison.areas.length })}
        </li>
      </ul>
      <p className="hint">
        {t("interventions.periods", {
          before: effect.periods.before.join(", ") || "–",
          after: effect.periods.after.join(", ") || "–",
        })}
      </p>
      {effect.comparison.areas.length > 0 && (
        <p className="hint" data-testid="comparison-areas">
          {t("interventions.comparisonAreas")}{" "}
          {effect.comparison.areas.map((a) => (a.name ? `${a.name} (${a.code})` : a.code)).join(", ")}
        </p>
      )}
      <p className="figure-source" data-testid="effect-source">
        {t("source.short", {
          source: effect.source.attribution,
          period: periods.length ? `${periods[0]}–${periods[periods.length - 1]}` : "–",
        })}
      </p>
    </section>
  );
}

interface ChartData {
  readonly periods: readonly string[];
  readonly treated: readonly EffectPoint[];
  readonly comparison: readonly EffectPoint[];
  readonly startPeriod: string | null;
  readonly endPeriod: string | null;
}

function drawEffect(
  width: number,
  data: ChartData,
  unit: string,
  lang: Lang,
  words: { period: string; start: string; end: string },
): Element | null {
  const line = (points: readonly EffectPoint[]) =>
    points
      .filter((p) => typeof p.value === "number")
      .map((p) => ({ period: p.period, v: p.value as number }));
  const treated = line(data.treated);
  const comparison = line(data.comparison);
  if (treated.length === 0) return null;
  const marks: Plot.Markish[] = [];
  for (const [period, label] of [
    [data.startPeriod, words.start],
    [data.endPeriod, words.end],
  ] as const)
    if (period && data.periods.includes(period)) {
      marks.push(Plot.ruleX([period], { stroke: "#4a5561", strokeDasharray: "4,3", strokeWidth: 1.5 }));
      marks.push(
        Plot.text([period], {
          x: (d: string) => d,
          frameAnchor: "top",
          dy: -14,
          text: () => label,
          fill: "#1b1f24",
        }),
      );
    }
  marks.push(
    Plot.line(comparison, {
      x: "period",
      y: "v",
      stroke: COMPARISON,
      strokeDasharray: "5,3",
      strokeWidth: 2,
    }),
    Plot.dot(comparison, { x: "period", y: "v", fill: COMPARISON, r: 3 }),
    Plot.line(treated, { x: "period", y: "v", stroke: TREATED, strokeWidth: 2.5 }),
    Plot.dot(treated, { x: "period", y: "v", fill: TREATED, r: 4 }),
  );
  return Plot.plot({
    width,
    height: 220,
    marginLeft: 48,
    marginRight: 24,
    marginTop: 24,
    x: { type: "point", domain: [...data.periods], label: words.period, padding: 0.3 },
    y: {
      label: unit === "%" ? "%" : unit || null,
      grid: true,
      nice: true,
      tickFormat: (v: number) => formatNumber(v, lang, Number.isInteger(v) ? 0 : 1),
    },
    style: { fontSize: "12px", background: "transparent" },
    marks,
  });
}
