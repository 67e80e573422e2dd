import type { Command } from './command.js';
import { say } from './lang.js';

const globalOptions = (): string[] => [
  '--profile NAME   which identity to use (default "default", or $AVISO_PROFILE)',
  '--passphrase-file PATH  read a protected profile\'s passphrase from PATH (or $AVISO_PASSPHRASE_FILE); else asked at the terminal',
  say('device.keyFile.option'),
  '--json           print one JSON object per line (errors too: {"type":"error","code","message"})',
  '-h, --help       show help (also after a command: aviso invite --help)',
  '--version        print the version of aviso and of the protocol it speaks',
];

export function mainHelp(commands: readonly Command[]): string[] {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    'Usage: aviso <command> [arguments] [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Options (every command):',
    ...globalOptions().map((l) => `  ${l}`),
    '',
    'Groups and members are named by title / display name, by id, or by a unique id prefix (4+ characters);',
    'alerts by id or unique id prefix. Profiles live in $AVISO_HOME (default: your data folder + /aviso).',
    'Exit status: 0 ok, 1 failure, 2 usage error.',
  ];
}

export function commandHelp(c: Command): string[] {
  return [`Usage: aviso ${c.name}${c.synopsis ? ` ${c.synopsis}` : ''}`, '', `${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.`, '', ...c.details, '', 'Options (every command):', ...globalOptions().map((l) => `  ${l}`)];
}
