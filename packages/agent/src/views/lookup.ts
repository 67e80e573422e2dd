import type { Alert, AvisoClient, Group } from '@aviso/client';

/** Groups this profile is in or waiting to join (left and removed ones are listed by `groups` only). */
export async function activeGroups(client: AvisoClient): Promise<Group[]> {
  return (await client.groups()).filter((g) => g.status !== 'removed');
}

export interface FoundAlert {
  alert: Alert;
  group: Group;
}

/** Current alerts of every group the member is in (expired ones are gone from the store). */
export async function allAlerts(client: AvisoClient, groups?: readonly Group[]): Promise<FoundAlert[]> {
  const out: FoundAlert[] = [];
  for (const group of groups ?? (await activeGroups(client))) {
    if (group.status !== 'member') continue;
    for (const alert of await group.alerts()) out.push({ alert, group });
  }
  return out;
}
