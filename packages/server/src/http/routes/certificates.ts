import { AuthCredentialsQuery, parseWith, ROUTES } from '@aviso/protocol';
import type { FastifyInstance } from 'fastify';
import type { AccountsService } from '../../services/accounts/accounts.js';
import type { CertificatesService } from '../../services/accounts/certificates.js';
import type { GroupAuthService } from '../../services/groups/group-auth.js';
import { deviceOf, requireDevice } from '../auth.js';

export function certificateRoutes(
  app: FastifyInstance,
  deps: { accounts: AccountsService; certificates: CertificatesService; groupAuth: GroupAuthService },
): void {
  const preHandler = requireDevice(deps.accounts);
  app.get(ROUTES.senderCertificate, { preHandler }, async (request) => deps.certificates.issue(deviceOf(request)));
  app.get(ROUTES.authCredentials, { preHandler }, async (request) => {
    const { from, to } = parseWith(AuthCredentialsQuery, request.query);
    return deps.groupAuth.issue(deviceOf(request), from, to);
  });
}
