import { randomBytes } from 'node:crypto';
import type { IdentityKeyPair } from '@signalapp/libsignal-client';
import {
  ChangesResponse,
  CheckpointResponse,
  ENDPOINTS,
  GROUP_HEADERS,
  inviteIdPathSegment,
  LIMITS,
  parseSnapshot,
  RETENTION_LIMITS,
  type GroupChange,
  type Role,
} from '@aviso/protocol';
import { z } from 'zod';
import type { Account } from '../account/account.js';
import { DAY_SECONDS } from '../crypto/group-auth.js';
import {
  buildChange,
  changeHash,
  ChainVerifier,
  ChangeRejected,
  emptyGroupState,
  verifyChange,
  type GroupChangeEvent,
  type UnsignedAction,
} from '../crypto/group-chain.js';
import { attributesValue, profileValue, type GroupAttributes } from '../crypto/group-blobs.js';
import { blobsOfSnapshot, isLegacyState, snapshotTextHash, stateHashOf } from '../crypto/group-checkpoint.js';
import { stateFromSnapshot, verifySnapshotBindings } from '../crypto/group-snapshot-state.js';
import { deriveInviteKeys, GroupKeys, sha256 } from '../crypto/group-keys.js';
import { GroupForkError, GroupRollbackError, GroupVerificationError, InviteCodeError, RelayMisbehaviourError, RelayRequestError, RetentionRangeError } from '../errors.js';
import type { GroupState } from '../stores/group-state.js';
import { MemberBlobOverlay } from '../stores/member-blobs.js';
import type { AvisoStore, GroupRecord, GroupStatus } from '../stores/interfaces.js';
import { fromBase64, toBase64 } from '../util/bytes.js';
import type { EventSink } from '../util/events.js';
import { errInfo, type Logger } from '../util/logger.js';
import { SerialQueue } from '../util/serial-queue.js';
import type { RelayHttp } from '../transport/http.js';
import type { GroupAuth } from './group-auth.js';
import { headsMeta, type Heads } from './heads.js';
import { SnapshotBindings } from './snapshot-bindings.js';
import { inviteTokenKey, revokeInviteRegistrationToken, storedInviteToken } from './invite-tokens.js';
import { encodeInviteCode, INVITE_HEAD_HASH_BYTES, type InviteCode, type InviteHead } from './invite-code.js';

export interface GroupLogEvents {
  group: GroupChangeEvent;
  error: Error;
}

export interface GroupLogDeps {
  store: AvisoStore;
  identityKeyPair: IdentityKeyPair;
  account: Account;
  auth: GroupAuth;
  events: EventSink<GroupLogEvents>;
  logger: Logger;
  /** An admin writes a checkpoint when the log grew by this many changes since the last one. Default CHECKPOINT_EVERY. */
  checkpointEvery?: number | undefined;
}

/** Changes between checkpoints an admin's client writes (docs/groups.md "Checkpoints"). */
export const CHECKPOINT_EVERY = 1000;

/**
 * Before it creates an invite, an admin's client writes a checkpoint if the last one is this many
 * changes behind (or `checkpointEvery`, if smaller): a newcomer verifies every change after the
 * checkpoint it starts from, so an invite should start close to one. Invites are rare next to
 * other changes; a checkpoint costs the admin one hash of the state and the relay one replay.
 */
export const INVITE_CHECKPOINT_GAP = 100;

export interface CreateGroupInput {
  title: string;
  description?: string;
  /** Your name as the group's members see it. */
  displayName?: string;
  /** Whether non-admins may create (approval-gated, member-role) invites. Default false. */
  membersCanInvite?: boolean;
  /** Only admins may send alerts (members still acknowledge, confirm, dispute and talk). Default false. */
  announcementsOnly?: boolean;
  /**
   * How long members' devices keep the group's alerts, responses and texts, in seconds
   * (`RETENTION_LIMITS`: 1 hour to 30 days). Default: `RETENTION_LIMITS.defaultSeconds` (24 hours).
   */
  retentionSeconds?: number;
}

export interface CreateInviteInput {
  expiresInSeconds?: number;
  maxUses?: number;
  requireApproval?: boolean;
  role?: Role;
  /** Put a relay registration token into the code so a newcomer can register. Default true. */
  includeRegistrationToken?: boolean;
}

interface Fetched {
  state: GroupState;
  /** The member blobs of `state`. */
  blobs: MemberBlobOverlay;
  events: GroupChangeEvent[];
  error?: GroupVerificationError;
}

/** The checkpoint a joiner starts from: the first change served after the snapshot must be it. */
interface ExpectedCheckpoint {
  version: number;
  stateHash: string;
}

const DEFAULT_INVITE_SECONDS = 7 * DAY_SECONDS;

