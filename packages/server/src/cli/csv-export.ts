/**
 * CSV export of released values (the body of GET /api/indicators/{id}/values): one row per area, the
 * attribution as the first line (CC BY requires it with every copy), RFC 4180 quoting.
 */
import type { ValuesResponse } from "../services/cube-service.js";

const cell = (v: unknown): string => {
  if (v === null || v === undefined) return "";
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

export function toCsv(body: ValuesResponse): string {
  const ind = body.indicator;
  const lines = [
    `# ${body.source.attribution} (${body.source.licence}); ${ind.name.nl}, ${ind.unit}; periode ${body.period}; indeling ${body.division}`,
    [
      "code",
      "naam",
      "naam_uit_indeling",
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
  const national = (body.references.national as { value?: number } | null)?.value;
  for (const v of body.values) {
    const parentValue = v.parent
      ? (body.references.parents[v.parent] as { value?: number } | undefined)?.value
      : undefined;
    lines.push(
      [
        v.code,
        v.name,
        v.nameDivision ?? (v.name ? body.division : null),
        body.level,
        body.period,
        v.value,
        v.status,
        v.numerator,
        v.denominator,
        v.derived ?? false,
        v.parent,
        parentValue,
        national,
      ]
        .map(cell)
        .join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}
