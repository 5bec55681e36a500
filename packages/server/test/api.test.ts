import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { Database } from "../src/store/database.js";
import { demoDbCopy } from "./fixtures.js";

describe("API on the demo database", () => {
  let db: Database;
  let app: App;
  let base: string;
  beforeAll(async () => {
    db = await Database.open({ path: demoDbCopy() });
    app = await buildApp({ db, logLevel: "silent" });
    await app.server.listen({ port: 0, host: "127.0.0.1" });
    const addr = app.server.server.address();
    base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  });
  afterAll(async () => {
    await app.close();
    db.close();
  });

  it("answers health with the number of deliveries", async () => {
    const res = await fetch(`${base}/api/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; database: { deliveries: number } };
    expect(body.status).toBe("ok");
    expect(body.database.deliveries).toBe(26);
  });

  it("rejects an invalid level with 400 problem+json naming the parameter", async () => {
    const res = await fetch(`${base}/api/indicators/eenzaam_65plus/values?level=banana`);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const body = (await res.json()) as { parameter: string; detail: string };
    expect(body.parameter).toBe("level");
    expect(body.detail).toContain("level");
  });
});
