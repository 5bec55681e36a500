/**
 * Turns the open figures in the database (store/calibration-repository.ts) into the targets the
 * synthetic population is generated to. Pure: no I/O, no randomness. The rules are documented in
 * docs/synthetic-population.md; in short:
 *
 * - Population per gemeente: the latest `aantal_inwoners` (CBS key figures).
 * - Buurten: the 2020 buurten (the division of the RIVM buurt estimates). A buurt whose normalised
 *   name equals a 2024 wijk's name takes that wijk's residents, households and age bands (in Almere
 *   the 2024 wijken are the former buurten). The rest of the gemeente's residents is shared over the
 *   other buurten: weight 1 where RIVM published an 18+ estimate (RIVM suppresses buurten with few
 *   residents), 0.02 elsewhere. Unmatched buurten get the gemeente's age bands and household size.
 * - A gemeente without 2020 buurten (merged since) gets synthetic buurten: each 2024 wijk split into
 *   ~2,500-resident parts coded BU + wijk digits + 01, 02 … (indeling 2024).
 * - Financial risk per buurt: (RIVM moeite met rondkomen 18+ of the buurt ÷ gemeente)^1.5, the buurt's
 *   2020 wijk where the buurt has none, normalised to a resident-weighted mean of 1. Loneliness factor:
 *   RIVM eenzaam 65+ of the buurt ÷ gemeente (scales living alone among 65+).
 * - Gemeente rates (benefits, Wmo, youth care, minima) from the latest KWB figure of the gemeente,
 *   else the median over all gemeenten, else a stated assumption.
 */
import type { CalibrationInputs, GemeenteInput, WijkInput } from "../store/calibration-repository.js";

/** Age bands of the CBS key figures: 0–14, 15–24, 25–44, 45–64, 65+. */
export const AGE_BANDS: readonly (readonly [number, number])[] = [
  [0, 14],
  [15, 24],
  [25, 44],
  [45, 64],
  [65, 104],
];
const AGE_IDS = ["pct_0_15_jaar", "pct_15_25_jaar", "pct_25_45_jaar", "pct_45_65_jaar", "pct_65plus"];

/** Fixed PC4 ranges for gemeenten we know (Almere: 1311–1364); others are assigned in order. */
export const KNOWN_PC4: Readonly<Record<string, readonly [number, number]>> = { GM0034: [1311, 1364] };

/** Buurten with a few deliberately "hot" PC6 (the Eilandenbuurt story of the seed articles). */
export const KNOWN_HOT_BUURTEN: Readonly<Record<string, readonly string[]>> = { GM0034: ["BU00340311"] };

export interface BuurtTarget {
  readonly code: string;
  readonly name: string | null;
  readonly wijkCode: string | null;
  /** Division year of the buurt code (2020 for the demo; 2024 for synthetic buurten). */
  readonly indeling: number;
  readonly synthetic: boolean;
  readonly rule: "wijk-name-match" | "remainder-share" | "synthetic-wijk-split" | "synthetic-gemeente-split";
  /** Residents at the reference date (before scaling). */
  readonly persons: number;
  readonly meanHouseholdSize: number;
  /** Shares of the five AGE_BANDS, summing to 1. */
  readonly ageShares: readonly number[];
  /** Share of households that are one person. */
  readonly singleShare: number;
  /** Relative financial risk (resident-weighted mean 1 within the gemeente). */
  readonly finance: number;
  /** Relative loneliness among 65+ (1 = gemeente). */
  readonly loneliness: number;
  readonly rivmMoeiteRondkomen: number | null;
  readonly rivmEenzaam65: number | null;
  /** Number of deliberately hot PC6 in this buurt (0 for most). */
  readonly hotPc6: number;
}

