import type { Command } from '../command.js';

// Their code: ../commands/groups.ts, loaded when one of them runs.
const code = () => import('../commands/groups.js');

export const groups: Command = {
  name: 'groups',
  synopsis: '',
  summary: 'list your groups',
  details: ['--json: one {"type":"group","id","title","status":"member"|"pending"|"removed","role","members"} per group'],
  args: { min: 0, max: 0 },
  sharable: true,
  run: async (ctx, args) => (await code()).groups(ctx, args),
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
  run: async (ctx, args) => (await code()).groupCreate(ctx, args),
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
  run: async (ctx, args) => (await code()).members(ctx, args),
};

export const remove: Command = {
  name: 'remove',
  synopsis: '<group> <member> [--ban]',
  summary: 'remove a member from a group (admins)',
  details: ['--ban   also keep them from rejoining with an invite', '--json: {"type":"removed","groupId","accountId","displayName","banned"}'],
  options: { ban: { type: 'boolean' } },
  args: { min: 2, max: 2 },
  sharable: true,
  run: async (ctx, args) => (await code()).remove(ctx, args),
};
