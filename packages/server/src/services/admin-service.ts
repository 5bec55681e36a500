/**
 * Administration of organisations, users and grants, shared by the API (administrators in the
 * dashboard), the CLI and the demo accounts. Every check names the field; changes that alter what a
 * user may see end their live sessions; grant changes reload the policy and forget released views.
 */
import {
  ancestorsOfCode,
  AREA_LEVELS,
  DOMAINS,
  grantAppliesTo,
  grantProblems,
  isFinerLevel,
  levelOfCode,
  normaliseAreaCode,
  ROLES,
  type AreaLevel,
  type Grant,
} from "@wijkradar/core";
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { AuthService } from "../auth/auth-service.js";
import { hashPassword, passwordProblems, randomPassword } from "../auth/passwords.js";
import type { PolicyStore } from "../auth/policy-store.js";
import { ROLE_INFO } from "../auth/roles.js";
import { newTotpSecret, totpUri } from "../auth/totp.js";
import { InputError, NotFoundError } from "../errors.js";
import { allAreaCodes } from "../store/area-repository.js";
import type { Database } from "../store/database.js";
import {
  countUsers,
  deleteGrant,
  deleteOrganisation,
  getUser,
  getUserByName,
  insertGrants,
  insertOrganisation,
  insertUser,
  listOrganisations,
  listUsers,
  updateOrganisation,
  updateUser,
  type UserRow,
} from "../store/identity-repository.js";
import type { CubeService } from "./cube-service.js";

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

const Slug = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{1,62}$/, { error: "expected 2-63 letters, digits, '.', '_' or '-'" });

export const OrganisationInput = z
  .object({ id: Slug, name: z.string().trim().min(2).max(200), kind: z.enum(ORGANISATION_KINDS) })
  .strict();

export const UserInput = z
  .object({
    username: Slug,
    displayName: z.string().trim().min(1).max(200),
    organisationId: Slug,
    role: z.enum(ROLES),
    purpose: Slug.optional().describe("default: the role's purpose"),
    password: z.string().min(1).max(256).optional().describe("default: a random one-time password"),
  })
  .strict();

export const UserPatch = z
  .object({
    displayName: z.string().trim().min(1).max(200).optional(),
    organisationId: Slug.optional(),
    role: z.enum(ROLES).optional(),
    purpose: Slug.optional(),
    disabled: z.boolean().optional(),
  })
  .strict();

const AreaCode = z
  .string()
  .transform(normaliseAreaCode)
  .refine((c) => levelOfCode(c) !== undefined, {
    error: "expected an area code (GM0034, WK003401, BU00340101, 1314, 1314AB)",
  });

export const GrantInput = z
  .object({
    id: z
      .string()
      .trim()
      .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/i, { error: "expected 1-63 letters, digits, '.', '_' or '-'" }),
    to: z
      .object({ kind: z.enum(["role", "organisation", "user"]), id: z.string().trim().min(1).max(100) })
      .strict(),
    what: z.union([
      z.literal("open-data"),
      z.literal("synthetic-data"),
      z
        .object({
          domains: z.array(z.enum(DOMAINS)).optional(),
          indicators: z.array(z.string().min(1).max(120)).optional(),
          profiles: z.array(z.string().min(1).max(120)).optional(),
        })
        .strict(),
    ]),
    areas: z.array(AreaCode).min(1).max(500).optional(),
    finestLevel: z.enum(AREA_LEVELS).optional(),
    purpose: z.string().trim().min(1).max(63),
    note: z.string().trim().max(500).optional(),
  })
  .strict();

export type GrantInputT = z.infer<typeof GrantInput>;

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `${what}.${i.path.join(".") || "(body)"}: ${i.message}`);
  throw new InputError(lines.join("; "), lines);
}

