import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, inject, it, type TestContext } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { DEFAULT_WEB_ROOT } from "../src/api/web-route.js";
import { Database } from "../src/store/database.js";
import { listenOnLoopback } from "./fixtures.js";

/**
 * The real production build of packages/web, ensured by the global setup (ensureWebBuild), served
 * from the default web root. Another build replacing dist during the run (a plain `vite build` by
 * hand) makes the checks on its files meaningless: they are skipped then, and say why.
 */
describe("the dashboard build ensured by the test setup", () => {
  const { dir, stamp } = inject("webBuild");
  const sameBuild = (ctx: TestContext): void => {
    let now = "";
    try {
      now = readFileSync(join(dir, ".build-stamp.json"), "utf8");
    } catch {
      // no stamp: not the build of the setup
    }
    if (now !== stamp) ctx.skip("packages/web/dist was replaced by another build during the test run");
  };
  let db: Database;
  let app: App;
  let base: string;

  beforeAll(async () => {
    db = await Database.open({ path: ":memory:" });
    app = await buildApp({ db, logLevel: "silent" });
    base = await listenOnLoopback(app);
  });
  afterAll(async () => {
    await app.close();
    db.close();
  });

  it("is packages/web/dist, the default web root, with a stamp of its inputs", () => {
    expect(dir).toBe(DEFAULT_WEB_ROOT);
    const parsed = JSON.parse(stamp) as Record<string, unknown>;
    expect(parsed.inputsHash).toMatch(/^[0-9a-f]{64}$/);
    expect(Number.isNaN(Date.parse(String(parsed.builtAt)))).toBe(false);
    expect(parsed.viteVersion).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("is a production build with a .gz and a .br beside every script", (ctx) => {
    sameBuild(ctx);
    expect(existsSync(join(dir, "index.html"))).toBe(true);
    const scripts = readdirSync(join(dir, "assets")).filter((f) => /\.m?js$/.test(f));
    expect(scripts.length).toBeGreaterThan(0);
    for (const name of scripts) {
      const file = join(dir, "assets", name);
      const content = readFileSync(file);
      // Production even though vitest sets NODE_ENV=test: React's development JSX runtime has jsxDEV.
      expect(content.toString("utf8"), name).not.toContain("jsxDEV");
      expect(gunzipSync(readFileSync(`${file}.gz`)).equals(content), name).toBe(true);
      expect(brotliDecompressSync(readFileSync(`${file}.br`)).equals(content), name).toBe(true);
    }
  });

  it("is what the server sends at / and for a view, and its assets brotli-compressed", async (ctx) => {
    sameBuild(ctx);
    const index = readFileSync(join(dir, "index.html"), "utf8");
    for (const path of ["/", "/profiel"]) {
      const res = await fetch(`${base}${path}`, { headers: { accept: "text/html" } });
      expect(res.status, path).toBe(200);
      expect(await res.text()).toBe(index);
    }
    const script = /<script type="module" crossorigin src="([^"]+)"/.exec(index)?.[1];
    expect(script, "index.html loads a module script").toMatch(/^\/assets\//);
    const res = await fetch(`${base}${script}`, { headers: { "accept-encoding": "br" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBe("br");
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await res.text()).toBe(readFileSync(join(dir, script!.slice(1)), "utf8"));
  });
  it("has the field app: its page, a manifest and a service worker that precaches its shell only", async (ctx) => {
    sameBuild(ctx);
    const page = readFileSync(join(dir, "veld", "index.html"), "utf8");
    const res = await fetch(`${base}/veld/`, { headers: { accept: "text/html" } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(page);
    expect(page).toContain('<link rel="manifest" href="/manifest.webmanifest"');
    // Strict CSP: no inline script in either page; the dashboard is not the installable app.
    for (const html of [page, readFileSync(join(dir, "index.html"), "utf8")])
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(readFileSync(join(dir, "index.html"), "utf8")).not.toContain('rel="manifest"');

    const manifest = JSON.parse(readFileSync(join(dir, "manifest.webmanifest"), "utf8")) as {
      name: string;
      start_url: string;
      scope: string;
      lang: string;
      display: string;
      icons: { src: string; sizes: string; purpose?: string }[];
    };
    expect(manifest).toMatchObject({ name: "wijkradar veld", start_url: "/veld/", scope: "/", lang: "nl" });
    expect(manifest.display).toBe("standalone");
    expect(manifest.icons.map((i) => i.sizes).sort()).toEqual(["192x192", "512x512", "512x512"]);
    expect(manifest.icons.some((i) => i.purpose === "maskable")).toBe(true);
    for (const icon of manifest.icons) {
      const png = readFileSync(join(dir, icon.src.slice(1)));
      expect(png.subarray(1, 4).toString("latin1"), icon.src).toBe("PNG");
      const [w, h] = [png.readUInt32BE(16), png.readUInt32BE(20)];
      expect(`${w}x${h}`, icon.src).toBe(icon.sizes);
    }

    // The precache: the field page and every script and stylesheet it loads, nothing of the dashboard
    // alone (its entry), no MapLibre, no API.
    const sw = readFileSync(join(dir, "sw.js"), "utf8");
    const precached = [...sw.matchAll(/url:"([^"]+)"/g)].map((m) => m[1]!);
    expect(precached).toContain("veld/index.html");
    const loaded = [...page.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(loaded.length).toBeGreaterThan(0);
    for (const file of loaded) expect(precached, file).toContain(file);
    const dashboardEntry = /<script type="module" crossorigin src="\/([^"]+)"/.exec(
      readFileSync(join(dir, "index.html"), "utf8"),
    )?.[1];
    expect(precached).not.toContain(dashboardEntry);
    expect(precached).not.toContain("index.html");
    expect(precached.filter((u) => /maplibre|^api\//.test(u))).toEqual([]);
    const swRes = await fetch(`${base}/sw.js`);
    expect(swRes.headers.get("cache-control")).toBe("no-cache");
  });
});
