import { PublicKey } from '@signalapp/libsignal-client';
import { DIRECT, RESPONSE, type ClientFrame, type MessageDeliverFrame } from '@aviso/protocol';
import type { Account } from '../account/account.js';
import type { GroupMessageEvent } from '../alerts/types.js';
import { ValidatedCertificates } from '../crypto/certificate-cache.js';
import { EnvelopeRejectedError, MissingSenderKeyError, openSealed, type OpenedMessage, type RejectReason } from '../crypto/sealed.js';
import type { AvisoStore, UnprocessedEnvelope } from '../stores/interfaces.js';
import type { SignalStores } from '../stores/libsignal-adapters.js';
import { Zone } from '../stores/zone.js';
import { copyBytes, fromBase64 } from '../util/bytes.js';
import type { EventSink } from '../util/events.js';
import { errInfo, type Logger } from '../util/logger.js';
import type { CryptoQueue, CryptoQueueEvents } from './crypto-queue.js';
import { effectiveDirectRetention, readDirectRetention } from './direct-retention.js';
import type { GroupReceiver, ReceiveOutcome } from './group-receiver.js';

export interface DirectMessage {
  from: string;
  fromDevice: number;
  text: string;
  /** The sender's clock, ms. */
  sentAt: number;
  /** The relay's receipt time, ms (rounded to the minute by the relay). */
  serverTimestamp: number;
  guid: string;
  /** How long to keep it, s: the shorter of our setting for this contact and the sender's (docs/alerts.md "Direct messages"). */
  retentionSeconds: number;
  /** When a front end that shows it must delete it, ms: `sentAt` (or the receipt time, if earlier) plus `retentionSeconds`. */
  deleteAt: number;
}

export interface RejectedEnvelope {
  guid: string;
  reason: RejectReason;
  error: Error;
}

/** How far a long offline drain has come (the `drain-progress` event; docs/sdk.md "Offline drain"). */
export interface DrainProgress {
  /** Envelopes processed (opened, committed, surfaced or refused) since this connection opened. */
  done: number;
  /** Envelopes stored and acknowledged but not processed yet. The relay does not say how many are still queued on its side. */
  pending: number;
  /** The relay's `queue.empty` came and everything before it is processed: the last event of this drain. */
  complete: boolean;
}

/** What the inbox reports; group message events carry their group id for the facade to resolve. */
export type InboxEvents = CryptoQueueEvents & { direct: DirectMessage; rejected: RejectedEnvelope; error: Error; 'drain-progress': DrainProgress } & {
  [K in GroupMessageEvent['type']]: Extract<GroupMessageEvent, { type: K }>['payload'];
};

/** Where acknowledgements go: the live connection the envelope came in on. */
export interface AckChannel {
  send(frame: ClientFrame): void;
  /** Changes whenever a new socket replaces the old one: frame ids are per socket. */
  readonly socketEpoch: number;
}

export interface InboxDeps {
  store: AvisoStore;
  account: Account;
  crypto: CryptoQueue;
  groups: GroupReceiver;
  events: EventSink<InboxEvents>;
  logger: Logger;
  /** `drain-progress` at most this often, ms (default DRAIN_PROGRESS_MS). */
  progressMs?: number;
}

/** An envelope that had to wait (its group could not be synced) is tried again after this long. */
const RETRY_LATER_MS = 30_000;
/**
 * Dedupe rows are kept this long (docs/alerts.md "Dedupe"): the relay's default queue TTL (7 days,
 * `AVISO_QUEUE_TTL_DAYS`), plus the day a send log serves resends, plus a day of slack. Past it, an
 * exact replay of an envelope still fails: libsignal refuses a message key it has used.
 */
export const DEDUPE_RETENTION_MS = (7 + 1 + 1) * 86400_000;
/**
 * Envelopes processed in one run of the crypto queue before the run syncs the store, acknowledges
 * them and surfaces what they held: one disk sync per run instead of two per envelope. Half the
 * relay's window of unanswered deliveries (100), so the relay sends the next run's envelopes while
 * this one is processed. The cap also bounds how long a send waits for the crypto queue.
 */
export const RUN_MAX_ENVELOPES = 50;
/** `drain-progress` at most this often, ms; a drain shorter than this reports nothing. */
export const DRAIN_PROGRESS_MS = 250;

