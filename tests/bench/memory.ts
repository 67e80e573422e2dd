import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, RelayProcess } from '../support/relay.js';
import { registerRaw } from '../support/raw-account.js';
import { heapClasses, heapGrowth, RemoteInspector } from './support/inspector.js';
import { MembersProcess } from './support/members-process.js';
import { BENCH_RELAY_ENV, statusBytes } from './support/proc.js';
import { addSection, benchCommand, describeDisk, mdTable, met, noteRelayDir } from './support/report.js';
import { bytes, mapLimit, ms, table } from './support/stats.js';
import { intFlag } from './support/flags.js';

/**
 * Relay memory per idle authenticated connection: register `connections` devices, read the relay's
 * RSS (after forced full GCs), open one authenticated WebSocket per device from a separate process,
 * let them go idle, GC, read RSS again. Baseline in the same run: a bare `ws` server process holding
 * as many idle sockets from the same process. Then, to say what a connection costs, a heap snapshot
 * with the sockets open against one after they closed: per-connection objects by kind.
 */

export interface MemoryBenchOptions {
  connections: number;
  /** Idle time after the last socket opened, before measuring (a ws-level ping or two goes by). */
  idleMs: number;
  /** Heap snapshots with and without the sockets (takes a while at 5,000). */
  profile: boolean;
  dataDir: string;
}

export function parseMemoryArgs(argv: string[]): MemoryBenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: { 'memory-connections': { type: 'string' }, 'memory-idle-ms': { type: 'string' }, 'memory-no-profile': { type: 'boolean' }, 'memory-dir': { type: 'string' } },
  });
  return {
    connections: intFlag(values, 'memory-connections', 5000, 10, 15_000),
    idleMs: intFlag(values, 'memory-idle-ms', 5000, 0, 600_000),
    profile: values['memory-no-profile'] !== true,
    // Memory, not durability, is measured: tmpfs keeps 5,000 registrations from waiting on fsync.
    dataDir: typeof values['memory-dir'] === 'string' ? values['memory-dir'] : defaultDir(),
  };
}

const defaultDir = () => (existsSync('/dev/shm') ? '/dev/shm' : tmpdir());

function flags(o: MemoryBenchOptions): string[] {
  return ['--only', 'memory', '--memory-connections', String(o.connections), '--memory-idle-ms', String(o.idleMs), ...(o.profile ? [] : ['--memory-no-profile']), ...(o.dataDir === defaultDir() ? [] : ['--memory-dir', o.dataDir])];
}

/** Per-connection target for the relay (issue "Proof"). */
const TARGET_BYTES = 12 * 1024;
const PLAIN_SERVER = resolve(import.meta.dirname, 'support', 'plain-ws-server.ts');

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

const sleep = (msToWait: number) => new Promise((r) => setTimeout(r, msToWait));

interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

interface Reading {
  rss: number;
  usage: MemoryUsage | undefined;
}

/** The soft open-files limit this process (and so the relay and the member process it starts) runs with. */
function openFilesLimit(): number {
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m?.[1] === undefined || m[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m[1]);
}

