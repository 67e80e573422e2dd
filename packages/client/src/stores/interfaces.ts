import type { AckStatus, AlertKind, Place, Severity } from '@aviso/protocol';
import type { GroupState } from './group-state.js';
import type { GroupBlobChanges, GroupBlobs } from './member-blobs.js';

/**
 * The SDK's persistent state, behind one interface (matrix-rust-sdk's `CryptoStore`, Signal-Desktop's
 * `sql/Interface.ts`). Reads are individual methods; every write goes through `commit(changes)`,
 * which applies a whole change set atomically or not at all. Implementations are synchronous
 * (memory, better-sqlite3), which is what makes "decrypt, then commit everything in one step" cheap
 * and free of interleavings.
 */

/** This device's long-term identity. Created once per store and never replaced. */
export interface LocalIdentity {
  /** libsignal `IdentityKeyPair.serialize()`. */
  identityKeyPair: Uint8Array;
  /** 14-bit registration id; the relay answers 410 when a peer's cached one differs. */
  registrationId: number;
}

/** What registration produced. `trustRoot` is pinned on first contact with the relay. */
export interface AccountRecord {
  relayUrl: string;
  /** Serialized libsignal `PublicKey` (33 bytes) that must sign every sender certificate's server certificate. */
  trustRoot: Uint8Array;
  accountId: string;
  deviceId: number;
  password: string;
}

/**
 * Trust state of a peer's identity key, Signal's three states:
 * `default` (trusted on first use or accepted after a change), `verified` (the user compared safety
 * numbers), `unverified` (it was verified and then changed: sending is blocked until the user
 * verifies again or accepts the change).
 */
export type VerifiedState = 'default' | 'verified' | 'unverified';

export interface IdentityRecord {
  /** Serialized libsignal `PublicKey`. */
  publicKey: Uint8Array;
  verified: VerifiedState;
  firstSeenAt: number;
  changedAt: number;
}

export interface StoredSignedPreKey {
  id: number;
  /** `SignedPreKeyRecord.serialize()`. */
  record: Uint8Array;
  createdAt: number;
}

export interface StoredKyberPreKey {
  id: number;
  /** `KyberPreKeyRecord.serialize()`. */
  record: Uint8Array;
  /** Last-resort keys are kept after use; one-time keys are deleted on use. */
  lastResort: boolean;
  createdAt: number;
}

export interface SessionWrite {
  accountId: string;
  deviceId: number;
  /** `SessionRecord.serialize()`, or null to delete. */
  record: Uint8Array | null;
}

/** A stored session record with its address. */
export interface StoredSession {
  accountId: string;
  deviceId: number;
  /** `SessionRecord.serialize()`. */
  record: Uint8Array;
}

/** One use of a Kyber prekey: (key id, signed prekey id, sender's base key). Replays are rejected. */
export interface KyberUse {
  kyberPreKeyId: number;
  signedPreKeyId: number;
  baseKey: Uint8Array;
}

export interface SenderKeyWrite {
  /** Sender's address as `accountId.deviceId`. */
  sender: string;
  distributionId: string;
  record: Uint8Array;
}

/**
 * The identity of a message, independent of how often it was delivered. Stores keep it only as a
 * keyed hash with the hour it was processed (docs/alerts.md "Dedupe"), never in the clear.
 */
export interface ProcessedMessage {
  sender: string;
  device: number;
  sentAt: number;
}

/** A raw envelope as received, persisted before it is acknowledged (crash safety). */
export interface UnprocessedEnvelope {
  guid: string;
  serverTimestamp: number;
  /** Base64 sealed-sender ciphertext, exactly as delivered. */
  content: string;
  receivedAt: number;
}

/** Where this account stands in a group, by the verified log (or the relay's refusal). */
export type GroupStatus = 'member' | 'pending' | 'removed';

/** One group this device knows: its key and the last verified state (version and head hash inside). */
export interface GroupRecord {
  groupId: string;
  /** 32-byte group master key: whoever holds it can read the group. */
  masterKey: Uint8Array;
  status: GroupStatus;
  state: GroupState;
  /** base64 relay password of the invite we joined with, sent while our join awaits approval. */
  invitePassword?: string | undefined;
}

/** A member device that has our current sender key for a group. */
export interface SenderKeyDevice {
  accountId: string;
  deviceId: number;
  registrationId: number;
}

