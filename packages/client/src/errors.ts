import { resolve } from 'node:path';
import { RETENTION_LIMITS, type ErrorCode } from '@aviso/protocol';

/** Failures that did not come with a relay error body. */
export type TransportErrorCode = 'NETWORK_ERROR' | 'TIMEOUT' | 'TLS_UNTRUSTED' | 'BAD_RESPONSE';

/** A relay request failed. `code` is the relay's ERROR_CODES entry when it sent one. */
export class RelayRequestError extends Error {
  override name = 'RelayRequestError';
  readonly code: ErrorCode | TransportErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;
  constructor(
    init: { code: ErrorCode | TransportErrorCode; status: number; retryable: boolean; message: string; details?: Record<string, unknown> | undefined },
    options?: ErrorOptions,
  ) {
    super(init.message, options);
    this.code = init.code;
    this.status = init.status;
    this.retryable = init.retryable;
    this.details = init.details;
  }
}

export class NotRegisteredError extends Error {
  override name = 'NotRegisteredError';
  constructor() {
    super('this client is not registered with a relay; call register() first');
  }
}

export class AlreadyRegisteredError extends Error {
  override name = 'AlreadyRegisteredError';
  constructor(readonly accountId: string) {
    super('this data directory already holds a registered account');
  }
}

/** Sending was refused because the peer's identity key changed and the user has not accepted (or verified) the new one. */
export class UntrustedIdentityError extends Error {
  override name = 'UntrustedIdentityError';
  constructor(
    readonly accountId: string,
    options?: ErrorOptions,
  ) {
    super('the recipient identity key changed; compare safety numbers and accept it (acceptIdentity) before sending', options);
  }
}

export class MessageTooLargeError extends Error {
  override name = 'MessageTooLargeError';
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`message text is ${bytes} bytes; the limit is ${limit}`);
  }
}

/** The operation needs a connection or a client that was closed. */
export class ClientClosedError extends Error {
  override name = 'ClientClosedError';
  constructor(message = 'the client is closed') {
    super(message);
  }
}

/**
 * Another client, in this process or another, has this data folder open. Close it (or stop that
 * process) first: two clients on one store would fork its ratchet state. The lock dies with its
 * process, so this never means a stale lock.
 */
export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
  readonly code = 'DATA_DIR_LOCKED';
  constructor(
    readonly dataDir: string,
    options?: ErrorOptions,
  ) {
    super(`the data folder ${resolve(dataDir)} is in use by another client (in this process or another); close it first`, options);
  }
}

/**
 * The store's key is wrapped by a passphrase and this one does not unwrap it (the AEAD tag did not
 * verify). Nothing was read or written: ask again.
 */
export class WrongPassphraseError extends Error {
  override name = 'WrongPassphraseError';
  readonly code = 'WRONG_PASSPHRASE';
  constructor(readonly dataDir: string) {
    super(`the passphrase does not unlock the store in ${resolve(dataDir)}`);
  }
}

/**
 * The store in `dataDir` is encrypted and was opened without its secret, or with the other kind
 * (`needs` says which: its passphrase, or its key file).
 */
export class PassphraseRequiredError extends Error {
  override name = 'PassphraseRequiredError';
  readonly code = 'PASSPHRASE_REQUIRED';
  constructor(
    readonly dataDir: string,
    readonly needs: 'passphrase' | 'key-file',
  ) {
    super(
      needs === 'passphrase'
        ? `the store in ${resolve(dataDir)} is encrypted; open it with its passphrase`
        : `the store in ${resolve(dataDir)} is encrypted with a key file; open it with keyFile`,
    );
  }
}

/**
 * The `keyFile` given to open() cannot be used: it is missing or unreadable, does not hold a 256-bit
 * key (32 bytes, or 64 hex digits), or holds another key than the one the store was encrypted with.
 */
export class KeyFileError extends Error {
  override name = 'KeyFileError';
  readonly code = 'KEY_FILE_INVALID';
  constructor(
    readonly path: string,
    readonly reason: 'missing' | 'unreadable' | 'malformed' | 'wrong-key',
    options?: ErrorOptions,
  ) {
    const why = {
      missing: 'does not exist',
      unreadable: 'cannot be read',
      malformed: 'does not hold a 256-bit key (32 bytes, or 64 hex digits)',
      'wrong-key': 'holds another key than the one this store is encrypted with',
    }[reason];
    super(`the key file ${resolve(path)} ${why}`, options);
  }
}

