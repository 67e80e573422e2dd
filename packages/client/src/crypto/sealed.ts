import {
  CiphertextMessageType,
  ContentHint,
  ErrorCode,
  groupDecrypt,
  LibSignalErrorBase,
  PreKeySignalMessage,
  ProtocolAddress,
  SenderKeyMessage,
  sealedSenderDecryptToUsmc,
  sealedSenderEncrypt,
  signalDecrypt,
  signalDecryptPreKey,
  SignalMessage,
  signalEncrypt,
  UnidentifiedSenderMessageContent,
  type PublicKey,
  type SenderCertificate,
} from '@signalapp/libsignal-client';
import { AccountId, decodeContent, encodeContent, ProtocolError, type Content } from '@aviso/protocol';
import type { SignalStores } from '../stores/libsignal-adapters.js';
import { copyBytes } from '../util/bytes.js';
import type { ValidatedCertificates } from './certificate-cache.js';

/** Why an incoming envelope was dropped. Every one is reported as a 'rejected' event, never as a message. */
export type RejectReason =
  | 'decrypt-failed'
  | 'malformed-content'
  | 'untrusted-certificate'
  | 'untrusted-identity'
  | 'duplicate'
  | 'self-send'
  | 'invalid-envelope'
  /** A group message whose sender key we do not hold (a resend request goes back to the sender). */
  | 'no-sender-key'
  /** A group message for a group we do not know, or from someone not a member in our verified state. */
  | 'not-a-member'
  /** A group message the sender may not send (announcement-only group, someone else's retract). */
  | 'not-allowed'
  /** A group message naming our verified version with another head hash (reported as GroupForkError). */
  | 'group-fork'
  /** A group message naming a group version the relay does not serve us (reported as GroupWithheldError). */
  | 'group-withheld'
  /** A group message whose sender certificate names another identity key than the verified log (IdentityMismatchError). */
  | 'identity-mismatch';

