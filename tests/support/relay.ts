import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { entry } from './entry.js';

const run = promisify(execFile);

/** Repository root: the relay runs from here exactly as `npm start` runs it. */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const CLI = entry('aviso-relay');
const LISTENING = /^aviso relay listening on (http:\/\/\S+)$/m;

/**
 * A real relay process on 127.0.0.1 with an ephemeral port and its own data folder. The process is
 * `node` itself (not pnpm, which does not forward signals), so stop() exercises the real SIGTERM path.
 * Its output is kept so a failing test can show it.
 */
export class RelayProcess {
  readonly dataDir: string;
  url = '';
  log = '';
  private child: ChildProcess | undefined;
  private readonly ownsDir: boolean;
  /**
   * A command the relay is started through on the next `start()`, e.g. `['bash', '-c', 'ulimit -f 16; exec "$@"', 'bash']`
   * to start it under a resource limit; `exec` keeps the relay's pid, so signals still reach it.
   */
  launcher: string[] | undefined;

  private constructor(dataDir: string | undefined, private readonly env: Record<string, string>) {
    this.ownsDir = dataDir === undefined;
    this.dataDir = dataDir ?? mkdtempSync(join(tmpdir(), 'aviso-relay-'));
  }

  static async start(options: { dataDir?: string; env?: Record<string, string> } = {}): Promise<RelayProcess> {
    const relay = new RelayProcess(options.dataDir, options.env ?? {});
    await relay.start();
    return relay;
  }

  private processEnv(): NodeJS.ProcessEnv {
    // After the first start the relay keeps its port, as a real relay keeps its address across restarts.
    const port = this.url ? new URL(this.url).port : '0';
    return { ...process.env, AVISO_HOST: '127.0.0.1', AVISO_PORT: port, AVISO_DATA_DIR: this.dataDir, AVISO_LOG_LEVEL: 'info', ...this.env };
  }

  /** Starts (or restarts) the process on the same data folder and waits for its ready line. */
  async start(): Promise<void> {
    if (this.child) throw new Error('relay already running');
    const argv = [process.execPath, ...CLI, 'serve'];
    const [command, ...args] = this.launcher ? [...this.launcher, ...argv] : argv;
    const child = spawn(command!, args, { cwd: REPO_ROOT, env: this.processEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    // Only this run's output counts: after a restart the previous run's ready line is still in the log.
    const from = this.log.length;
    this.url = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`relay did not start within 60 s:\n${this.log}`)), 60_000);
      const onData = (chunk: Buffer) => {
        this.log += chunk.toString();
        const m = LISTENING.exec(this.log.slice(from).split('\n').slice(-50).join('\n'));
        if (m?.[1]) {
          clearTimeout(timer);
          resolveUrl(m[1]);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (c: Buffer) => (this.log += c.toString()));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        this.child = undefined; // gone: a later start() or dispose() must not wait on it
        reject(new Error(`relay exited early (${code ?? signal}):\n${this.log}`));
      });
    });
    child.removeAllListeners('exit');
    child.once('exit', () => (this.child = undefined));
  }

  /** Graceful stop with SIGTERM; resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const child = this.child;
    if (!child) return null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill(signal);
    const code = await exited;
    this.child = undefined;
    return code;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /**
   * Kills the process with no chance to clean up (SIGKILL by default: a power cut, an OOM kill) and
   * waits for it to be gone. `start()` then brings it back on the same port and data folder.
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await exited;
    this.child = undefined;
  }

  /** The relay's process id (for benchmarks reading its /proc entries), while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Runs the operator CLI against this relay's data folder, as `npm run relay -- …` would. */
  async cli(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    return run(process.execPath, [...CLI, ...args], { cwd: REPO_ROOT, env: this.processEnv() });
  }

  /** Creates a registration token with the real CLI; the token is the last line of its output. */
  async createToken(uses = 1, expires = '1h'): Promise<string> {
    const { stdout } = await this.cli('token', 'create', '--uses', String(uses), '--expires', expires);
    const token = stdout.trim().split('\n').at(-1)?.trim();
    if (!token) throw new Error(`token create printed nothing:\n${stdout}`);
    return token;
  }

  async dispose(): Promise<void> {
    if (this.child) {
      const child = this.child;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    if (this.ownsDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}
