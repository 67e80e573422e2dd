import type { Envelope } from '@aviso/protocol';
import type { NewEnvelope } from '../../storage/sqlite/messages.js';
import { toBase64 } from '../shared/bytes.js';
import { guidAt, guidKeystream } from './guids.js';
import type { ContentPieces, QueuedMessage } from './notifier.js';
import { deviceCount, type GroupSendRecipient } from './sent-message.js';

/**
 * A group send between its durable commit (`pending_fanouts`) and the moment every recipient device
 * either acknowledged it live or has an envelope row (see MessagesService.sendToMany). Envelope `i`
 * (queue position `firstId + i`) is for device `deviceIds[i]` of account `accountIds[i]`. Kept as
 * arrays, not an object per envelope: a send to 1,000 members is in memory until they answer, and
 * per-envelope objects that live that long are what the garbage collector pays for.
 */
export interface Fanout {
  sharedId: number;
  firstId: number;
  receivedAt: number;
  expiresAt: number;
  /** Clock time of the push: envelopes still live long after it get rows (`releaseStragglers`). */
  pushedAt: number;
  shared: Uint8Array;
  recipients: readonly GroupSendRecipient[];
  count: number;
  accountIds: string[];
  deviceIds: Int32Array;
  prefixes: Uint8Array[];
  /** See fanout-guids.ts. */
  guidHex: string;
  /** The envelopes handed to live connections with no row written for them. */
  live: LiveEnvelope[];
  /** Of `live`, those neither acknowledged nor turned into rows yet. At 0 the pending row can go. */
  outstanding: number;
}

export function fanoutOf(f: { sharedId: number; firstId: number; receivedAt: number; expiresAt: number; pushedAt: number; guidSeed: Uint8Array; shared: Uint8Array; recipients: readonly GroupSendRecipient[] }): Fanout {
  const count = deviceCount(f.recipients);
  const accountIds = new Array<string>(count);
  const deviceIds = new Int32Array(count);
  const prefixes = new Array<Uint8Array>(count);
  let i = 0;
  for (const r of f.recipients) {
    for (const d of r.devices) {
      accountIds[i] = r.accountId;
      deviceIds[i] = d.deviceId;
      prefixes[i] = r.prefix;
      i++;
    }
  }
  const { guidSeed, ...rest } = f;
  return { ...rest, count, accountIds, deviceIds, prefixes, guidHex: guidKeystream(guidSeed, count), live: [], outstanding: 0 };
}

/** Envelope `i` of a send as a row to write. */
export function envelopeAt(f: Fanout, i: number): NewEnvelope {
  return { guid: guidAt(f.guidHex, i), accountId: f.accountIds[i] ?? '', deviceId: f.deviceIds[i] ?? 0, receivedAt: f.receivedAt, expiresAt: f.expiresAt, content: f.prefixes[i] ?? new Uint8Array(), sharedId: f.sharedId };
}

/**
 * One envelope of a group send as pushed to a connection, and, once a connection sent it as it is,
 * live there with no row written for it. If the member acknowledges it, it never costs a row; if
 * the connection goes away first, answers with an error, or takes too long, it is `released`: its
 * row is written and it is a queued envelope like any other. One object is the queued message, its
 * envelope and its live state: it is what a connection keeps until the member answers.
 */
export class LiveEnvelope implements QueuedMessage, Envelope {
  state: 'live' | 'acknowledged' | 'released' = 'live';

  constructor(
    readonly fanout: Fanout,
    readonly index: number,
    readonly contentBytes: ContentPieces,
  ) {}

  get id(): number {
    return this.fanout.firstId + this.index;
  }

  get envelope(): Envelope {
    return this;
  }

  get live(): LiveEnvelope {
    return this;
  }

  get guid(): string {
    return guidAt(this.fanout.guidHex, this.index);
  }

  get serverTimestamp(): number {
    return this.fanout.receivedAt;
  }

  /** Built only if someone asks: connections frame `contentBytes` directly. */
  get content(): string {
    const { own, sharedAndClose } = this.contentBytes;
    return own + sharedAndClose.toString('latin1', 0, sharedAndClose.length - CLOSE.length);
  }
}

/**
 * base64(prefix ‖ shared) for every recipient of a group send without encoding the shared part once
 * per recipient: base64 of two byte strings concatenates only when the first is a multiple of 3 bytes
 * long, so the first 0–2 shared bytes are encoded with the prefix and the rest once per prefix length.
 */
export class SharedBase64 {
  private readonly tails = new Map<number, { head: Uint8Array; tail: string; tailAndClose: Buffer }>();

  constructor(private readonly shared: Uint8Array) {}

  withPrefix(prefix: Uint8Array): string {
    const split = this.split(prefix.length);
    return toBase64(Buffer.concat([prefix, split.head])) + split.tail;
  }

  /**
   * The same base64 in two pieces: this recipient's (a short string), and the shared piece as ASCII
   * bytes with the deliver frame's closing `"}}` appended (one buffer for every recipient with this
   * prefix length).
   */
  piecesWithPrefix(prefix: Uint8Array): ContentPieces {
    const split = this.split(prefix.length);
    const own = split.head.length === 0 ? toBase64(prefix) : toBase64(Buffer.concat([prefix, split.head]));
    return { own, sharedAndClose: split.tailAndClose };
  }

  /**
   * `piecesWithPrefix` for many prefixes at once. When they all have one length (a send's key boxes
   * do) and prefix ‖ head is a whole number of 3-byte groups, base64 of their concatenation is the
   * concatenation of their base64: one encode for the whole send, then a slice per recipient.
   */
  piecesForAll(prefixes: readonly Uint8Array[]): ContentPieces[] {
    const first = prefixes[0];
    if (first === undefined) return [];
    const split = this.split(first.length);
    const stride = first.length + split.head.length;
    if (stride % 3 !== 0 || prefixes.some((p) => p.length !== first.length)) return prefixes.map((p) => this.piecesWithPrefix(p));
    const all = Buffer.allocUnsafe(stride * prefixes.length);
    for (let i = 0; i < prefixes.length; i++) {
      all.set(prefixes[i]!, i * stride);
      all.set(split.head, i * stride + first.length);
    }
    const base64 = all.toString('base64');
    const width = (stride / 3) * 4;
    return prefixes.map((_, i) => ({ own: base64.slice(i * width, (i + 1) * width), sharedAndClose: split.tailAndClose }));
  }

  private split(prefixLength: number): { head: Uint8Array; tail: string; tailAndClose: Buffer } {
    let split = this.tails.get(prefixLength);
    if (split === undefined) {
      const n = Math.min((3 - (prefixLength % 3)) % 3, this.shared.length);
      const tail = toBase64(this.shared.subarray(n));
      split = { head: this.shared.subarray(0, n), tail, tailAndClose: Buffer.from(tail + CLOSE, 'latin1') };
      this.tails.set(prefixLength, split);
    }
    return split;
  }
}

/** What follows the content in a `message.deliver` frame (see ws/connection.ts). */
export const CLOSE = '"}}';
