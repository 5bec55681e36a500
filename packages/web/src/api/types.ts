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
