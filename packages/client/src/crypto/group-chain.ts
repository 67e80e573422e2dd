import { PublicKey, type IdentityKeyPair } from '@signalapp/libsignal-client';
import { z } from 'zod';
import {
  canonicalJson,
  evaluateChange,
  GroupChange,
  ProtocolError,
  type GroupAction,
  type GroupEffect,
  type GroupView,
  type InviteInfo,
  type MemberInfo,
  type PendingInfo,
  type Role,
} from '@aviso/protocol';
import { fromBase64, toBase64 } from '../util/bytes.js';
import { inviteMac, sameBytes, sha256, ZERO_HASH, type GroupKeys } from './group-keys.js';

/**
 * The verified state of a group and the pure step that extends it by one change
 * (docs/groups.md "The change log"). The state is a plain JSON value (binary fields base64) so
 * stores can persist it as is. Nothing here does I/O: the caller feeds relay data in and commits the
 * returned state.
 */

export interface GroupMemberState {
  accountId: string;
  role: Role;
  displayName: string;
  /** Serialized identity public key (base64) from the proof of the change that brought them in. */
  identityKey: string;
  /** The invite they joined with; absent for the creator. */
  inviteId?: string | undefined;
}

export interface GroupPendingState {
  accountId: string;
  inviteId: string;
  displayName: string;
  identityKey: string;
}

export interface GroupInviteState extends InviteInfo {
  passwordHash: string;
  /** From the invite's sealed blob; undefined if it did not decrypt (no join through it then verifies). */
  memberMacKey?: string | undefined;
}

export interface GroupState {
  groupId: string;
  /** -1 before the create change. */
  version: number;
  /** SHA-256 (base64) of the change at `version`; 32 zero bytes before the create change. */
  headHash: string;
  title: string;
  description: string;
  membersCanInvite: boolean;
  /** Only admins may send alerts (from the encrypted attributes; absent in states stored before it existed). */
  announcementsOnly?: boolean | undefined;
  /** By pseudonym (base64 member ciphertext). */
  members: Record<string, GroupMemberState>;
  pending: Record<string, GroupPendingState>;
  banned: string[];
  /** By invite id (base64). */
  invites: Record<string, GroupInviteState>;
}

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
  | 'removed-from-group';

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
}

export type GroupVerificationReason =
  | 'malformed-change'
  | 'proof-undecryptable'
  | 'actor-mismatch'
  | 'prev-hash-mismatch'
  | 'unknown-actor-key'
  | 'identity-key-mismatch'
  | 'bad-signature'
  | 'bad-invite-mac'
  | 'rule-violation'
  | 'unknown-member';

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

/** The decrypted `proof` blob. */
export const ChangeProof = z.object({
  v: z.literal(1),
  actorAci: z.uuid().transform((s) => s.toLowerCase()),
  actorIdentityKey: z.base64(),
  prevHash: z.base64(),
  signature: z.base64(),
  inviteMac: z.base64().optional(),
});
export type ChangeProof = z.infer<typeof ChangeProof>;

const Attributes = z.object({ v: z.literal(1), title: z.string(), description: z.string().default(''), announcementsOnly: z.boolean().default(false) });
const Profile = z.object({ v: z.literal(1), displayName: z.string() });
const SealedInvite = z.object({ v: z.literal(1), memberMacKey: z.base64() });

/**
 * The bytes an actor signs: UTF-8 of
 * `canonicalJson(["aviso-group-change-v1", groupIdHex, version, actorBase64, actions, prevHashBase64])`
 * (keys of every action object sorted, undefined fields dropped; base64 is the standard alphabet).
 */
export function signedChangeBytes(groupId: string, version: number, actor: string, actions: GroupAction[], prevHash: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(canonicalJson(['aviso-group-change-v1', groupId, version, actor, actions, prevHash]), 'utf8'));
}

/** SHA-256 of UTF-8 `canonicalJson({version, actor, actions, proof})`, base64: the chain link. */
export function changeHash(change: GroupChange): string {
  const { version, actor, actions, proof } = change;
  return toBase64(sha256(canonicalJson({ version, actor, actions, proof })));
}

export interface BuildChangeInput {
  state: GroupState;
  keys: GroupKeys;
  accountId: string;
  identityKeyPair: IdentityKeyPair;
  actions: GroupAction[];
  /** For join and requestJoin: the invite's member MAC key. */
  memberMacKey?: Uint8Array | undefined;
}

