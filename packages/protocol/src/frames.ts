import { z } from 'zod';
import { ErrorCodeSchema } from './errors.js';
import { Envelope } from './api/messages.js';

/**
 * WebSocket frames: JSON text frames on `/v1/websocket` (subprotocol `aviso.v1`). Both sides send
 * requests that carry an `id`; the relay's `message.deliver` is answered by a client `response`
 * whose 2xx status is the acknowledgement: only then does the relay delete the envelope.
 */
export const MESSAGE_DELIVER = 'message.deliver' as const;
export const QUEUE_EMPTY = 'queue.empty' as const;
export const QUEUE_OVERFLOW = 'queue.overflow' as const;
export const RESPONSE = 'response' as const;
export const PING = 'ping' as const;
export const PONG = 'pong' as const;
export const ERROR = 'error' as const;

const FrameId = z.int().min(0).max(2 ** 31 - 1);

// ---- relay → client ----
export const MessageDeliverFrame = z.object({ type: z.literal(MESSAGE_DELIVER), id: FrameId, envelope: Envelope });
/** Sent once per connection, after the stored backlog has been handed over: the client is caught up. */
export const QueueEmptyFrame = z.object({ type: z.literal(QUEUE_EMPTY) });
/** The device's queue hit its cap while offline and the oldest envelopes were dropped. */
export const QueueOverflowFrame = z.object({ type: z.literal(QUEUE_OVERFLOW), dropped: z.int().min(1) });
export const PongFrame = z.object({ type: z.literal(PONG), id: FrameId });
export const ErrorFrame = z.object({
  type: z.literal(ERROR),
  /** The id of the client frame this answers, when the relay could read one. */
  id: FrameId.optional(),
  code: ErrorCodeSchema,
  message: z.string(),
});
export const ServerFrame = z.discriminatedUnion('type', [
  MessageDeliverFrame,
  QueueEmptyFrame,
  QueueOverflowFrame,
  PongFrame,
  ErrorFrame,
]);
export type ServerFrame = z.infer<typeof ServerFrame>;
export type MessageDeliverFrame = z.infer<typeof MessageDeliverFrame>;

// ---- client → relay ----
/** Answer to a relay request; `status` 200–299 acknowledges a delivered envelope. */
export const ResponseFrame = z.object({ type: z.literal(RESPONSE), id: FrameId, status: z.int().min(100).max(599) });
/** Application-level keepalive; the relay answers `pong` with the same id. */
export const PingFrame = z.object({ type: z.literal(PING), id: FrameId });
export const ClientFrame = z.discriminatedUnion('type', [ResponseFrame, PingFrame]);
export type ClientFrame = z.infer<typeof ClientFrame>;

/** WebSocket close codes the relay uses, beyond the standard ones (1000, 1001, 1008, 1009, 1011). */
export const CLOSE_CODES = {
  /** Another connection of the same device took over (Signal's 4409 "Connected elsewhere"). */
  CONNECTED_ELSEWHERE: 4409,
  /** The relay is shutting down; reconnect with backoff. */
  GOING_AWAY: 1001,
  /** Too many malformed frames. */
  POLICY_VIOLATION: 1008,
  /** A frame exceeded `maxFrameBytes`. */
  TOO_BIG: 1009,
  /** No pong within the keepalive window. */
  KEEPALIVE_TIMEOUT: 4408,
} as const;