export interface GemeenteRates {
  /** Households at or below 110 % of the social minimum, fraction of households. */
  readonly minimaHouseholds: number;
  readonly bijstandPer1000: number;
  readonly wwPer1000: number;
  readonly wajongPer1000: number;
  readonly wiaPer1000: number;
  readonly wmoPer1000: number;
  /** Percentage of 0–17-year-olds with youth care in the 12 months before the reference date. */
  readonly jeugdhulpPct: number;
  /** Adults in debt assistance at the reference date, per 1,000 adults. */
  readonly schuldhulpPer1000Adults: number;
  /** Households with rent arrears at the reference date, fraction. */
  readonly huurachterstand: number;
  /** School-absence reports per pupil (5–17) per year. */
  readonly verzuimPerPupilYear: number;
  /** Nuisance reports per address per year. */
  readonly overlastPerAddressYear: number;
}

export interface GemeenteTarget {
  readonly code: string;
  readonly name: string | null;
  readonly persons: number;
  readonly households: number;
  readonly meanHouseholdSize: number;
  readonly singleShare: number;
  readonly ageShares: readonly number[];
  readonly rates: GemeenteRates;
  /** Where each rate and total came from ("KWB gemeente 2022", "median of gemeenten", "assumption"). */
  readonly sources: Readonly<Record<string, string>>;
  readonly pc4: readonly [number, number];
  readonly buurten: readonly BuurtTarget[];
}

export interface CalibrationTargets {
  readonly gemeenten: readonly GemeenteTarget[];
}

/** Assumptions where no open figure is bundled (national orders of magnitude; see the docs). */
export const ASSUMED = {
  singleShare: 0.39,
  meanHouseholdSize: 2.12,
  bijstandPer1000: 24,
  wwPer1000: 15,
  aoPer1000: 45,
  wmoPer1000: 60,
  jeugdhulpPct: 10,
  minimaPct: 7,
  schuldhulpPer1000Adults: 9,
  huurachterstand: 0.025,
  verzuimPerPupilYear: 0.04,
  overlastPerAddressYear: 0.04,
  /** Share of AO benefits (ao_uitkering) that is Wajong; the rest is WIA. */
  wajongShareOfAo: 0.3,
  financeExponent: 1.5,
  /** Residents per synthetic buurt when a gemeente has no 2020 buurten. */
  syntheticBuurtSize: 2500,
} as const;

