import { AgentError, EXIT_FAILURE, EXIT_USAGE } from '@aviso/agent/startup';
import { CATALOG } from '@aviso/i18n/lite';
import { say, sayEnglish, type MessageKey, type Params } from './lang.js';

export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from '@aviso/agent/startup';

/**
 * What went wrong, said for the person at the terminal: `message` is one line naming the problem and
 * what to do. `code` is stable for scripts (`--json` prints it); `exitCode` is 2 for usage errors.
 * The same class as the agent's `AgentError`, so what the agent throws (a busy profile, a name
 * that matches nothing) is a CliError here without translation. Kept apart from errors.ts (which
 * maps the SDK's errors and so loads the SDK) because every start of `aviso` needs it.
 */
export const CliError = AgentError;
export type CliError = AgentError;

/**
 * A CliError worded from the catalog: `message` in English (what `--json` carries, as before), and
 * the key kept so the terminal gets it in its own language (`humanMessage`).
 */
export function cliError(code: string, key: MessageKey, params?: Params, exitCode: number = EXIT_FAILURE, options?: ErrorOptions): CliError {
  return new CliError(code, sayEnglish(key, params), exitCode, options, params ? { key, params } : { key });
}

/** A usage error (exit status 2) worded from the catalog. */
export function usageError(key: MessageKey, params?: Params): CliError {
  return cliError('USAGE', key, params, EXIT_USAGE);
}

const isKey = (key: string): key is MessageKey => Object.hasOwn(CATALOG.en, key);

/** The error as the person at the terminal reads it: in their language when it names a catalog message. */
export function humanMessage(err: CliError): string {
  return err.text && isKey(err.text.key) ? say(err.text.key, err.text.params) : err.message;
}

/** Where the CLI stands when an error happens, so the message can name the profile and the relay. */
export interface ErrorContext {
  profile: string;
  relayUrl?: string | undefined;
}

/** The command ran in the process that holds the profile; it printed there, this is its status. */
export class ForwardedError extends CliError {
  constructor(readonly status: number) {
    super('FORWARDED', 'ran in the listening process', status);
  }
}

/**
 * An untrusted certificate, said for the person at the terminal: which relay, that nothing was sent,
 * and the two real fixes (trust the organisation's own authority with NODE_EXTRA_CA_CERTS, or have
 * the operator use a public one). Never "turn checking off": on a seized or spoofed network that is
 * exactly the relay an attacker would offer.
 */
export function tlsUntrusted(ctx: ErrorContext, cause?: unknown): CliError {
  return cliError('TLS_UNTRUSTED', 'cli.robust.tlsUntrusted', { relay: ctx.relayUrl ?? '?' }, EXIT_FAILURE, cause === undefined ? undefined : { cause });
}

/** An error the agent says in English that the CLI says in its own language (see lang.ts). */
export function restated(err: CliError, ctx: ErrorContext): CliError {
  if (err.code === 'TLS_UNTRUSTED') return tlsUntrusted(ctx, err.cause ?? err);
  return err;
}
