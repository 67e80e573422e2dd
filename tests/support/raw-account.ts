import { randomBytes } from 'node:crypto';
import { IdentityKeyPair, KEMKeyPair } from '@signalapp/libsignal-client';
import { basicCredentials, RegisterResponse, ROUTES, type RegisterRequest } from '@aviso/protocol';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/**
 * An account registered over raw HTTP, without the SDK: for tests that must send what a
 * well-behaved client never would (wrong passwords, oversized or malformed input, forged envelopes).
 */
export interface RawAccount {
  accountId: string;
  deviceId: number;
  password: string;
  registrationId: number;
  authorization: string;
}

export function registrationBody(registrationToken: string): RegisterRequest & { identity: IdentityKeyPair } {
  const identity = IdentityKeyPair.generate();
  const spk = IdentityKeyPair.generate().publicKey.serialize();
  const kyber = KEMKeyPair.generate().getPublicKey().serialize();
  return {
    identity,
    registrationToken,
    password: randomBytes(32).toString('base64url'),
    identityKey: b64(identity.publicKey.serialize()),
    registrationId: 1 + Math.floor(Math.random() * 16000),
    signedPreKey: { keyId: 1, publicKey: b64(spk), signature: b64(identity.privateKey.sign(spk)) },
    pqLastResortPreKey: { keyId: 1, publicKey: b64(kyber), signature: b64(identity.privateKey.sign(kyber)) },
  };
}

export function authorization(accountId: string, deviceId: number, password: string): string {
  return `Basic ${Buffer.from(basicCredentials(accountId, deviceId, password)).toString('base64')}`;
}

export async function registerRaw(relayUrl: string, registrationToken: string): Promise<RawAccount> {
  const { identity: _identity, ...body } = registrationBody(registrationToken);
  const res = await fetch(new URL(ROUTES.accounts, relayUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`registration failed: ${res.status} ${await res.text()}`);
  const { accountId, deviceId } = RegisterResponse.parse(await res.json());
  return {
    accountId,
    deviceId,
    password: body.password,
    registrationId: body.registrationId,
    authorization: authorization(accountId, deviceId, body.password),
  };
}

/** Fetch against the relay; returns the status and parsed JSON body (or undefined). */
export async function call(
  relayUrl: string,
  method: string,
  path: string,
  options: { authorization?: string; body?: unknown; rawBody?: string } = {},
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (options.authorization) headers.authorization = options.authorization;
  let body: string | undefined;
  if (options.rawBody !== undefined || options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = options.rawBody ?? JSON.stringify(options.body);
  }
  const res = await fetch(new URL(path, relayUrl), { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}
