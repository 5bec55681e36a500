// @ts-check
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/dist/**",
      "**/node_modules/**",
      "data/**",
      "bench/out/**",
      "coverage/**",
      "packages/web/.dist-*/**",
      ".wijkradar-tmp/**",
      // Type-checked by the root tsconfig (Node), outside the app's own project.
      "packages/web/vite.config.ts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["*.js", "packages/server/bin/*.js"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "@duckdb/node-api", message: "Only packages/server/src/store may touch the database." },
          ],
        },
      ],
    },
  },
  {
    files: ["packages/server/src/store/**/*.ts"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    // Benchmarks measure DuckDB's own read_csv as the ceiling for the importer.
    files: ["bench/**/*.ts"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    files: ["packages/core/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["node:*", "fs", "path", "@duckdb/*", "@wijkradar/server"],
              message: "packages/core is pure: no I/O, no database, no server.",
            },
          ],
        },
      ],
      "no-restricted-globals": ["error", { name: "Date", message: "core has no clock: pass time in." }],
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: "core has no randomness: use a seeded generator." },
      ],
    },
  },
  {
    files: ["**/*.js"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  {
    // The dashboard: React's rules of hooks; no Node built-ins in code that runs in the browser.
    files: ["packages/web/src/**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["node:*", "@duckdb/*", "@wijkradar/server"],
              message: "the web app talks to the API only.",
            },
          ],
        },
      ],
    },
  },
  {
    // Plain ESM scripts outside any tsconfig (packages/web/scripts/build.mjs): linted without types.
    files: ["**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { process: "readonly", console: "readonly" },
    },
  },
);
