import { ProtocolError, type SendMessagesRequest, type SendMessagesResponse } from '@aviso/protocol';
import type { Logger } from 'pino';
import type { AccountsStore } from '../../ports/accounts.js';
import type { Synchronous } from '../../ports/maybe-promise.js';
import type { MessageQueue } from '../../ports/message-queue.js';
import type { Transactor } from '../../ports/transactor.js';
import type { AuthenticatedDevice } from '../accounts/accounts.js';
import { fromBase64 } from '../shared/bytes.js';
import { MINUTE_MS, type Clock } from '../shared/clock.js';
import type { RelayMeter } from '../shared/meter.js';
import type { RateLimiter } from '../shared/rate-limit.js';
import { AckBatch } from './ack-batch.js';
import { DeviceQueues } from './device-queues.js';
import type { LiveEnvelope } from './live-envelope.js';
import type { MessageNotifier, QueuedMessage } from './notifier.js';
import { GroupSendBatch } from './send-batch.js';
import type { GroupSendMessage } from './sent-message.js';
import { LIVE_ENVELOPE_MAX_MS, WriteBehind, type Unwritten } from './write-behind.js';

export type { QueuedMessage } from './notifier.js';
export type { GroupSendRecipient } from './sent-message.js';
export { SharedBase64 } from './fanout.js';
export { LIVE_ENVELOPE_MAX_MS } from './write-behind.js';

/**
 * What routes and sockets call to store and deliver envelopes. The state lives in the parts: the
 * queues in storage (device-queues.ts), group sends between their commit and their rows
 * (write-behind.ts), and what waits for the end of the turn (send-batch.ts, ack-batch.ts). This
 * class holds the rules between them: every write transaction first writes the rows write-behind
 * owes, a queue read first flushes released envelopes into rows, and a group send's commit, push and
 * rows happen in one event-loop task.
 */
export class MessagesService {
  private readonly queues: DeviceQueues;
  private readonly writeBehind: WriteBehind;
  private readonly sends: GroupSendBatch;
  private readonly acks: AckBatch;

  constructor(
    private readonly deps: {
      accounts: Synchronous<AccountsStore>;
      messages: Synchronous<MessageQueue>;
      transaction: Transactor;
      notifier: MessageNotifier;
      clock: Clock;
      logger: Logger;
      sendLimiter: RateLimiter;
      meter?: RelayMeter;
      ttlMs: number;
      maxPerDevice: number;
    },
  ) {
    this.queues = new DeviceQueues({ accounts: deps.accounts, messages: deps.messages, ttlMs: deps.ttlMs, maxPerDevice: deps.maxPerDevice });
    this.acks = new AckBatch(() => this.flushAcknowledgements());
    this.writeBehind = new WriteBehind({ queues: this.queues, notifier: deps.notifier, turn: this.acks });
    this.sends = new GroupSendBatch((messages) => this.sendMany(messages));
  }

  /**
   * Stores one sealed-sender envelope per destination device, with no sender recorded. The request must
   * address exactly the destination's devices (409) with their current registration ids (410).
   */
  send(sender: AuthenticatedDevice, destination: string, req: SendMessagesRequest): SendMessagesResponse {
    this.deps.sendLimiter.take(`${sender.accountId}>${destination}`);
    // The protocol schema has already bounded each decoded content to LIMITS.maxEnvelopeBytes.
    const contents = req.messages.map((m) => fromBase64(m.content));
    const now = this.deps.clock.now();
    const stored = this.write(() => this.queues.storeDirect(sender, destination, req, contents, now));
    stored.forEach((m, i) => this.deps.notifier.notify(destination, req.messages[i]?.destinationDeviceId ?? 0, m));
    this.deps.meter?.envelopesQueued(stored.length);
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
    return this.sends.add(message);
  }

