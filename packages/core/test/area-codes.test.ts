import { describe, expect, it } from "vitest";
import {
  ancestorsOfCode,
  AREA_LEVELS,
  CODE_FORMS,
  gemeenteOfCode,
  isFinerLevel,
  levelOfCode,
  normaliseAreaCode,
  parentOfCode,
  type AreaLevel,
} from "../src/area-codes.js";

describe("normaliseAreaCode", () => {
  it.each([
    ["GM0034", "GM0034"],
    ["GM0034  ", "GM0034"], // CBS pads codes to a fixed width with spaces
    ["  BU00340101 ", "BU00340101"],
    ["\tWK003401\t", "WK003401"],
    ["gm0034", "GM0034"],
    ["bu0363ek03", "BU0363EK03"],
    ["1314", "1314"],
    ["1314 ab", "1314AB"],
    ["1314  AB", "1314AB"],
    ["1314ab", "1314AB"],
    [" 1314 AB ", "1314AB"],
    ["NL01", "NL01"],
  ])("%j -> %s", (raw, expected) => {
    expect(normaliseAreaCode(raw)).toBe(expected);
  });
});

describe("levelOfCode", () => {
  it.each<[string, AreaLevel | undefined]>([
    ["NL01", "land"],
    ["GM0034", "gemeente"],
    ["GM0363", "gemeente"],
    ["WK003401", "wijk"],
    ["WK0363EK", "wijk"], // Amsterdam numbers wijken with letters since 2022
    ["WK0363E1", "wijk"],
    ["BU00340101", "buurt"],
    ["BU0363EK03", "buurt"],
    ["BU0363EKAB", "buurt"],
    ["1314", "pc4"],
    ["9999", "pc4"],
    ["1314AB", "pc6"],
    // Not codes.
    ["GM034", undefined],
    ["GM00341", undefined],
    ["GMABCD", undefined],
    ["WK0034", undefined],
    ["WK00340101", undefined],
    ["BU003401", undefined],
    ["BU0363ek03", undefined], // only after normalising
    ["0123", undefined], // a PC4 never starts with 0
    ["0123AB", undefined],
    ["1314A", undefined],
    ["1314ABC", undefined],
    ["1314 AB", undefined], // only after normalising
    ["NL1", undefined],
    ["", undefined],
    ["GM0034 ", undefined], // only after normalising
  ])("%j is %s", (code, level) => {
    expect(levelOfCode(code)).toBe(level);
  });

  it("normalised CBS and postcode spellings get a level", () => {
    for (const raw of ["GM0034  ", "1314 ab", " bu0363ek03 "]) {
      expect(levelOfCode(normaliseAreaCode(raw)), raw).toBeDefined();
    }
  });
});

describe("parentOfCode", () => {
  it.each<[string, string | undefined]>([
    ["BU00340101", "WK003401"],
    ["BU0363EK03", "WK0363EK"],
    ["WK003401", "GM0034"],
    ["WK0363EK", "GM0363"],
    ["GM0034", "NL01"],
    ["1314AB", "1314"],
    ["NL01", undefined],
    ["1314", undefined], // a PC4 can cross gemeente borders: no CBS parent
    ["not-a-code", undefined],
  ])("%s -> %s", (code, parent) => {
    expect(parentOfCode(code)).toBe(parent);
  });
});

describe("ancestorsOfCode", () => {
  it.each<[string, string[]]>([
    ["BU00340101", ["WK003401", "GM0034", "NL01"]],
    ["BU0363EK03", ["WK0363EK", "GM0363", "NL01"]],
    ["WK003401", ["GM0034", "NL01"]],
    ["GM0034", ["NL01"]],
    ["NL01", []],
    ["1314AB", ["1314"]],
    ["1314", []],
    ["XX", []],
  ])("%s -> %j", (code, ancestors) => {
    expect(ancestorsOfCode(code)).toEqual(ancestors);
  });

  it("every ancestor is of a coarser level than the code", () => {
    for (const code of ["BU00340101", "BU0363EK03", "WK0363EK", "GM0034", "1314AB"]) {
      const level = levelOfCode(code)!;
      for (const a of ancestorsOfCode(code)) expect(isFinerLevel(level, levelOfCode(a)!), `${a}`).toBe(true);
    }
  });
});

describe("gemeenteOfCode", () => {
  it.each<[string, string | undefined]>([
    ["BU00340101", "GM0034"],
    ["BU0363EK03", "GM0363"],
    ["WK0363EK", "GM0363"],
    ["GM0034", "GM0034"],
    ["NL01", undefined],
    ["1314", undefined],
    ["1314AB", undefined],
  ])("%s -> %s", (code, gemeente) => {
    expect(gemeenteOfCode(code)).toBe(gemeente);
  });
});

describe("isFinerLevel", () => {
  it.each<[AreaLevel, AreaLevel, boolean]>([
    ["buurt", "wijk", true],
    ["wijk", "gemeente", true],
    ["gemeente", "land", true],
    ["land", "gemeente", false],
    ["wijk", "buurt", false],
    ["buurt", "buurt", false],
    ["pc6", "pc4", true],
  ])("%s finer than %s: %s", (a, b, expected) => {
    expect(isFinerLevel(a, b)).toBe(expected);
  });
});

describe("CODE_FORMS", () => {
  it("describes every level", () => {
    expect(Object.keys(CODE_FORMS).sort()).toEqual([...AREA_LEVELS].sort());
  });
});
