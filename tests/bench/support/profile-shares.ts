import type { CpuProfile } from './inspector.js';

/**
 * Where a process's main thread spent a V8 CPU profile, as shares of the sampled time, grouped by
 * whose code ran: the libraries a drain or a relay round leans on, the runtime (GC, waiting), and ours.
 *
 * A sample is charged by its stack, leaf first:
 * - a JavaScript frame (it has a url) is charged to its package: `@signalapp/libsignal-client`, the
 *   SQLite bindings, zod, `ws`, Node's crypto/Buffer/encoding modules, our packages/*, …;
 * - a native frame (no url: an addon's or Node binding's C++ function) is charged to the nearest
 *   JavaScript frame that called it, so libsignal's native work under its JS wrappers is libsignal's,
 *   and a hash binding under node:crypto is crypto's. One exception: better-sqlite3's statement
 *   methods (`run`, `get`, `all` …) are native and our store (or drizzle-orm) calls them directly; a
 *   native leaf of those names right under our code or drizzle is SQLite's (a commit's fsync happens
 *   inside `run`);
 * - a stack with no JavaScript frame at all is V8's own label: `(garbage collector)`, `(idle)`,
 *   `(program)` (V8 outside any JavaScript: the event loop, waiting included, and native code it runs),
 *   or a native function the loop called with no JavaScript below it. V8 names these by the nearest
 *   symbol it finds, often a wrong one (`signal_neon_futures::future::settle_promise<…>` for many
 *   different libsignal functions); they are grouped as "native, no JS frame".
 * Samples of the profiler itself (a stack through node:inspector: starting and stopping it) are left out.
 * Durations follow DevTools: a sample lasts until the next one.
 */

export interface ProfileShare {
  group: string;
  /** Share of the sampled time, 0–1. */
  share: number;
}

export interface ProfileShares {
  /** Sampled main-thread time, ms (the profiler's own samples left out). */
  sampledMs: number;
  groups: ProfileShare[];
  /** The heaviest functions by self time, `top` of them. */
  self: Array<{ name: string; share: number; group: string }>;
  /**
   * Of the "native, no JS frame" time, the part under symbol names of libsignal's Rust code
   * (`signal_…`, `libsignal_…`, neon, the Node binding's glue), 0–1: what says it is libsignal's.
   */
  nativeLibsignal: number;
  /** The heaviest symbol name among those native frames (shortened), if any. */
  nativeTop: string | undefined;
}

/** Symbol names from libsignal's Node binding (Rust, neon): V8 labels libsignal's native frames with them. */
const LIBSIGNAL_SYMBOL = /signal|neon/i;

export const GROUP = {
  libsignal: 'libsignal (`@signalapp/libsignal-client`: JS wrappers and the native calls under them)',
  native: 'native, no JS frame (mostly libsignal, inferred: see below)',
  sqlite: 'SQLite (better-sqlite3 native calls, commits and their fsync included)',
  drizzle: 'drizzle-orm (SQL query builder over better-sqlite3)',
  zod: 'zod (schema checks)',
  crypto: 'node:crypto, Buffer and text encoding',
  ws: 'WebSocket (`ws`) and sockets (node:net, streams; HTTP requests too)',
  ours: 'our code (packages/*/src)',
  gc: 'GC (garbage collector)',
  idle: 'idle (V8 `(idle)`)',
  program: 'V8 `(program)`: the event loop outside JS (waiting included)',
  node: 'other Node internals (node:*)',
  deps: 'other dependencies',
  other: 'other (the bench harness, tsx)',
} as const;

/** better-sqlite3's native Statement/Database methods, called straight from our store code. */
const SQLITE_NATIVE = new Set(['run', 'get', 'all', 'iterate', 'exec', 'prepare', 'pragma', 'raw', 'pluck', 'expand', 'bind', 'columns', 'close', 'checkpoint']);

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[] | undefined;
}

/** The package a url belongs to (after the last node_modules/, so pnpm's folder names do not count). */
function packageOf(url: string): string | undefined {
  const at = url.lastIndexOf('/node_modules/');
  if (at < 0) return undefined;
  const parts = url.slice(at + '/node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : parts[0];
}

function groupOfUrl(url: string): string {
  if (url.startsWith('node:')) {
    if (/^node:(internal\/)?(crypto|buffer|encoding)\b/.test(url) || url.startsWith('node:internal/crypto/')) return GROUP.crypto;
    if (/^node:(net|stream|internal\/(stream_base_commons|streams\/|net))\b/.test(url)) return GROUP.ws;
    return GROUP.node;
  }
  const pkg = packageOf(url);
  if (pkg !== undefined) {
    if (pkg === '@signalapp/libsignal-client') return GROUP.libsignal;
    if (pkg.startsWith('better-sqlite3')) return GROUP.sqlite;
    if (pkg === 'drizzle-orm') return GROUP.drizzle;
    if (pkg === 'zod') return GROUP.zod;
    if (pkg === 'ws') return GROUP.ws;
    return GROUP.deps;
  }
  if (url.includes('/packages/')) return GROUP.ours;
  return GROUP.other;
}

/**
 * A function's label for the self-time list: name and file (from packages/, or the package's name).
 * No line for TypeScript files: tsx compiles each to a line or so, and the profile has no source map.
 */
function label(n: Node): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const short = functionName.replace(/<.*>$/s, '<…>');
  const name = short.length > 70 ? `${short.slice(0, 67)}…` : short || '(anonymous)';
  if (!url) return `${name} (native)`;
  const file = url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*?\/(packages|tests)\//, '$1/');
  return file.endsWith('.ts') ? `${name} ${file}` : `${name} ${file}:${lineNumber + 1}`;
}

