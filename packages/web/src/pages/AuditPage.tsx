/**
 * The audit trail for the privacy officer: search by user, object (area, indicator, profile), action,
 * result and dates; the records a page at a time, newest first; the same search as a CSV download;
 * and "verify the chain" — whether every record is still the one written (the trail is hash-chained),
 * with the problems found. The search lives in the URL (?v=audit&au=…&ob=…).
 */
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import {
  accounts,
  AUDIT_PAGE_SIZE,
  auditExportUrl,
  type AuditFilterQuery,
  type AuditVerify,
} from "../api/accounts";
import { useApp } from "../app-context";
import { dateTime, FormErrors, SelectField, TextField } from "../components/forms";
import { formatNumber } from "../lib/format";
import { useAsync } from "../lib/use-async";
import { AUDIT_RESULTS, type AuditFilter } from "../lib/url-state";

/** Actions the server records, as suggestions (any text is allowed). */
const ACTIONS = [
  "values",
  "profile",
  "profile-values",
  "alerts",
  "alert",
  "alert-status",
  "export",
  "login",
  "login-failed",
  "login-throttled",
  "logout",
  "password-change",
  "admin-user-create",
  "admin-user-update",
  "admin-grant-create",
  "admin-grant-delete",
  "admin-session-end",
  "audit-search",
  "audit-export",
  "audit-verify",
];

const queryOf = (f: AuditFilter): AuditFilterQuery => ({
  actor: f.actor,
  object: f.object,
  action: f.action,
  result: f.result,
  organisation: f.organisation,
  from: f.from,
  to: f.to,
});

