import type { InviteInfo, MemberInfo, PendingInfo, Role } from '@aviso/protocol';
import type { MaybePromise } from './maybe-promise.js';

export interface GroupRecord {
  id: string;
  publicParams: Uint8Array;
  version: number;
  attributes: Uint8Array;
  membersCanInvite: boolean;
}

export interface InviteRecord extends InviteInfo {
  inviteId: string;
  passwordHash: Uint8Array;
}

export interface ChangeRow {
  version: number;
  body: string;
  receivedAt: number;
}

/**
 * Group state keyed by group id and member ciphertext. Call mutating methods inside one transaction
 * (the service does): a change's log row, its effects and the version bump commit together.
 */
export interface GroupsStore {
  get(groupId: string): MaybePromise<GroupRecord | undefined>;
  insert(group: GroupRecord): MaybePromise<void>;
  /** Moves the group from `from` to `from + 1`; false when another writer got there first. */
  bumpVersion(groupId: string, from: number): MaybePromise<boolean>;
  setAttributes(groupId: string, attributes: Uint8Array): MaybePromise<void>;
  setMembersCanInvite(groupId: string, membersCanInvite: boolean): MaybePromise<void>;
  member(groupId: string, member: string): MaybePromise<(MemberInfo & { profile: Uint8Array | null }) | undefined>;
  /** Every current member's ciphertext (base64), sorted: the deterministic order endorsements use. */
  memberCiphertexts(groupId: string): MaybePromise<string[]>;
  memberCount(groupId: string): MaybePromise<number>;
  adminCount(groupId: string): MaybePromise<number>;
  /** Inserts or replaces a member; an undefined profile or signing key keeps the stored one (role changes carry none). */
  putMember(groupId: string, member: string, role: Role, inviteId: string | undefined, profile: Uint8Array | undefined, signingKey: string | undefined): MaybePromise<void>;
  deleteMember(groupId: string, member: string): MaybePromise<void>;
  pending(groupId: string, member: string): MaybePromise<(PendingInfo & { profile: Uint8Array }) | undefined>;
  putPending(groupId: string, member: string, inviteId: string, profile: Uint8Array, signingKey: string): MaybePromise<void>;
  deletePending(groupId: string, member: string): MaybePromise<void>;
  isBanned(groupId: string, member: string): MaybePromise<boolean>;
  ban(groupId: string, member: string): MaybePromise<void>;
  invite(groupId: string, inviteId: string): MaybePromise<InviteRecord | undefined>;
  putInvite(groupId: string, invite: InviteRecord): MaybePromise<void>;
  useInvite(groupId: string, inviteId: string): MaybePromise<void>;
  revokeInvite(groupId: string, inviteId: string): MaybePromise<void>;
  appendChange(groupId: string, row: ChangeRow): MaybePromise<void>;
  /** One logged change (the head, when the service checks a new change's chain link). */
  change(groupId: string, version: number): MaybePromise<ChangeRow | undefined>;
  /** Logged changes from `fromVersion` on, oldest first, at most `limit`. */
  changes(groupId: string, fromVersion: number, limit: number): MaybePromise<ChangeRow[]>;
  /** Stores the snapshot of the checkpoint change at `version` and keeps only the newest `keep`. */
  putCheckpoint(groupId: string, row: CheckpointRow, keep: number): MaybePromise<void>;
  /** The newest stored checkpoint at or before `version`. */
  checkpointAtOrBefore(groupId: string, version: number): MaybePromise<CheckpointRow | undefined>;
}

export interface CheckpointRow {
  /** Version of the checkpoint change. */
  version: number;
  /** `checkpointState` of the state before it: the text its `stateHash` hashes. */
  snapshot: string;
}
