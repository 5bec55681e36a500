/**
 * Calendar helpers for field work: the ISO week and month an observation falls in (the periods of
 * the `veld_*_week` and `veld_*_maand` indicators), runs of consecutive weeks and months, and the
 * split of an indicator's periods into before and after an intervention's start (ADR 0008
 * "Effects"). Dates are "YYYY-MM-DD" strings and are computed as day numbers (no `Date`, no clock).
 */
import { daysFromCivil, isoWeekMonday, isoWeekOfDay } from "../detect/engine-counts.js";
import { PERIOD_FORM } from "../periods.js";

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const WEEK = /^(\d{4})-W(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;
const QUARTER = /^(\d{4})-Q([1-4])$/;
const YEAR = /^(\d{4})$/;

/** Days in a month of the proleptic Gregorian calendar. */
function daysInMonth(year: number, month: number): number {
  return month === 12 ? 31 : daysFromCivil(year, month + 1, 1) - daysFromCivil(year, month, 1);
}

/** Days since 1970-01-01 of a "YYYY-MM-DD" date; a RangeError naming `name` when it is not a real date. */
function dayOf(name: string, date: string): number {
  const m = typeof date === "string" ? DATE.exec(date) : null;
  const year = Number(m?.[1]);
  const month = Number(m?.[2]);
  const day = Number(m?.[3]);
  if (!m || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new RangeError(`${name} must be a date YYYY-MM-DD (e.g. 2026-11-23), got ${JSON.stringify(date)}`);
  }
  return daysFromCivil(year, month, day);
}

/** Days since 1970-01-01 of the Monday of an ISO week "YYYY-Www"; a RangeError naming `name` otherwise. */
function weekMondayOf(name: string, week: string): number {
  const m = typeof week === "string" ? WEEK.exec(week) : null;
  const monday = m ? isoWeekMonday(Number(m[1]), Number(m[2])) : NaN;
  if (Number.isNaN(monday)) {
    throw new RangeError(
      `${name} must be an ISO week YYYY-Www of a year that has it (e.g. 2026-W48), got ${JSON.stringify(week)}`,
    );
  }
  return monday;
}

/** Months since year 0 of a month "YYYY-MM"; a RangeError naming `name` otherwise. */
function monthIndexOf(name: string, month: string): number {
  const m = typeof month === "string" ? MONTH.exec(month) : null;
  const mm = Number(m?.[2]);
  if (!m || mm < 1 || mm > 12) {
    throw new RangeError(`${name} must be a month YYYY-MM (e.g. 2026-11), got ${JSON.stringify(month)}`);
  }
  return Number(m[1]) * 12 + mm - 1;
}

const monthLabel = (index: number): string =>
  `${String(Math.floor(index / 12)).padStart(4, "0")}-${String((index % 12) + 1).padStart(2, "0")}`;

/**
 * The ISO 8601 week a date falls in: weeks start on Monday and week 1 is the week with the year's
 * first Thursday, so early January can belong to the previous ISO year and late December to the next.
 *
 * @example isoWeekOf("2026-11-20") // "2026-W47"
 * @example isoWeekOf("2021-01-03") // "2020-W53"
 * @example isoWeekOf("2024-12-30") // "2025-W01"
 */
export function isoWeekOf(date: string): string {
  return isoWeekOfDay(dayOf("date", date));
}

/**
 * The calendar month a date falls in.
 *
 * @example monthOf("2026-11-20") // "2026-11"
 */
export function monthOf(date: string): string {
  dayOf("date", date);
  return date.slice(0, 7);
}

/**
 * The ISO weeks from `fromWeek` to `toWeek`, both included, in order (across year ends, including
 * week 53 where a year has it). A RangeError names the parameter that is not a week, or says that
 * `fromWeek` is after `toWeek`.
 *
 * @example weeksBetween("2020-W52", "2021-W02") // ["2020-W52", "2020-W53", "2021-W01", "2021-W02"]
 */
export function weeksBetween(fromWeek: string, toWeek: string): string[] {
  const from = weekMondayOf("fromWeek", fromWeek);
  const to = weekMondayOf("toWeek", toWeek);
  if (from > to) throw new RangeError(`fromWeek (${fromWeek}) must not be after toWeek (${toWeek})`);
  const weeks: string[] = [];
  for (let day = from; day <= to; day += 7) weeks.push(isoWeekOfDay(day));
  return weeks;
}

/**
 * The months from `from` to `to` ("YYYY-MM"), both included, in order. A RangeError names the
 * parameter that is not a month, or says that `from` is after `to`.
 *
 * @example monthsBetween("2025-11", "2026-02") // ["2025-11", "2025-12", "2026-01", "2026-02"]
 */
export function monthsBetween(from: string, to: string): string[] {
  const first = monthIndexOf("from", from);
  const last = monthIndexOf("to", to);
  if (first > last) throw new RangeError(`from (${from}) must not be after to (${to})`);
  const months: string[] = [];
  for (let i = first; i <= last; i++) months.push(monthLabel(i));
  return months;
}

/**
 * The first and last day (days since 1970-01-01, both included) of a year ("2020"), quarter
 * ("2020-Q1"), month ("2020-03") or ISO week ("2020-W11"); undefined for anything else.
 *
 * @example periodDays("2020-Q1") // { first: 18262, last: 18352 } (2020-01-01 … 2020-03-31)
 */
export function periodDays(period: string): { first: number; last: number } | undefined {
  let m = YEAR.exec(period);
  if (m) {
    const y = Number(m[1]);
    return { first: daysFromCivil(y, 1, 1), last: daysFromCivil(y, 12, 31) };
  }
  m = QUARTER.exec(period);
  if (m) {
    const y = Number(m[1]);
    const firstMonth = (Number(m[2]) - 1) * 3 + 1;
    return {
      first: daysFromCivil(y, firstMonth, 1),
      last: daysFromCivil(y, firstMonth + 2, daysInMonth(y, firstMonth + 2)),
    };
  }
  m = MONTH.exec(period);
  if (m) {
    const y = Number(m[1]);
    const mm = Number(m[2]);
    if (mm < 1 || mm > 12) return undefined;
    return { first: daysFromCivil(y, mm, 1), last: daysFromCivil(y, mm, daysInMonth(y, mm)) };
  }
  m = WEEK.exec(period);
  if (m) {
    const monday = isoWeekMonday(Number(m[1]), Number(m[2]));
    return Number.isNaN(monday) ? undefined : { first: monday, last: monday + 6 };
  }
  return undefined;
}

/**
 * Splits an indicator's periods around an intervention's start: `before` holds the periods that end
 * before `startDate`, `after` those that start on or after it; a period that contains the start date
 * belongs to neither (it mixes both states). Years, quarters, months and ISO weeks may be given; each
 * list is in chronological order without duplicates. `endDate` (optional) is checked (a date, not
 * before `startDate`) but does not cut the after window: an effect is followed after the
 * intervention ends too. A RangeError names `periods[i]`, `startDate` or `endDate` when one is not
 * of its form.
 *
 * @example splitPeriods(["2019", "2020", "2021", "2022"], "2021-01-01") // { before: ["2019", "2020"], after: ["2021", "2022"] }
 * @example splitPeriods(["2020", "2021", "2022"], "2021-03-15") // { before: ["2020"], after: ["2022"] }
 */
export function splitPeriods(
  periods: readonly string[],
  startDate: string,
  endDate?: string,
): { before: string[]; after: string[] } {
  const start = dayOf("startDate", startDate);
  if (endDate !== undefined && dayOf("endDate", endDate) < start) {
    throw new RangeError(`endDate (${endDate}) must not be before startDate (${startDate})`);
  }
  const spans = new Map<string, { first: number; last: number }>();
  periods.forEach((period, i) => {
    const days = typeof period === "string" ? periodDays(period) : undefined;
    if (days === undefined) {
      throw new RangeError(`periods[${i}] must be ${PERIOD_FORM}, got ${JSON.stringify(period)}`);
    }
    spans.set(period, days);
  });
  const ordered = [...spans].sort(
    ([a, x], [b, y]) => x.first - y.first || x.last - y.last || (a < b ? -1 : a > b ? 1 : 0),
  );
  return {
    before: ordered.filter(([, d]) => d.last < start).map(([p]) => p),
    after: ordered.filter(([, d]) => d.first >= start).map(([p]) => p),
  };
}
