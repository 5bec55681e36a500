import { join } from "node:path";
import { OPEN_DATA_POLICY } from "@wijkradar/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Releaser, type RequestContext } from "../src/release/release-service.js";
import { AuditLog } from "../src/store/audit-repository.js";
import type { IndicatorRow } from "../src/store/catalogue-repository.js";
import { Database } from "../src/store/database.js";
import type { CubeValue } from "../src/store/value-repository.js";
import { tempDir } from "./fixtures.js";

const indicator = (open: boolean): IndicatorRow => ({
  id: "n",
  sourceId: "s",
  name: { nl: "N", en: "N" },
  definition: null,
  unit: "aantal",
  domain: "population",
  polarity: "neutral",
  kind: "count",
  decimals: 0,
  periods: ["2024"],
  levels: ["gemeente"],
  periodsByLevel: { gemeente: ["2024"] },
  source: {
    id: "s",
    name: "S",
    publisher: "P",
    attribution: "Bron: S",
    licence: "CC BY 4.0",
    url: null,
    personal: null,
    open,
  },
});
const value = (code: string, v: number): CubeValue => ({
  indicatorId: "n",
  code,
  name: code,
  nameDivision: 2024,
  level: "gemeente",
  division: 2024,
  period: "2024",
  value: v,
  numerator: null,
  denominator: null,
  derived: false,
  parent: null,
  national: null,
});
const ctx: RequestContext = {
  actor: { id: "anonymous", roles: ["public"], purpose: "open-data" },
  origin: "test",
};

describe("the release function's cached views", () => {
  let db: Database;
  let audit: AuditLog;
  beforeEach(async () => {
    db = await Database.open({ path: join(tempDir(), "r.duckdb") });
    audit = new AuditLog(db);
  });
  afterEach(async () => {
    await audit.flush();
    db.close();
  });

  const loader = (open: boolean, counter: { n: number }) => () => {
    counter.n++;
    return Promise.resolve({
      values: [value("GM0034", 7), value("GM0363", 3)],
      indicators: new Map([["n", indicator(open)]]),
    });
  };
  const shape = (r: { values: readonly { code: string; value: number | null }[] }) =>
    r.values.map((v) => [v.code, v.value]);

  it("loads once per key and data version, and audits every request", async () => {
    const releaser = new Releaser(OPEN_DATA_POLICY, audit);
    const count = { n: 0 };
    const a = await releaser.releaseView(ctx, "t", "o1", loader(true, count), shape);
    const b = await releaser.releaseView(ctx, "t", "o1", loader(true, count), shape);
    expect(count.n).toBe(1);
    expect(b.etag).toBe(a.etag);
    expect(JSON.parse(a.body.toString())).toEqual([
      ["GM0034", 7],
      ["GM0363", 3],
    ]);
    releaser.invalidate();
    await releaser.releaseView(ctx, "t", "o1", loader(true, count), shape);
    expect(count.n).toBe(2);
    expect(await audit.count()).toBe(3);
  });

  it("evicts the oldest views beyond its byte budget", async () => {
    const releaser = new Releaser(OPEN_DATA_POLICY, audit, 1);
    const count = { n: 0 };
    await releaser.releaseView(ctx, "t", "o1", loader(true, count), shape);
    await releaser.releaseView(ctx, "t", "o2", loader(true, count), shape);
    await releaser.releaseView(ctx, "t", "o1", loader(true, count), shape);
    expect(count.n).toBe(3);
  });

  it("releases nothing of a source the policy does not grant, and says so", async () => {
    const releaser = new Releaser(OPEN_DATA_POLICY, audit);
    const view = await releaser.releaseView(ctx, "t", "closed", loader(false, { n: 0 }), shape);
    expect(JSON.parse(view.body.toString())).toEqual([]);
    expect(view.summary).toMatchObject({ released: 0, denied: 2 });
    expect(view.body.toString()).not.toContain("7");
  });
});
