/**
 * From tests to alerts: Benjamini–Hochberg over every test of a run, severity, one alert per area and
 * problem (domain), ranking by effect and certainty, and per area the accumulation of problems
 * (domains with a significant unfavourable deviation), a status × dynamics class (4 × 3, after Berlin's
 * Monitoring Soziale Stadtentwicklung) and a composite index with documented weights.
 * See docs/methods.md, "Early warning: from tests to alerts".
 */
import type { AreaLevel } from "../area-codes.js";
import { DOMAINS, type Domain, type Polarity } from "../catalogue.js";
import { benjaminiHochbergFast, bhCutoff, bhQ, bhTable } from "./fdr.js";
import type { DetectionSettings } from "./model.js";

/** The detectors of a run; each documented in docs/methods.md and in the model description. */
export const DETECTORS = [
  "status-funnel",
  "status-standardised",
  "dynamics-relative-change",
  "dynamics-trend",
  "dynamics-counts",
  "space-local-moran",
  "space-gi-star",
] as const;
export type DetectorId = (typeof DETECTORS)[number];

/** What kind of question a detector answers: status (now), dynamics (getting worse), space (cluster). */
export const DETECTOR_FAMILY: Readonly<Record<DetectorId, "status" | "dynamics" | "space">> = {
  "status-funnel": "status",
  "status-standardised": "status",
  "dynamics-relative-change": "dynamics",
  "dynamics-trend": "dynamics",
  "dynamics-counts": "dynamics",
  "space-local-moran": "space",
  "space-gi-star": "space",
};

export const SEVERITIES = ["red", "yellow", "blue", "grey"] as const;
/** red: q < 0.01; yellow: q < 0.05; blue: tested, no significant unfavourable deviation; grey: no baseline. */
export type Severity = (typeof SEVERITIES)[number];

/** One one-sided test of one area for one indicator (or profile) by one detector. */
export interface DetectionTest {
  readonly detector: DetectorId;
  /** Indicator id, or `profile:<id>` for a profile. */
  readonly indicatorId: string;
  readonly domain: Domain;
  readonly polarity: Exclude<Polarity, "neutral">;
  readonly level: AreaLevel;
  readonly division: number;
  readonly area: string;
  /** The area's gemeente (for grouping and the city reference), when known. */
  readonly gemeente: string | null;
  /** The period tested, e.g. "2020"; for a change "2016–2020". */
  readonly period: string;
  /** The area's value on the indicator's scale (or the change, for dynamics). */
  readonly observed: number;
  /** What it was compared with on the same scale (reference value, expected count, …); null if none. */
  readonly expected: number | null;
  /**
   * Standardised effect in the unfavourable direction: positive means worse than the reference
   * (a z-score or its analogue). Ranking uses it.
   */
  readonly effect: number;
  /** One-sided p-value in the unfavourable direction; null when there is no baseline (grey). */
  readonly p: number | null;
  /** Detector-specific figures shown with the alert (limits, slope, φ, permutations…); numbers or text. */
  readonly details: Readonly<Record<string, number | string | null>>;
}

export interface AssessedTest extends DetectionTest {
  /** BH-adjusted p-value over every test with a p-value in the run; null without a baseline. */
  readonly q: number | null;
  readonly severity: Severity;
}

/** Severity from a q-value (null: no baseline). */
export function severityOf(q: number | null, settings: Pick<DetectionSettings, "severity">): Severity {
  if (q === null || Number.isNaN(q)) return "grey";
  if (q < settings.severity.red) return "red";
  if (q < settings.severity.yellow) return "yellow";
  return "blue";
}

/** Benjamini–Hochberg over all tests of a run, then a severity per test (small runs, tests). */
export function assessTests(
  tests: readonly DetectionTest[],
  settings: Pick<DetectionSettings, "severity">,
): AssessedTest[] {
  const q = benjaminiHochbergFast(Float64Array.from(tests, (t) => (t.p === null ? NaN : t.p)));
  return tests.map((t, i) => {
    const qi = t.p === null ? null : (q[i] as number);
    return { ...t, q: qi, severity: severityOf(qi, settings) };
  });
}

/**
 * The tests of one detector on one series, column-wise: a run holds millions of tests, and only the
 * few significant ones are ever needed as objects (`materialise`).
 */
