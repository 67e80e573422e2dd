import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { AvisoClient } from '@aviso/client';
import { controlPath, forward, type Profile } from '@aviso/agent/startup';
import { PROTOCOL_VERSION } from '@aviso/protocol/constants';
import { CliError, EXIT_OK, EXIT_USAGE, ForwardedError, humanMessage, restated, usageError, type ErrorContext } from './cli-error.js';
import type { Command, OptionSpec, Parsed } from './command.js';
import { COMMANDS } from './catalog/index.js';
import { commandHelp, mainHelp } from './help.js';
import { suggestion } from './invocation.js';
import { prepareMessages } from './lang.js';
import { jsonLine, Output, type CliIo } from './output.js';
import { DEFAULT_PROFILE, profileFor } from './profile.js';
import { passphraseFileOf } from './passphrase.js';
import type { Context } from './session.js';
import { terminalText } from './terminal-text.js';
import { CLI_VERSION, versionLine } from './version.js';

// Everything this module imports, and the catalog, loads no SDK: see catalog/index.ts.

const GLOBAL: Record<string, OptionSpec> = { profile: { type: 'string' }, 'passphrase-file': { type: 'string' }, 'key-file': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } };

export interface Invocation {
  command: Command | undefined;
  parsed: Parsed;
  /** The command word(s) as typed, when they name no command. */
  unknown?: string;
}

/**
 * Splits argv into the command and its parsed options. Global options may come before or after the
 * command; `group` takes its subcommand as the next word.
 */
export function parseInvocation(argv: readonly string[], commands: readonly Command[] = COMMANDS): Invocation {
  const pre: string[] = [];
  let i = 0;
  // Before the command only global options may appear.
  while (i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '--') {
    pre.push(argv[i]!);
    if ((argv[i] === '--profile' || argv[i] === '--passphrase-file' || argv[i] === '--key-file') && i + 1 < argv.length) pre.push(argv[++i]!);
    i++;
  }
  const globals = parse(pre, GLOBAL, undefined, 0);
  const word = argv[i];
  if (word === undefined) return { command: undefined, parsed: globals };
  let name = word;
  let rest = argv.slice(i + 1);
  if ((word === 'group' || word === 'passphrase') && rest[0] !== undefined && !rest[0].startsWith('-')) {
    name = `${word} ${rest[0]}`;
    rest = rest.slice(1);
    if (name === 'passphrase duress' && rest[0] !== undefined && !rest[0].startsWith('-')) {
      name = `${name} ${rest[0]}`;
      rest = rest.slice(1);
    }
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    const tail = parse(rest, GLOBAL, undefined, Infinity, false);
    return { command: undefined, parsed: merge(globals, tail), unknown: name };
  }
  const parsed = merge(globals, parse(rest, { ...GLOBAL, ...command.options }, command, command.args.max));
  return { command, parsed };
}

function parse(args: string[], options: Record<string, OptionSpec>, command: Command | undefined, _max: number, strict = true): Parsed {
  try {
    const { values, positionals } = parseArgs({ args, options, allowPositionals: true, strict });
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    const e = err as { code?: string; message: string };
    const help = command ? `aviso ${command.name} --help` : 'aviso --help';
    const option = /'(-[^' ]+)/.exec(e.message)?.[1] ?? '';
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw command ? usageError('cli.usage.unknownOptionFor', { option, command: command.name }) : usageError('cli.usage.unknownOption', { option });
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw usageError(e.message.includes('argument missing') ? 'cli.usage.needsValue' : 'cli.usage.takesNoValue', { option, help });
    // Node's own wording of anything else (in English): quoted inside our sentence.
    throw usageError('cli.usage.badArguments', { reason: e.message.split('. ')[0] ?? e.message, help });
  }
}

function merge(a: Parsed, b: Parsed): Parsed {
  return { values: { ...a.values, ...Object.fromEntries(Object.entries(b.values).filter(([, v]) => v !== undefined)) }, positionals: [...a.positionals, ...b.positionals] };
}

/** Inside `listen`: later commands on its profile run on its client. */
interface Shared {
  profile: string;
  client: AvisoClient;
}

