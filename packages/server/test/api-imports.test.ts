import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { Database } from "../src/store/database.js";
import { tempDir, listenOnLoopback } from "./fixtures.js";

const MAPPING = `
version: 1
source: { id: test-bron, name: Testbron, publisher: Test, attribution: "Bron: Test", licence: CC BY 4.0, open: true }
format: csv
areas: { code: regio, division: 2024, register: true }
period: { value: 2024 }
indicators:
  - { column: n, id: n_test, name: { nl: N, en: N }, unit: aantal, domain: population, polarity: neutral, kind: count, decimals: 0 }
`;
const TOKEN = "t".repeat(43);

describe("POST /api/imports through the running server", () => {
  let db: Database;
  let app: App;
  let base: string;
  const post = (csv: string, opts: { token?: string; query?: string; mapping?: string } = {}) => {
    const form = new FormData();
    form.append("file", new Blob([csv]), "upload.csv");
    form.append("mapping", new Blob([opts.mapping ?? MAPPING]), "m.yaml");
    return fetch(`${base}/api/imports${opts.query ?? ""}`, {
      method: "POST",
      body: form,
      headers:
        opts.token === undefined ? { authorization: `Bearer ${TOKEN}` } : { authorization: opts.token },
    });
  };
  const values = async () =>
    (
      (await (await fetch(`${base}/api/indicators/n_test/values`)).json()) as {
        values: { code: string; value: number }[];
      }
    ).values;

  beforeAll(async () => {
    db = await Database.open({ path: join(tempDir(), "w.duckdb") });
    app = await buildApp({ db, logLevel: "silent", operatorToken: TOKEN });
    base = await listenOnLoopback(app);
  });
  afterAll(async () => {
    await app.close();
    db.close();
  });

  it("refuses a request without the operator token", async () => {
    const res = await post("regio,n\nGM0034,1\n", { token: "Bearer wrong" });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });

  it("imports, serves the new values at once, and replaces them with a changed file", async () => {
    const first = await post("regio,n\nGM0034,10\nGM0363,20\n");
    expect(first.status).toBe(201);
    expect(((await first.json()) as { status: string }).status).toBe("imported");
    expect((await values()).map((v) => v.value)).toEqual([10, 20]);
    const changed = await post("regio,n\nGM0034,11\nGM0363,21\n");
    expect(changed.status).toBe(201);
    expect((await values()).map((v) => v.value)).toEqual([11, 21]);
  });

  it("answers 422 with the errors by line for bad data, writes nothing and keeps serving", async () => {
    const before = await values();
    const res = await post('regio,n\nGM0034,1\nGM0363,"2\n');
    expect(res.status).toBe(422);
    const body = (await res.json()) as { detail: string };
    expect(body.detail).toContain("upload.csv:3: unbalanced quotes");
    expect(await values()).toEqual(before);
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
  });

  it.each([
    ["regio,n,\nGM0034,1,\n", "upload.csv:1:3: header column 3 has no name"],
    ["regio,n,n\nGM0034,1,2\n", 'upload.csv:1: header names column "n" twice (columns 2 and 3)'],
  ])("answers 422 for a bad header (%j) and keeps serving", async (csv, message) => {
    const res = await post(csv);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { detail: string }).detail).toBe(message);
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
  });

  it("answers 422 naming the field of an incomplete mapping", async () => {
    const res = await post("regio,n\nGM0034,1\n", {
      mapping: MAPPING.replace("areas: { code: regio, division: 2024, register: true }", ""),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { errors: string[] }).errors.join("\n")).toContain("m.yaml: areas:");
  });

  it("runs concurrent imports one after the other, so the second sees the first's catalogue", async () => {
    const other = MAPPING.replace("id: n_test", "id: n_race").replace("kind: count", "kind: index");
    const countFirst = MAPPING.replace("id: n_test", "id: n_race");
    const [a, b] = await Promise.all([
      post("regio,n\nGM0034,1\n", { mapping: countFirst }),
      post("regio,n\nGM0034,2\n", { mapping: other }),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 422]);
    const refused = (await (a.status === 422 ? a : b).json()) as { errors: string[] };
    expect(refused.errors.join("\n")).toContain("indicator n_race: kind is");
  });

  it("validates without writing on dryRun=true", async () => {
    const before = await values();
    const res = await post("regio,n\nGM0034,99\n", { query: "?dryRun=true" });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe("validated");
    expect(await values()).toEqual(before);
  });
});
