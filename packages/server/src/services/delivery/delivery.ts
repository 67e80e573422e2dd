import { randomBytes, randomUUID } from 'node:crypto';
import { ProtocolError, type SendMessagesRequest, type SendMessagesResponse } from '@aviso/protocol';
import type { Logger } from 'pino';
import type { Synchronous } from '../../ports/maybe-promise.js';
import type { Transactor } from '../../ports/transactor.js';
import type { AccountsStore } from '../../ports/accounts.js';
import type { MessageQueue, QueuedEnvelope } from '../../ports/message-queue.js';
import type { AuthenticatedDevice } from '../accounts/accounts.js';
import { fromBase64, toBase64 } from '../shared/bytes.js';
import { MINUTE_MS, type Clock } from '../shared/clock.js';
import { checkDeviceSet, checkRecipients } from './device-sets.js';
import { envelopeAt, fanoutOf, SharedBase64 } from './fanout.js';
import { LiveEnvelope, type Fanout } from './live-envelope.js';
import { notifyListeners, type MessageNotifier, type QueuedMessage } from './notifier.js';
import type { RateLimiter } from '../shared/rate-limit.js';
import { deviceCount, splitSentMessage, type SplitSentMessage } from './sent-message.js';

export type { QueuedMessage } from './notifier.js';
export type { GroupSendRecipient } from './sent-message.js';
export { SharedBase64 } from './fanout.js';

/** What a group send stores: the parsed upload (see sent-message.ts). */
type GroupSendMessage = Pick<SplitSentMessage, 'recipients' | 'shared' | 'head'>;

/** Rows a group send still needs: for some of its envelopes (indexes), or all of them after a crash. */
interface Unwritten {
  fanout: Fanout;
  /** Envelope indexes; undefined for all (a recovered send: rows written before the crash are skipped). */
  indexes: readonly number[] | undefined;
  /** Delete the pending row with them: nothing of the send is live any more. */
  finish: boolean;
}

/** How long a group send's envelope may stay live and unanswered before it gets a row anyway. */
export const LIVE_ENVELOPE_MAX_MS = 10_000;

export class MessagesService {
  /** Group sends stored and pushed whose envelope rows could not be written yet (see `sendToMany`). */
  private unwritten: Unwritten[] = [];
  /** Group sends waiting for the end of this event-loop turn (see `sendToManySoon`). */
  private sendQueue: { message: GroupSendMessage; resolve: (stored: number) => void; reject: (err: unknown) => void }[] = [];
  private sendFlush: NodeJS.Immediate | undefined;
  /** Group sends with envelopes live on connections (see `LiveEnvelope`). */
  private readonly open = new Set<Fanout>();
  /** Live envelopes to turn into rows with the next batch (their connection went away, or answered an error). */
  private releases: LiveEnvelope[] = [];
  /** Group sends whose last live envelope was settled: their pending rows go with the next batch. */
  private settled: Fanout[] = [];
  /** Acknowledgements waiting for the end of the current event-loop turn (see `acknowledgeSoon`). */
  private pendingAcks: { accountId: string; deviceId: number; id: number }[] = [];
  private ackFlush: NodeJS.Immediate | undefined;

  constructor(
    private readonly deps: {
      accounts: Synchronous<AccountsStore>;
      messages: Synchronous<MessageQueue>;
      transaction: Transactor;
      notifier: MessageNotifier;
      clock: Clock;
      logger: Logger;
      sendLimiter: RateLimiter;
      ttlMs: number;
      maxPerDevice: number;
    },
  ) {}

