/**
 * The signal board of one area (?v=board&a=CODE): professionals of several organisations post
 * signals (text, domain, tags, urgency), respond to each other and agree actions with an owner and a
 * due date. Newest signals first; overdue actions stand out. "Bekijk de onderliggende factoren" opens
 * the area's profile narrowed to the signal's domain. Who may see a signal follows the grants (core
 * `boardAccess`): a denied board shows the rule (WhyNot), never a signal. Free text is screened for
 * personal data before it is sent; the server screens again and names the field it refuses.
 */
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { DOMAINS } from "../api/accounts";
import { api, ApiError } from "../api/client";
import {
  fieldWork,
  isOverdue,
  URGENCIES,
  type BoardAction,
  type BoardSignal,
  type Urgency,
} from "../api/field-work";
import { useApp } from "../app-context";
import "../components/board/board.css";
import { ScreenedText } from "../components/board/ScreenedText";
import {
  dateTime,
  fieldErrors,
  FormErrors,
  SelectField,
  TextField,
  type FieldErrors,
} from "../components/forms";
import { StateLink } from "../components/StateLink";
import { WhyNot } from "../components/WhyNot";
import { useSession } from "../lib/session";
import { useAsync } from "../lib/use-async";

const SIGNAL_FIELDS = ["text", "domain", "tags", "urgency"] as const;
const ACTION_FIELDS = ["text", "domain", "signalId", "ownerOrganisation", "ownerName", "dueDate"] as const;

export default function BoardPage() {
  const { t } = useTranslation();
  const { state } = useApp();
  const code = state.area;
  const [version, setVersion] = useState(0);
  const area = useAsync(() => api.area(code).catch(() => undefined), [code]);
  const board = useAsync(
    () => Promise.all([fieldWork.signals(code), fieldWork.actions(code)]),
    [code, version],
  );
  const refresh = () => setVersion((v) => v + 1);
  const resolved = board.value?.[0].area.code === code ? board.value[0].area : undefined;
  const known = resolved ?? (area.value?.code === code ? area.value : undefined);
  const name = known?.name ?? code;
  const level = known?.level;
  const denied = board.state === "error" && board.error instanceof ApiError && board.error.status === 403;

  return (
    <article className="board-page" data-testid="board" data-area={code}>
      <header className="profile-header">
        <h1>
          {t("board.title", { area: name })}{" "}
          <span className="profile-code">
            {level ? `${t(`level.${level}`)} ` : ""}
            {code}
          </span>
        </h1>
        <p className="hint">{t("board.intro")}</p>
        <div className="profile-actions no-print">
          <StateLink patch={{ view: "profile", area: code, focus: undefined }} className="button-link">
            {t("map.openProfile", { name })}
          </StateLink>
          <StateLink patch={{ view: "interventions", interventionTab: "ours" }} className="button-link">
            {t("interventions.title")}
          </StateLink>
        </div>
      </header>
      {denied && (
        <section className="board-denied" data-testid="board-denied">
          <p role="alert" className="page-error">
            {t("board.denied", { area: name })}
          </p>
          <WhyNot
            indicator="board"
            area={code}
            level={level}
            areaName={name}
            indicatorName={t("board.what")}
            explanation={{ allowed: false, grantId: null, reason: board.error.message, level }}
          />
        </section>
      )}
      {board.state === "error" && !denied && (
        <p role="alert" className="page-error">
          {t("error.api", { detail: board.error.message })}
        </p>
      )}
      {!board.value && board.state === "loading" && <p className="loading">{t("loading")}</p>}
      {resolved && board.value && !denied && (
        <div className="board-columns">
          <section aria-labelledby="board-signals" className="board-signals">
            <h2 id="board-signals">{t("board.signals")}</h2>
            <SignalForm area={code} onDone={refresh} />
            {board.value[0].signals.length === 0 ? (
              <p className="hint" data-testid="board-empty">
                {t("board.none")}
              </p>
            ) : (
              <ol className="signal-list" data-testid="signal-list">
                {[...board.value[0].signals]
                  .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id)
                  .map((s) => (
                    <li key={s.id}>
                      <SignalCard signal={s} onChange={refresh} />
                    </li>
                  ))}
              </ol>
            )}
          </section>
          <section aria-labelledby="board-actions" className="board-actions">
            <h2 id="board-actions">{t("board.actions")}</h2>
            <ActionList actions={board.value[1]} signals={board.value[0].signals} onChange={refresh} />
            <ActionForm area={code} signals={board.value[0].signals} onDone={refresh} />
          </section>
        </div>
      )}
    </article>
  );
}

