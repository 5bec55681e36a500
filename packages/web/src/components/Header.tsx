import { useTranslation } from "react-i18next";
import type { AreaSummary } from "../api/types";
import { BOARD_ROLES } from "../api/field-work";
import { useApp } from "../app-context";
import { rank } from "../lib/levels";
import { useSession } from "../lib/session";
import type { View } from "../lib/url-state";
import { SearchBox } from "./SearchBox";
import { StateLink } from "./StateLink";
import { UserMenu } from "./UserMenu";

const TABS: readonly View[] = ["map", "table", "profile", "compare", "alerts"];
/** Tabs of one role: the administration for administrators, the audit trail for privacy officers. */
/** Views where a found area is shown in place; from any other view it opens on the map. */
const MAP_VIEWS: readonly View[] = ["map", "table", "profile", "compare", "alerts"];
const ROLE_TABS: Readonly<Record<string, View>> = { admin: "admin", "privacy-officer": "audit" };

export function Header() {
  const { t } = useTranslation();
  const { state, update } = useApp();
  const { session } = useSession();
  const roleTab = session.authenticated ? ROLE_TABS[session.user.role] : undefined;
  // Interventions for the roles that work with signal boards.
  const boardTab: View[] =
    session.authenticated && BOARD_ROLES.includes(session.user.role) ? ["interventions"] : [];
  const tabs = [...TABS, ...boardTab, ...(roleTab ? [roleTab] : [])];

  // A found area opens where the user is: its profile on the profile page, else the map of it.
  const onSelect = (area: AreaSummary) => {
    if (state.view === "profile" || state.view === "board") update({ area: area.code }, { push: true });
    else if (state.view === "compare")
      update({ compare: [...new Set([...state.compare, area.code])] }, { push: true });
    else if (state.view === "alerts")
      // The inbox filters to the area: a gemeente with its wijken and buurten, else the area itself.
      update(
        {
          filter: {
            ...state.filter,
            page: 1,
            gemeente: area.level === "gemeente" ? area.code : undefined,
            area: area.level === "gemeente" || area.level === "land" ? undefined : area.code,
          },
        },
        { push: true },
      );
    else if (state.view === "alert" || !MAP_VIEWS.includes(state.view))
      update(
        { view: "map", area: area.code, level: rank(area.level) >= 1 ? area.level : undefined },
        { push: true },
      );
    else {
      // Show the area among its siblings at its own level (a buurt among the buurten of its wijk).
      update({ area: area.code, level: rank(area.level) >= 1 ? area.level : undefined }, { push: true });
    }
  };

  return (
    <header className="app-header">
      <a className="skip-link" href="#main">
        {t("nav.skip")}
      </a>
      <StateLink patch={{ view: "map", area: "NL01", level: undefined }} className="brand">
        <svg aria-hidden="true" viewBox="0 0 32 32" width="28" height="28">
          <circle cx="16" cy="16" r="10" fill="none" stroke="currentColor" strokeWidth="3" />
          <circle cx="16" cy="16" r="3.5" fill="currentColor" />
        </svg>
        <span>wijkradar</span>
      </StateLink>
      <nav aria-label={t("nav.label")} className="tabs">
        <ul>
          {tabs.map((view) => (
            <li key={view}>
              <StateLink
                patch={{ view }}
                aria-current={
                  state.view === view ||
                  (view === "alerts" && state.view === "alert") ||
                  (view === "interventions" && state.view === "intervention")
                    ? "page"
                    : undefined
                }
              >
                {t(`nav.${view}`)}
              </StateLink>
            </li>
          ))}
          {boardTab.length > 0 && (
            <li>
              {/* The field app is a page of its own (a light PWA for the phone), not a view. */}
              <a href="/veld/" data-testid="nav-field">
                {t("nav.field")}
              </a>
            </li>
          )}
        </ul>
      </nav>
      <SearchBox onSelect={onSelect} id="area-search" />
      <button
        type="button"
        className="lang-switch"
        lang={state.lang === "nl" ? "en" : "nl"}
        onClick={() => update({ lang: state.lang === "nl" ? "en" : "nl" })}
      >
        {state.lang === "nl" ? "English" : "Nederlands"}
      </button>
      <UserMenu />
    </header>
  );
}
