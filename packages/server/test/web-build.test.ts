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
});
