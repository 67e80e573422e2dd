import { randomUUID } from 'node:crypto';
import { ProtocolError, type SendMessagesRequest, type SendMessagesResponse } from '@aviso/protocol';
import type { Logger } from 'pino';
import type { Transactor } from '../storage/db.js';
import type { AccountsRepository } from '../storage/repositories/accounts.js';
import type { MessagesRepository, NewEnvelope, QueuedEnvelope } from '../storage/repositories/messages.js';
import type { AuthenticatedDevice } from './accounts.js';
import { fromBase64, toBase64 } from './bytes.js';
import { MINUTE_MS, type Clock } from './clock.js';
import type { MessageNotifier, QueuedMessage } from './notifier.js';
import type { RateLimiter } from './rate-limit.js';

/** One account addressed by a group send, as the SentMessage lists it. */
export interface GroupSendRecipient {
  accountId: string;
  devices: { deviceId: number; registrationId: number }[];
  /** What only this recipient gets: the start of its ReceivedMessage (version byte and key box). */
  prefix: Uint8Array;
}

export type { QueuedMessage } from './notifier.js';

export class MessagesService {
  /** Acknowledgements waiting for the end of the current event-loop turn (see `acknowledgeSoon`). */
  private pendingAcks: { accountId: string; deviceId: number; id: number }[] = [];
  private ackFlush: NodeJS.Immediate | undefined;