function UrgencyBadge({ urgency }: { readonly urgency: Urgency }) {
  const { t } = useTranslation();
  return <span className={`badge urgency-${urgency}`}>{t(`board.urgency.${urgency}`)}</span>;
}

function SignalForm({ area, onDone }: { readonly area: string; readonly onDone: () => void }) {
  const { t } = useTranslation();
  const [text, setText] = useState("");
  const [domain, setDomain] = useState<string>("");
  const [tags, setTags] = useState("");
  const [urgency, setUrgency] = useState<Urgency>("normal");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [rest, setRest] = useState<string[]>([]);
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setRest([]);
    setDone("");
    const missing: Record<string, string> = {};
    if (!text.trim()) missing.text = t("board.required");
    if (!domain) missing.domain = t("board.required");
    if (Object.keys(missing).length) return setErrors(missing);
    setBusy(true);
    try {
      await fieldWork.postSignal(area, {
        text: text.trim(),
        domain,
        urgency,
        tags: tags
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
      });
      setText("");
      setTags("");
      setDone(t("board.posted"));
      onDone();
    } catch (err) {
      const r = fieldErrors(err, SIGNAL_FIELDS);
      setErrors(r.byField);
      setRest(r.rest);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="stack-form board-form"
      onSubmit={(e) => void submit(e)}
      noValidate
      data-testid="signal-form"
    >
      <h3>{t("board.newSignal")}</h3>
      <ScreenedText
        id="signal-text"
        label={t("board.text")}
        hint={t("board.textHint")}
        value={text}
        onChange={setText}
        error={errors.text}
        maxLength={2000}
      />
      <div className="form-grid">
        <SelectField
          id="signal-domain"
          label={t("board.domain")}
          value={domain}
          onChange={(e) => setDomain(e.target.value)}
          error={errors.domain}
        >
          <option value="">{t("board.choose")}</option>
          {DOMAINS.map((d) => (
            <option key={d} value={d}>
              {t(`domain.${d}`)}
            </option>
          ))}
        </SelectField>
        <SelectField
          id="signal-urgency"
          label={t("board.urgencyLabel")}
          value={urgency}
          onChange={(e) => setUrgency(e.target.value as Urgency)}
          error={errors.urgency}
        >
          {URGENCIES.map((u) => (
            <option key={u} value={u}>
              {t(`board.urgency.${u}`)}
            </option>
          ))}
        </SelectField>
        <TextField
          id="signal-tags"
          label={t("board.tags")}
          hint={t("board.tagsHint")}
          value={tags}
          onChange={(e) => setTags(e.target.value)}
          error={errors.tags}
          autoComplete="off"
        />
      </div>
      <FormErrors lines={rest} testId="signal-errors" />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy} data-testid="signal-submit">
          {t("board.post")}
        </button>
      </div>
      <p role="status" className="form-success">
        {done}
      </p>
    </form>
  );
}

