import { describe, expect, it } from 'vitest';
import type { Content } from '@aviso/protocol';
import { buildSessions, EnvelopeRejectedError, openSealed, sealContent, safetyNumber } from '../src/crypto/index.js';
import { Party, TestAuthority } from './helpers.js';

const direct = (text: string, sentAt = Date.now()): Content => ({ v: 1, sentAt, body: { type: 'direct', text } });

async function seal(from: Party, to: Party, ca: TestAuthority, content: Content, cert = ca.issue(from)) {
  const { zone, stores } = from.zone();
  if (zone.getSessionDevices(to.accountId).length === 0) await buildSessions(stores, from.address, to.accountId, to.bundle());
  const sealed = await sealContent(content, to.address, cert, stores);
  zone.commit();
  return sealed;
}

async function open(to: Party, ca: TestAuthority, ciphertext: Uint8Array, opts: { serverTimestamp?: number; trustRoot?: TestAuthority } = {}) {
  const { zone, stores } = to.zone();
  const opened = await openSealed({
    ciphertext,
    serverTimestamp: opts.serverTimestamp ?? Date.now(),
    trustRoot: (opts.trustRoot ?? ca).trustRoot.getPublicKey(),
    localAccountId: to.accountId,
    localDeviceId: to.deviceId,
    stores,
  });
  zone.commit();
  return opened;
}

async function rejection(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(EnvelopeRejectedError);
  return (err as EnvelopeRejectedError).reason;
}

describe('crypto (two in-memory parties, no relay)', () => {
  it('builds a session from a bundle and opens sealed messages both ways', async () => {
    const ca = new TestAuthority();
    const alice = new Party();
    const bob = new Party();
    const first = await seal(alice, bob, ca, direct('hello bob'));
    expect(first.registrationId).toBe(bob.local.registrationId);
    const got = await open(bob, ca, first.ciphertext);
    expect(got).toMatchObject({ sender: alice.accountId, senderDevice: 1, content: { body: { text: 'hello bob' } } });
    // The one-time prekey was consumed.
    expect(bob.store.getPreKey(30)).toBeUndefined();

    // Bob replies over the session the prekey message created (no bundle needed).
    expect(bob.store.getSessionDevices(alice.accountId)).toEqual([1]);
    const reply = await seal(bob, alice, ca, direct('hi alice'));
    expect((await open(alice, ca, reply.ciphertext)).content.body).toMatchObject({ text: 'hi alice' });
    const again = await seal(alice, bob, ca, direct('second'));
    expect((await open(bob, ca, again.ciphertext)).content.body).toMatchObject({ text: 'second' });
  });

  it('rejects a tampered ciphertext and commits nothing', async () => {
    const ca = new TestAuthority();
    const alice = new Party();
    const bob = new Party();
    const sealed = await seal(alice, bob, ca, direct('x'));
    for (const index of [sealed.ciphertext.length - 5, Math.floor(sealed.ciphertext.length / 2)]) {
      const tampered = new Uint8Array(sealed.ciphertext);
      tampered[index] = (tampered[index] ?? 0) ^ 0x01;
      expect(await rejection(open(bob, ca, tampered))).toBe('decrypt-failed');
    }
    expect(bob.store.getSessionDevices(alice.accountId)).toEqual([]);
    expect(bob.store.getIdentity(alice.accountId)).toBeUndefined();
    expect(bob.store.getPreKey(30)).toBeDefined();
    // The untouched original still opens.
    expect((await open(bob, ca, sealed.ciphertext)).content.body).toMatchObject({ text: 'x' });
  });

  it('rejects a replay of the same ciphertext', async () => {
    const ca = new TestAuthority();
    const alice = new Party();
    const bob = new Party();
    const first = await seal(alice, bob, ca, direct('one'));
    await open(bob, ca, first.ciphertext);
    expect(['duplicate', 'decrypt-failed']).toContain(await rejection(open(bob, ca, first.ciphertext)));

    const second = await seal(alice, bob, ca, direct('two'));
    await open(bob, ca, second.ciphertext);
    const reason = await rejection(open(bob, ca, second.ciphertext));
    expect(['duplicate', 'decrypt-failed']).toContain(reason);
  });

  it('rejects a replayed prekey message against the last-resort Kyber key (no one-time EC key)', async () => {
    const ca = new TestAuthority();
    const alice = new Party();
    const bob = new Party(undefined, { oneTimePreKey: false });
    const first = await seal(alice, bob, ca, direct('via last resort'));
    await open(bob, ca, first.ciphertext);
    expect(bob.store.getKyberPreKey(20)).toBeDefined(); // last resort survives use
    // Forget the session so the replay must go through the prekey path again.
    bob.store.commit({ sessions: [{ accountId: alice.accountId, deviceId: 1, record: null }] });
    expect(await rejection(open(bob, ca, first.ciphertext))).toBe('decrypt-failed');
    expect(bob.store.getSessionDevices(alice.accountId)).toEqual([]);
  });

  it('rejects an expired sender certificate and one from another trust root', async () => {
    const ca = new TestAuthority();
    const alice = new Party();
    const bob = new Party();
    const expired = await seal(alice, bob, ca, direct('old'), ca.issue(alice, Date.now() - 1000));
    expect(await rejection(open(bob, ca, expired.ciphertext))).toBe('untrusted-certificate');

    const alice2 = new Party();
    const rogue = new TestAuthority();
    const forged = await seal(alice2, bob, rogue, direct('forged'));
    expect(await rejection(open(bob, ca, forged.ciphertext))).toBe('untrusted-certificate');
    expect(bob.store.getSessionDevices(alice.accountId)).toEqual([]);
    expect(bob.store.getSessionDevices(alice2.accountId)).toEqual([]);

    // Validity is judged at the relay's timestamp, not the local clock.
    const valid = await seal(alice2, bob, ca, direct('ok'), ca.issue(alice2, Date.now() + 60_000));
    expect(await rejection(open(bob, ca, valid.ciphertext, { serverTimestamp: Date.now() + 120_000 }))).toBe('untrusted-certificate');
    expect((await open(bob, ca, valid.ciphertext)).content.body).toMatchObject({ text: 'ok' });
  });

  it('rejects a message sealed for someone else', async () => {
    const ca = new TestAuthority();
    const alice = new Party();
    const bob = new Party();
    const carol = new Party();
    const sealed = await seal(alice, bob, ca, direct('for bob'));
    expect(await rejection(open(carol, ca, sealed.ciphertext))).toBe('decrypt-failed');
  });

  it('computes equal 60-digit safety numbers on both sides', () => {
    const alice = new Party();
    const bob = new Party();
    const a = safetyNumber(alice.accountId, alice.local.identityKeyPair.publicKey, bob.accountId, bob.local.identityKeyPair.publicKey);
    const b = safetyNumber(bob.accountId, bob.local.identityKeyPair.publicKey, alice.accountId, alice.local.identityKeyPair.publicKey);
    expect(a).toMatch(/^\d{60}$/);
    expect(a).toBe(b);
    const carol = new Party();
    expect(safetyNumber(alice.accountId, alice.local.identityKeyPair.publicKey, carol.accountId, carol.local.identityKeyPair.publicKey)).not.toBe(a);
  });
});
