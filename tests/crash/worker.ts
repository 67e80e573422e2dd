import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../support/relay.js';
import { until } from './helpers.js';

const WORKER = ['--conditions=@aviso/source', '--import', 'tsx', 'tests/crash/member-worker.ts'];
const running = new Set<ChildProcess>();

/** SIGKILLs every worker still running (test teardown). */
export function killWorkers(): void {
  for (const w of running) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
  running.clear();
}

/** A line the worker prints (see member-worker.ts). */
export type Line =
  | { t: 'ready' }
  | { t: 'alert'; title: string }
  | { t: 'progress'; done: number; pending: number; complete: boolean }
  | { t: 'rejected'; reason: string; message: string } | { t: 'error'; message: string; transient: boolean } | { t: 'dump'; alerts: string[] };

/** One run of the worker process, with every line it printed. */
export class Worker {
  readonly lines: Line[] = [];
  stderr = '';
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;

  constructor(dataDir: string, groupId: string) {
    this.child = spawn(process.execPath, [...WORKER, dataDir, groupId], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(this.child);
    createInterface({ input: this.child.stdout! }).on('line', (l) => this.lines.push(JSON.parse(l) as Line));
    this.child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((r) => this.child.once('exit', () => r()));
  }

  async waitFor(check: (lines: Line[]) => boolean, what: string, ms = 120_000): Promise<void> {
    let dead = false;
    void this.exited.then(() => (dead = true));
    await until(() => check(this.lines) || dead, () => `${what} from the worker`, ms);
    if (!check(this.lines)) throw new Error(`worker exited before ${what}:\n${this.stderr}`);
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  dump(): void {
    this.child.stdin!.write('dump\n');
  }
}
