/**
 * Test fixtures: fresh temporary folders and copies of the demo database built by global-setup.ts.
 * No shared mutable state: every test that writes gets its own file.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, inject } from "vitest";

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