export function profileShares(profile: CpuProfile & { endTime?: number; startTime?: number }, top = 15): ProfileShares {
  const byId = new Map<number, Node>(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const groups = new Map<string, number>();
  const self = new Map<string, number>();
  const selfGroup = new Map<string, string>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const cache = new Map<number, string | null>();
  // The group of a leaf node (null: the profiler's own sample), memoised per node.
  const groupOf = (leaf: Node): string | null => {
    const hit = cache.get(leaf.id);
    if (hit !== undefined) return hit;
    let result: string | undefined;
    let js: Node | undefined;
    for (let at: Node | undefined = leaf; at; at = byId.get(parent.get(at.id) ?? -1)) {
      if (at.callFrame.url === 'node:inspector') {
        cache.set(leaf.id, null);
        return null;
      }
      if (js === undefined && at.callFrame.url) js = at;
    }
    const name = leaf.callFrame.functionName;
    if (js === undefined) {
      result = name === '(garbage collector)' ? GROUP.gc : name === '(idle)' ? GROUP.idle : name === '(program)' ? GROUP.program : GROUP.native;
    } else {
      result = groupOfUrl(js.callFrame.url);
      if (js !== leaf && (result === GROUP.ours || result === GROUP.drizzle) && SQLITE_NATIVE.has(name)) result = GROUP.sqlite;
    }
    cache.set(leaf.id, result);
    return result;
  };
  // DevTools' convention: sample i lasts from its timestamp to sample i + 1's (the last one to endTime).
  let t = profile.startTime ?? 0;
  const stamps = deltas.map((d) => (t += d));
  let total = 0;
  let native = 0;
  let nativeSignal = 0;
  const nativeNames = new Map<string, number>();
  for (let i = 0; i < samples.length; i++) {
    const leaf = byId.get(samples[i]!);
    if (!leaf) continue;
    const next = i + 1 < stamps.length ? stamps[i + 1]! : (profile.endTime ?? stamps[i]!);
    const us = Math.max(0, next - stamps[i]!);
    const group = groupOf(leaf);
    if (group === null) continue;
    total += us;
    add(groups, group, us);
    if (group === GROUP.native) {
      native += us;
      if (LIBSIGNAL_SYMBOL.test(leaf.callFrame.functionName)) nativeSignal += us;
      add(nativeNames, leaf.callFrame.functionName.replace(/<.*>$/s, '<…>'), us);
    }
    add(self, label(leaf), us);
    selfGroup.set(label(leaf), group);
  }
  const share = (us: number) => (total > 0 ? us / total : 0);
  const order: string[] = Object.values(GROUP);
  return {
    sampledMs: total / 1000,
    groups: [...groups].map(([group, us]) => ({ group, share: share(us) })).sort((a, b) => order.indexOf(a.group) - order.indexOf(b.group)),
    nativeLibsignal: native > 0 ? nativeSignal / native : 0,
    nativeTop: [...nativeNames].sort((a, b) => b[1] - a[1])[0]?.[0],
    self: [...self].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => ({ name, share: share(us), group: selfGroup.get(name) ?? GROUP.other })),
  };
}

export const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

/** The group table's rows: group, share of sampled time (every group listed, 0 % included). */
export function shareRows(s: ProfileShares): string[][] {
  const got = new Map(s.groups.map((g) => [g.group, g.share]));
  return Object.values(GROUP).map((group) => [group, pct(got.get(group) ?? 0)]);
}

/** Each group's short name, for the self-time list. */
const SHORT: Record<string, string> = {
  [GROUP.libsignal]: 'libsignal',
  [GROUP.native]: 'native, no JS frame',
  [GROUP.sqlite]: 'SQLite',
  [GROUP.drizzle]: 'drizzle-orm',
  [GROUP.zod]: 'zod',
  [GROUP.crypto]: 'crypto/Buffer',
  [GROUP.ws]: 'WebSocket',
  [GROUP.ours]: 'ours',
  [GROUP.gc]: 'GC',
  [GROUP.idle]: 'idle',
  [GROUP.program]: '(program)',
  [GROUP.node]: 'Node internals',
  [GROUP.deps]: 'other dependency',
  [GROUP.other]: 'other',
};

/** The top self-time rows: rank, share, function, its group's short name. */
export function selfRows(s: ProfileShares): string[][] {
  return s.self.map((f, i) => [String(i + 1), pct(f.share), f.name, SHORT[f.group] ?? f.group]);
}

/** The share of one group, 0 when absent. */
export function shareOf(s: ProfileShares, group: string): number {
  return s.groups.find((g) => g.group === group)?.share ?? 0;
}
