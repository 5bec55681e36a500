/**
 * Recognising personal identifiers: BSNs (citizen numbers), e-mail addresses, Dutch phone numbers,
 * street addresses, and names after a form of address. The importer refuses unmapped columns that
 * look like identifiers (docs PRIVACY.md, T-PS-3); the field app warns before a note with personal
 * data is saved. These are documented heuristics, not a parser: see the limits in README.md.
 *
 * Nothing here returns or embeds the values it inspects: only booleans, kinds, counts and positions.
 */

/** What `findPersonalData` can find in free text. */
export type PersonalDataKind = "bsn" | "email" | "phone" | "address" | "name";

/** What `screenColumn` can recognise in a column (names are not looked for in columns). */
export type IdentifierKind = Exclude<PersonalDataKind, "name">;

/** A finding in free text: positions only (UTF-16 offsets, `end` exclusive), never the value. */
export interface PersonalDataSpan {
  readonly kind: PersonalDataKind;
  readonly start: number;
  readonly end: number;
}

/** The verdict on a column sample: counts only, never the values. */
export interface ColumnScreening {
  readonly kind: IdentifierKind;
  readonly matched: number;
  readonly checked: number;
}

// ---------------------------------------------------------------------------------------------
// BSN

const BSN_WEIGHTS = [9, 8, 7, 6, 5, 4, 3, 2, -1] as const;

/**
 * The BSN check: 9 digits (an 8-digit number counts as one with its leading 0 dropped, the way
 * spreadsheets store BSNs), not all zeros, passing the 11-test (elfproef):
 * 9·d1 + 8·d2 + … + 2·d8 − 1·d9 ≡ 0 (mod 11). Surrounding whitespace is ignored; separators are not
 * accepted here (`findPersonalData` and `screenColumn` also accept 1112.22.333 and 111 222 333).
 *
 * The test catches every single-digit error and every transposition of two different digits: the
 * weights differ pairwise by 1…10 and 11 is prime.
 *
 * @example isValidBsn("111222333") // true
 * @example isValidBsn("123456789") // false (the sum is 147 ≡ 4 mod 11)
 */
export function isValidBsn(text: string): boolean {
  const s = text.trim();
  if (!/^\d{8,9}$/.test(s)) return false;
  const digits = s.length === 8 ? `0${s}` : s;
  let sum = 0;
  let nonZero = false;
  for (let i = 0; i < 9; i++) {
    const d = digits.charCodeAt(i) - 48;
    if (d !== 0) nonZero = true;
    sum += BSN_WEIGHTS[i]! * d;
  }
  return nonZero && sum % 11 === 0;
}

/** 9 digits in groups of 2 to 4 separated by one dot, space or hyphen: 1112.22.333, 111 222 333. */
const BSN_GROUPED = /^\d{2,4}(?:[. -]\d{2,4}){1,3}$/;

/** A cell that is a BSN: `isValidBsn`, or 9 digits in separated groups passing the 11-test. */
function looksLikeBsn(value: string): boolean {
  const s = value.trim();
  if (isValidBsn(s)) return true;
  if (!BSN_GROUPED.test(s)) return false;
  const digits = s.replace(/[. -]/g, "");
  return digits.length === 9 && isValidBsn(digits);
}

// ---------------------------------------------------------------------------------------------
// E-mail

const EMAIL_BODY =
  String.raw`[\p{L}\p{N}_%+-](?:[\p{L}\p{N}._%+'-]*[\p{L}\p{N}_%+-])?` +
  String.raw`@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+\p{L}{2,}`;
const EMAIL_WHOLE = new RegExp(`^${EMAIL_BODY}$`, "u");
const EMAIL_IN_TEXT = new RegExp(`(?<![\\p{L}\\p{N}._%+'-])${EMAIL_BODY}(?![\\p{L}\\p{N}@-])`, "gu");

/**
 * A pragmatic e-mail shape: local part, "@", a domain with at least one dot and a top-level domain
 * of two or more letters. Not RFC 5322 (no quoted local parts, no IP-literal domains).
 *
 * @example looksLikeEmail("j.de.vries@gemeente.nl") // true
 * @example looksLikeEmail("jan@localhost") // false
 */
