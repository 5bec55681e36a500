import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoWeekOf, monthOf, monthsBetween, splitPeriods, weeksBetween } from "../src/field/periods.js";

const RUNS = { seed: 3, numRuns: 500 };
const DAY = 86_400_000;

// ---------------------------------------------------------------------------------------------
// A reference implementation with JS Date arithmetic (only here, never in core).

const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
const msOf = (date: string): number => Date.parse(`${date}T00:00:00Z`);

/** ISO week by the textbook recipe: move to the Thursday of the week, count weeks from 1 January. */
function refIsoWeek(date: string): string {
  const d = new Date(msOf(date));
  const weekday = d.getUTCDay() === 0 ? 7 : d.getUTCDay();
  d.setUTCDate(d.getUTCDate() + 4 - weekday);
  const year = d.getUTCFullYear();
  const week = Math.ceil(((d.getTime() - Date.UTC(year, 0, 1)) / DAY + 1) / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** First and last day (ms) of a period by Date arithmetic. */
function refSpan(period: string): [number, number] {
  let m = /^(\d{4})$/.exec(period);
  if (m) return [Date.UTC(+m[1]!, 0, 1), Date.UTC(+m[1]! + 1, 0, 1) - DAY];
  m = /^(\d{4})-Q(\d)$/.exec(period);
  if (m) return [Date.UTC(+m[1]!, (+m[2]! - 1) * 3, 1), Date.UTC(+m[1]!, +m[2]! * 3, 1) - DAY];
  m = /^(\d{4})-(\d{2})$/.exec(period);
  if (m) return [Date.UTC(+m[1]!, +m[2]! - 1, 1), Date.UTC(+m[1]!, +m[2]!, 1) - DAY];
  m = /^(\d{4})-W(\d{2})$/.exec(period)!;
  // Week 1 holds 4 January; its Monday is 4 January minus (weekday − 1).
  const jan4 = new Date(Date.UTC(+m[1]!, 0, 4));
  const monday = jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * DAY + (+m[2]! - 1) * 7 * DAY;
  return [monday, monday + 6 * DAY];
}

/** Days from 1900-01-01 to 2100-12-31 as dates. */
const dateArb = fc
  .integer({ min: Date.UTC(1900, 0, 1) / DAY, max: Date.UTC(2100, 11, 31) / DAY })
  .map((d) => isoDate(d * DAY));

const periodArb = fc.oneof(
  dateArb.map((d) => d.slice(0, 4)),
  dateArb.map((d) => `${d.slice(0, 4)}-Q${Math.floor((Number(d.slice(5, 7)) - 1) / 3) + 1}`),
  dateArb.map((d) => d.slice(0, 7)),
  dateArb.map(refIsoWeek),
);

describe("isoWeekOf", () => {
  it.each([
    ["2026-11-20", "2026-W47"],
    ["2021-01-03", "2020-W53"],
    ["2021-01-04", "2021-W01"],
    ["2024-12-30", "2025-W01"],
    ["2020-12-31", "2020-W53"],
    ["2027-01-01", "2026-W53"],
    ["2024-02-29", "2024-W09"],
  ])("%s → %s", (date, week) => {
    expect(isoWeekOf(date)).toBe(week);
  });

  it("agrees with Date arithmetic for every date 1900–2100", () => {
    fc.assert(
      fc.property(dateArb, (date) => {
        expect(isoWeekOf(date)).toBe(refIsoWeek(date));
      }),
      RUNS,
    );
  });

  it.each(["2026-13-01", "2026-02-29", "2026-11-31", "26-11-20", "2026-11-20T10:00", ""])(
    "refuses %j naming the parameter",
    (date) => {
      expect(() => isoWeekOf(date)).toThrow(/^date must be a date YYYY-MM-DD/);
      expect(() => monthOf(date)).toThrow(/^date must be a date YYYY-MM-DD/);
    },
  );
});

describe("monthOf", () => {
  it("is the year and month of the date", () => {
    expect(monthOf("2026-11-20")).toBe("2026-11");
    fc.assert(
      fc.property(dateArb, (date) => {
        const d = new Date(msOf(date));
        expect(monthOf(date)).toBe(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`);
      }),
      RUNS,
    );
  });
});

describe("weeksBetween", () => {
  it("crosses a year with 53 weeks", () => {
    expect(weeksBetween("2020-W52", "2021-W02")).toEqual(["2020-W52", "2020-W53", "2021-W01", "2021-W02"]);
    expect(weeksBetween("2026-W47", "2026-W47")).toEqual(["2026-W47"]);
  });

  it("lists the weeks of every 7th day between two dates, in order, each once", () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: 0, max: 400 }), (date, n) => {
        const from = refIsoWeek(date);
        const to = refIsoWeek(isoDate(msOf(date) + n * DAY));
        const expected = [
          ...new Set(Array.from({ length: n + 1 }, (_, i) => refIsoWeek(isoDate(msOf(date) + i * DAY)))),
        ];
        expect(weeksBetween(from, to)).toEqual(expected);
      }),
      { ...RUNS, numRuns: 200 },
    );
  });

  it.each<[string, string, RegExp]>([
    ["2021-W53", "2022-W01", /^fromWeek must be an ISO week/], // 2021 has 52 weeks
    ["2021-W01", "2021-w02", /^toWeek must be an ISO week/],
    ["2021-W05", "2021-W04", /^fromWeek \(2021-W05\) must not be after toWeek/],
  ])("refuses %s … %s", (from, to, message) => {
    expect(() => weeksBetween(from, to)).toThrow(message);
  });
});

describe("monthsBetween", () => {
  it("crosses year ends", () => {
    expect(monthsBetween("2025-11", "2026-02")).toEqual(["2025-11", "2025-12", "2026-01", "2026-02"]);
  });

  it("lists the months of every day between two dates, in order, each once", () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: 0, max: 800 }), (date, n) => {
        const end = isoDate(msOf(date) + n * DAY);
        const expected = [
          ...new Set(Array.from({ length: n + 1 }, (_, i) => isoDate(msOf(date) + i * DAY).slice(0, 7))),
        ];
        expect(monthsBetween(date.slice(0, 7), end.slice(0, 7))).toEqual(expected);
      }),
      { ...RUNS, numRuns: 200 },
    );
  });

  it.each<[string, string, RegExp]>([
    ["2025-13", "2026-01", /^from must be a month YYYY-MM/],
    ["2025-01", "2025-1", /^to must be a month YYYY-MM/],
    ["2026-02", "2026-01", /^from \(2026-02\) must not be after to/],
  ])("refuses %s … %s", (from, to, message) => {
    expect(() => monthsBetween(from, to)).toThrow(message);
  });
});

describe("splitPeriods", () => {
  it.each<[string[], string, string[], string[]]>([
    [["2019", "2020", "2021", "2022"], "2021-01-01", ["2019", "2020"], ["2021", "2022"]],
    [["2022", "2020", "2021"], "2021-03-15", ["2020"], ["2022"]], // 2021 holds the start: neither
    [["2021-Q1", "2021-Q2", "2021-Q3"], "2021-04-01", ["2021-Q1"], ["2021-Q2", "2021-Q3"]],
    [["2021-03", "2021-04", "2021-05"], "2021-04-30", ["2021-03"], ["2021-05"]],
    [["2020-W53", "2021-W01", "2021-W02"], "2021-01-04", ["2020-W53"], ["2021-W01", "2021-W02"]],
    [["2021", "2021", "2020"], "2022-01-01", ["2020", "2021"], []], // duplicates once
  ])("%j around %s", (periods, start, before, after) => {
    expect(splitPeriods(periods, start)).toEqual({ before, after });
  });

  it("agrees with Date arithmetic for any mix of granularities", () => {
    fc.assert(
      fc.property(fc.array(periodArb, { maxLength: 30 }), dateArb, (periods, start) => {
        const s = msOf(start);
        const ordered = [...new Set(periods)].sort((a, b) => {
          const [fa, la] = refSpan(a);
          const [fb, lb] = refSpan(b);
          return fa - fb || la - lb || (a < b ? -1 : a > b ? 1 : 0);
        });
        const { before, after } = splitPeriods(periods, start);
        expect(before).toEqual(ordered.filter((p) => refSpan(p)[1] < s));
        expect(after).toEqual(ordered.filter((p) => refSpan(p)[0] >= s));
        // Every period is in at most one list, and in none exactly when it contains the start.
        for (const p of ordered) {
          const [first, last] = refSpan(p);
          const contains = first <= s && s <= last;
          expect(before.includes(p) || after.includes(p)).toBe(!contains);
        }
      }),
      RUNS,
    );
  });

  it("does not cut the after window at the end date", () => {
    expect(splitPeriods(["2020", "2022", "2023"], "2021-03-01", "2021-12-31")).toEqual({
      before: ["2020"],
      after: ["2022", "2023"],
    });
  });

  it.each<[string[], string, string | undefined, RegExp]>([
    [["2020", "2020-13"], "2021-01-01", undefined, /^periods\[1\] must be a year/],
    [["2020-W53", "2021-W53"], "2021-01-01", undefined, /^periods\[1\] must be/],
    [["2020"], "2021-02-30", undefined, /^startDate must be a date YYYY-MM-DD/],
    [["2020"], "2021-02-01", "2021", /^endDate must be a date YYYY-MM-DD/],
    [["2020"], "2021-02-01", "2021-01-31", /^endDate \(2021-01-31\) must not be before startDate/],
  ])("refuses %j from %s to %s", (periods, start, end, message) => {
    expect(() => splitPeriods(periods, start, end)).toThrow(message);
  });
});
