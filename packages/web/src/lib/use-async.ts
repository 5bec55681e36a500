import { useEffect, useState } from "react";

export type Async<T> =
  | { readonly state: "loading"; readonly value?: T }
  | { readonly state: "ready"; readonly value: T }
  | { readonly state: "error"; readonly error: Error; readonly value?: T };

/**
 * The result of a promise made from `deps`; while a new one loads, the previous value stays available
 * (so the map keeps its colours until the next ones arrive). Stale results are ignored.
 */
export function useAsync<T>(make: () => Promise<T> | undefined, deps: readonly unknown[]): Async<T> {
  const [result, setResult] = useState<Async<T>>({ state: "loading" });
  useEffect(() => {
    let current = true;
    const pending = make();
    if (!pending) return;
    setResult((r) => ({ state: "loading", value: r.value }));
    pending.then(
      (value) => current && setResult({ state: "ready", value }),
      (error: unknown) =>
        current &&
        setResult((r) => ({
          state: "error",
          error: error instanceof Error ? error : new Error(String(error)),
          value: r.value,
        })),
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return result;
}
