import type { Command } from '../command.js';

// Their code: ../commands/invites.ts, loaded when one of them runs.
const code = () => import('../commands/invites.js');

export const invite: Command = {
  name: 'invite',
  synopsis: '<group> [--uses N] [--expires DURATION] [--approval]',
  summary: 'create an invite code (and show it as a QR code)',
  details: [
    '--uses N             how many people may join with it (default 1)',
    '--expires DURATION   lifetime: 30m, 24h, 7d (default 7d)',
    '--approval           joiners wait until an admin runs `aviso approve`',
    'The code also carries a registration token, so a newcomer needs nothing else: `aviso join <code>`.',
    'Share it privately: anyone holding it can join. --json (no QR):',
    '{"type":"invite","groupId","group","code","uses","expiresAt","approval"}',
  ],
  options: { uses: { type: 'string' }, expires: { type: 'string' }, approval: { type: 'boolean' } },
  args: { min: 1, max: 1 },
  sharable: true,
  run: async (ctx, args) => (await code()).invite(ctx, args),
};

export const requests: Command = {
  name: 'requests',
  synopsis: '<group>',
  summary: 'list people waiting for approval to join',
  details: ['A name that looks like a member\'s or another request\'s is flagged: check the id.', '--json: one {"type":"request","groupId","accountId","displayName","invitedBy","confusableWith":[accountId…]} per request'],
  args: { min: 1, max: 1 },
  sharable: true,
  run: async (ctx, args) => (await code()).requests(ctx, args),
};

function decide(name: 'approve' | 'deny'): Command {
  const done = name === 'approve' ? 'approved' : 'denied';
  return {
    name,
    synopsis: '<group> <member>' + (name === 'deny' ? ' [--ban]' : ''),
    summary: name === 'approve' ? 'let a waiting person into the group (admins)' : 'turn down a join request (admins)',
    details: [...(name === 'deny' ? ['--ban   also keep them from asking again'] : []), `--json: {"type":"${done}","groupId","accountId","displayName"}`],
    ...(name === 'deny' ? { options: { ban: { type: 'boolean' as const } } } : {}),
    args: { min: 2, max: 2 },
    sharable: true,
    run: async (ctx, args) => (await code()).decideRequest(ctx, args, name, done),
  };
}

export const approve = decide('approve');
export const deny = decide('deny');
