import { randomBytes } from 'node:crypto';
import { IdentityKeyPair } from '@signalapp/libsignal-client';
import { describe, expect, it } from 'vitest';
import { ChainVerifier, changeHash, ChangeRejected, emptyGroupState, signedChangeBytes, verifyChange, type GroupState } from '../src/crypto/group-chain.js';
import { GroupKeys, inviteMac } from '../src/crypto/group-keys.js';
import { toBase64 } from '../src/util/bytes.js';
import { ChainBuilder, Member, reseal } from './groups/chain-helpers.js';

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
    const join = b.make(bob, [b.joinAction(bob, inv)], inv.memberMacKey);
    const { events } = verifyChange(b.state, join, b.keys);
    expect(events).toEqual([{ groupId: b.keys.groupId, version: 2, type: 'member-joined', accountId: bob.accountId, actor: bob.accountId, inviteId: inv.inviteId, role: 'member' }]);
  });

  it('the signed bytes are the canonical JSON of the documented tuple', () => {
    const bytes = signedChangeBytes('ab'.repeat(32), 3, 'QUJD', [{ type: 'leave' }], 'AAAA');
    expect(Buffer.from(bytes).toString('utf8')).toBe(`["aviso-group-change-v1","${'ab'.repeat(32)}",3,"QUJD",[{"type":"leave"}],"AAAA"]`);
  });

  describe('refuses, leaving the verified state untouched', () => {
    it('a change signed by another key than the member joined with', () => {
      const { b, alice } = fullChain();
      // Alice's account id, someone else's key: the proof is well-formed, the key is not hers.
      const impostor: Member = { name: 'x', accountId: alice.accountId, identity: IdentityKeyPair.generate() };
      const change = b.make(impostor, [{ type: 'setAccess', membersCanInvite: true }]);
      expectRejected(b.state, change, b.keys, 'identity-key-mismatch');
    });

    it('a forged signature under the right key', () => {
      const { b, alice } = fullChain();
      const change = reseal(b.keys, b.make(alice, [{ type: 'setAccess', membersCanInvite: true }]), (p) => {
        p.signature = toBase64(randomBytes(64));
      });
      expectRejected(b.state, change, b.keys, 'bad-signature');
    });

    it('a member ciphertext for an account the proof does not name', () => {
      const { b, alice, carol } = fullChain();
      const change = { ...b.make(alice, [{ type: 'setAccess', membersCanInvite: true }]), actor: b.ps(carol) };
      expectRejected(b.state, change, b.keys, 'actor-mismatch');
    });

    it('a proof the relay made up, or a random actor', () => {
      const { b, alice } = fullChain();
      const real = b.make(alice, [{ type: 'setAccess', membersCanInvite: true }]);
      expectRejected(b.state, { ...real, proof: toBase64(randomBytes(300)) }, b.keys, 'proof-undecryptable');
      expectRejected(b.state, { ...real, actor: toBase64(randomBytes(65)) }, b.keys, 'actor-mismatch');
    });

    it('a join with a random invite MAC, or none', () => {
      const b = new ChainBuilder();
      const [alice, eve] = [new Member('Alice'), new Member('Eve')];
      b.create(alice);
      const inv = b.invite(alice);
      expectRejected(b.state, b.make(eve, [b.joinAction(eve, inv)], randomBytes(32)), b.keys, 'bad-invite-mac');
      expectRejected(b.state, b.make(eve, [b.joinAction(eve, inv)]), b.keys, 'bad-invite-mac');
      // A MAC over another version (a replayed join) does not verify either.
      const stale = reseal(b.keys, b.make(eve, [b.joinAction(eve, inv)], inv.memberMacKey), (p) => {
        p.inviteMac = toBase64(inviteMac(inv.memberMacKey, b.keys.groupId, 99, b.ps(eve), p.actorIdentityKey as string));
      });
      expectRejected(b.state, stale, b.keys, 'bad-invite-mac');
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
      // A fresh, correctly signed join with a valid MAC: the ban rule refuses it.
      expectRejected(b.state, b.make(bob, [b.joinAction(bob, inv)], inv.memberMacKey), b.keys, 'rule-violation');
      // Carol (not an admin) cannot bring him back.
      expectRejected(b.state, b.make(carol, [{ type: 'setRole', member: b.ps(bob), role: 'admin' }]), b.keys, 'rule-violation');
      // Bob himself is no longer a member, so nothing he signs counts.
      expectRejected(b.state, b.make(bob, [{ type: 'setAccess', membersCanInvite: true }]), b.keys, 'unknown-actor-key');
      expect(b.state.members[b.ps(bob)]).toBeUndefined();
    });

    it('an action list swapped under a valid proof from another change', () => {
      const { b, alice, carol } = fullChain();
      const honest = b.make(alice, [{ type: 'setAccess', membersCanInvite: true }]);
      const tampered = { ...honest, actions: [{ type: 'remove' as const, member: b.ps(carol), ban: true }] };
      expectRejected(b.state, tampered, b.keys, 'bad-signature');
    });

    it('a change that skips or repeats a version', () => {
      const { b, alice } = fullChain();
      const next = b.make(alice, [{ type: 'setAccess', membersCanInvite: true }]);
      expectRejected(b.state, { ...next, version: next.version + 1 }, b.keys, 'bad-signature');
      expectRejected(b.state, b.log.at(-1)!, b.keys, 'prev-hash-mismatch');
    });

    it('a change from another group', () => {
      const { b, alice } = fullChain();
      const other = new ChainBuilder();
      other.create(alice);
      const foreign = other.make(alice, [{ type: 'setAccess', membersCanInvite: true }]);
      expectRejected(b.state, foreign, b.keys, 'proof-undecryptable');
    });
  });
});

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
});
