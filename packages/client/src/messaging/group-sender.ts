import { randomUUID } from 'node:crypto';
import { ErrorCode as SignalErrorCode, LibSignalErrorBase, ProtocolAddress, type SessionRecord } from '@signalapp/libsignal-client';
import {
  ALERT_LIMITS,
  Content,
  encodeContent,
  ENDPOINTS,
  GROUP_SEND,
  GROUP_UPDATE,
  LIMITS,
  SENDER_KEY_DISTRIBUTION,
  type GroupMessageBody,
  type PreKeyBundleResponse,
} from '@aviso/protocol';
import type { Account } from '../account/account.js';
import type { SenderCertificates } from '../account/sender-certificate.js';
import { applyGroupBody, memberOf } from '../alerts/apply.js';
import { clearClaim, readClaim, readRemoved } from '../alerts/group-watch.js';
import { checkKey, MemberKeys } from '../alerts/member-keys.js';
import type { SendAlertInput } from '../alerts/types.js';
import { createDistribution, encryptForGroup, receiveEndorsements, sendToken, type GroupEndorsements } from '../crypto/sender-keys.js';
import { buildSessions } from '../crypto/sessions.js';
import { GroupForkError, GroupVerificationError, GroupWithheldError, IdentityMismatchError, RelayRequestError, UntrustedIdentityError } from '../errors.js';
import type { GroupAuth } from '../groups/group-auth.js';
import type { GroupLog } from '../groups/group-log.js';
import { headAt } from '../groups/heads.js';
import type { GroupState } from '../stores/group-state.js';
import type { AvisoStore, GroupRecord, SenderKeyDevice, SenderKeyInfo } from '../stores/interfaces.js';
import { SessionRecordCache, withSessionRecords } from '../stores/libsignal-adapters.js';
import { sessionsOf, type Zone } from '../stores/zone.js';
import { forEachBounded } from '../util/bounded.js';
import { fromBase64, toBase64 } from '../util/bytes.js';
import type { EventSink } from '../util/events.js';
import { errInfo, type Logger } from '../util/logger.js';
import { SerialQueue } from '../util/serial-queue.js';
import type { CryptoQueue } from './crypto-queue.js';
import { SEND_ATTEMPTS, type DeviceSync } from './device-sync.js';
import type { DirectSender } from './direct.js';
import { holdersAfterDistribution, lackingKey, sameHolders, senderKeyReset, withoutStale, type DeviceMap } from './sender-key-plan.js';
import type { SentClock } from './sent-clock.js';

export interface GroupSenderEvents {
  error: Error;
  /** A member refused as a recipient or whose message was dropped for its identity key. */
  'identity-mismatch': IdentityMismatchError;
  /** A member's message named a group version the relay does not serve us. */
  'group-withheld': GroupWithheldError;
}

export interface GroupSenderDeps {
  store: AvisoStore;
  log: GroupLog;
  auth: GroupAuth;
  account: Account;
  certificates: SenderCertificates;
  /** Every ratchet step (SKDMs, sessions, the SSv2 encrypt) runs in the client's one crypto queue. */
  crypto: CryptoQueue;
  devices: DeviceSync;
  /** The 1:1 path for SKDMs, resend requests and resends, under the log's key for each member. */
  direct: DirectSender;
  clock: SentClock;
  events: EventSink<GroupSenderEvents>;
  logger: Logger;
  /** How long an alert waits for a sync of the log first (default ALERT_SYNC_WAIT_MS); 0 skips it. */
  alertSyncWaitMs?: number;
  /** Whether our changes are announced to the group, and members' 1:1 updates passed on (announceChange). */
  announceChanges: boolean;
}

/**
 * Members one send refuses to encrypt to (docs/alerts.md "Identity keys"), each reported once:
 * the log's keys by account, and who was refused so far.
 */
interface Refusals {
  groupId: string;
  keys: Map<string, Uint8Array | undefined>;
  refused: Set<string>;
}

type Unscoped<B> = B extends unknown ? Omit<B, 'groupId' | 'groupVersion' | 'groupHeadHash'> : never;
export type GroupBodyInput = Unscoped<GroupMessageBody>;

/** How long a sent group message stays in the send log, for resends to members who missed it. */
export const SEND_LOG_MS = 24 * 3600_000;
const MAX_RESENDS = 5;
/** Refresh endorsements this long before they expire. */
const ENDORSEMENT_MARGIN_MS = 2 * 3600_000;
/**
 * A resend request names the relay's (minute-rounded) receipt time, the only clock the receiver
 * has for a message it cannot read; the sender looks in this window around it.
 */
const RESEND_WINDOW_BEFORE_MS = 5 * 60_000;
const RESEND_WINDOW_AFTER_MS = 2 * 60_000;
/**
 * How long an alert waits for a fresh look at the group log before it goes out with the state it
 * has: long enough for one request to a reachable relay, short enough not to matter in a raid.
 */
export const ALERT_SYNC_WAIT_MS = 1000;
/**
 * Members given our sender key per step of the background distribution: one step holds the send
 * queue, so a send waits for at most this many sessions and SKDMs. The step's prekeys were fetched
 * before it, outside the queue (#prefetchAhead), and its SKDMs are one batched request, so the wait
 * is this many session starts and seals plus one round trip: well under 100 ms.
 */
export const AHEAD_STEP_MEMBERS = 8;
const announceKey = (groupId: string) => `groupAnnounce:${groupId}`;
/**
 * Admins a member without a sender key tells of its change, 1:1 (announceChange): enough that one
 * who is online passes it on, few enough that a joiner starts a handful of sessions, not hundreds.
 */
