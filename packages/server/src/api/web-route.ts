/**
 * The dashboard: the production build of packages/web (packages/web/dist), served by the same
 * server as the API, same origin. Files come from disk through @fastify/static with their
 * pre-compressed .br/.gz siblings when the client accepts them (the build script writes them);
 * hashed files under /assets/ are cached for a year, everything else is revalidated (no-cache).
 * A GET for a view of the app (/profiel, /kaart/…) that is no file gets index.html; /api/… never
 * does. The field app (issue 7) is a second page of the same build: /veld and every view under
 * /veld/ get veld/index.html; its service worker (/sw.js, scope /) and web manifest
 * (/manifest.webmanifest) are revalidated at every start (no-cache) and sent with their own types.
 * When there is no build, the app's pages answer 503 with a page that says how to build it, and the
 * API keeps working.
 */
import { existsSync } from "node:fs";
import { join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/**
 * packages/web/dist, from this file's own location: packages/server/src/api under vitest and tsx,
 * packages/server/dist/api when compiled — three levels below packages/ either way.
 */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL("../../../web/dist", import.meta.url));

/** Sent with every response of the dashboard (the CSP and the other headers: api/security.ts). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
};

const IMMUTABLE = "public, max-age=31536000, immutable";

/** The page sent when the dashboard is not built; self-contained (no request leaves it). */
export const NOT_BUILT_PAGE = `<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wijkradar: dashboard niet gebouwd</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d3b5a}code{background:#eef2f6;padding:0 .25em}</style>
</head>
<body>
<h1>Het dashboard is nog niet gebouwd</h1>
<p>De server draait en de API werkt (<a href="/api/docs">/api/docs</a>), maar de productiebuild van het dashboard ontbreekt. Bouw het met <code>npm run build</code>, of start met <code>npm start</code>, dat het bouwt wanneer het ontbreekt of verouderd is, en laad deze pagina opnieuw.</p>
<h2 lang="en">The dashboard is not built</h2>
<p lang="en">The server is running and the API works (<a href="/api/docs">/api/docs</a>), but the production build of the dashboard is missing. Build it with <code>npm run build</code>, or start with <code>npm start</code>, which builds it when it is missing or stale, and reload this page.</p>
</body>
</html>
`;

export interface WebRoute {
  /** The folder served. */
  readonly webRoot: string;
  /**
   * For a request no route or file matched: sends index.html (a view of the app) or the "not
   * built" page and returns the reply, or returns undefined when the request is not the app's.
   */
  fallback(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined;
}

const isApiPath = (path: string): boolean => path === "/api" || path.startsWith("/api/");

/** The field app's page (a second entry of the web build). */
export const FIELD_INDEX = "veld/index.html";
const isFieldPath = (path: string): boolean => path === "/veld" || path.startsWith("/veld/");

/**
 * Serves the dashboard from `webRoot` (default packages/web/dist). Registers GET/HEAD `/*`; the API
 * routes are more specific and keep precedence, and /api/… paths are never looked up on disk.
 */
export async function registerWebRoute(
  server: FastifyInstance,
  webRoot: string = DEFAULT_WEB_ROOT,
): Promise<WebRoute> {
  const indexFile = join(webRoot, "index.html");
  const fieldIndexFile = join(webRoot, FIELD_INDEX);
  const assetsDir = join(webRoot, "assets") + sep;
  if (!existsSync(indexFile))
    server.log.warn(
      { webRoot },
      "the dashboard is not built (no index.html in the web root): its pages answer 503 until `npm run build`; the API works",
    );

  await server.register(fastifyStatic, {
    root: webRoot,
    prefix: "/",
    wildcard: true, // files looked up per request: a rebuild while the server runs is served at once
    preCompressed: true,
    index: ["index.html"],
    dotfiles: "ignore", // .build-stamp.json is not for the browser
    cacheControl: false, // set below per file
    suppressWarning: true, // a missing web root is reported above, once
    allowedPath: (path) => !isApiPath(path),
    setHeaders(reply, path) {
      reply.headers(SECURITY_HEADERS);
      reply.header("cache-control", path.startsWith(assetsDir) ? IMMUTABLE : "no-cache");
    },
  });

  return {
    webRoot,
    fallback(request, reply) {
      if (request.method !== "GET" && request.method !== "HEAD") return undefined;
      const path = request.url.split("?")[0] ?? "/";
      if (isApiPath(path)) return undefined;
      const wantsHtml = /\btext\/html\b/i.test(request.headers.accept ?? "");
      // Missing hashed assets and other files (a dot in the last segment) are 404, not the app.
      const lastSegment = path.slice(path.lastIndexOf("/") + 1);
      const isView = wantsHtml && !path.startsWith("/assets/") && !lastSegment.includes(".");
      if (!existsSync(indexFile)) {
        if (path !== "/" && !isView) return undefined;
        return reply
          .code(503)
          .headers(SECURITY_HEADERS)
          .header("cache-control", "no-store")
          .type("text/html; charset=utf-8")
          .send(NOT_BUILT_PAGE);
      }
      if (!isView) return undefined;
      if (isFieldPath(path) && existsSync(fieldIndexFile)) return reply.code(200).sendFile(FIELD_INDEX);
      return reply.code(200).sendFile("index.html");
    },
  };
}
