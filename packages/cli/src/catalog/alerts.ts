import { ACK_STATUSES, ALERT_KINDS, ALERT_LIMITS, SEVERITIES } from '@aviso/protocol/constants';
import type { Command } from '../command.js';

// Their code: ../commands/alerts.ts, loaded when one of them runs.
const code = () => import('../commands/alerts.js');

export const alert: Command = {
  name: 'alert',
  synopsis: '<group> --kind KIND --severity LEVEL --title TEXT --place TEXT [--body TEXT] [--expires DURATION] [--ack]',
  summary: 'cli.cmd.alert',
  details: 'cli.cmd.alert.details',
  detailParams: { kinds: ALERT_KINDS.join(' | '), severities: SEVERITIES.join(' | '), titleChars: ALERT_LIMITS.titleChars, placeChars: ALERT_LIMITS.placeChars },
  json: ['--json: {"type":"alert-sent","id","groupId","group"}'],
  options: { kind: { type: 'string' }, severity: { type: 'string' }, title: { type: 'string' }, place: { type: 'string' }, body: { type: 'string' }, expires: { type: 'string' }, ack: { type: 'boolean' } },
  args: { min: 1, max: 1 },
  sharable: true,
  run: async (ctx, args) => (await code()).alert(ctx, args),
};

export const alerts: Command = {
  name: 'alerts',
  synopsis: '[group]',
  summary: 'cli.cmd.alerts',
  details: ['cli.cmd.alerts.details', 'cli.robust.help.alertsOffline'],
  json: [
    '--json: one {"type":"alert", id, groupId, group, from, fromName, kind, severity, title, body, place, lat, lon,',
    '  observedAt, sentAt, expiresAt, requestAck, retracted, reason, allClear, acks:{seen,onMyWay,onScene,cannot,confirmed,disputed}}',
  ],
  args: { min: 0, max: 1 },
  sharable: true,
  run: async (ctx, args) => (await code()).alerts(ctx, args),
};

export const ack: Command = {
  name: 'ack',
  synopsis: `<alert> <${ACK_STATUSES.join('|')}>`,
  summary: 'cli.cmd.ack',
  details: 'cli.cmd.ack.details',
  json: ['--json: {"type":"acked","alertId","groupId","status"}'],
  args: { min: 2, max: 2 },
  sharable: true,
  run: async (ctx, args) => (await code()).ack(ctx, args),
};

function verdict(name: 'confirm' | 'dispute'): Command {
  const done = name === 'confirm' ? 'confirmed' : 'disputed';
  return {
    name,
    synopsis: '<alert> [note]',
    summary: name === 'confirm' ? 'cli.cmd.confirm' : 'cli.cmd.dispute',
    json: [`--json: {"type":"${done}","alertId","groupId","note"}`],
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
  summary: 'cli.cmd.retract',
  json: ['--json: {"type":"retracted","alertId","groupId","reason"}'],
  args: { min: 1, max: Infinity },
  sharable: true,
  run: async (ctx, args) => (await code()).retract(ctx, args),
};

export const allClear: Command = {
  name: 'all-clear',
  synopsis: '<alert>',
  summary: 'cli.cmd.allClear',
  json: ['--json: {"type":"all-cleared","alertId","groupId"}'],
  args: { min: 1, max: 1 },
  sharable: true,
  run: async (ctx, args) => (await code()).allClear(ctx, args),
};

export const say: Command = {
  name: 'say',
  synopsis: '<group> <text>',
  summary: 'cli.cmd.say',
  json: ['--json: {"type":"said","groupId","text"}'],
  args: { min: 2, max: Infinity },
  sharable: true,
  run: async (ctx, args) => (await code()).say(ctx, args),
};
