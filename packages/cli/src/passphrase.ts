import { readFileSync } from 'node:fs';
import { CliError, usageError } from './cli-error.js';
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
    throw usageError(`${option} ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (bytes.length > MAX_PASSPHRASE_BYTES) throw usageError(`${option} ${path} is larger than ${MAX_PASSPHRASE_BYTES} bytes: it is not a passphrase file`);
  const text = bytes.toString('utf8').replace(/\r?\n$/, '');
  bytes.fill(0);
  if (text === '') throw usageError(`${option} ${path} is empty`);
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
    throw new CliError('PASSPHRASE_REQUIRED', `profile "${profile}" is protected by a passphrase — run this at a terminal to be asked for it, or give --passphrase-file PATH (or AVISO_PASSPHRASE_FILE)`);
  }
  const answer = await io.promptSecret(`passphrase for profile "${profile}": `);
  if (answer === '') throw usageError('no passphrase given');
  return answer;
}

/** A new passphrase: from `--new-passphrase-file`, else typed twice without echo at a terminal. */
export async function newPassphrase(io: CliIo, file: string | undefined): Promise<string> {
  if (file !== undefined) return readPassphraseFile(file, '--new-passphrase-file');
  if (!io.stdinIsTTY || !io.promptSecret) throw usageError('a new passphrase is typed at a terminal, or given with --new-passphrase-file PATH');
  const first = await io.promptSecret('new passphrase: ');
  if (first === '') throw usageError('no passphrase given');
  const again = await io.promptSecret('the same passphrase again: ');
  if (again !== first) throw new CliError('NOT_CONFIRMED', 'the two passphrases differ — nothing was changed; try again');
  return first;
}

/** A duress passphrase: from `--duress-passphrase-file`, else typed twice without echo at a terminal. */
export async function newDuressPassphrase(io: CliIo, file: string | undefined): Promise<string> {
  if (file !== undefined) return readPassphraseFile(file, '--duress-passphrase-file');
  if (!io.stdinIsTTY || !io.promptSecret) throw usageError(say('device.duress.terminal'));
  const first = await io.promptSecret(say('device.duress.prompt'));
  if (first === '') throw usageError(say('device.duress.empty'));
  const again = await io.promptSecret(say('device.duress.promptAgain'));
  if (again !== first) throw new CliError('NOT_CONFIRMED', say('device.duress.differ'));
  return first;
}
