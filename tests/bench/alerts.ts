import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import diagnosticsChannel from 'node:diagnostics_channel';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Profiler } from 'node:inspector';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ContentHint,
  groupEncrypt,
  IdentityKeyPair,
  ProtocolAddress,
  SenderCertificate,
  SenderKeyDistributionMessage,
  sealedSenderMultiRecipientEncrypt,
  UnidentifiedSenderMessageContent,
} from '@signalapp/libsignal-client';
import { WebSocket, WebSocketServer } from 'ws';
import { AvisoClient, type Group, type SendAlertInput } from '@aviso/client';
import { Content, encodeContent, LIMITS, ROUTES, SenderCertificateResponse } from '@aviso/protocol';
import { REPO_ROOT, RelayProcess } from '../support/relay.js';
import { BENCH_RELAY_ENV } from './support/proc.js';
import { MemoryParty } from './support/alert-stores.js';
import type { SocketSet, SocketsRequest, SocketsResponse } from './support/alert-sockets.js';
import { relayMeta, request, RawGroup, RawMember, type Joiner, type RawInvite, type RelayMeta } from '../support/raw-group.js';
import { summarizeProfile } from './support/inspector.js';
import { addSection, benchCommand, mdTable, met, noteRelayDir } from './support/report.js';
import { givenFlags, intFlag } from './support/flags.js';
import { bytes, mapLimit, mean, ms, percentile, table } from './support/stats.js';
import { BusyGroup } from './support/busy-group.js';

/**
 * Group alerts at size (docs/alerts.md), three figures:
 * 1. fan-out: one SSv2 upload for N online members → the last member's socket has its envelope,
 *    next to a plain `ws` broadcast of a frame of the same size to the same number of sockets;
 * 2. CPU: the sender's `sendAlert` against libsignal's SSv2 encryption alone for the same recipients,
 *    and a receiving SDK client (SQLite store) per alert, durable commits included;
 * 3. optionally (`--ten-thousand`), one alert to 10,000 members end to end;
 * 4. optionally (`--stall`), fan-out again while the relay issues endorsements for a second group of
 *    `--stall-members` (10,000) over and over: the p99 against the quiet one above (target ≤ 1.5×).
 * The relay is a real process (the CLI, as deployed); the members are raw authenticated sockets in a
 * process of their own; the sender and the receiver are real SDK clients with SQLite stores in this process.
 */

export interface AlertsBenchOptions {
  /** Online members (raw sockets) each alert goes to. */
  members: number;
  /** Measured alerts (after one warm-up alert that distributes the sender key). */
  alerts: number;
  tenThousand: boolean;
  /** Members prepared (registered, credential, presentation) in parallel while building. */
  concurrency: number;
  /** Parent folder of the relay's data folder: tmpfs by default (see the report's note on fsync). */
  relayDir: string;
  /** Repetitions of libsignal alone. */
  cryptoSamples: number;
  /** Profiles the relay process (whole run) and the sender (5 extra alerts); prints self time per function. */
  profile: boolean;
  /** Fan-out again while the relay issues endorsements for a second, large group over and over. */
  stall: boolean;
  /** Members of that second group. */
  stallMembers: number;
  argv: string[];
}

// This benchmark's flags (`strict: false`: the other benchmarks' flags pass through).
const FLAGS = {
  members: { type: 'string' },
  alerts: { type: 'string' },
  'ten-thousand': { type: 'boolean' },
  concurrency: { type: 'string' },
  'relay-dir': { type: 'string' },
  'crypto-samples': { type: 'string' },
  profile: { type: 'boolean' },
  stall: { type: 'boolean' },
  'stall-members': { type: 'string' },
} as const;

export function parseAlertsArgs(argv: string[]): AlertsBenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: FLAGS,
  });
  return {
    members: intFlag(values, 'members', 1000, 2, TEN_THOUSAND),
    alerts: intFlag(values, 'alerts', 50, 1, 1000),
    tenThousand: values['ten-thousand'] === true,
    concurrency: intFlag(values, 'concurrency', 8, 1, 64),
    relayDir: typeof values['relay-dir'] === 'string' ? values['relay-dir'] : existsSync('/dev/shm') ? '/dev/shm' : tmpdir(),
    cryptoSamples: intFlag(values, 'crypto-samples', 20, 1, 1000),
    profile: values.profile === true,
    stall: values.stall === true,
    stallMembers: intFlag(values, 'stall-members', TEN_THOUSAND, 2, 20_000),
    // The flags of this benchmark that were given, for the report's rerun command.
    argv: givenFlags(values, Object.keys(FLAGS)),
  };
}

const TEN_THOUSAND = 10_000;
const RECEIVER_PASSPHRASE = 'bench alerts passphrase';
/** Issue 15: the encrypted store's receiver CPU per alert within this factor of the plain store's. */
const ENCRYPTED_TARGET = 1.3;

function encryptedCpuRatio(r: { receiving: ReceiverRun; receivingEncrypted: ReceiverRun }): number {
  return r.receivingEncrypted.cpuMs / r.receivingEncrypted.alerts / (r.receiving.cpuMs / r.receiving.alerts);
}
const SOCKETS = resolve(import.meta.dirname, 'support', 'alert-sockets.ts');
const NODE_ARGS = ['--conditions=@aviso/source', '--import', 'tsx'];
const BATCH = 100;
/** Alerts measured in the 10,000-member phase (each leaves 10,000 acknowledgements for the relay). */
const TEN_THOUSAND_ALERTS = 3;
const PROFILED_ALERTS = 5;
/** Longest wait for the member sockets (the first alert to 10,000 members distributes 9,000 SKDMs first). */
const AWAIT_TIMEOUT_MS = 10 * 60_000;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

const nsToMs = (ns: bigint) => Number(ns) / 1e6;
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

/** The member sockets' process (support/alert-sockets.ts); answers arrive in order per type. */
class SocketsProcess {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<string, Array<(res: SocketsResponse) => void>>();
  private readonly early = new Map<string, SocketsResponse[]>();
  private failure: Error | undefined;

  constructor() {
    this.child = fork(SOCKETS, [], { cwd: REPO_ROOT, execArgv: NODE_ARGS, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (res: SocketsResponse) => {
      if (res.type === 'failed') {
        this.fail(new Error(`member sockets: ${res.error}`));
        return;
      }
      const waiter = this.waiting.get(res.type)?.shift();
      if (waiter) waiter(res);
      else this.early.set(res.type, [...(this.early.get(res.type) ?? []), res]);
    });
    this.child.once('exit', (code) => this.fail(new Error(`member sockets process exited (${code})`)));
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const list of this.waiting.values()) for (const w of list.splice(0)) w({ type: 'failed', error: err.message });
  }

