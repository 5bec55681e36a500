/**
 * Syncing the field app's outbox (issue 7): 1,000 queued observations over loopback HTTP to a fresh
 * copy of the demo database, as the field app sends them — one request of 1,000, and ten of 100 one
 * after the other. Target: ≤ 2 s for the 1,000.
 *
 * Data (seed 20261122): half points inside Almere's 2014 buurten (rejection sampling in the buurt
 * boxes, kept when the boundary contains them), half postcodes of the synthetic Almere; notes on 20 %
 * (without personal data); observed within the last 30 days; random outbox ids.
 * Each run: copy the database, build the app (listening on 127.0.0.1), log in as the demo field
 * worker, then time the sync requests (wall clock around the HTTP calls, responses checked: every
 * item stored). The later rewrite of the count indicators (`veld_*`, a delivery) and the detection
 * run for them are timed separately afterwards (`flush()`; the debounce is set out of the way).
 * Median of `--runs` (default 5) per mode.
 *
 * Usage: node --import tsx bench/field-sync.ts [--runs 5] [--db bench/out/demo.duckdb]
 *        npm run bench -- --only field-sync
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import booleanPointInPolygon from "@turf/boolean-point-in-polygon";
import type { MultiPolygon, Polygon } from "geojson";
import { buildApp } from "../packages/server/src/api/app.js";
import { FieldSchema } from "../packages/server/src/config.js";
import { createDemoAccounts } from "../packages/server/src/demo/demo-accounts.js";
import { Database } from "../packages/server/src/store/database.js";
import { Rng } from "../packages/server/src/synth/rng.js";
import {
  DEMO_DB,
  fmtInt,
  fmtMs,
  isMain,
  log,
  machine,
  median,
  report,
  verdict,
  type BenchResult,
} from "./lib.js";

const SEED = 20261122;
const COUNT = 1000;
const TARGET_MS = 2000;
const TEMPLATE_FALLBACK = "/tmp/wr-template/demo-template.duckdb";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Item {
  id: string;
  category: string;
  observedAt: string;
  location: { lon: number; lat: number; source: "gps" | "map" } | { postcode: string };
  note?: string;
}

/** The fixed batch: points and postcodes of Almere, notes on 20 %. */
async function makeItems(db: Database, now: number): Promise<Item[]> {
  const shapes = await db.read((ex) =>
    ex.all<{ code: string; geometry: string; min_x: number; min_y: number; max_x: number; max_y: number }>(
      `SELECT code, geometry, min_x, min_y, max_x, max_y FROM area_geometries
       WHERE division = 2014 AND level = 'buurt' AND code LIKE 'BU0034%' ORDER BY code`,
    ),
  );
  const postcodes = (
    await db.read((ex) =>
      ex.all<{ pc6: string }>(
        `SELECT pc6 FROM vault_pc6_areas
         WHERE buurt_code IN (SELECT code FROM areas WHERE division = 2014 AND level = 'buurt') ORDER BY pc6`,
      ),
    )
  ).map((r) => r.pc6);
  const rng = new Rng(SEED, "field-sync");
  const categories = FieldSchema.parse({}).categories.map((c) => c.id);
  const notes = [
    "matras naast de container",
    "graffiti op het hek",
    "kapotte lantaarnpaal",
    "veel zwerfvuil",
  ];
  const items: Item[] = [];
  for (let i = 0; i < COUNT; i++) {
    let location: Item["location"];
    if (i % 2 === 0) {
      const s = shapes[rng.int(shapes.length)]!;
      const g = JSON.parse(s.geometry) as Polygon | MultiPolygon;
      let lon = 0;
      let lat = 0;
      for (let t = 0; t < 1000; t++) {
        lon = s.min_x + rng.float() * (s.max_x - s.min_x);
        lat = s.min_y + rng.float() * (s.max_y - s.min_y);
        if (booleanPointInPolygon([lon, lat], g)) break;
      }
      location = { lon, lat, source: rng.chance(0.7) ? "gps" : "map" };
    } else location = { postcode: postcodes[rng.int(postcodes.length)]! };
    items.push({
      id: `bench-${SEED}-${i.toString().padStart(6, "0")}-${rng.int(1e9).toString(36)}`,
      category: categories[rng.int(categories.length)]!,
      observedAt: new Date(now - Math.floor(rng.float() * 30 * 86_400_000)).toISOString(),
      location,
      ...(rng.chance(0.2) ? { note: notes[rng.int(notes.length)]! } : {}),
    });
  }
  return items;
}

interface RunTimes {
  readonly syncMs: number;
  readonly requests: number;
  readonly rewriteMs: number;
  readonly detectMs: number;
  readonly values: number;
}

