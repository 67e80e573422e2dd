import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { confusableNames, DisplayNameError, displayNameSkeleton, neutralizeDisplayName, normalizeDisplayName } from '../src/index.js';

const ZWSP = '\u200B';
const RLO = '\u202E';

/** Any code point, lone surrogates included: received names are whatever a hostile member sealed. */
const anyText = fc.string({ unit: 'binary', maxLength: 40 });
const hostileChar = fc.constantFrom('\u0000', '\u0007', '\u001B', '\n', '\r', '\t', '\u007F', '\u0085', '\u009B', '\u00AD', '\u034F', '\u061C', ZWSP, '\u200D', '\u200E', RLO, '\u2028', '\u2066', '\u2069', '\u3164', '\uFEFF', '\uD800', '\u{E0041}');

describe('normalizeDisplayName (names the local user sets)', () => {
  test('NFC, trimmed, runs of any space become one space', () => {
    expect(normalizeDisplayName('  Jose\u0301  Luis\u00A0\u3000 ')).toBe('José Luis');
    expect(normalizeDisplayName('')).toBe('');
    expect(normalizeDisplayName('❤\uFE0F Ana')).toBe('❤\uFE0F Ana'); // variation selectors stay (emoji)
  });

  test.each([
    ['Ro\u200Bsa', 'invisible-character', 0x200b],
    [`${RLO}Rosa (admin)`, 'bidi-control', 0x202e],
    ['Rosa\u2066', 'bidi-control', 0x2066],
    ['Rosa\nALL CLEAR', 'control-character', 0x0a],
    ['\u001B]0;pwned\u0007Rosa', 'control-character', 0x1b],
    ['Rosa\u009B2J', 'control-character', 0x9b],
    ['\u3164', 'invisible-character', 0x3164],
    ['Ro\u00ADsa', 'invisible-character', 0xad],
  ] as const)('refuses %j with a typed error', (name, reason, codePoint) => {
    const err = (() => {
      try {
        normalizeDisplayName(name);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(DisplayNameError);
    expect(err).toMatchObject({ name: 'DisplayNameError', reason, codePoint });
    expect((err as Error).message).toMatch(/^a display name cannot contain .* \(found U\+[0-9A-F]{4,}\)$/);
  });

  test('a non-string is a TypeError, not a crash elsewhere', () => {
    expect(() => normalizeDisplayName(42 as unknown as string)).toThrow(TypeError);
  });

  test('property: either a DisplayNameError or a name that neutralizing leaves alone', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        let n: string;
        try {
          n = normalizeDisplayName(s);
        } catch (e) {
          expect(e).toBeInstanceOf(DisplayNameError);
          return;
        }
        expect(neutralizeDisplayName(n)).toBe(n);
        expect(normalizeDisplayName(n)).toBe(n);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('neutralizeDisplayName (names received from others)', () => {
  test('removes the tricks: what is shown is what is compared', () => {
    expect(neutralizeDisplayName(`Ro${ZWSP}sa`)).toBe('Rosa');
    expect(neutralizeDisplayName(`${RLO}Rosa (admin)`)).toBe('Rosa (admin)');
    expect(neutralizeDisplayName('Rosa\n12:00 ALL CLEAR')).toBe('Rosa 12:00 ALL CLEAR');
    expect(neutralizeDisplayName('\u001B[2JRosa')).toBe('[2JRosa'); // the ESC is gone; the rest is harmless text
    expect(neutralizeDisplayName('\u3164')).toBe('');
  });

  test('property: the result is settable, has no hostile character, and neutralizing it again changes nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(anyText, hostileChar)), (parts) => {
        const n = neutralizeDisplayName(parts.join(''));
        expect(normalizeDisplayName(n)).toBe(n);
        expect(neutralizeDisplayName(n)).toBe(n);
        expect(n).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('displayNameSkeleton (look-alike names)', () => {
  const rosa = displayNameSkeleton('Rosa');
  test.each([
    ['Ro\u200Bsa'],
    [`${RLO}Rosa (admin)`],
    ['Rosa (admin)'],
    ['Rоѕа'], // Cyrillic о, ѕ, а
    ['R0sa'],
    ['ROSA'],
    ['Rosá'],
    ['ｒｏｓａ'], // fullwidth
    ['Rosa.'],
    [' Rosa  '],
  ])('%j looks like "Rosa"', (name) => {
    expect(displayNameSkeleton(name)).toBe(rosa);
  });

  test.each([['Rosa María'], ['Rose'], ['Ana'], ['Роsа']])('%j does not look like "Rosa"', (name) => {
    // Cyrillic Er "Р" is drawn like a Latin P: "Роsа" reads "Posa", and is confusable with that instead.
    expect(displayNameSkeleton(name)).not.toBe(rosa);
  });

  test('digits and letters that are drawn alike: 1 l |, 0 O o', () => {
    expect(displayNameSkeleton('Lu1s')).toBe(displayNameSkeleton('Luls'));
    expect(displayNameSkeleton('Lu|s')).toBe(displayNameSkeleton('Luls'));
    expect(displayNameSkeleton('B0b')).toBe(displayNameSkeleton('Bob'));
    expect(displayNameSkeleton('Роsа')).toBe(displayNameSkeleton('Posa'));
  });

  test('property: neutralizing never changes the skeleton', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        expect(displayNameSkeleton(neutralizeDisplayName(s))).toBe(displayNameSkeleton(s));
      }),
      { numRuns: 1000 },
    );
  });

  test('property: Latin names are compared without regard to case', () => {
    const latin = fc.string({ unit: fc.constantFrom(...'abcdefghijkmnopqrstuvwxyzáéíóúñü ABCDEFGHJKMNOPQRSTUVWXYZÁÉÍÓÚÑÜ'), maxLength: 20 });
    fc.assert(
      fc.property(latin, (s) => {
        expect(displayNameSkeleton(s.toUpperCase())).toBe(displayNameSkeleton(s.toLowerCase()));
      }),
      { numRuns: 1000 },
    );
  });

  test('a name that is only a role word keeps it (an "Admin" is not nameless)', () => {
    expect(displayNameSkeleton('Admin')).toBe(displayNameSkeleton('ADMIN'));
    expect(displayNameSkeleton('Admin')).not.toBe('');
  });
});

describe('confusableNames', () => {
  test('lists, for each account, the others with a look-alike name; nameless accounts match nobody', () => {
    const result = confusableNames([
      { accountId: 'rosa', displayName: 'Rosa' },
      { accountId: 'spoof1', displayName: 'Rоѕа' },
      { accountId: 'spoof2', displayName: 'Rosa (admin)' },
      { accountId: 'ana', displayName: 'Ana' },
      { accountId: 'x', displayName: undefined },
      { accountId: 'y', displayName: '' },
      { accountId: 'z', displayName: '...' },
    ]);
    expect(Object.fromEntries(result)).toEqual({ rosa: ['spoof1', 'spoof2'], spoof1: ['rosa', 'spoof2'], spoof2: ['rosa', 'spoof1'] });
  });
});
