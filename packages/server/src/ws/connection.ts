import {
  CLOSE_CODES,
  decodeClientFrame,
  deliverFrameHead,
  encodeDeliverFrame,
  encodeFrame,
  ERROR,
  PING,
  PONG,
  ProtocolError,
  QUEUE_EMPTY,
  QUEUE_OVERFLOW,
  readPlainResponse,
  RESPONSE,
  type ServerFrame,
} from '@aviso/protocol';
import type { Logger } from 'pino';
import type { Duplex } from 'node:stream';
import { WebSocket, type RawData } from 'ws';
import { toProtocolError } from '../errors.js';
import type { AuthenticatedDevice } from '../services/accounts/accounts.js';
import type { MessagesService } from '../services/delivery/delivery.js';
import type { MessageNotifier, QueuedMessage } from '../services/delivery/notifier.js';
import { textFrameHeaderLength, writeTextFrameHeader } from './text-frame.js';

export interface ConnectionOptions {
  messages: MessagesService;
  notifier: MessageNotifier;
  logger: Logger;
  /** ws-level ping period; a connection that missed the previous pong is terminated. */
  pingIntervalMs: number;
  /** Envelopes sent but not yet answered; more wait in the queue until responses come in. */
  maxInFlight: number;
  /** Malformed frames tolerated before closing with 1008. */
  maxMalformed: number;
}

const MAX_FRAME_ID = 2 ** 31 - 1;
// Every option spelled out: ws then skips filling in defaults per send.
const SEND_TEXT = { binary: false, compress: false, fin: true, mask: false } as const;

/**
 * One authenticated device's socket: streams its queue oldest-first as `message.deliver`, deletes an
 * envelope only when the client answers 2xx, sends `queue.empty` once the connect-time backlog is out,
 * then pushes new envelopes as the notifier reports them.
 *
 * Live envelopes come with their notification: when the connection has read its whole queue and has
 * room in its in-flight window, it sends them as they are instead of reading them back. Otherwise it
 * reads the queue from its cursor, which also picks up whatever was notified while the window was full.
 */
export class DeviceConnection {
  /** Queue position of the last envelope sent on this connection. */
  private cursor = 0;
  /** Newest queue position at connect time: once sent past it, the client has its backlog. */
  private backlogEnd = 0;
  private queueEmptySent = false;
  /** Corked for the rest of a burst of group sends (see MessageNotifier.burst). */
  private corked = false;
  /**
   * The last queue read came back short and every envelope stored since was handed over by its
   * notification and sent: nothing queued lies past the cursor, so a notified envelope can be pushed
   * as is (ids grow, notifications come in commit order) and an answer needs no queue read.
   */
  private caughtUp = false;
  private readonly inFlight = new Map<number, QueuedMessage>(); // frame id → envelope sent
  private nextFrameId = 1;
  private malformed = 0;
  private alive = true;
  private closed = false;
  private unsubscribe: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  /**
   * @param socket the upgraded socket `ws` runs on: group-send pushes are written to it directly (see
   *   `deliver`), in order with what `ws` writes, since `ws` (without compression) writes synchronously.
   */
  constructor(
    readonly ws: WebSocket,
    private readonly socket: Duplex,
    readonly device: AuthenticatedDevice,
    private readonly options: ConnectionOptions,
  ) {}

  start(): void {
    const { ws, options } = this;
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('close', () => this.dispose());
    ws.on('error', (err) => options.logger.debug({ err: { message: err.message } }, 'socket error'));
    this.heartbeat = setInterval(() => {
      if (!this.alive) {
        options.logger.debug('keepalive timeout');
        ws.terminate();
        return;
      }
      this.alive = false;
      ws.ping();
    }, options.pingIntervalMs);

    this.guard(() => {
      const dropped = options.messages.takeDropped(this.device);
      if (dropped > 0) this.send({ type: QUEUE_OVERFLOW, dropped });
      this.backlogEnd = options.messages.lastQueuedId(this.device);
      this.unsubscribe = options.notifier.subscribe(this.device.accountId, this.device.deviceId, (stored) => this.onStored(stored));
      this.pump();
    });
  }

