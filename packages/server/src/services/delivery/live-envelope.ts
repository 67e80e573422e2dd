import { DELIVER_FRAME_END, type Envelope } from '@aviso/protocol';
import { guidAt } from './guids.js';
import type { GroupSendRecipient } from './sent-message.js';

// What the group fan-out hands connections, and what the notifier carries to them: one home, so
// the fan-out and the notifier both import it and not each other.

/** A queued envelope with the queue position the connection layer needs to page through it. */
export interface QueuedMessage {
  id: number;
  envelope: Envelope;
  /**
   * A group send's push only: the envelope's base64 content in two pieces, this recipient's part
   * (a short string) and the part every recipient shares as ASCII bytes followed by the frame's
   * closing `DELIVER_FRAME_END` (one buffer for the whole send), so the connection frames it without building a
   * per-device string of the whole content.
   */
  contentBytes?: ContentPieces;
  /**
   * A group send's push only, set once a connection took the envelope as is: it has no row yet, and
   * the connection reports its fate (acknowledged, or released into a row) to the messages service.
   */
  live?: LiveEnvelope;
}

export interface ContentPieces {
  own: string;
  sharedAndClose: Buffer;
}

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
    return own + sharedAndClose.toString('latin1', 0, sharedAndClose.length - DELIVER_FRAME_END.length);
  }
}
