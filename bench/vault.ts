/**
 * The microdata vault and profiles (issue 4): import of ~1 M register rows with pseudonymisation
 * (Parquet and CSV), a three-condition profile counted per PC6 with disclosure control over 1 M and
 * over 18 M synthetic persons (national scale), and the same count on PostgreSQL 15.
 *
 * Data (built once, reused): bench/out/vault/synth-<N>/ holds the generator's files for N persons
 * (all gemeenten, seed 20260101, Parquet; brp.csv is brp.parquet exported by DuckDB), and
 * bench/out/vault/vault-<N>.duckdb the vault with brp + minima imported (fixed bench key). Delete a
 * directory or file to rebuild it.
 *
 * Usage: node --import tsx bench/vault.ts [--quick] [--persons 1000000] [--national 18000000]
 *          [--runs 3] [--query-runs 20] [--national-runs 5] [--no-pg] [--no-wait] [--phases import,profile,pg]
 *        node --import tsx bench/vault.ts --pg-prepare   (load both vaults into PostgreSQL once, ahead)
 *        npm run bench -- --only vault [--quick]   (--quick: 100,000 persons, no national, no PostgreSQL)
 * Before each timed phase it waits until the 1-minute load average is below 1.5, polling every 30 s,
 * at most 20 minutes over the whole run; the load is recorded with every result.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import type * as Core from "@wijkradar/core";
import type { ProfileDefinition } from "@wijkradar/core";
import type * as ProfileService from "../packages/server/src/services/profile-service.js";
import type * as CalibrationRepository from "../packages/server/src/store/calibration-repository.js";
import type * as DatabaseModule from "../packages/server/src/store/database.js";
import type * as ProfileRepository from "../packages/server/src/store/profile-repository.js";
import type * as Staging from "../packages/server/src/store/microdata-staging.js";
import type * as Calibration from "../packages/server/src/synth/calibration.js";
import type * as Generate from "../packages/server/src/synth/generate.js";
import type * as ImportMicrodata from "../packages/server/src/vault/import-microdata.js";
import type * as Keys from "../packages/server/src/vault/keys.js";
import type * as Registry from "../packages/server/src/vault/registry.js";
import type * as YamlInput from "../packages/server/src/yaml-input.js";
import {
  waitForQuiet,
  type Quiet,
  argFlag,
  argNumber,
  DEMO_DB,
  fmtBytes,
  fmtInt,
  fmtMs,
  isMain,
  log,
  machine,
  median,
  OUT,
  quantile,
  removeDb,
  report,
  selfCpuSeconds,
  ROOT,
  serverDist,
  type BenchResult,
} from "./lib.js";

const SEED = 20_260_101;
const DATE = "2026-01-01";
const PURPOSE = "wijkaanpak";
const PROFILE_FILE = join(ROOT, "data", "demo", "profiles", "eenzaamheid-65plus.yaml");
const MICRODATA = join(ROOT, "data", "demo", "microdata");
const VAULT_DIR = join(OUT, "vault");
const PG_PORT = 55_437;
const PG_DATA = "/tmp/wijkradar-bench-pgdata";
const PG_BIN = "/usr/lib/postgresql/15/bin";
/** The largest gemeente (Amsterdam): a request for its PC6s counts only its table. */
const ONE_GEMEENTE = "GM0363";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Modules of the compiled server (as the CLI runs them)

async function modules() {
  return {
    core: await import("@wijkradar/core"),
    Database: (await serverDist<typeof DatabaseModule>("store/database.js")).Database,
    importMicrodata: (await serverDist<typeof ImportMicrodata>("vault/import-microdata.js")).importMicrodata,
    registry: await serverDist<typeof Registry>("vault/registry.js"),
    KeyRing: (await serverDist<typeof Keys>("vault/keys.js")).KeyRing,
    staging: await serverDist<typeof Staging>("store/microdata-staging.js"),
    profiles: await serverDist<typeof ProfileRepository>("store/profile-repository.js"),
    service: await serverDist<typeof ProfileService>("services/profile-service.js"),
    yaml: await serverDist<typeof YamlInput>("yaml-input.js"),
  };
}
type Modules = Awaited<ReturnType<typeof modules>>;

/** A fixed bench key (not secret: synthetic data only), so that every vault gets the same pseudonyms. */
function benchKeys(m: Modules) {
  const key = createHash("sha256").update("wijkradar bench vault key").digest();
  return m.KeyRing.of([{ purpose: PURPOSE, current: 1, versions: new Map([[1, key]]) }]);
}

// ---------------------------------------------------------------------------------------------
// Waiting for a quiet machine

// ---------------------------------------------------------------------------------------------
// Data: generated once per size

interface Generated {
  readonly persons: number;
  readonly ms: number;
  readonly peakRss: number;
  readonly files: readonly { file: string; rows: number; bytes: number }[];
}

const synthDir = (persons: number) => join(VAULT_DIR, `synth-${persons}`);

/** Child process: generates N persons into the directory and writes generated.json there. */
async function generateChild(persons: number, dir: string): Promise<void> {
  const { Database } = await serverDist<typeof DatabaseModule>("store/database.js");
  const { readCalibrationInputs } = await serverDist<typeof CalibrationRepository>(
    "store/calibration-repository.js",
  );
  const { calibrate } = await serverDist<typeof Calibration>("synth/calibration.js");
  const { generatePopulation } = await serverDist<typeof Generate>("synth/generate.js");
  const db = existsSync(DEMO_DB) ? DEMO_DB : join(ROOT, "data", "wijkradar.duckdb");
  const copy = join(VAULT_DIR, `calibration-${process.pid}.duckdb`);
  copyFileSync(db, copy);
  const database = await Database.open({ path: copy, readOnly: true });
  const targets = calibrate(await readCalibrationInputs(database, "all"));
  database.close();
  rmSync(copy, { force: true });
  const started = performance.now();
  const r = await generatePopulation(
    { seed: SEED, gemeenten: targets.gemeenten.map((g) => g.code), targets, persons, format: "parquet" },
    dir,
  );
  const ms = performance.now() - started;
  const status = readFileSync("/proc/self/status", "utf8");
  const peakRss = Number(/^VmHWM:\s*(\d+) kB/m.exec(status)?.[1] ?? NaN) * 1024;
  writeFileSync(
    join(dir, "generated.json"),
    `${JSON.stringify({ persons, ms, peakRss, files: r.files } satisfies Generated)}\n`,
  );
}

