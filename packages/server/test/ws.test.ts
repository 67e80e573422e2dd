import {
  CLOSE_CODES,
  decodeServerFrame,
  encodeFrame,
  ErrorBody,
  ROUTES,
  WS_SUBPROTOCOL,
  type ServerFrame,
} from '@aviso/protocol';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { createLogger, startServer, type ServerHandle } from '../src/index.js';
import { basicAuth, countRows, envelopeContent, LogSink, registerUser, testConfig, type TestUser } from './helpers.js';

const relays: ServerHandle[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) await r.close();
});

async function relay(env: Record<string, string> = {}): Promise<ServerHandle> {
  const handle = await startServer(testConfig({ AVISO_SEND_RATE_CAPACITY: '1000', ...env }), {
    logger: createLogger('debug', new LogSink().stream),
    sweepIntervalMs: 0,
  });
  relays.push(handle);
  return handle;
}

const wsUrl = (r: ServerHandle) => `${r.url.replace('http', 'ws')}${ROUTES.websocket}`;

/** A client socket plus the frames it received, in order. */
class Client {
  private readonly frames: ServerFrame[] = [];
  private readonly waiters: ((f: ServerFrame) => void)[] = [];
  /** Every frame's text as received. */
  readonly raw: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.raw.push(data.toString());
      const frame = decodeServerFrame(data.toString());
      const waiter = this.waiters.shift();
      if (waiter) waiter(frame);
      else this.frames.push(frame);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  next(): Promise<ServerFrame> {
    const frame = this.frames.shift();
    if (frame) return Promise.resolve(frame);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  /** Round-trips a ping: every frame sent before it has been processed by the relay. */
  async sync(id = 999): Promise<void> {
    this.send({ type: 'ping', id });
    expect(await this.next()).toEqual({ type: 'pong', id });
  }
}

async function connect(r: ServerHandle, user: TestUser): Promise<Client> {
  const ws = new WebSocket(wsUrl(r), [WS_SUBPROTOCOL], { headers: { authorization: user.auth } });
  const client = new Client(ws); // listening before 'open': the first frame can arrive in the same chunk
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  expect(ws.protocol).toBe(WS_SUBPROTOCOL);
  return client;
}

function rejected(r: ServerHandle, headers: Record<string, string>, protocols: string[]) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const ws = new WebSocket(wsUrl(r), protocols, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => reject(new Error('upgrade unexpectedly accepted')));
    ws.on('error', () => undefined);
  });
}

async function sendTo(r: ServerHandle, from: TestUser, to: TestUser, fill: number): Promise<void> {
  const res = await r.app.inject({
    method: 'PUT',
    url: ROUTES.messages.path(to.accountId),
    headers: { authorization: from.auth },
    payload: {
      messages: [{ destinationDeviceId: 1, destinationRegistrationId: to.registrationId, content: envelopeContent(32, fill) }],
      timestamp: Date.now(),
    },
  });
  expect(res.statusCode).toBe(200);
}

const users = async (r: ServerHandle) => [await registerUser({ ctx: r.context, app: r.app }), await registerUser({ ctx: r.context, app: r.app })] as const;
const firstByte = (f: ServerFrame) => (f.type === 'message.deliver' ? Buffer.from(f.envelope.content, 'base64')[0] : undefined);

