import { ENDPOINTS, parseWith, ProtocolError } from '@aviso/protocol';
import { Aci } from '@signalapp/libsignal-client';
import type { FastifyInstance } from 'fastify';
import type { AccountsService } from '../../services/accounts/accounts.js';
import type { GroupSendTokens } from '../../services/groups/group-send-tokens.js';
import type { PreKeysService } from '../../services/accounts/prekeys.js';
import { deviceOf, requireDevice } from '../auth.js';
import { route } from '../endpoint-route.js';
import { tokenHeader } from './group-send.js';

export function keyRoutes(
  app: FastifyInstance,
  deps: { accounts: AccountsService; prekeys: PreKeysService; groupSendTokens: GroupSendTokens },
): void {
  const preHandler = requireDevice(deps.accounts);
  route(
    app,
    ENDPOINTS.setKeys,
    async (request, reply) => {
      deps.prekeys.setKeys(deviceOf(request), parseWith(ENDPOINTS.setKeys.body, request.body));
      return reply.code(204).send();
    },
    { preHandler },
  );
  route(app, ENDPOINTS.preKeyCount, async (request) => deps.prekeys.count(deviceOf(request)), { preHandler });
  // Basic auth, or (a group member fetching another member's keys) a group send token for exactly
  // that account, so the fetch does not say who is about to message whom.
  const bundle = ENDPOINTS.keyBundle;
  route(app, bundle, async (request, reply) => {
    const token = tokenHeader(request);
    if (token === undefined) {
      await preHandler(request, reply);
      const params = parseWith(bundle.params, request.params);
      return deps.prekeys.bundle(deviceOf(request), params.accountId, params.deviceId);
    }
    if (request.headers.authorization !== undefined) {
      throw new ProtocolError('BAD_REQUEST', 'send account credentials or a group send token, not both');
    }
    const params = parseWith(bundle.params, request.params);
    await deps.groupSendTokens.verify(token, [Aci.fromUuid(params.accountId).getServiceIdString()]);
    return deps.prekeys.bundleWithToken(params.accountId, params.deviceId);
  });
  // A first send to many members: one token for exactly the listed set (zkgroup combines the
  // endorsements), verified in the zk worker like a group send's. Checked in this order, each before
  // any key is read: no credentials, the body, the token for that set, the rate limit.
  const batch = ENDPOINTS.keyBundleBatch;
  route(app, batch, async (request) => {
    if (request.headers.authorization !== undefined) throw new ProtocolError('BAD_REQUEST', 'batched prekey fetches carry no account credentials');
    const token = tokenHeader(request);
    const body = parseWith(batch.body, request.body);
    await deps.groupSendTokens.verify(token, body.accounts.map((a) => Aci.fromUuid(a).getServiceIdString()));
    return deps.prekeys.bundlesWithToken(body.accounts);
  });
}
