/**
 * Early warning end to end on a copy of the demo database (the global setup ran the first detection
 * run, as a first start does): alerts over real HTTP through the release function, filters, one alert
 * with its explanation whose figures equal the released indicator values, status changes with the
 * operator token and their history, a second run that keeps statuses and reopens closed alerts, the
 * alert layer, the model description, one audit record per request, and a policy that denies.
 */
import type { ReleasePolicy } from "@wijkradar/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../src/api/app.js";
import { Database } from "../src/store/database.js";
import { demoDbCopy, listenOnLoopback } from "./fixtures.js";

const TOKEN = "alerts-test-operator-token-0123456789";

interface AlertSummary {
  id: number;
  areaCode: string;
  gemeenteCode: string | null;
  level: string;
  division: number;
  domain: string;
  indicatorId: string;
  detector: string;
  period: string;
  effect: number;
  p: number;
  q: number;
  severity: "red" | "yellow";
  score: number;
  status: string;
  observed: number | null;
  expected: number | null;
  attribution: string | null;
}
interface AlertList {
  total: number;
  alerts: AlertSummary[];
}
interface AlertDetail {
  alert: AlertSummary & {
    explanation: {
      indicatorId: string;
      detector: string;
      period: string;
      observed: number | null;
      effect: number;
      p: number;
      q: number;
      severity: string;
      details: Record<string, unknown>;
      attribution: string;
    }[];
    events: { event: string; status: string; reason: string | null; actor: string }[];
    parameters: { fdr: number; space: { permutations: number } };
    statusReason: string | null;
  };
}

let db: Database;
let app: App;
let url: string;

