import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Direction, IdentityChange, PrivateKey, ProtocolAddress } from '@signalapp/libsignal-client';
import { generateKyberPreKey } from '../../src/crypto/prekeys.js';
import { signalStores, StoreConflictError, Zone, type AvisoStore, type GroupRecord, type LocalKeys } from '../../src/stores/index.js';
import { LIMITS } from '@aviso/protocol';
import type { AlertRecord, AlertResponse, AlertTombstone, SendLogEntry, SenderKeyInfo } from '../../src/stores/interfaces.js';
import { newIdentityKey } from '../helpers.js';

export interface StoreFactory {
  /** A new, empty store. */
  make(): AvisoStore;
  /** Reopens the same persistent store (sqlite only). */
  reopen?: (previous: AvisoStore) => AvisoStore;
}

const bytes = (...v: number[]) => new Uint8Array(v);
const local = (): LocalKeys => ({ identityKeyPair: newIdentityKey(), registrationId: 1234 });

function sampleGroup(groupId: string, version: number): GroupRecord {
  return {
    groupId,
    masterKey: new Uint8Array(32).fill(version + 1),
    status: 'member',
    invitePassword: 'cGFzcw==',
    state: {
      groupId,
      version,
      headHash: 'AAAA',
      title: 'Compton responders',
      description: '',
      membersCanInvite: false,
      members: { ps1: { accountId: randomUUID(), role: 'admin', displayName: 'Rosa', identityKey: 'BQ==' }, ps2: { accountId: randomUUID(), role: 'member', displayName: '', identityKey: 'BQ==', inviteId: 'inv' } },
      pending: { ps3: { accountId: randomUUID(), inviteId: 'inv', displayName: 'Carol', identityKey: 'BQ==' } },
      banned: ['ps4'],
      invites: { inv: { issuer: 'ps1', expiresAt: 5, maxUses: 2, uses: 1, role: 'member', requireApproval: true, revoked: false, passwordHash: 'AA==', signingKey: 'AQ==' } },
    },
  };
}

function sampleAlert(groupId: string, id: string, observedAt: number, expiresAt: number): AlertRecord {
  return {
    groupId,
    id,
    from: 'f',
    fromDevice: 1,
    kind: 'raid',
    severity: 'critical',
    title: 'vans',
    body: 'two',
    place: { text: '5th and Main', lat: 33.9, lon: -118.22 },
    observedAt,
    expiresAt,
    requestAck: true,
    sentAt: observedAt,
  };
}

