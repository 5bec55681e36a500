import { describe, expect, it } from "vitest";
import { normalisePeriod, PERIOD_FORM } from "../src/periods.js";

describe("normalisePeriod", () => {
  it.each([
    // CBS StatLine codes.
    ["2020JJ00", "2020"],
    ["2012JJ00", "2012"],
    ["2020KW01", "2020-Q1"],
    ["2020KW04", "2020-Q4"],
    ["2020MM03", "2020-03"],
    ["2020MM12", "2020-12"],
    [" 2020MM03 ", "2020-03"],
    ["2020jj00", "2020"],
    ["2020kw02", "2020-Q2"],
    // Our own forms pass unchanged.
    ["2020", "2020"],
    ["2020-Q1", "2020-Q1"],
    ["2020-q3", "2020-Q3"],
    ["2020-03", "2020-03"],
    ["2020-W01", "2020-W01"],
    ["2020-W53", "2020-W53"],
    [" 2016 ", "2016"],
  ])("%j -> %s", (raw, expected) => {
    expect(normalisePeriod(raw)).toBe(expected);
  });

  it.each([
    "2020JJ01", // a year is always JJ00
    "2020KW00",
    "2020KW05",
    "2020MM00",
    "2020MM13",
    "2020XX01",
    "2020-Q5",
    "2020-13",
    "2020-00",
    "2020-W00",
    "2020-W54",
    "20",
    "20201",
    "2020-",
    "",
    "2020/03",
    "maart 2020",
  ])("%j is not a period", (raw) => {
    expect(normalisePeriod(raw)).toBeUndefined();
  });

  it("normalised periods of one granularity sort chronologically as strings", () => {
    const raw = ["2020MM11", "2019MM12", "2020MM02", "2020MM10", "2020MM01"];
    const sorted = raw.map((p) => normalisePeriod(p)!).sort();
    expect(sorted).toEqual(["2019-12", "2020-01", "2020-02", "2020-10", "2020-11"]);
  });

  it("the expected form names every granularity", () => {
    for (const example of ["2020", "2020-Q1", "2020-03", "2020-W11"]) expect(PERIOD_FORM).toContain(example);
  });
});
