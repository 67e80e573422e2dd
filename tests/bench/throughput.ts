import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { WebSocketServer } from 'ws';
import { AvisoClient } from '@aviso/client';
import { LIMITS, ROUTES } from '@aviso/protocol';
import { RelayProcess } from '../support/relay.js';
import { buildRawGroup } from './support/build-group.js';
import { MembersProcess } from './support/members-process.js';
import { BENCH_RELAY_ENV, cpuMsOf, nsToMs, queueRows, until } from './support/proc.js';
import { relayMeta } from '../support/raw-group.js';
import { addSection, benchCommand, describeDisk, mdTable, met, noteRelayDir } from './support/report.js';
import { bytes, mapLimit, ms, percentile, table } from './support/stats.js';
import { RemoteInspector, summarizeProfile, type CpuProfile } from './support/inspector.js';
import { intFlag } from './support/flags.js';
import { profileShares, selfRows, shareRows, type ProfileShares } from './support/profile-shares.js';

/**
 * Durable, acknowledged throughput: envelopes delivered per second to 1,000 online members, each
 * envelope persisted by the relay before delivery and deleted on the member's acknowledgement.
 * The sends are real group sends (one sealed sender v2 upload per message, authorised by a group
 * send endorsement token): the SDK sender makes one, and the bench replays its bytes and token many
 * times, many in flight — the relay cannot tell a replay from a new send, and the members (raw
 * sockets) do not decrypt. Same run, same member process, same payload size, two baselines:
 * (a) a plain `ws` server broadcasting the bytes, members answering each message;
 * (b) Mosquitto (if installed), MQTT QoS 1 with persistent sessions, members PUBACKing each message.
 * Each round runs all three back to back; ratios are per round.
 */

export interface ThroughputBenchOptions {
  members: number;
  /** Group sends per round (each is `members` envelopes). */
  sends: number;
  /** Uploads (Aviso), publishes awaiting PUBACK (MQTT) or un-acknowledged broadcasts (ws) in flight. */
  inFlight: number;
  rounds: number;
  /** Parent folder of the relay's and Mosquitto's data folders (a disk by default: durability costs fsync). */
  dataDir: string;
  /** Mosquitto binary; undefined skips baseline (b). */
  mosquitto: string | undefined;
  concurrency: number;
  /**
   * Profiles the relay over one extra Aviso round (not in the figures) and reports where its main
   * thread's time went: on by default, `--no-throughput-profile` skips it.
   */
  profile: boolean;
}

export function parseThroughputArgs(argv: string[]): ThroughputBenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: false,
    options: {
      'throughput-members': { type: 'string' },
      'throughput-sends': { type: 'string' },
      'throughput-in-flight': { type: 'string' },
      'throughput-rounds': { type: 'string' },
      'throughput-dir': { type: 'string' },
      mosquitto: { type: 'string' },
      'no-mosquitto': { type: 'boolean' },
      // Kept for older command lines: profiling is on unless --no-throughput-profile.
      'throughput-profile': { type: 'boolean' },
      'no-throughput-profile': { type: 'boolean' },
    },
  });
  const mosquitto = typeof values.mosquitto === 'string' ? values.mosquitto : '/usr/sbin/mosquitto';
  return {
    members: intFlag(values, 'throughput-members', 1000, 2, 10_000),
    sends: intFlag(values, 'throughput-sends', 100, 1, 10_000),
    inFlight: intFlag(values, 'throughput-in-flight', 16, 1, 1000),
    rounds: intFlag(values, 'throughput-rounds', 3, 1, 20),
    dataDir: typeof values['throughput-dir'] === 'string' ? values['throughput-dir'] : tmpdir(),
    mosquitto: values['no-mosquitto'] === true || !existsSync(mosquitto) ? undefined : mosquitto,
    concurrency: 8,
    profile: values['no-throughput-profile'] !== true,
  };
}

