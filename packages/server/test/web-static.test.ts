import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { DEFAULT_WEB_ROOT } from "../src/api/web-route.js";
import { Database } from "../src/store/database.js";
import { demoDbCopy, listenOnLoopback, tempDir } from "./fixtures.js";

const INDEX = `<!doctype html><html lang="nl"><head><title>wijkradar test</title>
<script type="module" src="/assets/app-abc123.js"></script></head><body><div id="root"></div></body></html>`;
const APP_JS = `export const wijkradar = ${JSON.stringify("x".repeat(2000))};\n`;
const CSS = "body { color: #1d3b5a; }\n";
const FIELD_INDEX = `<!doctype html><html lang="nl"><head><title>wijkradar veld test</title>
<script type="module" src="/assets/veld-abc123.js"></script></head><body><div id="root"></div></body></html>`;
const SW = "self.addEventListener('fetch', () => {});\n";
const MANIFEST = '{"name":"wijkradar veld","start_url":"/veld/","scope":"/"}\n';

/**
 * A built dashboard in miniature: index.html, hashed assets with .gz/.br siblings, a favicon, and the
 * field app's page, service worker and web manifest.
 */
function fakeWebRoot(): string {
  const root = tempDir();
  mkdirSync(join(root, "assets"));
  mkdirSync(join(root, "veld"));
  writeFileSync(join(root, "index.html"), INDEX);
  writeFileSync(join(root, "veld", "index.html"), FIELD_INDEX);
  writeFileSync(join(root, "sw.js"), SW);
  writeFileSync(join(root, "manifest.webmanifest"), MANIFEST);
  writeFileSync(join(root, "manifest.webmanifest.br"), brotliCompressSync(MANIFEST));
  writeFileSync(join(root, "favicon.svg"), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(root, ".build-stamp.json"), '{"inputsHash":"x"}');
  writeFileSync(join(root, "assets", "style-abc123.css"), CSS);
  const js = join(root, "assets", "app-abc123.js");
  writeFileSync(js, APP_JS);
  writeFileSync(`${js}.gz`, gzipSync(APP_JS));
  writeFileSync(`${js}.br`, brotliCompressSync(APP_JS));
  return root;
}

