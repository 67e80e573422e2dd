import { ENDPOINTS, parseWith } from '@aviso/protocol';
import type { FastifyInstance } from 'fastify';
import type { AccountsService } from '../../services/accounts/accounts.js';
import type { MessagesService } from '../../services/delivery/delivery.js';
import { deviceOf, requireDevice } from '../auth.js';
import { route } from '../endpoint-route.js';

export function messageRoutes(app: FastifyInstance, deps: { accounts: AccountsService; messages: MessagesService }): void {
  const e = ENDPOINTS.sendMessages;
  route(
    app,
    e,
    async (request) => {
      const { accountId } = parseWith(e.params, request.params);
      return deps.messages.send(deviceOf(request), accountId, parseWith(e.body, request.body));
    },
    { preHandler: requireDevice(deps.accounts) },
  );
}
