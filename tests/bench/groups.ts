import { fork, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LIMITS } from '@aviso/protocol';
import { createContext, loadConfig } from '@aviso/server';
import { REPO_ROOT, RelayProcess } from '../support/relay.js';
import { BENCH_RELAY_ENV } from './support/proc.js';
import type { JoinerRequest, JoinerResponse } from './support/joiner.js';
import { relayMeta, RawGroup, RawMember, type Joiner, type RawInvite } from '../support/raw-group.js';
import { addSection, benchCommand, mdTable, noteRelayDir } from './support/report.js';
import { givenFlags, intFlag } from './support/flags.js';
import { bytes, mapLimit, mean, ms, percentile, table } from './support/stats.js';

/**
 * Private groups at size (docs/groups.md): builds a group of N members through a real relay process,
 * then measures what members feel: a newcomer's `client.join(code)` (verifies the whole chain from
 * version 0) and a member's `group.sync()` after missing 100 changes, both through the real SDK.
 * Finally the relay's own cost per append at that size, in-process on the same database.
 */

export interface GroupsBenchOptions {
  /** Group size the joins are measured at (the creator included). */
  members: number;
  /** Newcomers who each join once, in a process of their own. */
  joins: number;
  /** Repetitions of "miss `changes` changes, then sync". */
  syncs: number;
  changes: number;
  /** Members prepared (registered, credential, presentation) in parallel while building. */
  concurrency: number;
  /** One more join under the V8 CPU profiler, printed as self time per function (not in the figures). */
  profile: boolean;
  /** Parent folder of the relay's data folder: tmpfs by default, so building is not bound by fsync. */
  relayDir: string;
  argv: string[];
}

// This benchmark's flags (`strict: false`: the other benchmarks' flags pass through).
const FLAGS = {
  members: { type: 'string' },
  joins: { type: 'string' },
  syncs: { type: 'string' },
  changes: { type: 'string' },
  concurrency: { type: 'string' },
  profile: { type: 'boolean' },
  'relay-dir': { type: 'string' },
} as const;

export function parseGroupsArgs(argv: string[]): GroupsBenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: FLAGS,
  });
  return {
    members: intFlag(values, 'members', 10_000, 2, LIMITS.maxGroupMembers - 2_000),
    joins: intFlag(values, 'joins', 3, 1, 20),
    syncs: intFlag(values, 'syncs', 10, 1, 100),
    changes: intFlag(values, 'changes', 100, 5, 1000),
    concurrency: intFlag(values, 'concurrency', 8, 1, 64),
    profile: values.profile === true,
    relayDir: typeof values['relay-dir'] === 'string' ? values['relay-dir'] : existsSync('/dev/shm') ? '/dev/shm' : tmpdir(),
    // The flags of this benchmark that were given, for the report's rerun command.
    argv: givenFlags(values, Object.keys(FLAGS)),
  };
}

const JOINER = resolve(import.meta.dirname, 'support', 'joiner.ts');
const NODE_ARGS = ['--conditions=@aviso/source', '--expose-gc', '--import', 'tsx'];
const BATCH = 100;
/** Joins appended in-process when measuring the relay's append cost (and as many admin changes). */
const SERVICE_SAMPLES = 50;

