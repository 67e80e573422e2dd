import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { createContext, type AppContext, type ContextOverrides } from './context.js';
import { buildApp } from './http/app.js';
import { startMetricsServer, type MetricsServer } from './metrics/server.js';

/** A listening relay. `close()` stops accepting, closes sockets with 1001, then closes the database. */
export interface ServerHandle {
  /** `http://host:port` with the real port (also when `config.port` is 0). */
  readonly url: string;
  readonly port: number;
  readonly context: AppContext;
  readonly app: FastifyInstance;
  /** `http://host:port/metrics` when AVISO_METRICS_PORT is set. */
  readonly metricsUrl: string | undefined;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Builds the context and app and listens on `config.host:config.port`.
 * @example
 * await using relay = await startServer(loadConfig({ AVISO_PORT: '0', AVISO_DATA_DIR: dir }));
 * await fetch(`${relay.url}/health`);
 */
export async function startServer(config: Config, overrides: ContextOverrides = {}): Promise<ServerHandle> {
  const context = createContext(config, overrides);
  let app: FastifyInstance | undefined;
  let metrics: MetricsServer | undefined;
  try {
    app = buildApp(context);
    context.metrics?.instrument(app);
    await app.listen({ host: config.host, port: config.port });
    if (context.metrics !== undefined && config.metrics !== undefined) {
      metrics = await startMetricsServer(context.metrics.registry, config.metrics.host, config.metrics.port);
    }
  } catch (err) {
    await app?.close();
    context.close();
    throw err;
  }
  const listening = app;
  const { port } = listening.server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      try {
        await metrics?.close();
        await listening.close();
      } finally {
        context.close(); // after fastify: every request has finished, so every stored envelope is committed
      }
    })());
  return { url: `http://${host}:${port}`, port, context, app: listening, metricsUrl: metrics?.url, close, [Symbol.asyncDispose]: close };
}
