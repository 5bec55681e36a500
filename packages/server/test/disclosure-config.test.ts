/**
 * Disclosure-control settings are configurable (config `disclosure`), only ever stricter per domain
 * and profile, and each released figure shows the rules applied.
 */
import { describe, expect, it } from "vitest";
import { buildApp } from "../src/api/app.js";
import { loadConfig } from "../src/config.js";
import { ConfigError } from "../src/errors.js";
import { Database } from "../src/store/database.js";
import { demoDbCopy, tempFile } from "./fixtures.js";

interface Values {
  rules: { k: number; minPopulation: number; perturbation: { maxNoise: number } };
  values: { status: string; count: number | null }[];
}

async function valuesWith(disclosure: Parameters<typeof buildApp>[0]["disclosure"]): Promise<Values> {
  const db = await Database.open({ path: demoDbCopy() });
  const app = await buildApp({ db, logLevel: "silent", ...(disclosure ? { disclosure } : {}) });
  try {
    const res = await app.server.inject({
      url: "/api/profiles/eenzaamheid-65plus/values?level=buurt&parent=GM0034&date=2026-01-01",
    });
    expect(res.statusCode).toBe(200);
    return res.json<Values>();
  } finally {
    await app.close();
    db.close();
  }
}

describe("disclosure settings", () => {
  it("applies the defaults, a stricter k for the profile's domain, and no noise when asked", async () => {
    const base = await valuesWith(undefined);
    expect(base.rules).toMatchObject({ k: 10, minPopulation: 50, perturbation: { maxNoise: 2 } });
    const strict = await valuesWith({ domains: { health: 40 }, maxNoise: 0 });
    expect(strict.rules).toMatchObject({ k: 40, perturbation: { maxNoise: 0 } });
    const released = (v: Values) => v.values.filter((x) => x.status === "released");
    expect(released(strict).length).toBeLessThan(released(base).length);
    for (const v of released(strict)) expect(v.count).toBeGreaterThanOrEqual(40);
    // Another domain's setting does not touch this (health) profile.
    expect((await valuesWith({ domains: { safety: 40 } })).rules.k).toBe(10);
  });

  it("refuses a looser or malformed setting, naming it", () => {
    const file = tempFile("w.yaml", "disclosure:\n  k: 3\n");
    expect(() => loadConfig({ flags: { config: file } })).toThrow(ConfigError);
    expect(() => loadConfig({ flags: { config: file } })).toThrow(
      /disclosure.*expected a whole number from 5 to 1000/,
    );
    const domains = tempFile("d.yaml", "disclosure:\n  domains: { geheim: 20 }\n");
    expect(() => loadConfig({ flags: { config: domains } })).toThrow(/disclosure/);
    const ok = tempFile("ok.yaml", "disclosure:\n  k: 12\n  domains: { safety: 20, health: 15 }\n");
    expect(loadConfig({ flags: { config: ok } }).disclosure).toEqual({
      k: 12,
      domains: { safety: 20, health: 15 },
    });
  });
});
