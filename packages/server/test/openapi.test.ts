import { Validator } from '@seriousme/openapi-schema-validator';
import { ENDPOINTS, openApiPath } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { buildApp, createContext, createLogger } from '../src/index.js';
import { LogSink, ManualClock, testConfig, testRelay } from './helpers.js';

/** Every method + path the relay registers, seen by fastify's onRoute hook (HEAD twins of GET routes left out). */
async function registeredRoutes(): Promise<string[]> {
  const ctx = createContext(testConfig(), { clock: new ManualClock(), logger: createLogger('debug', new LogSink().stream), sweepIntervalMs: 0 });
  const app = buildApp(ctx);
  const seen: string[] = [];
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD') seen.push(`${m} ${r.url}`);
  });
  try {
    await app.ready();
  } finally {
    await app.close();
    ctx.close();
  }
  return seen.sort();
}

describe('GET /v1/openapi.json', () => {
  test('is a valid OpenAPI 3.1 document', async () => {
    const { app } = await testRelay();
    const res = await app.inject({ method: 'GET', url: ENDPOINTS.openApi.path });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  test('its paths and methods are exactly the routes the relay registers, both ways', async () => {
    const { app } = await testRelay();
    const doc = (await app.inject({ method: 'GET', url: ENDPOINTS.openApi.path })).json() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    const registered = (await registeredRoutes()).map((r) => {
      const [method, url] = r.split(' ') as [string, string];
      return `${method} ${openApiPath(url)}`;
    }).sort();
    expect(registered).toEqual(documented);
  });
});