/** Makes the next change (version = state.version + 1), signed and chained to the state's head. */
export function buildChange(input: BuildChangeInput): GroupChange {
  const { state, keys, actions } = input;
  const version = state.version + 1;
  const actor = keys.pseudonym(input.accountId);
  const identityKey = toBase64(input.identityKeyPair.publicKey.serialize());
  const signature = input.identityKeyPair.privateKey.sign(signedChangeBytes(keys.groupId, version, actor, actions, state.headHash));
  const proof: ChangeProof = {
    v: 1,
    actorAci: input.accountId,
    actorIdentityKey: identityKey,
    prevHash: state.headHash,
    signature: toBase64(signature),
    ...(input.memberMacKey ? { inviteMac: toBase64(inviteMac(input.memberMacKey, keys.groupId, version, actor, identityKey)) } : {}),
  };
  return { version, actor, actions, proof: keys.sealJson(proof) };
}

/**
 * Verifies one change against the verified state and returns the state after it, plus events.
 * Throws ChangeRejected (and changes nothing) if the proof does not decrypt, the actor is not the
 * proof's account, the chain link, signature or invite MAC is wrong, or the shared rules refuse it.
 * Invite expiry is not checked: only the relay's clock at the time could say.
 */
export function verifyChange(state: GroupState, change: GroupChange, keys: GroupKeys): { state: GroupState; events: GroupChangeEvent[] } {
  const verifier = new ChainVerifier(state, keys);
  const events = verifier.verify(change);
  return { state: verifier.state, events };
}

type Undo = () => void;

/**
 * Verifies a run of changes against one working copy of the state. Copying the whole state for
 * every change made joining a 10,000-member group quadratic (minutes); here the state is copied once,
 * each change mutates it in place with an undo log, and member and admin counts are kept as running
 * totals. A rejected change is undone, so `state` is always the last verified one.
 */
export class ChainVerifier {
  readonly #s: GroupState;
  readonly #keys: GroupKeys;
  readonly #banned: Set<string>;
  #memberCount: number;
  #adminCount: number;

