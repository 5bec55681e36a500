/**
 * Configuration: defaults < config file < environment < command-line flags, parsed once with zod into
 * a frozen Config. Invalid values and unknown keys fail at start with a message that names them.
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { basename, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { DetectionSettingsSchema, DOMAINS } from "@wijkradar/core";
import { ConfigError } from "./errors.js";

const Port = z.coerce
  .number({ error: "expected a whole number from 1 to 65535" })
  .int("expected a whole number from 1 to 65535")
  .min(1, "expected a whole number from 1 to 65535")
  .max(65535, "expected a whole number from 1 to 65535");

const Host = z
  .string()
  .min(1, "expected an IP address or host name")
  .refine(
    (h) =>
      isIP(h) !== 0 ||
      /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(
        h,
      ),
    "expected an IP address (127.0.0.1, ::1, 0.0.0.0) or a host name",
  );

const BOOL_TEXT: Readonly<Record<string, boolean>> = { true: true, false: false, "1": true, "0": false };
const Bool = z.preprocess(
  (v) => (typeof v === "string" ? (BOOL_TEXT[v] ?? v) : v),
  z.boolean({ error: "expected true, false, 1 or 0" }),
);

const int = (min: number, max: number) =>
  z
    .number({ error: `expected a whole number from ${min} to ${max}` })
    .int(`expected a whole number from ${min} to ${max}`)
    .min(min, `expected a whole number from ${min} to ${max}`)
    .max(max, `expected a whole number from ${min} to ${max}`);

/** Disclosure-control settings (config file only); see docs/privacy.md. Never looser than k = 5. */
export const DisclosureSchema = z
  .object({
    k: int(5, 1000).optional(),
    minPopulation: int(0, 100_000).optional(),
    protectionLevel: int(1, 1000).optional(),
    maxNoise: int(0, 10).optional(),
    dominance: z
      .object({ n: int(1, 10), k: z.number().gt(0).lte(1) })
      .strict()
      .optional(),
    pPercent: z.number().gte(0).lte(1).optional(),
    /** A stricter minimum frequency for sensitive domains, e.g. { safety: 15, health: 15 }. */
    domains: z.partialRecord(z.enum(DOMAINS), int(5, 1000)).optional(),
  })
  .strict();
export type DisclosureSettings = z.infer<typeof DisclosureSchema>;

/** HTTP hardening (config file only); see docs/security.md. */
export const SecuritySchema = z
  .object({
    tls: Bool.default(false).describe(
      "browsers reach wijkradar over HTTPS through a TLS-terminating proxy: send HSTS and upgrade-insecure-requests",
    ),
    trustProxy: Bool.default(false).describe(
      "a reverse proxy in front sets X-Forwarded-For/-Proto: take the client's address and https from it (rate limits, audit origin, Secure cookies)",
    ),
    rateLimit: z
      .object({
        max: int(1, 1_000_000).default(1200),
        windowSeconds: int(1, 86_400).default(60),
        allowList: z
          .array(z.string().refine((ip) => isIP(ip) !== 0, "expected an IP address"))
          .default([])
          .describe("client addresses that are never rate-limited"),
      })
      .strict()
      .default({ max: 1200, windowSeconds: 60, allowList: [] }),
  })
  .strict();
export type SecuritySettings = z.infer<typeof SecuritySchema>;

/** A URL with a protocol and host, as the message says; `loopbackHttp`: http only on 127.0.0.1/localhost. */
const WebUrl = (expected: string, loopbackHttp: boolean) =>
  z
    .string({ error: `expected ${expected}` })
    .trim()
    .refine((v) => {
      try {
        const u = new URL(v);
        if (u.search || u.hash) return false;
        if (u.protocol === "https:") return true;
        return u.protocol === "http:" && (!loopbackHttp || ["127.0.0.1", "localhost"].includes(u.hostname));
      } catch {
        return false;
      }
    }, `expected ${expected}`);

/**
 * Login through the organisation's identity provider (OpenID Connect: Azure AD / Entra ID, Keycloak,
 * an eHerkenning broker); see docs/security.md "OpenID Connect". The client secret may instead come
 * from the environment variable WIJKRADAR_OIDC_CLIENT_SECRET (read by main.ts), which wins.
 */
