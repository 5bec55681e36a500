/**
 * generatePopulation: the synthetic municipality (or country) as the files a municipality has —
 * brp, uitkeringen, schuldhulp, verzuim, huurachterstand, jeugdhulp, wmo, minima, overlast (Parquet or
 * CSV), pc6_buurt.csv and manifest.json. Same seed and options → the same rows.
 *
 * Work is streamed per buurt: at most one buurt's persons exist as JS objects; rows go to the table
 * writer's appenders (an in-memory DuckDB that may spill to disk) and are copied to files at the end.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { TableWriter, type ColumnSpec, type OutputFormat, type WrittenFile } from "../store/table-writer.js";
import { BsnAllocator } from "./bsn.js";
import { largestRemainder, type CalibrationTargets, type GemeenteTarget } from "./calibration.js";
import { isoDate, parseIsoDate } from "./dates.js";
import { layoutGemeente } from "./layout.js";
import { emptyTally, generateBuurt, type GemeenteState, type RowSink, type Tally } from "./population.js";
import { Rng } from "./rng.js";

export const GENERATOR_VERSION = "1.0.0";

export interface GenerateOptions {
  readonly seed: number;
  /** Gemeente codes to generate (each must be in `targets`). */
  readonly gemeenten: readonly string[];
  readonly targets: CalibrationTargets;
  /** ISO date; the population is calibrated to this day (default 2026-01-01). */
  readonly referenceDate?: string;
  /** ISO date; start of the history window (default 2022-01-01). */
  readonly historyFrom?: string;
  /** Total residents to generate: scales every buurt (default: the real totals). */
  readonly persons?: number;
  readonly format?: OutputFormat;
  /** DuckDB memory limit of the writer (default 6GB; it spills beyond). */
  readonly memoryLimit?: string;
}

export interface GenerateProgress {
  readonly gemeente: string;
  readonly gemeenteIndex: number;
  readonly gemeenten: number;
  readonly personsDone: number;
  readonly personsTotal: number;
  readonly phase: "generate" | "write";
}

export interface CalibrationCheck {
  readonly measure: string;
  readonly target: number;
  readonly generated: number;
  /** Allowed absolute difference (in the measure's unit) the tests hold the generator to. */
  readonly tolerance: number;
  readonly source: string;
}

export interface GemeenteReport {
  readonly code: string;
  readonly name: string | null;
  readonly buurten: number;
  readonly pc6: number;
  readonly hotPc6: readonly string[];
  readonly hotBuurten: readonly string[];
  readonly checks: readonly CalibrationCheck[];
}

export interface GenerateReport {
  readonly generatorVersion: string;
  readonly seed: number;
  readonly gemeenten: readonly string[];
  readonly referenceDate: string;
  readonly historyWindow: readonly [string, string];
  readonly format: OutputFormat;
  readonly persons: number;
  readonly scale: number;
  readonly files: readonly { file: string; rows: number; bytes: number }[];
  readonly calibration: readonly GemeenteReport[];
  readonly durationMs: number;
}

const D = "date" as const;
const V = "varchar" as const;
export const FILE_COLUMNS: Readonly<Record<string, readonly ColumnSpec[]>> = {
  brp: [
    { name: "bsn", kind: V },
    { name: "adres_id", kind: V },
    { name: "huishouden_id", kind: V },
    { name: "postcode", kind: V },
    { name: "geboortedatum", kind: D },
    { name: "geslacht", kind: V },
    { name: "huishouden_grootte", kind: "integer" },
    { name: "huishouden_type", kind: V },
    { name: "ingangsdatum", kind: D },
    { name: "einddatum", kind: D },
  ],
  uitkeringen: [
    { name: "bsn", kind: V },
    { name: "regeling", kind: V },
    { name: "ingangsdatum", kind: D },
    { name: "einddatum", kind: D },
    { name: "bedrag_per_maand", kind: "double" },
  ],
  schuldhulp: [
    { name: "bsn", kind: V },
    { name: "ingangsdatum", kind: D },
    { name: "einddatum", kind: D },
    { name: "schuld_totaal", kind: "double" },
  ],
  verzuim: [
    { name: "bsn", kind: V },
    { name: "soort", kind: V },
    { name: "meldingsdatum", kind: D },
  ],
  huurachterstand: [
    { name: "adres_id", kind: V },
    { name: "ingangsdatum", kind: D },
    { name: "einddatum", kind: D },
    { name: "achterstand_bedrag", kind: "double" },
  ],
  jeugdhulp: [
    { name: "bsn", kind: V },
    { name: "soort", kind: V },
    { name: "ingangsdatum", kind: D },
    { name: "einddatum", kind: D },
  ],
  wmo: [
    { name: "bsn", kind: V },
    { name: "voorziening", kind: V },
    { name: "ingangsdatum", kind: D },
    { name: "einddatum", kind: D },
  ],
  minima: [
    { name: "huishouden_id", kind: V },
    { name: "ingangsdatum", kind: D },
    { name: "einddatum", kind: D },
  ],
  overlast: [
    { name: "adres_id", kind: V },
    { name: "postcode", kind: V },
    { name: "categorie", kind: V },
    { name: "meldingsdatum", kind: D },
  ],
};