async function oneRun(template: string, batch: number): Promise<RunTimes> {
  const dir = mkdtempSync(join(tmpdir(), "wijkradar-field-sync-"));
  try {
    const path = join(dir, "demo.duckdb");
    copyFileSync(template, path);
    const db = await Database.open({ path });
    const now = Date.now();
    const app = await buildApp({
      db,
      logLevel: "silent",
      // The rewrite is timed on its own below: no debounce timer during the sync, no run inside it.
      field: { ...FieldSchema.parse({}), syncDebounceMs: 600_000, detectAfterSync: false },
    });
    try {
      await app.server.listen({ port: 0, host: "127.0.0.1" });
      const addr = app.server.server.address();
      if (typeof addr !== "object" || addr === null) throw new Error("no address");
      const url = `http://127.0.0.1:${addr.port}`;
      const accounts = await createDemoAccounts(db, app.admin);
      const a = accounts.find((x) => x.username === "wijkwerker")!;
      const login = await fetch(`${url}/api/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: a.username, password: a.password }),
      });
      const { csrfToken } = (await login.json()) as { csrfToken: string };
      const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
      const items = await makeItems(db, now);
      const started = performance.now();
      let requests = 0;
      for (let i = 0; i < items.length; i += batch) {
        const res = await fetch(`${url}/api/observations`, {
          method: "POST",
          headers: { "content-type": "application/json", cookie, "x-csrf-token": csrfToken },
          body: JSON.stringify({ observations: items.slice(i, i + batch) }),
        });
        const body = (await res.json()) as { results: { status: string; problem?: string }[] };
        requests++;
        const bad = body.results.find((r) => r.status !== "stored");
        if (res.status !== 200 || bad) throw new Error(`sync failed: ${res.status} ${JSON.stringify(bad)}`);
      }
      const syncMs = performance.now() - started;
      const r0 = performance.now();
      const written = await app.observations.rewrite(2014, { actor: "bench", detect: false });
      const rewriteMs = performance.now() - r0;
      const ids = (
        await db.read((ex) =>
          ex.all<{ id: string }>("SELECT id FROM indicators WHERE starts_with(id, 'veld_')"),
        )
      ).map((r) => r.id);
      const d0 = performance.now();
      await app.detection.run({
        trigger: "observations",
        actor: "bench",
        indicators: ids,
        divisions: [2014],
      });
      const detectMs = performance.now() - d0;
      return { syncMs, requests, rewriteMs, detectMs, values: written.values };
    } finally {
      await app.close();
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function main(): Promise<BenchResult> {
  const began = performance.now();
  const runs = Math.max(1, Number(arg("runs") ?? 5));
  const template = arg("db") ?? (existsSync(DEMO_DB) ? DEMO_DB : TEMPLATE_FALLBACK);
  const modes = [
    { label: "1 request of 1,000", batch: 1000 },
    { label: "10 requests of 100", batch: 100 },
  ];
  const rows: (string | number)[][] = [];
  const raw: Record<string, RunTimes[]> = {};
  for (const mode of modes) {
    const times: RunTimes[] = [];
    for (let r = 0; r < runs; r++) {
      const t = await oneRun(template, mode.batch);
      log(
        `${mode.label}, run ${r + 1}: sync ${fmtMs(t.syncMs)}, rewrite ${fmtMs(t.rewriteMs)}, detection ${fmtMs(t.detectMs)}`,
      );
      times.push(t);
    }
    raw[mode.label] = times;
    const sync = times.map((t) => t.syncMs);
    rows.push([
      mode.label,
      fmtMs(median(sync)),
      `${fmtMs(Math.min(...sync))}–${fmtMs(Math.max(...sync))}`,
      verdict(median(sync), TARGET_MS),
      fmtMs(median(times.map((t) => t.rewriteMs))),
      fmtInt(median(times.map((t) => t.values))),
      fmtMs(median(times.map((t) => t.detectMs))),
    ]);
  }
  return {
    name: "field-sync",
    title: "7a. Syncing 1,000 field observations (issue 7) (`bench/field-sync.ts`)",
    command: `node --import tsx bench/field-sync.ts --runs ${runs}`,
    tables: [
      {
        title: `Sync over loopback HTTP to a fresh copy of the demo database (median of ${runs}; target ≤ 2 s), then the count rewrite and the detection run`,
        columns: [
          "requests",
          "sync (median)",
          "range",
          "≤ 2 s",
          "rewrite veld_* (median)",
          "values written",
          "detection run (median)",
        ],
        rows,
      },
    ],
    notes: [
      `${COUNT} observations, seed ${SEED}: half points in Almere's 2014 buurten, half postcodes; notes on 20 %; the demo field worker's session.`,
      "Sync: wall clock around the HTTP requests (validation, note screen, snapping, one transaction, audit). The rewrite (one delivery of every missing or touched week and month for all buurten of Almere, zeros included) and the detection run of the veld_* indicators follow the sync in the server, debounced; here they are timed on their own.",
      `Database: ${template}.`,
    ],
    raw,
    machine: machine(),
    durationMs: performance.now() - began,
  };
}

if (isMain(import.meta.url)) {
  main()
    .then(report)
    .catch((e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    });
}
