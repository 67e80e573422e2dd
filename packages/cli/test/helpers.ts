import type { CliIo } from '../src/output.js';

/** An in-memory terminal: what the CLI printed, and a stop switch for `listen`. */
export function memoryIo(env: Record<string, string | undefined> = {}, opts: { tty?: boolean; answer?: string } = {}): CliIo & { stdout: string[]; stderr: string[]; stop(): void } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  return {
    stdout,
    stderr,
    stop,
    out: (l) => stdout.push(l),
    err: (l) => stderr.push(l),
    write: (t) => stdout.push(t),
    env,
    stdoutIsTTY: opts.tty ?? false,
    stdinIsTTY: opts.tty ?? false,
    columns: () => 80,
    prompt: async () => opts.answer ?? '',
    stopped,
    handleStop: () => undefined,
  };
}
