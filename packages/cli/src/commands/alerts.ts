import { ACK_STATUSES, ALERT_KINDS, ALERT_LIMITS, SEVERITIES } from '@aviso/protocol';
import { limited, oneOf, parseDuration, required } from '../args.js';
import { flag, stringOption, type Command, type Parsed } from '../command.js';
import { usageError } from '../errors.js';
import { ackCounts, alertJson, bySeverity, formatAge, formatCounts, shortId } from '../format.js';
import { withClient, type Context } from '../session.js';
import { groupPeople, senderLabel, type People } from '../people.js';
import { terminalText } from '../terminal-text.js';
import { allAlerts, findAlert, findGroup } from './lookup.js';

export const alert: Command = {
  name: 'alert',
  synopsis: '<group> --kind KIND --severity LEVEL --title TEXT --place TEXT [--body TEXT] [--expires DURATION] [--ack]',
  summary: 'send an alert to every member of a group',
  details: [
    `--kind KIND          ${ALERT_KINDS.join(' | ')}`,
    `--severity LEVEL     ${SEVERITIES.join(' | ')}`,
    `--title TEXT         what is happening (at most ${ALERT_LIMITS.titleChars} characters)`,
    `--place TEXT         where (at most ${ALERT_LIMITS.placeChars} characters)`,
    '--body TEXT          details',
    '--expires DURATION   how long it stays current: 30m, 4h (default), 2d; at most 7d',
    '--ack                ask members to acknowledge (seen / on my way / on scene / cannot)',
    'Prints the alert id alone on stdout. --json: {"type":"alert-sent","id","groupId","group"}',
  ],
  options: { kind: { type: 'string' }, severity: { type: 'string' }, title: { type: 'string' }, place: { type: 'string' }, body: { type: 'string' }, expires: { type: 'string' }, ack: { type: 'boolean' } },
  args: { min: 1, max: 1 },
  sharable: true,
  async run(ctx, args) {
    const kind = oneOf(required(stringOption(args, 'kind'), '--kind', 'alert'), ALERT_KINDS, '--kind');
    const severity = oneOf(required(stringOption(args, 'severity'), '--severity', 'alert'), SEVERITIES, '--severity');
    const title = limited(required(stringOption(args, 'title'), '--title', 'alert'), ALERT_LIMITS.titleChars, 'the title');
    const place = limited(required(stringOption(args, 'place'), '--place', 'alert'), ALERT_LIMITS.placeChars, 'the place');
    const body = stringOption(args, 'body');
    if (body !== undefined) limited(body, ALERT_LIMITS.bodyChars, 'the body');
    const expires = stringOption(args, 'expires');
    const seconds = expires === undefined ? undefined : parseDuration(expires, '--expires');
    if (seconds !== undefined && seconds > ALERT_LIMITS.maxExpiresInSeconds) throw usageError('--expires can be at most 7d');
    await withClient(ctx, { connect: true }, async (client) => {
      const group = await findGroup(client, args.positionals[0]!);
      const id = await group.sendAlert({
        kind,
        severity,
        title,
        place,
        ...(body === undefined ? {} : { body }),
        ...(seconds === undefined ? {} : { expiresInSeconds: seconds }),
        requestAck: flag(args, 'ack'),
      });
      ctx.out.emit({ type: 'alert-sent', id, groupId: group.id, group: group.title }, id);
    });
  },
};

export const alerts: Command = {
  name: 'alerts',
  synopsis: '[group]',
  summary: 'list current alerts with their acknowledgements',
  details: [
    'Most severe first, then newest. Expired alerts are gone; retracted ones are marked.',
    '--json: one {"type":"alert", id, groupId, group, from, fromName, kind, severity, title, body, place, lat, lon,',
    '  observedAt, sentAt, expiresAt, requestAck, retracted, reason, allClear, acks:{seen,onMyWay,onScene,cannot,confirmed,disputed}}',
  ],
  args: { min: 0, max: 1 },
  sharable: true,
  async run(ctx, args) {
    await withClient(ctx, { connect: true }, async (client) => {
      const only = args.positionals[0] === undefined ? undefined : [await findGroup(client, args.positionals[0])];
      const found = (await allAlerts(client, only)).sort((a, b) => bySeverity(a.alert, b.alert));
      if (found.length === 0) ctx.out.note('no current alerts');
      const byGroup = new Map<string, People>();
      const now = Date.now();
      for (const { alert: a, group } of found) {
        if (!byGroup.has(group.id)) byGroup.set(group.id, await groupPeople(group));
        const people = byGroup.get(group.id)!;
        const fromName = people.get(a.from)?.displayName;
        const counts = ackCounts(await group.rollCall(a.id));
        const state = a.retracted ? `  RETRACTED${a.reason ? ` (${terminalText(a.reason)})` : ''}` : a.allClear ? '  ALL CLEAR' : '';
        ctx.out.emit({ type: 'alert', ...alertJson(a, { group: group.title, from: fromName }, counts) }, [
          `${shortId(a.id)}  ${a.severity.toUpperCase()} ${a.kind}: ${terminalText(a.title)} — ${terminalText(a.place?.text) || '?'} — ${formatAge(now - a.sentAt)} ago in "${terminalText(group.title)}" from ${senderLabel(people, a.from)}${state}`,
          `          ${formatCounts(counts)}`,
        ]);
      }
    });
  },
};