/** Work that waits for the run's sync: events, and what a message asks to do after its commit. */
type Effect = () => void;

/** An envelope to process: from the socket (answered after the run's sync) or left in the store's unprocessed table. */
interface Item {
  envelope: UnprocessedEnvelope;
  /** The deliver frame's id, to acknowledge; none for a leftover (the relay deleted it long ago). */
  frameId?: number;
  /** The socket it came in on (`AckChannel.socketEpoch`): answered on that socket or not at all. */
  epoch?: number | undefined;
}

/**
 * Incoming envelopes, processed in runs of the crypto queue, one envelope at a time: open →
 * dispatch (1:1 here, group bodies to the group receiver) → one commit of the zone and what the
 * message does, not waiting for the disk. After the run: one sync of the store, then the
 * acknowledgements, then the events. So an envelope is acknowledged only once what it produced is
 * durable, and surfaced only once it cannot be delivered again. One it cannot process now (its
 * group does not sync, the store fails) is kept in the unprocessed table before it is acknowledged.
 */
export class Inbox {
  readonly #d: InboxDeps;
  #channel: AckChannel | undefined;
  #retry: NodeJS.Timeout | undefined;
  /** Deliveries not processed yet, in arrival order. */
  #incoming: Item[] = [];
  /** Guids of leftovers waiting in `#incoming` (a second listing does not queue them twice). */
  readonly #leftovers = new Set<string>();
  /** The run in the crypto queue, while one is queued or running. */
  #run: Promise<void> | undefined;
  #trustRoot: { bytes: Uint8Array; key: PublicKey } | undefined;
  /** Sender certificates whose signatures checked out: a drain checks each sender device's once. */
  readonly #certificates = new ValidatedCertificates();
  #drain: { done: number; lastAt: number; reported: boolean } | undefined;
  /** False while closing (`quiesce`): new deliveries are left to the relay. */
  #accepting = true;

  constructor(deps: InboxDeps) {
    this.#d = deps;
  }

  /** Envelopes arrive on `channel` now (the client connected). */
  attach(channel: AckChannel): void {
    this.#channel = channel;
    this.#accepting = true;
  }

  /**
   * Before a clean close: takes no more deliveries (unanswered, the relay keeps them) and finishes
   * what it has, so their acknowledgements go out while the socket is still open. Without this the
   * relay would keep (and, for a live envelope, write a row for) what was already processed.
   */
  async quiesce(): Promise<void> {
    this.#accepting = false;
    await this.settle();
  }

  /**
   * The connection stopped for good or the client closed: no more acks, no retry timer. Deliveries
   * not processed yet are dropped: unacknowledged, the relay delivers them again. A run already in
   * the crypto queue finishes (its acknowledgements go nowhere: the relay delivers those again too,
   * and they are recognised as processed).
   */
  detach(): void {
    this.#channel = undefined;
    this.#drain = undefined;
    this.#incoming = [];
    this.#leftovers.clear();
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = undefined;
  }

  /** A socket opened: the relay hands over its backlog now; count it for `drain-progress`. */
  beginDrain(): void {
    this.#drain = { done: 0, lastAt: performance.now(), reported: false };
  }

  /** The relay's `queue.empty` was processed (after `settle()`): the drain's last progress event, if it reported any. */
  endDrain(): void {
    const drain = this.#drain;
    this.#drain = undefined;
    if (drain?.reported) this.#d.events.emit('drain-progress', { done: drain.done, pending: this.#incoming.length, complete: true });
  }