  /** The three steps of `sendToMany` for several sends; a send the relay refuses comes back as its error. */
  private sendMany(messages: readonly GroupSendMessage[]): (number | ProtocolError)[] {
    const now = this.deps.clock.now();
    const receivedAt = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    // From the rounded time: an exact expiry minus the TTL would give the exact arrival back.
    const at = { now, receivedAt, expiresAt: receivedAt + this.deps.ttlMs };
    const outcomes = this.write(() =>
      messages.map((m) => {
        try {
          // Nested: a savepoint, rolled back alone if the send is refused.
          return this.deps.transaction(() => this.queues.commitGroupSend(m, at));
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
        const rows = this.writeBehind.push(fanout);
        if (rows !== undefined) rest.push(rows);
      }
    };
    // Several sends: each member's envelopes of the batch leave in one write (see MessageNotifier.burst).
    // One send: straight out, each member's socket written as soon as its envelope is ready.
    if (outcomes.length > 1) this.deps.notifier.burst(pushAll);
    else pushAll();
    if (rest.length > 0) {
      try {
        this.write(() => {
          for (const u of rest) this.writeBehind.writeRows(u);
        }, { relaxed: true });
      } catch (err) {
        // Stored and delivered where online: only rows are missing. Written before the next write instead.
        this.writeBehind.owe(rest);
        this.deps.logger.error({ err }, 'writing group sends\' envelope rows failed; retried with the next write');
      }
    }
    return outcomes.map((fanout) => {
      if (fanout instanceof ProtocolError) return fanout;
      this.writeBehind.watch(fanout);
      this.deps.meter?.envelopesQueued(fanout.count);
      return fanout.count;
    });
  }

  /**
   * Writes the envelope rows of group sends a crash left pending (see `sendToMany`). Call once at
   * start-up, before the relay serves anyone. Returns how many sends were recovered.
   */
  recoverFanouts(): number {
    const pending = this.queues.pendingGroupSends();
    if (pending.length === 0) return 0;
    this.writeBehind.recover(pending, this.deps.clock.now());
    this.writeOwed();
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
    this.writeBehind.releaseStragglers(this.deps.clock.now() - LIVE_ENVELOPE_MAX_MS);
  }

  /** Unexpired envelopes queued for `device` after queue position `afterId`, oldest first. */
  fetch(device: AuthenticatedDevice, afterId: number, limit: number): QueuedMessage[] {
    // A device reconnecting right after its old connection released live envelopes must find their rows.
    if (this.writeBehind.hasReleases) this.flushAcknowledgements();
    return this.queues.fetch(device, afterId, limit, this.deps.clock.now());
  }

  /** Queue position of the newest envelope queued for `device` right now (0 if none). */
  lastQueuedId(device: AuthenticatedDevice): number {
    if (this.writeBehind.hasReleases) this.flushAcknowledgements();
    return this.queues.lastId(device);
  }

  /** Deletes the device's acknowledged envelope at queue position `id`; false if it was already gone. */
  acknowledge(device: AuthenticatedDevice, id: number): boolean {
    // The envelope and, if it was the last one using it, its group send's shared payload.
    const deleted = this.write(() => this.queues.deleteAcknowledged([{ accountId: device.accountId, deviceId: device.deviceId, id }]), { relaxed: true }) > 0;
    if (deleted) this.deps.meter?.envelopesDelivered(1);
    return deleted;
  }

  /**
   * Deletes an acknowledged envelope at the end of this event-loop turn, together with every other
   * acknowledgement that came in meanwhile, in one transaction: 1,000 members acknowledging an alert
   * cost a handful of commits (fsyncs) instead of 1,000. Not durable until then: an acknowledgement lost
   * to a crash before its batch commits only means the envelope is delivered again, and clients
   * deduplicate (delivery is at least once anyway).
   */
  acknowledgeSoon(device: AuthenticatedDevice, id: number, live?: LiveEnvelope): void {
    this.deps.meter?.envelopesDelivered(1);
    // Live and never written: nothing to delete, only the send's pending row to settle.
    if (live !== undefined && this.writeBehind.acknowledgeLive(live)) return;
    this.acks.add({ accountId: device.accountId, deviceId: device.deviceId, id });
  }

  /**
   * A live envelope's connection closed, or answered it with an error, before acknowledging it: its
   * row is written with the next batch (before any read of the queue), so it is delivered again.
   */
  release(live: LiveEnvelope): void {
    this.writeBehind.release(live);
  }

  /**
   * Commits what waits for the end of this event-loop turn, in one relaxed transaction (also on
   * shutdown, before the database closes): rows for released live envelopes, then the acknowledged
   * rows' deletions, then the pending rows of group sends with nothing live left.
   */
  flushAcknowledgements(): void {
    const acks = this.acks.take();
    const turn = this.writeBehind.takeTurn();
    if (acks.length === 0 && turn.releases.length === 0 && turn.settled.length === 0) return;
    try {
      // Relaxed: an acknowledgement lost to a power cut is a redelivery, not a loss, and a lost row or
      // pending-row deletion is rebuilt from the pending row, which a durable commit wrote (storage/db.ts).
      // In this order: an answer to an envelope released this turn deletes the row just written, and a
      // shared part goes once neither rows nor the pending row use it.
      this.write(
        () => {
          this.writeBehind.writeReleased(turn);
          this.queues.deleteAcknowledged(acks);
          this.writeBehind.finishSettled(turn);
        },
        { relaxed: true },
      );
    } catch (err) {
      // Acknowledged envelopes stay queued and are delivered again: at least once, never lost. Rows
      // for released envelopes and pending-row deletions are retried with the next batch.
      this.writeBehind.putBack(turn);
      this.deps.logger.error({ err }, 'acknowledgement batch failed');
      return;
    }
    // A device that reconnected meanwhile reads its queue again.
    this.writeBehind.wakeReleased(turn);
  }

  /** How many envelopes were trimmed from the device's full queue since the last call; resets the count. */
  takeDropped(device: AuthenticatedDevice): number {
    return this.deps.transaction(() => this.queues.takeDropped(device));
  }

  /** Deletes envelopes past their TTL; returns how many. */
  deleteExpired(): number {
    this.writeOwed();
    const n = this.queues.deleteExpired(this.deps.clock.now());
    if (n > 0) this.deps.logger.info({ expired: n }, 'expired envelopes deleted');
    return n;
  }

  /** Writes the rows of group sends whose first attempt failed (or that a crash left), then wakes their devices. */
  private writeOwed(): void {
    if (this.writeBehind.owesRows) this.write(() => undefined, { relaxed: true });
  }

  /**
   * A write transaction that first writes the rows of any group send still missing them (ids only grow:
   * nothing may be stored past their reserved queue positions first). On rollback the repository's
   * remembered queue lengths may be off, so they go.
   */
  private write<T>(fn: () => T, options?: { relaxed?: boolean }): T {
    let owed: readonly Unwritten[] = [];
    let result: T;
    try {
      result = this.deps.transaction(() => {
        owed = this.writeBehind.writeOwed();
        return fn();
      }, options);
    } catch (err) {
      this.deps.messages.forgetCounts();
      throw err;
    }
    this.writeBehind.owedWritten(owed);
    return result;
  }
}