export function looksLikeEmail(text: string): boolean {
  return EMAIL_WHOLE.test(text.trim());
}

// ---------------------------------------------------------------------------------------------
// Phone numbers (Dutch)

/** One optional separator between digits: a space, a dot, or a hyphen with optional spaces. */
const SEP = "(?: ?- ?|[ .])?";
const D = String.raw`\d`;
const PHONE_BODY = [
  // +31 6 12345678, 0031612345678, +31 (0)20 123 4567: country code, then 9 digits without the 0.
  String.raw`(?:\+|00)31${SEP}(?:\(0\)${SEP})?[1-9](?:${SEP}${D}){8}`,
  // 06-12345678, 06 1234 5678, 020-1234567, 0612345678: 10 digits starting with 0.
  String.raw`0[1-9](?:${SEP}${D}){8}`,
  // (020) 123 4567, (06) 12345678, (0513) 123456: the area code in brackets.
  String.raw`\(0[1-9]\)${SEP}${D}(?:${SEP}${D}){7}`,
  String.raw`\(0[1-9]\d\)${SEP}${D}(?:${SEP}${D}){6}`,
  String.raw`\(0[1-9]\d{2}\)${SEP}${D}(?:${SEP}${D}){5}`,
].join("|");
const PHONE_WHOLE = new RegExp(`^(?:${PHONE_BODY})$`);
const PHONE_IN_TEXT = new RegExp(`(?<![\\p{L}\\p{N}+]|\\d[ .-])(?:${PHONE_BODY})(?!\\p{N})`, "gu");
/** dd-mm-yyyy and dd.mm.yyyy dates also have 8 or more digits starting with 0. */
const DATE_START = /^\d{2}([-.])\d{2}\1\d{4}/;

/**
 * A Dutch phone number: 10 digits starting with 0 (mobile 06 or an area code), or +31/0031 and 9
 * digits, with spaces, dots or hyphens between digits and the area code optionally in brackets.
 * A 4-digit year, a postcode and a bare 9-digit (BSN-like) number are not phone numbers; a bare run
 * of digits is one only with 10 digits and the leading 0.
 *
 * @example looksLikePhoneNumber("(020) 123 4567") // true
 * @example looksLikePhoneNumber("123456789") // false
 */
export function looksLikePhoneNumber(text: string): boolean {
  const s = text.trim();
  return PHONE_WHOLE.test(s) && !DATE_START.test(s);
}

// ---------------------------------------------------------------------------------------------
// Street addresses

/** Endings of compound street names: Stationsstraat, Kerkweg, Oudegracht, Vondelpark. */
const STREET_SUFFIXES = [
  "straat",
  "straatje",
  "weg",
  "laan",
  "laantje",
  "plein",
  "pleintje",
  "gracht",
  "kade",
  "dijk",
  "singel",
  "markt",
  "hof",
  "hofje",
  "pad",
  "dreef",
  "steeg",
  "steegje",
  "plantsoen",
  "park",
  "erf",
  "baan",
  "wal",
  "haven",
  "kanaal",
  "boulevard",
  "promenade",
  "allee",
  "vaart",
  "veld",
  "brink",
] as const;
/** Words that are a street on their own when capitalised (Laan van …, Dam 1), not as an ending. */
const STREET_WORDS = new Set<string>([...STREET_SUFFIXES, "dam", "ring", "gang", "kerkhof", "oever"]);

/** Lowercase words inside names: Laan van Nieuw Oost-Indië, Burgemeester de Vlugtlaan. */
const PARTICLES = new Set([
  "van",
  "de",
  "der",
  "den",
  "het",
  "'t",
  "’t",
  "'s",
  "’s",
  "te",
  "ten",
  "ter",
  "aan",
  "op",
  "in",
  "bij",
  "tot",
  "voor",
  "over",
  "achter",
  "onder",
  "en",
]);
/** Forms of address: never the start of a street name. */
const ADDRESS_FORMS = new Set(["meneer", "mevrouw", "mevr", "mw", "dhr", "mr", "heer", "familie", "fam"]);
/** Capitalised multiword names ending in these are dates, not streets ("Op Maandag 12"). */
const CALENDAR_WORDS = new Set([
  "januari",
  "februari",
  "maart",
  "april",
  "mei",
  "juni",
  "juli",
  "augustus",
  "september",
  "oktober",
  "november",
  "december",
  "maandag",
  "dinsdag",
  "woensdag",
  "donderdag",
  "vrijdag",
  "zaterdag",
  "zondag",
]);

