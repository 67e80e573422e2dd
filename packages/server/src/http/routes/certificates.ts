import { ENDPOINTS, parseWith } from '@aviso/protocol';
import type { FastifyInstance } from 'fastify';
import type { AccountsService } from '../../services/accounts/accounts.js';
import type { CertificatesService } from '../../services/accounts/certificates.js';
import type { GroupAuthService } from '../../services/groups/group-auth.js';
import { deviceOf, requireDevice } from '../auth.js';
import { route } from '../endpoint-route.js';

export function certificateRoutes(
  app: FastifyInstance,
  deps: { accounts: AccountsService; certificates: CertificatesService; groupAuth: GroupAuthService },
): void {
  const preHandler = requireDevice(deps.accounts);
  route(app, ENDPOINTS.senderCertificate, async (request) => deps.certificates.issue(deviceOf(request)), { preHandler });
  route(
    app,
    ENDPOINTS.authCredentials,
    async (request) => {
      const { from, to } = parseWith(ENDPOINTS.authCredentials.query, request.query);
      return deps.groupAuth.issue(deviceOf(request), from, to);
    },
    { preHandler },
  );
}
