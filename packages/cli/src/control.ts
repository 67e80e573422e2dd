import { rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { CliIo } from './output.js';
import type { Profile } from './profile.js';

/**
 * While `listen` holds a profile, other commands on that profile run inside the listening process,
 * over a Unix socket in the profile's folder (owner-only, mode 0700): one client, one ratchet state,
 * one connection to the relay. Frames are JSON lines: request {argv}; replies {o}|{e}|{w}, then {exit}.
 */
export function controlPath(profile: Profile): string {
  return join(profile.dir, 'control.sock');
}

export type Runner = (argv: string[], io: CliIo) => Promise<number>;

/** Serves commands for the profile; resolves with a stop function (undefined where sockets fail). */
export async function serveControl(profile: Profile, env: CliIo['env'], run: Runner): Promise<(() => Promise<void>) | undefined> {
  if (process.platform === 'win32') return undefined;
  const path = controlPath(profile);
  rmSync(path, { force: true }); // left by a process that died; we hold the profile lock
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const newline = buffer.indexOf('\n');
      if (newline < 0 || socket.readableFlowing === false) return;
      socket.pause();
      void handle(socket, buffer.slice(0, newline), env, run);
    });
  });
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false)); // e.g. a path too long for a socket: commands then wait their turn
    server.listen(path, () => resolve(true));
  });
  if (!listening) return undefined;
  return async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(path, { force: true });
  };
}

async function handle(socket: Socket, line: string, env: CliIo['env'], run: Runner): Promise<void> {
  const send = (frame: Record<string, unknown>) => socket.write(`${JSON.stringify(frame)}\n`);
  let argv: string[];
  try {
    const parsed = JSON.parse(line) as { argv?: unknown };
    if (!Array.isArray(parsed.argv) || !parsed.argv.every((a) => typeof a === 'string')) throw new TypeError('bad request');
    argv = parsed.argv as string[];
  } catch {
    socket.end();
    return;
  }
  const io: CliIo = {
    out: (l) => send({ o: l }),
    err: (l) => send({ e: l }),
    write: (t) => send({ w: t }),
    env,
    stdoutIsTTY: false,
    stdinIsTTY: false,
    columns: () => 80,
    prompt: () => Promise.reject(new Error('no terminal')),
    stopped: new Promise<void>((resolve) => socket.once('close', resolve)),
    handleStop: () => undefined,
  };
  const code = await run(argv, io);
  socket.end(`${JSON.stringify({ exit: code })}\n`);
}

/** Runs argv in the process serving the profile; undefined when nothing serves it. */
export function forward(profile: Profile, argv: readonly string[], io: CliIo): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection(controlPath(profile));
    let buffer = '';
    let exit: number | undefined;
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify({ argv })}\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const l of lines) {
        const f = JSON.parse(l) as { o?: string; e?: string; w?: string; exit?: number };
        if (f.o !== undefined) io.out(f.o);
        else if (f.e !== undefined) io.err(f.e);
        else if (f.w !== undefined) io.write(f.w);
        else if (f.exit !== undefined) exit = f.exit;
      }
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      if (connected && exit === undefined) io.err('aviso: the listening process stopped before the command finished — run it again');
      resolve(connected ? (exit ?? 1) : undefined);
    });
  });
}
