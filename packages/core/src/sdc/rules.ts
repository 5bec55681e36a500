/**
 * The parameters of statistical disclosure control (docs/disclosure-control.md). Defaults follow
 * ACRO/SACRO for the threshold (10) and the p-ratio (0.10), sdcTable for nk-dominance (n = 2, 85 %).
 */

/** The rules one release runs under. Sensitive domains pass stricter values (higher k). */
export interface SdcRules {
  /** Minimum cell frequency: counts below k (zeros too) are suppressed. Default 10. */
  readonly k: number;
  /** Minimum number of residents of a released area. Default 50. */
  readonly minPopulation: number;
  /** Suppress when population - count < k: (almost) everyone has the attribute. Default true. */
  readonly groupDisclosure: boolean;
  /**
   * Protection level p (default: k). A suppressed cell's feasible interval (what an attacker can
   * derive from the released cells and the relations) must cover [max(0, v - p), v + p].
   */
  readonly protectionLevel: number;
  /**
   * nk-dominance for magnitudes: suppress when the n largest contributions make up more than k of
   * the total. Default n = 2, k = 0.85 (sdcTable); ACRO/SACRO use k = 0.90.
   */
  readonly dominance: { readonly n: number; readonly k: number };
  /** p% rule (ACRO p-ratio): suppress when total - x1 - x2 < p · x1. Default 0.10. */
  readonly pPercent: number;
  /** Cell-key perturbation of released counts: noise in [-maxNoise, +maxNoise]; 0 = off. Default 2. */
  readonly perturbation: { readonly maxNoise: number };
}

export const DEFAULT_SDC_RULES: SdcRules = Object.freeze({
  k: 10,
  minPopulation: 50,
  groupDisclosure: true,
  protectionLevel: 10,
  dominance: Object.freeze({ n: 2, k: 0.85 }),
  pPercent: 0.1,
  perturbation: Object.freeze({ maxNoise: 2 }),
});

function check(ok: boolean, field: string, expected: string, got: unknown): void {
  if (!ok) throw new RangeError(`sdc rules: ${field} must be ${expected}, got ${String(got)}`);
}

const isInt = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x);
const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);

/**
 * Complete and validate rules. `protectionLevel` defaults to the (given) k.
 *
 * @example sdcRules({ k: 15 }) // k 15, protectionLevel 15, the other defaults
 * @throws RangeError naming the bad field and what was expected
 */
export function sdcRules(partial: Partial<SdcRules> = {}): SdcRules {
  const k = partial.k ?? DEFAULT_SDC_RULES.k;
  const rules: SdcRules = {
    k,
    minPopulation: partial.minPopulation ?? DEFAULT_SDC_RULES.minPopulation,
    groupDisclosure: partial.groupDisclosure ?? DEFAULT_SDC_RULES.groupDisclosure,
    protectionLevel: partial.protectionLevel ?? k,
    dominance: { ...DEFAULT_SDC_RULES.dominance, ...partial.dominance },
    pPercent: partial.pPercent ?? DEFAULT_SDC_RULES.pPercent,
    perturbation: { ...DEFAULT_SDC_RULES.perturbation, ...partial.perturbation },
  };
  check(isInt(rules.k) && rules.k >= 1, "k", "an integer >= 1", rules.k);
  check(
    isInt(rules.minPopulation) && rules.minPopulation >= 0,
    "minPopulation",
    "an integer >= 0",
    rules.minPopulation,
  );
  check(typeof rules.groupDisclosure === "boolean", "groupDisclosure", "a boolean", rules.groupDisclosure);
  check(
    isNum(rules.protectionLevel) && rules.protectionLevel >= 0,
    "protectionLevel",
    "a finite number >= 0",
    rules.protectionLevel,
  );
  check(
    isInt(rules.dominance.n) && rules.dominance.n >= 1,
    "dominance.n",
    "an integer >= 1",
    rules.dominance.n,
  );
  check(
    isNum(rules.dominance.k) && rules.dominance.k > 0 && rules.dominance.k <= 1,
    "dominance.k",
    "a fraction in (0, 1] (0.85 = 85 %)",
    rules.dominance.k,
  );
  check(
    isNum(rules.pPercent) && rules.pPercent >= 0 && rules.pPercent < 1,
    "pPercent",
    "a fraction in [0, 1) (0.10 = 10 %)",
    rules.pPercent,
  );
  check(
    isInt(rules.perturbation.maxNoise) &&
      rules.perturbation.maxNoise >= 0 &&
      rules.perturbation.maxNoise <= 100,
    "perturbation.maxNoise",
    "an integer in [0, 100]",
    rules.perturbation.maxNoise,
  );
  return Object.freeze({
    ...rules,
    dominance: Object.freeze(rules.dominance),
    perturbation: Object.freeze(rules.perturbation),
  });
}