  /** The next answer of `type` (one that already came, or the next to come). */
  next<T extends SocketsResponse['type']>(type: T): Promise<Extract<SocketsResponse, { type: T }>> {
    const ready = this.early.get(type)?.shift();
    if (ready) return Promise.resolve(ready as Extract<SocketsResponse, { type: T }>);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolveNext, reject) => {
      const list = this.waiting.get(type) ?? [];
      list.push((res) => (res.type === 'failed' ? reject(new Error(res.error)) : resolveNext(res as Extract<SocketsResponse, { type: T }>)));
      this.waiting.set(type, list);
    });
  }

  send(req: SocketsRequest): void {
    this.child.send(req);
  }

  async open(req: Extract<SocketsRequest, { type: 'open-relay' | 'open-plain' }>): Promise<Extract<SocketsResponse, { type: 'opened' }>> {
    const opened = this.next('opened');
    this.send(req);
    return opened;
  }

  /**
   * Arms an await of `more` messages on every socket of `set`; resolves once armed, with the promise
   * of the result (wrapped: an async function returning a promise would wait for it).
   */
  async arm(set: SocketSet, more: number): Promise<{ reached: Promise<Extract<SocketsResponse, { type: 'reached' }>> }> {
    // Relay sockets count group sends only: SKDMs from a background distribution may arrive meanwhile.
    const armed = this.next('armed');
    let timer: NodeJS.Timeout | undefined;
    // A stuck await fails the bench loudly instead of hanging it.
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not every ${set} socket received ${more} more message(s) within ${AWAIT_TIMEOUT_MS / 1000} s`)), AWAIT_TIMEOUT_MS);
    });
    const reached = Promise.race([this.next('reached'), timeout]).finally(() => clearTimeout(timer));
    reached.catch(() => undefined); // awaited by the caller; this only keeps it from being reported as unhandled meanwhile
    this.send({ type: 'await', set, more, group: set === 'relay' });
    await armed;
    return { reached };
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || !this.child.connected) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.send({ type: 'close' } satisfies SocketsRequest);
    await exited;
  }
}

/**
 * Registers, prepares and joins `count` raw members, preparing the next batch while the current one is
 * appended; `afterBatch` runs after each batch of BATCH joins (the member sockets, the sender's sync).
 */
async function addMembers(
  group: RawGroup,
  invite: RawInvite,
  token: string,
  count: number,
  concurrency: number,
  offset: number,
  afterBatch?: (batch: RawMember[]) => Promise<void>,
): Promise<RawMember[]> {
  const out: RawMember[] = [];
  const started = performance.now();
  const prepare = (from: number, n: number) => mapLimit(Array.from({ length: n }, (_, i) => from + i), concurrency, (k) => group.prepareJoiner(token, `member ${k}`));
  let prepared: Promise<Joiner[]> = prepare(offset, Math.min(BATCH, count));
  while (out.length < count) {
    const batch = await prepared;
    const next = out.length + batch.length;
    if (next < count) {
      prepared = prepare(offset + next, Math.min(BATCH, count - next));
      prepared.catch(() => undefined); // awaited on the next turn
    }
    for (const joiner of batch) {
      await group.join(joiner, invite);
      out.push(joiner.member);
      if ((offset + out.length) % 1000 === 0) log(`  ${String(offset + out.length).padStart(6)} members  ${ms(performance.now() - started).padStart(8)}`);
    }
    await afterBatch?.(batch.map((j) => j.member));
  }
  return out;
}

/** An SDK client whose fetch notes when a group send's upload starts (`multi_recipient` PUT). */
interface TimedClient {
  client: AvisoClient;
  /** hrtime just before the last group send upload was handed to fetch. */
  lastUploadAt(): bigint | undefined;
  /**
   * hrtime when fetch's HTTP client wrote that upload's request headers to the socket: from here the
   * relay is receiving the upload (loopback). Node's fetch reports it on the `undici:client:sendHeaders`
   * diagnostics channel.
   */
  lastUploadSentAt(): bigint | undefined;
  /** Requests since the last reset. */
  requests(): number;
  reset(): void;
}

async function openTimedClient(dataDir: string): Promise<TimedClient> {
  let uploadAt: bigint | undefined;
  let sentAt: bigint | undefined;
  let requests = 0;
  diagnosticsChannel.subscribe('undici:client:sendHeaders', (message) => {
    const r = (message as { request?: { method?: string; path?: string } }).request;
    if (uploadAt !== undefined && r?.method === 'PUT' && r.path?.startsWith(ROUTES.multiRecipient) === true) sentAt = process.hrtime.bigint();
  });
  const client = await AvisoClient.open({
    dataDir,
    groupSyncIntervalMs: 0,
    fetch: (input, init) => {
      requests++;
      if (init.method === 'PUT' && input.includes(ROUTES.multiRecipient)) uploadAt = process.hrtime.bigint();
      return fetch(input, init);
    },
  });
  return {
    client,
    lastUploadAt: () => uploadAt,
    lastUploadSentAt: () => sentAt,
    requests: () => requests,
    reset: () => {
      uploadAt = undefined;
      sentAt = undefined;
      requests = 0;
    },
  };
}

function alertInput(n: number): SendAlertInput {
  return {
    kind: 'raid',
    severity: 'critical',
    title: `Agents staging at the car wash (${n})`,
    body: 'Two unmarked vans, engines running, near the east entrance',
    place: { text: '5th and Main', lat: 33.89612, lon: -118.22017 },
    requestAck: true,
  };
}

interface AlertRun {
  /** sendAlert called → last member socket has the envelope, ms (end to end). */
  callToLastMs: number;
  /** Upload on the wire (the relay receiving it) → first / last member socket has the envelope, ms: the relay's fan-out. */
  firstMs: number;
  lastMs: number;
  /** Upload handed to fetch → last member socket, ms: the fan-out plus the sender's HTTP client. */
  fetchToLastMs: number;
  /** Last socket had it → every acknowledgement handled by the relay, ms. */
  ackDrainMs: number;
  /** sendAlert wall time (crypto, store, upload until the relay answers), ms. */
  sendWallMs: number;
  /** CPU of this process during sendAlert (user + system), ms. */
  sendCpuMs: number;
  frameBytes: number;
}

interface BaselineRun {
  firstMs: number;
  lastMs: number;
  /** The synchronous send loop alone, ms. */
  loopMs: number;
}

interface CryptoTimes {
  recipients: number;
  ssv2CpuMs: number[];
  ssv2WallMs: number[];
  fullCpuMs: number[];
  sentBytes: number;
}

interface ReceiverRun {
  alerts: number;
  wallMs: number;
  cpuMs: number;
}

interface TenThousandRun {
  members: number;
  buildMs: number;
  firstSendMs: number;
  firstSendRequests: number;
  runs: AlertRun[];
  firstAfterJoins: FirstAfterJoins;
}

/**
 * The first alert after a group grew by `joined` members, sendAlert called → the last member socket
 * has it (a group send; SKDMs do not count), two ways in one run:
 * - ahead: a sender who has sent to the group before learns of the joins as they happen (its
 *   `group.sync()` after each batch of BATCH joins, standing in for the poll and the joiners'
 *   nudges) and gives them its key in the background (distributeAhead, batched prekey fetches);
 * - inline: the same first alert without keys ahead, as before: a sync, then sessions, SKDMs and
 *   the upload all on the alert's path.
 */
interface FirstAfterJoins {
  joined: number;
  ahead: { callToLastMs: number; requests: number };
  inline: { callToLastMs: number; requests: number };
  /** Target: ahead ≤ this (issue 16: 3 s after 1,000 joins, 10 s after 9,000). */
  targetMs: number;
}

export async function benchAlerts(options: AlertsBenchOptions): Promise<void> {
  const finalSize = options.tenThousand ? Math.max(TEN_THOUSAND, options.members) : options.members;
  log(`\n## Group alerts: fan-out to ${options.members} online members${options.tenThousand ? `, then one alert to ${TEN_THOUSAND}` : ''}`);
  const relayData = mkdtempSync(join(options.relayDir, 'aviso-bench-alerts-relay-'));
  noteRelayDir(options.relayDir);
  const sdkData = mkdtempSync(join(tmpdir(), 'aviso-bench-alerts-sdk-'));
  log(`Node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}); relay: real process on 127.0.0.1 (the CLI), data in ${relayData}`);
  log(`Members: raw authenticated WebSockets in a separate process; sender and receivers: SDK clients with SQLite stores (one receiver encrypted) in ${sdkData}, in this process.`);
  const relay = await RelayProcess.start({
    dataDir: relayData,
    env: {
      // The relay's inspector, on an ephemeral loopback port, for profiling the alert phase only.
      ...(options.profile ? { NODE_OPTIONS: '--inspect=127.0.0.1:0' } : {}),
      ...BENCH_RELAY_ENV,
    },
  });
  const sockets = new SocketsProcess();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: LIMITS.maxFrameBytes });
  const clients: AvisoClient[] = [];
  try {
    await new Promise<void>((r) => (wss.address() ? r() : wss.once('listening', () => r())));
    const meta = await relayMeta(relay.url);
    const token = await relay.createToken(finalSize + 10, '1d');

    // ---- build: a private group of `members` raw members, then the SDK receiver and sender join ----
    log(`\nBuilding: ${options.members} raw members (real identity keys, signed prekeys and Kyber last-resort keys), then two SDK receivers (plain and encrypted store) and an SDK sender join by invite …`);
    let started = performance.now();
    const admin = await RawMember.register(meta, token);
    const group = await RawGroup.create(meta, admin, 'Alerts');
    const invite = await group.createInvite({ maxUses: finalSize + 10 });
    const code = group.inviteCode(invite, token);
    // The "ahead" sender is in the group from the start and has sent to it once (keys ahead are for
    // groups one has sent to); it then hears of each batch of joins (its sync) while they happen.
    const ahead = await openTimedClient(join(sdkData, 'ahead'));
    clients.push(ahead.client);
    const aheadGroup = await ahead.client.join(code, { displayName: 'sender (keys ahead)' });
    await group.refreshHead();
    await aheadGroup.sendAlert(alertInput(-1));
    await sockets.open({ type: 'open-relay', url: relay.url, authorizations: [admin.authorization], concurrency: 50 });
    const learn = async (batch: RawMember[]) => {
      await sockets.open({ type: 'open-relay', url: relay.url, authorizations: batch.map((m) => m.authorization), concurrency: 50 });
      await aheadGroup.sync();
    };
    const raw = [admin, ...(await addMembers(group, invite, token, options.members - 1, options.concurrency, 1, learn))];
    log(`  ${raw.length} raw members joined and online in ${ms(performance.now() - started)}; the first alert after the joins, keys ahead …`);
    const aheadFirst = await firstAlert(sockets, ahead, aheadGroup, 1);
    const receiverDir = join(sdkData, 'receiver');
    const receiver = await AvisoClient.open({ dataDir: receiverDir, groupSyncIntervalMs: 0 });
    await receiver.join(code, { displayName: 'receiver' });
    await receiver.close();
    // The same receiver with the encrypted store (issue 15: its CPU per alert within 1.3× of the plain one's).
    const encryptedDir = join(sdkData, 'receiver-encrypted');
    const encrypted = await AvisoClient.open({ dataDir: encryptedDir, passphrase: RECEIVER_PASSPHRASE, groupSyncIntervalMs: 0 });
    await encrypted.join(code, { displayName: 'receiver (encrypted store)' });
    await encrypted.close();
    const sender = await openTimedClient(join(sdkData, 'sender'));
    clients.push(sender.client);
    const senderGroup = await sender.client.join(code, { displayName: 'sender' });
    await group.refreshHead();
    const buildMs = performance.now() - started;
    log(`  built in ${ms(buildMs)}: ${options.members + 3} members at version ${group.version}`);

    started = performance.now();
    const port = (wss.address() as AddressInfo).port;
    await sockets.open({ type: 'open-plain', url: `ws://127.0.0.1:${port}`, count: options.members, concurrency: 50 });
    log(`  ${options.members} member sockets on the plain ws server in ${ms(performance.now() - started)}`);

    // ---- warm-up: the first alert starts sessions and distributes the sender key ----
    log(`\nWarm-up alert (first send to the group: endorsements, ${options.members + 2} prekey bundles and sessions, ${options.members + 2} SKDMs 1:1, then the upload) …`);
    const { reached } = await sockets.arm('relay', 1);
    sender.reset();
    const warmCalledAt = process.hrtime.bigint();
    started = performance.now();
    await senderGroup.sendAlert(alertInput(0));
    const warmupMs = performance.now() - started;
    const warmupRequests = sender.requests();
    const warm = await reached;
    const inlineFirst = { callToLastMs: nsToMs(BigInt(warm.lastAt) - warmCalledAt), requests: warmupRequests };
    log(`  ${ms(warmupMs)} (${warmupRequests} requests); sendAlert called → last member socket had the alert ${ms(inlineFirst.callToLastMs)}; acknowledgements handled ${ms(nsToMs(BigInt(warm.quietAt ?? warm.lastAt) - BigInt(warm.lastAt)))} after the last delivery`);
    const firstAfterJoins: FirstAfterJoins = { joined: options.members - 1, ahead: aheadFirst, inline: inlineFirst, targetMs: 3000 };
    log(`  first alert after ${firstAfterJoins.joined} joins: keys ahead ${ms(aheadFirst.callToLastMs)} (${aheadFirst.requests} requests), inline ${ms(inlineFirst.callToLastMs)} (${inlineFirst.requests} requests)`);
    const receiverWarm = await receiveAll(receiverDir, 1);
    await receiveAll(encryptedDir, 1, RECEIVER_PASSPHRASE);
    log(`  the SDK receiver (offline until now) took its SKDM and the warm-up alert in ${ms(receiverWarm.wallMs)}`);

    // ---- 1. fan-out, interleaved with the plain ws baseline ----
    log(`\nFan-out: ${options.alerts} alerts, each followed by a plain ws broadcast of a frame of the same size …`);
    const runs: AlertRun[] = [];
    const baseline: BaselineRun[] = [];
    for (let i = 1; i <= options.alerts; i++) {
      runs.push(await oneAlert(sockets, sender, senderGroup, i));
      baseline.push(await oneBroadcast(sockets, wss, runs.at(-1)!.frameBytes));
      if (i % 10 === 0 || i === options.alerts) {
        const recent = runs.slice(-10);
        log(`  ${String(i).padStart(4)} alerts: fan-out p50 ${ms(percentile(recent.map((r) => r.lastMs), 50))}, plain ws p50 ${ms(percentile(baseline.slice(-10).map((b) => b.lastMs), 50))} (last 10)`);
      }
    }

    // ---- 2. CPU: libsignal alone for the same recipients, and the receiver ----
    log(`\nlibsignal alone: SSv2 for ${options.members + 2} recipients, ${options.cryptoSamples} times …`);
    const crypto = await libsignalAlone(meta, admin, raw, [receiver.accountId, encrypted.accountId], group, options.cryptoSamples);
    log(`\nReceiver: the SDK client connects and takes the ${options.alerts} alerts queued while it was offline …`);
    const receiving = await receiveAll(receiverDir, options.alerts);
    log(`\nReceiver, encrypted store: the same with a passphrase …`);
    const receivingEncrypted = await receiveAll(encryptedDir, options.alerts, RECEIVER_PASSPHRASE);

    // ---- 4. optional: fan-out while the relay issues endorsements for a large group ----
    let stall: StallRun | undefined;
    if (options.stall) stall = await stalled({ meta, relay, options, sockets, sender, senderGroup });

    // ---- 3. optional: 10,000 members ----
    let tenK: TenThousandRun | undefined;
    if (options.tenThousand && options.members < TEN_THOUSAND) {
      tenK = await tenThousand({ group, invite, token, options, sockets, sender, senderGroup, ahead, aheadGroup, relayUrl: relay.url });
    }

    let profiles: { sender: ProfileSummary; relay: ProfileSummary } | undefined;
    if (options.profile) {
      log(`\nProfiling the sender and the relay over ${PROFILED_ALERTS} more alerts (not in the figures) …`);
      const inspectorUrl = /Debugger listening on (ws:\/\/\S+)/.exec(relay.log)?.[1];
      if (!inspectorUrl) throw new Error('the relay did not open its inspector');
      const relayProfiler = await RemoteProfiler.start(inspectorUrl);
      const session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      for (let i = 0; i < PROFILED_ALERTS; i++) await oneAlert(sockets, sender, senderGroup, 20_000 + i);
      const senderProfile = summarizeProfile((await session.post('Profiler.stop')).profile);
      session.disconnect();
      profiles = { sender: senderProfile, relay: summarizeProfile(await relayProfiler.stop()) };
    }

    report({ options, runs, baseline, crypto, receiving, receivingEncrypted, warmupMs, warmupRequests, firstAfterJoins, tenK, stall, relayDir: relayData, profiles, argv: options.argv });
  } finally {
    for (const c of clients) await c.close().catch(() => undefined);
    await sockets.close().catch(() => undefined);
    await new Promise((r) => wss.close(r));
    await relay.dispose();
    rmSync(relayData, { recursive: true, force: true });
    rmSync(sdkData, { recursive: true, force: true });
  }
}