/** A word in a street name: letters, with inner apostrophes, hyphens and dots; 's-Gravendijkwal. */
const NAME_WORD = /^(?:['’][st]-)?\p{L}[\p{L}\p{M}'’.-]*$/u;

/** A house number with an optional addition: 12, 1a, 12bis, 123-B, 12-3, 7 bis, 12 A, 12-II. */
const HOUSE_NUMBER =
  /[1-9]\d{0,4}(?:[A-Za-z]{1,3}| ?- ?(?:[A-Za-z]{1,4}|\d{1,4})| (?:[A-Z]|I{1,3}|IV|bis|ter|hs|bg|zw|rd|huis|boven|beneden))?(?![\p{L}\p{N}])/uy;
/** What may follow the house number in a cell: ", Utrecht" or " 3511 AB Utrecht". */
const ADDRESS_TAIL = /^(?:\s*,.*|\s+\d{4}\s?[A-Za-z]{2}(?![\p{L}\p{N}]).*)$/su;

const lower = (w: string): string => w.toLocaleLowerCase("nl");
const bare = (w: string): string => lower(w.replace(/^['’][st]-/, "").replace(/\.$/, ""));
const isCapitalised = (w: string): boolean => /^\p{Lu}/u.test(w.replace(/^['’][st]-/, ""));
const isParticle = (w: string): boolean => PARTICLES.has(lower(w));

function hasStreetSuffix(word: string): boolean {
  const last = bare(word).split("-").pop()!;
  return STREET_SUFFIXES.some((suffix) => last.length >= suffix.length + 2 && last.endsWith(suffix));
}

/**
 * Whether words (in text order, before a house number) form a street name: a capitalised name with
 * a street word or ending (Stationsstraat, Grote Markt, Laan van Nieuw Oost-Indië), a single
 * lowercase compound with a street ending (kerkweg), or two or more capitalised words (Jan Steen 4),
 * the last rule only with a house number of up to 3 digits and not ending in a month or weekday.
 */
function isStreetName(words: readonly string[], numberDigits: number): boolean {
  const n = words.length;
  if (n === 0 || n > 7 || !words.every((w) => NAME_WORD.test(w))) return false;
  const first = words[0]!;
  const last = words[n - 1]!;
  if (PARTICLES.has(first) || isParticle(last) || ADDRESS_FORMS.has(bare(first))) return false;
  if (n === 1 && !isCapitalised(first)) return hasStreetSuffix(first);
  if (!words.every((w) => isCapitalised(w) || PARTICLES.has(w))) return false;
  const capitalised = words.filter((w) => isCapitalised(w));
  if (capitalised.some((w) => hasStreetSuffix(w) || STREET_WORDS.has(bare(w)))) return true;
  const named = capitalised.filter((w) => !isParticle(w));
  return named.length >= 2 && numberDigits <= 3 && !CALENDAR_WORDS.has(bare(last));
}

/** The end of the house number (with addition) starting at `at`, or -1. */
function houseNumberEnd(text: string, at: number): { end: number; digits: number } | undefined {
  HOUSE_NUMBER.lastIndex = at;
  const m = HOUSE_NUMBER.exec(text);
  if (!m) return undefined;
  return { end: at + m[0].length, digits: /^\d+/.exec(m[0])![0].length };
}

/**
 * A cell that is a street address: a street name, a house number with an optional addition, and
 * optionally ", place" or a postcode and place. The street name is recognised by a street word or
 * ending (straat, weg, laan, plein, gracht, kade, dijk, singel, markt, hof, pad, dreef, steeg, …) or
 * as two or more capitalised words. Street names with digits in them (Plein 1944) are not recognised.
 *
 * @example looksLikeStreetAddress("Laan van Nieuw Oost-Indië 123-B") // true
 * @example looksLikeStreetAddress("wijk 3 heeft overlast") // false
 */
export function looksLikeStreetAddress(text: string): boolean {
  const s = text.trim();
  const at = s.search(/\d/);
  if (at <= 0 || !/\s/.test(s[at - 1]!)) return false;
  const house = houseNumberEnd(s, at);
  if (!house) return false;
  const rest = s.slice(house.end);
  if (rest !== "" && !ADDRESS_TAIL.test(rest)) return false;
  return isStreetName(s.slice(0, at).trim().split(/\s+/), house.digits);
}

/** Street addresses in free text: each house number preceded by words that form a street name. */
function findAddresses(text: string, out: PersonalDataSpan[]): void {
  for (const m of text.matchAll(/(?<=[ \t])[1-9]/g)) {
    const at = m.index;
    const house = houseNumberEnd(text, at);
    if (!house) continue;
    // The words before the number, closest first: capitalised words and particles, and the closest
    // word whatever it is, and a form of address; a final dot only in a short abbreviation (Burg.).
    const words: { word: string; start: number }[] = [];
    let i = at;
    while (words.length < 7) {
      let j = i;
      while (j > 0 && (text[j - 1] === " " || text[j - 1] === "\t")) j--;
      if (j === i || j === 0) break;
      let k = j;
      while (k > 0 && !/\s/.test(text[k - 1]!)) k--;
      const word = text.slice(k, j);
      if (!NAME_WORD.test(word)) break;
      if (word.endsWith(".") && !(isCapitalised(word) && word.length <= 5)) break;
      const formOfAddress = ADDRESS_FORMS.has(bare(word));
      if (words.length > 0 && !isCapitalised(word) && !isParticle(word) && !formOfAddress) break;
      words.unshift({ word, start: k });
      i = k;
    }
    // The longest street name, except that a street word followed by a particle starts the name
    // (Huisbezoek Laan van Nieuw Oost-Indië 12), and a word after a form of address is a name
    // (mevrouw Jansen Stationsstraat 12).
    const candidates = words
      .map((_, from) => from)
      .filter((from) => {
        if (from > 0 && ADDRESS_FORMS.has(bare(words[from - 1]!.word))) return false;
        return isStreetName(
          words.slice(from).map((w) => w.word),
          house.digits,
        );
      });
    const headed = candidates.find((from) => {
      const head = words[from]!.word;
      const next = words[from + 1]?.word;
      return isCapitalised(head) && STREET_WORDS.has(bare(head)) && next !== undefined && PARTICLES.has(next);
    });
    const from = headed ?? candidates[0];
    if (from !== undefined) out.push({ kind: "address", start: words[from]!.start, end: house.end });
  }
}

// ---------------------------------------------------------------------------------------------
// Names after a form of address

const ADDRESS_FORM_IN_TEXT =
  /(?<![\p{L}\p{N}])(?:meneer|mevrouw|mevr\.?|mw\.?|dhr\.?|mr\.?|de heer|familie|fam\.)[ \t]+/giu;
const NAME_PART = String.raw`\p{Lu}[\p{L}\p{M}'’]*(?:-\p{L}[\p{L}\p{M}'’]*)*`;
const NAME_PARTICLE = String.raw`(?:[vV]an|[dD]e[nr]?|[tT]e[nr]?|[iI]n|[oO]p|[hH]et|['’]t|[eE]l|[aA]l|[lL][ae]|[dD][aiu])`;
/** Initials (J. or J.P.), particles (van der), then one or two capitalised words. */
const NAME_AFTER_FORM = new RegExp(
  String.raw`(?:(?:\p{Lu}\.){1,4} ?)?(?:${NAME_PARTICLE}[ \t]+){0,3}(${NAME_PART})(?:[ \t]+(${NAME_PART}))?(?![\p{L}\p{N}])`,
  "duy",
);

function findNames(text: string, out: PersonalDataSpan[]): void {
  for (const m of text.matchAll(ADDRESS_FORM_IN_TEXT)) {
    const start = m.index + m[0].length;
    NAME_AFTER_FORM.lastIndex = start;
    const name = NAME_AFTER_FORM.exec(text);
    if (!name) continue;
    // A second word that is a street (mevrouw Jansen Stationsstraat 12) is not part of the name.
    const second = name[2];
    const streetAfter = second !== undefined && (hasStreetSuffix(second) || STREET_WORDS.has(bare(second)));
    const end = streetAfter ? name.indices![1]![1] : start + name[0].length;
    out.push({ kind: "name", start, end });
  }
}

// ---------------------------------------------------------------------------------------------
// Free text and columns

/** 9 digits, optionally in groups separated by one dot, space or hyphen, not part of a longer run. */
const BSN_IN_TEXT = /(?<!\p{N}|\d[. -])\d(?:[. -]?\d){8}(?!\p{N}|[. -]\d)/gu;

/**
 * Finds personal data in free text (field notes): BSNs (9 digits passing the 11-test, also written
 * 1112.22.333 or 111 222 333), e-mail addresses, Dutch phone numbers, street addresses and names
 * after meneer, mevrouw, mevr., mw., dhr., mr., de heer, familie or fam. (one or two capitalised
 * words, with initials and particles). Returns positions only, sorted and not overlapping: where
 * findings overlap, the one that starts first (the longer on a tie) is kept. `options.kinds` limits
 * the search to some kinds (the others are not looked for, so they cannot hide a finding).
 *
 * @example findPersonalData("Mevrouw Jansen, 06-12345678") // [{ kind: "name", start: 8, end: 14 }, { kind: "phone", start: 16, end: 27 }]
 */
export function findPersonalData(
  text: string,
  options: { readonly kinds?: readonly PersonalDataKind[] } = {},
): readonly PersonalDataSpan[] {
  const wanted = new Set<PersonalDataKind>(options.kinds ?? ["bsn", "email", "phone", "address", "name"]);
  const found: PersonalDataSpan[] = [];
  for (const m of text.matchAll(BSN_IN_TEXT)) {
    const groups = m[0].split(/[. -]/);
    if (groups.length > 1 && groups.some((g) => g.length < 2)) continue;
    if (isValidBsn(groups.join(""))) found.push({ kind: "bsn", start: m.index, end: m.index + m[0].length });
  }
  for (const m of text.matchAll(EMAIL_IN_TEXT)) {
    found.push({ kind: "email", start: m.index, end: m.index + m[0].length });
  }
  for (const m of text.matchAll(PHONE_IN_TEXT)) {
    if (DATE_START.test(m[0])) continue;
    found.push({ kind: "phone", start: m.index, end: m.index + m[0].length });
  }
  findAddresses(text, found);
  findNames(text, found);
  const kinds = found.filter((span) => wanted.has(span.kind));
  kinds.sort((a, b) => a.start - b.start || b.end - a.end);
  const kept: PersonalDataSpan[] = [];
  for (const span of kinds) {
    const previous = kept[kept.length - 1];
    if (previous === undefined || span.start >= previous.end) kept.push(span);
  }
  return kept;
}

const COLUMN_TESTS: readonly (readonly [IdentifierKind, (value: string) => boolean])[] = [
  ["bsn", looksLikeBsn],
  ["email", looksLikeEmail],
  ["phone", looksLikePhoneNumber],
  ["address", looksLikeStreetAddress],
];

/**
 * Screens a column sample for identifiers: the kind whose share of matching non-empty values is at
 * least `threshold` (default 0.5; the kind with most matches when more than one qualifies), with
 * the counts; undefined when no kind qualifies or every value is empty. BSNs count with 8 or 9
 * digits or in separated groups (1112.22.333). The result never holds the values.
 *
 * @example screenColumn(["111222333", "123456782", ""]) // { kind: "bsn", matched: 2, checked: 2 }
 */
export function screenColumn(
  values: readonly string[],
  options: { readonly threshold?: number } = {},
): ColumnScreening | undefined {
  const threshold = options.threshold ?? 0.5;
  if (!(threshold > 0 && threshold <= 1)) {
    throw new RangeError(`threshold must be in (0, 1], got ${threshold}`);
  }
  const nonEmpty = values.map((v) => v.trim()).filter((v) => v !== "");
  if (nonEmpty.length === 0) return undefined;
  let best: ColumnScreening | undefined;
  for (const [kind, test] of COLUMN_TESTS) {
    const matched = nonEmpty.filter(test).length;
    if (matched / nonEmpty.length >= threshold && (best === undefined || matched > best.matched)) {
      best = { kind, matched, checked: nonEmpty.length };
    }
  }
  return best;
}