  constructor(
    private readonly deps: {
      accounts: AccountsRepository;
      messages: MessagesRepository;
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
   * Stores a group send: the shared part once, and per recipient device a row holding only the
   * recipient's prefix, all in one transaction, after checking every account exists (404), is
   * addressed with exactly its devices (409) and their current registration ids (410), each listed
   * per account. After the commit, hands every online device its envelope. Returns the number of envelopes stored.
   */
  sendToMany(recipients: readonly GroupSendRecipient[], shared: Uint8Array): number {
    const now = this.deps.clock.now();
    const receivedAt = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    // From the rounded time: an exact expiry minus the TTL would give the exact arrival back.
    const expiresAt = receivedAt + this.deps.ttlMs;
    const rows = this.write(() => {
      const byAccount = this.deps.accounts.devicesOfMany(recipients.map((r) => r.accountId));
      const known = recipients.map((r) => byAccount.get(r.accountId) ?? []);
      const unknown = recipients.filter((_, i) => known[i]?.length === 0).map((r) => r.accountId);
      if (unknown.length > 0) throw new ProtocolError('NOT_FOUND', 'no such account', { details: { accounts: unknown.sort() } });
      const mismatched = [];
      const stale = [];
      for (const [i, r] of recipients.entries()) {
        const expected = known[i] ?? [];
        // The common case, one device addressed as the relay knows it, without building maps.
        if (expected.length === 1 && r.devices.length === 1 && expected[0]!.deviceId === r.devices[0]!.deviceId && expected[0]!.registrationId === r.devices[0]!.registrationId) continue;
        const problem = deviceSetProblem(expected, new Map(r.devices.map((d) => [d.deviceId, d.registrationId])));
        if (problem?.kind === 'mismatched') mismatched.push({ accountId: r.accountId, missingDevices: problem.missingDevices, extraDevices: problem.extraDevices });
        if (problem?.kind === 'stale') stale.push({ accountId: r.accountId, staleDevices: problem.staleDevices });
      }
      if (mismatched.length > 0) {
        throw new ProtocolError('MISMATCHED_DEVICES', 'the send does not address exactly the recipients\' devices', { details: { accounts: mismatched } });
      }
      if (stale.length > 0) throw new ProtocolError('STALE_DEVICES', 'registration ids are out of date', { details: { accounts: stale } });

      const sharedId = this.deps.messages.insertShared(shared, expiresAt);
      const envelopes: NewEnvelope[] = [];
      for (const r of recipients) {
        for (const d of r.devices) envelopes.push({ guid: randomUUID(), accountId: r.accountId, deviceId: d.deviceId, receivedAt, expiresAt, content: r.prefix, sharedId });
      }
      const queued = this.deps.messages.queueLengths(envelopes);
      const ids = this.deps.messages.insertMany(envelopes);
      // Trimmed only where the queue was already full.
      for (const [i, e] of envelopes.entries()) {
        if ((queued[i] ?? 0) + 1 > this.deps.maxPerDevice) this.trim(e.accountId, e.deviceId);
      }
      const inserted = envelopes.map((e, i) => ({ id: ids[i] ?? 0, guid: e.guid }));
      return inserted;
    });
    // Same order as the inserts, so each device is handed its envelopes in queue order.
    const encoder = new SharedBase64(shared);
    let i = 0;
    for (const r of recipients) {
      let contentBytes: { own: Buffer; sharedAndClose: Buffer } | undefined;
      for (const d of r.devices) {
        const row = rows[i++];
        if (row === undefined || !this.deps.notifier.has(r.accountId, d.deviceId)) continue;
        const bytes = (contentBytes ??= encoder.bytesWithPrefix(r.prefix));
        const envelope = {
          guid: row.guid,
          serverTimestamp: receivedAt,
          // Built only if someone asks: the connection frames `contentBytes` directly.
          get content(): string {
            return bytes.own.toString('latin1') + bytes.sharedAndClose.toString('latin1', 0, bytes.sharedAndClose.length - CLOSE.length);
          },
        };
        this.deps.notifier.notify(r.accountId, d.deviceId, { id: row.id, envelope, contentBytes: bytes });
      }
    }
    return rows.length;
  }

  /** Unexpired envelopes queued for `device` after queue position `afterId`, oldest first. */
  fetch(device: AuthenticatedDevice, afterId: number, limit: number): QueuedMessage[] {
    return this.deps.messages.fetchAfter(device, afterId, limit, this.deps.clock.now()).map(toQueued);
  }

  /** Queue position of the newest envelope queued for `device` right now (0 if none). */
  lastQueuedId(device: AuthenticatedDevice): number {
    return this.deps.messages.lastId(device);
  }

  /** Deletes the device's acknowledged envelope at queue position `id`; false if it was already gone. */
  acknowledge(device: AuthenticatedDevice, id: number): boolean {
    // The envelope and, if it was the last one using it, its group send's shared payload.
    return this.write(() => this.deps.messages.deleteAcknowledged([{ accountId: device.accountId, deviceId: device.deviceId, id }])) > 0;
  }

  /**
   * Deletes an acknowledged envelope at the end of this event-loop turn, together with every other
   * acknowledgement that came in meanwhile, in one transaction: 1,000 members acknowledging an alert
   * cost a handful of commits (fsyncs) instead of 1,000. Not durable until then: an acknowledgement lost
   * to a crash before its batch commits only means the envelope is delivered again, and clients
   * deduplicate (delivery is at least once anyway).
   */
  acknowledgeSoon(device: AuthenticatedDevice, id: number): void {
    this.pendingAcks.push({ accountId: device.accountId, deviceId: device.deviceId, id });
    this.ackFlush ??= setImmediate(() => this.flushAcknowledgements());
  }

  /** Commits the pending acknowledgements now (also on shutdown, before the database closes). */
  flushAcknowledgements(): void {
    if (this.ackFlush !== undefined) clearImmediate(this.ackFlush);
    this.ackFlush = undefined;
    const batch = this.pendingAcks;
    this.pendingAcks = [];
    if (batch.length === 0) return;
    try {
      this.write(() => this.deps.messages.deleteAcknowledged(batch));
    } catch (err) {
      // The envelopes stay queued and are delivered again: at least once, never lost.
      this.deps.logger.error({ err }, 'acknowledgement batch failed');
    }
  }

  /** How many envelopes were trimmed from the device's full queue since the last call; resets the count. */
  takeDropped(device: AuthenticatedDevice): number {
    return this.deps.transaction(() => this.deps.accounts.takeDropped(device.accountId, device.deviceId));
  }

  /** Deletes envelopes past their TTL; returns how many. */
  deleteExpired(): number {
    const n = this.deps.messages.deleteExpired(this.deps.clock.now());
    if (n > 0) this.deps.logger.info({ expired: n }, 'expired envelopes deleted');
    return n;
  }

  /** A write transaction; on rollback the repository's remembered queue lengths may be off, so they go. */
  private write<T>(fn: () => T): T {
    try {
      return this.deps.transaction(fn);
    } catch (err) {
      this.deps.messages.forgetCounts();
      throw err;
    }
  }

  private trim(accountId: string, deviceId: number): void {
    const device = { accountId, deviceId };
    const excess = this.deps.messages.count(device) - this.deps.maxPerDevice;
    if (excess <= 0) return;
    const dropped = this.deps.messages.deleteOldest(device, excess);
    this.deps.accounts.addDropped(accountId, deviceId, dropped);
  }
}

function checkDeviceSet(expected: readonly { deviceId: number; registrationId: number }[], req: SendMessagesRequest): void {
  const problem = deviceSetProblem(expected, new Map(req.messages.map((m) => [m.destinationDeviceId, m.destinationRegistrationId])));
  if (problem?.kind === 'mismatched') {
    throw new ProtocolError('MISMATCHED_DEVICES', 'the send does not address exactly the recipient\'s devices', {
      details: { missingDevices: problem.missingDevices, extraDevices: problem.extraDevices },
    });
  }
  if (problem?.kind === 'stale') {
    throw new ProtocolError('STALE_DEVICES', 'registration ids are out of date', { details: { staleDevices: problem.staleDevices } });
  }
}

type DeviceSetProblem =
  | { kind: 'mismatched'; missingDevices: number[]; extraDevices: number[] }
  | { kind: 'stale'; staleDevices: number[] };

/** How an addressed device set (device id → registration id) differs from an account's devices, if it does. */
function deviceSetProblem(expected: readonly { deviceId: number; registrationId: number }[], addressed: ReadonlyMap<number, number>): DeviceSetProblem | undefined {
  const known = new Map(expected.map((d) => [d.deviceId, d.registrationId]));
  const missingDevices = [...known.keys()].filter((id) => !addressed.has(id)).sort((a, b) => a - b);
  const extraDevices = [...addressed.keys()].filter((id) => !known.has(id)).sort((a, b) => a - b);
  if (missingDevices.length > 0 || extraDevices.length > 0) return { kind: 'mismatched', missingDevices, extraDevices };
  const staleDevices = [...addressed]
    .filter(([id, registrationId]) => known.get(id) !== registrationId)
    .map(([id]) => id)
    .sort((a, b) => a - b);
  return staleDevices.length > 0 ? { kind: 'stale', staleDevices } : undefined;
}

/**
 * base64(prefix ‖ shared) for every recipient of a group send without encoding the shared part once
 * per recipient: base64 of two byte strings concatenates only when the first is a multiple of 3 bytes
 * long, so the first 0–2 shared bytes are encoded with the prefix and the rest once per prefix length.
 */
export class SharedBase64 {
  private readonly tails = new Map<number, { head: Uint8Array; tail: string; tailAndClose: Buffer }>();

  constructor(private readonly shared: Uint8Array) {}

  withPrefix(prefix: Uint8Array): string {
    const split = this.split(prefix.length);
    return toBase64(Buffer.concat([prefix, split.head])) + split.tail;
  }

  /**
   * The same base64 as ASCII bytes: this recipient's piece, and the shared piece with the deliver
   * frame's closing `"}}` appended (one buffer for every recipient with this prefix length).
   */
  bytesWithPrefix(prefix: Uint8Array): { own: Buffer; sharedAndClose: Buffer } {
    const split = this.split(prefix.length);
    return { own: Buffer.from(toBase64(Buffer.concat([prefix, split.head])), 'latin1'), sharedAndClose: split.tailAndClose };
  }

  private split(prefixLength: number): { head: Uint8Array; tail: string; tailAndClose: Buffer } {
    let split = this.tails.get(prefixLength);
    if (split === undefined) {
      const n = Math.min((3 - (prefixLength % 3)) % 3, this.shared.length);
      const tail = toBase64(this.shared.subarray(n));
      split = { head: this.shared.subarray(0, n), tail, tailAndClose: Buffer.from(tail + CLOSE, 'latin1') };
      this.tails.set(prefixLength, split);
    }
    return split;
  }
}

/** What follows the content in a `message.deliver` frame (see ws/connection.ts). */
export const CLOSE = '"}}';

function toQueued(m: QueuedEnvelope): QueuedMessage {
  return { id: m.id, envelope: { guid: m.guid, serverTimestamp: m.receivedAt, content: toBase64(m.content) } };
}