/** A user as the administration shows it: never a hash or a secret. */
export function publicUser(u: UserRow) {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    organisationId: u.organisationId,
    role: u.role,
    purpose: u.purpose,
    disabled: u.disabled,
    secondFactor: u.totpSecret !== null,
    oidcLinked: u.oidcSubject !== null,
    createdAt: u.createdAt,
    lastLoginAt: u.lastLoginAt,
  };
}

export interface CreatedUser {
  readonly user: ReturnType<typeof publicUser>;
  /** Shown once: the random password when none was given. */
  readonly oneTimePassword?: string;
  /** Shown once: the TOTP secret of an administrator (required) as base32 and otpauth URI. */
  readonly totp?: { secret: string; uri: string };
}

export class AdminService {
  constructor(
    private readonly db: Database,
    private readonly policy: PolicyStore,
    private readonly auth: AuthService | undefined,
    private readonly cube: CubeService | undefined,
    /** Called after grants change (the app forgets released views). */
    private readonly onPolicyChange: () => void = () => undefined,
  ) {}

  organisations = () => listOrganisations(this.db);
  users = async () => (await listUsers(this.db)).map(publicUser);
  userCount = () => countUsers(this.db);

  async createOrganisation(input: unknown): Promise<void> {
    const org = parse(OrganisationInput, input, "organisation");
    if ((await listOrganisations(this.db)).some((o) => o.id === org.id))
      throw new InputError(`organisation.id: ${org.id} exists already`, [
        `organisation.id: ${org.id} exists already`,
      ]);
    await insertOrganisation(this.db, org);
  }

  async updateOrganisation(id: string, input: unknown): Promise<void> {
    const change = parse(OrganisationInput.omit({ id: true }).partial(), input, "organisation");
    if (!(await listOrganisations(this.db)).some((o) => o.id === id))
      throw new NotFoundError(`organisation ${id} does not exist`);
    await updateOrganisation(this.db, id, change);
  }

  async deleteOrganisation(id: string): Promise<void> {
    if (!(await listOrganisations(this.db)).some((o) => o.id === id))
      throw new NotFoundError(`organisation ${id} does not exist`);
    const members = (await listUsers(this.db)).filter((u) => u.organisationId === id);
    if (members.length > 0)
      throw new InputError(
        `organisation ${id} still has ${members.length} user(s) (${members.map((u) => u.username).join(", ")}); move or remove them first`,
      );
    await deleteOrganisation(this.db, id);
  }

  async createUser(input: unknown): Promise<CreatedUser> {
    const u = parse(UserInput, input, "user");
    if (await getUserByName(this.db, u.username))
      throw new InputError(`user.username: ${u.username} exists already`, [
        `user.username: ${u.username} exists already`,
      ]);
    if (!(await listOrganisations(this.db)).some((o) => o.id === u.organisationId))
      throw new InputError(`user.organisationId: organisation ${u.organisationId} does not exist`, [
        `user.organisationId: organisation ${u.organisationId} does not exist`,
      ]);
    const oneTime = u.password === undefined ? randomPassword() : undefined;
    const password = u.password ?? oneTime!;
    const problems = passwordProblems(password, { username: u.username });
    if (problems.length > 0) throw new InputError(problems.map((p) => `user.${p}`).join("; "), problems);
    const totpSecret = u.role === "admin" ? newTotpSecret() : null;
    const id = `u-${randomBytes(6).toString("hex")}`;
    await insertUser(this.db, {
      id,
      username: u.username,
      displayName: u.displayName,
      organisationId: u.organisationId,
      role: u.role,
      purpose: u.purpose ?? ROLE_INFO[u.role].purpose,
      passwordHash: await hashPassword(password),
      totpSecret,
    });
    const user = (await getUser(this.db, id))!;
    return {
      user: publicUser(user),
      ...(oneTime ? { oneTimePassword: oneTime } : {}),
      ...(totpSecret ? { totp: { secret: totpSecret, uri: totpUri(totpSecret, user.username) } } : {}),
    };
  }

