/**
 * T-SY-2 and the issue's scan: a full run over every GET route of the API (taken from the OpenAPI
 * document, with real parameters: every level, every indicator kind, every profile at every level)
 * and the CLI exports, on the demo database with its synthetic microdata. No response may hold a
 * pseudonym (the vault's BIGINTs), anything that passes the BSN 11-test, an e-mail address, a phone
 * number, or a field that names a record; the audit trail holds none either.
 */
import { isValidBsn, looksLikeEmail, looksLikePhoneNumber } from "@wijkradar/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { main } from "../src/cli/main.js";
import { Database } from "../src/store/database.js";
import { demoDbCopy } from "./fixtures.js";

let app: App;
let db: Database;
let path: string;
const bodies = new Map<string, string>();
let pseudonyms: Set<string>;

async function get(url: string): Promise<void> {
  const res = await app.server.inject({ method: "GET", url });
  bodies.set(url, res.body);
}

beforeAll(async () => {
  path = demoDbCopy();
  db = await Database.open({ path });
  const sample = await db.read((ex) =>
    ex.all<{ v: string }>(`
      (SELECT CAST(person AS VARCHAR) AS v FROM vault_persons USING SAMPLE 1500 ROWS)
      UNION ALL (SELECT CAST(household AS VARCHAR) FROM vault_persons WHERE household IS NOT NULL USING SAMPLE 1500 ROWS)
      UNION ALL (SELECT CAST(address AS VARCHAR) FROM vault_persons WHERE address IS NOT NULL USING SAMPLE 1500 ROWS)
      UNION ALL (SELECT CAST(subject AS VARCHAR) FROM vault_facts WHERE subject IS NOT NULL USING SAMPLE 1500 ROWS)
      UNION ALL (SELECT CAST(record_key AS VARCHAR) FROM vault_persons WHERE record_key > 100000000 USING SAMPLE 500 ROWS)`),
  );
  pseudonyms = new Set(sample.map((r) => r.v));
  app = await buildApp({ db, logLevel: "silent" });

  const doc = JSON.parse((await app.server.inject({ method: "GET", url: "/api/openapi.json" })).body) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const indicators = (
    JSON.parse((await app.server.inject({ method: "GET", url: "/api/indicators" })).body) as {
      indicators: { id: string; kind: string }[];
    }
  ).indicators;
  const profiles = (
    JSON.parse((await app.server.inject({ method: "GET", url: "/api/profiles" })).body) as {
      profiles: { id: string }[];
    }
  ).profiles.map((p) => p.id);
  const byKind = new Map<string, string>();
  for (const i of indicators) if (!byKind.has(i.kind)) byKind.set(i.kind, i.id);
  const ids = [...byKind.values(), ...profiles.map((p) => `profile:${p}`)];
  const codes = ["NL01", "GM0034", "WK003402", "BU00340201", "1312", "1312AB"];
  // Real alert and run ids (the global setup ran the first detection, profiles included).
  const alertIds = (
    JSON.parse(
      (await app.server.inject({ method: "GET", url: "/api/alerts?parent=GM0034&limit=20" })).body,
    ) as {
      alerts: { id: number }[];
    }
  ).alerts.map((a) => String(a.id));
  const runIds = (
    JSON.parse((await app.server.inject({ method: "GET", url: "/api/detection/runs" })).body) as {
      runs: { id: number }[];
    }
  ).runs.map((r) => String(r.id));
  const levels = ["land", "gemeente", "wijk", "buurt", "pc4", "pc6"];

  const urls = new Set<string>();
  for (const [route, methods] of Object.entries(doc.paths)) {
    if (!("get" in methods)) continue;
    const fill = (p: string) => p.replace(/\{(\w+)\}/g, ":$1");
    const template = fill(route);
    const expansions: string[] = [template];
    const expand = (param: string, values: readonly string[]) => {
      const next: string[] = [];
      for (const e of expansions.splice(0)) {
        if (!e.includes(`:${param}`)) next.push(e);
        else for (const v of values) next.push(e.replace(`:${param}`, encodeURIComponent(v)));
      }
      expansions.push(...next);
    };
    expand("code", codes);
    expand("level", levels);
    expand(
      "id",
      route.startsWith("/api/profiles")
        ? profiles
        : route.startsWith("/api/alerts")
          ? alertIds
          : route.startsWith("/api/detection")
            ? runIds
            : ids,
    );
    for (const e of expansions) {
      urls.add(e);
      if (e.includes("/values")) for (const l of levels) urls.add(`${e}?level=${l}&parent=GM0034`);
    }
  }
  urls.add("/api/areas?q=Almere&limit=50");
  urls.add("/api/alerts?parent=GM0034&limit=1000&active=all");
  urls.add("/api/alerts?indicator=profile:eenzaamheid-65plus&active=all");
  for (const l of levels) urls.add(`/api/alerts/map?level=${l}&parent=GM0034`);
  urls.add("/api/geo/buurt?parent=GM0034&dataDivision=2020");
  for (const url of urls) await get(url);
}, 300_000);

