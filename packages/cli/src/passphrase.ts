import { readFileSync } from 'node:fs';
import { cliError, usageError } from './cli-error.js';
import { say } from './lang.js';
import type { CliIo } from './output.js';

/** The longest passphrase a file may hold: far past any typed one, short of reading a whole disk image by mistake. */
const MAX_PASSPHRASE_BYTES = 4096;

/**
 * A passphrase from a file (`--passphrase-file`, AVISO_PASSPHRASE_FILE): the whole file, one
 * trailing newline dropped. Never from argv: it would show in `ps` and the shell's history.
 */
export function readPassphraseFile(path: string, option: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw usageError('cli.usage.passphraseUnreadable', { option, path, reason: (err as NodeJS.ErrnoException).code ?? 'error' });
  }
  if (bytes.length > MAX_PASSPHRASE_BYTES) throw usageError('cli.usage.passphraseTooLarge', { option, path, max: MAX_PASSPHRASE_BYTES });
  const text = bytes.toString('utf8').replace(/\r?\n$/, '');
  bytes.fill(0);
  if (text === '') throw usageError('cli.usage.passphraseEmpty', { option, path });
  return text;
}

/** What the command was given for the current passphrase: --passphrase-file, else AVISO_PASSPHRASE_FILE. */
export function passphraseFileOf(given: string | undefined, env: Record<string, string | undefined>): { path: string; option: string } | undefined {
  if (given !== undefined) return { path: given, option: '--passphrase-file' };
  const fromEnv = env['AVISO_PASSPHRASE_FILE'];
  return fromEnv ? { path: fromEnv, option: 'AVISO_PASSPHRASE_FILE' } : undefined;
}

/** The current passphrase of `profile`: from the file, else asked without echo at a terminal. */
export async function currentPassphrase(io: CliIo, file: { path: string; option: string } | undefined, profile: string): Promise<string> {
  if (file) return readPassphraseFile(file.path, file.option);
  if (!io.stdinIsTTY || !io.promptSecret) {
    throw cliError('PASSPHRASE_REQUIRED', 'cli.error.passphraseRequired', { profile });
  }
  const answer = await io.promptSecret(say('cli.passphrase.prompt', { profile }));
  if (answer === '') throw usageError('cli.usage.noPassphrase');
  return answer;
}

/** A new passphrase: from `--new-passphrase-file`, else typed twice without echo at a terminal. */
export async function newPassphrase(io: CliIo, file: string | undefined): Promise<string> {
  if (file !== undefined) return readPassphraseFile(file, '--new-passphrase-file');
  if (!io.stdinIsTTY || !io.promptSecret) throw usageError('cli.usage.newPassphraseNeedsTerminal');
  const first = await io.promptSecret(say('cli.passphrase.new'));
  if (first === '') throw usageError('cli.usage.noPassphrase');
  const again = await io.promptSecret(say('cli.passphrase.again'));
  if (again !== first) throw cliError('NOT_CONFIRMED', 'cli.error.passphrasesDiffer');
  return first;
}

/** A duress passphrase: from `--duress-passphrase-file`, else typed twice without echo at a terminal. */
export async function newDuressPassphrase(io: CliIo, file: string | undefined): Promise<string> {
  if (file !== undefined) return readPassphraseFile(file, '--duress-passphrase-file');
  if (!io.stdinIsTTY || !io.promptSecret) throw usageError('device.duress.terminal');
  const first = await io.promptSecret(say('device.duress.prompt'));
  if (first === '') throw usageError('device.duress.empty');
  const again = await io.promptSecret(say('device.duress.promptAgain'));
  if (again !== first) throw cliError('NOT_CONFIRMED', 'device.duress.differ');
  return first;
}
