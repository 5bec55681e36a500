/**
 * Synthetic postcodes for one gemeente: PC6 areas inside each buurt, laid out from the buurt targets
 * alone (before any person is drawn). Sizes are lognormal (median ~30 residents, a few flats of
 * 150–300); PC6 are numbered into the gemeente's PC4 range in buurt order with an equal number of PC6
 * per PC4, so PC4 boundaries do not follow buurt boundaries: a PC4 spans parts of several buurten,
 * while each PC6 lies in exactly one buurt (as with real postcodes).
 */
import type { GemeenteTarget } from "./calibration.js";
import { Rng } from "./rng.js";

export interface Pc6 {
  readonly code: string;
  /** Index of the buurt in the gemeente's buurt list. */
  readonly buurt: number;
  /** Residents it is filled to. */
  readonly capacity: number;
  readonly hot: boolean;
}

export interface GemeenteLayout {
  readonly pc6: readonly Pc6[];
  /** PC6 indices per buurt (same order as the buurten). */
  readonly byBuurt: readonly (readonly number[])[];
  readonly hotCodes: readonly string[];
}

/** Two-letter suffixes in order, without SA, SD and SS (PostNL does not use them). */
export const PC6_LETTERS: readonly string[] = (() => {
  const out: string[] = [];
  const A = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (const a of A)
    for (const b of A) if (!(a === "S" && (b === "A" || b === "D" || b === "S"))) out.push(a + b);
  return out;
})();

export function layoutGemeente(seed: number, g: GemeenteTarget, persons: readonly number[]): GemeenteLayout {
  const rng = new Rng(seed, `layout:${g.code}`);
  const sizes: { buurt: number; capacity: number }[] = [];
  const byBuurt: number[][] = g.buurten.map(() => []);
  g.buurten.forEach((_, bi) => {
    let left = persons[bi]!;
    while (left > 0) {
      let c = rng.chance(0.035)
        ? rng.range(150, 300)
        : Math.round(Math.min(120, Math.max(6, rng.lognormal(30, 0.6))));
      if (left - c < 6) c = left;
      else c = Math.min(c, left);
      byBuurt[bi]!.push(sizes.length);
      sizes.push({ buurt: bi, capacity: c });
      left -= c;
    }
  });
  const [from, to] = g.pc4;
  const nPc4 = to - from + 1;
  const perPc4 = Math.max(1, Math.ceil(sizes.length / nPc4));
  if (perPc4 > PC6_LETTERS.length)
    throw new Error(
      `gemeente ${g.code}: ${sizes.length} PC6 do not fit in PC4 ${from}–${to}; generate fewer persons`,
    );
  const stride = Math.max(1, Math.min(3, Math.floor(PC6_LETTERS.length / perPc4)));
  // Hot PC6: in hot buurten, PC6 with at least 20 residents, chosen at random.
  const hotSet = new Set<number>();
  g.buurten.forEach((b, bi) => {
    if (b.hotPc6 <= 0) return;
    const candidates = byBuurt[bi]!.filter((i) => sizes[i]!.capacity >= 20);
    rng.shuffle(candidates);
    for (const i of candidates.slice(0, b.hotPc6)) hotSet.add(i);
  });
  const pc6: Pc6[] = [];
  let letter = 0;
  let pc4 = from;
  let inPc4 = 0;
  for (let i = 0; i < sizes.length; i++) {
    if (inPc4 === perPc4) {
      pc4++;
      inPc4 = 0;
      letter = 0;
    }
    letter += inPc4 === 0 ? rng.int(stride) : 1 + rng.int(stride);
    if (letter >= PC6_LETTERS.length) letter = PC6_LETTERS.length - 1;
    const s = sizes[i]!;
    pc6.push({
      code: `${pc4}${PC6_LETTERS[Math.min(letter, PC6_LETTERS.length - 1)]}`,
      buurt: s.buurt,
      capacity: s.capacity,
      hot: hotSet.has(i),
    });
    inPc4++;
  }
  // Strides could collide at the end of the alphabet for nearly full PC4s: make codes unique.
  const seen = new Set<string>();
  for (let i = 0; i < pc6.length; i++) {
    const p = pc6[i]!;
    if (!seen.has(p.code)) {
      seen.add(p.code);
      continue;
    }
    const pc4Part = p.code.slice(0, 4);
    const free = PC6_LETTERS.find((l) => !seen.has(pc4Part + l));
    if (!free) throw new Error(`gemeente ${g.code}: PC4 ${pc4Part} is full`);
    pc6[i] = { ...p, code: pc4Part + free };
    seen.add(pc4Part + free);
  }
  return { pc6, byBuurt, hotCodes: pc6.filter((p) => p.hot).map((p) => p.code) };
}
