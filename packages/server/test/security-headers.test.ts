/**
 * HTTP hardening on a real server on loopback (demo database copies): the security headers on the
 * dashboard, the API, a data route, the docs and a 404; HSTS and upgrade-insecure-requests only
 * behind TLS; the body limit (413) and the rate limit (429 with Retry-After) as problem+json; the
 * log paths that are redacted.
 */
import { createHash } from "node:crypto";
import { Writable } from "node:stream";
import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import {
  contentSecurityPolicy,
  DEFAULT_RATE_LIMIT,
  docsDirectives,
  HSTS_MAX_AGE_SECONDS,
  LOG_REDACT_PATHS,
  NOT_BUILT_STYLE_HASH,
  PERMISSIONS_POLICY,
  swaggerUiStyleHashes,
  type SecurityOptions,
} from "../src/api/security.js";
import { Database } from "../src/store/database.js";
import { demoDbCopy, listenOnLoopback, tempDir } from "./fixtures.js";

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
}

/** A server on a copy of the demo database with the given security options. */
async function start(
  security?: SecurityOptions,
  webRoot?: string,
): Promise<{ base: string; close(): Promise<void> }> {
  const db = await Database.open({ path: demoDbCopy() });
  let app: App | undefined;
  try {
    app = await buildApp({
      db,
      logLevel: "silent",
      ...(security ? { security } : {}),
      ...(webRoot ? { webRoot } : {}),
    });
    const base = await listenOnLoopback(app);
    const started = app;
    return {
      base,
      async close() {
        await started.close();
        db.close();
      },
    };
  } catch (e) {
    await app?.close();
    db.close();
    throw e;
  }
}

/** The headers every response carries, whatever route or status. */
function expectSecurityHeaders(res: Response, what: string, tls = false): void {
  const h = res.headers;
  const csp = h.get("content-security-policy") ?? "";
  expect(csp, `${what}: CSP`).toBe(contentSecurityPolicy(tls));
  expect(csp, what).not.toContain("unsafe-inline");
  expect(csp, what).not.toContain("unsafe-eval");
  expect(h.get("x-content-type-options"), what).toBe("nosniff");
  expect(h.get("referrer-policy"), what).toBe("no-referrer");
  expect(h.get("x-frame-options"), what).toBe("DENY");
  expect(h.get("cross-origin-opener-policy"), what).toBe("same-origin");
  expect(h.get("cross-origin-resource-policy"), what).toBe("same-origin");
  expect(h.get("permissions-policy"), what).toBe(PERMISSIONS_POLICY);
  expect(h.get("x-powered-by"), what).toBeNull();
  if (tls) expect(h.get("strict-transport-security"), what).toBe(`max-age=${HSTS_MAX_AGE_SECONDS}`);
  else expect(h.get("strict-transport-security"), what).toBeNull();
}

const ROUTES: readonly [string, string, number][] = [
  ["the dashboard", "/", 200],
  ["a view of the dashboard", "/profiel", 200],
  ["health", "/api/health", 200],
  ["a data route", "/api/indicators/eenzaam_65plus/values?level=gemeente", 200],
  ["the catalogue", "/api/indicators", 200],
  ["an unknown API path", "/api/nothing-here", 404],
  ["a bad query", "/api/areas?level=planet", 400],
];

