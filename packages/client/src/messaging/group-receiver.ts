import { ProtocolAddress } from '@signalapp/libsignal-client';
import { GROUP_UPDATE, RESEND_REQUEST, SENDER_KEY_DISTRIBUTION, type GroupMessageBody } from '@aviso/protocol';
import { applyGroupBody, memberOf, relayTimeOf } from '../alerts/apply.js';
import { claimChange } from '../alerts/group-watch.js';
import { checkKey, MemberKeys } from '../alerts/member-keys.js';
import type { GroupMessageEvent } from '../alerts/types.js';
import type { OpenedMessage, RejectReason } from '../crypto/sealed.js';
import { acceptDistribution } from '../crypto/sender-keys.js';
import { GroupForkError, GroupWithheldError, IdentityMismatchError, RelayRequestError } from '../errors.js';
import type { GroupLog } from '../groups/group-log.js';
import { headAt } from '../groups/heads.js';
import type { GroupState } from '../stores/group-state.js';
import type { AvisoStore, StoreChanges } from '../stores/interfaces.js';
import type { SignalStores } from '../stores/libsignal-adapters.js';
import { fromBase64 } from '../util/bytes.js';
import type { EventSink } from '../util/events.js';
import { errInfo, type Logger } from '../util/logger.js';
import type { DirectSender } from './direct.js';
import type { GroupSender, GroupSenderEvents } from './group-sender.js';
import type { SentClock } from './sent-clock.js';

export interface GroupReceiverDeps {
  store: AvisoStore;
  log: GroupLog;
  /** Serves resend requests (our sender key and the logged messages, 1:1). */
  sender: GroupSender;
  direct: DirectSender;
  clock: SentClock;
  events: EventSink<GroupSenderEvents>;
  logger: Logger;
}

/**
 * `later`: nothing is committed and the envelope stays unprocessed, to be tried again (the group
 * could not be synced first, docs/alerts.md "Receiving"). A group body returns its events with the
 * group id: the facade attaches the Group handle.
 */
export type ReceiveOutcome =
  | { ok: true; changes: StoreChanges; events?: GroupMessageEvent[]; groupId?: string; after?: () => void }
  | { ok: false; reason: RejectReason; message: string }
  | { ok: 'later'; message: string };

/**
 * Group messages arriving (docs/alerts.md "Receiving"): SKDMs, resend requests and group bodies,
 * checked against the verified group log (membership, version, head, the member's identity key).
 */
export class GroupReceiver {
  readonly #d: GroupReceiverDeps;
  /** (sender, distribution id) → when we last asked; one resend request per minute each. */
  readonly #asked = new Map<string, number>();
  readonly #memberKeys = new MemberKeys();
  /** Groups synced since the connection (re)opened: the first group message of each waits for one. */
  readonly #synced = new Set<string>();

  constructor(deps: GroupReceiverDeps) {
    this.#d = deps;
  }

  /**
   * Decides what a decrypted skdm, resend-request or group body does. Runs inside the client's
   * receive step (its zone is still open): SKDMs are processed into that zone, everything else is
   * returned as rows to commit with it and work to do after the commit.
   */
  async receive(opened: OpenedMessage, stores: SignalStores): Promise<ReceiveOutcome> {
    const { sender, senderDevice, content, via } = opened;
    const body = content.body;
    switch (body.type) {
      case 'direct':
        throw new Error('direct bodies are not group messages');
      case SENDER_KEY_DISTRIBUTION: {
        if (via !== 'session') return { ok: false, reason: 'invalid-envelope', message: 'a sender key arrived through a sender key' };
        const state = await this.#memberState(body.groupId, sender, true);
        if (!state) return { ok: false, reason: 'not-a-member', message: 'a sender key from someone not in the verified group' };
        const bad = await this.#senderKeyProblem(body.groupId, state, opened, stores);
        if (bad) return bad;
        let distributionId: string;
        try {
          distributionId = await acceptDistribution(ProtocolAddress.new(sender, senderDevice), fromBase64(body.skdm), stores);
        } catch (err) {
          return { ok: false, reason: 'malformed-content', message: `unusable sender key: ${err instanceof Error ? err.message : String(err)}` };
        }
        if (distributionId !== body.distributionId) return { ok: false, reason: 'malformed-content', message: 'the sender key names another distribution id' };
        return { ok: true, changes: {} };
      }
      case RESEND_REQUEST: {
        if (via !== 'session') return { ok: false, reason: 'invalid-envelope', message: 'a resend request arrived through a sender key' };
        const state = await this.#memberState(body.groupId, sender, false);
        if (!state) return { ok: false, reason: 'not-a-member', message: 'a resend request from someone not in the verified group' };
        const bad = await this.#senderKeyProblem(body.groupId, state, opened, stores);
        if (bad) return bad;
        return {
          ok: true,
          changes: {},
          after: () => void this.#d.sender.serveResend(body.groupId, sender, opened.senderDevice, body.distributionId, body.sentAt).catch((err: unknown) => this.#d.logger.warn(errInfo(err), 'resend failed')),
        };
      }
      default:
        return this.#receiveGroupBody(opened, body);
    }
  }

