import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      "@wijkradar/core": src("./packages/core/src/index.ts"),
    },
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts", "e2e/**/*.test.ts"],
    environment: "node",
    globalSetup: ["packages/server/test/global-setup.ts"],
    // DuckDB files and real servers: keep parallelism within two cores.
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    env: { TZ: "UTC" },
    // The JSON report lets .ci/run print "N passed, N failed" with the real counts.
    reporters: ["default", ["json", { outputFile: "test-output/vitest.json" }]],
  },
});
