import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { AvisoClient } from '@aviso/client';
import { LIMITS, ROUTES, SendMessagesRequest, WS_SUBPROTOCOL } from '@aviso/protocol';
import { RelayProcess } from '../support/relay.js';
import { registerRaw } from '../support/raw-account.js';
import { intFlag } from './support/flags.js';
import type { CpuProfile } from './support/inspector.js';
import { BENCH_RELAY_ENV, mainThreadCpuMs, nsToMs, until } from './support/proc.js';
import { GROUP, pct, profileShares, selfRows, shareOf, shareRows, type ProfileShares } from './support/profile-shares.js';
import { addSection, benchCommand, describeDisk, mdTable, met, noteRelayDir } from './support/report.js';
import { bytes, mapLimit, ms, table } from './support/stats.js';
import Database from 'better-sqlite3';

/**
 * Offline drain: a device that missed `envelopes` messages reconnects and takes them all, acknowledging
 * each, until the relay's `queue.empty`. Two receivers of the same backlog (real sealed-sender direct
 * messages from an SDK sender, one backlog each):
 * - a real SDK client with its SQLite store (runs of envelopes: decrypt and commit each without an
 *   fsync, one sync per run, then acknowledge and surface);
 * - the same with the encrypted store (a passphrase: SQLCipher 4), its own backlog, in the same run,
 *   so its drain rate and CPU per envelope are a ratio to the plain store's (target: within 1.3×);
 * - a raw socket that acknowledges every envelope as it arrives (the relay's side alone).
 * Baseline in the same run: a plain `ws` server sending as many frames of the same size to one
 * client that answers each, with the relay's in-flight window (100 unanswered).
 */

export interface DrainBenchOptions {
  envelopes: number;
  /** Parent folder of the relay's data folder (a disk by default: the relay commits every ack). */
  dataDir: string;
  /**
   * Envelopes of the extra, profiled drain (`--drain-profile-envelopes`, default the smaller of 2,000
   * and `envelopes`); 0 skips it (`--no-drain-profile`). Its times are in no figure.
   */
  profileEnvelopes: number;
  /** Where to write that drain's whole V8 CPU profile (`--drain-profile FILE`; default a file in the temporary folder), for DevTools or support/profile-top.ts. */
  profile?: string | undefined;
}

/** The profiled drain's default size: enough samples for stable shares at a fraction of the figures' fill time. */
const PROFILE_ENVELOPES = 2000;

export function parseDrainArgs(argv: string[]): DrainBenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: { 'drain-envelopes': { type: 'string' }, 'drain-dir': { type: 'string' }, 'drain-profile': { type: 'string' }, 'drain-profile-envelopes': { type: 'string' }, 'no-drain-profile': { type: 'boolean' } },
  });
  const raw = values['drain-envelopes'];
  const envelopes = raw === undefined ? 10_000 : Number(raw);
  if (!Number.isInteger(envelopes) || envelopes < 10 || envelopes > 100_000) throw new RangeError(`--drain-envelopes must be a whole number in 10–100000, got ${String(raw)}`);
  const profile = values['drain-profile'];
  const profileEnvelopes = values['no-drain-profile'] === true ? 0 : intFlag(values, 'drain-profile-envelopes', Math.min(PROFILE_ENVELOPES, envelopes), 10, 100_000);
  return { envelopes, dataDir: typeof values['drain-dir'] === 'string' ? values['drain-dir'] : tmpdir(), profileEnvelopes, profile: typeof profile === 'string' ? resolve(profile) : undefined };
}

function flags(o: DrainBenchOptions): string[] {
  return [
    '--only', 'drain',
    '--drain-envelopes', String(o.envelopes),
    ...(o.profileEnvelopes === 0 ? ['--no-drain-profile'] : o.profileEnvelopes === Math.min(PROFILE_ENVELOPES, o.envelopes) ? [] : ['--drain-profile-envelopes', String(o.profileEnvelopes)]),
    ...(o.dataDir === tmpdir() ? [] : ['--drain-dir', o.dataDir]),
  ];
}

