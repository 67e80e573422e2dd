import { ACK_STATUSES, ALERT_KINDS, ALERT_LIMITS, SEVERITIES } from '@aviso/protocol/constants';
import type { Command } from '../command.js';
import { say as text } from '../lang.js';

// Their code: ../commands/alerts.ts, loaded when one of them runs.
const code = () => import('../commands/alerts.js');

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
  run: async (ctx, args) => (await code()).alert(ctx, args),
};

export const alerts: Command = {
  name: 'alerts',
  synopsis: '[group]',
  summary: 'list current alerts with their acknowledgements',
  details: [
    'Most severe first, then newest. Expired alerts are gone; retracted ones are marked.',
    '--json: one {"type":"alert", id, groupId, group, from, fromName, kind, severity, title, body, place, lat, lon,',
    '  observedAt, sentAt, expiresAt, requestAck, retracted, reason, allClear, acks:{seen,onMyWay,onScene,cannot,confirmed,disputed}}',
    ...text('cli.robust.help.alertsOffline').split('\n'),
  ],
  args: { min: 0, max: 1 },
  sharable: true,
  run: async (ctx, args) => (await code()).alerts(ctx, args),
};

export const ack: Command = {
  name: 'ack',
  synopsis: `<alert> <${ACK_STATUSES.join('|')}>`,
  summary: 'acknowledge an alert',
  details: ['<alert> is an alert id or a unique prefix of one (see `aviso alerts`).', '--json: {"type":"acked","alertId","groupId","status"}'],
  args: { min: 2, max: 2 },
  sharable: true,
  run: async (ctx, args) => (await code()).ack(ctx, args),
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
    run: async (ctx, args) => (await code()).sendVerdict(ctx, args, name, done),
  };
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
  run: async (ctx, args) => (await code()).retract(ctx, args),
};

export const allClear: Command = {
  name: 'all-clear',
  synopsis: '<alert>',
  summary: 'call the all-clear on an alert (its sender or an admin)',
  details: ['--json: {"type":"all-cleared","alertId","groupId"}'],
  args: { min: 1, max: 1 },
  sharable: true,
  run: async (ctx, args) => (await code()).allClear(ctx, args),
};

export const say: Command = {
  name: 'say',
  synopsis: '<group> <text>',
  summary: 'send a text message to a group',
  details: ['--json: {"type":"said","groupId","text"}'],
  args: { min: 2, max: Infinity },
  sharable: true,
  run: async (ctx, args) => (await code()).say(ctx, args),
};
