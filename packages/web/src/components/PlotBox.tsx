/**
 * A chart drawn with Observable Plot at the width of its container (redrawn when that changes). The
 * chart itself is hidden from assistive technology; `label` says what it shows in words, with the
 * figures that matter. `data-drawn` is set once a chart is on screen (the browser tests wait on it).
 */
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { withoutInlineStyles } from "./plot-csp";

export function PlotBox({
  draw,
  label,
  testid,
  minHeight,
}: {
  /** Makes the chart for a width in CSS px; memoise it (useCallback), it runs again when it changes. */
  readonly draw: (width: number) => Element | null;
  readonly label: string;
  readonly testid?: string;
  readonly minHeight?: number;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver((entries) => {
      const w = Math.floor(entries[0]?.contentRect.width ?? 0);
      setWidth((old) => (Math.abs(old - w) > 4 ? w : old));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || width === 0) return;
    const chart = draw(width);
    if (!chart) {
      el.replaceChildren();
      delete el.dataset.drawn;
      return;
    }
    chart.setAttribute("aria-hidden", "true");
    el.replaceChildren(withoutInlineStyles(chart));
    el.dataset.drawn = "true";
    return () => chart.remove();
  }, [draw, width]);
  return (
    <div
      ref={ref}
      className="plot-box"
      role="img"
      aria-label={label}
      data-testid={testid}
      style={minHeight ? { minHeight } : undefined}
    />
  );
}
