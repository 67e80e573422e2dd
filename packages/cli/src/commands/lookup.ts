import { activeGroups, allAlerts, type FoundAlert } from '@aviso/agent';
import type { AvisoClient, Group, GroupMember, PendingMember } from '@aviso/client';
import { resolveOne, type Namer } from '../resolve.js';

export const groupNamer: Namer<Group> = { kind: 'group', id: (g) => g.id, name: (g) => g.title, listCommand: 'aviso groups' };

export { activeGroups, allAlerts, type FoundAlert } from '@aviso/agent';

export async function findGroup(client: AvisoClient, query: string): Promise<Group> {
  return resolveOne(await activeGroups(client), query, groupNamer);
}

export function memberNamer<T extends GroupMember | PendingMember>(group: Group, listCommand: string): Namer<T> {
  return { kind: 'member', id: (m) => m.accountId, name: (m) => m.displayName, listCommand, scope: `in "${group.title}"`, scopeGroup: group.title };
}

export async function findAlert(client: AvisoClient, query: string): Promise<FoundAlert> {
  return resolveOne(await allAlerts(client), query, { kind: 'alert', id: (f) => f.alert.id, listCommand: 'aviso alerts' });
}
