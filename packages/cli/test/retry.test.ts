import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY, RETRY_JITTER, retryDelayMs, retryPolicy } from '../src/listen/retry.js';

describe("listen's wait for a relay that is down", () => {
  it('doubles from the first delay up to the cap, each shifted by at most the jitter', () => {
    const policy = { firstSeconds: 2, maxSeconds: 60 };
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((n) => retryDelayMs(policy, n, mid))).toEqual([2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    expect(retryDelayMs(policy, 0, () => 0)).toBe(2000 * (1 - RETRY_JITTER));
    expect(retryDelayMs(policy, 0, () => 1)).toBe(2000 * (1 + RETRY_JITTER));
    expect(retryDelayMs(policy, 10, () => 1)).toBe(60_000); // never past the cap
    expect(retryDelayMs(policy, 1000, () => 0)).toBe(60_000 * (1 - RETRY_JITTER)); // a huge attempt count does not overflow
  });

  it('spreads members who started together', () => {
    const delays = new Set(Array.from({ length: 20 }, () => retryDelayMs(DEFAULT_RETRY, 3)));
    expect(delays.size).toBeGreaterThan(1);
  });

  it('takes AVISO_LISTEN_RETRY=FIRST,MAX, and the default for anything else', () => {
    expect(retryPolicy({ AVISO_LISTEN_RETRY: '0.05,0.2' })).toEqual({ firstSeconds: 0.05, maxSeconds: 0.2 });
    expect(retryPolicy({ AVISO_LISTEN_RETRY: '5,1' })).toEqual({ firstSeconds: 5, maxSeconds: 5 }); // the cap is never below the first delay
    for (const bad of [undefined, '', '3', '0,10', '-1,5', 'a,b', '1,2,3']) expect(retryPolicy({ AVISO_LISTEN_RETRY: bad })).toEqual(DEFAULT_RETRY);
  });
});
