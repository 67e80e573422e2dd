import { PublicKey } from '@signalapp/libsignal-client';

/**
 * XEdDSA verify for group changes (member and invite signing keys): false for a malformed key or
 * signature as well as a wrong one, so a hostile change is refused, never a crash.
 */
export function verifySignature(publicKeyB64: string, message: string, signatureB64: string): boolean {
  try {
    return PublicKey.deserialize(Buffer.from(publicKeyB64, 'base64')).verify(Buffer.from(message, 'utf8'), Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}
