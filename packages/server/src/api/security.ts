/**
 * HTTP hardening: security headers (@fastify/helmet with a strict Content-Security-Policy, no
 * 'unsafe-inline', no 'unsafe-eval', nothing from outside the server), a global rate limit per
 * client address (@fastify/rate-limit, 429 as problem+json with Retry-After) and the log paths that
 * are redacted. Registered by buildApp before any route, so every route — the API, the dashboard's
 * files, /api/docs — gets the headers and the limit. Why each header: docs/security.md.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import helmet from "@fastify/helmet";
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { NOT_BUILT_PAGE } from "./web-route.js";

export interface RateLimitOptions {
  /** Requests per client address per window (every route: API, dashboard files, docs). */
  readonly max: number;
  /** Length of the window in milliseconds. */
  readonly windowMs: number;
  /** Client addresses that are never limited (exact IP addresses; none by default, not even loopback). */
  readonly allowList?: readonly string[];
}

export interface SecurityOptions {
  /**
   * Browsers reach the server over HTTPS (wijkradar itself speaks HTTP; TLS is terminated by a proxy
   * in front of it): adds Strict-Transport-Security and `upgrade-insecure-requests`.
   */
  readonly tls: boolean;
  /** Trust X-Forwarded-For / -Proto of a reverse proxy (set on the Fastify instance by buildApp). */
  readonly trustProxy?: boolean;
  /** Default: DEFAULT_RATE_LIMIT. */
  readonly rateLimit?: RateLimitOptions;
}

/**
 * 1,200 requests per minute per address: 20 a second on average. A first load of the dashboard
 * costs a few dozen requests (its files, the catalogue, areas, values, boundaries), a drill-down a
 * handful; a person clicking through the dashboard, and the browser tests from 127.0.0.1, stay far
 * below it.
 */
export const DEFAULT_RATE_LIMIT: Readonly<Required<RateLimitOptions>> = Object.freeze({
  max: 1200,
  windowMs: 60_000,
  allowList: Object.freeze([]),
});

/** HSTS max-age: one year. No includeSubDomains: other hosts of a municipal domain are not ours to pin. */
export const HSTS_MAX_AGE_SECONDS = 31_536_000;

/**
 * The one inline stylesheet the server itself sends: the self-contained "dashboard not built" page
 * (web-route.ts). Allowed by its SHA-256 hash, which allows exactly that text and nothing else.
 */
const NOT_BUILT_STYLE = /<style>([\s\S]*?)<\/style>/.exec(NOT_BUILT_PAGE)?.[1];
export const NOT_BUILT_STYLE_HASH =
  NOT_BUILT_STYLE === undefined
    ? undefined
    : `'sha256-${createHash("sha256").update(NOT_BUILT_STYLE, "utf8").digest("base64")}'`;

/**
 * The Content-Security-Policy directives (without `upgrade-insecure-requests`, added behind TLS).
 * Everything comes from the server itself ('self'): the dashboard's scripts and stylesheets are files
 * of its build, MapLibre's worker is a file of the build too (a same-origin module worker, no blob:),
 * Observable Plot and React set styles through the CSSOM (element.style), which a CSP does not
 * govern. data: and blob: images: MapLibre decodes images through blob URLs, Swagger UI's stylesheet
 * has data: icons.
 */
export const CSP_DIRECTIVES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  "default-src": ["'self'"],
  "script-src": ["'self'"],
  "script-src-attr": ["'none'"],
  "style-src": ["'self'", ...(NOT_BUILT_STYLE_HASH ? [NOT_BUILT_STYLE_HASH] : [])],
  "img-src": ["'self'", "data:", "blob:"],
  "font-src": ["'self'"],
  "connect-src": ["'self'"],
  "worker-src": ["'self'"],
  "manifest-src": ["'self'"],
  "object-src": ["'none'"],
  "base-uri": ["'self'"],
  "form-action": ["'self'"],
  "frame-ancestors": ["'none'"],
});

/** The Content-Security-Policy header value for a server behind TLS or not. */
export function contentSecurityPolicy(tls: boolean, directives = CSP_DIRECTIVES): string {
  const parts = Object.entries(directives).map(([name, values]) => `${name} ${values.join(" ")}`);
  if (tls) parts.push("upgrade-insecure-requests");
  return parts.join(";");
}

/** Where @fastify/swagger-ui serves the API docs (registered by buildApp). */
export const DOCS_PREFIX = "/api/docs";

/**
 * Swagger UI's one inline stylesheet: the `<style>` element React puts into its top-bar logo (an SVG
 * component of the standalone preset: `.logo_small_svg__cls-2{fill:#fff}…`). Read from the installed
 * files and allowed by hash, on /api/docs only — the exact text, nothing else; no 'unsafe-inline'.
 * Empty when a later Swagger UI has none (the browser test of /api/docs would show a new one).
 */
