import { ERROR_CODES, ErrorBody, ProtocolError, ROUTES, type ErrorCode } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { buildApp, createContext, createLogger } from '../src/index.js';
import { LogSink, ManualClock, registerUser, testConfig, testRelay } from './helpers.js';

describe('error handler', () => {
  test('every ERROR_CODES entry maps to its status, code and retryable flag', async () => {
    const logs = new LogSink();
    const ctx = createContext(testConfig(), { logger: createLogger('debug', logs.stream), clock: new ManualClock(), sweepIntervalMs: 0 });
    const app = buildApp(ctx);
    app.get('/test/throw/:code', async (request) => {
      const { code } = request.params as { code: ErrorCode };
      throw new ProtocolError(code, `thrown ${code}`, code === 'RATE_LIMITED' ? { details: { retryAfterSeconds: 3 } } : {});
    });
    try {
      for (const [code, spec] of Object.entries(ERROR_CODES) as [ErrorCode, (typeof ERROR_CODES)[ErrorCode]][]) {
        const res = await app.inject({ method: 'GET', url: `/test/throw/${code}` });
        expect(res.statusCode, code).toBe(spec.status);
        const body = ErrorBody.parse(res.json());
        expect(body.error.code).toBe(code);
        expect(body.error.retryable).toBe(spec.retryable);
        expect(body.error.message).toBe(`thrown ${code}`);
      }
      const limited = await app.inject({ method: 'GET', url: '/test/throw/RATE_LIMITED' });
      expect(limited.json().error.details).toEqual({ retryAfterSeconds: 3 });
    } finally {
      await app.close();
      ctx.close();
    }
  });

  test('an unknown route is 404 NOT_FOUND with the error body', async () => {
    const relay = await testRelay();
    const res = await relay.app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(ErrorBody.parse(res.json()).error.code).toBe('NOT_FOUND');
  });

  test('an unexpected failure is 500 INTERNAL with a generic message; the cause is only logged', async () => {
    const relay = await testRelay();
    const user = await registerUser(relay);
    relay.ctx.storage.close(); // the database goes away under the app: a genuine unexpected error
    const res = await relay.app.inject({ method: 'GET', url: ROUTES.keys, headers: { authorization: user.auth } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error', retryable: true } });
    expect(res.body).not.toMatch(/database|sqlite/i);
    expect(relay.logs.text).toMatch(/database connection is not open/);
  });

  test('logs carry no password, authorization header, account URL or client address', async () => {
    const relay = await testRelay();
    const [alice, bob] = [await registerUser(relay), await registerUser(relay)];
    await relay.app.inject({ method: 'GET', url: ROUTES.keyBundle.path(bob.accountId, 1), headers: { authorization: alice.auth } });
    await relay.app.inject({ method: 'GET', url: ROUTES.keys, headers: { authorization: `${alice.auth}x` } });
    const text = relay.logs.text;
    expect(relay.logs.lines.length).toBeGreaterThan(0);
    expect(text).toContain('/v1/keys/:accountId/:deviceId'); // the route pattern is logged, not the URL
    expect(text).not.toContain(alice.password);
    expect(text).not.toContain(alice.auth.slice('Basic '.length));
    expect(text).not.toContain(bob.accountId);
    expect(text).not.toContain('127.0.0.1');
    expect(text).not.toMatch(/remoteAddress|remotePort|"ip"/);
  });
});
