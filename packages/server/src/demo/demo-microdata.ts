/**
 * The demo's microdata: a synthetic Almere (GM0034, ~220,000 residents) generated at first start —
 * calibrated to the bundled open figures already in the database — and imported through the real
 * vault path: source registry (data/demo/microdata/sources.yaml), PC6 lookup, and one microdata
 * import per source with its mapping, pseudonymised with the installation's key for purpose
 * `wijkaanpak` (created beside the database when there is none), then the example profiles of
 * data/demo/profiles. The generated files hold synthetic
 * identifiers only and are removed when the import is done.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { ProfileDefinitionSchema } from "@wijkradar/core";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_DIR } from "./demo-loader.js";
import { readCalibrationInputs } from "../store/calibration-repository.js";
import { getSetting, setSetting } from "../store/catalogue-repository.js";
import { listVaultSources } from "../store/vault-repository.js";
import type { Database } from "../store/database.js";
import { calibrate, generatePopulation } from "../synth/index.js";
import { importMicrodata, type MicrodataImportReport } from "../vault/import-microdata.js";
import { createKeyFile, defaultKeyFile, loadKeyRing, type KeyRing } from "../vault/keys.js";
import { importPc6Lookup, parseRegistrations, registerSources } from "../vault/registry.js";
import { parseYamlWith } from "../yaml-input.js";
import { saveProfile } from "../store/profile-repository.js";

const SETTING = "demo-microdata";
export const DEMO_GEMEENTE = "GM0034";
export const DEMO_SEED = 20_260_101;
export const DEMO_KEY_PURPOSE = "wijkaanpak";

/** Microdata files in import order (the register first) with their mappings. */
export const DEMO_MICRODATA = [
  "brp",
  "uitkeringen",
  "schuldhulp",
  "verzuim",
  "huurachterstand",
  "jeugdhulp",
  "wmo",
  "minima",
  "overlast",
] as const;

export interface DemoMicrodataStep {
  readonly step: string;
  readonly index: number;
  readonly total: number;
  readonly fraction: number;
}

/** The key ring, with a new key file for the demo's purpose when no key for it is configured. */
export function demoKeys(
  config: { readonly keyFile?: string; readonly db: string },
  env: Readonly<Record<string, string | undefined>>,
): KeyRing {
  const ring = loadKeyRing(config, env);
  if (ring.has(DEMO_KEY_PURPOSE)) return ring;
  const path = config.keyFile ?? defaultKeyFile(config.db);
  return ring.withPurposes(createKeyFile(path, DEMO_KEY_PURPOSE));
}

/**
 * Generates and imports the demo microdata once (the `demo-microdata` setting records it). Needs the
 * open data of the demo in the database (for the calibration). Returns the import reports (empty
 * when already done).
 */
export async function loadDemoMicrodata(
  db: Database,
  keys: () => KeyRing,
  onProgress?: (s: DemoMicrodataStep) => void,
  options: { readonly dir?: string; readonly persons?: number } = {},
): Promise<MicrodataImportReport[]> {
  if ((await getSetting(db, SETTING)) === "complete") return [];
  // Only beside the demo's open data, and never into a vault that holds sources of its own: a real
  // installation (its own deliveries, its own registry) never gets a synthetic municipality.
  if ((await getSetting(db, "demo")) !== "complete") return [];
  if ((await listVaultSources(db)).some((s) => !s.synthetic)) return [];
  const dir = options.dir ?? DEMO_DIR;
  const ring = keys();
  const total = DEMO_MICRODATA.length + 2;
  const work = mkdtempSync(join(tmpdir(), "wijkradar-synth-"));
  try {
    const targets = calibrate(await readCalibrationInputs(db, [DEMO_GEMEENTE]));
    await generatePopulation(
      {
        seed: DEMO_SEED,
        gemeenten: [DEMO_GEMEENTE],
        targets,
        format: "parquet",
        ...(options.persons ? { persons: options.persons } : {}),
      },
      work,
      (p) =>
        onProgress?.({
          step: "generate",
          index: 0,
          total,
          fraction: p.personsTotal ? p.personsDone / p.personsTotal : 0,
        }),
    );
    const sourcesFile = join(dir, "microdata", "sources.yaml");
    await registerSources(
      db,
      parseRegistrations(readFileSync(sourcesFile, "utf8"), "sources.yaml"),
      "wijkradar demo",
      new Date(),
    );
    await importPc6Lookup(db, join(work, "pc6_buurt.csv"));
    onProgress?.({ step: "pc6_buurt.csv", index: 1, total, fraction: 1 });
    const reports: MicrodataImportReport[] = [];
    for (const [i, name] of DEMO_MICRODATA.entries()) {
      reports.push(
        await importMicrodata(db, {
          file: join(work, `${name}.parquet`),
          mappingFile: join(dir, "microdata", `${name}.yaml`),
          keys: ring,
          onProgress: (_phase, fraction) =>
            onProgress?.({ step: `${name}.parquet`, index: i + 2, total, fraction }),
        }),
      );
    }
    // The example profiles (docs/profiles.md), so the demo shows them on the map at once.
    const profileDir = join(dir, "profiles");
    for (const f of readdirSync(profileDir)
      .filter((n) => n.endsWith(".yaml"))
      .sort())
      await saveProfile(
        db,
        parseYamlWith(ProfileDefinitionSchema, readFileSync(join(profileDir, f), "utf8"), f, "profile"),
        "wijkradar demo",
      );
    await setSetting(db, SETTING, "complete");
    await db.checkpoint();
    return reports;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
