export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/**
 * A failure of the member host that its front end shows as is: `message` is one line naming the
 * problem and what to do; `code` is stable for scripts and apps (`PROFILE_BUSY`, `NOT_FOUND`, …);
 * `exitCode` is the status a command ends with: 2 when the caller asked for something malformed.
 * The CLI exports this class as `CliError`.
 */
export class AgentError extends Error {
  override name = 'AgentError';
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    options?: ErrorOptions,
    /**
     * The same message as a key of the shared catalog (@aviso/i18n) and its parameters, for a front
     * end that speaks the user's language (the CLI); `message` stays the English text, which is what
     * `--json`, logs and the app's API carry. The agent names keys only: it loads no catalog.
     */
    readonly text?: MessageRef,
  ) {
    super(message, options);
  }
}

/** A message of the shared catalog by key, with its ICU parameters. */
export interface MessageRef {
  key: string;
  params?: Record<string, string | number>;
}

export function usageError(message: string): AgentError {
  return new AgentError('USAGE', message, EXIT_USAGE);
}
