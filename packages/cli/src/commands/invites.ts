import { newInviteJson, requestJson } from '@aviso/agent';
import { parseInviteCode } from '@aviso/client';
import QRCode from 'qrcode';
import { parseCount, parseDuration } from '../args.js';
import { stringOption, type Command, type Parsed } from '../command.js';
import { formatTime, shortId } from '../format.js';
import { groupPeople, lookAlikeNote, personName } from '../people.js';
import { resolveOne } from '../resolve.js';
import { withClient, type Context } from '../session.js';
import { terminalText } from '../terminal-text.js';
import { findGroup, memberNamer } from './lookup.js';

const DEFAULT_EXPIRES = '7d';
const MAX_USES = 1000;

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
  async run(ctx, args) {
    const uses = parseCount(stringOption(args, 'uses') ?? '1', '--uses', MAX_USES);
    const seconds = parseDuration(stringOption(args, 'expires') ?? DEFAULT_EXPIRES, '--expires');
    const approval = args.values['approval'] === true;
    await withClient(ctx, { connect: true }, async (client) => {
      const group = await findGroup(client, args.positionals[0]!);
      const code = await group.createInvite({ maxUses: uses, expiresInSeconds: seconds, requireApproval: approval });
      // The SDK rounds expiries (up to the minute); report the one the group recorded.
      const { inviteId } = parseInviteCode(code);
      const expiresAt = (await group.invites()).find((i) => i.inviteId === inviteId)?.expiresAt ?? Date.now() + seconds * 1000;
      const object = newInviteJson(group, code, uses, expiresAt, approval);
      if (ctx.out.json) return ctx.out.emit(object, []);
      const qr = await QRCode.toString(code, { type: 'terminal', small: true });
      ctx.out.emit(object, [`invite to "${terminalText(group.title)}" — ${uses} use${uses === 1 ? '' : 's'}, expires ${formatTime(expiresAt)}${approval ? ', needs approval' : ''}:`, code]);
      ctx.out.drawn(qr.trimEnd().split('\n'));
      ctx.out.note('the new member runs: aviso join <code> --name "Their Name"');
    });
  },
};

export const requests: Command = {
  name: 'requests',
  synopsis: '<group>',
  summary: 'list people waiting for approval to join',
  details: ['A name that looks like a member\'s or another request\'s is flagged: check the id.', '--json: one {"type":"request","groupId","accountId","displayName","invitedBy","confusableWith":[accountId…]} per request'],
  args: { min: 1, max: 1 },
  sharable: true,
  async run(ctx, args) {
    await withClient(ctx, { connect: true }, async (client) => {
      const group = await findGroup(client, args.positionals[0]!);
      const pending = await group.pendingMembers();
      const title = terminalText(group.title);
      if (pending.length === 0) ctx.out.note(`nobody is waiting to join "${title}"`);
      const people = await groupPeople(group);
      for (const p of pending) {
        ctx.out.emit(
          requestJson(group.id, p),
          `${shortId(p.accountId)}  ${p.displayName ? personName(p) : '(no name)'}${lookAlikeNote(p, people, pending)}  — approve with: aviso approve ${shortId(group.id)} ${shortId(p.accountId)}`,
        );
      }
    });
  },
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
    run: (ctx, args) => decideRequest(ctx, args, name, done),
  };
}

async function decideRequest(ctx: Context, args: Parsed, name: 'approve' | 'deny', done: string): Promise<void> {
  await withClient(ctx, { connect: true }, async (client) => {
    const group = await findGroup(client, args.positionals[0]!);
    const person = resolveOne(await group.pendingMembers(), args.positionals[1]!, memberNamer(group, `aviso requests "${group.title}"`));
    if (name === 'approve') await group.approve(person.accountId);
    else await group.deny(person.accountId, { ban: args.values['ban'] === true });
    ctx.out.emit({ type: done, groupId: group.id, accountId: person.accountId, displayName: person.displayName }, `${done} ${personName(person)} in "${terminalText(group.title)}"`);
  });
}

export const approve = decide('approve');
export const deny = decide('deny');
