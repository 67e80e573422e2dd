import { PublicKey, type IdentityKeyPair, type PrivateKey } from '@signalapp/libsignal-client';
import { z } from 'zod';
import {
  canonicalJson,
  changeSigningMessage,
  enteringAction,
  evaluateChange,
  GroupChange,
  memberBindingMessage,
  ProtocolError,
  type AuthenticityFailure,
  type GroupAction,
  type GroupEffect,
  type GroupView,
  type InviteInfo,
  type MemberInfo,
  type PendingInfo,
  type Role,
} from '@aviso/protocol';
import { fromBase64, toBase64 } from '../util/bytes.js';
import type { GroupInviteState, GroupMemberState, GroupPendingState, GroupState } from '../stores/group-state.js';
import { MemberBlobOverlay } from '../stores/member-blobs.js';
import { openAttributes, openDisplayName } from './group-blobs.js';
import { stateHashOf } from './group-checkpoint.js';
import { memberSigningKey, sha256, ZERO_HASH, type GroupKeys } from './group-keys.js';

/**
 * The verified state of a group and the pure step that extends it by one change
 * (docs/groups.md "The change log"). The state is a plain JSON value (binary fields base64) so
 * stores can persist it as is. Nothing here does I/O: the caller feeds relay data in and commits the
 * returned state.
 */

export function emptyGroupState(groupId: string): GroupState {
  return { groupId, version: -1, headHash: ZERO_HASH, title: '', description: '', membersCanInvite: false, members: {}, pending: {}, banned: [], invites: {} };
}

export type GroupEventType =
  | 'group-created'
  | 'member-joined'
  | 'member-left'
  | 'member-removed'
  | 'join-requested'
  | 'join-denied'
  | 'role-changed'
  | 'title-changed'
  | 'access-changed'
  | 'invite-created'
  | 'invite-revoked'
  | 'removed-from-group'
  | 'member-unverified';

/** What one verified change did, for the SDK's 'group' events. */
export interface GroupChangeEvent {
  groupId: string;
  version: number;
  type: GroupEventType;
  /** The member the event is about (for invite events: the issuer). */
  accountId?: string | undefined;
  /** Who made the change (absent when the event comes from the relay refusing us, not from the log). */
  actor?: string | undefined;
  role?: Role | undefined;
  inviteId?: string | undefined;
  banned?: boolean | undefined;
  /** For 'member-unverified': what was wrong with the member's identity proof. */
  reason?: IdentityProofFailure | undefined;
}

/**
 * Why a served change was refused. Since protocol 2 the relay makes the same checks before it stores
 * a change, so each of these means the relay misbehaved (RelayMisbehaviourError).
 */
export type GroupVerificationReason = AuthenticityFailure | 'malformed-change' | 'actor-mismatch' | 'rule-violation' | 'unknown-member' | 'invite-head-mismatch';

/** Why an entering change's identity proof did not verify (the member is then unverified). */
export type IdentityProofFailure = 'proof-undecryptable' | 'actor-mismatch' | 'bad-binding';

