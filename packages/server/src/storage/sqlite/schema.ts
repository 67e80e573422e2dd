import { blob, foreignKey, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * The relay's whole state. Minimal metadata on purpose (the server may be seized): no phone numbers,
 * no names, no sender on stored envelopes, no IP addresses, no request log, and "when" kept coarse
 * (days for accounts, minutes for envelopes).
 */

const bytes = (name: string) => blob(name, { mode: 'buffer' });

/** Operator-issued invitations, stored only as SHA-256 of the token. Removed when used up. */
export const registrationTokens = sqliteTable('registration_tokens', {
  hash: text('hash').primaryKey(), // hex sha256(token)
  usesLeft: integer('uses_left').notNull(),
  expiresAt: integer('expires_at').notNull(), // ms since epoch
});

export const accounts = sqliteTable('accounts', {
  id: text('id').primaryKey(), // random UUID v4
  identityKey: bytes('identity_key').notNull(),
  createdDay: integer('created_day').notNull(), // UTC days since epoch
  /**
   * zkgroup salt for auth credentials without a PNI (32 random bytes). Set at registration; nullable only
   * because accounts created before groups existed get theirs lazily, on their first credential request.
   */
  authCredentialSalt: bytes('auth_credential_salt'),
});

export const devices = sqliteTable(
  'devices',
  {
    accountId: text('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    deviceId: integer('device_id').notNull(),
    registrationId: integer('registration_id').notNull(),
    authSalt: bytes('auth_salt').notNull(),
    authHash: bytes('auth_hash').notNull(),
    lastSeenDay: integer('last_seen_day').notNull(),
    /** Envelopes trimmed from a full queue since the device last connected. */
    droppedCount: integer('dropped_count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.deviceId] })],
);

export const signedPreKeys = sqliteTable(
  'signed_prekeys',
  {
    accountId: text('account_id').notNull(),
    deviceId: integer('device_id').notNull(),
    keyId: integer('key_id').notNull(),
    publicKey: bytes('public_key').notNull(),
    signature: bytes('signature').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.deviceId] }),
    foreignKey({ columns: [t.accountId, t.deviceId], foreignColumns: [devices.accountId, devices.deviceId] }).onDelete('cascade'),
  ],
);

export const kyberLastResort = sqliteTable(
  'kyber_last_resort',
  {
    accountId: text('account_id').notNull(),
    deviceId: integer('device_id').notNull(),
    keyId: integer('key_id').notNull(),
    publicKey: bytes('public_key').notNull(),
    signature: bytes('signature').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.deviceId] }),
    foreignKey({ columns: [t.accountId, t.deviceId], foreignColumns: [devices.accountId, devices.deviceId] }).onDelete('cascade'),
  ],
);

/** One-time EC prekeys; `id` orders them (oldest handed out and trimmed first). */
export const ecPreKeys = sqliteTable(
  'ec_prekeys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    accountId: text('account_id').notNull(),
    deviceId: integer('device_id').notNull(),
    keyId: integer('key_id').notNull(),
    publicKey: bytes('public_key').notNull(),
  },
  (t) => [
    uniqueIndex('ec_prekeys_device_key').on(t.accountId, t.deviceId, t.keyId),
    foreignKey({ columns: [t.accountId, t.deviceId], foreignColumns: [devices.accountId, devices.deviceId] }).onDelete('cascade'),
  ],
);

/** One-time Kyber prekeys (signed); the last-resort key is the fallback when none is left. */
export const kyberPreKeys = sqliteTable(
  'kyber_prekeys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    accountId: text('account_id').notNull(),
    deviceId: integer('device_id').notNull(),
    keyId: integer('key_id').notNull(),
    publicKey: bytes('public_key').notNull(),
    signature: bytes('signature').notNull(),
  },
  (t) => [
    uniqueIndex('kyber_prekeys_device_key').on(t.accountId, t.deviceId, t.keyId),
    foreignKey({ columns: [t.accountId, t.deviceId], foreignColumns: [devices.accountId, devices.deviceId] }).onDelete('cascade'),
  ],
);

/**
 * The shared part of a multi-recipient (group) send, stored once: libsignal's sealed sender v2 ephemeral
 * key and ciphertext, identical for every recipient. Deleted when no envelope references it any more
 * (last acknowledgement, trim) or when it expires.
 */
export const sharedPayloads = sqliteTable(
  'shared_payloads',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    content: bytes('content').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('shared_payloads_expires_at').on(t.expiresAt)],
);

/**
 * A group send whose per-device envelope rows are not written yet. The relay commits this row (the
 * upload's recipient part; its shared part is in `shared_payloads`), hands the envelopes to the
 * members online, then writes one `messages` row per recipient device and deletes this row, all in
 * the same event-loop task: writing 1,000 rows before the first delivery cost more than the
 * delivery itself. A row still here after a crash is turned into envelopes at start-up, with the
 * same queue positions and guids, so a member that already had one recognises the redelivery.
 */