/** One suite every AvisoStore implementation must pass (matrix-rust-sdk's store integration tests). */
export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`store contract: ${name}`, () => {
    const open: AvisoStore[] = [];
    const make = () => {
      const s = factory.make();
      open.push(s);
      return s;
    };
    afterEach(() => {
      for (const s of open.splice(0)) s.close();
    });

    it('stores the local identity and account', () => {
      const store = make();
      expect(store.getLocalIdentity()).toBeUndefined();
      expect(store.getAccount()).toBeUndefined();
      store.commit({
        localIdentity: { identityKeyPair: bytes(1, 2, 3), registrationId: 42 },
        account: { relayUrl: 'http://r', trustRoot: bytes(5), accountId: 'a', deviceId: 1, password: 'pw' },
        meta: { k: 'v' },
      });
      expect(store.getLocalIdentity()).toEqual({ identityKeyPair: bytes(1, 2, 3), registrationId: 42 });
      expect(store.getAccount()).toEqual({ relayUrl: 'http://r', trustRoot: bytes(5), accountId: 'a', deviceId: 1, password: 'pw' });
      expect(store.getMeta('k')).toBe('v');
    });

    it('round-trips and deletes sessions', () => {
      const store = make();
      store.commit({
        sessions: [
          { accountId: 'p', deviceId: 2, record: bytes(2) },
          { accountId: 'p', deviceId: 1, record: bytes(1) },
          { accountId: 'q', deviceId: 1, record: bytes(9) },
        ],
      });
      expect(store.getSession('p', 1)).toEqual(bytes(1));
      expect(store.getSessionDevices('p')).toEqual([1, 2]);
      store.commit({ sessions: [{ accountId: 'p', deviceId: 1, record: bytes(7) }, { accountId: 'p', deviceId: 2, record: null }] });
      expect(store.getSession('p', 1)).toEqual(bytes(7));
      expect(store.getSessionDevices('p')).toEqual([1]);
    });

    it('reads the sessions of many accounts in one lookup, by account then device', () => {
      const store = make();
      store.commit({
        sessions: [
          { accountId: 'q', deviceId: 1, record: bytes(9) },
          { accountId: 'p', deviceId: 2, record: bytes(2) },
          { accountId: 'p', deviceId: 1, record: bytes(1) },
          { accountId: 'r', deviceId: 1, record: bytes(5) },
        ],
      });
      if (!store.getSessionsOf) return expect.unreachable('both stores batch session reads');
      expect(store.getSessionsOf([])).toEqual([]);
      expect(store.getSessionsOf(['unknown'])).toEqual([]);
      expect(store.getSessionsOf(['q', 'p', 'q', 'unknown'])).toEqual([
        { accountId: 'p', deviceId: 1, record: bytes(1) },
        { accountId: 'p', deviceId: 2, record: bytes(2) },
        { accountId: 'q', deviceId: 1, record: bytes(9) },
      ]);
      store.commit({ sessions: [{ accountId: 'p', deviceId: 1, record: null }] });
      expect(store.getSessionsOf(['p'])).toEqual([{ accountId: 'p', deviceId: 2, record: bytes(2) }]);
    });

    it('reads the identities of many accounts in one lookup', () => {
      const store = make();
      const rec = (n: number) => ({ publicKey: bytes(n), verified: 'default' as const, firstSeenAt: n, changedAt: n });
      store.commit({ identities: [{ accountId: 'p', record: rec(1) }, { accountId: 'q', record: rec(2) }] });
      if (!store.getIdentitiesOf) return expect.unreachable('both stores batch identity reads');
      expect(store.getIdentitiesOf([])).toEqual([]);
      const got = store.getIdentitiesOf(['q', 'p', 'unknown', 'p']).sort((a, b) => a.accountId.localeCompare(b.accountId));
      expect(got).toEqual([
        { accountId: 'p', record: rec(1) },
        { accountId: 'q', record: rec(2) },
      ]);
    });

    it('zone batch reads see pending writes first, and work over a store without batch reads', () => {
      const store = make();
      store.commit({
        sessions: [
          { accountId: 'p', deviceId: 1, record: bytes(1) },
          { accountId: 'p', deviceId: 2, record: bytes(2) },
          { accountId: 'q', deviceId: 1, record: bytes(3) },
        ],
      });
      // The same store with the optional batch methods hidden: the zone falls back to per-device reads.
      const plain = new Proxy(store, {
        get: (target, prop) => {
          if (prop === 'getSessionsOf' || prop === 'getIdentitiesOf') return undefined;
          const v = Reflect.get(target, prop) as unknown;
          return typeof v === 'function' ? (v as (...args: unknown[]) => unknown).bind(target) : v;
        },
      });
      for (const s of [store, plain]) {
        const zone = new Zone(s);
        zone.setSession('p', 2, null);
        zone.setSession('p', 3, bytes(4));
        zone.setSession('z', 1, bytes(8));
        expect(zone.getSessionsOf(['q', 'p'])).toEqual([
          { accountId: 'p', deviceId: 1, record: bytes(1) },
          { accountId: 'p', deviceId: 3, record: bytes(4) },
          { accountId: 'q', deviceId: 1, record: bytes(3) },
        ]);
      }
    });

    it('a zone prefetches identities, and its own writes still win', () => {
      const store = make();
      const rec = (n: number) => ({ publicKey: bytes(n), verified: 'default' as const, firstSeenAt: n, changedAt: n });
      store.commit({ identities: [{ accountId: 'p', record: rec(1) }] });
      const zone = new Zone(store);
      zone.prefetchIdentities(['p', 'q']);
      expect(zone.getIdentity('p')).toEqual(rec(1));
      expect(zone.getIdentity('q')).toBeUndefined();
      zone.setIdentity('q', rec(2), false);
      zone.setIdentity('p', rec(3), true);
      expect(zone.getIdentity('q')).toEqual(rec(2));
      expect(zone.getIdentity('p')).toEqual(rec(3));
      // Prefetched reads are not writes.
      expect(zone.changes().identities?.map((i) => i.accountId).sort()).toEqual(['p', 'q']);
    });

    it('libsignal batch session reads fail for an address without a session', async () => {
      const store = make();
      const sessions = signalStores(new Zone(store), local()).session;
      await expect(sessions.getExistingSessions([ProtocolAddress.new('p', 1)])).rejects.toThrow(/no session for p\.1/);
      expect(await sessions.getExistingSessions([])).toEqual([]);
    });

    it('trusts the first identity key, then replaces a changed one and reports it', async () => {
      const store = make();
      const peer = ProtocolAddress.new(randomUUID(), 1);
      const first = PrivateKey.generate().getPublicKey();
      const second = PrivateKey.generate().getPublicKey();

      let zone = new Zone(store);
      let ids = signalStores(zone, local(), Date.now, 'trust').identity;
      expect(await ids.isTrustedIdentity(peer, first, Direction.Sending)).toBe(true);
      expect(await ids.saveIdentity(peer, first)).toBe(IdentityChange.NewOrUnchanged);
      zone.commit();
      expect(zone.changedIdentities.size).toBe(0);
      expect(store.getIdentity(peer.name())?.publicKey).toEqual(first.serialize());
      expect(store.getIdentity(peer.name())?.verified).toBe('default');

      zone = new Zone(store);
      ids = signalStores(zone, local(), Date.now, 'trust').identity;
      expect(await ids.saveIdentity(peer, first)).toBe(IdentityChange.NewOrUnchanged);
      expect(await ids.isTrustedIdentity(peer, second, Direction.Sending)).toBe(true); // non-blocking by default
      expect(await ids.saveIdentity(peer, second)).toBe(IdentityChange.ReplacedExisting);
      zone.commit();
      expect([...zone.changedIdentities]).toEqual([peer.name()]);
      expect((await ids.getIdentity(peer))?.equals(second)).toBe(true);

      // Once verified, a changed key blocks sending (not receiving) until the user acts.
      const record = store.getIdentity(peer.name());
      store.commit({ identities: [{ accountId: peer.name(), record: { ...record!, verified: 'verified' } }] });
      zone = new Zone(store);
      ids = signalStores(zone, local(), Date.now, 'trust').identity;
      const third = PrivateKey.generate().getPublicKey();
      expect(await ids.isTrustedIdentity(peer, second, Direction.Sending)).toBe(true);
      expect(await ids.isTrustedIdentity(peer, third, Direction.Sending)).toBe(false);
      expect(await ids.isTrustedIdentity(peer, third, Direction.Receiving)).toBe(true);
      expect(await ids.saveIdentity(peer, third)).toBe(IdentityChange.ReplacedExisting);
      zone.commit();
      expect(store.getIdentity(peer.name())?.verified).toBe('unverified');
      ids = signalStores(new Zone(store), local(), Date.now, 'trust').identity;
      expect(await ids.isTrustedIdentity(peer, third, Direction.Sending)).toBe(false);
    });

    it("blocks sending to a changed key until it is accepted (policy 'block', the default)", async () => {
      const store = make();
      const peer = ProtocolAddress.new(randomUUID(), 1);
      const first = PrivateKey.generate().getPublicKey();
      const second = PrivateKey.generate().getPublicKey();
      let zone = new Zone(store);
      let ids = signalStores(zone, local()).identity;
      expect(await ids.saveIdentity(peer, first)).toBe(IdentityChange.NewOrUnchanged);
      zone.commit();
      zone = new Zone(store);
      ids = signalStores(zone, local()).identity;
      expect(await ids.isTrustedIdentity(peer, first, Direction.Sending)).toBe(true);
      expect(await ids.isTrustedIdentity(peer, second, Direction.Sending)).toBe(false);
      expect(await ids.isTrustedIdentity(peer, second, Direction.Receiving)).toBe(true);
      expect(await ids.saveIdentity(peer, second)).toBe(IdentityChange.ReplacedExisting);
      zone.commit();
      expect([...zone.changedIdentities]).toEqual([peer.name()]);
      expect(store.getIdentity(peer.name())?.verified).toBe('unverified');
      ids = signalStores(new Zone(store), local()).identity;
      expect(await ids.isTrustedIdentity(peer, second, Direction.Sending)).toBe(false);
      // Accepting (what acceptIdentity writes) makes the new key usable, and only that key.
      store.commit({ identities: [{ accountId: peer.name(), record: { ...store.getIdentity(peer.name())!, verified: 'default' } }] });
      ids = signalStores(new Zone(store), local()).identity;
      expect(await ids.isTrustedIdentity(peer, second, Direction.Sending)).toBe(true);
      expect(await ids.isTrustedIdentity(peer, first, Direction.Sending)).toBe(false);
    });

    it('removes one-time prekeys through the zone only on commit', async () => {
      const store = make();
      store.commit({ preKeys: [{ id: 1, record: bytes(1) }, { id: 2, record: bytes(2) }] });
      const zone = new Zone(store);
      zone.removePreKey(1);
      expect(zone.getPreKey(1)).toBeUndefined();
      expect(store.getPreKey(1)).toEqual(bytes(1));
      zone.commit();
      expect(store.getPreKey(1)).toBeUndefined();
      expect(store.getPreKey(2)).toEqual(bytes(2));
      expect(store.countPreKeys()).toBe(1);
    });

    it('keeps last-resort Kyber keys, deletes one-time ones, and rejects a replayed (id, spkId, baseKey)', async () => {
      const store = make();
      const identity = newIdentityKey();
      const lastResort = generateKyberPreKey(identity, 7, 1).record;
      const oneTime = generateKyberPreKey(identity, 8, 1).record;
      store.commit({
        kyberPreKeys: [
          { id: 7, record: lastResort.serialize(), lastResort: true, createdAt: 1 },
          { id: 8, record: oneTime.serialize(), lastResort: false, createdAt: 1 },
        ],
      });
      const baseKey = PrivateKey.generate().getPublicKey();
      const zone1 = new Zone(store);
      let stores = signalStores(zone1, local());
      await stores.kyberPreKey.markKyberPreKeyUsed(7, 3, baseKey);
      await stores.kyberPreKey.markKyberPreKeyUsed(8, 3, baseKey);
      await expect(stores.kyberPreKey.markKyberPreKeyUsed(7, 3, baseKey)).rejects.toThrow(); // within one zone
      zone1.commit();
      expect(store.getKyberPreKey(7)).toBeDefined();
      expect(store.getKyberPreKey(8)).toBeUndefined();
      expect(store.listLastResortKyberPreKeys().map((k) => k.id)).toEqual([7]);
      expect(store.isKyberPreKeyUsed({ kyberPreKeyId: 7, signedPreKeyId: 3, baseKey: baseKey.serialize() })).toBe(true);

      // Replay in a later zone.
      stores = signalStores(new Zone(store), local());
      await expect(stores.kyberPreKey.markKyberPreKeyUsed(7, 3, baseKey)).rejects.toThrow(/replayed/);
      // A different signed prekey id or base key is a different use.
      await stores.kyberPreKey.markKyberPreKeyUsed(7, 4, baseKey);
      await stores.kyberPreKey.markKyberPreKeyUsed(7, 3, PrivateKey.generate().getPublicKey());
      // The store itself refuses a replayed triple, whoever commits it.
      expect(() => store.commit({ kyberUsed: [{ kyberPreKeyId: 7, signedPreKeyId: 3, baseKey: baseKey.serialize() }] })).toThrow(StoreConflictError);
    });

    it('stores sender keys per (sender, distribution id)', () => {
      const store = make();
      const dist = randomUUID();
      store.commit({ senderKeys: [{ sender: 'a.1', distributionId: dist, record: bytes(1) }] });
      store.commit({ senderKeys: [{ sender: 'a.1', distributionId: dist, record: bytes(2) }, { sender: 'a.2', distributionId: dist, record: bytes(3) }] });
      expect(store.getSenderKey('a.1', dist)).toEqual(bytes(2));
      expect(store.getSenderKey('a.2', dist)).toEqual(bytes(3));
      expect(store.getSenderKey('a.1', randomUUID())).toBeUndefined();
    });

    it('dedupes messages and envelopes, and prunes old rows', () => {
      const store = make();
      const m = { sender: 's', device: 1, sentAt: 1000 };
      expect(store.isMessageProcessed(m)).toBe(false);
      // Rows keep the hour, rounded up (processedHour): pruning compares hours, never early.
      const H = 3600_000;
      store.commit({ processedMessages: [{ ...m, processedAt: 10 }], processedEnvelopes: [{ guid: 'g1', processedAt: 10 }] });
      store.commit({ pruneProcessedBefore: H });
      expect(store.isMessageProcessed(m)).toBe(true);
      expect(store.isMessageProcessed(m)).toBe(true);
      expect(store.isMessageProcessed({ ...m, device: 2 })).toBe(false);
      expect(store.isEnvelopeProcessed('g1')).toBe(true);
      expect(() => store.commit({ processedMessages: [{ ...m, processedAt: 11 }] })).toThrow(StoreConflictError);
      store.commit({ processedMessages: [{ ...m, sentAt: 2000, processedAt: 2 * H + 100 }], pruneProcessedBefore: 2 * H });
      expect(store.isMessageProcessed(m)).toBe(false);
      expect(store.isEnvelopeProcessed('g1')).toBe(false);
      expect(store.isMessageProcessed({ ...m, sentAt: 2000 })).toBe(true);
    });

    it('keeps unprocessed envelopes in arrival order and ignores a redelivered guid', () => {
      const store = make();
      const e = (guid: string, receivedAt: number) => ({ guid, serverTimestamp: 60_000, content: 'AAAA', receivedAt });
      store.commit({ addUnprocessed: [e('b', 2), e('a', 1)] });
      store.commit({ addUnprocessed: [{ ...e('a', 3), content: 'BBBB' }] });
      expect(store.listUnprocessed()).toEqual([e('a', 1), e('b', 2)]);
      store.commit({ removeUnprocessed: ['a'] });
      expect(store.listUnprocessed().map((u) => u.guid)).toEqual(['b']);
    });

    it('commits atomically: a failing change set leaves nothing behind', () => {
      const store = make();
      const used = { kyberPreKeyId: 1, signedPreKeyId: 1, baseKey: bytes(1, 2) };
      store.commit({ kyberUsed: [used], addUnprocessed: [{ guid: 'g', serverTimestamp: 1, content: 'AAAA', receivedAt: 1 }] });
      expect(() =>
        store.commit({
          sessions: [{ accountId: 'p', deviceId: 1, record: bytes(1) }],
          identities: [{ accountId: 'p', record: { publicKey: bytes(1), verified: 'default', firstSeenAt: 1, changedAt: 1 } }],
          preKeys: [{ id: 5, record: bytes(5) }],
          processedMessages: [{ sender: 'p', device: 1, sentAt: 1, processedAt: 1 }],
          processedEnvelopes: [{ guid: 'g', processedAt: 1 }],
          removeUnprocessed: ['g'],
          meta: { x: 'y' },
          kyberUsed: [used],
        }),
      ).toThrow(StoreConflictError);
      expect(store.getSession('p', 1)).toBeUndefined();
      expect(store.getIdentity('p')).toBeUndefined();
      expect(store.getPreKey(5)).toBeUndefined();
      expect(store.isMessageProcessed({ sender: 'p', device: 1, sentAt: 1 })).toBe(false);
      expect(store.isEnvelopeProcessed('g')).toBe(false);
      expect(store.listUnprocessed().map((u) => u.guid)).toEqual(['g']);
      expect(store.getMeta('x')).toBeUndefined();
    });

    it('stores groups whole, replaces them, and rolls a group write back with a failed commit', () => {
      const store = make();
      expect(store.getGroup('g1')).toBeUndefined();
      expect(store.listGroups()).toEqual([]);
      const g1 = sampleGroup('b'.repeat(64), 3);
      const g2 = sampleGroup('a'.repeat(64), 0);
      store.commit({ groups: [g1, g2] });
      expect(store.getGroup(g1.groupId)).toEqual(g1);
      expect(store.listGroups().map((g) => g.groupId)).toEqual([g2.groupId, g1.groupId]);

      // What a caller holds is a copy: mutating it changes nothing stored.
      const read = store.getGroup(g1.groupId)!;
      read.state.members = {};
      expect(store.getGroup(g1.groupId)).toEqual(g1);

      const next: GroupRecord = { ...g1, status: 'removed', state: { ...g1.state, version: 4, headHash: 'BBBB', title: 'later' } };
      store.commit({ groups: [next] });
      expect(store.getGroup(g1.groupId)).toEqual(next);
      expect(store.getGroup(g1.groupId)?.invitePassword).toBe('cGFzcw==');

      const failed: GroupRecord = { ...next, state: { ...next.state, version: 5 } };
      expect(() =>
        store.commit({ groups: [failed], kyberUsed: [{ kyberPreKeyId: 1, signedPreKeyId: 1, baseKey: bytes(1) }, { kyberPreKeyId: 1, signedPreKeyId: 1, baseKey: bytes(1) }] }),
      ).toThrow(StoreConflictError);
      expect(store.getGroup(g1.groupId)?.state.version).toBe(4);
    });

    it("lists each group's retention from its stored state, by group id", () => {
      const store = make();
      expect(store.listGroupRetention()).toEqual([]);
      const g1 = sampleGroup('b'.repeat(64), 3);
      const g2 = sampleGroup('a'.repeat(64), 0);
      store.commit({ groups: [{ ...g1, state: { ...g1.state, retentionSeconds: 3600 } }, g2] });
      expect(store.listGroupRetention()).toEqual([
        { groupId: g2.groupId, retentionSeconds: undefined },
        { groupId: g1.groupId, retentionSeconds: 3600 },
      ]);
      store.commit({ groups: [{ ...g1, state: { ...g1.state, retentionSeconds: 7200 } }, { ...g2, state: { ...g2.state, retentionSeconds: 86_400 } }] });
      expect(store.listGroupRetention().map((g) => g.retentionSeconds)).toEqual([86_400, 7200]);
    });

    it('keeps member blobs in rows of their own: put, delete, reset, and rolled back with a failed commit', () => {
      const store = make();
      const g = sampleGroup('e'.repeat(64), 2);
      const other = 'f'.repeat(64);
      expect(store.getGroupBlobs(g.groupId)).toEqual(new Map());
      store.commit({
        groups: [g],
        groupBlobs: [
          { groupId: g.groupId, put: new Map([['m1', { profile: 'UA==', proof: 'UQ==' }], ['m2', { proof: 'Ug==' }]]) },
          { groupId: other, put: new Map([['m1', { profile: 'Tw==' }]]) },
        ],
      });
      expect(store.getGroupBlobs(g.groupId)).toEqual(new Map([['m1', { profile: 'UA==', proof: 'UQ==' }], ['m2', { proof: 'Ug==' }]]));
      // Reading a group never carries them.
      expect(JSON.stringify(store.getGroup(g.groupId))).not.toContain('UQ==');
      // One member's row: that member of that group only (another group's m1 is not it), none for an unknown one.
      expect(store.getGroupBlobs(g.groupId, 'm1').get('m1')).toEqual({ profile: 'UA==', proof: 'UQ==' });
      expect(store.getGroupBlobs(other, 'm1').get('m1')).toEqual({ profile: 'Tw==' });
      expect(store.getGroupBlobs(g.groupId, 'm9').get('m9')).toBeUndefined();

      // A read is a copy.
      store.getGroupBlobs(g.groupId).get('m1')!.profile = 'changed';
      expect(store.getGroupBlobs(g.groupId).get('m1')?.profile).toBe('UA==');

      store.commit({ groupBlobs: [{ groupId: g.groupId, put: new Map([['m1', null], ['m3', { profile: 'Uw==', proof: 'VA==' }]]) }] });
      expect([...store.getGroupBlobs(g.groupId).keys()].sort()).toEqual(['m2', 'm3']);

      // The state and its blobs land together or not at all.
      const failed: GroupRecord = { ...g, state: { ...g.state, version: 3 } };
      expect(() =>
        store.commit({
          groups: [failed],
          groupBlobs: [{ groupId: g.groupId, reset: true, put: new Map([['m4', { proof: 'VQ==' }]]) }],
          kyberUsed: [{ kyberPreKeyId: 1, signedPreKeyId: 1, baseKey: bytes(1) }, { kyberPreKeyId: 1, signedPreKeyId: 1, baseKey: bytes(1) }],
        }),
      ).toThrow(StoreConflictError);
      expect(store.getGroup(g.groupId)?.state.version).toBe(2);
      expect([...store.getGroupBlobs(g.groupId).keys()].sort()).toEqual(['m2', 'm3']);

      // A reset replaces every row of that group only.
      store.commit({ groupBlobs: [{ groupId: g.groupId, reset: true, put: new Map([['m4', { proof: 'VQ==' }]]) }] });
      expect(store.getGroupBlobs(g.groupId)).toEqual(new Map([['m4', { proof: 'VQ==' }]]));
      expect(store.getGroupBlobs(other)).toEqual(new Map([['m1', { profile: 'Tw==' }]]));
      store.commit({ groupBlobs: [{ groupId: g.groupId, reset: true, put: new Map() }] });
      expect(store.getGroupBlobs(g.groupId)).toEqual(new Map());
    });

    it('stores our sender key info per group and deletes sender keys', () => {
      const store = make();
      const info: SenderKeyInfo = { groupId: 'g', distributionId: 'd1', createdAt: 5, devices: [{ accountId: 'a', deviceId: 1, registrationId: 77 }] };
      store.commit({ senderKeyInfos: [info], senderKeys: [{ sender: 'me.1', distributionId: 'd1', record: bytes(1) }] });
      expect(store.getSenderKeyInfo('g')).toEqual(info);
      expect(store.getSenderKeyInfo('h')).toBeUndefined();
      store.commit({ senderKeyInfos: [{ ...info, distributionId: 'd2', devices: [] }], removeSenderKeys: [{ sender: 'me.1', distributionId: 'd1' }] });
      expect(store.getSenderKeyInfo('g')).toEqual({ ...info, distributionId: 'd2', devices: [] });
      expect(store.getSenderKey('me.1', 'd1')).toBeUndefined();
    });

    it('keeps alerts until they expire, marks retractions, and keeps the latest response per member', () => {
      const store = make();
      const a1 = sampleAlert('g', 'a1', 100, 1000);
      const a2 = sampleAlert('g', 'a2', 50, 10 * 24 * 3600_000);
      store.commit({ alerts: [a1, a2, sampleAlert('h', 'a3', 10, 5000)] });
      expect(store.listAlerts('g').map((a) => a.id)).toEqual(['a2', 'a1']);
      expect(store.getAlert('g', 'a1')).toEqual(a1);
      store.commit({ alerts: [{ ...a1, retracted: { reason: 'wrong', by: 'x', at: 7 } }] });
      expect(store.getAlert('g', 'a1')?.retracted).toEqual({ reason: 'wrong', by: 'x', at: 7 });

      const r = (accountId: string, kind: 'ack' | 'verdict', value: AlertResponse['value'], sentAt: number, alertId = 'a1'): AlertResponse => ({ groupId: 'g', alertId, accountId, kind, value, sentAt });
      store.commit({ alertResponses: [r('m', 'ack', 'on-my-way', 10), r('n', 'verdict', 'confirm', 11)] });
      store.commit({ alertResponses: [r('m', 'ack', 'on-scene', 12), r('m', 'verdict', 'dispute', 9)] });
      // An older ack arriving late does not win.
      store.commit({ alertResponses: [r('m', 'ack', 'seen', 8), { ...r('n', 'verdict', 'dispute', 13), note: 'no vans' }] });
      const got = store.listAlertResponses('g', 'a1').map((x) => [x.accountId, x.kind, x.value, x.sentAt, x.note]);
      expect(got).toEqual([
        ['m', 'verdict', 'dispute', 9, undefined],
        ['m', 'ack', 'on-scene', 12, undefined],
        ['n', 'verdict', 'dispute', 13, 'no vans'],
      ]);
      // A response to an alert we never got, recent and old.
      store.commit({ alertResponses: [r('m', 'ack', 'seen', 1500, 'never'), r('m', 'ack', 'seen', 10, 'ancient')] });

      store.commit({ deleteAlertsExpiredBefore: 1400 + 24 * 3600_000 });
      expect(store.getAlert('g', 'a1')).toBeUndefined();
      expect(store.listAlertResponses('g', 'a1')).toEqual([]);
      expect(store.listAlerts('g').map((a) => a.id)).toEqual(['a2']);
      expect(store.listAlertResponses('g', 'never')).toHaveLength(1);
      expect(store.listAlertResponses('g', 'ancient')).toEqual([]);
    });

    it('removes named alerts with their responses and nothing else', () => {
      const store = make();
      store.commit({ alerts: [sampleAlert('g', 'a1', 100, 10_000), sampleAlert('g', 'a2', 50, 10_000), sampleAlert('h', 'a1', 10, 10_000)] });
      const r = (groupId: string, alertId: string): AlertResponse => ({ groupId, alertId, accountId: 'm', kind: 'ack', value: 'seen', sentAt: 5 });
      store.commit({ alertResponses: [r('g', 'a1'), r('g', 'a2'), r('h', 'a1')] });
      store.commit({ removeAlerts: [{ groupId: 'g', alertId: 'a1' }, { groupId: 'g', alertId: 'never' }] });
      expect(store.getAlert('g', 'a1')).toBeUndefined();
      expect(store.listAlerts('g').map((a) => a.id)).toEqual(['a2']);
      expect(store.listAlertResponses('g', 'a1')).toEqual([]);
      expect(store.listAlertResponses('g', 'a2')).toHaveLength(1);
      expect(store.getAlert('h', 'a1')).toBeDefined();
      expect(store.listAlertResponses('h', 'a1')).toHaveLength(1);
    });

    it('keeps tombstones per (alert, kind, member) until their alert comes or they expire', () => {
      const store = make();
      const t = (alertId: string, by: string, kind: AlertTombstone['kind'], at: number, groupId = 'g'): AlertTombstone => ({
        groupId,
        alertId,
        kind,
        by,
        byDevice: 1,
        ...(kind === 'retract' ? { reason: `no, says ${by}` } : {}),
        at,
        expiresAt: at + 1000,
      });
      store.commit({ alertTombstones: [t('a1', 'admin', 'all-clear', 20), t('a1', 'x', 'retract', 10), t('a2', 'admin', 'all-clear', 5), t('a1', 'admin', 'all-clear', 30, 'h')] });
      expect(store.listAlertTombstones('g', 'a1')).toEqual([t('a1', 'x', 'retract', 10), t('a1', 'admin', 'all-clear', 20)]);
      expect(store.countAlertTombstones('g')).toBe(3);
      // The same member's second all-clear for the same alert replaces its first.
      store.commit({ alertTombstones: [t('a1', 'admin', 'all-clear', 25)] });
      expect(store.listAlertTombstones('g', 'a1').map((x) => x.at)).toEqual([10, 25]);
      store.commit({ removeAlertTombstones: [{ groupId: 'g', alertId: 'a1' }] });
      expect(store.listAlertTombstones('g', 'a1')).toEqual([]);
      expect(store.listAlertTombstones('h', 'a1')).toHaveLength(1);
      // Expired ones go with the alert cleanup.
      store.commit({ deleteAlertsExpiredBefore: 1006 });
      expect(store.listAlertTombstones('g', 'a2')).toEqual([]);
      expect(store.listAlertTombstones('h', 'a1')).toHaveLength(1);
      if (factory.reopen) {
        const again = factory.reopen(store);
        expect(again.listAlertTombstones('h', 'a1')).toEqual([t('a1', 'admin', 'all-clear', 30, 'h')]);
      }
    });

    it('holds a group to its tombstone cap by evicting from the member holding the most', () => {
      const store = make();
      const cap = LIMITS.maxAlertTombstonesPerGroup;
      const t = (alertId: string, by: string, at: number, groupId = 'g'): AlertTombstone => ({ groupId, alertId, kind: 'all-clear', by, byDevice: 1, at, expiresAt: at + 1000 });
      // An honest admin's early all-clears, then a hostile member floods the group with more than the cap.
      store.commit({ alertTombstones: [t('honest-1', 'admin', 1), t('honest-2', 'admin', 2)] });
      store.commit({ alertTombstones: Array.from({ length: cap + 50 }, (_, i) => t(`flood-${String(i).padStart(5, '0')}`, 'hostile', 100 + i)) });
      expect(store.countAlertTombstones('g')).toBe(cap);
      expect(store.listAlertTombstones('g', 'honest-1')).toHaveLength(1);
      expect(store.listAlertTombstones('g', 'honest-2')).toHaveLength(1);
      // The flooder lost its oldest, kept its newest.
      expect(store.listAlertTombstones('g', 'flood-00000')).toEqual([]);
      expect(store.listAlertTombstones('g', 'flood-00051')).toEqual([]);
      expect(store.listAlertTombstones('g', 'flood-00052')).toHaveLength(1);
      expect(store.listAlertTombstones('g', `flood-${String(cap + 49).padStart(5, '0')}`)).toHaveLength(1);
      // An honest member's tombstone still gets in; another group is not affected.
      store.commit({ alertTombstones: [t('honest-3', 'admin', 3), t('elsewhere', 'hostile', 1, 'h')] });
      expect(store.listAlertTombstones('g', 'honest-3')).toHaveLength(1);
      expect(store.countAlertTombstones('g')).toBe(cap);
      expect(store.countAlertTombstones('h')).toBe(1);
    });

    it('keeps a send log per (group, sentAt) and prunes it by age', () => {
      const store = make();
      const e = (sentAt: number, createdAt: number): SendLogEntry => ({ groupId: 'g', sentAt, distributionId: 'd', content: '{"v":1}', createdAt, resends: 0, recipients: [`a-${sentAt}.1`, 'b.2'] });
      store.commit({ sendLog: [e(10, 100), e(20, 200), e(30, 300), { ...e(15, 100), groupId: 'h' }] });
      expect(store.listSendLog('g', 10, 20).map((x) => x.sentAt)).toEqual([10, 20]);
      store.commit({ sendLog: [{ ...e(20, 200), resends: 3 }] });
      expect(store.listSendLog('g', 20, 20)).toEqual([{ ...e(20, 200), resends: 3 }]);
      store.commit({ pruneSendLogBefore: 250 });
      expect(store.listSendLog('g', 0, 100).map((x) => x.sentAt)).toEqual([30]);
      expect(store.listSendLog('h', 0, 100)).toEqual([]);
      // The recipients are kept as they were written (a resend goes only to one of them).
      expect(store.listSendLog('g', 30, 30)[0]!.recipients).toEqual(['a-30.1', 'b.2']);
    });

    it('a deferred commit is applied at once, conflicts like any other, and sync() leaves the store as it was', () => {
      const store = make();
      store.commit({ processedEnvelopes: [{ guid: 'g1', processedAt: Date.now() }], addUnprocessed: [{ guid: 'u1', serverTimestamp: 1, content: 'AAAA', receivedAt: 1 }] }, { deferSync: true });
      expect(store.isEnvelopeProcessed('g1')).toBe(true);
      expect(store.listUnprocessed().map((u) => u.guid)).toEqual(['u1']);
      store.commit({ kyberUsed: [{ kyberPreKeyId: 1, signedPreKeyId: 1, baseKey: bytes(1) }] }, { deferSync: true });
      expect(() => store.commit({ kyberUsed: [{ kyberPreKeyId: 1, signedPreKeyId: 1, baseKey: bytes(1) }], addUnprocessed: [{ guid: 'u2', serverTimestamp: 1, content: 'AAAA', receivedAt: 1 }] }, { deferSync: true })).toThrow(StoreConflictError);
      expect(store.listUnprocessed().map((u) => u.guid)).toEqual(['u1']);
      store.sync?.();
      store.sync?.();
      expect(store.isEnvelopeProcessed('g1')).toBe(true);
      // A durable commit after deferred ones is still a commit like any other.
      store.commit({ removeUnprocessed: ['u1'] });
      expect(store.listUnprocessed()).toEqual([]);
    });

    if (factory.reopen) {
      const reopen = factory.reopen;
      it('keeps deferred commits across reopen, synced or not (the process survives)', () => {
        const store = factory.make();
        store.commit({ processedEnvelopes: [{ guid: 'd1', processedAt: Date.now() }] }, { deferSync: true });
        store.sync?.();
        store.commit({ processedEnvelopes: [{ guid: 'd2', processedAt: Date.now() }] }, { deferSync: true });
        const again = reopen(store);
        open.push(again);
        expect(again.isEnvelopeProcessed('d1')).toBe(true);
        expect(again.isEnvelopeProcessed('d2')).toBe(true);
      });

      it('persists groups across reopen', () => {
        const store = factory.make();
        const g = sampleGroup('c'.repeat(64), 7);
        const { invitePassword: _, ...noPassword } = sampleGroup('d'.repeat(64), 1);
        store.commit({ groups: [g, noPassword] });
        const again = reopen(store);
        open.push(again);
        expect(again.getGroup(g.groupId)).toEqual(g);
        expect(again.getGroup(noPassword.groupId)).toEqual(noPassword);
      });

      it('persists member blobs across reopen', () => {
        const store = factory.make();
        const g = sampleGroup('c'.repeat(64), 7);
        store.commit({ groups: [g], groupBlobs: [{ groupId: g.groupId, put: new Map([['m1', { profile: 'UA==', proof: 'UQ==' }]]) }] });
        const again = reopen(store);
        open.push(again);
        expect(again.getGroupBlobs(g.groupId)).toEqual(new Map([['m1', { profile: 'UA==', proof: 'UQ==' }]]));
      });

      it('persists everything across reopen', () => {
        const store = factory.make();
        store.commit({
          localIdentity: { identityKeyPair: bytes(1), registrationId: 9 },
          sessions: [{ accountId: 'p', deviceId: 1, record: bytes(4) }],
          signedPreKeys: [{ id: 3, record: bytes(3), createdAt: 5 }],
          kyberPreKeys: [{ id: 4, record: bytes(4), lastResort: true, createdAt: 6 }],
          kyberUsed: [{ kyberPreKeyId: 4, signedPreKeyId: 3, baseKey: bytes(8) }],
          processedMessages: [{ sender: 'p', device: 1, sentAt: 7, processedAt: Date.now() }],
          addUnprocessed: [{ guid: 'u', serverTimestamp: 1, content: 'AAAA', receivedAt: 1 }],
        });
        const again = reopen(store);
        open.push(again);
        expect(again.getLocalIdentity()?.registrationId).toBe(9);
        expect(again.getSession('p', 1)).toEqual(bytes(4));
        expect(again.listSignedPreKeys()).toEqual([{ id: 3, record: bytes(3), createdAt: 5 }]);
        expect(again.listLastResortKyberPreKeys().map((k) => k.id)).toEqual([4]);
        expect(again.isKyberPreKeyUsed({ kyberPreKeyId: 4, signedPreKeyId: 3, baseKey: bytes(8) })).toBe(true);
        expect(again.isMessageProcessed({ sender: 'p', device: 1, sentAt: 7 })).toBe(true);
        expect(again.listUnprocessed().map((u) => u.guid)).toEqual(['u']);
      });
    }
  });
}
