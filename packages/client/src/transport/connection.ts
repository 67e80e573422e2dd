import WebSocket from 'ws';
import {
  CLOSE_CODES,
  decodeServerFrame,
  encodeFrame,
  LIMITS,
  PING,
  PONG,
  WS_SUBPROTOCOL,
  type ClientFrame,
  type ServerFrame,
} from '@aviso/protocol';
import { ConnectedElsewhereError, ConnectionClosedError, RelayRequestError } from '../errors.js';
import { TypedEmitter } from '../util/emitter.js';
import { errInfo, type Logger } from '../util/logger.js';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ConnectionEvents {
  state: ConnectionState;
  /** Every valid relay frame except `pong`, which the connection answers itself. */
  frame: ServerFrame;
  error: Error;
}

export interface ConnectionOptions {
  /** ws:// or wss:// URL of `/v1/websocket`. */
  url: string;
  /** Evaluated on every attempt (credentials may change). */
  headers: () => Record<string, string>;
  logger: Logger;
  WebSocket?: typeof WebSocket | undefined;
  backoff?: { initialMs?: number; maxMs?: number } | undefined;
  keepalive?: { intervalMs?: number; timeoutMs?: number } | undefined;
  /** For tests: deterministic jitter. */
  random?: (() => number) | undefined;
}

const MAX_FRAME_ID = 2 ** 31 - 1;
/** Upgrade answers that retrying cannot fix. */
const FATAL_UPGRADE = new Map<number, RelayRequestError['code']>([
  [400, 'BAD_REQUEST'],
  [401, 'UNAUTHORIZED'],
  [403, 'INVALID_TOKEN'],
  [426, 'UNSUPPORTED_VERSION'],
]);

/**
 * One logical connection to the relay over successive WebSockets: reconnects with exponential
 * backoff and jitter until `close()` or a close code that says stop (4409, fatal upgrade status);
 * keeps itself alive with app-level pings; validates every frame with the protocol decoder and
 * ignores (logs) malformed ones.
 */
export class RelayConnection extends TypedEmitter<ConnectionEvents> {
  readonly #opts: ConnectionOptions;
  readonly #WebSocket: typeof WebSocket;
  #socket: WebSocket | undefined;
  #state: ConnectionState = 'closed';
  #stopped = true;
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #keepaliveTimer: NodeJS.Timeout | undefined;
  #nextId = 1;
  #epoch = 0;
  readonly #pendingPings = new Map<number, { resolve: () => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();