/** Issue 16's target: an SDK client (SQLite store) drains at least this many envelopes per second, each committed before its acknowledgement. */
const DRAIN_TARGET = 3000;

/** The relay's per-connection window of unanswered deliveries (gateway default). */
const RELAY_IN_FLIGHT = 100;
/** Target of issue 15: the encrypted store's drain rate and CPU per envelope within this factor of the plain store's. */
const ENCRYPTED_TARGET = 1.3;
const PASSPHRASE = 'bench drain passphrase';
/** Opens timed for the KDF's unlock time (median). */
const UNLOCKS = 5;

/** A direct message about the size of an alert's text. */
const TEXT = 'Two unmarked vans at the car wash on 5th and Main, engines running, agents near the east entrance. Stay inside; watchers please confirm. '.repeat(2);

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

interface DrainRun {
  envelopes: number;
  /** connect → queue.empty (raw) / connect() resolved, everything processed (SDK), ms. */
  wallMs: number;
  /** Then until the relay's database holds none of the device's envelopes, ms. */
  emptyAfterMs: number;
  cpuMs?: number;
  /** The main thread's CPU alone, ms (SDK). */
  mainCpuMs?: number;
  /** The drain's V8 CPU profile, when profiled. */
  profile?: CpuProfile;
}

/** The extra drain under the profiler: where the SDK receiver's main thread spent it. */
interface ProfiledDrain {
  envelopes: number;
  shares: ProfileShares;
  /** Main thread's CPU ÷ wall time, and the whole process's (libsignal's and libuv's threads too). */
  mainBusy: number;
  processBusy: number;
  file: string;
}

