/** The synthetic population generator: calibration, layout, persons and facts, files. */
export { calibrate, type CalibrationTargets, type GemeenteTarget, type BuurtTarget } from "./calibration.js";
export { passesElevenTest } from "./bsn.js";
export {
  generatePopulation,
  FILE_COLUMNS,
  GENERATOR_VERSION,
  TOLERANCE,
  type GenerateOptions,
  type GenerateProgress,
  type GenerateReport,
} from "./generate.js";