export interface TestBatch {
  readonly detector: DetectorId;
  readonly indicatorId: string;
  readonly domain: Domain;
  readonly polarity: Exclude<Polarity, "neutral">;
  readonly level: AreaLevel;
  readonly division: number;
  /** The series' areas and their gemeenten (tests point into them). */
  readonly areas: readonly string[];
  readonly gemeenten: readonly (string | null)[];
  /** Per test: the area index, one-sided p (NaN: no baseline), effect, observed, expected (NaN: none). */
  readonly area: Int32Array;
  readonly p: Float64Array;
  readonly effect: Float64Array;
  readonly observed: Float64Array;
  readonly expected: Float64Array;
  /** Period of test i. */
  period(i: number): string;
  /** Detector-specific figures of test i. */
  details(i: number): Record<string, number | string | null>;
}

/** Test i of a batch as an object. */
export function materialise(b: TestBatch, i: number): DetectionTest {
  const a = b.area[i] as number;
  const p = b.p[i] as number;
  const expected = b.expected[i] as number;
  return {
    detector: b.detector,
    indicatorId: b.indicatorId,
    domain: b.domain,
    polarity: b.polarity,
    level: b.level,
    division: b.division,
    area: b.areas[a] as string,
    gemeente: b.gemeenten[a] ?? null,
    period: b.period(i),
    observed: b.observed[i] as number,
    expected: Number.isNaN(expected) ? null : expected,
    effect: b.effect[i] as number,
    p: Number.isNaN(p) ? null : p,
    details: b.details(i),
  };
}

export interface RunAssessment {
  /** Tests in the run, and how many had a baseline. */
  readonly tests: number;
  readonly tested: number;
  readonly severities: Readonly<Record<Severity, number>>;
  /**
   * The largest p-value that was still red resp. yellow after Benjamini–Hochberg (NaN: none): the
   * run's effective per-test thresholds, e.g. for control limits in charts.
   */
  readonly pCutoffs: { readonly red: number; readonly yellow: number };
  readonly alerts: AlertDraft[];
  readonly summaries: AreaSummary[];
}

/**
 * Assesses a whole run: BH over every p-value of every batch, severities, alerts from the significant
 * tests (only those become objects), and the per-area accumulation — in typed arrays, so millions of
 * tests stay cheap.
 */
