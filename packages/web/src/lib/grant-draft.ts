/** The grant editor's draft and the grant it describes (the server checks everything). */
import type { GrantInput } from "../api/accounts";
import type { Level } from "../api/types";

export type ToKind = "role" | "organisation" | "user";
export type WhatMode = "open-data" | "synthetic-data" | "selection";

export interface GrantDraft {
  readonly id: string;
  readonly toKind: ToKind;
  readonly toId: string;
  readonly mode: WhatMode;
  readonly domains: readonly string[];
  readonly indicators: readonly string[];
  readonly profiles: readonly string[];
  readonly areas: string;
  readonly finestLevel: string;
  readonly purpose: string;
  readonly note: string;
}

export const EMPTY_GRANT: GrantDraft = {
  id: "",
  toKind: "role",
  toId: "",
  mode: "synthetic-data",
  domains: [],
  indicators: [],
  profiles: [],
  areas: "",
  finestLevel: "",
  purpose: "",
  note: "",
};

/** The id sent with a preview while the administrator has not named the grant yet. */
export const PREVIEW_ID = "preview";

/** The grant a draft describes (the server checks everything). */
export function grantOf(d: GrantDraft, forPreview = false): GrantInput {
  const areas = d.areas
    .split(/[\s,;]+/)
    .map((a) => a.trim().toUpperCase())
    .filter(Boolean);
  const what =
    d.mode === "selection"
      ? {
          ...(d.domains.length ? { domains: d.domains } : {}),
          ...(d.indicators.length ? { indicators: d.indicators } : {}),
          ...(d.profiles.length ? { profiles: d.profiles } : {}),
        }
      : d.mode;
  return {
    id: d.id.trim() || (forPreview ? PREVIEW_ID : ""),
    to: { kind: d.toKind, id: d.toId },
    what,
    ...(areas.length ? { areas } : {}),
    ...(d.finestLevel ? { finestLevel: d.finestLevel as Level } : {}),
    purpose: d.purpose.trim(),
    ...(d.note.trim() ? { note: d.note.trim() } : {}),
  };
}
