import type { People } from '@aviso/agent';
import type { GroupMember, PendingMember } from '@aviso/client';
import { shortId } from './format.js';
import { say } from './lang.js';
import { terminalText } from './terminal-text.js';

export { groupPeople, type People } from '@aviso/agent';

/** A member's display name, safe for the terminal; their short id when they set none. */
export function personName(person: Pick<GroupMember, 'accountId' | 'displayName'>): string {
  return person.displayName ? terminalText(person.displayName) : shortId(person.accountId);
}

/**
 * Who sent or answered something, for people to read: `Rosa (admin)`. A name that looks like another
 * member's also shows the id and says so: `Rosa (member, id 1a2b3c4d — name looks like another
 * member's)`. Someone no longer in the group is named by short id alone.
 */
export function senderLabel(people: People | undefined, accountId: string): string {
  const m = people?.get(accountId);
  if (!m) return shortId(accountId);
  const role = say(m.role === 'admin' ? 'role.admin' : 'role.member');
  if (m.confusableWith.length > 0) return say('cli.senderLookAlike', { name: personName(m), role, id: shortId(m.accountId) });
  return say('cli.sender', { name: personName(m), role });
}

/** For member lists: `  — name looks like Rosa (3f2a9c10)`, or nothing when no name is alike. */
export function lookAlikeNote(person: GroupMember | PendingMember, people: People, pending: readonly PendingMember[] = []): string {
  if (person.confusableWith.length === 0) return '';
  const named = (id: string) => {
    const other = people.get(id) ?? pending.find((p) => p.accountId === id);
    return other ? `${personName(other)} (${shortId(id)})` : shortId(id);
  };
  return say('cli.lookAlike', { names: person.confusableWith.map(named).join(', ') });
}
