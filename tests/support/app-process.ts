import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { entry } from './entry.js';
import { REPO_ROOT } from './relay.js';

const run = promisify(execFile);
const READY = /^aviso app ready at (http:\/\/127\.0\.0\.1:(\d+)\/#k=([0-9a-f]+))$/m;

/** Builds packages/app/dist with Vite (under a second), as `npm run app` does before it starts. */
export async function buildApp(): Promise<void> {
  await run('pnpm', ['--filter', '@aviso/app', 'build'], { cwd: REPO_ROOT });
}

/**
 * A real `aviso app --no-open` process (the CLI and the member host it runs) on its own AVISO_HOME,
 * started the way `npm run app` starts it; `url` is the one line it prints.
 */
export class AppProcess {
  url = '';
  port = 0;
  token = '';
  log = '';
  readonly home: string;
  readonly #ownHome: boolean;
  #child: ChildProcess | undefined;

  private constructor(home: string | undefined) {
    this.home = home ?? mkdtempSync(join(tmpdir(), 'aviso-app-'));
    this.#ownHome = home === undefined;
  }

  /** On its own fresh AVISO_HOME, or on `home` (shared with other aviso processes, left in place). */
  static async start(args: string[] = [], home?: string): Promise<AppProcess> {
    const app = new AppProcess(home);
    await app.#start(args);
    return app;
  }

  async #start(args: string[]): Promise<void> {
    const child = spawn(process.execPath, [...entry('aviso'), 'app', '--no-open', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, AVISO_HOME: this.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`aviso app did not start within 60 s:\n${this.log}`)), 60_000);
      const onData = (chunk: Buffer) => {
        this.log += chunk.toString();
        const m = READY.exec(this.log);
        if (!m) return;
        clearTimeout(timer);
        [this.url, this.port, this.token] = [m[1]!, Number(m[2]), m[3]!];
        resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (c: Buffer) => (this.log += c.toString()));
      child.once('exit', (code) => reject(new Error(`aviso app exited with ${code}:\n${this.log}`)));
    });
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Exchanges the launch token for the session cookie as the app's page does (POST /api/session from
   * our origin); resolves with the `name=value` to send as Cookie. Works once per process.
   */
  async session(): Promise<string> {
    const body = JSON.stringify({ token: this.token });
    const setCookie = await new Promise<string[] | undefined>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: this.port, path: '/api/session', method: 'POST', headers: { Host: `127.0.0.1:${this.port}`, Origin: this.origin, 'Content-Type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(res.headers['set-cookie']) : reject(new Error(`session exchange: HTTP ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
    const cookie = setCookie?.[0]?.split(';')[0];
    if (!cookie) throw new Error('session exchange set no cookie');
    return cookie;
  }

  /** SIGTERM, as a service manager stops it; resolves with the exit code. */
  async stop(): Promise<number | null> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    return exited;
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.#ownHome) rmSync(this.home, { recursive: true, force: true });
  }
}
