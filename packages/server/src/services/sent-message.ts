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
  const entries = Object.entries(message._recipientMap);
  // Every recipient's prefix is a view into one buffer: one allocation per send, not one per member.
  let prefixBytes = 0;
  for (const [, r] of entries) prefixBytes += 1 + r.rangeLen;
  const prefixes = Buffer.allocUnsafeSlow(prefixBytes);
  let at = 0;
  const recipients: GroupSendRecipient[] = [];
  const serviceIds: string[] = [];
  const seen = new Set<string>();
  for (const [serviceIdString, r] of entries) {
    // libsignal prints an ACI as its bare lowercase UUID and a PNI as `PNI:<uuid>`: the string says
    // which it is without a native parse per recipient.
    if (!ACI_STRING.test(serviceIdString)) throw new ProtocolError('BAD_REQUEST', 'recipients must be ACIs');
    const accountId = serviceIdString;
    if (seen.has(accountId)) throw new ProtocolError('BAD_REQUEST', 'a recipient is listed twice');
    seen.add(accountId);
    if (r.deviceIds.length === 0 || new Set(r.deviceIds).size !== r.deviceIds.length || r.deviceIds.length !== r.registrationIds.length) {
      throw new ProtocolError('BAD_REQUEST', 'a recipient lists no device or a device twice');
    }
    if (1 + r.rangeLen + shared.length > LIMITS.maxEnvelopeBytes) {
      throw new ProtocolError('PAYLOAD_TOO_LARGE', `a recipient's message exceeds ${LIMITS.maxEnvelopeBytes} bytes`);
    }
    const prefix = prefixes.subarray(at, at + 1 + r.rangeLen);
    at += prefix.length;
    prefix[0] = RECEIVED_MESSAGE_VERSION;
    prefix.set(body.subarray(r.rangeOffset, r.rangeOffset + r.rangeLen), 1);
    recipients.push({
      accountId,
      devices: r.deviceIds.map((deviceId, i) => ({ deviceId, registrationId: r.registrationIds[i] ?? 0 })),
      prefix,
    });
    serviceIds.push(serviceIdString);
  }
  const first = entries[0];
  if (first === undefined || recipients[0] === undefined) throw new ProtocolError('BAD_REQUEST', 'no recipients');
  assertSplitMatchesLibsignal(message, first[1], recipients[0].prefix, shared);
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