/** A newcomer process (support/joiner.ts), one request at a time. */
class JoinerProcess {
  private readonly child: ChildProcess;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'aviso-bench-joiner-'));

  constructor() {
    this.child = fork(JOINER, [], { cwd: REPO_ROOT, execArgv: NODE_ARGS, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  }

  request<T extends JoinerResponse['type']>(req: JoinerRequest, expect: T): Promise<Extract<JoinerResponse, { type: T }>> {
    return new Promise((resolveResponse, reject) => {
      const onExit = (code: number | null) => reject(new Error(`joiner exited (${code}) during ${req.type}`));
      this.child.once('exit', onExit);
      this.child.once('message', (res: JoinerResponse) => {
        this.child.off('exit', onExit);
        if (res.type === 'failed') reject(new Error(`joiner ${req.type} failed: ${res.error}`));
        else if (res.type !== expect) reject(new Error(`joiner answered ${res.type} to ${req.type}`));
        else resolveResponse(res as Extract<JoinerResponse, { type: T }>);
      });
      this.child.send(req);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.connected) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.send({ type: 'close' } satisfies JoinerRequest);
      await exited;
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Registers and prepares `count` joiners with bounded concurrency. */
function prepareJoiners(group: RawGroup, token: string, count: number, concurrency: number, offset: number): Promise<Joiner[]> {
  return mapLimit(
    Array.from({ length: count }, (_, i) => offset + i),
    concurrency,
    (n) => group.prepareJoiner(token, `member ${n}`),
  );
}

/** Adds `count` members through the relay, preparing the next batch while the current one is appended. */
async function buildMembers(group: RawGroup, invite: RawInvite, token: string, count: number, concurrency: number): Promise<number[]> {
  const latencies: number[] = [];
  const started = performance.now();
  let prepared = prepareJoiners(group, token, Math.min(BATCH, count), concurrency, 1);
  while (latencies.length < count) {
    const batch = await prepared;
    const nextStart = latencies.length + batch.length;
    if (nextStart < count) {
      prepared = prepareJoiners(group, token, Math.min(BATCH, count - nextStart), concurrency, nextStart + 1);
      prepared.catch(() => undefined); // awaited on the next turn; this only keeps it from being reported as unhandled meanwhile
    }
    for (const joiner of batch) {
      latencies.push(await group.join(joiner, invite));
      const size = latencies.length + 1;
      if (size % 1000 === 0) {
        const recent = latencies.slice(-1000);
        log(`  ${String(size).padStart(6)} members  ${ms(performance.now() - started).padStart(8)}  append (HTTP) p50 ${ms(percentile(recent, 50))}, p99 ${ms(percentile(recent, 99))}`);
      }
    }
  }
  return latencies;
}

interface JoinRun {
  ms: number;
  size: number;
  res: Extract<JoinerResponse, { type: 'joined' }>;
}

export async function benchGroups(options: GroupsBenchOptions): Promise<void> {
  const joinsPerRep = Math.round(options.changes * 0.4);
  const extraJoins = options.joins + (options.profile ? 1 : 0) + options.syncs * joinsPerRep + SERVICE_SAMPLES;
  const inviteUses = options.members + extraJoins + 10;
  if (inviteUses > LIMITS.maxGroupMembers) throw new RangeError(`members plus the bench's extra joins (${inviteUses}) exceed the group limit of ${LIMITS.maxGroupMembers}`);

  log(`\n## Private groups: ${options.members} members`);
  const relayData = mkdtempSync(join(options.relayDir, 'aviso-bench-relay-'));
  noteRelayDir(options.relayDir);
  log(`Node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}); relay: real process on 127.0.0.1, data in ${relayData}`);
  const relay = await RelayProcess.start({
    dataDir: relayData,
    env: {
      ...BENCH_RELAY_ENV,
    },
  });
  const joiners: JoinerProcess[] = [];
  let member: JoinerProcess | undefined;
  try {
    const meta = await relayMeta(relay.url);
    const token = await relay.createToken(inviteUses, '1d');

    // ---- build ----
    log(`\nBuilding: ${options.members - 1} joins through the relay (each: register, auth credential, presentation, signed join change) …`);
    const buildStarted = performance.now();
    const admin = await RawMember.register(meta, token);
    const group = await RawGroup.create(meta, admin, 'Responders');
    const invite = await group.createInvite({ maxUses: inviteUses });
    const buildLatencies = await buildMembers(group, invite, token, options.members - 1, options.concurrency);
    const buildMs = performance.now() - buildStarted;
    log(`  built in ${ms(buildMs)} (${ms(buildMs / (options.members - 1))} per member), group at version ${group.version}`);

    // ---- join by invite ----
    const code = group.inviteCode(invite, await admin.mintToken(meta, options.joins + 1, Date.now() + 86_400_000));
    log(`\nJoin by invite: ${options.joins} newcomers, each in its own process with a SQLite store …`);
    const joinRuns: JoinRun[] = [];
    for (let i = 0; i < options.joins; i++) {
      const joiner = new JoinerProcess();
      joiners.push(joiner);
      const size = options.members + i;
      const res = await joiner.request({ type: 'join', code, dataDir: joiner.dataDir }, 'joined');
      await group.refreshHead();
      if (res.version !== group.version) throw new Error(`joiner verified version ${res.version}, the relay is at ${group.version}`);
      if (res.memberCount !== size + 1) throw new Error(`joiner sees ${res.memberCount} members, expected ${size + 1}`);
      joinRuns.push({ ms: res.ms, size, res });
      log(`  newcomer ${i + 1}: ${ms(res.ms)} into ${size} members (verified versions 0–${res.version - 1})`);
      if (i === 0) member = joiner; // stays up: the member who misses changes below
      else await joiner.close();
    }

    let profile: Extract<JoinerResponse, { type: 'joined' }>['profile'];
    if (options.profile) {
      const joiner = new JoinerProcess();
      joiners.push(joiner);
      const res = await joiner.request({ type: 'join', code, dataDir: joiner.dataDir, profile: true }, 'joined');
      await group.refreshHead();
      profile = res.profile;
      log(`  profiled newcomer: ${ms(res.ms)} (under the profiler; not in the figures)`);
      await joiner.close();
    }

    // ---- sync after missed changes ----
    if (!member) throw new Error('no member to sync');
    await member.request({ type: 'sync' }, 'synced'); // catch up with the newcomers after it
    const mix = `${options.changes - joinsPerRep - Math.round(options.changes * 0.2)} setTitle, ${Math.round(options.changes * 0.2)} createInvite, ${joinsPerRep} joins`;
    log(`\nSync: ${options.syncs} × (admin makes ${options.changes} changes: ${mix}; then the member's group.sync()) …`);
    const syncRuns: Extract<JoinerResponse, { type: 'synced' }>[] = [];
    const adminLatencies: number[] = [];
    for (let rep = 0; rep < options.syncs; rep++) {
      const fresh = await prepareJoiners(group, token, joinsPerRep, options.concurrency, 100_000 + rep * joinsPerRep);
      for (let i = 0; i < options.changes; i++) {
        const started = performance.now();
        const slot = i % 5;
        if (slot === 2) await group.createInvite({ maxUses: 1 });
        else if ((slot === 3 || slot === 4) && fresh.length > 0) await group.join(fresh.pop()!, invite);
        else await group.setTitle();
        adminLatencies.push(performance.now() - started);
      }
      const res = await member.request({ type: 'sync' }, 'synced');
      if (res.version !== group.version) throw new Error(`member synced to ${res.version}, the relay is at ${group.version}`);
      syncRuns.push(res);
      log(`  rep ${rep + 1}: ${ms(res.ms)} (to version ${res.version}, ${bytes(res.http.logBytes)} of log)`);
    }
    await member.close();
    member = undefined;

    // ---- the relay's append cost at this size ----
    log(`\nRelay append cost: ${SERVICE_SAMPLES} setTitle and ${SERVICE_SAMPLES} joins through GroupsService.append in-process, on a disk copy and on the original database …`);
    const serviceJoiners = await prepareJoiners(group, token, SERVICE_SAMPLES, options.concurrency, 200_000);
    await group.refreshHead();
    await relay.stop(); // closes the database cleanly (WAL checkpointed), so a copy of the folder is the whole relay
    const sizeAtService = options.members + options.joins + (options.profile ? 1 : 0) + options.syncs * joinsPerRep;
    const diskCopy = mkdtempSync(join(tmpdir(), 'aviso-bench-relay-disk-'));
    const head = { version: group.version, headHash: group.headHash };
    let service: { disk: ServiceTimes; original: ServiceTimes };
    try {
      cpSync(relayData, diskCopy, { recursive: true });
      const disk = measureService(diskCopy, group, invite, serviceJoiners);
      Object.assign(group, head); // the original database is still at the head before the disk run
      service = { disk, original: measureService(relayData, group, invite, serviceJoiners) };
    } finally {
      rmSync(diskCopy, { recursive: true, force: true });
    }

    // ---- report ----
    report({ options, buildMs, buildLatencies, joinRuns, syncRuns, adminLatencies, service, relayDir: relayData, sizeAtService, mix, profile });
  } finally {
    await member?.close();
    for (const j of joiners) await j.close().catch(() => undefined);
    await relay.dispose();
    rmSync(relayData, { recursive: true, force: true });
  }
}

interface ServiceTimes {
  setTitle: number[];
  join: number[];
  verify: number[];
  logPage: number[];
  /** The member/admin count the relay's SQL view reads once per append (a scan of the group's member rows). */
  counts: number[];
}

/** Times the relay's group service directly (no HTTP): presentation check + evaluateChange + SQL transaction. */
function measureService(dataDir: string, group: RawGroup, invite: RawInvite, joiners: Joiner[]): ServiceTimes {
  const ctx = createContext(loadConfig({ AVISO_DATA_DIR: dataDir, AVISO_LOG_LEVEL: 'warn' }), { sweepIntervalMs: 0 });
  try {
    const groups = ctx.services.groups;
    const times: ServiceTimes = { setTitle: [], join: [], verify: [], logPage: [], counts: [] };
    for (let i = 0; i < SERVICE_SAMPLES; i++) {
      const { change, presentation } = group.buildAsAdmin([group.titleAction()]);
      const started = performance.now();
      groups.append(group.groupId, { change }, { presentation });
      times.setTitle.push(performance.now() - started);
      group.advance(change);
    }
    for (const joiner of joiners) {
      const change = group.buildJoin(joiner, invite);
      const started = performance.now();
      groups.append(group.groupId, { change }, { presentation: joiner.presentation, invitePassword: invite.password });
      times.join.push(performance.now() - started);
      group.advance(change);
    }
    const { presentation } = group.buildAsAdmin([group.titleAction()]);
    for (let i = 0; i < SERVICE_SAMPLES; i++) {
      const started = performance.now();
      ctx.services.groupAuth.verify(presentation, group.keys.publicParams);
      times.verify.push(performance.now() - started);
    }
    for (let i = 0; i < 10; i++) {
      const started = performance.now();
      const page = groups.changes(group.groupId, group.version - 500, 500, { presentation });
      times.logPage.push(performance.now() - started);
      if (page.changes.length !== 500) throw new Error('short log page');
    }
    const countQuery = ctx.storage.db.$client.prepare('SELECT count(*) FROM group_members WHERE group_id = ?'); // what a join's size check runs
    for (let i = 0; i < SERVICE_SAMPLES; i++) {
      const started = performance.now();
      countQuery.get(group.groupId);
      times.counts.push(performance.now() - started);
    }
    return times;
  } finally {
    ctx.close();
  }
}

function report(r: {
  options: GroupsBenchOptions;
  buildMs: number;
  buildLatencies: number[];
  joinRuns: JoinRun[];
  syncRuns: Extract<JoinerResponse, { type: 'synced' }>[];
  adminLatencies: number[];
  service: { disk: ServiceTimes; original: ServiceTimes };
  relayDir: string;
  sizeAtService: number;
  mix: string;
  profile: { name: string; selfMs: number }[] | undefined;
}): void {
  const { options, joinRuns, syncRuns, service } = r;
  const first = r.buildLatencies.slice(0, 1000);
  const last = r.buildLatencies.slice(-1000);
  log(`\n### Results: private group of ${options.members} members\n`);

  log(`Build: ${options.members - 1} joins in ${ms(r.buildMs)} (${ms(r.buildMs / (options.members - 1))} per member, registration and presentation included).`);
  log(`Join append over HTTP (one at a time, as the relay serializes them): p50 ${ms(percentile(first, 50))} for the first ${first.length}, ${ms(percentile(last, 50))} (p99 ${ms(percentile(last, 99))}) for the last ${last.length}.\n`);

  log(`1. Join by invite (client.join through the SDK: register with the code's token, join info, fetch and verify the log from version 0, append the join):`);
  log(
    table(
      ['run', 'group size', 'wall', 'HTTP wait', 'of it register', 'client CPU etc.', 'log fetched', 'log reqs', 'RSS before', 'RSS growth', 'peak RSS', 'heap retained'],
      joinRuns.map((j, i) => [
        String(i + 1),
        String(j.size),
        ms(j.ms),
        ms(j.res.http.httpMs),
        ms(j.res.http.registerMs),
        ms(j.ms - j.res.http.httpMs),
        bytes(j.res.http.logBytes),
        String(j.res.http.logRequests),
        bytes(j.res.memory.rssBefore),
        bytes(j.res.memory.rssAfter - j.res.memory.rssBefore),
        bytes(j.res.memory.maxRss),
        bytes(j.res.memory.heapAfter - j.res.memory.heapBefore),
      ]),
    ),
  );
  const joinMs = joinRuns.map((j) => j.ms);
  log(`   join p50 ${ms(percentile(joinMs, 50))}, max ${ms(Math.max(...joinMs))} (n=${joinMs.length}); per change verified: ${ms(percentile(joinMs, 50) / (joinRuns[0]?.res.version ?? 1))}\n`);

  log(`2. Sync after missing ${options.changes} changes (${r.mix}), member at ~${r.sizeAtService} members:`);
  const syncMs = syncRuns.map((s) => s.ms);
  log(
    table(
      ['rep', 'wall', 'HTTP wait', 'client CPU etc.', 'log fetched', 'log reqs'],
      syncRuns.map((s, i) => [String(i + 1), ms(s.ms), ms(s.http.httpMs), ms(s.ms - s.http.httpMs), bytes(s.http.logBytes), String(s.http.logRequests)]),
    ),
  );
  log(`   sync p50 ${ms(percentile(syncMs, 50))}, p99 ${ms(percentile(syncMs, 99))}, max ${ms(Math.max(...syncMs))} (n=${syncMs.length}); admin change round trip p50 ${ms(percentile(r.adminLatencies, 50))}\n`);

  log(`3. Relay append cost at ~${r.sizeAtService} members (GroupsService.append in-process: presentation check + evaluateChange + SQL transaction):`);
  const row = (name: string, v: number[]) => [name, String(v.length), ms(percentile(v, 50)), ms(percentile(v, 99)), ms(mean(v))];
  const where = [
    ['disk copy', service.disk, `${tmpdir()}, synchronous=FULL: an fsync per commit`],
    ['original', service.original, r.relayDir],
  ] as const;
  log(
    table(
      ['database', 'operation', 'n', 'p50', 'p99', 'mean'],
      where.flatMap(([name, t]) => [
        [name, ...row('append setTitle', t.setTitle)],
        [name, ...row('append join', t.join)],
        [name, ...row('presentation check alone', t.verify)],
        [name, ...row('log page read (500 changes)', t.logPage)],
        [name, ...row('member count query (joins only)', t.counts)],
      ]),
    ),
  );
  for (const [name, t, path] of where) {
    const verify = percentile(t.verify, 50);
    log(`   ${name} (${path}): evaluateChange + SQL ≈ ${ms(percentile(t.setTitle, 50) - verify)} (setTitle), ${ms(percentile(t.join, 50) - verify)} (join): p50 minus the presentation check`);
  }

  const joinP50 = percentile(joinMs, 50);
  addSection({
    title: `Private groups: ${options.members} members`,
    command: benchCommand(['--only', 'groups', ...options.argv]),
    body: [
      `A group of ${options.members} members built through the relay's real checks (registration, zkgroup presentation, signed join each), then measured through the SDK. No target is set for these; they show the design holds at size.`,
      '',
      mdTable(
        ['measure', 'figure'],
        [
          ['building the group', `${ms(r.buildMs)} (${ms(r.buildMs / (options.members - 1))} per member)`],
          [`join by invite into ${options.members} members (fetch and verify the whole log), p50 / max`, `${ms(joinP50)} / ${ms(Math.max(...joinMs))}`],
          ['per change verified during a join', ms(joinP50 / (joinRuns[0]?.res.version ?? 1))],
          [`sync after ${options.changes} missed changes, p50 / p99`, `${ms(percentile(syncMs, 50))} / ${ms(percentile(syncMs, 99))}`],
          [`relay append (join) at ~${r.sizeAtService} members, p50, with fsync`, ms(percentile(service.disk.join, 50))],
        ],
      ),
    ].join('\n'),
  });

  if (r.profile) {
    log(`\nWhere a join's CPU goes (one extra join under the V8 profiler, self time, top ${r.profile.length}):`);
    log(table(['self', 'function'], r.profile.map((p) => [ms(p.selfMs), p.name])));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await benchGroups(parseGroupsArgs(process.argv.slice(2)));
}
