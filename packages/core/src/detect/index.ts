/** Statistical building blocks of the early-warning detectors (docs/methods.md). */
export * from "./distributions.js";
export * from "./funnel.js";
export * from "./fdr.js";
export * from "./trend.js";
export * from "./weights.js";
export * from "./spatial.js";
export * from "./counts.js";
export * from "./count-charts.js";
export * from "./count-distributions.js";
export * from "./smoothing.js";
export * from "./standardised.js";
export * from "./model.js";
export * from "./assess.js";
export * from "./series.js";
export * from "./engine.js";
export * from "./backtest.js";
export * from "./engine-counts.js";