/** A change did not verify; the state it was checked against is unchanged. */
export class ChangeRejected extends Error {
  override name = 'ChangeRejected';
  constructor(
    readonly reason: GroupVerificationReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The decrypted identity proof of an entering change (docs/groups.md "Identity binding"). */
export const ChangeProof = z.object({
  v: z.literal(2),
  actorAci: z.uuid().transform((s) => s.toLowerCase()),
  actorIdentityKey: z.base64(),
  binding: z.base64(),
});
export type ChangeProof = z.infer<typeof ChangeProof>;

/** The account an encrypted identity proof names (one blob decrypt), or undefined if it does not open: a claim, not a check. */
export function proofAccount(keys: GroupKeys, proofBlob: string | undefined): string | undefined {
  if (proofBlob === undefined) return undefined;
  const proof = ChangeProof.safeParse(keys.openJson(proofBlob));
  return proof.success ? proof.data.actorAci : undefined;
}

/** SHA-256 of UTF-8 `canonicalJson(change)` (every field but the relay's `receivedAt`), base64: the chain link. */
export function changeHash(change: GroupChange): string {
  const { version, actor, actions, prevHash, at, signature, inviteSignature, proof } = change;
  return toBase64(sha256(canonicalJson({ version, actor, actions, prevHash, at, signature, inviteSignature, proof })));
}

const MINUTE_MS = 60_000;

export interface BuildChangeInput {
  state: GroupState;
  keys: GroupKeys;
  accountId: string;
  identityKeyPair: IdentityKeyPair;
  /** Entering actions (create, join, requestJoin) get this member's signing key filled in. */
  actions: UnsignedAction[];
  /** For join and requestJoin: the invite's signing key (from the invite secret). */
  inviteSigningKey?: PrivateKey | undefined;
  /** The actor's clock (ms); defaults to now. Rounded down to the minute. */
  now?: number | undefined;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> | T : never;
/** An action as callers write it: entering actions may leave out the signing key, which buildChange fills in. */
export type UnsignedAction = DistributiveOmit<GroupAction, 'signingKey'>;

/** This member's public signing key for a group, base64: what its entering action publishes. */
export function signingPublicKey(identityKeyPair: IdentityKeyPair, groupId: string): string {
  return toBase64(memberSigningKey(identityKeyPair, groupId).getPublicKey().serialize());
}

/**
 * Makes the next change (version = state.version + 1): chained to the state's head, dated to the
 * minute, signed with this member's per-group key (and the invite's, for a join), and, for an
 * entering change, carrying the encrypted identity proof.
 */
export function buildChange(input: BuildChangeInput): GroupChange {
  const { state, keys } = input;
  const version = state.version + 1;
  const actor = keys.pseudonym(input.accountId);
  const signer = memberSigningKey(input.identityKeyPair, keys.groupId);
  const signingKey = toBase64(signer.getPublicKey().serialize());
  const actions = input.actions.map((a) => (a.type === 'create' || a.type === 'join' || a.type === 'requestJoin' ? { ...a, signingKey } : a)) as GroupAction[];
  let proof: string | undefined;
  if (enteringAction({ actions })) {
    const binding = input.identityKeyPair.privateKey.sign(utf8(memberBindingMessage(keys.groupId, actor, signingKey)));
    const plain: ChangeProof = { v: 2, actorAci: input.accountId, actorIdentityKey: toBase64(input.identityKeyPair.publicKey.serialize()), binding: toBase64(binding) };
    proof = keys.sealJson(plain);
  }
  const at = Math.floor((input.now ?? Date.now()) / MINUTE_MS) * MINUTE_MS;
  const unsigned = { version, actor, actions, prevHash: state.headHash, at, ...(proof === undefined ? {} : { proof }) };
  const message = utf8(changeSigningMessage(keys.groupId, unsigned));
  return {
    ...unsigned,
    signature: toBase64(signer.sign(message)),
    ...(input.inviteSigningKey ? { inviteSignature: toBase64(input.inviteSigningKey.sign(message)) } : {}),
  };
}

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

function verifySignature(publicKeyB64: string, message: string, signatureB64: string): boolean {
  try {
    return PublicKey.deserialize(fromBase64(publicKeyB64)).verify(utf8(message), fromBase64(signatureB64));
  } catch {
    return false;
  }
}

/** The identity behind an entering change, or why its proof does not verify. */
function identityOf(keys: GroupKeys, c: GroupChange, accountId: string): { identityKey: string } | { failure: IdentityProofFailure } {
  const entering = enteringAction(c);
  if (!entering || c.proof === undefined) return { failure: 'proof-undecryptable' };
  return identityFromProof(keys, c.proof, c.actor, entering.signingKey, accountId);
}

/**
 * The identity key an encrypted proof binds to `actor` and its signing key (one blob decrypt and one
 * signature check), or why it does not: for entering changes and for a checkpoint's members alike.
 */
export function identityFromProof(keys: GroupKeys, proofBlob: string, actor: string, signingKey: string | undefined, accountId: string): { identityKey: string } | { failure: IdentityProofFailure } {
  const proof = ChangeProof.safeParse(keys.openJson(proofBlob));
  if (!proof.success) return { failure: 'proof-undecryptable' };
  const p = proof.data;
  if (p.actorAci !== accountId) return { failure: 'actor-mismatch' };
  if (signingKey === undefined || !verifySignature(p.actorIdentityKey, memberBindingMessage(keys.groupId, actor, signingKey), p.binding)) return { failure: 'bad-binding' };
  return { identityKey: p.actorIdentityKey };
}

/**
 * Verifies one change against the verified state and returns the state after it, plus events.
 * Throws ChangeRejected (and changes nothing) if the change fails a check the relay also makes
 * (schema, chain link, time, signatures, rules): an honest relay never serves such a change. An
 * identity proof that does not verify does not stop the chain: that member is admitted unverified.
 */
export function verifyChange(state: GroupState, change: GroupChange, keys: GroupKeys, blobs?: MemberBlobOverlay): { state: GroupState; events: GroupChangeEvent[]; blobs: MemberBlobOverlay } {
  const verifier = new ChainVerifier(state, keys, blobs);
  const events = verifier.verify(change);
  return { state: verifier.state, events, blobs: verifier.blobs };
}

type Undo = () => void;

/**
 * A copy of `state` the verifier may change without touching `state`: its own top level, member,
 * pending and invite maps and banned list, sharing the entries. The verifier never changes an
 * entry in place (it puts a new object under the pseudonym or invite id), so an entry both copies
 * hold stays what `state` verified. A deep copy (structuredClone) of a 10,000-member state cost
 * more than verifying a sync's 100 changes did; this one copies references only.
 */
function workingCopy(state: GroupState): GroupState {
  return { ...state, members: { ...state.members }, pending: { ...state.pending }, banned: [...state.banned], invites: { ...state.invites } };
}

/**
 * Verifies a run of changes against one working copy of the state. Copying the whole state for
 * every change made joining a 10,000-member group quadratic (minutes); here the state is copied once
 * (workingCopy), each change mutates it in place with an undo log, and member and admin counts are
 * kept as running totals. A rejected change is undone, so `state` is always the last verified one. The members'
 * profiles and proofs are kept apart (`blobs`, stores/member-blobs.ts): only a checkpoint change
 * reads them all, to hash the state it names.
 */
export class ChainVerifier {
  readonly #s: GroupState;
  readonly #keys: GroupKeys;
  readonly #blobs: MemberBlobOverlay;
  readonly #banned: Set<string>;
  /** Snapshot entries whose account is still a claim (state.unresolved), and those this verifier confirmed. */
  readonly #claimed: Set<string>;
  readonly #confirmed = new Set<string>();
  #memberCount: number;
  #adminCount: number;

  /**
   * `blobs`: the state's member blobs (mutated in place, with undo). Optional for a state before
   * version 0; for any other, one without them fails at the first checkpoint change (RangeError).
   * `adopt`: the caller gives `state` up (one it just read from the store, which nothing else
   * holds): the verifier works on it in place instead of on a copy.
   */
  constructor(state: GroupState, keys: GroupKeys, blobs?: MemberBlobOverlay, opts: { adopt?: boolean } = {}) {
    this.#s = opts.adopt === true ? state : workingCopy(state);
    this.#keys = keys;
    this.#blobs =
      blobs ??
      (state.version < 0
        ? MemberBlobOverlay.empty()
        : new MemberBlobOverlay(() => {
            throw new RangeError('verifying this state needs its stored member blobs');
          }));
    this.#banned = new Set(this.#s.banned);
    this.#claimed = new Set(this.#s.unresolved ?? []);
    const members = Object.values(this.#s.members);
    this.#memberCount = members.length;
    this.#adminCount = members.filter((m) => m.role === 'admin').length;
  }

  /**
   * A newcomer's snapshot entries carry the account their own proof claims until the background
   * check confirms it (docs/groups.md "How a newcomer joins"). Before a change is judged, every
   * such entry it names (its actor, the members its actions name) gets the account its pseudonym
   * decrypts to, so nothing below reads a claim: the events, the rules and the reuse of accounts
   * all see what a log replay would. A correction stays even if the change is then rejected: it
   * only replaces a claim with the truth.
   */
  #confirmNamed(c: GroupChange): void {
    const state = this.#s;
    const named = [c.actor, ...c.actions.flatMap((a) => ('member' in a ? [a.member] : []))];
    for (const m of named) {
      if (!this.#claimed.has(m) || this.#confirmed.has(m)) continue;
      const x = state.members[m] ?? state.pending[m];
      if (x === undefined) continue;
      const real = this.#keys.accountOf(m);
      if (real === undefined) {
        if (m === c.actor) throw new ChangeRejected('actor-mismatch', 'the actor is not a member pseudonym of this group');
        continue;
      }
      // A new entry, never an edit: the working copy may share its entries with the caller's state.
      if (state.members[m] === x) state.members[m] = { ...state.members[m], accountId: real };
      else state.pending[m] = { ...state.pending[m]!, accountId: real };
      this.#confirmed.add(m);
    }
  }

  /** The verified state so far. Callers must not mutate it while they keep verifying. */
  get state(): GroupState {
    return this.#s;
  }

  /** The member blobs of `state`. */
  get blobs(): MemberBlobOverlay {
    return this.#blobs;
  }

  verify(change: GroupChange): GroupChangeEvent[] {
    const state = this.#s;
    const keys = this.#keys;
    const parsed = GroupChange.safeParse(change);
    if (!parsed.success) throw new ChangeRejected('malformed-change', 'the change does not match the schema');
    const c = parsed.data;
    if (this.#claimed.size > 0) this.#confirmNamed(c);
    // A member's or pending member's account was derived from this same pseudonym when they entered
    // (decryption is deterministic): reuse it rather than decrypt again (a zkgroup decrypt, ~0.3 ms,
    // on every change an admin makes). Anyone else's pseudonym is decrypted.
    const actorAci = state.members[c.actor]?.accountId ?? state.pending[c.actor]?.accountId ?? keys.accountOf(c.actor);
    // The relay checked the actor against the request's presentation, so it is one of this group's pseudonyms.
    if (actorAci === undefined) throw new ChangeRejected('actor-mismatch', 'the actor is not a member pseudonym of this group');

    let effects: GroupEffect[];
    try {
      effects = evaluateChange(this.#view(), c, {
        // No `now`: a client replaying the log checks the signed `at` against the head's and the invite's expiry.
        authenticity: { groupId: keys.groupId, headHash: state.headHash, headAt: state.headAt, verify: verifySignature },
        authorizeInvite: () => {},
        // A checkpoint must name the state this member verified itself (docs/groups.md "Checkpoints").
        stateHash: () => stateHashOf(state, this.#blobs.all()),
      });
    } catch (err) {
      if (err instanceof ProtocolError) {
        const reason = (err.details?.['reason'] as GroupVerificationReason | undefined) ?? 'rule-violation';
        throw new ChangeRejected(reason, `${err.code}: ${err.message}`, { cause: err });
      }
      throw err;
    }
    const identity = enteringAction(c) ? identityOf(keys, c, actorAci) : undefined;

    // Who each action names, read before the change moves them (a removed member is gone after it).
    const names = new Map<string, string | undefined>();
    for (const a of c.actions) if ('member' in a) names.set(a.member, state.members[a.member]?.accountId ?? state.pending[a.member]?.accountId);

    const undo: Undo[] = [];
    try {
      this.#apply(c, actorAci, identity && 'identityKey' in identity ? identity.identityKey : undefined, effects, undo);
      const { version, headHash, headAt } = state;
      undo.push(() => {
        state.version = version;
        state.headHash = headHash;
        state.headAt = headAt;
      });
      state.version = c.version;
      state.headHash = changeHash(c);
      state.headAt = c.at;
    } catch (err) {
      for (const u of undo.reverse()) u();
      throw err;
    }
    const events = eventsOf(state, names, c, actorAci);
    if (identity && 'failure' in identity) events.push({ groupId: state.groupId, version: c.version, type: 'member-unverified', accountId: actorAci, actor: actorAci, reason: identity.failure });
    return events;
  }

  #view(): GroupView {
    const s = this.#s;
    return {
      version: s.version,
      membersCanInvite: s.membersCanInvite,
      memberCount: this.#memberCount,
      adminCount: this.#adminCount,
      member: (m): MemberInfo | undefined => {
        const x = s.members[m];
        return x && { role: x.role, inviteId: x.inviteId, signingKey: x.signingKey };
      },
      pending: (m): PendingInfo | undefined => {
        const x = s.pending[m];
        return x && { inviteId: x.inviteId, signingKey: x.signingKey };
      },
      isBanned: (m) => this.#banned.has(m),
      invite: (id): InviteInfo | undefined => {
        const x = s.invites[id];
        return x && { issuer: x.issuer, expiresAt: x.expiresAt, maxUses: x.maxUses, uses: x.uses, role: x.role, requireApproval: x.requireApproval, revoked: x.revoked, signingKey: x.signingKey };
      },
    };
  }

  /**
   * Applies the rules' effects in place, decrypting what members may read; every mutation is
   * undoable. `identityKey` is the actor's verified identity key for an entering change.
   */
  #apply(c: GroupChange, actorAci: string, identityKey: string | undefined, effects: GroupEffect[], undo: Undo[]): void {
    const s = this.#s;
    const keys = this.#keys;
    const displayName = (blob: string): string => openDisplayName(keys, blob);
    const setMember = (m: string, value: GroupMemberState | undefined) => {
      const before = s.members[m];
      const counts = [this.#memberCount, this.#adminCount] as const;
      undo.push(() => {
        if (before) s.members[m] = before;
        else delete s.members[m];
        [this.#memberCount, this.#adminCount] = counts;
      });
      if (before) {
        this.#memberCount--;
        if (before.role === 'admin') this.#adminCount--;
      }
      if (value) {
        s.members[m] = value;
        this.#memberCount++;
        if (value.role === 'admin') this.#adminCount++;
      } else {
        delete s.members[m];
      }
    };
    const setPending = (m: string, value: GroupPendingState | undefined) => {
      const before = s.pending[m];
      undo.push(() => {
        if (before) s.pending[m] = before;
        else delete s.pending[m];
      });
      if (value) s.pending[m] = value;
      else delete s.pending[m];
    };
    const setInvite = (id: string, value: GroupInviteState) => {
      const before = s.invites[id];
      undo.push(() => {
        if (before) s.invites[id] = before;
        else delete s.invites[id];
      });
      s.invites[id] = value;
    };
    const setScalars = (patch: Partial<Pick<GroupState, 'title' | 'description' | 'announcementsOnly' | 'retentionSeconds' | 'membersCanInvite' | 'attributes' | 'checkpointVersion'>>) => {
      const before = {
        title: s.title,
        description: s.description,
        announcementsOnly: s.announcementsOnly,
        retentionSeconds: s.retentionSeconds,
        membersCanInvite: s.membersCanInvite,
        attributes: s.attributes,
        checkpointVersion: s.checkpointVersion,
      };
      undo.push(() => Object.assign(s, before));
      Object.assign(s, patch);
    };
    const blobs = this.#blobs;
    // Blob rows by pseudonym: a member approved keeps its request's row; one gone from both lists loses it (below).
    const touched = new Set<string>();
    const setBlobs = (m: string, value: { profile?: string | undefined; proof?: string | undefined }) => undo.push(blobs.set(m, value));
    // approve deletes the request before it adds the member: read requests as they were.
    const pendingBefore = (m: string) => s.pending[m];
    const approved = new Map<string, GroupPendingState>();
    for (const e of effects) if (e.type === 'pending.delete' && pendingBefore(e.member)) approved.set(e.member, pendingBefore(e.member)!);

    for (const e of effects) {
      switch (e.type) {
        case 'member.put': {
          const before = s.members[e.member];
          if (before) {
            setMember(e.member, { ...before, role: e.role, inviteId: e.inviteId, ...(e.profile === undefined ? {} : { displayName: displayName(e.profile) }) });
            // The rules never put a profile on a member already in (a join of one is refused); if they did, it replaces the stored one.
            if (e.profile !== undefined) setBlobs(e.member, { ...blobs.get(e.member), profile: e.profile });
          } else if (e.member === c.actor) {
            setMember(e.member, {
              accountId: actorAci,
              role: e.role,
              displayName: e.profile === undefined ? '' : displayName(e.profile),
              identityKey,
              signingKey: e.signingKey,
              inviteId: e.inviteId,
              entered: c.version,
            });
            setBlobs(e.member, { profile: e.profile, proof: c.proof });
          } else {
            const pending = s.pending[e.member] ?? approved.get(e.member);
            if (!pending) throw new ChangeRejected('unknown-member', 'a member was added who never asked to join');
            setMember(e.member, {
              accountId: pending.accountId,
              role: e.role,
              displayName: pending.displayName,
              identityKey: pending.identityKey,
              signingKey: pending.signingKey,
              inviteId: e.inviteId,
              entered: pending.entered,
            });
          }
          break;
        }
        case 'member.delete':
          setMember(e.member, undefined);
          touched.add(e.member);
          break;
        case 'pending.put':
          setPending(e.member, { accountId: actorAci, inviteId: e.inviteId, displayName: displayName(e.profile), identityKey, signingKey: e.signingKey, entered: c.version });
          setBlobs(e.member, { profile: e.profile, proof: c.proof });
          break;
        case 'pending.delete':
          setPending(e.member, undefined);
          touched.add(e.member);
          break;
        case 'banned.put':
          if (!this.#banned.has(e.member)) {
            this.#banned.add(e.member);
            s.banned.push(e.member);
            undo.push(() => {
              this.#banned.delete(e.member);
              s.banned.pop();
            });
          }
          break;
        case 'invite.put':
          setInvite(e.inviteId, { ...e.invite, passwordHash: e.passwordHash });
          break;
        case 'invite.use': {
          const inv = s.invites[e.inviteId];
          if (inv) setInvite(e.inviteId, { ...inv, uses: inv.uses + 1 });
          break;
        }
        case 'invite.revoke': {
          const inv = s.invites[e.inviteId];
          if (inv) setInvite(e.inviteId, { ...inv, revoked: true });
          break;
        }
        case 'attributes.set': {
          // Every attribute is replaced: a blob without retentionSeconds goes back to the default.
          const a = openAttributes(keys, e.attributes);
          setScalars({ title: a.title, description: a.description, announcementsOnly: a.announcementsOnly, retentionSeconds: a.retentionSeconds, attributes: e.attributes });
          break;
        }
        case 'access.set':
          setScalars({ membersCanInvite: e.membersCanInvite });
          break;
        case 'checkpoint.put':
          setScalars({ checkpointVersion: c.version });
          break;
      }
    }
    for (const m of touched) if (!s.members[m] && !s.pending[m]) undo.push(blobs.set(m, null));
  }
}

function eventsOf(after: GroupState, names: Map<string, string | undefined>, c: GroupChange, actor: string): GroupChangeEvent[] {
  const base = { groupId: after.groupId, version: c.version, actor };
  const who = (m: string) => names.get(m) ?? after.members[m]?.accountId;
  const out: GroupChangeEvent[] = [];
  for (const a of c.actions) {
    switch (a.type) {
      case 'create':
        out.push({ ...base, type: 'group-created', accountId: actor });
        break;
      case 'join':
        out.push({ ...base, type: 'member-joined', accountId: actor, inviteId: a.inviteId, role: after.members[c.actor]?.role });
        break;
      case 'requestJoin':
        out.push({ ...base, type: 'join-requested', accountId: actor, inviteId: a.inviteId });
        break;
      case 'approve':
        out.push({ ...base, type: 'member-joined', accountId: who(a.member), role: after.members[a.member]?.role });
        break;
      case 'deny':
        out.push({ ...base, type: 'join-denied', accountId: who(a.member), banned: a.ban });
        break;
      case 'remove':
        out.push({ ...base, type: 'member-removed', accountId: who(a.member), banned: a.ban });
        break;
      case 'leave':
        out.push({ ...base, type: 'member-left', accountId: actor });
        break;
      case 'setRole':
        out.push({ ...base, type: 'role-changed', accountId: who(a.member), role: a.role });
        break;
      case 'setAttributes':
        out.push({ ...base, type: 'title-changed' });
        break;
      case 'setAccess':
        out.push({ ...base, type: 'access-changed' });
        break;
      case 'createInvite':
        out.push({ ...base, type: 'invite-created', accountId: actor, inviteId: a.inviteId, role: a.role });
        break;
      case 'revokeInvite':
        out.push({ ...base, type: 'invite-revoked', accountId: actor, inviteId: a.inviteId });
        break;
    }
  }
  return out;
}