/** The log as served: the envelope is checked here, each change by the verifier. */
const ServedChanges = ChangesResponse.extend({ changes: z.array(z.record(z.string(), z.unknown())) });
/**
 * The changes route with the envelope-only schema above instead of the table's: the table's would
 * refuse a malformed change as BAD_RESPONSE, where the verifier reports it as the relay's misbehaviour
 * (a GroupVerificationError naming the version). The request is the table's unchanged.
 */
const ServedChangesEndpoint = { ...ENDPOINTS.groupChanges, response: ServedChanges };

/** A served record without the relay's receipt time: what was signed and is hashed. */
function withoutReceipt(record: Record<string, unknown>): GroupChange {
  const { receivedAt: _receivedAt, ...change } = record;
  return change as GroupChange;
}
const PAGE = 500;

/**
 * The group log (docs/groups.md "The change log"): sync, verify, change, invites. Talks to the relay
 * through GroupAuth, feeds what it gets through the sans-I/O verifier (crypto/group-chain.ts) and
 * commits each verified batch in one store commit. All log work runs one operation at a time, so a
 * poll never interleaves with a change. It knows nothing of group messages.
 */
export class GroupLog {
  readonly #d: GroupLogDeps;
  readonly #queue = new SerialQueue();
  readonly #keys = new Map<string, GroupKeys>();
  readonly #keysByGroup = new Map<string, GroupKeys>();
  /** Groups with a background checkpoint queued. */
  readonly #checkpointing = new Set<string>();
  readonly #every: number;
  /** The snapshot members' identity bindings a join left to check (docs/groups.md "How a newcomer joins"). */
  readonly #bindings: SnapshotBindings;
  #poll: NodeJS.Timeout | undefined;

