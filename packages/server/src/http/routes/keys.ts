import { parseWith, PreKeyBundleParams, ROUTES, SetKeysRequest } from '@aviso/protocol';
import type { FastifyInstance } from 'fastify';
import type { AccountsService } from '../../services/accounts.js';
import type { PreKeysService } from '../../services/prekeys.js';
import { deviceOf, requireDevice } from '../auth.js';

export function keyRoutes(app: FastifyInstance, deps: { accounts: AccountsService; prekeys: PreKeysService }): void {
  const preHandler = requireDevice(deps.accounts);
  app.put(ROUTES.keys, { preHandler }, async (request, reply) => {
    deps.prekeys.setKeys(deviceOf(request), parseWith(SetKeysRequest, request.body));
    return reply.code(204).send();
  });
  app.get(ROUTES.keys, { preHandler }, async (request) => deps.prekeys.count(deviceOf(request)));
  app.get(ROUTES.keyBundle.pattern, { preHandler }, async (request) => {
    const params = parseWith(PreKeyBundleParams, request.params);
    return deps.prekeys.bundle(deviceOf(request), params.accountId, params.deviceId);
  });
}
