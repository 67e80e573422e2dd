import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../src/index.js';

describe('loadConfig', () => {
  test('defaults', () => {
    const config = loadConfig({}, '/srv/aviso');
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      dataDir: resolve('/srv/aviso', 'data'),
      logLevel: 'info',
      queueTtlDays: 7,
      queueMaxPerDevice: 10_000,
      senderCertTtlHours: 24,
      wsPingIntervalMs: 30_000,
      keysRateLimit: { capacity: 6, refillSeconds: 600 },
      sendRateLimit: { capacity: 60, refillSeconds: 1 },
    });
  });

  test('reads every variable; port 0 is allowed', () => {
    const config = loadConfig(
      { AVISO_HOST: '0.0.0.0', AVISO_PORT: '0', AVISO_DATA_DIR: '/var/lib/aviso', AVISO_LOG_LEVEL: 'debug', AVISO_QUEUE_TTL_DAYS: '3' },
      '/elsewhere',
    );
    expect(config).toMatchObject({ host: '0.0.0.0', port: 0, dataDir: '/var/lib/aviso', logLevel: 'debug', queueTtlDays: 3 });
  });

  test('abuse limits: defaults, overrides, and a request timeout never shorter than the headers timeout', () => {
    expect(loadConfig({}, '/srv')).toMatchObject({
      registerRateLimit: { capacity: 60, refillSeconds: 10 },
      maxConnections: 24_000,
      wsMaxConnections: 20_000,
      wsMaxBufferedBytes: 16 * 1024 * 1024,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 60_000,
    });
    const config = loadConfig({ AVISO_MAX_CONNECTIONS: '50', AVISO_WS_MAX_BUFFERED_KIB: '2048', AVISO_HEADERS_TIMEOUT_SECONDS: '30', AVISO_REQUEST_TIMEOUT_SECONDS: '5' }, '/srv');
    expect(config).toMatchObject({ maxConnections: 50, wsMaxBufferedBytes: 2048 * 1024, headersTimeoutMs: 30_000, requestTimeoutMs: 30_000 });
    expect(() => loadConfig({ AVISO_WS_MAX_BUFFERED_KIB: '10' })).toThrow(ConfigError);
  });

  test('one ConfigError names every bad variable', () => {
    let error: unknown;
    try {
      loadConfig({ AVISO_PORT: '70000', AVISO_LOG_LEVEL: 'trace', AVISO_QUEUE_MAX_PER_DEVICE: 'many', AVISO_HOST: 'ok' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ['AVISO_PORT', 'AVISO_LOG_LEVEL', 'AVISO_QUEUE_MAX_PER_DEVICE']) expect(message).toContain(name);
    expect(message).not.toContain('AVISO_HOST');
    expect((error as ConfigError).issues).toHaveLength(3);
  });
});
