import { rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Profile } from '../profile.js';
import type { ControlChannel, ControlHandler, ControlOutput } from './channel.js';

/**
 * While a process holds a profile, other commands on that profile run inside it, over a Unix socket
 * in the profile's folder (owner-only, mode 0700). Frames are JSON lines: request {argv}; replies
 * {o}|{e}|{w}, then {exit}.
 */
export function controlPath(profile: Profile): string {
  return join(profile.dir, 'control.sock');
}

export class UnixSocketChannel implements ControlChannel {
  readonly #path: string;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;

  constructor(profile: Profile) {
    this.#path = controlPath(profile);
  }

  async start(handle: ControlHandler): Promise<boolean> {
    if (process.platform === 'win32') return false;
    rmSync(this.#path, { force: true }); // left by a process that died; the caller holds the profile lock
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      socket.on('error', () => undefined);
      let buffer = '';
      socket.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        const newline = buffer.indexOf('\n');
        if (newline < 0 || socket.readableFlowing === false) return;
        socket.pause();
        void serveOne(socket, buffer.slice(0, newline), handle);
      });
    });
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false)); // e.g. a path too long for a socket
      server.listen(this.#path, () => resolve(true));
    });
    if (listening) this.#server = server;
    return listening;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(this.#path, { force: true });
  }
}

async function serveOne(socket: Socket, line: string, handle: ControlHandler): Promise<void> {
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
  const code = await handle({
    argv,
    out: (l) => send({ o: l }),
    err: (l) => send({ e: l }),
    write: (t) => send({ w: t }),
    closed: new Promise<void>((resolve) => socket.once('close', resolve)),
  });
  socket.end(`${JSON.stringify({ exit: code })}\n`);
}

/** Runs argv in the process serving the profile; undefined when nothing serves it. */
export function forward(profile: Profile, argv: readonly string[], output: ControlOutput): Promise<number | undefined> {
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
        if (f.o !== undefined) output.out(f.o);
        else if (f.e !== undefined) output.err(f.e);
        else if (f.w !== undefined) output.write(f.w);
        else if (f.exit !== undefined) exit = f.exit;
      }
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      if (connected && exit === undefined) output.err('aviso: the listening process stopped before the command finished — run it again');
      resolve(connected ? (exit ?? 1) : undefined);
    });
  });
}