export default function AuditPage() {
  const { t } = useTranslation();
  const { state, update } = useApp();
  const f = state.audit;
  const q = queryOf(f);
  const key = JSON.stringify([q, f.page]);
  const page = useAsync(() => accounts.audit(q, f.page), [key]);
  const uid = useId();
  const results = useRef<HTMLHeadingElement>(null);
  const searched = useRef(false);

  // After a search, the results heading takes the focus (a screen reader hears how many there are).
  useEffect(() => {
    if (searched.current && page.state === "ready") {
      searched.current = false;
      results.current?.focus();
    }
  }, [page.state]);

  const missing = page.state === "ready" && page.value === undefined;
  // Not the previous search's records while the next one loads.
  const data = page.state === "ready" ? page.value : undefined;
  const total = data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / AUDIT_PAGE_SIZE));
  const first = (f.page - 1) * AUDIT_PAGE_SIZE + 1;

  return (
    <div className="audit-page" data-testid="audit">
      <h1>{t("audit.title")}</h1>
      <p className="hint">{t("audit.intro")}</p>
      {missing && (
        <p className="notice notice-warning" role="note" data-testid="audit-missing">
          {t("audit.missing")}
        </p>
      )}
      {/* A new search from elsewhere (back button, a link) starts the form afresh. */}
      <AuditSearchForm
        key={key}
        initial={f}
        onSearch={(audit) => {
          searched.current = true;
          update({ audit }, { push: true });
        }}
      />

      <Verify />

      <section
        aria-labelledby={`${uid}-results`}
        className="audit-results"
        aria-busy={page.state === "loading"}
        data-state={page.state}
        data-search={auditExportUrl(q).split("?")[1] ?? ""}
      >
        <h2 id={`${uid}-results`} tabIndex={-1} ref={results} data-testid="audit-count">
          {data
            ? total === 0
              ? t("audit.none")
              : t("audit.count", {
                  count: total,
                  n: formatNumber(total, state.lang, 0),
                  first: formatNumber(first, state.lang, 0),
                  last: formatNumber(Math.min(total, first + data.records.length - 1), state.lang, 0),
                })
            : t("audit.resultsTitle")}
        </h2>
        {data && total > 0 && (
          <p>
            <a className="button-link" href={auditExportUrl(q)} download data-testid="audit-export">
              {t("audit.export", { count: total, n: formatNumber(total, state.lang, 0) })}
            </a>
          </p>
        )}
        {page.state === "error" && <FormErrors lines={[t("error.api", { detail: page.error.message })]} />}
        {page.state === "loading" && <p className="loading">{t("loading")}</p>}
        {data && data.records.length > 0 && (
          <div className="table-wrap" tabIndex={0} role="region" aria-labelledby={`${uid}-results`}>
            <table className="admin-table audit-table" data-testid="audit-table">
              <thead>
                <tr>
                  <th scope="col" className="num">
                    {t("audit.seq")}
                  </th>
                  <th scope="col">{t("audit.when")}</th>
                  <th scope="col">{t("audit.actor")}</th>
                  <th scope="col">{t("user.organisation")}</th>
                  <th scope="col">{t("user.role")}</th>
                  <th scope="col">{t("account.purpose")}</th>
                  <th scope="col">{t("audit.action")}</th>
                  <th scope="col">{t("audit.object")}</th>
                  <th scope="col">{t("audit.result")}</th>
                  <th scope="col" className="num">
                    {t("audit.figures")}
                  </th>
                  <th scope="col">{t("audit.origin")}</th>
                </tr>
              </thead>
              <tbody>
                {data.records.map((r) => (
                  <tr key={r.seq} data-seq={r.seq} data-actor={r.actor} data-result={r.result}>
                    <td className="num">{r.seq}</td>
                    <td>{dateTime(r.occurredAt, state.lang)}</td>
                    <th scope="row">
                      {r.actor}
                      {r.onBehalfOf && (
                        <span className="hint"> {t("audit.onBehalfOf", { who: r.onBehalfOf })}</span>
                      )}
                    </th>
                    <td>{r.organisation ?? "–"}</td>
                    <td>{r.roles.map((x) => t(`role.${x}`, { defaultValue: x })).join(", ")}</td>
                    <td>{r.purpose}</td>
                    <td>{r.action}</td>
                    <td className="audit-object">{r.object}</td>
                    <td>
                      <span className={`result result-${r.result}`}>
                        {t(`audit.results.${r.result}`, { defaultValue: r.result })}
                      </span>
                    </td>
                    <td className="num">
                      {t("audit.figuresText", {
                        released: r.released,
                        suppressed: r.suppressed,
                        denied: r.denied,
                      })}
                    </td>
                    <td>{r.origin}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {data && total > AUDIT_PAGE_SIZE && (
          <nav className="pager" aria-label={t("alerts.pages")}>
            <button
              type="button"
              disabled={f.page <= 1}
              onClick={() => update({ audit: { ...f, page: f.page - 1 } }, { push: true })}
            >
              <span aria-hidden="true">←</span> {t("alerts.previous")}
            </button>
            <span className="pager-text">{t("alerts.page", { page: f.page, pages })}</span>
            <button
              type="button"
              disabled={f.page >= pages}
              onClick={() => update({ audit: { ...f, page: f.page + 1 } }, { push: true })}
            >
              {t("alerts.next")} <span aria-hidden="true">→</span>
            </button>
          </nav>
        )}
      </section>
    </div>
  );
}

/** The search form; its fields start from the search shown. */
function AuditSearchForm({
  initial,
  onSearch,
}: {
  readonly initial: AuditFilter;
  readonly onSearch: (filter: AuditFilter) => void;
}) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<AuditFilter>(initial);
  const [dateError, setDateError] = useState<string>();
  const uid = useId();
  const set = (patch: Partial<AuditFilter>) => setDraft((d) => ({ ...d, ...patch }));
  const clean = (v: string | undefined) => (v?.trim() ? v.trim() : undefined);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (draft.from && draft.to && draft.from > draft.to) {
      setDateError(t("audit.datesOrder"));
      return;
    }
    setDateError(undefined);
    onSearch({
      actor: clean(draft.actor),
      object: clean(draft.object),
      action: clean(draft.action),
      result: draft.result,
      organisation: clean(draft.organisation),
      from: draft.from || undefined,
      to: draft.to || undefined,
      page: 1,
    });
  };

  return (
    <form
      className="admin-form audit-form"
      onSubmit={submit}
      noValidate
      role="search"
      aria-label={t("audit.search")}
    >
      <div className="form-grid">
        <TextField
          id={`${uid}-actor`}
          label={t("audit.actor")}
          hint={t("audit.actorHint")}
          value={draft.actor ?? ""}
          onChange={(e) => set({ actor: e.target.value })}
          autoComplete="off"
          spellCheck={false}
          data-testid="audit-actor"
        />
        <TextField
          id={`${uid}-object`}
          label={t("audit.object")}
          hint={t("audit.objectHint")}
          value={draft.object ?? ""}
          onChange={(e) => set({ object: e.target.value })}
          autoComplete="off"
          spellCheck={false}
          data-testid="audit-object"
        />
        <TextField
          id={`${uid}-action`}
          label={t("audit.action")}
          value={draft.action ?? ""}
          onChange={(e) => set({ action: e.target.value })}
          list={`${uid}-actions`}
          autoComplete="off"
          spellCheck={false}
          data-testid="audit-action"
        />
        <datalist id={`${uid}-actions`}>
          {ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <SelectField
          id={`${uid}-result`}
          label={t("audit.result")}
          value={draft.result ?? ""}
          onChange={(e) => set({ result: (e.target.value || undefined) as AuditFilter["result"] })}
          data-testid="audit-result"
        >
          <option value="">{t("audit.anyResult")}</option>
          {AUDIT_RESULTS.map((r) => (
            <option key={r} value={r}>
              {t(`audit.results.${r}`)}
            </option>
          ))}
        </SelectField>
        <TextField
          id={`${uid}-organisation`}
          label={t("user.organisation")}
          hint={t("audit.organisationHint")}
          value={draft.organisation ?? ""}
          onChange={(e) => set({ organisation: e.target.value })}
          autoComplete="off"
          spellCheck={false}
        />
        <TextField
          id={`${uid}-from`}
          type="date"
          label={t("audit.from")}
          value={draft.from ?? ""}
          onChange={(e) => set({ from: e.target.value || undefined })}
        />
        <TextField
          id={`${uid}-to`}
          type="date"
          label={t("audit.to")}
          value={draft.to ?? ""}
          onChange={(e) => set({ to: e.target.value || undefined })}
          error={dateError}
        />
      </div>
      <div className="form-actions">
        <button type="submit" className="primary" data-testid="audit-submit">
          {t("audit.submit")}
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft({ page: 1 });
            onSearch({ page: 1 });
          }}
        >
          {t("audit.reset")}
        </button>
      </div>
    </form>
  );
}

/** "Verify the chain": the server recomputes every record's hash and says ok or what is wrong. */
function Verify() {
  const { t } = useTranslation();
  const { state } = useApp();
  const [result, setResult] = useState<
    | { state: "idle" }
    | { state: "busy" }
    | { state: "done"; value: AuditVerify | undefined }
    | { state: "error"; detail: string }
  >({ state: "idle" });
  const run = async () => {
    setResult({ state: "busy" });
    try {
      setResult({ state: "done", value: await accounts.verifyAudit() });
    } catch (e) {
      setResult({ state: "error", detail: e instanceof Error ? e.message : String(e) });
    }
  };
  const v = result.state === "done" ? result.value : undefined;
  return (
    <section className="audit-verify" aria-labelledby="audit-verify-title">
      <h2 id="audit-verify-title">{t("audit.verify.title")}</h2>
      <p className="hint">{t("audit.verify.intro")}</p>
      <button
        type="button"
        onClick={() => void run()}
        disabled={result.state === "busy"}
        data-testid="audit-verify"
      >
        {result.state === "busy" ? t("audit.verify.busy") : t("audit.verify.button")}
      </button>
      <div role="status" data-testid="audit-verify-result" data-ok={v ? String(v.ok) : undefined}>
        {result.state === "done" && !v && <p>{t("audit.missing")}</p>}
        {result.state === "error" && (
          <p className="field-error">{t("error.api", { detail: result.detail })}</p>
        )}
        {v?.ok && (
          <p className="verify-ok">
            <span aria-hidden="true">✓ </span>
            {t("audit.verify.ok", {
              count: v.records,
              records: formatNumber(v.records, state.lang, 0),
              first: v.firstSeq ?? "–",
              last: v.lastSeq ?? "–",
            })}
          </p>
        )}
        {v && !v.ok && (
          <>
            <p className="verify-bad">
              <span aria-hidden="true">✗ </span>
              {t("audit.verify.bad", { count: v.problems.length })}
            </p>
            {(v.omitted ?? 0) > 0 && <p>{t("audit.verify.omitted", { count: v.omitted })}</p>}
            <ul className="verify-problems">
              {v.problems.map((p, i) => (
                <li key={i}>
                  {p.seq !== null ? `#${p.seq} ` : ""}
                  <strong>{t(`audit.verify.kind.${p.kind}`, { defaultValue: p.kind })}</strong>:{" "}
                  <span lang={state.lang === "en" ? undefined : "en"}>{p.detail}</span>
                </li>
              ))}
            </ul>
          </>
        )}
        {v?.anchor && <p className="hint">{t("audit.verify.anchor", { seq: v.anchor.seq })}</p>}
        {v?.head && (
          <p className="hint">
            {t("audit.verify.head")} <code className="hash">{v.head}</code>
          </p>
        )}
      </div>
    </section>
  );
}