/** One measured alert: arm the member sockets, sendAlert, read when the last one had it. */
async function oneAlert(sockets: SocketsProcess, sender: TimedClient, group: Group, n: number): Promise<AlertRun> {
  const { reached } = await sockets.arm('relay', 1);
  sender.reset();
  const cpu = process.cpuUsage();
  const calledAt = process.hrtime.bigint();
  const started = performance.now();
  await group.sendAlert(alertInput(n));
  const sendWallMs = performance.now() - started;
  const sendCpuMs = cpuMs(process.cpuUsage(cpu));
  const fetchAt = sender.lastUploadAt();
  const uploadAt = sender.lastUploadSentAt();
  if (fetchAt === undefined || uploadAt === undefined) throw new Error('sendAlert made no multi-recipient upload (or fetch reported no request headers)');
  // One look at the log (nothing new: docs/alerts.md "Reaching new members at once") and one upload.
  if (sender.requests() !== 2) throw new Error(`sendAlert made ${sender.requests()} requests; a steady-state alert makes two (the log sync and the upload)`);
  const r = await reached;
  const lastAt = BigInt(r.lastAt);
  return {
    callToLastMs: nsToMs(lastAt - calledAt),
    firstMs: nsToMs(BigInt(r.firstAt) - uploadAt),
    lastMs: nsToMs(lastAt - uploadAt),
    fetchToLastMs: nsToMs(lastAt - fetchAt),
    ackDrainMs: nsToMs(BigInt(r.quietAt ?? r.lastAt) - lastAt),
    sendWallMs,
    sendCpuMs,
    frameBytes: r.frameBytes,
  };
}

