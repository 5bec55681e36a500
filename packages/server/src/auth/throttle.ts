/**
 * Login throttling: failed attempts are counted per account and per IP address in a sliding window;
 * past the limit further attempts are refused with HTTP 429 and a Retry-After until the oldest
 * failure leaves the window. Both counters, so neither guessing one account from many addresses nor
 * many accounts from one address works. In memory: a restart forgets (documented in docs/security.md).
 */

export interface ThrottleSettings {
  /** Failed logins per account within the window (default 5). */
  readonly perAccount: number;
  /** Failed logins per IP address within the window (default 20). */
  readonly perIp: number;
  readonly windowSeconds: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = { perAccount: 5, perIp: 20, windowSeconds: 900 };

export class LoginThrottle {
  private readonly byAccount = new Map<string, number[]>();
  private readonly byIp = new Map<string, number[]>();

  constructor(
    private readonly settings: ThrottleSettings = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  private recent(map: Map<string, number[]>, key: string): number[] {
    const cutoff = this.now() - this.settings.windowSeconds * 1000;
    const list = (map.get(key) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) map.delete(key);
    else map.set(key, list);
    return list;
  }

  /** Seconds to wait before another attempt is allowed, or 0. */
  retryAfter(account: string, ip: string): number {
    const wait = (list: number[], max: number): number =>
      list.length >= max
        ? Math.max(
            1,
            Math.ceil((list[list.length - max]! + this.settings.windowSeconds * 1000 - this.now()) / 1000),
          )
        : 0;
    return Math.max(
      wait(this.recent(this.byAccount, account.toLowerCase()), this.settings.perAccount),
      wait(this.recent(this.byIp, ip), this.settings.perIp),
    );
  }

  failed(account: string, ip: string): void {
    const t = this.now();
    this.byAccount.set(account.toLowerCase(), [...this.recent(this.byAccount, account.toLowerCase()), t]);
    this.byIp.set(ip, [...this.recent(this.byIp, ip), t]);
  }

  /** A successful login clears the account's failures (not the address's). */
  succeeded(account: string): void {
    this.byAccount.delete(account.toLowerCase());
  }
}
