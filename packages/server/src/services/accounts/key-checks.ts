import { KEMPublicKey, PublicKey } from '@signalapp/libsignal-client';
import { ProtocolError, type EcPreKey, type SignedEcPreKey, type SignedKyberPreKey } from '@aviso/protocol';
import type { StoredPreKey, StoredSignedPreKey } from '../../ports/prekeys.js';
import { fromBase64 } from '../shared/bytes.js';

/**
 * Checks of client-supplied key material, run before anything is stored. The signed bytes are the
 * serialized public key of the prekey, exactly what libsignal's PreKeyBundle verification expects.
 */

export function parseIdentityKey(b64: string): PublicKey {
  return parsePublicKey(b64, 'identityKey');
}

export function checkEcPreKey(key: EcPreKey): StoredPreKey {
  return { keyId: key.keyId, publicKey: parsePublicKey(key.publicKey, `preKey ${key.keyId}`).serialize() };
}

export function checkSignedEcPreKey(identity: PublicKey, key: SignedEcPreKey): StoredSignedPreKey {
  const publicKey = parsePublicKey(key.publicKey, `signedPreKey ${key.keyId}`).serialize();
  return verified(identity, key.keyId, publicKey, key.signature, 'signedPreKey');
}

export function checkSignedKyberPreKey(identity: PublicKey, key: SignedKyberPreKey, what: string): StoredSignedPreKey {
  let publicKey: Uint8Array<ArrayBuffer>;
  try {
    publicKey = KEMPublicKey.deserialize(fromBase64(key.publicKey)).serialize();
  } catch (cause) {
    throw new ProtocolError('BAD_REQUEST', `${what} ${key.keyId} is not a valid Kyber public key`, { cause });
  }
  return verified(identity, key.keyId, publicKey, key.signature, what);
}

function verified(
  identity: PublicKey,
  keyId: number,
  publicKey: Uint8Array<ArrayBuffer>,
  signatureB64: string,
  what: string,
): StoredSignedPreKey {
  const signature = fromBase64(signatureB64);
  let ok = false;
  try {
    ok = identity.verify(publicKey, signature);
  } catch {
    ok = false;
  }
  if (!ok) throw new ProtocolError('INVALID_SIGNATURE', `${what} ${keyId}: signature does not verify against the identity key`);
  return { keyId, publicKey, signature };
}

function parsePublicKey(b64: string, what: string): PublicKey {
  try {
    return PublicKey.deserialize(fromBase64(b64));
  } catch (cause) {
    throw new ProtocolError('BAD_REQUEST', `${what} is not a valid public key`, { cause });
  }
}
