import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  daysToIsoDate,
  isoDateToDays,
  mappedColumns,
  MicrodataMappingSchema,
  normalisePc6,
  SourceRegistrationSchema,
} from "../src/index.js";

describe("dates", () => {
  it("round-trips every day from 1850 to 2200 and agrees with Date.UTC", () => {
    fc.assert(
      fc.property(fc.integer({ min: -43_829, max: 84_000 }), (days) => {
        const iso = daysToIsoDate(days);
        expect(isoDateToDays(iso)).toBe(days);
        expect(
          Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10))) /
            86_400_000,
        ).toBe(days);
      }),
    );
  });
  it("refuses impossible and malformed dates", () => {
    for (const bad of ["2023-02-29", "2024-13-01", "2024-04-31", "15-01-2024", "2024-1-5", "", "1700-01-01"])
      expect(isoDateToDays(bad)).toBeUndefined();
    expect(isoDateToDays("2024-02-29")).toBe(19_782);
    expect(isoDateToDays("2024-02-29 13:00:00")).toBe(19_782);
  });
});

describe("postcodes", () => {
  it("normalises PC6 and refuses what PostNL never issues", () => {
    expect(normalisePc6(" 1312 ab")).toBe("1312AB");
    for (const bad of ["0312AB", "1312A", "1312SS", "1312SA", "1312SD", "13121AB"])
      expect(normalisePc6(bad)).toBeUndefined();
  });
});

describe("registry and mapping contracts", () => {
  it("requires every registry field", () => {
    const r = SourceRegistrationSchema.safeParse({ id: "brp", name: "x" });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join("."));
    for (const f of [
      "organisation",
      "legalBasis",
      "purpose",
      "dpiaReference",
      "retentionMonths",
      "keyPurpose",
      "recordLevel",
    ])
      expect(paths).toContain(f);
  });
  it("lists the columns a mapping reads and checks the subject's identifier", () => {
    const m = MicrodataMappingSchema.parse({
      version: 1,
      kind: "microdata",
      record: "fact",
      source: "uitkeringen",
      subject: "person",
      identifiers: { person: "bsn" },
      fact: { prefix: "uitkering:", column: "regeling" },
      amount: "bedrag",
      validity: { from: "van", to: "tot" },
    });
    expect(mappedColumns(m)).toEqual(["bsn", "van", "tot", "regeling", "bedrag"]);
    const bad = MicrodataMappingSchema.safeParse({ ...m, identifiers: {} });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.message).toMatch(/identifier column/);
  });
});
