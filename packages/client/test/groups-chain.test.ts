import { randomBytes } from 'node:crypto';
import { IdentityKeyPair, PrivateKey } from '@signalapp/libsignal-client';
import { changeSigningMessage } from '@aviso/protocol';
import { describe, expect, it } from 'vitest';
import { ChainVerifier, changeHash, ChangeRejected, emptyGroupState, verifyChange } from '../src/crypto/group-chain.js';
import type { GroupState } from '../src/stores/group-state.js';
import { MemberBlobOverlay } from '../src/stores/member-blobs.js';
import { MemoryStore } from '../src/stores/memory/memory-store.js';
import { stateHashOf } from '../src/crypto/group-checkpoint.js';
import { GroupKeys } from '../src/crypto/group-keys.js';
import { toBase64 } from '../src/util/bytes.js';
import { ChainBuilder, Member, reseal, resign } from './groups/chain-helpers.js';

/** Every group change runs through `verifyChange`; these tests build real chains with real zkgroup keys. */

function fullChain() {
  const b = new ChainBuilder();
  const [alice, bob, carol, dave] = [new Member('Alice'), new Member('Bob'), new Member('Carol'), new Member('Dave')];
  b.create(alice);
  const direct = b.invite(alice);
  b.join(bob, direct);
  const gated = b.invite(alice, { requireApproval: true, maxUses: 2 });
  b.join(carol, gated, 'requestJoin');
  b.append(alice, [{ type: 'approve', member: b.ps(carol) }]);
  b.join(dave, gated, 'requestJoin');
  b.append(alice, [{ type: 'deny', member: b.ps(dave), ban: true }]);
  b.append(alice, [{ type: 'remove', member: b.ps(bob), ban: true }]);
  b.append(alice, [{ type: 'setRole', member: b.ps(carol), role: 'admin' }]);
  b.append(carol, [{ type: 'setAttributes', attributes: b.keys.sealJson({ v: 1, title: 'Compton (nights)', description: '' }) }]);
  return { b, alice, bob, carol, dave, direct, gated };
}

function replay(keys: GroupKeys, log: ReturnType<typeof fullChain>['b']['log']): GroupState {
  let state = emptyGroupState(keys.groupId);
  for (const c of log) state = verifyChange(state, c, keys).state;
  return state;
}

function expectRejected(state: GroupState, change: Parameters<typeof verifyChange>[1], keys: GroupKeys, reason: string): void {
  const before = structuredClone(state);
  let caught: unknown;
  try {
    verifyChange(state, change, keys);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ChangeRejected);
  expect((caught as ChangeRejected).reason).toBe(reason);
  expect(state).toEqual(before);
}

