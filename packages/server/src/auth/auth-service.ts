/**
 * Logins and sessions. A session is a 256-bit random token in an httpOnly, SameSite=Lax cookie
 * (Secure behind TLS); the database keeps only its sha256. Every login makes a new token (and ends a
 * session the browser still had); sessions end after an idle time (default 30 min) and an absolute
 * time (default 12 h), at logout, and when the user is disabled. Each session has its own CSRF token
 * that state-changing requests must send back in `X-CSRF-Token`.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { PUBLIC_ROLE, type Actor } from "@wijkradar/core";
import type { Database } from "../store/database.js";
import {
  endSessions,
  getSession,
  getUser,
  getUserByName,
  insertSession,
  touchSessions,
  updateUser,
  type SessionRow,
  type UserRow,
} from "../store/identity-repository.js";
import { verifyPassword } from "./passwords.js";
import { DEFAULT_THROTTLE, LoginThrottle, type ThrottleSettings } from "./throttle.js";
import { TotpVerifier } from "./totp.js";

export const SESSION_COOKIE = "wr_session";

export interface SessionSettings {
  readonly idleMinutes: number;
  readonly absoluteHours: number;
  readonly throttle: ThrottleSettings;
}

export const DEFAULT_SESSION_SETTINGS: SessionSettings = {
  idleMinutes: 30,
  absoluteHours: 12,
  throttle: DEFAULT_THROTTLE,
};

/** A login that did not succeed; `status` is the HTTP status to answer with. */
export class LoginError extends Error {
  override readonly name = "LoginError";
  constructor(
    readonly status: 401 | 403 | 429,
    message: string,
    /** prompt: not a failure, the login needs one more thing (the TOTP code). */
    readonly extra: { retryAfter?: number; secondFactor?: "totp"; prompt?: boolean; userId?: string } = {},
  ) {
    super(message);
  }
}

export interface LiveSession {
  readonly token: string;
  readonly session: SessionRow;
  readonly user: UserRow;
}

export type Resolved =
  | { readonly kind: "session"; readonly session: SessionRow; readonly user: UserRow }
  | { readonly kind: "ended"; readonly reason: string };

const sha256 = (s: string): string => createHash("sha256").update(s).digest("hex");

/** The anonymous visitor: sees what grants to the "public" role allow (open data). */
export const PUBLIC_ACTOR: Actor = { id: "anonymous", roles: [PUBLIC_ROLE], purpose: "open-data" };

/** The policy's view of a user. */
export function actorOfUser(user: UserRow): Actor {
  return { id: user.id, roles: [user.role], purpose: user.purpose, organisation: user.organisationId };
}

