import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './relay.js';

const LISTENING = /^aviso relay listening on (http:\/\/\S+)$/m;

/** A port nothing listens on right now (the kernel's pick, released at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** True if something accepts TCP connections on 127.0.0.1:port. */
export function isListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** True while any process of process group `pgid` is alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The relay exactly as an operator starts it: `npm start` from the repository root, with its own
 * AVISO_* settings, in a process group of its own (so a test can see the whole tree exit, and clean
 * it up if it does not). `child` is the npm process itself.
 */
export class NpmRelay {
  log = '';
  url = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
    private readonly ownsDir: boolean,
  ) {
    child.stdout?.on('data', (c: Buffer) => (this.log += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (this.log += c.toString()));
    this.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  }

  static async start(options: { env?: Record<string, string>; dataDir?: string; script?: string[] } = {}): Promise<NpmRelay> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'aviso-npm-relay-'));
    const env: NodeJS.ProcessEnv = { ...process.env, AVISO_HOST: '127.0.0.1', AVISO_DATA_DIR: dataDir, AVISO_LOG_LEVEL: 'info', ...options.env };
    // Not the npm_* variables of a test runner started through npm: the relay's npm must start afresh.
    for (const key of Object.keys(env)) if (key.startsWith('npm_')) delete env[key];
    const child = spawn('npm', options.script ?? ['start'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const relay = new NpmRelay(child, dataDir, options.dataDir === undefined);
    relay.url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not get ready within 120 s:\n${relay.log}`)), 120_000);
      const check = () => {
        const m = LISTENING.exec(relay.log);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout?.on('data', check);
      void relay.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`npm start exited early (${code ?? signal}):\n${relay.log}`));
      });
    });
    return relay;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Waits until no process of the tree is left, up to `ms`; false if some still run. */
  async treeGone(ms = 30_000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!groupAlive(this.pid)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return !groupAlive(this.pid);
  }

  /** Kills whatever is left of the tree and removes the data folder it made. */
  async dispose(): Promise<void> {
    if (groupAlive(this.pid)) {
      try {
        process.kill(-this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await this.treeGone(10_000);
    }
    if (this.ownsDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
