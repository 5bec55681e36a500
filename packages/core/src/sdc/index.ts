/** Statistical disclosure control (docs/disclosure-control.md). */
export * from "./types.js";
export * from "./rules.js";
export * from "./primary.js";
export * from "./perturb.js";
export {
  protectTable,
  protectTableAudited,
  complementarySuppression,
  type AuditedProtection,
} from "./suppress.js";
export { indexTable, type IndexedTable } from "./table.js";
export * from "./lp.js";
export * from "./audit.js";
