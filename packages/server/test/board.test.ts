/**
 * The signal board over real HTTP on a copy of the demo database, with real users, sessions and
 * grants (board-fixture.ts): a signal, a colleague of another organisation responding, an action
 * with owner and due date; need to know (a field worker of another area sees nothing and gets a 403
 * naming the rule; a housing-only partner does not see a safety signal); 401 for visitors; CSRF;
 * one audit record per request, never with the text; bad input named.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boardWorld, dayFromNow, type BoardWorld } from "./board-fixture.js";

let w: BoardWorld;
const HAVEN = "BU00340101"; // in WK003401 (fw01's area)
const STAD = "BU00340201"; // in WK003402 (fw02's area)

beforeAll(async () => {
  w = await boardWorld();
}, 180_000);

afterAll(async () => {
  await w?.close();
});

type Json = Record<string, unknown>;
const signalsOf = (r: { body: Json }) => r.body.signals as Json[];

describe("a signal, a response from another organisation, an agreed action", () => {
  let signalId: number;

  it("posts a signal on the board of a buurt in the field worker's wijk (201, audited without the text)", async () => {
    const text =
      "Sinds twee weken veel jongeren 's avonds bij het winkelcentrum; bewoners voelen zich onveilig.";
    const r = await w.callAudited("POST", `/api/areas/${HAVEN}/signals`, w.sessions.fw01, {
      text,
      domain: "safety",
      tags: ["jongeren", "avond"],
      urgency: "high",
    });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({
      areaCode: HAVEN,
      level: "buurt",
      domain: "safety",
      urgency: "high",
      status: "open",
      text,
    });
    expect(r.body.author).toEqual({ name: "Tester fw01", organisation: "gemeente-almere" });
    expect(r.audit).toEqual({
      action: "board-signal-create",
      object: `board:${HAVEN} signal`,
      result: "released",
    });
    expect(JSON.stringify(r.audit)).not.toContain("jongeren");
    signalId = r.body.id as number;
  });

  it("lets a colleague of the police respond, and shows the response on the board", async () => {
    const r = await w.callAudited("POST", `/api/signals/${signalId}/responses`, w.sessions.politie, {
      text: "Wij rijden deze week extra rondes rond sluitingstijd.",
    });
    expect(r.status, r.text).toBe(201);
    expect(r.audit).toMatchObject({ action: "board-response", object: `signal:${signalId} response` });
    const board = await w.callAudited("GET", `/api/areas/${HAVEN}/signals`, w.sessions.fw01);
    expect(board.status).toBe(200);
    const s = signalsOf(board).find((x) => x.id === signalId)!;
    expect((s.responses as Json[]).map((x) => x.author)).toEqual([
      { name: "Tester politie", organisation: "politie" },
    ]);
    expect(board.audit).toEqual({
      action: "board-signals",
      object: `board:${HAVEN} signals`,
      result: "released",
    });
  });

  it("records an action with an owner organisation and due date, listed by due date, and closes it", async () => {
    const later = await w.call("POST", `/api/areas/${HAVEN}/actions`, w.sessions.fw01, {
      text: "Gesprek met de winkeliersvereniging",
      domain: "safety",
      ownerOrganisation: "gemeente-almere",
      dueDate: dayFromNow(30),
    });
    expect(later.status, later.text).toBe(201);
    const r = await w.callAudited("POST", `/api/areas/${HAVEN}/actions`, w.sessions.fw01, {
      text: "Extra surveillance rond sluitingstijd",
      domain: "safety",
      signalId,
      ownerOrganisation: "politie",
      ownerName: "wijkagent",
      dueDate: dayFromNow(7),
    });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({
      signalId,
      ownerOrganisation: "politie",
      dueDate: dayFromNow(7),
      status: "open",
    });
    const list = await w.call("GET", `/api/areas/${HAVEN}/actions`, w.sessions.politie);
    const actions = list.body.actions as Json[];
    expect(actions.map((a) => a.dueDate)).toEqual([dayFromNow(7), dayFromNow(30)]);
    const done = await w.callAudited("PATCH", `/api/actions/${r.body.id as number}`, w.sessions.politie, {
      status: "done",
    });
    expect(done.status, done.text).toBe(200);
    expect(done.body.status).toBe("done");
    expect(typeof done.body.doneAt).toBe("string");
    expect(done.audit.object).toBe(`action:${r.body.id as number} status:done`);
    const closed = await w.call("PATCH", `/api/signals/${signalId}`, w.sessions.fw01, { status: "closed" });
    expect(closed.body.status).toBe("closed");
    const open = await w.call("GET", `/api/areas/${HAVEN}/signals?status=open`, w.sessions.fw01);
    expect(signalsOf(open).some((s) => s.id === signalId)).toBe(false);
  });
});

describe("need to know on the board", () => {
  let stadSignal: number;
  let housingSignal: number;

  beforeAll(async () => {
    const r = await w.call("POST", `/api/areas/${STAD}/signals`, w.sessions.fw02, {
      text: "Afval naast de containers aan de Kruidenlaan",
      domain: "physical-environment",
      urgency: "normal",
    });
    expect(r.status, r.text).toBe(201);
    stadSignal = r.body.id as number;
    const h = await w.call("POST", `/api/areas/${HAVEN}/signals`, w.sessions.fw01, {
      text: "Achterstallig onderhoud aan de portiekflats",
      domain: "housing",
      urgency: "low",
    });
    expect(h.status, h.text).toBe(201);
    housingSignal = h.body.id as number;
  });

  it("a field worker of another area sees nothing: 403 naming the rule for the board, its actions and its signals", async () => {
    for (const path of [
      `/api/areas/${STAD}/signals`,
      `/api/areas/${STAD}/actions`,
      "/api/areas/WK003402/signals?descendants=true",
    ]) {
      const r = await w.callAudited("GET", path, w.sessions.fw01);
      expect(r.status, path).toBe(403);
      expect(r.body.detail).toContain("no grant reaches");
      expect(r.body.detail).toContain("grant fw01-haven covers only WK003401");
      expect(r.audit.result).toBe("denied");
    }
    const respond = await w.callAudited("POST", `/api/signals/${stadSignal}/responses`, w.sessions.fw01, {
      text: "Gezien",
    });
    expect(respond.status).toBe(403);
    expect(respond.audit).toMatchObject({ action: "board-response", result: "denied" });
    const patch = await w.call("PATCH", `/api/signals/${stadSignal}`, w.sessions.fw01, { status: "closed" });
    expect(patch.status).toBe(403);
    const post = await w.call("POST", `/api/areas/${STAD}/signals`, w.sessions.fw01, {
      text: "Test",
      domain: "safety",
      urgency: "low",
    });
    expect(post.status).toBe(403);
    // And the other way round: fw02 cannot read Almere-Haven's board.
    const back = await w.call("GET", `/api/areas/${HAVEN}/signals`, w.sessions.fw02);
    expect(back.status).toBe(403);
    expect(back.body.detail).toContain("covers only WK003402");
    // fw01's own lists, with descendants, hold nothing of WK003402.
    const own = await w.call("GET", "/api/areas/WK003401/signals?descendants=true", w.sessions.fw01);
    expect(own.status).toBe(200);
    expect(signalsOf(own).length).toBeGreaterThan(0);
    expect(own.text).not.toContain("BU003402");
    expect(own.text).not.toContain("Kruidenlaan");
  });

  it("the analyst of the gemeente sees both wijken's signals under GM0034", async () => {
    const r = await w.call("GET", "/api/areas/GM0034/signals?descendants=true", w.sessions.analist);
    expect(r.status, r.text).toBe(200);
    const areas = new Set(signalsOf(r).map((s) => s.areaCode));
    expect(areas).toEqual(new Set([HAVEN, STAD]));
  });

  it("a partner with a housing-only grant does not see a safety signal, but sees the housing one", async () => {
    const r = await w.callAudited("GET", `/api/areas/${HAVEN}/signals`, w.sessions.corporatie);
    expect(r.status, r.text).toBe(200);
    const ids = signalsOf(r).map((s) => s.id);
    expect(ids).toContain(housingSignal);
    expect(signalsOf(r).every((s) => s.domain === "housing")).toBe(true);
    expect(r.text).not.toContain("winkelcentrum");
    const respond = await w.call("POST", `/api/signals/1/responses`, w.sessions.corporatie, {
      text: "Gezien",
    });
    expect(respond.status).toBe(403);
    expect(respond.body.detail).toMatch(/covers only the domain\(s\) housing .*not safety/);
    // The police (safety, health) do not see the housing signal.
    const police = await w.call("GET", `/api/areas/${HAVEN}/signals`, w.sessions.politie);
    expect(signalsOf(police).map((s) => s.id)).not.toContain(housingSignal);
  });

  it("anonymous visitors get 401, audited as denied", async () => {
    const get = await w.callAudited("GET", `/api/areas/${HAVEN}/signals`);
    expect(get.status).toBe(401);
    expect(get.audit).toMatchObject({ action: "board-signals", result: "denied" });
    const post = await w.call("POST", `/api/areas/${HAVEN}/signals`, undefined, {
      text: "x",
      domain: "safety",
      urgency: "low",
    });
    expect(post.status).toBe(401);
    expect((await w.call("GET", `/api/areas/${HAVEN}/actions`)).status).toBe(401);
  });

  it("needs the CSRF token on POST and PATCH", async () => {
    const s = { cookie: w.sessions.fw01.cookie, csrf: "wrong" };
    const r = await w.call("POST", `/api/areas/${HAVEN}/signals`, s, {
      text: "Zonder token",
      domain: "safety",
      urgency: "low",
    });
    expect(r.status).toBe(403);
    expect(r.body.detail).toContain("CSRF");
    expect((await w.call("PATCH", `/api/signals/${housingSignal}`, s, { status: "closed" })).status).toBe(
      403,
    );
    const board = await w.call("GET", `/api/areas/${HAVEN}/signals`, w.sessions.fw01);
    expect(board.text).not.toContain("Zonder token");
  });
});

describe("bad input is named", () => {
  const post = (body: Json, path = `/api/areas/${HAVEN}/signals`) =>
    w.callAudited("POST", path, w.sessions.fw01, body);

  it("names body fields that fail their schema (400), audited", async () => {
    const cases: [Json, string][] = [
      [{ text: "", domain: "safety", urgency: "low" }, "text"],
      [{ text: "x".repeat(2001), domain: "safety", urgency: "low" }, "text"],
      [{ text: "Iets", domain: "weather", urgency: "low" }, "domain"],
      [{ text: "Iets", domain: "safety", urgency: "urgent" }, "urgency"],
      [
        {
          text: "Iets",
          domain: "safety",
          urgency: "low",
          tags: Array.from({ length: 11 }, (_, i) => `t${i}`),
        },
        "tags",
      ],
      [{ text: "Iets", domain: "safety", urgency: "low", tags: ["x".repeat(41)] }, "tags.0"],
    ];
    for (const [body, field] of cases) {
      const r = await post(body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(r.body.parameter).toBe(field);
      expect(r.body.detail).toContain(`body field ${field}`);
      expect(r.audit.object).toContain("refused:400");
    }
    const badCode = await w.callAudited("GET", "/api/areas/XX123/signals", w.sessions.fw01);
    expect(badCode.status).toBe(400);
    expect(badCode.body.detail).toContain("path parameter code");
  });

  it("refuses personal data in signals and responses, naming the field and the kind, never echoing it", async () => {
    const r = await post({
      text: "Mevrouw Jansen belt vaak, mail jansen@example.nl",
      domain: "health",
      urgency: "normal",
    });
    expect(r.status).toBe(422);
    expect(r.body.detail).toMatch(/^text: looks like it contains personal data \(.*an e-mail address/);
    expect(r.body.detail).toContain("a name after a form of address");
    expect(r.text).not.toContain("jansen@example.nl");
    expect(JSON.stringify(r.audit)).not.toContain("jansen");
    const phone = await post({ text: "Bel 06-12345678", domain: "health", urgency: "normal", tags: ["ok"] });
    expect(phone.body.detail).toContain("a phone number");
    const bsn = await post({ text: "BSN 111222333 gevonden", domain: "health", urgency: "normal" });
    expect(bsn.status).toBe(422);
    expect(bsn.body.detail).toContain("a BSN");
    const resp = await w.call("POST", "/api/signals/1/responses", w.sessions.politie, {
      text: "Contact: 06 12345678",
    });
    expect(resp.status).toBe(422);
    expect(resp.body.detail).toMatch(/^text: .*phone number/);
  });

  it("names the due date in the past, an unknown owner organisation and a signal of another board", async () => {
    const base = { text: "Actie", domain: "safety", ownerOrganisation: "politie", dueDate: dayFromNow(3) };
    const past = await post({ ...base, dueDate: dayFromNow(-1) }, `/api/areas/${HAVEN}/actions`);
    expect(past.status).toBe(422);
    expect(past.body.detail).toMatch(/^dueDate: .* is in the past/);
    const notADay = await post({ ...base, dueDate: "2026-02-30" }, `/api/areas/${HAVEN}/actions`);
    expect(notADay.status).toBe(422);
    expect(notADay.body.detail).toContain("dueDate: expected a date YYYY-MM-DD");
    const org = await post({ ...base, ownerOrganisation: "brandweer" }, `/api/areas/${HAVEN}/actions`);
    expect(org.status).toBe(422);
    expect(org.body.detail).toContain("ownerOrganisation: organisation brandweer does not exist");
    const other = await post({ ...base, signalId: 999_999 }, `/api/areas/${HAVEN}/actions`);
    expect(other.status).toBe(422);
    expect(other.body.detail).toContain("signalId: signal 999999 does not exist");
    const unknownArea = await w.call("GET", "/api/areas/BU00349999/signals", w.sessions.fw01);
    expect(unknownArea.status).toBe(404);
  });
});

describe("the OpenAPI document", () => {
  it("documents every board and intervention route under the tag field", async () => {
    const r = await w.call("GET", "/api/openapi.json");
    expect(r.status).toBe(200);
    const paths = r.body.paths as Record<string, Record<string, { tags?: string[]; requestBody?: unknown }>>;
    const expected: [string, string][] = [
      ["/api/areas/{code}/signals", "get"],
      ["/api/areas/{code}/signals", "post"],
      ["/api/signals/{id}/responses", "post"],
      ["/api/signals/{id}", "patch"],
      ["/api/areas/{code}/actions", "get"],
      ["/api/areas/{code}/actions", "post"],
      ["/api/actions/{id}", "patch"],
      ["/api/interventions", "get"],
      ["/api/interventions", "post"],
      ["/api/interventions/{id}", "get"],
      ["/api/interventions/{id}", "patch"],
      ["/api/interventions/{id}/agreements", "post"],
      ["/api/interventions/{id}/agreements/{aid}", "patch"],
      ["/api/interventions/{id}/effect", "get"],
      ["/api/interventions/library", "get"],
    ];
    for (const [path, method] of expected) {
      expect(paths[path]?.[method]?.tags, `${method} ${path}`).toEqual(["field"]);
      if (method !== "get") expect(paths[path]![method]!.requestBody, `${method} ${path} body`).toBeDefined();
    }
  });
});
