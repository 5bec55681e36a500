import type { AnchorHTMLAttributes, MouseEvent, ReactNode, Ref } from "react";
import { formatState, parseState, type UrlState } from "../lib/url-state";
import { useApp } from "../app-context";

/** A real link (open in a new tab works) that navigates inside the app without a reload. */
export function StateLink({
  patch,
  children,
  onClick: before,
  ref,
  ...rest
}: {
  readonly patch: Partial<UrlState>;
  readonly children: ReactNode;
  readonly ref?: Ref<HTMLAnchorElement>;
} & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const { state, update } = useApp();
  const href = formatState({ ...parseState(location.search, state.lang), ...patch });
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    before?.(e);
    if (e.defaultPrevented) return;
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    update(patch, { push: true });
  };
  return (
    <a href={href} onClick={onClick} ref={ref} {...rest}>
      {children}
    </a>
  );
}
