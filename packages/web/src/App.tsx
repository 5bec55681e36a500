import { lazy, Suspense, useEffect, useMemo } from "react";
import { useTranslation } from "react-i18next";
import { api } from "./api/client";
import { AppContextValue } from "./app-context";
import { Header } from "./components/Header";
import { rememberLang } from "./i18n";
import type { Lang } from "./lib/format";
import { useAsync } from "./lib/use-async";
import { useUrlState } from "./lib/url-state";
import { MapPage } from "./pages/MapPage";

// Charts and the profile are loaded when first opened: the map comes first.
const ProfilePage = lazy(() => import("./pages/ProfilePage"));
const ComparePage = lazy(() => import("./pages/ComparePage"));
const AlertsPage = lazy(() => import("./pages/AlertsPage"));
const AlertPage = lazy(() => import("./pages/AlertPage"));

export function App({ initialLang }: { readonly initialLang: Lang }) {
  const { t, i18n } = useTranslation();
  const [state, update] = useUrlState(initialLang);
  const indicators = useAsync(() => api.indicators(), []);

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

  let body;
  if (indicators.state === "error") {
    body = (
      <p role="alert" className="page-error">
        {t("error.api", { detail: indicators.error.message })}
      </p>
    );
  } else if (!indicators.value) {
    body = <p className="loading">{t("loading")}</p>;
  } else if (state.view === "profile") {
    body = <ProfilePage />;
  } else if (state.view === "compare") {
    body = <ComparePage />;
  } else if (state.view === "alerts") {
    body = <AlertsPage />;
  } else if (state.view === "alert") {
    body = <AlertPage />;
  } else {
    body = <MapPage />;
  }

  return (
    <AppContextValue.Provider value={ctx}>
      <Header />
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p className="loading">{t("loading")}</p>}>{body}</Suspense>
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
