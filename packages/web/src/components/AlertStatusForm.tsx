/**
 * Work on an alert: set its status (acknowledged, investigating, closed with a reason, or back to new)
 * — for logged-in analysts, field workers, policy advisors and partners who may see the alert. The
 * change goes through the one write helper (PATCH with the session's CSRF token); the server checks
 * the role and the access policy again and records it in the alert's history and the audit trail.
 */
import { useId, useRef, useState, type FormEvent } from "react";
import { useTranslation } from "react-i18next";
import { ALERT_ROLES } from "../api/accounts";
import { ApiError, send } from "../api/client";
import type { AlertDetail, AlertStatus } from "../api/types";
import { useApp } from "../app-context";
import { useSession } from "../lib/session";
import { FormErrors, SelectField } from "./forms";
import { StateLink } from "./StateLink";
import { currentPlace } from "./UserMenu";

const SETTABLE: readonly AlertStatus[] = ["acknowledged", "investigating", "closed", "new"];

export function AlertStatusForm({
  alert,
  onChanged,
}: {
  readonly alert: AlertDetail;
  readonly onChanged: () => void;
}) {
  const { t } = useTranslation();
  const { state } = useApp();
  const { session } = useSession();
  const id = useId();
  const [status, setStatus] = useState<AlertStatus>(
    alert.status === "new" ? "acknowledged" : alert.status === "acknowledged" ? "investigating" : "closed",
  );
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState<string>();
  const [errors, setErrors] = useState<string[]>([]);
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const reasonInput = useRef<HTMLTextAreaElement>(null);

  if (!session.authenticated)
    return (
      <p className="hint no-print" data-testid="alert-status-login">
        {t("alertWork.loginFirst")}{" "}
        <StateLink patch={{ view: "login", next: currentPlace(state.lang) }} className="button-link">
          {t("user.login")}
        </StateLink>
      </p>
    );
  if (!ALERT_ROLES.includes(session.user.role))
    return (
      <p className="hint no-print">{t("alertWork.notYourRole", { role: t(`role.${session.user.role}`) })}</p>
    );

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(undefined);
    setErrors([]);
    if (status === "closed" && !reason.trim()) {
      setReasonError(t("alertWork.reasonNeeded"));
      reasonInput.current?.focus();
      return;
    }
    setReasonError(undefined);
    setBusy(true);
    try {
      await send("PATCH", `/api/alerts/${alert.id}`, {
        status,
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      });
      setReason("");
      setDone(t("alertWork.done", { status: t(`alertStatus.${status}`) }));
      onChanged();
    } catch (err) {
      setErrors([
        err instanceof ApiError && err.status === 403
          ? t("alertWork.refused", { detail: err.message })
          : t("error.api", { detail: err instanceof Error ? err.message : String(err) }),
      ]);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="admin-form alert-status-form no-print"
      onSubmit={(e) => void submit(e)}
      noValidate
      data-testid="alert-status-form"
    >
      <h3>{t("alertWork.title")}</h3>
      <div className="form-grid">
        <SelectField
          label={t("alertWork.status")}
          value={status}
          onChange={(e) => setStatus(e.target.value as AlertStatus)}
          data-testid="alert-status-select"
        >
          {SETTABLE.map((s) => (
            <option key={s} value={s}>
              {t(`alertStatus.${s}`)}
            </option>
          ))}
        </SelectField>
        <div className="field form-field wide">
          <label htmlFor={`${id}-reason`}>
            {status === "closed" ? t("alertWork.reasonRequired") : t("alertWork.reason")}
          </label>
          <textarea
            ref={reasonInput}
            id={`${id}-reason`}
            rows={3}
            maxLength={2000}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            aria-invalid={reasonError ? true : undefined}
            aria-describedby={reasonError ? `${id}-reason-error` : undefined}
            data-testid="alert-status-reason"
          />
          {reasonError && (
            <span id={`${id}-reason-error`} className="field-error">
              {reasonError}
            </span>
          )}
        </div>
      </div>
      <FormErrors lines={errors} />
      <p role="status" className="form-success">
        {done ?? ""}
      </p>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={busy} data-testid="alert-status-submit">
          {t("alertWork.submit")}
        </button>
      </div>
    </form>
  );
}
