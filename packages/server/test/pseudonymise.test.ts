import { createHash, createHmac, randomBytes } from "node:crypto";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../src/errors.js";
import { KeyRing, keysFromEnv, MIN_KEY_BYTES, readKeyFile } from "../src/vault/keys.js";
import { canonicalIdentifier, Pseudonymiser } from "../src/vault/pseudonymise.js";
import { tempDir } from "./fixtures.js";

/** The 11-test check digit for 8 digits, or undefined when it would be 10. */
function checkDigit(first8: string): number | undefined {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (9 - i) * Number(first8[i]);
  const d = sum % 11;
  return d === 10 ? undefined : d;
}
const isBsn = (n: number): boolean => {
  const s = String(n).padStart(9, "0");
  const d = checkDigit(s.slice(0, 8));
  return d !== undefined && d === Number(s[8]) && n !== 0;
};

const ring = (...purposes: string[]): KeyRing =>
  KeyRing.of(
    purposes.map((purpose) => ({
      purpose,
      current: 2,
      versions: new Map([
        [1, randomBytes(32)],
        [2, randomBytes(32)],
      ]),
    })),
  );

// A block of the BSN space: every valid number in it (about 1 in 11 of the numbers).
const FROM = 111_000_000;
const SIZE = 200_000;
const block = (): string[] => {
  const out: string[] = [];
  for (let n = FROM; n < FROM + SIZE; n++) if (isBsn(n)) out.push(String(n).padStart(9, "0"));
  return out;
};

describe("pseudonyms (HMAC-SHA-256 per purpose)", () => {
  const keys = ring("wijkaanpak", "schuldhulp");
  const bsns = block();
  const targets = bsns.filter((_, i) => i % 97 === 0);
  const p = new Pseudonymiser(keys, "wijkaanpak");
  const stored = new Set(targets.map((b) => p.pseudonymise("bsn", b)!.pseudonym));

  it("T-PS-1: a dictionary over every valid BSN of the block recovers nothing without the key", () => {
    expect(bsns.length).toBeGreaterThan(15_000);
    expect(stored.size).toBe(targets.length);
    // The attacker knows the scheme and the message format, not the key.
    const guesses = [
      (b: string) => createHash("sha256").update(b).digest("base64url"),
      (b: string) => createHash("sha256").update(`bsn:${b}`).digest("base64url"),
      (b: string) => createHmac("sha256", "wijkaanpak").update(`bsn:${b}`).digest("base64url"),
      (b: string) => createHmac("sha256", Buffer.alloc(32)).update(`bsn:${b}`).digest("base64url"),
      (b: string) => createHmac("sha256", randomBytes(32)).update(`bsn:${b}`).digest("base64url"),
    ];
    for (const guess of guesses) expect(bsns.filter((b) => stored.has(guess(b)))).toEqual([]);
    // The same attack with the key finds every one: the test can fail.
    const withKey = bsns.filter((b) => stored.has(p.pseudonymise("bsn", b)!.pseudonym));
    expect(withKey).toEqual(targets);
  });

  it("T-PS-2: different purposes give unlinkable pseudonyms", () => {
    const other = new Pseudonymiser(keys, "schuldhulp");
    const a = bsns.slice(0, 10_000).map((b) => p.pseudonymise("bsn", b)!.pseudonym);
    const b = new Set(bsns.slice(0, 10_000).map((x) => other.pseudonymise("bsn", x)!.pseudonym));
    expect(a.filter((x) => b.has(x))).toEqual([]);
    expect(new Set(a).size).toBe(10_000);
  });

  it("is stable per key version, and says which version made it", () => {
    const again = new Pseudonymiser(keys, "wijkaanpak");
    const v1 = new Pseudonymiser(keys, "wijkaanpak", 1);
    const x = p.pseudonymise("bsn", "111222333")!;
    expect(x.keyVersion).toBe(2);
    expect(x.pseudonym).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(again.pseudonymise("bsn", "111222333")).toEqual(x);
    expect(v1.pseudonymise("bsn", "111222333")).toMatchObject({ keyVersion: 1 });
    expect(v1.pseudonymise("bsn", "111222333")!.pseudonym).not.toBe(x.pseudonym);
  });

  it("hashes the canonical form, separated by kind", () => {
    expect(canonicalIdentifier("bsn", "1112.22.333")).toBe("111222333");
    expect(canonicalIdentifier("bsn", "12345678")).toBe("012345678");
    expect(canonicalIdentifier("bsn", "12-34")).toBeUndefined();
    expect(p.pseudonymise("bsn", "1112 22 333")).toEqual(p.pseudonymise("bsn", "111222333"));
    expect(p.pseudonymise("address", "111222333")!.pseudonym).not.toBe(
      p.pseudonymise("bsn", "111222333")!.pseudonym,
    );
    expect(p.pseudonymise("bsn", "not a number")).toBeUndefined();
  });
});

