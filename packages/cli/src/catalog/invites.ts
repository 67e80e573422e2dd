import type { Command } from '../command.js';

// Their code: ../commands/invites.ts, loaded when one of them runs.
const code = () => import('../commands/invites.js');

export const invite: Command = {
  name: 'invite',
  synopsis: '<group> [--uses N] [--expires DURATION] [--approval]',
  summary: 'cli.cmd.invite',
  details: 'cli.cmd.invite.details',
  json: ['--json: {"type":"invite","groupId","group","code","uses","expiresAt","approval"}'],
  options: { uses: { type: 'string' }, expires: { type: 'string' }, approval: { type: 'boolean' } },
  args: { min: 1, max: 1 },
  sharable: true,
  run: async (ctx, args) => (await code()).invite(ctx, args),
};

export const requests: Command = {
  name: 'requests',
  synopsis: '<group>',
  summary: 'cli.cmd.requests',
  details: 'cli.cmd.requests.details',
  json: ['--json: one {"type":"request","groupId","accountId","displayName","invitedBy","confusableWith":[accountId…]} per request'],
  args: { min: 1, max: 1 },
  sharable: true,
  run: async (ctx, args) => (await code()).requests(ctx, args),
};

function decide(name: 'approve' | 'deny'): Command {
  const done = name === 'approve' ? 'approved' : 'denied';
  return {
    name,
    synopsis: '<group> <member>' + (name === 'deny' ? ' [--ban]' : ''),
    summary: name === 'approve' ? 'cli.cmd.approve' : 'cli.cmd.deny',
    ...(name === 'deny' ? { details: 'cli.cmd.deny.details' as const } : {}),
    json: [`--json: {"type":"${done}","groupId","accountId","displayName"}`],
    ...(name === 'deny' ? { options: { ban: { type: 'boolean' as const } } } : {}),
    args: { min: 2, max: 2 },
    sharable: true,
    run: async (ctx, args) => (await code()).decideRequest(ctx, args, name, done),
  };
}

export const approve = decide('approve');
export const deny = decide('deny');
