import { DELIVER_FRAME_END } from '@aviso/protocol';
import type { NewEnvelope } from '../../ports/message-queue.js';
import { toBase64 } from '../shared/bytes.js';
import { guidAt, guidKeystream } from './guids.js';
import type { ContentPieces, Fanout } from './live-envelope.js';
import { deviceCount, type GroupSendRecipient } from './sent-message.js';

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
   * bytes with the deliver frame's `DELIVER_FRAME_END` appended (one buffer for every recipient with this
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
      split = { head: this.shared.subarray(0, n), tail, tailAndClose: Buffer.from(tail + DELIVER_FRAME_END, 'latin1') };
      this.tails.set(prefixLength, split);
    }
    return split;
  }
}
