import { z } from 'zod';
import { canonicalJson } from '../canonical-json.js';
import { LIMITS } from '../limits.js';
import { enteringAction } from './authenticity.js';
import { evaluateRules, type GroupEffect } from './rules.js';
import { ChangeHash, EncryptedAttributes, EncryptedProfile, EncryptedProof, GroupId, InviteId, MemberCiphertext, Role, SigningKey, type GroupChange } from './schemas.js';
import type { GroupView, InviteInfo, MemberInfo, PendingInfo } from './view.js';

/**
 * Checkpoints (docs/groups.md "Checkpoints"): the group state after one change, as one canonical
 * JSON text whose SHA-256 an admin signs into a `checkpoint` change, so a newcomer can start from it
 * instead of version 0. Every field is one the relay already holds in the clear or as a verbatim
 * ciphertext. The relay builds it by replaying its log (`SnapshotBuilder`); a client maps its own
 * verified state onto the same shape. Pure: callers hash the text (SHA-256 of its UTF-8, base64).
 */

const Timestamp = z.int().min(0);

/** A member: what its entering change brought (profile and identity proof verbatim) and its role now. */
export const SnapshotMember = z
  .object({
    role: Role,
    /** Version of the change that brought the member in (for an approved member: its request). */
    entered: z.int().min(0),
    signingKey: SigningKey.optional(),
    inviteId: InviteId.optional(),
    profile: EncryptedProfile.optional(),
    proof: EncryptedProof.optional(),
  })
  .strict();
export type SnapshotMember = z.infer<typeof SnapshotMember>;

export const SnapshotPending = z
  .object({ entered: z.int().min(0), inviteId: InviteId, signingKey: SigningKey.optional(), profile: EncryptedProfile, proof: EncryptedProof.optional() })
  .strict();
export type SnapshotPending = z.infer<typeof SnapshotPending>;

export const SnapshotInvite = z
  .object({
    issuer: MemberCiphertext,
    signingKey: SigningKey.optional(),
    passwordHash: ChangeHash,
    expiresAt: Timestamp,
    maxUses: z.int().min(1),
    uses: z.int().min(0),
    role: Role,
    requireApproval: z.boolean(),
    revoked: z.boolean(),
  })
  .strict();
export type SnapshotInvite = z.infer<typeof SnapshotInvite>;

export const GroupSnapshot = z
  .object({
    v: z.literal(1),
    groupId: GroupId,
    /** The version of the state: the checkpoint change is `version + 1`. */
    version: z.int().min(0),
    /** Hash of the change at `version`: the checkpoint change's `prevHash`. */
    headHash: ChangeHash,
    /** `at` of the change at `version`. */
    headAt: Timestamp,
    /** The latest attributes blob, verbatim. */
    attributes: EncryptedAttributes,
    membersCanInvite: z.boolean(),
    members: z.record(MemberCiphertext, SnapshotMember),
    pending: z.record(MemberCiphertext, SnapshotPending),
    /** Sorted. */
    banned: z.array(MemberCiphertext),
    invites: z.record(InviteId, SnapshotInvite),
  })
  .strict();
export type GroupSnapshot = z.infer<typeof GroupSnapshot>;

/**
 * The text a checkpoint's `stateHash` is the SHA-256 of: canonical JSON of the snapshot (keys sorted
 * at every depth, undefined fields dropped), with the banned list sorted so that two builders that
 * banned in a different order agree.
 */
export function checkpointState(snapshot: GroupSnapshot): string {
  return canonicalJson({ ...snapshot, banned: [...snapshot.banned].sort() });
}

