import { createHash, timingSafeEqual } from 'node:crypto';
import { GroupPublicParams } from '@signalapp/libsignal-client/dist/zkgroup/index.js';
import {
  canonicalJson,
  checkpointState,
  emptySnapshot,
  evaluateChange,
  LIMITS,
  parseSnapshot,
  SnapshotBuilder,
  ProtocolError,
  type AppendChangeRequest,
  type ChangesResponse,
  type CheckpointResponse,
  type CreateGroupRequest,
  type GroupChange,
  type GroupEffect,
  type GroupView,
  type InviteInfo,
  type JoinInfoResponse,
  type MemberInfo,
  type PendingInfo,
} from '@aviso/protocol';
import type { Synchronous } from '../../ports/maybe-promise.js';
import type { Transactor } from '../../ports/transactor.js';
import type { GroupRecord, GroupsStore, InviteRecord } from '../../ports/groups.js';
import { fromBase64, toBase64 } from '../shared/bytes.js';
import { MINUTE_MS, type Clock } from '../shared/clock.js';
import type { GroupAuthService } from './group-auth.js';
import { verifySignature } from './signatures.js';

/** What a group request carries instead of account credentials (raw header values). */
export interface GroupCredentials {
  /** `aviso-group-auth`: base64 AuthCredentialPresentation. */
  presentation?: string | undefined;
  /** `aviso-invite-password`: base64 relay password of an invite. */
  invitePassword?: string | undefined;
}

/**
 * Changes a checkpoint's preparation replays per turn of the event loop: a few milliseconds of work,
 * so other members' requests and deliveries are served between slices.
 */
const PREPARE_SLICE = 200;
/**
 * Groups whose snapshot builder stays in memory for their next checkpoint. One 10,000-member
 * group's is tens of MiB; without it each checkpoint starts again from the stored snapshot.
 */
const KEPT_BUILDERS = 2;

/** Base64 SHA-256 of stored text: a change's chain hash (its canonical JSON), a snapshot's state hash. */
const chainHash = (text: string): string => createHash('sha256').update(text, 'utf8').digest('base64');

// Longer than any base64 of a 32-byte password; anything bigger is not worth hashing.
const MAX_PASSWORD_HEADER = 256;

/**
 * Private groups on ciphertexts. Every check is `evaluateChange` from the protocol package (the same
 * code clients run on the log): the chain link, the actor's and the invite's signatures, the time,
 * then the rules. So the relay stores only changes every member will verify, and one hostile request
 * cannot freeze a group. This service only authenticates, loads state and the head, and applies the
 * effects with the log row and the version bump in one transaction.
 */
export class GroupsService {
  /** Snapshot builders kept between checkpoints, oldest first (see `prepareSnapshot`). */
  private readonly builders = new Map<string, SnapshotBuilder>();
  private readonly preparing = new Map<string, Promise<SnapshotBuilder>>();

  constructor(
    private readonly deps: { groups: Synchronous<GroupsStore>; auth: GroupAuthService; transaction: Transactor; clock: Clock },
  ) {}

  /** `PUT /v1/groups/:groupId`: the group and its version-0 change. */
  create(groupId: string, req: CreateGroupRequest, creds: GroupCredentials): { version: number } {
    const publicParams = fromBase64(req.publicParams);
    if (groupIdOf(publicParams) !== groupId) throw new ProtocolError('BAD_REQUEST', 'the group id does not match the public params');
    const actor = this.deps.auth.verify(creds.presentation, publicParams);
    if (req.change.actor !== actor) throw new ProtocolError('FORBIDDEN', 'the change must be made by the presenting member');
    const now = this.deps.clock.now();
    this.deps.transaction(() => {
      const existing = this.deps.groups.get(groupId);
      if (existing) throw conflict('the group already exists', existing.version);
      const effects = this.evaluate(EMPTY_GROUP, req.change, groupId, creds, now, { hash: ZERO_HASH, at: undefined });
      this.deps.groups.insert({ id: groupId, publicParams, version: 0, attributes: new Uint8Array(0), membersCanInvite: false });
      this.apply(groupId, effects);
      this.deps.groups.appendChange(groupId, logRow(req.change, now));
    });
    return { version: 0 };
  }

