/**
 * One buurt of the synthetic population: persons and households at the reference date (calibrated to
 * the buurt's targets), their address history in the window, the people who left or died in it, and
 * the facts of every other source (benefits, debts, absence, arrears, youth care, Wmo, minima,
 * nuisance). Rows go straight to a sink; nothing outlives the buurt but counters.
 *
 * Counts of facts are quotas per buurt (gemeente rate × buurt base × buurt risk, rounded
 * stochastically), filled by weighted sampling without replacement, so that gemeente totals match
 * the targets closely and the weights decide *who*: low income clusters with benefits, debts and rent
 * arrears; living alone with age; Wmo with age; hot PC6 draw a multiple of their share.
 */
import type { BsnAllocator } from "./bsn.js";
import { AGE_BANDS, largestRemainder, type BuurtTarget, type GemeenteRates } from "./calibration.js";
import { addYears, ageOn, monthOf, weekdayOf } from "./dates.js";
import type { GemeenteLayout } from "./layout.js";
import type { Rng } from "./rng.js";

export type CellValue = string | number | null;
export interface RowSink {
  append(table: string, row: readonly CellValue[]): void;
}

export type HouseholdType = "alleenstaand" | "paar" | "paar_met_kinderen" | "eenouder" | "overig";

interface Person {
  bsn: string;
  birth: number;
  age: number;
  sex: "M" | "V";
  hh: Household | undefined;
  flags: number;
}
interface Household {
  id: string;
  type: HouseholdType;
  members: Person[];
  pc6: number;
  address: string;
  since: number;
  move: { day: number; pc6: number; address: string } | undefined;
  minima: boolean;
}

const F_BIJSTAND = 1;
const F_SCHULD = 2;

/** Ids and counters shared by all buurten of a gemeente. */
export interface GemeenteState {
  readonly code4: string;
  nextAddress: number;
  nextHousehold: number;
}

export interface Window {
  readonly from: number;
  readonly ref: number;
}

/** Counters for the calibration report (reference-date population unless noted). */
export interface Tally {
  persons: number;
  households: number;
  singles: number;
  bands: number[];
  persons65: number;
  alone65: number;
  children: number;
  adults: number;
  adults18to66: number;
  minima: number;
  bijstand: number;
  ww: number;
  wajong: number;
  wia: number;
  wmo: number;
  jeugdhulpYear: number;
  schuldhulp: number;
  huurachterstand: number;
  brpRows: number;
  departed: number;
  movers: number;
  hotHouseholds: number;
  hotMinima: number;
}

export function emptyTally(): Tally {
  return {
    persons: 0,
    households: 0,
    singles: 0,
    bands: [0, 0, 0, 0, 0],
    persons65: 0,
    alone65: 0,
    children: 0,
    adults: 0,
    adults18to66: 0,
    minima: 0,
    bijstand: 0,
    ww: 0,
    wajong: 0,
    wia: 0,
    wmo: 0,
    jeugdhulpYear: 0,
    schuldhulp: 0,
    huurachterstand: 0,
    brpRows: 0,
    departed: 0,
    movers: 0,
    hotHouseholds: 0,
    hotMinima: 0,
  };
}

const YEAR = 365.25;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const money = (x: number) => Math.round(x * 100) / 100;

function bandOf(age: number): number {
  for (let i = AGE_BANDS.length - 1; i >= 0; i--) if (age >= AGE_BANDS[i]![0]) return i;
  return 0;
}

export interface BuurtContext {
  readonly rng: Rng;
  readonly buurtIndex: number;
  readonly target: BuurtTarget;
  readonly persons: number;
  readonly rates: GemeenteRates;
  readonly layout: GemeenteLayout;
  readonly state: GemeenteState;
  readonly bsn: BsnAllocator;
  readonly window: Window;
  readonly sink: RowSink;
  readonly tally: Tally;
}

