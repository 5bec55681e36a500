/**
 * Pseudonyms for identifying keys (BSN, address id): HMAC-SHA-256 with the secret key of the purpose,
 * so that without the key a dictionary over all ~91 million valid BSNs recovers nothing (an unkeyed
 * or salted hash would be reversed in seconds), and the same person under two purposes gets two
 * unlinkable pseudonyms. The key version travels with each pseudonym, so keys can be rotated.
 * Raw identifiers only pass through memory here: never stored, logged or echoed in errors.
 */
import { createHmac, hash } from "node:crypto";
import type { KeyRing } from "./keys.js";

export const IDENTIFIER_KINDS = ["bsn", "address", "household"] as const;
export type IdentifierKind = (typeof IDENTIFIER_KINDS)[number];

export interface VaultPseudonym {
  readonly id: bigint;
  /** Uniform in 0 … 2^32 − 1: the record key for cell-key perturbation. */
  readonly recordKey: number;
}

export interface Pseudonym {
  /** base64url of the 32-byte HMAC: 43 characters. */
  readonly pseudonym: string;
  readonly keyVersion: number;
}

/** The canonical form that is hashed: BSNs as 9 digits (dots, spaces and a missing leading 0 allowed). */
export function canonicalIdentifier(kind: IdentifierKind, raw: string): string | undefined {
  if (kind === "bsn") {
    const digits = raw.replace(/[\s.]/g, "");
    if (!/^\d{8,9}$/.test(digits)) return undefined;
    return digits.padStart(9, "0");
  }
  const id = raw.trim();
  return id === "" ? undefined : id;
}

/**
 * A pseudonymiser for one purpose: holds its key, hashes many identifiers fast. The kind is part of
 * the hashed message, so a BSN and an address id with the same digits never share a pseudonym.
 */
export class Pseudonymiser {
  readonly keyVersion: number;
  private readonly key: Buffer;
  // HMAC (RFC 2104) by hand on one-shot hashes, twice as fast as a createHmac per identifier:
  // H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)) with the padded key blocks prepared once.
  private readonly inner = Buffer.alloc(64 + 1024);
  private readonly outer = Buffer.alloc(64 + 32);

  constructor(
    ring: KeyRing,
    readonly purpose: string,
    version?: number,
  ) {
    const { version: v, key } = ring.key(purpose, version);
    this.keyVersion = v;
    this.key = key;
    // Keys longer than the SHA-256 block are hashed first (RFC 2104 §2).
    const k = key.length > 64 ? hash("sha256", key, "buffer") : key;
    for (let i = 0; i < 64; i++) {
      const b = i < k.length ? k[i]! : 0;
      this.inner[i] = b ^ 0x36;
      this.outer[i] = b ^ 0x5c;
    }
  }

  /** The key's padded blocks (K ⊕ ipad, K ⊕ opad) for computing the same HMAC in SQL; never printed. */
  keyBlocks(): { readonly inner: Buffer; readonly outer: Buffer } {
    return { inner: Buffer.from(this.inner.subarray(0, 64)), outer: Buffer.from(this.outer.subarray(0, 64)) };
  }

  private mac(message: string): Buffer {
    if (Buffer.byteLength(message) > 1024) return createHmac("sha256", this.key).update(message).digest();
    const n = this.inner.write(message, 64, "utf8");
    hash("sha256", this.inner.subarray(0, 64 + n), "buffer").copy(this.outer, 64);
    return hash("sha256", this.outer, "buffer");
  }

  /** The pseudonym, or undefined when the identifier is not of the expected form (never echoed). */
  pseudonymise(kind: IdentifierKind, raw: string): Pseudonym | undefined {
    const canonical = canonicalIdentifier(kind, raw);
    if (canonical === undefined) return undefined;
    const pseudonym = this.mac(`${kind}:${canonical}`).toString("base64url");
    return { pseudonym, keyVersion: this.keyVersion };
  }

  /**
   * The pseudonym as the vault stores it: the first 8 bytes of the same HMAC as a signed BIGINT (fast
   * joins over millions of rows; a keyed PRF truncated to 64 bits: two of 18 million people share
   * one with probability ~1e-5), and 4 further bytes as the record key of the cell-key method.
   */
  pseudonymiseToKey(kind: IdentifierKind, raw: string): VaultPseudonym | undefined {
    const canonical = canonicalIdentifier(kind, raw);
    if (canonical === undefined) return undefined;
    const mac = this.mac(`${kind}:${canonical}`);
    return { id: mac.readBigInt64BE(0), recordKey: mac.readUInt32BE(8) };
  }
}