export function assessRun(
  batches: readonly TestBatch[],
  settings: Pick<DetectionSettings, "severity" | "composite" | "classes">,
): RunAssessment {
  let total = 0;
  for (const b of batches) total += b.p.length;
  const all = new Float64Array(total);
  let offset = 0;
  for (const b of batches) {
    all.set(b.p, offset);
    offset += b.p.length;
  }
  // BH over the whole run: severities by the p cut-offs (q < level ⇔ p ≤ cut-off); q itself is looked
  // up only for the significant tests.
  const table = bhTable(all);
  const cutRed = bhCutoff(table, settings.severity.red);
  const cutYellow = bhCutoff(table, settings.severity.yellow);
  const severityOfP = (p: number): Severity =>
    Number.isNaN(p) ? "grey" : p <= cutRed ? "red" : p <= cutYellow ? "yellow" : "blue";
  const severities: Record<Severity, number> = { red: 0, yellow: 0, blue: 0, grey: 0 };
  const significant: AssessedTest[] = [];
  // Per-area accumulators, areas numbered in order of appearance.
  const areaIds = new Map<string, number>();
  const areaInfo: { area: string; gemeente: string | null; level: AreaLevel; division: number }[] = [];
  const nd = DOMAINS.length;
  let cap = 1024;
  let sev = new Int8Array(cap);
  let counts = new Int32Array(cap);
  let flagged = new Int32Array(cap);
  let stat = new Float64Array(cap * nd * 2);
  let dyn = new Float64Array(cap * nd * 2);
  const grow = () => {
    cap *= 2;
    const g8 = new Int8Array(cap);
    g8.set(sev);
    sev = g8;
    const c = new Int32Array(cap);
    c.set(counts);
    counts = c;
    const f = new Int32Array(cap);
    f.set(flagged);
    flagged = f;
    const s2 = new Float64Array(cap * nd * 2);
    s2.set(stat);
    stat = s2;
    const d2 = new Float64Array(cap * nd * 2);
    d2.set(dyn);
    dyn = d2;
  };
  for (const b of batches) {
    if (b.indicatorId.startsWith(PROFILE_PREFIX)) {
      // Profile tests make alerts; the per-area accumulation is over the indicators.
      for (let i = 0; i < b.p.length; i++) {
        const pi = b.p[i] as number;
        const severity = severityOfP(pi);
        severities[severity]++;
        if (severity === "red" || severity === "yellow")
          significant.push({ ...materialise(b, i), q: bhQ(table, pi), severity });
      }
      continue;
    }
    const ids = new Int32Array(b.areas.length).fill(-1);
    const d = DOMAIN_INDEX.get(b.domain) as number;
    const family = DETECTOR_FAMILY[b.detector];
    for (let i = 0; i < b.p.length; i++) {
      const a = b.area[i] as number;
      let id = ids[a] as number;
      if (id < 0) {
        const key = `${b.division}:${b.level}:${b.areas[a] as string}`;
        id = areaIds.get(key) ?? -1;
        if (id < 0) {
          id = areaInfo.length;
          areaIds.set(key, id);
          areaInfo.push({
            area: b.areas[a] as string,
            gemeente: b.gemeenten[a] ?? null,
            level: b.level,
            division: b.division,
          });
          if (id >= cap) grow();
        }
        ids[a] = id;
      }
      const pi = b.p[i] as number;
      const severity = severityOfP(pi);
      severities[severity]++;
      counts[id] = (counts[id] as number) + 1;
      const rank = SEVERITY_RANK[severity];
      if (rank > (sev[id] as number)) sev[id] = rank;
      if (severity === "red" || severity === "yellow") {
        flagged[id] = (flagged[id] as number) | (1 << d);
        significant.push({ ...materialise(b, i), q: bhQ(table, pi), severity });
      }
      if (Number.isNaN(pi)) continue;
      const e = b.effect[i] as number;
      if (!Number.isFinite(e)) continue;
      const target = family === "status" ? stat : family === "dynamics" ? dyn : null;
      if (target) {
        const at = (id * nd + d) * 2;
        target[at] = (target[at] as number) + e;
        target[at + 1] = (target[at + 1] as number) + 1;
      }
    }
  }
  const [s1, s2, s3] = settings.classes.status;
  const [d1, d2] = settings.classes.dynamics;
  const index = (
    arr: Float64Array,
    id: number,
    weights: Readonly<Partial<Record<Domain, number>>> | null,
  ) => {
    let sum = 0;
    let w = 0;
    for (let k = 0; k < nd; k++) {
      const n = arr[(id * nd + k) * 2 + 1] as number;
      if (n === 0) continue;
      const weight = weights ? (weights[DOMAINS[k] as Domain] ?? 0) : 1;
      if (weight <= 0) continue;
      sum += (weight * (arr[(id * nd + k) * 2] as number)) / n;
      w += weight;
    }
    return w > 0 ? sum / w : null;
  };
  const summaries: AreaSummary[] = areaInfo.map((info, id) => {
    const statusIndex = index(stat, id, null);
    const dynamicsIndex = index(dyn, id, null);
    const domainsFlagged: Domain[] = [];
    for (let k = 0; k < nd; k++)
      if (((flagged[id] as number) >> k) & 1) domainsFlagged.push(DOMAINS[k] as Domain);
    return {
      ...info,
      severity: SEVERITIES[3 - (sev[id] as number)] as Severity,
      domainsFlagged: domainsFlagged.sort(),
      statusIndex,
      dynamicsIndex,
      statusClass:
        statusIndex === null ? null : statusIndex <= s1 ? 1 : statusIndex < s2 ? 2 : statusIndex < s3 ? 3 : 4,
      dynamicsClass: dynamicsIndex === null ? null : dynamicsIndex <= d1 ? 1 : dynamicsIndex < d2 ? 2 : 3,
      composite: index(stat, id, settings.composite.weights),
      tests: counts[id] as number,
    };
  });
  summaries.sort(
    (x, y) => x.division - y.division || x.level.localeCompare(y.level) || x.area.localeCompare(y.area),
  );
  return {
    tests: total,
    tested: total - severities.grey,
    severities,
    pCutoffs: {
      red: cutRed === -Infinity ? NaN : cutRed,
      yellow: cutYellow === -Infinity ? NaN : cutYellow,
    },
    alerts: groupAlerts(significant),
    summaries,
  };
}

const DOMAIN_INDEX: ReadonlyMap<Domain, number> = new Map(DOMAINS.map((d, i) => [d, i]));

const SEVERITY_RANK: Readonly<Record<Severity, number>> = { red: 3, yellow: 2, blue: 1, grey: 0 };

/** Worst of two severities (red > yellow > blue > grey). */
export function worseSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

/**
 * Ranking score of a test: effect × certainty, with certainty −log10(q) capped at 10 so one extreme
 * p-value does not drown the size of the deviation. 0 for tests that are not significant.
 */
export function rankScore(t: Pick<AssessedTest, "effect" | "q" | "severity">): number {
  if (t.q === null || (t.severity !== "red" && t.severity !== "yellow")) return 0;
  const certainty = Math.min(10, -Math.log10(Math.max(t.q, 1e-300)));
  return Math.max(0, t.effect) * certainty;
}