export function swaggerUiStyleHashes(): readonly string[] {
  let dir: string;
  try {
    dir = join(dirname(createRequire(import.meta.url).resolve("@fastify/swagger-ui")), "static");
  } catch {
    return [];
  }
  const hashes = new Set<string>();
  for (const file of ["swagger-ui-standalone-preset.js", "swagger-ui-bundle.js"]) {
    let text: string;
    try {
      text = readFileSync(join(dir, file), "utf8");
    } catch {
      continue;
    }
    // createElement("style",null,"…css…") in the minified React code; literals without escapes only.
    for (const m of text.matchAll(/createElement\("style",null,"([^"\\]*)"\)/g))
      hashes.add(`'sha256-${createHash("sha256").update(m[1]!, "utf8").digest("base64")}'`);
  }
  return [...hashes];
}

/** The directives on /api/docs: the dashboard's, with Swagger UI's inline logo stylesheet by hash. */
export function docsDirectives(): Readonly<Record<string, readonly string[]>> {
  return {
    ...CSP_DIRECTIVES,
    "style-src": [...(CSP_DIRECTIVES["style-src"] ?? []), ...swaggerUiStyleHashes()],
  };
}

const isDocsPath = (url: string): boolean => {
  const path = url.split("?")[0] ?? "";
  return path === DOCS_PREFIX || path.startsWith(`${DOCS_PREFIX}/`);
};

/** Features of the browser the dashboard never uses: denied to it and to anything framed in it. */
export const PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()";

/** The field app (/veld/) asks for the position of an observation ("mijn locatie"): its own origin only. */
export const FIELD_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(self), payment=(), usb=()";

/**
 * What the log never holds: credentials and session material in request and response headers, and
 * secret fields of a logged body. Fastify's default request serializer logs method, URL, host and
 * address only; these paths guard anything logged with headers or a body attached.
 */
export const LOG_REDACT_PATHS: readonly string[] = [
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["x-csrf-token"]',
  'req.headers["x-operator-token"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  "headers.authorization",
  "headers.cookie",
  'headers["set-cookie"]',
  'headers["x-csrf-token"]',
  "*.password",
  "*.newPassword",
  "*.currentPassword",
  "*.token",
  "*.secret",
  "*.totp",
  "*.code_verifier",
];

/** IPv4-mapped IPv6 (::ffff:127.0.0.1) as plain IPv4, like @fastify/rate-limit's keys. */
const plainIp = (ip: string): string => (ip.startsWith("::ffff:") ? ip.slice(7) : ip);

const minutes = (ms: number): string =>
  ms % 60_000 === 0 ? `${ms / 60_000} minute${ms === 60_000 ? "" : "s"}` : `${Math.round(ms / 1000)} s`;

/**
 * Registers the security headers on every response and the global rate limit. Call it before any
 * route is registered (the rate limit attaches itself to routes as they are added).
 */
export async function registerSecurity(server: FastifyInstance, options: SecurityOptions): Promise<void> {
  const { tls } = options;
  const limit = { ...DEFAULT_RATE_LIMIT, ...options.rateLimit };

  await server.register(helmet, {
    global: true,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        ...Object.fromEntries(Object.entries(CSP_DIRECTIVES).map(([k, v]) => [k, [...v]])),
        ...(tls ? { "upgrade-insecure-requests": [] } : {}),
      },
    },
    crossOriginOpenerPolicy: { policy: "same-origin" },
    crossOriginResourcePolicy: { policy: "same-origin" },
    // Not require-corp: nothing cross-origin is embedded anyway, and it would only add failure modes.
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: "no-referrer" },
    strictTransportSecurity: tls
      ? { maxAge: HSTS_MAX_AGE_SECONDS, includeSubDomains: false, preload: false }
      : false,
    xContentTypeOptions: true,
    xFrameOptions: { action: "deny" },
    xPoweredBy: true, // removes X-Powered-By
    xDnsPrefetchControl: { allow: false },
    xPermittedCrossDomainPolicies: { permittedPolicies: "none" },
  });
  const docsPolicy = contentSecurityPolicy(tls, docsDirectives());
  server.addHook("onRequest", (request, reply, done) => {
    const path = request.url.split("?")[0] ?? "";
    const field = path === "/veld" || path.startsWith("/veld/");
    reply.header("permissions-policy", field ? FIELD_PERMISSIONS_POLICY : PERMISSIONS_POLICY);
    // Helmet has set its header on the raw response already (in its own onRequest hook, added first).
    if (isDocsPath(request.url)) reply.raw.setHeader("content-security-policy", docsPolicy);
    done();
  });

  const allowed = new Set(limit.allowList.map(plainIp));
  // One warning per address and window, not one per refused request.
  const warned = new Map<string, number>();
  await server.register(rateLimit, {
    global: true,
    max: limit.max,
    timeWindow: limit.windowMs,
    allowList: allowed.size > 0 ? (request: FastifyRequest) => allowed.has(plainIp(request.ip)) : undefined,
    addHeadersOnExceeding: {
      "x-ratelimit-limit": true,
      "x-ratelimit-remaining": true,
      "x-ratelimit-reset": true,
    },
    addHeaders: {
      "x-ratelimit-limit": true,
      "x-ratelimit-remaining": true,
      "x-ratelimit-reset": true,
      "retry-after": true,
    },
    onExceeded(request, key) {
      const now = Date.now();
      if ((warned.get(key) ?? 0) > now) return;
      if (warned.size > 10_000) warned.clear();
      warned.set(key, now + limit.windowMs);
      request.log.warn(
        { client: key, max: limit.max, windowMs: limit.windowMs },
        "rate limit exceeded: requests refused with 429 until the window ends",
      );
    },
    // Thrown by the plugin and answered by the app's error handler as application/problem+json.
    errorResponseBuilder(_request, context) {
      const error = new Error(
        `too many requests from this address: at most ${context.max} per ${minutes(limit.windowMs)}; retry in ${context.after}`,
      ) as Error & { statusCode: number };
      error.statusCode = context.statusCode;
      return error;
    },
  });
}
