import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { EXIT } from "../src/errors.js";
import { Database } from "../src/store/database.js";
import { demoFile, tempDir, tempFile } from "./fixtures.js";

const BIN = join(import.meta.dirname, "..", "bin", "wijkradar.js");

/** Runs the CLI in-process and captures its output. */
async function run(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(["node", "wijkradar", ...args], {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    env,
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const MAPPING = `
version: 1
source: { id: test-bron, name: Testbron, publisher: Test, attribution: "Bron: Test", licence: CC BY 4.0, open: true }
format: csv
areas: { code: regio, division: 2024, register: true, name: { column: naam } }
period: { value: 2024 }
indicators:
  - { column: inwoners, id: inwoners_test, name: { nl: Inwoners, en: Residents }, unit: aantal, domain: population, polarity: neutral, kind: count, decimals: 0 }
`;
const CSV = "regio;naam;inwoners\nGM0034;Almere;218096\nGM0363;Amsterdam;931298\n";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe("wijkradar CLI", () => {
  it.each(["serve", "import", "areas", "indicators", "export"])("shows --help for %s", async (cmd) => {
    const r = await run([cmd, "--help"]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toContain(`Usage: wijkradar ${cmd}`);
    expect(r.out).toContain("--db <file>");
  });

  it("exits 64 on an unknown command or a missing argument", async () => {
    expect((await run(["frobnicate"])).code).toBe(EXIT.usage);
    const r = await run(["export"]);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain("missing required argument 'indicator'");
    const m = await run(["import", "x.csv"]);
    expect(m.code).toBe(EXIT.usage);
    expect(m.err).toContain("required option '--mapping <file>' not specified");
  });

  it("imports, lists areas and indicators, and exports CSV with the attribution line", async () => {
    const dir = tempDir();
    const db = join(dir, "w.duckdb");
    const mapping = tempFile("m.yaml", MAPPING, dir);
    const csv = tempFile("data.csv", CSV, dir);
    const imported = await run(["import", csv, "--mapping", mapping, "--db", db]);
    expect(imported.code).toBe(EXIT.ok);
    expect(imported.out).toContain("data.csv: imported");
    expect(imported.out).toContain("2 rows, 2 values");

    const again = await run(["import", csv, "--mapping", mapping, "--db", db]);
    expect(again.out).toContain("data.csv: unchanged");

    const areas = await run(["areas", "-q", "alme", "--db", db]);
    expect(areas.code).toBe(EXIT.ok);
    expect(areas.out).toMatch(/GM0034\s+gemeente\s+2024\s+Almere/);
    expect(areas.out).not.toContain("Amsterdam");

    const indicators = await run(["indicators", "--db", db]);
    expect(indicators.out).toMatch(/inwoners_test\s+population\s+count\s+2024\s+Inwoners/);

    const out = join(dir, "export.csv");
    const exported = await run(["export", "inwoners_test", "--level", "gemeente", "-o", out, "--db", db]);
    expect(exported.code).toBe(EXIT.ok);
    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines[0]).toBe("# Bron: Test (CC BY 4.0); Inwoners, aantal; periode 2024; indeling 2024");
    expect(lines[1]!.startsWith("code,naam,naam_uit_indeling,niveau,periode,waarde,status")).toBe(true);
    expect(lines.slice(2).map((l) => l.split(",").slice(0, 6).join(","))).toEqual([
      "GM0034,Almere,2024,gemeente,2024,218096",
      "GM0363,Amsterdam,2024,gemeente,2024,931298",
    ]);
    // The national total is derived from both gemeenten and given as reference.
    expect(lines[2]!.endsWith(",NL01,1149394,1149394")).toBe(true);
  });

  it("exits 65 with file and line on bad data, and --dry-run writes nothing", async () => {
    const dir = tempDir();
    const mapping = tempFile("m.yaml", MAPPING, dir);
    const bad = tempFile("bad.csv", "regio;naam;inwoners\nGM0034;Almere;veel\n", dir);
    const r = await run(["import", bad, "--mapping", mapping, "--dry-run"]);
    expect(r.code).toBe(EXIT.dataErr);
    expect(r.err).toContain('bad.csv:2: column inwoners: "veel" is not a number');

    const good = tempFile("good.csv", CSV, dir);
    const dry = await run(["import", good, "--mapping", mapping, "--dry-run"]);
    expect(dry.code).toBe(EXIT.ok);
    expect(dry.out).toContain("valid (dry run, nothing written)");
  });

  it("exits 66 when the data file is missing and 78 on bad configuration", async () => {
    const mapping = tempFile("m.yaml", MAPPING);
    const missing = await run(["import", "/nonexistent/x.csv", "--mapping", mapping, "--dry-run"]);
    expect(missing.code).toBe(EXIT.noInput);
    expect(missing.err).toContain("/nonexistent/x.csv: cannot read the file: ENOENT");
    const badPort = await run(["serve", "--port", "abc"]);
    expect(badPort.code).toBe(EXIT.config);
    expect(badPort.err).toContain('option --port: "abc" is invalid');
  });

  it("runs as a real process: import, then serve, answer HTTP, stop on SIGTERM", async () => {
    // The test runner's own WIJKRADAR_* switches (e.g. WIJKRADAR_UPDATE_SCREENSHOTS) are unknown to
    // wijkradar, which refuses unknown WIJKRADAR_* variables (exit 78): the processes get none.
    const childEnv = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith("WIJKRADAR_")),
    );
    const dir = tempDir();
    const db = join(dir, "w.duckdb");
    const mapping = tempFile("m.yaml", MAPPING, dir);
    const csv = tempFile("data.csv", CSV, dir);
    const exec = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args], {
          stdio: ["ignore", "ignore", "pipe"],
          env: childEnv,
        });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => resolve({ code, stderr }));
      });
    const execOut = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args], {
          stdio: ["ignore", "pipe", "ignore"],
          env: childEnv,
        });
        let stdout = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.on("close", (code) => resolve({ code, stdout }));
      });
    const imp = await exec(["import", csv, "--mapping", mapping, "--db", db]);
    expect(imp.code, imp.stderr).toBe(0);

    const port = await freePort();
    const server = spawn(process.execPath, [BIN, "serve", "--db", db, "--port", String(port), "--no-demo"], {
      stdio: ["ignore", "ignore", "pipe"],
      env: childEnv,
    });
    let stderr = "";
    server.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => server.on("close", resolve));
    try {
      const deadline = Date.now() + 20_000;
      while (!stderr.includes("ready in") && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(stderr).toContain(`at http://127.0.0.1:${port}`);

      const res = await fetch(`http://127.0.0.1:${port}/api/areas/GM0363`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { name: string }).name).toBe("Amsterdam");

      // While the server holds the database, the CLI imports through it instead of opening a second writer.
      const again = await exec(["import", csv, "--mapping", mapping, "--db", db]);
      expect(again.code).toBe(0);
      expect(again.stderr).toContain("holds the database; asking it");
      const changed = tempFile("data.csv", CSV.replace("218096", "219000"), tempDir());
      const bad = tempFile("data.csv", "regio;naam;inwoners\nGM0034;Almere;veel\n", tempDir());
      const refused = await exec(["import", bad, "--mapping", mapping, "--db", db]);
      expect(refused.code).toBe(EXIT.dataErr);
      expect(refused.stderr).toContain('data.csv:2: column inwoners: "veel" is not a number');
      expect((await exec(["import", changed, "--mapping", mapping, "--db", db])).code).toBe(0);
      const values = (await (
        await fetch(`http://127.0.0.1:${port}/api/indicators/inwoners_test/values`)
      ).json()) as {
        values: { code: string; value: number }[];
      };
      expect(values.values.find((v) => v.code === "GM0034")?.value).toBe(219000);

      // Reads and exports also go through the server, which audits them.
      const listed = await execOut(["areas", "-q", "amster", "--db", db]);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/GM0363\s+gemeente\s+2024\s+Amsterdam/);
      const exported = await execOut(["export", "inwoners_test", "--db", db]);
      expect(exported.code).toBe(0);
      expect(exported.stdout.split("\n")[0]).toBe(
        "# Bron: Test (CC BY 4.0); Inwoners, aantal; periode 2024; indeling 2024",
      );
      expect(exported.stdout).toContain("GM0034,Almere,2024,gemeente,2024,219000,released");
    } finally {
      // Stop the server even when an expectation failed, so no process outlives the test.
      server.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });

  it("refuses to serve on a port that is in use, naming it", async () => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, "127.0.0.1", () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const r = await run([
        "serve",
        "--port",
        String(port),
        "--no-demo",
        "--db",
        join(tempDir(), "w.duckdb"),
      ]);
      expect(r.code).toBe(EXIT.config);
      expect(r.err).toContain(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });

  it("exits 77 naming the rule when the policy allows none of an export, and audits the export", async () => {
    const dir = tempDir();
    const db = join(dir, "w.duckdb");
    const closed = tempFile("m.yaml", MAPPING.replace("open: true", "open: false"), dir);
    expect(
      (await run(["import", tempFile("data.csv", CSV, dir), "--mapping", closed, "--db", db])).code,
    ).toBe(EXIT.ok);
    const r = await run(["export", "inwoners_test", "--db", db]);
    expect(r.code).toBe(EXIT.noPerm);
    expect(r.err).toMatch(/no grant covers inwoners_test .*: grant public-open-data covers open data only/);
    expect(r.out).toBe("");
    const audit = await Database.open({ path: db, readOnly: true });
    const rows = await audit.read((ex) =>
      ex.all<{ action: string; denied: number; actor: string }>(
        // The import's early-warning run is audited too ("detection-run"); this test is about the export.
        "SELECT action, denied, actor FROM audit_log WHERE action <> 'detection-run'",
      ),
    );
    audit.close();
    expect(rows).toEqual([{ action: "export", denied: 2, actor: expect.stringMatching(/^cli:/) as string }]);
  });

  it("checks a dry run against the database when there is one (unknown codes)", async () => {
    const dir = tempDir();
    const db = join(dir, "w.duckdb");
    const mapping = tempFile("m.yaml", MAPPING, dir);
    expect(
      (await run(["import", tempFile("data.csv", CSV, dir), "--mapping", mapping, "--db", db])).code,
    ).toBe(EXIT.ok);
    const strict = tempFile("strict.yaml", MAPPING.replace("register: true", "register: false"), dir);
    const unknown = tempFile("more.csv", "regio;naam;inwoners\nGM0599;Rotterdam;655468\n", dir);
    const r = await run(["import", unknown, "--mapping", strict, "--dry-run", "--db", db]);
    expect(r.code).toBe(EXIT.dataErr);
    expect(r.err).toContain("more.csv:2: unknown area code GM0599 (division 2024)");
  });

  it("reads the demo mapping files as documented examples", async () => {
    const r = await run([
      "import",
      demoFile("rivm/50090NED_2020_65plus.csv"),
      "--mapping",
      demoFile("mappings/rivm-gezondheid.yaml"),
      "--dry-run",
    ]);
    expect(r.code).toBe(EXIT.ok);
    expect(r.out).toContain("17341 rows");
  });
});