/** The first alert after joins: sendAlert called → the last member socket has the group send; requests on the way. */
async function firstAlert(sockets: SocketsProcess, sender: TimedClient, group: Group, n: number): Promise<{ callToLastMs: number; requests: number }> {
  const { reached } = await sockets.arm('relay', 1);
  sender.reset();
  const calledAt = process.hrtime.bigint();
  await group.sendAlert(alertInput(n));
  const requests = sender.requests();
  const r = await reached;
  return { callToLastMs: nsToMs(BigInt(r.lastAt) - calledAt), requests };
}

/** The baseline: a frame of `frameBytes` to every plain socket, in one loop over `wss.clients`. */
async function oneBroadcast(sockets: SocketsProcess, wss: WebSocketServer, frameBytes: number): Promise<BaselineRun> {
  const { reached } = await sockets.arm('plain', 1);
  const frame = Buffer.alloc(frameBytes, 0x41); // valid UTF-8: sent as a text frame, as the relay's JSON frames are
  await new Promise((r) => setTimeout(r, 20)); // the previous alert's answer is fully handled
  const at = process.hrtime.bigint();
  for (const ws of wss.clients) ws.send(frame, { binary: false });
  const loopMs = nsToMs(process.hrtime.bigint() - at);
  const r = await reached;
  return { firstMs: nsToMs(BigInt(r.firstAt) - at), lastMs: nsToMs(BigInt(r.lastAt) - at), loopMs };
}

