import { randomBytes, randomUUID } from 'node:crypto';
import { ProtocolError, type SendMessagesRequest } from '@aviso/protocol';
import type { AccountsStore } from '../../ports/accounts.js';
import type { Synchronous } from '../../ports/maybe-promise.js';
import type { MessageQueue, PendingFanout, QueuedEnvelope } from '../../ports/message-queue.js';
import type { DeviceKey } from '../../ports/prekeys.js';
import type { AuthenticatedDevice } from '../accounts/accounts.js';
import { toBase64 } from '../shared/bytes.js';
import { MINUTE_MS } from '../shared/clock.js';
import { checkDeviceSet, checkRecipients } from './device-sets.js';
import { envelopeAt, fanoutOf } from './fanout.js';
import type { Fanout, QueuedMessage } from './live-envelope.js';
import { deviceCount, type GroupSendMessage } from './sent-message.js';

// The per-device queues as delivery reads and writes them, with the rules that belong to a stored
// row (device checks, the cap per device, TTL) and none of the in-memory state: that lives in
// write-behind.ts and the batches. Nothing here opens a transaction or reads the clock, so the
// facade (delivery.ts) decides what runs in which transaction and after what.

/**
 * Reads and writes of the envelope queues. Methods that write say "inside a write transaction": the
 * facade's, which first writes any group-send rows still owed (queue positions only grow).
 */
export class DeviceQueues {
  constructor(
    private readonly deps: {
      accounts: Synchronous<AccountsStore>;
      messages: Synchronous<MessageQueue>;
      ttlMs: number;
      maxPerDevice: number;
    },
  ) {}

  /**
   * Stores one sealed-sender envelope per destination device (`contents[i]` for `req.messages[i]`),
   * after checking the request addresses exactly the destination's devices (404, 409, 410). Returns
   * the envelopes as a fetch would. Inside a write transaction.
   */
  storeDirect(sender: AuthenticatedDevice, destination: string, req: SendMessagesRequest, contents: readonly Uint8Array[], now: number): QueuedMessage[] {
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
  }

  /**
   * Step 1 of a group send (see MessagesService.sendToMany): checks the recipients (404, 409, 410),
   * stores the shared part once and the pending row, and reserves one queue position per recipient
   * device. Returns the send as it is held in memory until its envelopes are settled. Inside a write
   * transaction (a savepoint of its own, so a refused send takes nothing else with it).
   */
  commitGroupSend(m: GroupSendMessage, at: { now: number; receivedAt: number; expiresAt: number }): Fanout {
    checkRecipients(m.recipients, this.deps.accounts.devicesOfMany(m.recipients.map((r) => r.accountId)));
    const sharedId = this.deps.messages.insertShared(m.shared, at.expiresAt);
    const firstId = this.deps.messages.reserveQueueIds(deviceCount(m.recipients));
    const guidSeed = randomBytes(16);
    this.deps.messages.insertPending({ sharedId, firstId, receivedAt: at.receivedAt, head: m.head, guidSeed });
    return fanoutOf({ sharedId, firstId, receivedAt: at.receivedAt, expiresAt: at.expiresAt, pushedAt: at.now, guidSeed, recipients: m.recipients, shared: m.shared });
  }

  /**
   * Writes envelope rows of a group send at their reserved queue positions: envelopes `indexes`, or
   * with `undefined` all of them, skipping rows already there (a send rebuilt after a crash). Inside
   * a write transaction.
   */
  writeGroupRows(fanout: Fanout, indexes: readonly number[] | undefined): void {
    const all = indexes ?? Array.from({ length: fanout.count }, (_, i) => i);
    if (all.length === 0) return;
    const envelopes = all.map((i) => envelopeAt(fanout, i));
    const queued = this.deps.messages.queueLengths(envelopes);
    this.deps.messages.insertMany(envelopes, all.map((i) => fanout.firstId + i), { skipExisting: indexes === undefined });
    // Trimmed only where the queue was already full.
    for (const [i, e] of envelopes.entries()) {
      if ((queued[i] ?? 0) + 1 > this.deps.maxPerDevice) this.trim(e.accountId, e.deviceId);
    }
  }

  /** A group send has rows for everything not settled live: its pending row goes, and its shared part if unused. Inside a write transaction. */
  finishGroupSend(fanout: Fanout): void {
    this.deps.messages.deletePending(fanout.sharedId);
    this.deps.messages.deleteSharedIfUnreferenced(fanout.sharedId);
  }

  /** Group sends a crash left with rows unwritten, oldest first. */
  pendingGroupSends(): PendingFanout[] {
    return this.deps.messages.pendingFanouts();
  }

  /** Unexpired envelopes queued for `device` after queue position `afterId`, oldest first. */
  fetch(device: DeviceKey, afterId: number, limit: number, now: number): QueuedMessage[] {
    return this.deps.messages.fetchAfter(device, afterId, limit, now).map(toQueued);
  }

  /** Queue position of the newest envelope queued for `device` (0 if none). */
  lastId(device: DeviceKey): number {
    return this.deps.messages.lastId(device);
  }

  /** Deletes acknowledged envelopes (and shared parts left unused); returns how many went. Inside a write transaction. */
  deleteAcknowledged(acks: readonly (DeviceKey & { id: number })[]): number {
    return this.deps.messages.deleteAcknowledged(acks);
  }

  /** How many envelopes were trimmed from the device's full queue since the last call; resets the count. Inside a transaction. */
  takeDropped(device: DeviceKey): number {
    return this.deps.accounts.takeDropped(device.accountId, device.deviceId);
  }

  /** Deletes envelopes past their TTL; returns how many. */
  deleteExpired(now: number): number {
    return this.deps.messages.deleteExpired(now);
  }

  /** Keeps the device's queue at `maxPerDevice`, dropping the oldest and counting them for the device. */
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
