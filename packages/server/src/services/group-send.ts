// Not re-exported from the package index (0.103); the dist module is its public entry.
import SealedSenderMultiRecipientMessage from '@signalapp/libsignal-client/dist/SealedSenderMultiRecipientMessage.js';
import { LIMITS, ProtocolError, type MultiRecipientResponse } from '@aviso/protocol';
import type { Logger } from 'pino';
import type { GroupSendTokens } from './group-send-tokens.js';
import type { GroupSendRecipient, MessagesService } from './messages.js';
import type { RateLimiter } from './rate-limit.js';

const ACI_STRING = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** libsignal's `messageForRecipient` prepends this byte: the "original" sealed sender v2 ReceivedMessage version. */
const RECEIVED_MESSAGE_VERSION = 0x22;

/**
 * `PUT /v1/messages/multi_recipient`: one upload of a sealed sender v2 SentMessage for many
 * recipients, authorised by a group send token instead of account credentials (docs/alerts.md).
 * Signal's order: parse, verify the token against exactly the recipients, then resolve accounts.
 */
export class GroupSendService {
  constructor(
    private readonly deps: {
      tokens: GroupSendTokens;
      messages: MessagesService;
      /** Keyed by the token's hash: the relay does not know the sender. */
      sendLimiter: RateLimiter;
      logger: Logger;
    },
  ) {}

  send(tokenHeader: string | undefined, body: Uint8Array<ArrayBuffer>): MultiRecipientResponse {
    // No account lookup, no parsing cost for requests that cannot be authorised anyway.
    if (tokenHeader === undefined) throw new ProtocolError('UNAUTHORIZED', 'missing group send token');
    const { recipients, serviceIds, shared } = split(body);
    const tokenHash = this.deps.tokens.verify(tokenHeader, serviceIds);
    this.deps.sendLimiter.take(`group-send:${tokenHash}`);
    const stored = this.deps.messages.sendToMany(recipients, shared);
    // Counts only: never the token, the recipients or any payload byte.
    this.deps.logger.debug({ recipients: recipients.length, envelopes: stored }, 'group send stored');
    return { stored };
  }
}

/**
 * Parses a SentMessage into its recipients (ACIs only, each device once) and the shared part every
 * recipient's ReceivedMessage ends with. Anything libsignal rejects, or we do, is BAD_REQUEST.
 */
export function split(body: Uint8Array<ArrayBuffer>): { recipients: GroupSendRecipient[]; serviceIds: string[]; shared: Uint8Array } {
  let message: SealedSenderMultiRecipientMessage;
  try {
    message = new SealedSenderMultiRecipientMessage(body);
  } catch (err) {
    throw new ProtocolError('BAD_REQUEST', 'malformed multi-recipient message', { cause: err });
  }
  const shared = body.subarray(message._offsetOfSharedData);
  const recipients: GroupSendRecipient[] = [];
  const serviceIds: string[] = [];
  const seen = new Set<string>();
  for (const [serviceIdString, r] of Object.entries(message._recipientMap)) {
    // libsignal prints an ACI as its bare lowercase UUID and a PNI as `PNI:<uuid>`: the string says
    // which it is without a native parse per recipient.
    if (!ACI_STRING.test(serviceIdString)) throw new ProtocolError('BAD_REQUEST', 'recipients must be ACIs');
    const accountId = serviceIdString;
    if (seen.has(accountId)) throw new ProtocolError('BAD_REQUEST', 'a recipient is listed twice');
    seen.add(accountId);
    if (r.deviceIds.length === 0 || new Set(r.deviceIds).size !== r.deviceIds.length || r.deviceIds.length !== r.registrationIds.length) {
      throw new ProtocolError('BAD_REQUEST', 'a recipient lists no device or a device twice');
    }
    const prefix = new Uint8Array(1 + r.rangeLen);
    prefix[0] = RECEIVED_MESSAGE_VERSION;
    prefix.set(body.subarray(r.rangeOffset, r.rangeOffset + r.rangeLen), 1);
    if (prefix.length + shared.length > LIMITS.maxEnvelopeBytes) {
      throw new ProtocolError('PAYLOAD_TOO_LARGE', `a recipient's message exceeds ${LIMITS.maxEnvelopeBytes} bytes`);
    }
    recipients.push({
      accountId,
      devices: r.deviceIds.map((deviceId, i) => ({ deviceId, registrationId: r.registrationIds[i] ?? 0 })),
      prefix,
    });
    serviceIds.push(serviceIdString);
  }
  const [firstKey] = Object.keys(message._recipientMap);
  if (firstKey === undefined || recipients[0] === undefined) throw new ProtocolError('BAD_REQUEST', 'no recipients');
  assertSplitMatchesLibsignal(message, firstKey, recipients[0].prefix, shared);
  return { recipients, serviceIds, shared };
}

/**
 * We store prefix and shared part apart instead of calling `messageForRecipient` per recipient (that
 * copies the whole shared part each time). Checking one recipient per send against libsignal keeps
 * the split honest if a libsignal upgrade changes the layout: the send fails instead of storing garbage.
 */
function assertSplitMatchesLibsignal(message: SealedSenderMultiRecipientMessage, key: string, prefix: Uint8Array, shared: Uint8Array): void {
  const recipient = message._recipientMap[key];
  const expected = recipient && message.messageForRecipient(recipient);
  const ours = Buffer.concat([prefix, shared]);
  if (!expected || !ours.equals(expected)) throw new Error('sealed sender v2 layout differs from libsignal messageForRecipient');
}
