import { z } from 'zod';
import { ProtocolError, type ErrorCode } from './errors.js';
import { ClientFrame, ServerFrame } from './frames.js';
import { LIMITS } from './limits.js';

/**
 * The trust boundary: untrusted text or JSON becomes typed data here or fails with a
 * ProtocolError. Nothing else is ever thrown from these functions.
 */
export function parseJson(raw: string, code: ErrorCode = 'MALFORMED_FRAME'): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new ProtocolError(code, 'not valid JSON');
  }
}

/** Validates `value` against `schema`; throws ProtocolError(code) naming what is wrong. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, code: ErrorCode = 'BAD_REQUEST'): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ProtocolError(code, z.prettifyError(parsed.error));
  return parsed.data;
}

function decodeFrame<S extends z.ZodType>(schema: S, raw: string): z.output<S> {
  if (typeof raw !== 'string') throw new ProtocolError('MALFORMED_FRAME', 'frames are JSON text');
  if (raw.length > LIMITS.maxFrameBytes) throw new ProtocolError('PAYLOAD_TOO_LARGE', 'frame too large');
  return parseWith(schema, parseJson(raw), 'MALFORMED_FRAME');
}

/** Decodes a frame the relay received from a client. */
export function decodeClientFrame(raw: string): ClientFrame {
  return decodeFrame(ClientFrame, raw);
}

/** Decodes a frame a client received from the relay. */
export function decodeServerFrame(raw: string): ServerFrame {
  return decodeFrame(ServerFrame, raw);
}

export function encodeFrame(frame: ClientFrame | ServerFrame): string {
  return JSON.stringify(frame);
}
