/**
 * Test fixtures: fresh temporary folders and copies of the demo database built by global-setup.ts.
 * No shared mutable state: every test that writes gets its own file.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { DEMO_DB } from "./global-setup.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

/** A new empty temporary folder, removed after the test. */
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

/** A private copy of the demo database (all bundled data imported), removed after the test. */
export function demoDbCopy(): string {
  const path = join(tempDir(), "demo.duckdb");
  copyFileSync(DEMO_DB, path);
  return path;
}

/** Absolute path of a file under data/demo. */
export const demoFile = (rel: string): string =>
  join(import.meta.dirname, "..", "..", "..", "data", "demo", rel);
