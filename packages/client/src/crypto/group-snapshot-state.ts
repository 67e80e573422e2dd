import type { GroupSnapshot } from '@aviso/protocol';
import type { GroupInviteState, GroupMemberState, GroupPendingState, GroupState } from '../stores/group-state.js';
import type { GroupBlobs } from '../stores/member-blobs.js';
import { openAttributes, openDisplayName } from './group-blobs.js';
import { ChangeRejected, identityFromProof, type GroupChangeEvent } from './group-chain.js';
import type { GroupKeys } from './group-keys.js';

/**
 * A newcomer's state from a checkpoint snapshot whose hash it has tied to its inviter's head
 * (docs/groups.md "How a newcomer joins"): every pseudonym decrypted, names and attributes read.
 * The identity bindings are checked by `verifySnapshotBindings`, before anything is encrypted to
 * or accepted from a member: until then each member has no identity key, which everything
 * downstream treats as unverified.
 */
export function stateFromSnapshot(snap: GroupSnapshot, keys: GroupKeys): GroupState {
  if (snap.groupId !== keys.groupId) throw new ChangeRejected('bad-checkpoint', 'the snapshot is of another group');
  const accountOf = (m: string): string => {
    const a = keys.accountOf(m);
    // Every pseudonym in the log was proven by a presentation of this group; one that is not is forged.
    if (a === undefined) throw new ChangeRejected('bad-checkpoint', 'the snapshot names a member that is no pseudonym of this group');
    return a;
  };
  const members: Record<string, GroupMemberState> = {};
  for (const [m, x] of Object.entries(snap.members)) {
    members[m] = {
      accountId: accountOf(m),
      role: x.role,
      displayName: x.profile === undefined ? '' : openDisplayName(keys, x.profile),
      identityKey: undefined,
      signingKey: x.signingKey,
      inviteId: x.inviteId,
      entered: x.entered,
    };
  }
  const pending: Record<string, GroupPendingState> = {};
  for (const [m, x] of Object.entries(snap.pending)) {
    pending[m] = { accountId: accountOf(m), inviteId: x.inviteId, displayName: openDisplayName(keys, x.profile), identityKey: undefined, signingKey: x.signingKey, entered: x.entered };
  }
  const invites: Record<string, GroupInviteState> = {};
  for (const [id, x] of Object.entries(snap.invites)) invites[id] = { ...x };
  const a = openAttributes(keys, snap.attributes);
  return {
    groupId: snap.groupId,
    version: snap.version,
    headHash: snap.headHash,
    headAt: snap.headAt,
    title: a.title,
    description: a.description,
    announcementsOnly: a.announcementsOnly,
    retentionSeconds: a.retentionSeconds,
    membersCanInvite: snap.membersCanInvite,
    members,
    pending,
    banned: [...snap.banned],
    invites,
    attributes: snap.attributes,
  };
}

/**
 * Checks every snapshot member's identity binding (one proof decrypt and one signature each) and
 * fills in the identity keys in place; a binding that fails leaves that member unverified, as it
 * would an entering change in the log. `only`: the snapshot's pseudonyms (members who entered
 * after the checkpoint were checked by the verifier). `blobs`: the state's member blobs (the
 * proofs). Returns the 'member-unverified' events.
 */
export function verifySnapshotBindings(state: GroupState, keys: GroupKeys, blobs: GroupBlobs, only?: ReadonlySet<string>): GroupChangeEvent[] {
  const events: GroupChangeEvent[] = [];
  // A verified entry gets a new object with its identity key, not an edit: the chain verifier's
  // working copy shares entries with the state it started from (group-chain.ts workingCopy).
  const check = <T extends GroupMemberState | GroupPendingState>(m: string, x: T): T | undefined => {
    if (only !== undefined && !only.has(m)) return undefined;
    if (x.identityKey !== undefined) return undefined;
    const proof = blobs.get(m)?.proof;
    const identity = proof === undefined ? ({ failure: 'proof-undecryptable' } as const) : identityFromProof(keys, proof, m, x.signingKey, x.accountId);
    if ('identityKey' in identity) return { ...x, identityKey: identity.identityKey };
    events.push({ groupId: state.groupId, version: x.entered ?? state.version, type: 'member-unverified', accountId: x.accountId, actor: x.accountId, reason: identity.failure });
    return undefined;
  };
  for (const [m, x] of Object.entries(state.members)) {
    const verified = check(m, x);
    if (verified) state.members[m] = verified;
  }
  for (const [m, x] of Object.entries(state.pending)) {
    const verified = check(m, x);
    if (verified) state.pending[m] = verified;
  }
  return events;
}
