import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RelayCounts } from '../ports/storage.js';
import type { RelayMeter } from '../services/shared/meter.js';

/**
 * The relay's Prometheus metrics (served by metrics/server.ts when AVISO_METRICS_PORT is set).
 * Labels are fixed, small sets: HTTP method, route template (`/v1/keys/:accountId/:deviceId`,
 * never the path), status code and limit name. No label ever holds an account, device or group id,
 * and nothing is per member: the metrics describe the relay, not who uses it.
 */
export interface RelayMetrics {
  readonly registry: Registry;
  readonly meter: RelayMeter;
  /** Totals for the gauges, read at each scrape. */
  watchTotals(read: () => RelayCounts): void;
  /** Counts every HTTP request by route template and status. Call before the app is ready. */
  instrument(app: FastifyInstance): void;
}

/** Requests no route matched are counted under this route label, whatever their path. */
export const UNMATCHED_ROUTE = 'unmatched';

export function createRelayMetrics(): RelayMetrics {
  const registry = new Registry();
  // Process (CPU, memory, open descriptors) and Node (event-loop lag, heap, GC) metrics.
  collectDefaultMetrics({ register: registry });

  const queued = new Counter({ name: 'aviso_envelopes_queued_total', help: 'Envelopes accepted for delivery, one per recipient device.', registers: [registry] });
  const delivered = new Counter({ name: 'aviso_envelopes_delivered_total', help: 'Envelopes acknowledged by their recipient device.', registers: [registry] });
  const limited = new Counter({
    name: 'aviso_rate_limited_total',
    help: 'Requests refused by a rate limit or connection cap, by limit.',
    labelNames: ['limit'],
    registers: [registry],
  });
  const websockets = new Gauge({ name: 'aviso_websocket_connections', help: 'Open member WebSockets.', registers: [registry] });
  const requests = new Counter({
    name: 'aviso_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'aviso_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method and route template.',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });

  let totals: (() => RelayCounts) | undefined;
  const total = (name: string, help: string, pick: (c: RelayCounts) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        // One read per gauge per scrape: a handful of COUNT(*) queries, off the members' path.
        if (totals !== undefined) this.set(pick(totals()));
      },
    });
  total('aviso_queued_envelopes', 'Envelopes waiting in the queue for their device (the queue depth, all devices together).', (c) => c.queuedEnvelopes);
  total('aviso_accounts', 'Registered accounts.', (c) => c.accounts);
  total('aviso_devices', 'Registered devices.', (c) => c.devices);
  total('aviso_groups', 'Groups stored.', (c) => c.groups);

  const meter: RelayMeter = {
    envelopesQueued: (n) => queued.inc(n),
    envelopesDelivered: (n) => delivered.inc(n),
    rateLimited: (limit) => limited.inc({ limit }),
    websocketOpened: () => websockets.inc(),
    websocketClosed: () => websockets.dec(),
  };

  return {
    registry,
    meter,
    watchTotals(read) {
      totals = read;
    },
    instrument(app) {
      app.addHook('onResponse', async (request, reply) => {
        const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
        requests.inc({ method: request.method, route, status: String(reply.statusCode) });
        durations.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      });
    },
  };
}
