/**
 * Loads a mapping file (YAML or JSON) and validates it against the mapping contract, with errors that
 * name the file, the line (for syntax) and the field (for content).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { MappingSchema, type Mapping } from "@wijkradar/core";
import { InputError } from "../errors.js";
import { parseYamlWith } from "../yaml-input.js";

export interface LoadedMapping {
  readonly mapping: Mapping;
  readonly text: string;
}

/** Parses and validates mapping text; `name` is used in messages. */
export function parseMapping(text: string, name: string): Mapping {
  if (text.trim() === "") throw new InputError(`${name}: the mapping file is empty; expected YAML or JSON`);
  return parseYamlWith(MappingSchema, text, name, "mapping");
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
