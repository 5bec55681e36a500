/**
 * Periods: a year ("2020"), a quarter ("2020-Q1"), a month ("2020-03") or an ISO week ("2020-W11").
 * They sort as strings within one granularity.
 */
const PERIOD = /^(\d{4})(?:-(Q[1-4]|0[1-9]|1[0-2]|W(?:0[1-9]|[1-4]\d|5[0-3])))?$/;

/** The expected form of a period, for error messages. */
export const PERIOD_FORM = "a year (2020), quarter (2020-Q1), month (2020-03) or ISO week (2020-W11)";

/**
 * Normalises a period as found in source files, or returns `undefined` when it is not one.
 * CBS StatLine writes years as `2020JJ00`, quarters as `2020KW01`, months as `2020MM03`.
 *
 * @example normalisePeriod("2020JJ00") // "2020"
 * @example normalisePeriod(" 2020MM03 ") // "2020-03"
 */
export function normalisePeriod(raw: string): string | undefined {
  const s = raw.trim().toUpperCase();
  const cbs = /^(\d{4})(JJ|KW|MM)(\d{2})$/.exec(s);
  let p = s;
  if (cbs) {
    const [, y, kind, n] = cbs;
    if (kind === "JJ" && n === "00") p = y!;
    else if (kind === "KW") p = `${y}-Q${Number(n)}`;
    else if (kind === "MM") p = `${y}-${n}`;
    else return undefined;
  }
  return PERIOD.test(p) ? p : undefined;
}
