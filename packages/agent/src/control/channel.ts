/**
 * How a front end hands a command to the process that holds a profile: one client, one ratchet
 * state, one connection to the relay. Today the one channel is a Unix socket in the profile's folder
 * (unix-socket.ts), which the CLI uses; a local HTTP + WebSocket channel for the app implements the
 * same interface, so the host serving a profile does not care which front end asked.
 */
export interface ControlChannel {
  /** Starts serving `handle`; false where this channel cannot run here (commands then wait their turn). */
  start(handle: ControlHandler): Promise<boolean>;
  /** Stops serving, ends the requests in flight, and removes what start() left on disk. */
  stop(): Promise<void>;
}

/** Runs one request and resolves with its status (0 for success, as a command's exit code). */
export type ControlHandler = (request: ControlRequest) => Promise<number>;

/** Where a remote command's output goes: the lines it prints arrive at the caller in order. */
export interface ControlOutput {
  /** One result line (stdout). */
  out(line: string): void;
  /** One error or warning line (stderr). */
  err(line: string): void;
  /** Raw text (a redrawn screen). */
  write(text: string): void;
}

/** One command from a caller: its arguments as typed, and where its output goes. */
export interface ControlRequest extends ControlOutput {
  readonly argv: readonly string[];
  /** Resolves when the caller went away: a long command can stop then. */
  readonly closed: Promise<void>;
}