  /** Closes the socket with `code` (e.g. 4409 when the device connected elsewhere, 1001 on shutdown). */
  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.dispose();
    this.ws.close(code, reason);
  }

  /**
   * A new envelope was stored for this device; `stored` is it, when the sender had it at hand.
   * Returns true when it was sent as it is (see MessageListener).
   */
  private onStored(stored: QueuedMessage | undefined): boolean {
    if (this.closed) return false;
    if (stored !== undefined && this.caughtUp && stored.id > this.cursor && this.inFlight.size < this.options.maxInFlight) {
      this.deliver(stored);
      return true;
    }
    // Window full (or nothing handed over): the envelope stays queued past the cursor for `pump` to read.
    this.caughtUp = false;
    this.pump();
    return false;
  }

  private pump(): void {
    if (this.closed) return;
    this.guard(() => {
      for (;;) {
        const room = this.options.maxInFlight - this.inFlight.size;
        if (room <= 0) {
          this.caughtUp = false;
          return;
        }
        const batch = this.options.messages.fetch(this.device, this.cursor, room);
        for (const m of batch) this.deliver(m);
        if (batch.length < room) {
          this.caughtUp = true;
          this.sendQueueEmptyOnce(); // nothing more queued: the backlog is out even if part of it expired
          return;
        }
      }
    });
  }

  private deliver(m: QueuedMessage): void {
    const id = this.takeFrameId();
    this.inFlight.set(id, m);
    this.cursor = m.id;
    // The protocol's fast encoder, not JSON.stringify: this runs once per member per alert.
    if (this.ws.readyState === WebSocket.OPEN) {
      if (m.contentBytes) {
        // A group send's push: framed here, as `ws` would, but the piece every member shares (one
        // buffer for the whole send) goes out as it is, beside a small buffer with the frame header and
        // this member's part: one writev, no per-member copy of the whole envelope.
        const { own, sharedAndClose } = m.contentBytes;
        const front = deliverFrameHead(id, m.envelope.guid, m.envelope.serverTimestamp) + own;
        const length = front.length + sharedAndClose.length;
        const first = Buffer.allocUnsafe(textFrameHeaderLength(length) + front.length);
        first.write(front, writeTextFrameHeader(first, length), 'latin1');
        // In a burst of group sends, the socket stays corked until the burst ends: one writev for all.
        if (!this.corked && this.options.notifier.atBurstEnd(() => this.uncorkBurst())) {
          this.corked = true;
          this.socket.cork();
        }
        this.socket.cork();
        this.socket.write(first);
        this.socket.write(sharedAndClose);
        this.socket.uncork();
      } else {
        // As bytes, still a text frame: a string would be encoded inside the socket's writev, the slower path.
        this.ws.send(Buffer.from(encodeDeliverFrame(id, m.envelope), 'latin1'), SEND_TEXT);
      }
    }
    if (this.cursor >= this.backlogEnd) this.sendQueueEmptyOnce();
  }

  private uncorkBurst(): void {
    this.corked = false;
    this.socket.uncork();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    let frame;
    try {
      if (isBinary) throw new ProtocolError('MALFORMED_FRAME', 'frames are JSON text');
      const bytes = toBuffer(data);
      frame = readPlainResponse(bytes) ?? decodeClientFrame(bytes.toString('utf8'));
    } catch (err) {
      this.onMalformed(err, data);
      return;
    }
    switch (frame.type) {
      case PING:
        this.send({ type: PONG, id: frame.id });
        return;
      case RESPONSE: {
        const m = this.inFlight.get(frame.id);
        if (m === undefined) return; // a late or duplicate answer: nothing to do
        this.inFlight.delete(frame.id);
        // Deleted in a batch at the end of this event-loop turn. Non-2xx leaves the envelope queued
        // (a live one gets its row); it is offered again on the next connection.
        if (frame.status >= 200 && frame.status < 300) this.options.messages.acknowledgeSoon(this.device, m.id, m.live);
        else if (m.live) this.options.messages.release(m.live);
        // Caught up, nothing waits in the queue: the freed slot is for the next live envelope.
        if (!this.caughtUp) this.pump();
        return;
      }
    }
  }

  private onMalformed(err: unknown, data: RawData): void {
    const { error } = toProtocolError(err);
    this.malformed += 1;
    const id = readFrameId(data);
    this.send({ type: ERROR, ...(id === undefined ? {} : { id }), code: error.code, message: error.message });
    if (this.malformed >= this.options.maxMalformed) this.close(CLOSE_CODES.POLICY_VIOLATION, 'too many malformed frames');
  }

  private sendQueueEmptyOnce(): void {
    if (this.queueEmptySent) return;
    this.queueEmptySent = true;
    this.send({ type: QUEUE_EMPTY });
  }

  private send(frame: ServerFrame): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeFrame(frame));
  }

  private takeFrameId(): number {
    const id = this.nextFrameId;
    this.nextFrameId = id >= MAX_FRAME_ID ? 1 : id + 1;
    return id;
  }

  /** Runs storage work; an unexpected failure is logged and ends the connection with 1011. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.options.logger.error({ err }, 'connection failed');
      this.close(1011, 'internal error');
    }
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    clearInterval(this.heartbeat);
    // Sent but never acknowledged: a live group-send envelope needs its row now to be offered again.
    for (const m of this.inFlight.values()) if (m.live) this.options.messages.release(m.live);
    this.inFlight.clear();
  }
}


function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Best effort: the `id` of a frame that failed validation, so the error frame can point at it. */
function readFrameId(data: RawData): number | undefined {
  try {
    const value: unknown = JSON.parse(toBuffer(data).toString('utf8'));
    if (typeof value !== 'object' || value === null || !('id' in value)) return undefined;
    const id = value.id;
    return Number.isInteger(id) && typeof id === 'number' && id >= 0 && id <= MAX_FRAME_ID ? id : undefined;
  } catch {
    return undefined;
  }
}
