/**
 * What every file, table and column of the relay's data folder is, and who can read it. Hand-written
 * on purpose: the inventory compares it with the real (migrated) schema and reports any column that is
 * not described here as a finding, so a new column cannot reach the relay's disk without someone
 * deciding what it reveals. docs/threat-model.md's storage table is rendered from this file.
 */

/** Who can read a value off a seized disk. */
export const READERS = {
  disk: 'anyone with the disk',
  members: 'only the group\'s members (group master key)',
  recipient: 'only the recipient device',
  nobody: 'nobody (one-way hash of a random secret)',
  relay: 'anyone with the disk; it is a relay secret',
} as const;
export type Reader = keyof typeof READERS;

export interface ColumnDoc {
  what: string;
  reader: Reader;
}

export interface TableDoc {
  purpose: string;
  columns: Record<string, ColumnDoc>;
}

export const TABLES: Record<string, TableDoc> = {
  registration_tokens: {
    purpose: 'Invitations to register (operator- or member-minted); deleted when used up.',
    columns: {
      hash: { what: 'SHA-256 (hex) of a random token', reader: 'nobody' },
      uses_left: { what: 'count', reader: 'disk' },
      expires_at: { what: 'expiry, rounded up to the minute', reader: 'disk' },
    },
  },
  accounts: {
    purpose: 'One row per account. No phone number, no name.',
    columns: {
      id: { what: 'random UUID v4', reader: 'disk' },
      identity_key: { what: 'identity public key (33 bytes)', reader: 'disk' },
      created_day: { what: 'UTC day of registration', reader: 'disk' },
      auth_credential_salt: { what: 'random per-account salt for zkgroup auth credentials (32 bytes)', reader: 'relay' },
    },
  },
  devices: {
    purpose: 'One row per device of an account.',
    columns: {
      account_id: { what: 'account id', reader: 'disk' },
      device_id: { what: 'small integer', reader: 'disk' },
      registration_id: { what: 'libsignal registration id (random 14-bit)', reader: 'disk' },
      auth_salt: { what: 'random salt for the device password hash', reader: 'disk' },
      auth_hash: { what: 'salted hash of a random 32-byte password', reader: 'nobody' },
      last_seen_day: { what: 'UTC day the device last connected', reader: 'disk' },
      dropped_count: { what: 'count of envelopes trimmed from a full queue', reader: 'disk' },
    },
  },
  signed_prekeys: {
    purpose: 'Current signed EC prekey per device (public).',
    columns: {
      account_id: { what: 'account id', reader: 'disk' },
      device_id: { what: 'small integer', reader: 'disk' },
      key_id: { what: 'random 24-bit key id', reader: 'disk' },
      public_key: { what: 'public key', reader: 'disk' },
      signature: { what: 'signature by the identity key', reader: 'disk' },
    },
  },
  kyber_last_resort: {
    purpose: 'Last-resort Kyber (ML-KEM) prekey per device (public).',
    columns: {
      account_id: { what: 'account id', reader: 'disk' },
      device_id: { what: 'small integer', reader: 'disk' },
      key_id: { what: 'random 24-bit key id', reader: 'disk' },
      public_key: { what: 'public key', reader: 'disk' },
      signature: { what: 'signature by the identity key', reader: 'disk' },
    },
  },
  ec_prekeys: {
    purpose: 'Unused one-time EC prekeys (public); each is deleted when handed out.',
    columns: {
      id: { what: 'row order', reader: 'disk' },
      account_id: { what: 'account id', reader: 'disk' },
      device_id: { what: 'small integer', reader: 'disk' },
      key_id: { what: 'random 24-bit key id', reader: 'disk' },
      public_key: { what: 'public key', reader: 'disk' },
    },
  },
  kyber_prekeys: {
    purpose: 'Unused one-time Kyber prekeys (public); each is deleted when handed out.',
    columns: {
      id: { what: 'row order', reader: 'disk' },
      account_id: { what: 'account id', reader: 'disk' },
      device_id: { what: 'small integer', reader: 'disk' },
      key_id: { what: 'random 24-bit key id', reader: 'disk' },
      public_key: { what: 'public key', reader: 'disk' },
      signature: { what: 'signature by the identity key', reader: 'disk' },
    },
  },
  shared_payloads: {
    purpose: 'The shared part of an undelivered group send (sealed sender v2), stored once.',
    columns: {
      id: { what: 'row order', reader: 'disk' },
      content: { what: 'SSv2 shared ciphertext (sender, group and text inside)', reader: 'recipient' },
      expires_at: { what: 'expiry: minute-rounded arrival + queue lifetime', reader: 'disk' },
    },
  },
  pending_fanouts: {
    purpose:
      'A group send between its durable commit and its per-device rows in `messages`: written and deleted (zeroed) in the same step, normally under a millisecond apart. Only a crash in between leaves a row, which the next start turns into `messages` rows.',
    columns: {
      shared_id: { what: 'the group send (its shared_payloads row)', reader: 'disk' },
      first_id: { what: 'queue position of its first envelope', reader: 'disk' },
      received_at: { what: 'arrival, rounded down to the minute', reader: 'disk' },
      head: { what: 'SSv2 recipient list: recipient account ids, device and registration ids, per-recipient key boxes (the same recipients its messages rows name)', reader: 'disk' },
      guid_seed: { what: 'random bytes the envelope guids are made from', reader: 'disk' },
    },
  },
  messages: {
    purpose: 'Undelivered envelopes, one per recipient device; no sender column. Deleted on acknowledgement.',
    columns: {
      id: { what: 'queue order', reader: 'disk' },
      guid: { what: 'random UUID (relay-made; a group send\'s come from a per-send random seed, deleted once its rows are written)', reader: 'disk' },
      account_id: { what: 'recipient account id', reader: 'disk' },
      device_id: { what: 'recipient device', reader: 'disk' },
      received_at: { what: 'arrival, rounded down to the minute', reader: 'disk' },
      expires_at: { what: 'expiry: minute-rounded arrival + queue lifetime', reader: 'disk' },
      content: { what: 'sealed sender v1 ciphertext, or the SSv2 per-recipient key box', reader: 'recipient' },
      shared_id: { what: 'the group send this envelope belongs to (null for 1:1)', reader: 'disk' },
    },
  },
  groups: {
    purpose: 'One row per private group. No account id.',
    columns: {
      id: { what: 'group identifier (hex, from the public params)', reader: 'disk' },
      public_params: { what: 'zkgroup GroupPublicParams', reader: 'disk' },
      version: { what: 'count of changes', reader: 'disk' },
      attributes: { what: 'encrypted, padded title, description and announcement flag', reader: 'members' },
      members_can_invite: { what: 'flag', reader: 'disk' },
    },
  },
  group_members: {
    purpose: 'Current members as per-group pseudonyms.',
    columns: {
      group_id: { what: 'group identifier', reader: 'disk' },
      member: { what: 'zkgroup UuidCiphertext of the account id (per-group pseudonym)', reader: 'members' },
      role: { what: 'admin or member', reader: 'disk' },
      invite_id: { what: 'random id of the invite that admitted them', reader: 'disk' },
      profile: { what: 'encrypted, padded display name', reader: 'members' },
      signing_key: { what: 'per-group signing public key (fresh per group, one-way from the identity key: links to no account)', reader: 'disk' },
    },
  },
  group_pending: {
    purpose: 'Join requests waiting for an admin.',
    columns: {
      group_id: { what: 'group identifier', reader: 'disk' },
      member: { what: 'per-group pseudonym', reader: 'members' },
      invite_id: { what: 'random invite id', reader: 'disk' },
      profile: { what: 'encrypted, padded display name', reader: 'members' },
      signing_key: { what: 'per-group signing public key of the requester', reader: 'disk' },
    },
  },
  group_banned: {
    purpose: 'Banned pseudonyms.',
    columns: {
      group_id: { what: 'group identifier', reader: 'disk' },
      member: { what: 'per-group pseudonym', reader: 'members' },
    },
  },
  group_invites: {
    purpose: 'Invites; the secret is in the invite code only.',
    columns: {
      group_id: { what: 'group identifier', reader: 'disk' },
      invite_id: { what: 'random 16-byte id (base64)', reader: 'disk' },
      issuer: { what: 'issuer\'s per-group pseudonym', reader: 'members' },
      password_hash: { what: 'SHA-256 of a key derived from the invite secret', reader: 'nobody' },
      expires_at: { what: 'expiry chosen by the issuer (the SDK rounds it up to the minute)', reader: 'disk' },
      max_uses: { what: 'count', reader: 'disk' },
      uses: { what: 'count', reader: 'disk' },
      role: { what: 'admin or member', reader: 'disk' },
      require_approval: { what: 'flag', reader: 'disk' },
      revoked: { what: 'flag', reader: 'disk' },
      signing_key: { what: 'public key derived from the invite secret (checks joins; reveals nothing of the secret)', reader: 'disk' },
    },
  },
  group_changes: {
    purpose: 'The signed, hash-chained change log, verbatim.',
    columns: {
      group_id: { what: 'group identifier', reader: 'disk' },
      version: { what: 'change number', reader: 'disk' },
      body: {
        what: 'canonical JSON: actor pseudonym, actions, chain hash, minute of the change, signatures; entering changes add the encrypted identity proof (account id, identity key inside)',
        reader: 'members',
      },
      received_at: { what: 'arrival, rounded down to the minute', reader: 'disk' },
    },
  },
  group_checkpoints: {
    purpose: 'The relay\'s own snapshot of a group\'s state at each of its newest checkpoints (docs/groups.md "Checkpoints"): what the other group tables hold, as one text.',
    columns: {
      group_id: { what: 'group identifier', reader: 'disk' },
      version: { what: 'change number of the checkpoint', reader: 'disk' },
      snapshot: {
        what: 'canonical JSON of the group state before the checkpoint: member and pending pseudonyms with roles, signing keys and invite ids, their encrypted profiles and identity proofs (account id, identity key inside), banned pseudonyms, invites, the encrypted attributes',
        reader: 'members',
      },
    },
  },
  __drizzle_migrations: {
    purpose: 'Which schema migrations ran (drizzle).',
    columns: {
      id: { what: 'row order', reader: 'disk' },
      hash: { what: 'SHA-256 of the migration SQL', reader: 'disk' },
      created_at: { what: 'when the migration was written (ms, from the repository, not the relay clock)', reader: 'disk' },
    },
  },
  sqlite_sequence: {
    purpose: 'SQLite\'s AUTOINCREMENT counters.',
    columns: {
      name: { what: 'table name', reader: 'disk' },
      seq: { what: 'highest id ever used: how many rows the table ever held', reader: 'disk' },
    },
  },
};

export interface FileDoc {
  what: string;
  reader: Reader;
}

/** Files the relay is expected to leave in its data folder; anything else is reported. */
export const FILES: Record<string, FileDoc> = {
  'aviso.sqlite': { what: 'SQLite database: every table listed below', reader: 'disk' },
  'aviso.sqlite-wal': { what: 'SQLite write-ahead log: recent page images (present while running or after a crash)', reader: 'disk' },
  'aviso.sqlite-shm': { what: 'SQLite WAL index (page numbers, no row data)', reader: 'disk' },
  'relay.lock': { what: 'SQLite file whose one table holds the running relay\'s process id; its exclusive lock keeps a second relay off the folder', reader: 'disk' },
  'relay.lock-journal': { what: 'rollback journal of relay.lock (old images of that one-row table)', reader: 'disk' },
  'relay-keys.json': { what: 'trust-root private key, server certificate key, zkgroup server secret params', reader: 'relay' },
};
