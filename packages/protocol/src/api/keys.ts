import { z } from 'zod';
import { LIMITS } from '../limits.js';
import { AccountId, DeviceId, EcPublicKey, KeyId, KyberPublicKey, RegistrationId, Signature } from '../primitives.js';

export const EcPreKey = z.object({ keyId: KeyId, publicKey: EcPublicKey });
export const SignedEcPreKey = z.object({ keyId: KeyId, publicKey: EcPublicKey, signature: Signature });
export const SignedKyberPreKey = z.object({ keyId: KeyId, publicKey: KyberPublicKey, signature: Signature });
export type EcPreKey = z.infer<typeof EcPreKey>;
export type SignedEcPreKey = z.infer<typeof SignedEcPreKey>;
export type SignedKyberPreKey = z.infer<typeof SignedKyberPreKey>;

/**
 * `PUT /v1/keys`: upload prekeys for the authenticated device. A present non-empty list is added
 * (the relay keeps the newest `maxStoredPreKeys`); a present signed or last-resort key replaces the
 * stored one. Every signature is verified against the account's identity key (422 otherwise), and
 * nothing is stored unless all verify.
 */
export const SetKeysRequest = z
  .object({
    preKeys: z.array(EcPreKey).max(LIMITS.maxPreKeysPerUpload).optional(),
    pqPreKeys: z.array(SignedKyberPreKey).max(LIMITS.maxPreKeysPerUpload).optional(),
    signedPreKey: SignedEcPreKey.optional(),
    pqLastResortPreKey: SignedKyberPreKey.optional(),
  })
  .strict();
export type SetKeysRequest = z.infer<typeof SetKeysRequest>;

/** `GET /v1/keys`: how many one-time prekeys the relay still holds for the authenticated device. */
export const PreKeyCount = z.object({ count: z.int().min(0), pqCount: z.int().min(0) });
export type PreKeyCount = z.infer<typeof PreKeyCount>;

/** One device's bundle in `GET /v1/keys/:accountId/:deviceId`. `pqPreKey` is one-time or the last-resort key. */
export const DevicePreKeyBundle = z.object({
  deviceId: DeviceId,
  registrationId: RegistrationId,
  signedPreKey: SignedEcPreKey,
  preKey: EcPreKey.optional(),
  pqPreKey: SignedKyberPreKey,
});
export type DevicePreKeyBundle = z.infer<typeof DevicePreKeyBundle>;

export const PreKeyBundleResponse = z.object({
  identityKey: EcPublicKey,
  devices: z.array(DevicePreKeyBundle).min(1).max(LIMITS.maxDevicesPerAccount),
});
export type PreKeyBundleResponse = z.infer<typeof PreKeyBundleResponse>;

/** Path parameters of the bundle fetch; `*` means every device of the account. */
export const PreKeyBundleParams = z.object({
  accountId: AccountId,
  deviceId: z.union([z.literal('*'), z.coerce.number().pipe(DeviceId)]),
});

/**
 * `POST /v1/keys/batch`: every device's bundle of each of `accounts` (at most `maxKeyBatchAccounts`,
 * no account twice), authorised by ONE group send token for exactly that set. The relay learns what
 * a token for the set already tells it, and nothing more.
 */
export const PreKeyBatchRequest = z
  .object({ accounts: z.array(AccountId).min(1).max(LIMITS.maxKeyBatchAccounts) })
  .strict()
  .refine((r) => new Set(r.accounts).size === r.accounts.length, { message: 'an account is listed twice', path: ['accounts'] });
export type PreKeyBatchRequest = z.infer<typeof PreKeyBatchRequest>;

/** One account's answer in a batch: what `GET /v1/keys/:accountId/*` would answer, with the account. */
export const AccountPreKeyBundle = PreKeyBundleResponse.extend({ accountId: AccountId });
export type AccountPreKeyBundle = z.infer<typeof AccountPreKeyBundle>;

/**
 * The bundles of the requested accounts that have any; `missing` lists the others (no such account,
 * or no device with keys: what a single fetch answers with NOT_FOUND), so one member without keys
 * does not cost the rest of the batch its sessions.
 */
export const PreKeyBatchResponse = z.object({
  bundles: z.array(AccountPreKeyBundle).max(LIMITS.maxKeyBatchAccounts),
  missing: z.array(AccountId).max(LIMITS.maxKeyBatchAccounts),
});
export type PreKeyBatchResponse = z.infer<typeof PreKeyBatchResponse>;