export const pendingFanouts = sqliteTable('pending_fanouts', {
  sharedId: integer('shared_id')
    .primaryKey()
    .references(() => sharedPayloads.id),
  /** Queue position of the send's first envelope; the others follow in recipient order. */
  firstId: integer('first_id').notNull(),
  /** Rounded down to the minute, like `messages.received_at`. */
  receivedAt: integer('received_at').notNull(),
  /** The SentMessage up to its shared part: recipients' ACIs, device and registration ids, key boxes. */
  head: bytes('head').notNull(),
  /** 16 random bytes the envelopes' guids are made from (see messages service). */
  guidSeed: bytes('guid_seed').notNull(),
});

/**
 * Queued envelopes. Deliberately no sender column and no IP: the sender is inside the sealed-sender
 * encryption. `received_at` is rounded down to the minute. Rows are hard-deleted on acknowledgement
 * (with `secure_delete` on) or on expiry. An acknowledgement names the envelope by its queue
 * position (`id`), not its `guid`: a group send inserts a row per member device, and an index on
 * random guids cost as much as the rest of the row (docs/benchmarks.md). `guid` is what clients
 * deduplicate redeliveries on.
 */
export const messages = sqliteTable(
  'messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    guid: text('guid').notNull(),
    accountId: text('account_id').notNull(),
    deviceId: integer('device_id').notNull(),
    receivedAt: integer('received_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    content: bytes('content').notNull(),
    /**
     * For a group send: `content` is only this recipient's prefix (version byte and key box) and the
     * delivered envelope is `content ‖ shared_payloads.content`. Null for 1:1 envelopes. No cascade
     * (drizzle-kit's ALTER TABLE ADD drops it): envelopes are deleted first, then unreferenced payloads.
     */
    sharedId: integer('shared_id').references(() => sharedPayloads.id),
  },
  (t) => [
    index('messages_device_id').on(t.accountId, t.deviceId, t.id),
    index('messages_expires_at').on(t.expiresAt),
    index('messages_shared_id').on(t.sharedId),
    foreignKey({ columns: [t.accountId, t.deviceId], foreignColumns: [devices.accountId, devices.deviceId] }).onDelete('cascade'),
  ],
);

/*
 * Private groups (docs/groups.md). Members appear only as base64 zkgroup `UuidCiphertext`s, per-group
 * pseudonyms: no group table has an account id column, so nothing here links a group to an account.
 */

export const groups = sqliteTable('groups', {
  id: text('id').primaryKey(), // hex GroupIdentifier
  publicParams: bytes('public_params').notNull(),
  version: integer('version').notNull(),
  attributes: bytes('attributes').notNull(), // encrypted blob
  membersCanInvite: integer('members_can_invite', { mode: 'boolean' }).notNull(),
});

export const groupMembers = sqliteTable(
  'group_members',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    member: text('member').notNull(), // base64 UuidCiphertext
    role: text('role', { enum: ['admin', 'member'] }).notNull(),
    inviteId: text('invite_id'),
    profile: bytes('profile'),
    // base64 per-group signing key (protocol 2); null for members who joined under protocol 1.
    signingKey: text('signing_key'),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.member] })],
);

export const groupPending = sqliteTable(
  'group_pending',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    member: text('member').notNull(),
    inviteId: text('invite_id').notNull(),
    profile: bytes('profile').notNull(),
    signingKey: text('signing_key'),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.member] })],
);

export const groupBanned = sqliteTable(
  'group_banned',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    member: text('member').notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.member] })],
);

export const groupInvites = sqliteTable(
  'group_invites',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    inviteId: text('invite_id').notNull(), // base64, 16 bytes
    issuer: text('issuer').notNull(), // member ciphertext
    passwordHash: bytes('password_hash').notNull(), // SHA-256 of the invite's relay password
    expiresAt: integer('expires_at').notNull(),
    maxUses: integer('max_uses').notNull(),
    uses: integer('uses').notNull(),
    role: text('role', { enum: ['admin', 'member'] }).notNull(),
    requireApproval: integer('require_approval', { mode: 'boolean' }).notNull(),
    revoked: integer('revoked', { mode: 'boolean' }).notNull(),
    // base64 public half of the key derived from the invite secret; null for protocol-1 invites.
    signingKey: text('signing_key'),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.inviteId] }), index('group_invites_password').on(t.groupId, t.passwordHash)],
);

/** The change log, stored verbatim (canonical JSON) so clients hash exactly what the actor signed. */
export const groupChanges = sqliteTable(
  'group_changes',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    body: text('body').notNull(),
    receivedAt: integer('received_at').notNull(), // rounded down to the minute
  },
  (t) => [primaryKey({ columns: [t.groupId, t.version] })],
);

/**
 * Checkpoint snapshots (docs/groups.md "Checkpoints"): the relay's own text of the state a checkpoint
 * change names, keyed by the checkpoint change's version. Only the newest `LIMITS.maxStoredCheckpoints`
 * per group are kept.
 */
export const groupCheckpoints = sqliteTable(
  'group_checkpoints',
  {
    groupId: text('group_id')
      .notNull()
      .references(() => groups.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    snapshot: text('snapshot').notNull(),
  },
  (t) => [primaryKey({ columns: [t.groupId, t.version] })],
);
