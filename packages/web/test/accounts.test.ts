import { describe, expect, it } from "vitest";
import { ApiError } from "../src/api/client";
import { EMPTY_GRANT, grantOf, PREVIEW_ID } from "../src/lib/grant-draft";
import { fieldErrors } from "../src/lib/problems";
import { formatState, parseState, safeNext } from "../src/lib/url-state";

describe("the login view's return address", () => {
  it("accepts a path of this site only", () => {
    expect(safeNext("/?v=profile&a=WK003401")).toBe("/?v=profile&a=WK003401");
    expect(safeNext("/")).toBe("/");
    for (const bad of [
      "//evil.example/",
      "https://evil.example/",
      "/\\evil.example",
      "javascript:alert(1)",
      "",
    ])
      expect(safeNext(bad), bad).toBeUndefined();
    expect(safeNext(`/${"a".repeat(2001)}`)).toBeUndefined();
  });

  it("round-trips through the URL", () => {
    const s = parseState("?v=login&next=%2F%3Fv%3Dprofile%26a%3DWK003401", "nl");
    expect(s).toMatchObject({ view: "login", next: "/?v=profile&a=WK003401" });
    expect(parseState(formatState(s).slice(1), "nl")).toEqual(s);
    // Another view does not carry it.
    expect(formatState({ ...s, view: "map" })).toBe("/");
    expect(parseState("?v=login&next=%2F%2Fevil.example", "nl").next).toBeUndefined();
  });
});

describe("the administration and audit views in the URL", () => {
  it("keeps the admin tab, organisations by default", () => {
    expect(parseState("?v=admin&tab=grants", "nl").adminTab).toBe("grants");
    expect(parseState("?v=admin&tab=nonsense", "nl").adminTab).toBe("organisations");
    expect(formatState(parseState("?v=admin&tab=users", "nl"))).toBe("/?v=admin&tab=users");
    expect(formatState(parseState("?v=admin", "nl"))).toBe("/?v=admin");
  });

  it("keeps the audit search and drops what is invalid", () => {
    const s = parseState(
      "?v=audit&au=wijkwerker&ob=WK003402&act=values&res=denied&org=gemeente-almere&from=2026-01-01&to=2026-12-31&apg=3",
      "nl",
    );
    expect(s.audit).toEqual({
      actor: "wijkwerker",
      object: "WK003402",
      action: "values",
      result: "denied",
      organisation: "gemeente-almere",
      from: "2026-01-01",
      to: "2026-12-31",
      page: 3,
    });
    expect(parseState(formatState(s).slice(1), "nl")).toEqual(s);
    const bad = parseState("?v=audit&res=maybe&from=yesterday&apg=-2&au=%20%20", "nl");
    expect(bad.audit).toEqual({ page: 1 });
  });
});

describe("problems next to the fields they name", () => {
  it("maps the server's lines to fields, the longest name first", () => {
    const e = new ApiError(422, "…", [
      "grant.to.id: organisation x does not exist",
      "grant.purpose: Too small",
      "grant.what.domains.0: Invalid option",
      "this server's policy is fixed by its configuration",
    ]);
    const r = fieldErrors(e, ["id", "to", "what", "purpose"]);
    expect(r.byField).toEqual({
      to: "organisation x does not exist",
      purpose: "Too small",
      what: "Invalid option",
    });
    expect(r.rest).toEqual(["this server's policy is fixed by its configuration"]);
  });

  it("splits a detail without errors[] and keeps unknown lines", () => {
    const r = fieldErrors(new ApiError(422, "current: the current password is wrong"), [
      "current",
      "password",
    ]);
    expect(r.byField).toEqual({ current: "the current password is wrong" });
    const other = fieldErrors(new ApiError(422, "organisation x still has 2 user(s)"), ["id", "name"]);
    expect(other.rest).toEqual(["organisation x still has 2 user(s)"]);
    expect(fieldErrors(new Error("network down"), ["id"]).rest).toEqual(["network down"]);
  });
});

describe("the grant a draft describes", () => {
  it("synthetic data, areas parsed, optional fields left out", () => {
    expect(
      grantOf({
        ...EMPTY_GRANT,
        id: " haven ",
        toKind: "user",
        toId: "u-1",
        areas: "wk003401, BU00340101;1314  ",
        purpose: "wijkaanpak",
      }),
    ).toEqual({
      id: "haven",
      to: { kind: "user", id: "u-1" },
      what: "synthetic-data",
      areas: ["WK003401", "BU00340101", "1314"],
      purpose: "wijkaanpak",
    });
  });

  it("a selection names only what was chosen; a preview gets a placeholder id", () => {
    const g = grantOf(
      {
        ...EMPTY_GRANT,
        toKind: "organisation",
        toId: "corporatie-almere",
        mode: "selection",
        domains: ["housing"],
        finestLevel: "buurt",
        purpose: "samenwerking",
        note: "  ",
      },
      true,
    );
    expect(g).toEqual({
      id: PREVIEW_ID,
      to: { kind: "organisation", id: "corporatie-almere" },
      what: { domains: ["housing"] },
      finestLevel: "buurt",
      purpose: "samenwerking",
    });
  });
});
