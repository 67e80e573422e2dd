// Not re-exported from the package index (0.103); the dist module is its public entry.
import SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import { LIMITS, ProtocolError } from '@aviso/protocol';

const ACI_STRING = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** libsignal's `messageForRecipient` prepends this byte: the "original" sealed sender v2 ReceivedMessage version. */
const RECEIVED_MESSAGE_VERSION = 0x22;

/** One account addressed by a group send, as the SentMessage lists it. */
export interface GroupSendRecipient {
  accountId: string;
  devices: { deviceId: number; registrationId: number }[];
  /** What only this recipient gets: the start of its ReceivedMessage (version byte and key box). */
  prefix: Uint8Array;
}

/** How many devices a send addresses: one envelope each. */
export function deviceCount(recipients: readonly GroupSendRecipient[]): number {
  let n = 0;
  for (const r of recipients) n += r.devices.length;
  return n;
}

/** A sealed sender v2 SentMessage taken apart for storage and delivery. */
export interface SplitSentMessage {
  recipients: GroupSendRecipient[];
  serviceIds: string[];
  /** The part every recipient's ReceivedMessage ends with (the ephemeral key and the ciphertext). */
  shared: Uint8Array;
  /**
   * Everything before `shared`: the header and the per-recipient entries. With `shared` it is the
   * whole upload again, which is what the relay keeps until a send's per-device rows are written.
   */
  head: Uint8Array;
}

/** What a group send stores: the parsed upload without its service id list. */
export type GroupSendMessage = Pick<SplitSentMessage, 'recipients' | 'shared' | 'head'>;

/**
 * Parses a SentMessage into its recipients (ACIs only, each device once) and the shared part every
 * recipient's ReceivedMessage ends with. Anything libsignal rejects, or we do, is BAD_REQUEST.
 */
export function splitSentMessage(body: Uint8Array<ArrayBuffer>): SplitSentMessage {
  let message: SealedSenderMultiRecipientMessage;
  try {
    message = new SealedSenderMultiRecipientMessage(body);
  } catch (err) {
    throw new ProtocolError('BAD_REQUEST', 'malformed multi-recipient message', { cause: err });
  }
  const sharedAt = message._offsetOfSharedData;
  const shared = body.subarray(sharedAt);
  const map = message._recipientMap;
  // Every recipient's prefix is a view into one buffer: one allocation per send, not one per member.
  // (Loops over the map's keys: a 1,000-member send builds no array of entries.)
  let prefixBytes = 0;
  for (const key in map) prefixBytes += 1 + (map[key]?.rangeLen ?? 0);
  const prefixes = Buffer.allocUnsafeSlow(prefixBytes);
  const source = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let at = 0;
  const recipients: GroupSendRecipient[] = [];
  const serviceIds: string[] = [];
  // Each recipient once: libsignal keys the map by service id, so a repeated one cannot come through twice.
  for (const serviceIdString in map) {
    const r = map[serviceIdString]!;
    // libsignal prints an ACI as its bare lowercase UUID and a PNI as `PNI:<uuid>`: the string says
    // which it is without a native parse per recipient.
    if (!ACI_STRING.test(serviceIdString)) throw new ProtocolError('BAD_REQUEST', 'recipients must be ACIs');
    const n = r.deviceIds.length;
    if (n === 0 || n !== r.registrationIds.length || (n > 1 && new Set(r.deviceIds).size !== n)) {
      throw new ProtocolError('BAD_REQUEST', 'a recipient lists no device or a device twice');
    }
    if (1 + r.rangeLen + shared.length > LIMITS.maxEnvelopeBytes) {
      throw new ProtocolError('PAYLOAD_TOO_LARGE', `a recipient's message exceeds ${LIMITS.maxEnvelopeBytes} bytes`);
    }
    prefixes[at] = RECEIVED_MESSAGE_VERSION;
    source.copy(prefixes, at + 1, r.rangeOffset, r.rangeOffset + r.rangeLen);
    const prefix = prefixes.subarray(at, at + 1 + r.rangeLen);
    at += prefix.length;
    const devices = n === 1 ? [{ deviceId: r.deviceIds[0]!, registrationId: r.registrationIds[0]! }] : r.deviceIds.map((deviceId, i) => ({ deviceId, registrationId: r.registrationIds[i] ?? 0 }));
    recipients.push({ accountId: serviceIdString, devices, prefix });
    serviceIds.push(serviceIdString);
  }
  const firstKey = serviceIds[0];
  const first = firstKey === undefined ? undefined : map[firstKey];
  if (first === undefined || recipients[0] === undefined) throw new ProtocolError('BAD_REQUEST', 'no recipients');
  assertSplitMatchesLibsignal(message, first, recipients[0].prefix, shared);
  return { recipients, serviceIds, shared, head: body.subarray(0, sharedAt) };
}

/**
 * We store prefix and shared part apart instead of calling `messageForRecipient` per recipient (that
 * copies the whole shared part each time). Checking one recipient per send against libsignal keeps
 * the split honest if a libsignal upgrade changes the layout: the send fails instead of storing garbage.
 */
function assertSplitMatchesLibsignal(
  message: SealedSenderMultiRecipientMessage,
  recipient: Parameters<SealedSenderMultiRecipientMessage['messageForRecipient']>[0],
  prefix: Uint8Array,
  shared: Uint8Array,
): void {
  const expected = message.messageForRecipient(recipient);
  const ours = Buffer.concat([prefix, shared]);
  if (!ours.equals(expected)) throw new Error('sealed sender v2 layout differs from libsignal messageForRecipient');
}
