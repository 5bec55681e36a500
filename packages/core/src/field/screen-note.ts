/**
 * The personal-data screen for field notes (ADR 0008 "Observations"): a note of at most
 * `NOTE_MAX_LENGTH` characters is screened for BSNs, phone numbers, e-mail addresses and names after
 * a form of address before it is saved. The field app warns; the server screens again and refuses a
 * note with findings unless the author confirms it. Only kinds and positions come out, never the
 * text: the audit record holds `noteFindingKinds`, the UI translates the kinds and highlights the
 * positions in the author's own text.
 *
 * The recognisers are those of `identifiers.ts` (`findPersonalData`); their limits are in
 * docs/methods.md "Personal-data screen for notes".
 */
import { findPersonalData } from "../identifiers.js";

/** The longest note a field observation may carry, in UTF-16 code units (JavaScript `length`). */
export const NOTE_MAX_LENGTH = 280;

/** What the note screen looks for, in a fixed order (also the order of `noteFindingKinds`). */
export const NOTE_FINDING_KINDS = ["bsn", "phone", "email", "name"] as const;

export type NoteFindingKind = (typeof NOTE_FINDING_KINDS)[number];

/** A finding in a note: its kind and its position (UTF-16 offsets, `end` exclusive), never the value. */
export interface NoteFinding {
  readonly kind: NoteFindingKind;
  readonly start: number;
  readonly end: number;
}

/**
 * Screens a note for personal data: BSNs (9 digits passing the 11-test, also written 123.456.782 or
 * 1234 56 782), Dutch phone numbers (06-12345678, 0612345678, +31 6 12345678, 0031…, 020-1234567,
 * 0181-123456, (020) 123 4567), e-mail addresses and names after meneer, mevrouw, mevr., mw., dhr.,
 * mr., de heer, familie or fam. (capitalised words with particles: "mevrouw De Vries", "meneer van
 * der Berg"). Dates (01-02-2023), postcodes (1234 AB), times and amounts are not findings. Findings
 * are sorted and do not overlap. Street addresses are not looked for: a note describes a place, and
 * the observation's location is snapped to its buurt anyway (docs/methods.md).
 *
 * @example screenNote("Mevrouw De Vries belt 06-12345678") // [{ kind: "name", start: 8, end: 16 }, { kind: "phone", start: 22, end: 33 }]
 */
export function screenNote(text: string): NoteFinding[] {
  return findPersonalData(text, { kinds: NOTE_FINDING_KINDS }).map((span) => ({
    kind: span.kind as NoteFindingKind,
    start: span.start,
    end: span.end,
  }));
}

/**
 * The distinct kinds of some findings, in the order of `NOTE_FINDING_KINDS`: what an audit record or
 * a refusal may say about a note (never its text).
 *
 * @example noteFindingKinds(screenNote("bel 06-12345678 of 020-1234567")) // ["phone"]
 */
export function noteFindingKinds(findings: readonly NoteFinding[]): NoteFindingKind[] {
  const present = new Set(findings.map((f) => f.kind));
  return NOTE_FINDING_KINDS.filter((kind) => present.has(kind));
}
