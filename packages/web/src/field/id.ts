/**
 * Random ids for observations: the outbox's idempotency key, made on the phone before anything is
 * sent. `crypto.randomUUID` exists only in secure contexts (https or localhost), and a field app on a
 * plain-http LAN address has none: a version-4 UUID from `crypto.getRandomValues` works everywhere.
 */

/** A version-4 UUID (RFC 9562) from 122 random bits of `getRandomValues`. */
export function randomId(
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): string {
  const b = random(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40; // version 4
  b[8] = (b[8]! & 0x3f) | 0x80; // variant 10
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
