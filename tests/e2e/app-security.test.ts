/**
 * The app's local channel refuses what a hostile web page or local program could send: a real
 * `aviso app` process, raw HTTP and WebSocket requests. Each test fails without the check it names
 * (verified by disabling that check in packages/agent/src/app/).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { AppProcess, buildApp } from '../support/app-process.js';

let app: AppProcess;

beforeAll(async () => {
  await buildApp();
  app = await AppProcess.start();
});
afterAll(async () => {
  await app?.dispose();
});

/** One raw request (node:http lets a test set Host and Origin as a hostile page's browser would). */
function send(path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<{ status: number; headers: Record<string, unknown>; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: app.port, path, method, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, json: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const auth = () => ({ Host: `127.0.0.1:${app.port}`, Authorization: `Bearer ${app.token}` });

/** Opens the live socket; resolves with 'open' or the refusal's HTTP status. */
function socket(origin: string, protocols: string[], host = `127.0.0.1:${app.port}`): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${app.port}/api/live`, protocols, { origin, headers: { Host: host } });
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode!));
    ws.on('error', () => resolve(0));
  });
}

describe('aviso app: the local channel', () => {
  test('prints one ready line with a 64-hex-digit token in the fragment', () => {
    expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#k=[0-9a-f]{64}$/);
    expect(app.log.match(/aviso app ready at /g)).toHaveLength(1);
  });

  test('the token opens the API; its profile starts unregistered (onboarding)', async () => {
    const res = await send('/api/profile', auth());
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ type: 'profile', registered: false });
  });

  test('an API call without the token, or with a wrong one, is refused with UNAUTHORIZED', async () => {
    for (const headers of [{ Host: `127.0.0.1:${app.port}` }, { ...auth(), Authorization: `Bearer ${'0'.repeat(64)}` }, { ...auth(), Authorization: `Bearer ${app.token.slice(0, -1)}` }]) {
      const res = await send('/api/profile', headers);
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
    }
  });

  test('a request for another host name (DNS rebinding) is refused, even with the token', async () => {
    for (const host of [`evil.example:${app.port}`, `127.0.0.1:${app.port + 1}`, '127.0.0.1']) {
      const res = await send('/api/profile', { ...auth(), Host: host });
      expect(res.status, host).toBe(403);
      expect(res.json).toMatchObject({ error: { code: 'FORBIDDEN' } });
      expect((await send('/', { Host: host })).status).toBe(403);
    }
    expect((await send('/api/profile', { ...auth(), Host: `localhost:${app.port}` })).status).toBe(200);
  });

  test('a state change from another origin is refused, even with the token', async () => {
    const body = JSON.stringify({ invite: 'x', displayName: 'y' });
    const res = await send('/api/join', { ...auth(), Origin: 'http://evil.example', 'Content-Type': 'application/json' }, 'POST', body);
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const noOrigin = await send('/api/join', { ...auth(), 'Content-Type': 'application/json' }, 'POST', body);
    expect(noOrigin.status).toBe(403);
  });

  test('a WebSocket from a foreign origin, or without the token, is refused', async () => {
    const token = `k.${app.token}`;
    expect(await socket(app.origin, ['aviso.app.v1', token])).toBe('open');
    expect(await socket('http://evil.example', ['aviso.app.v1', token])).toBe(403);
    expect(await socket(app.origin, ['aviso.app.v1'])).toBe(403);
    expect(await socket(app.origin, ['aviso.app.v1', `k.${'f'.repeat(64)}`])).toBe(403);
    expect(await socket(app.origin, ['aviso.app.v1', token], `rebind.example:${app.port}`)).toBe(403);
  });

  test('bodies over the limit are refused with PAYLOAD_TOO_LARGE; non-JSON with 415', async () => {
    const headers = { ...auth(), Origin: app.origin, 'Content-Type': 'application/json' };
    const big = await send('/api/join', headers, 'POST', JSON.stringify({ invite: 'x'.repeat(20_000) }));
    expect(big.status).toBe(413);
    expect(big.json).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    const form = await send('/api/join', { ...headers, 'Content-Type': 'text/plain' }, 'POST', '{}');
    expect(form.status).toBe(415);
    const bad = await send('/api/join', headers, 'POST', JSON.stringify({ invite: 'not a code', displayName: 'Lupe' }));
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.json).toMatchObject({ error: { code: expect.stringMatching(/^[A-Z_]+$/) } });
  });

  test('every response carries a strict CSP, nosniff and no-store', async () => {
    for (const path of ['/', '/api/profile']) {
      const { headers } = await send(path, auth());
      expect(headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'; style-src 'self'/);
      expect(headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval|https?:\/\/(?!127|localhost)/);
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['cache-control']).toBe('no-store');
    }
  });

  test('static files cannot escape the app folder', async () => {
    for (const path of ['/../../../package.json', '/%2e%2e/%2e%2e/%2e%2e/package.json', '/assets/../../../../package.json']) {
      expect((await send(path, { Host: `127.0.0.1:${app.port}` })).status).toBe(404);
    }
  });

  test('SIGTERM closes it cleanly (exit 0)', async () => {
    expect(await app.stop()).toBe(0);
  });
});