  async #receiveGroupBody(opened: OpenedMessage, body: GroupMessageBody): Promise<ReceiveOutcome> {
    const groupId = body.groupId;
    if (opened.via === 'sender-key' && opened.envelopeGroupId !== groupId) return { ok: false, reason: 'not-allowed', message: 'the envelope names another group than the message' };
    let rec = this.#d.store.getGroup(groupId);
    if (!rec || rec.status !== 'member') return { ok: false, reason: 'not-a-member', message: 'a message for a group this account is not in' };
    const versionBefore = rec.state.version;
    if (body.groupVersion > rec.state.version || !this.#synced.has(groupId)) {
      // The sender has verified changes we have not seen (a new member, a removal), or this is the
      // group's first message since we (re)connected and changes may have happened while we were
      // away: catch up before applying it, so a member removed meanwhile is not counted.
      const synced = await this.#syncForMessage(groupId);
      if (synced === 'transient') return { ok: 'later', message: 'the group could not be synced before applying its message' };
      rec = this.#d.store.getGroup(groupId) ?? rec;
      if (rec.status !== 'member') return { ok: false, reason: 'not-a-member', message: 'this account is no longer in the group' };
      if (body.groupVersion > rec.state.version && memberOf(rec.state, opened.sender)) {
        // A member verified a version the relay will not serve us: it is hiding changes from us. Until
        // we see them we cannot know whom they removed, so we stop sending to the group (#checkWithheld).
        const err = new GroupWithheldError(groupId, rec.state.version, body.groupVersion, opened.sender);
        this.#d.store.commit(claimChange(this.#d.store, groupId, { namedVersion: body.groupVersion, headHash: body.groupHeadHash, namedBy: opened.sender }));
        this.#d.events.emit('group-withheld', err);
        return { ok: false, reason: 'group-withheld', message: err.message };
      }
    }
    // The sender's (version, head) must be on our chain: ours at that version (kept per version), or
    // our current head when it names ours. A newer one was synced to above.
    const ours = body.groupVersion === rec.state.version ? rec.state.headHash : headAt(this.#d.store, groupId, body.groupVersion);
    if (ours !== undefined && body.groupHeadHash !== ours && memberOf(rec.state, opened.sender)) {
      // Different history at that version: the relay showed the two of us different logs.
      this.#d.events.emit('error', new GroupForkError(groupId, body.groupVersion));
      return { ok: false, reason: 'group-fork', message: `the sender verified a different history at version ${body.groupVersion}` };
    }
    const bad = await this.#senderKeyProblem(groupId, rec.state, opened);
    if (bad) return bad;
    const { sender, senderDevice, content, serverTimestamp } = opened;
    const applied = applyGroupBody({ store: this.#d.store, state: rec.state, sender, senderDevice, sentAt: content.sentAt, relayTime: relayTimeOf(serverTimestamp), body });
    if (!applied.ok) return applied;
    if (body.type === GROUP_UPDATE && opened.via === 'session' && rec.state.version > versionBefore) {
      // A member without a sender key told us (an admin) of its change 1:1: we pass it on to the
      // group, if we have sent there (GroupSender.announceChange).
      return { ok: true, changes: applied.changes, events: applied.events, groupId, after: () => void this.#d.sender.announceChange(groupId, { relayed: true }) };
    }
    return { ok: true, changes: applied.changes, events: applied.events, groupId };
  }

  /** After a group message failed for want of the sender's key: ask the sender (1:1) to resend it. */
  requestResend(input: { sender: string; groupId: string | undefined; distributionId: string; serverTimestamp: number }): void {
    const { sender, groupId, distributionId } = input;
    if (groupId === undefined) return;
    const key = `${sender}\u0000${distributionId}`;
    const now = Date.now();
    if ((this.#asked.get(key) ?? 0) > now - 60_000) return;
    this.#asked.set(key, now);
    void (async () => {
      const state = await this.#memberState(groupId, sender, true);
      if (!state) return;
      await this.#d.direct.send(sender, { v: 1, sentAt: this.#d.clock.next(), body: { type: RESEND_REQUEST, groupId, distributionId, sentAt: input.serverTimestamp } });
    })().catch((err: unknown) => this.#d.logger.warn(errInfo(err), 'resend request failed'));
  }

  /**
   * A member's message must come under the identity key the verified log binds to them: the one in
   * the sender certificate (the relay signs those) and, for 1:1-session messages, the session's.
   * Undefined when it does; otherwise the message is dropped and the member named.
   */
  async #senderKeyProblem(groupId: string, state: GroupState, opened: OpenedMessage, stores?: SignalStores): Promise<ReceiveOutcome | undefined> {
    const member = memberOf(state, opened.sender);
    if (!member) return undefined; // not a member: refused as such by the caller
    const expected = this.#memberKeys.keyOf(member) ?? this.#keyNow(groupId, state, opened.sender);
    let verdict = checkKey(expected, opened.senderIdentityKey);
    if (verdict === 'ok' && stores && opened.via === 'session') {
      const session = await stores.identity.getIdentity(ProtocolAddress.new(opened.sender, opened.senderDevice));
      verdict = checkKey(expected, session?.serialize());
    }
    if (verdict === 'ok') return undefined;
    const err = new IdentityMismatchError(groupId, opened.sender, 'receiving', verdict);
    this.#d.events.emit('identity-mismatch', err);
    return { ok: false, reason: 'identity-mismatch', message: err.message };
  }

  /**
   * A sender who came in with a join's checkpoint snapshot and whose identity binding the background
   * check has not reached yet: checked now, this member only (docs/groups.md "How a newcomer joins").
   * Undefined when there is nothing to check or the binding fails: the message is then refused as
   * from any unverified member.
   */
  #keyNow(groupId: string, state: GroupState, sender: string): Uint8Array | undefined {
    if (!state.unresolved?.length) return undefined;
    return this.#memberKeys.keyOf({ identityKey: this.#d.log.unresolvedKeyOf(groupId, state, sender) });
  }

  /** Our verified state of a group if `sender` is a member in it (syncing once first when asked). */
  async #memberState(groupId: string, sender: string, syncIfUnknown: boolean): Promise<GroupState | undefined> {
    let rec = this.#d.store.getGroup(groupId);
    if (!rec || rec.status !== 'member') return undefined;
    if (!memberOf(rec.state, sender) && syncIfUnknown) {
      await this.#d.log.syncForMessage(groupId); // a failure is logged and reported on 'error'
      rec = this.#d.store.getGroup(groupId);
      if (!rec || rec.status !== 'member') return undefined;
    }
    return memberOf(rec.state, sender) ? rec.state : undefined;
  }

  /** Forgets which groups were synced: the connection (re)opened, changes may have been missed. */
  connectionOpened(): void {
    this.#synced.clear();
  }

  /** A sync before applying a group message: 'transient' when the relay could not be reached (try later). */
  async #syncForMessage(groupId: string): Promise<'ok' | 'transient' | 'failed'> {
    const err = await this.#d.log.syncForMessage(groupId); // logged and reported on 'error' there
    if (err === undefined) {
      this.#synced.add(groupId);
      return 'ok';
    }
    const transient = err instanceof RelayRequestError && (err.retryable || err.code === 'NETWORK_ERROR' || err.code === 'TIMEOUT');
    return transient ? 'transient' : 'failed';
  }

}
