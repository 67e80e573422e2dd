import type { Group, GroupMember } from '@aviso/client';

/** A group's members by account id, as the SDK verified them (names already neutralized). */
export type People = ReadonlyMap<string, GroupMember>;

export async function groupPeople(group: Pick<Group, 'members'>): Promise<People> {
  return new Map((await group.members()).map((m) => [m.accountId, m]));
}

/** The stable JSON shape of a group (`aviso groups --json`); `members` counts only where one is a member. */
export async function groupJson(group: Pick<Group, 'id' | 'title' | 'status' | 'role' | 'members'>): Promise<{ type: 'group' } & Record<string, unknown>> {
  const members = group.status === 'member' ? (await group.members()).length : undefined;
  return { type: 'group', id: group.id, title: group.title, status: group.status, role: group.role, members };
}

/** The stable JSON shape of one member (`aviso members --json`). */
export function memberJson(groupId: string, member: GroupMember, you: boolean): { type: 'member' } & Record<string, unknown> {
  return { type: 'member', groupId, accountId: member.accountId, displayName: member.displayName, role: member.role, invitedBy: member.invitedBy, you, confusableWith: member.confusableWith };
}
