import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { CLOSE_CODES, errorBody, LIMITS, ProtocolError, ROUTES, WS_SUBPROTOCOL } from '@aviso/protocol';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { credentialsFromHeader } from '../auth-header.js';
import { toProtocolError } from '../errors.js';
import type { AccountsService, AuthenticatedDevice } from '../services/accounts.js';
import type { MessagesService } from '../services/messages.js';
import type { MessageNotifier } from '../services/notifier.js';
import { DeviceConnection } from './connection.js';

export interface GatewayDeps {
  accounts: AccountsService;
  messages: MessagesService;
  notifier: MessageNotifier;
  logger: Logger;
  pingIntervalMs: number;
  maxInFlight?: number;
  maxMalformed?: number;
}

export interface Gateway {
  /** Stops accepting upgrades and closes every socket with 1001, waiting briefly for clients to answer. */
  close(): Promise<void>;
}

/** How long shutdown waits for clients to complete the close handshake before cutting them off. */
const CLOSE_GRACE_MS = 2000;

/**
 * `GET /v1/websocket`: authenticates and checks the subprotocol on the HTTP upgrade, before any
 * WebSocket exists, so a rejected client costs one raw HTTP response. One live connection per device.
 */
export function attachGateway(server: Server, deps: GatewayDeps): Gateway {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: LIMITS.maxFrameBytes,
    handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
  });
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
  let closing = false;

  const open = (ws: WebSocket, device: AuthenticatedDevice): void => {
    const key = `${device.accountId}.${device.deviceId}`;
    byDevice.get(key)?.close(CLOSE_CODES.CONNECTED_ELSEWHERE, 'connected elsewhere');
    const connection = new DeviceConnection(ws, device, options);
    byDevice.set(key, connection);
    all.add(connection);
    ws.on('close', (code) => {
      all.delete(connection);
      if (byDevice.get(key) === connection) byDevice.delete(key);
      deps.logger.debug({ code }, 'socket closed');
    });
    deps.logger.debug('socket opened');
    connection.start();
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
      const creds = credentialsFromHeader(req.headers.authorization);
      if (creds === undefined) throw new ProtocolError('UNAUTHORIZED', 'missing or malformed credentials');
      const device = deps.accounts.authenticate(creds.accountId, creds.deviceId, creds.password);
      wss.handleUpgrade(req, socket, head, (ws) => open(ws, device));
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
