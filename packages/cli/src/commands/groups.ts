import { groupJson, memberJson } from '@aviso/agent';
import { limited } from '../args.js';
import { stringOption, type Command } from '../command.js';
import { shortId } from '../format.js';
import { groupPeople, lookAlikeNote, personName } from '../people.js';
import { resolveOne } from '../resolve.js';
import { withClient } from '../session.js';
import { terminalText } from '../terminal-text.js';
import { savedName } from './account.js';
import { findGroup, memberNamer } from './lookup.js';

export const groups: Command = {
  name: 'groups',
  synopsis: '',
  summary: 'list your groups',
  details: ['--json: one {"type":"group","id","title","status":"member"|"pending"|"removed","role","members"} per group'],
  args: { min: 0, max: 0 },
  sharable: true,
  async run(ctx) {
    await withClient(ctx, { connect: true }, async (client) => {
      const list = await client.groups();
      if (list.length === 0) ctx.out.note('no groups yet — create one with `aviso group create "<title>"` or join with `aviso join <invite-code>`');
      for (const g of list) {
        const j = await groupJson(g);
        const detail = g.status === 'member' ? `${String(j['members'])} members, you are ${g.role ?? 'member'}` : g.status;
        ctx.out.emit(j, `${shortId(g.id)}  ${terminalText(g.title)}  (${detail})`);
      }
    });
  },
};

export const groupCreate: Command = {
  name: 'group create',
  synopsis: '<title> [--name NAME] [--description TEXT] [--announcements-only]',
  summary: 'create a private group with you as its admin',
  details: [
    '--name NAME            your name as members see it (default: the name given to register/join)',
    '--announcements-only   only admins may send alerts',
    '--json: {"type":"group","id","title","status","role","members"}',
  ],
  options: { name: { type: 'string' }, description: { type: 'string' }, 'announcements-only': { type: 'boolean' } },
  args: { min: 1, max: 1 },
  sharable: true,
  async run(ctx, args) {
    const title = limited(args.positionals[0]!.trim(), 100, 'the title');
    const displayName = savedName(ctx, stringOption(args, 'name'));
    const description = stringOption(args, 'description');
    await withClient(ctx, { connect: true }, async (client) => {
      const group = await client.createGroup({
        title,
        ...(displayName ? { displayName } : {}),
        ...(description ? { description } : {}),
        ...(args.values['announcements-only'] === true ? { announcementsOnly: true } : {}),
      });
      ctx.out.emit(await groupJson(group), [`created "${terminalText(group.title)}" (${shortId(group.id)})`, `next: aviso invite "${terminalText(group.title)}"`]);
    });
  },
};

export const members: Command = {
  name: 'members',
  synopsis: '<group>',
  summary: 'list a group\'s members',
  details: [
    'A name that looks like another member\'s (a look-alike letter, an invisible character) is flagged: check the id.',
    '--json: one {"type":"member","groupId","accountId","displayName","role","invitedBy","you","confusableWith":[accountId…]} per member',
  ],
  args: { min: 1, max: 1 },
  sharable: true,
  async run(ctx, args) {
    await withClient(ctx, { connect: true }, async (client) => {
      const group = await findGroup(client, args.positionals[0]!);
      const people = await groupPeople(group);
      for (const m of people.values()) {
        const you = m.accountId === client.accountId;
        const by = m.invitedBy === undefined ? undefined : people.get(m.invitedBy);
        const inviter = m.invitedBy === undefined ? '' : `, invited by ${by ? `${personName(by)} (${shortId(by.accountId)})` : shortId(m.invitedBy)}`;
        ctx.out.emit(
          memberJson(group.id, m, you),
          `${shortId(m.accountId)}  ${m.displayName ? personName(m) : '(no name)'}  ${m.role}${inviter}${you ? '  ← you' : ''}${lookAlikeNote(m, people)}`,
        );
      }
    });
  },
};

export const remove: Command = {
  name: 'remove',
  synopsis: '<group> <member> [--ban]',
  summary: 'remove a member from a group (admins)',
  details: ['--ban   also keep them from rejoining with an invite', '--json: {"type":"removed","groupId","accountId","displayName","banned"}'],
  options: { ban: { type: 'boolean' } },
  args: { min: 2, max: 2 },
  sharable: true,
  async run(ctx, args) {
    await withClient(ctx, { connect: true }, async (client) => {
      const group = await findGroup(client, args.positionals[0]!);
      const list = (await group.members()).filter((m) => m.accountId !== client.accountId);
      const member = resolveOne(list, args.positionals[1]!, memberNamer(group, `aviso members "${group.title}"`));
      const ban = args.values['ban'] === true;
      await group.remove(member.accountId, { ban });
      ctx.out.emit(
        { type: 'removed', groupId: group.id, accountId: member.accountId, displayName: member.displayName, banned: ban },
        `removed ${personName(member)} from "${terminalText(group.title)}"${ban ? ' (banned)' : ''}`,
      );
    });
  },
};
