import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { SqliteStore } from '@aviso/client';
import { canMountExt4, ext4Disk, type Ext4Disk } from './storage-faults.js';

// The inbox commits each envelope without waiting for the disk (`deferSync`) and acknowledges a run
// of them only after `sync()` (docs/sdk.md "Offline drain"). So `sync()` must make every deferred
// commit before it survive a power cut: here the store's ext4 loop mount is turned read-only by the
// kernel (unsynced writes never reach the disk), then checked and mounted again. Root and loop
// devices only, like member-power-loss.test.ts.
const ext4 = canMountExt4();
const N = 30;
let disk: Ext4Disk | undefined;
afterEach(() => {
  disk?.dispose();
  disk = undefined;
});

/** N deferred commits (each followed by `sync()` if asked), the disk fails, then what is left after recovery. */
function survivors(syncEach: boolean): number {
  disk = ext4Disk();
  const dir = join(disk.mountPoint, 'member');
  mkdirSync(dir, { mode: 0o700 });
  const store = SqliteStore.open(dir);
  for (let i = 0; i < N; i++) {
    store.commit({ processedEnvelopes: [{ guid: `g${i}`, processedAt: Date.now() }] }, { deferSync: true });
    if (syncEach) store.sync();
  }
  disk.fail();
  try {
    store.close();
  } catch {
    // The checkpoint on close cannot write to a read-only disk.
  }
  disk.recover();
  const again = SqliteStore.open(dir);
  try {
    return Array.from({ length: N }, (_, i) => `g${i}`).filter((g) => again.isEnvelopeProcessed(g)).length;
  } finally {
    again.close();
  }
}

if (ext4) {
  describe('SqliteStore.sync() after deferred commits, then the disk fails', () => {
    test(`every one of ${N} deferred commits, each followed by sync(), survives`, () => {
      // Found by this test: a sync that rewrote its marker row with the same value wrote no page, so
      // it fsynced nothing and only the first commit survived.
      expect(survivors(true)).toBe(N);
    });
    test('without sync() a deferred commit may be lost (the test can tell the difference)', () => {
      expect(survivors(false)).toBeLessThan(N);
    });
  });
}
