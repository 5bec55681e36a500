import { createContext, useContext } from "react";
import type { Indicator } from "./api/types";
import type { UrlState } from "./lib/url-state";

export interface AppContext {
  readonly state: UrlState;
  readonly update: (patch: Partial<UrlState>, options?: { push?: boolean }) => void;
  readonly indicators: readonly Indicator[];
}

export const AppContextValue = createContext<AppContext | undefined>(undefined);

export function useApp(): AppContext {
  const ctx = useContext(AppContextValue);
  if (!ctx) throw new Error("useApp outside the app");
  return ctx;
}