  private async user(id: string): Promise<UserRow> {
    const user = (await getUser(this.db, id)) ?? (await getUserByName(this.db, id));
    if (!user) throw new NotFoundError(`user ${id} does not exist`);
    return user;
  }

  /** Changes a user; a change of what they may see (role, organisation, purpose, disabled) ends their sessions. */
  async updateUser(
    id: string,
    input: unknown,
  ): Promise<{ user: ReturnType<typeof publicUser>; sessionsEnded: number }> {
    const user = await this.user(id);
    const c = parse(UserPatch, input, "user");
    if (c.organisationId && !(await listOrganisations(this.db)).some((o) => o.id === c.organisationId))
      throw new InputError(`user.organisationId: organisation ${c.organisationId} does not exist`);
    if (c.role === "admin" && !user.totpSecret)
      throw new InputError(
        "user.role: an administrator needs a second factor; enrol TOTP first (POST …/totp)",
      );
    await updateUser(this.db, user.id, c);
    let sessionsEnded = 0;
    const access = c.role !== undefined || c.organisationId !== undefined || c.purpose !== undefined;
    if (c.disabled === true)
      sessionsEnded = (await this.auth?.endUserSessions(user.id, "the account was disabled")) ?? 0;
    else if (access)
      sessionsEnded =
        (await this.auth?.endUserSessions(user.id, "role, organisation or purpose changed")) ?? 0;
    else this.auth?.forgetUser(user.id);
    return { user: publicUser((await getUser(this.db, user.id))!), sessionsEnded };
  }

  /** A new random one-time password; ends the user's sessions. */
  async resetPassword(id: string): Promise<{ oneTimePassword: string }> {
    const user = await this.user(id);
    const oneTimePassword = randomPassword();
    await updateUser(this.db, user.id, { passwordHash: await hashPassword(oneTimePassword) });
    await this.auth?.endUserSessions(user.id, "password reset by an administrator");
    return { oneTimePassword };
  }

  /** A new TOTP secret (shown once); ends the user's sessions. */
  async enrolTotp(id: string): Promise<{ secret: string; uri: string }> {
    const user = await this.user(id);
    const secret = newTotpSecret();
    await updateUser(this.db, user.id, { totpSecret: secret });
    await this.auth?.endUserSessions(user.id, "second factor renewed");
    return { secret, uri: totpUri(secret, user.username) };
  }

  async removeTotp(id: string): Promise<void> {
    const user = await this.user(id);
    if (user.role === "admin") throw new InputError("an administrator must keep a second factor");
    await updateUser(this.db, user.id, { totpSecret: null });
  }

  grants = () => this.policy.grants();

  private checkGrant(input: unknown): GrantInputT {
    const g = parse(GrantInput, input, "grant");
    const problems = grantProblems(g);
    if (problems.length > 0) throw new InputError(problems.map((p) => `grant.${p}`).join("; "), problems);
    if (g.to.kind === "role" && g.to.id !== "public" && !(ROLES as readonly string[]).includes(g.to.id))
      throw new InputError(`grant.to.id: expected a role (public, ${ROLES.join(", ")}), got ${g.to.id}`);
    return g;
  }

  async createGrant(input: unknown, by: string): Promise<Grant> {
    if (!this.policy.editable) throw new InputError("this server's policy is fixed by its configuration");
    const g = this.checkGrant(input);
    if (this.policy.grants().some((x) => x.id === g.id))
      throw new InputError(`grant.id: ${g.id} exists already`, [`grant.id: ${g.id} exists already`]);
    if (g.to.kind === "organisation" && !(await listOrganisations(this.db)).some((o) => o.id === g.to.id))
      throw new InputError(`grant.to.id: organisation ${g.to.id} does not exist`);
    if (g.to.kind === "user" && !(await getUser(this.db, g.to.id)))
      throw new InputError(`grant.to.id: user ${g.to.id} does not exist (give the user's id)`);
    await insertGrants(this.db, [g], by);
    await this.policy.reload();
    this.onPolicyChange();
    return g;
  }

