// The import-cycle gate (`pnpm run cycles`, run by `npm test`) must be able to fail: these fixtures
// prove that it catches a value circle and a type-only circle, and passes a straight line.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = fileURLToPath(new URL('../../node_modules/.bin/depcruise', import.meta.url));

async function cruise(fixture: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await promisify(execFile)(bin, ['--config', '.dependency-cruiser.mjs', `tests/structure/fixtures/${fixture}`], { cwd: root });
    return { code: 0, out: stdout };
  } catch (error) {
    const e = error as { code?: number; stdout?: string };
    return { code: e.code ?? -1, out: e.stdout ?? '' };
  }
}

describe('import-cycle gate', () => {
  it('fails on a circle of value imports and names both files', async () => {
    const r = await cruise('circle');
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/no-circular/);
    expect(r.out).toMatch(/circle\/a\.ts/);
    expect(r.out).toMatch(/circle\/b\.ts/);
  });

  it('fails on a circle of type-only imports too', async () => {
    const r = await cruise('type-circle');
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/no-circular/);
  });

  it('passes imports that run one way', async () => {
    const r = await cruise('line');
    expect(r.out).not.toMatch(/no-circular/);
    expect(r.code).toBe(0);
  });
});