export const ANNOUNCE_ADMINS = 3;
/** Single prekey fetches in flight at once (devices named after a repair, or a relay without batches). */
const PREKEY_FETCH_PARALLEL = 16;
/**
 * Batched prekey fetches (`POST /v1/keys/batch`, up to LIMITS.maxKeyBatchAccounts accounts each) in
 * flight at once: a first send to 10,000 members is 100 requests, two at a time, so one batch's
 * sessions are built while the next is on the wire.
 */
const PREKEY_BATCH_PARALLEL = 2;
/** Relay answers to a batched fetch that mean "not here": fetch those accounts one by one instead. */
const NO_BATCH_CODES: readonly string[] = ['NOT_FOUND', 'UNAUTHORIZED', 'FORBIDDEN', 'BAD_REQUEST'];

/**
 * Group messages leaving (docs/alerts.md "Sending"), below the facade and above the group log: sending (sender key lifecycle, sessions,
 * SKDMs, one sealed-sender-v2 upload with a group send token), receiving (membership, version and
 * permission checks), resend requests, and the local alert store.
 */
export class GroupSender {
  readonly #d: GroupSenderDeps;
  /** One group send at a time: keeps each sender's messages in order and its chain consistent. */
  readonly #sends = new SerialQueue();
  readonly #endorsements = new Map<string, { version: number; e: GroupEndorsements }>();
  /** Recipients' session records, deserialized once per change (device lists and the SSv2 encrypt). */
  readonly #sessionCache = new SessionRecordCache();
  /** Recipient addresses by `accountId.deviceId`: native handles, not rebuilt (and collected) per send. */
  readonly #addresses = new Map<string, ProtocolAddress>();
  readonly #memberKeys = new MemberKeys();
  /** Groups with a background distribution running, and the promise of its end. */
  readonly #ahead = new Map<string, Promise<number>>();
  /** Groups whose membership changed again while their distribution ran: it goes round once more. */
  readonly #aheadAgain = new Set<string>();
  /** Groups with a group update on its way (announceChange), and those changed again meanwhile. */
  readonly #announcing = new Map<string, Promise<void>>();
  readonly #announceAgain = new Set<string>();
  #stopped = false;
  /** Group updates go out only while connected (goLive); until then they are owed. */
  #live = false;
  /**
   * Bundles the background distribution fetched (one batch, outside the send queue) for members it
   * has not started sessions with yet, by group and account: the steps, or a send that comes first,
   * use them instead of fetching again. Dropped when the run ends.
   */
  readonly #prefetched = new Map<string, Map<string, PreKeyBundleResponse>>();

  constructor(deps: GroupSenderDeps) {
    this.#d = deps;
  }

  idle(): Promise<void> {
    return this.#sends.idle();
  }

  // ---- the Group API ----

  async sendAlert(groupId: string, input: SendAlertInput): Promise<string> {
    const id = randomUUID();
    const now = Date.now();
    const seconds = input.expiresInSeconds ?? ALERT_LIMITS.defaultExpiresInSeconds;
    if (!(seconds > 0) || seconds > ALERT_LIMITS.maxExpiresInSeconds) throw new RangeError(`expiresInSeconds must be 1–${ALERT_LIMITS.maxExpiresInSeconds}`);
    const place = typeof input.place === 'string' ? { text: input.place } : input.place;
    await this.#freshenForAlert(groupId);
    await this.send(groupId, {
      type: 'alert',
      id,
      kind: input.kind,
      severity: input.severity,
      title: input.title,
      ...(input.body === undefined ? {} : { body: input.body }),
      ...(place === undefined ? {} : { place }),
      observedAt: input.observedAt ?? now,
      expiresAt: now + Math.round(seconds * 1000),
      requestAck: input.requestAck ?? false,
    });
    return id;
  }

