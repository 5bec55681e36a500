/**
 * Loads a mapping file (YAML or JSON) and validates it against the mapping contract, with errors that
 * name the file, the line (for syntax) and the field (for content).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { formatIssues, MappingSchema, type Mapping } from "@wijkradar/core";
import { LineCounter, parseDocument } from "yaml";
import { InputError } from "../errors.js";

export interface LoadedMapping {
  readonly mapping: Mapping;
  readonly text: string;
}

/** Parses and validates mapping text; `name` is used in messages. */
export function parseMapping(text: string, name: string): Mapping {
  if (text.trim() === "") throw new InputError(`${name}: the mapping file is empty; expected YAML or JSON`);
  // Without prettyErrors the errors carry only offsets: the line counter turns them into line:column.
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    const details = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      return `${name}${pos ? `:${pos.line}:${pos.col}` : ""}: ${e.message.split("\n")[0]}`;
    });
    throw new InputError(`${name}: the mapping is not valid YAML/JSON`, details);
  }
  const result = MappingSchema.safeParse(doc.toJS());
  if (!result.success) {
    throw new InputError(
      `${name}: the mapping is incomplete or wrong`,
      formatIssues(result.error.issues).map((l) => `${name}: ${l}`),
    );
  }
  return result.data;
}

/** Reads a mapping file from disk. */
export function loadMapping(path: string): LoadedMapping {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new InputError(
      `${path}: cannot read the mapping file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      [],
      {
        cause: e,
      },
    );
  }
  return { mapping: parseMapping(text, basename(path)), text };
}
