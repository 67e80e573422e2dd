import type { Command } from '../command.js';

// Their code: ../commands/groups.ts, loaded when one of them runs.
const code = () => import('../commands/groups.js');

export const groups: Command = {
  name: 'groups',
  synopsis: '',
  summary: 'cli.cmd.groups',
  json: ['--json: one {"type":"group","id","title","status":"member"|"pending"|"removed","role","members"} per group'],
  args: { min: 0, max: 0 },
  sharable: true,
  run: async (ctx, args) => (await code()).groups(ctx, args),
};

export const groupCreate: Command = {
  name: 'group create',
  synopsis: '<title> [--name NAME] [--description TEXT] [--announcements-only]',
  summary: 'cli.cmd.groupCreate',
  details: 'cli.cmd.groupCreate.details',
  json: ['--json: {"type":"group","id","title","status","role","members"}'],
  options: { name: { type: 'string' }, description: { type: 'string' }, 'announcements-only': { type: 'boolean' } },
  args: { min: 1, max: 1 },
  sharable: true,
  run: async (ctx, args) => (await code()).groupCreate(ctx, args),
};

export const members: Command = {
  name: 'members',
  synopsis: '<group>',
  summary: 'cli.cmd.members',
  details: 'cli.cmd.members.details',
  json: ['--json: one {"type":"member","groupId","accountId","displayName","role","invitedBy","you","confusableWith":[accountId…]} per member'],
  args: { min: 1, max: 1 },
  sharable: true,
  run: async (ctx, args) => (await code()).members(ctx, args),
};

export const remove: Command = {
  name: 'remove',
  synopsis: '<group> <member> [--ban]',
  summary: 'cli.cmd.remove',
  details: 'cli.cmd.remove.details',
  json: ['--json: {"type":"removed","groupId","accountId","displayName","banned"}'],
  options: { ban: { type: 'boolean' } },
  args: { min: 2, max: 2 },
  sharable: true,
  run: async (ctx, args) => (await code()).remove(ctx, args),
};
