import type { Group, GroupInvite, PendingMember, RollCall } from '@aviso/client';
import { ackCounts, type AckCounts } from './alerts.js';
import type { People } from './groups.js';

/** The stable JSON shape of a join request (`aviso requests --json`). */
export function requestJson(groupId: string, p: PendingMember): { type: 'request' } & Record<string, unknown> {
  return { type: 'request', groupId, accountId: p.accountId, displayName: p.displayName, invitedBy: p.invitedBy, confusableWith: p.confusableWith };
}

/** The stable JSON shape of a new invite (`aviso invite --json`): the code is the secret to share. */
export function newInviteJson(group: Pick<Group, 'id' | 'title'>, code: string, uses: number, expiresAt: number, approval: boolean): { type: 'invite' } & Record<string, unknown> {
  return { type: 'invite', groupId: group.id, group: group.title, code, uses, expiresAt, approval };
}

/** An invite as the group log records it: no code (only its creator ever had that), only its terms. */
export function inviteStateJson(groupId: string, i: GroupInvite, now: number): { type: 'invite-state' } & Record<string, unknown> {
  const state = i.revoked ? 'revoked' : i.expiresAt <= now ? 'expired' : i.uses >= i.maxUses ? 'used' : 'open';
  return { type: 'invite-state', groupId, inviteId: i.inviteId, issuer: i.issuer, expiresAt: i.expiresAt, maxUses: i.maxUses, uses: i.uses, role: i.role, requireApproval: i.requireApproval, revoked: i.revoked, state };
}

export interface RollCallPerson {
  accountId: string;
  displayName: string | undefined;
}

/** Who answered an alert how, by name: what an organiser's roll call shows (counts as on the board). */
export function rollCallJson(groupId: string, alertId: string, roll: RollCall, people: People): { type: 'rollcall'; acks: AckCounts } & Record<string, unknown> {
  const named = (ids: readonly string[]): RollCallPerson[] => ids.map((accountId) => ({ accountId, displayName: people.get(accountId)?.displayName }));
  const answered = new Set([...roll.seen, ...roll.onMyWay, ...roll.onScene, ...roll.cannot]);
  return {
    type: 'rollcall',
    groupId,
    alertId,
    acks: ackCounts(roll),
    seen: named(roll.seen),
    onMyWay: named(roll.onMyWay),
    onScene: named(roll.onScene),
    cannot: named(roll.cannot),
    confirmed: named(roll.confirmed),
    disputed: named(roll.disputed),
    noAnswer: named([...people.keys()].filter((id) => !answered.has(id))),
  };
}
