/**
 * Accounts and need to know over the API: the session, login and logout, the own password, what
 * applies to me and why I cannot see something, the administration (organisations, users, grants,
 * sessions) and the audit trail. Reads that change with every action are never cached (getFresh);
 * writes go through `send` (CSRF token). Shapes mirror packages/server/src/api/auth-route.ts,
 * admin-route.ts and services/admin-service.ts.
 */
import { ApiError, getFresh, getJson, query, send } from "./client";
import type { Level, Localised } from "./types";

export const ROLES = [
  "analyst",
  "field-worker",
  "policy-advisor",
  "partner",
  "privacy-officer",
  "admin",
] as const;
export type Role = (typeof ROLES)[number];

/** Roles that may set an alert's status (the server's ALERT_ROLES). */
export const ALERT_ROLES: readonly string[] = ["analyst", "field-worker", "policy-advisor", "partner"];

export interface SessionUser {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly organisation: string;
  readonly role: Role;
  readonly purpose: string;
  readonly secondFactor: boolean;
}

export type SessionInfo =
  | {
      readonly authenticated: false;
      readonly role: "public";
      readonly idleMinutes: number;
      /** Why the session this browser carried has ended (the server's words), when it had one. */
      readonly ended?: string;
    }
  | {
      readonly authenticated: true;
      readonly user: SessionUser;
      readonly csrfToken: string;
      readonly method: string;
      readonly startedAt: string;
      readonly idleMinutes: number;
      readonly absoluteHours: number;
    };

export const ANONYMOUS: SessionInfo = { authenticated: false, role: "public", idleMinutes: 30 };

export const AREA_LEVELS: readonly Level[] = ["land", "gemeente", "wijk", "buurt", "pc4", "pc6"];
export const DOMAINS = [
  "population",
  "income",
  "debts",
  "work",
  "youth",
  "education",
  "safety",
  "health",
  "housing",
  "physical-environment",
] as const;

export type GrantWhat =
  | "open-data"
  | "synthetic-data"
  | {
      readonly domains?: readonly string[];
      readonly indicators?: readonly string[];
      readonly profiles?: readonly string[];
    };

export interface GrantInput {
  readonly id: string;
  readonly to: { readonly kind: "role" | "organisation" | "user"; readonly id: string };
  readonly what: GrantWhat;
  readonly areas?: readonly string[];
  readonly finestLevel?: Level;
  readonly purpose: string;
  readonly note?: string;
}

export interface Grant extends GrantInput {
  readonly createdAt?: string;
  readonly createdBy?: string;
}

export interface AccessMe {
  readonly actor: {
    readonly id: string;
    readonly roles: readonly string[];
    readonly purpose: string;
    readonly organisation: string | null;
  };
  readonly grants: readonly Grant[];
  readonly minCount: number;
}

export interface Explanation {
  readonly allowed: boolean;
  readonly grantId: string | null;
  readonly reason: string;
  readonly indicatorId?: string;
  readonly area?: string;
  readonly level?: Level;
}

export interface Organisation {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly users?: number;
}

export const ORGANISATION_KINDS = [
  "gemeente",
  "police",
  "housing",
  "school",
  "care",
  "welfare",
  "research",
  "other",
] as const;

export interface AdminUser {
  readonly id: string;
  readonly username: string;
  readonly displayName: string;
  readonly organisationId: string;
  readonly role: Role;
  readonly purpose: string;
  readonly disabled: boolean;
  readonly secondFactor: boolean;
  readonly oidcLinked?: boolean;
  readonly createdAt?: string | null;
  readonly lastLoginAt?: string | null;
}

export interface TotpSecret {
  readonly secret: string;
  readonly uri: string;
}

export interface CreatedUser {
  readonly user: AdminUser;
  readonly oneTimePassword?: string;
  readonly totp?: TotpSecret;
}

export interface RoleInfo {
  readonly role: Role;
  readonly purpose: string;
  readonly nl: string;
  readonly en: string;
}

export interface GrantPreview {
  readonly indicators: number;
  readonly profiles: readonly string[];
  readonly byDomain: Readonly<Record<string, number>>;
  readonly sample?: readonly string[];
  readonly levels: readonly Level[];
  readonly areas: "everywhere" | Readonly<Partial<Record<Level, number>>>;
  readonly areasByLevel: Readonly<Partial<Record<Level, number>>>;
  readonly recipients: readonly {
    readonly id: string;
    readonly username: string;
    readonly role: string;
    readonly organisationId: string;
    readonly samePurpose: boolean;
  }[];
  readonly warnings: readonly string[];
}

export interface LiveSession {
  readonly id: string;
  readonly userId: string;
  readonly username: string | null;
  readonly role: string | null;
  readonly method: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly origin: string;
  readonly current: boolean;
}

export interface AuditFilterQuery {
  readonly actor?: string;
  readonly object?: string;
  readonly action?: string;
  readonly result?: string;
  readonly organisation?: string;
  readonly from?: string;
  readonly to?: string;
}

