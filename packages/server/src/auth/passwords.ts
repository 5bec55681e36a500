/**
 * Passwords: at least 12 characters, not a common password (the 49,000 of zxcvbn's list plus Dutch
 * ones, also with digits or signs added at the end), not the user name; no forced rotation (NIST SP
 * 800-63B, as PRIVACY.md asks). Stored as scrypt hashes with a random salt; compared in constant time.
 */
import { randomBytes, randomInt, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { dictionary } from "@zxcvbn-ts/language-common";

export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 256;

/** Dutch passwords that are common but missing from the English-based list. */
const DUTCH_COMMON = [
  "wachtwoord",
  "welkom",
  "welkom01",
  "geheim",
  "gemeente",
  "wijkradar",
  "voorjaar",
  "zomer",
  "najaar",
  "winter",
  "lente",
  "herfst",
  "amsterdam",
  "rotterdam",
  "utrecht",
  "almere",
  "denhaag",
  "eindhoven",
  "groningen",
  "nederland",
  "holland",
  "ajax",
  "feyenoord",
  "psv",
  "oranje",
  "fietsen",
  "voetbal",
  "konijn",
  "poesje",
  "schatje",
  "liefde",
  "hallo",
  "doei",
  "prinses",
  "kabouter",
  "appeltaart",
  "stroopwafel",
  "hagelslag",
  "qwertyuiop",
  "azertyuiop",
  "wachtwoord123",
  "welkomwelkom",
];

let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set([...dictionary.passwords, ...DUTCH_COMMON].map((p) => String(p).toLowerCase()));
  return common;
}

const SEQUENCES = [
  "0123456789",
  "abcdefghijklmnopqrstuvwxyz",
  "qwertyuiopasdfghjklzxcvbnm",
  "azertyuiopqsdfghjklmwxcvbn",
];

/** "1234567890123", "zyxwvuts", "qwertyuiop…": runs along the alphabet, digits or a keyboard row. */
function isSequence(lower: string): boolean {
  const core = lower.replace(/[\W_]+/gu, "");
  if (core.length < 6) return false;
  let along = 0;
  for (let i = 1; i < core.length; i++) {
    const pair = core.slice(i - 1, i + 1);
    const reversed = pair[1]! + pair[0]!;
    if (SEQUENCES.some((s) => (s + s.slice(0, 1)).includes(pair) || (s + s.slice(0, 1)).includes(reversed)))
      along++;
  }
  return along >= (core.length - 1) * 0.8;
}

/** Problems with a new password, in words (empty: acceptable). */
export function passwordProblems(password: string, context: { username?: string } = {}): string[] {
  const problems: string[] = [];
  if (password.length < MIN_PASSWORD_LENGTH)
    problems.push(`password: expected at least ${MIN_PASSWORD_LENGTH} characters, got ${password.length}`);
  if (password.length > MAX_PASSWORD_LENGTH)
    problems.push(`password: expected at most ${MAX_PASSWORD_LENGTH} characters`);
  const lower = password.toLowerCase();
  // "Wachtwoord2024!" is "wachtwoord" with a year and a sign: as weak as the word.
  const stem = lower.replace(/[\d\W_]+$/u, "").replace(/^[\d\W_]+/u, "");
  const set = commonPasswords();
  if (set.has(lower) || (stem.length > 0 && set.has(stem)))
    problems.push("password: this is a common password (from a list of leaked passwords); choose another");
  else if (/^(.)\1+$/u.test(password) || /^(.{1,3})\1+$/u.test(password))
    problems.push("password: a repeated character or short pattern is too easy to guess");
  else if (isSequence(lower))
    problems.push(
      "password: a sequence of the alphabet, digits or keyboard (1234…, abcd…, qwerty…) is too easy to guess",
    );
  const user = context.username?.trim().toLowerCase();
  if (user && user.length >= 3 && lower.includes(user))
    problems.push("password: must not contain the user name");
  return problems;
}

// scrypt N = 2^15, r = 8, p = 1 (OWASP): ~32 MiB and ~60 ms per hash on the target machine.
const PARAMS = { N: 32768, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;

function scrypt(password: string, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  const options: ScryptOptions = { N: n, r, p, maxmem: 128 * n * r * 2 };
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize("NFKC"), salt, KEY_LENGTH, options, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

/** `scrypt$N$r$p$salt$hash` (base64url); never the password. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, PARAMS.N, PARAMS.r, PARAMS.p);
  return `scrypt$${PARAMS.N}$${PARAMS.r}$${PARAMS.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** Whether the password matches the stored hash (constant-time comparison). */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  const parts = (stored ?? "").split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") {
    // Spend the same time as a real check so a missing account does not answer faster.
    await scrypt(password, Buffer.alloc(16), PARAMS.N, PARAMS.r, PARAMS.p);
    return false;
  }
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, "base64url");
  const key = await scrypt(password, Buffer.from(salt, "base64url"), Number(n), Number(r), Number(p));
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * A random password for a new or reset account: 4 groups of 5 characters from an alphabet without
 * look-alikes (~100 bits), e.g. "k7mwq-xr3tz-…". Printed once; the user should change it.
 */
export function randomPassword(): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  let out = "";
  for (let i = 0; i < 20; i++) {
    if (i > 0 && i % 5 === 0) out += "-";
    out += alphabet[randomInt(alphabet.length)];
  }
  return out;
}