  /**
   * Stores one sealed-sender envelope per destination device, with no sender recorded. The request must
   * address exactly the destination's devices (409) with their current registration ids (410).
   */
  send(sender: AuthenticatedDevice, destination: string, req: SendMessagesRequest): SendMessagesResponse {
    this.deps.sendLimiter.take(`${sender.accountId}>${destination}`);
    // The protocol schema has already bounded each decoded content to LIMITS.maxEnvelopeBytes.
    const contents = req.messages.map((m) => fromBase64(m.content));
    const now = this.deps.clock.now();
    const stored = this.write(() => {
      const devices = this.deps.accounts.devices(destination);
      if (devices.length === 0) throw new ProtocolError('NOT_FOUND', 'no such account');
      // Sending to one's own account reaches the other devices, not the sending one (Signal's rule).
      const expected = devices.filter((d) => !(destination === sender.accountId && d.deviceId === sender.deviceId));
      checkDeviceSet(expected, req);
      const receivedAt = Math.floor(now / MINUTE_MS) * MINUTE_MS;
      return req.messages.map((m, i) => {
        const guid = randomUUID();
        const id = this.deps.messages.insert({
          guid,
          accountId: destination,
          deviceId: m.destinationDeviceId,
          receivedAt,
          expiresAt: receivedAt + this.deps.ttlMs, // from the rounded time, like received_at
          content: contents[i] ?? new Uint8Array(),
        });
        this.trim(destination, m.destinationDeviceId);
        // Re-encoded from the stored bytes, so a push is exactly what a later fetch would return.
        return { id, envelope: { guid, serverTimestamp: receivedAt, content: toBase64(contents[i] ?? new Uint8Array()) } };
      });
    });
    stored.forEach((m, i) => this.deps.notifier.notify(destination, req.messages[i]?.destinationDeviceId ?? 0, m));
    return { stored: stored.length };
  }

  /**
   * Stores a group send and hands every online recipient device its envelope, in three steps within
   * this one event-loop task, so no acknowledgement, fetch or other send comes in between:
   * 1. checks that every account exists (404), is addressed with exactly its devices (409) and their
   *    current registration ids (410); then commits the shared part once and the upload's recipient
   *    part (`pending_fanouts`), reserving one queue position per recipient device. Durable (fsync),
   *    and one small write whatever the group size;
   * 2. pushes each online device its envelope, with its reserved queue position and its guid. An
   *    envelope a connection sends as it is becomes a `LiveEnvelope`: no row unless it is released;
   * 3. writes rows for the other devices (offline, or their in-flight window full) in a relaxed commit.
   * The pending row stays until every live envelope is acknowledged or released (at most
   * LIVE_ENVELOPE_MAX_MS): after a crash, start-up (`recoverFanouts`) rebuilds every envelope of the
   * send from it, with the same queue positions and guids, so members deduplicate what they had.
   * Members online and answering, the common case for an alert, never cost a row write or delete.
   * Returns the number of envelopes stored.
   */
  sendToMany(message: GroupSendMessage): number {
    const [outcome] = this.sendMany([message]);
    if (outcome instanceof Error || outcome === undefined) throw outcome ?? new Error('no outcome');
    return outcome;
  }

  /**
   * `sendToMany`, at the end of this event-loop turn together with every other group send that came
   * in meanwhile: one durable commit (one fsync) for all of them, each in a savepoint of its own so a
   * refused one (404, 409, 410) takes nothing else with it. Resolves with the number of envelopes stored.
   */
  sendToManySoon(message: GroupSendMessage): Promise<number> {
    return new Promise((resolve, reject) => {
      this.sendQueue.push({ message, resolve, reject });
      this.sendFlush ??= setImmediate(() => this.flushSends());
    });
  }

