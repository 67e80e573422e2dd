import { PrivateKey } from '@signalapp/libsignal-client';
import { LIMITS, PreKeyBundleResponse, PreKeyCount, ROUTES } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { countRows, ecPreKey, registerUser, signedEcPreKey, signedKyberPreKey, testRelay, type TestRelay, type TestUser } from './helpers.js';

async function putKeys(relay: TestRelay, user: TestUser, payload: object) {
  return relay.app.inject({ method: 'PUT', url: ROUTES.keys, headers: { authorization: user.auth }, payload });
}

async function count(relay: TestRelay, user: TestUser) {
  const res = await relay.app.inject({ method: 'GET', url: ROUTES.keys, headers: { authorization: user.auth } });
  return PreKeyCount.parse(res.json());
}

async function fetchBundle(relay: TestRelay, requester: TestUser, target: TestUser, device: number | '*' = 1) {
  return relay.app.inject({
    method: 'GET',
    url: ROUTES.keyBundle.path(target.accountId, device),
    headers: { authorization: requester.auth },
  });
}

describe('prekeys', () => {
  test('upload, count, then fetching consumes one-time keys and falls back to the last-resort Kyber key', async () => {
    const relay = await testRelay({ AVISO_KEYS_RATE_CAPACITY: '100' });
    const [alice, bob] = [await registerUser(relay), await registerUser(relay)];
    expect(await count(relay, bob)).toEqual({ count: 0, pqCount: 0 });

    const put = await putKeys(relay, bob, {
      preKeys: [ecPreKey(10), ecPreKey(11)],
      pqPreKeys: [signedKyberPreKey(bob.identity, 20)],
    });
    expect(put.statusCode).toBe(204);
    expect(await count(relay, bob)).toEqual({ count: 2, pqCount: 1 });

    const first = PreKeyBundleResponse.parse((await fetchBundle(relay, alice, bob)).json());
    expect(first.identityKey).toBe(Buffer.from(bob.identity.getPublicKey().serialize()).toString('base64'));
    expect(first.devices).toHaveLength(1);
    const d1 = first.devices[0]!;
    expect(d1).toMatchObject({ deviceId: 1, registrationId: bob.registrationId, preKey: { keyId: 10 }, pqPreKey: { keyId: 20 } });
    expect(d1.signedPreKey.keyId).toBe(1);
    // What the relay hands out still verifies against the identity key.
    const pub = bob.identity.getPublicKey();
    const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
    expect(pub.verify(bytes(d1.signedPreKey.publicKey), bytes(d1.signedPreKey.signature))).toBe(true);
    expect(pub.verify(bytes(d1.pqPreKey.publicKey), bytes(d1.pqPreKey.signature))).toBe(true);
    expect(await count(relay, bob)).toEqual({ count: 1, pqCount: 0 });

    const second = PreKeyBundleResponse.parse((await fetchBundle(relay, alice, bob, '*')).json());
    expect(second.devices[0]).toMatchObject({ preKey: { keyId: 11 }, pqPreKey: { keyId: 2 } }); // last resort
    const third = PreKeyBundleResponse.parse((await fetchBundle(relay, alice, bob)).json());
    expect(third.devices[0]!.preKey).toBeUndefined();
    expect(third.devices[0]!.pqPreKey.keyId).toBe(2); // the last-resort key is never consumed
  });

  test('signatures cover the serialized public key with its type byte (0x05 EC, 0x08 Kyber), not the raw key', async () => {
    const relay = await testRelay();
    const bob = await registerUser(relay);
    const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
    const rawSigned = (key: { keyId: number; publicKey: string }) => {
      const serialized = Buffer.from(key.publicKey, 'base64');
      return { ...key, signature: b64(bob.identity.sign(serialized.subarray(1))) };
    };
    const ec = signedEcPreKey(bob.identity, 40);
    const kyber = signedKyberPreKey(bob.identity, 41);
    expect([Buffer.from(ec.publicKey, 'base64')[0], Buffer.from(kyber.publicKey, 'base64')[0]]).toEqual([0x05, 0x08]);
    for (const body of [{ signedPreKey: rawSigned(ec) }, { pqPreKeys: [rawSigned(kyber)] }, { pqLastResortPreKey: rawSigned(kyber) }]) {
      const res = await putKeys(relay, bob, body);
      expect(res.statusCode).toBe(422);
      expect(res.json().error.code).toBe('INVALID_SIGNATURE');
    }
    expect((await putKeys(relay, bob, { signedPreKey: ec, pqPreKeys: [kyber] })).statusCode).toBe(204);
  });

  test('the last-resort Kyber key is stored apart: the relay takes a last-resort id equal to a one-time Kyber id', async () => {
    // docs/protocol.md "Prekeys": a client must not do this (libsignal's Kyber store is keyed by id alone).
    const relay = await testRelay({ AVISO_KEYS_RATE_CAPACITY: '100' });
    const [alice, bob] = [await registerUser(relay), await registerUser(relay)];
    const oneTime = signedKyberPreKey(bob.identity, 77);
    const lastResort = signedKyberPreKey(bob.identity, 77);
    expect((await putKeys(relay, bob, { pqPreKeys: [oneTime], pqLastResortPreKey: lastResort })).statusCode).toBe(204);
    const first = PreKeyBundleResponse.parse((await fetchBundle(relay, alice, bob)).json()).devices[0]!.pqPreKey;
    const second = PreKeyBundleResponse.parse((await fetchBundle(relay, alice, bob)).json()).devices[0]!.pqPreKey;
    expect([first.keyId, first.publicKey]).toEqual([77, oneTime.publicKey]);
    expect([second.keyId, second.publicKey]).toEqual([77, lastResort.publicKey]);
  });

  test('a bad signature anywhere in an upload is 422 and stores none of it', async () => {
    const relay = await testRelay();
    const bob = await registerUser(relay);
    const stranger = PrivateKey.generate();
    const res = await putKeys(relay, bob, {
      preKeys: [ecPreKey(10)],
      pqPreKeys: [signedKyberPreKey(bob.identity, 20), signedKyberPreKey(stranger, 21)],
      signedPreKey: signedEcPreKey(bob.identity, 5),
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('INVALID_SIGNATURE');
    expect(countRows(relay.ctx, 'ec_prekeys')).toBe(0);
    expect(countRows(relay.ctx, 'kyber_prekeys')).toBe(0);
    const stored = relay.ctx.storage.db.$client.prepare('SELECT key_id FROM signed_prekeys').get() as { key_id: number };
    expect(stored.key_id).toBe(1); // the registration's key, not the upload's
  });

  test('new signed and last-resort keys replace the old ones', async () => {
    const relay = await testRelay();
    const [alice, bob] = [await registerUser(relay), await registerUser(relay)];
    const res = await putKeys(relay, bob, {
      signedPreKey: signedEcPreKey(bob.identity, 7),
      pqLastResortPreKey: signedKyberPreKey(bob.identity, 8),
    });
    expect(res.statusCode).toBe(204);
    const bundle = PreKeyBundleResponse.parse((await fetchBundle(relay, alice, bob)).json());
    expect(bundle.devices[0]).toMatchObject({ signedPreKey: { keyId: 7 }, pqPreKey: { keyId: 8 } });
  });

  test('an upload over the per-request limit is 400', async () => {
    const relay = await testRelay();
    const bob = await registerUser(relay);
    const preKeys = Array.from({ length: LIMITS.maxPreKeysPerUpload + 1 }, (_, i) => ecPreKey(i + 1));
    const res = await putKeys(relay, bob, { preKeys });
    expect(res.statusCode).toBe(400);
    expect(countRows(relay.ctx, 'ec_prekeys')).toBe(0);
  });

  test('unknown account or device is 404', async () => {
    const relay = await testRelay();
    const [alice, bob] = [await registerUser(relay), await registerUser(relay)];
    const ghost = { ...bob, accountId: '3b2f6a2e-8d8e-4f4e-9c1a-0d6a7c5e4b3a' };
    expect((await fetchBundle(relay, alice, ghost)).statusCode).toBe(404);
    expect((await fetchBundle(relay, alice, bob, 2)).statusCode).toBe(404);
    const bad = await relay.app.inject({ method: 'GET', url: '/v1/keys/not-a-uuid/1', headers: { authorization: alice.auth } });
    expect(bad.statusCode).toBe(400);
  });

  test('bundle fetches are rate limited per (requester, target device) with 429 and retryAfterSeconds', async () => {
    const relay = await testRelay({ AVISO_KEYS_RATE_CAPACITY: '2', AVISO_KEYS_RATE_REFILL_SECONDS: '600' });
    const [alice, bob, carol] = [await registerUser(relay), await registerUser(relay), await registerUser(relay)];
    expect((await fetchBundle(relay, alice, bob)).statusCode).toBe(200);
    expect((await fetchBundle(relay, alice, bob)).statusCode).toBe(200);
    const limited = await fetchBundle(relay, alice, bob);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatchObject({ code: 'RATE_LIMITED', retryable: true, details: { retryAfterSeconds: 600 } });
    // Other pairs have their own buckets.
    expect((await fetchBundle(relay, carol, bob)).statusCode).toBe(200);
    expect((await fetchBundle(relay, alice, carol)).statusCode).toBe(200);
    // The bucket refills with time.
    relay.clock.advance(600_000);
    expect((await fetchBundle(relay, alice, bob)).statusCode).toBe(200);
    expect((await fetchBundle(relay, alice, bob)).statusCode).toBe(429);
  });
});
