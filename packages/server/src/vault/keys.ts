/**
 * Pseudonymisation keys: one secret per purpose, with versions, held outside the database (a key
 * file that only its owner may read, or environment variables). Nothing here ever prints a key:
 * messages name the purpose, the version and the source, never the bytes.
 *
 * Key file (YAML or JSON):
 *
 *   keys:
 *     wijkaanpak:            # the purpose
 *       current: 2           # version used for new pseudonyms
 *       versions:
 *         1: "<base64, at least 32 bytes>"
 *         2: "<base64, at least 32 bytes>"
 *
 * Environment: WIJKRADAR_KEY_<PURPOSE>_V<n>=<base64> (purpose upper-case, "-" as "_"); the highest
 * version is current unless WIJKRADAR_KEY_<PURPOSE>_CURRENT names another.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigError } from "../errors.js";

/** HMAC-SHA-256 keys shorter than the hash add no strength and are refused. */
export const MIN_KEY_BYTES = 32;

const PURPOSE = /^[a-z][a-z0-9-]{1,62}$/;

export interface PurposeKeys {
  readonly purpose: string;
  readonly current: number;
  readonly versions: ReadonlyMap<number, Buffer>;
}

export class KeyRing {
  private constructor(private readonly purposes: ReadonlyMap<string, PurposeKeys>) {}

  static of(purposes: readonly PurposeKeys[]): KeyRing {
    return new KeyRing(new Map(purposes.map((p) => [p.purpose, p])));
  }

  /** The key for a purpose (the current version unless one is named). */
  key(purpose: string, version?: number): { readonly version: number; readonly key: Buffer } {
    const keys = this.purposes.get(purpose);
    if (!keys)
      throw new ConfigError(
        `no pseudonymisation key for purpose "${purpose}"; known purposes: ${[...this.purposes.keys()].join(", ") || "none"} (set a key file or WIJKRADAR_KEY_${envName(purpose)}_V1)`,
      );
    const v = version ?? keys.current;
    const key = keys.versions.get(v);
    if (!key)
      throw new ConfigError(
        `purpose "${purpose}" has no key version ${v}; versions: ${[...keys.versions.keys()].join(", ")}`,
      );
    return { version: v, key };
  }

  /** This ring with the purposes of `other` added; a purpose in both takes `other`'s keys. */
  withPurposes(other: KeyRing): KeyRing {
    return new KeyRing(new Map([...this.purposes, ...other.purposes]));
  }

  has(purpose: string): boolean {
    return this.purposes.has(purpose);
  }

  get purposeNames(): readonly string[] {
    return [...this.purposes.keys()].sort();
  }
}

const envName = (purpose: string): string => purpose.toUpperCase().replace(/-/g, "_");

