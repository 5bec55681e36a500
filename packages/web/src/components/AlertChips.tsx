/** The severity of an alert or test as a coloured chip with its name, and an alert's status. */
import { useTranslation } from "react-i18next";
import type { AlertStatus, Severity } from "../api/types";

export function SeverityChip({ severity }: { readonly severity: Severity }) {
  const { t } = useTranslation();
  return (
    <span className={`chip severity severity-${severity}`} data-severity={severity}>
      <span className="chip-dot" aria-hidden="true" />
      {t(`severity.${severity}`)}
    </span>
  );
}

export function StatusChip({ status }: { readonly status: AlertStatus }) {
  const { t } = useTranslation();
  return (
    <span className={`chip alert-status alert-status-${status}`} data-status={status}>
      {t(`alertStatus.${status}`)}
    </span>
  );
}
