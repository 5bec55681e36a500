/**
 * Seeded randomness for the synthetic population: xoroshiro128+ from pure-rand, one independent
 * stream per (seed, key) — e.g. per buurt — so that a buurt's rows do not depend on how many random
 * numbers other buurten used. No Math.random, no clock.
 */
import { xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";

/** 32-bit FNV-1a of a string, then a murmur3 finaliser. */
export function hash32(text: string, salt = 0): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

type Generator = ReturnType<typeof xoroshiro128plusFromState>;

export class Rng {
  private readonly g: Generator;
  private spare: number | undefined;

  constructor(seed: number, key: string) {
    const s = String(seed);
    const state = [
      hash32(key, hash32(s, 1)),
      hash32(key, hash32(s, 2)),
      hash32(key, hash32(s, 3)),
      hash32(key, hash32(s, 4)),
    ];
    if (state[0] === 0 && state[1] === 0 && state[2] === 0 && state[3] === 0) state[0] = 1;
    this.g = xoroshiro128plusFromState(state.map((x) => x | 0));
  }

  /** Uniform in [0, 1) with 32 bits of randomness. */
  float(): number {
    return (this.g.next() >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [from, to] (both included). */
  range(from: number, to: number): number {
    return from + this.int(to - from + 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Standard normal (Marsaglia polar method). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    for (;;) {
      const u = this.float() * 2 - 1;
      const v = this.float() * 2 - 1;
      const s = u * u + v * v;
      if (s > 0 && s < 1) {
        const m = Math.sqrt((-2 * Math.log(s)) / s);
        this.spare = v * m;
        return u * m;
      }
    }
  }

  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.float()) * mean;
  }

  /** Poisson (Knuth for small means, normal approximation above 50). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const l = Math.exp(-mean);
    let k = 0;
    let p = 1;
    do {
      k++;
      p *= this.float();
    } while (p > l);
    return k - 1;
  }

  /** Index drawn with probability proportional to weights. */
  pick(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return i;
    }
    return weights.length - 1;
  }

  /** Rounds x up or down at random so that the expectation is x. */
  roundStochastic(x: number): number {
    const f = Math.floor(x);
    return f + (this.float() < x - f ? 1 : 0);
  }

  /** Fisher–Yates in place. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = xs[i]!;
      xs[i] = xs[j]!;
      xs[j] = t;
    }
    return xs;
  }

  /**
   * Weighted sampling of `k` distinct indices of `weights` without replacement (Efraimidis–Spirakis:
   * the k smallest keys −ln(u)/w). Zero weights are never chosen.
   */
  sampleWeighted(weights: ArrayLike<number>, k: number): number[] {
    if (k <= 0) return [];
    const keys: { i: number; key: number }[] = [];
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      if (w > 0) keys.push({ i, key: -Math.log(1 - this.float()) / w });
    }
    if (k < keys.length) {
      keys.sort((a, b) => a.key - b.key || a.i - b.i);
      keys.length = k;
    }
    return keys.map((x) => x.i);
  }
}
