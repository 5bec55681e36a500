/**
 * Empirical-Bayes smoothing of rates (cases / population at risk) for small areas: Marshall's global
 * and local method-of-moments estimators (Marshall 1991, "Mapping disease and mortality rates using
 * empirical Bayes estimators", Appl Stat 40:283–294) and the EB-standardised rate of Assunção & Reis
 * (1999, Stat Med 18:2147–2162). The numbers equal R's spdep::EBest, spdep::EBlocal and the z of
 * spdep::EBImoran.mc. See docs/methods.md, "Status and short series".
 */

/** Model behind the global estimator: counts (Poisson, a rate per person) or proportions (binomial). */
export type EmpiricalBayesFamily = "poisson" | "binomial";

/** Global EB rates (spdep::EBest). */
export interface EmpiricalBayesRates {
  readonly family: EmpiricalBayesFamily;
  /** Raw rates pᵢ = casesᵢ / populationᵢ. */
  readonly raw: number[];
  /** Shrunken rates: b + wᵢ (pᵢ − b). */
  readonly estimate: number[];
  /** Weight of the raw rate wᵢ ∈ [0, 1] for Poisson (1 − wᵢ is the shrinkage towards b). */
  readonly weight: number[];
  /**
   * Poisson: the moment estimate of the between-area variance, a = max(0, s² − b/n̄).
   * Binomial: s² itself (as spdep reports it).
   */
  readonly a: number;
  /** The pooled reference rate b = Σ cases / Σ population. */
  readonly b: number;
  /** s² = Σ populationᵢ (pᵢ − b)² / Σ population, the population-weighted variance of the raw rates. */
  readonly s2: number;
}

/** Local EB rates on neighbour sets (spdep::EBlocal). */
export interface LocalEmpiricalBayesRates {
  readonly raw: number[];
  /** mᵢ + wᵢ (pᵢ − mᵢ). */
  readonly estimate: number[];
  /** wᵢ = aᵢ / (aᵢ + mᵢ/nᵢ); 0 (full shrinkage to mᵢ) when aᵢ = 0. */
  readonly weight: number[];
  /** Local between-area variance aᵢ = max(0, Cᵢ/Nᵢ − mᵢ/n̄ᵢ). */
  readonly a: number[];
  /** Local reference rate mᵢ = Σ_{j∈Jᵢ} cases_j / Σ_{j∈Jᵢ} population_j over the area and its neighbours. */
  readonly m: number[];
}

export interface LocalEmpiricalBayesOptions {
  /**
   * How the local variance Cᵢ is formed. false (default, as spdep): Σ_{j∈Jᵢ} n_j (p_j − m_j)², each
   * neighbour around its own local mean; true (spdep's geoda = TRUE, GeoDa, Marshall's formula):
   * Σ_{j∈Jᵢ} n_j (p_j − mᵢ)², every member of the neighbourhood around the area's local mean.
   */
  readonly geoda?: boolean;
}

function checkRates(cases: readonly number[], population: readonly number[]): void {
  if (cases.length !== population.length)
    throw new RangeError(`cases and population differ in length (${cases.length} vs ${population.length})`);
  if (cases.length === 0) throw new RangeError("empirical Bayes needs at least one area");
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i] as number;
    const n = population[i] as number;
    if (!Number.isFinite(c) || c < 0) throw new RangeError(`cases must be finite and ≥ 0 (index ${i}, ${c})`);
    // spdep refuses populations below machine epsilon; a zero population has no rate to smooth.
    if (!Number.isFinite(n) || n < Number.EPSILON)
      throw new RangeError(`population must be finite and > 0 (index ${i}, ${n})`);
  }
}

function sum(values: readonly number[]): number {
  // Neumaier summation: the reference rate should not depend on the order of the areas.
  let s = 0;
  let c = 0;
  for (const v of values) {
    const t = s + v;
    c += Math.abs(s) >= Math.abs(v) ? s - t + v : v - t + s;
    s = t;
  }
  return s + c;
}

/**
 * Marshall's global Empirical-Bayes rates, as R's `spdep::EBest(cases, population, family)`.
 *
 * With pᵢ = cᵢ/nᵢ, b = Σc/Σn, s² = Σ nᵢ (pᵢ − b)² / Σn and n̄ = Σn / m (m areas):
 * - Poisson: a = max(0, s² − b/n̄), estimate = b + a (pᵢ − b) / (a + b/nᵢ). Where a = 0 the estimate is
 *   b (R gives NaN in the degenerate case b = 0, i.e. no cases at all; we return b = 0).
 * - Binomial: ρᵢ = (nᵢ s² − (nᵢ/n̄) b(1 − b)) / ((nᵢ − 1) s² + ((n̄ − nᵢ)/n̄) b(1 − b)),
 *   estimate = ρᵢ pᵢ + (1 − ρᵢ) b; ρᵢ is not clamped (as spdep), and `a` reports s².
 */
