/**
 * The app's local channel refuses what a hostile web page or local program could send: real
 * `aviso app` processes, raw HTTP and WebSocket requests. Each test fails without the check it names
 * (verified by disabling that check in packages/agent/src/app/).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { AppProcess, buildApp } from '../support/app-process.js';

let app: AppProcess;
/** A second profile's app on the same machine: its cookie reaches our port too (cookies ignore ports). */
let other: AppProcess;
let cookie = '';

beforeAll(async () => {
  await buildApp();
  [app, other] = await Promise.all([AppProcess.start(), AppProcess.start(['--profile', 'second'])]);
});
afterAll(async () => {
  await Promise.all([app?.dispose(), other?.dispose()]);
});

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; json: unknown };

/** One raw request (node:http lets a test set Host, Origin and Cookie as a hostile page's browser would). */
function send(path: string, headers: Record<string, string>, method = 'GET', body?: string, to = app): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: to.port, path, method, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, json: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const host = (to = app) => ({ Host: `127.0.0.1:${to.port}` });
const withCookie = () => ({ ...host(), Cookie: cookie });
const exchange = (token: string, origin = app.origin, to = app) =>
  send('/api/session', { ...host(to), ...(origin ? { Origin: origin } : {}), 'Content-Type': 'application/json' }, 'POST', JSON.stringify({ token }), to);
const refused = (res: Reply, status: number, code: string) => {
  expect(res.status).toBe(status);
  expect(res.json).toEqual({ error: { code, message: expect.any(String) } });
};

