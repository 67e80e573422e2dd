import type { AckStatus } from '@aviso/protocol';
import { publicAlert } from '../alerts/apply.js';
import { readRemoved, removedChange } from '../alerts/group-watch.js';
import type { Alert, DroppedAlert, RollCall } from '../alerts/types.js';
import type { GroupChangeEvent } from '../crypto/group-chain.js';
import type { AvisoStore } from '../stores/interfaces.js';
import type { EventSink } from '../util/events.js';
import { errInfo, type Logger } from '../util/logger.js';
import { SEND_LOG_MS } from '../messaging/group-sender.js'; // the send log is pruned with the expired alerts

const CLEANUP_INTERVAL_MS = 60_000;

export interface AlertBookEvents {
  /** Stored alerts were dropped after the fact (their sender was removed from the group). */
  'alert-dropped': DroppedAlert;
}

/**
 * The local alert book (docs/alerts.md "Receiving"): unexpired alerts and the roll call, read by the
 * Group handle; expired ones deleted on a timer; a removed member's alerts dropped when the group
 * log verifies the removal (the facade hands it every verified change before its listeners).
 */
export class AlertBook {
  readonly #store: AvisoStore;
  readonly #events: EventSink<AlertBookEvents>;
  readonly #logger: Logger;
  #cleanup: NodeJS.Timeout | undefined;

  constructor(store: AvisoStore, events: EventSink<AlertBookEvents>, logger: Logger) {
    this.#store = store;
    this.#events = events;
    this.#logger = logger;
  }

  startCleanup(): void {
    if (this.#cleanup) return;
    this.#cleanup = setInterval(() => {
      try {
        this.#deleteExpired();
      } catch (err) {
        this.#logger.warn(errInfo(err), 'alert cleanup failed');
      }
    }, CLEANUP_INTERVAL_MS);
    this.#cleanup.unref();
  }

  stopCleanup(): void {
    if (this.#cleanup) clearInterval(this.#cleanup);
    this.#cleanup = undefined;
  }

  async rollCall(groupId: string, alertId: string): Promise<RollCall> {
    const out: RollCall = { seen: [], onMyWay: [], onScene: [], cannot: [], confirmed: [], disputed: [] };
    const ackKey: Record<AckStatus, keyof RollCall> = { seen: 'seen', 'on-my-way': 'onMyWay', 'on-scene': 'onScene', cannot: 'cannot' };
    for (const r of this.#store.listAlertResponses(groupId, alertId)) {
      if (r.kind === 'ack') out[ackKey[r.value as AckStatus]].push(r.accountId);
      else out[r.value === 'confirm' ? 'confirmed' : 'disputed'].push(r.accountId);
    }
    for (const list of Object.values(out)) list.sort();
    return out;
  }

  alerts(groupId: string): Alert[] {
    const now = Date.now();
    this.#deleteExpired(now);
    return this.#store
      .listAlerts(groupId)
      .filter((a) => a.expiresAt >= now)
      .map(publicAlert);
  }

  /**
   * A verified change: a removed member's alerts leave the book, whenever they arrived (docs/alerts.md
   * "Receiving"): one that reached us before we saw the removal (we were offline, or the relay
   * accepted a removed member's upload under an endorsement still valid) is dropped after the fact.
   */
  onGroupChange(event: GroupChangeEvent): void {
    if (event.accountId === undefined) return;
    const who = event.accountId;
    if (event.type === 'member-joined') {
      const removed = readRemoved(this.#store, event.groupId);
      const at = removed.get(who);
      if (at !== undefined && at < event.version) this.#store.commit(removedChange(this.#store, event.groupId, (r) => r.delete(who)));
      return;
    }
    if (event.type !== 'member-removed') return;
    this.#store.commit(removedChange(this.#store, event.groupId, (r) => r.set(who, Math.max(r.get(who) ?? -1, event.version))));
    const from = who;
    const drop = this.#store.listAlerts(event.groupId).filter((a) => a.from === from);
    if (drop.length === 0) return;
    this.#store.commit({ removeAlerts: drop.map((a) => ({ groupId: a.groupId, alertId: a.id })) });
    for (const a of drop) this.#events.emit('alert-dropped', { groupId: a.groupId, alertId: a.id, from, reason: 'sender-removed', version: event.version });
  }

  #deleteExpired(now = Date.now()): void {
    this.#store.commit({ deleteAlertsExpiredBefore: now, pruneSendLogBefore: now - SEND_LOG_MS });
  }
}
