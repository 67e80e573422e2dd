import { PublicKey } from '@signalapp/libsignal-client';
import { DIRECT, RESPONSE, type ClientFrame, type MessageDeliverFrame } from '@aviso/protocol';
import type { Account } from '../account/account.js';
import type { GroupMessageEvent } from '../alerts/types.js';
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

/** What the inbox reports; group message events carry their group id for the facade to resolve. */
export type InboxEvents = CryptoQueueEvents & { direct: DirectMessage; rejected: RejectedEnvelope; error: Error } & { [K in GroupMessageEvent['type']]: Extract<GroupMessageEvent, { type: K }>['payload'] };

/** Where acknowledgements go: the live connection the envelope came in on. */
export interface AckChannel {
  send(frame: ClientFrame): void;
}

export interface InboxDeps {
  store: AvisoStore;
  account: Account;
  crypto: CryptoQueue;
  groups: GroupReceiver;
  events: EventSink<InboxEvents>;
  logger: Logger;
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
 * Incoming envelopes, one at a time in the crypto queue: persist → ack → open → dispatch (1:1 here,
 * group bodies to the group receiver) → one commit of the zone and what the message does → emit.
 * Never acks what is not stored; a store failure leaves the envelope to be processed again.
 */
export class Inbox {
  readonly #d: InboxDeps;
  #channel: AckChannel | undefined;
  #retry: NodeJS.Timeout | undefined;

  constructor(deps: InboxDeps) {
    this.#d = deps;
  }

  /** Envelopes arrive on `channel` now (the client connected). */
  attach(channel: AckChannel): void {
    this.#channel = channel;
  }

  /** The connection stopped for good or the client closed: no more acks, no retry timer. */
  detach(): void {
    this.#channel = undefined;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = undefined;
  }

  /** Persist, then acknowledge, then process (in order, one at a time). */
  deliver(frame: MessageDeliverFrame): void {
    const envelope: UnprocessedEnvelope = { ...frame.envelope, receivedAt: Date.now() };
    try {
      this.#d.store.commit({ addUnprocessed: [envelope] });
    } catch (err) {
      this.#d.logger.error(errInfo(err), 'could not persist envelope; not acknowledging');
      this.#channel?.send({ type: RESPONSE, id: frame.id, status: 500 });
      return;
    }
    this.#channel?.send({ type: RESPONSE, id: frame.id, status: 200 });
    void this.#d.crypto.run(() => this.#process(envelope));
  }

  /** Envelopes a previous run (or an earlier attempt) left unprocessed. */
  async processLeftovers(): Promise<void> {
    for (const envelope of this.#d.store.listUnprocessed()) void this.#d.crypto.run(() => this.#process(envelope));
    await this.#d.crypto.idle();
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

  async #process(envelope: UnprocessedEnvelope): Promise<void> {
    const { store, events } = this.#d;
    const { guid } = envelope;
    const now = Date.now();
    const done = { processedEnvelopes: [{ guid, processedAt: now }], removeUnprocessed: [guid] };
    const reject = (reason: RejectReason, error: Error) => {
      store.commit(done); // the zone is dropped: a refused message changes no session or sender key
      this.#d.logger.warn({ guid, reason }, 'envelope rejected');
      events.emit('rejected', { guid, reason, error });
    };
    try {
      if (store.isEnvelopeProcessed(guid)) {
        store.commit({ removeUnprocessed: [guid] });
        return;
      }
      const account = this.#d.account.record;
      const zone = new Zone(store);
      const stores = this.#d.crypto.stores(zone);
      let opened: OpenedMessage;
      try {
        opened = await openSealed({
          ciphertext: fromBase64(envelope.content),
          serverTimestamp: envelope.serverTimestamp,
          trustRoot: PublicKey.deserialize(copyBytes(account.trustRoot)),
          localAccountId: account.accountId,
          localDeviceId: account.deviceId,
          stores,
        });
      } catch (err) {
        const reason: RejectReason = err instanceof EnvelopeRejectedError ? err.reason : 'decrypt-failed';
        reject(reason, err instanceof Error ? err : new Error(String(err)));
        if (err instanceof MissingSenderKeyError) {
          this.#d.groups.requestResend({ sender: err.sender, groupId: err.groupId, distributionId: err.distributionId, serverTimestamp: envelope.serverTimestamp });
        }
        return;
      }
      const id = { sender: opened.sender, device: opened.senderDevice, sentAt: opened.content.sentAt };
      if (store.isMessageProcessed(id)) {
        // A second copy of a message we already have: keep the ratchet step, surface nothing.
        zone.commit(done);
        events.emit('rejected', { guid, reason: 'duplicate', error: new EnvelopeRejectedError('duplicate', 'message already received') });
        return;
      }
      const outcome = await this.#dispatch(opened, envelope, stores);
      if (outcome.ok === 'later') {
        // Nothing committed: the envelope stays unprocessed and is opened again later.
        this.#d.logger.info({ guid }, outcome.message);
        this.#retryLater();
        return;
      }
      if (!outcome.ok) {
        reject(outcome.reason, new EnvelopeRejectedError(outcome.reason, outcome.message));
        return;
      }
      zone.commit({ ...outcome.changes, ...done, processedMessages: [{ ...id, processedAt: now }], pruneProcessedBefore: now - DEDUPE_RETENTION_MS });
      this.#d.crypto.reportChanged(zone);
      if (outcome.direct) events.emit('direct', outcome.direct);
      for (const e of outcome.events ?? []) events.emit(e.type, e.payload as never, outcome.groupId);
      outcome.after?.();
    } catch (err) {
      // Store failure: the unprocessed row stays and is retried on the next connect.
      this.#d.logger.error({ guid, ...errInfo(err) }, 'envelope processing failed');
      events.emit('error', err instanceof Error ? err : new Error(String(err)));
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