/** Opens the live socket; resolves with 'open' or the refusal's HTTP status. */
function socket(origin: string, headers: Record<string, string>, protocols = ['aviso.app.v1']): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${app.port}/api/live`, protocols, { origin, headers: { ...host(), ...headers } });
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

  test('the launch token itself opens nothing: not as Bearer, not as a WebSocket subprotocol', async () => {
    refused(await send('/api/profile', host()), 401, 'UNAUTHORIZED');
    refused(await send('/api/profile', { ...host(), Authorization: `Bearer ${app.token}` }), 401, 'UNAUTHORIZED');
    expect(await socket(app.origin, {}, ['aviso.app.v1', `k.${app.token}`])).toBe(403);
  });

  test('the exchange refuses a wrong token, another origin and a missing Origin (the token stays unspent)', async () => {
    refused(await exchange('0'.repeat(64)), 401, 'UNAUTHORIZED');
    refused(await exchange(app.token.slice(0, -1)), 401, 'UNAUTHORIZED');
    refused(await exchange(app.token, 'http://evil.example'), 403, 'FORBIDDEN');
    refused(await exchange(app.token, `http://127.0.0.1:${other.port}`), 403, 'FORBIDDEN'); // another local port
    refused(await exchange(app.token, ''), 403, 'FORBIDDEN');
    refused(await exchange(app.token, other.origin, other), 401, 'UNAUTHORIZED'); // our token at the other app
  });

  test('the token is exchanged once for an HttpOnly, SameSite=Strict cookie named for the port', async () => {
    const res = await exchange(app.token);
    expect(res.status).toBe(200);
    const set = res.headers['set-cookie'];
    expect(set).toHaveLength(1);
    expect(set![0]).toMatch(new RegExp(`^aviso_app_${app.port}=[0-9a-f]{64}; HttpOnly; SameSite=Strict; Path=/$`));
    expect(set![0]).not.toContain(app.token);
    cookie = set![0]!.split(';')[0]!;
    refused(await exchange(app.token), 401, 'UNAUTHORIZED'); // a second exchange of the spent token
    const profile = await send('/api/profile', withCookie());
    expect(profile.status).toBe(200);
    expect(profile.json).toMatchObject({ type: 'profile', registered: false });
  });

  test('an API call without the cookie, or with a wrong one, is refused with UNAUTHORIZED', async () => {
    const value = cookie.split('=')[1]!;
    for (const c of [undefined, `aviso_app_${app.port}=${'0'.repeat(64)}`, `aviso_app_${app.port}=${value.slice(0, -1)}`, `aviso_app_${app.port}=${app.token}`, `aviso_app=${value}`, `${cookie}; ${cookie}`]) {
      refused(await send('/api/profile', { ...host(), ...(c ? { Cookie: c } : {}) }), 401, 'UNAUTHORIZED');
      refused(await send('/api/join', { ...host(), ...(c ? { Cookie: c } : {}), Origin: app.origin, 'Content-Type': 'application/json' }, 'POST', '{}'), 401, 'UNAUTHORIZED');
    }
  });

  test("another port's app cookie opens nothing here, under its name or ours; both together still work", async () => {
    const theirs = await other.session();
    const theirValue = theirs.split('=')[1]!;
    refused(await send('/api/profile', { ...host(), Cookie: theirs }), 401, 'UNAUTHORIZED');
    refused(await send('/api/profile', { ...host(), Cookie: `aviso_app_${app.port}=${theirValue}` }), 401, 'UNAUTHORIZED');
    refused(await send('/api/profile', { ...host(other), Cookie: cookie }, 'GET', undefined, other), 401, 'UNAUTHORIZED');
    // A browser sends both apps' cookies to either port: each app reads only its own.
    expect((await send('/api/profile', { ...host(), Cookie: `${theirs}; ${cookie}` })).status).toBe(200);
    expect((await send('/api/profile', { ...host(other), Cookie: `${cookie}; ${theirs}` }, 'GET', undefined, other)).status).toBe(200);
  });

  test('a request for another host name (DNS rebinding) is refused, even with the cookie', async () => {
    for (const h of [`evil.example:${app.port}`, `127.0.0.1:${app.port + 1}`, '127.0.0.1']) {
      refused(await send('/api/profile', { ...withCookie(), Host: h }), 403, 'FORBIDDEN');
      expect((await send('/', { Host: h })).status).toBe(403);
      refused(await send('/api/session', { Host: h, Origin: app.origin, 'Content-Type': 'application/json' }, 'POST', '{}'), 403, 'FORBIDDEN');
    }
    expect((await send('/api/profile', { ...withCookie(), Host: `localhost:${app.port}` })).status).toBe(200);
  });

  test('a request from another origin is refused, even with the cookie: POST, cross-origin GET, another local port', async () => {
    const body = JSON.stringify({ invite: 'x', displayName: 'y' });
    const json = { ...withCookie(), 'Content-Type': 'application/json' };
    refused(await send('/api/join', { ...json, Origin: 'http://evil.example' }, 'POST', body), 403, 'FORBIDDEN');
    refused(await send('/api/join', { ...json, Origin: `http://127.0.0.1:${other.port}` }, 'POST', body), 403, 'FORBIDDEN');
    refused(await send('/api/join', json, 'POST', body), 403, 'FORBIDDEN'); // no Origin on a POST
    refused(await send('/api/alerts', { ...withCookie(), Origin: 'http://evil.example' }), 403, 'FORBIDDEN');
    // A page on another port of this machine is same-site: SameSite=Strict lets its fetch carry the cookie.
    refused(await send('/api/alerts', { ...withCookie(), 'Sec-Fetch-Site': 'same-site' }), 403, 'FORBIDDEN');
    refused(await send('/api/alerts', { ...withCookie(), 'Sec-Fetch-Site': 'cross-site' }), 403, 'FORBIDDEN');
    expect((await send('/api/alerts', { ...withCookie(), 'Sec-Fetch-Site': 'same-origin' })).status).toBe(200);
  });

  test('a WebSocket from a foreign origin, or without the cookie, is refused', async () => {
    expect(await socket(app.origin, { Cookie: cookie })).toBe('open');
    expect(await socket('http://evil.example', { Cookie: cookie })).toBe(403);
    expect(await socket(`http://127.0.0.1:${other.port}`, { Cookie: cookie })).toBe(403);
    expect(await socket(app.origin, {})).toBe(403);
    expect(await socket(app.origin, { Cookie: `aviso_app_${app.port}=${'f'.repeat(64)}` })).toBe(403);
    expect(await socket(app.origin, { Cookie: cookie, Host: `rebind.example:${app.port}` })).toBe(403);
  });

  test('bodies over the limit are refused with PAYLOAD_TOO_LARGE; non-JSON with 415', async () => {
    const headers = { ...withCookie(), Origin: app.origin, 'Content-Type': 'application/json' };
    refused(await send('/api/join', headers, 'POST', JSON.stringify({ invite: 'x'.repeat(20_000) })), 413, 'PAYLOAD_TOO_LARGE');
    refused(await send('/api/session', headers, 'POST', JSON.stringify({ token: 'x'.repeat(20_000) })), 413, 'PAYLOAD_TOO_LARGE');
    expect((await send('/api/join', { ...headers, 'Content-Type': 'text/plain' }, 'POST', '{}')).status).toBe(415);
    expect((await send('/api/session', { ...headers, 'Content-Type': 'text/plain' }, 'POST', '{}')).status).toBe(415);
    const bad = await send('/api/join', headers, 'POST', JSON.stringify({ invite: 'not a code', displayName: 'Lupe' }));
    expect(bad.status).toBeGreaterThanOrEqual(400);
    expect(bad.json).toMatchObject({ error: { code: expect.stringMatching(/^[A-Z_]+$/) } });
  });

  test('every response carries a strict CSP, nosniff and no-store', async () => {
    for (const path of ['/', '/api/profile', '/api/session']) {
      const { headers } = await send(path, withCookie());
      expect(headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'; style-src 'self'/);
      expect(headers['content-security-policy']).not.toMatch(/unsafe-inline|unsafe-eval|https?:\/\/(?!127|localhost)/);
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['cache-control']).toBe('no-store');
    }
  });

  test('static files cannot escape the app folder', async () => {
    for (const path of ['/../../../package.json', '/%2e%2e/%2e%2e/%2e%2e/package.json', '/assets/../../../../package.json']) {
      expect((await send(path, host())).status).toBe(404);
    }
  });

  test('SIGTERM closes it cleanly (exit 0)', async () => {
    expect(await app.stop()).toBe(0);
  });
});
