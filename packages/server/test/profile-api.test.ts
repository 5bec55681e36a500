/**
 * Profiles end to end through the release function: the API, the pseudo-indicator route and the CLI
 * on a generated gemeente of 24 PC6s — definitions (public), create/replace with the operator token,
 * 422 naming fields and foreign-purpose facts, the same cell giving the same number by every path
 * (T-SDC-5), suppressed cells without numbers, real microdata denied to the public, and no pseudonym,
 * record key, BSN or address in any response (T-SY-2).
 */
import { join } from "node:path";
import { findPersonalData } from "@wijkradar/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { main } from "../src/cli/main.js";
import type { ProfileValuesResponse } from "../src/services/profile-service.js";
import { Database } from "../src/store/database.js";
import { demoFile, tempDir, tempFile } from "./fixtures.js";
import {
  insertAreas,
  insertFacts,
  insertLookup,
  insertPersonsBulk,
  registerSources,
  type FactRow,
  type PersonRow,
} from "./profile-fixture.js";

const TOKEN = "profile-test-operator-token-0123456789";
const DATE = "2024-01-01";
const PSEUDO_BASE = 7_100_000_000_000_000_000n;
const KEY_BASE = 3_100_000_000;

const SYNTH = {
  id: "ouderen-minima",
  name: { nl: "Ouderen met een laag inkomen", en: "Older people on a low income" },
  description: { nl: "65+ met een minimaregeling", en: "65+ with a low-income scheme" },
  domain: "income",
  purpose: "demo-synthetisch",
  population: [{ age: { min: 65 } }],
  conditions: [{ age: { min: 65 } }, { fact: "minima" }],
};
const REAL = { ...SYNTH, id: "echt-profiel", purpose: "wijkaanpak" };

let db: Database;
let app: App;
const pseudonyms: string[] = [];
const recordKeys: string[] = [];
const bodies: string[] = [];

/** A small deterministic generator (the test needs no randomness). */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function buildVault(db: Database): Promise<void> {
  await registerSources(db, [
    { id: "synth-brp", keyPurpose: "demo-synthetisch", synthetic: true },
    { id: "synth-minima", keyPurpose: "demo-synthetisch", synthetic: true },
    { id: "brp", keyPurpose: "wijkaanpak", synthetic: false },
    { id: "minima", keyPurpose: "wijkaanpak", synthetic: false },
    { id: "politie", keyPurpose: "veiligheid", synthetic: false },
  ]);
  const areas: Parameters<typeof insertAreas>[1][number][] = [
    { code: "GM0002", level: "gemeente", name: "Proefstad", parent: "NL01", gemeente: "GM0002" },
  ];
  const lookup: { pc6: string; year: number; buurt: string }[] = [];
  const persons: PersonRow[] = [];
  const facts: FactRow[] = [];
  const rand = lcg(42);
  let n = 0;
  for (let w = 1; w <= 3; w++) {
    const wijk = `WK00020${w}`;
    areas.push({ code: wijk, level: "wijk", name: `Wijk ${w}`, parent: "GM0002", gemeente: "GM0002" });
    for (let b = 1; b <= 2; b++) {
      const buurt = `BU00020${w}0${b}`;
      areas.push({ code: buurt, level: "buurt", name: `Buurt ${w}.${b}`, parent: wijk, gemeente: "GM0002" });
      for (let i = 0; i < 4; i++) {
        // PC4 2001 spans wijk 1 and 2 (a postcode crosses buurt borders), 2002 the rest.
        const pc6 = `${w <= 2 ? "2001" : "2002"}${String.fromCharCode(65 + w)}${String.fromCharCode(65 + b * 4 + i)}`;
        lookup.push({ pc6, year: 2024, buurt });
        const residents = 30 + Math.floor(rand() * 70);
        for (let r = 0; r < residents; r++) {
          n++;
          const old = rand() < 0.45;
          const birthYear = old ? 1930 + Math.floor(rand() * 28) : 1960 + Math.floor(rand() * 60);
          for (const purpose of ["synth", "real"] as const) {
            const offset = purpose === "synth" ? 0n : 500_000n;
            const person = PSEUDO_BASE + offset + BigInt(n);
            const household = PSEUDO_BASE + 1_000_000n + offset + BigInt(n);
            const address = PSEUDO_BASE + 2_000_000n + offset + BigInt(n);
            const key = KEY_BASE + n * 7 + (purpose === "synth" ? 0 : 1);
            pseudonyms.push(String(person), String(household), String(address));
            recordKeys.push(String(key));
            persons.push({
              source: purpose === "synth" ? "synth-brp" : "brp",
              person,
              household,
              address,
              recordKey: key,
              pc6,
              birth: `${birthYear}-0${1 + (n % 9)}-1${n % 10}`,
              sex: n % 2 ? "V" : "M",
              size: 1,
              type: "alleenstaand",
              from: "2000-01-01",
              to: null,
            });
            if (rand() < 0.5)
              facts.push({
                source: purpose === "synth" ? "synth-minima" : "minima",
                kind: "person",
                subject: person,
                fact: "minima",
                from: "2020-01-01",
                to: null,
              });
          }
        }
      }
    }
  }
  facts.push({
    source: "politie",
    kind: "person",
    subject: PSEUDO_BASE + 1n,
    fact: "incident",
    from: "2023-01-01",
    to: null,
  });
  await insertAreas(db, areas);
  await insertLookup(db, lookup);
  await insertPersonsBulk(db, persons);
  await insertFacts(db, facts);
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await app.server.inject({ method: "GET", url, headers });
  bodies.push(res.body);
  return res;
}

