import { randomBytes, randomUUID } from 'node:crypto';
import { ProtocolError, type SendMessagesRequest, type SendMessagesResponse } from '@aviso/protocol';
import type { Logger } from 'pino';
import type { Transactor } from '../storage/db.js';
import type { AccountsRepository } from '../storage/repositories/accounts.js';
import type { MessagesRepository, NewEnvelope, QueuedEnvelope } from '../storage/repositories/messages.js';
import type { AuthenticatedDevice } from './accounts.js';
import { fromBase64, toBase64 } from './bytes.js';
import { MINUTE_MS, type Clock } from './clock.js';
import { fanoutGuids } from './fanout-guids.js';
import { notifyListeners, type ContentPieces, type MessageNotifier, type QueuedMessage } from './notifier.js';
import type { RateLimiter } from './rate-limit.js';
import { splitSentMessage, type GroupSendRecipient, type SplitSentMessage } from './sent-message.js';

export type { GroupSendRecipient } from './sent-message.js';

/** A group send on its way from the pending row to its envelope rows. */
interface Fanout {
  sharedId: number;
  firstId: number;
  receivedAt: number;
  shared: Uint8Array;
  recipients: readonly GroupSendRecipient[];
  /** One per recipient device, in recipient order: the rows to write, at `firstId`, `firstId + 1`, … */
  envelopes: NewEnvelope[];
}

function fanoutOf(f: Omit<Fanout, 'envelopes'> & { expiresAt: number; guidSeed: Uint8Array }): Fanout {
  let count = 0;
  for (const r of f.recipients) count += r.devices.length;
  const guids = fanoutGuids(f.guidSeed, count);
  const envelopes: NewEnvelope[] = [];
  for (const r of f.recipients) {
    for (const d of r.devices) {
      envelopes.push({ guid: guids[envelopes.length] ?? '', accountId: r.accountId, deviceId: d.deviceId, receivedAt: f.receivedAt, expiresAt: f.expiresAt, content: r.prefix, sharedId: f.sharedId });
    }
  }
  return { sharedId: f.sharedId, firstId: f.firstId, receivedAt: f.receivedAt, shared: f.shared, recipients: f.recipients, envelopes };
}

export type { QueuedMessage } from './notifier.js';

