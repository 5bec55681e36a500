/**
 * The declarative mapping file that drives an import: which column holds the area code, where the
 * period comes from, and what each indicator column means. Written in YAML or JSON, validated here.
 * The mapping files of the bundled demo data (data/demo/mappings) are the documented examples.
 */
import { z } from "zod";
import { AREA_LEVELS } from "./area-codes.js";
import { IndicatorId, IndicatorMetaSchema, LocalisedText, SourceSchema } from "./catalogue.js";

/** A regular expression given as a string; checked to compile and to have one capture group. */
const CapturingRegex = z.string().superRefine((s, ctx) => {
  try {
    const groups = new RegExp(`${s}|`).exec("")!.length - 1;
    if (groups < 1) ctx.addIssue({ code: "custom", message: "needs one capture group (…) around the value" });
  } catch (e) {
    ctx.addIssue({ code: "custom", message: `is not a valid regular expression: ${(e as Error).message}` });
  }
});

/** Where a value comes from: a constant, a column (CSV) / property (GeoJSON), or the file's name. */
const ValueFrom = z.union([
  z.object({ value: z.union([z.string().min(1), z.number()]) }).strict(),
  z.object({ column: z.string().min(1), pattern: CapturingRegex.optional() }).strict(),
  z.object({ fromFileName: CapturingRegex }).strict(),
]);
export type ValueFrom = z.infer<typeof ValueFrom>;

const IndicatorColumn = IndicatorMetaSchema.extend({
  id: IndicatorId,
  column: z.string().min(1).optional().describe("column holding the value"),
  numerator: z.string().min(1).optional().describe("column holding the numerator (count)"),
  denominator: z.string().min(1).optional().describe("column holding the denominator (population)"),
  period: ValueFrom.optional().describe("overrides the mapping's period for this indicator"),
  optional: z
    .boolean()
    .default(false)
    .describe("the column may be absent from a file (e.g. a figure published in some years only)"),
})
  .strict()
  .superRefine((ind, ctx) => {
    if (!ind.column && !(ind.numerator && ind.denominator))
      ctx.addIssue({ code: "custom", message: "needs `column`, or both `numerator` and `denominator`" });
    if (!ind.column && (ind.kind === "count" || ind.kind === "index"))
      ctx.addIssue({
        code: "custom",
        message: `kind ${ind.kind} cannot be derived from numerator/denominator`,
      });
  });
export type IndicatorColumn = z.infer<typeof IndicatorColumn>;

const VariantValue = z
  .object({
    suffix: z.string().regex(/^[a-z0-9_]+$/, "lower-case letters, digits and '_'"),
    label: LocalisedText,
  })
  .strict();

export const MappingSchema = z
  .object({
    version: z.literal(1),
    description: z.string().optional(),
    source: SourceSchema,
    format: z.enum(["csv", "geojson", "topojson"]),
    csv: z
      .object({
        delimiter: z.enum(["auto", ",", ";", "\t", "|"]).default("auto"),
        decimal: z.enum(["auto", ".", ","]).default("auto"),
        encoding: z.enum(["auto", "utf-8", "cp1252"]).default("auto"),
      })
      .strict()
      .default({ delimiter: "auto", decimal: "auto", encoding: "auto" }),
    missing: z
      .array(z.string())
      .default([".", "", "-99999999", "-99999997", "x"])
      .describe("cell contents that mean 'no value'"),
    topojson: z
      .object({ object: z.string().min(1) })
      .strict()
      .optional(),
    filter: z
      .object({ column: z.string().min(1), equals: z.union([z.string(), z.number(), z.boolean()]) })
      .strict()
      .optional()
      .describe("import only the rows/features where this column has this value"),
    areas: z
      .object({
        code: z
          .string()
          .min(1)
          .describe(
            'column (CSV) or property (GeoJSON) with the area code; "auto": CBS/PDOK conventions (statcode, buurtcode, wijkcode, gemeentecode)',
          ),
        division: z
          .union([z.number().int().min(1900).max(2100), z.object({ fromFileName: CapturingRegex }).strict()])
          .describe("the year of the area division the codes belong to"),
        register: z
          .boolean()
          .default(false)
          .describe("this file defines the areas of its division (else unknown codes are errors)"),
        name: z
          .object({ column: z.string().min(1), levels: z.array(z.enum(AREA_LEVELS)).optional() })
          .strict()
          .optional()
          .describe("column with the area's name; `levels` limits it to rows of those levels"),
        geometry: z
          .boolean()
          .default(false)
          .describe("store the features' geometry as the division's boundaries (GeoJSON/TopoJSON)"),
      })
      .strict(),
    period: ValueFrom.optional(),
    variant: z
      .object({ column: z.string().min(1), values: z.record(z.string(), VariantValue) })
      .strict()
      .optional()
      .describe("one indicator per value of this column (e.g. age group): id gets `_<suffix>`"),
    indicators: z.array(IndicatorColumn).default([]),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.format === "topojson" && !m.topojson)
      ctx.addIssue({
        code: "custom",
        path: ["topojson"],
        message: "format topojson needs `topojson.object`",
      });
    if (m.indicators.length > 0 && !m.period && m.indicators.some((i) => !i.period))
      ctx.addIssue({ code: "custom", path: ["period"], message: "needed when an indicator has no period" });
    if (m.indicators.length === 0 && !m.areas.register)
      ctx.addIssue({
        code: "custom",
        path: ["indicators"],
        message: "nothing to import: no indicators and no areas",
      });
    if (m.areas.geometry && m.format === "csv")
      ctx.addIssue({ code: "custom", path: ["areas", "geometry"], message: "a CSV file has no geometry" });
    const seen = new Set<string>();
    m.indicators.forEach((ind, i) => {
      if (seen.has(ind.id))
        ctx.addIssue({
          code: "custom",
          path: ["indicators", i, "id"],
          message: `duplicate indicator id ${ind.id}`,
        });
      seen.add(ind.id);
    });
  });
export type Mapping = z.infer<typeof MappingSchema>;

/**
 * Formats zod issues as one line each: `path.to.field: message`, for a clear error that names the field.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => `${i.path.length ? i.path.join(".") : "(top level)"}: ${i.message}`);
}
