/**
 * Grants: who may see what, where, how fine, for which purpose. The editor shows live — before
 * anything is saved — what the grant being edited would expose (POST /api/admin/grants/preview): how
 * many indicators and profiles by domain, the levels, how many areas per level, who would receive it
 * and the server's warnings. Saving adds the grant (the policy reloads at once); grants are removed,
 * never edited in place (a new grant is a new audit record).
 */
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import {
  accounts,
  AREA_LEVELS,
  DOMAINS,
  ROLES,
  type Grant,
  type GrantInput,
  type GrantPreview,
} from "../../api/accounts";
import { useApp } from "../../app-context";
import {
  dateTime,
  fieldErrors,
  FormErrors,
  SelectField,
  TextField,
  type FieldErrors,
} from "../../components/forms";
import { GrantWhatText, grantAreasText, useGrantTo } from "../../components/grant-text";
import { text } from "../../lib/format";
import { EMPTY_GRANT, grantOf, type GrantDraft, type ToKind } from "../../lib/grant-draft";
import { useAsync } from "../../lib/use-async";
import { ConfirmButton, Done } from "./common";

const FIELDS = ["id", "to", "what", "areas", "finestLevel", "purpose", "note"] as const;

export function GrantsTab() {
  const { t } = useTranslation();
  const { state, indicators } = useApp();
  const [version, setVersion] = useState(0);
  const grants = useAsync(() => accounts.grants(), [version]);
  const orgs = useAsync(() => accounts.organisations(), []);
  const users = useAsync(() => accounts.users(), []);
  const roles = useAsync(() => accounts.roles(), []);
  const profiles = useAsync(() => accounts.profiles(), []);
  const [draft, setDraft] = useState<GrantDraft>(EMPTY_GRANT);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [rest, setRest] = useState<string[]>([]);
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [filter, setFilter] = useState("");
  const idInput = useRef<HTMLInputElement>(null);
  const uid = useId();
  const set = (patch: Partial<GrantDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const toggle = (key: "domains" | "indicators" | "profiles", value: string, on: boolean) =>
    setDraft((d) => ({
      ...d,
      [key]: on ? [...new Set([...d[key], value])] : d[key].filter((x) => x !== value),
    }));

  const userName = useMemo(
    () => new Map(users.value?.map((u) => [u.id, `${u.username} (${u.displayName})`]) ?? []),
    [users.value],
  );
  const toText = useGrantTo(userName);
  const editable = grants.value?.editable ?? true;

  // The purposes the roles work for, as suggestions; a role grant defaults to that role's purpose.
  const purposes = [...new Set([...(roles.value?.map((r) => r.purpose) ?? []), "*"])];
  const suggestedPurpose = (() => {
    if (draft.toKind === "role") return roles.value?.find((r) => r.role === draft.toId)?.purpose;
    if (draft.toKind === "user") {
      const u = users.value?.find((x) => x.id === draft.toId);
      return u?.purpose;
    }
    return undefined;
  })();

  const preview = usePreview(grantOf(draft, true));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(undefined);
    setErrors({});
    setRest([]);
    setBusy(true);
    try {
      const r = await accounts.createGrant(grantOf(draft));
      setDone(t("admin.grant.created", { id: r.grant.id }));
      setDraft(EMPTY_GRANT);
      setVersion((v) => v + 1);
      idInput.current?.focus();
    } catch (err) {
      const r = fieldErrors(err, FIELDS);
      setErrors(r.byField);
      setRest(r.rest);
    } finally {
      setBusy(false);
    }
  };

  const remove = async (g: Grant) => {
    setDone(undefined);
    setRest([]);
    try {
      await accounts.deleteGrant(g.id);
      setDone(t("admin.grant.deleted", { id: g.id }));
      setVersion((v) => v + 1);
    } catch (err) {
      setRest([err instanceof Error ? err.message : String(err)]);
    }
  };

  const shownIndicators = indicators
    .filter((i) => !i.id.startsWith("profile:"))
    .filter((i) => {
      const q = filter.trim().toLowerCase();
      return !q || i.id.includes(q) || text(i.name, state.lang).toLowerCase().includes(q);
    })
    .slice(0, 200);

  return (
    <>
      {!editable && (
        <p className="notice notice-warning" role="note">
          {t("admin.grant.fixed")}
        </p>
      )}
      <div className="grant-editor">
        <form className="admin-form" onSubmit={(e) => void submit(e)} noValidate data-testid="grant-form">
          <h3>{t("admin.grant.newTitle")}</h3>
          <fieldset disabled={!editable} className="plain">
            <div className="form-grid">
              <TextField
                ref={idInput}
                id={`${uid}-id`}
                label={t("grant.id")}
                hint={t("admin.grant.idHint")}
                value={draft.id}
                onChange={(e) => set({ id: e.target.value })}
                error={errors.id}
                autoComplete="off"
                spellCheck={false}
                data-testid="grant-id"
              />
              <SelectField
                id={`${uid}-to-kind`}
                label={t("admin.grant.toKind")}
                value={draft.toKind}
                onChange={(e) => set({ toKind: e.target.value as ToKind, toId: "" })}
                data-testid="grant-to-kind"
              >
                <option value="role">{t("grant.kind.role")}</option>
                <option value="organisation">{t("grant.kind.organisation")}</option>
                <option value="user">{t("grant.kind.user")}</option>
              </SelectField>
              <SelectField
                id={`${uid}-to-id`}
                label={t(`admin.grant.toId.${draft.toKind}`)}
                value={draft.toId}
                onChange={(e) => set({ toId: e.target.value })}
                error={errors.to}
                data-testid="grant-to-id"
              >
                <option value="">{t("admin.choose")}</option>
                {draft.toKind === "role" &&
                  ["public", ...ROLES].map((r) => (
                    <option key={r} value={r}>
                      {t(`role.${r}`)}
                    </option>
                  ))}
                {draft.toKind === "organisation" &&
                  orgs.value?.map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.name} ({o.id})
                    </option>
                  ))}
                {draft.toKind === "user" &&
                  users.value?.map((u) => (
                    <option key={u.id} value={u.id}>
                      {u.username} ({u.displayName})
                    </option>
                  ))}
              </SelectField>
            </div>

            <fieldset className="what" aria-describedby={errors.what ? `${uid}-what-error` : undefined}>
              <legend>{t("grant.what")}</legend>
              {(["synthetic-data", "open-data", "selection"] as const).map((m) => (
                <label key={m} className="radio">
                  <input
                    type="radio"
                    name={`${uid}-mode`}
                    value={m}
                    checked={draft.mode === m}
                    onChange={() => set({ mode: m })}
                    data-testid={`grant-mode-${m}`}
                  />{" "}
                  {t(`admin.grant.mode.${m}`)}
                </label>
              ))}
              {errors.what && (
                <span id={`${uid}-what-error`} className="field-error">
                  {errors.what}
                </span>
              )}
              {draft.mode === "selection" && (
                <div className="selection">
                  <fieldset className="checks">
                    <legend>{t("grant.domains")}</legend>
                    {DOMAINS.map((d) => (
                      <label key={d} className="check">
                        <input
                          type="checkbox"
                          checked={draft.domains.includes(d)}
                          onChange={(e) => toggle("domains", d, e.target.checked)}
                        />{" "}
                        {t(`domain.${d}`)}
                      </label>
                    ))}
                  </fieldset>
                  {profiles.value && profiles.value.length > 0 && (
                    <fieldset className="checks">
                      <legend>{t("grant.profiles")}</legend>
                      {profiles.value.map((p) => (
                        <label key={p.id} className="check">
                          <input
                            type="checkbox"
                            checked={draft.profiles.includes(p.id)}
                            onChange={(e) => toggle("profiles", p.id, e.target.checked)}
                          />{" "}
                          {text(p.name, state.lang)}
                        </label>
                      ))}
                    </fieldset>
                  )}
                  <fieldset className="checks checks-wide">
                    <legend>
                      {t("grant.indicators")}
                      {draft.indicators.length > 0 &&
                        ` (${t("admin.grant.chosen", { count: draft.indicators.length })})`}
                    </legend>
                    <TextField
                      type="search"
                      label={t("admin.grant.filterIndicators")}
                      value={filter}
                      onChange={(e) => setFilter(e.target.value)}
                      autoComplete="off"
                    />
                    <div className="check-list">
                      {shownIndicators.map((i) => (
                        <label key={i.id} className="check">
                          <input
                            type="checkbox"
                            checked={draft.indicators.includes(i.id)}
                            onChange={(e) => toggle("indicators", i.id, e.target.checked)}
                          />{" "}
                          <span>
                            {text(i.name, state.lang)} <span className="hint">{i.id}</span>
                          </span>
                        </label>
                      ))}
                    </div>
                  </fieldset>
                </div>
              )}
            </fieldset>

            <div className="form-grid">
              <TextField
                id={`${uid}-areas`}
                label={t("grant.areas")}
                hint={t("admin.grant.areasHint")}
                value={draft.areas}
                onChange={(e) => set({ areas: e.target.value })}
                error={errors.areas}
                autoComplete="off"
                spellCheck={false}
                data-testid="grant-areas"
              />
              <SelectField
                id={`${uid}-finest`}
                label={t("grant.finestLevel")}
                value={draft.finestLevel}
                onChange={(e) => set({ finestLevel: e.target.value })}
                error={errors.finestLevel}
                data-testid="grant-finest"
              >
                <option value="">{t("grant.anyLevel")}</option>
                {AREA_LEVELS.filter((l) => l !== "land").map((l) => (
                  <option key={l} value={l}>
                    {t(`level.${l}`)}
                  </option>
                ))}
              </SelectField>
              <TextField
                id={`${uid}-purpose`}
                label={t("grant.purpose")}
                hint={
                  suggestedPurpose
                    ? t("admin.grant.purposeHint", { purpose: suggestedPurpose })
                    : t("admin.grant.purposeHintNone")
                }
                value={draft.purpose}
                onChange={(e) => set({ purpose: e.target.value })}
                error={errors.purpose}
                list={`${uid}-purposes`}
                autoComplete="off"
                spellCheck={false}
                data-testid="grant-purpose"
              />
              <datalist id={`${uid}-purposes`}>
                {purposes.map((p) => (
                  <option key={p} value={p} />
                ))}
              </datalist>
              <TextField
                id={`${uid}-note`}
                label={t("grant.note")}
                value={draft.note}
                onChange={(e) => set({ note: e.target.value })}
                error={errors.note}
                autoComplete="off"
              />
            </div>
            {suggestedPurpose && draft.purpose.trim() === "" && (
              <p>
                <button type="button" onClick={() => set({ purpose: suggestedPurpose })}>
                  {t("admin.grant.usePurpose", { purpose: suggestedPurpose })}
                </button>
              </p>
            )}
            <FormErrors lines={rest} testId="grant-form-errors" />
            <div className="form-actions">
              <button type="submit" className="primary" disabled={busy} data-testid="grant-save">
                {t("admin.grant.save")}
              </button>
              <button
                type="button"
                onClick={() => {
                  setDraft(EMPTY_GRANT);
                  setErrors({});
                  setRest([]);
                }}
              >
                {t("admin.grant.clear")}
              </button>
            </div>
          </fieldset>
        </form>
        <PreviewPanel preview={preview} />
      </div>
      <Done text={done} />

      <h3 id={`${uid}-list`}>{t("admin.grant.listTitle")}</h3>
      {grants.state === "error" && (
        <p role="alert" className="page-error">
          {t("error.api", { detail: grants.error.message })}
        </p>
      )}
      {grants.value && (
        <div className="table-wrap" tabIndex={0} role="region" aria-labelledby={`${uid}-list`}>
          <table className="admin-table" data-testid="grant-table">
            <thead>
              <tr>
                <th scope="col">{t("grant.id")}</th>
                <th scope="col">{t("grant.to")}</th>
                <th scope="col">{t("grant.what")}</th>
                <th scope="col">{t("grant.areas")}</th>
                <th scope="col">{t("grant.finestLevel")}</th>
                <th scope="col">{t("grant.purpose")}</th>
                <th scope="col">{t("grant.note")}</th>
                <th scope="col">{t("admin.grant.createdBy")}</th>
                <th scope="col">{t("admin.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {grants.value.grants.map((g) => (
                <tr key={g.id} data-id={g.id}>
                  <th scope="row">{g.id}</th>
                  <td>{toText(g.to)}</td>
                  <td>
                    <GrantWhatText what={g.what} />
                  </td>
                  <td>{grantAreasText(g, t)}</td>
                  <td>{g.finestLevel ? t(`level.${g.finestLevel}`) : t("grant.anyLevel")}</td>
                  <td>{g.purpose === "*" ? t("grant.anyPurpose") : g.purpose}</td>
                  <td>{g.note ?? ""}</td>
                  <td>
                    {g.createdBy ?? "–"}
                    {g.createdAt ? `, ${dateTime(g.createdAt, state.lang)}` : ""}
                  </td>
                  <td className="actions">
                    <ConfirmButton
                      question={t("admin.grant.confirmDelete", { id: g.id })}
                      onConfirm={() => remove(g)}
                      disabled={!editable}
                    >
                      {t("admin.delete")}
                      <span className="visually-hidden"> {g.id}</span>
                    </ConfirmButton>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

type PreviewState =
  | { readonly state: "idle" }
  | { readonly state: "loading"; readonly last?: GrantPreview }
  | { readonly state: "ready"; readonly value: GrantPreview }
  | { readonly state: "error"; readonly lines: readonly string[] };

/** The preview of the grant being edited, asked 300 ms after the last change. */
function usePreview(grant: GrantInput): PreviewState {
  const key = JSON.stringify(grant);
  const complete = grant.to.id !== "" && grant.purpose !== "";
  const [result, setResult] = useState<{
    readonly key: string;
    readonly value?: GrantPreview;
    readonly lines?: readonly string[];
  }>();
  useEffect(() => {
    if (!complete) return;
    let live = true;
    const timer = setTimeout(() => {
      accounts.previewGrant(JSON.parse(key) as GrantInput).then(
        (value) => live && setResult({ key, value }),
        (e: unknown) => {
          if (!live) return;
          const { byField, rest } = fieldErrors(e, FIELDS);
          setResult({ key, lines: [...Object.entries(byField).map(([f, m]) => `${f}: ${m}`), ...rest] });
        },
      );
    }, 300);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [key, complete]);
  if (!complete) return { state: "idle" };
  if (result?.key === key)
    return result.value
      ? { state: "ready", value: result.value }
      : { state: "error", lines: result.lines ?? [] };
  return { state: "loading", last: result?.value };
}

function PreviewPanel({ preview }: { readonly preview: PreviewState }) {
  const { t } = useTranslation();
  const { state } = useApp();
  const p =
    preview.state === "ready" ? preview.value : preview.state === "loading" ? preview.last : undefined;
  const serverLang = state.lang === "en" ? undefined : "en";
  const summary =
    preview.state === "idle"
      ? t("admin.preview.idle")
      : preview.state === "error"
        ? t("admin.preview.invalid")
        : p
          ? t("admin.preview.summary", {
              indicators: p.indicators,
              profiles: p.profiles.length,
              count: p.recipients.length,
            })
          : t("loading");
  return (
    <aside
      className="grant-preview"
      aria-labelledby="grant-preview-title"
      data-testid="grant-preview"
      data-state={preview.state}
      aria-busy={preview.state === "loading"}
    >
      <h3 id="grant-preview-title">{t("admin.preview.title")}</h3>
      <p role="status" data-testid="grant-preview-summary">
        {summary}
      </p>
      {preview.state === "error" && (
        <ul className="preview-problems">
          {preview.lines.map((l, i) => (
            <li key={i} lang={serverLang}>
              {l}
            </li>
          ))}
        </ul>
      )}
      {p && preview.state !== "error" && (
        <dl className="facts">
          <div>
            <dt>{t("admin.preview.byDomain")}</dt>
            <dd>
              {Object.keys(p.byDomain).length === 0
                ? t("admin.preview.nothing")
                : Object.entries(p.byDomain)
                    .map(([d, n]) => `${t(`domain.${d}`, { defaultValue: d })} ${n}`)
                    .join(", ")}
            </dd>
          </div>
          {p.profiles.length > 0 && (
            <div>
              <dt>{t("grant.profiles")}</dt>
              <dd>{p.profiles.map((x) => x.replace(/^profile:/, "")).join(", ")}</dd>
            </div>
          )}
          <div>
            <dt>{t("admin.preview.levels")}</dt>
            <dd>{p.levels.map((l) => t(`level.${l}`)).join(", ")}</dd>
          </div>
          <div>
            <dt>{t("admin.preview.areas")}</dt>
            <dd data-testid="grant-preview-areas">
              {p.areas === "everywhere" ? `${t("grant.everywhere")} — ` : ""}
              {Object.entries(p.areasByLevel)
                .map(([l, n]) => `${n} × ${t(`level.${l}`)}`)
                .join(", ") || t("admin.preview.noAreas")}
            </dd>
          </div>
          <div>
            <dt>{t("admin.preview.recipients")}</dt>
            <dd>
              {p.recipients.length === 0 ? (
                t("admin.preview.noRecipients")
              ) : (
                <ul className="plain-list" data-testid="grant-preview-recipients">
                  {p.recipients.map((r) => (
                    <li key={r.id}>
                      {r.username} ({t(`role.${r.role}`, { defaultValue: r.role })}, {r.organisationId})
                      {!r.samePurpose && <span className="hint"> — {t("admin.preview.otherPurpose")}</span>}
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </div>
        </dl>
      )}
      {p && preview.state !== "error" && p.warnings.length > 0 && (
        <div className="notice notice-warning">
          <p>
            <strong>{t("admin.preview.warnings")}</strong>
          </p>
          <ul>
            {p.warnings.map((w) => (
              <li key={w} lang={serverLang}>
                {w}
              </li>
            ))}
          </ul>
        </div>
      )}
    </aside>
  );
}
