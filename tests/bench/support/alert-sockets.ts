import { ROUTES, WS_SUBPROTOCOL } from '@aviso/protocol';
import { WebSocket, type RawData } from 'ws';
import { mapLimit } from './stats.js';

/**
 * The alert bench's "members": a process of its own holding many WebSocket connections, so their
 * receive work does not share an event loop with the relay or the sender. Two sets:
 * - relay sockets, one per raw account (subprotocol aviso.v1, Basic auth), answering every
 *   `message.deliver` with `response 200` as a client does once it has stored the envelope;
 * - plain sockets to the baseline `ws` server, which only count what they receive.
 * Arrival times are `process.hrtime.bigint()` (CLOCK_MONOTONIC: comparable across processes on one host).
 */

export type SocketsRequest =
  | { type: 'open-relay'; url: string; authorizations: string[]; concurrency: number }
  | { type: 'open-plain'; url: string; count: number; concurrency: number }
  /**
   * Report when every socket of `set` has received `more` messages (deliveries, for relay sockets)
   * from now on; with `group`, only group sends count (sealed sender v2: SKDMs and other 1:1
   * messages that arrive meanwhile do not).
   */
  | { type: 'await'; set: SocketSet; more: number; group?: boolean }
  | { type: 'close' };

export type SocketSet = 'relay' | 'plain';

export type SocketsResponse =
  | { type: 'opened'; set: SocketSet; count: number; ms: number }
  | { type: 'armed' }
  | {
      type: 'reached';
      set: SocketSet;
      /** hrtime (ns, as a decimal string) when the first and the last socket had all `more` messages. */
      firstAt: string;
      lastAt: string;
      /** Size of the last frame counted (UTF-8 bytes of the JSON text). */
      frameBytes: number;
      /** Relay set only: hrtime when every socket's acknowledgements had been answered (a ping after them came back). */
      quietAt?: string;
    }
  | { type: 'failed'; error: string };

interface SocketSetState {
  sockets: WebSocket[];
  counts: Int32Array;
  /** Group sends only (relay set): deliveries whose content is a sealed sender v2 ReceivedMessage. */
  groupCounts: Int32Array;
  /** The current await counts `groupCounts`. */
  awaitsGroup: boolean;
  /** Per socket, the count that completes the current `await`; undefined when nothing is awaited. */
  targets: Int32Array | undefined;
  reached: number;
  firstAt: bigint;
  frameBytes: number;
}

const sets: Record<SocketSet, SocketSetState> = {
  relay: emptySet(),
  plain: emptySet(),
};

function emptySet(): SocketSetState {
  return { sockets: [], counts: new Int32Array(0), groupCounts: new Int32Array(0), awaitsGroup: false, targets: undefined, reached: 0, firstAt: 0n, frameBytes: 0 };
}

function reply(res: SocketsResponse): void {
  process.send?.(res);
}

// Acknowledgements are sent after the current batch of socket reads (setImmediate), so a socket's
// arrival time is taken before this process spends time answering the sockets ahead of it.
let pendingAcks: Array<{ ws: WebSocket; data: RawData }> = [];
let pingsOutstanding = 0;
let quietWaiter: ((at: bigint) => void) | undefined;

function flushAcks(): void {
  const batch = pendingAcks;
  pendingAcks = [];
  for (const { ws, data } of batch) {
    const frame = JSON.parse(toText(data)) as { id: number };
    ws.send(`{"type":"response","id":${frame.id},"status":200}`);
  }
}

function toText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data.byteLength;
}

const DELIVER_PREFIX = '{"type":"message.deliver"';
const CONTENT_KEY = Buffer.from('"content":"');
/** base64 of a first byte 0x22: the relay's sealed sender v2 ReceivedMessage (a group send); 1:1 sealed sender starts 0x11 ("E"). */
const GROUP_SEND_FIRST = 'I'.charCodeAt(0);

function isGroupSend(data: RawData): boolean {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(toText(data));
  const at = buf.indexOf(CONTENT_KEY);
  return at >= 0 && buf[at + CONTENT_KEY.length] === GROUP_SEND_FIRST;
}
const PONG_PREFIX = '{"type":"pong"';