/**
 * The floor for the sender: libsignal's SSv2 encryption alone for as many recipients (the same raw
 * members, plus one more for the receiver), with in-memory stores and a relay-issued sender certificate.
 */
async function libsignalAlone(meta: RelayMeta, admin: RawMember, raw: RawMember[], receiverIds: string[], group: RawGroup, samples: number): Promise<CryptoTimes> {
  const cert = await request(meta, 'GET', ROUTES.senderCertificate, SenderCertificateResponse, { headers: { authorization: admin.authorization } });
  const certificate = SenderCertificate.deserialize(new Uint8Array(Buffer.from(cert.certificate, 'base64')));
  const me = new MemoryParty(ProtocolAddress.new(admin.accountId, 1));
  const addresses: ProtocolAddress[] = [];
  for (const m of raw.slice(1)) addresses.push(await me.connect(m.accountId, m.identity));
  for (const id of receiverIds) addresses.push(await me.connect(id, IdentityKeyPair.generate()));
  addresses.push(await me.connect(randomUUID(), IdentityKeyPair.generate())); // stands in for the admin (the sender here)
  const distributionId = randomUUID();
  await SenderKeyDistributionMessage.create(me.address, distributionId, me.senderKeyStore);
  const groupIdBytes = new Uint8Array(Buffer.from(group.groupId, 'hex'));
  const input = alertInput(0);
  const padded = encodeContent(
    Content.parse({
      v: 1,
      sentAt: Date.now(),
      body: { type: 'alert', groupId: group.groupId, groupVersion: group.version, groupHeadHash: randomBytes(32).toString('base64'), id: randomUUID(), kind: input.kind, severity: input.severity, title: input.title, body: input.body, place: input.place, observedAt: Date.now(), expiresAt: Date.now() + 4 * 3600_000, requestAck: true },
    }),
  );
  const encryptGroup = async () => {
    const message = await groupEncrypt(me.address, distributionId, me.senderKeyStore, new Uint8Array(padded));
    return UnidentifiedSenderMessageContent.new(message, certificate, ContentHint.Resendable, groupIdBytes);
  };
  const usmc = await encryptGroup();
  const ssv2 = () => sealedSenderMultiRecipientEncrypt({ content: usmc, recipients: addresses, identityStore: me.identityStore, sessionStore: me.sessionStore });
  const sent = await ssv2(); // warm
  const times: CryptoTimes = { recipients: addresses.length, ssv2CpuMs: [], ssv2WallMs: [], fullCpuMs: [], sentBytes: sent.length };
  for (let i = 0; i < samples; i++) {
    let cpu = process.cpuUsage();
    const started = performance.now();
    await ssv2();
    times.ssv2WallMs.push(performance.now() - started);
    times.ssv2CpuMs.push(cpuMs(process.cpuUsage(cpu)));
    cpu = process.cpuUsage();
    const content = await encryptGroup();
    await sealedSenderMultiRecipientEncrypt({ content, recipients: addresses, identityStore: me.identityStore, sessionStore: me.sessionStore });
    times.fullCpuMs.push(cpuMs(process.cpuUsage(cpu)));
  }
  return times;
}

/** Opens the receiver's store, connects, and waits until `alerts` alerts were surfaced; the process's CPU over that. */
async function receiveAll(dataDir: string, alerts: number, passphrase?: string): Promise<ReceiverRun> {
  const client = await AvisoClient.open({ dataDir, groupSyncIntervalMs: 0, ...(passphrase === undefined ? {} : { passphrase }) });
  try {
    let seen = 0;
    let done: () => void = () => undefined;
    const all = new Promise<void>((r) => (done = r));
    client.on('alert', () => {
      if (++seen === alerts) done();
    });
    client.on('rejected', (r) => log(`  receiver rejected an envelope: ${r.reason}`));
    const cpu = process.cpuUsage();
    const started = performance.now();
    await client.connect();
    await all;
    return { alerts, wallMs: performance.now() - started, cpuMs: cpuMs(process.cpuUsage(cpu)) };
  } finally {
    await client.close();
  }
}

interface StallRun {
  members: number;
  runs: AlertRun[];
  /** Wall time of each endorsement issue for the busy group while the alerts ran, ms. */
  issues: number[];
  buildMs: number;
}

async function stalled(r: { meta: RelayMeta; relay: RelayProcess; options: AlertsBenchOptions; sockets: SocketsProcess; sender: TimedClient; senderGroup: Group }): Promise<StallRun> {
  const { options } = r;
  log(`\nStall: a second group of ${options.stallMembers} raw members, whose endorsements the relay then issues again and again …`);
  const started = performance.now();
  const token = await r.relay.createToken(options.stallMembers + 10, '1d');
  const busy = await BusyGroup.build(r.meta, token, options.stallMembers, (g, invite, t, count, offset) => addMembers(g, invite, t, count, options.concurrency, offset));
  const buildMs = performance.now() - started;
  log(`  built in ${ms(buildMs)}; ${options.alerts} alerts to the first group while it issues …`);
  busy.start();
  while (busy.issues.length === 0) await new Promise((res) => setTimeout(res, 50)); // issuing is under way
  const runs: AlertRun[] = [];
  try {
    for (let i = 0; i < options.alerts; i++) runs.push(await oneAlert(r.sockets, r.sender, r.senderGroup, 30_000 + i));
  } finally {
    await busy.stop();
  }
  log(`  ${busy.issues.length} issues for ${options.stallMembers} members meanwhile, p50 ${ms(percentile(busy.issues, 50))} each`);
  return { members: options.stallMembers, runs, issues: busy.issues, buildMs };
}