  /** `POST /v1/groups/:groupId/changes`: one change at version = current + 1. */
  async append(groupId: string, req: AppendChangeRequest, creds: GroupCredentials): Promise<{ version: number }> {
    const group = this.group(groupId);
    const actor = this.deps.auth.verify(creds.presentation, group.publicParams);
    const { change } = req;
    if (change.actor !== actor) throw new ProtocolError('FORBIDDEN', 'the change must be made by the presenting member');
    // A checkpoint needs the relay's own snapshot of the state before it. Replaying the log for it
    // (a group's first checkpoint replays all of it) runs here, a slice per turn of the event loop,
    // not inside the write transaction, where it would hold up every other member's delivery. First
    // every other check, on the state as it is now: a change refused anyway (a forged signature under
    // a replayed admin presentation, a stale or replayed change, a non-admin's) costs no replay.
    const isCheckpoint = change.actions.some((a) => a.type === 'checkpoint');
    if (isCheckpoint) this.checkBeforeSnapshot(groupId, change, creds);
    const prepared = isCheckpoint ? await this.prepareSnapshot(groupId) : undefined;
    const now = this.deps.clock.now();
    this.deps.transaction(() => {
      const current = this.group(groupId); // re-read under the write lock
      // Asked by the rules for a checkpoint only: the relay's own snapshot of the state before it.
      let snapshot: string | undefined;
      const stateHash = () => {
        snapshot = this.snapshotAt(groupId, current.version, prepared);
        if (Buffer.byteLength(snapshot, 'utf8') > LIMITS.maxCheckpointSnapshotBytes) {
          throw new ProtocolError('GROUP_CHANGE_INVALID', 'the group state is too large for a checkpoint', { details: { reason: 'snapshot-too-large' } });
        }
        return chainHash(snapshot);
      };
      const effects = this.evaluate(new SqlGroupView(this.deps.groups, current), change, groupId, creds, now, this.head(groupId, current.version), stateHash);
      // evaluateChange already checked the version; this guards the row itself.
      if (!this.deps.groups.bumpVersion(groupId, change.version - 1)) throw conflict('the group moved on', current.version);
      this.apply(groupId, effects);
      if (snapshot !== undefined && effects.some((e) => e.type === 'checkpoint.put')) {
        this.deps.groups.putCheckpoint(groupId, { version: change.version, snapshot }, LIMITS.maxStoredCheckpoints);
      }
      this.deps.groups.appendChange(groupId, logRow(change, now));
    });
    return { version: change.version };
  }

  /**
   * Everything `evaluateChange` checks but the snapshot's hash (the chain link, the version, the
   * time, the actor's signature, the rules, the admin role among them), against the group now. The
   * write transaction checks it all again after the replay, when the group may have moved on
   * (GROUP_CONFLICT then, as for any racing change): one more signature verify per checkpoint.
   */
  private checkBeforeSnapshot(groupId: string, change: GroupChange, creds: GroupCredentials): void {
    const current = this.group(groupId);
    this.evaluate(new SqlGroupView(this.deps.groups, current), change, groupId, creds, this.deps.clock.now(), this.head(groupId, current.version));
  }

  /**
   * `GET /v1/groups/:groupId/changes`: for current and pending members, by presentation only. An
   * invite password reads the join info and nothing more (docs/groups.md "What an invite password
   * alone reveals"): a joiner verifies the log after its join, as a member. Anyone else, removed and
   * banned members included, gets NOT_A_MEMBER or BANNED.
   */
  changes(groupId: string, from: number, limit: number | undefined, creds: GroupCredentials): ChangesResponse {
    const group = this.readerGroup(groupId, creds);
    const rows = this.deps.groups.changes(groupId, from, limit ?? LIMITS.maxGroupChangesPerFetch);
    return {
      publicParams: toBase64(group.publicParams),
      currentVersion: group.version,
      changes: rows.map((r) => ({ ...(JSON.parse(r.body) as GroupChange), receivedAt: r.receivedAt })),
    };
  }

  /**
   * `GET /v1/groups/:groupId/checkpoint?atOrBefore=N`: the newest stored checkpoint at or before N,
   * for the same readers as the log. NOT_FOUND when there is none (the reader fetches from version 0).
   */
  checkpoint(groupId: string, atOrBefore: number, creds: GroupCredentials): CheckpointResponse {
    this.readerGroup(groupId, creds);
    const row = this.deps.groups.checkpointAtOrBefore(groupId, atOrBefore);
    if (!row) throw new ProtocolError('NOT_FOUND', 'no checkpoint at or before this version');
    return { version: row.version, snapshot: row.snapshot };
  }

