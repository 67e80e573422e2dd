import { describe, expect, it } from 'vitest';
import { forEachBounded } from '../src/util/bounded.js';

describe('forEachBounded', () => {
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

  it('runs every item with at most `limit` in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    await forEachBounded(
      Array.from({ length: 100 }, (_, i) => i),
      16,
      async (i) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await tick();
        if (i % 3 === 0) await tick();
        inFlight--;
        done.push(i);
      },
    );
    expect(most).toBe(16);
    expect(done.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('handles fewer items than the limit, and none', async () => {
    const seen: string[] = [];
    await forEachBounded(['a', 'b'], 16, async (x) => void seen.push(x));
    await forEachBounded([], 16, async () => expect.unreachable());
    expect(seen.sort()).toEqual(['a', 'b']);
  });

  it('rejects with the first failure and starts nothing after it', async () => {
    const started: number[] = [];
    const run = forEachBounded(
      Array.from({ length: 50 }, (_, i) => i),
      4,
      async (i) => {
        started.push(i);
        await tick();
        if (i === 5) throw new Error('boom 5');
      },
    );
    await expect(run).rejects.toThrow('boom 5');
    await tick();
    await tick();
    // The workers in flight when 5 failed finish; no new item starts after the failure is seen.
    expect(Math.max(...started)).toBeLessThan(12);
  });
});
