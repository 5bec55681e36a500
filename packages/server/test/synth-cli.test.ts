/** `wijkradar synth` as a command (registered on a bare program here; main.ts wires it in). */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { expect, it } from "vitest";
import { registerSynthCommand } from "../src/cli/synth-command.js";
import { demoDbCopy, tempDir } from "./fixtures.js";

function program(lines: string[]): Command {
  const io = { out: (s: string) => lines.push(s), err: () => undefined, env: {} };
  const p = new Command("wijkradar").exitOverride();
  registerSynthCommand(p, io);
  return p;
}

it("generates Almere into a folder with a report on stdout", async () => {
  const db = demoDbCopy();
  const out = join(tempDir(), "almere");
  const lines: string[] = [];
  await program(lines).parseAsync(
    [
      "synth",
      "--gemeente",
      "GM0034",
      "--seed",
      "3",
      "--persons",
      "3000",
      "--out",
      out,
      "--db",
      db,
      "--format",
      "csv",
    ],
    { from: "user" },
  );
  for (const f of ["brp.csv", "uitkeringen.csv", "overlast.csv", "pc6_buurt.csv", "manifest.json"])
    expect(existsSync(join(out, f)), f).toBe(true);
  const manifest = JSON.parse(readFileSync(join(out, "manifest.json"), "utf8")) as {
    seed: number;
    persons: number;
  };
  expect(manifest).toMatchObject({ seed: 3, persons: 3000 });
  expect(lines.join("\n")).toMatch(/3,000 persons in 1 gemeente/);
});

it("refuses a missing gemeente choice and unknown gemeenten", async () => {
  const db = demoDbCopy();
  await expect(
    program([]).parseAsync(["synth", "--out", tempDir(), "--db", db], { from: "user" }),
  ).rejects.toThrow(/--gemeente <code...> or --all/);
  await expect(
    program([]).parseAsync(["synth", "--gemeente", "GM9999", "--out", tempDir(), "--db", db], {
      from: "user",
    }),
  ).rejects.toThrow(/GM9999/);
});
