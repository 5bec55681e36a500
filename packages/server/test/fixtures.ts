/**
 * Test fixtures: fresh temporary folders and copies of the demo database built by global-setup.ts.
 * No shared mutable state: every test that writes gets its own file.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, inject } from "vitest";
import type { App } from "../src/api/app.js";

// Removed when the test file is done (a database opened in beforeAll must outlive each test).
const cleanups: (() => void)[] = [];
afterAll(() => {
  while (cleanups.length) cleanups.pop()!();
});

/** A new empty temporary folder, removed after the test file. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "wijkradar-test-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes a file into a new temp folder and returns its path. */
export function tempFile(name: string, content: string | Uint8Array, dir = tempDir()): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** A private copy of the demo database (all bundled data imported), removed after the test file. */
export function demoDbCopy(): string {
  const path = join(tempDir(), "demo.duckdb");
  copyFileSync(inject("demoDb"), path);
  return path;
}

/** Absolute path of a file under data/demo. */
export const demoFile = (rel: string): string =>
  join(import.meta.dirname, "..", "..", "..", "data", "demo", rel);

/** Starts an app on a free loopback port; returns its base URL (http://127.0.0.1:port). */
export async function listenOnLoopback(app: App): Promise<string> {
  await app.server.listen({ port: 0, host: "127.0.0.1" });
  const addr = app.server.server.address();
  if (typeof addr !== "object" || addr === null) throw new Error("the test server has no TCP address");
  return `http://127.0.0.1:${addr.port}`;
}