/**
 * A store file (the database, or its wrapped-key file) is truncated, corrupted or not what it
 * should be. Nothing was changed; restore the folder from a copy, or start a new one.
 */
export class StoreCorruptError extends Error {
  override name = 'StoreCorruptError';
  readonly code = 'STORE_CORRUPT';
  constructor(
    readonly path: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`the store file ${resolve(path)} is unusable: ${detail}`, options);
  }
}

/**
 * The duress passphrase and the store's passphrase would be the same (setDuressPassphrase with the
 * current passphrase, or changePassphrase to the duress one). Nothing was changed.
 */
export class PassphraseConflictError extends Error {
  override name = 'PassphraseConflictError';
  readonly code = 'PASSPHRASE_CONFLICT';
  constructor(readonly dataDir: string) {
    super(`the duress passphrase of the store in ${resolve(dataDir)} must differ from its passphrase; nothing was changed`);
  }
}

/** changePassphrase() on a store whose key is not wrapped by a passphrase (a plain store, or one opened with a key file). */
export class NotPassphraseProtectedError extends Error {
  override name = 'NotPassphraseProtectedError';
  readonly code = 'NOT_PASSPHRASE_PROTECTED';
  constructor(
    readonly dataDir: string,
    readonly protection: 'none' | 'key-file',
  ) {
    super(
      protection === 'none'
        ? `the store in ${resolve(dataDir)} is not encrypted; open it with a passphrase to encrypt it`
        : `the store in ${resolve(dataDir)} is encrypted with a key file, not a passphrase`,
    );
  }
}

/**
 * The store in `dataDir` was wiped and the wipe did not finish (the process died after its key
 * material was destroyed): nothing in it can be decrypted any more. Run the wipe again to remove
 * what is left; after that the folder opens as a new, empty store.
 */
export class StoreWipedError extends Error {
  override name = 'StoreWipedError';
  readonly code = 'STORE_WIPED';
  constructor(readonly dataDir: string) {
    super(`the store in ${resolve(dataDir)} was wiped (the wipe was interrupted); wipe it again to remove what is left`);
  }
}

/**
 * The disk filled up (SQLITE_FULL, ENOSPC, or a file size limit) while the store was being
 * converted or its key rewritten. Nothing was lost: the store is as it was before and still opens
 * with the secret it had. Free some space and try again.
 */
export class DiskFullError extends Error {
  override name = 'DiskFullError';
  readonly code = 'DISK_FULL';
  constructor(
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(`the disk holding ${resolve(path)} is full; nothing was changed — free some space and try again`, options);
  }
}

/** The WebSocket closed while a request on it (a ping) was pending. */
export class ConnectionClosedError extends Error {
  override name = 'ConnectionClosedError';
  constructor(message = 'the connection closed') {
    super(message);
  }
}

/** Another connection of this device took over (close code 4409); this client stops reconnecting. */
export class ConnectedElsewhereError extends Error {
  override name = 'ConnectedElsewhereError';
  constructor() {
    super('another connection of this device replaced this one');
  }
}

/**
 * A change served by the relay did not verify (bad proof, signature, chain link, invite MAC, or a
 * broken group rule). The group keeps its last verified state; `version` is the refused change's.
 */
