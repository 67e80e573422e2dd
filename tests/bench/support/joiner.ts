import type { Profiler } from 'node:inspector';
import { Session } from 'node:inspector/promises';
import { AvisoClient, type Group } from '@aviso/client';

/**
 * A newcomer in a process of its own (so its memory is its own), driven over IPC by the bench:
 * `join` runs `client.join(code)` through the real SDK with a SQLite store, then the process stays
 * up as a member for `sync` requests until `close`. Every HTTP exchange is counted by a wrapped fetch.
 */

export type JoinerRequest =
  | { type: 'join'; code: string; dataDir: string; profile?: boolean }
  | { type: 'sync'; profile?: boolean }
  | { type: 'close' };

export interface HttpCounts {
  requests: number;
  /** Wall time spent waiting for responses (relay work + network), ms. */
  httpMs: number;
  bytesIn: number;
  bytesOut: number;
  /** Response bytes of log reads (`GET …/changes`). */
  logBytes: number;
  logRequests: number;
  /** Wall time of registration requests (relay info, account, prekeys), ms. */
  registerMs: number;
}

export interface MemoryCounts {
  rssBefore: number;
  rssAfter: number;
  /** Heap in use after a full GC, before and after: what the joined group keeps alive. */
  heapBefore: number;
  heapAfter: number;
  /** Peak RSS of the process so far (from the kernel), bytes. */
  maxRss: number;
}

export type JoinerResponse =
  | { type: 'joined'; ms: number; settledMs: number; version: number; memberCount: number; http: HttpCounts; memory: MemoryCounts; profile?: ProfileEntry[] }
  | { type: 'synced'; ms: number; cpuMs: number; version: number; http: HttpCounts; profile?: ProfileEntry[] }
  | { type: 'failed'; error: string };

export interface ProfileEntry {
  name: string;
  selfMs: number;
}

let counts = emptyCounts();
let client: AvisoClient | undefined;
let group: Group | undefined;

function emptyCounts(): HttpCounts {
  return { requests: 0, httpMs: 0, bytesIn: 0, bytesOut: 0, logBytes: 0, logRequests: 0, registerMs: 0 };
}

async function countingFetch(input: string, init: RequestInit): Promise<Response> {
  const started = performance.now();
  const res = await fetch(input, init);
  const body = await res.arrayBuffer();
  const ms = performance.now() - started;
  const path = new URL(input).pathname;
  counts.requests++;
  counts.httpMs += ms;
  counts.bytesIn += body.byteLength;
  counts.bytesOut += typeof init.body === 'string' ? Buffer.byteLength(init.body) : 0;
  if ((init.method ?? 'GET') === 'GET' && path.endsWith('/changes')) {
    counts.logBytes += body.byteLength;
    counts.logRequests++;
  }
  if (path === '/v1/relay' || path === '/v1/accounts' || path === '/v1/keys') counts.registerMs += ms;
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function join(req: Extract<JoinerRequest, { type: 'join' }>): Promise<JoinerResponse> {
  client = await AvisoClient.open({ dataDir: req.dataDir, fetch: countingFetch, groupSyncIntervalMs: 0 });
  gc();
  const before = process.memoryUsage();
  counts = emptyCounts();
  const session = req.profile ? await startProfiler() : undefined;
  const started = performance.now();
  group = await client.join(req.code, { displayName: 'newcomer' });
  const ms = performance.now() - started;
  const profile = session ? await stopProfiler(session) : undefined;
  const rssAfter = process.memoryUsage().rss;
  gc();
  const after = process.memoryUsage();
  const memory: MemoryCounts = {
    rssBefore: before.rss,
    rssAfter,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
  const http = counts;
  // members() syncs, then waits for the snapshot members' identity bindings (checked after join() returned).
  const members = await group.members();
  const settledMs = performance.now() - started;
  return { type: 'joined', ms, settledMs, version: group.version, memberCount: members.length, http, memory, ...(profile ? { profile } : {}) };
}

async function sync(req: Extract<JoinerRequest, { type: 'sync' }>): Promise<JoinerResponse> {
  if (!group) throw new Error('not joined');
  counts = emptyCounts();
  const session = req.profile ? await startProfiler() : undefined;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await group.sync();
  const ms = performance.now() - started;
  // This process's CPU (user + system) over the sync: other processes on the cores move it less than the wall time.
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  const profile = session ? await stopProfiler(session) : undefined;
  return { type: 'synced', ms, cpuMs, version: group.version, http: counts, ...(profile ? { profile } : {}) };
}

/** The V8 CPU profiler of this process, started (the bench's --profile and --profile-sync). */
async function startProfiler(): Promise<Session> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return session;
}

async function stopProfiler(session: Session): Promise<ProfileEntry[]> {
  const raw = (await session.post('Profiler.stop')).profile;
  const profile = summarize(raw);
  session.disconnect();
  return profile;
}

/** Self time per function (top 15), from the V8 CPU profile of one join or sync. */
function summarize(profile: Profiler.Profile): ProfileEntry[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // The profiler's own start (Profiler.start dispatching, before the timed call) is not the SDK's time.
  const own = new Set<number>();
  const underStart = (id: number): boolean => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) if (byId.get(at)?.callFrame.functionName === 'startProfiler') return true;
    return false;
  };
  for (const n of profile.nodes) if (underStart(n.id)) own.add(n.id);
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]!);
    if (!node || own.has(node.id)) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.replace(/^.*\/(packages|node_modules)\//, '$1/');
    // tsx-compiled sources report line 1 for everything; the file is enough there.
    const name = `${functionName || '(anonymous)'} ${file && lineNumber > 0 ? `${file}:${lineNumber + 1}` : file}`.trim();
    self.set(name, (self.get(name) ?? 0) + (deltas[i] ?? 0) / 1000);
  }
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([name, selfMs]) => ({ name, selfMs }));
}

process.on('message', (req: JoinerRequest) => {
  void (async () => {
    try {
      if (req.type === 'close') {
        await client?.close();
        process.disconnect();
        return;
      }
      process.send?.(req.type === 'join' ? await join(req) : await sync(req));
    } catch (err) {
      process.send?.({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) } satisfies JoinerResponse);
    }
  })();
});
