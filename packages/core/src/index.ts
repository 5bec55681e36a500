/**
 * @wijkradar/core — the pure domain core: area codes, catalogue and mapping contracts, number parsing,
 * aggregation, the release rules and recognising personal identifiers. No I/O, no clock, no randomness.
 */
export * from "./area-codes.js";
export * from "./catalogue.js";
export * from "./periods.js";
export * from "./mapping.js";
export * from "./numbers.js";
export * from "./aggregate.js";
export * from "./release.js";
export * from "./identifiers.js";
export * from "./microdata.js";
export * from "./profiles.js";
export * from "./sdc/index.js";
export * from "./detect/index.js";
export * from "./field/screen-note.js";
export * from "./field/location.js";
export * from "./field/periods.js";
export * from "./field/did.js";
export * from "./field/board-access.js";