export const ack: Command = {
  name: 'ack',
  synopsis: `<alert> <${ACK_STATUSES.join('|')}>`,
  summary: 'acknowledge an alert',
  details: ['<alert> is an alert id or a unique prefix of one (see `aviso alerts`).', '--json: {"type":"acked","alertId","groupId","status"}'],
  args: { min: 2, max: 2 },
  sharable: true,
  async run(ctx, args) {
    const status = oneOf(args.positionals[1]!, ACK_STATUSES, 'the status');
    await withClient(ctx, { connect: true }, async (client) => {
      const { alert: a, group } = await findAlert(client, args.positionals[0]!);
      await group.acknowledge(a.id, status);
      ctx.out.emit({ type: 'acked', alertId: a.id, groupId: group.id, status }, `acknowledged "${terminalText(a.title)}" as ${status}`);
    });
  },
};

function verdict(name: 'confirm' | 'dispute'): Command {
  const done = name === 'confirm' ? 'confirmed' : 'disputed';
  return {
    name,
    synopsis: '<alert> [note]',
    summary: name === 'confirm' ? 'confirm an alert (you saw it too)' : 'dispute an alert (it does not look right)',
    details: [`--json: {"type":"${done}","alertId","groupId","note"}`],
    args: { min: 1, max: Infinity },
    sharable: true,
    run: (ctx, args) => sendVerdict(ctx, args, name, done),
  };
}

async function sendVerdict(ctx: Context, args: Parsed, name: 'confirm' | 'dispute', done: string): Promise<void> {
  const note = args.positionals.length > 1 ? limited(args.positionals.slice(1).join(' '), ALERT_LIMITS.noteChars, 'the note') : undefined;
  await withClient(ctx, { connect: true }, async (client) => {
    const { alert: a, group } = await findAlert(client, args.positionals[0]!);
    await (name === 'confirm' ? group.confirm(a.id, note) : group.dispute(a.id, note));
    ctx.out.emit({ type: done, alertId: a.id, groupId: group.id, note }, `${done} "${terminalText(a.title)}"`);
  });
}

export const confirm = verdict('confirm');
export const dispute = verdict('dispute');

export const retract: Command = {
  name: 'retract',
  synopsis: '<alert> [reason]',
  summary: 'retract an alert (its sender or an admin)',
  details: ['--json: {"type":"retracted","alertId","groupId","reason"}'],
  args: { min: 1, max: Infinity },
  sharable: true,
  async run(ctx, args) {
    const reason = limited(args.positionals.slice(1).join(' '), ALERT_LIMITS.noteChars, 'the reason');
    await withClient(ctx, { connect: true }, async (client) => {
      const { alert: a, group } = await findAlert(client, args.positionals[0]!);
      await group.retract(a.id, reason);
      ctx.out.emit({ type: 'retracted', alertId: a.id, groupId: group.id, reason }, `retracted "${terminalText(a.title)}"`);
    });
  },
};

export const allClear: Command = {
  name: 'all-clear',
  synopsis: '<alert>',
  summary: 'call the all-clear on an alert (its sender or an admin)',
  details: ['--json: {"type":"all-cleared","alertId","groupId"}'],
  args: { min: 1, max: 1 },
  sharable: true,
  async run(ctx, args) {
    await withClient(ctx, { connect: true }, async (client) => {
      const { alert: a, group } = await findAlert(client, args.positionals[0]!);
      await group.allClear(a.id);
      ctx.out.emit({ type: 'all-cleared', alertId: a.id, groupId: group.id }, `all clear for "${terminalText(a.title)}"`);
    });
  },
};

export const say: Command = {
  name: 'say',
  synopsis: '<group> <text>',
  summary: 'send a text message to a group',
  details: ['--json: {"type":"said","groupId","text"}'],
  args: { min: 2, max: Infinity },
  sharable: true,
  async run(ctx, args) {
    const text = limited(args.positionals.slice(1).join(' '), ALERT_LIMITS.textChars, 'the message');
    await withClient(ctx, { connect: true }, async (client) => {
      const group = await findGroup(client, args.positionals[0]!);
      await group.sendText(text);
      ctx.out.emit({ type: 'said', groupId: group.id, text }, `sent to "${terminalText(group.title)}"`);
    });
  },
};