describe("the server serves the dashboard build", () => {
  let db: Database;
  let app: App;
  let unbuilt: App;
  let base: string;
  let unbuiltBase: string;
  const get = (path: string, headers: Record<string, string> = {}, init: RequestInit = {}) =>
    fetch(`${base}${path}`, { headers, redirect: "manual", ...init });

  beforeAll(async () => {
    db = await Database.open({ path: demoDbCopy() });
    app = await buildApp({ db, logLevel: "silent", webRoot: fakeWebRoot() });
    base = await listenOnLoopback(app);
    // A web root without index.html: the dashboard is not built.
    unbuilt = await buildApp({ db, logLevel: "silent", webRoot: tempDir() });
    unbuiltBase = await listenOnLoopback(unbuilt);
  });
  afterAll(async () => {
    await app.close();
    await unbuilt.close();
    db.close();
  });

  it("defaults to packages/web/dist", () => {
    expect(DEFAULT_WEB_ROOT).toBe(fileURLToPath(new URL("../../web/dist", import.meta.url)));
  });

  it("sends index.html at / with no-cache and the security headers", async () => {
    const res = await get("/", { "accept-encoding": "identity" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    // The Content-Security-Policy of api/security.ts (tested in security-headers.test.ts).
    expect(res.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(await res.text()).toBe(INDEX);
    const direct = await get("/index.html");
    expect(direct.headers.get("cache-control")).toBe("no-cache");
    expect(await direct.text()).toBe(INDEX);
  });

  it("caches hashed assets for a year and revalidates everything else", async () => {
    const js = await get("/assets/app-abc123.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/^(text|application)\/javascript; charset=utf-8$/);
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(js.headers.get("x-content-type-options")).toBe("nosniff");
    const css = await get("/assets/style-abc123.css");
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(css.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await css.text()).toBe(CSS);
    const svg = await get("/favicon.svg");
    expect(svg.headers.get("content-type")).toBe("image/svg+xml");
    expect(svg.headers.get("cache-control")).toBe("no-cache");
  });

  it("sends the pre-compressed file the client accepts: brotli first, then gzip, else the file", async () => {
    const br = await get("/assets/app-abc123.js", { "accept-encoding": "gzip, deflate, br" });
    expect(br.headers.get("content-encoding")).toBe("br");
    // The type of the file itself, not of its .br sibling.
    expect(br.headers.get("content-type")).toMatch(/^(text|application)\/javascript; charset=utf-8$/);
    expect(br.headers.get("vary")?.toLowerCase()).toContain("accept-encoding");
    expect(await br.text()).toBe(APP_JS); // fetch decodes it
    const gz = await get("/assets/app-abc123.js", { "accept-encoding": "gzip" });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(gz.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await gz.text()).toBe(APP_JS);
    const plain = await get("/assets/app-abc123.js", { "accept-encoding": "identity" });
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(plain.headers.get("vary")?.toLowerCase()).toContain("accept-encoding");
    expect(await plain.text()).toBe(APP_JS);
  });

  it("answers a view of the app (no file, HTML accepted) with index.html", async () => {
    for (const path of ["/some/view", "/profiel", "/profiel/", "/kaart/GM0034?periode=2020"]) {
      const res = await get(path, { accept: "text/html,application/xhtml+xml,*/*;q=0.8" });
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("cache-control")).toBe("no-cache");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(await res.text()).toBe(INDEX);
    }
    const withQuery = await get("/?i=x", { accept: "text/html" });
    expect(withQuery.status).toBe(200);
    expect(await withQuery.text()).toBe(INDEX);
    const head = await get("/some/view", { accept: "text/html" }, { method: "HEAD" });
    expect(head.status).toBe(200);
  });

  it("serves the field app's page at /veld and every view under it, never the dashboard's", async () => {
    for (const path of ["/veld", "/veld/", "/veld/?s=new", "/veld/index.html", "/veld/nieuw"]) {
      const res = await get(path, { accept: "text/html,application/xhtml+xml,*/*;q=0.8" });
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type"), path).toBe("text/html; charset=utf-8");
      expect(res.headers.get("cache-control"), path).toBe("no-cache");
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      expect(await res.text(), path).toBe(FIELD_INDEX);
    }
    // "Mijn locatie": the field app may ask for the position, the dashboard may not.
    const field = await get("/veld/", { accept: "text/html" });
    expect(field.headers.get("permissions-policy")).toContain("geolocation=(self)");
    const dashboard = await get("/", { accept: "text/html" });
    expect(dashboard.headers.get("permissions-policy")).toContain("geolocation=()");
    // Not a prefix match on the name: /veldwerk is a dashboard view.
    const other = await get("/veldwerk", { accept: "text/html" });
    expect(await other.text()).toBe(INDEX);
    // A missing file under /veld/ is a 404, like anywhere else.
    expect((await get("/veld/missing.js", { accept: "text/html" })).status).toBe(404);
  });

  it("sends the service worker and the web manifest with their types, revalidated at every start", async () => {
    const sw = await get("/sw.js", { "accept-encoding": "identity" });
    expect(sw.status).toBe(200);
    expect(sw.headers.get("content-type")).toMatch(/^(text|application)\/javascript; charset=utf-8$/);
    expect(sw.headers.get("cache-control")).toBe("no-cache");
    expect(sw.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await sw.text()).toBe(SW);
    for (const encoding of ["identity", "br"]) {
      const manifest = await get("/manifest.webmanifest", { "accept-encoding": encoding });
      expect(manifest.status, encoding).toBe(200);
      expect(manifest.headers.get("content-type"), encoding).toBe("application/manifest+json");
      expect(manifest.headers.get("cache-control"), encoding).toBe("no-cache");
      expect(manifest.headers.get("content-encoding"), encoding).toBe(encoding === "br" ? "br" : null);
      expect(await manifest.text(), encoding).toBe(MANIFEST);
    }
  });

  it("answers 404 for unknown paths that are not views: other types, missing files, other methods", async () => {
    const cases: [string, Record<string, string>, string?][] = [
      ["/some/view", { accept: "application/json" }],
      ["/some/view", {}],
      ["/assets/missing.js", {}],
      ["/assets/missing.js", { accept: "text/html" }],
      ["/robots.txt", { accept: "text/html" }],
      ["/.build-stamp.json", {}],
      ["/some/view", { accept: "text/html" }, "POST"],
    ];
    for (const [path, headers, method] of cases) {
      const res = await get(path, headers, { method: method ?? "GET" });
      expect(res.status, `${method ?? "GET"} ${path}`).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    }
  });

  it("keeps /api/… for the API: unknown API paths are problems, never the app", async () => {
    for (const accept of ["application/json", "text/html"]) {
      const res = await get("/api/nope", { accept });
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/problem+json; charset=utf-8");
      expect(await res.json()).toMatchObject({ status: 404, detail: "no route GET /api/nope" });
    }
    expect((await get("/api", { accept: "text/html" })).status).toBe(404);
    expect((await get("/api/health")).status).toBe(200);
    expect((await get("/api/openapi.json")).status).toBe(200);
    expect((await get("/api/docs", { accept: "text/html" })).headers.get("content-type")).toMatch(
      /text\/html/,
    );
  });

  it("answers 503 with a page that says how to build when there is no build, and the API works", async () => {
    const res = await fetch(`${unbuiltBase}/`);
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const page = await res.text();
    expect(page).toContain("npm run build");
    expect(page).toContain("npm start");
    expect(page).toContain("niet gebouwd");
    expect(page).toContain("not built");
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//); // self-contained
    expect((await fetch(`${unbuiltBase}/profiel`, { headers: { accept: "text/html" } })).status).toBe(503);
    expect((await fetch(`${unbuiltBase}/assets/app.js`)).status).toBe(404);
    expect((await fetch(`${unbuiltBase}/api/nope`, { headers: { accept: "text/html" } })).status).toBe(404);
    const health = await fetch(`${unbuiltBase}/api/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe("ok");
  });

  it("serves a build that appears while the server runs (npm run build beside a running server)", async () => {
    const root = tempDir();
    const later = await buildApp({ db, logLevel: "silent", webRoot: root });
    try {
      const url = await listenOnLoopback(later);
      expect((await fetch(`${url}/`)).status).toBe(503);
      writeFileSync(join(root, "index.html"), INDEX);
      const res = await fetch(`${url}/profiel`, { headers: { accept: "text/html" } });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(INDEX);
    } finally {
      await later.close();
    }
  });
});
