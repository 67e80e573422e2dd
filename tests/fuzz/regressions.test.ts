import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ROUTES, WS_SUBPROTOCOL } from '@aviso/protocol';
import { responseProblem } from './support/checks.js';
import { startFuzzRelay, type FuzzRelay } from './support/fuzz-relay.js';

/** Inputs the fuzzers found that the relay answered wrongly, kept as they were found. */

let relay: FuzzRelay;
beforeAll(async () => {
  relay = await startFuzzRelay();
});
afterAll(async () => relay?.close());

describe('fuzzer findings', () => {
  // Found by the HTTP fuzzer: fastify's router refused a path parameter over 100 characters with its
  // own 414 body ({"error":"Bad Request","code":"FST_ERR_MAX_PARAM_LENGTH"}), not a typed error.
  test.each([
    ['PUT', `/v1/messages/${'%F0%9F%8F%B3%EF%B8%8F%E2%80%8D%F0%9F%8C%88'.repeat(40)}`],
    ['GET', `/v1/groups/${'a'.repeat(2000)}/changes`],
    ['GET', `/v1/keys/${'a'.repeat(101)}/1`],
  ])('%s %s (a path parameter over 100 characters) gets a typed 400', async (method, url) => {
    const res = await relay.app.inject({ method: method as 'GET', url, headers: { authorization: relay.parties[0]!.user.auth, 'content-type': 'application/json' }, ...(method === 'GET' ? {} : { payload: '{}' }) });
    expect(responseProblem(method, res.statusCode, res.body)).toBeUndefined();
    expect(res.json()).toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });

  test('a malformed percent-encoding in the path gets a typed 400', async () => {
    const res = await relay.app.inject({ method: 'GET', url: '/v1/keys/%E0%A4%A/1' });
    expect(responseProblem('GET', res.statusCode, res.body)).toBeUndefined();
  });

  // Found by the upgrade fuzzer: ws answered a bad Sec-WebSocket-Version (or key, or method) with a
  // plain-text 400 of its own.
  test.each([
    { 'sec-websocket-version': '8x' },
    { 'sec-websocket-key': 'short' },
    { 'sec-websocket-protocol': `${WS_SUBPROTOCOL}, bad token` },
  ])('an upgrade with %o is refused with a typed error', async (headers) => {
    const { port } = new URL(relay.url);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port: Number(port),
        path: ROUTES.websocket,
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-key': randomBytes(16).toString('base64'),
          'sec-websocket-version': '13',
          'sec-websocket-protocol': WS_SUBPROTOCOL,
          authorization: relay.parties[0]!.user.auth,
          ...headers,
        },
      });
      req.on('upgrade', (r, socket) => {
        socket.destroy();
        resolve({ status: r.statusCode ?? 0, body: '' });
      });
      req.on('response', (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(400);
    expect(responseProblem('GET', res.status, res.body)).toBeUndefined();
  });
});
