/**
 * My account: who I am here (name, role, organisation, purpose, how and when I logged in), changing
 * my password (at least 12 characters, not a common one; the server names the rule it failed), and
 * what I may see: the grants that apply to me (GET /api/access/me).
 */
import { useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { accounts } from "../api/accounts";
import { useApp } from "../app-context";
import { dateTime, fieldErrors, FormErrors, TextField } from "../components/forms";
import { GrantWhatText, grantAreasText, useGrantTo } from "../components/grant-text";
import { applySession, useSession } from "../lib/session";
import { useAsync } from "../lib/use-async";

const MIN_LENGTH = 12;

/** A server password problem in the user's language (the rules of auth/passwords.ts). */
export function usePasswordProblem(): (line: string) => string {
  const { t } = useTranslation();
  return (line) => {
    if (/at least \d+ characters/.test(line)) return t("password.tooShort", { min: MIN_LENGTH });
    if (/at most/.test(line)) return t("password.tooLong");
    if (/common password/.test(line)) return t("password.common");
    if (/repeated character|short pattern/.test(line)) return t("password.pattern");
    if (/user name/.test(line)) return t("password.username");
    if (/current password is wrong/.test(line)) return t("password.currentWrong");
    return line;
  };
}

export default function AccountPage() {
  const { t } = useTranslation();
  const { state } = useApp();
  const { session } = useSession();
  const me = useAsync(() => accounts.me(), []);
  const toText = useGrantTo();
  if (!session.authenticated) return null;
  const { user } = session;

  return (
    <div className="account-page" data-testid="account">
      <h1>{t("account.title")}</h1>
      <section aria-labelledby="account-who">
        <h2 id="account-who">{t("account.who")}</h2>
        <dl className="facts">
          <div>
            <dt>{t("account.name")}</dt>
            <dd>{user.displayName}</dd>
          </div>
          <div>
            <dt>{t("user.username")}</dt>
            <dd>{user.username}</dd>
          </div>
          <div>
            <dt>{t("user.role")}</dt>
            <dd>{t(`role.${user.role}`)}</dd>
          </div>
          <div>
            <dt>{t("user.organisation")}</dt>
            <dd>{user.organisation}</dd>
          </div>
          <div>
            <dt>{t("account.purpose")}</dt>
            <dd>{user.purpose}</dd>
          </div>
          <div>
            <dt>{t("account.secondFactor")}</dt>
            <dd>{user.secondFactor ? t("account.yes") : t("account.no")}</dd>
          </div>
          <div>
            <dt>{t("account.session")}</dt>
            <dd>
              {t("account.sessionText", {
                since: dateTime(session.startedAt, state.lang),
                method: session.method,
                idle: session.idleMinutes,
                hours: session.absoluteHours,
              })}
            </dd>
          </div>
        </dl>
      </section>

      <PasswordForm username={user.username} />

      <section aria-labelledby="account-access">
        <h2 id="account-access">{t("account.access")}</h2>
        <p className="hint">{t("account.accessIntro", { min: me.value?.minCount ?? 10 })}</p>
        {me.state === "error" && (
          <p role="alert" className="page-error">
            {t("error.api", { detail: me.error.message })}
          </p>
        )}
        {me.value && (
          <div className="table-wrap" tabIndex={0} role="region" aria-labelledby="account-access">
            <table className="admin-table" data-testid="my-grants">
              <thead>
                <tr>
                  <th scope="col">{t("grant.id")}</th>
                  <th scope="col">{t("grant.to")}</th>
                  <th scope="col">{t("grant.what")}</th>
                  <th scope="col">{t("grant.areas")}</th>
                  <th scope="col">{t("grant.finestLevel")}</th>
                  <th scope="col">{t("grant.purpose")}</th>
                </tr>
              </thead>
              <tbody>
                {me.value.grants.map((g) => (
                  <tr key={g.id}>
                    <th scope="row">{g.id}</th>
                    <td>{toText(g.to)}</td>
                    <td>
                      <GrantWhatText what={g.what} />
                    </td>
                    <td>{grantAreasText(g, t)}</td>
                    <td>{g.finestLevel ? t(`level.${g.finestLevel}`) : t("grant.anyLevel")}</td>
                    <td>{g.purpose === "*" ? t("grant.anyPurpose") : g.purpose}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}

function PasswordForm({ username }: { readonly username: string }) {
  const { t } = useTranslation();
  const [current, setCurrent] = useState("");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [errors, setErrors] = useState<{ current?: string; password?: string; repeat?: string }>({});
  const [formError, setFormError] = useState<string[]>([]);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const problem = usePasswordProblem();
  const currentInput = useRef<HTMLInputElement>(null);
  const passwordInput = useRef<HTMLInputElement>(null);
  const repeatInput = useRef<HTMLInputElement>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(false);
    setFormError([]);
    const found = {
      current: current ? undefined : t("password.needCurrent"),
      password:
        password.length < MIN_LENGTH
          ? t("password.tooShort", { min: MIN_LENGTH })
          : username.length >= 3 && password.toLowerCase().includes(username.toLowerCase())
            ? t("password.username")
            : undefined,
      repeat: repeat === password ? undefined : t("password.noMatch"),
    };
    setErrors(found);
    if (found.current) return currentInput.current?.focus();
    if (found.password) return passwordInput.current?.focus();
    if (found.repeat) return repeatInput.current?.focus();
    setBusy(true);
    try {
      applySession(await accounts.changePassword(current, password));
      setCurrent("");
      setPassword("");
      setRepeat("");
      setDone(true);
    } catch (err) {
      const { byField, rest } = fieldErrors(err, ["current", "password"]);
      setErrors({
        current: byField.current ? problem(`current: ${byField.current}`) : undefined,
        password: byField.password
          ? byField.password
              .split("; ")
              .map((l) => problem(l))
              .join(" ")
          : undefined,
      });
      setFormError(rest.map(problem));
      if (byField.current) currentInput.current?.focus();
      else if (byField.password) passwordInput.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="account-password">
      <h2 id="account-password">{t("password.title")}</h2>
      <form className="stack-form" onSubmit={(e) => void submit(e)} noValidate data-testid="password-form">
        {/* For password managers: whose password this is. */}
        <input type="text" name="username" autoComplete="username" value={username} readOnly hidden />
        <TextField
          ref={currentInput}
          type="password"
          label={t("password.current")}
          autoComplete="current-password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={errors.current}
        />
        <TextField
          ref={passwordInput}
          type="password"
          label={t("password.new")}
          hint={t("password.rules", { min: MIN_LENGTH })}
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password}
        />
        <TextField
          ref={repeatInput}
          type="password"
          label={t("password.repeat")}
          autoComplete="new-password"
          value={repeat}
          onChange={(e) => setRepeat(e.target.value)}
          error={errors.repeat}
        />
        <FormErrors lines={formError} />
        <p role="status" className="form-success">
          {done ? t("password.changed") : ""}
        </p>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy}>
            {t("password.submit")}
          </button>
        </div>
      </form>
    </section>
  );
}
