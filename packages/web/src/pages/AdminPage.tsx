/**
 * The administration (administrators only): organisations, users, grants and live sessions, one tab
 * each (?v=admin&tab=…). Every change goes through the API with the session's CSRF token and is
 * audited there; one-time secrets are shown once.
 */
import { useTranslation } from "react-i18next";
import { useApp } from "../app-context";
import { StateLink } from "../components/StateLink";
import { ADMIN_TABS } from "../lib/url-state";
import { GrantsTab } from "./admin/GrantsTab";
import { OrganisationsTab } from "./admin/OrganisationsTab";
import { SessionsTab } from "./admin/SessionsTab";
import { UsersTab } from "./admin/UsersTab";

export default function AdminPage() {
  const { t } = useTranslation();
  const { state } = useApp();
  const tab = state.adminTab;
  return (
    <div className="admin-page" data-testid="admin" data-tab={tab}>
      <h1>{t("admin.title")}</h1>
      <nav aria-label={t("admin.tabsLabel")} className="sub-tabs">
        <ul>
          {ADMIN_TABS.map((x) => (
            <li key={x}>
              <StateLink patch={{ view: "admin", adminTab: x }} aria-current={x === tab ? "page" : undefined}>
                {t(`admin.tab.${x}`)}
              </StateLink>
            </li>
          ))}
        </ul>
      </nav>
      <section aria-labelledby="admin-tab-title" className="admin-tab">
        <h2 id="admin-tab-title">{t(`admin.tab.${tab}`)}</h2>
        {tab === "organisations" && <OrganisationsTab />}
        {tab === "users" && <UsersTab />}
        {tab === "grants" && <GrantsTab />}
        {tab === "sessions" && <SessionsTab />}
      </section>
    </div>
  );
}
