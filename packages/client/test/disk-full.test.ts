import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AvisoClient, DiskFullError, SqliteStore, storeProtection } from '../src/index.js';
import { fillDisk, tmpfsForFile } from './full-disk.js';

// A real full disk: a 2 MiB tmpfs, which needs root (as in CI and this project's containers).
// Without it the test says so and is skipped rather than faked.
const mounted = tmpfsForFile('disk-full');

const MARKER = 'Disk Full Plaintext Marker';


describe('a full disk while a plain store is encrypted in place', () => {
  it.each([
    [0, 'acquire'],
    [16 * 1024, 'probeDatabase'],
    [96 * 1024, 'exportInto'],
  ])('is DISK_FULL with %i bytes free (in %s), changes nothing, and converts once there is room', async (leave, where) => {
    const mountPoint = mounted();
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
    fillDisk(filler, leave);
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
