import { stripVTControlCharacters } from 'node:util';
import { newInviteJson, requestJson } from '@aviso/agent';
import { parseInviteCode } from '@aviso/client';
import { parseCount, parseDuration } from '../args.js';
import { stringOption, type Parsed } from '../command.js';
import { formatTime, shortId } from '../format.js';
import { say } from '../lang.js';
import { groupPeople, lookAlikeNote, personName } from '../people.js';
import { resolveOne } from '../resolve.js';
import { withClient, type Context } from '../session.js';
import { terminalText } from '../terminal-text.js';
import { findGroup, memberNamer } from './lookup.js';

const DEFAULT_EXPIRES = '7d';
const MAX_USES = 1000;

/** The terminal width the invite QR code is made to fit. */
const QR_COLUMNS = 80;

// What the invite commands do; their names, help and flags are in ../catalog/invites.ts.

export async function invite(ctx: Context, args: Parsed): Promise<void> {
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
    const { default: QRCode } = await import('qrcode'); // only people get the QR code: --json never loads it
    // Error correction L (7 %): the smallest symbol for the code, so it fits an 80-column terminal
    // unwrapped (at the default M it is wider and the terminal wraps it into something unscannable).
    const draw = async (text: string) => (await QRCode.toString(text, { type: 'terminal', small: true, errorCorrectionLevel: 'L' })).trimEnd().split('\n');
    const width = (lines: string[]) => Math.max(...lines.map((l) => [...stripVTControlCharacters(l)].length));
    ctx.out.emit(object, [say('cli.invite', { group: terminalText(group.title), uses, expires: formatTime(expiresAt), approval: approval ? 'yes' : 'no' }), code]);
    // Up to 520 bytes (QR version 15 at level L) it is 79 columns. A longer link (a long relay
    // address, a token and the inviter's head) is drawn in the bare form instead, which leaves out
    // the relay address the payload already holds: the same invite, some thirty characters shorter.
    let drawn = await draw(code);
    let short = false;
    const bare = code.includes('/join#') ? `aviso1:${code.slice(code.indexOf('#') + 1)}` : undefined;
    if (width(drawn) > QR_COLUMNS && bare) {
      const smaller = await draw(bare);
      if (width(smaller) < width(drawn)) [drawn, short] = [smaller, true];
    }
    ctx.out.drawn(drawn);
    const widest = width(drawn);
    if (short) ctx.out.note(say('cli.invite.shortQr'));
    if (widest > QR_COLUMNS) ctx.out.note(say('cli.invite.wideQr', { width: widest }));
    ctx.out.note(say('cli.invite.howToJoin'));
  });
}

export async function requests(ctx: Context, args: Parsed): Promise<void> {
  await withClient(ctx, { connect: true }, async (client) => {
    const group = await findGroup(client, args.positionals[0]!);
    const pending = await group.pendingMembers();
    const title = terminalText(group.title);
    if (pending.length === 0) ctx.out.note(say('cli.requests.none', { group: title }));
    const people = await groupPeople(group);
    for (const p of pending) {
      ctx.out.emit(
        requestJson(group.id, p),
        say('cli.requests.line', {
          id: shortId(p.accountId),
          name: p.displayName ? personName(p) : say('cli.members.noName'),
          lookAlike: lookAlikeNote(p, people, pending),
          command: ctx.suggest(`approve ${shortId(group.id)} ${shortId(p.accountId)}`),
        }),
      );
    }
  });
}

export async function decideRequest(ctx: Context, args: Parsed, name: 'approve' | 'deny', done: string): Promise<void> {
  await withClient(ctx, { connect: true }, async (client) => {
    const group = await findGroup(client, args.positionals[0]!);
    const person = resolveOne(await group.pendingMembers(), args.positionals[1]!, memberNamer(group, `aviso requests "${group.title}"`));
    if (name === 'approve') await group.approve(person.accountId);
    else await group.deny(person.accountId, { ban: args.values['ban'] === true });
    ctx.out.emit({ type: done, groupId: group.id, accountId: person.accountId, displayName: person.displayName }, say(name === 'approve' ? 'cli.approved' : 'cli.denied', { name: personName(person), group: terminalText(group.title) }));
  });
}
