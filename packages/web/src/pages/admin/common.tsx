/**
 * Pieces the administration tabs share: a button that asks "are you sure?" in place, the notice that
 * shows a one-time secret once (with copy buttons and a warning), and a success line.
 */
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { useTranslation } from "react-i18next";

/** A destructive action in two steps: the button, then "are you sure?" with confirm and cancel. */
export function ConfirmButton({
  children,
  question,
  onConfirm,
  disabled,
  testId,
}: {
  readonly children: ReactNode;
  readonly question: string;
  readonly onConfirm: () => void | Promise<void>;
  readonly disabled?: boolean;
  readonly testId?: string;
}) {
  const { t } = useTranslation();
  const [asking, setAsking] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  const first = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  useEffect(() => {
    if (asking) yes.current?.focus();
    else if (wasAsking.current) first.current?.focus();
    wasAsking.current = asking;
  }, [asking]);
  if (!asking)
    return (
      <button
        ref={first}
        type="button"
        className="danger"
        onClick={() => setAsking(true)}
        disabled={disabled}
        data-testid={testId}
      >
        {children}
      </button>
    );
  return (
    <span className="confirm" role="group" aria-label={question}>
      <span className="confirm-question">{question}</span>
      <button
        ref={yes}
        type="button"
        className="danger"
        onClick={() => {
          setAsking(false);
          void onConfirm();
        }}
        data-testid={testId ? `${testId}-yes` : undefined}
      >
        {t("admin.confirmYes")}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        {t("admin.confirmNo")}
      </button>
    </span>
  );
}

export interface Secret {
  readonly label: string;
  readonly value: string;
}

/**
 * A secret the server answers once (a one-time password, a TOTP secret): shown here once, with a copy
 * button per value and a clear warning; "Ik heb het genoteerd" removes it. Focus moves to it.
 */
export function SecretNotice({
  title,
  secrets,
  onDone,
}: {
  readonly title: string;
  readonly secrets: readonly Secret[];
  readonly onDone: () => void;
}) {
  const { t } = useTranslation();
  const heading = useRef<HTMLHeadingElement>(null);
  const id = useId();
  const [copied, setCopied] = useState<string>();
  useEffect(() => heading.current?.focus(), []);
  const copy = async (s: Secret, input: HTMLInputElement | null) => {
    try {
      await navigator.clipboard.writeText(s.value);
      setCopied(t("admin.secret.copied", { what: s.label }));
    } catch {
      // No clipboard (insecure origin, refused): select the text so Ctrl+C copies it.
      input?.select();
      setCopied(t("admin.secret.selectCopy", { what: s.label }));
    }
  };
  return (
    <section className="secret-notice" aria-labelledby={`${id}-title`} data-testid="secret-notice">
      <h3 id={`${id}-title`} tabIndex={-1} ref={heading}>
        {title}
      </h3>
      <p className="secret-warning">
        <strong>{t("admin.secret.warningStrong")}</strong> {t("admin.secret.warning")}
      </p>
      {secrets.map((s, i) => (
        <SecretValue key={s.label} secret={s} id={`${id}-${i}`} onCopy={(x, input) => void copy(x, input)} />
      ))}
      <p role="status" className="form-success">
        {copied ?? ""}
      </p>
      <button type="button" className="primary" onClick={onDone}>
        {t("admin.secret.done")}
      </button>
    </section>
  );
}

function SecretValue({
  secret,
  id,
  onCopy,
}: {
  readonly secret: Secret;
  readonly id: string;
  readonly onCopy: (s: Secret, input: HTMLInputElement | null) => void;
}) {
  const { t } = useTranslation();
  const input = useRef<HTMLInputElement>(null);
  return (
    <div className="field secret-value">
      <label htmlFor={id}>{secret.label}</label>
      <div className="inline">
        <input
          ref={input}
          id={id}
          type="text"
          readOnly
          value={secret.value}
          spellCheck={false}
          autoComplete="off"
          data-testid="secret-value"
          onFocus={(e) => e.target.select()}
        />
        <button type="button" onClick={() => onCopy(secret, input.current)}>
          {t("admin.secret.copy")}
          <span className="visually-hidden"> {secret.label}</span>
        </button>
      </div>
    </div>
  );
}

/** A line that says what just happened (announced). */
export function Done({ text }: { readonly text?: string }) {
  return (
    <p role="status" className="form-success" data-testid="admin-done">
      {text ?? ""}
    </p>
  );
}
