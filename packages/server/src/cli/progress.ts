/**
 * Progress bars on stderr for long work (first start, imports). On a terminal: a live bar; otherwise
 * (CI, logs) a line per step so the output stays readable.
 */
import { basename } from "node:path";
import cliProgress from "cli-progress";
import type { ImportPhase } from "../ingest/import-service.js";

const PHASE_WEIGHT: Record<ImportPhase, [number, number]> = {
  read: [0, 0.05],
  parse: [0.05, 0.35],
  validate: [0.35, 0.6],
  write: [0.6, 1],
};

export interface ProgressReporter {
  step(index: number, total: number, file: string, phase: ImportPhase, fraction: number): void;
  stop(): void;
}

export function progressReporter(
  title: string,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressReporter {
  if (!stream.isTTY) {
    let last = -1;
    return {
      step(index, total, file, phase, fraction) {
        if (phase === "write" && fraction === 1 && index !== last) {
          last = index;
          stream.write(`${title}: ${index + 1}/${total} ${basename(file)}\n`);
        }
      },
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `${title} [{bar}] {percentage}% | {step} | {file}`,
      hideCursor: true,
      stream,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1000, 0, { step: "", file: "" });
  return {
    step(index, total, file, phase, fraction) {
      const [a, b] = PHASE_WEIGHT[phase];
      const within = a + (b - a) * fraction;
      bar.update(Math.round(((index + within) / total) * 1000), {
        step: `${index + 1}/${total} ${phase}`,
        file: basename(file),
      });
    },
    stop: () => bar.stop(),
  };
}