  /**
   * The relay cannot tell members of a join (it does not know which account a pseudonym is), and the
   * poll runs every 30 s: so an alert first asks for the changes after our head, and a member who
   * joined a second ago is in its recipient set (docs/alerts.md, "Reaching new members at once").
   * A relay that is slow or down costs at most `alertSyncWaitMs`; the sync's failure is reported on
   * 'error' by the log, and the send itself then says whether the relay can be reached.
   */
  async #freshenForAlert(groupId: string): Promise<void> {
    const wait = this.#d.alertSyncWaitMs ?? ALERT_SYNC_WAIT_MS;
    if (wait <= 0 || this.#d.log.record(groupId).status !== 'member') return;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, wait);
    });
    await Promise.race([this.#d.log.freshen(groupId), waited]);
    clearTimeout(timer);
  }

  /**
   * Sends a group body to every other member: one sealed-sender-v2 upload under our sender key.
   * Applies it to our own store too (our alerts and answers count in `alerts()` and `rollCall()`).
   */
  async send(groupId: string, input: GroupBodyInput): Promise<{ sentAt: number }> {
    // Right after a join from a checkpoint: the snapshot members' bindings first, so the send reaches
    // every member whose binding holds (and none whose does not). Outside the send queue: the check
    // commits through the log's.
    await this.#d.log.bindingsSettled(groupId);
    return this.#sends.run(async () => {
      await this.#checkWithheld(groupId);
      // Read once per send: a record holds the whole member list, parsed on every read.
      const current = this.#d.log.record(groupId);
      const state = current.state;
      if (current.status !== 'member') throw new GroupVerificationError(groupId, state.version, 'not-a-member', 'this account is not a member of the group');
      const sentAt = this.#d.clock.next();
      // Parsing applies the protocol's rules (lengths, coordinate rounding) before anything is stored or sent.
      const content = Content.parse({ v: 1, sentAt, body: { ...input, groupId, groupVersion: state.version, groupHeadHash: state.headHash } });
      const body = content.body as GroupMessageBody;
      const me = this.#d.account.record;
      const removed = readRemoved(this.#d.store, groupId);
      const recipients = Object.values(state.members)
        .map((m) => m.accountId)
        .filter((a) => a !== me.accountId && !this.#removedStill(groupId, state, removed, a));
      if (recipients.length > 0) await this.#upload(current, content, recipients);
      const own = applyGroupBody({ store: this.#d.store, state, sender: me.accountId, senderDevice: me.deviceId, sentAt, relayTime: sentAt, body });
      if (own.ok) this.#d.store.commit(own.changes);
      return { sentAt };
    });
  }

  // ---- keys ahead of time (docs/alerts.md "Reaching new members at once") ----

  /**
   * Gives our sender key to the group's members who lack it (sessions first where there are none), in
   * the background and in small steps that each take the send queue, so a send waits for one step at
   * most. Only for groups we have sent to: a member who never sends does not distribute. Resolves with
   * the number of members reached; a run already going is joined (and goes round again for changes
   * that came while it ran). A failure (relay down) ends the run; the next change or send resumes it.
   */
  distributeAhead(groupId: string): Promise<number> {
    const running = this.#ahead.get(groupId);
    if (running) {
      this.#aheadAgain.add(groupId);
      return running;
    }
    const run = (async () => {
      let reached = 0;
      do {
        this.#aheadAgain.delete(groupId);
        const tried = new Set<string>();
        const fetched = new Set<string>();
        for (;;) {
          if (this.#stopped) return reached;
          // The prekey fetch is network time, not work: it runs outside the send queue, one batch
          // ahead of the steps, so a step holds the queue only for sessions and SKDMs.
          await this.#prefetchAhead(groupId, tried, fetched);
          const step = await this.#sends.run(() => this.#aheadStep(groupId, tried));
          if (step === undefined) break;
          reached += step;
        }
      } while (this.#aheadAgain.has(groupId));
      return reached;
    })()
      .catch((err: unknown) => {
        this.#d.logger.info({ groupId, ...errInfo(err) }, 'background sender key distribution stopped');
        return 0;
      })
      .finally(() => {
        this.#ahead.delete(groupId);
        this.#prefetched.delete(groupId);
      });
    this.#ahead.set(groupId, run);
    return run;
  }

  /**
   * Tells the group that the log moved (docs/alerts.md "Reaching new members at once"), in the
   * background and only while connected:
   * - a member that has sent to the group (it holds a sender key for it) gives its key to whoever
   *   lacks it, in the paced steps above, then sends one `group-update` body naming its new head
   *   through the ordinary fan-out: one upload, whatever the group's size;
   * - one that never sent (a joiner, above all) does not distribute a key to everyone for this: it
   *   sends the update 1:1 to at most ANNOUNCE_ADMINS admins, and each admin that has sent to the
   *   group passes it on to everyone (`relayed`), as above. A relayed update is never passed on 1:1.
   * Changes made while an update is on its way are announced by one more at the end, not one each.
   */
  announceChange(groupId: string, opts: { relayed?: boolean } = {}): Promise<void> {
    if (!this.#d.announceChanges) return Promise.resolve();
    const running = this.#announcing.get(groupId);
    if (running) {
      this.#announceAgain.add(groupId);
      return running;
    }
    // Ours are owed until sent: a client that is not connected (`aviso join` exits once joined), or
    // closes before it got there, sends them once its next connect() has taken the queue.
    if (!opts.relayed) this.#d.store.commit({ meta: { [announceKey(groupId)]: '1' } });
    if (!this.#live) return Promise.resolve();
    const run = (async () => {
      do {
        this.#announceAgain.delete(groupId);
        if (this.#stopped) return;
        if (this.#d.store.getGroup(groupId)?.status !== 'member') break; // we left, or were removed
        if (this.#d.store.getSenderKeyInfo(groupId)) {
          await this.distributeAhead(groupId);
          if (this.#stopped) return;
          await this.send(groupId, { type: GROUP_UPDATE });
        } else if (!opts.relayed) {
          await this.#sends.run(() => this.#tellAdmins(groupId));
        }
      } while (this.#announceAgain.has(groupId));
      if (!opts.relayed) this.#d.store.commit({ meta: { [announceKey(groupId)]: '' } });
    })()
      .catch((err: unknown) => {
        // The others learn at their next poll; the change itself is in the log.
        this.#d.logger.info({ groupId, ...errInfo(err) }, 'group update not sent');
      })
      .finally(() => this.#announcing.delete(groupId));
    this.#announcing.set(groupId, run);
    return run;
  }

  /** The group update of a member without a sender key: 1:1, to a few admins (announceChange). */
  async #tellAdmins(groupId: string): Promise<void> {
    const rec = this.#d.store.getGroup(groupId);
    if (!rec || rec.status !== 'member') return;
    const state = rec.state;
    const me = this.#d.account.record.accountId;
    const removed = readRemoved(this.#d.store, groupId);
    const refusals = this.#refusals(groupId, state);
    const admins = Object.values(state.members)
      .filter((m) => m.role === 'admin' && m.accountId !== me && !removed.has(m.accountId) && refusals.keys.get(m.accountId) !== undefined)
      .map((m) => m.accountId)
      .slice(0, ANNOUNCE_ADMINS);
    // Sessions through a group send token, as for SKDMs: the relay is not shown who fetched whose keys.
    const devices = this.#devices(admins);
    const noSession = admins.filter((a) => devices.get(a)!.length === 0);
    if (noSession.length > 0) await this.#fetchSessions(refusals, new Map(noSession.map((a) => [a, '*' as const])), await this.#endorsementsFor(groupId, state.version));
    for (const admin of admins) {
      const content = Content.parse({ v: 1, sentAt: this.#d.clock.next(), body: { type: GROUP_UPDATE, groupId, groupVersion: state.version, groupHeadHash: state.headHash } });
      await this.#sendToMember(refusals, admin, content);
    }
  }

  /** Connected, with the queue taken: sends the group updates still owed (announceChange). */
  goLive(): void {
    this.#live = true;
    for (const rec of this.#d.store.listGroups()) if (rec.status === 'member' && this.#d.store.getMeta(announceKey(rec.groupId))) void this.announceChange(rec.groupId);
  }

  /** Ends the background work (distribution, group updates) at its next step: the client is closing. */
  stop(): void {
    this.#stopped = true;
    this.#live = false;
  }

  /**
   * When fewer than a step's members have bundles waiting: one batched fetch for up to
   * LIMITS.maxKeyBatchAccounts members without a session, not yet fetched in this run. Reads and
   * network only; the sessions are started in the steps, under the log's key checks.
   */
  async #prefetchAhead(groupId: string, tried: Set<string>, fetched: Set<string>): Promise<void> {
    const waiting = this.#prefetched.get(groupId) ?? new Map<string, PreKeyBundleResponse>();
    if (waiting.size >= AHEAD_STEP_MEMBERS) return;
    // The cheap reads first: reading the group parses its whole member list, and a member who never
    // sent here (no sender key) has nothing to distribute.
    if (readClaim(this.#d.store, groupId) || !this.#d.store.getSenderKeyInfo(groupId)) return;
    const rec = this.#d.store.getGroup(groupId);
    if (!rec || rec.status !== 'member') return;
    const state = rec.state;
    const me = this.#d.account.record.accountId;
    const removed = readRemoved(this.#d.store, groupId);
    const keys = this.#memberKeys.byAccount(state);
    const candidates = Object.values(state.members)
      .map((m) => m.accountId)
      .filter((a) => a !== me && !tried.has(a) && !fetched.has(a) && keys.get(a) !== undefined && !removed.has(a));
    const devices = this.#devices(candidates);
    const batch = candidates.filter((a) => devices.get(a)!.length === 0).slice(0, LIMITS.maxKeyBatchAccounts);
    if (batch.length === 0) return;
    for (const a of batch) fetched.add(a);
    const got = await this.#fetchBatch(batch, await this.#endorsementsFor(groupId, state.version), this.#d.log.keysOf(groupId).secretParams);
    if (!got) return; // the steps fetch one by one
    for (const [a, bundle] of got) waiting.set(a, bundle);
    this.#prefetched.set(groupId, waiting);
  }

  /** One step: sessions and SKDMs for up to AHEAD_STEP_MEMBERS members; undefined when nobody is left. */
  async #aheadStep(groupId: string, tried: Set<string>): Promise<number | undefined> {
    // As in #prefetchAhead: the group (its whole member list) is read only when there is a key to hand out.
    if (readClaim(this.#d.store, groupId)) return undefined;
    const existing = this.#d.store.getSenderKeyInfo(groupId);
    if (!existing) return undefined; // never sent here (a key reset keeps the record: the run goes on)
    const rec = this.#d.store.getGroup(groupId);
    if (!rec || rec.status !== 'member') return undefined;
    const state = rec.state;
    const me = this.#d.account.record.accountId;
    const removed = readRemoved(this.#d.store, groupId);
    const refusals = this.#refusals(groupId, state);
    const info = this.#senderKeyInfo(groupId, state);
    const members = Object.values(state.members)
      .map((m) => m.accountId)
      .filter((a) => a !== me && !tried.has(a) && refusals.keys.get(a) !== undefined && !refusals.refused.has(a) && !removed.has(a));
    const devices = this.#devices(members);
    const step = lackingKey(info, members, devices)
      .concat(members.filter((a) => devices.get(a)!.length === 0))
      .filter((a, i, all) => all.indexOf(a) === i)
      .slice(0, AHEAD_STEP_MEMBERS);
    if (step.length === 0) return undefined;
    for (const a of step) tried.add(a);
    const noSession = step.filter((a) => devices.get(a)!.length === 0);
    if (noSession.length > 0) await this.#fetchSessions(refusals, new Map(noSession.map((a) => [a, '*' as const])), await this.#endorsementsFor(groupId, state.version));
    const ready = step.filter((a) => !refusals.refused.has(a));
    await this.#sendSkdm(groupId, this.#d.store.getSenderKeyInfo(groupId) ?? info, ready, refusals, this.#devices(ready));
    return ready.length;
  }

  // ---- receiving ----

  /**
   * Redistributes our sender key to the requester and resends (1:1) what we sent around that time,
   * but only messages that were encrypted to the requesting device when they were sent: a member
   * who joined later (or a device added later) gets nothing from before.
   */
  async serveResend(groupId: string, requester: string, requesterDevice: number, distributionId: string, around: number): Promise<void> {
    const device = `${requester}.${requesterDevice}`;
    const entries = this.#d.store
      .listSendLog(groupId, around - RESEND_WINDOW_BEFORE_MS, around + RESEND_WINDOW_AFTER_MS)
      .filter((e) => e.distributionId === distributionId && e.resends < MAX_RESENDS && e.createdAt > Date.now() - SEND_LOG_MS && e.recipients.includes(device));
    const refusals = this.#refusals(groupId, this.#d.log.record(groupId).state);
    await this.#sends.run(async () => {
      const info = this.#d.store.getSenderKeyInfo(groupId);
      if (info) {
        // Forget that the requester's devices have our key; the SKDM goes out now and is recorded again.
        const rest = info.devices.filter((d) => d.accountId !== requester);
        await this.#sendSkdm(groupId, { ...info, devices: rest }, [requester], refusals);
      }
    });
    for (const e of entries) {
      if (refusals.refused.has(requester)) return;
      this.#d.store.commit({ sendLog: [{ ...e, resends: e.resends + 1 }] });
      await this.#sendToMember(refusals, requester, Content.parse(JSON.parse(e.content)));
    }
  }

  #refusals(groupId: string, state: GroupState): Refusals {
    return { groupId, keys: this.#memberKeys.byAccount(state), refused: new Set() };
  }

  /** Refuses `accountId` as a recipient for the rest of this send and reports it (once). */
  #refuse(r: Refusals, accountId: string, err: Error): void {
    if (r.refused.has(accountId)) return;
    r.refused.add(accountId);
    this.#d.logger.warn({ groupId: r.groupId, reason: err instanceof IdentityMismatchError ? err.reason : err.name }, 'group member refused as a recipient');
    if (err instanceof IdentityMismatchError) this.#d.events.emit('identity-mismatch', err);
    else this.#d.events.emit('error', err);
  }

  /** sendDirect to a member under the log's key; a refused member is reported and false returned. */
  async #sendToMember(r: Refusals, to: string, content: Content): Promise<boolean> {
    if (r.refused.has(to)) return false;
    const identityKey = r.keys.get(to);
    if (!identityKey) {
      this.#refuse(r, to, new IdentityMismatchError(r.groupId, to, 'sending', 'no-verified-key'));
      return false;
    }
    try {
      await this.#d.direct.send(to, content, { groupId: r.groupId, identityKey });
      return true;
    } catch (err) {
      if (err instanceof IdentityMismatchError || err instanceof UntrustedIdentityError) {
        this.#refuse(r, to, err);
        return false;
      }
      throw err;
    }
  }

  // ---- sending internals ----

  async #upload(rec: GroupRecord, content: Content, members: string[]): Promise<void> {
    const groupId = rec.groupId;
    const refusals = this.#refusals(groupId, rec.state);
    for (const r of members) if (!refusals.keys.get(r)) this.#refuse(refusals, r, new IdentityMismatchError(groupId, r, 'sending', 'no-verified-key'));
    let recipients = members.filter((r) => !refusals.refused.has(r));
    const me = this.#d.account.record;
    const local = ProtocolAddress.new(me.accountId, me.deviceId);
    const keys = this.#d.log.keysOf(groupId, rec);
    const padded = encodeContent(content);
    const certificate = await this.#d.certificates.current();
    let endorsements = await this.#endorsementsFor(groupId, rec.state.version);
    let missing = new Map<string, Set<number> | '*'>();
    let checkedMissing = false;
    for (let attempt = 1; ; attempt++) {
      if (missing.size > 0) await this.#fetchSessions(refusals, missing, endorsements);
      missing = new Map();
      const now = Date.now();
      let distributionId: string;
      let step: { devices: DeviceMap; targets?: string[]; body?: Uint8Array<ArrayBuffer>; bad?: Array<[string, Error]>; recipients?: string[] };
      for (let round = 1; ; round++) {
        recipients = recipients.filter((r) => !refusals.refused.has(r));
        // Read again each round: the SKDMs of the last round recorded who has the key now.
        const info = this.#senderKeyInfo(groupId, rec.state);
        distributionId = info.distributionId;
        // One read of the recipients' sessions per step: the device list, the SKDM check, the
        // addresses, the token and libsignal's encrypt all use it (Zone: consistent within the step).
        step = await this.#d.crypto.inZone(
          groupId,
          async (zone, stores) => {
            const { devices, records } = this.#devicesIn(zone, recipients);
            // Sessions are only used under the log's key (one made from an incoming message, or
            // before the member joined, may be another) and not to a changed key the user has not accepted.
            const withSessions = recipients.filter((r) => devices.get(r)!.length > 0);
            zone.prefetchIdentities(withSessions);
            const bad: Array<[string, Error]> = [];
            for (const r of withSessions) {
              const identity = zone.getIdentity(r);
              const verdict = checkKey(refusals.keys.get(r), identity?.publicKey);
              if (verdict !== 'ok') bad.push([r, new IdentityMismatchError(groupId, r, 'sending', verdict)]);
              else if (identity!.verified === 'unverified') bad.push([r, new UntrustedIdentityError(r)]);
            }
            if (bad.length > 0) return { devices, bad };
            if (!checkedMissing && recipients.some((r) => devices.get(r)!.length === 0)) return { devices };
            if (lackingKey(info, recipients, devices).length > 0) return { devices };
            const targets = recipients.filter((r) => devices.get(r)!.length > 0);
            if (targets.length === 0) return { devices, targets };
            const addresses = targets.flatMap((r) => devices.get(r)!.map((d) => this.#address(r, d.deviceId)));
            const body = await encryptForGroup({ me: local, distributionId, groupId, certificate, padded, recipients: addresses, stores: withSessionRecords(stores, zone, records) });
            return { devices, targets, body, recipients: targets.flatMap((r) => devices.get(r)!.map((d) => `${r}.${d.deviceId}`)) };
          },
          (r) =>
            r.body
              ? {
                  sendLog: [{ groupId, sentAt: content.sentAt, distributionId, content: JSON.stringify(content), createdAt: now, resends: 0, recipients: r.recipients! }],
                  pruneSendLogBefore: now - SEND_LOG_MS,
                }
              : {},
        );
        if (step.bad) {
          for (const [r, err] of step.bad) this.#refuse(refusals, r, err);
          continue;
        }
        if (!checkedMissing) {
          checkedMissing = true;
          for (const r of recipients) if (step.devices.get(r)!.length === 0) missing.set(r, '*');
          if (missing.size > 0) {
            await this.#fetchSessions(refusals, missing, endorsements);
            missing = new Map();
            continue;
          }
        }
        if (step.targets) break;
        // Sessions changing under us between rounds could loop; a few rounds is plenty.
        if (round > 3) throw new Error('member devices kept changing while distributing the sender key');
        await this.#sendSkdm(groupId, info, recipients, refusals, step.devices);
      }
      const { targets, body } = step;
      if (targets.length === 0 || !body) return;
      const token = toBase64(sendToken(endorsements, targets, keys.secretParams));
      try {
        await this.#d.account.http.call(ENDPOINTS.multiRecipient, { query: { ts: content.sentAt }, body, headers: { [GROUP_SEND.tokenHeader]: token } });
        return;
      } catch (err) {
        if (!(err instanceof RelayRequestError) || attempt >= SEND_ATTEMPTS) throw err;
        const repairs = await this.#d.devices.repair(err);
        if (repairs) {
          const stale = new Set(repairs.flatMap((r) => (r.stale ? r.refetch.map((d) => `${r.accountId}.${d}`) : [])));
          // A reinstalled device lost our key: it gets the SKDM again on the retry.
          if (stale.size > 0) this.#d.store.commit({ senderKeyInfos: [withoutStale(this.#d.store.getSenderKeyInfo(groupId)!, stale)] });
          for (const r of repairs) if (r.refetch.length > 0) missing.set(r.accountId, new Set(r.refetch));
        } else if (err.code === 'UNAUTHORIZED' && attempt === 1) {
          // The endorsements may be for an older member list; fetch fresh ones once.
          this.#endorsements.delete(groupId);
          endorsements = await this.#endorsementsFor(groupId);
        } else {
          throw err;
        }
        this.#d.logger.info({ attempt, code: err.code }, 'group send refused; retrying');
      }
    }
  }

  /**
   * Our sender key for the group, reset (new distribution id, old key deleted) when it is older than
   * 90 days or any device that has it belongs to someone no longer a member.
   */
  #senderKeyInfo(groupId: string, state: GroupState): SenderKeyInfo {
    const me = this.#d.account.record;
    const members = new Set(Object.values(state.members).map((m) => m.accountId));
    const info = this.#d.store.getSenderKeyInfo(groupId);
    const now = Date.now();
    const reset = senderKeyReset(info, members, now);
    if (!reset) return info!;
    const fresh: SenderKeyInfo = { groupId, distributionId: randomUUID(), createdAt: now, devices: [] };
    this.#d.store.commit({
      senderKeyInfos: [fresh],
      ...(info ? { removeSenderKeys: [{ sender: `${me.accountId}.${me.deviceId}`, distributionId: info.distributionId }] } : {}),
    });
    if (reset !== 'none') this.#d.logger.info({ reason: reset }, 'sender key reset');
    return fresh;
  }

  /**
   * Sends the SKDM (1:1, sealed) to each of `accounts` with a device that lacks it, and records them.
   * `devices` (the accounts' current devices) is updated for the accounts sent to: the 1:1 send may
   * have started or replaced sessions.
   */
  async #sendSkdm(groupId: string, info: SenderKeyInfo, accounts: string[], refusals: Refusals, devices: DeviceMap = this.#devices(accounts)): Promise<void> {
    const lacking = lackingKey(info, accounts, devices);
    if (lacking.length === 0) {
      // Write only what changed (a resend request forgot the requester's devices): a thousand devices are not rewritten per send.
      if (!sameHolders(info, this.#d.store.getSenderKeyInfo(groupId))) this.#d.store.commit({ senderKeyInfos: [info] });
      return;
    }
    const me = this.#d.account.record;
    const skdm = await this.#d.crypto.inZone(groupId, (_zone, stores) => createDistribution(ProtocolAddress.new(me.accountId, me.deviceId), info.distributionId, stores));
    const reached: SenderKeyDevice[] = [];
    // One batched upload per LIMITS.maxSendBatchDestinations members (the relay checks and stores
    // each as its own 1:1 send); members it could not take go one by one, with repairs.
    const items = lacking
      .filter((a) => !refusals.refused.has(a))
      .map((a) => ({
        to: a,
        content: { v: 1, sentAt: this.#d.clock.next(), body: { type: SENDER_KEY_DISTRIBUTION, groupId, distributionId: info.distributionId, skdm: toBase64(skdm) } } satisfies Content,
        expect: { groupId, identityKey: refusals.keys.get(a) },
      }));
    const outcomes = await this.#d.direct.sendMany(items);
    let failure: unknown;
    for (const { to: a } of items) {
      const err = outcomes.get(a);
      if (err instanceof IdentityMismatchError || err instanceof UntrustedIdentityError) {
        this.#refuse(refusals, a, err);
        continue;
      }
      if (err !== undefined) {
        failure ??= err;
        continue;
      }
      const now = this.#devices([a]).get(a) ?? [];
      devices.set(a, now);
      reached.push(...now.map((d) => ({ accountId: a, ...d })));
    }
    // Who was reached is recorded even when some failed (the relay went away mid-distribution).
    this.#d.store.commit({ senderKeyInfos: [{ ...info, devices: holdersAfterDistribution(info, lacking, reached) }] });
    if (failure !== undefined) throw failure;
  }

  /**
   * Starts sessions with the given devices ('*' = all of the account's). Whole accounts come from
   * bundles the background distribution already fetched, then from batched fetches (one group send
   * token for each batch's exact set); named devices, and every account of a batch the relay does
   * not serve, are fetched one by one with a one-member token.
   */
  async #fetchSessions(refusals: Refusals, which: Map<string, Set<number> | '*'>, e: GroupEndorsements): Promise<void> {
    const groupId = refusals.groupId;
    const secretParams = this.#d.log.keysOf(groupId).secretParams;
    const whole = [...which].filter(([, d]) => d === '*').map(([a]) => a);
    const single: Array<[string, Set<number> | '*']> = [...which].filter(([, d]) => d !== '*');
    const waiting = this.#prefetched.get(groupId);
    const batches: string[][] = [];
    const ready = new Map<string, PreKeyBundleResponse>();
    for (const a of whole) {
      const bundle = waiting?.get(a);
      if (bundle) {
        waiting!.delete(a);
        ready.set(a, bundle);
        continue;
      }
      if ((batches.at(-1)?.length ?? LIMITS.maxKeyBatchAccounts) >= LIMITS.maxKeyBatchAccounts) batches.push([]);
      batches.at(-1)!.push(a);
    }
    await this.#startSessionsMany(refusals, ready);
    await forEachBounded(batches, PREKEY_BATCH_PARALLEL, async (accounts) => {
      const got = await this.#fetchBatch(accounts, e, secretParams);
      if (!got) {
        for (const a of accounts) single.push([a, '*']);
        return;
      }
      // An account the relay lists as missing has no keys (a single fetch's NOT_FOUND): skipped.
      await this.#startSessionsMany(refusals, got);
    });
    await forEachBounded(single, PREKEY_FETCH_PARALLEL, async ([accountId, devices]) => {
      const token = toBase64(sendToken(e, [accountId], secretParams));
      const targets: (number | '*')[] = devices === '*' ? ['*'] : [...devices];
      for (const deviceId of targets) {
        const params = { accountId, deviceId };
        let bundle: PreKeyBundleResponse;
        try {
          bundle = await this.#d.account.http.call(ENDPOINTS.keyBundle, { params, headers: { [GROUP_SEND.tokenHeader]: token } });
        } catch (err) {
          if (err instanceof RelayRequestError && err.code === 'NOT_FOUND') continue;
          if (!(err instanceof RelayRequestError) || !['UNAUTHORIZED', 'FORBIDDEN', 'BAD_REQUEST'].includes(err.code)) throw err;
          // A relay without token-authorised key fetches: fall back to our account credentials.
          this.#d.logger.info({ code: err.code }, 'anonymous prekey fetch refused; using account credentials');
          bundle = await this.#d.account.http.call(ENDPOINTS.keyBundle, { params });
        }
        if (!(await this.#startSessions(refusals, accountId, bundle))) return;
      }
    });
  }

  /**
   * One batched prekey fetch for `accounts` (at most LIMITS.maxKeyBatchAccounts) with a token for
   * exactly that set: their bundles by account (only accounts asked for, each once), or undefined
   * when the relay does not serve batches, so the caller fetches one by one.
   */
  async #fetchBatch(accounts: string[], e: GroupEndorsements, secretParams: Parameters<typeof sendToken>[2]): Promise<Map<string, PreKeyBundleResponse> | undefined> {
    const token = toBase64(sendToken(e, accounts, secretParams));
    let res;
    try {
      res = await this.#d.account.http.call(ENDPOINTS.keyBundleBatch, { body: { accounts }, headers: { [GROUP_SEND.tokenHeader]: token } });
    } catch (err) {
      if (!(err instanceof RelayRequestError) || !NO_BATCH_CODES.includes(err.code)) throw err;
      this.#d.logger.info({ code: err.code, accounts: accounts.length }, 'batched prekey fetch refused; fetching one by one');
      return undefined;
    }
    const wanted = new Set(accounts);
    const out = new Map<string, PreKeyBundleResponse>();
    for (const b of res.bundles) {
      if (wanted.has(b.accountId) && !out.has(b.accountId)) out.set(b.accountId, { identityKey: b.identityKey, devices: b.devices });
    }
    return out;
  }

  /**
   * `#startSessions` for many members in one zone, so one store commit (one fsync) for a batch
   * instead of one per member; a member refused (another key, or a changed key not accepted) is
   * reported and costs the others nothing.
   */
  async #startSessionsMany(refusals: Refusals, bundles: ReadonlyMap<string, PreKeyBundleResponse>): Promise<void> {
    const me = this.#d.account.record;
    const ok: Array<[string, PreKeyBundleResponse]> = [];
    for (const [accountId, bundle] of bundles) {
      const verdict = checkKey(refusals.keys.get(accountId), fromBase64(bundle.identityKey));
      if (verdict === 'ok') ok.push([accountId, bundle]);
      else this.#refuse(refusals, accountId, new IdentityMismatchError(refusals.groupId, accountId, 'sending', verdict));
    }
    if (ok.length === 0) return;
    const local = ProtocolAddress.new(me.accountId, me.deviceId);
    const untrusted = await this.#d.crypto.inZone(refusals.groupId, async (_zone, stores) => {
      const refused: Array<[string, UntrustedIdentityError]> = [];
      for (const [accountId, bundle] of ok) {
        try {
          await buildSessions(stores, local, accountId, bundle);
        } catch (err) {
          // libsignal checks trust before it writes anything: the zone holds only the others' sessions.
          if (!(err instanceof LibSignalErrorBase && err.is(SignalErrorCode.UntrustedIdentity))) throw err;
          refused.push([accountId, new UntrustedIdentityError(accountId, { cause: err })]);
        }
      }
      return refused;
    });
    for (const [accountId, err] of untrusted) this.#refuse(refusals, accountId, err);
  }

  /**
   * Sessions with every device of `bundle`, only under the log's key for the member (the relay
   * serves the bundle); a member refused here is reported and false returned.
   */
  async #startSessions(refusals: Refusals, accountId: string, bundle: PreKeyBundleResponse): Promise<boolean> {
    const me = this.#d.account.record;
    const verdict = checkKey(refusals.keys.get(accountId), fromBase64(bundle.identityKey));
    if (verdict !== 'ok') {
      this.#refuse(refusals, accountId, new IdentityMismatchError(refusals.groupId, accountId, 'sending', verdict));
      return false;
    }
    try {
      await this.#d.crypto.inZone(accountId, async (_zone, stores) => {
        await buildSessions(stores, ProtocolAddress.new(me.accountId, me.deviceId), accountId, bundle);
      });
      return true;
    } catch (err) {
      if (!(err instanceof UntrustedIdentityError)) throw err;
      this.#refuse(refusals, accountId, err);
      return false;
    }
  }

  #address(accountId: string, deviceId: number): ProtocolAddress {
    const key = `${accountId}.${deviceId}`;
    let a = this.#addresses.get(key);
    if (!a) {
      a = ProtocolAddress.new(accountId, deviceId);
      this.#addresses.set(key, a);
    }
    return a;
  }

  /** `#devices` read through a zone, with the current session records by `accountId.deviceId`. */
  #devicesIn(zone: Zone, accountIds: readonly string[]): { devices: DeviceMap; records: Map<string, SessionRecord> } {
    const devices: DeviceMap = new Map(accountIds.map((a) => [a, []]));
    const records = new Map<string, SessionRecord>();
    for (const s of zone.getSessionsOf(accountIds)) {
      const record = this.#sessionCache.get(s.accountId, s.deviceId, s.record);
      if (!record.hasCurrentState()) continue;
      devices.get(s.accountId)?.push({ deviceId: s.deviceId, registrationId: record.remoteRegistrationId() });
      records.set(`${s.accountId}.${s.deviceId}`, record);
    }
    return { devices, records };
  }

  /**
   * Devices of each account with a current session, and their registration ids (accounts without
   * one map to []): one store lookup, and a record is deserialized only when its bytes changed.
   */
  #devices(accountIds: readonly string[]): DeviceMap {
    const out: DeviceMap = new Map(accountIds.map((a) => [a, []]));
    for (const s of sessionsOf(this.#d.store, accountIds)) {
      const record = this.#sessionCache.get(s.accountId, s.deviceId, s.record);
      if (record.hasCurrentState()) out.get(s.accountId)?.push({ deviceId: s.deviceId, registrationId: record.remoteRegistrationId() });
    }
    return out;
  }

  /**
   * Endorsements for the group's current verified members, cached per (version, expiration). The
   * relay's member list must be exactly our verified one (after one sync if it is not).
   */
  async #endorsementsFor(groupId: string, version = this.#d.log.record(groupId).state.version): Promise<GroupEndorsements> {
    const cached = this.#endorsements.get(groupId);
    if (cached && cached.version === version && cached.e.expiration.getTime() - Date.now() > ENDORSEMENT_MARGIN_MS) return cached.e;
    for (let attempt = 1; ; attempt++) {
      const rec = this.#d.log.record(groupId);
      const keys = this.#d.log.keysOf(groupId);
      const res = await this.#d.auth.fetchEndorsements(keys);
      const ours = Object.keys(rec.state.members);
      const same = res.members.length === ours.length && res.members.every((m) => rec.state.members[m] !== undefined) && new Set(res.members).size === ours.length;
      if (!same || res.publicParams !== toBase64(keys.publicParams)) {
        if (attempt === 1) {
          await this.#d.log.sync(groupId);
          continue;
        }
        throw new GroupVerificationError(groupId, rec.state.version, 'endorsement-members', 'the relay issued endorsements for another member list than the verified one');
      }
      const memberAccounts = res.members.map((m) => rec.state.members[m]!.accountId);
      let e: GroupEndorsements;
      try {
        e = receiveEndorsements({
          response: fromBase64(res.response),
          memberAccounts,
          me: this.#d.account.record.accountId,
          secretParams: keys.secretParams,
          serverPublicParams: await this.#d.auth.serverPublicParams(),
        });
      } catch (err) {
        throw new GroupVerificationError(groupId, rec.state.version, 'endorsement-invalid', 'the relay issued endorsements that do not verify', { cause: err });
      }
      this.#endorsements.set(groupId, { version: rec.state.version, e });
      return e;
    }
  }


  /**
   * Refuses to send while a member's message names a version the relay will not serve us (we cannot
   * tell whom the unseen changes removed). The claim ends when a sync reaches that version (a head
   * that differs there is a fork) or when its author is no longer a member of the verified group.
   */
  async #checkWithheld(groupId: string): Promise<void> {
    if (!readClaim(this.#d.store, groupId)) return;
    await this.#d.log.syncForMessage(groupId); // a failure is logged and reported on 'error'
    const claim = readClaim(this.#d.store, groupId);
    if (!claim) return;
    const state = this.#d.log.record(groupId).state;
    if (state.version >= claim.namedVersion) {
      this.#d.store.commit(clearClaim(groupId));
      const ours = state.version === claim.namedVersion ? state.headHash : headAt(this.#d.store, groupId, claim.namedVersion);
      if (ours !== undefined && ours !== claim.headHash) this.#d.events.emit('error', new GroupForkError(groupId, claim.namedVersion));
      return;
    }
    if (!memberOf(state, claim.namedBy)) {
      this.#d.store.commit(clearClaim(groupId));
      return;
    }
    throw new GroupWithheldError(groupId, state.version, claim.namedVersion, claim.namedBy);
  }

  /**
   * A member of the verified state that a verified change removed and no later one brought back:
   * never encrypted to (only an inconsistent state gets here; it is reported).
   */
  #removedStill(groupId: string, state: GroupState, removed: Map<string, number>, accountId: string): boolean {
    const at = removed.get(accountId);
    if (at === undefined) return false; // a verified re-join deletes the entry (onGroupChange)
    this.#d.events.emit('error', new GroupVerificationError(groupId, state.version, 'removed-member', `member ${accountId} was removed at version ${at}; not sending to them`));
    return true;
  }

}