/** The generated files for N persons (generated in a child process when missing). */
function ensureGenerated(persons: number): Generated {
  const dir = synthDir(persons);
  const done = join(dir, "generated.json");
  if (!existsSync(done)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    log(`generating ${fmtInt(persons)} persons (all gemeenten, seed ${SEED}) into ${dir}`);
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", join(ROOT, "bench", "vault.ts"), "--generate", String(persons), "--dir", dir],
      { cwd: ROOT, stdio: "inherit", timeout: 60 * 60_000 },
    );
    if (r.status !== 0) throw new Error(`generation of ${persons} persons failed (${r.status ?? r.signal})`);
  }
  return JSON.parse(readFileSync(done, "utf8")) as Generated;
}

if (isMain(import.meta.url) && process.argv.includes("--generate")) {
  await generateChild(argNumber("generate", 0), arg("dir")!);
  process.exit(0);
}

/** brp.csv beside brp.parquet: the same rows, written by DuckDB (dates as YYYY-MM-DD). */
async function ensureBrpCsv(persons: number): Promise<string> {
  const dir = synthDir(persons);
  const csv = join(dir, "brp.csv");
  if (!existsSync(csv)) {
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
    const conn = await instance.connect();
    await conn.run(
      `COPY (SELECT * FROM read_parquet('${join(dir, "brp.parquet")}')) TO '${csv}.tmp' (FORMAT csv, HEADER)`,
    );
    conn.closeSync();
    instance.closeSync();
    copyFileSync(`${csv}.tmp`, csv);
    rmSync(`${csv}.tmp`);
  }
  return csv;
}

// ---------------------------------------------------------------------------------------------
// Vaults

/** A fresh vault database: schema, the demo's source registrations, the PC6 lookup of the data. */
async function freshVault(m: Modules, path: string, persons: number) {
  removeDb(path);
  const db = await m.Database.open({ path });
  await m.registry.registerSources(
    db,
    m.registry.parseRegistrations(readFileSync(join(MICRODATA, "sources.yaml"), "utf8"), "sources.yaml"),
    "bench",
    new Date(`${DATE}T00:00:00Z`),
  );
  await m.registry.importPc6Lookup(db, join(synthDir(persons), "pc6_buurt.csv"));
  return db;
}

interface ImportRun {
  readonly format: "parquet" | "csv";
  readonly run: number;
  readonly rows: number;
  readonly imported: number;
  /** sha256 of the file + DuckDB reading every mapped column as text (no conversion). */
  readonly readMs: number;
  /** importMicrodata dry run: sha256, read, screen, validate, HMAC pseudonyms — no write. */
  readonly dryMs: number;
  /** importMicrodata: all of the above plus appending and the commit. */
  readonly fullMs: number;
  /** Checkpoint after the import (not part of the target). */
  readonly checkpointMs: number;
  readonly dbBytes: number;
  /** CPU seconds of this process (all threads, DuckDB's included) during the real import. */
  readonly fullCpuS: number;
  readonly load1: number;
}

async function timeImports(m: Modules, persons: number, runs: number): Promise<ImportRun[]> {
  const dir = synthDir(persons);
  const files = { parquet: join(dir, "brp.parquet"), csv: await ensureBrpCsv(persons) };
  const mappingFile = join(MICRODATA, "brp.yaml");
  const keys = benchKeys(m);
  const out: ImportRun[] = [];
  for (let run = 1; run <= runs; run++)
    for (const format of ["parquet", "csv"] as const) {
      const path = join(VAULT_DIR, "import-run.duckdb");
      const db = await freshVault(m, path, persons);
      try {
        const file = files[format];
        let t = performance.now();
        const hash = createHash("sha256").update(readFileSync(file)).digest("hex");
        // Reading the file into the importer's private in-memory instance (its first step).
        const f = await m.staging.MicrodataStaging.open(file, { format });
        const n = f.rowCount;
        f.close();
        const readMs = performance.now() - t;
        t = performance.now();
        const dry = await m.importMicrodata(db, { file, mappingFile, keys, dryRun: true });
        const dryMs = performance.now() - t;
        t = performance.now();
        const cpu0 = selfCpuSeconds();
        const full = await m.importMicrodata(db, { file, mappingFile, keys });
        const fullMs = performance.now() - t;
        const fullCpuS = selfCpuSeconds() - cpu0;
        t = performance.now();
        await db.checkpoint();
        const checkpointMs = performance.now() - t;
        if (full.status !== "imported" || dry.rows !== n || full.imported !== n || hash.length !== 64)
          throw new Error(`import ${format}: ${full.status}, ${full.imported} of ${n} rows`);
        const r: ImportRun = {
          format,
          run,
          rows: n,
          imported: full.imported,
          readMs,
          dryMs,
          fullMs,
          checkpointMs,
          dbBytes: statSync(path).size,
          fullCpuS,
          load1: loadavg()[0]!,
        };
        log(
          `import ${format} run ${run}: ${fmtMs(fullMs)} (dry run ${fmtMs(dryMs)}, read ${fmtMs(readMs)}), ${fmtInt(n)} rows, load ${r.load1.toFixed(2)}`,
        );
        out.push(r);
      } finally {
        db.close();
        removeDb(path);
      }
    }
  return out;
}

interface VaultInfo {
  readonly persons: number;
  readonly path: string;
  readonly brpRows: number;
  readonly minimaRows: number;
  readonly buildMs: number;
  readonly bytes: number;
}

