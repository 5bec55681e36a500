/**
 * The shapes of the wijkradar API as the dashboard uses them (see /api/openapi.json). Only aggregates
 * per area ever arrive here: the server's release function has applied the access policy and
 * disclosure control before anything is sent.
 */
export type Level = "land" | "gemeente" | "wijk" | "buurt" | "pc4" | "pc6";
export type Polarity = "higher-is-worse" | "higher-is-better" | "neutral";
export type Status = "released" | "suppressed";

export interface Localised {
  readonly nl: string;
  readonly en: string;
}

export interface Source {
  readonly id: string;
  readonly name: string;
  readonly attribution: string;
  readonly licence: string;
  readonly url: string | null;
}

export interface Indicator {
  readonly id: string;
  readonly name: Localised;
  readonly definition: Localised | null;
  readonly unit: string;
  readonly domain: string;
  readonly polarity: Polarity;
  readonly kind: string;
  readonly decimals: number;
  readonly periods: readonly string[];
  readonly levels: readonly Level[];
  /** Periods with figures per level (older servers may not send it). */
  readonly periodsByLevel?: Readonly<Partial<Record<Level, readonly string[]>>>;
  readonly source: Source;
}

export interface Reference {
  readonly code?: string;
  readonly status: Status;
  readonly value?: number | null;
}

export interface ValueRow {
  readonly code: string;
  readonly name?: string;
  readonly nameDivision?: number;
  readonly status: Status;
  readonly value?: number | null;
  readonly numerator?: number;
  readonly denominator?: number;
  readonly derived?: boolean;
  readonly parent?: string;
}

export interface ValuesResponse {
  readonly indicator: Indicator;
  readonly source: Source;
  readonly period: string;
  readonly level: Level;
  readonly division: number;
  readonly parent: string | null;
  readonly references: {
    readonly national: Reference | null;
    readonly parents: Readonly<Record<string, Reference>>;
  };
  readonly released: number;
  readonly suppressed: number;
  readonly denied: number;
  /** When some figures were hidden by the access policy: the rule that hid one of them. */
  readonly deniedReason?: string;
  readonly values: readonly ValueRow[];
}

export interface AreaSummary {
  readonly code: string;
  readonly division: number;
  readonly level: Level;
  readonly name: string | null;
  readonly parentCode: string | null;
  readonly hasGeometry: boolean;
}

export interface AreaDetail extends AreaSummary {
  /** The division the name was taken from, when this division has no name of its own. */
  readonly nameDivision?: number;
  readonly divisions: readonly number[];
  readonly childCount: number;
  readonly parent: { readonly code: string; readonly name: string | null; readonly level: Level } | null;
}

export interface GeoFeature {
  readonly type: "Feature";
  readonly id: string;
  readonly bbox: readonly [number, number, number, number];
  readonly properties: {
    readonly code: string;
    readonly name: string | null;
    readonly level: Level;
    readonly parent: string | null;
    readonly division: number;
    readonly inData?: boolean;
  };
  readonly geometry: unknown;
}

export interface DivisionMatch {
  readonly dataDivision: number;
  readonly geometryDivision: number;
  readonly dataAreas: number;
  readonly matched: number;
  readonly unmatched: readonly { readonly code: string; readonly name: string | null }[];
  readonly geometryOnly: readonly { readonly code: string; readonly name: string | null }[];
}

export interface GeoResponse {
  readonly type: "FeatureCollection";
  readonly wijkradar: {
    readonly level: Level;
    readonly division: number;
    readonly divisions: readonly number[];
    readonly parent: string | null;
    readonly source: { readonly attribution: string; readonly licence: string };
    readonly match?: DivisionMatch;
  };
  readonly features: readonly GeoFeature[];
}

export interface ProfileFigure {
  readonly code: string;
  readonly status: Status;
  readonly value?: number | null;
}

export interface SeriesPoint {
  readonly period: string;
  readonly division: number;
  readonly status: Status;
  readonly value?: number | null;
  readonly parent?: number | null;
  readonly national?: number | null;
}

export interface ProfileEntry {
  readonly indicator: Indicator;
  readonly source: Source;
  readonly period: string;
  readonly division: number;
  readonly status: Status;
  readonly value: number | null;
  readonly derived: boolean;
  readonly parent: ProfileFigure | null;
  readonly national: ProfileFigure | null;
  readonly series: readonly SeriesPoint[];
}

export interface ProfileResponse {
  readonly area: {
    readonly code: string;
    readonly name: string | null;
    readonly level: Level;
    readonly division: number;
    readonly parentCode: string | null;
    readonly divisions: readonly number[];
  };
  readonly released: number;
  readonly suppressed: number;
  readonly denied: number;
  readonly indicators: number;
  readonly domains: Readonly<Record<string, readonly ProfileEntry[]>>;
}

// --- early warning (issue 5) ------------------------------------------------------------------

export type AlertSeverity = "red" | "yellow";
/** red: q below the red threshold; yellow: below the yellow one; blue: tested, no signal; grey: no baseline. */
export type Severity = AlertSeverity | "blue" | "grey";
export type AlertStatus = "new" | "acknowledged" | "investigating" | "closed";
export type DetectorId =
  | "status-funnel"
  | "status-standardised"
  | "dynamics-relative-change"
  | "dynamics-trend"
  | "dynamics-counts"
  | "space-local-moran"
  | "space-gi-star";