describe("pseudonymisation keys", () => {
  const key = randomBytes(MIN_KEY_BYTES).toString("base64");
  const file = (text: string, mode = 0o600): string => {
    const path = join(tempDir(), "keys.yaml");
    writeFileSync(path, text);
    chmodSync(path, mode);
    return path;
  };
  const error = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
    throw new Error("expected a ConfigError");
  };

  it("reads a key file with versions; the highest is current unless named", () => {
    const other = randomBytes(32).toString("base64");
    const keys = readKeyFile(
      file(`keys:\n  wijkaanpak:\n    versions:\n      1: "${key}"\n      3: "${other}"\n`),
    );
    expect(keys.purposeNames).toEqual(["wijkaanpak"]);
    expect(keys.key("wijkaanpak").version).toBe(3);
    expect(keys.key("wijkaanpak", 1).key.toString("base64")).toBe(key);
  });

  it("refuses a key file that others can read, naming the fix", () => {
    const message = error(() =>
      readKeyFile(file(`keys:\n  wijkaanpak:\n    versions:\n      1: "${key}"\n`, 0o644)),
    );
    expect(message).toMatch(/readable by others \(mode 644\).*chmod 600/);
  });

  it("refuses short keys without printing them", () => {
    const short = Buffer.from("sixteen bytes!!!").toString("base64");
    const message = error(() =>
      readKeyFile(file(`keys:\n  wijkaanpak:\n    versions:\n      1: "${short}"\n`)),
    );
    expect(message).toContain("keys.wijkaanpak.versions.1: the key has 16 bytes; expected at least 32");
    expect(message).not.toContain(short);
  });

  it("names the purpose and the version that are missing", () => {
    const keys = readKeyFile(file(`keys:\n  wijkaanpak:\n    versions:\n      1: "${key}"\n`));
    expect(error(() => keys.key("schuldhulp"))).toMatch(
      /no pseudonymisation key for purpose "schuldhulp"; known purposes: wijkaanpak/,
    );
    expect(error(() => keys.key("wijkaanpak", 2))).toMatch(/has no key version 2; versions: 1/);
    expect(
      error(() => readKeyFile(file(`keys:\n  Wijk Aanpak:\n    versions:\n      1: "${key}"\n`))),
    ).toMatch(/expected a purpose name/);
  });

  it("reads keys from the environment", () => {
    const keys = keysFromEnv({
      WIJKRADAR_KEY_SCHULD_HULP_V1: key,
      WIJKRADAR_KEY_SCHULD_HULP_V2: key,
      WIJKRADAR_KEY_SCHULD_HULP_CURRENT: "1",
      PATH: "/bin",
    });
    expect(keys.purposeNames).toEqual(["schuld-hulp"]);
    expect(keys.key("schuld-hulp").version).toBe(1);
    expect(error(() => keysFromEnv({ WIJKRADAR_KEY_X_V1: "too short" }))).toMatch(
      /WIJKRADAR_KEY_X_V1: expected a key in base64/,
    );
  });
});

describe("the HMAC", () => {
  it("equals node's createHmac (RFC 2104) for keys of 32, 64 and 100 bytes and long messages", () => {
    for (const size of [32, 64, 100]) {
      const key = randomBytes(size);
      const p = new Pseudonymiser(
        KeyRing.of([{ purpose: "p", current: 1, versions: new Map([[1, key]]) }]),
        "p",
      );
      for (const id of ["111222333", "123456782", "A".repeat(2000)]) {
        const kind = id.length === 9 ? "bsn" : "address";
        const expected = createHmac("sha256", key).update(`${kind}:${id}`).digest();
        expect(p.pseudonymise(kind, id)!.pseudonym).toBe(expected.toString("base64url"));
        expect(p.pseudonymiseToKey(kind, id)).toEqual({
          id: expected.readBigInt64BE(0),
          recordKey: expected.readUInt32BE(8),
        });
      }
    }
  });
});
