#!/usr/bin/env node
// The `aviso` command: the process around runCli (signals, terminal, exit status).
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { invokedAs } from './invocation.js';
import { runCli } from './run.js';
import type { CliIo } from './output.js';

let stop!: () => void;
const stopped = new Promise<void>((resolve) => (stop = resolve));
let handled = false;
let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // listen closes cleanly on the first signal; a second one, or any other command, means "now".
    if (!handled || ++signals > 1) process.exit(130);
    stop();
  });
}
// A reader that went away (`aviso listen --json | head`) ends us quietly, not with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(handled ? 0 : 141);
  throw err;
});

const io: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  write: (text) => process.stdout.write(text),
  env: process.env,
  stdoutIsTTY: process.stdout.isTTY === true,
  stdinIsTTY: process.stdin.isTTY === true,
  columns: () => process.stdout.columns || 100,
  async prompt(question) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return await rl.question(question);
    } finally {
      rl.close();
    }
  },
  async promptSecret(question) {
    // Muted: the question is written, then nothing the user types is echoed (not even stars).
    let muted = false;
    const output = new Writable({
      write(chunk: Buffer, _enc, done) {
        if (!muted) process.stderr.write(chunk);
        done();
      },
    });
    const rl = createInterface({ input: process.stdin, output, terminal: true });
    try {
      const answer = rl.question(question);
      muted = true;
      return await answer;
    } finally {
      rl.close();
      process.stderr.write('\n');
    }
  },
  async readStdin(limit) {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) break; // a secret is short: do not read a whole file piped in by mistake
    }
    return Buffer.concat(chunks);
  },
  stopped,
  handleStop: () => (handled = true),
  invokedAs: invokedAs(process.env, process.argv[1], process.cwd()),
};

const code = await runCli(process.argv.slice(2), io);
// Leave once stdout is flushed: a one-shot command is done, even if a library left a timer behind.
process.stdout.write('', () => process.exit(code));
