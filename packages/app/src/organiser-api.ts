// The organiser's calls to the member host (packages/agent/src/app/routes.ts), through api.ts's one
// `call`; the shapes are the agent's views (packages/agent/src/views), as `aviso … --json` prints them.
import { call } from './api.js';

export interface MemberView {
  accountId: string;
  displayName?: string;
  role: 'admin' | 'member';
  invitedBy?: string;
  you: boolean;
  confusableWith: string[];
}
export interface RequestView {
  accountId: string;
  displayName?: string;
  invitedBy?: string;
  confusableWith: string[];
}
export interface InviteStateView {
  inviteId: string;
  expiresAt: number;
  maxUses: number;
  uses: number;
  role: 'admin' | 'member';
  requireApproval: boolean;
  state: 'open' | 'expired' | 'used' | 'revoked';
}
export interface GroupDetail {
  id: string;
  title: string;
  role?: 'admin' | 'member';
  about: string;
  hotline?: string;
  legal?: string;
  announcementsOnly: boolean;
  membersCanInvite: boolean;
  members: MemberView[];
  requests: RequestView[];
  invites: InviteStateView[];
}
export interface NewInvite {
  code: string;
  qr: string;
  inviteId: string;
  expiresAt: number;
}
export interface Person {
  accountId: string;
  displayName?: string;
}
export interface RollCallView {
  seen: Person[];
  onMyWay: Person[];
  onScene: Person[];
  cannot: Person[];
  confirmed: Person[];
  disputed: Person[];
  noAnswer: Person[];
}
export interface ContactsView {
  groupId: string;
  group: string;
  hotline?: string;
  legal?: string;
}
export interface GroupSettings {
  title?: string;
  about?: string;
  hotline?: string;
  legal?: string;
  announcementsOnly?: boolean;
  membersCanInvite?: boolean;
}

const g = (id: string, action: string) => `/api/groups/${id}/${action}`;

export const organiserApi = {
  group: (id: string) => call<GroupDetail>('GET', `/api/groups/${id}`),
  contacts: () => call<ContactsView[]>('GET', '/api/contacts'),
  createGroup: (input: { title: string; displayName?: string; about?: string }) => call<{ id: string }>('POST', '/api/groups', input),
  createInvite: (id: string, input: { maxUses: number; expiresInSeconds: number; requireApproval: boolean; role: string }) => call<NewInvite>('POST', g(id, 'invites'), input),
  revokeInvite: (id: string, inviteId: string, removeMembers: boolean) => call('POST', g(id, 'revoke'), { inviteId, removeMembers }),
  approve: (id: string, accountId: string) => call('POST', g(id, 'approve'), { accountId }),
  deny: (id: string, accountId: string, ban: boolean) => call('POST', g(id, 'deny'), { accountId, ban }),
  remove: (id: string, accountId: string, ban: boolean) => call('POST', g(id, 'remove'), { accountId, ban }),
  setRole: (id: string, accountId: string, role: string) => call('POST', g(id, 'role'), { accountId, role }),
  settings: (id: string, input: GroupSettings) => call('POST', g(id, 'settings'), input),
  rollCall: (alertId: string) => call<RollCallView>('GET', `/api/alerts/${alertId}/rollcall`),
  retract: (alertId: string, reason: string) => call('POST', `/api/alerts/${alertId}/retract`, { reason }),
  allClear: (alertId: string) => call('POST', `/api/alerts/${alertId}/all-clear`, {}),
};