/** Our own sender key for one group (Signal-Desktop's senderKeyInfo). */
export interface SenderKeyInfo {
  groupId: string;
  distributionId: string;
  createdAt: number;
  /** Devices we sent the SKDM for `distributionId` to. */
  devices: SenderKeyDevice[];
}

/** An alert as this device holds it (received, or sent by us). */
export interface AlertRecord {
  groupId: string;
  id: string;
  from: string;
  fromDevice: number;
  kind: AlertKind;
  severity: Severity;
  title: string;
  body?: string | undefined;
  place?: Place | undefined;
  observedAt: number;
  expiresAt: number;
  requestAck: boolean;
  /**
   * When it was sent: the sender's clock, unless that was more than `LIMITS.maxClockSkewMs` ahead
   * of the relay's timestamp of the envelope, then the relay's (docs/alerts.md "Clocks"). The same
   * bound applies to `observedAt`; `expiresAt` is at most `ALERT_LIMITS.maxExpiresInSeconds` past
   * the relay's timestamp.
   */
  sentAt: number;
  /** Set by a retract from the sender or an admin; the alert is kept, marked. */
  retracted?: { reason: string; by: string; at: number } | undefined;
  /** Set by an all-clear from the sender or an admin. */
  allClear?: { by: string; at: number } | undefined;
}

/**
 * A member's latest response to an alert: `ack` (value = status) or `verdict` (value = 'confirm' |
 * 'dispute'). One row per (group, alert, member, kind); a later `sentAt` replaces an earlier one.
 */
export interface AlertResponse {
  groupId: string;
  alertId: string;
  accountId: string;
  kind: 'ack' | 'verdict';
  value: AckStatus | 'confirm' | 'dispute';
  note?: string | undefined;
  sentAt: number;
}

/**
 * A retract or all-clear for an alert this device does not have yet (a reordered queue, a resent
 * alert): kept until the alert arrives, then applied if its sender may retract or clear that alert
 * (the alert's sender or an admin, judged then), and deleted either way. docs/alerts.md "Out of order".
 */
export interface AlertTombstone {
  groupId: string;
  alertId: string;
  kind: 'retract' | 'all-clear';
  /** The member who sent it, from its certificate. */
  by: string;
  byDevice: number;
  /** The retraction's reason; undefined for an all-clear. */
  reason?: string | undefined;
  /** Its send time, bounded like an alert's `sentAt`. */
  at: number;
  /** Forgotten after this (ms): as long as the alert it names could live. */
  expiresAt: number;
}

/** A group message we sent, kept for resend requests (docs/alerts.md: 24 h, 5 resends). */
export interface SendLogEntry {
  groupId: string;
  sentAt: number;
  distributionId: string;
  /** The Content, as JSON. */
  content: string;
  createdAt: number;
  resends: number;
  /**
   * The devices (`accountId.deviceId`) the message was encrypted to when it was sent. A resend
   * request is served only to one of them: a member who joined later never gets earlier messages.
   */
  recipients: string[];
}