export async function benchMemory(o: MemoryBenchOptions): Promise<void> {
  // The relay and the member process each hold one descriptor per socket, plus their own files.
  const limit = openFilesLimit();
  if (limit < o.connections + 256) throw new RangeError(`${o.connections} sockets need \`ulimit -n\` ≥ ${o.connections + 256} (it is ${limit}); raise it in the shell that runs the bench`);
  log(`\n## Memory: relay RSS per idle authenticated connection at ${o.connections.toLocaleString('en')} connections`);
  const relayData = mkdtempSync(join(o.dataDir, 'aviso-bench-memory-relay-'));
  noteRelayDir(o.dataDir);
  const relay = await RelayProcess.start({ dataDir: relayData, env: { ...BENCH_RELAY_ENV, NODE_OPTIONS: '--inspect=127.0.0.1:0' } });
  const inspector = await RemoteInspector.fromLog(relay.log);
  const members = new MembersProcess();
  try {
    const pid = relay.pid!;
    const token = await relay.createToken(o.connections + 10, '1d');
    log(`Registering ${o.connections} devices (raw accounts) …`);
    let started = performance.now();
    const accounts = await mapLimit(Array.from({ length: o.connections }, (_, i) => i), 16, () => registerRaw(relay.url, token));
    log(`  in ${ms(performance.now() - started)}`);

    const read = async (): Promise<Reading> => {
      await inspector.gc();
      await sleep(500); // let the allocator hand freed pages back before reading
      await inspector.gc();
      return { rss: statusBytes(pid, 'VmRSS'), usage: await inspector.evaluate<MemoryUsage>('process.memoryUsage()') };
    };
    const before = await read();
    log(`  relay RSS before: ${bytes(before.rss)} (heap used ${bytes(before.usage?.heapUsed ?? 0)})`);

    started = performance.now();
    await members.open({ type: 'open-relay', url: relay.url, authorizations: accounts.map((a) => a.authorization), concurrency: 50 });
    log(`${o.connections} authenticated sockets open (each got queue.empty) in ${ms(performance.now() - started)}; idle ${ms(o.idleMs)} …`);
    await sleep(o.idleMs);
    const after = await read();
    const perConn = (after.rss - before.rss) / o.connections;
    log(`  relay RSS after: ${bytes(after.rss)}: ${bytes(Math.round(perConn))} per connection (target ≤ ${bytes(TARGET_BYTES)}: ${perConn <= TARGET_BYTES ? 'met' : 'NOT met'})`);

    let growth: ReturnType<typeof heapGrowth> | undefined;
    if (o.profile) {
      log('Heap snapshot with the sockets open, then after they closed …');
      const withSockets = heapClasses(await inspector.heapSnapshot());
      await members.closeSet('relay');
      await sleep(3000); // the relay sees every close
      await inspector.gc();
      const without = heapClasses(await inspector.heapSnapshot());
      growth = heapGrowth(without, withSockets);
    } else {
      await members.closeSet('relay');
    }

    // ---- baseline: a bare ws server, the same number of idle sockets from the same member process ----
    const plain = await plainBaseline(members, o);
    const plainPer = (plain.after - plain.before) / o.connections;
    log(`  plain ws server: ${bytes(Math.round(plainPer))} per idle connection; relay ÷ plain ws ${(perConn / plainPer).toFixed(2)}×`);
    report(o, { before, after, perConn, plainPer, plain, growth, relayDir: relayData });
  } finally {
    inspector.close();
    await members.close().catch(() => undefined);
    await relay.dispose();
    rmSync(relayData, { recursive: true, force: true });
  }
}

async function plainBaseline(members: MembersProcess, o: MemoryBenchOptions): Promise<{ before: number; after: number }> {
  const child = fork(PLAIN_SERVER, [], { cwd: REPO_ROOT, execArgv: ['--conditions=@aviso/source', '--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((r, j) => {
      child.once('message', (m: { port: number }) => r(m.port));
      child.once('exit', (code) => j(new Error(`plain ws server exited (${code})`)));
    });
    const read = async () => {
      for (let i = 0; i < 2; i++) {
        const done = new Promise((r) => child.once('message', r));
        child.send('gc');
        await done;
        await sleep(500);
      }
      return statusBytes(child.pid!, 'VmRSS');
    };
    const before = await read();
    await members.open({ type: 'open-plain', url: `ws://127.0.0.1:${port}`, count: o.connections, concurrency: 50 });
    await sleep(o.idleMs);
    const after = await read();
    await members.closeSet('plain');
    return { before, after };
  } finally {
    child.kill('SIGKILL');
  }
}