/** The vault of N persons with brp + minima, built once (reused while vault-<N>.json exists). */
async function ensureVault(m: Modules, persons: number): Promise<VaultInfo> {
  const path = join(VAULT_DIR, `vault-${persons}.duckdb`);
  const done = join(VAULT_DIR, `vault-${persons}.json`);
  if (existsSync(done) && existsSync(path)) return JSON.parse(readFileSync(done, "utf8")) as VaultInfo;
  log(`building ${path}`);
  const started = performance.now();
  const db = await freshVault(m, path, persons);
  const keys = benchKeys(m);
  const imported: Record<string, number> = {};
  for (const name of ["brp", "minima"]) {
    const r = await m.importMicrodata(db, {
      file: join(synthDir(persons), `${name}.parquet`),
      mappingFile: join(MICRODATA, `${name}.yaml`),
      keys,
    });
    imported[name] = r.imported;
    log(`  ${name}: ${fmtInt(r.imported)} rows in ${fmtMs(r.durationMs)}`);
  }
  await db.checkpoint();
  db.close();
  const info: VaultInfo = {
    persons,
    path,
    brpRows: imported.brp!,
    minimaRows: imported.minima!,
    buildMs: performance.now() - started,
    bytes: statSync(path).size,
  };
  writeFileSync(done, `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

// ---------------------------------------------------------------------------------------------
// The profile: count per PC6 → tables of all levels per gemeente → protectTable → the PC6 slice

function loadProfile(m: Modules): ProfileDefinition {
  return m.yaml.parseYamlWith(
    m.core.ProfileDefinitionSchema,
    readFileSync(PROFILE_FILE, "utf8"),
    "eenzaamheid-65plus.yaml",
    "profile",
  );
}

interface ProfileRun {
  readonly queryMs: number;
  /** buildGemeenteTable for every gemeente (cells of all levels and their relations). */
  readonly aggregateMs: number;
  readonly protectMs: number;
  /** The released slice at PC6: every PC6 cell with its protected figures and parent reference. */
  readonly sliceMs: number;
  readonly totalMs: number;
  /** CPU seconds of this process (all threads) during the whole path. */
  readonly cpuS: number;
}

interface ProfileShape {
  readonly pc6Rows: number;
  readonly gemeenten: number;
  readonly cells: number;
  readonly relations: number;
  readonly pc6Released: number;
  readonly pc6Suppressed: number;
  readonly residents: number;
  readonly population: number;
  readonly count: number;
}

async function profileOnce(
  m: Modules,
  db: DatabaseModule.Database,
  def: ProfileDefinition,
  cat: ProfileRepository.VaultCatalogue,
  gemeente?: string,
): Promise<{ run: ProfileRun; shape: ProfileShape }> {
  const cpu0 = selfCpuSeconds();
  const t0 = performance.now();
  const counted = await m.profiles.countProfile(db, def, DATE, gemeente, cat);
  // As ProfileService.countGemeente: only the PC6s whose buurt lies in the gemeente.
  const rows = gemeente === undefined ? counted : counted.filter((r) => r.gemeente === gemeente);
  const t1 = performance.now();
  const byGemeente = new Map<string, ProfileRepository.ProfilePc6Row[]>();
  for (const r of rows)
    if (r.gemeente) (byGemeente.get(r.gemeente) ?? byGemeente.set(r.gemeente, []).get(r.gemeente)!).push(r);
  const rules = m.core.sdcRules({ k: Math.max(m.core.DEFAULT_SDC_RULES.k, def.sdc?.k ?? 0) });
  let aggregateMs = performance.now() - t1;
  let protectMs = 0;
  let cellsN = 0;
  let relationsN = 0;
  const tables: {
    cells: ReturnType<typeof m.service.buildGemeenteTable>["cells"];
    prot: ReadonlyMap<string, Core.ProtectedCell>;
  }[] = [];
  for (const [g, list] of byGemeente) {
    const a = performance.now();
    const { cells, relations } = m.service.buildGemeenteTable(g, list);
    const b = performance.now();
    const prot = m.core.protectTable({ cells: [...cells.values()].map((c) => c.raw), relations }, rules);
    const c = performance.now();
    aggregateMs += b - a;
    protectMs += c - b;
    cellsN += cells.size;
    relationsN += relations.length;
    tables.push({ cells, prot });
  }
  const t2 = performance.now();
  const slice: {
    code: string;
    status: string;
    count: number | null;
    share: number | null;
    parent: string | null;
  }[] = [];
  let released = 0;
  for (const t of tables)
    for (const c of t.cells.values()) {
      if (c.level !== "pc6") continue;
      const p = t.prot.get(c.id)!;
      const parent = c.parent === null ? undefined : t.prot.get(`pc4:${c.parent}`);
      if (p.status === "released") released++;
      slice.push({
        code: c.code,
        status: p.status,
        count: p.count,
        share: p.count !== null && p.population ? (100 * p.count) / p.population : null,
        parent: parent?.status ?? null,
      });
    }
  slice.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const t3 = performance.now();
  return {
    run: {
      queryMs: t1 - t0,
      aggregateMs,
      protectMs,
      sliceMs: t3 - t2,
      totalMs: t3 - t0,
      cpuS: selfCpuSeconds() - cpu0,
    },
    shape: {
      pc6Rows: rows.length,
      gemeenten: byGemeente.size,
      cells: cellsN,
      relations: relationsN,
      pc6Released: released,
      pc6Suppressed: slice.length - released,
      residents: rows.reduce((s, r) => s + r.residents, 0),
      population: rows.reduce((s, r) => s + r.population, 0),
      count: rows.reduce((s, r) => s + r.count, 0),
    },
  };
}

interface ProfileResult {
  readonly persons: number;
  readonly runs: ProfileRun[];
  /** The same through ProfileService.tables() of a fresh service (the production code), total ms. */
  readonly serviceMs: number[];
  readonly shape: ProfileShape;
  /** One gemeente, as a request with parent=<gemeente> counts it (countProfile with the gemeente). */
  readonly one: { readonly gemeente: string; readonly runs: ProfileRun[]; readonly shape: ProfileShape };
  readonly quiet: Quiet;
  readonly loadAfter: number;
}

async function timeProfile(
  m: Modules,
  vault: VaultInfo,
  runs: number,
  serviceRuns: number,
): Promise<ProfileResult> {
  const db = await m.Database.open({ path: vault.path, readOnly: true });
  try {
    const def = loadProfile(m);
    const cat = await m.profiles.vaultCatalogue(db);
    // Warm-up: the first runs read the file into DuckDB's buffers and JIT the JS.
    let shape = (await profileOnce(m, db, def, cat)).shape;
    await profileOnce(m, db, def, cat);
    const quiet = await waitForQuiet(`profile, ${fmtInt(vault.persons)} persons`);
    const out: ProfileRun[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await profileOnce(m, db, def, cat);
      out.push(r.run);
      shape = r.shape;
    }
    const serviceMs: number[] = [];
    const noReleaser = undefined as unknown as ConstructorParameters<typeof m.service.ProfileService>[1];
    for (let i = 0; i < serviceRuns; i++) {
      const s = new m.service.ProfileService(db, noReleaser);
      const t = performance.now();
      await s.tables(def, DATE);
      serviceMs.push(performance.now() - t);
    }
    await profileOnce(m, db, def, cat, ONE_GEMEENTE);
    const oneRuns: ProfileRun[] = [];
    let oneShape: ProfileShape | undefined;
    for (let i = 0; i < Math.max(runs, 10); i++) {
      const r = await profileOnce(m, db, def, cat, ONE_GEMEENTE);
      oneRuns.push(r.run);
      oneShape = r.shape;
    }
    log(
      `profile ${fmtInt(vault.persons)}, ${ONE_GEMEENTE}: p50 ${fmtMs(median(oneRuns.map((r) => r.totalMs)))}`,
    );
    log(
      `profile ${fmtInt(vault.persons)}: p50 ${fmtMs(median(out.map((r) => r.totalMs)))} (query ${fmtMs(median(out.map((r) => r.queryMs)))}), service p50 ${fmtMs(median(serviceMs))}`,
    );
    return {
      persons: vault.persons,
      runs: out,
      serviceMs,
      shape,
      one: { gemeente: ONE_GEMEENTE, runs: oneRuns, shape: oneShape! },
      quiet,
      loadAfter: loadavg()[0]!,
    };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL 15: the same rows (exported from the DuckDB vault), the same query

function psql(db: string, script: string, timeoutMs = 60 * 60_000): string {
  const file = join(PG_DATA, `..`, `wijkradar-bench-${process.pid}.sql`);
  writeFileSync(file, script);
  try {
    const r = spawnSync(
      "psql",
      [
        "-X",
        "-q",
        "-A",
        "-t",
        "-v",
        "ON_ERROR_STOP=1",
        "-h",
        "127.0.0.1",
        "-p",
        String(PG_PORT),
        "-U",
        "postgres",
        "-d",
        db,
        "-f",
        file,
      ],
      { encoding: "utf8", timeout: timeoutMs, maxBuffer: 1 << 28 },
    );
    if (r.status !== 0) throw new Error(`psql ${db}: ${r.status ?? r.signal}\n${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(file, { force: true });
  }
}

function run(cmd: string, args: readonly string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")}: ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

const PG_SETTINGS = [
  "shared_buffers=4GB",
  "work_mem=256MB",
  "maintenance_work_mem=1GB",
  "effective_cache_size=12GB",
  "max_parallel_workers_per_gather=2",
  "max_wal_size=8GB",
  "synchronous_commit=off",
];

/** Starts PostgreSQL 15 on 127.0.0.1:PG_PORT with its data in PG_DATA (initdb the first time). */
function pgStart(): string {
  if (!existsSync(join(PG_BIN, "postgres")))
    throw new Error(`PostgreSQL 15 is not installed (${PG_BIN}); apt-get install -y postgresql-15`);
  if (!existsSync(join(PG_DATA, "PG_VERSION"))) {
    run("install", ["-d", "-o", "postgres", "-g", "postgres", "-m", "700", PG_DATA]);
    run("runuser", [
      "-u",
      "postgres",
      "--",
      join(PG_BIN, "initdb"),
      "-D",
      PG_DATA,
      "-A",
      "trust",
      "-U",
      "postgres",
      "-E",
      "UTF8",
      "--locale=C.UTF-8",
    ]);
  }
  const opts = `-c listen_addresses=127.0.0.1 -p ${PG_PORT} -k ${PG_DATA} ${PG_SETTINGS.map((s) => `-c ${s}`).join(" ")}`;
  run("runuser", [
    "-u",
    "postgres",
    "--",
    join(PG_BIN, "pg_ctl"),
    "-D",
    PG_DATA,
    "-l",
    join(PG_DATA, "server.log"),
    "-w",
    "-o",
    opts,
    "start",
  ]);
  return psql("postgres", "SELECT version();").trim().split("\n").pop()!.trim();
}

function pgStop(): void {
  spawnSync(
    "runuser",
    ["-u", "postgres", "--", join(PG_BIN, "pg_ctl"), "-D", PG_DATA, "-m", "fast", "-w", "stop"],
    {
      stdio: "ignore",
    },
  );
}

interface PgLoad {
  readonly db: string;
  readonly exportMs: number;
  readonly loadMs: number;
  readonly indexMs: number;
  readonly tableBytes: number;
  readonly reused: boolean;
}

/** Loads vault-<N>'s pseudonymised rows into database vault_<N> (once; reused when complete). */
async function pgLoad(vault: VaultInfo): Promise<PgLoad> {
  const db = `vault_${vault.persons}`;
  const exists = psql("postgres", `SELECT 1 FROM pg_database WHERE datname = '${db}';`).trim() !== "";
  if (exists) {
    const loaded = psql(db, "SELECT to_regclass('bench_loaded') IS NOT NULL;").trim() === "t";
    if (loaded) {
      const info = psql(db, "SELECT info FROM bench_loaded;").trim().split("\n").pop()!.trim();
      return { ...(JSON.parse(info) as PgLoad), reused: true };
    }
    psql("postgres", `DROP DATABASE ${db};`);
  }
  psql("postgres", `CREATE DATABASE ${db};`);
  const dir = `/tmp/wijkradar-bench-pg-export-${vault.persons}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let t = performance.now();
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const instance = await DuckDBInstance.create(vault.path, { access_mode: "READ_ONLY", threads: "2" });
  const conn = await instance.connect();
  const tables: Record<string, string> = {
    vault_persons:
      "SELECT source_id, person, household, address, record_key, pc6, birth_date, sex, household_size, household_type, valid_from, valid_to FROM vault_persons",
    vault_facts:
      "SELECT source_id, subject_kind, subject, pc6, fact, valid_from, valid_to, amount FROM vault_facts",
    vault_pc6_areas: "SELECT pc6, year, buurt_code, division FROM vault_pc6_areas",
  };
  for (const [name, sql] of Object.entries(tables))
    await conn.run(`COPY (${sql}) TO '${join(dir, `${name}.csv`)}' (FORMAT csv, HEADER false)`);
  conn.closeSync();
  instance.closeSync();
  const exportMs = performance.now() - t;
  t = performance.now();
  psql(
    db,
    `CREATE TABLE vault_persons (source_id text NOT NULL, person bigint NOT NULL, household bigint, address bigint,
       record_key bigint NOT NULL, pc6 text NOT NULL, birth_date date NOT NULL, sex text, household_size smallint,
       household_type text, valid_from date NOT NULL, valid_to date);
     CREATE TABLE vault_facts (source_id text NOT NULL, subject_kind text NOT NULL, subject bigint, pc6 text,
       fact text NOT NULL, valid_from date NOT NULL, valid_to date, amount double precision);
     CREATE TABLE vault_pc6_areas (pc6 text NOT NULL, year smallint NOT NULL, buurt_code text NOT NULL,
       division smallint NOT NULL, PRIMARY KEY (pc6, year));
     CREATE TABLE areas (code text NOT NULL, division smallint NOT NULL, parent_code text, gemeente_code text,
       PRIMARY KEY (code, division));
     \\copy vault_persons FROM '${dir}/vault_persons.csv' WITH (FORMAT csv)
     \\copy vault_facts FROM '${dir}/vault_facts.csv' WITH (FORMAT csv)
     \\copy vault_pc6_areas FROM '${dir}/vault_pc6_areas.csv' WITH (FORMAT csv)`,
  );
  const loadMs = performance.now() - t;
  t = performance.now();
  psql(
    db,
    `CREATE INDEX ON vault_persons (source_id, valid_from);
     CREATE INDEX ON vault_persons (household);
     CREATE INDEX ON vault_facts (subject_kind, fact, source_id) INCLUDE (subject, valid_from, valid_to);
     VACUUM ANALYZE;`,
  );
  const indexMs = performance.now() - t;
  rmSync(dir, { recursive: true, force: true });
  const tableBytes = Number(
    psql(db, "SELECT pg_database_size(current_database());").trim().split("\n").pop()!.trim(),
  );
  const info: PgLoad = { db, exportMs, loadMs, indexMs, tableBytes, reused: false };
  psql(db, `CREATE TABLE bench_loaded AS SELECT '${JSON.stringify(info)}'::text AS info;`);
  return info;
}

/**
 * The profile's count query in PostgreSQL: the SQL of countProfile (store/profile-repository.ts)
 * with the same conditions, near profiles and cell keys; DuckDB's QUALIFY as DISTINCT ON, fmod as
 * x − 2^32·floor(x / 2^32). Literals from our own profile file.
 */
function pgProfileSql(m: Modules, def: ProfileDefinition, cat: ProfileRepository.VaultCatalogue): string {
  const year = Number(DATE.slice(0, 4));
  const lit = (v: string | number) => (typeof v === "number" ? String(v) : `'${v.replace(/'/g, "''")}'`);
  const ofPurpose = [...cat.sources.values()].filter((s) => s.keyPurpose === def.purpose).map((s) => s.id);
  const registers = cat.registers.get(def.purpose) ?? [];
  const kinds = m.profiles.factKindsFor(cat, def.purpose);
  const leaf = (c: Core.Condition): string => {
    if ("not" in c) return `(NOT ${compile(c.not)})`;
    if ("age" in c) {
      const b = m.core.ageBirthBounds(c.age, DATE);
      return `(${[
        b.bornOnOrBefore !== undefined ? `p.birth_date <= DATE ${lit(b.bornOnOrBefore)}` : "",
        b.bornAfter !== undefined ? `p.birth_date > DATE ${lit(b.bornAfter)}` : "",
      ]
        .filter(Boolean)
        .join(" AND ")})`;
    }
    if ("sex" in c) return `(p.sex = ${lit(c.sex)})`;
    if ("household" in c) {
      const { size, type } = c.household;
      const parts: string[] = [];
      if (size?.min !== undefined) parts.push(`p.household_size >= ${size.min}`);
      if (size?.max !== undefined) parts.push(`p.household_size <= ${size.max}`);
      if (type) parts.push(`p.household_type IN (${type.map(lit).join(", ")})`);
      return `(${parts.join(" AND ")})`;
    }
    const facts = typeof c.fact === "string" ? [c.fact] : [...c.fact];
    const ks = new Set(facts.flatMap((f) => kinds.get(f) ?? []));
    if (ks.size === 0) return "false";
    const since = m.core.daysBefore(DATE, (c.within ?? 1) - 1);
    const semi = (kind: string, column: string, subject: string) =>
      `p.${column} IN (SELECT ${subject} FROM vault_facts WHERE subject_kind = '${kind}' AND fact IN (${facts.map(lit).join(", ")})
         AND source_id IN (${ofPurpose.map(lit).join(", ")})
         AND valid_from <= DATE ${lit(DATE)} AND (valid_to IS NULL OR valid_to > DATE ${lit(since)})${
           c.minAmount !== undefined ? ` AND amount >= ${c.minAmount}` : ""
         } AND ${subject} IS NOT NULL)`;
    const parts: string[] = [];
    if (ks.has("person")) parts.push(semi("person", "person", "subject"));
    if (ks.has("household")) parts.push(semi("household", "household", "subject"));
    if (ks.has("address")) parts.push(semi("address", "address", "subject"));
    if (ks.has("pc6")) parts.push(semi("pc6", "pc6", "pc6"));
    return `(${parts.join(" OR ")})`;
  };
  const compile = (c: Core.Condition): string => ("not" in c ? leaf(c) : `coalesce(${leaf(c)}, false)`);
  const columns: string[] = [];
  const indexOf = new Map<string, number>();
  const columnOf = (c: Core.Condition): number => {
    const key = JSON.stringify(c);
    let i = indexOf.get(key);
    if (i === undefined) {
      i = columns.length;
      columns.push(compile(c));
      indexOf.set(key, i);
    }
    return i;
  };
  const and = (conds: readonly Core.Condition[]): string =>
    conds.length ? [...new Set(conds.map((c) => `c${columnOf(c)}`))].sort().join(" AND ") : "true";
  const population = and(def.population);
  const profile = and([...def.population, ...def.conditions]);
  const near = m.core.nearProfiles(def).map((n) => and([...n.population, ...n.conditions]));
  const key = (filter: string) => {
    const s = `sum(record_key::float8) FILTER (WHERE ${filter})`;
    return `coalesce(${s} - 4294967296 * floor(${s} / 4294967296), 0) / 4294967296`;
  };
  return `
    WITH lookup AS (
      SELECT DISTINCT ON (pc6) pc6, buurt_code, division FROM vault_pc6_areas
      ORDER BY pc6, (year <= ${year}) DESC, CASE WHEN year <= ${year} THEN -year ELSE year END
    ),
    persons AS (
      SELECT p.pc6, p.record_key${columns.map((c, i) => `,\n        ${c} AS c${i}`).join("")}
      FROM vault_persons p
      WHERE ${registers.length ? `p.source_id IN (${registers.map(lit).join(", ")})` : "false"}
        AND p.valid_from <= DATE ${lit(DATE)} AND (p.valid_to IS NULL OR p.valid_to > DATE ${lit(DATE)})
    ),
    counted AS (
      SELECT pc6, count(*)::integer AS residents,
             count(*) FILTER (WHERE ${population})::integer AS population,
             count(*) FILTER (WHERE ${profile})::integer AS count,
             ${near.map((n, i) => `count(*) FILTER (WHERE ${n})::integer AS near_${i},`).join("\n             ")}
             ${key("true")} AS residents_key,
             ${key(population)} AS population_key,
             ${key(profile)} AS count_key
      FROM persons GROUP BY pc6
    )
    SELECT c.*, lk.buurt_code AS buurt, lk.division::integer AS division,
           coalesce(a.parent_code, 'WK' || substr(lk.buurt_code, 3, 6)) AS wijk,
           coalesce(a.gemeente_code, 'GM' || substr(lk.buurt_code, 3, 4)) AS gemeente
    FROM counted c
    LEFT JOIN lookup lk ON lk.pc6 = c.pc6
    LEFT JOIN areas a ON a.code = lk.buurt_code AND a.division = lk.division
    ORDER BY c.pc6`;
}

