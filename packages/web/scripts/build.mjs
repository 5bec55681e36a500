#!/usr/bin/env node
/**
 * Builds the dashboard into packages/web/dist when the build is missing or stale. Plain ESM
 * JavaScript, so that it runs before anything is compiled (`npm start` → `npm run build` → here).
 *
 * Staleness: a SHA-256 over the relative paths and contents of the build inputs (packages/web/src,
 * public, index.html, veld/ (the field app's page), vite.config.ts, package.json, tsconfig.json, packages/core/src and the root
 * package-lock.json), compared with dist/.build-stamp.json. The build goes to a temp folder beside
 * dist, is pre-compressed (.gz, .br), gets its stamp last and is then renamed into place, so that a
 * running server never serves a half-written build and an interrupted build is redone next time.
 *
 *   node packages/web/scripts/build.mjs            build when missing or stale
 *   node packages/web/scripts/build.mjs --force    build anyway
 *   node packages/web/scripts/build.mjs --check    exit 1 when missing or stale, 0 when fresh; never builds
 */
import { createHash, randomBytes } from "node:crypto";
import {
  existsSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, extname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { brotliCompressSync, constants as zlib, gzipSync } from "node:zlib";

/** packages/web, found from this script's own location. */
export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const CORE_SRC_DIR = resolve(WEB_DIR, "..", "core", "src");
export const LOCK_FILE = resolve(WEB_DIR, "..", "..", "package-lock.json");
export const DIST_DIR = join(WEB_DIR, "dist");
export const STAMP_FILE = ".build-stamp.json";

/** Files and folders of packages/web that go into the build. */
const WEB_INPUTS = ["src", "public", "index.html", "veld", "vite.config.ts", "package.json", "tsconfig.json"];
/** Files that are sent pre-compressed (.mjs: the MapLibre worker; .webmanifest: the field app's). */
const COMPRESSIBLE = new Set([".js", ".mjs", ".css", ".html", ".svg", ".json", ".webmanifest"]);
/** Temp and old build folders beside dist: `.dist-build-<pid>-<random>`, `.dist-old-<pid>-<random>`. */
const TEMP_PREFIXES = [".dist-build-", ".dist-old-"];

/** Every file under `dir` (relative paths with "/"), skipping node_modules; [] when it does not exist. */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  const walk = (d) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.name === "node_modules" || entry.name === ".DS_Store") continue;
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() || (entry.isSymbolicLink() && statSync(full).isFile())) out.push(full);
    }
  };
  walk(dir);
  return out.map((f) => relative(dir, f).split(sep).join("/"));
}

/**
 * SHA-256 (hex) over the relative paths and contents of the build inputs. Paths are relative to
 * their root and labelled (`web/…`, `core/src/…`, `package-lock.json`), and sorted, so the hash does
 * not depend on where the checkout lives or in which order the file system lists files.
 *
 * @param {string} webDir packages/web
 * @param {string} coreSrcDir packages/core/src
 * @param {string} lockFile the root package-lock.json
 * @returns {string}
 */
export function inputsHash(webDir, coreSrcDir, lockFile) {
  /** @type {[string, string][]} label → absolute path */
  const files = [];
  for (const input of WEB_INPUTS) {
    const full = join(webDir, input);
    if (!existsSync(full)) continue;
    if (statSync(full).isDirectory()) {
      for (const rel of filesUnder(full)) files.push([`web/${input}/${rel}`, join(full, rel)]);
    } else files.push([`web/${input}`, full]);
  }
  for (const rel of filesUnder(coreSrcDir)) files.push([`core/src/${rel}`, join(coreSrcDir, rel)]);
  if (existsSync(lockFile)) files.push(["package-lock.json", lockFile]);
  files.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  const hash = createHash("sha256");
  for (const [label, path] of files) {
    const content = readFileSync(path);
    // Length-prefixed, so that moving bytes between a name and a content changes the hash.
    hash.update(`${label}\0${content.length}\0`);
    hash.update(content);
  }
  return hash.digest("hex");
}

/** The stamp of the build in `distDir`, or undefined when there is none or it cannot be read. */
function readStamp(distDir) {
  try {
    const stamp = JSON.parse(readFileSync(join(distDir, STAMP_FILE), "utf8"));
    return typeof stamp?.inputsHash === "string" ? stamp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the build in packages/web/dist is fresh, and if not why.
 *
 * @returns {{ fresh: boolean, reason?: string, hash: string, dir: string }}
 */
export function webBuildStatus() {
  const hash = inputsHash(WEB_DIR, CORE_SRC_DIR, LOCK_FILE);
  if (!existsSync(join(DIST_DIR, "index.html")))
    return { fresh: false, reason: "no build yet", hash, dir: DIST_DIR };
  const stamp = readStamp(DIST_DIR);
  if (!stamp) return { fresh: false, reason: "no build stamp", hash, dir: DIST_DIR };
  if (stamp.inputsHash !== hash) return { fresh: false, reason: "sources changed", hash, dir: DIST_DIR };
  return { fresh: true, hash, dir: DIST_DIR };
}

/** Writes `<file>.gz` (level 9) and `<file>.br` (quality 11) beside every compressible file. */
export function precompress(dir) {
  for (const rel of filesUnder(dir)) {
    if (!COMPRESSIBLE.has(extname(rel))) continue;
    const file = join(dir, rel);
    const content = readFileSync(file);
    writeFileSync(`${file}.gz`, gzipSync(content, { level: 9 }));
    writeFileSync(
      `${file}.br`,
      brotliCompressSync(content, {
        params: {
          [zlib.BROTLI_PARAM_QUALITY]: 11,
          [zlib.BROTLI_PARAM_SIZE_HINT]: content.length,
          [zlib.BROTLI_PARAM_MODE]:
            extname(rel) === ".svg" ? zlib.BROTLI_MODE_TEXT : zlib.BROTLI_MODE_GENERIC,
        },
      }),
    );
  }
}

/** Whether a process with this id is running. */
function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return /** @type {NodeJS.ErrnoException} */ (e).code === "EPERM";
  }
}

