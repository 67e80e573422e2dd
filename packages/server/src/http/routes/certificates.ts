import { ROUTES } from '@aviso/protocol';
import type { FastifyInstance } from 'fastify';
import type { AccountsService } from '../../services/accounts.js';
import type { CertificatesService } from '../../services/certificates.js';
import { deviceOf, requireDevice } from '../auth.js';

export function certificateRoutes(
  app: FastifyInstance,
  deps: { accounts: AccountsService; certificates: CertificatesService },
): void {
  app.get(ROUTES.senderCertificate, { preHandler: requireDevice(deps.accounts) }, async (request) =>
    deps.certificates.issue(deviceOf(request)),
  );
}
