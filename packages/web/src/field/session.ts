/**
 * The field app's session: who is logged in (GET /api/auth/session) and the CSRF token for posting
 * observations. Offline the session is "unknown": observations are saved all the same and wait. A
 * 401 while sending (the session ended while offline) keeps the outbox and asks for a new login.
 */
import { useSyncExternalStore } from "react";
import { accounts, type SessionInfo } from "../api/accounts";
import { setCsrfToken } from "../api/client";

export type FieldSession =
  | { readonly kind: "unknown" }
  | { readonly kind: "anonymous"; readonly ended?: string }
  | { readonly kind: "user"; readonly info: Extract<SessionInfo, { authenticated: true }> };

let current: FieldSession = { kind: "unknown" };
const listeners = new Set<() => void>();

export function setSession(next: FieldSession): void {
  current = next;
  setCsrfToken(next.kind === "user" ? next.info.csrfToken : undefined);
  for (const l of listeners) l();
}

export function applySessionInfo(info: SessionInfo): void {
  setSession(info.authenticated ? { kind: "user", info } : { kind: "anonymous", ended: info.ended });
}

/** Asks the server; unreachable leaves the session unknown (offline). */
export async function loadSession(): Promise<FieldSession> {
  try {
    applySessionInfo(await accounts.session());
  } catch {
    if (current.kind !== "user") setSession({ kind: "unknown" });
  }
  return current;
}

export const getSession = (): FieldSession => current;

export function useFieldSession(): FieldSession {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
}
