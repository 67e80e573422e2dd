import { describe, expect, it } from 'vitest';
import { until } from '../src/index.js';

describe('until', () => {
  it('words a time still ahead in the viewer\'s language', () => {
    expect(until('en', 4 * 3600_000)).toBe('in 4 hr.');
    expect(until('es', 4 * 3600_000)).toMatch(/^dentro de 4 h/);
    expect(until('en', 10_000)).toBe('in 1 min.'); // never "in 0 minutes"
    expect(until('es', 3 * 86400_000)).toMatch(/3 d/);
  });
});
