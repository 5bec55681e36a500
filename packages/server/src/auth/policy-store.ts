/**
 * The access policy the release function applies: the grants stored in the database (administered in
 * the dashboard) and the disclosure threshold; or a fixed policy given to the app (tests, the CLI).
 * A new database starts with the two public grants (open data and synthetic data for everyone); the
 * `access-initialised` setting makes sure that an administrator who removes them is not overruled.
 */
import { OPEN_DATA_POLICY, type ReleasePolicy } from "@wijkradar/core";
import type { Database } from "../store/database.js";
import { insertGrants, listGrants, type GrantRow } from "../store/identity-repository.js";

export class PolicyStore {
  private policy: ReleasePolicy;
  private rows: GrantRow[] = [];

  private constructor(
    private readonly db: Database | undefined,
    initial: ReleasePolicy,
  ) {
    this.policy = initial;
  }

  /** A fixed policy: nothing is read from or written to the database. */
  static fixed(policy: ReleasePolicy): PolicyStore {
    return new PolicyStore(undefined, policy);
  }

  /** The grants of the database (seeded with the public grants on first use). */
  static async fromDatabase(db: Database, minCount = OPEN_DATA_POLICY.minCount): Promise<PolicyStore> {
    const store = new PolicyStore(db, { grants: [], minCount });
    if (!db.readOnly) await seedPublicGrants(db);
    await store.reload();
    return store;
  }

  get editable(): boolean {
    return this.db !== undefined;
  }

  current(): ReleasePolicy {
    return this.policy;
  }

  /** The stored grants with who made them (the fixed policy's grants when there is no database). */
  grants(): readonly GrantRow[] {
    if (!this.db)
      return this.policy.grants.map((g) => ({ ...g, note: null, createdAt: "", createdBy: "configuration" }));
    return this.rows;
  }

  async reload(): Promise<void> {
    if (!this.db) return;
    this.rows = await listGrants(this.db);
    this.policy = { grants: this.rows, minCount: this.policy.minCount };
  }
}

async function seedPublicGrants(db: Database): Promise<void> {
  const done = await db.read((ex) =>
    ex.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM settings WHERE key = 'access-initialised'"),
  );
  if ((done[0]?.n ?? 0) > 0) return;
  const existing = await listGrants(db);
  const missing = OPEN_DATA_POLICY.grants.filter((g) => !existing.some((e) => e.id === g.id));
  await insertGrants(
    db,
    missing.map((g) => ({ ...g, note: "open data for everyone, also visitors who are not logged in" })),
    "wijkradar",
  );
  await db.transaction((ex) =>
    ex.run("INSERT INTO settings VALUES ('access-initialised', 'public grants', now()::TIMESTAMP)"),
  );
}
