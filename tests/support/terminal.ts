import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from './cli-process.js';
import { REPO_ROOT } from './relay.js';

/** `aviso` on a real pseudo-terminal (util-linux `script`) of `cols` columns: all it drew, and Ctrl-C. */
export class OnTerminal {
  readonly child: ChildProcess;
  output = '';

  constructor(home: string, args: readonly string[], cols: number, env: Record<string, string | undefined> = {}) {
    const command = [process.execPath, ...CLI, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    this.child = spawn('script', ['-qfc', `stty cols ${cols} rows 40; exec ${command}`, '/dev/null'], { cwd: REPO_ROOT, env: { ...process.env, AVISO_HOME: home, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (c: Buffer) => (this.output += c.toString()));
    this.child.stderr!.on('data', (c: Buffer) => (this.output += c.toString()));
  }

  async waitFor(pattern: RegExp, what: string, ms = 120_000): Promise<void> {
    const until = Date.now() + ms;
    while (!pattern.test(this.output)) {
      if (this.child.exitCode !== null || Date.now() > until) throw new Error(`no ${what}:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Ctrl-C typed at the terminal; resolves with the exit status. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((r) => this.child.once('close', (code) => r(code)));
    this.child.stdin!.write('\x03');
    setTimeout(() => this.child.kill('SIGTERM'), 10_000).unref();
    return exited;
  }
}

/** The last full frame the board drew (after its last clear-screen), lines without the escapes we send. */
export function lastFrame(output: string): string[] {
  const frames = output.split('\x1b[2J');
  // eslint-disable-next-line no-control-regex
  return frames.at(-1)!.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replaceAll('\x07', '').split(/\r?\n/);
}