  /** `GET /v1/groups/:groupId/join/:inviteId`: what a holder of a live invite sees before joining. */
  joinInfo(groupId: string, inviteId: string, creds: GroupCredentials): JoinInfoResponse {
    const group = this.group(groupId);
    if (creds.presentation !== undefined) {
      // Optional: the password is the authority here; a presentation, if sent, must still be valid.
      const member = this.deps.auth.verify(creds.presentation, group.publicParams);
      if (this.deps.groups.isBanned(groupId, member)) throw new ProtocolError('BANNED', 'this member is banned from the group');
    }
    const invite = this.deps.groups.invite(groupId, inviteId);
    if (!invite || creds.invitePassword === undefined || !passwordMatches(invite, creds.invitePassword) || !isLive(invite, this.deps.clock.now())) {
      throw new ProtocolError('INVITE_INVALID', 'the invite is unknown, revoked, expired or used up, or the password is wrong');
    }
    const head = this.head(groupId, group.version);
    return {
      publicParams: toBase64(group.publicParams),
      currentVersion: group.version,
      headHash: head.hash,
      headAt: head.at ?? 0,
      attributes: toBase64(group.attributes),
      memberCount: this.deps.groups.memberCount(groupId),
      requireApproval: invite.requireApproval,
      role: invite.role,
    };
  }

  /** The group, for a current or pending member's presentation (the log's readers). */
  private readerGroup(groupId: string, creds: GroupCredentials): GroupRecord {
    const group = this.group(groupId);
    if (creds.presentation === undefined) throw new ProtocolError('UNAUTHORIZED', 'the log is for members: send a presentation (an invite password reads only the join info)');
    const member = this.deps.auth.verify(creds.presentation, group.publicParams);
    const allowed = this.deps.groups.member(groupId, member) !== undefined || this.deps.groups.pending(groupId, member) !== undefined;
    if (!allowed) {
      if (this.deps.groups.isBanned(groupId, member)) throw new ProtocolError('BANNED', 'this member is banned from the group');
      throw new ProtocolError('NOT_A_MEMBER', 'not a member of this group');
    }
    return group;
  }

  /**
   * `checkpointState` of the group at `version`, rebuilt from the newest stored snapshot before it
   * and the log after (the changes were checked when they were stored; the rules are replayed).
   * Reads at most the changes since the last checkpoint: with admins checkpointing every 1,000
   * changes, about that many; a group's first checkpoint replays its whole log once.
   */
  private snapshotAt(groupId: string, version: number, prepared?: SnapshotBuilder): string {
    // A prepared builder is at most a few changes behind (those stored while it was prepared).
    const builder = prepared !== undefined && this.continues(groupId, prepared, version) ? prepared : this.builderFromStored(groupId, version);
    while (builder.version < version) this.replay(builder, groupId, version - builder.version);
    return checkpointState(builder.snapshot);
  }

  /** Whether `builder` is on this group's stored log at or before `version` (its head is the stored change there). */
  private continues(groupId: string, builder: SnapshotBuilder, version: number): boolean {
    if (builder.version > version) return false;
    if (builder.version < 0) return true; // the empty group, before version 0
    const row = this.deps.groups.change(groupId, builder.version);
    return row !== undefined && chainHash(row.body) === builder.snapshot.headHash;
  }

  /** A builder at the newest stored checkpoint at or before `version` (the empty group if none). */
  private builderFromStored(groupId: string, version: number): SnapshotBuilder {
    const base = this.deps.groups.checkpointAtOrBefore(groupId, version);
    const start = base ? parseSnapshot(base.snapshot) : emptySnapshot(groupId);
    if (!start) throw new Error(`group ${groupId}: the stored checkpoint at ${base?.version} does not parse`);
    return new SnapshotBuilder(start);
  }