async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${path}`);
  return { status: res.status, body: (await res.json()) as T };
}

async function send(method: string, path: string, body: unknown, token: string | null = TOKEN) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function auditCount(): Promise<number> {
  await app.audit.flush();
  const rows = await db.read((ex) => ex.all<{ n: number }>("SELECT count(*)::INTEGER AS n FROM audit_log"));
  return Number(rows[0]!.n);
}

beforeAll(async () => {
  db = await Database.open({ path: demoDbCopy() });
  app = await buildApp({ db, logLevel: "silent", operatorToken: TOKEN });
  url = await listenOnLoopback(app);
});

afterAll(async () => {
  await app.close();
  db.close();
});

describe("alerts of the first run", () => {
  it("lists ranked alerts: red before yellow, score descending within a severity", async () => {
    const { status, body } = await get<AlertList>("/api/alerts?limit=200");
    expect(status).toBe(200);
    expect(body.total).toBeGreaterThan(100);
    expect(body.alerts).toHaveLength(200);
    const rank = (a: AlertSummary) => (a.severity === "red" ? 0 : 1);
    for (let i = 1; i < body.alerts.length; i++) {
      const [a, b] = [body.alerts[i - 1]!, body.alerts[i]!];
      expect(rank(a) <= rank(b)).toBe(true);
      if (rank(a) === rank(b)) expect(a.score).toBeGreaterThanOrEqual(b.score);
    }
    for (const a of body.alerts) {
      expect(a.q).toBeLessThan(a.severity === "red" ? 0.01 : 0.05);
      expect(a.q).toBeGreaterThanOrEqual(a.p);
      expect(a.effect).toBeGreaterThan(0);
      expect(a.attribution).toMatch(/^Bron: /);
    }
  });

  it("filters by gemeente, severity and level", async () => {
    const { body } = await get<AlertList>("/api/alerts?parent=GM0034&severity=red&level=buurt&limit=1000");
    expect(body.total).toBeGreaterThan(0);
    for (const a of body.alerts) {
      expect(a.gemeenteCode).toBe("GM0034");
      expect(a.severity).toBe("red");
      expect(a.level).toBe("buurt");
      expect(a.areaCode.startsWith("BU0034")).toBe(true);
    }
    const all = await get<AlertList>("/api/alerts?parent=GM0034&limit=1000");
    expect(all.body.total).toBeGreaterThanOrEqual(body.total);
  });

  it("names the bad parameter", async () => {
    const r = await get<{ detail: string }>("/api/alerts?severity=purple");
    expect(r.status).toBe(400);
    expect(r.body.detail).toMatch(/severity/);
    const r2 = await get<{ detail: string }>("/api/alerts/0");
    expect(r2.status).toBe(400);
    const r3 = await get<{ detail: string }>("/api/alerts/99999999");
    expect(r3.status).toBe(404);
    expect(r3.body.detail).toMatch(/alert 99999999 does not exist/);
  });

  it("explains an alert with figures equal to the released indicator values", async () => {
    const list = await get<AlertList>("/api/alerts?parent=GM0034&level=buurt&limit=50");
    const standardised = list.body.alerts.find((a) => a.detector === "status-standardised");
    expect(standardised).toBeDefined();
    const { status, body } = await get<AlertDetail>(`/api/alerts/${standardised!.id}`);
    expect(status).toBe(200);
    const alert = body.alert;
    expect(alert.explanation.length).toBeGreaterThan(0);
    expect(alert.parameters.fdr).toBe(0.05);
    expect(alert.parameters.space.permutations).toBeGreaterThanOrEqual(999);
    expect(alert.events[0]).toMatchObject({ event: "opened", status: "new" });
    const top = alert.explanation[0]!;
    expect(top.indicatorId).toBe(alert.indicatorId);
    const test = alert.explanation.find((t) => t.detector === "status-standardised")!;
    const values = await get<{ values: { code: string; value: number }[] }>(
      `/api/indicators/${test.indicatorId}/values?level=buurt&parent=GM0034&period=${test.period}&division=${alert.division}`,
    );
    const released = values.body.values.find((v) => v.code === alert.areaCode);
    expect(released).toBeDefined();
    expect(test.observed).toBe(released!.value);
    // The reference centre is the median of the other buurten of the gemeente (leave-one-out).
    const others = values.body.values
      .filter((v) => v.code !== alert.areaCode && v.value !== null)
      .map((v) => v.value)
      .sort((a, b) => a - b);
    const mid = others.length >> 1;
    const median = others.length % 2 ? others[mid]! : (others[mid - 1]! + others[mid]!) / 2;
    if (String(test.details.reference).includes("GM0034"))
      expect(test.details.centre).toBeCloseTo(median, 10);
  });

  it("colours the alert layer with the worst severity per area", async () => {
    const map = await get<{ areas: { code: string; severity: string; alerts: number; domains: string[] }[] }>(
      "/api/alerts/map?level=buurt&division=2020&parent=GM0034",
    );
    expect(map.status).toBe(200);
    const list = await get<AlertList>("/api/alerts?parent=GM0034&level=buurt&division=2020&limit=1000");
    const expected = new Map<string, string>();
    for (const a of list.body.alerts)
      expected.set(a.areaCode, expected.get(a.areaCode) === "red" || a.severity === "red" ? "red" : "yellow");
    expect(new Map(map.body.areas.map((a) => [a.code, a.severity]))).toEqual(expected);
  });

  it("describes the model for the algorithm register", async () => {
    const { body } = await get<{
      version: string;
      detectors: { id: string }[];
      settings: { fdr: number };
      indicatorsTested: { id: string }[];
    }>("/api/detection/model");
    expect(body.detectors.map((d) => d.id)).toEqual(
      expect.arrayContaining(["status-funnel", "status-standardised", "space-local-moran", "space-gi-star"]),
    );
    expect(body.settings.fdr).toBe(0.05);
    expect(body.indicatorsTested.some((i) => i.id === "eenzaam_18plus")).toBe(true);
    expect(body.indicatorsTested.some((i) => i.id === "aantal_inwoners")).toBe(false);
  });

  it("writes exactly one audit record per alert request, cached or not", async () => {
    const before = await auditCount();
    await get("/api/alerts?limit=5");
    await get("/api/alerts?limit=5");
    await get("/api/alerts/map?level=wijk");
    expect(await auditCount()).toBe(before + 3);
  });
});

describe("status changes and a second run", () => {
  it("needs the operator token and a reason to close", async () => {
    // Wijk alerts: open indicators only (profiles are tested at buurt and PC6 level).
    const { body } = await get<AlertList>("/api/alerts?level=wijk&limit=2");
    const [a, b] = body.alerts;
    expect((await send("PATCH", `/api/alerts/${a!.id}`, { status: "acknowledged" }, null)).status).toBe(401);
    const noReason = await send("PATCH", `/api/alerts/${a!.id}`, { status: "closed" });
    expect(noReason.status).toBe(422);
    expect(String(noReason.body.detail)).toMatch(/reason/);
    expect((await send("PATCH", `/api/alerts/${a!.id}`, { status: "sleeping" })).status).toBe(422);
    expect((await send("PATCH", `/api/alerts/${a!.id}`, { status: "acknowledged" })).status).toBe(200);
    const closed = await send("PATCH", `/api/alerts/${b!.id}`, {
      status: "closed",
      reason: "known: the RIVM model changed between waves",
    });
    expect(closed.body).toMatchObject({ status: "closed" });
    const detail = await get<AlertDetail>(`/api/alerts/${b!.id}`);
    expect(detail.body.alert.statusReason).toBe("known: the RIVM model changed between waves");
    expect(detail.body.alert.events.at(-1)).toMatchObject({
      event: "status",
      status: "closed",
      actor: "operator",
    });
  });

  it("runs again on request with progress; statuses stay, a closed alert found again reopens", async () => {
    // Wijk alerts: open indicators only (profiles are tested at buurt and PC6 level).
    const { body } = await get<AlertList>("/api/alerts?level=wijk&limit=2");
    const [acknowledged, closed] = body.alerts;
    const before = await get<AlertList>("/api/alerts?limit=1000");
    expect((await send("POST", "/api/detection/runs", {}, null)).status).toBe(401);
    const started = await send("POST", "/api/detection/runs", {});
    expect(started.status).toBe(202);
    const runId = started.body.runId as number;
    let run: { status: string; tests: number | null; alerts: number | null };
    do {
      await new Promise((r) => setTimeout(r, 200));
      run = (await get<typeof run>(`/api/detection/runs/${runId}`)).body;
    } while (run.status === "running");
    expect(run.status).toBe("finished");
    // Same data, same seed: the same alerts with the same figures.
    const after = await get<AlertList>("/api/alerts?limit=1000");
    expect(after.body.total).toBe(before.body.total);
    const byId = new Map(after.body.alerts.map((a) => [a.id, a]));
    for (const a of before.body.alerts.slice(0, 50)) {
      const b = byId.get(a.id)!;
      expect(b.q).toBe(a.q);
      expect(b.effect).toBe(a.effect);
    }
    expect(byId.get(acknowledged!.id)!.status).toBe("acknowledged");
    expect(byId.get(closed!.id)!.status).toBe("new");
    const detail = await get<AlertDetail>(`/api/alerts/${closed!.id}`);
    expect(detail.body.alert.events.at(-1)).toMatchObject({ event: "reopened", status: "new" });
  });
});

describe("the access policy applies to alerts", () => {
  it("denies every alert when no grant covers the indicators, and says why", async () => {
    const policy: ReleasePolicy = { grants: [], minCount: 10 };
    const denyApp = await buildApp({ db, logLevel: "silent", policy });
    try {
      const denyUrl = await listenOnLoopback(denyApp);
      const res = await fetch(`${denyUrl}/api/alerts?limit=5`);
      expect(res.status).toBe(403);
      const body = (await res.json()) as { detail: string };
      expect(body.detail.length).toBeGreaterThan(5);
      const one = (await get<AlertList>("/api/alerts?limit=1")).body.alerts[0]!;
      expect((await fetch(`${denyUrl}/api/alerts/${one.id}`)).status).toBe(403);
    } finally {
      await denyApp.close();
    }
  });
});
