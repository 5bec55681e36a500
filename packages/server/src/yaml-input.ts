/**
 * Reads a YAML/JSON document given by a user (a source registration, a microdata mapping, a profile)
 * and validates it with a zod schema. Errors name the file, the line (syntax) or the field (content).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { formatIssues } from "@wijkradar/core";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { InputError } from "./errors.js";

/** Parses `text` (named `name` in messages) as `what` against `schema`. */
export function parseYamlWith<S extends z.ZodType>(
  schema: S,
  text: string,
  name: string,
  what: string,
): z.output<S> {
  if (text.trim() === "") throw new InputError(`${name}: the ${what} is empty; expected YAML or JSON`);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    const details = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      return `${name}${pos ? `:${pos.line}:${pos.col}` : ""}: ${e.message.split("\n")[0]}`;
    });
    throw new InputError(`${name}: the ${what} is not valid YAML/JSON`, details);
  }
  const result = schema.safeParse(doc.toJS());
  if (!result.success)
    throw new InputError(
      `${name}: the ${what} is incomplete or wrong`,
      formatIssues(result.error.issues).map((l) => `${name}: ${l}`),
    );
  return result.data;
}

/** Reads a file and returns its text, or an InputError naming it. */
export function readTextFile(path: string, what: string): { readonly text: string; readonly name: string } {
  try {
    return { text: readFileSync(path, "utf8"), name: basename(path) };
  } catch (e) {
    throw new InputError(
      `${path}: cannot read the ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
}