/** Parses a served snapshot text; undefined when it is not a snapshot (the caller names the misbehaviour). */
export function parseSnapshot(text: string): GroupSnapshot | undefined {
  if (text.length > LIMITS.maxCheckpointSnapshotBytes) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = GroupSnapshot.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** The snapshot before version 0 (no state yet); `SnapshotBuilder` starts here for a group without checkpoints. */
export function emptySnapshot(groupId: string): GroupSnapshot {
  return { v: 1, groupId, version: -1, headHash: '', headAt: 0, attributes: '', membersCanInvite: false, members: {}, pending: {}, banned: [], invites: {} };
}

/**
 * Folds already-verified changes into a snapshot, with the same rules every member runs
 * (`evaluateRules`; the chain and the signatures were checked when each change was stored). The
 * relay rebuilds the state a checkpoint names this way, from its newest stored snapshot.
 */
export class SnapshotBuilder implements GroupView {
  readonly #s: GroupSnapshot;
  readonly #banned: Set<string>;
  #memberCount: number;
  #adminCount: number;

  /** Takes ownership of `snapshot` (mutated in place). */
  constructor(snapshot: GroupSnapshot) {
    this.#s = snapshot;
    this.#banned = new Set(snapshot.banned);
    const members = Object.values(snapshot.members);
    this.#memberCount = members.length;
    this.#adminCount = members.filter((m) => m.role === 'admin').length;
  }

  get snapshot(): GroupSnapshot {
    return this.#s;
  }
  get version(): number {
    return this.#s.version;
  }
  get membersCanInvite(): boolean {
    return this.#s.membersCanInvite;
  }
  get memberCount(): number {
    return this.#memberCount;
  }
  get adminCount(): number {
    return this.#adminCount;
  }
  member(m: string): MemberInfo | undefined {
    const x = this.#s.members[m];
    return x && { role: x.role, inviteId: x.inviteId, signingKey: x.signingKey };
  }
  pending(m: string): PendingInfo | undefined {
    const x = this.#s.pending[m];
    return x && { inviteId: x.inviteId, signingKey: x.signingKey };
  }
  isBanned(m: string): boolean {
    return this.#banned.has(m);
  }
  invite(id: string): InviteInfo | undefined {
    const x = this.#s.invites[id];
    if (!x) return undefined;
    const { passwordHash: _hash, ...info } = x;
    return info;
  }

  /** Applies one stored change; `hash` is its chain hash (base64 SHA-256 of its canonical JSON). */
  apply(change: GroupChange, hash: string): void {
    const effects = evaluateRules(this, change, { authorizeInvite: () => {} });
    this.applyEffects(change, effects);
    this.#s.version = change.version;
    this.#s.headHash = hash;
    this.#s.headAt = change.at;
  }

  /** Applies the effects `evaluateChange` returned for `change` (the caller advances the head with `advance`). */
  applyEffects(change: GroupChange, effects: GroupEffect[]): void {
    const s = this.#s;
    const proof = enteringAction(change) ? change.proof : undefined;
    const putMember = (m: string, value: SnapshotMember) => {
      const before = s.members[m];
      if (before) {
        this.#memberCount--;
        if (before.role === 'admin') this.#adminCount--;
      }
      s.members[m] = value;
      this.#memberCount++;
      if (value.role === 'admin') this.#adminCount++;
    };
    // approve deletes the request before it adds the member: keep what the request brought.
    const approved = new Map<string, SnapshotPending>();
    for (const e of effects) {
      switch (e.type) {
        case 'member.put': {
          const before = s.members[e.member];
          if (before) {
            putMember(e.member, withoutUndefined({ ...before, role: e.role, inviteId: e.inviteId, profile: e.profile ?? before.profile }));
          } else if (e.member === change.actor) {
            putMember(e.member, withoutUndefined({ role: e.role, entered: change.version, signingKey: e.signingKey, inviteId: e.inviteId, profile: e.profile, proof }));
          } else {
            const p = s.pending[e.member] ?? approved.get(e.member);
            putMember(e.member, withoutUndefined({ role: e.role, entered: p?.entered ?? change.version, signingKey: p?.signingKey ?? e.signingKey, inviteId: e.inviteId, profile: p?.profile, proof: p?.proof }));
          }
          break;
        }
        case 'member.delete': {
          const before = s.members[e.member];
          if (before) {
            this.#memberCount--;
            if (before.role === 'admin') this.#adminCount--;
            delete s.members[e.member];
          }
          break;
        }
        case 'pending.put':
          s.pending[e.member] = withoutUndefined({ entered: change.version, inviteId: e.inviteId, signingKey: e.signingKey, profile: e.profile, proof });
          break;
        case 'pending.delete': {
          const p = s.pending[e.member];
          if (p) approved.set(e.member, p);
          delete s.pending[e.member];
          break;
        }
        case 'banned.put':
          if (!this.#banned.has(e.member)) {
            this.#banned.add(e.member);
            s.banned.push(e.member);
          }
          break;
        case 'invite.put':
          s.invites[e.inviteId] = withoutUndefined({ ...e.invite, passwordHash: e.passwordHash });
          break;
        case 'invite.use': {
          const inv = s.invites[e.inviteId];
          if (inv) inv.uses++;
          break;
        }
        case 'invite.revoke': {
          const inv = s.invites[e.inviteId];
          if (inv) inv.revoked = true;
          break;
        }
        case 'attributes.set':
          s.attributes = e.attributes;
          break;
        case 'access.set':
          s.membersCanInvite = e.membersCanInvite;
          break;
        case 'checkpoint.put':
          break;
      }
    }
  }
}

/** Drops undefined fields, so a snapshot compares and serializes the same whoever built it. */
function withoutUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