  /** Queues a delivery for the next run (the deliveries of one socket read share a run). */
  deliver(frame: MessageDeliverFrame): void {
    if (!this.#accepting) return;
    this.#incoming.push({ envelope: { ...frame.envelope, receivedAt: Date.now() }, frameId: frame.id, epoch: this.#channel?.socketEpoch });
    this.#kick();
  }

  /** Resolves once every delivery so far is processed, synced, acknowledged and surfaced. */
  async settle(): Promise<void> {
    while (this.#run) await this.#run;
  }

  /** Envelopes a previous run (or an earlier attempt) left unprocessed. */
  async processLeftovers(): Promise<void> {
    for (const envelope of this.#d.store.listUnprocessed()) {
      if (this.#leftovers.has(envelope.guid)) continue;
      this.#leftovers.add(envelope.guid);
      this.#incoming.push({ envelope });
    }
    this.#kick();
    await this.settle();
  }

  #kick(): void {
    if (this.#run || this.#incoming.length === 0) return;
    // The task starts in a later microtask: the rest of this socket read's frames join the run.
    this.#run = this.#d.crypto.run(() => this.#runOnce()).finally(() => {
      this.#run = undefined;
      this.#kick();
    });
  }

  /** Up to RUN_MAX_ENVELOPES envelopes, each committed without waiting for the disk; then one sync, the acks, the effects. */
  async #runOnce(): Promise<void> {
    const { store, logger } = this.#d;
    const batch = this.#incoming.splice(0, RUN_MAX_ENVELOPES);
    const effects: Effect[] = [];
    const answers: Array<{ id: number; status: number; epoch: number | undefined }> = [];
    for (const { envelope, frameId, epoch } of batch) {
      if (frameId === undefined) this.#leftovers.delete(envelope.guid);
      const kept = (await this.#process(envelope, effects)) === 'keep';
      if (frameId === undefined) continue;
      let status = 200;
      if (kept) {
        // Not processed now: stored unprocessed (in this run's sync) before the relay may delete it.
        try {
          store.commit({ addUnprocessed: [envelope] }, { deferSync: true });
        } catch (err) {
          logger.error({ guid: envelope.guid, ...errInfo(err) }, 'could not persist envelope; not acknowledging');
          status = 500;
        }
      }
      answers.push({ id: frameId, status, epoch });
    }
    try {
      // Old dedupe rows go once per run, not once per envelope.
      store.commit({ pruneProcessedBefore: Date.now() - DEDUPE_RETENTION_MS }, { deferSync: true });
      store.sync?.();
    } catch (err) {
      // Nothing of this run is acknowledged: the relay delivers it again and the guids, committed
      // here, are recognised. Surfacing is right: the commits stand for this process.
      logger.error(errInfo(err), 'could not sync the store after a run of envelopes; not acknowledging');
      for (const a of answers) a.status = 500;
      effects.push(() => this.#d.events.emit('error', err instanceof Error ? err : new Error(String(err))));
    }
    // A socket that closed since took its frame ids with it: the same id on the new socket is
    // another envelope. Those envelopes come again on the new socket and are recognised.
    const channel = this.#channel;
    for (const { id, status, epoch } of answers) if (channel && channel.socketEpoch === epoch) channel.send({ type: RESPONSE, id, status });
    for (const effect of effects) effect();
    this.#progress(batch.length);
  }

  #progress(processed: number): void {
    const drain = this.#drain;
    if (!drain) return;
    drain.done += processed;
    const now = performance.now();
    if (now - drain.lastAt < (this.#d.progressMs ?? DRAIN_PROGRESS_MS)) return;
    drain.lastAt = now;
    drain.reported = true;
    this.#d.events.emit('drain-progress', { done: drain.done, pending: this.#incoming.length, complete: false });
  }

  /** Processes left-over envelopes again in a while (once), while connected. */
  #retryLater(): void {
    if (this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#channel) void this.processLeftovers().catch((err: unknown) => this.#d.logger.warn(errInfo(err), 'retrying envelopes failed'));
    }, RETRY_LATER_MS);
    this.#retry.unref();
  }

  /** The pinned trust root as a key, deserialized once (not per envelope). */
  #trustRootKey(bytes: Uint8Array): PublicKey {
    if (this.#trustRoot?.bytes !== bytes) this.#trustRoot = { bytes, key: PublicKey.deserialize(copyBytes(bytes)) };
    return this.#trustRoot.key;
  }

  /**
   * One envelope: its commit does not wait for the disk; what it surfaces goes to `effects`, run
   * after the sync. 'keep': nothing committed, it must stay (or be stored) unprocessed.
   */
  async #process(envelope: UnprocessedEnvelope, effects: Effect[]): Promise<'done' | 'keep'> {
    const { store, events } = this.#d;
    const { guid } = envelope;
    const now = Date.now();
    const deferred = { deferSync: true };
    const done = { processedEnvelopes: [{ guid, processedAt: now }], removeUnprocessed: [guid] };
    const reject = (reason: RejectReason, error: Error) => {
      store.commit(done, deferred); // the zone is dropped: a refused message changes no session or sender key
      this.#d.logger.warn({ guid, reason }, 'envelope rejected');
      effects.push(() => events.emit('rejected', { guid, reason, error }));
    };
    try {
      if (store.isEnvelopeProcessed(guid)) {
        store.commit({ removeUnprocessed: [guid] }, deferred);
        return 'done';
      }
      const account = this.#d.account.record;
      const zone = new Zone(store);
      const stores = this.#d.crypto.stores(zone);
      let opened: OpenedMessage;
      try {
        opened = await openSealed({
          ciphertext: fromBase64(envelope.content),
          serverTimestamp: envelope.serverTimestamp,
          trustRoot: this.#trustRootKey(account.trustRoot),
          localAccountId: account.accountId,
          localDeviceId: account.deviceId,
          stores,
          certificates: this.#certificates,
        });
      } catch (err) {
        const reason: RejectReason = err instanceof EnvelopeRejectedError ? err.reason : 'decrypt-failed';
        reject(reason, err instanceof Error ? err : new Error(String(err)));
        if (err instanceof MissingSenderKeyError) {
          const { sender, groupId, distributionId } = err;
          effects.push(() => this.#d.groups.requestResend({ sender, groupId, distributionId, serverTimestamp: envelope.serverTimestamp }));
        }
        return 'done';
      }
      const id = { sender: opened.sender, device: opened.senderDevice, sentAt: opened.content.sentAt };
      if (store.isMessageProcessed(id)) {
        // A second copy of a message we already have: keep the ratchet step, surface nothing.
        zone.commit(done, deferred);
        effects.push(() => events.emit('rejected', { guid, reason: 'duplicate', error: new EnvelopeRejectedError('duplicate', 'message already received') }));
        return 'done';
      }
      const outcome = await this.#dispatch(opened, envelope, stores);
      if (outcome.ok === 'later') {
        // Nothing committed: the envelope stays unprocessed and is opened again later.
        this.#d.logger.info({ guid }, outcome.message);
        this.#retryLater();
        return 'keep';
      }
      if (!outcome.ok) {
        reject(outcome.reason, new EnvelopeRejectedError(outcome.reason, outcome.message));
        return 'done';
      }
      zone.commit({ ...outcome.changes, ...done, processedMessages: [{ ...id, processedAt: now }] }, deferred);
      effects.push(() => {
        this.#d.crypto.reportChanged(zone);
        if (outcome.direct) events.emit('direct', outcome.direct);
        for (const e of outcome.events ?? []) events.emit(e.type, e.payload as never, outcome.groupId);
        outcome.after?.();
      });
      return 'done';
    } catch (err) {
      // Store failure: the envelope stays (or is stored) unprocessed and is retried on the next connect.
      this.#d.logger.error({ guid, ...errInfo(err) }, 'envelope processing failed');
      effects.push(() => events.emit('error', err instanceof Error ? err : new Error(String(err))));
      return 'keep';
    }
  }

  /** What a decrypted message does: rows to commit with its zone, and what to surface after. */
  async #dispatch(opened: OpenedMessage, envelope: UnprocessedEnvelope, stores: SignalStores): Promise<ReceiveOutcome & { direct?: DirectMessage }> {
    const { content } = opened;
    if (content.body.type !== DIRECT) return this.#d.groups.receive(opened, stores);
    if (opened.via !== 'session') return { ok: false, reason: 'invalid-envelope', message: 'a direct message arrived through a sender key' };
    const retentionSeconds = effectiveDirectRetention(readDirectRetention(this.#d.store, opened.sender), content.body.retentionSeconds);
    const direct: DirectMessage = {
      from: opened.sender,
      fromDevice: opened.senderDevice,
      text: content.body.text,
      sentAt: content.sentAt,
      serverTimestamp: envelope.serverTimestamp,
      guid: envelope.guid,
      retentionSeconds,
      deleteAt: Math.min(content.sentAt, Date.now()) + retentionSeconds * 1000,
    };
    return { ok: true, changes: {}, direct };
  }
}
