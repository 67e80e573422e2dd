import { z } from 'zod';
import { GroupId } from './groups/schemas.js';
import { Timestamp } from './primitives.js';
import { ACK_STATUSES, ALERT_KINDS, ALERT_LIMITS, SEVERITIES } from './alert-vocabulary.js';

/**
 * The alert vocabulary: what members of a group say to each other, inside the end-to-end encryption.
 * The relay never sees any of it. Every group body names its group and carries the sender's verified
 * group version and head hash, so receivers can tell when they are behind and catch a relay that shows
 * members different histories (docs/groups.md). docs/alerts.md is the design.
 */

export { ACK_STATUSES, ALERT_KINDS, ALERT_LIMITS, SEVERITIES } from './alert-vocabulary.js';

/** The kinds this build sends. A receiver takes any kind name (see `AlertBody`). */
export const AlertKind = z.enum(ALERT_KINDS);
export type AlertKind = z.infer<typeof AlertKind>;
const isKnownKind = (kind: string): kind is AlertKind => (ALERT_KINDS as readonly string[]).includes(kind);

export const Severity = z.enum(SEVERITIES);
export type Severity = z.infer<typeof Severity>;

export const AckStatus = z.enum(ACK_STATUSES);
export type AckStatus = z.infer<typeof AckStatus>;

export const AlertId = z.uuid();
export type AlertId = z.infer<typeof AlertId>;

/** Coordinates are coarse on purpose: two decimals is about a kilometre, enough to dispatch, not to track. */
const Coarse = z.number().transform((n) => Math.round(n * 100) / 100);
export const Place = z.object({
  text: z.string().min(1).max(ALERT_LIMITS.placeChars),
  lat: Coarse.pipe(z.number().min(-90).max(90)).optional(),
  lon: Coarse.pipe(z.number().min(-180).max(180)).optional(),
});
export type Place = z.infer<typeof Place>;

/** Fields every group body carries. */
const GroupScoped = {
  groupId: GroupId,
  /** The sender's verified group version and head hash (base64) when it sent this. */
  groupVersion: z.int().min(0),
  groupHeadHash: z.base64(),
};

export const ALERT = 'alert' as const;
export const ACK = 'ack' as const;
export const CONFIRM = 'confirm' as const;
export const DISPUTE = 'dispute' as const;
export const RETRACT = 'retract' as const;
export const ALL_CLEAR = 'all-clear' as const;
export const GROUP_TEXT = 'text' as const;
export const GROUP_UPDATE = 'group-update' as const;
export const SENDER_KEY_DISTRIBUTION = 'skdm' as const;
export const RESEND_REQUEST = 'resend-request' as const;

/**
 * An alert as received. A kind this build does not know (a newer build added it) is not a reason to
 * drop the alert: it reads as `other`, with the name that came in as `unknownKind`, and the rest of the
 * alert is kept. Senders send only ALERT_KINDS (`encodeContent` refuses anything else).
 */
export const AlertBody = z
  .object({
    type: z.literal(ALERT),
    ...GroupScoped,
    id: AlertId,
    kind: z.string().min(1).max(ALERT_LIMITS.kindChars),
    severity: Severity,
    title: z.string().min(1).max(ALERT_LIMITS.titleChars),
    body: z.string().max(ALERT_LIMITS.bodyChars).optional(),
    place: Place.optional(),
    observedAt: Timestamp,
    expiresAt: Timestamp,
    requestAck: z.boolean(),
  })
  .transform(({ kind, ...rest }) => (isKnownKind(kind) ? { ...rest, kind } : { ...rest, kind: 'other' as const, unknownKind: kind }));
export const AckBody = z.object({ type: z.literal(ACK), ...GroupScoped, alertId: AlertId, status: AckStatus });
export const ConfirmBody = z.object({ type: z.literal(CONFIRM), ...GroupScoped, alertId: AlertId, note: z.string().max(ALERT_LIMITS.noteChars).optional() });
export const DisputeBody = z.object({ type: z.literal(DISPUTE), ...GroupScoped, alertId: AlertId, note: z.string().max(ALERT_LIMITS.noteChars).optional() });
export const RetractBody = z.object({ type: z.literal(RETRACT), ...GroupScoped, alertId: AlertId, reason: z.string().max(ALERT_LIMITS.noteChars) });
export const AllClearBody = z.object({ type: z.literal(ALL_CLEAR), ...GroupScoped, alertId: AlertId });
export const GroupTextBody = z.object({ type: z.literal(GROUP_TEXT), ...GroupScoped, text: z.string().min(1).max(ALERT_LIMITS.textChars) });
/**
 * "The log moved": sent by the member who made a change, once the relay took it, so the others sync
 * now instead of at their next poll (docs/alerts.md "Reaching new members at once"). It says nothing
 * beyond the version and head every group body carries; receivers verify the change from the log.
 */
export const GroupUpdateBody = z.object({ type: z.literal(GROUP_UPDATE), ...GroupScoped });

/**
 * Sent 1:1 (sealed sender) to each member device that lacks the sender's current sender key for a
 * group: libsignal's serialized SenderKeyDistributionMessage.
 */
export const SenderKeyDistributionBody = z.object({
  type: z.literal(SENDER_KEY_DISTRIBUTION),
  groupId: GroupId,
  distributionId: z.uuid(),
  skdm: z.base64(),
});

/**
 * Sent 1:1 by a receiver that could not decrypt a group message (no or stale sender key): asks the
 * sender to redistribute its sender key and resend what it sent at `sentAt` (from its send log).
 */
export const ResendRequestBody = z.object({
  type: z.literal(RESEND_REQUEST),
  groupId: GroupId,
  distributionId: z.uuid(),
  sentAt: Timestamp,
});

export const GroupBodies = [AlertBody, AckBody, ConfirmBody, DisputeBody, RetractBody, AllClearBody, GroupTextBody, GroupUpdateBody] as const;
export type AlertBody = z.infer<typeof AlertBody>;
export type AckBody = z.infer<typeof AckBody>;
export type GroupMessageBody = z.infer<(typeof GroupBodies)[number]>;
