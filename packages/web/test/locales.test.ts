import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import en from "../src/locales/en.json";
import nl from "../src/locales/nl.json";

const keys = (o: object, prefix = ""): string[] =>
  Object.entries(o).flatMap(([k, v]) =>
    typeof v === "object" && v ? keys(v as object, `${prefix}${k}.`) : [`${prefix}${k}`],
  );

describe("translations", () => {
  it("Dutch and English have the same keys", () => {
    expect(keys(en).sort()).toEqual(keys(nl).sort());
  });

  it("every key the code asks for exists", () => {
    const src = join(import.meta.dirname, "../src");
    const files = readdirSync(src, { recursive: true, encoding: "utf8" }).filter((f) => /\.tsx?$/.test(f));
    const known = new Set(keys(nl).map((k) => k.replace(/_(one|other)$/, "")));
    const missing: string[] = [];
    for (const f of files) {
      const code = readFileSync(join(src, f), "utf8");
      for (const m of code.matchAll(/\bt\("([a-zA-Z]+\.[a-zA-Z.]+)"/g))
        if (!known.has(m[1]!)) missing.push(`${f}: ${m[1]}`);
      // Keys built from a prefix, like t(`domain.${d}`), need the prefix to exist.
      for (const m of code.matchAll(/\bt\(`([a-zA-Z]+)\.\$\{/g))
        if (![...known].some((k) => k.startsWith(`${m[1]}.`))) missing.push(`${f}: ${m[1]}.*`);
    }
    expect(missing).toEqual([]);
  });
});