interface PgResult {
  readonly persons: number;
  readonly version: string;
  readonly load: PgLoad;
  /** psql \timing of the whole query (rows sent to psql, output discarded). */
  readonly ms: number[];
  readonly totals: { rows: number; residents: number; population: number; count: number };
  readonly plan: string;
  readonly quiet: Quiet;
}

async function timePg(m: Modules, vault: VaultInfo, runs: number, version: string): Promise<PgResult> {
  const load = await pgLoad(vault);
  const ddb = await m.Database.open({ path: vault.path, readOnly: true });
  const def = loadProfile(m);
  const sql = pgProfileSql(m, def, await m.profiles.vaultCatalogue(ddb));
  ddb.close();
  const db = load.db;
  const totalsOut = psql(
    db,
    `\\pset format unaligned\n\\pset tuples_only on\nSELECT count(*), sum(residents), sum(population), sum(count) FROM (${sql}) q;`,
  );
  const [rows, residents, population, count] = totalsOut.trim().split("\n").pop()!.split("|").map(Number);
  const plan = psql(db, `EXPLAIN (ANALYZE, BUFFERS) ${sql};`);
  psql(db, `\\o /dev/null\n${sql};\n${sql};`); // warm-up
  const quiet = await waitForQuiet(`PostgreSQL, ${fmtInt(vault.persons)} persons`);
  const out = psql(
    db,
    `\\timing on\n\\o /dev/null\n${Array.from({ length: runs }, () => `${sql};`).join("\n")}`,
  );
  const ms = [...out.matchAll(/^Time: ([\d.]+) ms/gm)].map((x) => Number(x[1]));
  if (ms.length !== runs)
    throw new Error(`psql printed ${ms.length} timings for ${runs} runs:\n${out.slice(0, 500)}`);
  log(`PostgreSQL ${fmtInt(vault.persons)}: p50 ${fmtMs(median(ms))}`);
  return {
    persons: vault.persons,
    version,
    load,
    ms,
    totals: { rows: rows!, residents: residents!, population: population!, count: count! },
    plan,
    quiet,
  };
}

