import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The dashboard is served by the wijkradar server itself (same origin, /api/...). During development
// `npm run dev -w packages/web` proxies /api to a running server (WIJKRADAR_API, default http://127.0.0.1:8080).
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      output: {
        // MapLibre in a chunk of its own: cached across releases and measured apart from our code.
        codeSplitting: { groups: [{ name: "maplibre", test: /node_modules[\\/]maplibre-gl/ }] },
      },
    },
  },
  server: { proxy: { "/api": process.env.WIJKRADAR_API ?? "http://127.0.0.1:8080" } },
  preview: { proxy: { "/api": process.env.WIJKRADAR_API ?? "http://127.0.0.1:8080" } },
});