export interface AuditRecord {
  readonly seq: number;
  readonly occurredAt: string;
  readonly actor: string;
  readonly onBehalfOf: string | null;
  readonly organisation: string | null;
  readonly roles: readonly string[];
  readonly purpose: string;
  readonly action: string;
  readonly object: string;
  readonly result: string;
  readonly released: number;
  readonly suppressed: number;
  readonly denied: number;
  readonly origin: string;
}

export interface AuditPage {
  readonly total: number;
  readonly records: readonly AuditRecord[];
}

export interface AuditVerify {
  readonly ok: boolean;
  readonly records: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  readonly head: string | null;
  /** The latest retention anchor: records up to its seq were pruned. */
  readonly anchor?: { readonly seq: number; readonly hash: string } | null;
  /** Problems beyond those listed. */
  readonly omitted?: number;
  readonly problems: readonly {
    readonly seq: number | null;
    readonly kind: string;
    readonly detail: string;
  }[];
}

export interface ProfileSummary {
  readonly id: string;
  readonly name: Localised;
  readonly domain: string;
}

/** Undefined when the server has no such route (404): a feature another release brings. */
async function optional<T>(pending: Promise<T>): Promise<T | undefined> {
  try {
    return await pending;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return undefined;
    throw e;
  }
}

export const AUDIT_PAGE_SIZE = 50;

export const accounts = {
  session: () => getFresh<SessionInfo>("/api/auth/session"),
  login: (body: { username: string; password: string; totp?: string }) =>
    send<SessionInfo>("POST", "/api/auth/login", body),
  logout: () => send<undefined>("POST", "/api/auth/logout"),
  changePassword: (current: string, password: string) =>
    send<SessionInfo>("POST", "/api/auth/password", { current, password }),
  /** OpenID Connect login, when the server offers it (undefined while the route does not exist). */
  oidc: () => optional(getJson<{ enabled: boolean; label?: string }>("/api/auth/oidc")),
  me: () => getFresh<AccessMe>("/api/access/me"),
  explain: (indicator: string, area: string, level?: Level) =>
    getFresh<Explanation>(`/api/access/explain${query({ indicator, area, level })}`),
  profiles: () =>
    getJson<{ count: number; profiles: ProfileSummary[] }>("/api/profiles").then((r) => r.profiles),

  roles: () => getJson<{ roles: RoleInfo[] }>("/api/admin/roles").then((r) => r.roles),
  organisations: () =>
    getFresh<{ organisations: Organisation[] }>("/api/admin/organisations").then((r) => r.organisations),
  createOrganisation: (o: { id: string; name: string; kind: string }) =>
    send<{ id: string }>("POST", "/api/admin/organisations", o),
  updateOrganisation: (id: string, o: { name?: string; kind?: string }) =>
    send<{ id: string }>("PATCH", `/api/admin/organisations/${encodeURIComponent(id)}`, o),
  deleteOrganisation: (id: string) => send("DELETE", `/api/admin/organisations/${encodeURIComponent(id)}`),
  users: () => getFresh<{ users: AdminUser[] }>("/api/admin/users").then((r) => r.users),
  createUser: (u: {
    username: string;
    displayName: string;
    organisationId: string;
    role: string;
    purpose?: string;
  }) => send<CreatedUser>("POST", "/api/admin/users", u),
  updateUser: (
    id: string,
    change: {
      displayName?: string;
      organisationId?: string;
      role?: string;
      purpose?: string;
      disabled?: boolean;
    },
  ) =>
    send<{ user: AdminUser; sessionsEnded: number }>(
      "PATCH",
      `/api/admin/users/${encodeURIComponent(id)}`,
      change,
    ),
  resetPassword: (id: string) =>
    send<{ oneTimePassword: string }>("POST", `/api/admin/users/${encodeURIComponent(id)}/password-reset`),
  enrolTotp: (id: string) => send<TotpSecret>("POST", `/api/admin/users/${encodeURIComponent(id)}/totp`),
  grants: () => getFresh<{ editable: boolean; minCount: number; grants: Grant[] }>("/api/admin/grants"),
  previewGrant: (g: GrantInput) =>
    send<GrantPreview>("POST", "/api/admin/grants/preview", g, { keepCache: true }),
  createGrant: (g: GrantInput) => send<{ grant: Grant }>("POST", "/api/admin/grants", g),
  deleteGrant: (id: string) => send("DELETE", `/api/admin/grants/${encodeURIComponent(id)}`),
  sessions: () =>
    getFresh<{ idleMinutes: number; absoluteHours: number; sessions: LiveSession[] }>("/api/admin/sessions"),
  endSession: (id: string) => send("DELETE", `/api/admin/sessions/${encodeURIComponent(id)}`),

  /** Undefined while the server has no audit routes yet (404). */
  audit: (filter: AuditFilterQuery, page: number) =>
    optional(
      getFresh<AuditPage>(
        `/api/audit${query({ ...filter, limit: AUDIT_PAGE_SIZE, offset: (page - 1) * AUDIT_PAGE_SIZE })}`,
      ),
    ),
  verifyAudit: () => optional(getFresh<AuditVerify>("/api/audit/verify")),
};

/** The CSV download of the audit records matching a filter (a plain link). */
export const auditExportUrl = (filter: AuditFilterQuery): string =>
  `/api/audit/export${query({ ...filter })}`;
