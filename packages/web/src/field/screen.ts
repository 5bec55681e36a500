/**
 * The personal-data screen of notes, from core (packages/core/src/field/screen-note.ts) by its own
 * path: the package's index would bring all of core (zod, the catalogue) into the field app's bundle;
 * this module needs only identifiers.ts.
 */
export { NOTE_MAX_LENGTH, screenNote, type NoteFinding } from "../../../core/src/field/screen-note";
