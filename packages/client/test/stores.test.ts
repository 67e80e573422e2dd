import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { MemoryStore, SqliteStore } from '../src/stores/index.js';
import { StoreConflictError, type IdentityRecord, type VerifiedState } from '../src/stores/interfaces.js';
import { describeStoreContract } from './stores/contract.js';

describeStoreContract('memory', { make: () => new MemoryStore() });

const dirs: string[] = [];
const dirOf = new WeakMap<object, string>();
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describeStoreContract('sqlite', {
  make: () => {
    const dir = mkdtempSync(join(tmpdir(), 'aviso-client-store-'));
    dirs.push(dir);
    const store = SqliteStore.open(dir);
    dirOf.set(store, dir);
    return store;
  },
  reopen: (previous) => {
    previous.close();
    return SqliteStore.open(dirOf.get(previous)!);
  },
});

// The SQLite store caches sessions and identities in memory (a large group send reads them all).
// The cache must never disagree with the file: not after a rolled-back commit, not after another
// process (here: a second connection) commits.
describe('sqlite store read caches', () => {
  const open = () => {
    const dir = mkdtempSync(join(tmpdir(), 'aviso-client-store-'));
    dirs.push(dir);
    return { dir, store: SqliteStore.open(dir) };
  };
  const identity = (key: number, verified: VerifiedState = 'default'): IdentityRecord => ({ publicKey: new Uint8Array([5, key]), verified, firstSeenAt: 1, changedAt: 1 });

  test('a rolled-back commit leaves cached sessions and identities as they were', () => {
    const { store } = open();
    store.commit({ sessions: [{ accountId: 'a', deviceId: 1, record: new Uint8Array([1]) }], identities: [{ accountId: 'a', record: identity(1) }] });
    expect(store.getSessionsOf(['a']).map((s) => [...s.record])).toEqual([[1]]);
    expect(store.getIdentity('a')?.publicKey).toEqual(new Uint8Array([5, 1]));
    // The session and identity writes run first, then a replayed Kyber use violates its primary key.
    const use = { kyberPreKeyId: 1, signedPreKeyId: 1, baseKey: new Uint8Array([9]) };
    store.commit({ kyberUsed: [use] });
    expect(() =>
      store.commit({ sessions: [{ accountId: 'a', deviceId: 1, record: new Uint8Array([2]) }], identities: [{ accountId: 'a', record: identity(2) }], kyberUsed: [use] }),
    ).toThrow(StoreConflictError);
    expect(store.getSessionsOf(['a']).map((s) => [...s.record])).toEqual([[1]]);
    expect(store.getSession('a', 1)).toEqual(new Uint8Array([1]));
    expect(store.getIdentitiesOf?.(['a'])[0]?.record.publicKey).toEqual(new Uint8Array([5, 1]));
    store.close();
  });

  test('a commit by another connection to the same file is seen on the next read', () => {
    const { dir, store } = open();
    store.commit({ sessions: [{ accountId: 'a', deviceId: 1, record: new Uint8Array([1]) }], identities: [{ accountId: 'a', record: identity(1) }] });
    expect(store.getSession('a', 1)).toEqual(new Uint8Array([1]));
    expect(store.getIdentity('a')?.verified).toBe('default');
    const other = SqliteStore.open(dir);
    other.commit({
      sessions: [{ accountId: 'a', deviceId: 1, record: null }, { accountId: 'a', deviceId: 2, record: new Uint8Array([3]) }],
      identities: [{ accountId: 'a', record: identity(1, 'verified') }],
    });
    other.close();
    expect(store.getSessionDevices('a')).toEqual([2]);
    expect(store.getSessionsOf(['a']).map((s) => [s.deviceId, ...s.record])).toEqual([[2, 3]]);
    expect(store.getIdentity('a')?.verified).toBe('verified');
    store.close();
  });

  test('writes reach accounts read before, devices come back in order, and unknown accounts stay unknown', () => {
    const { store } = open();
    expect(store.getSessionsOf(['b', 'a'])).toEqual([]);
    expect(store.getIdentitiesOf?.(['a'])).toEqual([]);
    store.commit({
      sessions: [{ accountId: 'a', deviceId: 3, record: new Uint8Array([3]) }, { accountId: 'a', deviceId: 1, record: new Uint8Array([1]) }, { accountId: 'b', deviceId: 1, record: new Uint8Array([4]) }],
      identities: [{ accountId: 'a', record: identity(7) }],
    });
    expect(store.getSessionsOf(['b', 'a', 'a']).map((s) => `${s.accountId}.${s.deviceId}`)).toEqual(['a.1', 'a.3', 'b.1']);
    expect(store.getIdentitiesOf?.(['a', 'c']).map((i) => i.accountId)).toEqual(['a']);
    store.close();
  });
});
