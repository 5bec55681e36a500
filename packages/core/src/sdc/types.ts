/** The table shapes statistical disclosure control works on. */

/** One cell of a profile table: a count of persons with the profile in one area. */
export interface SdcCell {
  /** E.g. "pc6:1312AB", "buurt:BU00340101". */
  readonly id: string;
  /** Numerator: persons with the profile. */
  readonly count: number;
  /** Relevant population (denominator) of the cell. */
  readonly population: number;
  /** All residents of the area (minimum-population rule). */
  readonly areaPopulation: number;
  /** Cell key in [0, 1) for the count (fractional part of the sum of the record keys). */
  readonly countKey: number;
  /** Cell key in [0, 1) for the population. */
  readonly populationKey: number;
  /** Counts of the profiles that drop one condition each ("near-identical profiles"). */
  readonly nearCounts?: readonly number[];
  /** Amounts (e.g. debts): total and the largest contributions, descending. */
  readonly magnitude?: { readonly total: number; readonly top: readonly number[] };
}

/** Cell `total` = sum of `parts`, for counts and populations alike. */
export interface SdcRelation {
  readonly total: string;
  readonly parts: readonly string[];
}

export interface SdcTable {
  readonly cells: readonly SdcCell[];
  readonly relations: readonly SdcRelation[];
}

export type SuppressionReason =
  | "count-below-k"
  | "area-population-below-minimum"
  | "group-disclosure"
  | "near-profile-difference"
  | "dominance"
  | "p-percent"
  | "complementary";

export interface ProtectedCell {
  readonly id: string;
  readonly status: "released" | "suppressed";
  readonly reason: SuppressionReason | null;
  /** Released (perturbed) count, null when suppressed. */
  readonly count: number | null;
  /** Released (perturbed) population, null when suppressed. */
  readonly population: number | null;
  /** Count delta applied (0 when none or suppressed) — for tests and audit only, never sent out. */
  readonly perturbation: number;
}