  /** Folds the next stored changes (at most `count`, at most one fetch's worth) into `builder`. */
  private replay(builder: SnapshotBuilder, groupId: string, count: number): void {
    const from = builder.version + 1;
    const rows = this.deps.groups.changes(groupId, from, Math.min(LIMITS.maxGroupChangesPerFetch, count));
    if (rows.length === 0) throw new Error(`group ${groupId}: no change at ${from}`);
    for (const row of rows) builder.apply(JSON.parse(row.body) as GroupChange, chainHash(row.body));
  }

  /**
   * A builder at the group's head, replayed `PREPARE_SLICE` changes per turn of the event loop. Kept
   * for the next checkpoint of the same group (at most `KEPT_BUILDERS` groups), which then replays only
   * the changes since; concurrent preparations of one group share one replay.
   */
  private prepareSnapshot(groupId: string): Promise<SnapshotBuilder> {
    const running = this.preparing.get(groupId);
    if (running) return running;
    const done = this.catchUp(groupId).finally(() => this.preparing.delete(groupId));
    this.preparing.set(groupId, done);
    return done;
  }

  private async catchUp(groupId: string): Promise<SnapshotBuilder> {
    const head = this.group(groupId).version;
    let builder = this.builders.get(groupId);
    const stored = this.deps.groups.checkpointAtOrBefore(groupId, head);
    // A stored checkpoint newer than the kept builder is a shorter way to the head.
    if (builder === undefined || !this.continues(groupId, builder, head) || (stored !== undefined && stored.version > builder.version)) builder = this.builderFromStored(groupId, head);
    this.builders.delete(groupId);
    while (builder.version < this.group(groupId).version) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.replay(builder, groupId, Math.min(PREPARE_SLICE, this.group(groupId).version - builder.version));
    }
    this.builders.set(groupId, builder);
    for (const oldest of this.builders.keys()) {
      if (this.builders.size <= KEPT_BUILDERS) break;
      this.builders.delete(oldest);
    }
    return builder;
  }

  private group(groupId: string): GroupRecord {
    const group = this.deps.groups.get(groupId);
    if (!group) throw new ProtocolError('NOT_FOUND', 'no such group');
    return group;
  }

  /** Hash and `at` of the change at `version`, what the next change must chain to (one indexed read). */
  private head(groupId: string, version: number): { hash: string; at: number | undefined } {
    const row = this.deps.groups.change(groupId, version);
    if (!row) throw new Error(`group ${groupId} has no change at its version ${version}`);
    const at = (JSON.parse(row.body) as { at?: unknown }).at;
    return { hash: chainHash(row.body), at: typeof at === 'number' ? at : undefined };
  }

  private evaluate(
    view: GroupView,
    change: GroupChange,
    groupId: string,
    creds: GroupCredentials,
    now: number,
    head: { hash: string; at: number | undefined },
    stateHash?: () => string,
  ): GroupEffect[] {
    try {
      return evaluateChange(view, change, {
        authenticity: { groupId, headHash: head.hash, headAt: head.at, now, verify: verifySignature },
        now,
        stateHash,
        authorizeInvite: (inviteId) => {
          const invite = this.deps.groups.invite(groupId, inviteId);
          if (!invite || creds.invitePassword === undefined || !passwordMatches(invite, creds.invitePassword)) {
            throw new ProtocolError('INVITE_INVALID', 'wrong or missing invite password');
          }
        },
      });
    } catch (err) {
      if (err instanceof ProtocolError && err.code === 'GROUP_CONFLICT') throw conflict(err.message, view.version >= 0 ? view.version : undefined);
      throw err;
    }
  }

  private apply(groupId: string, effects: GroupEffect[]): void {
    const repo = this.deps.groups;
    // An approved request's member row takes the profile the request carried.
    const approvedProfiles = new Map<string, Uint8Array>();
    for (const e of effects) {
      switch (e.type) {
        case 'member.put':
          repo.putMember(groupId, e.member, e.role, e.inviteId, e.profile !== undefined ? fromBase64(e.profile) : approvedProfiles.get(e.member), e.signingKey);
          break;
        case 'member.delete':
          repo.deleteMember(groupId, e.member);
          break;
        case 'pending.put':
          repo.putPending(groupId, e.member, e.inviteId, fromBase64(e.profile), e.signingKey);
          break;
        case 'pending.delete': {
          const pending = repo.pending(groupId, e.member);
          if (pending) approvedProfiles.set(e.member, pending.profile);
          repo.deletePending(groupId, e.member);
          break;
        }
        case 'banned.put':
          repo.ban(groupId, e.member);
          break;
        case 'invite.put':
          repo.putInvite(groupId, { ...e.invite, inviteId: e.inviteId, passwordHash: fromBase64(e.passwordHash) });
          break;
        case 'invite.use':
          repo.useInvite(groupId, e.inviteId);
          break;
        case 'invite.revoke':
          repo.revokeInvite(groupId, e.inviteId);
          break;
        case 'attributes.set':
          repo.setAttributes(groupId, fromBase64(e.attributes));
          break;
        case 'access.set':
          repo.setMembersCanInvite(groupId, e.membersCanInvite);
          break;
        case 'checkpoint.put':
          break; // stored by append, which holds the snapshot
      }
    }
  }
}

