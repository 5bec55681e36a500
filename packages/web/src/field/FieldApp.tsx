/**
 * The field app's frame: the connection state, "N wachten op verzending" (aria-live), the login when
 * the session ended while items wait, the three screens (the area, a new observation, the outbox)
 * behind a tab bar at the bottom of a phone screen, and the language switch.
 */
import { useEffect, useState, useSyncExternalStore } from "react";
import { useTranslation } from "react-i18next";
import { fieldApi, type Category, type Lang } from "./api";
import { DEFAULT_CATEGORIES } from "./categories";
import { FieldContext, type Screen } from "./context";
import { HomeScreen } from "./HomeScreen";
import { switchLang } from "./i18n";
import { LoginForm } from "./LoginForm";
import { NewObservation } from "./NewObservation";
import { cache, cached, type FieldDatabase, type Outbox } from "./outbox";
import { OutboxScreen } from "./OutboxScreen";
import { useFieldSession } from "./session";

const SCREENS: readonly Screen[] = ["home", "new", "outbox"];

function screenFromUrl(): Screen {
  const s = new URLSearchParams(location.search).get("s");
  return SCREENS.includes(s as Screen) ? (s as Screen) : "home";
}

export function FieldApp(props: {
  readonly db: FieldDatabase;
  readonly outbox: Outbox;
  readonly initialLang: Lang;
}) {
  const { db, outbox } = props;
  const { t } = useTranslation();
  const [lang, setLang] = useState<Lang>(props.initialLang);
  const [screen, setScreen] = useState<Screen>(screenFromUrl);
  const [categories, setCategories] = useState<readonly Category[]>(DEFAULT_CATEGORIES);
  const { items, status } = useSyncExternalStore(outbox.subscribe, outbox.getSnapshot);
  const session = useFieldSession();

  // Categories: the cached list at once, then the server's when online (and cached for next time).
  useEffect(() => {
    let live = true;
    void cached<Category[]>(db, "categories").then((c) => {
      if (live && c?.length) setCategories(c);
    });
    fieldApi
      .categories()
      .then(async (c) => {
        if (!c.length) return;
        await cache(db, "categories", c);
        if (live) setCategories(c);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [db, session.kind]);

  useEffect(() => {
    const back = () => setScreen(screenFromUrl());
    window.addEventListener("popstate", back);
    return () => window.removeEventListener("popstate", back);
  }, []);

  const go = (next: Screen) => {
    const url = new URL(location.href);
    if (next === "home") url.searchParams.delete("s");
    else url.searchParams.set("s", next);
    history.pushState(null, "", url);
    setScreen(next);
    requestAnimationFrame(() => document.getElementById("main")?.focus());
  };

  const waiting = items.filter((i) => i.state === "waiting" || i.state === "sending").length;
  const rejected = items.filter((i) => i.state === "rejected").length;
  const otherLang: Lang = lang === "nl" ? "en" : "nl";
  const loginShown = status.loginNeeded || session.kind === "anonymous";

  return (
    <FieldContext.Provider value={{ db, outbox, categories, lang, go }}>
      <div className="f-app">
        <a className="f-skip" href="#main">
          {t("field.skip")}
        </a>
        <header className="f-header">
          <a className="f-brand" href="/veld/">
            wijkradar <span>{t("field.brand")}</span>
          </a>
          <span
            className={`f-net ${status.online ? "f-net-on" : "f-net-off"}`}
            data-testid="net-state"
            data-online={status.online ? "true" : "false"}
          >
            {status.online ? t("field.online") : t("field.offline")}
          </span>
          <button
            type="button"
            className="f-lang"
            lang={otherLang}
            onClick={() => {
              void switchLang(otherLang).then(() => setLang(otherLang));
            }}
          >
            {otherLang === "en" ? "English" : "Nederlands"}
          </button>
        </header>
        <p className="f-pending" aria-live="polite" data-testid="pending" data-count={waiting}>
          {waiting > 0
            ? t("field.pending", { count: waiting })
            : rejected > 0
              ? t("field.rejectedCount", { count: rejected })
              : t("field.allSent")}
          {status.syncing ? ` ${t("field.sending")}` : ""}
        </p>
        {loginShown && (
          <section className="f-login" aria-labelledby="f-login-title" data-testid="login-needed">
            <h2 id="f-login-title">
              {status.loginNeeded && waiting > 0 ? t("field.login.again") : t("field.login.title")}
            </h2>
            <LoginForm onLoggedIn={() => outbox.loggedIn()} />
          </section>
        )}
        <main id="main" tabIndex={-1} className="f-main">
          {screen === "home" && <HomeScreen />}
          {screen === "new" && <NewObservation />}
          {screen === "outbox" && <OutboxScreen />}
        </main>
        <nav className="f-tabs" aria-label={t("field.nav.label")}>
          {SCREENS.map((s) => (
            <a
              key={s}
              href={s === "home" ? "/veld/" : `/veld/?s=${s}`}
              aria-current={screen === s ? "page" : undefined}
              data-testid={`tab-${s}`}
              onClick={(e) => {
                e.preventDefault();
                go(s);
              }}
            >
              {t(`field.nav.${s}`)}
              {s === "outbox" && waiting + rejected > 0 ? (
                <span className="f-badge">{waiting + rejected}</span>
              ) : null}
            </a>
          ))}
        </nav>
      </div>
    </FieldContext.Provider>
  );
}
