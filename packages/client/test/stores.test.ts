import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { afterAll, describe, expect, test } from 'vitest';
import { MemoryStore, SQLITE_FILE_NAME, SqliteStore } from '../src/stores/index.js';
import { Database } from '../src/stores/sqlite/cipher-db.js';
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

// A store written before group_member_blobs (migration 0009) holds every member's profile and
// proof inside groups.state: opening it moves them into their rows and out of the JSON.
describe('sqlite store migration of member blobs', () => {
  test('a state stored with its blobs inside loads without them, and the blobs are in their rows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aviso-client-store-'));
    dirs.push(dir);
    // The migrations as the previous version shipped them: everything before 0009.
    const previous = join(dir, 'drizzle');
    cpSync(fileURLToPath(new URL('../drizzle', import.meta.url)), previous, { recursive: true });
    const journalPath = join(previous, 'meta', '_journal.json');
    const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: Array<{ tag: string }> };
    const at = journal.entries.findIndex((e) => e.tag === '0009_group_member_blobs');
    expect(at).toBeGreaterThan(0);
    writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, at) }));
    const old = new Database(join(dir, SQLITE_FILE_NAME));
    migrate(drizzle(old), { migrationsFolder: previous });
    const groupId = 'a'.repeat(64);
    const state = {
      groupId,
      version: 4,
      headHash: 'AAAA',
      headAt: 60_000,
      title: 'Compton responders',
      description: '',
      membersCanInvite: false,
      attributes: 'QQ==',
      members: {
        ps1: { accountId: 'acc-1', role: 'admin', displayName: 'Rosa', identityKey: 'BQ==', signingKey: 'Uw==', entered: 0, profile: 'UDE=', proof: 'UTE=' },
        ps2: { accountId: 'acc-2', role: 'member', displayName: '', identityKey: 'BQ==', signingKey: 'Uw==', inviteId: 'inv', entered: 2, proof: 'UTI=' },
      },
      pending: { ps3: { accountId: 'acc-3', inviteId: 'inv', displayName: 'Carol', signingKey: 'Uw==', entered: 3, profile: 'UDM=', proof: 'UTM=' } },
      banned: [],
      invites: {},
    };
    old
      .prepare('INSERT INTO groups (group_id, master_key, status, version, head_hash, state) VALUES (?, ?, ?, ?, ?, ?)')
      .run(groupId, Buffer.alloc(32, 1), 'member', 4, 'AAAA', JSON.stringify(state));
    old.close();

    const store = SqliteStore.open(dir);
    const loaded = store.getGroup(groupId)!.state;
    expect(JSON.stringify(loaded)).not.toMatch(/"(profile|proof)"/);
    const strip = ({ profile: _p, proof: _q, ...rest }: Record<string, unknown>) => rest;
    expect(loaded).toEqual({
      ...state,
      members: { ps1: strip(state.members.ps1), ps2: strip(state.members.ps2) },
      pending: { ps3: strip(state.pending.ps3) },
    });
    expect(store.getGroupBlobs(groupId)).toEqual(
      new Map([
        ['ps1', { profile: 'UDE=', proof: 'UTE=' }],
        ['ps2', { proof: 'UTI=' }],
        ['ps3', { profile: 'UDM=', proof: 'UTM=' }],
      ]),
    );
    store.close();
  });
});
