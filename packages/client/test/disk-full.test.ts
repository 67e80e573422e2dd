import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvisoClient, DiskFullError, SqliteStore, storeProtection } from '../src/index.js';

// A real full disk: a 2 MiB tmpfs, which needs root (as in CI and this project's containers).
// Without it the test says so and is skipped rather than faked.
let mountPoint: string | undefined;
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'aviso-full-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status === 0) mountPoint = dir;
  else {
    rmSync(dir, { recursive: true, force: true });
    console.warn(`disk-full.test: cannot mount a tmpfs here (${r.stderr.trim() || r.error?.message}); skipped`);
  }
});
afterAll(() => {
  if (!mountPoint) return;
  spawnSync('umount', [mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

const MARKER = 'Disk Full Plaintext Marker';

/** Writes zeros to `path` until the file system is full, then frees `leave` bytes. */
function fill(path: string, leave: number): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(4096);
  let size = 0;
  try {
    for (;;) size += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  if (leave > 0) spawnSync('truncate', ['-s', String(Math.max(0, size - leave)), path]);
}

describe('a full disk while a plain store is encrypted in place', () => {
  it.each([
    [0, 'acquire'],
    [16 * 1024, 'probeDatabase'],
    [96 * 1024, 'exportInto'],
  ])('is DISK_FULL with %i bytes free (in %s), changes nothing, and converts once there is room', async (leave, where) => {
    if (!mountPoint) return;
    const dir = join(mountPoint, `store-${leave}`);
    const first = await AvisoClient.open({ dataDir: dir });
    const identity = first.identityKey;
    await first.close();
    // A store big enough that its encrypted copy cannot fit in what is left.
    const store = SqliteStore.open(dir);
    store.commit({ meta: { marker: MARKER, padding: 'x'.repeat(1_200_000) } });
    store.close();
    const before = readdirSync(dir).filter((f) => !/-(wal|shm)$/.test(f)).sort();
    const filler = join(mountPoint, `filler-${leave}`);
    fill(filler, leave);
    let err: unknown;
    try {
      err = await AvisoClient.open({ dataDir: dir, passphrase: 'pw' }).then(
        async (c) => c.close(),
        (e: unknown) => e,
      );
      // SQLite may leave the plain store's own -wal and -shm; no staged key or half copy stays.
      expect(readdirSync(dir).filter((f) => !/-(wal|shm)$/.test(f)).sort()).toEqual(before);
      expect(storeProtection(dir)).toBe('none');
    } finally {
      rmSync(filler, { force: true });
    }
    expect(err).toBeInstanceOf(DiskFullError);
    expect((err as DiskFullError).code).toBe('DISK_FULL');
    // Each size runs out at a different step: taking the lock, growing the -shm, copying the rows.
    expect(String(((err as Error).cause as Error).stack)).toContain(where);
    // Nothing lost: the plain store opens as it was, then converts once there is room.
    const still = await AvisoClient.open({ dataDir: dir });
    expect(still.identityKey).toEqual(identity);
    await still.close();
    const converted = await AvisoClient.open({ dataDir: dir, passphrase: 'pw' });
    expect(converted.identityKey).toEqual(identity);
    await converted.close();
    expect(storeProtection(dir)).toBe('passphrase');
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
