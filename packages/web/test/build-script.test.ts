import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { inputsHash, precompress } from "../scripts/build.mjs";

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "wijkradar-web-test-"));
  temps.push(dir);
  return dir;
}
function write(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
}

/** A checkout in miniature: packages/web with its inputs, packages/core/src and the lock file. */
function fakeCheckout(): { root: string; web: string; core: string; lock: string; hash: () => string } {
  const root = tempDir();
  const web = join(root, "packages", "web");
  const core = join(root, "packages", "core", "src");
  const lock = join(root, "package-lock.json");
  write(join(web, "src", "main.tsx"), "export const a = 1;\n");
  write(join(web, "src", "views", "Map.tsx"), "export const b = 2;\n");
  write(join(web, "public", "favicon.svg"), "<svg/>");
  write(join(web, "index.html"), "<!doctype html>");
  write(join(web, "vite.config.ts"), "export default {};\n");
  write(join(web, "package.json"), '{"name":"@wijkradar/web"}');
  write(join(web, "tsconfig.json"), "{}");
  write(join(core, "index.ts"), "export const c = 3;\n");
  write(lock, '{"lockfileVersion":3}');
  return { root, web, core, lock, hash: () => inputsHash(web, core, lock) };
}

describe("the dashboard build script", () => {
  it("hashes the inputs deterministically and independent of where the checkout lives", () => {
    const a = fakeCheckout();
    const h = a.hash();
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash()).toBe(h);
    const copy = join(tempDir(), "elsewhere");
    cpSync(a.root, copy, { recursive: true });
    expect(
      inputsHash(
        join(copy, "packages/web"),
        join(copy, "packages/core/src"),
        join(copy, "package-lock.json"),
      ),
    ).toBe(h);
  });

  it("changes the hash when an input changes, and back when the change is undone", () => {
    const c = fakeCheckout();
    const h = c.hash();
    const edits: [string, string][] = [
      [join(c.web, "src", "main.tsx"), "export const a = 2;\n"],
      [join(c.web, "src", "views", "Map.tsx"), "export const b = 3;\n"],
      [join(c.web, "public", "favicon.svg"), "<svg></svg>"],
      [join(c.web, "index.html"), "<!doctype html><title>x</title>"],
      [join(c.web, "vite.config.ts"), "export default { base: '/' };\n"],
      [join(c.web, "package.json"), '{"name":"@wijkradar/web","version":"1"}'],
      [join(c.web, "tsconfig.json"), '{"compilerOptions":{}}'],
      [join(c.core, "index.ts"), "export const c = 4;\n"],
      [c.lock, '{"lockfileVersion":3,"packages":{}}'],
    ];
    for (const [file, content] of edits) {
      const before = readFileSync(file, "utf8");
      writeFileSync(file, content);
      expect(c.hash(), file).not.toBe(h);
      writeFileSync(file, before);
      expect(c.hash(), file).toBe(h);
    }
  });

  it("changes the hash when an input file is added, removed or renamed", () => {
    const c = fakeCheckout();
    const h = c.hash();
    write(join(c.web, "src", "new.ts"), "");
    const added = c.hash();
    expect(added).not.toBe(h);
    rmSync(join(c.web, "src", "new.ts"));
    expect(c.hash()).toBe(h);
    rmSync(join(c.web, "src", "views", "Map.tsx"));
    expect(c.hash()).not.toBe(h);
    write(join(c.web, "src", "views", "Kaart.tsx"), "export const b = 2;\n");
    expect(c.hash()).not.toBe(h);
    write(join(c.core, "new.ts"), "");
    expect(c.hash()).not.toBe(added);
  });

  it("does not change the hash for what is not an input: dist, node_modules, tests, times", () => {
    const c = fakeCheckout();
    const h = c.hash();
    write(join(c.web, "dist", "index.html"), "<!doctype html>");
    write(join(c.web, "node_modules", "x", "index.js"), "");
    write(join(c.web, "src", "node_modules", "y.js"), "");
    write(join(c.web, "test", "a.test.ts"), "");
    write(join(c.web, "README.md"), "# web");
    write(join(c.root, "packages", "server", "src", "x.ts"), "");
    write(join(c.root, "packages", "core", "test", "x.test.ts"), "");
    utimesSync(join(c.web, "src", "main.tsx"), new Date(0), new Date(0));
    expect(c.hash()).toBe(h);
  });

  it("pre-compresses .js, .mjs, .css, .html, .svg and .json with gzip and brotli, nothing else", () => {
    const dir = tempDir();
    const text = "const wijk = 'buurt';\n".repeat(200);
    for (const name of [
      "index.html",
      "assets/app-1.js",
      "assets/w-1.mjs",
      "assets/app-1.css",
      "favicon.svg",
      "m.json",
    ])
      write(join(dir, name), text);
    write(join(dir, "assets", "logo.png"), "png");
    precompress(dir);
    for (const name of [
      "index.html",
      "assets/app-1.js",
      "assets/w-1.mjs",
      "assets/app-1.css",
      "favicon.svg",
      "m.json",
    ]) {
      expect(gunzipSync(readFileSync(join(dir, `${name}.gz`))).toString()).toBe(text);
      expect(brotliDecompressSync(readFileSync(join(dir, `${name}.br`))).toString()).toBe(text);
    }
    expect(existsSync(join(dir, "assets", "logo.png.gz"))).toBe(false);
    expect(existsSync(join(dir, "assets", "logo.png.br"))).toBe(false);
  });
});
