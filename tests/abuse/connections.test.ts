import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CLOSE_CODES, ErrorBody, ROUTES, WS_SUBPROTOCOL } from '@aviso/protocol';
import { registerRaw, type RawAccount } from '../support/raw-account.js';
import { RelayProcess } from '../support/relay.js';
import { LegitPair, openSocket } from '../support/legit-pair.js';
import { scale } from '../support/scale.js';
import { closed, duringAttack, LatencyReport, rawSocket } from './support.js';

/**
 * Connection-level abuse against a real relay process: idle and slow (slowloris) sockets, floods past
 * the connection caps, and a device opening socket after socket. The caps must hold, stalled sockets
 * must be closed by the relay's timeouts, and a legit pair must keep exchanging messages.
 */

const MAX_CONNECTIONS = scale(80, 3000);
const WS_MAX = scale(6, 400);
const IDLE_FLOOD = MAX_CONNECTIONS - 30; // room for the pair's sockets and fetch's pool
const SLOW_CLIENTS = scale(10, 400);

let relay: RelayProcess;
let pair: LegitPair;
/** One CLI-made token for every account this file registers (each CLI run costs seconds). */
let token: string;
const report = new LatencyReport();

beforeAll(async () => {
  relay = await RelayProcess.start({
    env: {
      AVISO_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      AVISO_WS_MAX_CONNECTIONS: String(WS_MAX),
      AVISO_HEADERS_TIMEOUT_SECONDS: '2',
      AVISO_REQUEST_TIMEOUT_SECONDS: '4',
      AVISO_REGISTER_RATE_CAPACITY: '10000',
      AVISO_SEND_RATE_CAPACITY: '100000', // the pair exchanges back to back; send flood control is not the subject here
    },
  });
  token = await relay.createToken(WS_MAX + 10);
  pair = await LegitPair.create(relay.url, token, token);
  report.add('baseline (no abuse)', await pair.exchanges(10));
});

afterAll(async () => {
  report.print('Connection abuse');
  pair?.close();
  await relay?.dispose();
}, 120_000);

/** Opens `n` raw sockets (one after another, so the relay accepts them in order). */
async function openMany(n: number): Promise<Socket[]> {
  const out: Socket[] = [];
  for (let i = 0; i < n; i++) out.push(await rawSocket(relay.url));
  return out;
}

describe('idle and slow sockets', () => {
  test(`${IDLE_FLOOD} idle sockets below the cap: members are still served, and the headers timeout closes every one`, async () => {
    const { result: sockets, latencies } = await duringAttack(pair, async () => {
      const s = await openMany(IDLE_FLOOD);
      await Promise.all(s.map((x) => closed(x)));
      return s;
    });
    report.add(`during ${IDLE_FLOOD} idle sockets`, latencies);
    expect(sockets.every((s) => s.destroyed)).toBe(true);
  });

  test(`slowloris: ${SLOW_CLIENTS} clients dribbling headers byte by byte are cut off by the headers timeout`, async () => {
    const { result, latencies } = await duringAttack(pair, async () => {
      const sockets = await openMany(SLOW_CLIENTS);
      const texts = sockets.map(() => '');
      const head = 'GET /health HTTP/1.1\r\nHost: relay\r\nX-Padding: ';
      const timers = sockets.map((s, i) => {
        s.on('data', (c: Buffer) => (texts[i] += c.toString('latin1')));
        let at = 0;
        // One byte every 100 ms: headers that would never end.
        return setInterval(() => {
          if (!s.destroyed) s.write(at < head.length ? head[at++]! : 'a');
        }, 100);
      });
      try {
        await Promise.all(sockets.map((s) => closed(s)));
      } finally {
        timers.forEach(clearInterval);
      }
      return texts;
    });
    report.add(`during ${SLOW_CLIENTS} slowloris header dribblers`, latencies);
    // Node answers a headers timeout with 408 and closes; nothing else was ever sent to them.
    for (const text of result) expect(text === '' || text.startsWith('HTTP/1.1 408')).toBe(true);
  });

  test(`slow bodies: ${SLOW_CLIENTS} clients dribbling a request body are cut off by the request timeout`, async () => {
    const { result, latencies } = await duringAttack(pair, async () => {
      const sockets = await openMany(SLOW_CLIENTS);
      const texts = sockets.map(() => '');
      const timers = sockets.map((s, i) => {
        s.on('data', (c: Buffer) => (texts[i] += c.toString('latin1')));
        s.write(`POST ${ROUTES.accounts} HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{`);
        return setInterval(() => {
          if (!s.destroyed) s.write(' ');
        }, 100);
      });
      try {
        await Promise.all(sockets.map((s) => closed(s)));
      } finally {
        timers.forEach(clearInterval);
      }
      return texts;
    });
    report.add(`during ${SLOW_CLIENTS} slow-body clients`, latencies);
    for (const text of result) expect(text === '' || /^HTTP\/1\.1 (408|400)/.test(text)).toBe(true);
  });

  test(`past the cap of ${MAX_CONNECTIONS} connections new sockets are closed on accept, and members are served once the flood is gone`, async () => {
    const extra = 40;
    const sockets = await openMany(MAX_CONNECTIONS + extra);
    const texts = sockets.map(() => '');
    sockets.forEach((s, i) => s.on('data', (c: Buffer) => (texts[i] += c.toString('latin1'))));
    await Promise.all(sockets.map((s) => closed(s)));
    // Accepted sockets were held until the headers timeout (408); the excess was dropped unanswered.
    const timedOut = texts.filter((t) => t.startsWith('HTTP/1.1 408')).length;
    const dropped = texts.filter((t) => t === '').length;
    console.log(`connection cap ${MAX_CONNECTIONS}: ${timedOut} sockets accepted then timed out, ${dropped} dropped on accept`);
    expect(timedOut).toBeLessThanOrEqual(MAX_CONNECTIONS);
    expect(dropped).toBeGreaterThanOrEqual(extra);
    expect(timedOut + dropped).toBe(sockets.length);
    await pair.reconnect(); // the flood may have outlived the receiver's socket's patience; a member reconnects
    report.add(`after a flood past the connection cap`, await pair.exchanges(5));
  });
});

