import { ENDPOINTS, parseWith } from '@aviso/protocol';
import type { FastifyInstance } from 'fastify';
import type { AccountsService } from '../../services/accounts/accounts.js';
import type { RateLimiter } from '../../services/shared/rate-limit.js';
import { route } from '../endpoint-route.js';

/** Registration attempts share one relay-wide bucket: keying them by address would mean keeping addresses. */
const REGISTER_KEY = 'register';

export function accountRoutes(app: FastifyInstance, accounts: AccountsService, limiter: RateLimiter): void {
  const e = ENDPOINTS.register;
  route(app, e, async (request) => {
    // Before parsing or verifying signatures: a flood costs a map lookup per attempt.
    limiter.take(REGISTER_KEY);
    return accounts.register(parseWith(e.body, request.body));
  });
}
