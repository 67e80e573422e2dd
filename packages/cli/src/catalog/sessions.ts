import type { Command } from '../command.js';
import { say } from '../lang.js';

// The commands that stay running. Their code: ../commands/listen.ts and ../commands/app.ts, loaded
// when one of them runs.

export const listen: Command = {
  name: 'listen',
  synopsis: '[group]',
  summary: 'stay connected and show alerts live (Ctrl-C to stop)',
  details: [
    'On a terminal: a live board, most severe first, with place, age, answers, retracted and expired marks.',
    'Piped: one line per event. --json: one object per event, each with a "type":',
    '  alert (as in `aviso alerts --json`), ack {alertId,status,from,fromName,acks}, confirm|dispute {alertId,note,…},',
    '  retract {alertId,reason,…}, all-clear {alertId,…}, text {groupId,group,from,fromName,text,sentAt},',
    '  expired {alertId,groupId,group}, group {groupId,group,event,accountId,version}, connection {state},',
    '  warning {code,message}, ready {groups} (current alerts and the relay queue have been shown),',
    '  handed-over {to:"app"} (`aviso app` took this profile over; listen then stops with exit 0), closed.',
    'Started while `aviso app` holds the profile, listen stops with PROFILE_BUSY: the app shows the same alerts.',
    ...say('cli.robust.help.listenRetry').split('\n'),
  ],
  args: { min: 0, max: 1 },
  sharable: false,
  run: async (ctx, args) => (await import('../commands/listen.js')).listen(ctx, args),
};

export const app: Command = {
  name: 'app',
  synopsis: '[--port N] [--no-open] [--lang es|en]',
  summary: 'open the Aviso app in your browser (Ctrl-C to stop)',
  details: [
    'Serves the app on 127.0.0.1 only and prints one line: aviso app ready at http://127.0.0.1:PORT/#k=TOKEN',
    'The token in that address works once: the page trades it for a session cookie. It changes every start.',
    '--port N      the port to listen on (default 0: a free one)',
    '--no-open     do not open a browser (print the address only)',
    '--lang es|en  the language the app starts in (the app remembers a choice made there)',
    'With no account yet the app opens on joining a group. docs/app.md tells how it is secured.',
    'If `aviso listen` is running on this profile, it hands the profile over to the app and stops.',
  ],
  options: { port: { type: 'string' }, 'no-open': { type: 'boolean' }, lang: { type: 'string' } },
  args: { min: 0, max: 0 },
  sharable: false,
  run: async (ctx, args) => (await import('../commands/app.js')).app(ctx, args),
};