/** An alert in the ranked list: one per area and problem domain, with its strongest test. */
export interface AlertSummary {
  readonly id: number;
  readonly areaCode: string;
  readonly gemeenteCode: string | null;
  readonly level: Level;
  readonly division: number;
  readonly domain: string;
  readonly indicatorId: string;
  readonly detector: DetectorId;
  readonly detectors: readonly DetectorId[];
  readonly period: string;
  readonly effect: number;
  readonly p: number;
  readonly q: number;
  readonly severity: AlertSeverity;
  readonly score: number;
  readonly status: AlertStatus;
  readonly active: boolean;
  /** Number of released tests (the explanation's length). */
  readonly tests: number;
  readonly observed: number | null;
  readonly expected: number | null;
  readonly attribution: string | null;
  readonly updatedAt: string;
}

export interface AlertList {
  readonly total: number;
  readonly limit: number;
  readonly offset: number;
  readonly alerts: readonly AlertSummary[];
}

/**
 * Detector-specific figures of a test (see docs/methods.md); numbers or text. Structured fields the
 * dashboard reads (older runs may lack them):
 * - status-standardised: `comparedWithin` ("gemeente" | "level") and `gemeente` (the group's code);
 * - dynamics-relative-change: `comparedWithin` and `scale` (the spread of the differences in change);
 * - status-funnel: `overdispersion` ("additive" | "multiplicative" | "none"), `phi`, `tau2`;
 * - space-local-moran, space-gi-star: `neighbourCodes` ("BU…,BU…": the neighbours the test used),
 *   `weightsMethod` ("queen" | "knn") and `geometryDivision` (the boundaries the weights came from).
 */
export type TestDetails = Readonly<Record<string, number | string | null>>;

export interface AlertTest {
  readonly indicatorId: string;
  readonly detector: DetectorId;
  readonly period: string;
  readonly observed: number | null;
  readonly expected: number | null;
  readonly effect: number;
  readonly p: number;
  readonly q: number;
  readonly severity: Severity;
  readonly status: Status;
  readonly details: TestDetails;
  readonly attribution: string;
}

export interface AlertEvent {
  readonly at: string;
  readonly actor: string;
  readonly event: "opened" | "updated" | "reopened" | "status" | "resolved-by-data";
  readonly status: AlertStatus;
  readonly reason: string | null;
  readonly runId: number | null;
}

export interface DetectionParameters {
  readonly fdr: number;
  readonly severity: { readonly red: number; readonly yellow: number };
  readonly status: {
    readonly reference: "gemeente" | "land";
    readonly minComparableAreas: number;
    readonly winsor: number;
    readonly minDenominator: number;
    readonly minScaleFraction: number;
  };
  readonly dynamics: { readonly minTrendPeriods: number };
  readonly space: {
    readonly permutations: number;
    readonly seed: number;
    readonly weights: "queen" | "knn";
    readonly k: number;
    readonly minAreas: number;
    readonly levels: readonly string[];
  };
}

export interface AlertDetail extends AlertSummary {
  readonly statusReason: string | null;
  readonly statusBy: string | null;
  readonly statusAt: string | null;
  readonly firstRun: number;
  readonly lastRun: number;
  readonly createdAt: string;
  readonly explanation: readonly AlertTest[];
  /** Tests of this alert whose indicators the viewer may not see. */
  readonly hiddenTests: number;
  readonly events: readonly AlertEvent[];
  readonly parameters: DetectionParameters;
}

/**
 * The run that last found an alert: its p cut-offs are the largest p-values that were still red resp.
 * yellow after Benjamini–Hochberg over all its tests (null: no test of that severity), the effective
 * per-test thresholds the charts draw.
 */
export interface AlertRun {
  readonly id: number;
  readonly finishedAt: string | null;
  readonly tests: number | null;
  readonly pCutoffs: { readonly red: number | null; readonly yellow: number | null };
}

/** GET /api/alerts/:id. */
export interface AlertDetailResponse {
  readonly alert: AlertDetail | null;
  readonly run: AlertRun | null;
}

export interface AlertMapArea {
  readonly code: string;
  readonly division: number;
  readonly severity: AlertSeverity;
  readonly domains: readonly string[];
  readonly alerts: number;
  /** The area's strongest alert (the first as the API ranks them): a click opens it. */
  readonly alertId: number;
}

/** A tested area without an alert: blue (no significant deviation) or grey (no baseline). */
export interface AlertMapTested {
  readonly code: string;
  readonly division: number;
  readonly severity: "blue" | "grey";
}

export interface AlertMapResponse {
  readonly level: Level;
  readonly division: number | null;
  readonly areas: readonly AlertMapArea[];
  readonly tested: readonly AlertMapTested[];
}

export interface DetectionRun {
  readonly id: number;
  readonly trigger: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly status: "running" | "finished" | "failed";
  readonly series: number | null;
  readonly tests: number | null;
  readonly alerts: number | null;
  readonly modelVersion: string;
  readonly message: string | null;
  /** The settings the run used (its thresholds among them). */
  readonly settings?: { readonly severity?: { readonly red: number; readonly yellow: number } };
  /** The largest p still red / yellow after Benjamini–Hochberg in this run (null: none). */
  readonly pCutoffs?: { readonly red: number | null; readonly yellow: number | null };
}

export interface RunProgress {
  readonly runId: number;
  readonly phase: string;
  readonly done: number;
  readonly total: number;
}

export interface DetectionRuns {
  readonly runs: readonly DetectionRun[];
  readonly running: RunProgress | null;
}