function decodeKey(text: string, where: string): Buffer {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new ConfigError(`${where}: expected a key in base64`);
  const key = Buffer.from(trimmed.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  if (key.length < MIN_KEY_BYTES)
    throw new ConfigError(
      `${where}: the key has ${key.length} bytes; expected at least ${MIN_KEY_BYTES} (e.g. \`openssl rand -base64 32\`)`,
    );
  return key;
}

const KeyFileSchema = z
  .object({
    keys: z.record(
      z.string(),
      z
        .object({
          current: z.number().int().positive().optional(),
          versions: z.record(z.string(), z.string()),
        })
        .strict(),
    ),
  })
  .strict();

/** Reads a key file; refuses one that others than its owner can read (like ssh does). */
export function readKeyFile(path: string): KeyRing {
  let mode: number;
  let text: string;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(
      `key file ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  if ((mode & 0o077) !== 0)
    throw new ConfigError(
      `key file ${path}: readable by others (mode ${(mode & 0o777).toString(8)}); allow only its owner: chmod 600 ${path}`,
    );
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    // The parser's message may quote the file: say only where.
    throw new ConfigError(`key file ${path}: not valid YAML or JSON`);
  }
  const parsed = KeyFileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`key file ${path}: ${issue.path.join(".") || "(top)"}: ${issue.message}`);
  }
  return KeyRing.of(
    Object.entries(parsed.data.keys).map(([purpose, entry]) => {
      // Checked here rather than in the schema: zod 4 reports a bad record key only as "Invalid key".
      if (!PURPOSE.test(purpose))
        throw new ConfigError(
          `key file ${path}: keys.${purpose}: expected a purpose name: lower-case letters, digits and - (2 to 63 characters)`,
        );
      for (const v of Object.keys(entry.versions))
        if (!/^[1-9]\d{0,5}$/.test(v))
          throw new ConfigError(
            `key file ${path}: keys.${purpose}.versions.${v}: expected a version number (1, 2, …)`,
          );
      const versions = new Map(
        Object.entries(entry.versions).map(([v, text]) => [
          Number(v),
          decodeKey(text, `key file ${path}: keys.${purpose}.versions.${v}`),
        ]),
      );
      const current = entry.current ?? Math.max(...versions.keys());
      if (!versions.has(current))
        throw new ConfigError(`key file ${path}: keys.${purpose}.current is ${current}, which has no key`);
      return { purpose, current, versions };
    }),
  );
}

/** Keys from WIJKRADAR_KEY_<PURPOSE>_V<n> variables. */
export function keysFromEnv(env: NodeJS.ProcessEnv): KeyRing {
  const found = new Map<string, Map<number, Buffer>>();
  const currents = new Map<string, number>();
  for (const [name, value] of Object.entries(env)) {
    const m = /^WIJKRADAR_KEY_([A-Z][A-Z0-9_]*)_(V(\d+)|CURRENT)$/.exec(name);
    if (!m || value === undefined) continue;
    const purpose = m[1]!.toLowerCase().replace(/_/g, "-");
    if (m[2] === "CURRENT") {
      const v = Number(value);
      if (!Number.isInteger(v) || v < 1)
        throw new ConfigError(`environment variable ${name}: expected a version number`);
      currents.set(purpose, v);
      continue;
    }
    const versions = found.get(purpose) ?? new Map<number, Buffer>();
    versions.set(Number(m[3]), decodeKey(value, `environment variable ${name}`));
    found.set(purpose, versions);
  }
  return KeyRing.of(
    [...found].map(([purpose, versions]) => {
      const current = currents.get(purpose) ?? Math.max(...versions.keys());
      if (!versions.has(current))
        throw new ConfigError(
          `environment variable WIJKRADAR_KEY_${envName(purpose)}_CURRENT names version ${current}, which has no key`,
        );
      return { purpose, current, versions };
    }),
  );
}

/** The key file wijkradar looks for beside the database when none is configured. */
export function defaultKeyFile(dbPath: string): string {
  return join(dbPath === ":memory:" ? "." : dirname(dbPath), "wijkradar-keys.yaml");
}

/**
 * The keys of this installation: the configured key file (or the default one beside the database,
 * when it exists), then WIJKRADAR_KEY_<PURPOSE>_V<n> variables, which take precedence per purpose.
 */
export function loadKeyRing(
  config: { readonly keyFile?: string; readonly db: string },
  env: Readonly<Record<string, string | undefined>>,
): KeyRing {
  const file = config.keyFile ?? defaultKeyFile(config.db);
  const fromFile = config.keyFile !== undefined || existsSync(file) ? readKeyFile(file) : KeyRing.of([]);
  return fromFile.withPurposes(keysFromEnv(env));
}

/**
 * Creates a key file with one new random key for a purpose (owner-only, mode 600) — for the demo's
 * synthetic sources on first start. Refuses to overwrite an existing file.
 */
export function createKeyFile(path: string, purpose: string): KeyRing {
  if (existsSync(path)) throw new ConfigError(`key file ${path} exists already; not overwritten`);
  const key = randomBytes(32).toString("base64");
  writeFileSync(
    path,
    `# wijkradar pseudonymisation keys: keep secret, back up apart from the database.\n# Created for the demo's synthetic sources.\nkeys:\n  ${purpose}:\n    current: 1\n    versions:\n      1: "${key}"\n`,
    { mode: 0o600, flag: "wx" },
  );
  return readKeyFile(path);
}
