import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { CLOSE_CODES, errorBody, LIMITS, ProtocolError, ROUTES, WS_SUBPROTOCOL } from '@aviso/protocol';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { upgradeCredentials } from '../auth-header.js';
import { toProtocolError } from '../errors.js';
import type { AccountsService, AuthenticatedDevice } from '../services/accounts/accounts.js';
import type { MessagesService } from '../services/delivery/delivery.js';
import type { MessageNotifier } from '../services/delivery/notifier.js';
import type { RelayMeter } from '../services/shared/meter.js';
import { DeviceConnection } from './connection.js';

export interface GatewayDeps {
  accounts: AccountsService;
  messages: MessagesService;
  notifier: MessageNotifier;
  logger: Logger;
  pingIntervalMs: number;
  maxInFlight?: number;
  maxMalformed?: number;
  /** Counts open sockets and refusals for the operator's metrics. */
  meter?: RelayMeter;
  /** Open WebSockets; an upgrade beyond it is refused with 429 RATE_LIMITED. */
  maxConnections?: number;
  /** Bytes waiting in a socket's send buffer; past it the client is not reading and is cut off. */
  maxBufferedBytes?: number;
}

export interface Gateway {
  /** Stops accepting upgrades and closes every socket with 1001, waiting briefly for clients to answer. */
  close(): Promise<void>;
}

/** How long shutdown waits for clients to complete the close handshake before cutting them off. */
const CLOSE_GRACE_MS = 2000;
/** How often sockets are checked for a send buffer that keeps growing (a client that never reads). */
const BUFFER_CHECK_MS = 1000;
/** What a refused upgrade tells the client to wait: sockets free up as others disconnect. */
const FULL_RETRY_AFTER_SECONDS = 30;

/**
 * `GET /v1/websocket`: authenticates (header or subprotocol entry) and checks the subprotocol on the
 * HTTP upgrade, before any WebSocket exists, so a rejected client costs one raw HTTP response. One
 * live connection per device.
 */
export function attachGateway(server: Server, deps: GatewayDeps): Gateway {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: LIMITS.maxFrameBytes,
    handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
  });
  // A handshake ws itself rejects (bad key, version, method, subprotocol syntax) gets the typed body
  // too, instead of ws's plain-text one.
  wss.on('wsClientError', (err: Error, socket: Duplex) => rejectUpgrade(socket, new ProtocolError('BAD_REQUEST', err.message)));
  const byDevice = new Map<string, DeviceConnection>();
  const all = new Set<DeviceConnection>();
  const options = {
    messages: deps.messages,
    notifier: deps.notifier,
    logger: deps.logger,
    pingIntervalMs: deps.pingIntervalMs,
    maxInFlight: deps.maxInFlight ?? 100,
    maxMalformed: deps.maxMalformed ?? 10,
  };
  const maxConnections = deps.maxConnections ?? Number.POSITIVE_INFINITY;
  const maxBuffered = deps.maxBufferedBytes ?? 16 * 1024 * 1024;
  let closing = false;

  // A client that never reads makes every frame sent to it (deliveries, pongs, error frames) pile up
  // in memory; its socket cannot take a close frame either, so it is terminated.
  const cutOffIfNotReading = (c: DeviceConnection): boolean => {
    if (c.ws.bufferedAmount <= maxBuffered) return false;
    deps.logger.info({ buffered: c.ws.bufferedAmount }, 'client is not reading; socket terminated');
    c.ws.terminate();
    return true;
  };
  const bufferCheck = setInterval(() => {
    for (const c of all) cutOffIfNotReading(c);
  }, BUFFER_CHECK_MS).unref();

  const open = (ws: WebSocket, socket: Duplex, device: AuthenticatedDevice): void => {
    const key = `${device.accountId}.${device.deviceId}`;
    byDevice.get(key)?.close(CLOSE_CODES.CONNECTED_ELSEWHERE, 'connected elsewhere');
    const connection = new DeviceConnection(ws, socket, device, options);
    byDevice.set(key, connection);
    all.add(connection);
    deps.meter?.websocketOpened();
    ws.on('close', (code) => {
      deps.meter?.websocketClosed();
      all.delete(connection);
      if (byDevice.get(key) === connection) byDevice.delete(key);
      deps.logger.debug({ code }, 'socket closed');
    });
    deps.logger.debug('socket opened');
    connection.start();
    // Each frame in may queue one out (pong, error): checked right after the connection answered it.
    ws.on('message', () => cutOffIfNotReading(connection));
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    try {
      if (closing) throw new ProtocolError('INTERNAL', 'relay is shutting down');
      if ((req.url ?? '').split('?')[0] !== ROUTES.websocket) throw new ProtocolError('NOT_FOUND', 'no such route');
      const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
      if (!offered.includes(WS_SUBPROTOCOL)) {
        throw new ProtocolError('UNSUPPORTED_VERSION', `offer the WebSocket subprotocol ${WS_SUBPROTOCOL}`);
      }
      const creds = upgradeCredentials(offered, req.headers.authorization);
      const device = deps.accounts.authenticate(creds.accountId, creds.deviceId, creds.password);
      // A device reconnecting replaces its own socket, so it is never refused for being counted twice.
      if (all.size >= maxConnections && !byDevice.has(`${device.accountId}.${device.deviceId}`)) {
        deps.meter?.rateLimited('websockets');
        throw new ProtocolError('RATE_LIMITED', 'too many open connections', { details: { retryAfterSeconds: FULL_RETRY_AFTER_SECONDS } });
      }
      wss.handleUpgrade(req, socket, head, (ws) => open(ws, socket, device));
    } catch (err) {
      const { error, internal } = toProtocolError(err);
      if (internal) deps.logger.error({ err }, 'upgrade failed');
      rejectUpgrade(socket, error);
    }
  };
  server.on('upgrade', onUpgrade);

  return {
    async close() {
      closing = true;
      clearInterval(bufferCheck);
      server.off('upgrade', onUpgrade);
      const closed = [...all].map(
        (c) =>
          new Promise<void>((resolve) => {
            c.ws.once('close', () => resolve());
            c.close(CLOSE_CODES.GOING_AWAY, 'relay shutting down');
          }),
      );
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)));
      await Promise.race([Promise.all(closed), grace]);
      clearTimeout(timer);
      for (const c of all) c.ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

function rejectUpgrade(socket: Duplex, error: ProtocolError): void {
  const body = JSON.stringify(errorBody(error));
  const head = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(error.code === 'UNSUPPORTED_VERSION' ? [`Sec-WebSocket-Protocol: ${WS_SUBPROTOCOL}`] : []),
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`, () => socket.destroy());
}
