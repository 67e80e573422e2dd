import { ErrorCode as SignalErrorCode, LibSignalErrorBase } from '@signalapp/libsignal-client';
import { UntrustedIdentityError } from '../errors.js';
import type { AvisoStore, StoreChanges } from '../stores/interfaces.js';
import { signalStores, type LocalKeys, type SignalStores } from '../stores/libsignal-adapters.js';
import type { IdentityPolicy } from '../stores/trust.js';
import { Zone } from '../stores/zone.js';
import type { EventSink } from '../util/events.js';
import { SerialQueue } from '../util/serial-queue.js';

export interface CryptoQueueEvents {
  'identity-changed': { accountId: string };
}

/**
 * The one serial queue every ratchet step goes through (receiving an envelope, sealing, starting
 * sessions): libsignal's stores are read and written across awaits, so two steps must never
 * interleave. Each step runs over its own Zone and commits it in one store commit.
 */
export class CryptoQueue {
  readonly #queue = new SerialQueue();

  constructor(
    private readonly store: AvisoStore,
    private readonly local: LocalKeys,
    readonly policy: IdentityPolicy,
    private readonly events: EventSink<CryptoQueueEvents>,
  ) {}

  /** Runs `task` in the queue (it manages its own zone). */
  run<T>(task: () => Promise<T> | T): Promise<T> {
    return this.#queue.run(task);
  }

  /** Runs crypto over a fresh zone in the queue, then commits the zone with `extra`; maps identity refusals. */
  inZone<T>(peer: string, fn: (zone: Zone, stores: SignalStores) => Promise<T>, extra?: (result: T) => StoreChanges): Promise<T> {
    return this.#queue.run(async () => {
      const zone = new Zone(this.store);
      let result: T;
      try {
        result = await fn(zone, this.stores(zone));
      } catch (err) {
        if (err instanceof LibSignalErrorBase && err.is(SignalErrorCode.UntrustedIdentity)) throw new UntrustedIdentityError(peer, { cause: err });
        throw err;
      }
      zone.commit(extra?.(result));
      this.reportChanged(zone);
      return result;
    });
  }

  stores(zone: Zone): SignalStores {
    return signalStores(zone, this.local, Date.now, this.policy);
  }

  /** After a zone committed: the identity keys it changed. */
  reportChanged(zone: Zone): void {
    for (const accountId of zone.changedIdentities) this.events.emit('identity-changed', { accountId });
  }

  idle(): Promise<void> {
    return this.#queue.idle();
  }
}