/** Everything one `commit` may write. Applied all together or not at all. */
export interface StoreChanges {
  localIdentity?: LocalIdentity;
  account?: AccountRecord;
  /** Small typed-by-convention values: key id counters, the cached sender certificate. */
  meta?: Record<string, string>;
  sessions?: SessionWrite[];
  identities?: Array<{ accountId: string; record: IdentityRecord }>;
  preKeys?: Array<{ id: number; record: Uint8Array }>;
  removePreKeys?: number[];
  signedPreKeys?: StoredSignedPreKey[];
  removeSignedPreKeys?: number[];
  kyberPreKeys?: StoredKyberPreKey[];
  removeKyberPreKeys?: number[];
  /** Rejected (the whole commit fails) if a triple was recorded before. */
  kyberUsed?: KyberUse[];
  senderKeys?: SenderKeyWrite[];
  removeSenderKeys?: Array<{ sender: string; distributionId: string }>;
  /** Inserted or replaced whole. */
  senderKeyInfos?: SenderKeyInfo[];
  /** Forgets our own sender key info of these groups (we are no longer in them). */
  removeSenderKeyInfos?: string[];
  /** Inserted or replaced whole. */
  alerts?: AlertRecord[];
  /** Kept only where newer (by sentAt) than the stored response of the same member and kind. */
  alertResponses?: AlertResponse[];
  /** Deletes these alerts and the responses to them (a removed member's alerts; applied after `alerts`). */
  removeAlerts?: Array<{ groupId: string; alertId: string }>;
  /**
   * Inserted or replaced per (group, alert, kind, member), in order. A group keeps at most
   * `LIMITS.maxAlertTombstonesPerGroup`: an insert beyond it deletes the oldest (by `at`, then
   * alert id) of the member holding the most in that group (ties: the lowest account id), so one
   * flooding member mostly evicts its own.
   */
  alertTombstones?: AlertTombstone[];
  /** Deletes every tombstone naming these alerts (applied after `alertTombstones`). */
  removeAlertTombstones?: Array<{ groupId: string; alertId: string }>;
  /**
   * Deletes alerts that expired before this time (ms) with their responses, responses to alerts
   * this device never got that are older than a day before it, and tombstones that expired before it.
   */
  deleteAlertsExpiredBefore?: number;
  /**
   * The retention purge (docs/alerts.md "Retention"), per group: deletes alerts kept from `before`
   * or earlier (their `sentAt`, or when this store first held them if that was earlier) with their
   * responses and the send-log rows that name them, and any response, tombstone or send-log row of
   * the group sent at `before` or earlier. Applied after everything else in the change set.
   */
  purgeContent?: Array<{ groupId: string; before: number }>;
  /** Inserted or replaced whole. */
  sendLog?: SendLogEntry[];
  /** Forgets send-log entries created before this time (ms). */
  pruneSendLogBefore?: number;
  /** Rejected (the whole commit fails) if already recorded. */
  processedMessages?: Array<ProcessedMessage & { processedAt: number }>;
  processedEnvelopes?: Array<{ guid: string; processedAt: number }>;
  /** Inserted unless a row with the same guid exists (redelivery). */
  addUnprocessed?: UnprocessedEnvelope[];
  removeUnprocessed?: string[];
  /** Forget dedupe rows processed before this (ms, compared at the hour: `processedHour`); redeliveries that late are not expected. */
  pruneProcessedBefore?: number;
  /** Inserted or replaced whole (a verified batch of changes lands in one commit). */
  groups?: GroupRecord[];
  /** Applied after `groups`, per group: a reset deletes every blob row first, then each put writes or deletes one. */
  groupBlobs?: GroupBlobChanges[];
}

export interface AvisoStore {
  getLocalIdentity(): LocalIdentity | undefined;
  getAccount(): AccountRecord | undefined;
  getMeta(key: string): string | undefined;

  getSession(accountId: string, deviceId: number): Uint8Array | undefined;
  /** Device ids this store holds a session record for. */
  getSessionDevices(accountId: string): number[];
  /**
   * Every session record of these accounts in one lookup, by account then device id. Optional: a
   * group send reads a thousand members' sessions at once, which per-device lookups make slow.
   */
  getSessionsOf?(accountIds: readonly string[]): StoredSession[];
  getIdentity(accountId: string): IdentityRecord | undefined;
  /** The identities of these accounts that are known, in one lookup. Optional, like `getSessionsOf`. */
  getIdentitiesOf?(accountIds: readonly string[]): Array<{ accountId: string; record: IdentityRecord }>;

  getPreKey(id: number): Uint8Array | undefined;
  countPreKeys(): number;
  getSignedPreKey(id: number): StoredSignedPreKey | undefined;
  listSignedPreKeys(): StoredSignedPreKey[];
  getKyberPreKey(id: number): StoredKyberPreKey | undefined;
  /** Last-resort keys only (one-time keys are many and never listed). */
  listLastResortKyberPreKeys(): StoredKyberPreKey[];
  isKyberPreKeyUsed(use: KyberUse): boolean;

  getSenderKey(sender: string, distributionId: string): Uint8Array | undefined;

  isMessageProcessed(message: ProcessedMessage): boolean;
  isEnvelopeProcessed(guid: string): boolean;
  /** Oldest first. */
  listUnprocessed(): UnprocessedEnvelope[];

