/**
 * Signal boards and interventions over the API (ADR 0008): an area's signals with their responses,
 * the actions agreed on, interventions with their agreements, their effect (before/after series and
 * the difference-in-differences estimate) and the library of shared interventions. Boards and
 * interventions change while the page is open, so reads are never cached (getFresh); writes go
 * through `send` (CSRF token). Shapes mirror packages/server/src/api/board-route.ts and
 * interventions-route.ts.
 */
import { getFresh, query, send } from "./client";
import type { Level, Localised } from "./types";

/** Roles that work with signal boards and interventions (the server's board roles). */
export const BOARD_ROLES: readonly string[] = [
  "field-worker",
  "analyst",
  "policy-advisor",
  "partner",
  "admin",
];

export const URGENCIES = ["low", "normal", "high"] as const;
export type Urgency = (typeof URGENCIES)[number];
export const SIGNAL_STATUSES = ["open", "closed"] as const;
export type SignalStatus = (typeof SIGNAL_STATUSES)[number];
export const ACTION_STATUSES = ["open", "done", "dropped"] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];
export const INTERVENTION_STATUSES = ["planned", "running", "finished", "stopped"] as const;
export type InterventionStatus = (typeof INTERVENTION_STATUSES)[number];

/** Who wrote a signal, response or action: a professional's display name and organisation. */
export interface BoardAuthor {
  readonly name: string | null;
  readonly organisation: string | null;
}

export interface BoardResponse {
  readonly id: number;
  readonly text: string;
  readonly author: BoardAuthor;
  readonly createdAt: string;
}

export interface BoardSignal {
  readonly id: number;
  readonly areaCode: string;
  readonly division: number;
  readonly level: Level;
  readonly domain: string;
  readonly tags: readonly string[];
  readonly urgency: Urgency;
  readonly text: string;
  readonly status: SignalStatus;
  readonly author: BoardAuthor;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly responses: readonly BoardResponse[];
}

export interface BoardAction {
  readonly id: number;
  readonly areaCode: string;
  readonly domain: string;
  readonly signalId: number | null;
  readonly text: string;
  readonly ownerOrganisation: string;
  readonly ownerName: string | null;
  /** YYYY-MM-DD. */
  readonly dueDate: string;
  readonly status: ActionStatus;
  readonly createdAt: string;
  readonly doneAt: string | null;
}

/** The board's area as the server resolved it. */
export interface BoardArea {
  readonly code: string;
  readonly name: string | null;
  readonly level: Level;
  readonly division: number;
}

export interface NewSignal {
  readonly text: string;
  readonly domain: string;
  readonly tags: readonly string[];
  readonly urgency: Urgency;
}

export interface NewAction {
  readonly text: string;
  readonly domain: string;
  readonly signalId?: number;
  readonly ownerOrganisation: string;
  readonly ownerName?: string;
  readonly dueDate: string;
  readonly status: ActionStatus;
}

export interface Agreement {
  readonly id: number;
  readonly text: string;
  readonly ownerOrganisation: string;
  readonly ownerName: string | null;
  readonly dueDate: string;
  readonly status: ActionStatus;
}

export interface InterventionInput {
  readonly title: string;
  readonly goal: string;
  readonly kind: string;
  readonly problem: string;
  readonly domain: string;
  readonly areas: readonly string[];
  readonly division: number;
  readonly targetIndicators: readonly string[];
  readonly startDate: string;
  readonly endDate?: string | null;
  readonly ownerOrganisation: string;
  readonly budget?: number | null;
  readonly status: InterventionStatus;
  readonly shared: boolean;
  readonly lessons?: string | null;
}

export interface Intervention extends InterventionInput {
  readonly id: number;
  readonly level: Level;
  readonly areaType: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** The user may change it (of the owner organisation, or an administrator). */
  readonly mayEdit: boolean;
  readonly agreements: readonly Agreement[];
}

/** What an estimate says (core `EffectVerdict`): all but "effect" read "no measurable effect yet". */
export type EffectVerdict =
  "effect" | "no-measurable-effect" | "no-data-after" | "no-baseline" | "too-few-comparison";

/** The difference-in-differences estimate of one target indicator (core `differenceInDifferences`). */
export interface EffectEstimate {
  readonly verdict: EffectVerdict;
  /** Treated change minus comparison change, in the indicator's unit. */
  readonly estimate: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
  /** The minimum detectable effect (80 % power, 5 %). */
  readonly mde: number | null;
  readonly treatedCount: number | null;
  readonly comparisonCount: number | null;
}

export interface EffectPoint {
  readonly period: string;
  readonly value: number | null;
}

