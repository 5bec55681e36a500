import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { Database } from "../src/store/database.js";
import { demoDbCopy, listenOnLoopback } from "./fixtures.js";

interface ValuesBody {
  indicator: { id: string; periods: string[] };
  source: { attribution: string; licence: string };
  period: string;
  level: string;
  division: number;
  references: { national: { value: number } | null; parents: Record<string, { value: number }> };
  released: number;
  values: {
    code: string;
    name?: string;
    nameDivision?: number;
    value?: number;
    status: string;
    parent?: string;
  }[];
}

describe("API on the demo database", () => {
  let db: Database;
  let app: App;
  let base: string;
  const get = async (path: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { headers });
  const json = async <T>(path: string): Promise<T> => {
    const res = await get(path);
    expect(res.status, `${path}: ${res.status}`).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    db = await Database.open({ path: demoDbCopy() });
    app = await buildApp({ db, logLevel: "silent" });
    base = await listenOnLoopback(app);
  });
  afterAll(async () => {
    await app.close();
    db.close();
  });

  it("answers health with the number of deliveries", async () => {
    const body = await json<{ status: string; database: { deliveries: number; schemaVersion: number } }>(
      "/api/health",
    );
    expect(body.status).toBe("ok");
    expect(body.database.deliveries).toBe(26);
  });

  describe("areas", () => {
    it("lists the wijken of Almere in the newest division", async () => {
      const body = await json<{
        areas: { code: string; level: string; division: number; parentCode: string }[];
      }>("/api/areas?level=wijk&parent=GM0034");
      expect(body.areas.length).toBeGreaterThan(5);
      for (const a of body.areas) {
        expect(a.code.startsWith("WK0034")).toBe(true);
        expect(a.level).toBe("wijk");
        expect(a.parentCode).toBe("GM0034");
      }
      expect(new Set(body.areas.map((a) => a.division))).toEqual(new Set([2024]));
    });

    it("finds areas by name and by code, coarse and exact first", async () => {
      const byName = await json<{ areas: { code: string; name: string }[] }>("/api/areas?q=almere");
      expect(byName.areas[0]).toMatchObject({ code: "GM0034", name: "Almere" });
      const byCode = await json<{ areas: { code: string }[] }>("/api/areas?q=BU003401");
      expect(byCode.areas.length).toBeGreaterThan(0);
      expect(byCode.areas.every((a) => a.code.startsWith("BU003401"))).toBe(true);
    });

    it("accepts codes and periods as CBS writes them (case, spaces, 2020JJ00) and rejects impossible ones", async () => {
      expect((await json<{ code: string }>("/api/areas/gm0034")).code).toBe("GM0034");
      const cbs = await json<ValuesBody>(
        "/api/indicators/eenzaam_65plus/values?level=gemeente&period=2020JJ00",
      );
      expect(cbs.period).toBe("2020");
      const month13 = await get("/api/indicators/eenzaam_65plus/values?period=2020-13");
      expect(month13.status).toBe(400);
      expect(((await month13.json()) as { parameter: string }).parameter).toBe("period");
    });

    it("gives one area with its divisions and parent", async () => {
      const a = await json<{ code: string; divisions: number[]; parent: { code: string } }>(
        "/api/areas/BU00340101",
      );
      expect(a.divisions).toEqual([2014, 2020]);
      expect(a.parent.code).toBe("WK003401");
    });

    it("answers 404 problem+json for an unknown area and 400 naming a malformed code", async () => {
      const missing = await get("/api/areas/GM0001");
      expect(missing.status).toBe(404);
      expect(missing.headers.get("content-type")).toContain("application/problem+json");
      expect(((await missing.json()) as { detail: string }).detail).toContain("GM0001");
      const bad = await get("/api/areas/XX12");
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { parameter: string }).parameter).toBe("code");
      const unknownParam = await get("/api/areas?levle=wijk");
      expect(unknownParam.status).toBe(400);
      expect(((await unknownParam.json()) as { detail: string }).detail).toContain("levle");
    });
  });

  describe("indicators and values", () => {
    it("lists the catalogue with source attribution and periods", async () => {
      const body = await json<{
        indicators: {
          id: string;
          domain: string;
          polarity: string;
          source: { attribution: string };
          periods: string[];
        }[];
      }>("/api/indicators");
      const eenzaam = body.indicators.find((i) => i.id === "eenzaam_65plus");
      expect(eenzaam).toMatchObject({
        domain: "health",
        polarity: "higher-is-worse",
        periods: ["2012", "2016", "2020"],
      });
      expect(eenzaam!.source.attribution).toContain("RIVM");
      expect(body.indicators.find((i) => i.id === "misdrijven_per_1000")?.source.attribution).toContain(
        "Politie",
      );
    });

    it("lists per level the periods that have values (wijken may have fewer years than gemeenten)", async () => {
      const body = await json<{
        indicators: {
          id: string;
          periods: string[];
          levels: string[];
          periodsByLevel: Record<string, string[]>;
        }[];
      }>("/api/indicators");
      const density = body.indicators.find((i) => i.id === "bevolkingsdichtheid")!;
      for (const level of density.levels) {
        const periods = density.periodsByLevel[level]!;
        expect(periods.length, level).toBeGreaterThan(0);
        for (const p of periods) expect(density.periods).toContain(p);
        // Every listed period has values at that level; the others answer 404.
        const listed = await get(
          `/api/indicators/bevolkingsdichtheid/values?level=${level}&period=${periods.at(-1)}`,
        );
        expect(listed.status).toBe(200);
        const missing = density.periods.find((p) => !periods.includes(p));
        if (missing) {
          const res = await get(
            `/api/indicators/bevolkingsdichtheid/values?level=${level}&period=${missing}`,
          );
          expect(res.status, `${level} ${missing}`).toBe(404);
        }
      }
      expect(density.periodsByLevel.wijk!.length).toBeLessThan(density.periodsByLevel.gemeente!.length);
    });

    it("sends the catalogue gzipped, with an ETag, and 304 for a current copy", async () => {
      const plain = await get("/api/indicators", { "accept-encoding": "identity" });
      const text = await plain.text();
      const etag = plain.headers.get("etag")!;
      expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      const zipped = await get("/api/indicators", { "accept-encoding": "gzip" });
      expect(zipped.headers.get("content-encoding")).toBe("gzip");
      expect(await zipped.text()).toBe(text); // fetch decompresses
      const again = await get("/api/indicators", { "accept-encoding": "identity", "if-none-match": etag });
      expect(again.status).toBe(304);
    });

    it("gives values for all buurten of a gemeente with parent and national references", async () => {
      const body = await json<ValuesBody>(
        "/api/indicators/eenzaam_65plus/values?level=buurt&parent=GM0034&period=2020",
      );
      expect(body).toMatchObject({ period: "2020", level: "buurt", division: 2020 });
      expect(body.source.attribution).toContain("RIVM");
      // RIVM publishes no estimate for some small buurten: 49 of Almere's 67 have one.
      expect(body.values.length).toBe(49);
      expect(body.values.every((v) => v.code.startsWith("BU0034") && typeof v.value === "number")).toBe(true);
      const haven = body.values.find((v) => v.code === "BU00340101")!;
      expect(haven).toMatchObject({ status: "released", parent: "WK003401", name: "Centrum Almere-Haven" });
      expect(body.references.parents.WK003401!.value).toEqual(expect.any(Number));
      expect(body.references.national!.value).toEqual(expect.any(Number));
    });

    it("says where a borrowed name comes from: the division with the most alike codes (2014 for Almere's 2020 wijken, not the nearer 2024 that reuses the codes)", async () => {
      const body = await json<ValuesBody>(
        "/api/indicators/eenzaam_65plus/values?level=wijk&parent=GM0034&period=2020",
      );
      const wijk = body.values.find((v) => v.code === "WK003402")!;
      expect(wijk.nameDivision).toBe(2014);
      expect(wijk.name).toMatch(/Almere.Stad/);
      const gemeente = await json<ValuesBody>("/api/indicators/misdrijven/values?level=gemeente&period=2024");
      expect(gemeente.values.find((v) => v.code === "GM0034")!.nameDivision).toBeUndefined();
    });

    it("lists the buurten under a gemeente but not the gemeente itself", async () => {
      const buurten = await json<{ areas: { code: string }[] }>(
        "/api/areas?level=buurt&parent=GM0034&division=2020",
      );
      expect(buurten.areas).toHaveLength(67);
      const self = await json<{ features: unknown[] }>("/api/geo/gemeente?parent=GM0034");
      expect(self.features).toHaveLength(0);
    });

    it("gives all 13,808 buurten of the 2020 division", async () => {
      const body = await json<ValuesBody>("/api/indicators/eenzaam_18plus/values?level=buurt&period=2020");
      expect(body.values.length).toBeGreaterThan(12000);
      expect(body.values.length).toBeLessThanOrEqual(13808);
      expect(body.released).toBe(body.values.length);
    });

    it("defaults to the newest period and derives the national crime rate from the gemeenten", async () => {
      const body = await json<ValuesBody>("/api/indicators/misdrijven_per_1000/values");
      expect(body).toMatchObject({ period: "2024", level: "gemeente", division: 2024 });
      const national = body.references.national!.value;
      expect(national).toBeGreaterThan(20);
      expect(national).toBeLessThan(100);
    });

    it("answers 404 for an unknown indicator or a period without values, listing what exists", async () => {
      const unknown = await get("/api/indicators/no_such/values");
      expect(unknown.status).toBe(404);
      const noPeriod = await get("/api/indicators/eenzaam_65plus/values?period=2019&level=buurt");
      expect(noPeriod.status).toBe(404);
      expect(((await noPeriod.json()) as { detail: string }).detail).toContain("2020/buurt/division 2020");
      const badPeriod = await get("/api/indicators/eenzaam_65plus/values?period=twenty");
      expect(badPeriod.status).toBe(400);
      expect(((await badPeriod.json()) as { parameter: string }).parameter).toBe("period");
    });

    it("serves gzip to clients that accept it and 304 for a current copy", async () => {
      const path = "/api/indicators/eenzaam_65plus/values?level=wijk&period=2016";
      const plain = await get(path);
      const text = await plain.text();
      const etag = plain.headers.get("etag")!;
      const zipped = await fetch(`${base}${path}`, {
        headers: { "accept-encoding": "gzip" },
        decompress: false,
      } as RequestInit);
      expect(zipped.headers.get("content-encoding")).toBe("gzip");
      const raw = Buffer.from(await zipped.arrayBuffer());
      // fetch may already have decompressed; accept either, but the content must be the same JSON.
      const body = raw[0] === 0x1f ? gunzipSync(raw).toString() : raw.toString();
      expect(body).toBe(text);
      const again = await get(path, { "if-none-match": etag });
      expect(again.status).toBe(304);
    });
  });

  describe("profile", () => {
    it("gives every indicator of a buurt by domain, with source, period, references and series", async () => {
      const body = await json<{
        area: { code: string; name: string };
        domains: Record<
          string,
          {
            indicator: { id: string };
            source: { attribution: string };
            period: string;
            value: number;
            series: { period: string; value: number }[];
          }[]
        >;
      }>("/api/areas/BU00340101/profile");
      expect(body.area).toMatchObject({ code: "BU00340101", name: "Centrum Almere-Haven" });
      expect(Object.keys(body.domains)).toEqual(expect.arrayContaining(["health", "income"]));
      const all = Object.values(body.domains).flat();
      for (const e of all) {
        expect(e.source.attribution).toMatch(/^Bron: /);
        expect(e.period).toMatch(/^\d{4}$/);
      }
      const lonely = all.find((e) => e.indicator.id === "eenzaam_65plus")!;
      expect(lonely.series.map((s) => s.period)).toEqual(["2012", "2016", "2020"]);
      expect(lonely.value).toBe(lonely.series[2]!.value);
    });

    it("gives a gemeente's series across divisions (crime 2012–2024)", async () => {
      const body = await json<{
        domains: Record<
          string,
          { indicator: { id: string }; series: { period: string; division: number }[] }[]
        >;
      }>("/api/areas/GM0034/profile");
      const crime = body.domains.safety!.find((e) => e.indicator.id === "misdrijven")!;
      expect(crime.series.map((s) => s.period)).toEqual([
        "2012",
        "2017",
        "2018",
        "2019",
        "2022",
        "2023",
        "2024",
      ]);
    });
  });

  describe("geo", () => {
    it("serves the wijken of Almere as GeoJSON with names and bounding boxes", async () => {
      const res = await get("/api/geo/wijk?parent=GM0034");
      expect(res.headers.get("content-type")).toContain("application/geo+json");
      const fc = (await res.json()) as {
        type: string;
        features: {
          properties: { code: string; name: string; division: number };
          geometry: { type: string };
          bbox: number[];
        }[];
      };
      expect(fc.type).toBe("FeatureCollection");
      expect(fc.features.length).toBeGreaterThan(5);
      for (const f of fc.features) {
        expect(f.properties.code.startsWith("WK0034")).toBe(true);
        expect(["Polygon", "MultiPolygon"]).toContain(f.geometry.type);
        expect(f.bbox).toHaveLength(4);
      }
    });

    it("joins 2020 data to 2014 buurt polygons and reports the unmatched codes", async () => {
      const fc = await json<{
        wijkradar: {
          division: number;
          match: {
            dataAreas: number;
            matched: number;
            unmatched: { code: string }[];
            geometryOnly: { code: string }[];
          };
        };
        features: { properties: { code: string; inData: boolean } }[];
      }>("/api/geo/buurt?parent=GM0034&dataDivision=2020");
      expect(fc.wijkradar.division).toBe(2014);
      expect(fc.wijkradar.match.dataAreas).toBe(67);
      expect(fc.wijkradar.match.matched).toBe(60);
      expect(fc.wijkradar.match.unmatched).toHaveLength(7);
      expect(fc.features.filter((f) => f.properties.inData)).toHaveLength(60);
      expect(fc.features.filter((f) => !f.properties.inData).length).toBe(
        fc.wijkradar.match.geometryOnly.length,
      );
    });

    it("answers 404 for a level without boundaries in that division", async () => {
      const res = await get("/api/geo/buurt?division=2024");
      expect(res.status).toBe(404);
      expect(((await res.json()) as { detail: string }).detail).toContain("available divisions: 2014");
    });
  });

  describe("documentation and audit", () => {
    it("publishes an OpenAPI 3 document covering the routes, and a local docs page", async () => {
      const doc = await json<{ openapi: string; paths: Record<string, unknown> }>("/api/openapi.json");
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          "/api/health",
          "/api/areas",
          "/api/areas/{code}",
          "/api/areas/{code}/profile",
          "/api/indicators",
          "/api/indicators/{id}/values",
          "/api/geo/{level}",
        ]),
      );
      const page = await get("/api/docs/");
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).not.toMatch(/src="https?:\/\//);
    });

    it("writes one audit record per data request, cached or not", async () => {
      const before = await app.audit.count();
      await get("/api/indicators/eenzaam_65plus/values?level=gemeente&period=2012");
      await get("/api/indicators/eenzaam_65plus/values?level=gemeente&period=2012");
      await get("/api/areas/GM0034/profile");
      expect(await app.audit.count()).toBe(before + 3);
      const rows = await db.read((ex) =>
        ex.all<{ action: string; object: string; actor: string; released: number }>(
          "SELECT action, object, actor, released FROM audit_log ORDER BY occurred_at DESC LIMIT 3",
        ),
      );
      expect(rows.map((r) => r.action).sort()).toEqual([
        "area-profile",
        "indicator-values",
        "indicator-values",
      ]);
      expect(rows.every((r) => r.actor === "anonymous" && r.released > 0)).toBe(true);
    });
  });
});