function SignalCard({ signal, onChange }: { readonly signal: BoardSignal; readonly onChange: () => void }) {
  const { t } = useTranslation();
  const { state } = useApp();
  const [reply, setReply] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const headingId = `signal-${signal.id}-title`;

  const respond = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    if (!reply.trim()) return setError(t("board.required"));
    setBusy(true);
    try {
      await fieldWork.respond(signal.id, reply.trim());
      setReply("");
      onChange();
    } catch (err) {
      const r = fieldErrors(err, ["text"]);
      setError(r.byField.text ?? r.rest.join(" "));
    } finally {
      setBusy(false);
    }
  };
  const toggle = async () => {
    setError(undefined);
    try {
      await fieldWork.setSignalStatus(signal.id, signal.status === "open" ? "closed" : "open");
      onChange();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <article
      className={`signal-card status-${signal.status}`}
      aria-labelledby={headingId}
      data-testid="signal"
      data-id={signal.id}
      data-status={signal.status}
    >
      <header>
        <h3 id={headingId}>
          {t(`domain.${signal.domain}`, { defaultValue: signal.domain })}{" "}
          <UrgencyBadge urgency={signal.urgency} />
          {signal.status === "closed" && <span className="badge badge-closed">{t("board.closed")}</span>}
        </h3>
        <p className="signal-meta">
          {t("board.by", {
            organisation: signal.author.organisation ?? t("board.unknownOrg"),
            date: dateTime(signal.createdAt, state.lang),
          })}
        </p>
      </header>
      <p className="signal-text" data-testid="signal-text">
        {signal.text}
      </p>
      {signal.tags.length > 0 && (
        <ul className="tag-list" aria-label={t("board.tags")}>
          {signal.tags.map((tag) => (
            <li key={tag} className="tag">
              {tag}
            </li>
          ))}
        </ul>
      )}
      {signal.responses.length > 0 && (
        <ol className="response-list" aria-label={t("board.responses")}>
          {signal.responses.map((r) => (
            <li key={r.id} data-testid="response">
              <p className="signal-meta">
                {t("board.by", {
                  organisation: r.author.organisation ?? t("board.unknownOrg"),
                  date: dateTime(r.createdAt, state.lang),
                })}
              </p>
              <p>{r.text}</p>
            </li>
          ))}
        </ol>
      )}
      <div className="profile-actions">
        <StateLink
          patch={{ view: "profile", area: signal.areaCode, focus: signal.domain }}
          className="button-link"
          data-testid="signal-factors"
        >
          {t("board.factors")}
        </StateLink>
        <button type="button" onClick={() => void toggle()} data-testid="signal-toggle">
          {signal.status === "open" ? t("board.close") : t("board.reopen")}
        </button>
      </div>
      {signal.status === "open" && (
        <form className="stack-form respond-form" onSubmit={(e) => void respond(e)} noValidate>
          <ScreenedText
            id={`respond-${signal.id}`}
            label={t("board.respond")}
            value={reply}
            onChange={setReply}
            error={error}
            rows={2}
            maxLength={2000}
          />
          <div className="form-actions">
            <button type="submit" disabled={busy} data-testid="respond-submit">
              {t("board.sendResponse")}
            </button>
          </div>
        </form>
      )}
      {signal.status !== "open" && error && <p className="field-error">{error}</p>}
    </article>
  );
}

