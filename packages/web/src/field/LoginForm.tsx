/**
 * Logging in inside the field app (the dashboard's login would leave /veld/): user name and password,
 * then the authenticator code when the account has a second factor. The outbox is kept throughout;
 * after the login the waiting items are sent.
 */
import { useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { accounts } from "../api/accounts";
import { ApiError } from "../api/client";
import { applySessionInfo } from "./session";

export function LoginForm({ onLoggedIn }: { readonly onLoggedIn: () => void }) {
  const { t } = useTranslation();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [totp, setTotp] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!username.trim() || !password) {
      setError(t("field.login.missing"));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const info = await accounts.login({
        username: username.trim(),
        password,
        ...(totp ? { totp: code.trim() } : {}),
      });
      setPassword("");
      setCode("");
      applySessionInfo(info);
      onLoggedIn();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401 && err.secondFactor === "totp") {
        if (totp) setError(t("field.login.wrongCode"));
        setTotp(true);
      } else if (err instanceof ApiError && err.status === 401) setError(t("field.login.wrong"));
      else if (err instanceof ApiError && err.status === 429) setError(t("field.login.throttled"));
      else if (err instanceof ApiError) setError(t("field.login.failed", { detail: err.message }));
      else setError(t("field.login.offline"));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="f-form" onSubmit={(e) => void submit(e)} noValidate data-testid="field-login">
      <label htmlFor="f-username">{t("field.login.username")}</label>
      <input
        id="f-username"
        name="username"
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        value={username}
        onChange={(e) => setUsername(e.target.value)}
      />
      <label htmlFor="f-password">{t("field.login.password")}</label>
      <input
        id="f-password"
        name="password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
      />
      {totp && (
        <>
          <label htmlFor="f-code">{t("field.login.code")}</label>
          <input
            id="f-code"
            name="totp"
            inputMode="numeric"
            autoComplete="one-time-code"
            maxLength={6}
            value={code}
            onChange={(e) => setCode(e.target.value.replace(/\D/g, ""))}
          />
        </>
      )}
      {error && (
        <p className="f-error" role="alert" data-testid="field-login-error">
          {error}
        </p>
      )}
      <button type="submit" className="f-primary" disabled={busy} data-testid="field-login-submit">
        {busy ? t("field.login.busy") : t("field.login.submit")}
      </button>
    </form>
  );
}
