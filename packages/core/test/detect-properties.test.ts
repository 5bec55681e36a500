/** Properties of the detection building blocks (fast-check). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  benjaminiHochberg,
  binomialCdf,
  binomialPmf,
  binomialUpperTail,
  funnelLimits,
  normalCdf,
  normalQuantile,
  poissonCdf,
  poissonPmf,
  poissonUpperTail,
} from "../src/index.js";

const prob = fc.double({ min: 0, max: 1, noNaN: true });
const inner = fc.double({ min: 1e-6, max: 1 - 1e-6, noNaN: true });

describe("distribution properties", () => {
  it("Φ is monotone, in [0, 1], symmetric, and qnorm inverts it", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -30, max: 30, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        (x, d) => {
          const a = normalCdf(x);
          expect(a).toBeGreaterThanOrEqual(0);
          expect(a).toBeLessThanOrEqual(1);
          expect(normalCdf(x + d)).toBeGreaterThanOrEqual(a);
          expect(Math.abs(a + normalCdf(-x) - 1)).toBeLessThan(1e-15);
        },
      ),
    );
    fc.assert(
      fc.property(inner, (p) => {
        expect(Math.abs(normalCdf(normalQuantile(p)) - p)).toBeLessThanOrEqual(1e-13 * p + 1e-16);
      }),
    );
  });

  it("binomial tails are in [0, 1], monotone in k and complementary", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        prob,
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, p, u) => {
          const k = Math.floor(u * n);
          const cdf = binomialCdf(k, n, p);
          const upper = binomialUpperTail(k + 1, n, p);
          for (const v of [cdf, upper]) {
            expect(v).toBeGreaterThanOrEqual(0);
            expect(v).toBeLessThanOrEqual(1);
          }
          expect(Math.abs(cdf + upper - 1)).toBeLessThan(1e-12);
          expect(binomialCdf(k + 1, n, p)).toBeGreaterThanOrEqual(cdf);
          expect(Math.abs(binomialUpperTail(k, n, p) - upper - binomialPmf(k, n, p))).toBeLessThan(1e-12);
        },
      ),
    );
  });

  it("Poisson tails are in [0, 1], monotone in k and complementary", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1e5, noNaN: true }),
        fc.double({ min: 0, max: 3, noNaN: true }),
        (lambda, u) => {
          const k = Math.floor(u * lambda);
          const cdf = poissonCdf(k, lambda);
          const upper = poissonUpperTail(k + 1, lambda);
          for (const v of [cdf, upper]) {
            expect(v).toBeGreaterThanOrEqual(0);
            expect(v).toBeLessThanOrEqual(1);
          }
          expect(Math.abs(cdf + upper - 1)).toBeLessThan(1e-12);
          expect(poissonCdf(k + 1, lambda)).toBeGreaterThanOrEqual(cdf);
          expect(Math.abs(poissonUpperTail(k, lambda) - upper - poissonPmf(k, lambda))).toBeLessThan(1e-12);
        },
      ),
    );
  });
});

describe("funnel properties", () => {
  // With a tiny expected count the interpolated upper limit can lie below the target (θ = 0.01,
  // n = 1: P[X = 0] = 0.99 ≥ 0.975 gives (0 − α)/n < 0), so the target is only checked to lie
  // inside when n·min(θ, 1 − θ) ≥ 5.
  it("limits are nested in p, enclose the target when the expected count is not tiny, widen with φ", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.integer({ min: 1, max: 20000 }),
        (t, n) => {
          const [a, b] = funnelLimits("binomial", t, n, [0.975, 0.999]);
          expect(b!.lower).toBeLessThanOrEqual(a!.lower);
          expect(a!.lower).toBeLessThanOrEqual(a!.upper);
          expect(a!.upper).toBeLessThanOrEqual(b!.upper);
          if (n * Math.min(t, 1 - t) >= 5) {
            expect(a!.lower).toBeLessThanOrEqual(t);
            expect(t).toBeLessThanOrEqual(a!.upper);
          }
          const [wide] = funnelLimits("binomial", t, n, [0.975], 1.8);
          expect(wide!.upper - wide!.lower).toBeGreaterThan(a!.upper - a!.lower);
        },
      ),
    );
  });
});

describe("Benjamini–Hochberg properties", () => {
  it("q ≥ p, q ≤ 1, and q is monotone in p", () => {
    fc.assert(
      fc.property(fc.array(prob, { minLength: 1, maxLength: 60 }), (ps) => {
        const q = benjaminiHochberg(ps);
        ps.forEach((p, i) => {
          expect(q[i]).toBeGreaterThanOrEqual(p);
          expect(q[i]).toBeLessThanOrEqual(1);
          ps.forEach((p2, j) => {
            if (p <= p2) expect(q[i]).toBeLessThanOrEqual(q[j]!);
          });
        });
      }),
    );
  });
});