function ActionList({
  actions,
  signals,
  onChange,
}: {
  readonly actions: readonly BoardAction[];
  readonly signals: readonly BoardSignal[];
  readonly onChange: () => void;
}) {
  const { t } = useTranslation();
  const { state } = useApp();
  const [error, setError] = useState<string>();
  if (actions.length === 0) return <p className="hint">{t("board.noActions")}</p>;
  const mark = async (a: BoardAction, status: "done" | "open") => {
    setError(undefined);
    try {
      await fieldWork.setActionStatus(a.id, status);
      onChange();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  const sorted = [...actions].sort(
    (a, b) => Number(a.status !== "open") - Number(b.status !== "open") || a.dueDate.localeCompare(b.dueDate),
  );
  return (
    <>
      {error && (
        <p role="alert" className="page-error">
          {error}
        </p>
      )}
      <ul className="action-list" data-testid="action-list">
        {sorted.map((a) => {
          const overdue = isOverdue(a);
          const signal = signals.find((s) => s.id === a.signalId);
          return (
            <li
              key={a.id}
              className={`action-item status-${a.status}${overdue ? " overdue" : ""}`}
              data-testid="action"
              data-id={a.id}
              data-status={a.status}
              data-overdue={overdue ? "true" : undefined}
            >
              <p className="action-text">{a.text}</p>
              <dl className="facts">
                <dt>{t("board.owner")}</dt>
                <dd>
                  {a.ownerOrganisation}
                  {a.ownerName ? ` · ${a.ownerName}` : ""}
                </dd>
                <dt>{t("board.due")}</dt>
                <dd>
                  {a.dueDate}
                  {overdue && <strong className="overdue-label"> {t("board.overdue")}</strong>}
                </dd>
                <dt>{t("board.status")}</dt>
                <dd>{t(`board.actionStatus.${a.status}`)}</dd>
                <dt>{t("board.domain")}</dt>
                <dd>{t(`domain.${a.domain}`, { defaultValue: a.domain })}</dd>
                {signal && (
                  <>
                    <dt>{t("board.forSignal")}</dt>
                    <dd>{signal.text.length > 60 ? `${signal.text.slice(0, 60)}…` : signal.text}</dd>
                  </>
                )}
                {a.doneAt && (
                  <>
                    <dt>{t("board.doneAt")}</dt>
                    <dd>{dateTime(a.doneAt, state.lang)}</dd>
                  </>
                )}
              </dl>
              {a.status === "open" ? (
                <button type="button" onClick={() => void mark(a, "done")} data-testid="action-done">
                  {t("board.markDone")}
                  <span className="visually-hidden"> {a.text}</span>
                </button>
              ) : (
                <button type="button" onClick={() => void mark(a, "open")}>
                  {t("board.reopenAction")}
                  <span className="visually-hidden"> {a.text}</span>
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}

function ActionForm({
  area,
  signals,
  onDone,
}: {
  readonly area: string;
  readonly signals: readonly BoardSignal[];
  readonly onDone: () => void;
}) {
  const { t } = useTranslation();
  const { session } = useSession();
  const own = session.authenticated ? session.user.organisation : "";
  const [text, setText] = useState("");
  const [signalId, setSignalId] = useState("");
  const [domain, setDomain] = useState("");
  const [owner, setOwner] = useState(own);
  const [ownerName, setOwnerName] = useState("");
  const [due, setDue] = useState("");
  const [errors, setErrors] = useState<FieldErrors>({});
  const [rest, setRest] = useState<string[]>([]);
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);
  const signal = signals.find((s) => String(s.id) === signalId);
  // An action for a signal is about the signal's domain.
  const actionDomain = signal?.domain ?? domain;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setRest([]);
    setDone("");
    const missing: Record<string, string> = {};
    if (!text.trim()) missing.text = t("board.required");
    if (!actionDomain) missing.domain = t("board.required");
    if (!owner.trim()) missing.ownerOrganisation = t("board.required");
    if (!due) missing.dueDate = t("board.required");
    if (Object.keys(missing).length) return setErrors(missing);
    setBusy(true);
    try {
      await fieldWork.postAction(area, {
        text: text.trim(),
        domain: actionDomain,
        ...(signal ? { signalId: signal.id } : {}),
        ownerOrganisation: owner.trim(),
        ...(ownerName.trim() ? { ownerName: ownerName.trim() } : {}),
        dueDate: due,
        status: "open",
      });
      setText("");
      setOwnerName("");
      setDue("");
      setSignalId("");
      setDone(t("board.actionAdded"));
      onDone();
    } catch (err) {
      const r = fieldErrors(err, ACTION_FIELDS);
      setErrors(r.byField);
      setRest(r.rest);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="stack-form board-form"
      onSubmit={(e) => void submit(e)}
      noValidate
      data-testid="action-form"
    >
      <h3>{t("board.newAction")}</h3>
      <ScreenedText
        id="action-text"
        label={t("board.actionText")}
        value={text}
        onChange={setText}
        error={errors.text}
        rows={2}
        maxLength={2000}
      />
      <div className="form-grid">
        <SelectField
          id="action-signal"
          label={t("board.forSignal")}
          value={signalId}
          onChange={(e) => setSignalId(e.target.value)}
          error={errors.signalId}
        >
          <option value="">{t("board.noSignal")}</option>
          {signals
            .filter((s) => s.status === "open")
            .map((s) => (
              <option key={s.id} value={s.id}>
                {s.text.length > 50 ? `${s.text.slice(0, 50)}…` : s.text}
              </option>
            ))}
        </SelectField>
        <SelectField
          id="action-domain"
          label={t("board.domain")}
          value={actionDomain}
          onChange={(e) => setDomain(e.target.value)}
          error={errors.domain}
          disabled={signal !== undefined}
        >
          <option value="">{t("board.choose")}</option>
          {DOMAINS.map((d) => (
            <option key={d} value={d}>
              {t(`domain.${d}`)}
            </option>
          ))}
        </SelectField>
        <TextField
          id="action-owner"
          label={t("board.ownerOrganisation")}
          hint={t("board.ownerHint")}
          value={owner}
          onChange={(e) => setOwner(e.target.value)}
          error={errors.ownerOrganisation}
          autoComplete="off"
          spellCheck={false}
        />
        <TextField
          id="action-owner-name"
          label={t("board.ownerName")}
          value={ownerName}
          onChange={(e) => setOwnerName(e.target.value)}
          error={errors.ownerName}
          autoComplete="off"
        />
        <TextField
          id="action-due"
          type="date"
          label={t("board.due")}
          value={due}
          onChange={(e) => setDue(e.target.value)}
          error={errors.dueDate}
        />
      </div>
      <FormErrors lines={rest} testId="action-errors" />
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy} data-testid="action-submit">
          {t("board.addAction")}
        </button>
      </div>
      <p role="status" className="form-success">
        {done}
      </p>
    </form>
  );
}