/** Removes temp and old build folders left by builds whose process is gone. */
function removeLeftovers() {
  for (const name of readdirSync(WEB_DIR)) {
    const prefix = TEMP_PREFIXES.find((p) => name.startsWith(p));
    if (!prefix) continue;
    const pid = Number(name.slice(prefix.length).split("-")[0]);
    if (!Number.isInteger(pid) || !alive(pid)) rmSync(join(WEB_DIR, name), { recursive: true, force: true });
  }
}

/** Moves the finished build in `tmp` to dist; the old dist is moved aside first and then removed. */
function swapIntoPlace(tmp) {
  const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  // A rename cannot replace a non-empty folder: move the old one aside, then the new one in. Retry
  // when a concurrent build put its dist in place between the two renames.
  for (let attempt = 0; ; attempt++) {
    const old = join(WEB_DIR, `.dist-old-${tag}-${attempt}`);
    try {
      renameSync(DIST_DIR, old);
    } catch (e) {
      if (/** @type {NodeJS.ErrnoException} */ (e).code !== "ENOENT") throw e;
    }
    try {
      renameSync(tmp, DIST_DIR);
      rmSync(old, { recursive: true, force: true });
      return;
    } catch (e) {
      const code = /** @type {NodeJS.ErrnoException} */ (e).code;
      if ((code !== "ENOTEMPTY" && code !== "EEXIST") || attempt >= 5) throw e;
      rmSync(old, { recursive: true, force: true });
    }
  }
}

/**
 * Builds the dashboard when packages/web/dist is missing or stale (or when `force`); prints one line
 * to `log` when it builds, nothing when the build is fresh.
 *
 * @param {{ force?: boolean, log?: (line: string) => void }} [options]
 * @returns {Promise<{ built: boolean, ms: number, dir: string }>}
 */
export async function ensureWebBuild({ force = false, log } = {}) {
  const started = performance.now();
  const status = webBuildStatus();
  if (status.fresh && !force)
    return { built: false, ms: Math.round(performance.now() - started), dir: DIST_DIR };

  const what = `wijkradar: building the dashboard (${force ? "forced" : status.reason})…`;
  // On a terminal, without a log of the caller's own, the line is written in two parts, so that the
  // wait does not look like a hang.
  const live = log === undefined && process.stderr.isTTY === true;
  const say = log ?? ((line) => console.error(line));
  if (live) process.stderr.write(`${what} `);

  removeLeftovers();
  const tmp = join(WEB_DIR, `.dist-build-${process.pid}-${randomBytes(4).toString("hex")}`);
  // Vite takes NODE_ENV over its mode (a test runner sets "test"): this is always a production build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    const { build, version } = await import("vite");
    await build({
      root: WEB_DIR,
      mode: "production",
      logLevel: "warn",
      build: { outDir: tmp, emptyOutDir: true },
    });
    precompress(tmp);
    // The stamp is written last: a build interrupted before this point has none and is redone.
    writeFileSync(
      join(tmp, STAMP_FILE),
      `${JSON.stringify({ inputsHash: status.hash, builtAt: new Date().toISOString(), viteVersion: version }, null, 2)}\n`,
    );
    swapIntoPlace(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (live) process.stderr.write("failed\n");
    throw e;
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
  const ms = Math.round(performance.now() - started);
  const done = `done in ${(ms / 1000).toFixed(1)} s`;
  if (live) process.stderr.write(`${done}\n`);
  else say(`${what} ${done}`);
  return { built: true, ms, dir: DIST_DIR };
}

async function main(args) {
  const unknown = args.filter((a) => a !== "--force" && a !== "--check");
  if (unknown.length > 0) {
    console.error(`wijkradar: unknown option ${unknown.join(" ")}; usage: build.mjs [--force] [--check]`);
    return 64;
  }
  if (args.includes("--check")) {
    const status = webBuildStatus();
    if (status.fresh) return 0;
    console.error(
      `wijkradar: the dashboard build in ${relative(process.cwd(), DIST_DIR) || "."} is ${status.reason === "no build yet" ? "missing" : `stale (${status.reason})`}; run npm run build`,
    );
    return 1;
  }
  try {
    await ensureWebBuild({ force: args.includes("--force") });
    return 0;
  } catch (e) {
    console.error(`wijkradar: building the dashboard failed:\n${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}

/** Whether this file is the script node was started with (not imported). */
function isMain() {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) process.exitCode = await main(process.argv.slice(2));
