import { ErrorBody, ROUTES, WS_AUTH_SUBPROTOCOL_PREFIX, WS_SUBPROTOCOL } from '@aviso/protocol';
import { afterEach, describe, expect, test } from 'vitest';
import { WebSocket } from 'ws';
import { createLogger, startServer, type ServerHandle } from '../src/index.js';
import { basicAuth, LogSink, registerUser, testConfig, type TestUser } from './helpers.js';

/**
 * WebSocket authentication a browser can use (docs/protocol.md "WebSocket"): credentials in a
 * `Sec-WebSocket-Protocol` entry next to `aviso.v2`, since a browser cannot set headers on a
 * WebSocket. Raw `ws` clients against a real relay; a refusal must look exactly like the header path's.
 */

const relays: ServerHandle[] = [];
afterEach(async () => {
  for (const r of relays.splice(0)) await r.close();
});

async function relay(): Promise<{ r: ServerHandle; user: TestUser; log: LogSink }> {
  const log = new LogSink();
  const r = await startServer(testConfig(), { logger: createLogger('debug', log.stream), sweepIntervalMs: 0 });
  relays.push(r);
  return { r, user: await registerUser({ ctx: r.context, app: r.app }), log };
}

const wsUrl = (r: ServerHandle) => `${r.url.replace('http', 'ws')}${ROUTES.websocket}`;
const entry = (accountId: string, deviceId: number, password: string) =>
  `${WS_AUTH_SUBPROTOCOL_PREFIX}${Buffer.from(`${accountId}.${deviceId}:${password}`, 'utf8').toString('base64url')}`;

/** Opens a socket; resolves with the selected subprotocol and the first frame. */
function accepted(r: ServerHandle, protocols: string[], headers: Record<string, string> = {}) {
  return new Promise<{ protocol: string; first: string }>((resolve, reject) => {
    const ws = new WebSocket(wsUrl(r), protocols, { headers });
    ws.once('message', (data) => {
      resolve({ protocol: ws.protocol, first: data.toString() });
      ws.close();
    });
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

/** The raw refusal: status, the headers that matter and the body. */
function refused(r: ServerHandle, protocols: string[], headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; contentType: string | undefined }>((resolve, reject) => {
    const ws = new WebSocket(wsUrl(r), protocols, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, contentType: res.headers['content-type'] }));
    });
    ws.on('open', () => reject(new Error('upgrade unexpectedly accepted')));
    ws.on('error', () => undefined);
  });
}

describe('WebSocket credentials in a subprotocol entry', () => {
  test('are accepted, and the relay selects aviso.v2, never the entry', async () => {
    const { r, user } = await relay();
    const got = await accepted(r, [WS_SUBPROTOCOL, entry(user.accountId, 1, user.password)]);
    expect(got.protocol).toBe(WS_SUBPROTOCOL);
    expect(JSON.parse(got.first)).toEqual({ type: 'queue.empty' });
  });

  test('wrong ones are refused exactly like a wrong Authorization header', async () => {
    const { r, user } = await relay();
    const wrong = 'wrong-password-wrong-password';
    const viaHeader = await refused(r, [WS_SUBPROTOCOL], { authorization: basicAuth(user.accountId, 1, wrong) });
    const viaEntry = await refused(r, [WS_SUBPROTOCOL, entry(user.accountId, 1, wrong)]);
    expect(viaHeader.status).toBe(401);
    expect(viaEntry).toEqual(viaHeader);
    expect(ErrorBody.parse(JSON.parse(viaEntry.body)).error.code).toBe('UNAUTHORIZED');
    // An unknown account and a wrong device are the same refusal: nothing says which part was wrong.
    expect(await refused(r, [WS_SUBPROTOCOL, entry('6f1c2a9e-8b3d-4e7f-a1c2-3d4e5f6a7b8c', 1, user.password)])).toEqual(viaHeader);
    expect(await refused(r, [WS_SUBPROTOCOL, entry(user.accountId, 2, user.password)])).toEqual(viaHeader);
  });

  test('a malformed entry is refused like malformed header credentials', async () => {
    const { r, user } = await relay();
    const viaHeader = await refused(r, [WS_SUBPROTOCOL], { authorization: 'Basic not-base64!' });
    expect(viaHeader.status).toBe(401);
    expect(await refused(r, [WS_SUBPROTOCOL, `${WS_AUTH_SUBPROTOCOL_PREFIX}bm90LWNyZWRlbnRpYWxz`])).toEqual(viaHeader);
    expect(await refused(r, [WS_SUBPROTOCOL, entry(user.accountId, 1, '')])).toEqual(viaHeader);
  });

  test('an entry without aviso.v2 is refused with 426 before credentials are looked at', async () => {
    const { r, user } = await relay();
    const res = await refused(r, [entry(user.accountId, 1, user.password)]);
    expect(res.status).toBe(426);
    expect(JSON.parse(res.body).error.code).toBe('UNSUPPORTED_VERSION');
  });

  test('an entry and a header at once, or two entries, are refused with 400', async () => {
    const { r, user } = await relay();
    const both = await refused(r, [WS_SUBPROTOCOL, entry(user.accountId, 1, user.password)], { authorization: user.auth });
    expect(both.status).toBe(400);
    expect(JSON.parse(both.body).error.code).toBe('BAD_REQUEST');
    const two = await refused(r, [WS_SUBPROTOCOL, entry(user.accountId, 1, user.password), entry(user.accountId, 1, 'x'.repeat(30))]);
    expect(two.status).toBe(400);
  });

  test('the header path still works, and the password never reaches the log', async () => {
    const { r, user, log } = await relay();
    expect((await accepted(r, [WS_SUBPROTOCOL], { authorization: user.auth })).protocol).toBe(WS_SUBPROTOCOL);
    await accepted(r, [WS_SUBPROTOCOL, entry(user.accountId, 1, user.password)]);
    await refused(r, [WS_SUBPROTOCOL, entry(user.accountId, 1, 'wrong-password-wrong-password')]);
    const text = log.text;
    expect(text).not.toContain(user.password);
    expect(text).not.toContain(entry(user.accountId, 1, user.password).slice(WS_AUTH_SUBPROTOCOL_PREFIX.length));
  });
});
