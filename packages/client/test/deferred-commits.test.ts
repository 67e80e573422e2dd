import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/index.js';
import { fillDisk, tmpfsForFile } from './full-disk.js';

// Deferred commits (the inbox's runs of envelopes) share one SQLite transaction that `sync()`
// commits (docs/sdk.md "Offline drain"). The inbox acknowledges a run only if `sync()` returns, so
// sync() must never return while a deferred commit before it is lost. A real full disk: a small
// tmpfs, which needs root (as in CI and this project's containers); without it the full-disk case
// says so and is skipped rather than faked.

const processed = (guid: string) => ({ processedEnvelopes: [{ guid, processedAt: Date.now() }] });
const deferred = { deferSync: true };

describe('deferred commits share one transaction until sync()', () => {
  it('are visible to reads at once, a conflicting one rolls back alone, and sync() or a durable commit keeps them all', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aviso-deferred-'));
    try {
      const store = SqliteStore.open(dir);
      store.commit(processed('a'), deferred);
      expect(store.isEnvelopeProcessed('a')).toBe(true);
      // A replayed Kyber prekey use is a constraint error: that commit alone is rolled back.
      const use = { kyberPreKeyId: 1, signedPreKeyId: 1, baseKey: new Uint8Array(33).fill(7) };
      store.commit({ kyberUsed: [use] }, deferred);
      expect(() => store.commit({ kyberUsed: [use], ...processed('conflict') }, deferred)).toThrow();
      expect(store.isEnvelopeProcessed('conflict')).toBe(false);
      store.commit(processed('b'), deferred);
      store.sync();
      store.commit(processed('c'), deferred);
      store.commit({ meta: { durable: 'yes' } }); // a durable commit commits the deferred ones before it
      store.commit(processed('d'), deferred);
      store.close(); // keeps what is deferred, as a commit to the log did
      const again = SqliteStore.open(dir);
      expect(['a', 'b', 'c', 'd', 'conflict'].map((g) => again.isEnvelopeProcessed(g))).toEqual([true, true, true, true, false]);
      expect(again.isKyberPreKeyUsed(use)).toBe(true);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const mounted = tmpfsForFile('deferred-commits');

describe('a full disk in the middle of a run of deferred commits', () => {
  it.for([
    ['at the sync', false],
    ['at a deferred commit, then room again before the sync', true],
  ] as const)('%s: sync() returns only if every deferred commit that returned is in the store', ([label, freeBeforeSync], ctx) => {
    // Reported as skipped, not passed, where no tmpfs can be mounted.
    const mountPoint = mounted();
    if (!mountPoint) return ctx.skip();
    const dir = join(mountPoint, `store-${String(freeBeforeSync)}`);
    const filler = join(mountPoint, `filler-${String(freeBeforeSync)}`);
    const store = SqliteStore.open(dir);
    store.commit({ meta: { warm: 'x' } });
    const committed: string[] = [];
    for (let i = 0; i < 20; i++) {
      store.commit(processed(`before-${i}`), deferred);
      committed.push(`before-${i}`);
    }
    fillDisk(filler);
    // Big enough to spill out of SQLite's page cache into the log while the disk is full.
    try {
      store.commit({ ...processed('big'), meta: { big: 'y'.repeat(3_000_000) } }, deferred);
      committed.push('big');
    } catch {
      // SQLITE_FULL: this commit did not happen (and SQLite may have dropped the whole transaction).
    }
    if (freeBeforeSync) {
      rmSync(filler);
      store.commit(processed('after'), deferred);
      committed.push('after');
    }
    let synced = false;
    try {
      store.sync();
      synced = true;
    } catch {
      // Nothing of the run is acknowledged.
    }
    rmSync(filler, { force: true });
    try {
      store.close();
    } catch {
      // Whatever close() could not keep is not claimed by a sync.
    }
    const again = SqliteStore.open(dir);
    const missing = committed.filter((g) => !again.isEnvelopeProcessed(g));
    again.close();
    console.info(`deferred commits, full disk ${label}: sync ${synced ? 'returned' : 'threw'}, ${missing.length} of ${committed.length} missing`);
    // The invariant the inbox's acknowledgements rest on.
    if (synced) expect(missing).toEqual([]);
    // With the disk still full the run's transaction cannot commit: sync() must say so.
    if (!freeBeforeSync) expect(synced).toBe(false);
  });
});