afterAll(async () => {
  await app?.close();
  db?.close();
});

/** Every problem in a response body: a pseudonym, a BSN, an e-mail, a phone number, a record field. */
function findings(body: string): string[] {
  const out: string[] = [];
  // Numbers standing alone (not inside a hash such as a file's sha256, not a decimal fraction).
  for (const m of body.matchAll(/(?<![\w.])-?\d{9,20}(?![\w.])/g)) {
    const digits = m[0].replace("-", "");
    if (pseudonyms.has(m[0])) out.push(`pseudonym ${m[0].slice(0, 4)}…`);
    else if (digits.length === 9 && isValidBsn(digits)) out.push(`BSN-like ${digits.slice(0, 3)}…`);
    else if (digits.length >= 15) out.push(`long number ${digits.slice(0, 4)}… (${digits.length} digits)`);
  }
  for (const token of body.split(/[\s",;<>()[\]{}]+/)) {
    if (token.includes("@") && looksLikeEmail(token)) out.push(`e-mail ${token.slice(0, 3)}…`);
    else if (/^\+?\d[\d -]{8,}$/.test(token) && looksLikePhoneNumber(token)) out.push("phone number");
  }
  // A record field with a value (a profile's condition `household: { type: … }` is not one).
  if (
    /"(person|household|address|pseudonym|record_?key|bsn|adres_id|huishouden_id)"\s*:\s*"?-?\d/i.test(body)
  )
    out.push("a field naming a record or identifier");
  return out;
}

describe("no endpoint, export or log returns a record, a pseudonym or an identifier (T-SY-2)", () => {
  it("scans every GET route of the OpenAPI document with real parameters", () => {
    expect(bodies.size).toBeGreaterThan(100);
    // The scan saw profile figures at every level, released and suppressed ones.
    const profileBodies = [...bodies].filter(([u]) => u.includes("/api/profiles/") && u.includes("values"));
    expect(profileBodies.length).toBeGreaterThanOrEqual(15);
    expect(profileBodies.some(([, b]) => b.includes('"released"'))).toBe(true);
    expect(profileBodies.some(([, b]) => b.includes('"suppressed"'))).toBe(true);
    // …and alerts with their explanations.
    expect([...bodies].some(([u, b]) => /^\/api\/alerts\/\d+$/.test(u) && b.includes('"explanation"'))).toBe(
      true,
    );
    const bad = [...bodies].flatMap(([url, body]) => findings(body).map((f) => `${url}: ${f}`));
    expect(bad).toEqual([]);
  });

  it("finds what it looks for (the scanner itself can fail)", () => {
    const [someone] = pseudonyms;
    expect(findings(`{"x":${someone}}`)).toHaveLength(1);
    expect(findings('{"v":"111222333"}')).toEqual(["BSN-like 111…"]);
    expect(findings('{"person":1}')).toEqual(["a field naming a record or identifier"]);
    expect(findings('{"household":{"type":["alleenstaand"]},"sha":"f78a856913305182187e"}')).toEqual([]);
    expect(findings('{"c":"jan@example.nl"}')).toHaveLength(1);
  });

  it("keeps pseudonyms out of CLI exports and the audit trail", async () => {
    await app.close();
    db.close();
    const out: string[] = [];
    const io = { out: (s: string) => out.push(s), err: (s: string) => out.push(s), env: {} };
    for (const level of ["pc6", "buurt", "wijk"])
      expect(
        await main(
          [
            "node",
            "wijkradar",
            "profile",
            "counts",
            "eenzaamheid-65plus",
            "--level",
            level,
            "--parent",
            "GM0034",
            "--db",
            path,
          ],
          io,
        ),
      ).toBe(0);
    expect(await main(["node", "wijkradar", "vault", "sources", "--db", path], io)).toBe(0);
    expect(await main(["node", "wijkradar", "vault", "status", "--db", path], io)).toBe(0);
    expect(out.join("\n")).toMatch(/eenzaamheid|Risico/);
    expect(findings(out.join("\n"))).toEqual([]);
    db = await Database.open({ path, readOnly: true });
    const audit = await db.read((ex) =>
      ex.all<{ line: string }>("SELECT concat_ws('|', COLUMNS(*)) AS line FROM audit_log"),
    );
    expect(audit.length).toBeGreaterThan(30);
    expect(findings(audit.map((a) => a.line).join("\n"))).toEqual([]);
  });
});