describe('group change log verification', () => {
  it('a newcomer verifies a whole history from scratch and sees the same members', () => {
    const { b, alice, bob, carol, dave } = fullChain();
    const newcomer = new GroupKeys(b.keys.masterKey); // only the master key, as from an invite code
    expect(newcomer.groupId).toBe(b.keys.groupId);
    const state = replay(newcomer, b.log);
    expect(state).toEqual(b.state);
    expect(state.version).toBe(b.log.length - 1);
    expect(state.title).toBe('Compton (nights)');
    const members = Object.values(state.members).map((m) => ({ id: m.accountId, role: m.role, name: m.displayName }));
    expect(members.sort((x, y) => x.id.localeCompare(y.id))).toEqual(
      [
        { id: alice.accountId, role: 'admin', name: 'Alice' },
        { id: carol.accountId, role: 'admin', name: 'Carol' },
      ].sort((x, y) => x.id.localeCompare(y.id)),
    );
    expect(state.members[b.ps(carol)]?.identityKey).toBe(toBase64(carol.identity.publicKey.serialize()));
    expect(state.banned.sort()).toEqual([b.ps(bob), b.ps(dave)].sort());
    expect(Object.keys(state.pending)).toEqual([]);
    expect(state.headHash).toBe(changeHash(b.log.at(-1)!));
  });

  it('reports what each change did', () => {
    const b = new ChainBuilder();
    const [alice, bob] = [new Member('Alice'), new Member('Bob')];
    b.create(alice);
    const inv = b.invite(alice);
    const join = b.make(bob, [b.joinAction(bob, inv)], inv.signingKey);
    const { events } = verifyChange(b.state, join, b.keys);
    expect(events).toEqual([{ groupId: b.keys.groupId, version: 2, type: 'member-joined', accountId: bob.accountId, actor: bob.accountId, inviteId: inv.inviteId, role: 'member' }]);
  });

  it('the signed text is the canonical JSON of the documented tuple', () => {
    const change = { version: 3, actor: 'QUJD', actions: [{ type: 'leave' as const }], prevHash: 'AAAA', at: 60_000 };
    expect(changeSigningMessage('ab'.repeat(32), change)).toBe(`["aviso-group-change-v2","${'ab'.repeat(32)}",3,"QUJD",[{"type":"leave"}],"AAAA",60000,null]`);
  });

  describe('an entering change whose identity proof does not verify admits an unverified member, never freezes the chain', () => {
    function withJoin(mutate: (b: ChainBuilder, eve: Member, join: ReturnType<ChainBuilder['make']>, inv: ReturnType<ChainBuilder['invite']>) => ReturnType<ChainBuilder['make']>) {
      const b = new ChainBuilder();
      const [alice, eve] = [new Member('Alice'), new Member('Eve')];
      b.create(alice);
      const inv = b.invite(alice);
      const join = mutate(b, eve, b.make(eve, [b.joinAction(eve, inv)], inv.signingKey), inv);
      return { b, alice, eve, join, ...verifyChange(b.state, join, b.keys) };
    }

    it('512 random bytes as the proof (finding 1): the member is in, unverified, and the group goes on', () => {
      const { b, alice, eve, join, state, events } = withJoin((b, eve, join, inv) => resign(b.keys, { ...join, proof: toBase64(randomBytes(512)) }, eve, inv.signingKey));
      expect(state.version).toBe(join.version);
      expect(state.members[b.ps(eve)]).toMatchObject({ accountId: eve.accountId, identityKey: undefined });
      expect(events.map((e) => e.type)).toEqual(['member-joined', 'member-unverified']);
      expect(events[1]).toMatchObject({ accountId: eve.accountId, reason: 'proof-undecryptable' });
      // The next change chains on: an admin removes the unverified member.
      const remove = b.make(alice, [{ type: 'remove', member: b.ps(eve), ban: true }], undefined, state);
      expect(verifyChange(state, remove, b.keys).state.members[b.ps(eve)]).toBeUndefined();
    });

    it('a proof naming another account, or a binding by another identity key', () => {
      const other = withJoin((b, eve, join, inv) =>
        resign(b.keys, reseal(b.keys, join, (p) => (p.actorAci = '00000000-0000-4000-8000-000000000001')), eve, inv.signingKey),
      );
      expect(other.events.at(-1)).toMatchObject({ type: 'member-unverified', reason: 'actor-mismatch' });
      const foreignKey = withJoin((b, eve, join, inv) =>
        resign(b.keys, reseal(b.keys, join, (p) => (p.actorIdentityKey = toBase64(IdentityKeyPair.generate().publicKey.serialize()))), eve, inv.signingKey),
      );
      expect(foreignKey.events.at(-1)).toMatchObject({ type: 'member-unverified', reason: 'bad-binding' });
      expect(foreignKey.state.members[foreignKey.b.ps(foreignKey.eve)]?.identityKey).toBeUndefined();
    });
  });

  describe('refuses, leaving the verified state untouched', () => {
    it('a change signed by another key than the member joined with', () => {
      const { b, alice } = fullChain();
      // Alice's account id, someone else's identity: its derived signing key is not hers.
      const impostor: Member = { name: 'x', accountId: alice.accountId, identity: IdentityKeyPair.generate() };
      const change = b.make(impostor, [{ type: 'setAccess', membersCanInvite: true }]);
      expectRejected(b.state, change, b.keys, 'bad-signature');
    });

    it('a forged signature under the right key', () => {
      const { b, alice } = fullChain();
      const change = { ...b.make(alice, [{ type: 'setAccess', membersCanInvite: true }]), signature: toBase64(randomBytes(64)) };
      expectRejected(b.state, change, b.keys, 'bad-signature');
    });

    it('a member ciphertext for another member than the signer, or a random actor', () => {
      const { b, alice, carol } = fullChain();
      const real = b.make(alice, [{ type: 'setAccess', membersCanInvite: true }]);
      expectRejected(b.state, { ...real, actor: b.ps(carol) }, b.keys, 'bad-signature');
      expectRejected(b.state, { ...real, actor: toBase64(randomBytes(65)) }, b.keys, 'actor-mismatch');
    });

    it('an identity proof on a change that brings nobody in', () => {
      const { b, alice } = fullChain();
      const change = resign(b.keys, { ...b.make(alice, [{ type: 'setAccess', membersCanInvite: true }]), proof: toBase64(randomBytes(300)) }, alice);
      expectRejected(b.state, change, b.keys, 'unexpected-proof');
    });

    it('a join without the invite\'s signature, or signed with a key the master key could make (finding 5)', () => {
      const b = new ChainBuilder();
      const [alice, eve] = [new Member('Alice'), new Member('Eve')];
      b.create(alice);
      const inv = b.invite(alice);
      expectRejected(b.state, b.make(eve, [b.joinAction(eve, inv)]), b.keys, 'bad-invite-signature');
      expectRejected(b.state, b.make(eve, [b.joinAction(eve, inv)], PrivateKey.generate()), b.keys, 'bad-invite-signature');
      // A genuine invite signature from another version (a replayed join) does not verify either.
      const stale = b.make(eve, [b.joinAction(eve, inv)], inv.signingKey, { ...b.state, version: 99 });
      expectRejected(b.state, { ...stale, version: b.state.version + 1 }, b.keys, 'bad-signature');
    });

    it('a join dated at or after its invite expired, and a change dated before the one it follows', () => {
      const b = new ChainBuilder();
      const [alice, eve] = [new Member('Alice'), new Member('Eve')];
      b.create(alice);
      const inv = b.invite(alice);
      const expiry = b.state.invites[inv.inviteId]!.expiresAt;
      const late = buildAt(b, eve, [b.joinAction(eve, inv)], inv.signingKey, expiry + 60_000);
      expectRejected(b.state, late, b.keys, 'expired-invite');
      const backdated = buildAt(b, alice, [{ type: 'setAccess', membersCanInvite: true }], undefined, b.state.headAt! - 11 * 60_000);
      expectRejected(b.state, backdated, b.keys, 'bad-time');
    });

    it('a removed member replayed back in, or approved by a non-admin', () => {
      const b = new ChainBuilder();
      const [alice, bob, carol] = [new Member('Alice'), new Member('Bob'), new Member('Carol')];
      b.create(alice);
      const inv = b.invite(alice, { maxUses: 3 });
      const bobJoin = b.join(bob, inv);
      b.join(carol, inv);
      b.append(alice, [{ type: 'remove', member: b.ps(bob), ban: true }]);
      // Bob's genuine join, served again at the next version: the chain link and signature bind it to its place.
      expectRejected(b.state, { ...bobJoin, version: b.state.version + 1 }, b.keys, 'prev-hash-mismatch');
      // A fresh, correctly signed join through the invite: the ban rule refuses it.
      expectRejected(b.state, b.make(bob, [b.joinAction(bob, inv)], inv.signingKey), b.keys, 'rule-violation');
      // Carol (not an admin) cannot bring him back.
      expectRejected(b.state, b.make(carol, [{ type: 'setRole', member: b.ps(bob), role: 'admin' }]), b.keys, 'rule-violation');
      // Bob himself is no longer a member, so nothing he signs counts.
      expectRejected(b.state, b.make(bob, [{ type: 'setAccess', membersCanInvite: true }]), b.keys, 'rule-violation');
      expect(b.state.members[b.ps(bob)]).toBeUndefined();
    });

    it('an action list swapped under a valid signature from another change', () => {
      const { b, alice, carol } = fullChain();
      const honest = b.make(alice, [{ type: 'setAccess', membersCanInvite: true }]);
      const tampered = { ...honest, actions: [{ type: 'remove' as const, member: b.ps(carol), ban: true }] };
      expectRejected(b.state, tampered, b.keys, 'bad-signature');
    });

    it('a change that skips or repeats a version', () => {
      const { b, alice } = fullChain();
      const next = b.make(alice, [{ type: 'setAccess', membersCanInvite: true }]);
      expectRejected(b.state, { ...next, version: next.version + 1 }, b.keys, 'version-mismatch');
      expectRejected(b.state, b.log.at(-1)!, b.keys, 'version-mismatch');
    });

    it('a change from another group', () => {
      const { b, alice } = fullChain();
      const other = new ChainBuilder();
      other.create(alice);
      const foreign = other.make(alice, [{ type: 'setAccess', membersCanInvite: true }]);
      expectRejected(b.state, foreign, b.keys, 'actor-mismatch');
    });
  });
});

