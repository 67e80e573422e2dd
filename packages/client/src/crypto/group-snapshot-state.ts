import type { GroupSnapshot } from '@aviso/protocol';
import type { GroupInviteState, GroupMemberState, GroupPendingState, GroupState } from '../stores/group-state.js';
import type { GroupBlobs } from '../stores/member-blobs.js';
import { openAttributes, openDisplayName } from './group-blobs.js';
import { ChangeRejected, identityFromProof, proofAccount, type GroupChangeEvent, type IdentityProofFailure } from './group-chain.js';
import type { GroupKeys } from './group-keys.js';

/**
 * A newcomer's state from a checkpoint snapshot whose hash it has tied to its inviter's head
 * (docs/groups.md "How a newcomer joins"): every pseudonym decrypted, names and attributes read.
 * The identity bindings are checked later (`unresolved`, `checkBinding`, `applyBindings`): until
 * then each member has no identity key, which everything downstream treats as unverified, so
 * nothing is encrypted to or accepted from them.
 *
 * `claimAccounts` (what a join does): a member who is not an admin, and every pending member, gets
 * the account its own identity proof names (a blob decrypt, ~0.02 ms) instead of its pseudonym's
 * decrypt (a zkgroup decrypt, ~0.25 ms: 2.5 s for 10,000 members). That account is a claim until
 * `checkBinding` confirms the pseudonym encrypts it. Those members are marked `unresolved` here,
 * before anything verifies a change on the state, so nothing reads a claim as an account meanwhile
 * (the verifier decrypts any it meets: ChainVerifier.#confirmNamed). Admins are decrypted here: a
 * newcomer talks to them first.
 */
