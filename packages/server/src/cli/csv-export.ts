/**
 * CSV export of released values: one row per area, the attribution as the first line (CC BY requires
 * it with every copy), RFC 4180 quoting.
 */
import type { ReleaseResult } from "../release/release-service.js";
import type { ResolvedSlice } from "../services/cube-service.js";
import type { IndicatorRow } from "../store/catalogue-repository.js";

const cell = (v: unknown): string => {
  if (v === null || v === undefined) return "";
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

export function toCsv(ind: IndicatorRow, slice: ResolvedSlice, r: ReleaseResult): string {
  const lines = [
    `# ${ind.source.attribution} (${ind.source.licence}); ${ind.name.nl}, ${ind.unit}; periode ${slice.period}; indeling ${slice.division}`,
    [
      "code",
      "naam",
      "niveau",
      "periode",
      "waarde",
      "status",
      "teller",
      "noemer",
      "afgeleid",
      "ouder",
      "ouder_waarde",
      "nederland_waarde",
    ].join(","),
  ];
  for (const v of r.values) {
    lines.push(
      [
        v.code,
        v.name,
        v.level,
        v.period,
        v.value,
        v.status,
        v.numerator,
        v.denominator,
        v.derived,
        v.parent?.code,
        v.parent?.value,
        v.national?.value,
      ]
        .map(cell)
        .join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}