  constructor(state: GroupState, keys: GroupKeys) {
    this.#s = structuredClone(state);
    this.#keys = keys;
    this.#banned = new Set(this.#s.banned);
    const members = Object.values(this.#s.members);
    this.#memberCount = members.length;
    this.#adminCount = members.filter((m) => m.role === 'admin').length;
  }

  /** The verified state so far. Callers must not mutate it while they keep verifying. */
  get state(): GroupState {
    return this.#s;
  }

  verify(change: GroupChange): GroupChangeEvent[] {
    const state = this.#s;
    const keys = this.#keys;
    const parsed = GroupChange.safeParse(change);
    if (!parsed.success) throw new ChangeRejected('malformed-change', 'the change does not match the schema');
    const c = parsed.data;
    const proof = ChangeProof.safeParse(keys.openJson(c.proof));
    if (!proof.success) throw new ChangeRejected('proof-undecryptable', `the proof of version ${c.version} does not decrypt`);
    const p = proof.data;
    const actorAci = keys.accountOf(c.actor);
    if (actorAci === undefined || actorAci !== p.actorAci) throw new ChangeRejected('actor-mismatch', 'the actor is not the account named in the proof');
    if (p.prevHash !== state.headHash) throw new ChangeRejected('prev-hash-mismatch', `version ${c.version} does not chain to the verified head`);

    const first = c.actions[0];
    const entering = first?.type === 'create' || first?.type === 'join' || first?.type === 'requestJoin';
    const recorded = state.members[c.actor]?.identityKey;
    let keyB64: string;
    if (entering) keyB64 = p.actorIdentityKey;
    else if (recorded !== undefined) keyB64 = recorded;
    else throw new ChangeRejected('unknown-actor-key', 'the actor is not a member of the verified state');
    if (!entering && p.actorIdentityKey !== recorded) throw new ChangeRejected('identity-key-mismatch', 'the proof names a different identity key than the member joined with');
    let ok = false;
    try {
      ok = PublicKey.deserialize(fromBase64(keyB64)).verify(signedChangeBytes(keys.groupId, c.version, c.actor, c.actions, p.prevHash), fromBase64(p.signature));
    } catch {
      ok = false;
    }
    if (!ok) throw new ChangeRejected('bad-signature', `the signature of version ${c.version} does not verify`);

    let effects: GroupEffect[];
    try {
      effects = evaluateChange(this.#view(), c, {
        authorizeInvite: (inviteId) => {
          const macKey = state.invites[inviteId]?.memberMacKey;
          const expected = macKey === undefined ? undefined : inviteMac(fromBase64(macKey), keys.groupId, c.version, c.actor, p.actorIdentityKey);
          if (!expected || p.inviteMac === undefined || !sameBytes(expected, fromBase64(p.inviteMac))) {
            throw new ChangeRejected('bad-invite-mac', 'the join does not carry a valid invite MAC');
          }
        },
      });
    } catch (err) {
      if (err instanceof ChangeRejected) throw err;
      if (err instanceof ProtocolError) throw new ChangeRejected('rule-violation', `${err.code}: ${err.message}`, { cause: err });
      throw err;
    }

    // Who each action names, read before the change moves them (a removed member is gone after it).
    const names = new Map<string, string | undefined>();
    for (const a of c.actions) if ('member' in a) names.set(a.member, state.members[a.member]?.accountId ?? state.pending[a.member]?.accountId);

    const undo: Undo[] = [];
    try {
      this.#apply(c, p, effects, undo);
      const { version, headHash } = state;
      undo.push(() => {
        state.version = version;
        state.headHash = headHash;
      });
      state.version = c.version;
      state.headHash = changeHash(c);
    } catch (err) {
      for (const u of undo.reverse()) u();
      throw err;
    }
    return eventsOf(state, names, c, actorAci);
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
        return x && { role: x.role, inviteId: x.inviteId };
      },
      pending: (m): PendingInfo | undefined => {
        const x = s.pending[m];
        return x && { inviteId: x.inviteId };
      },
      isBanned: (m) => this.#banned.has(m),
      invite: (id): InviteInfo | undefined => {
        const x = s.invites[id];
        return x && { issuer: x.issuer, expiresAt: x.expiresAt, maxUses: x.maxUses, uses: x.uses, role: x.role, requireApproval: x.requireApproval, revoked: x.revoked };
      },
    };
  }

  /** Applies the rules' effects in place, decrypting what members may read; every mutation is undoable. */
  #apply(c: GroupChange, p: ChangeProof, effects: GroupEffect[], undo: Undo[]): void {
    const s = this.#s;
    const keys = this.#keys;
    const displayName = (blob: string): string => {
      const v = Profile.safeParse(keys.openJson(blob));
      return v.success ? v.data.displayName : '';
    };
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
    const setScalars = (patch: Partial<Pick<GroupState, 'title' | 'description' | 'announcementsOnly' | 'membersCanInvite'>>) => {
      const before = { title: s.title, description: s.description, announcementsOnly: s.announcementsOnly, membersCanInvite: s.membersCanInvite };
      undo.push(() => Object.assign(s, before));
      Object.assign(s, patch);
    };
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
          } else if (e.member === c.actor) {
            setMember(e.member, { accountId: p.actorAci, role: e.role, displayName: e.profile === undefined ? '' : displayName(e.profile), identityKey: p.actorIdentityKey, inviteId: e.inviteId });
          } else {
            const pending = s.pending[e.member] ?? approved.get(e.member);
            if (!pending) throw new ChangeRejected('unknown-member', 'a member was added who never asked to join');
            setMember(e.member, { accountId: pending.accountId, role: e.role, displayName: pending.displayName, identityKey: pending.identityKey, inviteId: e.inviteId });
          }
          break;
        }
        case 'member.delete':
          setMember(e.member, undefined);
          break;
        case 'pending.put':
          setPending(e.member, { accountId: p.actorAci, inviteId: e.inviteId, displayName: displayName(e.profile), identityKey: p.actorIdentityKey });
          break;
        case 'pending.delete':
          setPending(e.member, undefined);
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
        case 'invite.put': {
          const sealed = SealedInvite.safeParse(keys.openJson(e.sealed));
          setInvite(e.inviteId, { ...e.invite, passwordHash: e.passwordHash, memberMacKey: sealed.success ? sealed.data.memberMacKey : undefined });
          break;
        }
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
          const a = Attributes.safeParse(keys.openJson(e.attributes));
          setScalars({
            title: a.success ? a.data.title : '',
            description: a.success ? a.data.description : '',
            announcementsOnly: a.success ? a.data.announcementsOnly : false,
          });
          break;
        }
        case 'access.set':
          setScalars({ membersCanInvite: e.membersCanInvite });
          break;
      }
    }
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
