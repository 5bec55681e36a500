/**
 * The optional second factor (required for administrators): TOTP (RFC 6238, 6 digits, 30 s, SHA-1,
 * as every authenticator app supports) with the `otpauth` library. A code is accepted once: a replay
 * within its window is refused.
 */
import { Secret, TOTP } from "otpauth";

const PERIOD = 30;

/** A new random secret (base32, 160 bits). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, label = "wijkradar"): TOTP {
  return new TOTP({
    issuer: "wijkradar",
    label,
    algorithm: "SHA1",
    digits: 6,
    period: PERIOD,
    secret: Secret.fromBase32(secret),
  });
}

/** The otpauth:// URI an authenticator app reads (as a QR code or typed in). */
export function totpUri(secret: string, username: string): string {
  return totp(secret, username).toString();
}

/** The current code (for tests and the CLI's enrolment check). */
export function totpCode(secret: string, at: number = Date.now()): string {
  return totp(secret).generate({ timestamp: at });
}

/**
 * Checks codes with one period of clock drift either way, and refuses a code whose time step was
 * already used by this user (a replayed code).
 */
export class TotpVerifier {
  private readonly lastStep = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  verify(userId: string, secret: string, code: string): boolean {
    if (!/^\d{6}$/.test(code.trim())) return false;
    const at = this.now();
    const delta = totp(secret).validate({ token: code.trim(), timestamp: at, window: 1 });
    if (delta === null) return false;
    const step = Math.floor(at / 1000 / PERIOD) + delta;
    if ((this.lastStep.get(userId) ?? -1) >= step) return false;
    this.lastStep.set(userId, step);
    return true;
  }
}
