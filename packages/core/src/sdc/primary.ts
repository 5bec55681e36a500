/**
 * Primary suppression: the rules that look at one cell on its own (docs/disclosure-control.md).
 */
import { perturbCount } from "./perturb.js";
import type { SdcRules } from "./rules.js";
import type { SdcCell, SuppressionReason } from "./types.js";

/**
 * nk-dominance: the n largest contributions make up more than k of the total.
 * A total of 0 (or less) is never dominated.
 *
 * @example violatesDominance({ total: 100, top: [80, 10] }, { n: 2, k: 0.85 }) // true (90 > 85)
 */
export function violatesDominance(
  magnitude: { readonly total: number; readonly top: readonly number[] },
  dominance: { readonly n: number; readonly k: number },
): boolean {
  if (magnitude.total <= 0) return false;
  let sum = 0;
  for (let i = 0; i < dominance.n && i < magnitude.top.length; i++) sum += magnitude.top[i]!;
  return sum > dominance.k * magnitude.total;
}

/**
 * p% rule (ACRO's p-ratio): the second largest contributor can estimate the largest to within p %
 * when total - x1 - x2 < p · x1. A total of 0 (or less) passes.
 *
 * @example violatesPPercent({ total: 100, top: [60, 36] }, 0.1) // true (100 - 60 - 36 = 4 < 6)
 */
export function violatesPPercent(
  magnitude: { readonly total: number; readonly top: readonly number[] },
  p: number,
): boolean {
  if (magnitude.total <= 0) return false;
  const x1 = magnitude.top[0] ?? 0;
  const x2 = magnitude.top[1] ?? 0;
  return magnitude.total - x1 - x2 < p * x1;
}

/**
 * The first primary rule a cell breaks, in the documented order, or null when it may be released on
 * its own. Group disclosure is checked on the true values and on the released (perturbed) values, so
 * a released population minus a released count is never below k either.
 */
export function primaryReason(cell: SdcCell, rules: SdcRules): SuppressionReason | null {
  const { k } = rules;
  if (cell.count < k) return "count-below-k";
  if (cell.areaPopulation < rules.minPopulation) return "area-population-below-minimum";
  if (rules.groupDisclosure) {
    if (cell.population - cell.count < k) return "group-disclosure";
    const count = perturbCount(cell.count, cell.countKey, rules);
    const population = perturbCount(cell.population, cell.populationKey, rules);
    if (population - count < k) return "group-disclosure";
  }
  if (cell.nearCounts?.some((n) => n - cell.count < k)) return "near-profile-difference";
  if (cell.magnitude) {
    if (violatesDominance(cell.magnitude, rules.dominance)) return "dominance";
    if (violatesPPercent(cell.magnitude, rules.pPercent)) return "p-percent";
  }
  return null;
}