export class EnvelopeRejectedError extends Error {
  override name = 'EnvelopeRejectedError';
  constructor(
    readonly reason: RejectReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface SealedMessage {
  /** Sealed-sender v1 ciphertext for one device. */
  ciphertext: Uint8Array;
  /** The recipient device's registration id, as the session knows it (for 410 checks by the relay). */
  registrationId: number;
}

/**
 * Encrypts content for one device: the padded Content goes through the session (signalEncrypt),
 * then into sealed sender with our certificate, so the relay sees neither sender nor content.
 * Session changes land in the stores' zone; the caller commits them.
 */
export async function sealContent(
  content: Content,
  to: ProtocolAddress,
  senderCertificate: SenderCertificate,
  stores: SignalStores,
  now: Date = new Date(),
): Promise<SealedMessage> {
  return sealPadded(encodeContent(content), to, senderCertificate, stores, now);
}

/** sealContent for bytes that are already encoded and padded (tests feed protocol vectors through here). */
export async function sealPadded(
  padded: Uint8Array,
  to: ProtocolAddress,
  senderCertificate: SenderCertificate,
  stores: SignalStores,
  now: Date = new Date(),
): Promise<SealedMessage> {
  const local = ProtocolAddress.new(senderCertificate.senderUuid(), senderCertificate.senderDeviceId());
  const message = await signalEncrypt(copyBytes(padded), to, local, stores.session, stores.identity, now);
  const usmc = UnidentifiedSenderMessageContent.new(message, senderCertificate, ContentHint.Default, null);
  const ciphertext = await sealedSenderEncrypt(usmc, to, stores.identity);
  const session = await stores.session.getSession(to);
  if (!session) throw new Error('session vanished during encryption');
  return { ciphertext, registrationId: session.remoteRegistrationId() };
}

export interface OpenedMessage {
  sender: string;
  senderDevice: number;
  content: Content;
  /** How it was encrypted: a 1:1 session, or the sender's sender key for a group. */
  via: 'session' | 'sender-key';
  /** The group id (hex) the sender put into the sealed-sender envelope, if any. */
  envelopeGroupId: string | undefined;
  /** The identity key (serialized) the sender certificate binds to the sender; checked against a group's log. */
  senderIdentityKey: Uint8Array;
  /** The relay's timestamp of the envelope (`OpenInput.serverTimestamp`): what bounds the sender's clock. */
  serverTimestamp: number;
}

export interface OpenInput {
  ciphertext: Uint8Array;
  /** The relay's receipt time; the sender certificate must be valid at this time. */
  serverTimestamp: number;
  trustRoot: PublicKey;
  localAccountId: string;
  localDeviceId: number;
  stores: SignalStores;
  /**
   * Certificates already validated against `trustRoot` (an inbox keeps one across a drain): the
   * signatures are checked once per distinct certificate, expiry on every envelope. Without it,
   * every envelope's certificate is checked in full.
   */
  certificates?: ValidatedCertificates | undefined;
}

/** A sender-key message we hold no key for: what a resend request needs to name. */
export class MissingSenderKeyError extends EnvelopeRejectedError {
  constructor(
    readonly sender: string,
    readonly senderDevice: number,
    readonly distributionId: string,
    readonly groupId: string | undefined,
    options?: ErrorOptions,
  ) {
    super('no-sender-key', 'no sender key for this group message', options);
  }
}

/**
 * Opens a sealed-sender envelope (v1 or v2, 1:1 or sender key), all through one path:
 * 1. `sealedSenderDecryptToUsmc` (outer layer; touches no session state),
 * 2. the sender certificate validated against the pinned trust root at the relay's timestamp
 *    (libsignal does not do it on this path; `certificates` checks each distinct one's signatures once),
 * 3. the self-send guard,
 * 4. the inner message by type: PreKey/Whisper through the 1:1 session, SenderKey through the
 *    sender's sender key (all state changes land in the stores' zone),
 * 5. the content unpadded and validated.
 * Throws EnvelopeRejectedError with a reason; never returns partial data.
 */
export async function openSealed(input: OpenInput): Promise<OpenedMessage> {
  const { stores } = input;
  let usmc: UnidentifiedSenderMessageContent;
  try {
    usmc = await sealedSenderDecryptToUsmc(copyBytes(input.ciphertext), stores.identity);
  } catch (err) {
    throw new EnvelopeRejectedError('decrypt-failed', 'envelope could not be opened', { cause: err });
  }
  const cert = usmc.senderCertificate();
  let valid = false;
  if (input.certificates) valid = input.certificates.isValid(cert, input.trustRoot, input.serverTimestamp);
  else {
    try {
      valid = cert.validate(input.trustRoot, input.serverTimestamp);
    } catch {
      valid = false;
    }
  }
  if (!valid) throw new EnvelopeRejectedError('untrusted-certificate', 'the sender certificate does not chain to the pinned trust root or has expired');
  const parsedSender = AccountId.safeParse(cert.senderUuid());
  if (!parsedSender.success) throw new EnvelopeRejectedError('untrusted-certificate', 'sender is not an account id');
  const sender = parsedSender.data;
  const senderDevice = cert.senderDeviceId();
  if (sender === input.localAccountId && senderDevice === input.localDeviceId) throw new EnvelopeRejectedError('self-send', 'envelope from this device');
  const from = ProtocolAddress.new(sender, senderDevice);
  const local = ProtocolAddress.new(input.localAccountId, input.localDeviceId);
  const groupIdBytes = usmc.groupId();
  const envelopeGroupId = groupIdBytes && groupIdBytes.length > 0 ? Buffer.from(groupIdBytes).toString('hex') : undefined;
  let plaintext: Uint8Array;
  let via: OpenedMessage['via'] = 'session';
  try {
    switch (usmc.msgType()) {
      case CiphertextMessageType.PreKey:
        plaintext = await signalDecryptPreKey(
          PreKeySignalMessage.deserialize(usmc.contents()),
          from,
          local,
          stores.session,
          stores.identity,
          stores.preKey,
          stores.signedPreKey,
          stores.kyberPreKey,
        );
        break;
      case CiphertextMessageType.Whisper:
        plaintext = await signalDecrypt(SignalMessage.deserialize(usmc.contents()), from, local, stores.session, stores.identity);
        break;
      case CiphertextMessageType.SenderKey: {
        via = 'sender-key';
        const contents = usmc.contents();
        let distributionId: string;
        try {
          distributionId = SenderKeyMessage.deserialize(contents).distributionId();
        } catch (err) {
          throw new EnvelopeRejectedError('decrypt-failed', 'malformed sender key message', { cause: err });
        }
        if (!(await stores.senderKey.getSenderKey(from, distributionId))) {
          throw new MissingSenderKeyError(sender, senderDevice, distributionId, envelopeGroupId);
        }
        try {
          plaintext = await groupDecrypt(from, stores.senderKey, contents);
        } catch (err) {
          // A key with another chain (the sender reset but kept the id): ask again, as for no key.
          if (err instanceof LibSignalErrorBase && err.is(ErrorCode.InvalidSenderKeySession)) {
            throw new MissingSenderKeyError(sender, senderDevice, distributionId, envelopeGroupId, { cause: err });
          }
          throw err;
        }
        break;
      }
      default:
        throw new EnvelopeRejectedError('invalid-envelope', `unexpected inner message type ${usmc.msgType()}`);
    }
  } catch (err) {
    if (err instanceof EnvelopeRejectedError) throw err;
    throw new EnvelopeRejectedError(classify(err), 'envelope could not be decrypted', { cause: err });
  }
  let content: Content;
  try {
    content = decodeContent(plaintext);
  } catch (err) {
    if (err instanceof ProtocolError) throw new EnvelopeRejectedError('malformed-content', err.message, { cause: err });
    throw err;
  }
  return { sender, senderDevice, content, via, envelopeGroupId, senderIdentityKey: cert.key().serialize(), serverTimestamp: input.serverTimestamp };
}

function classify(err: unknown): RejectReason {
  if (err instanceof LibSignalErrorBase) {
    if (err.is(ErrorCode.SealedSenderSelfSend)) return 'self-send';
    if (err.is(ErrorCode.DuplicatedMessage)) return 'duplicate';
    if (err.is(ErrorCode.UntrustedIdentity)) return 'untrusted-identity';
  }
  return 'decrypt-failed';
}
