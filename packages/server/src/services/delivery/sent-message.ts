import { LIMITS, ProtocolError } from '@aviso/protocol';
import { parseSentMessage, type ParsedSentMessage } from './sent-message-format.js';

/** An ACI as the reader prints it: a lowercase UUID with dashes. */
const ACI_LENGTH = 36;

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
 * recipient's ReceivedMessage ends with. Anything libsignal rejects, or we do, is BAD_REQUEST. Read
 * by sent-message-format.ts, not libsignal's parser: see there why, and how the two are kept in step.
 */
export function splitSentMessage(body: Uint8Array<ArrayBuffer>): SplitSentMessage {
  let message: ParsedSentMessage;
  try {
    message = parseSentMessage(body);
  } catch (err) {
    throw new ProtocolError('BAD_REQUEST', 'malformed multi-recipient message', { cause: err });
  }
  const sharedAt = message.offsetOfSharedData;
  const shared = body.subarray(sharedAt);
  // Every recipient's prefix is a view into one buffer: one allocation per send, not one per member.
  let prefixBytes = 0;
  for (const r of message.recipients) prefixBytes += 1 + r.rangeLen;
  const prefixes = Buffer.allocUnsafeSlow(prefixBytes);
  const source = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let at = 0;
  const recipients: GroupSendRecipient[] = [];
  const serviceIds: string[] = [];
  // Each recipient once: a repeated one comes back with its devices merged (as libsignal does).
  for (const r of message.recipients) {
    const serviceIdString = r.serviceId;
    // The reader prints an ACI as its bare UUID (36 characters) and a PNI as `PNI:<uuid>`, as libsignal does.
    if (serviceIdString.length !== ACI_LENGTH) throw new ProtocolError('BAD_REQUEST', 'recipients must be ACIs');
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
  if (recipients.length === 0) throw new ProtocolError('BAD_REQUEST', 'no recipients');
  return { recipients, serviceIds, shared, head: body.subarray(0, sharedAt) };
}
