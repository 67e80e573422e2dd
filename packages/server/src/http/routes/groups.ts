import { ENDPOINTS, GROUP_HEADERS, parseWith } from '@aviso/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AccountsService } from '../../services/accounts/accounts.js';
import type { EndorsementsService } from '../../services/groups/endorsements.js';
import type { GroupCredentials, GroupsService } from '../../services/groups/groups.js';
import type { MemberTokensService } from '../../services/accounts/member-tokens.js';
import { deviceOf, requireDevice } from '../auth.js';
import { route } from '../endpoint-route.js';

/** The table's base64url invite id, normalised to the padded base64 the log uses. */
const JoinParams = ENDPOINTS.joinInfo.params.transform(({ groupId, inviteId }) => ({
  groupId,
  inviteId: Buffer.from(inviteId, 'base64url').toString('base64'),
}));

/**
 * Group routes authenticate with the `aviso-group-auth` presentation only, never with account
 * credentials, so the relay cannot tie a group request to an account. Nothing here is logged
 * beyond the route pattern (app.ts): no group id, presentation, password or ciphertext.
 */
export function groupRoutes(
  app: FastifyInstance,
  deps: { accounts: AccountsService; groups: GroupsService; memberTokens: MemberTokensService; endorsements: EndorsementsService },
): void {
  const E = ENDPOINTS;
  route(app, E.createGroup, async (request) => {
    const { groupId } = parseWith(E.createGroup.params, request.params);
    return deps.groups.create(groupId, parseWith(E.createGroup.body, request.body), credentialsOf(request));
  });
  route(app, E.groupChanges, async (request) => {
    const { groupId } = parseWith(E.groupChanges.params, request.params);
    const { from, limit } = parseWith(E.groupChanges.query, request.query);
    return deps.groups.changes(groupId, from, limit, credentialsOf(request));
  });
  route(app, E.groupCheckpoint, async (request) => {
    const { groupId } = parseWith(E.groupCheckpoint.params, request.params);
    const { atOrBefore } = parseWith(E.groupCheckpoint.query, request.query);
    return deps.groups.checkpoint(groupId, atOrBefore, credentialsOf(request));
  });
  route(app, E.appendChange, async (request) => {
    const { groupId } = parseWith(E.appendChange.params, request.params);
    return deps.groups.append(groupId, parseWith(E.appendChange.body, request.body), credentialsOf(request));
  });
  route(app, E.joinInfo, async (request) => {
    const { groupId, inviteId } = parseWith(JoinParams, request.params);
    return deps.groups.joinInfo(groupId, inviteId, credentialsOf(request));
  });
  route(app, E.endorsements, async (request) => {
    const { groupId } = parseWith(E.endorsements.params, request.params);
    return deps.endorsements.get(groupId, credentialsOf(request));
  });
  // Account-authenticated (Basic): a member mints a registration token to put inside an invite code.
  route(app, E.mintRegistrationToken, async (request) => deps.memberTokens.mint(deviceOf(request), parseWith(E.mintRegistrationToken.body, request.body)), {
    preHandler: requireDevice(deps.accounts),
  });
}

function credentialsOf(request: FastifyRequest): GroupCredentials {
  const header = (name: string) => {
    const v = request.headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  return { presentation: header(GROUP_HEADERS.presentation), invitePassword: header(GROUP_HEADERS.invitePassword) };
}
