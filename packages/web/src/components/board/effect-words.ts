/**
 * An effect estimate in words: "daling van 2,1 (95 %-interval −3,5 tot −0,7)", or the honest verdict
 * when the data cannot tell yet (no period after the start, too few comparison areas, or an interval
 * that contains 0 — then with the smallest effect the comparison could have seen).
 */
import type { TFunction } from "i18next";
import type { EffectEstimate } from "../../api/field-work";
import { formatNumber, type Lang } from "../../lib/format";

/** Numbers with a real minus sign (−), as the Dutch and English texts write them. */
function signed(value: number, lang: Lang, decimals: number): string {
  return formatNumber(value, lang, decimals).replace(/^-/, "−");
}

export interface EffectWords {
  /** True when there is an estimate whose interval excludes 0. */
  readonly measurable: boolean;
  readonly text: string;
}

export function effectInWords(
  result: Pick<EffectEstimate, "verdict" | "estimate" | "lower" | "upper" | "mde" | "comparisonCount">,
  lang: Lang,
  t: TFunction,
  decimals = 1,
  unit = "",
): EffectWords {
  const n = (v: number | null | undefined) =>
    v === null || v === undefined ? "–" : signed(v, lang, decimals);
  const u =
    unit && unit !== "aantal" ? (unit === "%" ? ` ${t("interventions.effect.points")}` : ` ${unit}`) : "";
  if (result.verdict === "no-data-after")
    return { measurable: false, text: t("interventions.effect.noAfter") };
  if (result.verdict === "no-baseline")
    return { measurable: false, text: t("interventions.effect.noBefore") };
  if (result.verdict === "too-few-comparison")
    return {
      measurable: false,
      text: t("interventions.effect.tooFew", { count: result.comparisonCount ?? 0 }),
    };
  if (result.estimate === null) return { measurable: false, text: t("interventions.effect.noAfter") };
  const interval = t("interventions.effect.interval", { lower: n(result.lower), upper: n(result.upper) });
  const direction = result.estimate < 0 ? "decrease" : result.estimate > 0 ? "increase" : "none";
  const estimate = t(`interventions.effect.${direction}`, {
    value: `${n(Math.abs(result.estimate))}${u}`,
    interval,
  });
  if (result.verdict === "effect") return { measurable: true, text: estimate };
  const mde =
    result.mde !== null && result.mde !== undefined
      ? ` ${t("interventions.effect.mde", { mde: `${n(Math.abs(result.mde))}${u}` })}`
      : "";
  return { measurable: false, text: `${t("interventions.effect.containsZero", { estimate })}${mde}` };
}
