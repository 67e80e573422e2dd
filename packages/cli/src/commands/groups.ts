import { groupJson, memberJson } from '@aviso/agent';
import { limited } from '../args.js';
import { stringOption, type Parsed } from '../command.js';
import { shortId } from '../format.js';
import { say } from '../lang.js';
import { groupPeople, lookAlikeNote, personName } from '../people.js';
import { resolveOne } from '../resolve.js';
import { withClient, type Context } from '../session.js';
import { terminalText } from '../terminal-text.js';
import { savedName } from './account.js';
import { findGroup, memberNamer } from './lookup.js';

// What the group commands do; their names, help and flags are in ../catalog/groups.ts.

export async function groups(ctx: Context, _args: Parsed): Promise<void> {
  await withClient(ctx, { connect: true }, async (client) => {
    const list = await client.groups();
    if (list.length === 0) ctx.out.note(say('cli.groups.none', { create: ctx.suggest('group create "<title>"'), join: ctx.suggest('join <invite-code>') }));
    for (const g of list) {
      const j = await groupJson(g);
      const detail =
        g.status === 'member' ? say('cli.groups.member', { count: Number(j['members']), role: say(g.role === 'admin' ? 'role.admin' : 'role.member') }) : say(g.status === 'pending' ? 'cli.groups.pending' : 'cli.groups.removed');
      ctx.out.emit(j, `${shortId(g.id)}  ${terminalText(g.title)}  (${detail})`);
    }
  });
}

export async function groupCreate(ctx: Context, args: Parsed): Promise<void> {
  const title = limited(args.positionals[0]!.normalize('NFC').trim(), 100, 'cli.what.title'); // NFC: typed accents may come decomposed
  const given = stringOption(args, 'name');
  const description = stringOption(args, 'description');
  await withClient(ctx, { connect: true }, async (client) => {
    const displayName = savedName(client, given);
    const group = await client.createGroup({
      title,
      ...(displayName ? { displayName } : {}),
      ...(description ? { description } : {}),
      ...(args.values['announcements-only'] === true ? { announcementsOnly: true } : {}),
    });
    ctx.out.emit(await groupJson(group), [say('cli.groupCreated', { group: terminalText(group.title), id: shortId(group.id) }), say('cli.next', { command: ctx.suggest(`invite "${terminalText(group.title)}"`) })]);
  });
}

export async function members(ctx: Context, args: Parsed): Promise<void> {
  await withClient(ctx, { connect: true }, async (client) => {
    const group = await findGroup(client, args.positionals[0]!);
    const people = await groupPeople(group);
    for (const m of people.values()) {
      const you = m.accountId === client.accountId;
      const by = m.invitedBy === undefined ? undefined : people.get(m.invitedBy);
      const inviter = m.invitedBy === undefined ? '' : say('cli.members.invitedBy', { who: by ? `${personName(by)} (${shortId(by.accountId)})` : shortId(m.invitedBy) });
      ctx.out.emit(
        memberJson(group.id, m, you),
        `${shortId(m.accountId)}  ${m.displayName ? personName(m) : say('cli.members.noName')}  ${say(m.role === 'admin' ? 'role.admin' : 'role.member')}${inviter}${you ? say('cli.members.you') : ''}${lookAlikeNote(m, people)}`,
      );
    }
  });
}

export async function remove(ctx: Context, args: Parsed): Promise<void> {
  await withClient(ctx, { connect: true }, async (client) => {
    const group = await findGroup(client, args.positionals[0]!);
    const list = (await group.members()).filter((m) => m.accountId !== client.accountId);
    const member = resolveOne(list, args.positionals[1]!, memberNamer(group, `aviso members "${group.title}"`));
    const ban = args.values['ban'] === true;
    await group.remove(member.accountId, { ban });
    ctx.out.emit(
      { type: 'removed', groupId: group.id, accountId: member.accountId, displayName: member.displayName, banned: ban },
      say(ban ? 'cli.removedBanned' : 'cli.removed', { name: personName(member), group: terminalText(group.title) }),
    );
  });
}
