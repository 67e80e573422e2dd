import type { Command } from '../command.js';

// The commands that stay running. Their code: ../commands/listen.ts and ../commands/app.ts, loaded
// when one of them runs.

export const listen: Command = {
  name: 'listen',
  synopsis: '[group]',
  summary: 'cli.cmd.listen',
  details: ['cli.cmd.listen.details', 'cli.robust.help.listenRetry'],
  json: [
    '  alert (as in `aviso alerts --json`), ack {alertId,status,from,fromName,acks}, confirm|dispute {alertId,note,…},',
    '  retract {alertId,reason,…}, all-clear {alertId,…}, text {groupId,group,from,fromName,text,sentAt},',
    '  expired {alertId,groupId,group}, group {groupId,group,event,accountId,version}, connection {state},',
    '  warning {code,message}, ready {groups} (current alerts and the relay queue have been shown),',
    '  handed-over {to:"app"}, closed.',
  ],
  args: { min: 0, max: 1 },
  sharable: false,
  run: async (ctx, args) => (await import('../commands/listen.js')).listen(ctx, args),
};

export const app: Command = {
  name: 'app',
  synopsis: '[--port N] [--no-open] [--lang es|en]',
  summary: 'cli.cmd.app',
  details: 'cli.cmd.app.details',
  json: [],
  options: { port: { type: 'string' }, 'no-open': { type: 'boolean' }, lang: { type: 'string' } },
  args: { min: 0, max: 0 },
  sharable: false,
  run: async (ctx, args) => (await import('../commands/app.js')).app(ctx, args),
};