  getSenderKeyInfo(groupId: string): SenderKeyInfo | undefined;
  getAlert(groupId: string, alertId: string): AlertRecord | undefined;
  /** Every stored alert of a group (expired ones until its retention passes), oldest observation first. */
  listAlerts(groupId: string): AlertRecord[];
  listAlertResponses(groupId: string, alertId: string): AlertResponse[];
  /** Tombstones naming this alert (expired ones until the next cleanup), oldest `at` first. */
  listAlertTombstones(groupId: string, alertId: string): AlertTombstone[];
  /** How many tombstones a group holds. */
  countAlertTombstones(groupId: string): number;
  /** Send-log entries of a group with `from <= sentAt <= to`, oldest first. */
  listSendLog(groupId: string, from: number, to: number): SendLogEntry[];

  /**
   * When each group's oldest content was sent (the times `purgeContent` compares), for groups that
   * hold any, and when the oldest send-log row was created: what the retention timer waits for.
   */
  oldestContent(): { groups: Array<{ groupId: string; at: number }>; sendLogCreatedAt: number | undefined };

  getGroup(groupId: string): GroupRecord | undefined;
  /** Every known group, by group id. */
  listGroups(): GroupRecord[];
  /**
   * Every known group's `state.retentionSeconds` (undefined: the default), by group id: what the
   * retention timer reads after each verified change, without parsing every group's member list.
   */
  listGroupRetention(): Array<{ groupId: string; retentionSeconds: number | undefined }>;
  /**
   * A group's member blobs (profiles and identity proofs, by pseudonym: member-blobs.ts), kept
   * out of the state so that reading a group does not parse them. With `member`: that member's
   * row only (a store may return more; callers look the member up).
   */
  getGroupBlobs(groupId: string, member?: string): GroupBlobs;

  /**
   * Applies every change or none; throws (leaving the store untouched) on any conflict. Durable when
   * it returns, unless `options.deferSync`: then the change is applied and visible to every read
   * through this store at once, and made durable (against the process being killed and against power
   * loss) by the next `sync()` or the next commit without `deferSync`, whichever comes first; until
   * then it may be lost. A store that ignores the option (commits every change durably) is correct,
   * only slower.
   */
  commit(changes: StoreChanges, options?: CommitOptions): void;
  /**
   * Makes every earlier commit durable (the deferred ones: `CommitOptions.deferSync`), or throws if
   * it cannot, or if any of them was lost: a caller that acknowledges deferred work does so only
   * after this returns. Optional: a store whose commits are always durable, or that has no files,
   * needs none.
   */
  sync?(): void;
  /**
   * Makes deleted rows unrecoverable from the files: moves the write-ahead log into the database
   * and empties it (deleted pages are zeroed by secure_delete). Optional: a memory store has no files.
   */
  scrub?(): void;
  close(): void;
}

export interface CommitOptions {
  /**
   * Skip waiting for the disk on this commit; the caller promises a `sync()` before anything
   * depends on the change surviving a power cut (an acknowledgement, an event shown to the user).
   * The inbox commits a run of envelopes this way, then syncs once (docs/sdk.md "Offline drain").
   */
  deferSync?: boolean;
}

/** Thrown by `commit` when a change set conflicts with stored state (replay, duplicate). */
export class StoreConflictError extends Error {
  override name = 'StoreConflictError';
}

export function kyberUseKey(use: KyberUse): string {
  return `${use.kyberPreKeyId}:${use.signedPreKeyId}:${Buffer.from(use.baseKey).toString('base64')}`;
}

/** Responses to alerts this device never received are kept this long past their sentAt. */
export const ORPHAN_RESPONSE_GRACE_MS = 24 * 3600_000;

/** Oldest first: by `at`, then alert id, then kind (binary string order, as SQLite compares). */
export function tombstoneOrder(a: AlertTombstone, b: AlertTombstone): number {
  return a.at - b.at || cmp(a.alertId, b.alertId) || cmp(a.kind, b.kind) || cmp(a.by, b.by);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function processedKey(m: ProcessedMessage): string {
  return `${m.sender}:${m.device}:${m.sentAt}`;
}

/**
 * The time a dedupe row keeps (`processedMessages`, `processedEnvelopes`): the processing time
 * rounded up to the hour, so a row never dates a message to the millisecond and is never pruned early.
 */
export function processedHour(processedAt: number): number {
  return Math.ceil(processedAt / 3600_000) * 3600_000;
}
