import { ProtocolError } from '@aviso/protocol';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { credentialsFromHeader } from '../auth-header.js';
import type { AccountsService, AuthenticatedDevice } from '../services/accounts/accounts.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the `requireDevice` preHandler on authenticated routes. */
    device: AuthenticatedDevice | null;
  }
}

/** preHandler for authenticated routes: Basic credentials → `request.device`, else 401. */
export function requireDevice(accounts: AccountsService) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const creds = credentialsFromHeader(request.headers.authorization);
    if (creds === undefined) throw new ProtocolError('UNAUTHORIZED', 'missing or malformed credentials');
    request.device = accounts.authenticate(creds.accountId, creds.deviceId, creds.password);
  };
}

/** The device a `requireDevice` route runs for. */
export function deviceOf(request: FastifyRequest): AuthenticatedDevice {
  if (request.device === null) throw new Error('route is missing the requireDevice preHandler');
  return request.device;
}
