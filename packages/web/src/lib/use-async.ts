import { useEffect, useState } from "react";

export type Async<T> =
  | { readonly state: "loading"; readonly value?: T }
  | { readonly state: "ready"; readonly value: T }
  | { readonly state: "error"; readonly error: Error; readonly value?: T };

type Settled<T> = { readonly deps: readonly unknown[] } & (
  | { readonly state: "ready"; readonly value: T }
  | { readonly state: "error"; readonly error: Error; readonly value?: T }
);

const same = (a: readonly unknown[], b: readonly unknown[]): boolean =>
  a.length === b.length && a.every((x, i) => Object.is(x, b[i]));

/**
 * The result of a promise made from `deps`; while a new one loads, the previous value stays available
 * (so the map keeps its colours until the next ones arrive). Stale results are ignored. `make` may
 * return undefined when there is nothing to load yet.
 */
export function useAsync<T>(make: () => Promise<T> | undefined, deps: readonly unknown[]): Async<T> {
  const [settled, setSettled] = useState<Settled<T>>();
  useEffect(() => {
    let current = true;
    const pending = make();
    if (!pending) return;
    pending.then(
      (value) => current && setSettled({ deps, state: "ready", value }),
      (error: unknown) =>
        current &&
        setSettled((s) => ({
          deps,
          state: "error",
          error: error instanceof Error ? error : new Error(String(error)),
          value: s?.value,
        })),
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  if (settled && same(settled.deps, deps)) return settled;
  return { state: "loading", value: settled?.value };
}