/** Runs one `aviso` invocation; resolves with the exit status. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo, shared?: Shared): Promise<number> {
  let json = argv.includes('--json');
  const errors: ErrorContext = { profile: DEFAULT_PROFILE };
  try {
    const { command, parsed, unknown } = parseInvocation(argv);
    json = parsed.values['json'] === true;
    if (unknown !== undefined) {
      if (unknown === 'passphrase' || unknown.startsWith('passphrase ')) throw usageError('device.passphrase.subcommand');
      throw unknown === 'group' ? usageError('cli.usage.groupSubcommand') : usageError('cli.usage.unknownCommand', { name: unknown });
    }
    if (parsed.values['version'] === true) {
      if (json) io.out(jsonLine({ type: 'version', version: CLI_VERSION, protocol: PROTOCOL_VERSION }));
      else io.out(versionLine());
      return EXIT_OK;
    }
    if (!command) {
      for (const line of mainHelp(COMMANDS)) io.out(line);
      return parsed.values['help'] === true ? EXIT_OK : EXIT_USAGE;
    }
    if (parsed.values['help'] === true) {
      for (const line of commandHelp(command)) io.out(line);
      return EXIT_OK;
    }
    const n = parsed.positionals.length;
    if (n < command.args.min || n > command.args.max) {
      const usage = `aviso ${command.name} ${command.synopsis}`;
      throw usageError(n < command.args.min ? 'cli.usage.missingArguments' : 'cli.usage.tooManyArguments', { command: command.name, usage });
    }
    const profileName = (parsed.values['profile'] as string | undefined) ?? io.env['AVISO_PROFILE'] ?? DEFAULT_PROFILE;
    errors.profile = profileName;
    if (shared && (profileName !== shared.profile || !command.sharable)) throw usageError('cli.usage.listenHolds', { command: command.name, profile: shared.profile });
    const profile = profileFor(profileName, io.env);
    if (!shared && command.sharable) {
      const status = await handOver(profile, argv, io);
      if (status !== undefined) return status;
    }
    // Only now, with the command's own code about to load: plurals need the ICU formatter, and
    // help, usage errors and a command handed to a listen never wait for it.
    await prepareMessages();
    const ctx: Context = {
      io,
      out: new Output(io, json),
      profile,
      command: command.name,
      errors,
      argv,
      passphraseFile: passphraseFileOf(parsed.values['passphrase-file'] as string | undefined, io.env),
      keyFile: (parsed.values['key-file'] as string | undefined) ?? (io.env['AVISO_KEY_FILE'] || undefined),
      ...(shared ? { shared: shared.client } : {}),
      nested: (client) => (args, nestedIo) => runCli(args, nestedIo, { profile: profileName, client }),
      suggest: (words) => suggestion(io.invokedAs, profileName, words),
    };
    await command.run(ctx, parsed);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof ForwardedError) return err.status;
    // Mapping the SDK's errors loads the SDK: only for a failure that is not already a CliError.
    if (!(err instanceof CliError) || err.code !== 'USAGE') await prepareMessages(); // a failure's message may say a plural
    const e = err instanceof CliError ? restated(err, errors) : (await import('./errors.js')).toCliError(err, errors);
    // In the terminal's language; messages can echo input and relay text (--json keeps it exact, in English).
    io.err(`aviso: ${terminalText(humanMessage(e))}`);
    if (io.env['AVISO_DEBUG'] && e.code === 'INTERNAL') io.err(String((e.cause as Error | undefined)?.stack ?? e.cause));
    if (json) io.out(jsonLine({ type: 'error', code: e.code, message: e.message }));
    return e instanceof CliError ? e.exitCode : 1;
  }
}

/**
 * A command for a profile that a running `aviso listen` holds runs in that process, on its open,
 * connected client: its output and exit status come back here. Tried before the command's code is
 * even loaded (the socket exists only while a listen serves it), so handing over costs a start of
 * node and one socket round trip. Undefined when nothing serves the profile (a socket left by a
 * listen that died is found dead here): the command then runs in this process. `withClient` tries
 * the same again if the profile turns out busy, for a listen that started in between.
 */
async function handOver(profile: Profile, argv: readonly string[], io: CliIo): Promise<number | undefined> {
  if (process.platform === 'win32' || !existsSync(controlPath(profile))) return undefined;
  return forward(profile, ['--profile', profile.name, ...argv], io);
}
