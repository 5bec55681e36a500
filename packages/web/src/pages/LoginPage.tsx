/**
 * Logging in: user name and password, then the 6-digit code of an authenticator app when the account
 * has a second factor (administrators must). Errors are announced; a throttled login says how long to
 * wait; an ended session says why. "Inloggen via je organisatie" (OpenID Connect) when the server
 * offers it. Afterwards the user returns to the page they came from.
 */
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { accounts } from "../api/accounts";
import { ApiError } from "../api/client";
import { useApp } from "../app-context";
import { FormErrors, TextField } from "../components/forms";
import { applySession, useSession } from "../lib/session";
import { useAsync } from "../lib/use-async";
import { formatState, parseState } from "../lib/url-state";

type Step = "password" | "totp";

/** The server's reason for an ended session in the user's language (known reasons; else as sent). */
export function useEndedReason(): (detail: string) => string {
  const { t } = useTranslation();
  return (detail) => {
    if (!detail) return t("login.ended.unknown");
    const inner = /\(([^)]*)\)/.exec(detail)?.[1] ?? detail;
    const idle = /no activity for (\d+) min/.exec(inner);
    if (idle) return t("login.ended.idle", { minutes: idle[1] });
    const max = /maximum of (\d+) h/.exec(inner);
    if (max) return t("login.ended.absolute", { hours: max[1] });
    const known: [RegExp, string][] = [
      [/disabled/, "login.ended.disabled"],
      [/password changed/, "login.ended.password"],
      [/password reset/, "login.ended.reset"],
      [/second factor/, "login.ended.totp"],
      [/role, organisation or purpose/, "login.ended.access"],
      [/ended by an administrator/, "login.ended.admin"],
      [/replaced by a new login/, "login.ended.replaced"],
      [/logged out|logout/, "login.ended.logout"],
    ];
    const hit = known.find(([re]) => re.test(inner));
    return hit ? t(hit[1]) : t("login.ended.other", { reason: inner });
  };
}

export function LoginPage({ next: nextProp }: { readonly next?: string }) {
  const { t } = useTranslation();
  const { state } = useApp();
  const { session, endedReason, known } = useSession();
  const next = nextProp ?? state.next ?? "/";
  const [step, setStep] = useState<Step>("password");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [invalid, setInvalid] = useState<{ username?: string; password?: string; code?: string }>({});
  const userInput = useRef<HTMLInputElement>(null);
  const passwordInput = useRef<HTMLInputElement>(null);
  const codeInput = useRef<HTMLInputElement>(null);
  const oidc = useAsync(() => accounts.oidc().catch(() => undefined), []);
  const ended = useEndedReason();

  useEffect(() => {
    if (step === "totp") codeInput.current?.focus();
  }, [step]);

  /** Back to where the user was, in the language they use now. */
  const goBack = () => {
    const url = new URL(next, location.origin);
    const target = formatState({ ...parseState(url.search, state.lang), lang: state.lang }, state.lang);
    history.replaceState(null, "", target);
    window.dispatchEvent(new Event("wijkradar:navigate"));
    // The page changes under the main landmark: start there (after React has rendered it).
    requestAnimationFrame(() => document.getElementById("main")?.focus());
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(undefined);
    if (step === "password") {
      const problems = {
        username: username.trim() ? undefined : t("login.needUsername"),
        password: password ? undefined : t("login.needPassword"),
      };
      setInvalid(problems);
      if (problems.username) return userInput.current?.focus();
      if (problems.password) return passwordInput.current?.focus();
    } else {
      const problem = /^\d{6}$/.test(code.trim()) ? undefined : t("login.needCode");
      setInvalid({ code: problem });
      if (problem) return codeInput.current?.focus();
    }
    setBusy(true);
    try {
      const result = await accounts.login({
        username: username.trim(),
        password,
        ...(step === "totp" ? { totp: code.trim() } : {}),
      });
      setPassword("");
      setCode("");
      goBack();
      applySession(result);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401 && err.secondFactor === "totp") {
        if (step === "password") {
          setStep("totp");
        } else {
          setError(t("login.wrongCode"));
          setCode("");
          codeInput.current?.focus();
        }
      } else if (err instanceof ApiError && err.status === 401) {
        setError(t("login.wrong"));
        setStep("password");
        setPassword("");
        passwordInput.current?.focus();
      } else if (err instanceof ApiError && err.status === 429) {
        setError(
          t("login.throttled", { count: err.retryAfter ?? Number(/(\d+) s/.exec(err.message)?.[1] ?? 60) }),
        );
      } else if (err instanceof ApiError && err.status === 403) {
        setError(
          /disabled/.test(err.message) ? t("login.disabled") : t("login.refused", { detail: err.message }),
        );
      } else {
        setError(t("login.failed", { detail: err instanceof Error ? err.message : String(err) }));
      }
    } finally {
      setBusy(false);
    }
  };

  if (!known) return <p className="loading">{t("loading")}</p>;
  if (session.authenticated && !nextProp)
    return (
      <div className="page-narrow login-page">
        <h1>{t("login.title")}</h1>
        <p>{t("login.already", { name: session.user.displayName })}</p>
        <p>
          <a
            href={next}
            className="button-link"
            onClick={(e) => {
              e.preventDefault();
              goBack();
            }}
          >
            {t("login.continue")}
          </a>
        </p>
      </div>
    );

  const oidcInfo = oidc.value;
  return (
    <div className="page-narrow login-page" data-testid="login">
      <h1>{t("login.title")}</h1>
      {endedReason !== undefined && (
        <p className="notice notice-warning" role="alert" data-testid="session-ended">
          {t("login.endedPrefix")} {ended(endedReason)}
        </p>
      )}
      {nextProp && endedReason === undefined && <p>{t("login.needed")}</p>}
      <form className="login-form" onSubmit={(e) => void submit(e)} noValidate>
        {step === "password" ? (
          <>
            <TextField
              ref={userInput}
              id="login-username"
              label={t("login.username")}
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              error={invalid.username}
              required
            />
            <TextField
              ref={passwordInput}
              id="login-password"
              type="password"
              label={t("login.password")}
              name="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              error={invalid.password}
              required
            />
          </>
        ) : (
          <>
            <p className="hint" id="login-code-intro">
              {t("login.codeIntro", { username: username.trim() })}
            </p>
            <TextField
              ref={codeInput}
              id="login-code"
              label={t("login.code")}
              hint={t("login.codeHint")}
              name="totp"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              value={code}
              onChange={(e) => setCode(e.target.value.replace(/\D/g, ""))}
              error={invalid.code}
              required
            />
          </>
        )}
        <FormErrors lines={error ? [error] : []} testId="login-error" />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={busy} data-testid="login-submit">
            {busy ? t("login.busy") : step === "totp" ? t("login.verify") : t("login.submit")}
          </button>
          {step === "totp" && (
            <button
              type="button"
              onClick={() => {
                setStep("password");
                setCode("");
                setPassword("");
                setError(undefined);
              }}
            >
              {t("login.back")}
            </button>
          )}
        </div>
      </form>
      {oidcInfo?.enabled && (
        <p className="oidc">
          <a
            className="button-link"
            href={`/api/auth/oidc/login?returnTo=${encodeURIComponent(next)}`}
            data-testid="oidc-login"
          >
            {t("login.oidc")}
            {oidcInfo.label ? ` (${oidcInfo.label})` : ""}
          </a>
        </p>
      )}
      <p className="hint">{t("login.help")}</p>
    </div>
  );
}
