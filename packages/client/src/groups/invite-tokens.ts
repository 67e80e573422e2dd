import { RevokeTokenResponse, ROUTES } from '@aviso/protocol';
import type { RelayHttp } from '../transport/http.js';

/**
 * Revokes the registration token an invite code carries (finding 13 of the red-team review: a
 * revoked invite's code still registered accounts through it). Call it with the token `createInvite`
 * minted for the invite when that invite is revoked. Authenticated as this account; the relay does
 * not know who minted a token, so holding it is what lets us revoke it. Resolves false if the relay
 * no longer had it (used up, expired, or revoked already); a code minted without a token is a no-op.
 */
export async function revokeInviteRegistrationToken(http: Pick<RelayHttp, 'post'>, token: string | undefined): Promise<boolean> {
  if (token === undefined) return false;
  const res = await http.post(ROUTES.registrationTokenRevoke, { token }, RevokeTokenResponse);
  return res.revoked;
}