export class GroupVerificationError extends Error {
  override name = 'GroupVerificationError';
  constructor(
    readonly groupId: string,
    readonly version: number,
    readonly reason: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The relay served a group change that fails a check the relay itself must make before storing it
 * (chain link, time, a member's or an invite's signature, a group rule): an honest relay never
 * serves one, so the relay or whoever runs it is misbehaving. The group keeps its last verified state
 * (`version` is the refused change's) and this device makes no change on top of the bad one. What the
 * member can do: tell the group's organisers through another channel, and stop relying on this relay
 * for this group (its operator may be compromised); nothing on this device needs repairing.
 */
export class RelayMisbehaviourError extends GroupVerificationError {
  override name = 'RelayMisbehaviourError';
  constructor(groupId: string, version: number, reason: string, detail: string, options?: ErrorOptions) {
    super(
      groupId,
      version,
      reason,
      `the relay served group change ${version}, which no honest relay would store (${reason}: ${detail}); the group stays at its last verified version. ` +
        'Tell the group\'s organisers through another channel and do not rely on this relay for this group.',
      options,
    );
  }
}

/** The relay claims an older version than this device has verified: it lost or hid changes. */
export class GroupRollbackError extends Error {
  override name = 'GroupRollbackError';
  constructor(
    readonly groupId: string,
    readonly localVersion: number,
    readonly relayVersion: number,
  ) {
    super(`the relay serves version ${relayVersion} of the group, this device verified version ${localVersion}`);
  }
}

/** The relay served a different change at a version this device already verified: the history forked. */
export class GroupForkError extends Error {
  override name = 'GroupForkError';
  constructor(
    readonly groupId: string,
    readonly version: number,
  ) {
    super(`the relay serves a different change at verified version ${version}`);
  }
}

/** An invite code is malformed or unsupported, or points at another relay or trust root than expected. */
export class InviteCodeError extends Error {
  override name = 'InviteCodeError';
}

/**
 * A group member's identity key, as the relay served it (a prekey bundle, a session, a sender
 * certificate), is not the key the verified group log binds to that member, or the log binds no
 * usable key. Nothing is encrypted to that key and nothing it sent is accepted
 * (docs/alerts.md "Identity keys"). Also reported on the client's 'identity-mismatch' event.
 */
export class IdentityMismatchError extends Error {
  override name = 'IdentityMismatchError';
  constructor(
    readonly groupId: string,
    readonly accountId: string,
    /** 'sending': refused as a recipient; 'receiving': a message from it was dropped. */
    readonly direction: 'sending' | 'receiving',
    /** 'key-mismatch': the key differs from the log's; 'no-verified-key': the log has no verified key for it. */
    readonly reason: 'key-mismatch' | 'no-verified-key',
  ) {
    super(
      reason === 'key-mismatch'
        ? `the identity key the relay gave for member ${accountId} is not the one in the verified group log`
        : `the verified group log holds no identity key for member ${accountId}`,
    );
  }
}

/**
 * A member's group message names a group version the relay does not serve this device: the relay is
 * withholding changes (a removal, say) from it, or the member's client is lying about the version.
 * The message is dropped, and sending to the group is refused with this error while the claim stands
 * (this device cannot know whom the unseen changes removed). Also reported on 'group-withheld'.
 */
export class GroupWithheldError extends Error {
  override name = 'GroupWithheldError';
  constructor(
    readonly groupId: string,
    /** The version this device verified (the relay serves no later one). */
    readonly localVersion: number,
    /** The version the member's message named. */
    readonly namedVersion: number,
    /** The member whose message named it. */
    readonly namedBy: string,
  ) {
    super(`a member's message names version ${namedVersion} of the group, but the relay serves only up to version ${localVersion}`);
  }
}

/** A group retention outside `RETENTION_LIMITS` (or not a whole number of seconds): nothing was changed. */
export class RetentionRangeError extends RangeError {
  override name = 'RetentionRangeError';
  readonly min = RETENTION_LIMITS.minSeconds;
  readonly max = RETENTION_LIMITS.maxSeconds;
  constructor(readonly seconds: number) {
    super(`retention must be a whole number of seconds from ${RETENTION_LIMITS.minSeconds} (1 hour) to ${RETENTION_LIMITS.maxSeconds} (30 days), not ${seconds}`);
  }
}

/**
 * The relay at the address answered with another trust root than the fingerprint the caller expected
 * (the one the member compared with their organiser's): it is not the relay they checked, or it
 * changed since. Nothing was registered and nothing was sent to it beyond the public `GET /v1/relay`.
 */
export class RelayFingerprintMismatchError extends Error {
  override name = 'RelayFingerprintMismatchError';
  readonly code = 'FINGERPRINT_MISMATCH';
  constructor(
    /** The relay's fingerprint as it answered now (64 hex digits). */
    readonly actual: string,
    /** The fingerprint the caller expected (64 hex digits). */
    readonly expected: string,
  ) {
    super('the relay answered with another fingerprint than the one that was checked: nothing was registered');
  }
}