// ---------------------------------------------------------------------------------------------
// The benchmark

const p50 = (xs: readonly number[]) => quantile(xs, 0.5);
const p90 = (xs: readonly number[]) => quantile(xs, 0.9);
const range = (xs: readonly number[]) => `${fmtMs(Math.min(...xs))}–${fmtMs(Math.max(...xs))}`;

async function main(): Promise<BenchResult> {
  const began = performance.now();
  const quick = argFlag("quick");
  const persons = argNumber("persons", quick ? 100_000 : 1_000_000);
  const national = quick || argFlag("no-national") ? 0 : argNumber("national", 18_000_000);
  const withPg = !quick && !argFlag("no-pg");
  const runs = argNumber("runs", 3);
  const queryRuns = argNumber("query-runs", 20);
  const nationalRuns = argNumber("national-runs", 5);
  const phases = new Set((arg("phases") ?? "import,profile,pg").split(","));
  mkdirSync(VAULT_DIR, { recursive: true });
  const m = await modules();

  // Data (once)
  const sizes = national ? [persons, national] : [persons];
  const generated = sizes.map((n) => ensureGenerated(n));
  await ensureBrpCsv(persons);
  const vaults: VaultInfo[] = [];
  for (const n of sizes) vaults.push(await ensureVault(m, n));

  // 1. Import
  const importQuiet = phases.has("import") ? await waitForQuiet("import") : undefined;
  const imports = phases.has("import") ? await timeImports(m, persons, runs) : [];

  // 2. Profile
  const profiles: ProfileResult[] = [];
  if (phases.has("profile"))
    for (const v of vaults)
      profiles.push(
        await timeProfile(
          m,
          v,
          v.persons >= 5_000_000 ? nationalRuns : queryRuns,
          v.persons >= 5_000_000 ? 3 : 5,
        ),
      );

  // 3. PostgreSQL
  const pg: PgResult[] = [];
  if (withPg && phases.has("pg") && phases.has("profile")) {
    const version = pgStart();
    try {
      for (const v of vaults)
        pg.push(await timePg(m, v, v.persons >= 5_000_000 ? nationalRuns : queryRuns, version));
    } finally {
      pgStop();
    }
  }

  // Tables
  const importRows = (imports.length ? (["parquet", "csv"] as const) : []).map((format) => {
    const rs = imports.filter((r) => r.format === format);
    const full = rs.map((r) => r.fullMs);
    const rows = rs[0]!.rows;
    const med = median(full);
    const read = median(rs.map((r) => r.readMs));
    const dry = median(rs.map((r) => r.dryMs));
    return [
      `brp.${format}`,
      fmtInt(rows),
      rs.length,
      fmtMs(med),
      range(full),
      fmtInt((rows / med) * 1000),
      fmtMs((med * 1_000_000) / rows),
      verdictOf((med * 1_000_000) / rows, 5000),
      fmtMs(read),
      fmtMs(dry - read),
      fmtMs(med - dry),
      fmtMs(median(rs.map((r) => r.checkpointMs))),
      `${median(rs.map((r) => r.fullCpuS)).toFixed(1)} s`,
      rs.map((r) => r.load1.toFixed(1)).join(", "),
      fmtBytes(rs[0]!.dbBytes),
    ];
  });
  const profileRows = profiles.map((p) => {
    const tot = p.runs.map((r) => r.totalMs);
    const target = p.persons >= 5_000_000 ? 1000 : 50;
    return [
      fmtInt(p.persons),
      fmtInt(p.shape.residents),
      p.runs.length,
      fmtMs(p50(tot)),
      fmtMs(p90(tot)),
      fmtMs(p50(p.runs.map((r) => r.queryMs))),
      fmtMs(p50(p.runs.map((r) => r.aggregateMs))),
      fmtMs(p50(p.runs.map((r) => r.protectMs))),
      fmtMs(p50(p.runs.map((r) => r.sliceMs))),
      `${fmtMs(p50(p.runs.map((r) => r.cpuS * 1000)))}`,
      `${fmtMs(p50(p.serviceMs))} (${p.serviceMs.length})`,
      `≤ ${fmtMs(target)}`,
      verdictOf(p50(tot), target),
      `${p.quiet.load1.toFixed(2)} → ${p.loadAfter.toFixed(2)}`,
    ];
  });
  const shapeRows = profiles.map((p) => [
    fmtInt(p.persons),
    fmtInt(p.shape.pc6Rows),
    fmtInt(p.shape.gemeenten),
    fmtInt(p.shape.cells),
    fmtInt(p.shape.relations),
    fmtInt(p.shape.population),
    fmtInt(p.shape.count),
    `${fmtInt(p.shape.pc6Released)} / ${fmtInt(p.shape.pc6Suppressed)}`,
  ]);
  const pgRows = pg.map((r) => {
    const duck = profiles.find((p) => p.persons === r.persons)!;
    const dq = p50(duck.runs.map((x) => x.queryMs));
    const sdc = p50(duck.runs.map((x) => x.totalMs - x.queryMs));
    const same =
      r.totals.rows === duck.shape.pc6Rows &&
      r.totals.count === duck.shape.count &&
      r.totals.population === duck.shape.population;
    return [
      fmtInt(r.persons),
      r.ms.length,
      fmtMs(p50(r.ms)),
      fmtMs(p90(r.ms)),
      fmtMs(dq),
      `${(p50(r.ms) / dq).toFixed(1)}×`,
      fmtMs(p50(r.ms) + sdc),
      `${((p50(r.ms) + sdc) / p50(duck.runs.map((x) => x.totalMs))).toFixed(1)}×`,
      same ? "same" : "**differ**",
      `${fmtMs(r.load.loadMs)} + ${fmtMs(r.load.indexMs)}${r.load.reused ? " (earlier)" : ""}`,
      fmtBytes(r.load.tableBytes),
      r.quiet.load1.toFixed(2),
    ];
  });
  return {
    name: "vault",
    title: "Microdata vault and profiles (issue 4)",
    command: `node --import tsx bench/vault.ts${quick ? " --quick" : ""} (persons ${persons}${national ? `, national ${national}` : ""})`,
    tables: [
      {
        title: `Import of brp (register, pseudonymised: bsn, huishouden_id, adres_id) into a fresh DuckDB file, ${fmtInt(persons)} persons`,
        columns: [
          "file",
          "rows",
          "runs",
          "median",
          "range",
          "rows/s",
          "per 1 M rows",
          "≤ 5 s",
          "read (sha256 + DuckDB read)",
          "validate + HMAC",
          "append + commit",
          "checkpoint (extra)",
          "CPU (import)",
          "load after each run",
          "db file",
        ],
        rows: importRows,
      },
      {
        title: `Profile eenzaamheid-65plus (65+ AND alleenstaand AND minima), all PC6, whole path, warm, date ${DATE}`,
        columns: [
          "persons",
          "registered at date",
          "runs",
          "p50",
          "p90",
          "query p50",
          "aggregate p50",
          "protectTable p50",
          "PC6 slice p50",
          "CPU p50",
          "ProfileService.tables p50",
          "target",
          "verdict",
          "load before → after",
        ],
        rows: profileRows,
      },
      {
        title: `One gemeente (${ONE_GEMEENTE}, the largest), as a request with parent=${ONE_GEMEENTE} counts it: countProfile(gemeente) → its table → protectTable → its PC6s`,
        columns: [
          "persons",
          "runs",
          "p50",
          "p90",
          "query p50",
          "aggregate p50",
          "protectTable p50",
          "PC6",
          "cells",
          "PC6 released / suppressed",
        ],
        rows: profiles.map((p) => [
          fmtInt(p.persons),
          p.one.runs.length,
          fmtMs(p50(p.one.runs.map((r) => r.totalMs))),
          fmtMs(p90(p.one.runs.map((r) => r.totalMs))),
          fmtMs(p50(p.one.runs.map((r) => r.queryMs))),
          fmtMs(p50(p.one.runs.map((r) => r.aggregateMs))),
          fmtMs(p50(p.one.runs.map((r) => r.protectMs))),
          fmtInt(p.one.shape.pc6Rows),
          fmtInt(p.one.shape.cells),
          `${fmtInt(p.one.shape.pc6Released)} / ${fmtInt(p.one.shape.pc6Suppressed)}`,
        ]),
      },
      {
        title: "Profile tables (size of the SDC problem)",
        columns: [
          "persons",
          "PC6",
          "gemeenten",
          "cells",
          "relations",
          "population (65+)",
          "count",
          "PC6 released / suppressed",
        ],
        rows: shapeRows,
      },
      ...(pg.length
        ? [
            {
              title: `PostgreSQL 15 vs DuckDB, the same count query on the same pseudonymised rows (${pg[0]!.version.split(" on ")[0]})`,
              columns: [
                "persons",
                "runs",
                "PostgreSQL p50",
                "p90",
                "DuckDB query p50",
                "ratio PG/DuckDB (query)",
                "PG + our SDC",
                "ratio (whole path)",
                "results",
                "COPY + index/ANALYZE",
                "database size",
                "load",
              ],
              rows: pgRows,
            },
          ]
        : []),
      {
        title: "Data (built once, reused)",
        columns: [
          "persons",
          "generation",
          "brp rows",
          "brp.parquet",
          "minima rows",
          "vault build (brp + minima)",
          "vault file",
        ],
        rows: sizes.map((n, i) => [
          fmtInt(n),
          fmtMs(generated[i]!.ms),
          fmtInt(vaults[i]!.brpRows),
          fmtBytes(generated[i]!.files.find((f) => f.file === "brp.parquet")!.bytes),
          fmtInt(vaults[i]!.minimaRows),
          fmtMs(vaults[i]!.buildMs),
          fmtBytes(vaults[i]!.bytes),
        ]),
      },
    ],
    notes: [
      `seed ${SEED}, all gemeenten scaled to the size; bench key (sha256 of a fixed phrase) for purpose ${PURPOSE}`,
      `import: fresh DuckDB file per run (schema, sources.yaml, pc6_buurt.csv, not timed), then importMicrodata dry run, then the real import; load ${importQuiet?.load1.toFixed(2) ?? "–"} before (waited ${importQuiet?.waitedS.toFixed(0) ?? "–"} s)`,
      "validate + HMAC = dry run − read; append + commit = import − dry run (both include sha256 and the identifier screen)",
      "profile: countProfile (all gemeenten) → buildGemeenteTable per gemeente → protectTable → every PC6 cell with its figures, sorted; 2 warm-up runs first",
      "PostgreSQL: psql \\timing (rows sent to psql, output discarded); PG + our SDC adds DuckDB's measured aggregate/protect/slice time",
    ],
    raw: { imports, profiles, vaults, generated, pg: pg.map((r) => ({ ...r, plan: r.plan.split("\n") })) },
    machine: machine(),
    durationMs: performance.now() - began,
  };
}

function verdictOf(value: number, target: number): string {
  return value <= target ? "ok" : "**MISS**";
}

/** `--pg-prepare`: only loads the vaults into PostgreSQL (reused by later runs), then stops it. */
async function pgPrepare(): Promise<void> {
  const m = await modules();
  const n = argNumber("persons", 1_000_000);
  const national = argNumber("national", 18_000_000);
  pgStart();
  try {
    for (const size of [n, national])
      log(`PostgreSQL ${size}: ${JSON.stringify(await pgLoad(await ensureVault(m, size)))}`);
  } finally {
    pgStop();
  }
}

if (isMain(import.meta.url) && !process.argv.includes("--generate")) {
  if (argFlag("pg-prepare")) await pgPrepare();
  else report(await main());
}
