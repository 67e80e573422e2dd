import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdentityKeyPair } from '@signalapp/libsignal-client';
import { afterEach, describe, expect, test } from 'vitest';
import { MemberKeys } from '../src/alerts/member-keys.js';
import { blobsOfSnapshot, snapshotOf } from '../src/crypto/group-checkpoint.js';
import { verifyChange, type GroupChangeEvent } from '../src/crypto/group-chain.js';
import { applyBindings, checkBinding, stateFromSnapshot } from '../src/crypto/group-snapshot-state.js';
import { SnapshotBindings } from '../src/groups/snapshot-bindings.js';
import type { AvisoStore } from '../src/stores/interfaces.js';
import { MemoryStore } from '../src/stores/memory/memory-store.js';
import { MemberBlobOverlay } from '../src/stores/member-blobs.js';
import { SqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import { toBase64 } from '../src/util/bytes.js';
import { ChainBuilder, Member, reseal, resign } from './groups/chain-helpers.js';

/**
 * A newcomer's snapshot members whose identity bindings are checked after join() returned
 * (docs/groups.md "How a newcomer joins"), with real zkgroup keys and signatures: until a member's
 * binding is checked it has no key, a bad binding never yields one, on the spot or in the
 * background, and a check cut short resumes from the store.
 */

/** Alice creates; Bob joins honestly; Eve joins with a proof whose identity key is not the one that signed her binding. */
function group() {
  const b = new ChainBuilder();
  const [alice, bob, eve] = [new Member('Alice'), new Member('Bob'), new Member('Eve')];
  b.create(alice);
  const inv = b.invite(alice, { maxUses: 2 });
  b.join(bob, inv);
  const forged = reseal(b.keys, b.make(eve, [b.joinAction(eve, inv)], inv.signingKey), (p) => (p.actorIdentityKey = toBase64(IdentityKeyPair.generate().publicKey.serialize())));
  // The member's own verified state (Eve admitted unverified), then what a newcomer builds from its snapshot.
  const verified = verifyChange(b.state, resign(b.keys, forged, eve, inv.signingKey), b.keys, b.blobs);
  const member = verified.state;
  const snapshot = snapshotOf(member, verified.blobs.all());
  const newcomer = stateFromSnapshot(snapshot, b.keys);
  newcomer.unresolved = [...Object.keys(newcomer.members), ...Object.keys(newcomer.pending)];
  // The newcomer's member blob rows (the proofs), as its store keeps them.
  const blobs = blobsOfSnapshot(snapshot).all();
  return { b, alice, bob, eve, member, newcomer, blobs };
}

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function resolver(store: AvisoStore, b: ChainBuilder, events: GroupChangeEvent[] = []) {
  return new SnapshotBindings({
    store,
    events: { emit: (_: 'group', e: GroupChangeEvent) => void events.push(e) } as never,
    logger: silent,
    serialize: (fn) => fn(),
    keysOf: () => b.keys,
  });
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('snapshot members whose bindings are not checked yet', () => {
  test('have no key: the send plan reaches none of them, and a bad binding never gets one', () => {
    const { b, bob, eve, newcomer, blobs } = group();
    const keys = new MemberKeys().byAccount(newcomer);
    expect([...keys.values()].every((k) => k === undefined)).toBe(true);
    const forged = checkBinding(b.keys, b.ps(eve), newcomer.members[b.ps(eve)]!, blobs.get(b.ps(eve))?.proof);
    expect(forged.failure).toBe('bad-binding');
    expect(forged.identityKey).toBeUndefined();
    expect(checkBinding(b.keys, b.ps(bob), newcomer.members[b.ps(bob)]!, blobs.get(b.ps(bob))?.proof).identityKey).toBe(toBase64(bob.identity.publicKey.serialize()));
  });

  test('the checks land on the entries they checked: Bob keyed, Eve reported unverified, nothing left unresolved', () => {
    const { b, bob, eve, member, newcomer, blobs } = group();
    const checks = newcomer.unresolved!.map((m) => checkBinding(b.keys, m, newcomer.members[m]!, blobs.get(m)?.proof));
    const events = applyBindings(newcomer, checks, blobs);
    expect(newcomer.unresolved).toBeUndefined();
    expect(newcomer.members[b.ps(bob)]!.identityKey).toBe(member.members[b.ps(bob)]!.identityKey);
    expect(newcomer.members[b.ps(eve)]!.identityKey).toBeUndefined();
    expect(events).toEqual([expect.objectContaining({ type: 'member-unverified', accountId: eve.accountId, reason: 'bad-binding' })]);
  });

  test('a check made on an older read does not land on another entry under the pseudonym', () => {
    const { b, bob, newcomer, blobs } = group();
    const checks = [checkBinding(b.keys, b.ps(bob), newcomer.members[b.ps(bob)]!, blobs.get(b.ps(bob))?.proof)];
    // Meanwhile a sync replaced Bob's entry (another proof), which the verifier judged itself.
    const now = new Map(blobs).set(b.ps(bob), { ...blobs.get(b.ps(bob)), proof: 'another proof' });
    applyBindings(newcomer, checks, now);
    expect(newcomer.members[b.ps(bob)]!.identityKey).toBeUndefined();
    expect(newcomer.unresolved).not.toContain(b.ps(bob));
  });

  test('a message from a member not reached yet is checked on the spot: Bob\'s key, none for Eve or a stranger', () => {
    const { b, bob, eve, newcomer, blobs } = group();
    const store = new MemoryStore();
    const rec = { groupId: b.keys.groupId, masterKey: b.keys.masterKey, status: 'member' as const, state: newcomer };
    store.commit({ groups: [rec], groupBlobs: [{ groupId: rec.groupId, reset: true, put: blobs }] });
    const r = resolver(store, b);
    expect(r.keyNow(rec.groupId, rec.state, bob.accountId)).toBe(toBase64(bob.identity.publicKey.serialize()));
    expect(r.keyNow(rec.groupId, rec.state, eve.accountId)).toBeUndefined();
    expect(r.keyNow(rec.groupId, rec.state, new Member('Stranger').accountId)).toBeUndefined();
    // Once resolved (unresolved gone), keyNow checks nothing: the stored key is the one used.
    expect(r.keyNow(rec.groupId, { ...newcomer, unresolved: undefined }, bob.accountId)).toBeUndefined();
  });

  test('the background check commits once; stopped before it, the state stays unresolved and the next start finishes it', async () => {
    const { b, bob, eve, newcomer, blobs } = group();
    const dir = mkdtempSync(join(tmpdir(), 'aviso-bindings-'));
    dirs.push(dir);
    let store = SqliteStore.open(dir);
    store.commit({ groups: [{ groupId: b.keys.groupId, masterKey: b.keys.masterKey, status: 'member', state: newcomer }], groupBlobs: [{ groupId: b.keys.groupId, reset: true, put: blobs }] });
    // A close (or a crash) before the check's one commit: nothing of it is stored.
    const first = resolver(store, b);
    const run = first.settled(b.keys.groupId);
    await first.stop();
    await run;
    expect(store.getGroup(b.keys.groupId)!.state.unresolved).toHaveLength(3);
    expect(Object.values(store.getGroup(b.keys.groupId)!.state.members).every((m) => m.identityKey === undefined)).toBe(true);
    store.close();

    store = SqliteStore.open(dir);
    const events: GroupChangeEvent[] = [];
    const next = resolver(store, b, events);
    next.resumeAll();
    await next.settled(b.keys.groupId);
    const after = store.getGroup(b.keys.groupId)!.state;
    expect(after.unresolved).toBeUndefined();
    expect(after.members[b.ps(bob)]!.identityKey).toBe(toBase64(bob.identity.publicKey.serialize()));
    expect(after.members[b.ps(eve)]!.identityKey).toBeUndefined();
    expect(events.map((e) => [e.type, e.accountId])).toEqual([['member-unverified', eve.accountId]]);
    // Settled: nothing more to do, and no event twice.
    await next.settled(b.keys.groupId);
    expect(events).toHaveLength(1);
    store.close();
  });
});

describe('accounts a join takes from the members\' own proofs (claims, confirmed by the check)', () => {
  /** Alice creates; Bob joins honestly; Eve joins with a proof that names Mallory's account (her real identity key and binding). */
  function claimed() {
    const b = new ChainBuilder();
    const [alice, bob, eve, mallory] = [new Member('Alice'), new Member('Bob'), new Member('Eve'), new Member('Mallory')];
    b.create(alice);
    const inv = b.invite(alice, { maxUses: 2 });
    b.join(bob, inv);
    const lying = reseal(b.keys, b.make(eve, [b.joinAction(eve, inv)], inv.signingKey), (p) => (p.actorAci = mallory.accountId));
    const verified = verifyChange(b.state, resign(b.keys, lying, eve, inv.signingKey), b.keys, b.blobs);
    const snapshot = snapshotOf(verified.state, verified.blobs.all());
    const newcomer = stateFromSnapshot(snapshot, b.keys, { claimAccounts: true });
    return { b, alice, bob, eve, mallory, member: verified.state, newcomer, blobs: blobsOfSnapshot(snapshot).all() };
  }

  test('a claim is only a claim: the check confirms Bob\'s, and corrects Eve\'s to her real account, unverified, as the log has her', () => {
    const { b, alice, bob, eve, mallory, member, newcomer, blobs } = claimed();
    // The admin's account was decrypted; the others' came from their proofs, and are marked as claims
    // from the start (so a verifier run on this state decrypts any it meets).
    expect(newcomer.members[b.ps(alice)]!.accountId).toBe(alice.accountId);
    expect(newcomer.members[b.ps(eve)]!.accountId).toBe(mallory.accountId);
    expect(new Set(newcomer.unresolved)).toEqual(new Set([b.ps(bob), b.ps(eve)]));
    const checks = newcomer.unresolved!.map((m) => checkBinding(b.keys, m, newcomer.members[m]!, blobs.get(m)?.proof));
    const events = applyBindings(newcomer, checks, blobs);
    expect(newcomer.members[b.ps(bob)]).toMatchObject({ accountId: bob.accountId, identityKey: toBase64(bob.identity.publicKey.serialize()) });
    // What the member who verified the log itself has: Eve, unverified. Never Mallory, never keyed.
    expect(newcomer.members[b.ps(eve)]).toMatchObject({ accountId: eve.accountId, identityKey: undefined });
    expect(member.members[b.ps(eve)]).toMatchObject({ accountId: eve.accountId, identityKey: undefined });
    expect(events).toEqual([expect.objectContaining({ type: 'member-unverified', accountId: eve.accountId, reason: 'actor-mismatch' })]);
    expect(Object.values(newcomer.members).map((m) => m.accountId)).not.toContain(mallory.accountId);
  });

  test('before the check, no one is keyed by a claim: not Mallory, whose account Eve\'s proof names, and not Eve', () => {
    const { b, eve, mallory, newcomer } = claimed();
    const rec = { groupId: b.keys.groupId, masterKey: b.keys.masterKey, status: 'member' as const, state: newcomer };
    const r = resolver(new MemoryStore(), b);
    expect(r.keyNow(rec.groupId, rec.state, mallory.accountId)).toBeUndefined();
    expect(r.keyNow(rec.groupId, rec.state, eve.accountId)).toBeUndefined();
  });

  test('a change after the checkpoint that names a claimed member is judged with the account its pseudonym decrypts to', () => {
    const { b, alice, eve, member, newcomer, blobs } = claimed();
    // Alice removes Eve after the checkpoint: the newcomer's verifier names Eve, not the claim.
    const removal = b.make(alice, [{ type: 'remove', member: b.ps(eve), ban: false }], undefined, member);
    const out = verifyChange(newcomer, removal, b.keys, new MemberBlobOverlay(() => blobs));
    expect(out.events).toEqual([expect.objectContaining({ type: 'member-removed', accountId: eve.accountId })]);
  });
});