  async deleteGrant(id: string): Promise<void> {
    if (!this.policy.editable) throw new InputError("this server's policy is fixed by its configuration");
    if (!(await deleteGrant(this.db, id))) throw new NotFoundError(`grant ${id} does not exist`);
    await this.policy.reload();
    this.onPolicyChange();
  }

  /**
   * What a grant would expose before it is made: the indicators and profiles it names (by domain),
   * the levels, the areas in its scope per level, and who would receive it.
   */
  async previewGrant(input: unknown) {
    const g = this.checkGrant(input) as Grant;
    const catalogue = this.cube ? await this.cube.catalogueList() : [];
    const covered: { id: string; domain: string; profile: boolean }[] = [];
    for (const info of catalogue) {
      const subject = this.cube ? await this.cube.subjectOf(info.id) : undefined;
      if (!subject) continue;
      let ok: boolean;
      if (g.what === "open-data") ok = subject.sourceOpen;
      else if (g.what === "synthetic-data") ok = subject.synthetic === true;
      else
        ok =
          (g.what.domains?.includes(subject.domain) ?? false) ||
          (g.what.indicators?.includes(subject.indicatorId) ?? false) ||
          (subject.indicatorId.startsWith("profile:") &&
            (g.what.profiles?.includes(subject.indicatorId.slice(8)) ?? false));
      if (ok) covered.push({ id: info.id, domain: subject.domain, profile: info.id.startsWith("profile:") });
    }
    const byDomain: Record<string, number> = {};
    for (const c of covered) byDomain[c.domain] = (byDomain[c.domain] ?? 0) + 1;
    const levels = AREA_LEVELS.filter((l) => !g.finestLevel || !isFinerLevel(l, g.finestLevel));
    const areas: Partial<Record<AreaLevel, number>> = {};
    for (const a of await allAreaCodes(this.db)) {
      if (!levels.includes(a.level)) continue;
      if (g.areas && !g.areas.some((root) => root === a.code || ancestorsOfCode(a.code).includes(root)))
        continue;
      areas[a.level] = (areas[a.level] ?? 0) + 1;
    }
    const recipients = (await listUsers(this.db))
      .filter((u) =>
        grantAppliesTo(g, { id: u.id, roles: [u.role], purpose: u.purpose, organisation: u.organisationId }),
      )
      .map((u) => ({
        id: u.id,
        username: u.username,
        role: u.role,
        organisationId: u.organisationId,
        samePurpose: g.purpose === "*" || g.purpose === u.purpose,
      }));
    const unknownNames =
      typeof g.what === "object"
        ? [
            ...(g.what.indicators ?? []).filter((i) => !catalogue.some((c) => c.id === i)),
            ...(g.what.profiles ?? [])
              .filter((p) => !catalogue.some((c) => c.id === `profile:${p}`))
              .map((p) => `profile:${p}`),
          ]
        : [];
    return {
      grant: g,
      indicators: covered.filter((c) => !c.profile).length,
      profiles: covered.filter((c) => c.profile).map((c) => c.id),
      byDomain,
      sample: covered.slice(0, 12).map((c) => c.id),
      levels,
      areas: g.areas ? areas : "everywhere",
      areasByLevel: areas,
      recipients,
      warnings: [
        ...unknownNames.map((n) => `${n} is not in the catalogue (yet)`),
        ...(g.to.kind === "role" && g.to.id === "public" && typeof g.what === "object"
          ? ["this grant gives data that is not open to every visitor, also those who are not logged in"]
          : []),
        ...(recipients.length > 0 && recipients.every((r) => !r.samePurpose)
          ? [`none of its recipients works for purpose "${g.purpose}": it covers none of their requests`]
          : []),
      ],
    };
  }
}
