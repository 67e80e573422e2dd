import { parseWith, ROUTES, SendMessagesParams, SendMessagesRequest } from '@aviso/protocol';
import type { FastifyInstance } from 'fastify';
import type { AccountsService } from '../../services/accounts/accounts.js';
import type { MessagesService } from '../../services/delivery/delivery.js';
import { deviceOf, requireDevice } from '../auth.js';

export function messageRoutes(app: FastifyInstance, deps: { accounts: AccountsService; messages: MessagesService }): void {
  app.put(ROUTES.messages.pattern, { preHandler: requireDevice(deps.accounts) }, async (request) => {
    const { accountId } = parseWith(SendMessagesParams, request.params);
    return deps.messages.send(deviceOf(request), accountId, parseWith(SendMessagesRequest, request.body));
  });
}
