import {
  AppendChangeRequest,
  ChangesQuery,
  CreateGroupRequest,
  GROUP_HEADERS,
  GroupId,
  MintTokenRequest,
  parseWith,
  ROUTES,
} from '@aviso/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AccountsService } from '../../services/accounts/accounts.js';
import type { EndorsementsService } from '../../services/groups/endorsements.js';
import type { GroupCredentials, GroupsService } from '../../services/groups/groups.js';
import type { MemberTokensService } from '../../services/accounts/member-tokens.js';
import { deviceOf, requireDevice } from '../auth.js';

const GroupParams = z.object({ groupId: GroupId });
const JoinParams = z.object({
  groupId: GroupId,
  // 16 bytes as unpadded base64url (22 characters); normalised to the padded base64 the log uses.
  inviteId: z
    .string()
    .regex(/^[A-Za-z0-9_-]{22}={0,2}$/, 'an invite id is 16 bytes of base64url')
    .transform((s) => Buffer.from(s, 'base64url').toString('base64')),
});

/**
 * Group routes authenticate with the `aviso-group-auth` presentation only, never with account
 * credentials, so the relay cannot tie a group request to an account. Nothing here is logged
 * beyond the route pattern (app.ts): no group id, presentation, password or ciphertext.
 */
export function groupRoutes(
  app: FastifyInstance,
  deps: { accounts: AccountsService; groups: GroupsService; memberTokens: MemberTokensService; endorsements: EndorsementsService },
): void {
  app.put(ROUTES.group.pattern, async (request) => {
    const { groupId } = parseWith(GroupParams, request.params);
    return deps.groups.create(groupId, parseWith(CreateGroupRequest, request.body), credentialsOf(request));
  });
  app.get(ROUTES.groupChanges.pattern, async (request) => {
    const { groupId } = parseWith(GroupParams, request.params);
    const { from, limit } = parseWith(ChangesQuery, request.query);
    return deps.groups.changes(groupId, from, limit, credentialsOf(request));
  });
  app.post(ROUTES.groupChanges.pattern, async (request) => {
    const { groupId } = parseWith(GroupParams, request.params);
    return deps.groups.append(groupId, parseWith(AppendChangeRequest, request.body), credentialsOf(request));
  });
  app.get(ROUTES.groupJoinInfo.pattern, async (request) => {
    const { groupId, inviteId } = parseWith(JoinParams, request.params);
    return deps.groups.joinInfo(groupId, inviteId, credentialsOf(request));
  });
  app.get(ROUTES.groupEndorsements.pattern, async (request) => {
    const { groupId } = parseWith(GroupParams, request.params);
    return deps.endorsements.get(groupId, credentialsOf(request));
  });
  // Account-authenticated (Basic): a member mints a registration token to put inside an invite code.
  app.post(ROUTES.registrationTokens, { preHandler: requireDevice(deps.accounts) }, async (request) =>
    deps.memberTokens.mint(deviceOf(request), parseWith(MintTokenRequest, request.body)),
  );
}

function credentialsOf(request: FastifyRequest): GroupCredentials {
  const header = (name: string) => {
    const v = request.headers[name];
    return typeof v === 'string' ? v : undefined;
  };
  return { presentation: header(GROUP_HEADERS.presentation), invitePassword: header(GROUP_HEADERS.invitePassword) };
}
