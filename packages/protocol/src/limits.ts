/**
 * Every size and count the relay enforces, in one place. The relay reports the values it runs with
 * in `GET /v1/relay` (some are configurable); these are the protocol's defaults and hard ceilings.
 * docs/protocol.md lists them with their reasons.
 */
export const LIMITS = {
  /** Largest sealed-sender envelope content for one device, in bytes (Signal allows 96 KiB). */
  maxEnvelopeBytes: 64 * 1024,
  /** Devices one send may address (one account's devices). */
  maxDevicesPerAccount: 8,
  /** One-time prekeys (EC or Kyber) in one upload; Signal's value. */
  maxPreKeysPerUpload: 100,
  /** One-time prekeys of each kind the relay keeps per device; older ones are dropped first. */
  maxStoredPreKeys: 1000,
  /**
   * Accounts in one batched prekey fetch (`POST /v1/keys/batch`): a first send to 10,000 members is
   * 100 requests instead of 10,000, and the largest answer (every account with 8 devices, about
   * 2.5 KiB of keys each) stays near 2 MiB.
   */
  maxKeyBatchAccounts: 100,
  /**
   * Recipients in one batched 1:1 send (`POST /v1/messages/batch`): a first send's SKDMs to 1,000
   * members are 20 requests. Each destination is what one `PUT /v1/messages/:accountId` would carry;
   * the whole body stays within `maxBodyBytes` (the client splits by size too).
   */
  maxSendBatchDestinations: 50,
  /** Largest WebSocket frame either side accepts, in bytes. */
  maxFrameBytes: 256 * 1024,
  /** Largest HTTP request body, in bytes: one send to a full device set, base64 and JSON overhead. */
  maxBodyBytes: 768 * 1024,
  /** Registration tokens: longest accepted string. */
  maxTokenLength: 128,
  /** Actions in one group change (removing everyone a leaked invite admitted is one change). */
  maxGroupActions: 1000,
  /** Encrypted group attributes (title, description) blob. */
  maxGroupAttributesBytes: 4096,
  /** Encrypted member profile (display name, identity key, …) blob. */
  maxGroupProfileBytes: 1024,
  /** Encrypted identity binding (account, identity key, binding signature) of an entering change. */
  maxGroupProofBytes: 2048,
  /** How far a group change's signed `at` may be from the relay's clock when it is stored (ms). */
  maxGroupChangeSkewMs: 5 * 60_000,
  /** Members in one group. */
  maxGroupMembers: 20000,
  /** Changes returned by one log fetch. */
  maxGroupChangesPerFetch: 1000,
  /**
   * A checkpoint's snapshot (docs/groups.md "Checkpoints"), its canonical JSON in UTF-8 bytes: above a
   * full group (`maxGroupMembers`) with every blob at its limit. The relay refuses a checkpoint whose
   * snapshot would be larger (`GROUP_CHANGE_INVALID`, reason `snapshot-too-large`); joins into such a
   * group read the whole log.
   */
  maxCheckpointSnapshotBytes: 128 * 1024 * 1024,
  /** Checkpoints the relay keeps per group, newest first; older snapshots are deleted. */
  maxStoredCheckpoints: 4,
  /** Days of group auth credentials fetched at once (zkgroup allows 7). */
  maxAuthCredentialDays: 7,
  /** Body of one multi-recipient group send (SSv2 SentMessage): a 20,000-member group and a 32 KiB message. */
  maxMultiRecipientBytes: 4 * 1024 * 1024,
  /** Message text inside the encryption, in UTF-8 bytes. */
  maxTextBytes: 16 * 1024,
  /**
   * How far ahead of the relay's timestamp of an envelope a sender's clock may be, in ms (checked by
   * receivers). A group message's `sentAt`, or an alert's `observedAt`, later than the envelope's
   * `serverTimestamp` plus this is taken to be the relay's time; an alert lives at most
   * `ALERT_LIMITS.maxExpiresInSeconds` past the relay's time (docs/alerts.md "Clocks").
   */
  maxClockSkewMs: 5 * 60_000,
  /**
   * Retractions and all-clears a receiver keeps per group for alerts it has not received yet
   * (docs/alerts.md "Out of order"); past it, the member holding the most loses its oldest.
   */
  maxAlertTombstonesPerGroup: 1000,
} as const;

/** Protocol-wide bounds on identifiers (Signal's, so libsignal accepts them). */
export const ID_BOUNDS = {
  /** libsignal `ProtocolAddress` device ids. */
  minDeviceId: 1,
  maxDeviceId: 127,
  /** 14-bit registration id; a change means the device was reinstalled (410 stale). */
  minRegistrationId: 1,
  maxRegistrationId: 16380,
  /** Prekey ids are 24-bit and never 0. */
  minKeyId: 1,
  maxKeyId: 0xffffff,
} as const;

/** Size of the plaintext padding block inside the encryption (Signal pads to 80 B; alerts are short). */
export const PADDING_BLOCK_BYTES = 256;

/**
 * How long members' devices keep a group's content (alerts, responses, notes, texts, send-log
 * rows), in seconds, set by an admin in the encrypted group attributes (`retentionSeconds`,
 * docs/groups.md "Blobs"; docs/alerts.md "Retention"). A value outside the bounds that another
 * client wrote is read as the nearest bound; absent, the default applies.
 */
export const RETENTION_LIMITS = {
  /** One hour: shorter would delete an alert before most members have seen it. */
  minSeconds: 3600,
  /** Thirty days. */
  maxSeconds: 30 * 86400,
  /** One day: one night of a raid, the same as the send log kept for resends. */
  defaultSeconds: 86400,
} as const;
