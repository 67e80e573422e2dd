import unhomoglyph from 'unhomoglyph';

/**
 * Display names are text other members chose, shown to everyone in the group: the one place a
 * hostile member can try to pass for someone else. This module is pure (no I/O): it decides which
 * names may be set, what a received name looks like once its invisible tricks are removed, and when
 * two names look alike (a skeleton in the spirit of Unicode TR39 section 4).
 */

/** Why a name was refused when the local user tried to set it. */
export type DisplayNameProblem = 'control-character' | 'invisible-character' | 'bidi-control';

/** A display name given to `createGroup` or `join` holds a character that could hide or fake text. */
export class DisplayNameError extends Error {
  override name = 'DisplayNameError';
  constructor(
    readonly reason: DisplayNameProblem,
    /** The first offending code point (a number; shown as U+XXXX in the message). */
    readonly codePoint: number,
  ) {
    super(`a display name cannot contain ${DESCRIBE[reason]} (found ${codePointLabel(codePoint)})`);
  }
}

const DESCRIBE: Record<DisplayNameProblem, string> = {
  'control-character': 'control characters or line breaks',
  'invisible-character': 'invisible (zero-width or formatting) characters',
  'bidi-control': 'text-direction (bidi) control characters',
};

function codePointLabel(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Explicit bidi formatting: embeddings, overrides, isolates and marks (UAX #9). */
const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
/** C0, DEL, C1, line and paragraph separators, and lone surrogates. */
const CONTROL = /[\p{Cc}\p{Zl}\p{Zp}\p{Cs}]/u;
/**
 * Format characters (zero-width space and joiners, soft hyphen, BOM, tags…) and every other
 * default-ignorable code point (Hangul fillers, combining grapheme joiner…): characters that render as
 * nothing, so two different names would look the same. Variation selectors are kept: emoji need them,
 * and the skeleton ignores them.
 */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/u;
const VARIATION_SELECTOR = /\p{Variation_Selector}/u;

function problemOf(ch: string): DisplayNameProblem | undefined {
  if (BIDI_CONTROL.test(ch)) return 'bidi-control';
  if (CONTROL.test(ch)) return 'control-character';
  if (INVISIBLE.test(ch) && !VARIATION_SELECTOR.test(ch)) return 'invisible-character';
  return undefined;
}

/** Runs of spaces of any kind (no-break, ideographic, …) become one ASCII space. */
function tidySpaces(s: string): string {
  return s.replace(/\p{Zs}+/gu, ' ').trim();
}

/**
 * The form a name the local user sets is stored in: NFC, spaces tidied, trimmed. Refuses control,
 * line-break, zero-width, bidi-control and other invisible characters with a `DisplayNameError`
 * rather than quietly changing what the user typed. An empty result means "no name".
 */
export function normalizeDisplayName(name: string): string {
  if (typeof name !== 'string') throw new TypeError('a display name is a string');
  const nfc = name.normalize('NFC');
  for (const ch of nfc) {
    const problem = problemOf(ch);
    if (problem) throw new DisplayNameError(problem, ch.codePointAt(0)!);
  }
  return tidySpaces(nfc);
}

/**
 * A name received from another member, made safe to show and to compare: control characters and line
 * breaks become spaces, invisible and bidi-control characters are removed, then NFC and tidied
 * spaces. What is shown is then what is compared: "Ro\u200Bsa" becomes "Rosa".
 */
export function neutralizeDisplayName(name: string): string {
  let out = '';
  for (const ch of name) {
    const problem = problemOf(ch);
    if (problem === undefined) out += ch;
    else if (problem === 'control-character') out += ' ';
  }
  return tidySpaces(out.normalize('NFC'));
}

/** Role words a name may carry to pass for an organiser ("Rosa (admin)"), in English and Spanish. */
const ROLE_WORDS = ['admin', 'administrator', 'administrador', 'administradora', 'organiser', 'organizer', 'organizador', 'organizadora', 'member', 'miembro', 'moderator', 'moderador', 'moderadora'];

/**
 * NFKC, case folded, homoglyphs mapped to their prototypes (Unicode confusables data, via
 * `unhomoglyph`: Cyrillic "о" → "o", "0" → "o", "1" and "|" → "l", "m" → "rn"), then accents,
 * invisible characters, spaces and punctuation removed. Case is folded before mapping, so "I" is
 * an "i" (not the "l" it resembles in some fonts): lookups stay case-insensitive.
 */
function lookalikeCore(name: string): string {
  let s = neutralizeDisplayName(name).normalize('NFKC').toLowerCase();
  // Case folded first, so that "ROSI" and "rosi" agree; twice, since a prototype can be upper case.
  for (let i = 0; i < 2; i++) s = unhomoglyph(s).toLowerCase();
  return s
    .normalize('NFD')
    .replace(/[\p{M}\p{Default_Ignorable_Code_Point}\p{Z}\p{P}]/gu, '')
    .normalize('NFC');
}

// Longest first, so "administrador" is dropped whole rather than leaving "istrador" behind.
const ROLE_SUFFIXES = [...new Set(ROLE_WORDS.map(lookalikeCore))].sort((a, b) => b.length - a.length);

/**
 * The skeleton two names share when they look alike: `lookalikeCore`, then a trailing role word
 * dropped (so "Rosa (admin)" looks like "Rosa"). Equal skeletons mean "a person could mistake one for
 * the other". It is deliberately broader than TR39 (accents and punctuation ignored, case folded), since
 * a false alarm costs only a warning and a "name one by its id".
 */
export function displayNameSkeleton(name: string): string {
  const s = lookalikeCore(name);
  const role = ROLE_SUFFIXES.find((r) => s.length > r.length && s.endsWith(r));
  return role === undefined ? s : s.slice(0, -role.length);
}

/**
 * For each account, the other accounts whose names share its skeleton. Accounts without a name (or
 * whose name is only punctuation and invisible characters) are confusable with nobody.
 */
export function confusableNames(people: Iterable<{ accountId: string; displayName: string | undefined }>): Map<string, string[]> {
  const bySkeleton = new Map<string, string[]>();
  for (const p of people) {
    if (!p.displayName) continue;
    const key = displayNameSkeleton(p.displayName);
    if (key === '') continue;
    const ids = bySkeleton.get(key);
    if (ids) {
      if (!ids.includes(p.accountId)) ids.push(p.accountId);
    } else bySkeleton.set(key, [p.accountId]);
  }
  const out = new Map<string, string[]>();
  for (const ids of bySkeleton.values()) {
    if (ids.length < 2) continue;
    for (const id of ids) out.set(id, ids.filter((other) => other !== id));
  }
  return out;
}
