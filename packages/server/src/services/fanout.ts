import type { NewEnvelope } from '../storage/repositories/messages.js';
import { toBase64 } from './bytes.js';
import { fanoutGuids } from './fanout-guids.js';
import type { ContentPieces } from './notifier.js';
import type { GroupSendRecipient } from './sent-message.js';

/**
 * A group send between its durable commit (`pending_fanouts`) and the moment every recipient device
 * either acknowledged it live or has an envelope row (see MessagesService.sendToMany).
 */
export interface Fanout {
  sharedId: number;
  firstId: number;
  receivedAt: number;
  /** Clock time of the push: envelopes still live long after it get rows (`releaseStragglers`). */
  pushedAt: number;
  shared: Uint8Array;
  recipients: readonly GroupSendRecipient[];
  /** One per recipient device, in recipient order, for the queue positions `firstId`, `firstId + 1`, … */
  envelopes: NewEnvelope[];
  /** The envelopes handed to live connections with no row written for them. */
  live: LiveEnvelope[];
  /** Of `live`, those neither acknowledged nor turned into rows yet. At 0 the pending row can go. */
  outstanding: number;
}

/**
 * One envelope of a group send handed to a live connection before any row was written for it. If
 * the member acknowledges it, it never costs a row; if the connection goes away first, answers with
 * an error, or takes too long, it is `released`: its row is written and it is a queued envelope
 * like any other.
 */
export class LiveEnvelope {
  state: 'live' | 'acknowledged' | 'released' = 'live';

  constructor(
    readonly fanout: Fanout,
    readonly index: number,
  ) {}
}

export function fanoutOf(f: { sharedId: number; firstId: number; receivedAt: number; expiresAt: number; pushedAt: number; guidSeed: Uint8Array; shared: Uint8Array; recipients: readonly GroupSendRecipient[] }): Fanout {
  let count = 0;
  for (const r of f.recipients) count += r.devices.length;
  const guids = fanoutGuids(f.guidSeed, count);
  const envelopes: NewEnvelope[] = [];
  for (const r of f.recipients) {
    for (const d of r.devices) {
      envelopes.push({ guid: guids[envelopes.length] ?? '', accountId: r.accountId, deviceId: d.deviceId, receivedAt: f.receivedAt, expiresAt: f.expiresAt, content: r.prefix, sharedId: f.sharedId });
    }
  }
  return { sharedId: f.sharedId, firstId: f.firstId, receivedAt: f.receivedAt, pushedAt: f.pushedAt, shared: f.shared, recipients: f.recipients, envelopes, live: [], outstanding: 0 };
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

/** A group send's envelope as pushed: the connection frames its pieces; `content` is built only if someone asks. */
export class PushedEnvelope {
  constructor(
    readonly guid: string,
    readonly serverTimestamp: number,
    private readonly pieces: ContentPieces,
  ) {}

  get content(): string {
    const { own, sharedAndClose } = this.pieces;
    return own + sharedAndClose.toString('latin1', 0, sharedAndClose.length - CLOSE.length);
  }
}