/** Prefix of the indicator id of profile tests (`profile:<id>`). */
export const PROFILE_PREFIX = "profile:";

/**
 * The alert key of a test: `<division>:<level>:<area>:<domain>`, with `p:` in front for profile tests
 * (signals from microdata profiles are alerts of their own, kept apart from the open indicators').
 */
export function alertKey(
  t: Pick<DetectionTest, "division" | "level" | "area" | "domain" | "indicatorId">,
): string {
  const key = `${t.division}:${t.level}:${t.area}:${t.domain}`;
  return t.indicatorId.startsWith(PROFILE_PREFIX) ? `p:${key}` : key;
}

/** One alert: an area and a problem (domain) with the significant tests that make it. */
export interface AlertDraft {
  /** Stable identity across runs: `alertKey` (`[p:]<division>:<level>:<area>:<domain>`). */
  readonly key: string;
  readonly area: string;
  readonly gemeente: string | null;
  readonly level: AreaLevel;
  readonly division: number;
  readonly domain: Domain;
  readonly severity: "red" | "yellow";
  /** Sum of the contributing tests' rank scores (more and stronger signals rank higher). */
  readonly score: number;
  /** The strongest contributing test's figures. */
  readonly indicatorId: string;
  readonly detector: DetectorId;
  readonly period: string;
  readonly effect: number;
  readonly p: number;
  readonly q: number;
  readonly detectors: readonly DetectorId[];
  /** Every significant test of this area and domain, strongest first (the explanation's basis). */
  readonly tests: readonly AssessedTest[];
}

/**
 * Groups the significant unfavourable tests (red or yellow) into one alert per area and domain and
 * ranks them: severity first, then score. Deterministic: ties fall back to the key.
 */
export function groupAlerts(tests: readonly AssessedTest[]): AlertDraft[] {
  const groups = new Map<string, AssessedTest[]>();
  for (const t of tests) {
    if (t.severity !== "red" && t.severity !== "yellow") continue;
    const key = alertKey(t);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(t);
  }
  const alerts: AlertDraft[] = [];
  for (const [key, g] of groups) {
    // Red tests first, so the alert's headline (its first test) has the alert's severity.
    g.sort(
      (a, b) =>
        SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
        rankScore(b) - rankScore(a) ||
        (a.q as number) - (b.q as number) ||
        a.indicatorId.localeCompare(b.indicatorId) ||
        a.detector.localeCompare(b.detector),
    );
    const top = g[0] as AssessedTest;
    const severity = g.some((t) => t.severity === "red") ? "red" : "yellow";
    alerts.push({
      key,
      area: top.area,
      gemeente: top.gemeente,
      level: top.level,
      division: top.division,
      domain: top.domain,
      severity,
      score: g.reduce((s, t) => s + rankScore(t), 0),
      indicatorId: top.indicatorId,
      detector: top.detector,
      period: top.period,
      effect: top.effect,
      p: top.p as number,
      q: top.q as number,
      detectors: [...new Set(g.map((t) => t.detector))].sort(),
      tests: g,
    });
  }
  alerts.sort(
    (a, b) =>
      SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
      b.score - a.score ||
      a.key.localeCompare(b.key),
  );
  return alerts;
}

/** Per area: the accumulation view. */
export interface AreaSummary {
  readonly area: string;
  readonly gemeente: string | null;
  readonly level: AreaLevel;
  readonly division: number;
  /** Worst severity over the area's tests (grey when none had a baseline). */
  readonly severity: Severity;
  /** Domains with at least one significant unfavourable test, sorted. */
  readonly domainsFlagged: readonly Domain[];
  /** Mean status effect (unfavourable z, positive = worse) per domain, then weighted over domains. */
  readonly statusIndex: number | null;
  /** Same over the dynamics tests. */
  readonly dynamicsIndex: number | null;
  /** 1 high, 2 middle, 3 low, 4 very low (status index ≤ −1, < 1, < 1.5, ≥ 1.5); null without status tests. */
  readonly statusClass: 1 | 2 | 3 | 4 | null;
  /** 1 improving, 2 stable, 3 deteriorating (dynamics index ≤ −1, < 1, ≥ 1); null without dynamics tests. */
  readonly dynamicsClass: 1 | 2 | 3 | null;
  /** Composite index: the weighted mean of the domain status effects, weights from the settings. */
  readonly composite: number | null;
  /** Number of tests behind the summary. */
  readonly tests: number;
}
