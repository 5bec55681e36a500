/**
 * Users: add one (the server makes a one-time password, and for an administrator a TOTP secret —
 * both shown once here), change name, organisation, role, purpose, block or unblock, a new one-time
 * password, a new second factor. Changes of what a user may see end their sessions (the server says
 * how many).
 */
import { useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { accounts, ROLES, type AdminUser } from "../../api/accounts";
import { useApp } from "../../app-context";
import {
  dateTime,
  fieldErrors,
  FormErrors,
  SelectField,
  TextField,
  type FieldErrors,
} from "../../components/forms";
import { useSession } from "../../lib/session";
import { useAsync } from "../../lib/use-async";
import { ConfirmButton, Done, SecretNotice, type Secret } from "./common";

const FIELDS = ["username", "displayName", "organisationId", "role", "purpose", "disabled"] as const;

interface Draft {
  readonly username: string;
  readonly displayName: string;
  readonly organisationId: string;
  readonly role: string;
  readonly purpose: string;
  readonly disabled: boolean;
}

const EMPTY: Draft = {
  username: "",
  displayName: "",
  organisationId: "",
  role: "field-worker",
  purpose: "",
  disabled: false,
};

export function UsersTab() {
  const { t } = useTranslation();
  const { state } = useApp();
  const { session } = useSession();
  const [version, setVersion] = useState(0);
  const users = useAsync(() => accounts.users(), [version]);
  const orgs = useAsync(() => accounts.organisations(), []);
  const roles = useAsync(() => accounts.roles(), []);
  const [editing, setEditing] = useState<AdminUser>();
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [rest, setRest] = useState<string[]>([]);
  const [done, setDone] = useState<string>();
  const [secret, setSecret] = useState<{ title: string; secrets: Secret[] }>();
  const [busy, setBusy] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  const me = session.authenticated ? session.user.id : undefined;

  const roleInfo = roles.value?.find((r) => r.role === draft.role);
  const orgName = new Map(orgs.value?.map((o) => [o.id, o.name]) ?? []);
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const reset = () => {
    setEditing(undefined);
    setDraft(EMPTY);
    setErrors({});
    setRest([]);
  };
  const fail = (e: unknown) => {
    const r = fieldErrors(e, FIELDS);
    setErrors(r.byField);
    setRest(r.rest);
  };
  const edit = (u: AdminUser) => {
    reset();
    setDone(undefined);
    setEditing(u);
    setDraft({
      username: u.username,
      displayName: u.displayName,
      organisationId: u.organisationId,
      role: u.role,
      purpose: u.purpose,
      disabled: u.disabled,
    });
    requestAnimationFrame(() => first.current?.focus());
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(undefined);
    setErrors({});
    setRest([]);
    setBusy(true);
    try {
      if (editing) {
        const change: Record<string, string | boolean> = {};
        if (draft.displayName.trim() !== editing.displayName) change.displayName = draft.displayName.trim();
        if (draft.organisationId !== editing.organisationId) change.organisationId = draft.organisationId;
        if (draft.role !== editing.role) change.role = draft.role;
        if (draft.purpose.trim() && draft.purpose.trim() !== editing.purpose)
          change.purpose = draft.purpose.trim();
        if (draft.disabled !== editing.disabled) change.disabled = draft.disabled;
        const r = await accounts.updateUser(editing.id, change);
        setDone(t("admin.user.updated", { username: editing.username, count: r.sessionsEnded }));
      } else {
        const created = await accounts.createUser({
          username: draft.username.trim(),
          displayName: draft.displayName.trim(),
          organisationId: draft.organisationId,
          role: draft.role,
          ...(draft.purpose.trim() ? { purpose: draft.purpose.trim() } : {}),
        });
        const secrets: Secret[] = [];
        if (created.oneTimePassword)
          secrets.push({ label: t("admin.secret.password"), value: created.oneTimePassword });
        if (created.totp) {
          secrets.push({ label: t("admin.secret.totpSecret"), value: created.totp.secret });
          secrets.push({ label: t("admin.secret.totpUri"), value: created.totp.uri });
        }
        setDone(t("admin.user.created", { username: created.user.username }));
        if (secrets.length)
          setSecret({ title: t("admin.secret.forUser", { username: created.user.username }), secrets });
      }
      reset();
      setVersion((v) => v + 1);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const act = async (u: AdminUser, what: "reset" | "totp" | "block" | "unblock") => {
    setDone(undefined);
    setRest([]);
    try {
      if (what === "reset") {
        const r = await accounts.resetPassword(u.id);
        setSecret({
          title: t("admin.secret.forUser", { username: u.username }),
          secrets: [{ label: t("admin.secret.password"), value: r.oneTimePassword }],
        });
      } else if (what === "totp") {
        const r = await accounts.enrolTotp(u.id);
        setSecret({
          title: t("admin.secret.forUser", { username: u.username }),
          secrets: [
            { label: t("admin.secret.totpSecret"), value: r.secret },
            { label: t("admin.secret.totpUri"), value: r.uri },
          ],
        });
      } else {
        const r = await accounts.updateUser(u.id, { disabled: what === "block" });
        setDone(
          t(what === "block" ? "admin.user.blocked" : "admin.user.unblocked", {
            username: u.username,
            count: r.sessionsEnded,
          }),
        );
      }
      setVersion((v) => v + 1);
    } catch (err) {
      fail(err);
    }
  };

  return (
    <>
      {secret && (
        <SecretNotice title={secret.title} secrets={secret.secrets} onDone={() => setSecret(undefined)} />
      )}
      <form className="admin-form" onSubmit={(e) => void submit(e)} noValidate data-testid="user-form">
        <h3>
          {editing ? t("admin.user.editTitle", { username: editing.username }) : t("admin.user.newTitle")}
        </h3>
        <div className="form-grid">
          <TextField
            ref={first}
            label={t("user.username")}
            hint={editing ? undefined : t("admin.slugHint")}
            value={draft.username}
            onChange={(e) => set({ username: e.target.value })}
            disabled={editing !== undefined}
            error={errors.username}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
          />
          <TextField
            label={t("account.name")}
            value={draft.displayName}
            onChange={(e) => set({ displayName: e.target.value })}
            error={errors.displayName}
            autoComplete="off"
          />
          <SelectField
            label={t("user.organisation")}
            value={draft.organisationId}
            onChange={(e) => set({ organisationId: e.target.value })}
            error={errors.organisationId}
          >
            <option value="">{t("admin.choose")}</option>
            {orgs.value?.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name} ({o.id})
              </option>
            ))}
          </SelectField>
          <SelectField
            label={t("user.role")}
            value={draft.role}
            onChange={(e) => set({ role: e.target.value })}
            error={errors.role}
            hint={roleInfo ? roleInfo[state.lang] : undefined}
          >
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {t(`role.${r}`)}
              </option>
            ))}
          </SelectField>
          <TextField
            label={t("account.purpose")}
            hint={t("admin.user.purposeHint", { purpose: roleInfo?.purpose ?? "–" })}
            placeholder={roleInfo?.purpose}
            value={draft.purpose}
            onChange={(e) => set({ purpose: e.target.value })}
            error={errors.purpose}
            autoComplete="off"
            spellCheck={false}
          />
          {editing && (
            <div className="field form-field check-field">
              <label>
                <input
                  type="checkbox"
                  checked={draft.disabled}
                  onChange={(e) => set({ disabled: e.target.checked })}
                  disabled={editing.id === me}
                />{" "}
                {t("admin.user.disabled")}
              </label>
              {errors.disabled && <span className="field-error">{errors.disabled}</span>}
            </div>
          )}
        </div>
        {!editing && (
          <p className="hint">
            {draft.role === "admin" ? t("admin.user.adminNote") : t("admin.user.passwordNote")}
          </p>
        )}
        <FormErrors lines={rest} testId="user-form-errors" />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            {editing ? t("admin.save") : t("admin.add")}
          </button>
          {editing && (
            <button type="button" onClick={reset}>
              {t("admin.cancel")}
            </button>
          )}
        </div>
      </form>
      <Done text={done} />
      {users.state === "error" && (
        <p role="alert" className="page-error">
          {t("error.api", { detail: users.error.message })}
        </p>
      )}
      {!users.value && users.state === "loading" && <p className="loading">{t("loading")}</p>}
      {users.value && (
        <div className="table-wrap" tabIndex={0} role="region" aria-label={t("admin.tab.users")}>
          <table className="admin-table" data-testid="user-table">
            <thead>
              <tr>
                <th scope="col">{t("user.username")}</th>
                <th scope="col">{t("account.name")}</th>
                <th scope="col">{t("user.organisation")}</th>
                <th scope="col">{t("user.role")}</th>
                <th scope="col">{t("account.purpose")}</th>
                <th scope="col">{t("account.secondFactor")}</th>
                <th scope="col">{t("admin.user.status")}</th>
                <th scope="col">{t("admin.user.lastLogin")}</th>
                <th scope="col">{t("admin.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {users.value.map((u) => (
                <tr key={u.id} data-id={u.id} data-username={u.username}>
                  <th scope="row">{u.username}</th>
                  <td>{u.displayName}</td>
                  <td>{orgName.get(u.organisationId) ?? u.organisationId}</td>
                  <td>{t(`role.${u.role}`, { defaultValue: u.role })}</td>
                  <td>{u.purpose}</td>
                  <td>{u.secondFactor ? t("account.yes") : t("account.no")}</td>
                  <td>{u.disabled ? t("admin.user.isDisabled") : t("admin.user.isActive")}</td>
                  <td>{dateTime(u.lastLoginAt, state.lang)}</td>
                  <td className="actions">
                    <button type="button" onClick={() => edit(u)}>
                      {t("admin.edit")}
                      <span className="visually-hidden"> {u.username}</span>
                    </button>
                    <ConfirmButton
                      question={t("admin.user.confirmReset", { username: u.username })}
                      onConfirm={() => act(u, "reset")}
                    >
                      {t("admin.user.reset")}
                      <span className="visually-hidden"> {u.username}</span>
                    </ConfirmButton>
                    <ConfirmButton
                      question={t("admin.user.confirmTotp", { username: u.username })}
                      onConfirm={() => act(u, "totp")}
                    >
                      {t("admin.user.totp")}
                      <span className="visually-hidden"> {u.username}</span>
                    </ConfirmButton>
                    {u.id !== me &&
                      (u.disabled ? (
                        <button type="button" onClick={() => void act(u, "unblock")}>
                          {t("admin.user.unblock")}
                          <span className="visually-hidden"> {u.username}</span>
                        </button>
                      ) : (
                        <ConfirmButton
                          question={t("admin.user.confirmBlock", { username: u.username })}
                          onConfirm={() => act(u, "block")}
                        >
                          {t("admin.user.block")}
                          <span className="visually-hidden"> {u.username}</span>
                        </ConfirmButton>
                      ))}
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
