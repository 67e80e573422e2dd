import type { InviteInfo, Role } from '@aviso/protocol';

/**
 * The verified state of a group as the store keeps it: a plain JSON value (binary fields base64).
 * crypto/group-chain.ts extends it one verified change at a time; it lives here so the stores,
 * the lowest layer, can hold it without importing crypto.
 */

export interface GroupMemberState {
  accountId: string;
  role: Role;
  displayName: string;
  /**
   * Serialized identity public key (base64) from the identity proof of the change that brought them
   * in. Undefined when that proof did not verify: the member is in the group but unverified, and
   * nothing may be encrypted to them.
   */
  identityKey?: string | undefined;
  /** The member's per-group signing key (base64), which signs every change they make. */
  signingKey?: string | undefined;
  /** The invite they joined with; absent for the creator. */
  inviteId?: string | undefined;
  /**
   * The version of the change that brought them in (a checkpoint snapshot holds it: docs/groups.md
   * "Checkpoints"). Absent in states stored before checkpoints existed (such a state is re-verified
   * from version 0 once). That change's profile and identity proof are kept apart (member-blobs.ts).
   */
  entered?: number | undefined;
}

export interface GroupPendingState {
  accountId: string;
  inviteId: string;
  displayName: string;
  identityKey?: string | undefined;
  signingKey?: string | undefined;
  /** As in GroupMemberState. */
  entered?: number | undefined;
}

export interface GroupInviteState extends InviteInfo {
  passwordHash: string;
}

export interface GroupState {
  groupId: string;
  /** -1 before the create change. */
  version: number;
  /** SHA-256 (base64) of the change at `version`; 32 zero bytes before the create change. */
  headHash: string;
  /** The signed `at` of the change at `version`; absent before the create change. */
  headAt?: number | undefined;
  title: string;
  description: string;
  membersCanInvite: boolean;
  /** Only admins may send alerts (from the encrypted attributes; absent in states stored before it existed). */
  announcementsOnly?: boolean | undefined;
  /** How long members keep the group's content, s (from the encrypted attributes; absent: the default). */
  retentionSeconds?: number | undefined;
  /** By pseudonym (base64 member ciphertext). */
  members: Record<string, GroupMemberState>;
  pending: Record<string, GroupPendingState>;
  banned: string[];
  /** By invite id (base64). */
  invites: Record<string, GroupInviteState>;
  /** The latest attributes blob, verbatim (a checkpoint snapshot holds it); absent in states stored before checkpoints. */
  attributes?: string | undefined;
  /** Version of the newest checkpoint change verified (absent: none yet). */
  checkpointVersion?: number | undefined;
  /**
   * Pseudonyms of members and pending members taken from a checkpoint snapshot whose identity
   * binding has not been checked yet (docs/groups.md "How a newcomer joins"): each has no identity
   * key until it is, so nothing is encrypted to or accepted from them. Stored with the state, so a
   * check cut short by a crash resumes at the next connection. Absent or empty: none.
   */
  unresolved?: string[] | undefined;
}