  constructor(opts: ConnectionOptions) {
    super(opts.logger);
    this.#opts = opts;
    this.#WebSocket = opts.WebSocket ?? WebSocket;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /**
   * Which WebSocket this is, counting every one opened: a frame id means something only on the
   * socket it came in on (the relay numbers each socket's deliveries from 1), so an answer is sent
   * only while that socket is still the current one.
   */
  get socketEpoch(): number {
    return this.#epoch;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#attempt = 0;
    this.#open();
  }

  /** Stops for good: no reconnect, pending pings rejected, socket closed. */
  async close(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    const socket = this.#socket;
    this.#socket = undefined;
    this.#teardown();
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
        else socket.close(1000);
        // A peer that never answers the close handshake must not hang us.
        setTimeout(() => {
          socket.terminate();
          resolve();
        }, 2_000).unref();
      });
    }
    this.#setState('closed');
  }

  /** Sends a frame if a socket is open; returns false otherwise (the relay will redeliver). */
  send(frame: ClientFrame): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(encodeFrame(frame));
    return true;
  }

  /** Round trip to the relay; rejects on timeout or when the socket closes first. */
  ping(timeoutMs = this.#opts.keepalive?.timeoutMs ?? 10_000): Promise<void> {
    const id = this.#takeId();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pendingPings.delete(id);
        reject(new Error('ping timed out'));
      }, timeoutMs);
      this.#pendingPings.set(id, { resolve, reject, timer });
      if (!this.send({ type: PING, id })) {
        clearTimeout(timer);
        this.#pendingPings.delete(id);
        reject(new ConnectionClosedError('not connected'));
      }
    });
  }

  #takeId(): number {
    const id = this.#nextId;
    this.#nextId = id >= MAX_FRAME_ID ? 1 : id + 1;
    return id;
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('state', state);
  }

  #open(): void {
    if (this.#stopped) return;
    this.#setState('connecting');
    this.#epoch++;
    let fatal: Error | undefined;
    const socket = new this.#WebSocket(this.#opts.url, WS_SUBPROTOCOL, {
      headers: this.#opts.headers(),
      maxPayload: LIMITS.maxFrameBytes,
      handshakeTimeout: 15_000,
    });
    this.#socket = socket;

    socket.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      const code = FATAL_UPGRADE.get(status);
      if (code) fatal = new RelayRequestError({ code, status, retryable: false, message: `WebSocket upgrade refused: HTTP ${status}` });
      else this.emit('error', new RelayRequestError({ code: 'NETWORK_ERROR', status, retryable: true, message: `WebSocket upgrade failed: HTTP ${status}` }));
      res.resume();
      // terminate() aborts the handshake and makes ws emit 'close', which decides what comes next.
      socket.terminate();
    });
    socket.on('open', () => {
      if (socket !== this.#socket) return;
      this.#attempt = 0;
      this.#setState('open');
      this.#startKeepalive(socket);
    });
    socket.on('message', (data, isBinary) => {
      if (socket !== this.#socket) return;
      this.#onMessage(data, isBinary);
    });
    socket.on('error', (err) => {
      // Upgrade refusals are reported once, from 'unexpected-response'; the rest are transient.
      if (fatal || socket !== this.#socket) return;
      this.#opts.logger.debug(errInfo(err), 'websocket error');
    });
    socket.on('close', (code) => {
      if (socket !== this.#socket) return;
      this.#socket = undefined;
      this.#teardown();
      if (this.#stopped) return;
      if (code === CLOSE_CODES.CONNECTED_ELSEWHERE) fatal = new ConnectedElsewhereError();
      if (fatal) {
        this.#stopped = true;
        this.#setState('closed');
        this.emit('error', fatal);
        return;
      }
      this.#scheduleReconnect(code);
    });
  }

  #scheduleReconnect(code: number): void {
    const initial = this.#opts.backoff?.initialMs ?? 500;
    const max = this.#opts.backoff?.maxMs ?? 30_000;
    const cap = Math.min(max, initial * 2 ** this.#attempt);
    // "Equal jitter": never zero, never more than the cap, spread so clients do not reconnect in lockstep.
    const delay = Math.round(cap / 2 + (this.#opts.random ?? Math.random)() * (cap / 2));
    this.#attempt++;
    this.#opts.logger.info({ code, attempt: this.#attempt, delayMs: delay }, 'relay connection lost; reconnecting');
    this.#setState('reconnecting');
    this.#retryTimer = setTimeout(() => this.#open(), delay);
  }

  #startKeepalive(socket: WebSocket): void {
    const interval = this.#opts.keepalive?.intervalMs ?? 30_000;
    this.#keepaliveTimer = setInterval(() => {
      this.ping().catch((err: unknown) => {
        if (socket !== this.#socket || err instanceof ConnectionClosedError) return;
        this.#opts.logger.warn(errInfo(err), 'keepalive failed; dropping the connection');
        socket.terminate();
      });
    }, interval);
  }

  #teardown(): void {
    clearInterval(this.#keepaliveTimer);
    this.#keepaliveTimer = undefined;
    for (const [id, pending] of this.#pendingPings) {
      clearTimeout(pending.timer);
      pending.reject(new ConnectionClosedError());
      this.#pendingPings.delete(id);
    }
  }

  #onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (isBinary) {
      this.#opts.logger.warn({}, 'ignoring binary frame from relay');
      return;
    }
    let frame: ServerFrame;
    try {
      frame = decodeServerFrame(data.toString());
    } catch (err) {
      this.#opts.logger.warn(errInfo(err), 'ignoring malformed frame from relay');
      return;
    }
    if (frame.type === PONG) {
      const pending = this.#pendingPings.get(frame.id);
      if (pending) {
        clearTimeout(pending.timer);
        this.#pendingPings.delete(frame.id);
        pending.resolve();
      }
      return;
    }
    this.emit('frame', frame);
  }
}
