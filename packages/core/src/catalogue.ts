/**
 * The indicator catalogue and source registry contracts, defined once with zod and shared by the
 * importer (mapping files), the store and the API.
 */
import { z } from "zod";

export const DOMAINS = [
  "population",
  "income",
  "debts",
  "work",
  "youth",
  "education",
  "safety",
  "health",
  "housing",
  "physical-environment",
] as const;
export type Domain = (typeof DOMAINS)[number];

/** Which direction of an indicator is unfavourable; drives colours and one-sided tests. */
export const POLARITIES = ["higher-is-worse", "higher-is-better", "neutral"] as const;
export type Polarity = (typeof POLARITIES)[number];

export const KINDS = ["count", "percentage", "rate-per-1000", "mean", "index"] as const;
export type IndicatorKind = (typeof KINDS)[number];

/** Multiplier from numerator/denominator to the value, per kind (undefined: not a ratio). */
export const KIND_SCALE: Readonly<Record<IndicatorKind, number | undefined>> = {
  count: undefined,
  percentage: 100,
  "rate-per-1000": 1000,
  mean: 1,
  index: undefined,
};

export const LocalisedText = z
  .object({ nl: z.string().min(1), en: z.string().min(1) })
  .strict()
  .describe("text in Dutch (nl) and English (en)");
export type LocalisedText = z.infer<typeof LocalisedText>;

export const SourceId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "lower-case letters, digits and '-', 2 to 63 characters");

/** A registered source of aggregate data with its attribution (CC BY requires it at every figure). */
export const SourceSchema = z
  .object({
    id: SourceId,
    name: z.string().min(1),
    publisher: z.string().min(1),
    attribution: z.string().min(1).describe('the line shown with every figure, e.g. "Bron: CBS"'),
    licence: z.string().min(1),
    url: z.string().url().optional(),
    open: z
      .boolean()
      .default(false)
      .describe("open data, published already disclosure-controlled by its publisher"),
    personal: z
      .boolean()
      .optional()
      .describe(
        "whether its counts are about people (residents, households); absent: yes. A source that is not open passes minimum-frequency suppression only when false (e.g. reports about places: dumping, litter)",
      ),
  })
  .strict();
export type Source = z.infer<typeof SourceSchema>;

export const IndicatorId = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,79}$/, "lower-case letters, digits and '_', starting with a letter");

/** Catalogue metadata of one indicator. */
export const IndicatorMetaSchema = z
  .object({
    name: LocalisedText,
    definition: LocalisedText.optional(),
    unit: z.string().min(1).describe('e.g. "%", "per 1.000 inwoners", "aantal", "x 1.000 euro"'),
    domain: z.enum(DOMAINS),
    polarity: z.enum(POLARITIES),
    kind: z.enum(KINDS),
    decimals: z.number().int().min(0).max(6).default(1),
  })
  .strict();
export type IndicatorMeta = z.infer<typeof IndicatorMetaSchema>;

/** An indicator as the catalogue holds it. */
export interface Indicator extends IndicatorMeta {
  readonly id: string;
  readonly sourceId: string;
}