export function stateFromSnapshot(snap: GroupSnapshot, keys: GroupKeys, opts: { claimAccounts?: boolean } = {}): GroupState {
  if (snap.groupId !== keys.groupId) throw new ChangeRejected('bad-checkpoint', 'the snapshot is of another group');
  const claimed: string[] = [];
  const accountOf = (m: string, claimable = false, proof?: string): string => {
    if (claimable && opts.claimAccounts === true) {
      // A malformed ciphertext is caught now, as a decrypt would; whose it is waits for the check.
      if (!keys.isCiphertext(m)) throw new ChangeRejected('bad-checkpoint', 'the snapshot names a member that is no pseudonym of this group');
      const account = proofAccount(keys, proof);
      if (account !== undefined) {
        claimed.push(m);
        return account;
      }
    }
    const a = keys.accountOf(m);
    // Every pseudonym in the log was proven by a presentation of this group; one that is not is forged.
    if (a === undefined) throw new ChangeRejected('bad-checkpoint', 'the snapshot names a member that is no pseudonym of this group');
    return a;
  };
  const members: Record<string, GroupMemberState> = {};
  for (const [m, x] of Object.entries(snap.members)) {
    members[m] = {
      accountId: accountOf(m, x.role !== 'admin', x.proof),
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
    pending[m] = { accountId: accountOf(m, true, x.proof), inviteId: x.inviteId, displayName: openDisplayName(keys, x.profile), identityKey: undefined, signingKey: x.signingKey, entered: x.entered };
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
    ...(claimed.length > 0 ? { unresolved: claimed } : {}),
  };
}

/** One snapshot member's binding as checked: what was checked (so a later state can tell it is the same entry) and the outcome. */
export interface BindingCheck {
  pseudonym: string;
  /** The entry's account when checked (perhaps a claim: stateFromSnapshot's `claimAccounts`). */
  accountId: string;
  /** The account the pseudonym decrypts to, when the entry's was a claim that does not hold. */
  corrected?: string | undefined;
  proof: string | undefined;
  signingKey: string | undefined;
  identityKey?: string | undefined;
  failure?: IdentityProofFailure | undefined;
}

/**
 * Checks one member's account and identity binding (one pseudonym encrypt, one proof decrypt, one
 * signature verify); pure. `proof`: the member's stored proof blob. An account that the pseudonym
 * does not encrypt was a false claim: the check names the real one (a decrypt) and fails as the
 * log would have (the proof names another account), or keeps the claim and fails if the
 * pseudonym is no account of this group.
 */
export function checkBinding(keys: GroupKeys, pseudonym: string, x: GroupMemberState | GroupPendingState, proof: string | undefined): BindingCheck {
  const base = { pseudonym, accountId: x.accountId, proof, signingKey: x.signingKey };
  if (!keys.isPseudonymOf(pseudonym, x.accountId)) {
    const real = keys.accountOf(pseudonym);
    return { ...base, ...(real === undefined ? {} : { corrected: real }), failure: 'actor-mismatch' };
  }
  const identity = proof === undefined ? ({ failure: 'proof-undecryptable' } as const) : identityFromProof(keys, proof, pseudonym, x.signingKey, x.accountId);
  return 'identityKey' in identity ? { ...base, identityKey: identity.identityKey } : { ...base, failure: identity.failure };
}

/** `state.unresolved` as a set, made once per list: a lookup per member in a 10,000-long array would be quadratic. */
const unresolvedSets = new WeakMap<readonly string[], Set<string>>();
function unresolvedSet(list: readonly string[]): Set<string> {
  let set = unresolvedSets.get(list);
  if (!set) unresolvedSets.set(list, (set = new Set(list)));
  return set;
}

/** The entry of `state.unresolved` for `pseudonym`, if its binding is still unchecked there. */
export function unresolvedEntry(state: GroupState, pseudonym: string): GroupMemberState | GroupPendingState | undefined {
  if (state.unresolved === undefined || !unresolvedSet(state.unresolved).has(pseudonym)) return undefined;
  const x = state.members[pseudonym] ?? state.pending[pseudonym];
  return x?.identityKey === undefined ? x : undefined;
}

/**
 * Applies checks made on an earlier read of the state, in place: a check counts only if the entry
 * is still unresolved and still the one checked (same account, proof and signing key); a member
 * who left, or came back through a change the verifier checked itself, is not touched. Every
 * pseudonym checked, gone or already keyed leaves `unresolved`. Returns the 'member-unverified' events.
 */
export function applyBindings(state: GroupState, checks: readonly BindingCheck[], blobs: GroupBlobs): GroupChangeEvent[] {
  const events: GroupChangeEvent[] = [];
  const done = new Set<string>();
  for (const c of checks) {
    const x = unresolvedEntry(state, c.pseudonym);
    if (x === undefined) continue;
    done.add(c.pseudonym);
    // Another entry under the pseudonym came through a change the verifier checked itself.
    if (x.accountId !== c.accountId || blobs.get(c.pseudonym)?.proof !== c.proof || x.signingKey !== c.signingKey) continue;
    // A new entry, never an edit: a state's entries may be shared with a copy of it (ChainVerifier).
    const y = { ...x, ...(c.corrected === undefined ? {} : { accountId: c.corrected }), ...(c.identityKey === undefined ? {} : { identityKey: c.identityKey }) };
    if (state.members[c.pseudonym] === x) state.members[c.pseudonym] = y as GroupMemberState;
    else state.pending[c.pseudonym] = y as GroupPendingState;
    if (c.identityKey === undefined) events.push({ groupId: state.groupId, version: x.entered ?? state.version, type: 'member-unverified', accountId: y.accountId, actor: y.accountId, reason: c.failure ?? 'proof-undecryptable' });
  }
  const left = (state.unresolved ?? []).filter((m) => !done.has(m) && unresolvedEntry(state, m) !== undefined);
  if (left.length > 0) state.unresolved = left;
  else delete state.unresolved;
  return events;
}

/**
 * Checks every snapshot member's identity binding at once and fills in the identity keys in place;
 * a binding that fails leaves that member unverified, as it would an entering change in the log.
 * `only`: the snapshot's pseudonyms (members who entered after the checkpoint were checked by the
 * verifier). `blobs`: the state's member blobs (the proofs). Returns the 'member-unverified' events.
 * A join marks them `unresolved` instead and checks them in the background
 * (groups/snapshot-bindings.ts); this is the same check in one go.
 */
export function verifySnapshotBindings(state: GroupState, keys: GroupKeys, blobs: GroupBlobs, only?: ReadonlySet<string>): GroupChangeEvent[] {
  const pick = (m: string, x: GroupMemberState | GroupPendingState) => x.identityKey === undefined && (only === undefined || only.has(m));
  const todo = [...Object.entries(state.members), ...Object.entries(state.pending)].filter(([m, x]) => pick(m, x)).map(([m]) => m);
  state.unresolved = [...new Set([...(state.unresolved ?? []), ...todo])];
  return applyBindings(
    state,
    todo.map((m) => checkBinding(keys, m, (state.members[m] ?? state.pending[m])!, blobs.get(m)?.proof)),
    blobs,
  );
}
