import { describe, expect, it } from "vitest";
import { detectDecimal, parseCell, roundTo, type Decimal, type ParsedNumber } from "../src/numbers.js";

const MISSING = new Set([".", "", "-99999999", "-99999997", "x"]);
const value = (v: number): ParsedNumber => ({ kind: "value", value: v });
const missing: ParsedNumber = { kind: "missing" };

describe("parseCell", () => {
  it.each<[unknown, Decimal, ParsedNumber]>([
    // Decimal point.
    ["12.5", ".", value(12.5)],
    ["12", ".", value(12)],
    ["-3.25", ".", value(-3.25)],
    ["+3", ".", value(3)],
    [".5", ".", value(0.5)],
    ["1e3", ".", value(1000)],
    ["  7 ", ".", value(7)], // CBS pads cells with spaces
    ["0", ".", value(0)],
    // Decimal comma.
    ["12,5", ",", value(12.5)],
    ["-0,75", ",", value(-0.75)],
    [",5", ",", value(0.5)],
    ["  13,9  ", ",", value(13.9)],
    ["42", ",", value(42)],
    // Missing markers, whatever the decimal separator.
    [".", ".", missing],
    [".", ",", missing],
    ["", ".", missing],
    ["   ", ".", missing],
    [" . ", ".", missing],
    ["-99999999", ".", missing],
    ["-99999997", ",", missing],
    ["x", ".", missing],
    [null, ".", missing],
    [undefined, ",", missing],
    // JSON numbers pass through; a missing marker as a number is missing too.
    [12.5, ".", value(12.5)],
    [3, ",", value(3)],
    [-99999999, ".", missing],
  ])("%j with decimal %j", (raw, decimal, expected) => {
    expect(parseCell(raw, decimal, MISSING)).toEqual(expected);
  });

  it.each<[unknown, Decimal, string]>([
    ["12,5", ".", "a number with a decimal point (12.5)"],
    ["12.5", ",", "a number with a decimal comma (12,5)"],
    ["1.234,5", ",", "a number with a decimal comma (12,5)"], // thousands separators are not numbers
    ["1,234.5", ".", "a number with a decimal point (12.5)"],
    ["1e3", ",", "a number with a decimal comma (12,5)"],
    ["abc", ".", "a number with a decimal point (12.5)"],
    ["-", ".", "a number with a decimal point (12.5)"],
    ["12 %", ".", "a number with a decimal point (12.5)"],
    [Number.NaN, ".", "a finite number"],
    [Number.POSITIVE_INFINITY, ".", "a finite number"],
    [true, ".", "a number"],
    [{ v: 1 }, ".", "a number"],
  ])("%j with decimal %j is invalid, expected %s", (raw, decimal, expected) => {
    expect(parseCell(raw, decimal, MISSING)).toEqual({ kind: "invalid", expected });
  });

  it("uses only the markers it is given", () => {
    expect(parseCell("-99999999", ".", new Set())).toEqual(value(-99999999));
    expect(parseCell("n/a", ".", new Set(["n/a"]))).toEqual(missing);
  });
});

describe("detectDecimal", () => {
  it.each<[string[], Decimal]>([
    [["12,5", "3,1", "7"], ","],
    [["12.5", "3.1", "7"], "."],
    [[" 12,5 ", "."], ","],
    [["12,5", "3.1", "4.2"], "."],
    [["12,5", "3,1", "4.2"], ","],
    [["1", "2", "3"], "."],
    [[], "."],
    [["-0,5"], ","],
    [["1,234.5"], "."], // neither pattern: no evidence for a comma
  ])("%j -> %j", (samples, expected) => {
    expect(detectDecimal(samples)).toBe(expected);
  });
});

describe("roundTo", () => {
  it.each<[number, number, number]>([
    [0.1 + 0.2, 2, 0.3],
    [1.005, 2, 1.01],
    [-1.005, 2, -1.01],
    [12.345, 1, 12.3],
    [2.5, 0, 3],
    [1234.5678, 0, 1235],
    [0, 3, 0],
  ])("roundTo(%d, %d) = %d", (x, decimals, expected) => {
    expect(roundTo(x, decimals)).toBe(expected);
  });
});