/** hex(GroupIdentifier) of serialized public params; BAD_REQUEST if libsignal rejects them. */
function groupIdOf(publicParams: Uint8Array<ArrayBuffer>): string {
  try {
    return Buffer.from(new GroupPublicParams(publicParams).getGroupIdentifier().serialize()).toString('hex');
  } catch (err) {
    throw new ProtocolError('BAD_REQUEST', 'invalid group public params', { cause: err });
  }
}

function conflict(message: string, currentVersion: number | undefined): ProtocolError {
  return new ProtocolError('GROUP_CONFLICT', message, currentVersion === undefined ? {} : { details: { currentVersion } });
}

/** The stored log row: the change as canonical JSON (what clients hash), received time to the minute. */
function logRow(change: GroupChange, now: number) {
  return { version: change.version, body: canonicalJson(change), receivedAt: Math.floor(now / MINUTE_MS) * MINUTE_MS };
}

function passwordHash(passwordB64: string): Buffer | undefined {
  if (passwordB64.length === 0 || passwordB64.length > MAX_PASSWORD_HEADER) return undefined;
  return createHash('sha256').update(Buffer.from(passwordB64, 'base64')).digest();
}

function passwordMatches(invite: InviteRecord, passwordB64: string): boolean {
  const hash = passwordHash(passwordB64);
  return hash !== undefined && invite.passwordHash.length === hash.length && timingSafeEqual(hash, invite.passwordHash);
}

const ZERO_HASH = toBase64(new Uint8Array(32));

function isLive(invite: InviteInfo, now: number): boolean {
  return !invite.revoked && now < invite.expiresAt && invite.uses < invite.maxUses;
}

/** The state before version 0. */
const EMPTY_GROUP: GroupView = {
  version: -1,
  membersCanInvite: false,
  memberCount: 0,
  adminCount: 0,
  member: () => undefined,
  pending: () => undefined,
  isBanned: () => false,
  invite: () => undefined,
};

/** A read-only view of one group straight from SQL, for `evaluateChange` (inside the write transaction). */
class SqlGroupView implements GroupView {
  readonly version: number;
  readonly membersCanInvite: boolean;
  // Counting scans the group's rows, so it happens only when a rule needs it (joins, leaving, roles).
  #memberCount: number | undefined;
  #adminCount: number | undefined;

  constructor(
    private readonly repo: Synchronous<GroupsStore>,
    private readonly group: GroupRecord,
  ) {
    this.version = group.version;
    this.membersCanInvite = group.membersCanInvite;
  }
  get memberCount(): number {
    return (this.#memberCount ??= this.repo.memberCount(this.group.id));
  }
  get adminCount(): number {
    return (this.#adminCount ??= this.repo.adminCount(this.group.id));
  }
  member(m: string): MemberInfo | undefined {
    const row = this.repo.member(this.group.id, m);
    return row && { role: row.role, inviteId: row.inviteId, signingKey: row.signingKey };
  }
  pending(m: string): PendingInfo | undefined {
    const row = this.repo.pending(this.group.id, m);
    return row && { inviteId: row.inviteId, signingKey: row.signingKey };
  }
  isBanned(m: string): boolean {
    return this.repo.isBanned(this.group.id, m);
  }
  invite(inviteId: string): InviteInfo | undefined {
    const row = this.repo.invite(this.group.id, inviteId);
    if (!row) return undefined;
    const { inviteId: _id, passwordHash: _hash, ...info } = row;
    return info;
  }
}
