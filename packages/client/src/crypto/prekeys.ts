import { randomInt } from 'node:crypto';
import { IdentityKeyPair, KEMKeyPair, KyberPreKeyRecord, PreKeyRecord, PrivateKey, SignedPreKeyRecord } from '@signalapp/libsignal-client';
import { ID_BOUNDS, type EcPreKey, type SignedEcPreKey, type SignedKyberPreKey } from '@aviso/protocol';
import { toBase64 } from '../util/bytes.js';

/** Key generation: pure functions returning the record to store and the public part to upload. */

export function generateIdentity(): { identityKeyPair: IdentityKeyPair; registrationId: number } {
  return {
    identityKeyPair: IdentityKeyPair.generate(),
    registrationId: randomInt(ID_BOUNDS.minRegistrationId, ID_BOUNDS.maxRegistrationId + 1),
  };
}

/** A random starting key id, so ids do not reveal how many keys a device has made (Signal-Desktop). */
export function randomKeyId(): number {
  return randomInt(ID_BOUNDS.minKeyId, ID_BOUNDS.maxKeyId + 1);
}

/** 24-bit ids wrap around and are never 0. */
export function nextKeyId(id: number): number {
  return id >= ID_BOUNDS.maxKeyId ? ID_BOUNDS.minKeyId : id + 1;
}

export function generatePreKey(id: number): { record: PreKeyRecord; wire: EcPreKey } {
  const priv = PrivateKey.generate();
  const pub = priv.getPublicKey();
  return { record: PreKeyRecord.new(id, pub, priv), wire: { keyId: id, publicKey: toBase64(pub.serialize()) } };
}

export function generateSignedPreKey(identity: IdentityKeyPair, id: number, now: number): { record: SignedPreKeyRecord; wire: SignedEcPreKey } {
  const priv = PrivateKey.generate();
  const pub = priv.getPublicKey();
  const signature = identity.privateKey.sign(pub.serialize());
  return {
    record: SignedPreKeyRecord.new(id, now, pub, priv, signature),
    wire: { keyId: id, publicKey: toBase64(pub.serialize()), signature: toBase64(signature) },
  };
}

export function generateKyberPreKey(identity: IdentityKeyPair, id: number, now: number): { record: KyberPreKeyRecord; wire: SignedKyberPreKey } {
  const keyPair = KEMKeyPair.generate();
  const pub = keyPair.getPublicKey().serialize();
  const signature = identity.privateKey.sign(pub);
  return {
    record: KyberPreKeyRecord.new(id, now, keyPair, signature),
    wire: { keyId: id, publicKey: toBase64(pub), signature: toBase64(signature) },
  };
}
