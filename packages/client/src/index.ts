/** The most of one relay response body the SDK reads (bytes); past it, BAD_RESPONSE. */
export { MAX_RESPONSE_BYTES } from './transport/http.js';
export { AvisoClient, type AvisoClientEventContexts, type AvisoClientEvents, type AvisoClientOptions, type DirectMessage, type DrainProgress, type GroupEvent, type RejectedEnvelope } from './api/aviso-client.js';
export {
  AlreadyRegisteredError,
  ClientClosedError,
  ConnectedElsewhereError,
  ConnectionClosedError,
  DataDirLockedError,
  DiskFullError,
  GroupForkError,
  GroupRollbackError,
  GroupVerificationError,
  GroupWithheldError,
  IdentityMismatchError,
  InviteCodeError,
  KeyFileError,
  MessageTooLargeError,
  NotPassphraseProtectedError,
  NotRegisteredError,
  PassphraseRequiredError,
  RelayFingerprintMismatchError,
  RelayMisbehaviourError,
  RelayRequestError,
  RetentionRangeError,
  StoreCorruptError,
  StoreWipedError,
  UntrustedIdentityError,
  WrongPassphraseError,
  PassphraseConflictError,
  type TransportErrorCode,
} from './errors.js';
export { fetchRelayFingerprint, type FetchRelayFingerprintOptions, type RelayFingerprint } from './account/relay-fingerprint.js';
export { fingerprintLines, parseFingerprint } from '@aviso/protocol';
export type { RejectReason } from './crypto/sealed.js';
export type { ConnectionState } from './transport/connection.js';
export { networkFailure, type NetworkFailure } from './transport/network-failure.js';
export type { Logger } from './util/logger.js';
export type { AvisoStore, StoreChanges, VerifiedState } from './stores/interfaces.js';
export { MemoryStore } from './stores/memory/memory-store.js';
export { SqliteStore } from './stores/sqlite/sqlite-store.js';
export { createKeyFile } from './stores/sqlite/store-key.js';
export { storeProtection, type StoreProtection } from './stores/sqlite/unlock.js';
export { wipeDataDir, type WipeOptions } from './stores/sqlite/wipe.js';
export { shred } from './stores/private-files.js';
export {
  DisplayNameError,
  confusableNames,
  displayNameSkeleton,
  neutralizeDisplayName,
  normalizeDisplayName,
  type DisplayNameProblem,
} from './groups/display-name.js';
export { Group, type GroupInvite, type GroupMember, type PendingMember } from './api/group.js';
export { CHECKPOINT_EVERY, INVITE_CHECKPOINT_GAP, encodeInviteCode, parseInviteCode, type CreateGroupInput, type CreateInviteInput, type InviteCode, type InviteHead } from './groups/index.js';
export type { GroupEventType } from './crypto/group-chain.js';
export type { GroupRecord, GroupStatus } from './stores/interfaces.js';
export type { GroupBlobChanges, GroupBlobs, MemberBlobs } from './stores/member-blobs.js';
export type { Ack, Alert, AlertVerdict, AllClear, GroupText, Retraction, RollCall, SendAlertInput } from './alerts/types.js';
export type { DroppedAlert } from './alerts/types.js';
export type { IdentityPolicy } from './stores/trust.js';
export type { AlertRecord, AlertResponse, AlertTombstone, SendLogEntry, SenderKeyInfo } from './stores/interfaces.js';
export { RETENTION_LIMITS } from '@aviso/protocol';