/** An upgrade attempt's outcome: 101, or the status and typed body of the refusal. */
function upgrade(authorization: string): Promise<{ status: number; body: unknown; socket?: Socket }> {
  const { hostname, port } = new URL(relay.url);
  return new Promise((resolve, reject) => {
    const req = request({
      host: hostname,
      port: Number(port),
      path: ROUTES.websocket,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        'sec-websocket-version': '13',
        'sec-websocket-protocol': WS_SUBPROTOCOL,
        authorization,
      },
    });
    req.on('upgrade', (r, socket) => resolve({ status: r.statusCode ?? 0, body: undefined, socket: socket as Socket }));
    req.on('response', (r) => {
      let text = '';
      r.on('data', (c: Buffer) => (text += c.toString()));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('authenticated WebSocket floods', () => {
  let accounts: RawAccount[] = [];

  test(`the WebSocket cap (${WS_MAX}) refuses one more device with 429 RATE_LIMITED, lets a connected device reconnect, and members keep being served`, async () => {
    accounts = [];
    for (let i = 0; i < WS_MAX; i++) accounts.push(await registerRaw(relay.url, token));
    const { result, latencies } = await duringAttack(pair, async () => {
      // The pair's receiver holds one WebSocket: WS_MAX - 1 more fill the relay up.
      const sockets: WebSocket[] = [];
      for (const a of accounts.slice(0, WS_MAX - 1)) sockets.push(await openSocket(relay.url, a.authorization));
      const refused = await upgrade(accounts[WS_MAX - 1]!.authorization);
      const again = await upgrade(accounts[0]!.authorization); // replaces its own socket: not refused
      again.socket?.destroy();
      return { sockets, refused, again };
    });
    report.add(`during a full WebSocket cap (${WS_MAX})`, latencies);
    expect(result.refused.status).toBe(429);
    const body = ErrorBody.parse(result.refused.body);
    expect(body.error.code).toBe('RATE_LIMITED');
    expect(body.error.details?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(result.again.status).toBe(101);
    for (const s of result.sockets) s.terminate();
  });

  test('one device opening socket after socket keeps exactly one: each new one closes the last with 4409', async () => {
    const n = scale(10, 500);
    const account = accounts[1] ?? (await registerRaw(relay.url, token));
    const codes: number[] = [];
    let last: WebSocket | undefined;
    const { latencies } = await duringAttack(pair, async () => {
      for (let i = 0; i < n; i++) {
        const previous = last;
        const wasClosed = previous ? new Promise<void>((r) => previous.once('close', (code) => (codes.push(code), r()))) : Promise.resolve();
        last = await openSocket(relay.url, account.authorization);
        await wasClosed;
      }
    });
    report.add(`during ${n} reconnects of one device`, latencies);
    expect(codes).toHaveLength(n - 1);
    expect(codes.every((c) => c === CLOSE_CODES.CONNECTED_ELSEWHERE)).toBe(true);
    expect(last?.readyState).toBe(WebSocket.OPEN);
    last?.terminate();
  });
});