async function tenThousand(r: {
  group: RawGroup;
  invite: RawInvite;
  token: string;
  options: AlertsBenchOptions;
  sockets: SocketsProcess;
  sender: TimedClient;
  senderGroup: Group;
  ahead: TimedClient;
  aheadGroup: Group;
  relayUrl: string;
}): Promise<TenThousandRun> {
  const { group, invite, token, options, sockets, sender } = r;
  const more = TEN_THOUSAND - options.members;
  log(`\n10,000 members: ${more} more raw members join, online as they join; the keys-ahead sender syncs after each ${BATCH} …`);
  let started = performance.now();
  await addMembers(group, invite, token, more, options.concurrency, options.members, async (batch) => {
    await sockets.open({ type: 'open-relay', url: r.relayUrl, authorizations: batch.map((m) => m.authorization), concurrency: 50 });
    await r.aheadGroup.sync();
  });
  const buildMs = performance.now() - started;
  log(`  built and connected in ${ms(buildMs)}; the first alert after the joins, keys ahead …`);
  const aheadFirst = await firstAlert(sockets, r.ahead, r.aheadGroup, 9_999);

  log(`  the same without keys ahead (the other sender syncs, starts ${more} sessions and sends ${more} SKDMs, then uploads) …`);
  const { reached } = await sockets.arm('relay', 1);
  sender.reset();
  const calledAt = process.hrtime.bigint();
  started = performance.now();
  // The sender polls for group changes (every 30 s by default; off here): without this sync it
  // would still send to the 1,000 members it knew, and the new members' sockets would wait forever.
  // (The sync also starts its background distribution; the alert, queued behind at most one step
  // of it, then does the rest inline.)
  await r.senderGroup.sync();
  await r.senderGroup.sendAlert(alertInput(10_000));
  const firstSendMs = performance.now() - started;
  const firstSendRequests = sender.requests();
  const inline = await reached;
  const firstAfterJoins: FirstAfterJoins = {
    joined: more,
    ahead: aheadFirst,
    inline: { callToLastMs: nsToMs(BigInt(inline.lastAt) - calledAt), requests: firstSendRequests },
    targetMs: 10_000,
  };
  log(`  first alert after ${more} joins: keys ahead ${ms(aheadFirst.callToLastMs)} (${aheadFirst.requests} requests), inline ${ms(firstAfterJoins.inline.callToLastMs)} (${firstSendRequests} requests); now ${TEN_THOUSAND_ALERTS} measured alerts …`);
  const runs: AlertRun[] = [];
  for (let i = 0; i < TEN_THOUSAND_ALERTS; i++) {
    const run = await oneAlert(sockets, sender, r.senderGroup, 10_001 + i);
    runs.push(run);
    log(`  alert ${i + 1}: sendAlert called → last of ${TEN_THOUSAND} sockets ${ms(run.callToLastMs)} (upload → last ${ms(run.lastMs)}); acks handled ${ms(run.ackDrainMs)} later`);
  }
  return { members: TEN_THOUSAND, buildMs, firstSendMs, firstSendRequests, runs, firstAfterJoins };
}