/** GET /api/interventions/:id/effect?indicator: released series, matched comparison areas, estimate. */
export interface IndicatorEffect {
  readonly intervention: {
    readonly id: number;
    readonly startDate: string;
    readonly endDate: string | null;
    readonly level: Level;
    readonly division: number;
  };
  readonly indicator: {
    readonly id: string;
    readonly name: Localised;
    readonly unit: string;
    readonly polarity: string;
  };
  readonly note?: string;
  readonly source: { readonly id: string; readonly name: string; readonly attribution: string };
  readonly periods: {
    readonly before: readonly string[];
    readonly after: readonly string[];
    readonly all: readonly string[];
  };
  readonly treated: readonly {
    readonly code: string;
    readonly name: string | null;
    readonly series: readonly EffectPoint[];
  }[];
  readonly comparison: {
    readonly areas: readonly {
      readonly code: string;
      readonly name: string | null;
      readonly distance: number;
    }[];
    /** The mean of the matched comparison areas per period. */
    readonly mean: readonly EffectPoint[];
    readonly candidates: number;
    readonly scope: string;
  };
  readonly estimate: EffectEstimate & {
    /** Per period the means over the counted areas (the parallel-trends chart). */
    readonly series: readonly { period: string; treated: number | null; comparison: number | null }[];
  };
}

export interface LibraryOutcome {
  readonly indicator: { readonly id: string; readonly name: Localised };
  readonly source: { readonly attribution: string };
  readonly periods: { readonly before: readonly string[]; readonly after: readonly string[] };
  readonly verdict: EffectVerdict;
  readonly estimate: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
  readonly mde: number | null;
  readonly treatedCount: number | null;
  readonly comparisonCount: number | null;
}

/** A shared intervention in the library: no area codes. */
export interface LibraryItem {
  readonly id: number;
  readonly title: string;
  readonly goal: string;
  readonly kind: string;
  readonly problem: string;
  readonly domain: string;
  readonly level: Level;
  readonly areaCount: number;
  readonly areaType: string | null;
  readonly targetIndicators: readonly string[];
  readonly startDate: string;
  readonly endDate: string | null;
  readonly ownerOrganisation: string;
  readonly budget: number | null;
  readonly status: InterventionStatus;
  readonly lessons: string | null;
  /** Set once a shared intervention is finished. */
  readonly outcome: { readonly computedAt: string; readonly indicators: readonly LibraryOutcome[] } | null;
}

export interface InterventionQuery {
  readonly q?: string;
  readonly domain?: string;
  readonly status?: string;
  readonly area?: string;
}

export interface LibraryQuery {
  readonly q?: string;
  readonly domain?: string;
  readonly problem?: string;
  readonly areaType?: string;
}

const enc = encodeURIComponent;

export const fieldWork = {
  signals: (area: string) =>
    getFresh<{ area: BoardArea; signals: BoardSignal[] }>(`/api/areas/${enc(area)}/signals`),
  postSignal: (area: string, signal: NewSignal) =>
    send<BoardSignal>("POST", `/api/areas/${enc(area)}/signals`, signal),
  respond: (signal: number, text: string) =>
    send<BoardSignal>("POST", `/api/signals/${signal}/responses`, { text }),
  setSignalStatus: (signal: number, status: SignalStatus) =>
    send<BoardSignal>("PATCH", `/api/signals/${signal}`, { status }),
  actions: (area: string) =>
    getFresh<{ area: BoardArea; actions: BoardAction[] }>(`/api/areas/${enc(area)}/actions`).then(
      (r) => r.actions,
    ),
  postAction: (area: string, action: NewAction) =>
    send<BoardAction>("POST", `/api/areas/${enc(area)}/actions`, action),
  setActionStatus: (action: number, status: ActionStatus) =>
    send<BoardAction>("PATCH", `/api/actions/${action}`, { status }),

  interventions: (filter: InterventionQuery = {}) =>
    getFresh<{ interventions: Intervention[] }>(`/api/interventions${query({ ...filter })}`).then(
      (r) => r.interventions,
    ),
  intervention: (id: number) => getFresh<Intervention>(`/api/interventions/${id}`),
  register: (input: InterventionInput) => send<Intervention>("POST", "/api/interventions", input),
  updateIntervention: (id: number, patch: Partial<InterventionInput>) =>
    send<Intervention>("PATCH", `/api/interventions/${id}`, patch),
  addAgreement: (
    id: number,
    agreement: { text: string; ownerOrganisation: string; ownerName?: string; dueDate: string },
  ) => send<unknown>("POST", `/api/interventions/${id}/agreements`, { ...agreement, status: "open" }),
  setAgreementStatus: (id: number, agreement: number, status: ActionStatus) =>
    send<Intervention>("PATCH", `/api/interventions/${id}/agreements/${agreement}`, { status }),
  effect: (id: number, indicator: string) =>
    getFresh<IndicatorEffect>(`/api/interventions/${id}/effect${query({ indicator })}`),
  library: (filter: LibraryQuery = {}) =>
    getFresh<{ interventions: LibraryItem[] }>(`/api/interventions/library${query({ ...filter })}`).then(
      (r) => r.interventions,
    ),
};

/** Today as YYYY-MM-DD in the user's time zone (for "overdue"). */
export function today(): string {
  const d = new Date();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** An open action or agreement whose due date has passed. */
export const isOverdue = (item: { dueDate: string; status: string }, on = today()): boolean =>
  item.status === "open" && item.dueDate < on;