  private flushSends(): void {
    this.sendFlush = undefined;
    const batch = this.sendQueue;
    this.sendQueue = [];
    let outcomes: (number | ProtocolError)[];
    try {
      outcomes = this.sendMany(batch.map((b) => b.message));
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    outcomes.forEach((o, i) => (o instanceof Error ? batch[i]?.reject(o) : batch[i]?.resolve(o)));
  }

  /** The three steps of `sendToMany` for several sends; a send the relay refuses comes back as its error. */
  private sendMany(messages: readonly GroupSendMessage[]): (number | ProtocolError)[] {
    const now = this.deps.clock.now();
    const receivedAt = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    // From the rounded time: an exact expiry minus the TTL would give the exact arrival back.
    const expiresAt = receivedAt + this.deps.ttlMs;
    const outcomes = this.write(() =>
      messages.map((m) => {
        try {
          // Nested: a savepoint, rolled back alone if the send is refused.
          return this.deps.transaction(() => {
            checkRecipients(m.recipients, this.deps.accounts.devicesOfMany(m.recipients.map((r) => r.accountId)));
            const sharedId = this.deps.messages.insertShared(m.shared, expiresAt);
            const firstId = this.deps.messages.reserveQueueIds(deviceCount(m.recipients));
            const guidSeed = randomBytes(16);
            this.deps.messages.insertPending({ sharedId, firstId, receivedAt, head: m.head, guidSeed });
            return fanoutOf({ sharedId, firstId, receivedAt, expiresAt, pushedAt: now, guidSeed, recipients: m.recipients, shared: m.shared });
          });
        } catch (err) {
          if (err instanceof ProtocolError) return err;
          throw err;
        }
      }),
    );
    const rest: Unwritten[] = [];
    const pushAll = () => {
      for (const fanout of outcomes) {
        if (fanout instanceof ProtocolError) continue;
        const rows = this.push(fanout);
        if (rows.length > 0 || fanout.outstanding === 0) rest.push({ fanout, indexes: rows, finish: fanout.outstanding === 0 });
      }
    };
    // Several sends: each member's envelopes of the batch leave in one write (see MessageNotifier.burst).
    // One send: straight out, each member's socket written as soon as its envelope is ready.
    if (outcomes.length > 1) this.deps.notifier.burst(pushAll);
    else pushAll();
    if (rest.length > 0) {
      try {
        this.write(() => {
          for (const u of rest) this.writeRows(u);
        }, { relaxed: true });
      } catch (err) {
        // Stored and delivered where online: only rows are missing. Written before the next write instead.
        this.unwritten.push(...rest);
        this.deps.logger.error({ err }, 'writing group sends\' envelope rows failed; retried with the next write');
      }
    }
    return outcomes.map((fanout) => {
      if (fanout instanceof ProtocolError) return fanout;
      if (fanout.outstanding > 0) this.open.add(fanout);
      return fanout.count;
    });
  }

  /**
   * Writes the envelope rows of group sends a crash left pending (see `sendToMany`). Call once at
   * start-up, before the relay serves anyone. Returns how many sends were recovered.
   */
  recoverFanouts(): number {
    const pending = this.deps.messages.pendingFanouts();
    if (pending.length === 0) return 0;
    for (const p of pending) {
      const { recipients } = splitSentMessage(new Uint8Array(Buffer.concat([p.head, p.shared])));
      this.unwritten.push({ fanout: fanoutOf({ ...p, pushedAt: this.deps.clock.now(), recipients }), indexes: undefined, finish: true });
    }
    this.writeUnwritten();
    // Rows written before the crash were skipped, not counted: count afresh.
    this.deps.messages.forgetCounts();
    this.deps.logger.info({ sends: pending.length }, 'group sends recovered');
    return pending.length;
  }

  /**
   * Gives every envelope still live after LIVE_ENVELOPE_MAX_MS its row, so a member that neither
   * answers nor disconnects does not keep a send's pending row (its whole recipient list) on disk.
   * The relay calls this every few seconds.
   */
  releaseStragglers(): void {
    const before = this.deps.clock.now() - LIVE_ENVELOPE_MAX_MS;
    for (const f of this.open) {
      if (f.pushedAt > before) continue;
      for (const l of f.live) this.release(l);
    }
  }

  /**
   * Hands every online recipient device its envelope, in queue order.
   * Returns the indexes of the envelopes that need a row: no connection sent them as they are.
   */
  private push(fanout: Fanout): number[] {
    const pieces = new SharedBase64(fanout.shared).piecesForAll(fanout.recipients.map((r) => r.prefix));
    const rows: number[] = [];
    let i = 0;
    for (const [ri, r] of fanout.recipients.entries()) {
      for (const d of r.devices) {
        const index = i++;
        const listeners = this.deps.notifier.listenersOf(r.accountId, d.deviceId);
        if (listeners === undefined) {
          rows.push(index);
          continue;
        }
        const live = new LiveEnvelope(fanout, index, pieces[ri]!);
        if (notifyListeners(listeners, live)) {
          fanout.live.push(live);
          fanout.outstanding++;
        } else {
          rows.push(index);
        }
      }
    }
    return rows;
  }

  /**
   * Writes envelope rows of a group send at their reserved queue positions (and its pending row goes,
   * if `finish`). Call inside a transaction.
   */
  private writeRows(u: Unwritten): void {
    const { fanout } = u;
    const indexes = u.indexes ?? Array.from({ length: fanout.count }, (_, i) => i);
    if (indexes.length > 0) {
      const envelopes = indexes.map((i) => envelopeAt(fanout, i));
      const queued = this.deps.messages.queueLengths(envelopes);
      this.deps.messages.insertMany(envelopes, indexes.map((i) => fanout.firstId + i), { skipExisting: u.indexes === undefined });
      // Trimmed only where the queue was already full.
      for (const [i, e] of envelopes.entries()) {
        if ((queued[i] ?? 0) + 1 > this.deps.maxPerDevice) this.trim(e.accountId, e.deviceId);
      }
    }
    if (u.finish) {
      this.deps.messages.deletePending(fanout.sharedId);
      this.deps.messages.deleteSharedIfUnreferenced(fanout.sharedId);
    }
  }

  /** Writes the rows of group sends whose first attempt failed (or that a crash left), then wakes their devices. */
  private writeUnwritten(): void {
    if (this.unwritten.length > 0) this.write(() => undefined, { relaxed: true });
  }

  /** Unexpired envelopes queued for `device` after queue position `afterId`, oldest first. */
  fetch(device: AuthenticatedDevice, afterId: number, limit: number): QueuedMessage[] {
    // A device reconnecting right after its old connection released live envelopes must find their rows.
    if (this.releases.length > 0) this.flushAcknowledgements();
    return this.deps.messages.fetchAfter(device, afterId, limit, this.deps.clock.now()).map(toQueued);
  }

  /** Queue position of the newest envelope queued for `device` right now (0 if none). */
  lastQueuedId(device: AuthenticatedDevice): number {
    if (this.releases.length > 0) this.flushAcknowledgements();
    return this.deps.messages.lastId(device);
  }

  /** Deletes the device's acknowledged envelope at queue position `id`; false if it was already gone. */
  acknowledge(device: AuthenticatedDevice, id: number): boolean {
    // The envelope and, if it was the last one using it, its group send's shared payload.
    return this.write(() => this.deps.messages.deleteAcknowledged([{ accountId: device.accountId, deviceId: device.deviceId, id }]), { relaxed: true }) > 0;
  }

  /**
   * Deletes an acknowledged envelope at the end of this event-loop turn, together with every other
   * acknowledgement that came in meanwhile, in one transaction: 1,000 members acknowledging an alert
   * cost a handful of commits (fsyncs) instead of 1,000. Not durable until then: an acknowledgement lost
   * to a crash before its batch commits only means the envelope is delivered again, and clients
   * deduplicate (delivery is at least once anyway).
   */
  acknowledgeSoon(device: AuthenticatedDevice, id: number, live?: LiveEnvelope): void {
    // Live and never written: nothing to delete, only the send's pending row to settle.
    if (live?.state === 'live') {
      live.state = 'acknowledged';
      this.settle(live.fanout);
      return;
    }
    this.pendingAcks.push({ accountId: device.accountId, deviceId: device.deviceId, id });
    this.scheduleFlush();
  }

  /**
   * A live envelope's connection closed, or answered it with an error, before acknowledging it: its
   * row is written with the next batch (before any read of the queue), so it is delivered again.
   */
  release(live: LiveEnvelope): void {
    if (live.state !== 'live') return;
    live.state = 'released';
    this.releases.push(live);
    this.settle(live.fanout);
    this.scheduleFlush();
  }

  /**
   * Commits what waits for the end of this event-loop turn, in one relaxed transaction (also on
   * shutdown, before the database closes): rows for released live envelopes, then the acknowledged
   * rows' deletions, then the pending rows of group sends with nothing live left.
   */
  flushAcknowledgements(): void {
    if (this.ackFlush !== undefined) clearImmediate(this.ackFlush);
    this.ackFlush = undefined;
    const acks = this.pendingAcks;
    const releases = this.releases;
    const settled = this.settled;
    this.pendingAcks = [];
    this.releases = [];
    this.settled = [];
    if (acks.length === 0 && releases.length === 0 && settled.length === 0) return;
    const released = new Map<Fanout, number[]>();
    for (const l of releases) {
      let indexes = released.get(l.fanout);
      if (indexes === undefined) released.set(l.fanout, (indexes = []));
      indexes.push(l.index);
    }
    try {
      // Relaxed: an acknowledgement lost to a power cut is a redelivery, not a loss, and a lost row or
      // pending-row deletion is rebuilt from the pending row, which a durable commit wrote (storage/db.ts).
      this.write(
        () => {
          for (const [fanout, indexes] of released) this.writeRows({ fanout, indexes, finish: false });
          this.deps.messages.deleteAcknowledged(acks);
          for (const fanout of settled) this.writeRows({ fanout, indexes: [], finish: true });
        },
        { relaxed: true },
      );
    } catch (err) {
      // Acknowledged envelopes stay queued and are delivered again: at least once, never lost. Rows
      // for released envelopes and pending-row deletions are retried with the next batch.
      this.releases.unshift(...releases);
      this.settled.unshift(...settled);
      this.deps.logger.error({ err }, 'acknowledgement batch failed');
      return;
    }
    // A device that reconnected meanwhile reads its queue again.
    for (const l of releases) {
      const { accountIds, deviceIds } = l.fanout;
      this.deps.notifier.notify(accountIds[l.index] ?? '', deviceIds[l.index] ?? 0);
    }
  }

  private settle(fanout: Fanout): void {
    fanout.outstanding -= 1;
    if (fanout.outstanding > 0) return;
    this.open.delete(fanout);
    this.settled.push(fanout);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    this.ackFlush ??= setImmediate(() => this.flushAcknowledgements());
  }

  /** How many envelopes were trimmed from the device's full queue since the last call; resets the count. */
  takeDropped(device: AuthenticatedDevice): number {
    return this.deps.transaction(() => this.deps.accounts.takeDropped(device.accountId, device.deviceId));
  }

  /** Deletes envelopes past their TTL; returns how many. */
  deleteExpired(): number {
    this.writeUnwritten();
    const n = this.deps.messages.deleteExpired(this.deps.clock.now());
    if (n > 0) this.deps.logger.info({ expired: n }, 'expired envelopes deleted');
    return n;
  }

  /**
   * A write transaction that first writes the rows of any group send still missing them (ids only grow:
   * nothing may be stored past their reserved queue positions first). On rollback the repository's
   * remembered queue lengths may be off, so they go.
   */
  private write<T>(fn: () => T, options?: { relaxed?: boolean }): T {
    const unwritten = this.unwritten;
    let result: T;
    try {
      result = this.deps.transaction(() => {
        for (const u of unwritten) this.writeRows(u);
        return fn();
      }, options);
    } catch (err) {
      this.deps.messages.forgetCounts();
      throw err;
    }
    if (unwritten.length > 0) {
      this.unwritten = [];
      // Their devices were pushed what was online; the rest read their queues again.
      for (const { fanout } of unwritten) for (let i = 0; i < fanout.count; i++) this.deps.notifier.notify(fanout.accountIds[i] ?? '', fanout.deviceIds[i] ?? 0);
    }
    return result;
  }

  private trim(accountId: string, deviceId: number): void {
    const device = { accountId, deviceId };
    const excess = this.deps.messages.count(device) - this.deps.maxPerDevice;
    if (excess <= 0) return;
    const dropped = this.deps.messages.deleteOldest(device, excess);
    this.deps.accounts.addDropped(accountId, deviceId, dropped);
  }
}

function toQueued(m: QueuedEnvelope): QueuedMessage {
  return { id: m.id, envelope: { guid: m.guid, serverTimestamp: m.receivedAt, content: toBase64(m.content) } };
}