function report(r: {
  options: AlertsBenchOptions;
  runs: AlertRun[];
  baseline: BaselineRun[];
  crypto: CryptoTimes;
  receiving: ReceiverRun;
  receivingEncrypted: ReceiverRun;
  warmupMs: number;
  warmupRequests: number;
  firstAfterJoins: FirstAfterJoins;
  tenK: TenThousandRun | undefined;
  stall: StallRun | undefined;
  relayDir: string;
  profiles: { sender: ProfileSummary; relay: ProfileSummary } | undefined;
  argv: readonly string[];
}): void {
  const { options, runs, baseline, crypto, receiving } = r;
  const n = options.members;
  const fan = runs.map((x) => x.lastMs);
  const base = baseline.map((x) => x.lastMs);
  const row = (name: string, v: number[]) => [name, String(v.length), ms(percentile(v, 50)), ms(percentile(v, 99)), ms(mean(v)), ms(Math.min(...v)), ms(Math.max(...v))];
  log(`\n### Results: group alerts, ${n} online members (+ 2 offline SDK receivers; ${n + 2} recipients per alert)\n`);
  log(`1. Fan-out. Aviso: from the upload's request headers going onto the socket (the relay receiving the upload; fetch's undici:client:sendHeaders, same process, hrtime) to the ${n}th member socket's 'message' event for the envelope.`);
  log(`   Plain ws: from the broadcast loop's start to the ${n}th socket's 'message' event, a ${bytes(runs[0]?.frameBytes ?? 0)} text frame (the size of one member's message.deliver frame).`);
  log(`   Both servers on 127.0.0.1; the ${n} receiving sockets of each in one separate process; arrival times CLOCK_MONOTONIC across processes.`);
  log(`   Member sockets acknowledge once all ${n} have the envelope (one process stands in for ${n} devices; see support/alert-sockets.ts).`);
  log(
    table(
      ['measure', 'n', 'p50', 'p99', 'mean', 'min', 'max'],
      [
        row(`Aviso: upload → last of ${n} sockets`, fan),
        row(`Aviso: upload → first socket`, runs.map((x) => x.firstMs)),
        row(`Aviso: upload handed to fetch → last socket`, runs.map((x) => x.fetchToLastMs)),
        row(`Aviso: sendAlert called → last socket`, runs.map((x) => x.callToLastMs)),
        row(`plain ws: broadcast → last of ${n} sockets`, base),
        row(`plain ws: broadcast → first socket`, baseline.map((x) => x.firstMs)),
        row(`plain ws: the send loop alone`, baseline.map((x) => x.loopMs)),
        row(`relay: last delivery → all ${n} acks handled`, runs.map((x) => x.ackDrainMs)),
      ],
    ),
  );
  const ratio50 = percentile(fan, 50) / percentile(base, 50);
  const ratio99 = percentile(fan, 99) / percentile(base, 99);
  log(`   ratio Aviso / plain ws: p50 ${ratio50.toFixed(2)}×, p99 ${ratio99.toFixed(2)}× (target ≤ 2×: ${ratio50 <= 2 ? 'met' : 'NOT met'} at p50, ${ratio99 <= 2 ? 'met' : 'NOT met'} at p99)`);
  log(`   relay data in ${r.relayDir}${r.relayDir.startsWith('/dev/shm') ? ' (tmpfs: commits cost no fsync; pass --relay-dir /tmp or another disk folder for a deployment-like figure)' : ''}\n`);

  const sendCpu = runs.map((x) => x.sendCpuMs);
  const ssv2 = crypto.ssv2CpuMs;
  log(`2. CPU per alert to ${crypto.recipients} recipients (process.cpuUsage, user + system):`);
  log(
    table(
      ['measure', 'n', 'p50', 'p99', 'mean', 'min', 'max'],
      [
        row('sender: SDK group.sendAlert (CPU; steady state, 2 requests: log sync + upload)', sendCpu),
        row('sender: SDK group.sendAlert (wall, relay answer included)', runs.map((x) => x.sendWallMs)),
        row('libsignal alone: sealedSenderMultiRecipientEncrypt (CPU)', ssv2),
        row('libsignal alone: sealedSenderMultiRecipientEncrypt (wall)', crypto.ssv2WallMs),
        row('libsignal alone: groupEncrypt + USMC + SSv2 (CPU)', crypto.fullCpuMs),
      ],
    ),
  );
  const sendRatio = percentile(sendCpu, 50) / percentile(ssv2, 50);
  log(`   sender CPU / libsignal SSv2 alone: ${sendRatio.toFixed(2)}× at p50 (target ≤ 1.2×: ${sendRatio <= 1.2 ? 'met' : 'NOT met'}); the SDK figure includes its SQLite commits and its HTTP client.`);
  log(`   SentMessage: ${bytes(crypto.sentBytes)} for ${crypto.recipients} recipients (libsignal alone); member frame ${bytes(runs[0]?.frameBytes ?? 0)}.`);
  log(`   receiver: an SDK client with a SQLite store took ${receiving.alerts} queued alerts in ${ms(receiving.wallMs)} wall, ${ms(receiving.cpuMs)} CPU: ${ms(receiving.cpuMs / receiving.alerts)} CPU and ${ms(receiving.wallMs / receiving.alerts)} wall per alert (WebSocket, store-then-ack commit, decrypt, alert commit, event).`);
  const enc = encryptedCpuRatio(r);
  log(`   receiver, encrypted store: ${ms(r.receivingEncrypted.cpuMs / r.receivingEncrypted.alerts)} CPU per alert, ${enc.toFixed(2)}× the plain store's (target ≤ ${ENCRYPTED_TARGET}×: ${enc <= ENCRYPTED_TARGET ? 'met' : 'NOT met'}).`);
  log(`   first alert to the group (sessions and SKDMs for every member): ${ms(r.warmupMs)}, ${r.warmupRequests} requests.\n`);
  logFirstAfterJoins('2b', r.firstAfterJoins);

  if (r.tenK) {
    const t = r.tenK;
    const last = t.runs.map((x) => x.lastMs);
    const wall = t.runs.map((x) => x.sendWallMs);
    log(`3. One alert to ${t.members} members (${t.members} online raw sockets + the offline receiver), ${t.runs.length} alerts after the sender key reached everyone:`);
    log(
      table(
        ['measure', 'n', 'p50', 'p99', 'mean', 'min', 'max'],
        [
          row('sendAlert called → last socket has it', t.runs.map((x) => x.callToLastMs)),
          row('upload started → last socket has it', last),
          row('upload started → first socket has it', t.runs.map((x) => x.firstMs)),
          row('sendAlert wall (relay answer included)', wall),
          row('sendAlert CPU', t.runs.map((x) => x.sendCpuMs)),
          row('relay: last delivery → all acks handled', t.runs.map((x) => x.ackDrainMs)),
        ],
      ),
    );
    log(`   growing from ${n} to ${t.members} members took ${ms(t.buildMs)}; the first alert after it without keys ahead (sync, sessions, SKDMs) ${ms(t.firstSendMs)} with ${t.firstSendRequests} requests.`);
    logFirstAfterJoins('3b', t.firstAfterJoins);
  }

  if (r.stall) {
    const st = r.stall;
    const quiet = percentile(fan, 99);
    const busy = percentile(st.runs.map((x) => x.lastMs), 99);
    log(`4. Fan-out to ${n} members while the relay issues endorsements for a group of ${st.members} (${st.issues.length} issues, p50 ${ms(percentile(st.issues, 50))} each, in its worker thread):`);
    log(table(['measure', 'n', 'p50', 'p99', 'mean', 'min', 'max'], [row(`Aviso: upload → last of ${n} sockets, relay issuing`, st.runs.map((x) => x.lastMs)), row(`Aviso: upload → last of ${n} sockets, quiet (1. above)`, fan)]));
    log(`   p99 busy / quiet: ${(busy / quiet).toFixed(2)}× (target ≤ 1.5×: ${busy / quiet <= 1.5 ? 'met' : 'NOT met'}); the machine has ${availableParallelism()} CPUs, shared by the relay, its worker, the member sockets and this process.`);
  }

  addSection({ title: `Group alerts: fan-out and crypto cost, ${n} online members`, command: benchCommand(['--only', 'alerts', ...r.argv]), body: alertsMarkdown(r) });

  if (r.profiles) {
    for (const [who, p] of [['sender', r.profiles.sender], ['relay', r.profiles.relay]] as const) {
      log(`\nWhere the ${who}'s CPU goes over ${PROFILED_ALERTS} more alerts${who === 'relay' ? ' and their acknowledgements' : ''} (V8 profiler; not in the figures above):`);
      log(table(['self', 'function', 'charged', 'innermost Aviso function on the stack'], Array.from({ length: Math.max(p.self.length, p.ours.length) }, (_, i) => [ms(p.self[i]?.ms ?? Number.NaN), p.self[i]?.name ?? '', ms(p.ours[i]?.ms ?? Number.NaN), p.ours[i]?.name ?? ''])));
    }
  }
}

