import { ENDPOINTS, parseWith, ProtocolError } from '@aviso/protocol';
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
  // Each destination is the single send above, in order: its own rate-limit bucket, device checks
  // and commit. A destination the relay refuses (a client matter, or storage) is answered in its
  // result, as its own request would have been, and costs the others nothing.
  const batch = ENDPOINTS.sendMessagesBatch;
  route(
    app,
    batch,
    async (request) => {
      const sender = deviceOf(request);
      const { destinations } = parseWith(batch.body, request.body);
      const results = destinations.map((d) => {
        try {
          return { accountId: d.accountId, stored: deps.messages.send(sender, d.accountId, { messages: d.messages, timestamp: d.timestamp }).stored };
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
          return { accountId: d.accountId, error: { code: err.code, ...(err.details === undefined ? {} : { details: err.details }) } };
        }
      });
      return { results };
    },
    { preHandler: requireDevice(deps.accounts) },
  );
}