function report(
  o: MemoryBenchOptions,
  r: {
    before: Reading;
    after: Reading;
    perConn: number;
    plainPer: number;
    plain: { before: number; after: number };
    growth: ReturnType<typeof heapGrowth> | undefined;
    relayDir: string;
  },
): void {
  const n = o.connections;
  const per = (a: number, b: number) => bytes(Math.round((a - b) / n));
  const u0 = r.before.usage;
  const u1 = r.after.usage;
  const rows: string[][] = [
    ['RSS (VmRSS)', bytes(r.before.rss), bytes(r.after.rss), per(r.after.rss, r.before.rss)],
    ...(u0 && u1
      ? [
          ['V8 heap used', bytes(u0.heapUsed), bytes(u1.heapUsed), per(u1.heapUsed, u0.heapUsed)],
          ['V8 heap total (reserved)', bytes(u0.heapTotal), bytes(u1.heapTotal), per(u1.heapTotal, u0.heapTotal)],
          ['external (Buffers, native)', bytes(u0.external), bytes(u1.external), per(u1.external, u0.external)],
          ['RSS not in the V8 heap or external', bytes(u0.rss - u0.heapTotal - u0.external), bytes(u1.rss - u1.heapTotal - u1.external), per(u1.rss - u1.heapTotal - u1.external, u0.rss - u0.heapTotal - u0.external)],
        ]
      : []),
    ['plain ws server RSS (baseline)', bytes(r.plain.before), bytes(r.plain.after), per(r.plain.after, r.plain.before)],
  ];
  const header = ['relay process', `before (${n} devices registered)`, `${n} idle sockets`, 'per connection'];
  log(`\n### Results: memory per idle authenticated connection, ${n} connections\n`);
  log(table(header, rows));
  const ok = r.perConn <= TARGET_BYTES;
  log(`   target ≤ ${bytes(TARGET_BYTES)} per connection: ${ok ? 'met' : 'NOT met'} (${bytes(Math.round(r.perConn))}); relay ÷ plain ws ${(r.perConn / r.plainPer).toFixed(2)}×`);
  const top = (r.growth ?? []).filter((g) => g.selfBytes > 0).slice(0, 20);
  const growthRows = top.map((g) => [g.key, (g.count / n).toFixed(2), (g.selfBytes / n).toFixed(0)]);
  const heapPer = (r.growth ?? []).reduce((s, g) => s + g.selfBytes, 0) / n;
  if (r.growth) {
    log(`\n   JS heap per connection by kind (heap snapshot with the sockets open − after they closed; ${bytes(Math.round(heapPer))} per connection in all):`);
    log(table(['kind (V8 type, constructor)', 'objects per connection', 'bytes per connection'], growthRows));
  }
  addSection({
    title: 'Memory per idle authenticated connection',
    command: benchCommand(flags(o)),
    body: [
      `Relay data folder: ${describeDisk(o.dataDir)}.`,
      '',
      `${n.toLocaleString('en')} devices registered, then one authenticated aviso.v1 WebSocket each, opened from a separate process; each socket received its \`queue.empty\` and stayed idle ${ms(o.idleMs)}. Readings after two forced full GCs (the relay's inspector) and a pause; RSS from /proc/<pid>/status. Baseline: a bare \`ws\` server process (no authentication, no per-device state) holding as many idle sockets from the same client process.`,
      '',
      mdTable(header, rows),
      '',
      `Target: ≤ ${bytes(TARGET_BYTES)} of relay RSS per idle connection — ${met(ok)} (${bytes(Math.round(r.perConn))}). Relay ÷ plain ws: ${(r.perConn / r.plainPer).toFixed(2)}×.`,
      ...(r.growth
        ? [
            '',
            `JS heap per connection by kind of object (heap snapshot with the sockets open minus one after they closed): ${bytes(Math.round(heapPer))} per connection in all, the 20 largest:`,
            '',
            mdTable(['kind (V8 type, constructor)', 'objects per connection', 'bytes per connection'], growthRows),
          ]
        : []),
    ].join('\n'),
  });
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await benchMemory(parseMemoryArgs(process.argv.slice(2)));
}