/** The alerts section of docs/benchmarks.md: the same figures as the console tables. */
function alertsMarkdown(r: Parameters<typeof report>[0]): string {
  const { options, runs, baseline, crypto, receiving } = r;
  const n = options.members;
  const fan = runs.map((x) => x.lastMs);
  const base = baseline.map((x) => x.lastMs);
  const sendCpu = runs.map((x) => x.sendCpuMs);
  const p = (v: number[], q: number) => ms(percentile(v, q));
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const r50 = percentile(fan, 50) / percentile(base, 50);
  const r99 = percentile(fan, 99) / percentile(base, 99);
  const cpuRatio = percentile(sendCpu, 50) / percentile(crypto.ssv2CpuMs, 50);
  const lines = [
    `One alert to ${n} online members (${n + 2} recipients: plus two offline SDK receivers, one with a plain store and one with the encrypted store), ${runs.length} alerts after a warm-up alert. Fan-out runs from the relay receiving the upload (the sender's \`fetch\` writing its request headers to the socket, reported on undici's \`undici:client:sendHeaders\` diagnostics channel) to the ${n}th member socket's \`message\` event; the baseline is a plain \`ws\` server sending a frame of the same size (${bytes(runs[0]?.frameBytes ?? 0)}) to ${n} sockets in the same process, measured between alerts. Member sockets acknowledge once all have the envelope (one process stands in for ${n} devices).`,
    '',
    mdTable(
      ['measure', 'Aviso', 'baseline', 'ratio', 'target', ''],
      [
        ['fan-out p50', p(fan, 50), `${p(base, 50)} (plain ws)`, ratio(percentile(fan, 50), percentile(base, 50)), '≤ 2×', met(r50 <= 2)],
        ['fan-out p99', p(fan, 99), `${p(base, 99)} (plain ws)`, ratio(percentile(fan, 99), percentile(base, 99)), '≤ 2×', met(r99 <= 2)],
        ['sender CPU per alert, p50', p(sendCpu, 50), `${p(crypto.ssv2CpuMs, 50)} (libsignal SSv2 alone)`, ratio(percentile(sendCpu, 50), percentile(crypto.ssv2CpuMs, 50)), '≤ 1.2×', met(cpuRatio <= 1.2)],
        ['upload → first member socket, p50', p(runs.map((x) => x.firstMs), 50), '', '', '', ''],
        ['upload handed to fetch → last member socket, p50 (fan-out plus the sender\'s HTTP client)', p(runs.map((x) => x.fetchToLastMs), 50), '', '', '', ''],
        ['receiver CPU per alert (durable commit included)', ms(receiving.cpuMs / receiving.alerts), '', '', '', ''],
        ['receiver CPU per alert, encrypted store (passphrase)', ms(r.receivingEncrypted.cpuMs / r.receivingEncrypted.alerts), `${ms(receiving.cpuMs / receiving.alerts)} (plain store)`, ratio(r.receivingEncrypted.cpuMs / r.receivingEncrypted.alerts, receiving.cpuMs / receiving.alerts), `≤ ${ENCRYPTED_TARGET}×`, met(encryptedCpuRatio(r) <= ENCRYPTED_TARGET)],
        ['first alert to the group (sessions and SKDMs for all)', ms(r.warmupMs), `${r.warmupRequests} requests`, '', '', ''],
        firstAfterJoinsRow(r.firstAfterJoins),
      ],
    ),
  ];
  if (r.tenK) {
    const t = r.tenK;
    lines.push(
      '',
      `One alert to ${t.members} members end to end (${t.runs.length} alerts, after the group grew and the sender distributed its key): sendAlert called → last socket p50 ${p(t.runs.map((x) => x.callToLastMs), 50)}, upload → last socket p50 ${p(t.runs.map((x) => x.lastMs), 50)}, sender CPU p50 ${p(t.runs.map((x) => x.sendCpuMs), 50)}. Growing the group took ${ms(t.buildMs)}; the first alert after it without keys ahead (sync, ${t.members - n} sessions and SKDMs) ${ms(t.firstSendMs)}.`,
      '',
      mdTable(['measure', 'keys ahead', 'inline (no keys ahead)', 'ratio', 'target', ''], [firstAfterJoinsRow(t.firstAfterJoins)]),
    );
  }
  if (r.stall) {
    const st = r.stall;
    const busy = st.runs.map((x) => x.lastMs);
    const stallRatio = percentile(busy, 99) / percentile(fan, 99);
    lines.push(
      '',
      `Fan-out to ${n} members while the relay issues endorsements for a group of ${st.members} again and again (${st.issues.length} issues, p50 ${p(st.issues, 50)} each, in its worker thread), against the quiet fan-out above:`,
      '',
      mdTable(['measure', 'relay issuing', 'quiet', 'ratio', 'target', ''], [['fan-out p99', p(busy, 99), p(fan, 99), ratio(percentile(busy, 99), percentile(fan, 99)), '≤ 1.5×', met(stallRatio <= 1.5)], ['fan-out p50', p(busy, 50), p(fan, 50), ratio(percentile(busy, 50), percentile(fan, 50)), '', '']]),
    );
  }
  lines.push('', `Relay data folder: \`${r.relayDir}\`${r.relayDir.startsWith('/dev/shm') ? ' (tmpfs: commits cost no fsync; `--relay-dir` for a disk)' : ''}.`);
  return lines.join('\n');
}

function logFirstAfterJoins(label: string, f: FirstAfterJoins): void {
  log(`${label}. First alert after ${f.joined} joins, sendAlert called → last member socket has the alert (a group send; SKDMs do not count):`);
  log(`   keys ahead: ${ms(f.ahead.callToLastMs)} (${f.ahead.requests} requests on the alert's path); the sender heard of the joins as they happened (its group.sync() after each ${BATCH}, standing in for the poll and the joiners' nudges) and distributed its key in the background.`);
  log(`   inline, no keys ahead (a sync, then every session and SKDM on the alert's path): ${ms(f.inline.callToLastMs)} (${f.inline.requests} requests).`);
  log(`   target ≤ ${ms(f.targetMs)}: ${f.ahead.callToLastMs <= f.targetMs ? 'met' : 'NOT met'}; inline / ahead ${(f.inline.callToLastMs / f.ahead.callToLastMs).toFixed(1)}×.\n`);
}

function firstAfterJoinsRow(f: FirstAfterJoins): string[] {
  return [
    `first alert after ${f.joined} joins, sendAlert → last socket (keys ahead vs inline)`,
    `${ms(f.ahead.callToLastMs)} (${f.ahead.requests} requests)`,
    `${ms(f.inline.callToLastMs)} (${f.inline.requests} requests, inline)`,
    `${(f.ahead.callToLastMs / f.inline.callToLastMs).toFixed(2)}×`,
    `≤ ${ms(f.targetMs)}`,
    met(f.ahead.callToLastMs <= f.targetMs),
  ];
}

/** The V8 profiler of another process, over its inspector WebSocket (Chrome DevTools protocol). */
class RemoteProfiler {
  private nextId = 1;
  private readonly pending = new Map<number, (result: unknown) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown };
      if (msg.id !== undefined) this.pending.get(msg.id)?.(msg.result);
    });
  }

  static async start(url: string): Promise<RemoteProfiler> {
    const ws = new WebSocket(url);
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    const p = new RemoteProfiler(ws);
    await p.call('Profiler.enable');
    await p.call('Profiler.start');
    return p;
  }

  private call(method: string): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((r) => {
      this.pending.set(id, r);
      this.ws.send(JSON.stringify({ id, method }));
    });
  }

  async stop(): Promise<Profiler.Profile> {
    const { profile } = (await this.call('Profiler.stop')) as { profile: Profiler.Profile };
    this.ws.close();
    return profile;
  }
}

type ProfileSummary = ReturnType<typeof summarizeProfile>;

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await benchAlerts(parseAlertsArgs(process.argv.slice(2)));
}