/** The flags that reproduce `o` (for the report's rerun command). */
function flags(o: ThroughputBenchOptions): string[] {
  return [
    '--only', 'throughput',
    '--throughput-members', String(o.members),
    '--throughput-sends', String(o.sends),
    '--throughput-in-flight', String(o.inFlight),
    '--throughput-rounds', String(o.rounds),
    ...(o.mosquitto ? [] : ['--no-mosquitto']),
    ...(o.profile ? [] : ['--no-throughput-profile']),
    ...(o.dataDir === tmpdir() ? [] : ['--throughput-dir', o.dataDir]),
  ];
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

interface Phase {
  /** Envelopes (messages × members) acknowledged at the members. */
  envelopes: number;
  /** First send started → last member acknowledgement, ms. */
  wallMs: number;
  /** CPU of the server process over the phase, ms (the relay, Mosquitto; for ws the bench process, which also sends). */
  serverCpuMs: number;
  /**
   * CPU of the members' process over the phase, ms. Close to the phase's wall time means the members
   * (one process, shared by all three servers) and not the server set the pace.
   */
  membersCpuMs: number;
  /** Aviso only: last acknowledgement → the relay's queue read back empty, ms. */
  emptyAfterMs?: number;
  /** Aviso only: every upload answered (stored), ms after the start. */
  storedMs?: number;
  /** CPU of the bench process over the phase, ms, where it is only the sender (Aviso: uploads; Mosquitto: the publisher). */
  senderCpuMs?: number;
}

/** Issue 16's target: durable throughput at least 1.2× Mosquitto QoS 1's, at the median round. */
const THROUGHPUT_TARGET = 1.2;

const rate = (p: Phase) => p.envelopes / (p.wallMs / 1000);

interface Captured {
  url: string;
  body: Uint8Array;
  headers: Record<string, string>;
}

export async function benchThroughput(o: ThroughputBenchOptions): Promise<void> {
  log(`\n## Throughput: durable, acknowledged envelopes per second to ${o.members} online members`);
  const relayData = mkdtempSync(join(o.dataDir, 'aviso-bench-throughput-relay-'));
  const sdkData = mkdtempSync(join(tmpdir(), 'aviso-bench-throughput-sdk-'));
  noteRelayDir(o.dataDir);
  const relay = await RelayProcess.start({
    dataDir: relayData,
    // The relay's inspector, on an ephemeral loopback port, only when profiling.
    env: { ...BENCH_RELAY_ENV, ...(o.profile ? { NODE_OPTIONS: '--inspect=127.0.0.1:0' } : {}) },
  });
  const members = new MembersProcess();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: LIMITS.maxFrameBytes, perMessageDeflate: false });
  let mosquitto: { child: ChildProcess; url: string; dir: string } | undefined;
  let sender: AvisoClient | undefined;
  try {
    const relayPid = relay.pid!;
    const meta = await relayMeta(relay.url);
    const token = await relay.createToken(o.members + 10, '1d');
    log(`Building a group of ${o.members} raw members and an SDK sender …`);
    const started = performance.now();
    const built = await buildRawGroup({ meta, token, members: o.members, concurrency: o.concurrency, spareUses: 2, log });
    let captured: Captured | undefined;
    sender = await AvisoClient.open({
      dataDir: join(sdkData, 'sender'),
      groupSyncIntervalMs: 0,
      fetch: (input, init) => {
        if (init.method === 'PUT' && input.includes(ROUTES.multiRecipient)) {
          captured = { url: input, body: new Uint8Array(init.body as Uint8Array), headers: { ...(init.headers as Record<string, string>) } };
        }
        return fetch(input, init);
      },
    });
    const group = await sender.join(built.group.inviteCode(built.invite, token), { displayName: 'sender' });
    const opened = await members.open({ type: 'open-relay', url: relay.url, authorizations: built.members.map((m) => m.authorization), concurrency: 50 });
    log(`  built in ${ms(performance.now() - started)}; ${opened.count} member sockets open`);

    // The first send starts sessions and hands each member the sender key (an SKDM, 1:1), then uploads.
    log('Warm-up send (sessions, SKDMs, one upload) …');
    const n = built.members.length;
    let expected = 2 * n;
    let armed = await members.expect('relay', expected);
    await group.sendText('warm-up');
    const warm = await armed.reached;
    if (!captured) throw new Error('the SDK made no multi-recipient upload');
    await until(() => queueRows(relayData).envelopes === 0, 'the relay queue to empty after the warm-up');
    const upload = captured;
    const frameBytes = warm.lastBytes;
    log(`  upload: ${bytes(upload.body.length)} for ${n} recipients; a member's deliver frame: ${bytes(frameBytes)}`);

    const wsPort = (wss.address() as AddressInfo).port;
    await members.open({ type: 'open-plain', url: `ws://127.0.0.1:${wsPort}`, count: n, concurrency: 50 });
    if (o.mosquitto) {
      mosquitto = await startMosquitto(o.mosquitto, o.dataDir);
      await members.open({ type: 'open-mqtt', url: mosquitto.url, topic: TOPIC, count: n, concurrency: 20 });
    }
    log(`  ${n} plain ws members${mosquitto ? ` and ${n} MQTT subscribers (Mosquitto ${mosquitto.url})` : ''} connected`);

    const avisoPhase = async (): Promise<Phase> => {
      expected += o.sends * n;
      const armedRelay = await members.expect('relay', expected);
      const cpu = cpuMsOf(relayPid);
      const membersCpu = cpuMsOf(members.pid!);
      const senderCpu = cpuMsOf(process.pid);
      // A fresh keep-alive pool per round: a connection left idle across the baselines' phases may be
      // closed by the relay's keep-alive timeout just as it is reused (ECONNRESET).
      const agent = new Agent({ keepAlive: true, maxSockets: o.inFlight });
      const t0 = process.hrtime.bigint();
      await mapLimit(Array.from({ length: o.sends }, (_, i) => i), o.inFlight, () => put(agent, upload));
      const storedAt = process.hrtime.bigint();
      agent.destroy();
      const done = await armedRelay.reached;
      const serverCpuMs = cpuMsOf(relayPid) - cpu;
      const membersCpuMs = cpuMsOf(members.pid!) - membersCpu;
      const senderCpuMs = cpuMsOf(process.pid) - senderCpu;
      const emptyAt = await until(() => {
        const q = queueRows(relayData);
        return q.envelopes === 0 && q.sharedPayloads === 0;
      }, 'the relay queue to empty');
      return {
        envelopes: o.sends * n,
        wallMs: nsToMs(done.at - t0),
        serverCpuMs,
        membersCpuMs,
        emptyAfterMs: Math.max(0, nsToMs(emptyAt - done.at)),
        storedMs: nsToMs(storedAt - t0),
        senderCpuMs,
      };
    };

    const payload = Buffer.alloc(frameBytes, 0x41); // the same size as a member's deliver frame
    const rounds: Array<{ aviso: Phase; ws: Phase; mqtt?: Phase }> = [];
    let wsTotal = 0;
    let mqttTotal = 0;
    for (let round = 1; round <= o.rounds; round++) {
      // ---- Aviso: replayed group sends, `inFlight` uploads at a time ----
      const aviso = await avisoPhase();
      // ---- (a) plain ws: broadcast, at most `inFlight` broadcasts not yet acknowledged by everyone ----
      wsTotal += o.sends * n;
      armed = await members.expect('plain', wsTotal);
      let cpu = process.cpuUsage().user + process.cpuUsage().system;
      let membersCpu = cpuMsOf(members.pid!);
      const w0 = process.hrtime.bigint();
      await broadcastWithAcks(wss, payload, o.sends, o.inFlight);
      const wsDone = await armed.reached;
      const cpuNow = process.cpuUsage();
      const ws: Phase = { envelopes: o.sends * n, wallMs: nsToMs(wsDone.at - w0), serverCpuMs: (cpuNow.user + cpuNow.system - cpu) / 1000, membersCpuMs: cpuMsOf(members.pid!) - membersCpu };

      // ---- (b) MQTT QoS 1 through Mosquitto ----
      let mq: Phase | undefined;
      if (mosquitto) {
        mqttTotal += o.sends * n;
        armed = await members.expect('mqtt', mqttTotal);
        const publisher = await mqtt.connectAsync(mosquitto.url, { clientId: `publisher-${round}`, reconnectPeriod: 0 });
        cpu = cpuMsOf(mosquitto.child.pid!);
        membersCpu = cpuMsOf(members.pid!);
        const publisherCpu = cpuMsOf(process.pid);
        const m0 = process.hrtime.bigint();
        await mapLimit(Array.from({ length: o.sends }, (_, i) => i), o.inFlight, () => publisher.publishAsync(TOPIC, payload, { qos: 1 }));
        const mqDone = await armed.reached;
        mq = {
          envelopes: o.sends * n,
          wallMs: nsToMs(mqDone.at - m0),
          serverCpuMs: cpuMsOf(mosquitto.child.pid!) - cpu,
          membersCpuMs: cpuMsOf(members.pid!) - membersCpu,
          senderCpuMs: cpuMsOf(process.pid) - publisherCpu,
        };
        await publisher.endAsync();
      }
      rounds.push({ aviso, ws, ...(mq ? { mqtt: mq } : {}) });
      log(
        `  round ${round}: Aviso ${rate(aviso).toFixed(0)}/s (queue empty ${ms(aviso.emptyAfterMs ?? 0)} after the last ack), plain ws ${rate(ws).toFixed(0)}/s` +
          (mq ? `, Mosquitto ${rate(mq).toFixed(0)}/s` : ''),
      );
    }
    let profile: ReturnType<typeof summarizeProfile> | undefined;
    let shares: ProfileShares | undefined;
    if (o.profile) {
      log('Profiling the relay over one more Aviso round (not in the figures) …');
      const inspector = await RemoteInspector.fromLog(relay.log);
      await inspector.call('Profiler.enable');
      await inspector.call('Profiler.start');
      await avisoPhase();
      const raw = (await inspector.call<{ profile: CpuProfile }>('Profiler.stop')).profile;
      inspector.close();
      profile = summarizeProfile(raw);
      shares = profileShares(raw);
      // The whole profile too, for support/profile-top.ts or a DevTools flame chart.
      const file = join(tmpdir(), 'aviso-bench-throughput-relay.cpuprofile');
      writeFileSync(file, JSON.stringify(raw));
      log(`  relay profile written to ${file}`);
    }
    const final = queueRows(relayData);
    if (final.envelopes !== 0 || final.sharedPayloads !== 0) throw new Error(`the relay still stores ${final.envelopes} envelopes`);
    report(o, { n, frameBytes, uploadBytes: upload.body.length, rounds, relayDir: relayData, profile, shares });
  } finally {
    await sender?.close().catch(() => undefined);
    await members.close().catch(() => undefined);
    await new Promise((r) => wss.close(r));
    if (mosquitto) {
      mosquitto.child.kill('SIGKILL');
      rmSync(mosquitto.dir, { recursive: true, force: true });
    }
    await relay.dispose();
    rmSync(relayData, { recursive: true, force: true });
    rmSync(sdkData, { recursive: true, force: true });
  }
}

