import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { ConfigError } from "../src/errors.js";
import { tempFile } from "./fixtures.js";

describe("configuration", () => {
  it("has the documented defaults", () => {
    const c = loadConfig({ env: {} });
    expect(c.port).toBe(8080);
    expect(c.host).toBe("127.0.0.1");
    expect(c.db.endsWith("data/wijkradar.duckdb")).toBe(true);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("takes environment variables, and flags over them", () => {
    const env = { WIJKRADAR_PORT: "9090", WIJKRADAR_HOST: "0.0.0.0", WIJKRADAR_DB: "/tmp/x.duckdb" };
    expect(loadConfig({ env })).toMatchObject({ port: 9090, host: "0.0.0.0", db: "/tmp/x.duckdb" });
    expect(loadConfig({ env, flags: { port: "7070" } }).port).toBe(7070);
    expect(loadConfig({ env: { WIJKRADAR_DEMO: "0" } }).demo).toBe(false);
    expect(loadConfig({ env: { WIJKRADAR_DEMO: "true" } }).demo).toBe(true);
  });

  it("takes the dashboard's web root from the environment or a file, resolved; none by default", () => {
    expect(loadConfig({ env: {} })).not.toHaveProperty("webRoot");
    expect(loadConfig({ env: { WIJKRADAR_WEB_ROOT: "/srv/wijkradar/web" } }).webRoot).toBe(
      "/srv/wijkradar/web",
    );
    expect(loadConfig({ env: { WIJKRADAR_WEB_ROOT: "build/web" } }).webRoot).toBe(resolve("build/web"));
    const file = tempFile("wijkradar.yaml", "webRoot: /opt/web\n");
    expect(loadConfig({ env: {}, flags: { config: file } }).webRoot).toBe("/opt/web");
    expect(() => loadConfig({ env: { WIJKRADAR_WEB_ROOT: "" } })).toThrow(
      /environment variable WIJKRADAR_WEB_ROOT: "" is invalid: expected a folder path/,
    );
  });

  it("reads a config file, overridden by the environment", () => {
    const file = tempFile("wijkradar.yaml", "port: 8181\nhost: ::1\n");
    expect(loadConfig({ env: {}, flags: { config: file } })).toMatchObject({ port: 8181, host: "::1" });
    expect(loadConfig({ env: { WIJKRADAR_CONFIG: file, WIJKRADAR_PORT: "8282" } }).port).toBe(8282);
  });

  it.each([
    [
      { WIJKRADAR_PORT: "eighty" },
      /WIJKRADAR_PORT: "eighty" is invalid: expected a whole number from 1 to 65535/,
    ],
    [{ WIJKRADAR_PORT: "70000" }, /WIJKRADAR_PORT: "70000" is invalid/],
    [{ WIJKRADAR_PORT: "80.5" }, /WIJKRADAR_PORT/],
    [{ WIJKRADAR_HOST: "not a host!" }, /WIJKRADAR_HOST: "not a host!" is invalid: expected an IP address/],
    [{ WIJKRADAR_DB: "" }, /WIJKRADAR_DB/],
    [{ WIJKRADAR_PROT: "8080" }, /environment variable WIJKRADAR_PROT is not known/],
    [{ WIJKRADAR_DEMO: "maybe" }, /WIJKRADAR_DEMO: "maybe" is invalid: expected true, false, 1 or 0/],
  ])("refuses %o with a message naming it", (env, message) => {
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(message);
  });

  it("reads sessions, login throttling and audit retention from a file, naming a bad key", () => {
    const defaults = loadConfig({ env: {} });
    expect(defaults.auth).toMatchObject({ idleMinutes: 30, absoluteHours: 12, secureCookies: "auto" });
    expect(defaults.auth.throttle).toEqual({ perAccount: 5, perIp: 20, windowSeconds: 900 });
    expect(defaults.audit.retentionDays).toBe(1826);
    const file = tempFile(
      "wijkradar.yaml",
      "auth:\n  idleMinutes: 15\n  secureCookies: true\n  throttle:\n    perAccount: 3\naudit:\n  retentionDays: 0\n",
    );
    const c = loadConfig({ env: {}, flags: { config: file } });
    expect(c.auth).toMatchObject({ idleMinutes: 15, absoluteHours: 12, secureCookies: true });
    expect(c.auth.throttle.perAccount).toBe(3);
    expect(c.audit.retentionDays).toBe(0);
    const bad = tempFile("bad.yaml", "auth:\n  idleMinutes: 0\n");
    expect(() => loadConfig({ env: {}, flags: { config: bad } })).toThrow(/auth\.idleMinutes/);
    const neg = tempFile("neg.yaml", "audit:\n  retentionDays: -5\n");
    expect(() => loadConfig({ env: {}, flags: { config: neg } })).toThrow(/audit\.retentionDays/);
  });

  it("names the flag when a flag is invalid", () => {
    expect(() => loadConfig({ env: {}, flags: { port: "-1" } })).toThrow(/option --port: "-1" is invalid/);
  });

  it("refuses unknown keys and unreadable or malformed config files", () => {
    expect(() => loadConfig({ env: {}, flags: { config: tempFile("c.yaml", "prot: 1\n") } })).toThrow(
      /unknown key\(s\) prot/,
    );
    expect(() => loadConfig({ env: {}, flags: { config: "/nonexistent/wijkradar.yaml" } })).toThrow(
      /config file \/nonexistent\/wijkradar.yaml: cannot read it \(ENOENT\)/,
    );
    expect(() => loadConfig({ env: {}, flags: { config: tempFile("c.yaml", "port: [1,\n") } })).toThrow(
      /not valid YAML/,
    );
    expect(() => loadConfig({ env: {}, flags: { config: tempFile("c.yaml", "- 1\n- 2\n") } })).toThrow(
      /expected an object/,
    );
  });
});
