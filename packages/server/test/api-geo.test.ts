import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { matchDivisions } from "../src/store/area-repository.js";
import { Database } from "../src/store/database.js";
import { demoDbCopy, listenOnLoopback } from "./fixtures.js";

interface GeoBody {
  wijkradar: {
    division: number;
    divisions: number[];
    match?: { dataDivision: number; matched: number; dataAreas: number; geometryOnly: unknown[] };
  };
  features: { properties: { code: string; inData?: boolean } }[];
}

describe("boundaries for the dashboard", () => {
  let db: Database;
  let app: App;
  let base: string;

  beforeAll(async () => {
    db = await Database.open({ path: demoDbCopy() });
    app = await buildApp({ db, logLevel: "silent" });
    base = await listenOnLoopback(app);
  });
  afterAll(async () => {
    await app.close();
    db.close();
  });

  it("picks the boundaries that match the data's division best", async () => {
    // Almere's 2020 wijk codes exist in the 2014 and the 2024 boundaries; 2024 has many more wijken.
    const res = await fetch(`${base}/api/geo/wijk?parent=GM0034&dataDivision=2020`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as GeoBody;
    const scores = await Promise.all(
      body.wijkradar.divisions.map(async (d) => ({
        d,
        m: await matchDivisions(db, "wijk", 2020, d, "GM0034"),
      })),
    );
    const best = Math.max(...scores.map((s) => s.m.matched));
    const chosen = scores.find((s) => s.d === body.wijkradar.division)!;
    expect(chosen.m.matched).toBe(best);
    for (const s of scores.filter((s) => s.m.matched === best))
      expect(chosen.m.geometryOnly.length).toBeLessThanOrEqual(s.m.geometryOnly.length);
    expect(body.wijkradar.match?.geometryOnly.length).toBe(chosen.m.geometryOnly.length);
  });

  it("an explicit division wins over the best match", async () => {
    const body = (await (
      await fetch(`${base}/api/geo/wijk?parent=GM0034&dataDivision=2020&division=2024`)
    ).json()) as GeoBody;
    expect(body.wijkradar.division).toBe(2024);
    expect(body.features.some((f) => f.properties.inData === false)).toBe(true);
  });

  it("sends gzip with a strong ETag and answers 304 to a revalidation", async () => {
    const url = `${base}/api/geo/gemeente`;
    const plain = await fetch(url, { headers: { "accept-encoding": "identity" } });
    const text = await plain.text();
    const zipped = await fetch(url, {
      headers: { "accept-encoding": "gzip" },
      decompress: false,
    } as RequestInit);
    expect(zipped.headers.get("content-encoding")).toBe("gzip");
    const bytes = Buffer.from(await zipped.arrayBuffer());
    // undici may already have decompressed; either way the content is the same GeoJSON.
    const unzipped =
      bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes).toString("utf8") : bytes.toString("utf8");
    expect(unzipped).toBe(text);
    const etag = plain.headers.get("etag");
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(zipped.headers.get("etag")).not.toBe(etag);
    const again = await fetch(url, { headers: { "accept-encoding": "identity", "if-none-match": etag! } });
    expect(again.status).toBe(304);
  });
});
