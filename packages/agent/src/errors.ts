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
  ) {
    super(message, options);
  }
}

export function usageError(message: string): AgentError {
  return new AgentError('USAGE', message, EXIT_USAGE);
}
