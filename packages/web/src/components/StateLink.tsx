import type { AnchorHTMLAttributes, MouseEvent, ReactNode } from "react";
import { formatState, parseState, type UrlState } from "../lib/url-state";
import { useApp } from "../app-context";

/** A real link (open in a new tab works) that navigates inside the app without a reload. */
export function StateLink({
  patch,
  children,
  ...rest
}: {
  readonly patch: Partial<UrlState>;
  readonly children: ReactNode;
} & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const { state, update } = useApp();
  const href = formatState({ ...parseState(location.search, state.lang), ...patch });
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    update(patch, { push: true });
  };
  return (
    <a href={href} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
