import { readFileSync, statSync } from 'node:fs';
import { usageError } from './cli-error.js';
import { say } from './lang.js';
import type { CliIo } from './output.js';

/**
 * Registration tokens and invite codes are secrets: on the command line they show in `ps` to every
 * user of the machine and stay in the shell's history. `--token-file F` and `--code-file F` read them
 * from a file instead, and `-` reads standard input (`pass show aviso/token | aviso register URL
 * --token-file -`). What is read is never printed back, not even in an error.
 *
 * A file that other users can read gets a warning, not a refusal (ssh refuses a private key like
 * that). A key is kept for years; a token or an invite is spent when used and expires within days,
 * and most arrive in a chat and are saved with the default permissions. Refusing would send people
 * back to pasting the secret on the command line, which is worse: `ps` shows it to everyone at once.
 */

/** Far past any code (at most 4096 characters, plus the line breaks of one wrapped in a chat). */
export const MAX_SECRET_FILE_BYTES = 16_384;

/** The whole file (or standard input for `-`), as text; warns when others may read the file. */
export async function readSecretFile(io: CliIo, path: string, option: string): Promise<string> {
  let bytes: Buffer;
  if (path === '-') {
    if (!io.readStdin) throw usageError('cli.robust.secret.noStdin', { option });
    if (io.stdinIsTTY) io.err(say('cli.robust.secret.pasteHint'));
    bytes = await io.readStdin(MAX_SECRET_FILE_BYTES + 1);
  } else {
    try {
      const mode = statSync(path).mode;
      // Group or others may read it (POSIX bits; Windows reports none of this meaningfully).
      if (process.platform !== 'win32' && (mode & 0o044) !== 0) io.err(say('cli.robust.secret.readableByOthers', { option, path }));
      bytes = readFileSync(path);
    } catch (err) {
      throw usageError('cli.robust.secret.unreadable', { option, path, reason: (err as NodeJS.ErrnoException).code ?? 'error' });
    }
  }
  if (bytes.length > MAX_SECRET_FILE_BYTES) throw usageError('cli.robust.secret.tooLarge', { option, path, max: MAX_SECRET_FILE_BYTES });
  const text = bytes.toString('utf8');
  bytes.fill(0);
  if (text.trim() === '') throw usageError('cli.robust.secret.empty', { option, path });
  return text;
}

/**
 * The secret a command takes either as its argument or from a file: exactly one of the two. The
 * argument is `undefined` when not given.
 */
export async function argumentOrFile(io: CliIo, given: string | undefined, file: string | undefined, what: 'token' | 'code'): Promise<string> {
  const [option, command] = what === 'token' ? ['--token-file', 'register'] : ['--code-file', 'join'];
  if (given !== undefined && file !== undefined) throw usageError('cli.robust.secret.both', { option, command });
  if (file !== undefined) return readSecretFile(io, file, option);
  if (given === undefined) throw usageError(what === 'token' ? 'cli.robust.secret.missingToken' : 'cli.robust.secret.missingCode');
  return given;
}