async function post(body: unknown, token?: string) {
  const res = await app.server.inject({
    method: "POST",
    url: "/api/profiles",
    payload: body as object,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  bodies.push(res.body);
  return res;
}

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["node", "wijkradar", ...args], {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    env: {},
  });
  bodies.push(out.join("\n"), err.join("\n"));
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const values = async (q: string): Promise<ProfileValuesResponse> => {
  const res = await get(`/api/profiles/ouderen-minima/values?${q}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
};

beforeAll(async () => {
  db = await Database.open({ path: join(tempDir(), "profiles.duckdb") });
  await buildVault(db);
  app = await buildApp({ db, logLevel: "silent", operatorToken: TOKEN });
});
afterAll(async () => {
  await app.close();
});

describe("profile definitions over HTTP", () => {
  it("refuses to create a profile without the operator token", async () => {
    expect((await post(SYNTH)).statusCode).toBe(401);
    expect((await post(SYNTH, "wrong-token-wrong-token-wrong-token-00")).statusCode).toBe(401);
    expect((await get("/api/profiles")).json()).toMatchObject({ count: 0 });
  });

  it("answers 422 naming every bad field", async () => {
    const res = await post({ ...SYNTH, conditions: [{ age: { min: -5 } }, { fact: "Minima" }] }, TOKEN);
    expect(res.statusCode).toBe(422);
    const problem = res.json<{ errors: string[] }>();
    expect(problem.errors).toContain(
      "conditions[0].age.min: expected an age in whole years: a whole number 0–130",
    );
    expect(problem.errors.some((e) => e.startsWith("conditions[1].fact: "))).toBe(true);
    const undocumented = await post({ ...SYNTH, description: undefined }, TOKEN);
    expect(undocumented.statusCode).toBe(422);
    expect(undocumented.json<{ errors: string[] }>().errors[0]).toMatch(/^description: /);
  });

  it("refuses facts from sources of another key purpose, naming them", async () => {
    const res = await post({ ...SYNTH, id: "met-politie", conditions: [{ fact: "incident" }] }, TOKEN);
    expect(res.statusCode).toBe(422);
    expect(res.json<{ errors: string[] }>().errors).toEqual([
      "fact incident: source politie has key purpose veiligheid, not demo-synthetisch",
    ]);
  });

  it("creates, replaces and lists documented profiles publicly", async () => {
    expect((await post(SYNTH, TOKEN)).statusCode).toBe(201);
    expect((await post(REAL, TOKEN)).statusCode).toBe(201);
    const replaced = await post(SYNTH, TOKEN);
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({ status: "replaced" });
    const list = (await get("/api/profiles")).json<{ profiles: { id: string; description: unknown }[] }>();
    expect(list.profiles.map((p) => p.id)).toEqual(["echt-profiel", "ouderen-minima"]);
    expect((await get("/api/profiles/ouderen-minima")).json()).toMatchObject({
      description: SYNTH.description,
      conditions: SYNTH.conditions,
      indicatorId: "profile:ouderen-minima",
    });
    expect((await get("/api/profiles/bestaat-niet")).statusCode).toBe(404);
  });

  it("describes the routes in the OpenAPI document", async () => {
    const doc = (await get("/api/openapi.json")).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/api/profiles", "/api/profiles/{id}", "/api/profiles/{id}/values"]),
    );
  });
});

describe("profile figures through the release function", () => {
  it("releases synthetic profiles to the public with references, rules and attribution", async () => {
    const body = await values(`level=buurt&parent=GM0002&date=${DATE}`);
    expect(body.values).toHaveLength(6);
    expect(body.source.attribution).toBe("Synthetische gegevens (wijkradar)");
    expect(body.rules).toMatchObject({ k: 10, perturbation: { method: "cell-key", maxNoise: 2 } });
    expect(body.referenceDate).toBe(DATE);
    const released = body.values.filter((v) => v.status === "released");
    expect(released.length).toBeGreaterThan(0);
    for (const v of released) {
      expect(v.count).toBeGreaterThanOrEqual(10);
      expect(v.share).toBe(Math.round((1000 * v.count!) / v.population!) / 10);
      expect(v.perturbed).toBe(true);
      expect(v.parent?.code).toMatch(/^WK00020\d$/);
      expect(v.gemeenteReference?.code).toBe("GM0002");
    }
  });

  it("suppressed figures carry no number and say why in public words", async () => {
    let suppressed = 0;
    for (const level of ["gemeente", "wijk", "buurt", "pc4", "pc6"]) {
      const body = await values(`level=${level}&date=${DATE}`);
      for (const v of body.values) {
        if (v.status !== "suppressed") continue;
        suppressed++;
        expect([v.count, v.population, v.share]).toEqual([null, null, null]);
        expect(v).toHaveProperty("reason");
        expect(v).toHaveProperty("reasonText.nl");
      }
      expect(JSON.stringify(body)).not.toMatch(/"perturbation":-?\d|countKey|nearCounts/);
    }
    expect(suppressed).toBeGreaterThan(0); // some PC6s are too small
  });

  it("gives the same cell the same number by every path (T-SDC-5)", async () => {
    const key = (v: { code: string; status: string; count: number | null; population: number | null }) =>
      `${v.code} ${v.status} ${v.count} ${v.population}`;
    const buurtenOfGm = (await values(`level=buurt&parent=GM0002&date=${DATE}`)).values.map(key);
    const buurtenOfWijken = (
      await Promise.all([1, 2, 3].map((w) => values(`level=buurt&parent=WK00020${w}&date=${DATE}`)))
    ).flatMap((b) => b.values.map(key));
    expect(buurtenOfWijken).toEqual(buurtenOfGm);
    // PC6 cells under a buurt, under a PC4 and under the gemeente.
    const pc6OfGm = new Map(
      (await values(`level=pc6&parent=GM0002&date=${DATE}`)).values.map((v) => [v.code, key(v)]),
    );
    for (const v of (await values(`level=pc6&parent=BU00020101&date=${DATE}`)).values)
      expect(key(v)).toBe(pc6OfGm.get(v.code));
    for (const v of (await values(`level=pc6&parent=2001&date=${DATE}`)).values)
      expect(key(v)).toBe(pc6OfGm.get(v.code));
    // The map layer (value at 1 January of the period).
    const layer = await get(
      "/api/indicators/profile:ouderen-minima/values?period=2024&level=buurt&parent=GM0002",
    );
    expect(layer.statusCode, layer.body).toBe(200);
    const asIndicator = layer.json<{
      values: { code: string; status: string; numerator?: number; denominator?: number }[];
    }>();
    expect(
      asIndicator.values.map((v) => `${v.code} ${v.status} ${v.numerator ?? null} ${v.denominator ?? null}`),
    ).toEqual(buurtenOfGm);
    // The CLI: checked below on a closed copy of the same vault (this app holds its file).
  });

  it("lists the profile as a map layer the dashboard can draw", async () => {
    const cat = (await get("/api/indicators")).json<{
      indicators: { id: string; kind: string; periods: string[] }[];
    }>();
    const layer = cat.indicators.find((i) => i.id === "profile:ouderen-minima");
    // Register rows from 2000 on, open-ended: every 1 January up to this year.
    expect(layer?.periods).toContain("2024");
    expect(layer?.periods[0]).toBe("2000");
    expect(layer).toMatchObject({
      kind: "percentage",
      levels: ["gemeente", "wijk", "buurt", "pc4", "pc6"],
    });
    expect((await get("/api/indicators/profile:ouderen-minima")).json()).toMatchObject({
      id: "profile:ouderen-minima",
    });
  });

  it("denies profiles from real microdata to the public, saying why", async () => {
    const res = await get(`/api/profiles/echt-profiel/values?level=buurt&parent=GM0002&date=${DATE}`);
    expect(res.statusCode).toBe(403);
    expect(res.json<{ detail: string }>().detail).toMatch(/profile:echt-profiel.*not open data/);
    expect(
      (await get("/api/indicators/profile:echt-profiel/values?period=2024&level=buurt")).statusCode,
    ).toBe(403);
  });

  it("validates the query", async () => {
    expect((await get("/api/profiles/ouderen-minima/values?date=2024-02-30")).statusCode).toBe(400);
    expect((await get("/api/profiles/ouderen-minima/values?level=land")).statusCode).toBe(400);
    expect((await get("/api/profiles/ouderen-minima/values?parent=XX")).statusCode).toBe(400);
    expect(
      (await get(`/api/profiles/ouderen-minima/values?level=pc4&parent=WK000201&date=${DATE}`)).statusCode,
    ).toBe(404);
  });

  it("writes one audit record per request, cached or not, denied too", async () => {
    const audited = async () => {
      await app.audit.flush();
      const rows = await db.read((ex) =>
        ex.all<{ n: number }>(
          "SELECT count(*)::INTEGER AS n FROM audit_log WHERE action = 'profile-values' AND object LIKE 'profile:%'",
        ),
      );
      return rows[0]!.n;
    };
    const before = await audited();
    await values(`level=wijk&parent=GM0002&date=${DATE}`);
    await values(`level=wijk&parent=GM0002&date=${DATE}`); // the cached view
    await get(`/api/profiles/echt-profiel/values?level=wijk&date=${DATE}`); // denied
    expect(await audited()).toBe(before + 3);
  });
});

describe("the profile CLI", () => {
  let copy: string;
  beforeAll(async () => {
    // The CLI opens the database file itself: a second file with the same (deterministic) vault.
    copy = join(tempDir(), "cli.duckdb");
    const c = await Database.open({ path: copy });
    await buildVault(c);
    c.close();
  });

  it("creates, lists, shows and counts, with the same numbers as the API", async () => {
    // A demo profile file (its purpose wijkaanpak holds a register and the fact minima here).
    const demo = await cli(["profile", "create", demoFile("profiles/eenzaamheid-65plus.yaml"), "--db", copy]);
    expect(demo.out).toBe("eenzaamheid-65plus: created");
    const own = tempFile("eigen.yaml", JSON.stringify(SYNTH));
    const created = await cli(["profile", "create", own, "--db", copy]);
    expect(created.out).toMatch(/^ouderen-minima: (created|replaced)$/);
    expect((await cli(["profile", "list", "--db", copy])).out).toContain("ouderen-minima");
    expect((await cli(["profile", "show", "ouderen-minima", "--db", copy])).out).toContain(
      "conditions: age 65– AND fact minima",
    );
    const counts = await cli([
      "profile",
      "counts",
      "ouderen-minima",
      "--level",
      "buurt",
      "--parent",
      "GM0002",
      "--date",
      DATE,
      "--json",
      "--db",
      copy,
    ]);
    expect(counts.code, counts.err).toBe(0);
    const viaCli = JSON.parse(counts.out) as ProfileValuesResponse;
    const viaApi = await values(`level=buurt&parent=GM0002&date=${DATE}`);
    expect(viaCli.values).toEqual(viaApi.values);
    const csv = await cli([
      "profile",
      "counts",
      "ouderen-minima",
      "--level",
      "wijk",
      "--date",
      DATE,
      "--db",
      copy,
    ]);
    expect(csv.out.split("\n")[0]).toBe(
      "# Synthetische gegevens (wijkradar); profiel ouderen-minima (Ouderen met een laag inkomen); peildatum 2024-01-01; k=10",
    );
    const bad = tempFile("slecht.yaml", "id: x\n");
    const refused = await cli(["profile", "create", bad, "--db", copy]);
    expect(refused.code).toBe(65);
    expect(refused.err).toContain("name: ");
  });
});

describe("no record, pseudonym, record key, BSN or address leaves (T-SY-2)", () => {
  it("scans every response of this file", () => {
    expect(bodies.length).toBeGreaterThan(20);
    const all = bodies.join("\n");
    for (const p of pseudonyms) expect(all.includes(p)).toBe(false);
    for (const k of recordKeys) expect(all.includes(k)).toBe(false);
    const kinds = new Set(findPersonalData(all).map((s) => s.kind));
    expect([...kinds].filter((k) => k === "bsn" || k === "address" || k === "email")).toEqual([]);
  });
});