/** A change built with the actor's clock at `at`. */
function buildAt(b: ChainBuilder, by: Member, actions: Parameters<ChainBuilder['make']>[1], inviteKey: PrivateKey | undefined, at: number) {
  const change = b.make(by, actions, inviteKey);
  return resign(b.keys, { ...change, at: Math.floor(at / 60_000) * 60_000 }, by, inviteKey);
}

describe('ChainVerifier (one working copy for a run of changes)', () => {
  it('matches change-by-change verification and keeps the last verified state when a change is refused', () => {
    const { b, carol } = fullChain();
    const verifier = new ChainVerifier(emptyGroupState(b.keys.groupId), b.keys);
    for (const c of b.log) verifier.verify(c);
    expect(verifier.state).toEqual(replay(b.keys, b.log));
    const before = structuredClone(verifier.state);
    // A validly shaped change whose signature is not the actor's: refused, and nothing of it stays.
    const forged = b.make(carol, [{ type: 'setRole', member: b.ps(carol), role: 'member' }]);
    const tampered = { ...forged, actions: [{ type: 'setAccess' as const, membersCanInvite: true }] };
    expect(() => verifier.verify(tampered)).toThrow(ChangeRejected);
    expect(verifier.state).toEqual(before);
    // The verifier keeps working after a refusal.
    const next = b.make(carol, [{ type: 'setAccess', membersCanInvite: true }]);
    verifier.verify(next);
    expect(verifier.state.membersCanInvite).toBe(true);
    expect(verifier.state.version).toBe(before.version + 1);
  });

  it('leaves the state it started from as it was: members, requests, invites, bans and attributes change only in its copy', () => {
    const { b } = fullChain();
    // From just after Carol's request: then an approval, a request on the same invite, a denial
    // with ban, a removal with ban, a role change and new attributes.
    const start = replay(b.keys, b.log.slice(0, 5));
    expect(Object.keys(start.pending)).toHaveLength(1);
    const frozen = structuredClone(start);
    const verifier = new ChainVerifier(start, b.keys);
    for (const c of b.log.slice(5)) verifier.verify(c);
    expect(verifier.state).toEqual(b.state);
    expect(start).toEqual(frozen);
  });

  it('adopting a state works on it in place, and a refused change still leaves the last verified state', () => {
    const { b, carol } = fullChain();
    const start = replay(b.keys, b.log.slice(0, 5));
    const verifier = new ChainVerifier(start, b.keys, undefined, { adopt: true });
    for (const c of b.log.slice(5)) verifier.verify(c);
    expect(verifier.state).toBe(start);
    expect(start).toEqual(b.state);
    const before = structuredClone(start);
    const forged = b.make(carol, [{ type: 'setRole', member: b.ps(carol), role: 'member' }]);
    expect(() => verifier.verify({ ...forged, actions: [{ type: 'setAccess' as const, membersCanInvite: true }] })).toThrow(ChangeRejected);
    expect(start).toEqual(before);
  });
});

