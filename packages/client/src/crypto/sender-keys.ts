import {
  Aci,
  ContentHint,
  groupEncrypt,
  processSenderKeyDistributionMessage,
  ProtocolAddress,
  sealedSenderMultiRecipientEncrypt,
  SenderKeyDistributionMessage,
  UnidentifiedSenderMessageContent,
  type SenderCertificate,
} from '@signalapp/libsignal-client';
import type { SignalStores } from '../stores/libsignal-adapters.js';
import { copyBytes } from '../util/bytes.js';
import { GroupSendEndorsement, GroupSendEndorsementsResponse, ServerPublicParams, type GroupSecretParams } from './zkgroup.js';

/**
 * Sender keys and sealed sender v2 (docs/alerts.md "Sender keys", "One upload per message").
 * Sans-I/O: every function reads and writes the stores' zone; the caller commits and sends.
 */

/** Our sender key is older than this: reset it (Signal-Desktop's cap). */
export const SENDER_KEY_MAX_AGE_MS = 90 * 24 * 3600_000;

export const groupIdBytes = (groupId: string): Uint8Array<ArrayBuffer> => new Uint8Array(Buffer.from(groupId, 'hex'));

/** Creates (on first use) our sender key for `distributionId` and returns its serialized SKDM. */
export async function createDistribution(me: ProtocolAddress, distributionId: string, stores: SignalStores): Promise<Uint8Array> {
  const skdm = await SenderKeyDistributionMessage.create(me, distributionId, stores.senderKey);
  return skdm.serialize();
}

/** Stores a member's sender key from its SKDM; returns the distribution id it carried. */
export async function acceptDistribution(from: ProtocolAddress, skdm: Uint8Array, stores: SignalStores): Promise<string> {
  const message = SenderKeyDistributionMessage.deserialize(copyBytes(skdm));
  await processSenderKeyDistributionMessage(from, message, stores.senderKey);
  return message.distributionId();
}

export interface GroupEncryptInput {
  me: ProtocolAddress;
  distributionId: string;
  groupId: string;
  certificate: SenderCertificate;
  /** Encoded, padded Content. */
  padded: Uint8Array;
  /** Every recipient device; each needs a current session (for its key box). */
  recipients: ProtocolAddress[];
  stores: SignalStores;
}

/**
 * groupEncrypt → UnidentifiedSenderMessageContent (resendable, group id) → SSv2 SentMessage for
 * all recipients: one ciphertext plus a small key box per device. Advances our sender key chain.
 */
export async function encryptForGroup(input: GroupEncryptInput): Promise<Uint8Array<ArrayBuffer>> {
  const message = await groupEncrypt(input.me, input.distributionId, input.stores.senderKey, copyBytes(input.padded));
  const usmc = UnidentifiedSenderMessageContent.new(message, input.certificate, ContentHint.Resendable, groupIdBytes(input.groupId));
  return sealedSenderMultiRecipientEncrypt({
    content: usmc,
    recipients: input.recipients,
    identityStore: input.stores.identity,
    sessionStore: input.stores.session,
  });
}

/** Endorsements for one group at one expiration, received and checked against our member list. */
export interface GroupEndorsements {
  expiration: Date;
  /** By account id (every member but us). */
  byMember: Map<string, GroupSendEndorsement>;
  /** Everyone but us. */
  combined: GroupSendEndorsement;
}

/**
 * Receives the relay's endorsements for `memberAccounts` (in the order the response uses; libsignal
 * verifies the proofs against exactly those service ids). Throws if they do not verify or the
 * expiration is not day-aligned, too close or too far (libsignal's checks).
 */
export function receiveEndorsements(input: {
  response: Uint8Array;
  memberAccounts: string[];
  me: string;
  secretParams: GroupSecretParams;
  serverPublicParams: Uint8Array;
  now?: Date;
}): GroupEndorsements {
  const response = new GroupSendEndorsementsResponse(copyBytes(input.response));
  const members = input.memberAccounts.map((a) => Aci.fromUuid(a));
  const received = response.receiveWithServiceIds(members, Aci.fromUuid(input.me), input.secretParams, new ServerPublicParams(copyBytes(input.serverPublicParams)), input.now);
  const byMember = new Map<string, GroupSendEndorsement>();
  input.memberAccounts.forEach((a, i) => {
    if (a !== input.me) byMember.set(a, received.endorsements[i]!);
  });
  return { expiration: response.getExpiration(), byMember, combined: received.combinedEndorsement };
}

/** The full token (for the `aviso-group-send-token` header) for exactly `recipients`. */
export function sendToken(e: GroupEndorsements, recipients: string[], secretParams: GroupSecretParams): Uint8Array {
  const all = new Set(e.byMember.keys());
  const exact = recipients.length === all.size && recipients.every((r) => all.has(r));
  let endorsement: GroupSendEndorsement;
  if (exact) endorsement = e.combined;
  else {
    const parts = recipients.map((r) => {
      const x = e.byMember.get(r);
      if (!x) throw new Error('no endorsement for a recipient');
      return x;
    });
    endorsement = GroupSendEndorsement.combine(parts);
  }
  return endorsement.toFullToken(secretParams, e.expiration).serialize();
}