export async function benchDrain(o: DrainBenchOptions): Promise<void> {
  log(`\n## Offline drain: a device takes ${o.envelopes.toLocaleString('en')} queued envelopes on reconnect`);
  const relayData = mkdtempSync(join(o.dataDir, 'aviso-bench-drain-relay-'));
  const sdkData = mkdtempSync(join(tmpdir(), 'aviso-bench-drain-sdk-'));
  noteRelayDir(o.dataDir);
  const relay = await RelayProcess.start({ dataDir: relayData, env: BENCH_RELAY_ENV });
  const clients: AvisoClient[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: LIMITS.maxFrameBytes });
  try {
    const token = await relay.createToken(10, '1d');
    // The sender's 1:1 sends to the SDK receiver, kept to fill the raw device's queue with the same bytes.
    const sent: Array<{ body: string; headers: Record<string, string> }> = [];
    let capture = true;
    const sender = await AvisoClient.open({
      dataDir: join(sdkData, 'sender'),
      fetch: (input, init) => {
        if (capture && init.method === 'PUT' && input.includes('/v1/messages/') && !input.includes(ROUTES.multiRecipient)) {
          sent.push({ body: String(init.body), headers: { ...(init.headers as Record<string, string>) } });
        }
        return fetch(input, init);
      },
    });
    clients.push(sender);
    await sender.register({ relayUrl: relay.url, registrationToken: token });
    const receiverDir = join(sdkData, 'receiver');
    const receiver = await AvisoClient.open({ dataDir: receiverDir });
    const { accountId: receiverId } = await receiver.register({ relayUrl: relay.url, registrationToken: token });
    await receiver.close(); // offline while its backlog builds
    const encryptedDir = join(sdkData, 'receiver-encrypted');
    const encrypted = await AvisoClient.open({ dataDir: encryptedDir, passphrase: PASSPHRASE });
    const { accountId: encryptedId } = await encrypted.register({ relayUrl: relay.url, registrationToken: token });
    await encrypted.close();
    const raw = await registerRaw(relay.url, token);

    log(`Filling three queues with ${o.envelopes} sealed-sender direct messages each: the SDK receivers' (plain and encrypted store) from an SDK sender, a raw device's with the SDK receiver's request bodies …`);
    const started = performance.now();
    await sender.sendDirect(receiverId, { text: TEXT }); // the first starts the session
    await mapLimit(Array.from({ length: o.envelopes - 1 }, (_, i) => i), 8, () => sender.sendDirect(receiverId, { text: TEXT }));
    if (sent.length !== o.envelopes) throw new Error(`captured ${sent.length} sends, expected ${o.envelopes}`);
    const rawUrl = new URL(ROUTES.messages.path(raw.accountId), relay.url).toString();
    await mapLimit(sent, 16, async ({ body, headers }) => {
      const request = SendMessagesRequest.parse(JSON.parse(body));
      request.messages = request.messages.map((m) => ({ ...m, destinationRegistrationId: raw.registrationId }));
      const res = await fetch(rawUrl, { method: 'PUT', headers, body: JSON.stringify(request) });
      if (res.status !== 200) throw new Error(`PUT ${ROUTES.messages.pattern} → ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    });
    // The captured bodies (a few MB per thousand) are not kept through the drains: the receivers'
    // CPU per envelope is measured in this process, and a bigger live heap makes every GC dearer.
    capture = false;
    sent.length = 0;
    await sender.sendDirect(encryptedId, { text: TEXT });
    await mapLimit(Array.from({ length: o.envelopes - 1 }, (_, i) => i), 8, () => sender.sendDirect(encryptedId, { text: TEXT }));
    log(`  filled in ${ms(performance.now() - started)}; queued: SDK receiver ${queued(relayData, receiverId)}, encrypted-store receiver ${queued(relayData, encryptedId)}, raw device ${queued(relayData, raw.accountId)}`);

    log('Raw socket: connect, acknowledge each delivery at once, until queue.empty …');
    const rawRun = await drainRaw(relay.url, raw.authorization, o.envelopes, () => queued(relayData, raw.accountId) === 0);
    log(`  ${rate(rawRun).toFixed(0)} envelopes/s (queue.empty after ${ms(rawRun.wallMs)}; relay queue empty ${ms(rawRun.emptyAfterMs)} later)`);

    log('SDK client (SQLite store): connect() until queue.empty and every envelope processed …');
    const sdkRun = await drainSdk(receiverDir, o.envelopes, () => queued(relayData, receiverId) === 0, clients);
    log(`  ${rate(sdkRun).toFixed(0)} envelopes/s (${ms(sdkRun.wallMs)}; ${ms((sdkRun.cpuMs ?? 0) / o.envelopes)} CPU per envelope in this process; relay queue empty ${ms(sdkRun.emptyAfterMs)} later)`);

    log('SDK client (encrypted store, passphrase): connect() until queue.empty and every envelope processed …');
    const encRun = await drainSdk(encryptedDir, o.envelopes, () => queued(relayData, encryptedId) === 0, clients, PASSPHRASE);
    log(`  ${rate(encRun).toFixed(0)} envelopes/s (${ms(encRun.wallMs)}; ${ms((encRun.cpuMs ?? 0) / o.envelopes)} CPU per envelope; relay queue empty ${ms(encRun.emptyAfterMs)} later)`);

    const unlockMs = await unlockTimes(encryptedDir);
    log(`  KDF unlock (open with the passphrase, then close): median ${ms(median(unlockMs))} of ${UNLOCKS} (${unlockMs.map(ms).join(', ')})`);

    const frameBytes = rawRun.frameBytes;
    const plainRun = await drainPlain(wss, frameBytes, o.envelopes);
    log(`  plain ws baseline: ${rate(plainRun).toFixed(0)} frames/s of ${bytes(frameBytes)}`);

    // After every figure: its own backlog, so neither the fill nor the profiler touches a figure's drain.
    let profiled: ProfiledDrain | undefined;
    if (o.profileEnvelopes > 0) {
      const n = o.profileEnvelopes;
      log(`Profiled drain (not in the figures): a fourth receiver (SQLite store), ${n} queued direct messages, drained under the V8 profiler …`);
      const profiledDir = join(sdkData, 'receiver-profiled');
      const opened = await AvisoClient.open({ dataDir: profiledDir });
      const { accountId: profiledId } = await opened.register({ relayUrl: relay.url, registrationToken: token });
      await opened.close();
      await sender.sendDirect(profiledId, { text: TEXT });
      await mapLimit(Array.from({ length: n - 1 }, (_, i) => i), 8, () => sender.sendDirect(profiledId, { text: TEXT }));
      const run = await drainSdk(profiledDir, n, () => queued(relayData, profiledId) === 0, clients, undefined, true);
      const file = o.profile ?? join(tmpdir(), 'aviso-bench-drain-sdk.cpuprofile');
      writeFileSync(file, JSON.stringify(run.profile));
      const shares = profileShares(run.profile!);
      profiled = { envelopes: n, shares, mainBusy: (run.mainCpuMs ?? 0) / run.wallMs, processBusy: (run.cpuMs ?? 0) / run.wallMs, file };
      log(`  profile written to ${file}; main thread on a CPU ${pct(profiled.mainBusy)} of the drain, the process ${pct(profiled.processBusy)} of a core`);
      log(table(['group', 'share of main-thread time'], shareRows(shares)));
    }
    report(o, { raw: rawRun, sdk: sdkRun, encrypted: encRun, unlockMs, plain: plainRun, frameBytes, profiled });
  } finally {
    for (const c of clients) await c.close().catch(() => undefined);
    await new Promise((r) => wss.close(r));
    await relay.dispose();
    rmSync(relayData, { recursive: true, force: true });
    rmSync(sdkData, { recursive: true, force: true });
  }
}

const rate = (r: DrainRun) => r.envelopes / (r.wallMs / 1000);

/** Envelopes the relay still stores for an account (read-only second connection to its database). */
function queued(relayData: string, accountId: string): number {
  const db = new Database(join(relayData, 'aviso.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM messages WHERE account_id = ?').get(accountId) as { n: number }).n;
  } finally {
    db.close();
  }
}

const DELIVER = '{"type":"message.deliver"';
const QUEUE_EMPTY = '{"type":"queue.empty"';

async function drainRaw(relayUrl: string, authorization: string, expected: number, isEmpty: () => boolean): Promise<DrainRun & { frameBytes: number }> {
  const url = new URL(ROUTES.websocket, relayUrl.replace(/^http/, 'ws')).toString();
  const t0 = process.hrtime.bigint();
  const ws = new WebSocket(url, WS_SUBPROTOCOL, { headers: { authorization }, perMessageDeflate: false });
  let delivered = 0;
  let frameBytes = 0;
  const emptyAt = await new Promise<bigint>((resolveEmpty, reject) => {
    ws.once('error', reject);
    ws.on('message', (data: RawData) => {
      const text = String(data);
      if (text.startsWith(DELIVER)) {
        const id = /"id":(\d+)/.exec(text.slice(0, 64))?.[1];
        ws.send(`{"type":"response","id":${id},"status":200}`);
        delivered++;
        frameBytes = text.length;
      } else if (text.startsWith(QUEUE_EMPTY)) resolveEmpty(process.hrtime.bigint());
    });
  });
  const empty = await until(isEmpty, 'the raw device queue to empty');
  ws.close();
  if (delivered !== expected) throw new Error(`the raw device got ${delivered} envelopes, expected ${expected}`);
  return { envelopes: delivered, wallMs: nsToMs(emptyAt - t0), emptyAfterMs: Math.max(0, nsToMs(empty - emptyAt)), frameBytes };
}

/** Wall time of `AvisoClient.open({ passphrase })` (scrypt unwraps the store key, SQLCipher opens), ms each. */
async function unlockTimes(dataDir: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < UNLOCKS; i++) {
    const t0 = process.hrtime.bigint();
    const client = await AvisoClient.open({ dataDir, passphrase: PASSPHRASE });
    times.push(nsToMs(process.hrtime.bigint() - t0));
    await client.close();
  }
  return times;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function drainSdk(dataDir: string, expected: number, isEmpty: () => boolean, clients: AvisoClient[], passphrase?: string, profile = false): Promise<DrainRun> {
  const client = await AvisoClient.open({ dataDir, ...(passphrase === undefined ? {} : { passphrase }) });
  clients.push(client);
  let received = 0;
  client.on('direct', () => received++);
  client.on('rejected', (r) => log(`  receiver rejected an envelope: ${r.reason}`));
  const profiler = profile ? await startProfile() : undefined;
  const cpu = process.cpuUsage();
  const mainCpu = mainThreadCpuMs();
  const t0 = process.hrtime.bigint();
  await client.connect();
  const done = process.hrtime.bigint();
  const used = process.cpuUsage(cpu);
  const mainCpuMs = mainThreadCpuMs() - mainCpu;
  const recorded = profiler ? ((await profiler.stop()) as CpuProfile) : undefined;
  const empty = await until(isEmpty, 'the SDK receiver queue to empty');
  if (received !== expected) throw new Error(`the SDK receiver surfaced ${received} messages, expected ${expected}`);
  await client.close();
  return { envelopes: received, wallMs: nsToMs(done - t0), emptyAfterMs: Math.max(0, nsToMs(empty - done)), cpuMs: (used.user + used.system) / 1000, mainCpuMs, ...(recorded ? { profile: recorded } : {}) };
}

/** A V8 CPU profiler on this process (the inspector's Profiler domain), stopped with `stop()`. */
async function startProfile(): Promise<{ stop: () => Promise<unknown> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      return profile;
    },
  };
}

/** `count` frames of `frameBytes` to one client that answers each, at most RELAY_IN_FLIGHT unanswered. */
async function drainPlain(wss: WebSocketServer, frameBytes: number, count: number): Promise<DrainRun> {
  const port = (wss.address() as AddressInfo).port;
  const frame = Buffer.alloc(frameBytes, 0x41);
  const serverSide = new Promise<WebSocket>((r) => wss.once('connection', r));
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  client.on('message', () => client.send('a'));
  const server = await serverSide;
  await new Promise((r) => (client.readyState === WebSocket.OPEN ? r(undefined) : client.once('open', r)));
  const t0 = process.hrtime.bigint();
  await new Promise<void>((done) => {
    let sent = 0;
    let acked = 0;
    const pump = () => {
      while (sent < count && sent - acked < RELAY_IN_FLIGHT) {
        sent++;
        server.send(frame, { binary: false });
      }
    };
    server.on('message', () => {
      if (++acked === count) done();
      else pump();
    });
    pump();
  });
  const wallMs = nsToMs(process.hrtime.bigint() - t0);
  client.close();
  return { envelopes: count, wallMs, emptyAfterMs: 0 };
}

function report(o: DrainBenchOptions, r: { raw: DrainRun; sdk: DrainRun; encrypted: DrainRun; unlockMs: number[]; plain: DrainRun; frameBytes: number; profiled: ProfiledDrain | undefined }): void {
  const header = ['receiver', 'envelopes/s', 'time to queue.empty', 'relay queue empty after', '÷ plain ws'];
  const row = (name: string, x: DrainRun, emptyCell: string) => [name, rate(x).toFixed(0), ms(x.wallMs), emptyCell, (rate(x) / rate(r.plain)).toFixed(2)];
  const rows = [
    row('raw socket, acknowledges on arrival', r.raw, `+${ms(r.raw.emptyAfterMs)}`),
    row('SDK client, SQLite store (connect() resolved)', r.sdk, `+${ms(r.sdk.emptyAfterMs)}`),
    row('SDK client, encrypted store (passphrase)', r.encrypted, `+${ms(r.encrypted.emptyAfterMs)}`),
    row(`plain ws, ${bytes(r.frameBytes)} frames, ${RELAY_IN_FLIGHT} unanswered at most`, r.plain, '-'),
  ];
  log(`\n### Results: offline drain of ${o.envelopes} envelopes\n`);
  log(table(header, rows));
  log(`   SDK ÷ raw: ${(rate(r.sdk) / rate(r.raw)).toFixed(2)}×; SDK CPU ${ms((r.sdk.cpuMs ?? 0) / o.envelopes)} per envelope`);
  const target = targetLine(r.sdk);
  log(`   ${target}`);
  const enc = encryptedLines(o, r);
  for (const line of enc) log(`   ${line}`);
  addSection({
    title: 'Offline drain',
    command: benchCommand(flags(o)),
    body: [
      `Relay data folder: ${describeDisk(o.dataDir)}.`,
      '',
      `A device that missed ${o.envelopes.toLocaleString('en')} envelopes (sealed-sender direct messages from a real SDK sender, ${bytes(r.frameBytes)} deliver frames) reconnects and takes them all, acknowledging each; the relay deletes each envelope on its acknowledgement (SQLite, synchronous=FULL). Time from opening the connection to \`queue.empty\` (raw) or to \`connect()\` resolving, which the SDK does once \`queue.empty\` came and every envelope before it was decrypted, committed, synced to disk, acknowledged and surfaced (runs of up to 50 envelopes: each envelope's commit skips the fsync, one FULL commit ends the run, then the run's acknowledgements and events; docs/sdk.md "Offline drain"). CPU per envelope is the bench process's (the SDK receiver; the sender is idle by then). Then the bench reads the relay's database until it holds none of the device's envelopes. Baseline: a plain \`ws\` server and client in the bench process, the same frame size and the relay's window of ${RELAY_IN_FLIGHT} unanswered frames.`,
      '',
      mdTable(header, rows),
      '',
      `SDK ÷ raw socket: ${(rate(r.sdk) / rate(r.raw)).toFixed(2)}×. SDK CPU per envelope (bench process): ${ms((r.sdk.cpuMs ?? 0) / o.envelopes)}.`,
      '',
      target,
      '',
      `Encrypted store (issue 15): a third receiver whose store has a passphrase (SQLCipher 4, key wrapped by scrypt) drains its own backlog of the same ${o.envelopes.toLocaleString('en')} messages in the same run. Target: its drain rate and its CPU per envelope within ${ENCRYPTED_TARGET}× of the plain store's. The plain store drains first, while the relay still holds the encrypted receiver's backlog as well, and both wait on the disk (one fsync per run of envelopes, and the relay's own on acknowledgements): the wall-clock rates move more between runs than the CPU ratio does.`,
      '',
      ...enc.map((line) => `- ${line}`),
      ...(r.profiled ? ['', ...profileSection(o, r.profiled)] : ['', 'Profile of the SDK drain: skipped in this run (`--no-drain-profile`).']),
    ].join('\n'),
  });
}

function targetLine(sdk: DrainRun): string {
  const got = rate(sdk);
  return `Target (issue 16): SDK offline drain (SDK client, SQLite store) ≥ ${DRAIN_TARGET.toLocaleString('en')} envelopes/s with the same durability (every envelope committed before its acknowledgement, one FULL sync per run) — ${met(got >= DRAIN_TARGET)} (${got.toFixed(0)} envelopes/s, ${(got / DRAIN_TARGET).toFixed(2)}× the target).`;
}

/** The report's paragraphs on the profiled drain: method, the shares by group, the top functions. */
function profileSection(o: DrainBenchOptions, p: ProfiledDrain): string[] {
  const s = p.shares;
  const program = shareOf(s, GROUP.program);
  const offCpu = Math.max(0, 1 - p.mainBusy);
  const libsignal = shareOf(s, GROUP.libsignal);
  const native = shareOf(s, GROUP.native);
  const ours = shareOf(s, GROUP.ours);
  return [
    `Where the SDK receiver's time goes: one more drain, of ${p.envelopes.toLocaleString('en')} envelopes${p.envelopes === o.envelopes ? ' (the figures\' size)' : ` (smaller than the figures' ${o.envelopes.toLocaleString('en')}, to keep its fill short; per-envelope work is the same)`}, by a fourth receiver with the plain SQLite store, its backlog sent after the figures' drains were done, under the V8 sampling profiler in the bench process (node:inspector, every 200 µs). Its times are in no figure above. On by default; \`--no-drain-profile\` skips it, \`--drain-profile-envelopes N\` sets its size, \`--drain-profile FILE\` keeps the whole profile elsewhere than the default \`aviso-bench-drain-sdk.cpuprofile\` in the temporary folder (for DevTools or tests/bench/support/profile-top.ts).`,
    '',
    `Shares of the main thread's sampled time, grouped by whose code ran (tests/bench/support/profile-shares.ts): a JavaScript frame counts for its package; a native frame (an addon's or Node binding's C++ function, which has no url) for the JavaScript that called it, so libsignal's native work under its JS wrappers is libsignal's, and better-sqlite3's native \`run\`/\`get\`/\`all\` called from our store are SQLite's (a commit's fsync is inside \`run\`). Over this drain the main thread was on a CPU ${pct(p.mainBusy)} of the wall time (/proc), the whole process ${pct(p.processBusy)} of one core (libsignal's and libuv's threads too).`,
    '',
    mdTable(['group', 'share of main-thread time'], shareRows(s)),
    '',
    `- Ours (packages/*/src, and V8 built-ins such as JSON.parse called from it, which have no frame of their own): ${pct(ours)}.`,
    `- libsignal: ${pct(libsignal)} under its JS wrappers; with the native frames that have no JS frame at all (${pct(native)}) at most ${pct(libsignal + native)}. Those native frames are counted as libsignal's by inference, not measured: V8 names a native frame after the nearest symbol it finds, and ${pct(s.nativeLibsignal)} of that time is under names from libsignal's Node binding (Rust: \`signal_…\`, neon${s.nativeTop ? `; the heaviest here \`${s.nativeTop}\`` : ''}), as are libsignal's native frames under its JS wrappers; an earlier profile found the same. That the name is right is not checked: V8 may pick a neighbouring symbol, but one inside libsignal's binding.`,
    `- V8's \`(program)\`, ${pct(program)}: time outside any JavaScript. The main thread was off a CPU ${pct(offCpu)} of the drain (waiting for the relay's next envelopes, for the disk in the fsync inside \`run\`, which the sampler counts under SQLite, or for a core on this shared machine); ${program <= offCpu ? '`(program)` is no more than that, so it is mostly the event loop waiting (an in-process profiler marks little as `(idle)`)' : `\`(program)\` is more than that, so at least ${pct(program - offCpu)} of the time is work on the main thread with no JS frame, which the sampler does not tell apart (libsignal's binding polling its async calls, V8 compiling, Node's own C++)`}.`,
    '',
    `The ${s.self.length} heaviest functions by self time (native frames marked; TypeScript files have no line: tsx compiles each to a line or so):`,
    '',
    mdTable(['#', 'self', 'function', 'group'], selfRows(s)),
  ];
}

/** The encrypted store against the plain one: the two ratios with their target, and the unlock time. */
function encryptedLines(o: DrainBenchOptions, r: { sdk: DrainRun; encrypted: DrainRun; unlockMs: number[] }): string[] {
  const slower = rate(r.sdk) / rate(r.encrypted);
  const cpuPlain = (r.sdk.cpuMs ?? 0) / o.envelopes;
  const cpuEnc = (r.encrypted.cpuMs ?? 0) / o.envelopes;
  const verdict = (x: number) => (x <= ENCRYPTED_TARGET ? `within the ${ENCRYPTED_TARGET}× target` : `over the ${ENCRYPTED_TARGET}× target`);
  return [
    `drain rate, plain ÷ encrypted: ${slower.toFixed(2)}× (${rate(r.sdk).toFixed(0)} vs ${rate(r.encrypted).toFixed(0)} envelopes/s), ${verdict(slower)}`,
    `receiver CPU per envelope, encrypted ÷ plain: ${(cpuEnc / cpuPlain).toFixed(2)}× (${ms(cpuEnc)} vs ${ms(cpuPlain)}), ${verdict(cpuEnc / cpuPlain)}`,
    `KDF unlock (\`AvisoClient.open({ passphrase })\`: scrypt, then SQLCipher opens the store): median ${ms(median(r.unlockMs))} of ${r.unlockMs.length} opens`,
  ];
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await benchDrain(parseDrainArgs(process.argv.slice(2)));
}
