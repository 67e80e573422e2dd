import {
  ContentHint,
  ErrorCode,
  LibSignalErrorBase,
  ProtocolAddress,
  sealedSenderDecryptMessage,
  sealedSenderDecryptToUsmc,
  sealedSenderEncrypt,
  signalEncrypt,
  UnidentifiedSenderMessageContent,
  type PublicKey,
  type SenderCertificate,
} from '@signalapp/libsignal-client';
import { AccountId, decodeContent, encodeContent, ProtocolError, type Content } from '@aviso/protocol';
import type { SignalStores } from '../stores/libsignal-adapters.js';
import { copyBytes } from '../util/bytes.js';

/** Why an incoming envelope was dropped. Every one is reported as a 'rejected' event, never as a message. */
export type RejectReason =
  | 'decrypt-failed'
  | 'malformed-content'
  | 'untrusted-certificate'
  | 'untrusted-identity'
  | 'duplicate'
  | 'self-send'
  | 'invalid-envelope';

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
}

export interface OpenInput {
  ciphertext: Uint8Array;
  /** The relay's receipt time; the sender certificate must be valid at this time. */
  serverTimestamp: number;
  trustRoot: PublicKey;
  localAccountId: string;
  localDeviceId: number;
  stores: SignalStores;
}

/**
 * Opens a sealed-sender envelope: libsignal checks the sender certificate chain against the
 * pinned trust root at the relay's timestamp, decrypts through the session, then the content is
 * unpadded and validated. Throws EnvelopeRejectedError with a reason; never returns partial data.
 */
export async function openSealed(input: OpenInput): Promise<OpenedMessage> {
  const { stores } = input;
  let result;
  try {
    result = await sealedSenderDecryptMessage(
      copyBytes(input.ciphertext),
      input.trustRoot,
      input.serverTimestamp,
      null,
      input.localAccountId,
      input.localDeviceId,
      stores.session,
      stores.identity,
      stores.preKey,
      stores.signedPreKey,
      stores.kyberPreKey,
    );
  } catch (err) {
    throw new EnvelopeRejectedError(await classify(err, input), 'envelope could not be opened', { cause: err });
  }
  const sender = AccountId.safeParse(result.senderUuid());
  if (!sender.success) throw new EnvelopeRejectedError('untrusted-certificate', 'sender is not an account id');
  let content: Content;
  try {
    content = decodeContent(result.message());
  } catch (err) {
    if (err instanceof ProtocolError) throw new EnvelopeRejectedError('malformed-content', err.message, { cause: err });
    throw err;
  }
  return { sender: sender.data, senderDevice: result.deviceId(), content };
}

async function classify(err: unknown, input: OpenInput): Promise<RejectReason> {
  if (err instanceof LibSignalErrorBase) {
    if (err.is(ErrorCode.SealedSenderSelfSend)) return 'self-send';
    if (err.is(ErrorCode.DuplicatedMessage)) return 'duplicate';
    if (err.is(ErrorCode.UntrustedIdentity)) return 'untrusted-identity';
  }
  // libsignal reports a bad certificate as a generic error; open the outer layer (no state is
  // touched) to tell "not for us / corrupt" apart from "valid envelope, untrusted sender".
  try {
    const usmc = await sealedSenderDecryptToUsmc(copyBytes(input.ciphertext), input.stores.identity);
    if (!usmc.senderCertificate().validate(input.trustRoot, input.serverTimestamp)) return 'untrusted-certificate';
  } catch {
    return 'decrypt-failed';
  }
  return 'decrypt-failed';
}
