import type { Command } from './command.js';
import { say } from './lang.js';

/** A catalog message that holds several help lines, one per line. */
const lines = (text: string): string[] => text.split('\n');

export function globalOptions(): string[] {
  // --key-file has its own message (device.ts): it goes after the two passphrase lines.
  const [profile = '', passphrase = '', ...rest] = lines(say('cli.help.global'));
  return [profile, passphrase, say('device.keyFile.option'), ...rest];
}

export function mainHelp(commands: readonly Command[]): string[] {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    say('cli.help.usage'),
    '',
    say('cli.help.commands'),
    ...commands.map((c) => `  ${c.name.padEnd(width)}${say(c.summary)}`),
    '',
    say('cli.help.options'),
    ...globalOptions().map((l) => `  ${l}`),
    '',
    ...lines(say('cli.help.footer')),
  ];
}

export function commandHelp(c: Command): string[] {
  const summary = say(c.summary);
  return [
    say('cli.help.usageOf', { usage: `aviso ${c.name}${c.synopsis ? ` ${c.synopsis}` : ''}` }),
    '',
    `${summary[0]!.toUpperCase()}${summary.slice(1)}.`,
    '',
    ...[c.details ?? []].flat().flatMap((key) => lines(say(key, c.detailParams))),
    ...c.json,
    '',
    say('cli.help.options'),
    ...globalOptions().map((l) => `  ${l}`),
  ];
}
