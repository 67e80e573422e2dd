import { describe, expect, it } from 'vitest';
import { safetyGroups, safetyQr } from '../src/app/member-api.js';

const DIGITS = '123451234512345123451234512345123451234512345123451234599999';

describe('safety numbers for the app', () => {
  it('reads 60 digits as 12 groups of 5', () => {
    const groups = safetyGroups(DIGITS);
    expect(groups).toHaveLength(12);
    expect(groups.join('')).toBe(DIGITS);
    expect(groups.at(-1)).toBe('99999');
  });

  it('draws the QR code as a plain SVG document: no script, no links, nothing fetched', async () => {
    const svg = await safetyQr(DIGITS);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).not.toMatch(/<script|href|url\(|<foreignObject/i);
    expect(await safetyQr(DIGITS)).toBe(svg); // the same number always draws the same code
  });
});