/** Whether two CSRF tokens are equal (constant time). */
export function csrfMatches(expected: string, given: string | undefined): boolean {
  const a = Buffer.from(given ?? "");
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export class AuthService {
  readonly throttle: LoginThrottle;
  private readonly totp: TotpVerifier;
  // Live sessions by token hash: one database read per session, not per request.
  private readonly cache = new Map<string, { session: SessionRow; user: UserRow; lastSeen: number }>();
  private readonly touched = new Map<string, Date>();
  private touchTimer: NodeJS.Timeout | undefined;
  // Bumped by every revocation: a resolve that read the store before it must read again, so an
  // ended session never comes back into the cache.
  private revocations = 0;

  constructor(
    private readonly db: Database,
    readonly settings: SessionSettings = DEFAULT_SESSION_SETTINGS,
    private readonly now: () => number = Date.now,
  ) {
    this.throttle = new LoginThrottle(settings.throttle, now);
    this.totp = new TotpVerifier(now);
  }

  /**
   * Password login (plus TOTP when the user has it; administrators must). Failed attempts count per
   * account and address; the answer never says whether an account exists.
   */
  async loginWithPassword(
    input: { username: string; password: string; totp?: string | undefined },
    ip: string,
  ): Promise<UserRow> {
    const account = input.username.trim().toLowerCase();
    const wait = this.throttle.retryAfter(account, ip);
    if (wait > 0)
      throw new LoginError(429, `too many failed logins; try again in ${wait} s`, { retryAfter: wait });
    const user = await getUserByName(this.db, account);
    const ok = await verifyPassword(input.password, user?.passwordHash ?? null);
    if (!user || !ok) {
      this.throttle.failed(account, ip);
      // The audit record names the account when it exists (its id, never the typed name).
      throw new LoginError(401, "user name or password is wrong", user ? { userId: user.id } : {});
    }
    if (user.disabled)
      throw new LoginError(403, "this account is disabled; ask an administrator", { userId: user.id });
    if (user.totpSecret) {
      if (!input.totp)
        throw new LoginError(401, "enter the 6-digit code of your authenticator app", {
          secondFactor: "totp",
          prompt: true,
        });
      if (!this.totp.verify(user.id, user.totpSecret, input.totp)) {
        this.throttle.failed(account, ip);
        throw new LoginError(401, "the authenticator code is wrong or was already used", {
          secondFactor: "totp",
          userId: user.id,
        });
      }
    } else if (user.role === "admin") {
      throw new LoginError(
        403,
        `administrators need a second factor: enrol with \`wijkradar users totp ${user.username}\``,
        { userId: user.id },
      );
    }
    this.throttle.succeeded(account);
    return user;
  }

  /** Starts a session for a user who has just proven who they are; ends the one the browser had. */
  async startSession(
    user: UserRow,
    method: string,
    origin: string,
    previousToken: string | undefined,
  ): Promise<LiveSession> {
    if (previousToken) await this.logout(previousToken, "replaced by a new login");
    const token = randomBytes(32).toString("base64url");
    const at = new Date(this.now());
    const session = {
      tokenHash: sha256(token),
      userId: user.id,
      csrfToken: randomBytes(32).toString("base64url"),
      method,
      createdAt: at,
      lastSeenAt: at,
      origin,
    };
    await insertSession(this.db, session);
    await updateUser(this.db, user.id, { loggedIn: true });
    const row: SessionRow = { ...session, endedAt: null, endReason: null };
    this.cache.set(row.tokenHash, { session: row, user, lastSeen: at.getTime() });
    return { token, session: row, user };
  }

  /** The live session of a token, or why it ended; undefined for an unknown token. */
  async resolve(token: string): Promise<Resolved | undefined> {
    const hash = sha256(token);
    let entry = this.cache.get(hash);
    while (!entry) {
      const before = this.revocations;
      const session = await getSession(this.db, hash);
      if (!session) return undefined;
      if (session.endedAt) return { kind: "ended", reason: session.endReason ?? "ended" };
      const user = await getUser(this.db, session.userId);
      if (!user) return { kind: "ended", reason: "the user no longer exists" };
      if (this.revocations !== before) continue; // a revocation ran meanwhile: read again
      entry = { session, user, lastSeen: session.lastSeenAt.getTime() };
      this.cache.set(hash, entry);
    }
    const now = this.now();
    const idleMs = this.settings.idleMinutes * 60_000;
    const absoluteMs = this.settings.absoluteHours * 3_600_000;
    let reason: string | undefined;
    if (entry.user.disabled) reason = "the account was disabled";
    else if (now - entry.session.createdAt.getTime() > absoluteMs)
      reason = `the session reached its maximum of ${this.settings.absoluteHours} h`;
    else if (now - entry.lastSeen > idleMs) reason = `no activity for ${this.settings.idleMinutes} min`;
    if (reason) {
      this.cache.delete(hash);
      this.touched.delete(hash);
      await endSessions(this.db, { tokenHash: hash }, reason);
      return { kind: "ended", reason };
    }
    entry.lastSeen = now;
    this.touch(hash, new Date(now));
    return { kind: "session", session: entry.session, user: entry.user };
  }

  /** Last-seen times reach the database in batches (at most once a minute). */
  private touch(hash: string, at: Date): void {
    this.touched.set(hash, at);
    this.touchTimer ??= setTimeout(() => {
      this.touchTimer = undefined;
      void this.flushTouches().catch(() => undefined);
    }, 60_000).unref();
  }

  async flushTouches(): Promise<void> {
    if (this.touchTimer) clearTimeout(this.touchTimer);
    this.touchTimer = undefined;
    const batch = new Map(this.touched);
    this.touched.clear();
    if (batch.size > 0 && !this.db.readOnly) await touchSessions(this.db, batch);
  }

  async logout(token: string, reason = "logged out"): Promise<void> {
    await this.endSession(sha256(token), reason);
  }

  /**
   * Ends one session by its hash (logout, administration). The store first, the cache before and
   * after: no request sees it live once this returns, none puts it back (see `revocations`).
   */
  async endSession(tokenHash: string, reason: string): Promise<boolean> {
    this.revocations++;
    this.cache.delete(tokenHash);
    this.touched.delete(tokenHash);
    const ended = await endSessions(this.db, { tokenHash }, reason);
    this.revocations++;
    this.cache.delete(tokenHash);
    return ended.length > 0;
  }

  /** Ends every live session of a user (disabled, role or organisation changed, password reset). */
  async endUserSessions(userId: string, reason: string): Promise<number> {
    this.revocations++;
    this.forgetUser(userId);
    const ended = await endSessions(this.db, { userId }, reason);
    this.revocations++;
    this.forgetUser(userId);
    return ended.length;
  }

  /** Forgets cached users (their role, organisation or purpose changed). */
  forgetUser(userId: string): void {
    for (const [hash, e] of this.cache) if (e.user.id === userId) this.cache.delete(hash);
  }

  async close(): Promise<void> {
    await this.flushTouches().catch(() => undefined);
  }
}