describe("security headers without TLS (the default)", () => {
  let server: { base: string; close(): Promise<void> };
  beforeAll(async () => {
    server = await start();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("the policy: 'self' only, frame-ancestors 'none', no unsafe-*, no upgrade-insecure-requests", () => {
    const csp = contentSecurityPolicy(false);
    for (const d of [
      "default-src 'self'",
      "script-src 'self'",
      "script-src-attr 'none'",
      "img-src 'self' data: blob:",
      "font-src 'self'",
      "connect-src 'self'",
      "worker-src 'self'",
      "object-src 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ])
      expect(csp.split(";")).toContain(d);
    // style-src: 'self' and the hash of the "not built" page's stylesheet, nothing else.
    expect(csp).toMatch(/(^|;)style-src 'self' 'sha256-[A-Za-z0-9+/]+=*'(;|$)/);
    expect(csp).not.toContain("upgrade-insecure-requests");
    expect(csp).not.toMatch(/https?:|\*/);
  });

  it.each(ROUTES)("on %s (%s → %i)", async (what, path, status) => {
    const res = await fetch(`${server.base}${path}`, { headers: { accept: "text/html,*/*" } });
    expect(res.status, what).toBe(status);
    expectSecurityHeaders(res, what);
  });

  it("on a file of the dashboard's build", async () => {
    const html = await (await fetch(`${server.base}/`)).text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset, "a script of the build in index.html").toBeDefined();
    const res = await fetch(`${server.base}${asset}`);
    expect(res.status).toBe(200);
    expectSecurityHeaders(res, asset!);
  });

  it("/api/docs has the same policy plus only Swagger UI's inline logo stylesheet, by hash", async () => {
    const hashes = swaggerUiStyleHashes();
    expect(hashes.length).toBeGreaterThan(0);
    for (const h of hashes) expect(h).toMatch(/^'sha256-[A-Za-z0-9+/]+=*'$/);
    for (const path of ["/api/docs", "/api/docs/static/swagger-ui-bundle.js"]) {
      const res = await fetch(`${server.base}${path}`);
      expect(res.status, path).toBe(200);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp, path).toBe(contentSecurityPolicy(false, docsDirectives()));
      expect(csp, path).not.toContain("unsafe-inline");
      for (const h of hashes) expect(csp, path).toContain(h);
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
    }
    // Not elsewhere.
    const page = await fetch(`${server.base}/`);
    for (const h of hashes) expect(page.headers.get("content-security-policy")).not.toContain(h);
  });

  it("answers a body over the limit (1 MiB) with 413 as problem+json, with the headers", async () => {
    const big = JSON.stringify({ id: "x", padding: "x".repeat(1_100_000) });
    const res = await fetch(`${server.base}/api/profiles`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: big,
    });
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as Problem;
    expect(body).toMatchObject({ status: 413, title: "Payload Too Large" });
    expectSecurityHeaders(res, "413");
  });

  it("counts requests per address with the default limit and says so in the headers", async () => {
    const res = await fetch(`${server.base}/api/health`);
    expect(Number(res.headers.get("x-ratelimit-limit"))).toBe(DEFAULT_RATE_LIMIT.max);
    expect(Number(res.headers.get("x-ratelimit-remaining"))).toBeLessThan(DEFAULT_RATE_LIMIT.max);
    expect(res.headers.get("retry-after")).toBeNull();
  });
});

describe("security headers behind TLS", () => {
  let server: { base: string; close(): Promise<void> };
  beforeAll(async () => {
    server = await start({ tls: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("adds HSTS (one year, no includeSubDomains) and upgrade-insecure-requests everywhere", async () => {
    expect(contentSecurityPolicy(true).split(";")).toContain("upgrade-insecure-requests");
    for (const [what, path, status] of ROUTES) {
      const res = await fetch(`${server.base}${path}`, { headers: { accept: "text/html,*/*" } });
      expect(res.status, what).toBe(status);
      expectSecurityHeaders(res, what, true);
    }
    const docs = await fetch(`${server.base}/api/docs`);
    expect(docs.headers.get("content-security-policy")).toContain("upgrade-insecure-requests");
    expect(docs.headers.get("strict-transport-security")).toBe(`max-age=${HSTS_MAX_AGE_SECONDS}`);
  });
});

describe("rate limit", () => {
  const MAX = 5;
  let limited: { base: string; close(): Promise<void> };
  let allowed: { base: string; close(): Promise<void> };
  beforeAll(async () => {
    [limited, allowed] = await Promise.all([
      start({ tls: false, rateLimit: { max: MAX, windowMs: 60_000 } }),
      start({ tls: false, rateLimit: { max: 1, windowMs: 60_000, allowList: ["127.0.0.1"] } }),
    ]);
  });
  afterAll(async () => {
    await limited?.close();
    await allowed?.close();
  });

  it(`answers request ${MAX + 1} from the same address (loopback too) with 429, Retry-After and a problem`, async () => {
    for (let i = 1; i <= MAX; i++) {
      const res = await fetch(`${limited.base}/api/health`);
      expect(res.status, `request ${i}`).toBe(200);
      expect(Number(res.headers.get("x-ratelimit-remaining")), `request ${i}`).toBe(MAX - i);
      await res.arrayBuffer();
    }
    const res = await fetch(`${limited.base}/api/indicators`);
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.headers.get("x-ratelimit-limit")).toBe(String(MAX));
    expect(res.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as Problem;
    expect(body).toMatchObject({ type: "about:blank", title: "Too Many Requests", status: 429 });
    expect(body.detail).toContain(`at most ${MAX} per 1 minute`);
    expectSecurityHeaders(res, "429");
    // Every route counts: the dashboard's files as well.
    expect((await fetch(`${limited.base}/`)).status).toBe(429);
  });

  it("never limits an address on the allow list", async () => {
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${allowed.base}/api/health`);
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
  });
});

describe("the page that says the dashboard is not built", () => {
  let server: { base: string; close(): Promise<void> };
  beforeAll(async () => {
    server = await start(undefined, tempDir());
  });
  afterAll(async () => {
    await server?.close();
  });

  it("may use its one inline stylesheet (by its hash), under the same headers", async () => {
    const res = await fetch(`${server.base}/`, { headers: { accept: "text/html" } });
    expect(res.status).toBe(503);
    expectSecurityHeaders(res, "503");
    const css = /<style>([\s\S]*?)<\/style>/.exec(await res.text())?.[1];
    expect(css).toBeDefined();
    const hash = `'sha256-${createHash("sha256").update(css!, "utf8").digest("base64")}'`;
    expect(NOT_BUILT_STYLE_HASH).toBe(hash);
    expect(res.headers.get("content-security-policy")).toContain(`style-src 'self' ${hash}`);
  });
});

describe("logs", () => {
  it("redact credentials, cookies, CSRF tokens and password fields", () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString("utf8"));
        done();
      },
    });
    const server = Fastify({ logger: { level: "info", redact: [...LOG_REDACT_PATHS], stream } });
    server.log.info(
      {
        headers: {
          authorization: "Bearer op-secret-1",
          cookie: "wijkradar_session=cookie-secret-2",
          "set-cookie": "wijkradar_session=cookie-secret-3",
          "x-csrf-token": "csrf-secret-4",
          accept: "application/json",
        },
        body: { username: "anna", password: "pw-secret-5", totp: "123456" },
      },
      "a request",
    );
    const text = lines.join("");
    expect(text).toContain("a request");
    expect(text).toContain("anna");
    expect(text).toContain("application/json");
    for (const secret of [
      "op-secret-1",
      "cookie-secret-2",
      "cookie-secret-3",
      "csrf-secret-4",
      "pw-secret-5",
      "123456",
    ])
      expect(text).not.toContain(secret);
    expect(text).toContain("[Redacted]");
  });
});
