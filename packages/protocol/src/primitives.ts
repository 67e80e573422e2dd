import { z } from 'zod';
import { ID_BOUNDS, LIMITS } from './limits.js';

/** Base64 (standard alphabet, padded) string whose decoded length is between `minBytes` and `maxBytes`. */
export function base64Bytes(maxBytes: number, minBytes = 1) {
  return z
    .base64()
    .max(Math.ceil(maxBytes / 3) * 4) // cheap bound first, so a huge string is not scanned further
    .refine((s) => {
      const n = base64DecodedLength(s);
      return n >= minBytes && n <= maxBytes;
    }, minBytes === maxBytes ? `must decode to exactly ${maxBytes} bytes` : `must decode to ${minBytes}–${maxBytes} bytes`);
}

/** Decoded byte length of a padded base64 string, without decoding it. */
export function base64DecodedLength(s: string): number {
  const padding = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return (s.length / 4) * 3 - padding;
}

/** Account id: a random UUID the relay assigns at registration (Signal's ACI). Lower-case. */
export const AccountId = z.uuid().transform((s) => s.toLowerCase()).brand<'AccountId'>();
export type AccountId = z.infer<typeof AccountId>;

export const DeviceId = z.int().min(ID_BOUNDS.minDeviceId).max(ID_BOUNDS.maxDeviceId);
export const RegistrationId = z.int().min(ID_BOUNDS.minRegistrationId).max(ID_BOUNDS.maxRegistrationId);
export const KeyId = z.int().min(ID_BOUNDS.minKeyId).max(ID_BOUNDS.maxKeyId);

/** libsignal serialized public keys: EC keys are 33 bytes, Kyber-1024 keys 1569 bytes. */
export const EcPublicKey = base64Bytes(33, 33);
export const KyberPublicKey = base64Bytes(1600, 800);
/** XEdDSA signature, 64 bytes. */
export const Signature = base64Bytes(64, 64);

/** Milliseconds since the epoch. */
export const Timestamp = z.int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A relay registration token as typed or pasted. */
export const RegistrationToken = z.string().trim().min(8).max(LIMITS.maxTokenLength);
