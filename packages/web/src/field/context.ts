/** What every field screen uses: the database, the outbox, the categories and the language. */
import { createContext, useContext } from "react";
import type { Category, Lang } from "./api";
import type { FieldDatabase, Outbox } from "./outbox";

export interface FieldContextValue {
  readonly db: FieldDatabase;
  readonly outbox: Outbox;
  readonly categories: readonly Category[];
  readonly lang: Lang;
  /** Opens a screen (pushes ?s=… onto the history). */
  readonly go: (screen: Screen) => void;
}

export type Screen = "home" | "new" | "outbox";

export const FieldContext = createContext<FieldContextValue | undefined>(undefined);

export function useField(): FieldContextValue {
  const value = useContext(FieldContext);
  if (!value) throw new Error("useField outside the field app");
  return value;
}

/** A category's label in the language shown (its id when unknown). */
export function categoryLabel(categories: readonly Category[], id: string, lang: Lang): string {
  return categories.find((c) => c.id === id)?.label[lang] ?? id;
}