const TOPIC = 'aviso/bench/alerts';

/** One replayed group send over `agent`; throws unless the relay answers 200. */
function put(agent: Agent, upload: Captured): Promise<void> {
  return new Promise((resolvePut, reject) => {
    const req = httpRequest(upload.url, { method: 'PUT', agent, headers: { ...upload.headers, 'content-length': String(upload.body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolvePut() : reject(new Error(`group send → ${res.statusCode} ${Buffer.concat(chunks).toString()}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(upload.body);
  });
}

/**
 * `count` broadcasts of `payload` to every client, starting the next one while fewer than `inFlight`
 * broadcasts await acknowledgements from every client (acks arrive in order per socket).
 */
function broadcastWithAcks(wss: WebSocketServer, payload: Buffer, count: number, inFlight: number): Promise<void> {
  const clients = [...wss.clients];
  const n = clients.length;
  return new Promise((resolveAll) => {
    let sent = 0;
    let acks = 0;
    const pump = () => {
      while (sent < count && sent - Math.floor(acks / n) < inFlight) {
        sent++;
        for (const ws of clients) ws.send(payload, { binary: false });
      }
      if (acks === count * n) {
        for (const ws of clients) ws.off('message', onAck);
        resolveAll();
      }
    };
    const onAck = () => {
      acks++;
      pump();
    };
    for (const ws of clients) ws.on('message', onAck);
    pump();
  });
}

/** Mosquitto on a free loopback port, persistence on, in a folder of its own; resolves once it accepts MQTT. */
async function startMosquitto(binary: string, parent: string): Promise<{ child: ChildProcess; url: string; dir: string }> {
  const dir = mkdtempSync(join(parent, 'aviso-bench-mosquitto-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence true',
      `persistence_location ${dir}/`,
      // Per-subscriber QoS 1 window: the relay's per-connection in-flight window is 100 envelopes.
      'max_inflight_messages 100',
      'max_queued_messages 1000000',
      'log_dest none',
      '',
    ].join('\n'),
  );
  const child = spawn(binary, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const url = `mqtt://127.0.0.1:${port}`;
  const deadline = performance.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited (${child.exitCode}): ${stderr}`);
    try {
      const probe = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 1000 });
      await probe.endAsync();
      return { child, url, dir };
    } catch (err) {
      if (performance.now() > deadline) throw new Error(`mosquitto did not accept connections: ${String(err)} ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePort(port));
    });
  });
}

function report(
  o: ThroughputBenchOptions,
  r: {
    n: number;
    frameBytes: number;
    uploadBytes: number;
    rounds: Array<{ aviso: Phase; ws: Phase; mqtt?: Phase }>;
    relayDir: string;
    profile: ReturnType<typeof summarizeProfile> | undefined;
    shares: ProfileShares | undefined;
  },
): void {
  const med = (f: (x: { aviso: Phase; ws: Phase; mqtt?: Phase }) => number | undefined) => {
    const v = r.rounds.map(f).filter((x): x is number => x !== undefined);
    return v.length ? percentile(v, 50) : Number.NaN;
  };
  const aviso = med((x) => rate(x.aviso));
  const ws = med((x) => rate(x.ws));
  const mq = med((x) => (x.mqtt ? rate(x.mqtt) : undefined));
  const vsWs = med((x) => rate(x.aviso) / rate(x.ws));
  const vsMq = med((x) => (x.mqtt ? rate(x.aviso) / rate(x.mqtt) : undefined));
  const perK = (p: Phase) => (p.serverCpuMs / p.envelopes) * 1000;
  // The members' share of the phase's wall time: near 100 % the members' process was the bottleneck.
  const medBusy = (f: (x: { aviso: Phase; ws: Phase; mqtt?: Phase }) => Phase | undefined) => {
    const v = r.rounds.map(f).filter((x): x is Phase => x !== undefined).map((p) => p.membersCpuMs / p.wallMs);
    return v.length ? `${(percentile(v, 50) * 100).toFixed(0)} %` : '';
  };
  const rows = [
    ['Aviso relay (group sends, SQLite WAL, synchronous=FULL)', aviso.toFixed(0), '1.00', ms(med((x) => perK(x.aviso))), medBusy((x) => x.aviso)],
    ['plain ws broadcast (no storage)', ws.toFixed(0), (aviso / ws).toFixed(2), ms(med((x) => perK(x.ws))), medBusy((x) => x.ws)],
    ...(o.mosquitto ? [['Mosquitto, MQTT QoS 1, persistent sessions', mq.toFixed(0), (aviso / mq).toFixed(2), ms(med((x) => perK(x.mqtt!))), medBusy((x) => x.mqtt)]] : []),
  ];
  const header = ['server', 'envelopes/s (median of rounds)', 'Aviso ÷ this', 'server CPU per 1,000 envelopes', "members' process CPU ÷ wall time"];
  log(`\n### Results: throughput, ${r.n} members, ${o.sends} messages per round × ${o.rounds} rounds, ${o.inFlight} in flight\n`);
  log(table(header, rows));
  const target = o.mosquitto ? `Aviso ≥ ${THROUGHPUT_TARGET}× Mosquitto: ${vsMq >= THROUGHPUT_TARGET ? 'met' : 'NOT met'} (${vsMq.toFixed(2)}× at the median round)` : `Aviso ≥ ${THROUGHPUT_TARGET}× Mosquitto: not measured (no mosquitto binary)`;
  log(`   ${target}; Aviso ÷ plain ws ${vsWs.toFixed(2)}×`);
  const pace = paceSentence(r.rounds);
  log(`   ${pace}`);
  const emptyAfter = r.rounds.map((x) => x.aviso.emptyAfterMs ?? 0);
  log(`   relay queue read back empty at most ${ms(Math.max(...emptyAfter))} after the last member acknowledgement (every round); uploads stored after ${ms(med((x) => x.aviso.storedMs))} (median)`);

  const p = r.profile;
  const profileRows = p ? Array.from({ length: Math.max(p.self.length, p.ours.length) }, (_, i) => [ms(p.self[i]?.ms ?? Number.NaN), p.self[i]?.name ?? '', ms(p.ours[i]?.ms ?? Number.NaN), p.ours[i]?.name ?? '']) : [];
  const profileHeader = ['self', 'function', 'charged', 'innermost Aviso function on the stack'];
  if (r.shares) {
    log(`\n   The relay's main thread over one more round, by group (V8 profiler; not in the figures above):`);
    log(table(['group', 'share'], shareRows(r.shares)));
  }
  if (p) {
    log(`\n   Where the relay's CPU went over one more round of ${o.sends} sends (V8 profiler; not in the figures above):`);
    log(table(profileHeader, profileRows));
  }
  const perRound = mdTable(
    ['round', 'Aviso /s', 'plain ws /s', ...(o.mosquitto ? ['Mosquitto /s', 'Aviso ÷ Mosquitto'] : []), 'Aviso ÷ plain ws', 'relay queue empty after last ack'],
    r.rounds.map((x, i) => [
      String(i + 1),
      rate(x.aviso).toFixed(0),
      rate(x.ws).toFixed(0),
      ...(x.mqtt ? [rate(x.mqtt).toFixed(0), (rate(x.aviso) / rate(x.mqtt)).toFixed(2)] : []),
      (rate(x.aviso) / rate(x.ws)).toFixed(2),
      ms(x.aviso.emptyAfterMs ?? 0),
    ]),
  );
  addSection({
    title: 'Throughput: durable, acknowledged delivery',
    command: benchCommand(flags(o)),
    body: [
      `Relay data folder: ${describeDisk(o.dataDir)}.`,
      '',
      `${r.n} members online; each round sends ${o.sends} messages to all of them (${(o.sends * r.n).toLocaleString('en')} envelopes), ${o.inFlight} in flight, ${o.rounds} rounds.`,
      `An envelope counts once the member has acknowledged it. Aviso: one sealed sender v2 group upload (${bytes(r.uploadBytes)}, a group send endorsement token, made by the SDK and replayed) per message; the relay commits each upload's ${r.n} envelopes before delivery and deletes each on its acknowledgement; after every round the bench reads the relay's database and finds no envelope left. Plain ws: the same ${bytes(r.frameBytes)} per member (a deliver frame's size), each answered; at most ${o.inFlight} broadcasts not yet answered by everyone. Mosquitto: QoS 1, clean-session-false subscribers, the publisher keeping ${o.inFlight} PUBLISHes awaiting PUBACK; persistence on (Mosquitto snapshots to disk periodically, not per message: less durable than the relay's per-upload commit with synchronous=FULL).`,
      "Members: raw sockets in one separate process, shared by all three servers. Server CPU for plain ws is the bench process, which is also the sender. The members' process CPU ÷ wall time says who set the pace: near 100 % it was the members' process (one core), not the server; then Aviso ÷ Mosquitto measures the member side (ws frames against MQTT.js) as much as the servers.",
      '',
      mdTable(header, rows),
      '',
      `Target: Aviso ≥ ${THROUGHPUT_TARGET}× Mosquitto at the median round, in three separate runs (this is one) — ${o.mosquitto ? `${met(vsMq >= THROUGHPUT_TARGET)} (${vsMq.toFixed(2)}× at the median round)` : 'not measured (no mosquitto binary)'}. Aviso ÷ plain ws: ${vsWs.toFixed(2)}×.`,
      '',
      perRound,
      '',
      pace,
      ...(r.shares
        ? [
            '',
            `Where the relay's main thread spent that extra round, as shares of its sampled time, grouped by whose code ran (tests/bench/support/profile-shares.ts, the grouping of the offline drain's profile: a native frame counts for the JavaScript that called it; better-sqlite3's native calls from our code or drizzle-orm are SQLite's). The relay runs with \`--inspect\` on a loopback port in every round (no session attached until this one):`,
            '',
            mdTable(['group', "share of the relay's main-thread time"], shareRows(r.shares)),
            '',
            `The ${r.shares.self.length} heaviest functions by self time:`,
            '',
            mdTable(['#', 'self', 'function', 'group'], selfRows(r.shares)),
          ]
        : ['', 'Relay profile: skipped in this run (`--no-throughput-profile`).']),
      ...(p
        ? [
            '',
            `Where the relay's time went over one more round (V8 profiler, not in the figures above; the sampler charges time blocked inside a synchronous call, such as a SQLite commit's fsync in \`run\`, to that call):`,
            '',
            mdTable(profileHeader, profileRows),
          ]
        : []),
    ].join('\n'),
  });
}

/**
 * Which process set each phase's pace: CPU ÷ wall time of every process in it (median of rounds; 100 %
 * is one core), and the one nearest a full core. A process held near a core cannot go faster; if none
 * is, the pace was set by waiting (disk syncs, the loopback, the shared machine).
 */
function paceSentence(rounds: Array<{ aviso: Phase; ws: Phase; mqtt?: Phase }>): string {
  const busy = (pick: (x: { aviso: Phase; ws: Phase; mqtt?: Phase }) => Phase | undefined, cpu: (p: Phase) => number | undefined): number | undefined => {
    const v = rounds.map(pick).filter((p): p is Phase => p !== undefined).map((p) => (cpu(p) ?? Number.NaN) / p.wallMs).filter((x) => Number.isFinite(x));
    return v.length ? percentile(v, 50) : undefined;
  };
  const phase = (name: string, procs: Array<[string, number | undefined]>): string => {
    const got = procs.filter((x): x is [string, number] => x[1] !== undefined);
    const nearest = [...got].sort((a, b) => Math.abs(a[1] - 1) - Math.abs(b[1] - 1))[0];
    const list = got.map(([who, x]) => `${who} ${(x * 100).toFixed(0)} %`).join(', ');
    const verdict = !nearest ? '' : nearest[1] >= 0.8 ? `: the ${nearest[0]} set the pace` : `: none at 80 % of a core or more (nearest: the ${nearest[0]}), so waiting set the pace (the disk, the loopback, or a core of this shared machine)`;
    return `${name} — ${list}${verdict}`;
  };
  const parts = [
    phase('Aviso', [
      ['relay', busy((x) => x.aviso, (p) => p.serverCpuMs)],
      ["members' process", busy((x) => x.aviso, (p) => p.membersCpuMs)],
      ['bench process (uploads)', busy((x) => x.aviso, (p) => p.senderCpuMs)],
    ]),
    ...(rounds.some((x) => x.mqtt)
      ? [
          phase('Mosquitto', [
            ['Mosquitto', busy((x) => x.mqtt, (p) => p.serverCpuMs)],
            ["members' process", busy((x) => x.mqtt, (p) => p.membersCpuMs)],
            ['bench process (publisher)', busy((x) => x.mqtt, (p) => p.senderCpuMs)],
          ]),
        ]
      : []),
    phase('plain ws', [
      ['bench process (server and sender)', busy((x) => x.ws, (p) => p.serverCpuMs)],
      ["members' process", busy((x) => x.ws, (p) => p.membersCpuMs)],
    ]),
  ];
  return `Who set the pace (each process's CPU ÷ the phase's wall time, median of rounds; 100 % is one core, the one nearest it is the bottleneck): ${parts.join('; ')}.`;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await benchThroughput(parseThroughputArgs(process.argv.slice(2)));
}