export function empiricalBayesRates(
  cases: readonly number[],
  population: readonly number[],
  family: EmpiricalBayesFamily = "poisson",
): EmpiricalBayesRates {
  checkRates(cases, population);
  const m = cases.length;
  const raw = cases.map((c, i) => c / (population[i] as number));
  const caseSum = sum(cases);
  const popSum = sum(population);
  const b = caseSum / popSum;
  const s2 = sum(raw.map((p, i) => (population[i] as number) * ((p - b) ** 2 / popSum)));
  const meanPop = popSum / m;
  if (family === "poisson") {
    const a = Math.max(0, s2 - b / meanPop);
    const weight = population.map((n) => (a === 0 ? 0 : a / (a + b / n)));
    const estimate = raw.map((p, i) => b + (weight[i] as number) * (p - b));
    return { family, raw, estimate, weight, a, b, s2 };
  }
  const bb = b * (1 - b);
  const weight = population.map(
    (n) => (n * s2 - (n / meanPop) * bb) / ((n - 1) * s2 + ((meanPop - n) / meanPop) * bb),
  );
  const estimate = raw.map((p, i) => {
    const rho = weight[i] as number;
    return rho * p + (1 - rho) * b;
  });
  return { family, raw, estimate, weight, a: s2, b, s2 };
}

/**
 * Assunção & Reis (1999) EB-standardised rates zᵢ = (pᵢ − b) / √(a + b/nᵢ) with a and b of the global
 * Poisson estimator, as the z that `spdep::EBImoran.mc` permutes. spdep clamps a at 0 before forming
 * the variance (Assunção & Reis instead fall back to b/nᵢ only where a + b/nᵢ < 0); we follow spdep.
 * Approximately standard normal for each area, so a status detector can use it as a test statistic
 * that does not let tiny populations dominate. Areas get z = 0 when b = 0 (no cases anywhere).
 */
export function empiricalBayesZScores(cases: readonly number[], population: readonly number[]): number[] {
  const eb = empiricalBayesRates(cases, population, "poisson");
  return eb.raw.map((p, i) => {
    const v = eb.a + eb.b / (population[i] as number);
    return v > 0 ? (p - eb.b) / Math.sqrt(v) : 0;
  });
}

/**
 * Marshall's local Empirical-Bayes rates, as R's `spdep::EBlocal(cases, population, nb, geoda)`.
 *
 * `neighbours[i]` lists the 0-based indices of area i's neighbours (not i itself, no duplicates; an
 * empty list is an island). The neighbourhood Jᵢ is i with its neighbours. With Cᵢ and Nᵢ = Σ_{Jᵢ} n,
 * n̄ᵢ = Nᵢ/|Jᵢ| and mᵢ = Σ_{Jᵢ} c / Nᵢ: aᵢ = max(0, Cᵢ/Nᵢ − mᵢ/n̄ᵢ), estimate = mᵢ + aᵢ (pᵢ − mᵢ) / (aᵢ + mᵢ/nᵢ).
 * An island is its own neighbourhood, so its estimate is its raw rate. Where aᵢ = 0 the estimate is mᵢ
 * (R gives NaN when also mᵢ = 0, a neighbourhood without cases; we return mᵢ = 0).
 */
export function localEmpiricalBayesRates(
  cases: readonly number[],
  population: readonly number[],
  neighbours: readonly (readonly number[])[],
  options: LocalEmpiricalBayesOptions = {},
): LocalEmpiricalBayesRates {
  checkRates(cases, population);
  const count = cases.length;
  if (neighbours.length !== count)
    throw new RangeError(`neighbour list has ${neighbours.length} entries for ${count} areas`);
  // Neighbourhoods including the area itself, sorted as spdep's include.self does.
  const hoods = neighbours.map((list, i) => {
    const seen = new Set<number>();
    for (const j of list) {
      if (!Number.isInteger(j) || j < 0 || j >= count)
        throw new RangeError(`neighbour ${j} of area ${i} is not an index below ${count}`);
      if (j === i) throw new RangeError(`area ${i} lists itself as a neighbour; it is always included`);
      if (seen.has(j)) throw new RangeError(`area ${i} lists neighbour ${j} twice`);
      seen.add(j);
    }
    return [i, ...list].sort((x, y) => x - y);
  });
  const raw = cases.map((c, i) => c / (population[i] as number));
  const popOf = (j: number): number => population[j] as number;
  const hoodPop = hoods.map((h) => sum(h.map(popOf)));
  const m = hoods.map((h, i) => sum(h.map((j) => cases[j] as number)) / (hoodPop[i] as number));
  const geoda = options.geoda ?? false;
  const a = hoods.map((h, i) => {
    const mi = m[i] as number;
    const spread = sum(h.map((j) => popOf(j) * ((raw[j] as number) - (geoda ? mi : (m[j] as number))) ** 2));
    const meanPop = (hoodPop[i] as number) / h.length;
    return Math.max(0, spread / (hoodPop[i] as number) - mi / meanPop);
  });
  const weight = a.map((ai, i) => (ai === 0 ? 0 : ai / (ai + (m[i] as number) / popOf(i))));
  const estimate = raw.map((p, i) => (m[i] as number) + (weight[i] as number) * (p - (m[i] as number)));
  return { raw, estimate, weight, a, m };
}
