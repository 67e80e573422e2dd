import { ENDPOINTS, parseWith, type RevokeTokenResponse } from '@aviso/protocol';
import type { FastifyInstance } from 'fastify';
import type { AccountsService } from '../../services/accounts/accounts.js';
import type { MemberTokensService } from '../../services/accounts/member-tokens.js';
import { requireDevice } from '../auth.js';
import { route } from '../endpoint-route.js';

/**
 * Account-authenticated (Basic): a member revokes a registration token it holds (the one it put
 * inside an invite code it has since revoked). Nothing is logged beyond the route pattern.
 */
export function registrationTokenRoutes(app: FastifyInstance, deps: { accounts: AccountsService; memberTokens: MemberTokensService }): void {
  const e = ENDPOINTS.revokeRegistrationToken;
  route(
    app,
    e,
    async (request): Promise<RevokeTokenResponse> => ({ revoked: deps.memberTokens.revoke(parseWith(e.body, request.body).token) }),
    { preHandler: requireDevice(deps.accounts) },
  );
}
