import { z } from 'zod';

/**
 * `POST /v1/registration-tokens/revoke` (account credentials): revokes a registration token its
 * holder no longer wants honoured, e.g. the one inside an invite code whose invite was revoked. The
 * relay does not record who minted a token, so holding the token is the authority to revoke it;
 * anyone holding it could use it up by registering anyway.
 */
export const RevokeTokenRequest = z.object({ token: z.string().min(1).max(256) }).strict();
export type RevokeTokenRequest = z.infer<typeof RevokeTokenRequest>;
/** `revoked`: false if the token was unknown, expired or used up already. */
export const RevokeTokenResponse = z.object({ revoked: z.boolean() });
export type RevokeTokenResponse = z.infer<typeof RevokeTokenResponse>;
