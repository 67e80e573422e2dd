import { blob, index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * The client's tables (Signal-Desktop's shape, simplified). Key material is stored as libsignal's
 * own serialisation in BLOBs; the file lives on the user's device only.
 */
const bytes = (name: string) => blob(name, { mode: 'buffer' });

/** Singletons (local identity, account) and small values (key id counters, sender certificate), JSON text. */
export const meta = sqliteTable('meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

export const sessions = sqliteTable(
  'sessions',
  {
    accountId: text('account_id').notNull(),
    deviceId: integer('device_id').notNull(),
    record: bytes('record').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.deviceId] })],
);

export const identities = sqliteTable('identities', {
  accountId: text('account_id').primaryKey(),
  publicKey: bytes('public_key').notNull(),
  verified: text('verified', { enum: ['default', 'verified', 'unverified'] }).notNull(),
  firstSeenAt: integer('first_seen_at').notNull(),
  changedAt: integer('changed_at').notNull(),
});

export const preKeys = sqliteTable('pre_keys', {
  id: integer('id').primaryKey(),
  record: bytes('record').notNull(),
});

export const signedPreKeys = sqliteTable('signed_pre_keys', {
  id: integer('id').primaryKey(),
  record: bytes('record').notNull(),
  createdAt: integer('created_at').notNull(),
});

export const kyberPreKeys = sqliteTable(
  'kyber_pre_keys',
  {
    id: integer('id').primaryKey(),
    record: bytes('record').notNull(),
    lastResort: integer('last_resort', { mode: 'boolean' }).notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('kyber_pre_keys_last_resort').on(t.lastResort)],
);

/** Uses of Kyber prekeys; the primary key is what rejects a replayed (id, signed prekey id, base key). */
export const kyberPreKeyUses = sqliteTable(
  'kyber_pre_key_uses',
  {
    kyberPreKeyId: integer('kyber_pre_key_id').notNull(),
    signedPreKeyId: integer('signed_pre_key_id').notNull(),
    baseKey: bytes('base_key').notNull(),
  },
  (t) => [primaryKey({ columns: [t.kyberPreKeyId, t.signedPreKeyId, t.baseKey] })],
);

export const senderKeys = sqliteTable(
  'sender_keys',
  {
    sender: text('sender').notNull(),
    distributionId: text('distribution_id').notNull(),
    record: bytes('record').notNull(),
  },
  (t) => [primaryKey({ columns: [t.sender, t.distributionId] })],
);

/**
 * Messages already surfaced, for dedupe (docs/alerts.md "Dedupe"): an HMAC of (sender, device,
 * sentAt) under a random key of this store, and the hour it was processed; never the sender or the
 * millisecond send time, which would date every message this device got long after it is deleted.
 */
export const processedMessageKeys = sqliteTable(
  'processed_message_keys',
  {
    key: text('key').primaryKey(),
    processedHour: integer('processed_hour').notNull(),
  },
  (t) => [index('processed_message_keys_hour').on(t.processedHour)],
);

export const processedEnvelopes = sqliteTable(
  'processed_envelopes',
  {
    guid: text('guid').primaryKey(),
    processedAt: integer('processed_at').notNull(),
  },
  (t) => [index('processed_envelopes_at').on(t.processedAt)],
);

export const unprocessed = sqliteTable('unprocessed', {
  guid: text('guid').primaryKey(),
  serverTimestamp: integer('server_timestamp').notNull(),
  content: text('content').notNull(),
  receivedAt: integer('received_at').notNull(),
});

/**
 * Groups this device knows. `state` is the verified group state as JSON (members with account ids,
 * names and identity keys: it never leaves the device); version and head hash are columns too, for
 * inspection without parsing.
 */
export const groups = sqliteTable('groups', {
  groupId: text('group_id').primaryKey(),
  masterKey: bytes('master_key').notNull(),
  status: text('status', { enum: ['member', 'pending', 'removed'] }).notNull(),
  version: integer('version').notNull(),
  headHash: text('head_hash').notNull(),
  state: text('state').notNull(),
  invitePassword: text('invite_password'),
});

/**
 * The profile and identity proof each member's and pending member's entering change brought,
 * verbatim (stores/member-blobs.ts), by group and pseudonym: apart from `groups.state` so that
 * reading a group does not parse them. Ciphertexts under the group's master key.
 */
export const groupMemberBlobs = sqliteTable(
  'group_member_blobs',
  {
    groupId: text('group_id').notNull(),
    member: text('member').notNull(),
    profile: text('profile'),
    proof: text('proof'),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.member] })],
);

/** Our own sender key per group: its distribution id, age, and the devices that have it (JSON). */
export const groupSenderKeys = sqliteTable('group_sender_keys', {
  groupId: text('group_id').primaryKey(),
  distributionId: text('distribution_id').notNull(),
  createdAt: integer('created_at').notNull(),
  devices: text('devices').notNull(),
});

/**
 * Alerts until the group's retention has passed since they were sent (docs/alerts.md "Retention").
 * The record is JSON; `sent_at` (the record's sentAt, or when this device stored it if that was
 * earlier) is a column for the retention purge.
 */
export const alerts = sqliteTable(
  'alerts',
  {
    groupId: text('group_id').notNull(),
    alertId: text('alert_id').notNull(),
    observedAt: integer('observed_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    record: text('record').notNull(),
    sentAt: integer('sent_at').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.alertId] }), index('alerts_expires_at').on(t.expiresAt), index('alerts_sent_at').on(t.groupId, t.sentAt)],
);

/** Each member's latest acknowledgement and latest confirm/dispute per alert. */
export const alertResponses = sqliteTable(
  'alert_responses',
  {
    groupId: text('group_id').notNull(),
    alertId: text('alert_id').notNull(),
    accountId: text('account_id').notNull(),
    kind: text('kind', { enum: ['ack', 'verdict'] }).notNull(),
    value: text('value').notNull(),
    note: text('note'),
    sentAt: integer('sent_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.alertId, t.accountId, t.kind] }), index('alert_responses_sent_at').on(t.sentAt)],
);

/**
 * Retractions and all-clears for alerts not received yet, until the alert comes or they expire
 * (docs/alerts.md "Out of order"); at most `LIMITS.maxAlertTombstonesPerGroup` per group.
 */
export const alertTombstones = sqliteTable(
  'alert_tombstones',
  {
    groupId: text('group_id').notNull(),
    alertId: text('alert_id').notNull(),
    kind: text('kind', { enum: ['retract', 'all-clear'] }).notNull(),
    by: text('by_account').notNull(),
    byDevice: integer('by_device').notNull(),
    reason: text('reason'),
    at: integer('at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.groupId, t.alertId, t.kind, t.by] }),
    index('alert_tombstones_by').on(t.groupId, t.by, t.at),
    index('alert_tombstones_expires_at').on(t.expiresAt),
  ],
);

/** Group messages we sent, for resend requests; pruned after a day. */
export const sendLog = sqliteTable(
  'send_log',
  {
    groupId: text('group_id').notNull(),
    sentAt: integer('sent_at').notNull(),
    distributionId: text('distribution_id').notNull(),
    content: text('content').notNull(),
    createdAt: integer('created_at').notNull(),
    resends: integer('resends').notNull(),
    /** JSON array of the `accountId.deviceId` the message was encrypted to (resends go to those only). */
    recipients: text('recipients').notNull().default('[]'),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.sentAt] }), index('send_log_created_at').on(t.createdAt)],
);
