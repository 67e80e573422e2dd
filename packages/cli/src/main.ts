#!/usr/bin/env node
// The `aviso` command: the process around runCli (signals, terminal, exit status).
import { createInterface } from 'node:readline/promises';
import { runCli } from './run.js';
import type { CliIo } from './output.js';

let stop!: () => void;
const stopped = new Promise<void>((resolve) => (stop = resolve));
let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // The first signal closes cleanly; a second one means "now".
    if (++signals > 1) process.exit(130);
    stop();
  });
}

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
  stopped,
};

const code = await runCli(process.argv.slice(2), io);
// Leave once stdout is flushed: a one-shot command is done, even if a library left a timer behind.
process.stdout.write('', () => process.exit(code));
