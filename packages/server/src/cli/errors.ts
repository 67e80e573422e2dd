import { ConfigError } from '../config-error.js';
import { say, type Lang, type MessageKey, type Words } from './words.js';

type Params = Words['params'];

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
    /** The same message from the catalog, for the operator's language (`message` stays English). */
    readonly words?: Words,
  ) {
    super(message);
  }

  /** A usage error worded from the catalog. */
  static of(key: MessageKey, params: Params | undefined, command = ''): UsageError {
    const words: Words = params ? { key, params } : { key };
    return new UsageError(say('en', words), command, words);
  }
}

/** Something the operator can fix (missing file, relay still running, damaged backup): exit status 1. */
export class CliError extends Error {
  override name = 'CliError';
  /** The same message from the catalog, when it has one (see UsageError.words). */
  words?: Words;

  static of(key: MessageKey, params?: Params): CliError {
    const words: Words = params ? { key, params } : { key };
    const e = new CliError(say('en', words));
    e.words = words;
    return e;
  }
}

/**
 * Turns any failure into the one line the operator sees (prefix added by the caller) and the exit
 * status. Known system errors get a sentence saying what to do; nothing prints a stack trace.
 */
export function describeFailure(err: unknown, lang: Lang = 'en'): { line: string; code: number } {
  if (err instanceof UsageError) {
    const help = err.command ? `aviso-relay ${err.command} --help` : 'aviso-relay --help';
    const message = err.words ? say(lang, err.words) : err.message;
    return { line: say(lang, { key: 'relay.usage.see', params: { message, help } }), code: EXIT_USAGE };
  }
  if (err instanceof ConfigError) {
    // The issues are the schema's own English words.
    return { line: say(lang, { key: 'relay.error.setting', params: { issues: err.issues.join('; ') } }), code: EXIT_USAGE };
  }
  if (err instanceof CliError) return { line: err.words ? say(lang, err.words) : err.message, code: EXIT_FAILURE };
  return { line: say(lang, systemError(err)), code: EXIT_FAILURE };
}

function systemError(err: unknown): Words {
  const e = err as { code?: unknown; path?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const path = typeof e?.path === 'string' ? e.path : undefined;
  const where = path === undefined ? '' : ` (${path})`;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return { key: 'relay.error.permission', params: { where } };
    case 'ENOSPC':
      return { key: 'relay.error.diskFull', params: { where } };
    case 'EROFS':
      return { key: 'relay.error.readOnly', params: { where } };
    case 'ENOENT':
      return { key: 'relay.error.notFound', params: { where } };
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return { key: 'relay.error.damaged' };
    case 'SQLITE_BUSY':
      return { key: 'relay.error.busy' };
    case 'SQLITE_FULL':
      return { key: 'relay.error.diskFull', params: { where: '' } };
    default: {
      const message = err instanceof Error ? err.message : String(err);
      return { key: 'relay.error.unexpected', params: { reason: message.split('\n')[0] ?? '' } };
    }
  }
}
