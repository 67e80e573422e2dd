import { z } from 'zod';
import { AccountId, DeviceId, EcPublicKey, RegistrationId, RegistrationToken } from '../primitives.js';
import { SignedEcPreKey, SignedKyberPreKey } from './keys.js';

/**
 * `POST /v1/accounts`: register with a token the operator handed out. No phone number, e-mail or
 * name: the relay learns an identity key and prekeys, and assigns a random account id.
 * `password` is chosen by the client (at least 128 bits of randomness, sent once here); the relay
 * keeps only a salted hash and checks it on every later request (`Authorization: Basic`).
 */
export const RegisterRequest = z
  .object({
    registrationToken: RegistrationToken,
    password: z.string().min(22).max(128),
    identityKey: EcPublicKey,
    registrationId: RegistrationId,
    signedPreKey: SignedEcPreKey,
    pqLastResortPreKey: SignedKyberPreKey,
  })
  .strict();
export type RegisterRequest = z.infer<typeof RegisterRequest>;

export const RegisterResponse = z.object({ accountId: AccountId, deviceId: DeviceId });
export type RegisterResponse = z.infer<typeof RegisterResponse>;

/**
 * Builds the `Authorization` header value for a device: `Basic base64("{accountId}.{deviceId}:{password}")`,
 * Signal's scheme. Pure string work; base64 is done by the caller's platform.
 */
export function basicCredentials(accountId: string, deviceId: number, password: string): string {
  return `${accountId}.${deviceId}:${password}`;
}

/** Parses the decoded Basic credentials; returns undefined for anything malformed. */
export function parseBasicCredentials(
  decoded: string,
): { accountId: AccountId; deviceId: number; password: string } | undefined {
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const dot = user.lastIndexOf('.');
  if (dot < 0) return undefined;
  const accountId = AccountId.safeParse(user.slice(0, dot));
  const deviceId = DeviceId.safeParse(Number(user.slice(dot + 1)));
  if (!accountId.success || !deviceId.success || password.length === 0) return undefined;
  return { accountId: accountId.data, deviceId: deviceId.data, password };
}