export function generateBuurt(ctx: BuurtContext): void {
  const { rng, target, rates, layout, state, window, sink, tally } = ctx;
  const P = ctx.persons;
  if (P <= 0) return;
  const ref = window.ref;
  const years = (window.ref - window.from) / YEAR;
  const pc6s = layout.byBuurt[ctx.buurtIndex]!;
  const finance = target.finance;

  const newAddress = () => `${state.code4}20${String(state.nextAddress++).padStart(10, "0")}`;
  const newHousehold = () => `${state.code4}${String(state.nextHousehold++).padStart(9, "0")}`;
  const birthFor = (age: number, onDay: number) => addYears(onDay, -age) - rng.int(365);

  // 1. Persons with ages matching the buurt's age bands exactly.
  const bandCounts = largestRemainder(
    target.ageShares.map((s) => s * P),
    P,
  );
  const people: Person[] = [];
  bandCounts.forEach((n, b) => {
    const [lo, hi] = AGE_BANDS[b]!;
    for (let i = 0; i < n; i++) {
      const age = b === 4 ? Math.min(hi, lo + Math.floor(rng.exponential(10))) : rng.range(lo, hi);
      const pV = age >= 80 ? 0.64 : age >= 65 ? 0.54 : 0.5;
      const birth = birthFor(age, ref);
      people.push({
        bsn: "",
        birth,
        age: ageOn(birth, ref),
        sex: rng.chance(pV) ? "V" : "M",
        hh: undefined,
        flags: 0,
      });
    }
  });

  // 2. Households: singles, families, adult-only households.
  const H = Math.max(1, Math.round(P / target.meanHouseholdSize));
  const children = people.filter((p) => p.age < 18);
  const adultChildren: Person[] = [];
  let adults: Person[] = [];
  for (const p of people) {
    if (p.age < 18) continue;
    if (p.age <= 24 && rng.chance(0.65)) adultChildren.push(p);
    else adults.push(p);
  }
  const households: Household[] = [];
  const make = (type: HouseholdType, members: Person[]): Household => {
    const h: Household = {
      id: "",
      type,
      members,
      pc6: -1,
      address: "",
      since: 0,
      move: undefined,
      minima: false,
    };
    for (const m of members) m.hh = h;
    households.push(h);
    return h;
  };
  const S = Math.min(adults.length, Math.round(target.singleShare * H));
  const singleWeights = adults.map((p) =>
    p.age >= 65 ? 2.2 * target.loneliness * (p.age >= 80 ? 1.4 : 1) : p.age < 25 ? 1.3 : 1,
  );
  const singleIdx = new Set(rng.sampleWeighted(singleWeights, S));
  for (const i of singleIdx) make("alleenstaand", [adults[i]!]);
  adults = adults.filter((_, i) => !singleIdx.has(i));

  let F = children.length > 0 ? Math.max(1, Math.round(children.length / 1.8)) : 0;
  if (F === 0) {
    adults.push(...adultChildren);
    adultChildren.length = 0;
  }
  const eShare = clamp(0.2 * Math.sqrt(finance), 0.1, 0.4);
  const parentWeights = adults.map((p) =>
    p.age < 25 ? 0.08 : p.age < 35 ? 1 : p.age < 45 ? 1.6 : p.age < 55 ? 1.1 : p.age < 65 ? 0.25 : 0.01,
  );
  const singleParents = Math.round(F * eShare);
  const neededParents = Math.min(adults.length, 2 * (F - singleParents) + singleParents);
  const parentIdx = rng.sampleWeighted(parentWeights, neededParents);
  const parents = parentIdx.map((i) => adults[i]!);
  const parentSet = new Set(parentIdx);
  adults = adults.filter((_, i) => !parentSet.has(i));
  // Families by parent age (oldest first), children by age (oldest first), in blocks.
  parents.sort((a, b) => b.age - a.age);
  const families: { members: Person[]; couple: boolean }[] = [];
  let pi = 0;
  let singlesLeft = singleParents;
  for (let f = 0; f < F && pi < parents.length; f++) {
    const single = (singlesLeft > 0 && rng.chance(singlesLeft / (F - f))) || pi + 1 >= parents.length;
    if (single) {
      singlesLeft--;
      families.push({ members: [parents[pi++]!], couple: false });
    } else {
      const a = parents[pi++]!;
      const b = parents[pi++]!;
      if (rng.chance(0.96)) b.sex = a.sex === "M" ? "V" : "M";
      families.push({ members: [a, b], couple: true });
    }
  }
  F = families.length;
  if (F === 0) {
    // No adult to look after them (a tiny buurt): the young join the adult-only households.
    adults.push(...children.splice(0), ...adultChildren.splice(0));
  }
  children.sort((a, b) => b.age - a.age);
  children.forEach((c, i) => families[Math.floor((i * F) / children.length)]!.members.push(c));
  // Adult children (18–24 at home) go to the families with the oldest parents.
  adultChildren.sort((a, b) => b.age - a.age);
  adultChildren.forEach((c, i) =>
    families[Math.floor((i * F) / Math.max(1, adultChildren.length) / 2)]!.members.push(c),
  );
  for (const f of families) make(f.couple ? "paar_met_kinderen" : "eenouder", f.members);
  // Adult-only households: couples of neighbouring ages, the excess as extra members (overig).
  adults.sort((a, b) => a.age - b.age || a.birth - b.birth);
  let N = Math.max(0, H - households.length);
  if (N === 0 && adults.length > 0) N = Math.ceil(adults.length / 2);
  N = Math.min(N, Math.floor(adults.length / 2));
  const pairs: Person[][] = [];
  let ai = 0;
  for (let k = 0; k < N; k++) {
    const a = adults[ai++]!;
    const b = adults[ai++]!;
    if (rng.chance(0.96)) b.sex = a.sex === "M" ? "V" : "M";
    pairs.push([a, b]);
  }
  const excess = adults.slice(ai);
  if (pairs.length === 0) for (const p of excess) make("alleenstaand", [p]);
  else {
    excess.forEach((p) => pairs[rng.int(pairs.length)]!.push(p));
    for (const m of pairs) make(m.length === 2 ? "paar" : "overig", m);
  }

  // 3. Addresses: households shuffled, PC6 filled to capacity in order.
  rng.shuffle(households);
  let j = 0;
  let used = 0;
  for (const h of households) {
    if (used >= layout.pc6[pc6s[j]!]!.capacity && j < pc6s.length - 1) {
      j++;
      used = 0;
    }
    h.pc6 = pc6s[j]!;
    used += h.members.length;
    h.address = newAddress();
    h.id = newHousehold();
  }

  // 4. History: when each household came to its address, who moved within the gemeente.
  const allPc6 = layout.pc6.length;
  for (const h of households) {
    const oldest = Math.min(...h.members.map((m) => m.birth));
    const r = rng.float();
    if (r < 0.12) {
      const day = rng.range(window.from, ref - 1);
      const oldPc6 = rng.int(allPc6);
      h.move = { day, pc6: oldPc6, address: newAddress() };
      h.since = Math.max(oldest, day - 30 - Math.floor(rng.exponential(6 * YEAR)));
      tally.movers++;
    } else if (r < 0.18) {
      h.since = Math.max(oldest, rng.range(window.from, ref - 1));
    } else {
      h.since = Math.max(oldest, window.from - 1 - Math.floor(rng.exponential(9 * YEAR)));
    }
  }

  // BSNs in a fixed order (households as placed, members in order).
  for (const h of households) for (const m of h.members) m.bsn = ctx.bsn.next();

  // 5. Register rows of the reference population.
  const brp = (p: Person, h: Household, address: string, pc6: number, from: number, to: number | null) => {
    sink.append("brp", [
      p.bsn,
      address,
      h.id,
      layout.pc6[pc6]!.code,
      p.birth,
      p.sex,
      h.members.length,
      h.type,
      from,
      to,
    ]);
    tally.brpRows++;
  };
  for (const h of households) {
    for (const p of h.members) {
      const start = Math.max(h.since, p.birth);
      if (h.move) {
        if (p.birth < h.move.day) brp(p, h, h.move.address, h.move.pc6, start, h.move.day);
        brp(p, h, h.address, h.pc6, Math.max(h.move.day, p.birth), null);
      } else brp(p, h, h.address, h.pc6, start, null);
    }
  }

  // 6. People who died or left the gemeente in the window (not in the reference population).
  const departures = rng.roundStochastic(P * 0.035 * years);
  let d = 0;
  while (d < departures) {
    const day = rng.range(window.from + 1, ref - 1);
    const pc6 = pc6s[rng.int(pc6s.length)]!;
    const died = rng.chance(0.3);
    const size = died ? 1 : 1 + Math.min(3, rng.poisson(0.7));
    const h: Household = {
      id: newHousehold(),
      type: size === 1 ? "alleenstaand" : size === 2 ? "paar" : "paar_met_kinderen",
      members: [],
      pc6,
      address: newAddress(),
      since: 0,
      move: undefined,
      minima: false,
    };
    for (let k = 0; k < size; k++) {
      const age = died ? rng.range(70, 99) : k < 2 ? rng.range(20, 55) : rng.range(0, 15);
      const birth = birthFor(age, day);
      h.members.push({ bsn: ctx.bsn.next(), birth, age, sex: rng.chance(0.5) ? "V" : "M", hh: h, flags: 0 });
    }
    const oldest = Math.min(...h.members.map((m) => m.birth));
    h.since = Math.max(oldest, day - 60 - Math.floor(rng.exponential(8 * YEAR)));
    for (const p of h.members) {
      const start = Math.max(h.since, p.birth);
      if (start < day) brp(p, h, h.address, h.pc6, start, day);
    }
    d += size;
    tally.departed += size;
  }

  // 7. Facts.
  const everyone = households.flatMap((h) => h.members);
  const adultsAll = everyone.filter((p) => p.age >= 18);
  const hot = (h: Household | undefined) => (h && layout.pc6[h.pc6]!.hot ? 1 : 0);
  const quota = (x: number, cap: number) => Math.min(cap, rng.roundStochastic(Math.max(0, x)));
  const spellStart = (meanYears: number, minDay: number) =>
    Math.max(minDay, ref - 30 - Math.floor(rng.exponential(meanYears * YEAR)));
  const endedSpell = (minDay: number, minLen: number, maxLen: number): [number, number] | undefined => {
    const start = Math.max(minDay, rng.range(window.from - 365, ref - minLen - 2));
    const len = rng.range(minLen, maxLen);
    const end = Math.min(start + len, ref - 1);
    return end > start ? [start, end] : undefined;
  };

  // Minima (household level).
  const typeW: Record<HouseholdType, number> = {
    alleenstaand: 1.6,
    eenouder: 4,
    paar: 0.5,
    paar_met_kinderen: 0.9,
    overig: 1.2,
  };
  const hW = households.map((h) => {
    const old = h.type === "alleenstaand" && h.members[0]!.age >= 65 ? 0.75 : 1;
    return typeW[h.type] * old * (hot(h) ? 8 : 1);
  });
  const nMinima = quota(
    rates.minimaHouseholds * households.length * finance,
    Math.floor(households.length * 0.9),
  );
  for (const i of rng.sampleWeighted(hW, nMinima)) {
    const h = households[i]!;
    h.minima = true;
    sink.append("minima", [h.id, spellStart(3, window.from - 8 * 365), null]);
  }
  const exMinima = rng.sampleWeighted(
    households.map((h, i) => (h.minima ? 0 : hW[i]!)),
    quota(nMinima * 0.4, households.length),
  );
  for (const i of exMinima) {
    const s = endedSpell(window.from - 2 * 365, 90, 900);
    if (s) sink.append("minima", [households[i]!.id, s[0], s[1]]);
  }

  // Benefits.
  const working = adultsAll.filter((p) => p.age <= 66);
  const pw = (p: Person, minima: number, extra = 1) => (p.hh?.minima ? minima : 1) * (1 + hot(p.hh)) * extra;
  const benefit = (
    regeling: string,
    n: number,
    weight: (p: Person) => number,
    start: (p: Person) => number,
    amount: (p: Person) => number,
    pool: Person[],
  ): Person[] => {
    const chosen = rng.sampleWeighted(pool.map(weight), Math.min(n, pool.length)).map((i) => pool[i]!);
    for (const p of chosen) sink.append("uitkeringen", [p.bsn, regeling, start(p), null, money(amount(p))]);
    return chosen;
  };
  const bijstandAmount = (p: Person) =>
    (p.hh && p.hh.members.filter((m) => m.age >= 18).length === 1 ? 1401.5 : 1001.1) *
    (0.95 + rng.float() * 0.1);
  const bijstand = benefit(
    "bijstand",
    quota((rates.bijstandPer1000 / 1000) * P * finance, working.length),
    (p) => pw(p, 30, p.hh?.type === "eenouder" ? 2 : p.hh?.type === "alleenstaand" ? 1.5 : 1),
    (p) => Math.max(addYears(p.birth, 18), spellStart(4, 0)),
    bijstandAmount,
    working,
  );
  for (const p of bijstand) p.flags |= F_BIJSTAND;
  tally.bijstand += bijstand.length;
  for (const i of rng.sampleWeighted(
    working.map((p) => (p.flags & F_BIJSTAND ? 0 : pw(p, 10))),
    quota(bijstand.length * 0.5, working.length),
  )) {
    const p = working[i]!;
    const s = endedSpell(addYears(p.birth, 18), 60, 1200);
    if (s) sink.append("uitkeringen", [p.bsn, "bijstand", s[0], s[1], money(bijstandAmount(p))]);
  }
  const ww = benefit(
    "ww",
    quota((rates.wwPer1000 / 1000) * P * Math.sqrt(finance), working.length),
    (p) => (p.flags & F_BIJSTAND ? 0.1 : pw(p, 1.5)) * (p.age < 21 ? 0.2 : 1),
    (p) => Math.max(addYears(p.birth, 18), ref - rng.range(14, 700)),
    () => rng.lognormal(1900, 0.3),
    working,
  );
  tally.ww += ww.length;
  for (const i of rng.sampleWeighted(
    working.map((p) => (p.age < 21 ? 0.2 : 1)),
    quota(ww.length * 1.5, working.length),
  )) {
    const p = working[i]!;
    const s = endedSpell(addYears(p.birth, 18), 60, 730);
    if (s) sink.append("uitkeringen", [p.bsn, "ww", s[0], s[1], money(rng.lognormal(1900, 0.3))]);
  }
  tally.wajong += benefit(
    "wajong",
    quota((rates.wajongPer1000 / 1000) * P, working.length),
    (p) => pw(p, 2, p.age < 36 ? 2 : 1),
    (p) =>
      Math.min(
        ref - 1,
        addYears(p.birth, 18) + rng.int(Math.min(9 * 365, Math.max(1, ref - addYears(p.birth, 18)))),
      ),
    () => 1350 * (0.9 + rng.float() * 0.2),
    working,
  ).length;
  const older = working.filter((p) => p.age >= 30);
  tally.wia += benefit(
    "wia",
    quota((rates.wiaPer1000 / 1000) * P, older.length),
    (p) => pw(p, 1.5, p.age >= 50 ? 2 : 1),
    (p) => Math.max(addYears(p.birth, 25), spellStart(5, 0)),
    () => rng.lognormal(1700, 0.25),
    older,
  ).length;

  // Debt assistance.
  const debt = () => (rng.chance(0.015) ? rng.range(5, 15) : 1) * rng.lognormal(14000, 0.9);
  const schuldW = adultsAll.map((p) => pw(p, 12, p.flags & F_BIJSTAND ? 3 : 1) * (p.age < 21 ? 0.3 : 1));
  const schuld = rng.sampleWeighted(
    schuldW,
    quota((rates.schuldhulpPer1000Adults / 1000) * adultsAll.length * finance, adultsAll.length),
  );
  for (const i of schuld) {
    const p = adultsAll[i]!;
    p.flags |= F_SCHULD;
    sink.append("schuldhulp", [
      p.bsn,
      Math.max(addYears(p.birth, 18), ref - rng.range(30, 3 * 365)),
      null,
      Math.round(debt()),
    ]);
  }
  tally.schuldhulp += schuld.length;
  for (const i of rng.sampleWeighted(
    adultsAll.map((p, k) => (p.flags & F_SCHULD ? 0 : schuldW[k]!)),
    quota(schuld.length * 0.8, adultsAll.length),
  )) {
    const p = adultsAll[i]!;
    const s = endedSpell(addYears(p.birth, 18), 180, 3 * 365);
    if (s) sink.append("schuldhulp", [p.bsn, s[0], s[1], Math.round(debt())]);
  }

  // Rent arrears (address level): half still open at the reference date.
  const arrearsW = households.map(
    (h) => (h.minima ? 8 : 1) * (h.members.some((m) => m.flags & F_SCHULD) ? 4 : 1) * (hot(h) ? 3 : 1),
  );
  const arrears = rng.sampleWeighted(
    arrearsW,
    quota(rates.huurachterstand * households.length * finance * 2, households.length),
  );
  for (const i of arrears) {
    const h = households[i]!;
    const amount = Math.round(rng.lognormal(1100, 0.8));
    if (rng.chance(0.5)) {
      sink.append("huurachterstand", [h.address, ref - rng.range(30, 400), null, amount]);
      tally.huurachterstand++;
    } else {
      const s = endedSpell(Math.max(window.from, h.move?.day ?? h.since), 30, 300);
      if (s) sink.append("huurachterstand", [h.address, s[0], s[1], amount]);
    }
  }

  // Youth care: 0–17 at the reference date, a trajectory overlapping the last 12 months.
  const kids = everyone.filter((p) => p.age < 18);
  const youthW = (p: Person) =>
    (p.hh?.type === "eenouder" ? 2 : 1) *
    (p.hh?.minima ? 1.8 : 1) *
    (p.age < 4 ? 0.4 : p.age >= 12 ? 1.4 : 1);
  const youth = rng.sampleWeighted(
    kids.map(youthW),
    quota((rates.jeugdhulpPct / 100) * kids.length * Math.sqrt(finance), kids.length),
  );
  const soortJ = ["ambulant", "verblijf", "jeugdbescherming"];
  const chosenYouth = new Set<number>();
  for (const i of youth) {
    chosenYouth.add(i);
    const p = kids[i]!;
    const start = Math.max(p.birth, ref - rng.range(30, 3 * 365));
    const open = rng.chance(0.55);
    const lo = Math.max(start + 1, ref - 365);
    const end = open || lo >= ref - 1 ? null : rng.range(lo, ref - 1);
    sink.append("jeugdhulp", [p.bsn, soortJ[rng.pick([0.78, 0.12, 0.1])]!, start, end]);
  }
  tally.jeugdhulpYear += youth.length;
  for (const i of rng.sampleWeighted(
    kids.map((p, k) => (chosenYouth.has(k) ? 0 : youthW(p))),
    quota(youth.length * 0.3, kids.length),
  )) {
    const p = kids[i]!;
    const start = Math.max(p.birth, rng.range(window.from - 365, ref - 500));
    const end = Math.min(ref - 366, start + rng.range(60, 700));
    if (end > start) sink.append("jeugdhulp", [p.bsn, soortJ[rng.pick([0.85, 0.08, 0.07])]!, start, end]);
  }

  // Wmo: mostly 65+.
  const wmoW = everyone.map(
    (p) =>
      (p.age >= 85 ? 25 : p.age >= 75 ? 12 : p.age >= 65 ? 3 : p.age >= 18 ? 0.5 : 0) *
      (p.hh?.type === "alleenstaand" ? 1.5 : 1) *
      (p.hh?.minima ? 1.3 : 1),
  );
  const wmo = rng.sampleWeighted(wmoW, quota((rates.wmoPer1000 / 1000) * P, everyone.length));
  const voorziening = ["huishoudelijke_hulp", "hulpmiddel", "vervoer", "begeleiding"];
  for (const i of wmo) {
    const p = everyone[i]!;
    const v = p.age >= 65 ? rng.pick([0.4, 0.3, 0.2, 0.1]) : rng.pick([0.1, 0.2, 0.1, 0.6]);
    sink.append("wmo", [
      p.bsn,
      voorziening[v]!,
      Math.max(addYears(p.birth, 18), ref - rng.range(30, 5 * 365)),
      null,
    ]);
  }
  tally.wmo += wmo.length;

  // School absence: reports on school days while 5–17.
  const pupils = everyone.filter((p) => p.age >= 5 && p.age <= 21);
  const events = rates.verzuimPerPupilYear * pupils.length * years * Math.sqrt(finance);
  const absentees = rng.sampleWeighted(
    pupils.map((p) => (p.hh?.minima ? 2 : 1) * (p.age >= 12 ? 1.5 : 1)),
    quota(events / 1.5, pupils.length),
  );
  const soortV = ["relatief", "absoluut", "luxe"];
  for (const i of absentees) {
    const p = pupils[i]!;
    const lo = Math.max(window.from, addYears(p.birth, 5));
    const hi = Math.min(ref - 1, addYears(p.birth, 18) - 1);
    if (hi <= lo) continue;
    const n = 1 + rng.poisson(0.5);
    for (let k = 0; k < n; k++) {
      let day = rng.range(lo, hi);
      for (
        let t = 0;
        t < 10 && (weekdayOf(day) === 0 || weekdayOf(day) === 6 || monthOf(day) === 7 || monthOf(day) === 8);
        t++
      )
        day = rng.range(lo, hi);
      sink.append("verzuim", [p.bsn, soortV[rng.pick([0.8, 0.05, 0.15])]!, day]);
    }
  }

  // Nuisance reports per PC6.
  const addressesByPc6 = new Map<number, string[]>();
  for (const h of households) {
    let a = addressesByPc6.get(h.pc6);
    if (!a) addressesByPc6.set(h.pc6, (a = []));
    a.push(h.address);
  }
  const categories = ["geluid", "vervuiling", "jongeren", "burenruzie", "drugs"];
  for (const i of pc6s) {
    const addresses = addressesByPc6.get(i) ?? [];
    const pc6 = layout.pc6[i]!;
    const n = rng.poisson(
      addresses.length * rates.overlastPerAddressYear * years * finance * (pc6.hot ? 4 : 1),
    );
    for (let k = 0; k < n; k++) {
      const address = addresses.length > 0 && rng.chance(0.7) ? addresses[rng.int(addresses.length)]! : null;
      sink.append("overlast", [
        address,
        pc6.code,
        categories[rng.pick([0.35, 0.25, 0.15, 0.15, 0.1])]!,
        rng.range(window.from, ref - 1),
      ]);
    }
  }

  // Tally of the reference population.
  for (const h of households) {
    tally.households++;
    if (h.members.length === 1) tally.singles++;
    if (h.minima) tally.minima++;
    if (layout.pc6[h.pc6]!.hot) {
      tally.hotHouseholds++;
      if (h.minima) tally.hotMinima++;
    }
    for (const p of h.members) {
      tally.persons++;
      tally.bands[bandOf(p.age)]!++;
      if (p.age >= 65) {
        tally.persons65++;
        if (h.members.length === 1) tally.alone65++;
      }
      if (p.age < 18) tally.children++;
      else tally.adults++;
      if (p.age >= 18 && p.age <= 66) tally.adults18to66++;
    }
  }
}
