import { z } from 'zod';
import { GroupPublicParams, MemberCiphertext } from '../groups/schemas.js';
import { AccountId, base64Bytes, DeviceId } from '../primitives.js';

/**
 * Group sends (docs/alerts.md). A group message is uploaded once, as libsignal's sealed sender v2
 * "SentMessage", over a request that carries no account credentials: a group send endorsement token
 * for exactly the recipient set authorises it, so the relay never learns which member sent it.
 */

/** `GET /v1/groups/:groupId/endorsements` (presentation auth, members only). */
export const EndorsementsResponse = z.object({
  /** Day-aligned expiration, seconds since the epoch. */
  expiration: z.int().positive(),
  /** The member pseudonyms the endorsements were issued for, in the order the response uses. */
  members: z.array(MemberCiphertext),
  /** libsignal `GroupSendEndorsementsResponse`, serialized. */
  response: base64Bytes(4 * 1024 * 1024),
  publicParams: GroupPublicParams,
});
export type EndorsementsResponse = z.infer<typeof EndorsementsResponse>;

/** Headers and media type of group sends. */
export const GROUP_SEND = {
  /** base64 `GroupSendFullToken` for the recipient set (or, on a prekey fetch, for that one account). */
  tokenHeader: 'aviso-group-send-token',
  /** Body of `PUT /v1/messages/multi_recipient?ts=<ms>`: the raw SentMessage bytes. */
  contentType: 'application/vnd.aviso.mrm',
} as const;

export const MultiRecipientQuery = z.object({ ts: z.coerce.number().pipe(z.int().min(0)) });

export const MultiRecipientResponse = z.object({
  /** Envelopes stored, one per recipient device. */
  stored: z.int().min(0),
});
export type MultiRecipientResponse = z.infer<typeof MultiRecipientResponse>;

/** `details` of a 409 MISMATCHED_DEVICES on a multi-recipient send. */
export const MultiMismatchedDevices = z.object({
  accounts: z.array(z.object({ accountId: AccountId, missingDevices: z.array(DeviceId), extraDevices: z.array(DeviceId) })),
});
/** `details` of a 410 STALE_DEVICES on a multi-recipient send. */
export const MultiStaleDevices = z.object({
  accounts: z.array(z.object({ accountId: AccountId, staleDevices: z.array(DeviceId) })),
});
