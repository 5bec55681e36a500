/**
 * A small series chart drawn with Observable Plot: the area's values over all periods (dark line and
 * dots), the parent reference (dashed) and the country (grey). The figures themselves are in the
 * accessible name, so a screen reader hears the series, not "image".
 */
import * as Plot from "@observablehq/plot";
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { flushSync } from "react-dom";
import type { SeriesPoint } from "../api/types";
import { withoutInlineStyles } from "./plot-csp";

export function Sparkline({
  series,
  label,
  width = 132,
  height = 36,
}: {
  readonly series: readonly SeriesPoint[];
  readonly label: string;
  readonly width?: number;
  readonly height?: number;
}) {
  const ref = useRef<HTMLDivElement>(null);
  // Drawn when near the screen (a profile has ~100 of them) or when the page is printed.
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el || visible) return;
    const show = () => setVisible(true);
    // Printing takes its snapshot right after "beforeprint": draw synchronously.
    const showNow = () => flushSync(show);
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && show(), {
      rootMargin: "300px",
    });
    observer.observe(el);
    window.addEventListener("beforeprint", showNow);
    return () => {
      observer.disconnect();
      window.removeEventListener("beforeprint", showNow);
    };
  }, [visible]);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el || !visible) return;
    const points = series.filter((s) => typeof s.value === "number");
    if (points.length === 0) return;
    const periods = series.map((s) => s.period);
    const line = (key: "value" | "parent" | "national") =>
      series
        .filter((s) => typeof s[key] === "number")
        .map((s) => ({ period: s.period, v: s[key] as number }));
    const chart = Plot.plot({
      width,
      height,
      margin: 4,
      x: { type: "point", domain: periods, axis: null },
      y: { axis: null, nice: false, zero: false },
      marks: [
        Plot.line(line("national"), { x: "period", y: "v", stroke: "#8c8c8c", strokeWidth: 1 }),
        Plot.line(line("parent"), {
          x: "period",
          y: "v",
          stroke: "#5b6b7b",
          strokeDasharray: "3,2",
          strokeWidth: 1,
        }),
        Plot.line(line("value"), { x: "period", y: "v", stroke: "#1d3b5a", strokeWidth: 2 }),
        Plot.dot(line("value"), { x: "period", y: "v", fill: "#1d3b5a", r: 2 }),
      ],
    });
    chart.setAttribute("aria-hidden", "true");
    el.replaceChildren(withoutInlineStyles(chart));
    return () => chart.remove();
  }, [series, width, height, visible]);
  return <div ref={ref} className="sparkline" role="img" aria-label={label} style={{ width, height }} />;
}
