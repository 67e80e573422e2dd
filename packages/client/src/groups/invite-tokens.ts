import { ENDPOINTS } from '@aviso/protocol';
import type { AvisoStore } from '../stores/interfaces.js';
import type { RelayHttp } from '../transport/http.js';

/**
 * Revokes the registration token an invite code carries (finding 13 of the red-team review: a
 * revoked invite's code still registered accounts through it). Call it with the token `createInvite`
 * minted for the invite when that invite is revoked. Authenticated as this account; the relay does
 * not know who minted a token, so holding it is what lets us revoke it. Resolves false if the relay
 * no longer had it (used up, expired, or revoked already); a code minted without a token is a no-op.
 */
export async function revokeInviteRegistrationToken(http: Pick<RelayHttp, 'call'>, token: string | undefined): Promise<boolean> {
  if (token === undefined) return false;
  const res = await http.call(ENDPOINTS.revokeRegistrationToken, { body: { token } });
  return res.revoked;
}

/**
 * Where this device keeps the registration token it minted into an invite's code, so that revoking
 * the invite can revoke the token too. Only the invite's creator holds it: an admin who revokes
 * someone else's invite cannot revoke its token (the token then lives until it is used up or expires,
 * at most 30 days). An empty value means none.
 */
export const inviteTokenKey = (groupId: string, inviteId: string) => `inviteToken:${groupId}:${inviteId}`;

export function storedInviteToken(store: Pick<AvisoStore, 'getMeta'>, groupId: string, inviteId: string): string | undefined {
  return store.getMeta(inviteTokenKey(groupId, inviteId)) || undefined;
}
