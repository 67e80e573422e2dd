import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { fingerprintGroups, fingerprintLines, parseFingerprint } from '../src/index.js';

// SHA-256("abc"), FIPS 180-2 appendix B.1: a digest nobody here computed.
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('relay fingerprint format', () => {
  test('16 groups of 4 hex digits in 4 lines of 4, in order', () => {
    expect(fingerprintLines(ABC)).toEqual(['ba78 16bf 8f01 cfea', '4141 40de 5dae 2223', 'b003 61a3 9617 7a9c', 'b410 ff61 f200 15ad']);
    expect(fingerprintGroups(ABC)).toHaveLength(16);
    expect(fingerprintGroups(ABC).join('')).toBe(ABC);
  });

  test('reads back what it prints, and what a person types: spaces, line breaks, dashes, capitals', () => {
    expect(parseFingerprint(fingerprintLines(ABC).join('\n'))).toBe(ABC);
    expect(parseFingerprint(` ${ABC.toUpperCase().match(/.{4}/g)!.join('-')} `)).toBe(ABC);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 33, maxLength: 33 }), (bytes) => {
        const hex = createHash('sha256').update(bytes).digest('hex');
        const lines = fingerprintLines(hex);
        expect(lines).toHaveLength(4);
        for (const line of lines) expect(line).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){3}$/);
        expect(parseFingerprint(lines.join(' '))).toBe(hex);
      }),
    );
  });

  test('a digit missing, one too many, or not hex is a RangeError, never a near match', () => {
    for (const bad of [ABC.slice(1), `${ABC}0`, `${ABC.slice(0, 63)}g`, '', `${ABC.slice(0, 32)}.${ABC.slice(32)}`, 'x'.repeat(1000)]) {
      expect(() => parseFingerprint(bad)).toThrow(RangeError);
      expect(() => fingerprintLines(bad)).toThrow(RangeError);
    }
    expect(() => parseFingerprint(42 as unknown as string)).toThrow(RangeError);
  });
});