describe('WebSocket gateway', () => {
  test('bad credentials are refused at the upgrade with 401', async () => {
    const r = await relay();
    const [alice] = await users(r);
    const res = await rejected(r, { authorization: basicAuth(alice.accountId, 1, 'wrong-password-wrong-password') }, [WS_SUBPROTOCOL]);
    expect(res.status).toBe(401);
    expect(ErrorBody.parse(JSON.parse(res.body)).error.code).toBe('UNAUTHORIZED');
    expect((await rejected(r, {}, [WS_SUBPROTOCOL])).status).toBe(401);
  });

  test('a missing or wrong subprotocol is refused with 426', async () => {
    const r = await relay();
    const [alice] = await users(r);
    const res = await rejected(r, { authorization: alice.auth }, ['aviso.v0']);
    expect(res.status).toBe(426);
    expect(JSON.parse(res.body).error.code).toBe('UNSUPPORTED_VERSION');
    expect((await rejected(r, { authorization: alice.auth }, [])).status).toBe(426);
  });

  test('backlog is delivered oldest first, then queue.empty, then live messages; a 2xx response deletes', async () => {
    const r = await relay();
    const [alice, bob] = await users(r);
    for (const fill of [1, 2, 3]) await sendTo(r, alice, bob, fill);
    const client = await connect(r, bob);
    const backlog = [await client.next(), await client.next(), await client.next()];
    expect(backlog.map(firstByte)).toEqual([1, 2, 3]);
    expect(await client.next()).toEqual({ type: 'queue.empty' });

    await sendTo(r, alice, bob, 4);
    const live = await client.next();
    expect(firstByte(live)).toBe(4);

    for (const f of [...backlog, live]) if (f.type === 'message.deliver') client.send({ type: 'response', id: f.id, status: 200 });
    await client.sync();
    expect(countRows(r.context, 'messages')).toBe(0);
    client.ws.close();
  });

  test('live envelopes stored while the in-flight window is full are delivered once each, in order, as answers free it', async () => {
    const r = await relay();
    const [alice, bob] = await users(r);
    const client = await connect(r, bob);
    expect(await client.next()).toEqual({ type: 'queue.empty' });
    const delivered: ServerFrame[] = [];
    const take = async (n: number) => {
      for (let i = 0; i < n; i++) delivered.push(await client.next());
    };
    // 100 fill the window (pushed live), 5 more are stored while it is full.
    for (let fill = 1; fill <= 105; fill++) await sendTo(r, alice, bob, fill);
    await take(100);
    await client.sync(); // nothing beyond the window was sent
    // Two answers free two slots: the next two come from the queue.
    for (const f of delivered.slice(0, 2)) if (f.type === 'message.deliver') client.send({ type: 'response', id: f.id, status: 200 });
    await take(2);
    // Stored while the window is full again: must wait behind the three still queued.
    await sendTo(r, alice, bob, 106);
    await client.sync(1);
    for (const f of delivered.slice(2)) if (f.type === 'message.deliver') client.send({ type: 'response', id: f.id, status: 200 });
    await take(4);
    // Caught up again: a new one is pushed straight away.
    await sendTo(r, alice, bob, 107);
    await take(1);
    await client.sync(2);
    expect(delivered.every((f) => f.type === 'message.deliver')).toBe(true);
    expect(delivered.map(firstByte)).toEqual(Array.from({ length: 107 }, (_, i) => i + 1));
    const guids = delivered.map((f) => (f.type === 'message.deliver' ? f.envelope.guid : ''));
    expect(new Set(guids).size).toBe(107);
    for (const f of delivered.slice(100)) if (f.type === 'message.deliver') client.send({ type: 'response', id: f.id, status: 200 });
    await client.sync(3);
    r.context.services.messages.flushAcknowledgements();
    expect(countRows(r.context, 'messages')).toBe(0);
    client.ws.close();
  });

  test('a pushed envelope is exactly what the queue holds: redelivered on reconnect it is the same', async () => {
    const r = await relay();
    const [alice, bob] = await users(r);
    const first = await connect(r, bob);
    expect(await first.next()).toEqual({ type: 'queue.empty' });
    await sendTo(r, alice, bob, 7);
    const pushed = await first.next();
    first.ws.close(); // no answer: stays queued
    await first.closed;
    const second = await connect(r, bob);
    const again = await second.next();
    expect(pushed.type).toBe('message.deliver');
    expect(again.type === 'message.deliver' && pushed.type === 'message.deliver' && again.envelope).toEqual(pushed.type === 'message.deliver' && pushed.envelope);
    // The hand-built frame text is the protocol's own encoding of it.
    for (const text of [first.raw[1], second.raw[0]]) expect(text).toBe(encodeFrame(decodeServerFrame(text!)));
    expect(await second.next()).toEqual({ type: 'queue.empty' });
    second.ws.close();
  });

  test('answers in one event-loop turn are deleted together; only 2xx answers delete', async () => {
    const r = await relay();
    const [alice, bob] = await users(r);
    for (const fill of [1, 2, 3, 4]) await sendTo(r, alice, bob, fill);
    const client = await connect(r, bob);
    const frames = [await client.next(), await client.next(), await client.next(), await client.next()];
    expect(await client.next()).toEqual({ type: 'queue.empty' });
    const statuses = [200, 204, 500, 200];
    // One WebSocket message can carry only one frame, but all four arrive before the relay's next turn.
    frames.forEach((f, i) => f.type === 'message.deliver' && client.send({ type: 'response', id: f.id, status: statuses[i] }));
    await client.sync();
    r.context.services.messages.flushAcknowledgements();
    expect(countRows(r.context, 'messages')).toBe(1);
    client.ws.close();
    await client.closed;
    const again = await connect(r, bob);
    expect(firstByte(await again.next())).toBe(3);
    again.ws.close();
  });

  test('an unacknowledged envelope stays queued and is redelivered on reconnect', async () => {
    const r = await relay();
    const [alice, bob] = await users(r);
    await sendTo(r, alice, bob, 9);
    const first = await connect(r, bob);
    const delivered = await first.next();
    expect(delivered.type).toBe('message.deliver');
    expect(await first.next()).toEqual({ type: 'queue.empty' });
    if (delivered.type === 'message.deliver') first.send({ type: 'response', id: delivered.id, status: 500 }); // not an ack
    await first.sync();
    first.ws.close();
    await first.closed;
    expect(countRows(r.context, 'messages')).toBe(1);

    const second = await connect(r, bob);
    const again = await second.next();
    expect(again.type === 'message.deliver' && delivered.type === 'message.deliver' && again.envelope.guid === delivered.envelope.guid).toBe(true);
    expect(await second.next()).toEqual({ type: 'queue.empty' });
    second.ws.close();
  });

  test('an empty queue gets queue.empty straight away', async () => {
    const r = await relay();
    const [alice] = await users(r);
    const client = await connect(r, alice);
    expect(await client.next()).toEqual({ type: 'queue.empty' });
    client.ws.close();
  });

  test('a trimmed queue is reported once with queue.overflow', async () => {
    const r = await relay({ AVISO_QUEUE_MAX_PER_DEVICE: '2' });
    const [alice, bob] = await users(r);
    for (const fill of [1, 2, 3, 4, 5]) await sendTo(r, alice, bob, fill);
    const client = await connect(r, bob);
    expect(await client.next()).toEqual({ type: 'queue.overflow', dropped: 3 });
    expect([firstByte(await client.next()), firstByte(await client.next())]).toEqual([4, 5]);
    expect(await client.next()).toEqual({ type: 'queue.empty' });
    client.ws.close();
    await client.closed;
    const again = await connect(r, bob);
    expect((await again.next()).type).toBe('message.deliver'); // no second overflow notice
    again.ws.close();
  });

  test('a second connection of the same device closes the first with 4409', async () => {
    const r = await relay();
    const [alice] = await users(r);
    const first = await connect(r, alice);
    const second = await connect(r, alice);
    expect((await first.closed).code).toBe(CLOSE_CODES.CONNECTED_ELSEWHERE);
    expect(await second.next()).toEqual({ type: 'queue.empty' });
    await second.sync();
    second.ws.close();
  });

  test('malformed frames get an error frame; the tenth closes with 1008', async () => {
    const r = await relay();
    const [alice] = await users(r);
    const client = await connect(r, alice);
    expect(await client.next()).toEqual({ type: 'queue.empty' });
    client.send('not json');
    expect(await client.next()).toMatchObject({ type: 'error', code: 'MALFORMED_FRAME' });
    client.send({ type: 'response', id: 7, status: 'ok' });
    expect(await client.next()).toMatchObject({ type: 'error', id: 7, code: 'MALFORMED_FRAME' });
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await client.next()).toMatchObject({ type: 'error', code: 'MALFORMED_FRAME' });
    await client.sync(); // still open
    for (let i = 0; i < 7; i++) client.send({ type: 'nope' });
    expect((await client.closed).code).toBe(CLOSE_CODES.POLICY_VIOLATION);
  });

  test('answers outside the schema are malformed, whatever their form', async () => {
    const r = await relay();
    const [alice] = await users(r);
    const client = await connect(r, alice);
    expect(await client.next()).toEqual({ type: 'queue.empty' });
    for (const bad of [
      '{"type":"response","id":2147483648,"status":200}',
      '{"type":"response","id":007,"status":200}',
      '{"type":"response","id":1,"status":600}',
      '{"type":"response","id":1,"status":99}',
      '{"type":"response","id":-1,"status":200}',
    ]) {
      client.send(bad);
      expect(await client.next()).toMatchObject({ type: 'error', code: 'MALFORMED_FRAME' });
    }
    // Valid but not in the plain form (spaces, other key order): still understood, and unknown ids are ignored.
    client.send('{ "status": 200, "id": 5, "type": "response" }');
    client.send('{"type":"response","id":5,"status":200}');
    await client.sync();
    client.ws.close();
  });

  test('shutting the relay down closes sockets with 1001', async () => {
    const r = await relay();
    const [alice] = await users(r);
    const client = await connect(r, alice);
    await r.close();
    expect((await client.closed).code).toBe(CLOSE_CODES.GOING_AWAY);
  });
});