export const OidcSchema = z
  .object({
    issuer: WebUrl(
      "the provider's issuer URL, https://… (e.g. https://login.microsoftonline.com/<tenant-id>/v2.0 or https://keycloak.example.nl/realms/<realm>); plain http only on 127.0.0.1 or localhost",
      true,
    ),
    clientId: z
      .string({ error: "expected the client id registered at the provider" })
      .trim()
      .min(1, "expected the client id registered at the provider")
      .max(500, "expected at most 500 characters"),
    clientSecret: z
      .string({ error: "expected the client secret as text" })
      .min(
        1,
        "expected the client secret (or leave it out: environment variable WIJKRADAR_OIDC_CLIENT_SECRET)",
      )
      .optional()
      .describe("better in the environment variable WIJKRADAR_OIDC_CLIENT_SECRET than in the file"),
    redirectUri: WebUrl(
      "wijkradar's callback URL as registered at the provider, https://<host>/api/auth/oidc/callback",
      false,
    ).refine(
      (v) => v.endsWith("/api/auth/oidc/callback"),
      "expected wijkradar's callback URL, ending in /api/auth/oidc/callback",
    ),
    scopes: z
      .string({ error: 'expected space-separated scopes, e.g. "openid profile email"' })
      .trim()
      .refine((s) => s.split(/\s+/).includes("openid"), 'expected space-separated scopes including "openid"')
      .optional()
      .describe('default "openid profile email"'),
    usernameClaim: z
      .string({ error: "expected the name of a claim" })
      .trim()
      .min(1, "expected the name of a claim")
      .max(100, "expected at most 100 characters")
      .optional()
      .describe('the claim holding the wijkradar user name; default "preferred_username"'),
    label: z
      .string({ error: "expected the button text" })
      .trim()
      .min(1, "expected the button text")
      .max(80, "expected at most 80 characters")
      .optional()
      .describe('the login button\'s text; default "Inloggen via je organisatie"'),
  })
  .strict();
export type OidcConfig = z.infer<typeof OidcSchema>;

/** Sessions, login throttling and OpenID Connect (config file only); see docs/security.md. */
export const AuthSchema = z
  .object({
    idleMinutes: int(1, 24 * 60)
      .default(30)
      .describe("a session ends after this long without a request"),
    absoluteHours: int(1, 7 * 24)
      .default(12)
      .describe("a session ends this long after login, whatever happens"),
    secureCookies: z
      .union([z.literal("auto"), Bool])
      .default("auto")
      .describe('Secure session cookies: "auto" (when the request came over TLS), true or false'),
    throttle: z
      .object({
        perAccount: int(1, 1000).default(5),
        perIp: int(1, 100_000).default(20),
        windowSeconds: int(1, 86_400).default(900),
      })
      .strict()
      .default({ perAccount: 5, perIp: 20, windowSeconds: 900 })
      .describe("failed logins per account and per address within the window before HTTP 429"),
    oidc: OidcSchema.optional().describe(
      "login through the organisation's identity provider (OpenID Connect): issuer, clientId, clientSecret, redirectUri, scopes, usernameClaim, label",
    ),
  })
  .strict();
export type AuthSettings = z.infer<typeof AuthSchema>;

/** The default categories of field observations (ADR 0008); config `field.categories` replaces them. */
export const DEFAULT_FIELD_CATEGORIES = [
  {
    id: "dumping",
    label: { nl: "Illegaal gedumpt afval", en: "Illegal dumping" },
    domain: "physical-environment",
  },
  { id: "litter", label: { nl: "Zwerfafval", en: "Litter" }, domain: "physical-environment" },
  { id: "vandalism", label: { nl: "Vernieling", en: "Vandalism" }, domain: "physical-environment" },
  {
    id: "neglected-housing",
    label: { nl: "Verwaarloosde woning", en: "Neglected housing" },
    domain: "housing",
  },
  { id: "nuisance", label: { nl: "Overlast", en: "Nuisance" }, domain: "safety" },
  {
    id: "youth-hanging-around",
    label: { nl: "Hangjongeren", en: "Youth hanging around" },
    domain: "youth",
    aboutPeople: true,
  },
  {
    id: "loneliness-signal",
    label: { nl: "Signaal van eenzaamheid", en: "Sign of loneliness" },
    domain: "health",
    aboutPeople: true,
  },
  { id: "other", label: { nl: "Overig", en: "Other" }, domain: "physical-environment" },
] as const satisfies readonly {
  id: string;
  label: { nl: string; en: string };
  domain: (typeof DOMAINS)[number];
  aboutPeople?: boolean;
}[];

