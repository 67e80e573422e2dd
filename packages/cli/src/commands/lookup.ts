import type { Alert, AvisoClient, Group, GroupMember, PendingMember } from '@aviso/client';
import { resolveOne, type Namer } from '../resolve.js';

export const groupNamer: Namer<Group> = { kind: 'group', id: (g) => g.id, name: (g) => g.title, listCommand: 'aviso groups' };

/** Groups this profile is in or waiting to join (left and removed ones are listed by `groups` only). */
export async function activeGroups(client: AvisoClient): Promise<Group[]> {
  return (await client.groups()).filter((g) => g.status !== 'removed');
}

export async function findGroup(client: AvisoClient, query: string): Promise<Group> {
  return resolveOne(await activeGroups(client), query, groupNamer);
}

export function memberNamer<T extends GroupMember | PendingMember>(group: Group, listCommand: string): Namer<T> {
  return { kind: 'member', id: (m) => m.accountId, name: (m) => m.displayName, listCommand, scope: `in "${group.title}"` };
}

export interface FoundAlert {
  alert: Alert;
  group: Group;
}

/** Current alerts of every group (expired ones are gone from the store). */
export async function allAlerts(client: AvisoClient, groups?: Group[]): Promise<FoundAlert[]> {
  const out: FoundAlert[] = [];
  for (const group of groups ?? (await activeGroups(client))) {
    if (group.status !== 'member') continue;
    for (const alert of await group.alerts()) out.push({ alert, group });
  }
  return out;
}

export async function findAlert(client: AvisoClient, query: string): Promise<FoundAlert> {
  return resolveOne(await allAlerts(client), query, { kind: 'alert', id: (f) => f.alert.id, listCommand: 'aviso alerts' });
}
