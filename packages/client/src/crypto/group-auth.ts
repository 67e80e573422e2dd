import { Aci } from '@signalapp/libsignal-client';
import type { AuthCredentialsResponse } from '@aviso/protocol';
import { fromBase64, toBase64 } from '../util/bytes.js';
import { AuthCredentialWithPni, AuthCredentialWithPniResponse, ClientZkAuthOperations, ServerPublicParams, type GroupSecretParams } from './zkgroup.js';

/** Group auth credentials (docs/groups.md "Authenticating group requests"). Sans-I/O. */

export const DAY_SECONDS = 86_400;

export function dayStart(nowMs: number): number {
  return Math.floor(nowMs / 1000 / DAY_SECONDS) * DAY_SECONDS;
}

/** Turns the relay's responses into credentials, keyed by redemption time (seconds). Throws if one is not for us. */
export function receiveAuthCredentials(serverPublicParams: Uint8Array, accountId: string, res: AuthCredentialsResponse): Map<number, AuthCredentialWithPni> {
  const ops = new ClientZkAuthOperations(new ServerPublicParams(fromBase64(toBase64(serverPublicParams))));
  const aci = Aci.fromUuid(accountId);
  const salt = fromBase64(res.authCredentialSalt);
  const out = new Map<number, AuthCredentialWithPni>();
  for (const c of res.credentials) {
    out.set(c.redemptionTime, ops.receiveAuthCredentialWithoutPni(aci, salt, c.redemptionTime, new AuthCredentialWithPniResponse(fromBase64(c.credential))));
  }
  return out;
}

/** base64 presentation for the `aviso-group-auth` header: proves membership pseudonym, not the account. */
export function authPresentation(serverPublicParams: Uint8Array, secretParams: GroupSecretParams, credential: AuthCredentialWithPni): string {
  const ops = new ClientZkAuthOperations(new ServerPublicParams(fromBase64(toBase64(serverPublicParams))));
  return toBase64(ops.createAuthCredentialWithPniPresentation(secretParams, credential).serialize());
}
