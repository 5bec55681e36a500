import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";
import { VitePWA } from "vite-plugin-pwa";

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** The two pages of the build: the dashboard and the field app (/veld/). */
const DASHBOARD_HTML = here("./index.html");
const FIELD_HTML = here("./veld/index.html");

/** Theme colours of the field app's manifest: --brand and --page of src/styles.css. */
const BRAND = "#1d3b5a";
const PAGE = "#f4f6f8";

/**
 * The files the field app needs to start: its page, its entry chunk with every chunk and stylesheet
 * it imports statically, and the manifest and icons. Filled at generateBundle (before the service
 * worker is generated, at closeBundle), read by the precache filter below. Chunks loaded on demand
 * (MapLibre for "kies op de kaart") and everything of the dashboard stay out of the precache.
 */
const fieldShell = new Set<string>();

function fieldShellPlugin(): Plugin {
  return {
    name: "wijkradar:field-shell",
    apply: "build",
    enforce: "post",
    // vite-plugin-pwa puts the manifest link into every page; the dashboard is not the installable app.
    transformIndexHtml: {
      order: "post",
      handler(html, ctx) {
        if (ctx.filename === DASHBOARD_HTML) return html.replace(/<link rel="manifest"[^>]*>/, "");
        return html;
      },
    },
    generateBundle(_options, bundle) {
      fieldShell.clear();
      const entry = Object.values(bundle).find(
        (c) => c.type === "chunk" && c.isEntry && c.facadeModuleId === FIELD_HTML,
      );
      if (!entry || entry.type !== "chunk") throw new Error("the field app's entry chunk was not found");
      const visit = (fileName: string): void => {
        if (fieldShell.has(fileName)) return;
        fieldShell.add(fileName);
        const chunk = bundle[fileName];
        if (chunk?.type !== "chunk") return;
        for (const imported of chunk.imports) visit(imported);
        for (const css of chunk.viteMetadata?.importedCss ?? []) fieldShell.add(css);
        for (const asset of chunk.viteMetadata?.importedAssets ?? []) fieldShell.add(asset);
      };
      visit(entry.fileName);
      fieldShell.add("veld/index.html");
    },
  };
}

/**
 * `virtual:wijkradar-field-locales`: the "field" blocks of src/locales/nl.json and en.json alone. A
 * plain (even named) import of the JSON files would share the whole files with the dashboard in one
 * chunk, and the field app would load every string of the dashboard too.
 */
function fieldLocalesPlugin(): Plugin {
  const id = "virtual:wijkradar-field-locales";
  const files = { nl: here("./src/locales/nl.json"), en: here("./src/locales/en.json") };
  return {
    name: "wijkradar:field-locales",
    resolveId: (source) => (source === id ? `\0${id}` : undefined),
    load(loaded) {
      if (loaded !== `\0${id}`) return undefined;
      const blocks = Object.entries(files).map(([lang, file]) => {
        this.addWatchFile(file);
        const field = (JSON.parse(readFileSync(file, "utf8")) as { field?: unknown }).field;
        if (!field) throw new Error(`${file} has no "field" block`);
        return `export const ${lang} = ${JSON.stringify(field)};`;
      });
      return blocks.join("\n");
    },
  };
}

// The dashboard is served by the wijkradar server itself (same origin, /api/...). During development
// `npm run dev -w packages/web` proxies /api to a running server (WIJKRADAR_API, default http://127.0.0.1:8080).
export default defineConfig({
  plugins: [
    react(),
    fieldLocalesPlugin(),
    VitePWA({
      strategies: "generateSW",
      // Registered by the field app's own script (src/field/sw-register.ts): no inline script (CSP).
      injectRegister: false,
      registerType: "autoUpdate",
      filename: "sw.js",
      manifestFilename: "manifest.webmanifest",
      scope: "/",
      includeAssets: [],
      manifest: {
        id: "/veld/",
        name: "wijkradar veld",
        short_name: "veld",
        description: "Waarnemingen in de wijk vastleggen, ook zonder verbinding (wijkradar).",
        lang: "nl",
        dir: "ltr",
        start_url: "/veld/",
        scope: "/",
        display: "standalone",
        orientation: "portrait",
        theme_color: BRAND,
        background_color: PAGE,
        icons: [
          { src: "/veld-icons/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
          { src: "/veld-icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
          {
            src: "/veld-icons/icon-maskable-512.png",
            sizes: "512x512",
            type: "image/png",
            purpose: "maskable",
          },
        ],
      },
      workbox: {
        // Candidates; manifestTransforms keeps the field app's shell only. The manifest and its icons
        // are added by the plugin itself (includeManifestIcons).
        globPatterns: ["veld/index.html", "assets/*.{js,css}"],
        globIgnores: ["**/*.gz", "**/*.br"],
        manifestTransforms: [
          (entries) => ({
            manifest: entries.filter((e) => fieldShell.has(e.url)),
            warnings: [],
          }),
        ],
        // Hashed file names carry their version: no cache-busting query needed.
        dontCacheBustURLsMatching: /^assets\//,
        // The field app's pages answer from the precache when offline; the dashboard and the API
        // never go through the service worker's cache.
        navigateFallback: "/veld/index.html",
        navigateFallbackAllowlist: [/^\/veld(\/|$)/],
        navigateFallbackDenylist: [/^\/api\//],
        runtimeCaching: [],
        cleanupOutdatedCaches: true,
        clientsClaim: true,
        skipWaiting: true,
        sourcemap: false,
        // No workbox-*.js beside sw.js: one file, fewer requests.
        inlineWorkboxRuntime: true,
      },
    }),
    fieldShellPlugin(),
  ],
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      input: { main: DASHBOARD_HTML, veld: FIELD_HTML },
      output: {
        // MapLibre in a chunk of its own: cached across releases and measured apart from our code.
        codeSplitting: { groups: [{ name: "maplibre", test: /node_modules[\\/]maplibre-gl/ }] },
      },
    },
  },
  server: { proxy: { "/api": process.env.WIJKRADAR_API ?? "http://127.0.0.1:8080" } },
  preview: { proxy: { "/api": process.env.WIJKRADAR_API ?? "http://127.0.0.1:8080" } },
});
