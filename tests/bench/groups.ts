import { fork, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CheckpointResponse, GROUP_HEADERS, LIMITS, parseSnapshot, ROUTES } from '@aviso/protocol';
import { CHECKPOINT_EVERY, INVITE_CHECKPOINT_GAP } from '@aviso/client';
import { blobsOfSnapshot } from '../../packages/client/src/crypto/group-checkpoint.js';
import { stateFromSnapshot, verifySnapshotBindings } from '../../packages/client/src/crypto/group-snapshot-state.js';
import { createContext, loadConfig } from '@aviso/server';
import { REPO_ROOT, RelayProcess } from '../support/relay.js';
import { BENCH_RELAY_ENV } from './support/proc.js';
import type { JoinerRequest, JoinerResponse, ProfileEntry } from './support/joiner.js';
import { relayMeta, RawGroup, RawMember, type Joiner, type RawInvite } from '../support/raw-group.js';
import { addSection, benchCommand, mdTable, noteRelayDir } from './support/report.js';
import { givenFlags, intFlag } from './support/flags.js';
import { bytes, mapLimit, mean, ms, percentile, table } from './support/stats.js';

/**
 * Private groups at size (docs/groups.md): builds a group of N members through a real relay process
 * (the admin writes a checkpoint every CHECKPOINT_EVERY changes, as an admin's SDK does), optionally
 * grows its history to `--checkpoint-history` changes, then measures what members feel: a
 * newcomer's `client.join(code)` with a head-carrying invite (from the newest checkpoint) next to
 * one with a head-less invite (the whole chain from version 0), the snapshot's binding checks, and
 * a member's `group.sync()` after missing 100 changes, all through the real SDK. Finally the relay's
 * own cost per append at that size, in-process on the same database.
 */

export interface GroupsBenchOptions {
  /** Group size the joins are measured at (the creator included). */
  members: number;
  /** Newcomers who each join once with a head-carrying invite, in a process of their own. */
  joins: number;
  /** Newcomers who join with a head-less invite (an older client's code): the whole log from version 0. */
  headlessJoins: number;
  /**
   * Grow the log to this many changes before the joins (0: only the members' joins). Built
   * in-process on the relay's database through GroupsService.append: real changes signed by the
   * admin, every relay check run, no HTTP.
   */
  checkpointHistory: number;
  /** Repetitions of "miss `changes` changes, then sync". */
  syncs: number;
  changes: number;
  /** Members prepared (registered, credential, presentation) in parallel while building. */
  concurrency: number;
  /** One more join under the V8 CPU profiler, printed as self time per function (not in the figures). */
  profile: boolean;
  /**
   * After the measured syncs, one more "miss `changes` changes, then sync" with the member's sync
   * under the V8 CPU profiler, printed as self time per function (not in the figures).
   */
  profileSync: boolean;
  /** Parent folder of the relay's data folder: tmpfs by default, so building is not bound by fsync. */
  relayDir: string;
  argv: string[];
}

