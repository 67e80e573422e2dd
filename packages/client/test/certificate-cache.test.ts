import { SenderCertificate } from '@signalapp/libsignal-client';
import { describe, expect, it } from 'vitest';
import type { Content } from '@aviso/protocol';
import { buildSessions, EnvelopeRejectedError, openSealed, sealContent, ValidatedCertificates } from '../src/crypto/index.js';
import { Party, TestAuthority } from './helpers.js';

/**
 * The inbox checks each distinct sender certificate's signatures once per drain (ValidatedCertificates)
 * instead of on every envelope. Each case here opens envelopes through one shared cache that already
 * holds a good certificate, and expects exactly what libsignal's full check answers.
 */

const direct = (text: string): Content => ({ v: 1, sentAt: Date.now(), body: { type: 'direct', text } });

async function seal(from: Party, to: Party, content: Content, cert: SenderCertificate) {
  const { zone, stores } = from.zone();
  if (zone.getSessionDevices(to.accountId).length === 0) await buildSessions(stores, from.address, to.accountId, to.bundle());
  const sealed = await sealContent(content, to.address, cert, stores);
  zone.commit();
  return sealed.ciphertext;
}

async function open(to: Party, trust: TestAuthority, ciphertext: Uint8Array, certificates: ValidatedCertificates, serverTimestamp = Date.now()) {
  const { zone, stores } = to.zone();
  const opened = await openSealed({
    ciphertext,
    serverTimestamp,
    trustRoot: trust.trustRoot.getPublicKey(),
    localAccountId: to.accountId,
    localDeviceId: to.deviceId,
    stores,
    certificates,
  });
  zone.commit();
  return opened;
}

async function rejection(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EnvelopeRejectedError);
  return (err as EnvelopeRejectedError).reason;
}

describe('sender certificates validated once per drain (ValidatedCertificates)', () => {
  it('answers as libsignal does at the expiry boundary, cached or not', () => {
    const ca = new TestAuthority();
    const alice = new Party();
    const expiresAt = Date.now() + 60_000;
    const cert = ca.issue(alice, expiresAt);
    const root = ca.trustRoot.getPublicKey();
    for (const at of [expiresAt - 1, expiresAt, expiresAt + 1]) {
      const fresh = new ValidatedCertificates();
      const warm = new ValidatedCertificates();
      expect(warm.isValid(cert, root, expiresAt - 1000)).toBe(true);
      expect(fresh.isValid(cert, root, at)).toBe(cert.validate(root, at));
      expect(warm.isValid(cert, root, at)).toBe(cert.validate(root, at));
    }
  });

  it('refuses a cached certificate once it has expired at the envelope timestamp', async () => {
    const ca = new TestAuthority();
    const alice = new Party();
    const bob = new Party();
    const certificates = new ValidatedCertificates();
    const cert = ca.issue(alice, Date.now() + 60_000);
    await open(bob, ca, await seal(alice, bob, direct('fresh'), cert), certificates);
    expect(certificates.size).toBe(1);
    // The same certificate, the relay's timestamp past its expiry.
    const late = await seal(alice, bob, direct('late'), cert);
    expect(await rejection(open(bob, ca, late, certificates, Date.now() + 120_000))).toBe('untrusted-certificate');
    expect((await open(bob, ca, late, certificates)).content.body).toMatchObject({ text: 'late' });
  });

  it('never lets a cached certificate vouch for another one: same sender, key and expiry, another server key', async () => {
    const ca = new TestAuthority();
    const rogue = new TestAuthority();
    const alice = new Party();
    const bob = new Party();
    const certificates = new ValidatedCertificates();
    const expiresAt = Date.now() + 86_400_000;
    await open(bob, ca, await seal(alice, bob, direct('real'), ca.issue(alice, expiresAt)), certificates);
    // Everything the certificate says is the same except who signed it.
    const forged = SenderCertificate.new(alice.accountId, null, alice.deviceId, alice.local.identityKeyPair.publicKey, expiresAt, rogue.serverCert, rogue.serverKey);
    expect(await rejection(open(bob, ca, await seal(alice, bob, direct('forged'), forged), certificates))).toBe('untrusted-certificate');
    // A server certificate of the right trust root with another key id, the sender certificate signed by another key.
    const wrongSigner = SenderCertificate.new(alice.accountId, null, alice.deviceId, alice.local.identityKeyPair.publicKey, expiresAt, ca.serverCert, rogue.serverKey);
    expect(await rejection(open(bob, ca, await seal(alice, bob, direct('wrong signer'), wrongSigner), certificates))).toBe('untrusted-certificate');
    expect(certificates.size).toBe(1);
  });

  it('vouches for nothing under another trust root', async () => {
    const ca = new TestAuthority();
    const other = new TestAuthority();
    const alice = new Party();
    const bob = new Party();
    const certificates = new ValidatedCertificates();
    const cert = ca.issue(alice);
    await open(bob, ca, await seal(alice, bob, direct('one'), cert), certificates);
    expect(await rejection(open(bob, other, await seal(alice, bob, direct('two'), cert), certificates))).toBe('untrusted-certificate');
  });

  it('still refuses a message whose sealing key is not the cached certificate’s, and a self-send', async () => {
    const ca = new TestAuthority();
    const alice = new Party();
    const mallory = new Party();
    const bob = new Party();
    const certificates = new ValidatedCertificates();
    const aliceCert = ca.issue(alice);
    await open(bob, ca, await seal(alice, bob, direct('from alice'), aliceCert), certificates);
    // Mallory seals with Alice's (valid, cached) certificate under her own identity key.
    const posing = await seal(mallory, bob, direct('posing as alice'), aliceCert).catch((e: unknown) => e);
    if (posing instanceof Uint8Array) expect(await rejection(open(bob, ca, posing, certificates))).toBe('decrypt-failed');
    else expect(posing).toBeInstanceOf(Error); // libsignal refuses to seal it at all
    // Bob's own certificate, cached, then an envelope from his own device.
    const bobCert = ca.issue(bob);
    expect(certificates.isValid(bobCert, ca.trustRoot.getPublicKey(), Date.now())).toBe(true);
    const bob2 = new Party();
    const selfSent = await seal(bob, bob2, direct('to myself'), bobCert);
    const { zone, stores } = bob2.zone();
    const err = await openSealed({
      ciphertext: selfSent,
      serverTimestamp: Date.now(),
      trustRoot: ca.trustRoot.getPublicKey(),
      localAccountId: bob.accountId,
      localDeviceId: bob.deviceId,
      stores,
      certificates,
    }).catch((e: unknown) => e);
    zone.commit();
    expect((err as EnvelopeRejectedError).reason).toBe('self-send');
  });
});
