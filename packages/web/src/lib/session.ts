/**
 * Who is logged in, for the whole app: the session the server answered (GET /api/auth/session), its
 * CSRF token handed to the API client, and an `epoch` that changes whenever the identity changes
 * (login, logout, an ended session) — pages key their data on it, so nothing one identity was shown
 * lingers for the next. An ended session (a 401 from any data request) becomes the anonymous visitor
 * with the server's reason, which the login view shows.
 */
import { useSyncExternalStore } from "react";
import { accounts, ANONYMOUS, type SessionInfo } from "../api/accounts";
import { clearCache, onSessionEnded, setCsrfToken } from "../api/client";

export interface SessionState {
  /** False until the first answer of GET /api/auth/session (or its failure). */
  readonly known: boolean;
  readonly session: SessionInfo;
  /** Changes with every change of identity. */
  readonly epoch: number;
  /** Why the last session ended (the server's words), until the next login. */
  readonly endedReason?: string;
}

let state: SessionState = { known: false, session: ANONYMOUS, epoch: 0 };
const listeners = new Set<() => void>();

function set(next: SessionState): void {
  state = next;
  setCsrfToken(next.session.authenticated ? next.session.csrfToken : undefined);
  for (const l of listeners) l();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function getSessionState(): SessionState {
  return state;
}

export function useSession(): SessionState {
  return useSyncExternalStore(subscribe, getSessionState);
}

const sameUser = (a: SessionInfo, b: SessionInfo): boolean =>
  a.authenticated === b.authenticated &&
  (!a.authenticated || (b.authenticated && a.user.id === b.user.id && a.user.role === b.user.role));

/** A new session (or none): forgets every cached answer when the identity changed. */
export function applySession(session: SessionInfo, endedReason?: string): void {
  // The first answer changes nothing: what was fetched meanwhile was asked with the same cookie.
  const changed = state.known && !sameUser(state.session, session);
  if (changed) clearCache();
  set({
    known: true,
    session,
    epoch: changed ? state.epoch + 1 : state.epoch,
    endedReason: session.authenticated ? undefined : endedReason,
  });
}

/** Asks the server who we are (at start). A failure counts as a visitor: the data routes still work. */
export async function loadSession(): Promise<void> {
  try {
    applySession(await accounts.session());
  } catch {
    applySession(ANONYMOUS);
  }
}

/** Ends the session; on failure asks the server again who we are (and rethrows). */
export async function logout(): Promise<void> {
  try {
    await accounts.logout();
  } catch (e) {
    await loadSession();
    throw e;
  }
  applySession(ANONYMOUS);
}

let wired = false;
let endedHandler: ((reason: string) => void) | undefined;
/** Listens for 401 answers of the API once: the session ended (or was never there). */
export function watchSessionEnd(onEnded: (reason: string) => void): () => void {
  if (wired) return () => undefined;
  wired = true;
  endedHandler = onEnded;
  const off = onSessionEnded((detail) => {
    const was = state.session.authenticated;
    applySession(ANONYMOUS, detail);
    if (was || /session has ended/i.test(detail)) onEnded(detail);
  });
  return () => {
    off();
    wired = false;
    endedHandler = undefined;
  };
}

/**
 * Asks the server whether the session still lives (cheap, never cached). When the session has ended
 * the server says why (`ended`, e.g. "no activity for 30 min") and forgets the cookie; this page then
 * ends it too, with that reason.
 */
export async function recheckSession(): Promise<void> {
  if (!state.session.authenticated) return;
  let now: SessionInfo;
  try {
    now = await accounts.session();
  } catch {
    return; // the server is unreachable: the next request will say more
  }
  if (now.authenticated || !state.session.authenticated) return;
  const reason = now.ended ?? "";
  applySession(ANONYMOUS, reason);
  endedHandler?.(reason);
}

/** The roles that see a view: the administration for admins, the audit trail for privacy officers. */
export function roleOf(s: SessionInfo): string {
  return s.authenticated ? s.user.role : "public";
}
