/**
 * What each role is for, and the purpose its users work for by default (grants name a purpose; a
 * user's purpose decides which grants cover their requests). Roles give no data by themselves:
 * grants do. Roles do decide the functions: administration (admin), the audit trail (privacy
 * officer), imports, profiles and detection runs (analyst), work on alerts (analyst, field worker,
 * policy advisor, partner).
 */
import type { Role } from "@wijkradar/core";

export interface RoleInfo {
  readonly role: Role;
  readonly purpose: string;
  readonly nl: string;
  readonly en: string;
}

export const ROLE_INFO: Readonly<Record<Role, RoleInfo>> = {
  analyst: {
    role: "analyst",
    purpose: "analyse",
    nl: "Onderzoek en statistiek: importeert bronnen, maakt profielen, start detectieruns",
    en: "Research and statistics: imports sources, defines profiles, starts detection runs",
  },
  "field-worker": {
    role: "field-worker",
    purpose: "wijkaanpak",
    nl: "Wijkprofessional: ziet de eigen wijk, werkt signalen op",
    en: "Field worker: sees their own area, follows up alerts",
  },
  "policy-advisor": {
    role: "policy-advisor",
    purpose: "beleid",
    nl: "Beleidsadviseur: alle domeinen, niet fijner dan buurt",
    en: "Policy advisor: every domain, not finer than buurt",
  },
  partner: {
    role: "partner",
    purpose: "samenwerking",
    nl: "Partnerorganisatie (corporatie, politie, school, zorg): alleen wat de organisatie is toegekend",
    en: "Partner organisation (housing, police, school, care): only what the organisation was granted",
  },
  "privacy-officer": {
    role: "privacy-officer",
    purpose: "toezicht",
    nl: "Privacy officer / FG: doorzoekt en exporteert het auditspoor",
    en: "Privacy officer / DPO: searches and exports the audit trail",
  },
  admin: {
    role: "admin",
    purpose: "beheer",
    nl: "Beheerder: organisaties, gebruikers, rollen, toekenningen en sessies (tweede factor verplicht)",
    en: "Administrator: organisations, users, roles, grants and sessions (second factor required)",
  },
};
