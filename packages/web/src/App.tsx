import { lazy, Suspense, useEffect, useMemo } from "react";
import { useTranslation } from "react-i18next";
import { api } from "./api/client";
import { BOARD_ROLES } from "./api/field-work";
import { AppContextValue } from "./app-context";
import { Header } from "./components/Header";
import { currentPlace } from "./components/UserMenu";
import { rememberLang } from "./i18n";
import type { Lang } from "./lib/format";
import { loadSession, recheckSession, roleOf, useSession, watchSessionEnd } from "./lib/session";
import { useAsync } from "./lib/use-async";
import { formatState, parseState, useUrlState, type View } from "./lib/url-state";
import { LoginPage } from "./pages/LoginPage";
import { MapPage } from "./pages/MapPage";

// Charts and the profile are loaded when first opened: the map comes first.
const ProfilePage = lazy(() => import("./pages/ProfilePage"));
const ComparePage = lazy(() => import("./pages/ComparePage"));
const AlertsPage = lazy(() => import("./pages/AlertsPage"));
const AlertPage = lazy(() => import("./pages/AlertPage"));
const AccountPage = lazy(() => import("./pages/AccountPage"));
const AdminPage = lazy(() => import("./pages/AdminPage"));
const AuditPage = lazy(() => import("./pages/AuditPage"));
const BoardPage = lazy(() => import("./pages/BoardPage"));
const InterventionsPage = lazy(() => import("./pages/InterventionsPage"));
const InterventionPage = lazy(() => import("./pages/InterventionPage"));

/** Views for logged-in users only, and the role (or one of the roles) each needs (any role when null). */
const NEEDS: Partial<Record<View, string | readonly string[] | null>> = {
  account: null,
  admin: "admin",
  audit: "privacy-officer",
  board: BOARD_ROLES,
  interventions: BOARD_ROLES,
  intervention: BOARD_ROLES,
};

export function App({ initialLang }: { readonly initialLang: Lang }) {
  const { t, i18n } = useTranslation();
  const [state, update] = useUrlState(initialLang);
  const session = useSession();
  const indicators = useAsync(() => api.indicators(), [session.epoch]);

  useEffect(() => {
    void loadSession();
    // An ended session (a 401 from any request): the login view, with the page to return to.
    return watchSessionEnd(() => {
      const here = parseState(location.search, initialLang);
      if (here.view === "login") return;
      const next = formatState({ ...here, view: "login", next: currentPlace(here.lang) }, initialLang);
      history.replaceState(null, "", next);
      window.dispatchEvent(new Event("wijkradar:navigate"));
    });
  }, [initialLang]);

  // Still logged in? At every change of view and when the page comes back into view.
  useEffect(() => {
    void recheckSession();
  }, [state.view]);
  useEffect(() => {
    const onVisible = () => {
      if (document.visibilityState === "visible") void recheckSession();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, []);

  useEffect(() => {
    if (i18n.language !== state.lang) void i18n.changeLanguage(state.lang);
    document.documentElement.lang = state.lang;
    rememberLang(state.lang);
  }, [state.lang, i18n]);

  useEffect(() => {
    document.title = `${t(`nav.${state.view}`)} · wijkradar`;
  }, [state.view, t, state.lang]);

  const ctx = useMemo(
    () => ({ state, update, indicators: indicators.value ?? [] }),
    [state, update, indicators.value],
  );

  const need = NEEDS[state.view];
  let body;
  if (state.view === "login") {
    body = <LoginPage />;
  } else if (need !== undefined && !session.known) {
    body = <p className="loading">{t("loading")}</p>;
  } else if (need !== undefined && !session.session.authenticated) {
    // Not logged in: log in here, and come back to this page.
    body = <LoginPage next={currentPlace(state.lang)} />;
  } else if (
    need &&
    (typeof need === "string" ? roleOf(session.session) !== need : !need.includes(roleOf(session.session)))
  ) {
    body = (
      <div className="page-narrow">
        <h1>{t(`nav.${state.view}`)}</h1>
        <p role="alert" className="page-error" data-testid="forbidden">
          {t("user.forbidden", {
            role: (typeof need === "string" ? [need] : need).map((r) => t(`role.${r}`)).join(", "),
          })}
        </p>
      </div>
    );
  } else if (state.view === "account") {
    body = <AccountPage />;
  } else if (state.view === "admin") {
    body = <AdminPage />;
  } else if (state.view === "audit") {
    body = <AuditPage />;
  } else if (indicators.state === "error") {
    body = (
      <p role="alert" className="page-error">
        {t("error.api", { detail: indicators.error.message })}
      </p>
    );
  } else if (!indicators.value || !session.known) {
    body = <p className="loading">{t("loading")}</p>;
  } else if (state.view === "profile") {
    body = <ProfilePage />;
  } else if (state.view === "compare") {
    body = <ComparePage />;
  } else if (state.view === "alerts") {
    body = <AlertsPage />;
  } else if (state.view === "alert") {
    body = <AlertPage />;
  } else if (state.view === "board") {
    body = <BoardPage />;
  } else if (state.view === "interventions") {
    body = <InterventionsPage />;
  } else if (state.view === "intervention") {
    body = <InterventionPage />;
  } else {
    body = <MapPage />;
  }

  return (
    <AppContextValue.Provider value={ctx}>
      <Header />
      <main id="main" tabIndex={-1}>
        {/* A new identity starts every page afresh: nothing shown to the previous one lingers. */}
        <Suspense key={session.epoch} fallback={<p className="loading">{t("loading")}</p>}>
          {body}
        </Suspense>
      </main>
      <footer className="app-footer">
        <p>{t("footer.text")}</p>
        <p>
          <a href="/api/docs">{t("footer.api")}</a>
        </p>
      </footer>
    </AppContextValue.Provider>
  );
}
