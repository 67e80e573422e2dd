import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LINE_BREAK_MARK, REPLACEMENT, stripControls, terminalLine, terminalText } from '../src/terminal-text.js';

/** What a terminal acts on: C0 (but not the newline a multi-line field keeps), DEL, C1, LS and PS. */
function hasControl(s: string, keepNewline = false): boolean {
  return [...s].some((c) => {
    const cp = c.codePointAt(0)!;
    return (cp < 0x20 && !(keepNewline && cp === 0x0a)) || (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029;
  });
}
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066\u2067]/u;

/** Strings made of the pieces attacks are made of, plus anything at all. */
const hostile = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.constantFrom('\u001B', '\u001B[', '\u001B]', '\u001BP', '\u001B\\', '\u009B', '\u009D', '\u0090', '\u009C', '\u0007', '\r', '\n', '\r\n', '\u0085', '\u2028', '\t', '\u007F', '\u202E', '\u2066', '\u2069', '\u05D0', '0;', '2J', 'm', '[', ']'),
    ),
    { maxLength: 20 },
  )
  .map((parts) => parts.join(''));

describe('terminalText', () => {
  it('drops escape sequences whole: screen clears, colours, cursor moves, window titles, DCS', () => {
    expect(terminalText('\u001B[2J\u001B[HAgents at the car wash')).toBe('Agents at the car wash');
    expect(terminalText('\u001B[1;31mRED\u001B[0m alert')).toBe('RED alert');
    expect(terminalText('\u001B]0;ALL CLEAR from Rosa\u0007Patrol')).toBe('Patrol');
    expect(terminalText('\u001B]2;title\u001B\\Patrol')).toBe('Patrol');
    expect(terminalText('\u001BPq#0;2;0;0;0\u001B\\x')).toBe('x');
    expect(terminalText('\u009B2J\u009D0;t\u009Cok')).toBe('ok'); // the C1 forms
    expect(terminalText('\u001B7\u001B(Bsaved\u001B8')).toBe('saved');
  });

  it('an unterminated string command does not swallow the rest of the text', () => {
    expect(terminalText('\u001B]0;rest of the alert')).toBe('0;rest of the alert');
  });

  it('keeps a one-line field on one line, and shows where the breaks were', () => {
    const place = '5th and Main\n14:05 ALL CLEAR [2cdb2af6] from Rosa';
    expect(terminalText(place)).toBe(`5th and Main${LINE_BREAK_MARK}14:05 ALL CLEAR [2cdb2af6] from Rosa`);
    expect(terminalText('a\r\nb\rc\u2028d\u0085e')).toBe(`a${LINE_BREAK_MARK}b${LINE_BREAK_MARK}c${LINE_BREAK_MARK}d${LINE_BREAK_MARK}e`);
    expect(terminalText('two\nlines\r', { multiline: true })).toBe('two\nlines\n');
  });

  it('shows other controls as U+FFFD and tabs as spaces', () => {
    expect(terminalText('bell\u0007 nul\u0000 del\u007F c1\u0085x\u0084')).toBe(`bell${REPLACEMENT} nul${REPLACEMENT} del${REPLACEMENT} c1${LINE_BREAK_MARK}x`);
    expect(terminalText('a\tb')).toBe('a b');
  });

  it('removes bidi controls, and isolates right-to-left text so it cannot reorder the line', () => {
    expect(terminalText('\u202ERosa (admin)')).toBe('Rosa (admin)');
    expect(terminalText('\u2066Rosa\u2069')).toBe('Rosa');
    expect(terminalText('שלום')).toBe('\u2068שלום\u2069');
    expect(terminalText('Plain Latin text, José')).toBe('Plain Latin text, José');
    expect(terminalText(undefined)).toBe('');
  });

  it('property: nothing a terminal acts on survives, in one-line and multi-line fields', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const one = terminalText(s);
        expect(hasControl(one)).toBe(false);
        expect(one).not.toMatch(BIDI);
        expect(one).not.toContain('\u001B');
        const multi = terminalText(s, { multiline: true });
        expect(hasControl(multi, true)).toBe(false);
        expect(multi).not.toContain('\r');
        // The only isolates left are ours, as one pair around the whole text.
        const isolates = [...one].filter((c) => c === '\u2068' || c === '\u2069');
        expect(isolates.length === 0 || (one.startsWith('\u2068') && one.endsWith('\u2069') && isolates.length === 2)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('property: plain printable text is left exactly as it is', () => {
    const printable = fc.string({ unit: fc.constantFrom(...'abcXYZ 0123 .,:;!?-—()[]"\'áéñü¿¡€→'), maxLength: 40 });
    fc.assert(
      fc.property(printable, (s) => {
        expect(terminalText(s)).toBe(s);
        expect(terminalLine(s)).toBe(s);
      }),
    );
  });
});

describe('terminalLine (the last net over whole lines)', () => {
  it('removes escapes and controls but keeps the isolates terminalText added', () => {
    const line = `from ${terminalText('שלום')} · \u001B[2J`;
    expect(terminalLine(line)).toBe('from \u2068שלום\u2069 · ');
    expect(stripControls('a\nb', true)).toBe('a\nb');
    expect(terminalLine('a\nb')).toBe(`a${LINE_BREAK_MARK}b`);
  });
});