export function normaliseName(name: string | null): string {
  return (name ?? "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim();
}

function ageSharesOf(figures: Readonly<Record<string, number | undefined>>): number[] | undefined {
  const xs = AGE_IDS.map((id) => figures[id]);
  if (xs.some((x) => x === undefined || !Number.isFinite(x))) return undefined;
  const sum = (xs as number[]).reduce((a, b) => a + b, 0);
  if (sum <= 0) return undefined;
  return (xs as number[]).map((x) => x / sum);
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

interface Draft {
  code: string;
  name: string | null;
  wijkCode: string | null;
  indeling: number;
  synthetic: boolean;
  rule: BuurtTarget["rule"];
  persons: number;
  meanHouseholdSize: number;
  ageShares: number[];
  mr: number | null;
  e65: number | null;
}

function wijkMean(w: WijkInput, fallback: number): number {
  const p = w.figures.aantal_inwoners;
  const h = w.figures.huishoudens;
  return p !== undefined && h !== undefined && p > 0 && h > 0 ? clamp(p / h, 1.1, 4.5) : fallback;
}

function gemeenteTarget(
  g: GemeenteInput,
  national: Readonly<Record<string, number>>,
  pc4: readonly [number, number],
): GemeenteTarget {
  const sources: Record<string, string> = {};
  const fig = (id: string, assumed: number | undefined): number | undefined => {
    const f = g.figures[id];
    if (f) {
      sources[id] = `CBS/RIVM figure of the gemeente, period ${f.period}`;
      return f.value;
    }
    const n = national[id];
    if (n !== undefined) {
      sources[id] = "median of all gemeenten (no figure for this gemeente)";
      return n;
    }
    if (assumed !== undefined) sources[id] = "assumption (no open figure bundled)";
    return assumed;
  };
  const wijkPersons = g.wijken.reduce((s, w) => s + Math.max(0, w.figures.aantal_inwoners ?? 0), 0);
  const persons = Math.round(fig("aantal_inwoners", undefined) ?? wijkPersons);
  const hhFigure = fig("huishoudens", undefined);
  const meanSize = hhFigure && hhFigure > 0 ? clamp(persons / hhFigure, 1.1, 4.5) : ASSUMED.meanHouseholdSize;
  const singleShare = clamp(
    (fig("pct_eenpersoonshuishoudens", ASSUMED.singleShare * 100) ?? 39) / 100,
    0.05,
    0.9,
  );
  const ageFigures: Record<string, number | undefined> = {};
  for (const id of AGE_IDS) ageFigures[id] = fig(id, undefined);
  const ageShares = ageSharesOf(ageFigures) ?? [0.16, 0.12, 0.25, 0.27, 0.2];

  // Buurten and their populations.
  const drafts: Draft[] = [];
  if (g.buurten.length > 0) {
    const wijkByName = new Map<string, WijkInput>();
    for (const w of g.wijken) {
      const k = normaliseName(w.name);
      if (k && !wijkByName.has(k)) wijkByName.set(k, w);
    }
    const used = new Set<string>();
    let matched = 0;
    const unmatched: { d: Draft; weight: number }[] = [];
    for (const b of [...g.buurten].sort((x, y) => x.code.localeCompare(y.code))) {
      const w = wijkByName.get(normaliseName(b.name));
      const wr = b.wijkCode ? g.wijkRivm[b.wijkCode] : undefined;
      const mr = b.rivm.moeite_rondkomen_18plus ?? wr?.moeite_rondkomen_18plus ?? null;
      const e65 = b.rivm.eenzaam_65plus ?? wr?.eenzaam_65plus ?? null;
      const base = {
        code: b.code,
        name: b.name,
        wijkCode: b.wijkCode,
        indeling: b.division,
        synthetic: false,
        mr,
        e65,
      };
      if (w && !used.has(w.code) && (w.figures.aantal_inwoners ?? 0) >= 0) {
        used.add(w.code);
        const p = Math.max(0, w.figures.aantal_inwoners ?? 0);
        matched += p;
        drafts.push({
          ...base,
          rule: "wijk-name-match",
          persons: p,
          meanHouseholdSize: wijkMean(w, meanSize),
          ageShares: ageSharesOf(w.figures) ?? ageShares,
        });
      } else {
        const d: Draft = {
          ...base,
          rule: "remainder-share",
          persons: 0,
          meanHouseholdSize: meanSize,
          ageShares,
        };
        drafts.push(d);
        unmatched.push({ d, weight: b.rivm.moeite_rondkomen_18plus !== undefined ? 1 : 0.02 });
      }
    }
    const rest = Math.max(0, persons - matched);
    const wsum = unmatched.reduce((s, u) => s + u.weight, 0);
    if (wsum > 0) for (const u of unmatched) u.d.persons = (rest * u.weight) / wsum;
  } else {
    const wijken = g.wijken.filter((w) => (w.figures.aantal_inwoners ?? 0) > 0);
    if (wijken.length > 0) {
      for (const w of wijken) {
        const p = w.figures.aantal_inwoners!;
        const k = clamp(Math.round(p / ASSUMED.syntheticBuurtSize), 1, 99);
        for (let j = 0; j < k; j++)
          drafts.push({
            code: `BU${w.code.slice(2, 8)}${String(j + 1).padStart(2, "0")}`,
            name: `${w.name ?? w.code} ${j + 1} (synthetisch)`,
            wijkCode: w.code,
            indeling: w.division,
            synthetic: true,
            rule: "synthetic-wijk-split",
            persons: p / k,
            meanHouseholdSize: wijkMean(w, meanSize),
            ageShares: ageSharesOf(w.figures) ?? ageShares,
            mr: null,
            e65: null,
          });
      }
    } else {
      const k = clamp(Math.round(persons / ASSUMED.syntheticBuurtSize), 1, 9999);
      for (let j = 0; j < k; j++)
        drafts.push({
          code: `BU${g.code.slice(2, 6)}${String(j + 1).padStart(4, "0")}`,
          name: `${g.name ?? g.code} ${j + 1} (synthetisch)`,
          wijkCode: null,
          indeling: 0,
          synthetic: true,
          rule: "synthetic-gemeente-split",
          persons: persons / k,
          meanHouseholdSize: meanSize,
          ageShares,
          mr: null,
          e65: null,
        });
    }
  }
  // Whole residents, summing to the gemeente total (largest remainder).
  const total = drafts.reduce((s, d) => s + d.persons, 0);
  const scale = total > 0 ? persons / total : 0;
  const whole = largestRemainder(
    drafts.map((d) => d.persons * scale),
    persons,
  );
  drafts.forEach((d, i) => (d.persons = whole[i]!));

  // Risk factors.
  const mrG = fig("moeite_rondkomen_18plus", undefined);
  const e65G = fig("eenzaam_65plus", undefined);
  const raw = drafts.map((d) =>
    d.mr !== null && mrG ? Math.pow(Math.max(d.mr, 1) / mrG, ASSUMED.financeExponent) : 1,
  );
  const wsum = drafts.reduce((s, d) => s + d.persons, 0);
  const mean = wsum > 0 ? drafts.reduce((s, d, i) => s + d.persons * raw[i]!, 0) / wsum : 1;

  // Single share per buurt from its mean household size (see docs): the multi-person households of
  // the gemeente have mean size mu; a buurt with mean size m then has (mu − m)/(mu − 1) singles.
  const mu = (meanSize - singleShare) / (1 - singleShare);

  // Hot buurten: the known ones, else up to two average buurten (finance within 10 % of 1) with at
  // least 2,000 residents, largest first.
  const known = KNOWN_HOT_BUURTEN[g.code] ?? [];
  const hot = new Set(known.filter((c) => drafts.some((d) => d.code === c)));
  const average = drafts
    .map((d, i) => ({ d, f: raw[i]! / mean }))
    .filter(({ d, f }) => !hot.has(d.code) && d.persons >= 2000 && Math.abs(f - 1) < 0.1)
    .sort((a, b) => b.d.persons - a.d.persons || a.d.code.localeCompare(b.d.code));
  for (const { d } of average) {
    if (hot.size >= Math.max(2, known.length)) break;
    hot.add(d.code);
  }

  const buurten: BuurtTarget[] = drafts.map((d, i) => ({
    code: d.code,
    name: d.name,
    wijkCode: d.wijkCode,
    indeling: d.indeling,
    synthetic: d.synthetic,
    rule: d.rule,
    persons: d.persons,
    meanHouseholdSize: d.meanHouseholdSize,
    ageShares: d.ageShares,
    singleShare: mu > 1.05 ? clamp((mu - d.meanHouseholdSize) / (mu - 1), 0.08, 0.85) : singleShare,
    finance: raw[i]! / mean,
    loneliness: d.e65 !== null && e65G ? clamp(d.e65 / e65G, 0.5, 2) : 1,
    rivmMoeiteRondkomen: d.mr,
    rivmEenzaam65: d.e65,
    hotPc6: hot.has(d.code) ? 2 : 0,
  }));

  const ao = fig("ao_per_1000", ASSUMED.aoPer1000) ?? ASSUMED.aoPer1000;
  const rates: GemeenteRates = {
    minimaHouseholds: (fig("pct_rond_sociaal_minimum", ASSUMED.minimaPct) ?? ASSUMED.minimaPct) / 100,
    bijstandPer1000: fig("bijstand_per_1000", ASSUMED.bijstandPer1000) ?? ASSUMED.bijstandPer1000,
    wwPer1000: fig("ww_per_1000", ASSUMED.wwPer1000) ?? ASSUMED.wwPer1000,
    wajongPer1000: ao * ASSUMED.wajongShareOfAo,
    wiaPer1000: ao * (1 - ASSUMED.wajongShareOfAo),
    wmoPer1000: fig("wmo_per_1000", ASSUMED.wmoPer1000) ?? ASSUMED.wmoPer1000,
    jeugdhulpPct: fig("pct_jongeren_jeugdzorg", ASSUMED.jeugdhulpPct) ?? ASSUMED.jeugdhulpPct,
    schuldhulpPer1000Adults: ASSUMED.schuldhulpPer1000Adults,
    huurachterstand: ASSUMED.huurachterstand,
    verzuimPerPupilYear: ASSUMED.verzuimPerPupilYear,
    overlastPerAddressYear: ASSUMED.overlastPerAddressYear,
  };
  sources.schuldhulp = "assumption: 9 per 1,000 adults in debt assistance (no open figure bundled)";
  sources.huurachterstand = "assumption: 2.5 % of households (no open figure bundled)";
  sources.verzuim = "assumption: 0.04 reports per pupil per year";
  sources.overlast = "assumption: 0.04 reports per address per year";
  return {
    code: g.code,
    name: g.name,
    persons,
    households: Math.round(persons / meanSize),
    meanHouseholdSize: meanSize,
    singleShare,
    ageShares,
    rates,
    sources,
    pc4,
    buurten,
  };
}

/** Rounds non-negative parts to integers that sum to `total` (largest remainder; ties by index). */
export function largestRemainder(parts: readonly number[], total: number): number[] {
  const floors = parts.map((p) => Math.floor(p));
  let rest = total - floors.reduce((a, b) => a + b, 0);
  const order = parts.map((p, i) => ({ i, r: p - Math.floor(p) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; rest > 0 && order.length > 0; k = (k + 1) % order.length, rest--) floors[order[k]!.i]!++;
  return floors;
}

/**
 * PC4 ranges: fixed ones for known gemeenten, the others consecutive from 1000 in code order, sized by
 * population (about 55 PC6 per PC4 at 40 residents per PC6), skipping the fixed ranges.
 */
function assignPc4(gemeenten: readonly GemeenteInput[], persons: ReadonlyMap<string, number>) {
  const out = new Map<string, readonly [number, number]>();
  const fixed = Object.entries(KNOWN_PC4).filter(([c]) => persons.has(c));
  for (const [c, r] of fixed) out.set(c, r);
  const rest = gemeenten.filter((g) => !out.has(g.code));
  const free = 9000 - fixed.reduce((s, [, r]) => s + (r[1] - r[0] + 1), 0);
  const restPersons = rest.reduce((s, g) => s + (persons.get(g.code) ?? 0), 0);
  let next = 1000;
  const skip = () => {
    for (const [, r] of fixed) if (next >= r[0] && next <= r[1]) next = r[1] + 1;
  };
  for (const g of rest) {
    const p = persons.get(g.code) ?? 0;
    const byShare = restPersons > 0 ? Math.floor((free * p) / restPersons) : 1;
    const n = clamp(Math.min(byShare, Math.ceil(p / 2000)), 1, 9000);
    skip();
    const from = next;
    let to = from + n - 1;
    // Do not run over a fixed range: end before it.
    for (const [, r] of fixed) if (from < r[0] && to >= r[0]) to = r[0] - 1;
    next = to + 1;
    out.set(g.code, [Math.min(from, 9999), Math.min(to, 9999)]);
  }
  return out;
}

/** Builds the targets for every gemeente in the inputs. */
export function calibrate(inputs: CalibrationInputs): CalibrationTargets {
  const persons = new Map<string, number>();
  for (const g of inputs.gemeenten) {
    const p =
      g.figures.aantal_inwoners?.value ??
      g.wijken.reduce((s, w) => s + Math.max(0, w.figures.aantal_inwoners ?? 0), 0);
    persons.set(g.code, p);
  }
  const pc4 = assignPc4(inputs.gemeenten, persons);
  return {
    gemeenten: inputs.gemeenten
      .filter((g) => (persons.get(g.code) ?? 0) > 0)
      .map((g) => gemeenteTarget(g, inputs.nationalMedian, pc4.get(g.code)!)),
  };
}
