import Database from 'better-sqlite3';
import { join } from 'node:path';
import WebSocket from 'ws';
import { describe, expect, test } from 'vitest';
import { RelayRequestError } from '@aviso/client';
import { CLOSE_CODES, decodeServerFrame, LIMITS, ROUTES, WS_SUBPROTOCOL, type ServerFrame } from '@aviso/protocol';
import type { ClientPool } from '../support/clients.js';
import { authorization, call, registerRaw, registrationBody } from '../support/raw-account.js';
import type { RelayProcess } from '../support/relay.js';
import { useRelay } from '../support/harness.js';

let relay: RelayProcess;
let pool: ClientPool;

useRelay((r, p) => ((relay = r), (pool = p)));

/** Counts rows straight from the relay's database file (WAL mode allows a second reader). */
function count(table: string): number {
  const db = new Database(join(relay.dataDir, 'aviso.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const errorCode = (body: unknown) => (body as { error?: { code?: string } }).error?.code;

describe('registration tokens', () => {
  test('a bad token is refused with INVALID_TOKEN, stores nothing, and the client can retry', async () => {
    const dir = pool.newDataDir('mallory');
    const client = await pool.open(dir);
    const err = await client.register({ relayUrl: relay.url, registrationToken: 'not-a-real-token-000' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayRequestError);
    expect((err as RelayRequestError).code).toBe('INVALID_TOKEN');
    expect(count('accounts')).toBe(0);
    expect(count('devices')).toBe(0);

    // No partial state on the client either: the same store registers cleanly with a good token.
    await client.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
    expect(client.accountId).toMatch(/^[0-9a-f-]{36}$/);
    expect(count('accounts')).toBe(1);
  });

  test('a token is spent by use: a second registration with a one-use token fails', async () => {
    const token = await relay.createToken(1);
    await pool.registered(relay, 'alice', token);
    const bob = await pool.open(pool.newDataDir('bob'));
    await expect(bob.register({ relayUrl: relay.url, registrationToken: token })).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
    expect(count('accounts')).toBe(1);
  });

  test('a registration with a forged prekey signature is refused and does not spend the token', async () => {
    const token = await relay.createToken(1);
    const { identity: _identity, ...body } = registrationBody(token);
    const forged = { ...body, signedPreKey: { ...body.signedPreKey, signature: Buffer.alloc(64, 1).toString('base64') } };
    const res = await call(relay.url, 'POST', ROUTES.accounts, { body: forged });
    expect(res.status).toBe(422);
    expect(errorCode(res.body)).toBe('INVALID_SIGNATURE');
    expect(count('accounts')).toBe(0);
    // The token is still good for an honest registration.
    await registerRaw(relay.url, token);
    expect(count('accounts')).toBe(1);
  });
});

describe('authentication', () => {
  test('a wrong password gets UNAUTHORIZED over HTTP and 401 at the WebSocket upgrade', async () => {
    const account = await registerRaw(relay.url, await relay.createToken());
    const wrong = authorization(account.accountId, account.deviceId, 'x'.repeat(43));
    const res = await call(relay.url, 'GET', ROUTES.keys, { authorization: wrong });
    expect(res.status).toBe(401);
    expect(errorCode(res.body)).toBe('UNAUTHORIZED');
    expect((await call(relay.url, 'GET', ROUTES.keys)).status).toBe(401);

    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(relay.url.replace('http', 'ws') + ROUTES.websocket, WS_SUBPROTOCOL, { headers: { authorization: wrong } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('opened with a wrong password')));
      ws.on('error', () => undefined);
    });
    expect(status).toBe(401);

    // The right password works, so the refusals above were about the password alone.
    expect((await call(relay.url, 'GET', ROUTES.keys, { authorization: account.authorization })).status).toBe(200);
  });
});

describe('sizes and shapes', () => {
  test('an oversized envelope and an oversized body get typed errors and store nothing', async () => {
    const sender = await registerRaw(relay.url, await relay.createToken());
    const target = await registerRaw(relay.url, await relay.createToken());
    const message = (bytes: number) => ({
      destinationDeviceId: 1,
      destinationRegistrationId: target.registrationId,
      content: Buffer.alloc(bytes, 1).toString('base64'),
    });

    const tooBigEnvelope = await call(relay.url, 'PUT', ROUTES.messages.path(target.accountId), {
      authorization: sender.authorization,
      body: { messages: [message(LIMITS.maxEnvelopeBytes + 1)], timestamp: Date.now() },
    });
    expect(tooBigEnvelope.status).toBe(400);
    expect(errorCode(tooBigEnvelope.body)).toBe('BAD_REQUEST');

    const tooBigBody = await call(relay.url, 'PUT', ROUTES.messages.path(target.accountId), {
      authorization: sender.authorization,
      rawBody: JSON.stringify({ messages: [message(1)], timestamp: Date.now(), pad: 'x'.repeat(LIMITS.maxBodyBytes) }),
    });
    expect(tooBigBody.status).toBe(413);
    expect(errorCode(tooBigBody.body)).toBe('PAYLOAD_TOO_LARGE');

    const notJson = await call(relay.url, 'PUT', ROUTES.messages.path(target.accountId), {
      authorization: sender.authorization,
      rawBody: '{"messages": [',
    });
    expect(notJson.status).toBe(400);
    expect(errorCode(notJson.body)).toBe('BAD_REQUEST');

    const wrongDevices = await call(relay.url, 'PUT', ROUTES.messages.path(target.accountId), {
      authorization: sender.authorization,
      body: { messages: [{ ...message(10), destinationDeviceId: 2 }], timestamp: Date.now() },
    });
    expect(wrongDevices.status).toBe(409);
    expect(errorCode(wrongDevices.body)).toBe('MISMATCHED_DEVICES');
    expect((wrongDevices.body as { error: { details: unknown } }).error.details).toEqual({ missingDevices: [1], extraDevices: [2] });

    expect(count('messages')).toBe(0);

    // A text over the SDK's limit is refused before anything is encrypted or sent.
    const alice = await pool.registered(relay, 'alice');
    await expect(alice.sendDirect(target.accountId, { text: 'x'.repeat(LIMITS.maxTextBytes + 1) })).rejects.toThrow();
    expect(count('messages')).toBe(0);
  });

  test('malformed WebSocket frames get MALFORMED_FRAME and the connection keeps working', async () => {
    const account = await registerRaw(relay.url, await relay.createToken());
    const ws = new WebSocket(relay.url.replace('http', 'ws') + ROUTES.websocket, WS_SUBPROTOCOL, {
      headers: { authorization: account.authorization },
    });
    const frames: ServerFrame[] = [];
    const waiters: Array<() => void> = [];
    ws.on('message', (data) => {
      frames.push(decodeServerFrame(data.toString()));
      waiters.splice(0).forEach((w) => w());
    });
    const next = async (pred: (f: ServerFrame) => boolean) => {
      for (let i = 0; i < 50; i++) {
        const hit = frames.find(pred);
        if (hit) return hit;
        await new Promise<void>((r) => waiters.push(r));
      }
      throw new Error('frame never came');
    };
    await new Promise((r) => ws.once('open', r));
    expect(ws.protocol).toBe(WS_SUBPROTOCOL);

    for (const bad of ['not json', '{"type":"ping"}', '{"type":"message.deliver","id":1}', '[]'])
      ws.send(bad);
    await next((f) => f.type === 'error' && frames.filter((x) => x.type === 'error').length === 4);
    expect(frames.filter((f) => f.type === 'error').every((f) => f.type === 'error' && f.code === 'MALFORMED_FRAME')).toBe(true);

    ws.send(JSON.stringify({ type: 'ping', id: 77 }));
    expect(await next((f) => f.type === 'pong')).toEqual({ type: 'pong', id: 77 });

    // A frame over the limit closes the socket with 1009; the relay keeps serving others.
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('x'.repeat(LIMITS.maxFrameBytes + 1));
    expect(await closed).toBe(CLOSE_CODES.TOO_BIG);
    expect((await call(relay.url, 'GET', ROUTES.health)).status).toBe(200);
  });
});