export class MessagesService {
  /** Group sends stored and pushed whose envelope rows are still to be written (see `sendToMany`). */
  private unwritten: Fanout[] = [];
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
   * Stores a group send and hands every online recipient device its envelope, in three steps within
   * this one event-loop task, so no acknowledgement, fetch or other send comes in between:
   * 1. checks that every account exists (404), is addressed with exactly its devices (409) and their
   *    current registration ids (410); then commits the shared part once and the upload's recipient
   *    part (`pending_fanouts`), reserving one queue position per recipient device. Durable (fsync),
   *    and one small write whatever the group size;
   * 2. pushes each online device its envelope, with its reserved queue position and its guid;
   * 3. writes the per-device rows in a relaxed commit and deletes the pending row. If that fails, the
   *    rows are written before the next write; after a crash, at start-up (`recoverFanouts`). Either
   *    way with the same queue positions and guids.
   * Returns the number of envelopes stored.
   */
  sendToMany(message: Pick<SplitSentMessage, 'recipients' | 'shared' | 'head'>): number {
    const { recipients, shared, head } = message;
    const now = this.deps.clock.now();
    const receivedAt = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    // From the rounded time: an exact expiry minus the TTL would give the exact arrival back.
    const expiresAt = receivedAt + this.deps.ttlMs;
    const guidSeed = randomBytes(16);
    const fanout = this.write(() => {
      this.checkRecipients(recipients);
      const sharedId = this.deps.messages.insertShared(shared, expiresAt);
      const firstId = this.deps.messages.nextQueueId();
      this.deps.messages.insertPending({ sharedId, firstId, receivedAt, head, guidSeed });
      return fanoutOf({ sharedId, firstId, receivedAt, expiresAt, guidSeed, recipients, shared });
    });
    this.push(fanout);
    try {
      this.write(() => this.writeRows(fanout), { relaxed: true });
    } catch (err) {
      // Stored and delivered: only the rows are missing. Written before the next write instead.
      this.unwritten.push(fanout);
      this.deps.logger.error({ err }, 'writing a group send\'s envelope rows failed; retried with the next write');
    }
    return fanout.envelopes.length;
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
      this.unwritten.push(fanoutOf({ ...p, recipients }));
    }
    this.writeUnwritten();
    this.deps.logger.info({ sends: pending.length }, 'group sends recovered');
    return pending.length;
  }

  private checkRecipients(recipients: readonly GroupSendRecipient[]): void {
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
  }

  /** Hands every online recipient device its envelope, in queue order (the order of `envelopes`). */
  private push(fanout: Fanout): void {
    const encoder = new SharedBase64(fanout.shared);
    let i = 0;
    for (const r of fanout.recipients) {
      let pieces: ContentPieces | undefined;
      for (const d of r.devices) {
        const index = i++;
        const listeners = this.deps.notifier.listenersOf(r.accountId, d.deviceId);
        if (listeners === undefined) continue;
        pieces ??= encoder.piecesWithPrefix(r.prefix);
        const envelope = new PushedEnvelope(fanout.envelopes[index]?.guid ?? '', fanout.receivedAt, pieces);
        notifyListeners(listeners, { id: fanout.firstId + index, envelope, contentBytes: pieces });
      }
    }
  }

  /** A group send's envelope rows, at their reserved queue positions; its pending row goes. Call inside a transaction. */
  private writeRows(fanout: Fanout): void {
    const { envelopes } = fanout;
    const queued = this.deps.messages.queueLengths(envelopes);
    this.deps.messages.insertMany(envelopes, fanout.firstId);
    // Trimmed only where the queue was already full.
    for (const [i, e] of envelopes.entries()) {
      if ((queued[i] ?? 0) + 1 > this.deps.maxPerDevice) this.trim(e.accountId, e.deviceId);
    }
    this.deps.messages.deletePending(fanout.sharedId);
  }

  /** Writes the rows of group sends whose first attempt failed (or that a crash left), then wakes their devices. */
  private writeUnwritten(): void {
    if (this.unwritten.length > 0) this.write(() => undefined, { relaxed: true });
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
    return this.write(() => this.deps.messages.deleteAcknowledged([{ accountId: device.accountId, deviceId: device.deviceId, id }]), { relaxed: true }) > 0;
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
      // Relaxed: an acknowledgement lost to a power cut is a redelivery, not a loss (see storage/db.ts).
      this.write(() => this.deps.messages.deleteAcknowledged(batch), { relaxed: true });
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
        for (const f of unwritten) this.writeRows(f);
        return fn();
      }, options);
    } catch (err) {
      this.deps.messages.forgetCounts();
      throw err;
    }
    if (unwritten.length > 0) {
      this.unwritten = [];
      // Their devices were pushed what was online; the rest read their queues again.
      for (const f of unwritten) for (const e of f.envelopes) this.deps.notifier.notify(e.accountId, e.deviceId);
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
   * The same base64 in two pieces: this recipient's (a short string), and the shared piece as ASCII
   * bytes with the deliver frame's closing `"}}` appended (one buffer for every recipient with this
   * prefix length).
   */
  piecesWithPrefix(prefix: Uint8Array): ContentPieces {
    const split = this.split(prefix.length);
    const own = split.head.length === 0 ? toBase64(prefix) : toBase64(Buffer.concat([prefix, split.head]));
    return { own, sharedAndClose: split.tailAndClose };
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

/** A group send's envelope as pushed: the connection frames its pieces; `content` is built only if someone asks. */
class PushedEnvelope {
  constructor(
    readonly guid: string,
    readonly serverTimestamp: number,
    private readonly pieces: ContentPieces,
  ) {}

  get content(): string {
    const { own, sharedAndClose } = this.pieces;
    return own + sharedAndClose.toString('latin1', 0, sharedAndClose.length - CLOSE.length);
  }
}

function toQueued(m: QueuedEnvelope): QueuedMessage {
  return { id: m.id, envelope: { guid: m.guid, serverTimestamp: m.receivedAt, content: toBase64(m.content) } };
}
