import { fork, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../../support/relay.js';
import type { MemberSet, MembersRequest, MembersResponse } from './member-sockets.js';

const CHILD = resolve(import.meta.dirname, 'member-sockets.ts');
const NODE_ARGS = ['--conditions=@aviso/source', '--import', 'tsx'];

type Of<T extends MembersResponse['type']> = Extract<MembersResponse, { type: T }>;

/**
 * The parent's handle on support/member-sockets.ts: requests go out over IPC, answers come back in
 * order per type. A failure in the child (or its exit) rejects everything waiting, so a broken run
 * fails loudly instead of hanging.
 */
export class MembersProcess {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<string, Array<{ resolve: (r: MembersResponse) => void; reject: (e: Error) => void }>>();
  private readonly early = new Map<string, MembersResponse[]>();
  private failure: Error | undefined;

  constructor(options: { maxOldSpaceMiB?: number } = {}) {
    const execArgv = [...NODE_ARGS, ...(options.maxOldSpaceMiB ? [`--max-old-space-size=${options.maxOldSpaceMiB}`] : [])];
    this.child = fork(CHILD, [], { cwd: REPO_ROOT, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (res: MembersResponse) => {
      if (res.type === 'failed') return this.fail(new Error(`member sockets: ${res.error}`));
      const key = `${res.type}:${res.set}`;
      const w = this.waiting.get(key)?.shift();
      if (w) w.resolve(res);
      else this.early.set(key, [...(this.early.get(key) ?? []), res]);
    });
    this.child.once('exit', (code) => this.fail(new Error(`member sockets process exited (${code})`)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const list of this.waiting.values()) for (const w of list.splice(0)) w.reject(err);
  }

  private next<T extends MembersResponse['type']>(type: T, set: MemberSet, timeoutMs: number): Promise<Of<T>> {
    const key = `${type}:${set}`;
    const ready = this.early.get(key)?.shift();
    if (ready) return Promise.resolve(ready as Of<T>);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolveNext, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${type}' from the ${set} members within ${timeoutMs / 1000} s`)), timeoutMs);
      const list = this.waiting.get(key) ?? [];
      list.push({
        resolve: (r) => (clearTimeout(timer), resolveNext(r as Of<T>)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.waiting.set(key, list);
    });
  }

  private send(req: MembersRequest): void {
    this.child.send(req);
  }

  async open(req: Extract<MembersRequest, { type: 'open-relay' | 'open-plain' | 'open-mqtt' }>, timeoutMs = 10 * 60_000): Promise<Of<'opened'>> {
    const set: MemberSet = req.type === 'open-relay' ? 'relay' : req.type === 'open-plain' ? 'plain' : 'mqtt';
    const opened = this.next('opened', set, timeoutMs);
    this.send(req);
    return opened;
  }

  /**
   * Arms a report for when `set` has acknowledged `total` messages in all (since it was opened).
   * Resolves once armed, with the promise of the report (wrapped, so awaiting this does not wait for it).
   */
  async expect(set: MemberSet, total: number, timeoutMs = 10 * 60_000): Promise<{ reached: Promise<{ at: bigint; count: number; lastBytes: number }> }> {
    const armed = this.next('armed', set, 60_000);
    const report = this.next('reached', set, timeoutMs);
    const reached = report.then((r) => ({ at: BigInt(r.at), count: r.count, lastBytes: r.lastBytes }));
    reached.catch(() => undefined); // awaited by the caller; this only keeps a failure meanwhile from counting as unhandled
    this.send({ type: 'expect', set, total });
    await armed;
    return { reached };
  }

  async closeSet(set: MemberSet): Promise<void> {
    const closed = this.next('closed', set, 60_000);
    this.send({ type: 'close-set', set });
    await closed;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || !this.child.connected) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.send({ type: 'close' } satisfies MembersRequest);
    await exited;
  }
}
