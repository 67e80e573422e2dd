import { checkpointState, type GroupSnapshot, type SnapshotInvite, type SnapshotMember, type SnapshotPending } from '@aviso/protocol';
import type { GroupState } from '../stores/group-state.js';
import { MemberBlobOverlay, type GroupBlobs } from '../stores/member-blobs.js';
import { toBase64 } from '../util/bytes.js';
import { sha256 } from './group-keys.js';

/**
 * A member's side of checkpoints (docs/groups.md "Checkpoints"): its verified state mapped onto the
 * protocol's snapshot, so it can check an admin's `stateHash` (and write one) against what it
 * verified itself. The relay builds the same snapshot from its log; the vectors hold both to one text.
 */

/**
 * A state stored before checkpoints existed lacks what a snapshot needs (the entering versions,
 * and with them the verbatim blobs, which came in the same version).
 */
export function isLegacyState(state: GroupState): boolean {
  if (state.version < 0) return false;
  if (state.attributes === undefined) return true;
  for (const m of Object.values(state.members)) if (m.entered === undefined) return true;
  for (const p of Object.values(state.pending)) if (p.entered === undefined) return true;
  return false;
}

/**
 * The snapshot of a verified state and its members' blobs (RangeError for a legacy state, which
 * the log re-verifies first, and for a pending member without its profile, which every request carries).
 */
export function snapshotOf(state: GroupState, blobs: GroupBlobs): GroupSnapshot {
  if (isLegacyState(state) || state.attributes === undefined || state.headAt === undefined) throw new RangeError('this group state predates checkpoints');
  const members: Record<string, SnapshotMember> = {};
  for (const [m, x] of Object.entries(state.members)) {
    const b = blobs.get(m);
    members[m] = { role: x.role, entered: x.entered!, signingKey: x.signingKey, inviteId: x.inviteId, profile: b?.profile, proof: b?.proof };
  }
  const pending: Record<string, SnapshotPending> = {};
  for (const [m, x] of Object.entries(state.pending)) {
    const b = blobs.get(m);
    if (b?.profile === undefined) throw new RangeError('a pending member\'s profile is missing from the stored blobs');
    pending[m] = { entered: x.entered!, inviteId: x.inviteId, signingKey: x.signingKey, profile: b.profile, proof: b.proof };
  }
  const invites: Record<string, SnapshotInvite> = {};
  for (const [id, x] of Object.entries(state.invites)) {
    invites[id] = {
      issuer: x.issuer,
      signingKey: x.signingKey,
      passwordHash: x.passwordHash,
      expiresAt: x.expiresAt,
      maxUses: x.maxUses,
      uses: x.uses,
      role: x.role,
      requireApproval: x.requireApproval,
      revoked: x.revoked,
    };
  }
  return {
    v: 1,
    groupId: state.groupId,
    version: state.version,
    headHash: state.headHash,
    headAt: state.headAt,
    attributes: state.attributes,
    membersCanInvite: state.membersCanInvite,
    members,
    pending,
    banned: [...state.banned],
    invites,
  };
}

/** Base64 SHA-256 of a snapshot text: what a checkpoint's `stateHash` is. */
export function snapshotTextHash(text: string): string {
  return toBase64(sha256(text));
}

/** The `stateHash` a checkpoint after this state (and these blobs) must carry. */
export function stateHashOf(state: GroupState, blobs: GroupBlobs): string {
  return snapshotTextHash(checkpointState(snapshotOf(state, blobs)));
}

/**
 * The member blobs a snapshot holds, as the blobs of the state a newcomer starts from: they replace
 * whatever the store held for the group.
 */
export function blobsOfSnapshot(snap: GroupSnapshot): MemberBlobOverlay {
  const blobs = MemberBlobOverlay.empty();
  for (const [m, x] of Object.entries(snap.members)) blobs.set(m, { profile: x.profile, proof: x.proof });
  for (const [m, x] of Object.entries(snap.pending)) blobs.set(m, { profile: x.profile, proof: x.proof });
  return blobs;
}
