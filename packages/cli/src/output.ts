import { terminalLine } from './terminal-text.js';

/** The process around the CLI: tests pass their own to run it in-process. */
export interface CliIo {
  /** One line to stdout (results). */
  out(line: string): void;
  /** One line to stderr (errors, prompts). */
  err(line: string): void;
  /** Raw text to stdout (the live view redraws with it). */
  write(text: string): void;
  env: Record<string, string | undefined>;
  stdoutIsTTY: boolean;
  stdinIsTTY: boolean;
  /** Asks a question on the terminal and resolves with the answer (only called when stdinIsTTY). */
  prompt(question: string): Promise<string>;
  /** Asks without echoing what is typed (passphrases); only called when stdinIsTTY. */
  promptSecret?(question: string): Promise<string>;
  /**
   * Reads standard input to its end, at most `limit` bytes (what follows is not read), for a secret
   * given as `--token-file -` or `--code-file -`. Absent where there is no standard input of our own
   * (a command handed to `listen`).
   */
  readStdin?(limit: number): Promise<Buffer>;
  /** Terminal width, for the live view. */
  columns(): number;
  /**
   * Resolves when the user asks the process to stop (SIGINT, SIGTERM), for commands that called
   * `handleStop()`; any other command is simply ended by the signal (its store writes are atomic).
   */
  stopped: Promise<void>;
  handleStop(): void;
  /**
   * How the user started this command (`aviso`, `npm run aviso --`), for the commands it suggests;
   * `aviso` when not given. See invocation.ts.
   */
  invokedAs?: string;
}

/** A result: its JSON object (one line with --json) and the lines a person reads otherwise. */
export type JsonObject = { type: string } & Record<string, unknown>;

export class Output {
  constructor(
    readonly io: CliIo,
    readonly json: boolean,
  ) {}

  /**
   * Prints one result: JSON on one line (exact text: JSON escapes controls), or the human lines. Human
   * lines go through `terminalLine`, a last net for text from others that a command did not pass
   * through `terminalText` itself: no escape sequence or control character reaches the terminal.
   */
  emit(object: JsonObject, human: string | readonly string[]): void {
    if (this.json) this.io.out(jsonLine(object));
    else for (const line of typeof human === 'string' ? [human] : human) this.io.out(terminalLine(line));
  }

  /** Prints human-only text (headers, hints); nothing with --json. */
  note(line: string): void {
    if (!this.json) this.io.out(terminalLine(line));
  }

  /** Human-only lines we drew ourselves and that need the terminal's escapes (the invite's QR code). */
  drawn(lines: readonly string[]): void {
    if (!this.json) for (const line of lines) this.io.out(line);
  }
}

/** Undefined fields are written as null so every object of a type has the same keys. */
export function jsonLine(object: JsonObject): string {
  return JSON.stringify(object, (_key, value: unknown) => (value === undefined ? null : value));
}
