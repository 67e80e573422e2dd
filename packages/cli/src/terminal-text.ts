/**
 * Text from other members and from the relay reaches a terminal here, and a terminal obeys what it
 * is sent: ESC [2J clears the screen, OSC 0 retitles the window, a carriage return overwrites the
 * line, a newline in a place prints a whole fake line under it. Every human-readable rendering of
 * someone else's text goes through `terminalText`; `--json` output does not (JSON escapes controls,
 * and scripts get the exact text).
 *
 * Written here rather than taken from strip-ansi / ansi-regex (or node:util's stripVTControlCharacters,
 * the same pattern): those match well-formed sequences whose parameters use a small character set, so
 * an OSC window title with spaces or an unterminated sequence passes through, and they leave lone C0/C1
 * controls, line breaks and bidi controls alone; all of which this needs to handle anyway. This is an
 * ECMA-48 scanner (a few dozen lines), and what survives it is checked by property tests.
 */

const ESC = 0x1b;
const BEL = 0x07;
/** C1 String Terminator. */
const ST = 0x9c;
/** Line breaks: LF, VT, FF, CR, NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR. */
const LINE_BREAK = /\r\n|[\n\v\f\r\u0085\u2028\u2029]/gu;
/** Explicit bidi formatting (embeddings, overrides, isolates, marks): removed from others' text. */
const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;
/** Right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko, …, and their presentation forms). */
const RTL = /[\u0590-\u08FF\uFB1D-\uFDFF\uFE70-\uFEFC\u{10800}-\u{10FFF}\u{1E800}-\u{1EFFF}]/u;
const FSI = '\u2068';
const PDI = '\u2069';
/** Shown in place of a control character, so the reader sees that something was there. */
export const REPLACEMENT = '\uFFFD';
/** Shown in place of a line break inside a one-line field. */
export const LINE_BREAK_MARK = '\u21B5';

/** Removes ESC/CSI/OSC/DCS/… sequences (7-bit and C1 forms); any other control becomes U+FFFD. */
export function stripControls(text: string, keepNewlines = false): string {
  let out = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === ESC || (c >= 0x80 && c <= 0x9f)) {
      i = skipSequence(text, i);
      continue;
    }
    if (c === 0x0a && keepNewlines) out += '\n';
    else if (c < 0x20 || c === 0x7f) out += c === 0x09 ? ' ' : REPLACEMENT;
    else out += text[i];
    i++;
  }
  return out;
}

/**
 * Index just past the escape sequence starting at `i` (an ESC or a C1 control). A string command
 * (OSC, DCS, SOS, PM, APC) runs to its terminator; without one only its introducer is dropped, so
 * an unterminated sequence cannot swallow the rest of the text from the reader.
 */
function skipSequence(text: string, i: number): number {
  const n = text.length;
  let kind = text.charCodeAt(i);
  let j = i + 1;
  if (kind === ESC) {
    if (j >= n) return j;
    const next = text.charCodeAt(j);
    if (next >= 0x40 && next <= 0x5f) {
      kind = next + 0x40; // ESC [ is CSI, ESC ] is OSC, …: the C1 control it stands for
      j++;
    } else {
      // ESC, intermediates (0x20–0x2F), one final byte (0x30–0x7E): e.g. ESC ( B, ESC 7, ESC c
      while (j < n && text.charCodeAt(j) >= 0x20 && text.charCodeAt(j) <= 0x2f) j++;
      if (j < n && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x7e) j++;
      return j;
    }
  }
  if (kind === 0x9b) {
    // CSI: parameters (0x30–0x3F), intermediates (0x20–0x2F), final (0x40–0x7E)
    let k = j;
    while (k < n && text.charCodeAt(k) >= 0x30 && text.charCodeAt(k) <= 0x3f) k++;
    while (k < n && text.charCodeAt(k) >= 0x20 && text.charCodeAt(k) <= 0x2f) k++;
    return k < n && text.charCodeAt(k) >= 0x40 && text.charCodeAt(k) <= 0x7e ? k + 1 : j;
  }
  if (kind === 0x9d || kind === 0x90 || kind === 0x98 || kind === 0x9e || kind === 0x9f) {
    // OSC, DCS, SOS, PM, APC: a string up to BEL (OSC), ESC \ or ST
    for (let k = j; k < n; k++) {
      const c = text.charCodeAt(k);
      if (c === BEL || c === ST) return k + 1;
      if (c === ESC && text.charCodeAt(k + 1) === 0x5c) return k + 2;
    }
    return j;
  }
  return j; // any other C1 control, or ESC + a C1 letter (SS2, NEL, …): dropped
}

export interface TerminalTextOptions {
  /** Keep line breaks as `\n` (a message body); otherwise each becomes ↵ and the text stays on one line. */
  multiline?: boolean;
}

/**
 * Someone else's text, safe to print: escape sequences removed, controls shown as U+FFFD, line breaks
 * shown as ↵ (or kept as `\n` with `multiline`), bidi controls removed, and right-to-left text wrapped
 * in a first-strong isolate (FSI … PDI) so it cannot reorder the rest of the line around it.
 */
export function terminalText(text: string | undefined, opts: TerminalTextOptions = {}): string {
  if (text === undefined || text === '') return '';
  const broken = text.replace(LINE_BREAK, opts.multiline ? '\n' : LINE_BREAK_MARK);
  const clean = stripControls(broken, opts.multiline === true).replace(BIDI_CONTROL, '');
  return RTL.test(clean) ? `${FSI}${clean}${PDI}` : clean;
}

/**
 * A whole line we are about to print, as a last net: escape sequences and controls go (as in
 * `terminalText`), line breaks become ↵. The isolates `terminalText` added are kept.
 */
export function terminalLine(line: string): string {
  return stripControls(line.replace(LINE_BREAK, LINE_BREAK_MARK));
}
