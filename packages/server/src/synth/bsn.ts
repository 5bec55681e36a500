/**
 * Synthetic BSNs: 9 digits (leading zeros kept) passing the 11-test
 * (9·d1 + 8·d2 + … + 2·d8 − d9 ≡ 0 mod 11), unique per run. The n-th person gets the 8-digit prefix
 * (a·n + b) mod 10^8 — a bijection for a coprime to 10 — and the check digit that makes the 11-test
 * pass; prefixes whose check digit would be 10 are skipped.
 */
const SPACE = 100_000_000;

export function bsnCheckDigit(prefix8: number): number {
  let sum = 0;
  let x = prefix8;
  for (let w = 2; w <= 9; w++) {
    sum += (x % 10) * w;
    x = Math.floor(x / 10);
  }
  return sum % 11;
}

/** The 11-test for a 9-digit string. */
export function passesElevenTest(bsn: string): boolean {
  if (!/^\d{9}$/.test(bsn) || bsn === "000000000") return false;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(bsn[i]) * (9 - i);
  return (sum - Number(bsn[8])) % 11 === 0;
}

export class BsnAllocator {
  private n = 0;
  private readonly a: number;
  private readonly b: number;

  constructor(seed: number) {
    // a: odd, not a multiple of 5, so that n → a·n + b is a permutation of 0 … 10^8 − 1.
    let a = 12_345_677 + (Math.abs(seed) % 1_000_000) * 2;
    while (a % 5 === 0 || a % 2 === 0) a++;
    this.a = a;
    this.b = (Math.abs(seed) * 7_919) % SPACE;
  }

  next(): string {
    for (;;) {
      if (this.n >= SPACE) throw new Error("BSN space exhausted");
      // a < 1.5·10^7 and n < 10^8: the product stays below 2^53.
      const prefix = (this.a * this.n++ + this.b) % SPACE;
      const check = bsnCheckDigit(prefix);
      if (check === 10 || (prefix === 0 && check === 0)) continue;
      return String(prefix * 10 + check).padStart(9, "0");
    }
  }
}
