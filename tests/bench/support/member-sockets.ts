import { ROUTES, WS_SUBPROTOCOL } from '@aviso/protocol';
import mqtt, { type MqttClient } from 'mqtt';
import { WebSocket, type RawData } from 'ws';
import { mapLimit } from './stats.js';

/**
 * Many acknowledging members in a process of their own (forked by members-process.ts), so their work
 * does not share an event loop with the server under test. Three sets, each counting a message only
 * once its acknowledgement has been handed to the socket:
 * - relay: authenticated aviso.v1 sockets answering every `message.deliver` with `response 200`;
 * - plain: sockets to a plain `ws` server answering every message with a 1-byte text frame;
 * - mqtt: MQTT subscribers (QoS 1, persistent sessions); mqtt.js sends the PUBACK right after the
 *   'message' event, in the same tick, so counting there counts acknowledged messages.
 * Times are `process.hrtime.bigint()` (CLOCK_MONOTONIC: comparable across processes on one host).
 */

export type MemberSet = 'relay' | 'plain' | 'mqtt';

export type MembersRequest =
  | { type: 'open-relay'; url: string; authorizations: string[]; concurrency: number }
  | { type: 'open-plain'; url: string; count: number; concurrency: number }
  | { type: 'open-mqtt'; url: string; topic: string; count: number; concurrency: number }
  /** Report once the set's acknowledged messages reach `total` (counted since the set was opened). */
  | { type: 'expect'; set: MemberSet; total: number }
  | { type: 'close-set'; set: MemberSet }
  | { type: 'close' };

export type MembersResponse =
  | { type: 'opened'; set: MemberSet; count: number; ms: number }
  | { type: 'armed'; set: MemberSet; count: number }
  /** hrtime (ns, decimal string) of the acknowledgement that reached the total. */
  | { type: 'reached'; set: MemberSet; at: string; count: number; lastBytes: number }
  | { type: 'closed'; set: MemberSet }
  | { type: 'failed'; error: string };

interface SetState {
  count: number;
  /** Size of the last message counted (for a relay set, the whole deliver frame's text). */
  lastBytes: number;
  target: number | undefined;
  close: Array<() => Promise<void> | void>;
}

const sets: Record<MemberSet, SetState> = {
  relay: { count: 0, lastBytes: 0, target: undefined, close: [] },
  plain: { count: 0, lastBytes: 0, target: undefined, close: [] },
  mqtt: { count: 0, lastBytes: 0, target: undefined, close: [] },
};

function reply(res: MembersResponse): void {
  process.send?.(res);
}

function counted(set: MemberSet, bytes: number): void {
  const s = sets[set];
  s.count++;
  s.lastBytes = bytes;
  if (s.target !== undefined && s.count >= s.target) {
    s.target = undefined;
    reply({ type: 'reached', set, at: process.hrtime.bigint().toString(), count: s.count, lastBytes: bytes });
  }
}

const DELIVER = Buffer.from('{"type":"message.deliver"');
const QUEUE_EMPTY = Buffer.from('{"type":"queue.empty"');
const ID = /"id":(\d+)/;

function asBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function openRelay(url: string, authorization: string): Promise<void> {
  return new Promise((resolveOpen, reject) => {
    const ws = new WebSocket(url, WS_SUBPROTOCOL, { headers: { authorization }, perMessageDeflate: false });
    sets.relay.close.push(() => ws.terminate());
    ws.once('error', reject);
    ws.on('message', (data) => {
      const buf = asBuffer(data);
      if (buf.subarray(0, DELIVER.length).equals(DELIVER)) {
        // The id comes right after the type in the relay's deliver frames; no need to parse the envelope.
        const id = ID.exec(buf.toString('latin1', 0, 64))?.[1];
        if (id === undefined) throw new Error('a deliver frame without an id');
        ws.send(`{"type":"response","id":${id},"status":200}`);
        counted('relay', buf.length);
      } else if (buf.subarray(0, QUEUE_EMPTY.length).equals(QUEUE_EMPTY)) {
        ws.off('error', reject);
        resolveOpen();
      }
    });
  });
}

function openPlain(url: string): Promise<void> {
  return new Promise((resolveOpen, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    sets.plain.close.push(() => ws.terminate());
    ws.once('error', reject);
    ws.on('message', (data) => {
      ws.send('a');
      counted('plain', asBuffer(data).length);
    });
    ws.once('open', () => {
      ws.off('error', reject);
      resolveOpen();
    });
  });
}

function openMqtt(url: string, topic: string, index: number): Promise<void> {
  return new Promise((resolveOpen, reject) => {
    const client: MqttClient = mqtt.connect(url, { clientId: `member-${index}`, clean: false, reconnectPeriod: 0, keepalive: 600 });
    sets.mqtt.close.push(() => new Promise<void>((r) => client.end(true, {}, () => r())));
    client.once('error', reject);
    client.on('message', (_topic, payload) => counted('mqtt', payload.length));
    client.once('connect', () => {
      client.subscribe(topic, { qos: 1 }, (err) => {
        if (err) reject(err);
        else {
          client.off('error', reject);
          resolveOpen();
        }
      });
    });
  });
}

/** `one(k, i)`: k counts every member the set ever had (a unique MQTT client id), i this batch only. */
async function openSet(set: MemberSet, n: number, concurrency: number, one: (k: number, i: number) => Promise<void>): Promise<void> {
  const started = performance.now();
  const base = sets[set].close.length;
  await mapLimit(Array.from({ length: n }, (_, i) => i), concurrency, (i) => one(base + i, i));
  reply({ type: 'opened', set, count: sets[set].close.length, ms: performance.now() - started });
}

process.on('message', (req: MembersRequest) => {
  void (async () => {
    try {
      switch (req.type) {
        case 'open-relay': {
          const wsUrl = new URL(ROUTES.websocket, req.url.replace(/^http/, 'ws')).toString();
          await openSet('relay', req.authorizations.length, req.concurrency, (_k, i) => openRelay(wsUrl, req.authorizations[i]!));
          return;
        }
        case 'open-plain':
          await openSet('plain', req.count, req.concurrency, () => openPlain(req.url));
          return;
        case 'open-mqtt':
          await openSet('mqtt', req.count, req.concurrency, (k) => openMqtt(req.url, req.topic, k));
          return;
        case 'expect': {
          const s = sets[req.set];
          if (s.target !== undefined) throw new Error(`an expectation on the ${req.set} set is still pending`);
          reply({ type: 'armed', set: req.set, count: s.count });
          if (s.count >= req.total) reply({ type: 'reached', set: req.set, at: process.hrtime.bigint().toString(), count: s.count, lastBytes: s.lastBytes });
          else s.target = req.total;
          return;
        }
        case 'close-set': {
          const s = sets[req.set];
          await Promise.all(s.close.splice(0).map((c) => c()));
          reply({ type: 'closed', set: req.set });
          return;
        }
        case 'close':
          for (const s of Object.values(sets)) await Promise.all(s.close.splice(0).map((c) => c()));
          process.disconnect();
          return;
      }
    } catch (err) {
      reply({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  })();
});
