/**
 * Demo accounts: at the first start of a demo installation, one account per role with a random
 * one-time password (and the administrator's TOTP secret), printed once to the console — never a
 * fixed password in the code. Three organisations and grants that show need to know at work on the
 * synthetic Almere: the analyst sees every synthetic figure, the policy advisor down to wijk level,
 * the field worker only Almere-Haven (WK003401), the housing corporation debts and housing down to
 * buurt level (no postcodes); visitors who are not logged in see open data only.
 */
import type { Role } from "@wijkradar/core";
import { ROLE_INFO } from "../auth/roles.js";
import type { AdminService } from "../services/admin-service.js";
import { deleteGrant } from "../store/identity-repository.js";
import type { Database } from "../store/database.js";
import { DEFAULT_FIELD_CATEGORIES } from "../config.js";
import { observationIndicatorIds } from "../services/observation-service.js";

export interface DemoAccount {
  readonly username: string;
  readonly role: Role;
  readonly organisationId: string;
  readonly password: string;
  readonly totpSecret?: string;
  readonly totpUri?: string;
}

const ORGANISATIONS = [
  { id: "gemeente-almere", name: "Gemeente Almere (demo)", kind: "gemeente" },
  { id: "politie-flevoland", name: "Politie Flevoland (demo)", kind: "police" },
  { id: "corporatie-almere", name: "Woningcorporatie Almere (demo)", kind: "housing" },
] as const;

const USERS: readonly { username: string; displayName: string; role: Role; organisationId: string }[] = [
  {
    username: "analist",
    displayName: "Anna Analist (demo)",
    role: "analyst",
    organisationId: "gemeente-almere",
  },
  {
    username: "wijkwerker",
    displayName: "Willem Wijkwerker (demo, Almere-Haven)",
    role: "field-worker",
    organisationId: "gemeente-almere",
  },
  {
    username: "beleid",
    displayName: "Bea Beleid (demo)",
    role: "policy-advisor",
    organisationId: "gemeente-almere",
  },
  {
    username: "corporatie",
    displayName: "Karel Corporatie (demo)",
    role: "partner",
    organisationId: "corporatie-almere",
  },
  {
    username: "privacy",
    displayName: "Pim Privacy (demo)",
    role: "privacy-officer",
    organisationId: "gemeente-almere",
  },
  { username: "beheer", displayName: "Bram Beheer (demo)", role: "admin", organisationId: "gemeente-almere" },
];

/**
 * Creates the demo organisations, accounts and grants when the database has no users yet; returns
 * the accounts with their one-time passwords (empty when there were users already).
 */
export async function createDemoAccounts(
  db: Database,
  admin: AdminService,
  fieldCategories: readonly { readonly id: string }[] = DEFAULT_FIELD_CATEGORIES,
): Promise<DemoAccount[]> {
  if ((await admin.userCount()) > 0) return [];
  const existing = new Set((await admin.organisations()).map((o) => o.id));
  for (const o of ORGANISATIONS) if (!existing.has(o.id)) await admin.createOrganisation(o);
  const accounts: DemoAccount[] = [];
  const ids = new Map<string, string>();
  for (const u of USERS) {
    const created = await admin.createUser(u);
    ids.set(u.username, created.user.id);
    accounts.push({
      username: u.username,
      role: u.role,
      organisationId: u.organisationId,
      password: created.oneTimePassword!,
      ...(created.totp ? { totpSecret: created.totp.secret, totpUri: created.totp.uri } : {}),
    });
  }
  // Visitors: open data only (the synthetic figures need a login in the demo).
  await deleteGrant(db, "public-synthetic-data");
  const by = "wijkradar demo";
  const grants = [
    {
      id: "demo-analyst-synthetic",
      to: { kind: "role", id: "analyst" },
      what: "synthetic-data",
      purpose: ROLE_INFO.analyst.purpose,
      note: "demo: the research department sees every synthetic figure",
    },
    {
      id: "demo-policy-synthetic-wijk",
      to: { kind: "role", id: "policy-advisor" },
      what: "synthetic-data",
      finestLevel: "wijk",
      purpose: ROLE_INFO["policy-advisor"].purpose,
      note: "demo: policy advisors see synthetic figures down to wijk level",
    },
    {
      id: "demo-fieldworker-haven",
      to: { kind: "user", id: ids.get("wijkwerker")! },
      what: "synthetic-data",
      areas: ["WK003401"],
      purpose: ROLE_INFO["field-worker"].purpose,
      note: "demo: the field worker of Almere-Haven sees that wijk only",
    },
    {
      id: "demo-corporatie-wonen-schulden",
      to: { kind: "organisation", id: "corporatie-almere" },
      what: { domains: ["housing", "debts"] },
      areas: ["GM0034"],
      finestLevel: "buurt",
      purpose: ROLE_INFO.partner.purpose,
      note: "demo: the housing corporation sees housing and debts in Almere, no postcodes",
    },
    // Field observations (not open, not synthetic: counted from what people recorded) by indicator,
    // not by domain: a domain grant would also open every other non-open figure of that domain.
    {
      id: "demo-fieldworker-veld",
      to: { kind: "user", id: ids.get("wijkwerker")! },
      what: { indicators: observationIndicatorIds(fieldCategories) },
      areas: ["WK003401"],
      purpose: ROLE_INFO["field-worker"].purpose,
      note: "demo: the field worker sees the observation counts of Almere-Haven",
    },
    {
      id: "demo-analyst-veld",
      to: { kind: "organisation", id: "gemeente-almere" },
      what: { indicators: observationIndicatorIds(fieldCategories) },
      areas: ["GM0034"],
      purpose: ROLE_INFO.analyst.purpose,
      note: "demo: the municipality's analysts see the observation counts of Almere",
    },
  ];
  for (const g of grants) await admin.createGrant(g, by);
  return accounts;
}

/** The console lines that show the demo accounts once. */
export function demoAccountLines(accounts: readonly DemoAccount[]): string[] {
  if (accounts.length === 0) return [];
  const lines = [
    "wijkradar: demo accounts (one per role; these passwords are shown only now — change them after logging in):",
  ];
  for (const a of accounts) {
    lines.push(`  ${a.role.padEnd(16)} ${a.username.padEnd(12)} ${a.password}`);
    if (a.totpSecret)
      lines.push(
        `  ${"".padEnd(16)} ${"".padEnd(12)} second factor (TOTP) secret ${a.totpSecret} — add it to an authenticator app: ${a.totpUri}`,
      );
  }
  return lines;
}
