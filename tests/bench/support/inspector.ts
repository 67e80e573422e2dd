import { WebSocket } from 'ws';

/**
 * Another Node process's inspector (Chrome DevTools protocol over its WebSocket): force a full GC,
 * evaluate an expression, take a heap snapshot. The process must run with `--inspect=127.0.0.1:0`;
 * its "Debugger listening on ws://…" line gives the URL.
 */
export class RemoteInspector {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (result: unknown) => void; reject: (err: Error) => void }>();
  private readonly listeners = new Map<string, (params: unknown) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: unknown };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result);
      } else if (msg.method) this.listeners.get(msg.method)?.(msg.params);
    });
  }

  /** Connects to the inspector URL printed in `log` (the process's stderr so far). */
  static async fromLog(log: string): Promise<RemoteInspector> {
    const url = /Debugger listening on (ws:\/\/\S+)/.exec(log)?.[1];
    if (!url) throw new Error('the process did not open its inspector (start it with --inspect=127.0.0.1:0)');
    const ws = new WebSocket(url, { maxPayload: 1024 * 1024 * 1024 });
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    return new RemoteInspector(ws);
  }

  call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: (r) => resolve(r as T), reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Full, compacting GCs (twice: the first may leave work for weak callbacks and finalizers). */
  async gc(): Promise<void> {
    await this.call('HeapProfiler.enable');
    await this.call('HeapProfiler.collectGarbage');
    await this.call('HeapProfiler.collectGarbage');
  }

  /** Evaluates `expression` in the process's main context and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = await this.call<{ result: { value?: T }; exceptionDetails?: { text: string } }>('Runtime.evaluate', { expression, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`evaluate failed: ${r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  /** A heap snapshot, as the parsed JSON (can be tens of MiB). */
  async heapSnapshot(): Promise<HeapSnapshot> {
    const chunks: string[] = [];
    this.listeners.set('HeapProfiler.addHeapSnapshotChunk', (p) => chunks.push((p as { chunk: string }).chunk));
    await this.call('HeapProfiler.enable');
    await this.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false, captureNumericValue: false });
    this.listeners.delete('HeapProfiler.addHeapSnapshotChunk');
    return JSON.parse(chunks.join('')) as HeapSnapshot;
  }

  close(): void {
    this.ws.close();
  }
}

export interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapClass {
  /** "type name", e.g. "object WebSocket", "closure onMessage", "string", "array (object elements)". */
  key: string;
  count: number;
  selfBytes: number;
}

/** Self size and count per kind of object (V8 node type plus constructor name where it has one). */
export function heapClasses(s: HeapSnapshot): Map<string, HeapClass> {
  const fields = s.snapshot.meta.node_fields;
  const types = s.snapshot.meta.node_types[0];
  const width = fields.length;
  const fType = fields.indexOf('type');
  const fName = fields.indexOf('name');
  const fSize = fields.indexOf('self_size');
  const out = new Map<string, HeapClass>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + fType]!] ?? '?';
    const name = s.strings[s.nodes[i + fName]!] ?? '?';
    // Strings and numbers are named by their content: group them by type only.
    const key = type === 'object' || type === 'closure' || type === 'native' || type === 'hidden' || type === 'array' || type === 'code' ? `${type} ${name.slice(0, 60)}` : type;
    const c = out.get(key) ?? { key, count: 0, selfBytes: 0 };
    c.count++;
    c.selfBytes += s.nodes[i + fSize]!;
    out.set(key, c);
  }
  return out;
}

/** after − before per class, largest growth first. */
export function heapGrowth(before: Map<string, HeapClass>, after: Map<string, HeapClass>): HeapClass[] {
  return [...after.values()]
    .map((a) => {
      const b = before.get(a.key);
      return { key: a.key, count: a.count - (b?.count ?? 0), selfBytes: a.selfBytes - (b?.selfBytes ?? 0) };
    })
    .sort((x, y) => y.selfBytes - x.selfBytes);
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[] | undefined;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[] | undefined;
  timeDeltas?: number[] | undefined;
}

export interface ProfileEntry {
  name: string;
  ms: number;
}

/**
 * Where a V8 CPU profile's time went: self time per function, and each sample charged to the
 * innermost Aviso function (packages/*) on its stack, which says who caused the library and native time.
 */
export function summarizeProfile(profile: CpuProfile, top = 15): { self: ProfileEntry[]; ours: ProfileEntry[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode) => {
    const { functionName, url, lineNumber } = n.callFrame;
    const file = url.replace(/^.*\/(packages|node_modules)\//, '$1/').replace(/^node_modules\/\.pnpm\/[^/]+\/node_modules\//, '');
    return `${functionName || '(anonymous)'} ${file && lineNumber > 0 ? `${file}:${lineNumber + 1}` : file}`.trim();
  };
  const self = new Map<string, number>();
  const ours = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]!);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    // DevTools' convention, as support/profile-top.ts and profile-shares.ts: a sample lasts until the next one.
    const t = (deltas[i + 1] ?? 0) / 1000;
    add(self, label(node), t);
    let at: ProfileNode | undefined = node;
    while (at && !at.callFrame.url.includes('/packages/')) at = byId.get(parent.get(at.id) ?? -1);
    add(ours, at ? label(at) : `(outside Aviso code) ${label(node)}`, t);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({ name, ms }));
  return { self: sorted(self), ours: sorted(ours) };
}
