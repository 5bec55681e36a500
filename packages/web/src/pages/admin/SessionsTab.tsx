/** Live sessions: who is logged in, since when, how; end one. */
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { accounts } from "../../api/accounts";
import { useApp } from "../../app-context";
import { dateTime, FormErrors } from "../../components/forms";
import { useAsync } from "../../lib/use-async";
import { ConfirmButton, Done } from "./common";

export function SessionsTab() {
  const { t } = useTranslation();
  const { state } = useApp();
  const [version, setVersion] = useState(0);
  const list = useAsync(() => accounts.sessions(), [version]);
  const [done, setDone] = useState<string>();
  const [error, setError] = useState<string[]>([]);

  const end = async (id: string, who: string) => {
    setDone(undefined);
    setError([]);
    try {
      await accounts.endSession(id);
      setDone(t("admin.sessions.ended", { who }));
      setVersion((v) => v + 1);
    } catch (e) {
      setError([e instanceof Error ? e.message : String(e)]);
    }
  };

  return (
    <>
      {list.value && (
        <p className="hint">
          {t("admin.sessions.limits", { idle: list.value.idleMinutes, hours: list.value.absoluteHours })}
        </p>
      )}
      <div className="form-actions">
        <button type="button" onClick={() => setVersion((v) => v + 1)}>
          {t("admin.refresh")}
        </button>
      </div>
      <Done text={done} />
      <FormErrors lines={error} />
      {list.state === "error" && (
        <p role="alert" className="page-error">
          {t("error.api", { detail: list.error.message })}
        </p>
      )}
      {!list.value && list.state === "loading" && <p className="loading">{t("loading")}</p>}
      {list.value && (
        <div className="table-wrap" tabIndex={0} role="region" aria-label={t("admin.tab.sessions")}>
          <table className="admin-table" data-testid="session-table">
            <thead>
              <tr>
                <th scope="col">{t("user.username")}</th>
                <th scope="col">{t("user.role")}</th>
                <th scope="col">{t("admin.sessions.method")}</th>
                <th scope="col">{t("admin.sessions.started")}</th>
                <th scope="col">{t("admin.sessions.lastSeen")}</th>
                <th scope="col">{t("admin.sessions.origin")}</th>
                <th scope="col">{t("admin.actions")}</th>
              </tr>
            </thead>
            <tbody>
              {list.value.sessions.map((s) => {
                const who = s.username ?? s.userId;
                return (
                  <tr key={s.id} data-id={s.id}>
                    <th scope="row">
                      {who}
                      {s.current && <span className="tag"> {t("admin.sessions.current")}</span>}
                    </th>
                    <td>{s.role ? t(`role.${s.role}`, { defaultValue: s.role }) : "–"}</td>
                    <td>{s.method}</td>
                    <td>{dateTime(s.createdAt, state.lang)}</td>
                    <td>{dateTime(s.lastSeenAt, state.lang)}</td>
                    <td>{s.origin}</td>
                    <td className="actions">
                      <ConfirmButton
                        question={
                          s.current ? t("admin.sessions.confirmOwn") : t("admin.sessions.confirmEnd", { who })
                        }
                        onConfirm={() => end(s.id, who)}
                      >
                        {t("admin.sessions.end")}
                        <span className="visually-hidden"> {who}</span>
                      </ConfirmButton>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