function onMessage(set: SocketSet, index: number, ws: WebSocket, data: RawData): void {
  const at = process.hrtime.bigint();
  const state = sets[set];
  if (set === 'relay') {
    const head = (Buffer.isBuffer(data) ? data : Buffer.from(toText(data))).toString('latin1', 0, 32);
    if (head.startsWith(PONG_PREFIX)) {
      if (--pingsOutstanding === 0) quietWaiter?.(at);
      return;
    }
    if (!head.startsWith(DELIVER_PREFIX)) return; // queue.empty and the like
    // While an alert is being timed, acknowledgements wait until every socket has it (report()
    // sends them): a thousand members share this one process, so answering in-line would delay
    // reading the later sockets and count this process's work as fan-out time. On real devices each
    // member answers on its own; the relay's work is the same either way (its fan-out loop runs to
    // the end before it reads any answer), and the acknowledgement drain is timed after.
    // A 1:1 message (an SKDM) while a group send is awaited is answered at once, as a device would.
    const group = isGroupSend(data);
    if (group) state.groupCounts[index]!++;
    if (state.targets !== undefined && state.awaitsGroup && !group) {
      state.counts[index]!++;
      const frame = JSON.parse(toText(data)) as { id: number };
      ws.send(`{"type":"response","id":${frame.id},"status":200}`);
      return;
    }
    if (pendingAcks.push({ ws, data }) === 1 && state.targets === undefined) setImmediate(flushAcks);
  }
  let count = ++state.counts[index]!;
  if (state.awaitsGroup) count = state.groupCounts[index]!;
  if (state.targets !== undefined && count === state.targets[index]) {
    state.reached++;
    if (state.reached === 1) state.firstAt = at;
    if (state.reached === state.sockets.length) {
      state.frameBytes = byteLength(data);
      state.targets = undefined;
      void report(set, at);
    }
  }
}

async function report(set: SocketSet, lastAt: bigint): Promise<void> {
  const state = sets[set];
  let quietAt: bigint | undefined;
  if (set === 'relay') {
    // After our acknowledgements go out, one ping per socket: its pong means the relay has handled
    // everything that socket sent before it (frames of one socket are processed in order).
    await new Promise<void>((r) => setImmediate(r));
    flushAcks();
    quietAt = await new Promise<bigint>((resolveQuiet) => {
      quietWaiter = resolveQuiet;
      pingsOutstanding = state.sockets.length;
      state.sockets.forEach((ws, i) => ws.send(`{"type":"ping","id":${i + 1}}`));
    });
    quietWaiter = undefined;
  }
  reply({
    type: 'reached',
    set,
    firstAt: state.firstAt.toString(),
    lastAt: lastAt.toString(),
    frameBytes: state.frameBytes,
    ...(quietAt === undefined ? {} : { quietAt: quietAt.toString() }),
  });
}

function open(set: SocketSet, url: string, headers: Record<string, string> | undefined, index: number): Promise<WebSocket> {
  return new Promise((resolveOpen, reject) => {
    const ws = set === 'relay' ? new WebSocket(url, WS_SUBPROTOCOL, { headers: headers ?? {} }) : new WebSocket(url);
    const fail = (err: Error) => reject(err);
    ws.once('error', fail);
    ws.on('message', (data) => onMessage(set, index, ws, data));
    if (set === 'plain') {
      ws.once('open', () => {
        ws.off('error', fail);
        resolveOpen(ws);
      });
      return;
    }
    // A relay socket is ready once its backlog is out (queue.empty).
    const onReady = (data: RawData) => {
      if (!toText(data).startsWith('{"type":"queue.empty"')) return;
      ws.off('message', onReady);
      ws.off('error', fail);
      resolveOpen(ws);
    };
    ws.on('message', onReady);
  });
}

async function openSet(set: SocketSet, url: string, headers: Array<Record<string, string> | undefined>, concurrency: number): Promise<void> {
  const started = performance.now();
  const state = sets[set];
  const base = state.sockets.length;
  const counts = new Int32Array(base + headers.length);
  counts.set(state.counts);
  state.counts = counts;
  const groupCounts = new Int32Array(base + headers.length);
  groupCounts.set(state.groupCounts);
  state.groupCounts = groupCounts;
  const opened = await mapLimit(headers, concurrency, (h, i) => open(set, url, h, base + i));
  state.sockets.push(...opened);
  reply({ type: 'opened', set, count: state.sockets.length, ms: performance.now() - started });
}

function arm(set: SocketSet, more: number, group: boolean): void {
  const state = sets[set];
  if (state.targets !== undefined) throw new Error(`an await on the ${set} sockets is still pending`);
  if (!(more > 0) || state.sockets.length === 0) throw new Error('nothing to await');
  state.awaitsGroup = group && set === 'relay';
  state.targets = (state.awaitsGroup ? state.groupCounts : state.counts).map((c) => c + more);
  state.reached = 0;
  reply({ type: 'armed' });
}

process.on('message', (req: SocketsRequest) => {

  void (async () => {
    try {
      switch (req.type) {
        case 'open-relay': {
          const wsUrl = new URL(ROUTES.websocket, req.url.replace(/^http/, 'ws')).toString();
          await openSet('relay', wsUrl, req.authorizations.map((authorization) => ({ authorization })), req.concurrency);
          return;
        }
        case 'open-plain':
          await openSet('plain', req.url, Array.from({ length: req.count }, () => undefined), req.concurrency);
          return;
        case 'await':
          arm(req.set, req.more, req.group === true);
          return;
        case 'close':
          for (const s of Object.values(sets)) for (const ws of s.sockets) ws.terminate();
          process.disconnect();
          return;
      }
    } catch (err) {
      reply({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  })();
});