// This benchmark's flags (`strict: false`: the other benchmarks' flags pass through).
const FLAGS = {
  members: { type: 'string' },
  joins: { type: 'string' },
  'headless-joins': { type: 'string' },
  'checkpoint-history': { type: 'string' },
  syncs: { type: 'string' },
  changes: { type: 'string' },
  concurrency: { type: 'string' },
  profile: { type: 'boolean' },
  'profile-sync': { type: 'boolean' },
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
    headlessJoins: intFlag(values, 'headless-joins', 1, 0, 20),
    checkpointHistory: intFlag(values, 'checkpoint-history', 0, 0, 1_000_000),
    syncs: intFlag(values, 'syncs', 10, 1, 100),
    changes: intFlag(values, 'changes', 100, 5, 1000),
    concurrency: intFlag(values, 'concurrency', 8, 1, 64),
    profile: values.profile === true,
    profileSync: values['profile-sync'] === true,
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
      await group.checkpointIfDue(CHECKPOINT_EVERY);
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

/**
 * Grows the log to `target` changes in-process (the relay stopped): the admin signs each change with
 * its real keys and GroupsService.append runs every check the HTTP route would (presentation,
 * evaluateChange, signatures, the SQL transaction). 9 in 10 are title changes, the rest
 * createInvite/revokeInvite pairs; a checkpoint every CHECKPOINT_EVERY, which the relay checks
 * against the state it rebuilds itself.
 */
async function buildHistory(relay: RelayProcess, dataDir: string, group: RawGroup, target: number): Promise<number> {
  if (group.version >= target) return 0;
  const started = performance.now();
  const from = group.version;
  await relay.stop();
  const ctx = createContext(loadConfig({ AVISO_DATA_DIR: dataDir, AVISO_LOG_LEVEL: 'warn' }), { sweepIntervalMs: 0 });
  // Every change carries the admin's one presentation: zkgroup verifies it once, and the identical
  // bytes get the same answer after (the relay keeps no replay cache). Everything else runs per change.
  const auth = ctx.services.groupAuth;
  const verify = auth.verify.bind(auth);
  const verified = new Map<string, string>();
  auth.verify = (presentation, publicParams) => {
    const key = presentation ?? '';
    let member = verified.get(key);
    if (member === undefined) verified.set(key, (member = verify(presentation, publicParams)));
    return member;
  };
  try {
    let revoke: string | undefined;
    while (group.version < target) {
      let actions;
      if (group.version - group.checkpointVersion >= CHECKPOINT_EVERY) actions = [group.checkpointAction()];
      else if (revoke !== undefined) {
        actions = [{ type: 'revokeInvite' as const, inviteId: revoke }];
        revoke = undefined;
      } else if (group.version % 10 === 0) {
        const { action, invite } = group.inviteAction({ maxUses: 1 });
        actions = [action];
        revoke = invite.inviteId;
      } else actions = [group.titleAction()];
      const { change, presentation } = group.buildAsAdmin(actions);
      await ctx.services.groups.append(group.groupId, { change }, { presentation });
      group.advance(change);
      if (group.version % 10_000 === 0) log(`  ${String(group.version).padStart(7)} changes  ${ms(performance.now() - started).padStart(8)}`);
    }
  } finally {
    ctx.close();
  }
  await relay.start();
  const took = performance.now() - started;
  log(`  history: ${group.version - from} changes in ${ms(took)} (${ms(took / (group.version - from))} per change), group at version ${group.version}, last checkpoint at ${group.checkpointVersion}`);
  return took;
}

interface BindingTimes {
  snapshotBytes: number;
  members: number;
  /** Fetch of the snapshot by the admin over HTTP. */
  fetch: number[];
  /** Parse, decrypt pseudonyms, names and attributes (stateFromSnapshot). */
  state: number[];
  /** Per member: one pseudonym encrypt (the claimed account confirmed), one proof decrypt, one binding signature (verifySnapshotBindings). */
  bindings: number[];
}

/** Times a newcomer's work on the newest checkpoint, in this process, with the SDK's own functions. */
async function measureBindings(meta: Awaited<ReturnType<typeof relayMeta>>, group: RawGroup, reps: number): Promise<BindingTimes> {
  const times: BindingTimes = { snapshotBytes: 0, members: 0, fetch: [], state: [], bindings: [] };
  for (let i = 0; i < reps; i++) {
    let started = performance.now();
    const res = await fetch(new URL(`${ROUTES.groupCheckpoint.path(group.groupId)}?atOrBefore=${group.version}`, meta.url), { headers: { [GROUP_HEADERS.presentation]: group.buildAsAdmin([]).presentation } });
    const body = CheckpointResponse.parse(await res.json());
    times.fetch.push(performance.now() - started);
    started = performance.now();
    const snapshot = parseSnapshot(body.snapshot)!;
    // As a join builds it: the admins' accounts decrypted, everyone else's as their proofs claim them.
    const state = stateFromSnapshot(snapshot, group.keys, { claimAccounts: true });
    times.state.push(performance.now() - started);
    started = performance.now();
    const unverified = verifySnapshotBindings(state, group.keys, blobsOfSnapshot(snapshot).all());
    times.bindings.push(performance.now() - started);
    if (unverified.length > 0) throw new Error(`${unverified.length} snapshot members did not verify`);
    times.snapshotBytes = Buffer.byteLength(body.snapshot);
    times.members = Object.keys(state.members).length;
  }
  return times;
}

export async function benchGroups(options: GroupsBenchOptions): Promise<void> {
  const joinsPerRep = Math.round(options.changes * 0.4);
  const syncReps = options.syncs + (options.profileSync ? 1 : 0);
  const extraJoins = options.joins + options.headlessJoins + (options.profile ? 1 : 0) + syncReps * joinsPerRep + SERVICE_SAMPLES;
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
    group.trackState();
    const invite = await group.createInvite({ maxUses: inviteUses });
    const buildLatencies = await buildMembers(group, invite, token, options.members - 1, options.concurrency);
    const buildMs = performance.now() - buildStarted;
    log(`  built in ${ms(buildMs)} (${ms(buildMs / (options.members - 1))} per member), group at version ${group.version}`);

    // ---- history ----
    let historyMs = 0;
    if (options.checkpointHistory > group.version) {
      log(`\nHistory: growing the log to ${options.checkpointHistory} changes in-process (admin-signed, GroupsService.append, checkpoint every ${CHECKPOINT_EVERY}) …`);
      historyMs = await buildHistory(relay, relayData, group, options.checkpointHistory);
    }
    const historyAtJoin = group.version;

    // ---- join by invite ----
    // As the admin's SDK does before it creates an invite: a checkpoint if the last is INVITE_CHECKPOINT_GAP behind.
    await group.checkpointIfDue(INVITE_CHECKPOINT_GAP);
    const checkpointAtJoin = group.checkpointVersion;
    const codeToken = await admin.mintToken(meta, options.joins + options.headlessJoins + 2, Date.now() + 86_400_000);
    const headCode = group.inviteCode(invite, codeToken, true);
    const code = group.inviteCode(invite, codeToken);
    log(`\nJoin by invite at version ${group.version} (last checkpoint ${group.checkpointVersion}): ${options.joins} newcomers with the inviter's head in the code, ${options.headlessJoins} with a head-less code, each in its own process with a SQLite store …`);
    const joinRuns: JoinRun[] = [];
    const headlessRuns: JoinRun[] = [];
    for (let i = 0; i < options.joins + options.headlessJoins; i++) {
      const headless = i >= options.joins;
      const joiner = new JoinerProcess();
      joiners.push(joiner);
      const size = options.members + i;
      const res = await joiner.request({ type: 'join', code: headless ? code : headCode, dataDir: joiner.dataDir }, 'joined');
      await group.refreshHead();
      if (res.version !== group.version) throw new Error(`joiner verified version ${res.version}, the relay is at ${group.version}`);
      if (res.memberCount !== size + 1) throw new Error(`joiner sees ${res.memberCount} members, expected ${size + 1}`);
      (headless ? headlessRuns : joinRuns).push({ ms: res.ms, size, res });
      log(`  newcomer ${i + 1} (${headless ? 'head-less code: versions 0' : 'head in code: from the checkpoint'}–${res.version - 1}): ${ms(res.ms)} into ${size} members (${ms(res.settledMs)} until members() with every account and binding checked), ${bytes(res.http.logBytes)} fetched`);
      if (i === 0) member = joiner; // stays up: the member who misses changes below
      else await joiner.close();
    }
    log(`\nSnapshot binding checks (the SDK's stateFromSnapshot and verifySnapshotBindings, in this process) …`);
    const bindings = await measureBindings(meta, group, 3);
    log(`  ${bindings.members} members, snapshot ${bytes(bindings.snapshotBytes)}: fetch p50 ${ms(percentile(bindings.fetch, 50))}, state p50 ${ms(percentile(bindings.state, 50))}, bindings p50 ${ms(percentile(bindings.bindings, 50))}`);

    let profile: ProfileEntry[] | undefined;
    if (options.profile) {
      const joiner = new JoinerProcess();
      joiners.push(joiner);
      const res = await joiner.request({ type: 'join', code: headCode, dataDir: joiner.dataDir, profile: true }, 'joined');
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
    let syncProfile: ProfileEntry[] | undefined;
    for (let rep = 0; rep < syncReps; rep++) {
      const profiled = rep === options.syncs; // the extra rep of --profile-sync, after the measured ones
      const fresh = await prepareJoiners(group, token, joinsPerRep, options.concurrency, 100_000 + rep * joinsPerRep);
      for (let i = 0; i < options.changes; i++) {
        const started = performance.now();
        const slot = i % 5;
        if (slot === 2) await group.createInvite({ maxUses: 1 });
        else if ((slot === 3 || slot === 4) && fresh.length > 0) await group.join(fresh.pop()!, invite);
        else await group.setTitle();
        if (!profiled) adminLatencies.push(performance.now() - started);
      }
      const res = await member.request({ type: 'sync', profile: profiled }, 'synced');
      if (res.version !== group.version) throw new Error(`member synced to ${res.version}, the relay is at ${group.version}`);
      if (profiled) {
        syncProfile = res.profile;
        log(`  profiled sync: ${ms(res.ms)} (under the profiler; not in the figures)`);
        continue;
      }
      syncRuns.push(res);
      log(`  rep ${rep + 1}: ${ms(res.ms)}, CPU ${ms(res.cpuMs)} (to version ${res.version}, ${bytes(res.http.logBytes)} of log)`);
    }
    await member.close();
    member = undefined;

    // ---- the relay's append cost at this size ----
    log(`\nRelay append cost: ${SERVICE_SAMPLES} setTitle and ${SERVICE_SAMPLES} joins through GroupsService.append in-process, on a disk copy and on the original database …`);
    const serviceJoiners = await prepareJoiners(group, token, SERVICE_SAMPLES, options.concurrency, 200_000);
    await group.refreshHead();
    await relay.stop(); // closes the database cleanly (WAL checkpointed), so a copy of the folder is the whole relay
    group.untrackState(); // the samples below are appended twice, on two copies
    const sizeAtService = options.members + options.joins + (options.profile ? 1 : 0) + syncReps * joinsPerRep;
    const diskCopy = mkdtempSync(join(tmpdir(), 'aviso-bench-relay-disk-'));
    const head = { version: group.version, headHash: group.headHash };
    let service: { disk: ServiceTimes; original: ServiceTimes };
    try {
      cpSync(relayData, diskCopy, { recursive: true });
      const disk = await measureService(diskCopy, group, invite, serviceJoiners);
      Object.assign(group, head); // the original database is still at the head before the disk run
      service = { disk, original: await measureService(relayData, group, invite, serviceJoiners) };
    } finally {
      rmSync(diskCopy, { recursive: true, force: true });
    }

    // ---- report ----
    report({ options, buildMs, buildLatencies, joinRuns, headlessRuns, bindings, historyMs, historyAtJoin, checkpointAtJoin, syncRuns, adminLatencies, service, relayDir: relayData, sizeAtService, mix, profile, syncProfile });
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
async function measureService(dataDir: string, group: RawGroup, invite: RawInvite, joiners: Joiner[]): Promise<ServiceTimes> {
  const ctx = createContext(loadConfig({ AVISO_DATA_DIR: dataDir, AVISO_LOG_LEVEL: 'warn' }), { sweepIntervalMs: 0 });
  try {
    const groups = ctx.services.groups;
    const times: ServiceTimes = { setTitle: [], join: [], verify: [], logPage: [], counts: [] };
    for (let i = 0; i < SERVICE_SAMPLES; i++) {
      const { change, presentation } = group.buildAsAdmin([group.titleAction()]);
      const started = performance.now();
      await groups.append(group.groupId, { change }, { presentation });
      times.setTitle.push(performance.now() - started);
      group.advance(change);
    }
    for (const joiner of joiners) {
      const change = group.buildJoin(joiner, invite);
      const started = performance.now();
      await groups.append(group.groupId, { change }, { presentation: joiner.presentation, invitePassword: invite.password });
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
  headlessRuns: JoinRun[];
  bindings: BindingTimes;
  historyMs: number;
  historyAtJoin: number;
  /** The newest checkpoint when the head-carrying code was made (the newcomers start from it). */
  checkpointAtJoin: number;
  syncRuns: Extract<JoinerResponse, { type: 'synced' }>[];
  adminLatencies: number[];
  service: { disk: ServiceTimes; original: ServiceTimes };
  relayDir: string;
  sizeAtService: number;
  mix: string;
  profile: ProfileEntry[] | undefined;
  syncProfile: ProfileEntry[] | undefined;
}): void {
  const { options, joinRuns, syncRuns, service } = r;
  const first = r.buildLatencies.slice(0, 1000);
  const last = r.buildLatencies.slice(-1000);
  log(`\n### Results: private group of ${options.members} members\n`);

  log(`Build: ${options.members - 1} joins in ${ms(r.buildMs)} (${ms(r.buildMs / (options.members - 1))} per member, registration and presentation included).`);
  log(`Join append over HTTP (one at a time, as the relay serializes them): p50 ${ms(percentile(first, 50))} for the first ${first.length}, ${ms(percentile(last, 50))} (p99 ${ms(percentile(last, 99))}) for the last ${last.length}.\n`);

  const joinTable = (runs: JoinRun[]) =>
    table(
      ['run', 'group size', 'wall', 'HTTP wait', 'of it register', 'client CPU etc.', 'log fetched', 'log reqs', 'RSS before', 'RSS growth', 'peak RSS', 'heap retained'],
      runs.map((j, i) => [
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
    );
  if (r.historyMs > 0) log(`History: grown in-process to ${r.historyAtJoin} changes in ${ms(r.historyMs)} (admin-signed changes through GroupsService.append: 9 in 10 title changes, the rest createInvite/revokeInvite pairs, a checkpoint every ${CHECKPOINT_EVERY}).\n`);
  log(`1. Join by invite with the inviter's head in the code (client.join through the SDK: register with the code's token, join info, append the join, the newest checkpoint at or before the head and the log after it, every change after it verified; the snapshot members' accounts and bindings are checked after join() returns, and "settled" is until members() returned with every one checked, a sync included):`);
  log(joinTable(joinRuns));
  const joinMs = joinRuns.map((j) => j.ms);
  const settledMs = joinRuns.map((j) => j.res.settledMs);
  log(`   join p50 ${ms(percentile(joinMs, 50))}, max ${ms(Math.max(...joinMs))} (n=${joinMs.length}); settled p50 ${ms(percentile(settledMs, 50))}\n`);
  const headlessMs = r.headlessRuns.map((j) => j.ms);
  if (r.headlessRuns.length > 0) {
    log(`1b. Join with a head-less code (an older client's invite: the whole log from version 0), same run:`);
    log(joinTable(r.headlessRuns));
    log(`   join p50 ${ms(percentile(headlessMs, 50))} (n=${headlessMs.length}); per change verified: ${ms(percentile(headlessMs, 50) / (r.headlessRuns[0]?.res.version ?? 1))}\n`);
  }
  const b = r.bindings;
  log(`1c. A newcomer's work on the snapshot (${b.members} members, ${bytes(b.snapshotBytes)}), in-process: fetch p50 ${ms(percentile(b.fetch, 50))}, state from snapshot (accounts as the proofs claim them, as join() does) p50 ${ms(percentile(b.state, 50))}, account and binding checks p50 ${ms(percentile(b.bindings, 50))} (${ms(percentile(b.bindings, 50) / Math.max(1, b.members))} per member; after join() returns, in "settled" above)\n`);

  log(`2. Sync after missing ${options.changes} changes (${r.mix}), member at ~${r.sizeAtService} members:`);
  const syncMs = syncRuns.map((s) => s.ms);
  log(
    table(
      ['rep', 'wall', 'HTTP wait', 'client CPU etc.', 'process CPU', 'log fetched', 'log reqs'],
      syncRuns.map((s, i) => [String(i + 1), ms(s.ms), ms(s.http.httpMs), ms(s.ms - s.http.httpMs), ms(s.cpuMs), bytes(s.http.logBytes), String(s.http.logRequests)]),
    ),
  );
  log(`   sync p50 ${ms(percentile(syncMs, 50))}, p99 ${ms(percentile(syncMs, 99))}, max ${ms(Math.max(...syncMs))} (n=${syncMs.length}); the member process's CPU p50 ${ms(percentile(syncRuns.map((s) => s.cpuMs), 50))}; admin change round trip p50 ${ms(percentile(r.adminLatencies, 50))}\n`);

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
  const history = r.historyAtJoin;
  addSection({
    title: `Private groups: ${options.members} members`,
    command: benchCommand(['--only', 'groups', ...options.argv]),
    body: [
      `A group of ${options.members} members built through the relay's real checks (registration, zkgroup presentation, signed join each; the admin writes a checkpoint every ${CHECKPOINT_EVERY} changes)${r.historyMs > 0 ? `, its log then grown to ${history} changes in-process (admin-signed title changes and createInvite/revokeInvite pairs through GroupsService.append, every relay check run, no HTTP)` : ''}, then measured through the SDK. Target: a join with a head-carrying invite at most 2 s into 10,000 members with 100,000 changes of history (docs/groups.md "Checkpoints").`,
      '',
      mdTable(
        ['measure', 'figure'],
        [
          ['building the group', `${ms(r.buildMs)} (${ms(r.buildMs / (options.members - 1))} per member)`],
          [`join with the inviter's head in the code, ${options.members} members, ${history} changes (from the checkpoint at version ${r.checkpointAtJoin}, made before the invite as the SDK's admin does), p50 / max`, `${ms(joinP50)} / ${ms(Math.max(...joinMs))}`],
          ...(headlessMs.length > 0 ? [[`join with a head-less code, same group (the whole log from version 0), p50`, ms(percentile(headlessMs, 50))]] : []),
          [`the same joins until members() returned with every snapshot binding checked, p50`, ms(percentile(settledMs, 50))],
          [`snapshot account and binding checks (${b.members} members, after join() returns), p50`, ms(percentile(b.bindings, 50))],
          ['snapshot size', bytes(b.snapshotBytes)],
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
  if (r.syncProfile) {
    log(`\nWhere a sync's CPU goes (one extra sync after ${options.changes} missed changes under the V8 profiler, self time, top ${r.syncProfile.length}):`);
    log(table(['self', 'function'], r.syncProfile.map((p) => [ms(p.selfMs), p.name])));
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await benchGroups(parseGroupsArgs(process.argv.slice(2)));
}