/** Tolerances of the calibration checks (absolute, in the measure's unit). */
export const TOLERANCE = {
  persons: 0,
  agePct: 1,
  meanHouseholdSize: 0.1,
  singlePct: 5,
  minimaPct: 1,
  per1000: 3,
  jeugdhulpPct: 1.5,
};

function checks(g: GemeenteTarget, t: Tally, persons: number): CalibrationCheck[] {
  const src = (id: string) => g.sources[id] ?? "";
  const r = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
  const per1000 = (n: number) => (t.persons > 0 ? (1000 * n) / t.persons : 0);
  const out: CalibrationCheck[] = [
    {
      measure: "persons",
      target: persons,
      generated: t.persons,
      tolerance: 0,
      source: src("aantal_inwoners"),
    },
    ...["pct_0_15_jaar", "pct_15_25_jaar", "pct_25_45_jaar", "pct_45_65_jaar", "pct_65plus"].map((id, i) => ({
      measure: id,
      target: r(100 * g.ageShares[i]!),
      generated: r(t.persons > 0 ? (100 * t.bands[i]!) / t.persons : 0),
      tolerance: TOLERANCE.agePct,
      source: src(id),
    })),
    {
      measure: "gem_huishoudensgrootte",
      target: r(g.meanHouseholdSize),
      generated: r(t.households > 0 ? t.persons / t.households : 0),
      tolerance: TOLERANCE.meanHouseholdSize,
      source: src("huishoudens"),
    },
    {
      measure: "pct_eenpersoonshuishoudens",
      target: r(100 * g.singleShare),
      generated: r(t.households > 0 ? (100 * t.singles) / t.households : 0),
      tolerance: TOLERANCE.singlePct,
      source: src("pct_eenpersoonshuishoudens"),
    },
    {
      measure: "pct_rond_sociaal_minimum (minima households)",
      target: r(100 * g.rates.minimaHouseholds),
      generated: r(t.households > 0 ? (100 * t.minima) / t.households : 0),
      tolerance: TOLERANCE.minimaPct,
      source: src("pct_rond_sociaal_minimum"),
    },
    {
      measure: "bijstand_per_1000",
      target: r(g.rates.bijstandPer1000),
      generated: r(per1000(t.bijstand)),
      tolerance: TOLERANCE.per1000,
      source: src("bijstand_per_1000"),
    },
    {
      measure: "ww_per_1000",
      target: r(g.rates.wwPer1000),
      generated: r(per1000(t.ww)),
      tolerance: TOLERANCE.per1000,
      source: src("ww_per_1000"),
    },
    {
      measure: "wmo_per_1000",
      target: r(g.rates.wmoPer1000),
      generated: r(per1000(t.wmo)),
      tolerance: TOLERANCE.per1000,
      source: src("wmo_per_1000"),
    },
    {
      measure: "pct_jongeren_jeugdzorg (0–17, last 12 months)",
      target: r(g.rates.jeugdhulpPct),
      generated: r(t.children > 0 ? (100 * t.jeugdhulpYear) / t.children : 0),
      tolerance: TOLERANCE.jeugdhulpPct,
      source: src("pct_jongeren_jeugdzorg"),
    },
  ];
  return out;
}

/**
 * Generates the files into `outDir` and writes manifest.json; returns the report (also in the
 * manifest).
 */
