/**
 * The account in the header: "Inloggen" for visitors; for a logged-in user a disclosure button with
 * their name that opens who they are (name, role, organisation), their account page (password, what
 * they may see) and "Uitloggen". Escape and a click outside close it; focus returns to the button.
 * Login and logout are announced in a status region.
 */
import { useEffect, useId, useLayoutEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { useApp } from "../app-context";
import { logout, useSession } from "../lib/session";
import { formatState, parseState } from "../lib/url-state";
import { StateLink } from "./StateLink";

/** The current page as a place to return to after logging in (not the login page itself). */
export function currentPlace(lang: "nl" | "en"): string {
  const s = parseState(location.search, lang);
  if (s.view === "login") return s.next ?? "/";
  return formatState(s, lang);
}

export function UserMenu() {
  const { t } = useTranslation();
  const { state, update } = useApp();
  const { session, known, epoch } = useSession();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<string>();
  const [announcement, setAnnouncement] = useState("");
  const button = useRef<HTMLButtonElement>(null);
  const loginLink = useRef<HTMLAnchorElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const focusLogin = useRef(false);
  const panelId = useId();
  const firstEpoch = useRef(epoch);

  // Say who is logged in after a change (not at page load); after a logout the focus goes to
  // "Inloggen" before the browser paints, so it is never left on the removed menu button.
  useLayoutEffect(() => {
    if (epoch === firstEpoch.current) return;
    setOpen(false);
    setAnnouncement(
      session.authenticated
        ? t("user.loggedInAs", { name: session.user.displayName })
        : t("user.loggedOutNotice"),
    );
    if (!session.authenticated && focusLogin.current) {
      focusLogin.current = false;
      loginLink.current?.focus();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [epoch]);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: PointerEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("pointerdown", onDown);
    return () => document.removeEventListener("pointerdown", onDown);
  }, [open]);

  const status = (
    <span className="visually-hidden" role="status">
      {announcement}
    </span>
  );

  if (!known) return <div className="user-menu">{status}</div>;

  if (!session.authenticated) {
    if (state.view === "login") return <div className="user-menu">{status}</div>;
    return (
      <div className="user-menu">
        <StateLink
          ref={loginLink}
          patch={{ view: "login", next: currentPlace(state.lang) }}
          className="login-link"
          data-testid="login-link"
        >
          {t("user.login")}
        </StateLink>
        {status}
      </div>
    );
  }

  const { user } = session;
  const close = (focus = true) => {
    setOpen(false);
    if (focus) button.current?.focus();
  };
  const onLogout = async () => {
    setError(undefined);
    focusLogin.current = true;
    try {
      await logout();
      // Pages that need an account make no sense any more: back to the map.
      if (["account", "admin", "audit"].includes(state.view)) update({ view: "map" }, { push: true });
    } catch (e) {
      focusLogin.current = false;
      setError(t("user.logoutFailed", { detail: e instanceof Error ? e.message : String(e) }));
    }
  };

  return (
    <div
      className="user-menu"
      ref={box}
      onKeyDown={(e) => {
        if (e.key === "Escape" && open) {
          e.stopPropagation();
          close();
        }
      }}
    >
      <button
        ref={button}
        type="button"
        className="user-button"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen(!open)}
        data-testid="user-button"
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" width="20" height="20">
          <circle cx="12" cy="8" r="4" fill="none" stroke="currentColor" strokeWidth="2" />
          <path d="M4 21c0-4.4 3.6-7 8-7s8 2.6 8 7" fill="none" stroke="currentColor" strokeWidth="2" />
        </svg>
        <span className="user-name">{user.displayName}</span>
        <span className="visually-hidden">{t("user.menu")}</span>
      </button>
      <div id={panelId} className="user-panel" hidden={!open} data-testid="user-panel">
        <p className="user-who">
          <strong>{user.displayName}</strong>
          <span>
            {t("user.username")}: {user.username}
          </span>
          <span>
            {t("user.role")}: {t(`role.${user.role}`)}
          </span>
          <span>
            {t("user.organisation")}: {user.organisation}
          </span>
        </p>
        <ul>
          <li>
            <StateLink patch={{ view: "account" }} onClick={() => close(false)} className="button-link">
              {t("user.account")}
            </StateLink>
          </li>
          <li>
            <button type="button" onClick={() => void onLogout()} data-testid="logout">
              {t("user.logout")}
            </button>
          </li>
        </ul>
        {error && (
          <p role="alert" className="field-error">
            {error}
          </p>
        )}
      </div>
      {status}
    </div>
  );
}
