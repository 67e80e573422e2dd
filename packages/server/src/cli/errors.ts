import { ConfigError } from '../config-error.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The command line was wrong (unknown command or option, bad value): exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    /** The command whose `--help` explains the fix, e.g. `token create`. */
    readonly command = '',
  ) {
    super(message);
  }
}

/** Something the operator can fix (missing file, relay still running, damaged backup): exit status 1. */
export class CliError extends Error {
  override name = 'CliError';
}

/**
 * Turns any failure into the one line the operator sees (prefix added by the caller) and the exit
 * status. Known system errors get a sentence saying what to do; nothing prints a stack trace.
 */
export function describeFailure(err: unknown): { line: string; code: number } {
  if (err instanceof UsageError) {
    const help = err.command ? `aviso-relay ${err.command} --help` : 'aviso-relay --help';
    return { line: `${err.message} (see "${help}")`, code: EXIT_USAGE };
  }
  if (err instanceof ConfigError) {
    return { line: `invalid setting: ${err.issues.join('; ')} — fix the environment variable and try again`, code: EXIT_USAGE };
  }
  if (err instanceof CliError) return { line: err.message, code: EXIT_FAILURE };
  return { line: systemErrorLine(err), code: EXIT_FAILURE };
}

function systemErrorLine(err: unknown): string {
  const e = err as { code?: unknown; path?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const path = typeof e?.path === 'string' ? e.path : undefined;
  const where = path === undefined ? '' : ` (${path})`;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `permission denied${where} — run as the user that owns the relay's files, or fix their permissions`;
    case 'ENOSPC':
      return `the disk is full${where} — free some space and try again`;
    case 'EROFS':
      return `the file system is read-only${where} — the relay must be able to write its data folder`;
    case 'ENOENT':
      return `file or folder not found${where}`;
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return 'the relay database is damaged — restore it from a backup (aviso-relay restore --help)';
    case 'SQLITE_BUSY':
      return 'the relay database is busy (locked by another program) — try again';
    case 'SQLITE_FULL':
      return 'the disk is full — free some space and try again';
    default: {
      const message = err instanceof Error ? err.message : String(err);
      return `unexpected error: ${message.split('\n')[0] ?? ''}`;
    }
  }
}