export async function generatePopulation(
  options: GenerateOptions,
  outDir: string,
  onProgress?: (p: GenerateProgress) => void,
): Promise<GenerateReport> {
  const started = performance.now();
  const seed = options.seed;
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const referenceDate = options.referenceDate ?? "2026-01-01";
  const historyFrom = options.historyFrom ?? "2022-01-01";
  const window = { from: parseIsoDate(historyFrom), ref: parseIsoDate(referenceDate) };
  if (window.ref - window.from < 60) throw new Error("the history window must be at least 60 days");
  const format = options.format ?? "parquet";
  const byCode = new Map(options.targets.gemeenten.map((g) => [g.code, g]));
  const gemeenten = [...new Set(options.gemeenten)].sort().map((c) => {
    const g = byCode.get(c);
    if (!g) throw new Error(`no calibration targets for gemeente ${c} (is it in the database?)`);
    return g;
  });
  if (gemeenten.length === 0) throw new Error("no gemeenten to generate");
  const realTotal = gemeenten.reduce((s, g) => s + g.persons, 0);
  const wanted = options.persons ?? realTotal;
  if (!Number.isInteger(wanted) || wanted < 1) throw new Error(`persons must be a positive integer`);
  const scale = wanted / realTotal;
  // Scaled populations: per gemeente, then per buurt (largest remainder, so totals are exact).
  const gemeentePersons = largestRemainder(
    gemeenten.map((g) => g.persons * scale),
    wanted,
  );

  const writer = await TableWriter.open(outDir, format, { memoryLimit: options.memoryLimit ?? "6GB" });
  try {
    for (const [name, cols] of Object.entries(FILE_COLUMNS)) await writer.define(name, cols);
    const sink: RowSink = writer;
    const bsn = new BsnAllocator(seed);
    const pc6Rows: string[] = ["postcode,jaar,buurtcode,indeling"];
    const reports: GemeenteReport[] = [];
    let done = 0;
    const refYear = Number(referenceDate.slice(0, 4));
    for (let gi = 0; gi < gemeenten.length; gi++) {
      const g = gemeenten[gi]!;
      const persons = largestRemainder(
        g.buurten.map((b) => (g.persons > 0 ? (b.persons * gemeentePersons[gi]!) / g.persons : 0)),
        gemeentePersons[gi]!,
      );
      const layout = layoutGemeente(seed, g, persons);
      for (const p of layout.pc6) {
        const b = g.buurten[p.buurt]!;
        pc6Rows.push(`${p.code},${refYear},${b.code},${b.indeling}`);
      }
      const state: GemeenteState = { code4: g.code.slice(2, 6), nextAddress: 1_000_001, nextHousehold: 1 };
      const tally = emptyTally();
      for (let bi = 0; bi < g.buurten.length; bi++) {
        const b = g.buurten[bi]!;
        generateBuurt({
          rng: new Rng(seed, `buurt:${g.code}:${b.code}`),
          buurtIndex: bi,
          target: b,
          persons: persons[bi]!,
          rates: g.rates,
          layout,
          state,
          bsn,
          window,
          sink,
          tally,
        });
        done += persons[bi]!;
        onProgress?.({
          gemeente: g.code,
          gemeenteIndex: gi,
          gemeenten: gemeenten.length,
          personsDone: done,
          personsTotal: wanted,
          phase: "generate",
        });
        // Let the event loop breathe between buurten (progress bars, signals).
        if (bi % 16 === 15) await new Promise((r) => setImmediate(r));
      }
      reports.push({
        code: g.code,
        name: g.name,
        buurten: g.buurten.filter((_, i) => persons[i]! > 0).length,
        pc6: layout.pc6.length,
        hotPc6: layout.hotCodes,
        hotBuurten: g.buurten.filter((b) => b.hotPc6 > 0).map((b) => b.code),
        checks: checks(g, tally, gemeentePersons[gi]!),
      });
    }
    onProgress?.({
      gemeente: "",
      gemeenteIndex: gemeenten.length,
      gemeenten: gemeenten.length,
      personsDone: done,
      personsTotal: wanted,
      phase: "write",
    });
    const written: WrittenFile[] = await writer.finish();
    const pc6File = join(outDir, "pc6_buurt.csv");
    writeFileSync(pc6File, `${pc6Rows.join("\n")}\n`);
    const files = [
      ...written.map((w) => ({ file: w.file.slice(outDir.length + 1), rows: w.rows, bytes: w.bytes })),
      { file: "pc6_buurt.csv", rows: pc6Rows.length - 1, bytes: Buffer.byteLength(pc6Rows.join("\n")) + 1 },
    ];
    const report: GenerateReport = {
      generatorVersion: GENERATOR_VERSION,
      seed,
      gemeenten: gemeenten.map((g) => g.code),
      referenceDate: isoDate(window.ref),
      historyWindow: [isoDate(window.from), isoDate(window.ref)],
      format,
      persons: wanted,
      scale,
      files,
      calibration: reports,
      durationMs: performance.now() - started,
    };
    const { durationMs: _omit, ...manifest } = report;
    writeFileSync(
      join(outDir, "manifest.json"),
      `${JSON.stringify({ ...manifest, synthetic: true, periods: "half-open [ingangsdatum, einddatum); empty einddatum = open-ended" }, null, 2)}\n`,
    );
    return report;
  } finally {
    writer.close();
  }
}