const Label = (lang: string) =>
  z
    .string({ error: `expected the ${lang} label as text` })
    .trim()
    .min(1, `expected the ${lang} label as text`)
    .max(80, "expected at most 80 characters");

/** One category of field observations: its id becomes part of the indicator ids (veld_<id>_week). */
export const FieldCategorySchema = z
  .object({
    id: z
      .string({ error: "expected an id of lower-case letters, digits and '-'" })
      .regex(
        /^[a-z][a-z0-9-]{0,39}$/,
        "expected an id of lower-case letters, digits and '-' (1 to 40 characters, starting with a letter)",
      )
      .refine((id) => id !== "totaal", 'expected another id: "totaal" names the totals (veld_totaal_week)'),
    label: z.object({ nl: Label("Dutch"), en: Label("English") }).strict(),
    domain: z.enum(DOMAINS, { error: `expected one of the domains ${DOMAINS.join(", ")}` }),
    aboutPeople: z
      .boolean({ error: "expected true or false" })
      .default(false)
      .describe(
        "observations about people (a sign of loneliness, youth hanging around): their counts get disclosure control (minimum frequency) and stay out of the totals",
      ),
  })
  .strict();
export type FieldCategory = z.infer<typeof FieldCategorySchema>;

/** Field work (config file only): observation categories, location precision, counting; see ADR 0008. */
export const FieldSchema = z
  .object({
    categories: z
      .array(FieldCategorySchema)
      .min(1, "expected at least one category")
      .max(50, "expected at most 50 categories")
      .refine((list) => new Set(list.map((c) => c.id.replaceAll("-", "_"))).size === list.length, {
        error: "expected every category id once (ids that differ only in '-' and '_' count as the same)",
      })
      .default(DEFAULT_FIELD_CATEGORIES.map((c) => ({ aboutPeople: false, ...c, label: { ...c.label } })))
      .describe("observation categories: id, label {nl, en}, domain (default: the eight of ADR 0008)"),
    precisionMeters: int(0, 10_000)
      .default(100)
      .describe("coordinates are kept rounded to this many metres; 0: no coordinates are kept"),
    division: int(1900, 2100)
      .optional()
      .describe(
        "boundary division for snapping points to buurten; default: the latest with buurt boundaries",
      ),
    timeZone: z
      .string({ error: 'expected an IANA time zone, e.g. "Europe/Amsterdam"' })
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat("en", { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'expected an IANA time zone, e.g. "Europe/Amsterdam"')
      .default("Europe/Amsterdam")
      .describe("the time zone in which an observation's week and month are counted"),
    syncDebounceMs: int(0, 600_000)
      .default(2000)
      .describe("after a sync, wait this long for more before rewriting the count indicators"),
    detectAfterSync: Bool.default(true).describe(
      "run the count detectors over the observation indicators after each rewrite",
    ),
  })
  .strict();
export type FieldSettings = z.infer<typeof FieldSchema>;

export const ConfigSchema = z
  .object({
    port: Port.default(8080),
    host: Host.default("127.0.0.1"),
    db: z.string().min(1, "expected a file path").default("./data/wijkradar.duckdb"),
    demo: Bool.default(true).describe("load the bundled demo data into an empty database on start"),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("warn"),
    disclosure: DisclosureSchema.default({}).describe(
      "disclosure control of microdata figures (profiles): defaults k 10, minPopulation 50, maxNoise 2; stricter k per domain",
    ),
    detection: DetectionSettingsSchema.default(DetectionSettingsSchema.parse({})).describe(
      "early-warning settings: fdr, severity, status, dynamics, space (permutations, seed, weights), classes, composite weights",
    ),
    security: SecuritySchema.default(SecuritySchema.parse({})).describe(
      "HTTP hardening: tls (behind an HTTPS proxy: HSTS), rateLimit (max requests per windowSeconds per client address, allowList)",
    ),
    audit: z
      .object({
        retentionDays: int(0, 36_500)
          .default(1826)
          .describe(
            "records older than this are pruned (with an anchor that keeps the chain verifiable); 0: keep forever",
          ),
      })
      .strict()
      .default({ retentionDays: 1826 })
      .describe("the audit trail: retentionDays (default 1826, five years; 0 keeps everything)"),
    auth: AuthSchema.default(AuthSchema.parse({})).describe(
      "sessions (idleMinutes 30, absoluteHours 12, secureCookies auto), login throttling (perAccount, perIp, windowSeconds) and OpenID Connect login (oidc)",
    ),
    field: FieldSchema.default(FieldSchema.parse({})).describe(
      "field work: observation categories, precisionMeters (100), division, timeZone, syncDebounceMs, detectAfterSync",
    ),
    keyFile: z
      .string()
      .min(1, "expected a file path")
      .optional()
      .describe(
        "pseudonymisation key file (YAML, owner-only); default: wijkradar-keys.yaml beside the database when it exists",
      ),
    webRoot: z
      .string()
      .min(1, "expected a folder path")
      .optional()
      .describe("the dashboard's production build to serve; default packages/web/dist"),
  })
  .strict();

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** Environment variables and the config keys they set. */
export const ENV_KEYS: Readonly<Record<string, keyof Config>> = {
  WIJKRADAR_PORT: "port",
  WIJKRADAR_HOST: "host",
  WIJKRADAR_DB: "db",
  WIJKRADAR_DEMO: "demo",
  WIJKRADAR_LOG_LEVEL: "logLevel",
  WIJKRADAR_WEB_ROOT: "webRoot",
  WIJKRADAR_KEY_FILE: "keyFile",
};
/** Pseudonymisation keys in the environment (read by vault/keys.ts, never by the config). */
const KEY_ENV = /^WIJKRADAR_KEY_[A-Z][A-Z0-9_]*_(V\d+|CURRENT)$/;
/** Other variables: the config file's path, and the OIDC client secret (read by main.ts, not the config). */
const OTHER_ENV = new Set(["WIJKRADAR_CONFIG", "WIJKRADAR_OIDC_CLIENT_SECRET"]);

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(
      `config file ${path}: cannot read it (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new ConfigError(`config file ${path}: not valid YAML/JSON: ${(e as Error).message.split("\n")[0]}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new ConfigError(
      `config file ${path}: expected an object with keys ${Object.keys(ConfigSchema.shape).join(", ")}`,
    );
  return doc as Record<string, unknown>;
}

export interface ConfigSources {
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Values from command-line flags (undefined: not given). */
  readonly flags?: Partial<Record<keyof Config, unknown>> & { config?: string };
}

/**
 * Loads the configuration. `--config <file>` or WIJKRADAR_CONFIG names an optional YAML/JSON file.
 *
 * @example loadConfig({ env: process.env, flags: { port: "9090" } }).port // 9090
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? {};
  const flags = sources.flags ?? {};
  const merged: Record<string, unknown> = {};
  const origin: Record<string, string> = {};

  const file = flags.config ?? env.WIJKRADAR_CONFIG;
  if (file) {
    for (const [k, v] of Object.entries(readConfigFile(file))) {
      merged[k] = v;
      origin[k] = `config file ${basename(file)}: ${k}`;
    }
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("WIJKRADAR_") || value === undefined) continue;
    const key = ENV_KEYS[name];
    if (!key) {
      if (OTHER_ENV.has(name) || KEY_ENV.test(name)) continue;
      throw new ConfigError(
        `environment variable ${name} is not known; expected one of ${[...Object.keys(ENV_KEYS), ...OTHER_ENV].join(", ")}`,
      );
    }
    merged[key] = value;
    origin[key] = `environment variable ${name}`;
  }
  for (const [k, v] of Object.entries(flags)) {
    if (k === "config" || v === undefined) continue;
    merged[k] = v;
    origin[k] = `option --${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  }
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? "");
      const where = origin[key] ?? key;
      // Nested settings (disclosure.domains.x) name their full path.
      const nested = issue.path.length > 1 ? ` ${issue.path.map(String).join(".")}` : "";
      if (issue.code === "unrecognized_keys")
        return `${origin[key] ?? origin[issue.keys[0]!] ?? "config"}:${nested} unknown key(s) ${issue.keys.join(", ")}`;
      if (nested) return `${where}:${nested}: ${issue.message}`;
      return `${where}: ${JSON.stringify(merged[key])} is invalid: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const { webRoot, keyFile, ...data } = result.data;
  return Object.freeze({
    ...data,
    db: data.db === ":memory:" ? ":memory:" : resolve(data.db),
    ...(webRoot === undefined ? {} : { webRoot: resolve(webRoot) }),
    ...(keyFile === undefined ? {} : { keyFile: resolve(keyFile) }),
  });
}
