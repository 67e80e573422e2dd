import { z } from 'zod';
import { LIMITS, PADDING_BLOCK_BYTES } from './limits.js';
import { Timestamp } from './primitives.js';
import { ProtocolError } from './errors.js';
import { ALERT, AlertKind, GroupBodies, ResendRequestBody, SenderKeyDistributionBody } from './alerts.js';

/**
 * What travels inside the end-to-end encryption. The relay never sees these bytes in the clear.
 * Versioned with `v`; a body type a client does not know is reported, not crashed on.
 */
export const CONTENT_VERSION = 1 as const;

export const DIRECT = 'direct' as const;

export const DirectBody = z.object({
  type: z.literal(DIRECT),
  text: z.string().refine((s) => utf8Length(s) <= LIMITS.maxTextBytes, `text exceeds ${LIMITS.maxTextBytes} bytes`),
  /**
   * The sender's retention for this conversation, s (docs/alerts.md "Direct messages"): the
   * receiver keeps the message for the shorter of this and its own, held to `RETENTION_LIMITS`.
   * Optional and additive: older clients ignore it.
   */
  retentionSeconds: z.int().positive().optional(),
});

export const ContentBody = z.discriminatedUnion('type', [DirectBody, SenderKeyDistributionBody, ResendRequestBody, ...GroupBodies]);
export type ContentBody = z.infer<typeof ContentBody>;

export const Content = z.object({
  v: z.literal(CONTENT_VERSION),
  /** The sender's clock, ms. With the sender's account and device it is the message's identity (dedupe key). */
  sentAt: Timestamp,
  body: ContentBody,
});
export type Content = z.infer<typeof Content>;

/**
 * Serialises and pads content for encryption, to a size bucket (see CONTENT_BUCKETS). Receivers take
 * alert kinds they do not know; senders send only the kinds of this build, so an alert's kind is checked.
 */
export function encodeContent(content: Content): Uint8Array {
  const { body } = content;
  if (body.type === ALERT && !AlertKind.safeParse(body.kind).success) throw new ProtocolError('BAD_REQUEST', `alert kind "${String(body.kind)}" is not one this build sends`);
  const bytes = new TextEncoder().encode(JSON.stringify(Content.parse(content)));
  return pad(bytes, bucketFor(bytes.length + 1));
}

/**
 * Padded content sizes. A short alert and a long one land in the same bucket, and the bucket is all
 * the relay (or anyone watching) learns about a message's length. Beyond the last bucket, multiples of it.
 */
export const CONTENT_BUCKETS = [1024, 2048, 4096, 8192, 16384, 32768] as const;

function bucketFor(n: number): number {
  for (const b of CONTENT_BUCKETS) if (n <= b) return b;
  const last = CONTENT_BUCKETS[CONTENT_BUCKETS.length - 1]!;
  return Math.ceil(n / last) * last;
}

/** Unpads and validates decrypted content; throws ProtocolError('MALFORMED_FRAME') on anything else. */
export function decodeContent(padded: Uint8Array): Content {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(unpad(padded)));
  } catch (cause) {
    if (cause instanceof ProtocolError) throw cause;
    throw new ProtocolError('MALFORMED_FRAME', 'content is not valid UTF-8 JSON', { cause });
  }
  const parsed = Content.safeParse(json);
  if (!parsed.success) throw new ProtocolError('MALFORMED_FRAME', `content: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * Pads to a multiple of PADDING_BLOCK_BYTES: the data, one 0x80 byte, then zeros (Signal's scheme),
 * so that ciphertext length reveals only a size bucket.
 */
export function pad(data: Uint8Array, block: number = PADDING_BLOCK_BYTES): Uint8Array {
  const out = new Uint8Array(Math.ceil((data.length + 1) / block) * block);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

export function unpad(padded: Uint8Array): Uint8Array {
  let i = padded.length - 1;
  while (i >= 0 && padded[i] === 0) i--;
  if (i < 0 || padded[i] !== 0x80) throw new ProtocolError('MALFORMED_FRAME', 'content padding is invalid');
  return padded.subarray(0, i);
}

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}
