import { spawn, type ChildProcess } from 'node:child_process';
import { entry } from './entry.js';
import { REPO_ROOT } from './relay.js';

/** The `aviso` CLI as users run it: a real process, its own AVISO_HOME, no terminal. */
export const CLI = entry('aviso');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `input`, when given, is written to the command's standard input (which is otherwise closed). */
export function runAviso(home: string, args: readonly string[], env: Readonly<Record<string, string>> = {}, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, AVISO_HOME: home, ...env }, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (input !== undefined) child.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A long-running `aviso` (listen) in the background: everything it printed so far, and Ctrl-C. */
export class BackgroundAviso {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  #waiters: Array<() => void> = [];

  constructor(home: string, args: readonly string[], env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, [...CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, AVISO_HOME: home, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const wake = () => {
      for (const w of this.#waiters.splice(0)) w();
    };
    this.child.stdout!.on('data', (c: Buffer) => ((this.stdout += c.toString()), wake()));
    this.child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.child.once('exit', wake);
  }

  /** Resolves once stdout matches `pattern`; rejects if the process exits first or after `ms`. */
  waitFor(pattern: RegExp, what: string, ms = 120_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms:\n${this.stdout}\n${this.stderr}`)), ms);
      const check = () => {
        if (pattern.test(this.stdout)) {
          clearTimeout(timer);
          resolve();
        } else if (this.child.exitCode !== null) {
          clearTimeout(timer);
          reject(new Error(`exited (${this.child.exitCode}) before ${what}:\n${this.stdout}\n${this.stderr}`));
        } else this.#waiters.push(check);
      };
      check();
    });
  }

  /** Ctrl-C; resolves with the exit status once the process closed. */
  async interrupt(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((r) => this.child.once('exit', (code) => r(code)));
    this.child.kill('SIGINT');
    return exited;
  }
}