  constructor(deps: GroupLogDeps) {
    this.#d = deps;
    this.#bindings = new SnapshotBindings({ store: deps.store, events: deps.events, logger: deps.logger, serialize: (fn) => this.#queue.run(fn), keysOf: (groupId, rec) => this.keysOf(groupId, rec) });
    this.#every = deps.checkpointEvery ?? CHECKPOINT_EVERY;
    if (!Number.isInteger(this.#every) || this.#every < 1) throw new RangeError('checkpointEvery must be a positive whole number');
  }

  // ---- public operations (each one serialized) ----

  createGroup(input: CreateGroupInput): Promise<string> {
    return this.#queue.run(async () => {
      const keys = this.#keysFor(randomBytes(32));
      const me = this.#d.account.record.accountId;
      const attributes = this.sealAttributes(keys, {
        title: input.title,
        description: input.description ?? '',
        announcementsOnly: input.announcementsOnly ?? false,
        ...(input.retentionSeconds === undefined ? {} : { retentionSeconds: checkRetention(input.retentionSeconds) }),
      });
      const profile = this.#seal(keys, profileValue(input.displayName ?? ''), LIMITS.maxGroupProfileBytes, 'display name');
      const state0 = emptyGroupState(keys.groupId);
      const actions: UnsignedAction[] = [{ type: 'create', attributes, profile, membersCanInvite: input.membersCanInvite ?? false }];
      const change = buildChange({ state: state0, keys, accountId: me, identityKeyPair: this.#d.identityKeyPair, actions });
      const { state, events, blobs } = this.#verifyOwn(keys, state0, change, MemberBlobOverlay.empty());
      await this.#d.auth.send(ENDPOINTS.createGroup, { params: { groupId: keys.groupId }, body: { publicParams: toBase64(keys.publicParams), change } }, keys);
      this.#d.store.commit({
        groups: [{ groupId: keys.groupId, masterKey: keys.masterKey, status: 'member', state }],
        groupBlobs: [blobs.changesFor(keys.groupId)],
        meta: headsMeta(this.#d.store, keys.groupId, [[state.version, state.headHash]]),
      });
      for (const e of events) this.#d.events.emit('group', e);
      return keys.groupId;
    });
  }

  /**
   * Joins with a parsed code; the caller has checked relay and trust root and registered. The invite
   * password reads only the join info (docs/groups.md "What an invite password alone reveals"): the
   * join is chained to the head it names and signed with the invite's key, and once the relay took it
   * we read and verify the whole log from version 0 as a member (or pending member).
   */
  join(code: InviteCode, opts: { displayName?: string | undefined }): Promise<string> {
    return this.#queue.run(async () => {
      const keys = this.#keysFor(code.masterKey);
      const existing = this.#d.store.getGroup(keys.groupId);
      if (existing && existing.status !== 'removed') {
        await this.#sync(keys.groupId);
        return keys.groupId;
      }
      const me = this.#d.account.record.accountId;
      const { relayPassword, signingKey: inviteSigningKey } = deriveInviteKeys(code.inviteSecret);
      const password = toBase64(relayPassword);
      const profile = this.#seal(keys, profileValue(opts.displayName ?? ''), LIMITS.maxGroupProfileBytes, 'display name');
      let type: 'join' | 'requestJoin';
      for (let attempt = 1; ; attempt++) {
        // Refuses early (revoked, used up, expired, wrong password) and names the head to chain to.
        const info = await this.#d.auth.send(ENDPOINTS.joinInfo, { params: { groupId: keys.groupId, inviteId: inviteIdPathSegment(code.inviteId) } }, keys, password);
        if (info.publicParams !== toBase64(keys.publicParams)) throw new InviteCodeError('the relay serves other public params for the group in this invite code');
        type = info.requireApproval ? 'requestJoin' : 'join';
        const head: GroupState = { ...emptyGroupState(keys.groupId), version: info.currentVersion, headHash: info.headHash };
        const change = buildChange({ state: head, keys, accountId: me, identityKeyPair: this.#d.identityKeyPair, actions: [type === 'join' ? { type, inviteId: code.inviteId, profile } : { type, inviteId: code.inviteId, profile }], inviteSigningKey });
        try {
          await this.#d.auth.send(ENDPOINTS.appendChange, { params: { groupId: keys.groupId }, body: { change } }, keys, password);
          break;
        } catch (err) {
          // Someone else's change landed between the join info and ours: chain to the new head.
          if (attempt < 3 && err instanceof RelayRequestError && err.code === 'GROUP_CONFLICT') continue;
          throw err;
        }
      }
      const rec: GroupRecord = { groupId: keys.groupId, masterKey: keys.masterKey, status: type === 'join' ? 'member' : 'pending', state: emptyGroupState(keys.groupId) };
      const heads: Heads = [];
      const fetched = code.head === undefined ? await this.#fetchVerified(keys, rec.state, MemberBlobOverlay.empty(), heads) : await this.#fetchFromHead(keys, code.head, heads);
      this.#commit(rec, fetched.state, fetched.blobs, fetched.events, heads);
      // Not awaited: join() resolves with the snapshot's members stored unverified (see bindingsSettled).
      void this.#bindings.settled(keys.groupId, { ...rec, state: fetched.state });
      if (fetched.error) throw fetched.error;
      const mine = keys.pseudonym(me);
      if (!fetched.state.members[mine] && !fetched.state.pending[mine]) {
        throw new RelayMisbehaviourError(keys.groupId, fetched.state.version, 'missing-join', 'the relay accepted our join but the log it serves does not hold it');
      }
      return keys.groupId;
    });
  }

  /**
   * Asks the relay, with nothing but the invite's password, whether the code names a live invite of
   * a group with these keys. Spends nothing (no token, no use of the invite), so a joiner not yet
   * registered runs it before the registration that spends a use of the code's token: a code whose
   * master key, invite id or secret was damaged in transit (and still parses) fails here.
   */
  async checkInvite(code: InviteCode, anonymous: RelayHttp): Promise<void> {
    const keys = this.#keysFor(code.masterKey);
    const password = toBase64(deriveInviteKeys(code.inviteSecret).relayPassword);
    let info: { publicParams: string };
    try {
      info = await anonymous.call(ENDPOINTS.joinInfo, { params: { groupId: keys.groupId, inviteId: inviteIdPathSegment(code.inviteId) }, headers: { [GROUP_HEADERS.invitePassword]: password } });
    } catch (err) {
      // No such group: the master key in the code is not any group's, so the code is damaged.
      if (err instanceof RelayRequestError && err.code === 'NOT_FOUND') throw new InviteCodeError('the invite code names no group on its relay: it may be damaged — copy it again', { cause: err });
      throw err;
    }
    if (info.publicParams !== toBase64(keys.publicParams)) throw new InviteCodeError('the relay serves other public params for the group in this invite code');
  }

  /** Every known group's id, each synced first (failures are reported, not thrown). */
  async groups(): Promise<string[]> {
    const records = this.#d.store.listGroups();
    for (const r of records) {
      if (r.status === 'removed') continue;
      await this.sync(r.groupId).catch((err: unknown) => this.#reportSyncError(r.groupId, err));
    }
    return records.map((r) => r.groupId);
  }

  sync(groupId: string): Promise<void> {
    return this.#queue.run(() => this.#sync(groupId));
  }

  /**
   * Syncs before a read, but a failure (relay down, a change that does not verify) is reported on
   * 'error' instead of thrown: the read then shows the last verified state, never anything else.
   */
  async freshen(groupId: string): Promise<void> {
    if (this.record(groupId).status === 'removed') return;
    await this.sync(groupId).catch((err: unknown) => this.#reportSyncError(groupId, err));
  }

  /**
   * A sync a group message waits for: a failure is logged and reported on 'error', and returned
   * (the caller decides whether to try the message later).
   */
  async syncForMessage(groupId: string): Promise<Error | undefined> {
    try {
      await this.sync(groupId);
      return undefined;
    } catch (err) {
      this.#d.logger.warn({ groupId, ...errInfo(err) }, 'group sync on receive failed');
      const error = err instanceof Error ? err : new Error(String(err));
      this.#d.events.emit('error', error);
      return error;
    }
  }

  record(groupId: string): GroupRecord {
    const rec = this.#d.store.getGroup(groupId);
    if (!rec) throw new Error(`unknown group ${groupId}`);
    return rec;
  }

  /**
   * The group's keys. Kept per group id once derived (the id is derived from the master key, so
   * it never names another): reading the record to find the key parses the whole member list.
   */
  keysOf(groupId: string, rec?: GroupRecord): GroupKeys {
    let keys = this.#keysByGroup.get(groupId);
    if (!keys) {
      keys = this.#keysFor((rec ?? this.record(groupId)).masterKey);
      if (keys.groupId !== groupId) throw new Error(`the stored master key of group ${groupId} is another group's`);
      this.#keysByGroup.set(groupId, keys);
    }
    return keys;
  }

  get accountId(): string {
    return this.#d.account.record.accountId;
  }

  /** Applies a change this member makes, built from the freshly synced state; retried once on GROUP_CONFLICT. */
  change(groupId: string, build: (state: GroupState, keys: GroupKeys) => UnsignedAction[]): Promise<void> {
    return this.#queue.run(async () => {
      const me = this.#d.account.record.accountId;
      for (let attempt = 1; ; attempt++) {
        await this.#sync(groupId);
        const rec = this.record(groupId);
        const keys = this.#keysFor(rec.masterKey);
        const actions = build(rec.state, keys);
        if (actions.length === 0) return;
        const change = buildChange({ state: rec.state, keys, accountId: me, identityKeyPair: this.#d.identityKeyPair, actions });
        try {
          await this.#d.auth.send(ENDPOINTS.appendChange, { params: { groupId }, body: { change } }, keys);
        } catch (err) {
          if (attempt === 1 && err instanceof RelayRequestError && err.code === 'GROUP_CONFLICT') continue;
          throw err;
        }
        // The relay took it as the next version, so it is exactly our change: apply it without a round trip.
        const { state, events, blobs } = this.#verifyOwn(keys, rec.state, change, this.#storedBlobs(groupId));
        this.#commit(rec, state, blobs, events);
        if (this.record(groupId).status !== 'removed') await this.#sync(groupId);
        return;
      }
    });
  }

  /** Mints the invite secret, appends createInvite, and returns the code. */
  createInvite(groupId: string, input: CreateInviteInput): Promise<string> {
    const inviteSecret = randomBytes(32);
    const inviteId = toBase64(randomBytes(16));
    const { relayPassword, signingKey } = deriveInviteKeys(inviteSecret);
    const seconds = input.expiresInSeconds ?? DEFAULT_INVITE_SECONDS;
    if (!(seconds > 0)) throw new RangeError('expiresInSeconds must be positive');
    // Rounded up to the minute: the relay stores it, and an exact expiry minus the usual lifetime
    // would date the invite's creation to the millisecond.
    const expiresAt = Math.ceil((Date.now() + Math.round(seconds * 1000)) / 60_000) * 60_000;
    const maxUses = input.maxUses ?? 1;
    if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > LIMITS.maxGroupMembers) throw new RangeError(`maxUses must be 1–${LIMITS.maxGroupMembers}`);
    return (async () => {
      let registrationToken: string | undefined;
      if (input.includeRegistrationToken ?? true) registrationToken = await this.#mintToken(Math.min(maxUses, 1000), expiresAt);
      // A newcomer starts from the newest checkpoint at or before the head in the code: keep it close.
      await this.#checkpointIfDue(groupId, undefined, Math.min(this.#every, INVITE_CHECKPOINT_GAP)).catch((err: unknown) => this.#d.logger.warn({ groupId, ...errInfo(err) }, 'checkpoint before an invite failed'));
      await this.change(groupId, () => [
        {
          type: 'createInvite',
          inviteId,
          passwordHash: toBase64(sha256(relayPassword)),
          expiresAt,
          maxUses,
          role: input.role ?? 'member',
          requireApproval: input.requireApproval ?? false,
          signingKey: toBase64(signingKey.getPublicKey().serialize()),
        },
      ]);
      const account = this.#d.account.record;
      if (registrationToken !== undefined) this.#d.store.commit({ meta: { [inviteTokenKey(groupId, inviteId)]: registrationToken } });
      const rec = this.record(groupId);
      return encodeInviteCode({
        relayUrl: account.relayUrl,
        trustRootSha256: sha256(account.trustRoot),
        masterKey: rec.masterKey,
        inviteId,
        inviteSecret,
        registrationToken,
        // Our verified head (at or after the createInvite change): the newcomer ties its log to it.
        head: { version: rec.state.version, hash: fromBase64(rec.state.headHash).subarray(0, INVITE_HEAD_HASH_BYTES) },
      });
    })();
  }

  /**
   * After an invite was revoked: revokes the registration token this device minted into its code, so
   * the code registers no more accounts. A failure is reported on 'error', not thrown: the invite
   * itself is revoked already, and the token expires on its own (at most 30 days).
   */
  async revokeInviteToken(groupId: string, inviteId: string): Promise<void> {
    const token = storedInviteToken(this.#d.store, groupId, inviteId);
    if (token === undefined) return;
    try {
      await revokeInviteRegistrationToken(this.#d.account.http, token);
      this.#d.store.commit({ meta: { [inviteTokenKey(groupId, inviteId)]: '' } });
    } catch (err) {
      this.#reportSyncError(groupId, err);
    }
  }

  sealAttributes(keys: GroupKeys, a: GroupAttributes): string {
    return this.#seal(keys, attributesValue(a), LIMITS.maxGroupAttributesBytes, 'title and description');
  }

  /** Polls every known group (not ones we left or were removed from) while connected. */
  startPolling(intervalMs: number): void {
    // What a crash or a close cut short of a join's binding checks goes on now.
    this.#bindings.resumeAll();
    if (this.#poll || intervalMs <= 0) return;
    this.#poll = setInterval(() => void this.#pollOnce(), intervalMs);
    this.#poll.unref();
  }

  stopPolling(): void {
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = undefined;
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }

  /**
   * Resolves once the identity bindings of the snapshot members a join took in are checked (at
   * once if there are none): a send waits for it, so it reaches every member whose binding holds.
   * Must not be awaited inside a log operation (the check commits through the log's queue).
   */
  bindingsSettled(groupId: string): Promise<void> {
    return this.#bindings.settled(groupId);
  }

  /** A member's identity key checked now if the background check has not reached them yet (SnapshotBindings.keyNow). */
  unresolvedKeyOf(groupId: string, state: GroupState, accountId: string): string | undefined {
    return this.#bindings.keyNow(groupId, state, accountId);
  }

  /** Ends the background binding checks at their next chunk (what is left resumes at the next connection). */
  stopBindings(): Promise<void> {
    return this.#bindings.stop();
  }

  // ---- internals ----

  async #pollOnce(): Promise<void> {
    for (const r of this.#d.store.listGroups()) {
      if (r.status === 'removed') continue;
      await this.sync(r.groupId).catch((err: unknown) => this.#reportSyncError(r.groupId, err));
    }
  }

  #reportSyncError(groupId: string, err: unknown): void {
    this.#d.logger.warn({ groupId, ...errInfo(err) }, 'group sync failed');
    this.#d.events.emit('error', err instanceof Error ? err : new Error(String(err)));
  }

  async #sync(groupId: string): Promise<void> {
    const rec = this.record(groupId);
    const keys = this.#keysFor(rec.masterKey);
    let fetched: Fetched;
    const heads: Heads = [];
    // The fetch verifies on the state just read, in place (a copy of a 10,000-member state costs as
    // much as verifying a hundred changes): below, the stored head is `stored`, not `rec.state`.
    const stored = { version: rec.state.version, headHash: rec.state.headHash };
    // A state stored before checkpoints lacks what a checkpoint is checked against: verify from version 0 once.
    const legacy = isLegacyState(rec.state);
    try {
      fetched = legacy
        ? await this.#fetchVerified(keys, emptyGroupState(groupId), MemberBlobOverlay.empty(), heads, { adopt: true })
        : await this.#fetchVerified(keys, rec.state, this.#storedBlobs(groupId), heads, { adopt: true });
      if (legacy) {
        const ours = fetched.state.version === stored.version ? fetched.state.headHash : heads.find(([v]) => v === stored.version)?.[1];
        if (ours === undefined && !fetched.error) throw new GroupRollbackError(groupId, stored.version, fetched.state.version);
        if (ours !== undefined && ours !== stored.headHash) throw new GroupForkError(groupId, stored.version);
        if (ours === undefined) throw fetched.error!;
        // Nothing new to tell about what was verified before.
        fetched = { ...fetched, events: fetched.events.filter((e) => e.version > stored.version) };
      }
    } catch (err) {
      // A pending member whose request was denied is refused the log as well.
      if (err instanceof RelayRequestError && (err.code === 'NOT_A_MEMBER' || err.code === 'BANNED') && rec.status !== 'removed') {
        // The relay no longer serves us. It could be lying, but it can always refuse service anyway.
        // The group's content goes; the master key stays, as a relay's word alone must not make
        // every member (admins too) lose the group for good.
        this.#forget({ ...rec, state: { ...rec.state, ...stored } }, { keepKey: true });
        this.#d.events.emit('group', { groupId, version: stored.version, type: 'removed-from-group', accountId: this.#d.account.record.accountId });
        return;
      }
      throw err;
    }
    // Keep what verified even when a later change did not: the refused change is never applied.
    if (fetched.state.version !== stored.version || legacy) this.#commit(rec, fetched.state, fetched.blobs, fetched.events, heads);
    if (fetched.error) throw fetched.error;
  }

  /** Whether this member is an admin of a group whose log grew by `gap` (CHECKPOINT_EVERY) since its last checkpoint. */
  #checkpointDue(state: GroupState, keys: GroupKeys, gap = this.#every): boolean {
    if (state.version - (state.checkpointVersion ?? 0) < gap) return false;
    const mine = keys.pseudonym(this.#d.account.record.accountId);
    return state.members[mine]?.role === 'admin' && !isLegacyState(state);
  }

  /**
   * Appends a checkpoint if one is due (built on the freshly synced state). A race with another
   * admin is an ordinary GROUP_CONFLICT, retried once by `change` and then dropped.
   */
  async #checkpointIfDue(groupId: string, current?: { state: GroupState; keys: GroupKeys }, gap = this.#every): Promise<void> {
    if (!current) {
      const rec = this.record(groupId);
      current = { state: rec.state, keys: this.keysOf(groupId, rec) };
    }
    if (!this.#checkpointDue(current.state, current.keys, gap)) return;
    try {
      // The only read of every member's blobs on this side: the state the checkpoint names is hashed with them.
      await this.change(groupId, (state, keys) => (this.#checkpointDue(state, keys, gap) ? [{ type: 'checkpoint', stateHash: stateHashOf(state, this.#d.store.getGroupBlobs(groupId)) }] : []));
    } catch (err) {
      if (err instanceof RelayRequestError && err.code === 'GROUP_CONFLICT') return;
      throw err;
    }
  }

  /** Queues a background checkpoint after a commit that made one due; failures are logged, not thrown. */
  #scheduleCheckpoint(groupId: string, state: GroupState, keys: GroupKeys): void {
    if (this.#checkpointing.has(groupId) || !this.#checkpointDue(state, keys)) return;
    this.#checkpointing.add(groupId);
    void this.#checkpointIfDue(groupId, { state, keys })
      .catch((err: unknown) => this.#d.logger.warn({ groupId, ...errInfo(err) }, 'background checkpoint failed'))
      .finally(() => this.#checkpointing.delete(groupId));
  }

  /** The stored member blobs of a group, read only if a change needs them. */
  #storedBlobs(groupId: string): MemberBlobOverlay {
    return new MemberBlobOverlay(() => this.#d.store.getGroupBlobs(groupId));
  }

  /** Persists a verified state and its member blobs in one commit, derives our status from it, then emits. */
  #commit(rec: GroupRecord, state: GroupState, blobs: MemberBlobOverlay, events: GroupChangeEvent[], heads: Heads = []): void {
    const keys = this.#keysFor(rec.masterKey);
    const me = this.#d.account.record.accountId;
    const mine = keys.pseudonym(me);
    const status: GroupStatus = state.members[mine] ? 'member' : state.pending[mine] ? 'pending' : 'removed';
    // The head of every version verified on the way (messages naming any of them are checked against it).
    this.#d.store.commit({ groups: [{ ...rec, state, status }], groupBlobs: [blobs.changesFor(rec.groupId)], meta: headsMeta(this.#d.store, rec.groupId, [...heads, [state.version, state.headHash]]) });
    // Out by a verified change (removed, banned, denied, or we left): nothing of the group stays but its id and status.
    if (status === 'removed' && rec.status !== 'removed') this.#forget({ ...rec, state, status }, { keepKey: false });
    for (const e of events) this.#d.events.emit('group', e);
    const removed = events.some((e) => e.accountId === me && (e.type === 'member-removed' || e.type === 'join-denied'));
    if (removed && status === 'removed') this.#d.events.emit('group', { groupId: rec.groupId, version: state.version, type: 'removed-from-group', accountId: me });
    if (status === 'member') this.#scheduleCheckpoint(rec.groupId, state, keys);
  }

  /**
   * We are out of the group (docs/alerts.md "Removed members"): its alerts, responses, notes,
   * tombstones and send log, our sender key for it, and the verified state (members, names, identity
   * keys, invites) are deleted and the files scrubbed; what stays is the group id, the status, the
   * version and head hash (so a later rejoin is checked against them), and the master key only when
   * `keepKey` (the relay's refusal, which is not verified).
   */
  #forget(rec: GroupRecord, opts: { keepKey: boolean }): void {
    const { store, account } = this.#d;
    const groupId = rec.groupId;
    const info = store.getSenderKeyInfo(groupId);
    const me = account.record;
    store.commit({
      groups: [
        {
          groupId,
          masterKey: opts.keepKey ? rec.masterKey : new Uint8Array(32),
          status: 'removed',
          state: { ...emptyGroupState(groupId), version: rec.state.version, headHash: rec.state.headHash },
        },
      ],
      groupBlobs: [{ groupId, reset: true, put: new Map() }],
      purgeContent: [{ groupId, before: Number.MAX_SAFE_INTEGER }],
      ...(info ? { removeSenderKeyInfos: [groupId], removeSenderKeys: [{ sender: `${me.accountId}.${me.deviceId}`, distributionId: info.distributionId }] } : {}),
    });
    store.scrub?.();
  }

  /**
   * Fetches from our head (served again, compared by hash) to the relay's current version and
   * verifies each change in order. Returns the verified state and, if a change failed, the error
   * (the state then stops just before it). Rollback and fork are thrown: nothing is verified then.
   */
  async #fetchVerified(keys: GroupKeys, start: GroupState, blobs: MemberBlobOverlay, heads: Heads = [], opts: { checkpoint?: ExpectedCheckpoint | undefined; adopt?: boolean } = {}): Promise<Fetched> {
    const groupId = keys.groupId;
    let state = start;
    const events: GroupChangeEvent[] = [];
    let expect = opts.checkpoint;
    // One working state for the whole fetch (`adopt`: `start` itself, which the caller gives up).
    let verifier: ChainVerifier | undefined;
    for (;;) {
      const from = Math.max(state.version, 0);
      const res = await this.#d.auth.send(ServedChangesEndpoint, { params: { groupId }, query: { from, limit: PAGE } }, keys);
      if (res.publicParams !== toBase64(keys.publicParams)) {
        return { state, blobs, events, error: new RelayMisbehaviourError(groupId, state.version, 'public-params', 'the relay serves other public params for this group') };
      }
      if (res.currentVersion < state.version) throw new GroupRollbackError(groupId, state.version, res.currentVersion);
      // Each change is checked by the verifier (a malformed one is the relay's misbehaviour, not a bad response).
      const changes = res.changes.map(withoutReceipt);
      let i = 0;
      if (state.version >= 0) {
        const overlap = changes[0];
        if (!overlap || overlap.version !== state.version) {
          return { state, blobs, events, error: new RelayMisbehaviourError(groupId, state.version, 'missing-overlap', 'the relay did not serve the change at our verified head') };
        }
        if (changeHash(overlap) !== state.headHash) {
          // From a snapshot, our "head" is the snapshot's word: a change that does not hash to it is a bad checkpoint, not a fork.
          if (expect) return { state, blobs, events, error: new RelayMisbehaviourError(groupId, state.version, 'bad-checkpoint', 'the snapshot names another head than the log') };
          throw new GroupForkError(groupId, state.version);
        }
        i = 1;
      }
      if (expect) {
        const c = changes[i];
        const action = c?.version === expect.version && Array.isArray(c.actions) && c.actions.length === 1 ? c.actions[0] : undefined;
        if (action?.type !== 'checkpoint' || action.stateHash !== expect.stateHash) {
          return { state, blobs, events, error: new RelayMisbehaviourError(groupId, expect.version, 'bad-checkpoint', 'the snapshot is not the one the checkpoint change names') };
        }
        expect = undefined;
      }
      const before = state.version;
      // The verifier mutates its state in place and undoes a rejected change.
      verifier ??= new ChainVerifier(state, keys, blobs, { adopt: opts.adopt === true });
      for (; i < changes.length; i++) {
        const c = changes[i]!;
        try {
          events.push(...verifier.verify(c));
          heads.push([c.version, verifier.state.headHash]);
        } catch (err) {
          if (!(err instanceof ChangeRejected)) throw err;
          return { state: verifier.state, blobs, events, error: new RelayMisbehaviourError(groupId, c.version, err.reason, err.message, { cause: err }) };
        }
      }
      state = verifier.state;
      if (state.version >= res.currentVersion) return { state, blobs, events };
      if (state.version === before) {
        return { state, blobs, events, error: new RelayMisbehaviourError(groupId, state.version + 1, 'missing-changes', 'the relay claims changes it does not serve') };
      }
    }
  }

  /**
   * A newcomer's fetch with a head-carrying invite (docs/groups.md "How a newcomer joins"): the
   * newest checkpoint at or before the head, its snapshot checked against the checkpoint change's
   * `stateHash`, every change after it verified in full, the chain checked to reach the head with
   * the hash the inviter saw, then the identity bindings of the snapshot's members. Without a
   * checkpoint (a young group) it verifies from version 0, and still checks the head.
   */
  async #fetchFromHead(keys: GroupKeys, head: InviteHead, heads: Heads): Promise<Fetched> {
    const groupId = keys.groupId;
    let checkpoint: CheckpointResponse | undefined;
    try {
      checkpoint = await this.#d.auth.send(ENDPOINTS.groupCheckpoint, { params: { groupId }, query: { atOrBefore: head.version } }, keys);
    } catch (err) {
      if (!(err instanceof RelayRequestError && err.code === 'NOT_FOUND')) throw err;
    }
    let fetched: Fetched;
    let fromSnapshot: Set<string> | undefined;
    if (checkpoint === undefined) {
      fetched = await this.#fetchVerified(keys, emptyGroupState(groupId), MemberBlobOverlay.empty(), heads);
    } else {
      const bad = (detail: string): Fetched => ({ state: emptyGroupState(groupId), blobs: MemberBlobOverlay.empty(), events: [], error: new RelayMisbehaviourError(groupId, checkpoint.version, 'bad-checkpoint', detail) });
      const snapshot = parseSnapshot(checkpoint.snapshot);
      if (!snapshot) return bad('the snapshot does not parse');
      if (checkpoint.version > head.version || snapshot.version !== checkpoint.version - 1) return bad('the checkpoint is not at or before the invite\'s head');
      let start: GroupState;
      try {
        // Accounts as the members' own proofs claim them (marked unresolved: the verifier below
        // decrypts any claimed member a change names), confirmed after join() returns.
        start = stateFromSnapshot(snapshot, keys, { claimAccounts: true });
      } catch (err) {
        if (err instanceof ChangeRejected) return bad(err.message);
        throw err;
      }
      fromSnapshot = new Set([...Object.keys(start.members), ...Object.keys(start.pending)]);
      fetched = await this.#fetchVerified(keys, start, blobsOfSnapshot(snapshot), heads, { checkpoint: { version: checkpoint.version, stateHash: snapshotTextHash(checkpoint.snapshot) }, adopt: true });
    }
    if (fetched.error && fetched.state.version < head.version) return fetched;
    const atHead = fetched.state.version === head.version ? fetched.state.headHash : heads.find(([v]) => v === head.version)?.[1];
    if (atHead === undefined || !Buffer.from(fromBase64(atHead).subarray(0, INVITE_HEAD_HASH_BYTES)).equals(Buffer.from(head.hash))) {
      return { state: emptyGroupState(groupId), blobs: MemberBlobOverlay.empty(), events: [], error: new RelayMisbehaviourError(groupId, head.version, 'invite-head-mismatch', 'the log the relay serves does not reach the head in the invite') };
    }
    if (fromSnapshot) {
      const s = fetched.state;
      // The admins now (their accounts were decrypted): a newcomer tells them of its join first.
      const admins = new Set([...fromSnapshot].filter((m) => s.members[m]?.role === 'admin' && s.members[m].identityKey === undefined));
      if (admins.size > 0) fetched = { ...fetched, events: [...verifySnapshotBindings(s, keys, fetched.blobs.all(), admins), ...fetched.events] };
      // Everyone else's account and binding after join() returns (SnapshotBindings); until then they
      // have no identity key, so nothing is encrypted to or accepted from them, and their account
      // is a claim nothing reads (docs/groups.md "How a newcomer joins").
      const unresolved = [...fromSnapshot].filter((m) => (s.members[m] ?? s.pending[m])?.identityKey === undefined && (s.members[m] ?? s.pending[m]) !== undefined);
      if (unresolved.length > 0) s.unresolved = unresolved;
    }
    return fetched;
  }

  /** Our own change, checked by the same verifier every other member runs. */
  #verifyOwn(keys: GroupKeys, state: GroupState, change: GroupChange, blobs: MemberBlobOverlay): { state: GroupState; events: GroupChangeEvent[]; blobs: MemberBlobOverlay } {
    try {
      return verifyChange(state, change, keys, blobs);
    } catch (err) {
      if (err instanceof ChangeRejected) throw new GroupVerificationError(keys.groupId, change.version, err.reason, err.message, { cause: err });
      throw err;
    }
  }

  #keysFor(masterKey: Uint8Array): GroupKeys {
    const hex = Buffer.from(masterKey).toString('hex');
    let k = this.#keys.get(hex);
    if (!k) this.#keys.set(hex, (k = new GroupKeys(masterKey)));
    return k;
  }

  #seal(keys: GroupKeys, value: unknown, limit: number, what: string): string {
    const sealed = keys.sealJson(value);
    if (Buffer.byteLength(sealed, 'base64') > limit) throw new RangeError(`${what} too long`);
    return sealed;
  }

  async #mintToken(uses: number, expiresAt: number): Promise<string | undefined> {
    try {
      const res = await this.#d.account.http.call(ENDPOINTS.mintRegistrationToken, { body: { uses, expiresAt } });
      return res.token;
    } catch (err) {
      // The operator turned member tokens off: the code then works for registered clients only.
      if (err instanceof RelayRequestError && err.code === 'FORBIDDEN') return undefined;
      throw err;
    }
  }
}

/** A retention this member sets: a whole number of seconds within `RETENTION_LIMITS`, else RetentionRangeError. */
export function checkRetention(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < RETENTION_LIMITS.minSeconds || seconds > RETENTION_LIMITS.maxSeconds) throw new RetentionRangeError(seconds);
  return seconds;
}