describe('member blobs beside the state (stores/member-blobs.ts)', () => {
  it('the state holds none; the rows follow members in and out, survive a store round trip, and a checkpoint hashes them', () => {
    const { b, alice, carol } = fullChain();
    // Every member and pending member has exactly one row: the denied and the removed lost theirs.
    const rows = b.blobs.all();
    expect([...rows.keys()].sort()).toEqual([...Object.keys(b.state.members), ...Object.keys(b.state.pending)].sort());
    expect(rows.get(b.ps(carol))?.profile).toBeDefined(); // approved: keeps what its request brought
    expect(rows.get(b.ps(carol))?.proof).toBe(b.log.find((c) => c.actor === b.ps(carol))?.proof);
    expect(JSON.stringify(b.state)).not.toMatch(/"(profile|proof)"/);

    // Stored, then verified on from the stored rows (loaded only for the checkpoint's hash).
    const store = new MemoryStore();
    store.commit({ groups: [{ groupId: b.keys.groupId, masterKey: b.keys.masterKey, status: 'member', state: b.state }], groupBlobs: [b.blobs.changesFor(b.keys.groupId)] });
    let loads = 0;
    const stored = new MemberBlobOverlay(() => {
      loads++;
      return store.getGroupBlobs(b.keys.groupId);
    });
    const verifier = new ChainVerifier(store.getGroup(b.keys.groupId)!.state, b.keys, stored);
    verifier.verify(b.append(alice, [{ type: 'setAccess', membersCanInvite: true }]));
    expect(loads).toBe(0);
    verifier.verify(b.append(alice, [{ type: 'checkpoint', stateHash: stateHashOf(b.state, b.blobs.all()) }]));
    expect(loads).toBe(1);
    expect(verifier.state.checkpointVersion).toBe(b.state.version);

    // A checkpoint against other blobs (one proof dropped) does not verify, and nothing of it stays.
    const withoutOne = b.blobs.all();
    withoutOne.set(b.ps(carol), { profile: withoutOne.get(b.ps(carol))!.profile });
    const before = structuredClone(verifier.state);
    expect(() => verifier.verify(b.make(alice, [{ type: 'checkpoint', stateHash: stateHashOf(b.state, withoutOne) }]))).toThrow(ChangeRejected);
    expect(verifier.state).toEqual(before);

    // A verifier of a stored state that was given no blobs cannot hash a checkpoint: it says so.
    const blind = new ChainVerifier(store.getGroup(b.keys.groupId)!.state, b.keys);
    expect(() => blind.verify(b.log.at(-2)!)).not.toThrow();
    expect(() => blind.verify(b.log.at(-1)!)).toThrow(RangeError);
  });
});
