import { RETENTION_LIMITS, type AckStatus } from '@aviso/protocol';
import { publicAlert } from '../alerts/apply.js';
import { readRemoved, removedChange } from '../alerts/group-watch.js';
import type { Alert, DroppedAlert, RollCall } from '../alerts/types.js';
import type { GroupChangeEvent } from '../crypto/group-chain.js';
import type { AvisoStore } from '../stores/interfaces.js';
import type { EventSink } from '../util/events.js';
import { errInfo, type Logger } from '../util/logger.js';
import { SEND_LOG_MS } from '../messaging/group-sender.js'; // the send log is pruned by the same timer

/** setTimeout's longest delay (about 24.8 days); a later deadline is waited for in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A timer never fires sooner than this after the last purge (a clock stepping back cannot make it spin). */
const MIN_TIMER_MS = 250;

export interface AlertBookEvents {
  /** Stored alerts were dropped after the fact (their sender was removed from the group). */
  'alert-dropped': DroppedAlert;
}

/**
 * The local alert book (docs/alerts.md "Receiving", "Retention"): unexpired alerts, history (expired
 * but within the group's retention) and the roll call, read by the Group handle; a removed member's
 * alerts dropped when the group log verifies the removal (the facade hands it every verified change
 * before its listeners). It also runs the retention timer: one unreferenced timeout to the earliest
 * deadline in the store, re-armed after each purge and whenever a group changes; a purge runs at
 * open before anything is read, and before any read once a deadline has passed (a sleeping laptop
 * fires timers late).
 */
export class AlertBook {
  readonly #store: AvisoStore;
  readonly #events: EventSink<AlertBookEvents>;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #next = Infinity;
  #running = false;
  #rescheduling = false;

  constructor(store: AvisoStore, events: EventSink<AlertBookEvents>, logger: Logger) {
    this.#store = store;
    this.#events = events;
    this.#logger = logger;
  }

  /** Purges whatever is due, then arms the timer. The client calls it on open, before any read. */
  start(): void {
    this.#running = true;
    this.#purgeAndArm();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * A deadline may have moved (a retention changed, a group was created or joined): purge and
   * re-arm, once for a whole batch of changes (they are emitted in one synchronous run).
   */
  reschedule(): void {
    if (!this.#running || this.#rescheduling) return;
    this.#rescheduling = true;
    queueMicrotask(() => {
      this.#rescheduling = false;
      if (this.#running) this.#purgeAndArm();
    });
  }

  #purgeAndArm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = Date.now();
    let next: number;
    try {
      next = this.#purge(now);
    } catch (err) {
      this.#logger.warn(errInfo(err), 'retention purge failed');
      next = now + 60_000; // the store failed: try again in a minute rather than never
    }
    this.#next = next;
    if (!this.#running || next === Infinity) return;
    this.#timer = setTimeout(() => this.#purgeAndArm(), Math.min(MAX_TIMER_MS, Math.max(MIN_TIMER_MS, next - now)));
    this.#timer.unref();
  }

  /** A read: a deadline the timer has not caught up with yet (the machine slept) is purged first. */
  #purgeIfDue(): void {
    if (this.#running && Date.now() >= this.#next) this.#purgeAndArm();
  }

  /**
   * Deletes every group's content older than its retention, and send-log rows past a day, in one
   * commit, then scrubs the files. Returns the next deadline: the earliest content's, or, at the
   * latest, the shortest retention from now (anything stored from now on is due no sooner).
   */
  #purge(now: number): number {
    const retention = new Map(this.#store.listGroupRetention().map((g) => [g.groupId, retentionMsOf(g.retentionSeconds)]));
    const ret = (groupId: string) => retention.get(groupId) ?? retentionMsOf(undefined);
    let { groups, sendLogCreatedAt } = this.#store.oldestContent();
    const due = groups.filter((g) => g.at + ret(g.groupId) <= now);
    const sendLogDue = sendLogCreatedAt !== undefined && sendLogCreatedAt + SEND_LOG_MS <= now;
    if (due.length > 0 || sendLogDue) {
      this.#store.commit({
        purgeContent: due.map((g) => ({ groupId: g.groupId, before: now - ret(g.groupId) })),
        ...(sendLogDue ? { pruneSendLogBefore: now - SEND_LOG_MS + 1 } : {}),
      });
      this.#store.scrub?.();
      ({ groups, sendLogCreatedAt } = this.#store.oldestContent());
    }
    let next = Math.min(...[...retention.values()].map((ms) => now + ms));
    for (const g of groups) next = Math.min(next, g.at + ret(g.groupId));
    if (sendLogCreatedAt !== undefined) next = Math.min(next, sendLogCreatedAt + SEND_LOG_MS);
    return next;
  }

  async rollCall(groupId: string, alertId: string): Promise<RollCall> {
    this.#purgeIfDue();
    const out: RollCall = { seen: [], onMyWay: [], onScene: [], cannot: [], confirmed: [], disputed: [] };
    const ackKey: Record<AckStatus, keyof RollCall> = { seen: 'seen', 'on-my-way': 'onMyWay', 'on-scene': 'onScene', cannot: 'cannot' };
    for (const r of this.#store.listAlertResponses(groupId, alertId)) {
      if (r.kind === 'ack') out[ackKey[r.value as AckStatus]].push(r.accountId);
      else out[r.value === 'confirm' ? 'confirmed' : 'disputed'].push(r.accountId);
    }
    for (const list of Object.values(out)) list.sort();
    return out;
  }

  /** Unexpired alerts of a group, oldest observation first. */
  alerts(groupId: string): Alert[] {
    this.#purgeIfDue();
    const now = Date.now();
    return this.#store
      .listAlerts(groupId)
      .filter((a) => a.expiresAt >= now)
      .map(publicAlert);
  }

  /** Expired alerts the group's retention still keeps, oldest observation first. */
  history(groupId: string): Alert[] {
    this.#purgeIfDue();
    const now = Date.now();
    return this.#store
      .listAlerts(groupId)
      .filter((a) => a.expiresAt < now)
      .map(publicAlert);
  }

  /**
   * A verified change: a removed member's alerts leave the book, whenever they arrived (docs/alerts.md
   * "Receiving"): one that reached us before we saw the removal (we were offline, or the relay
   * accepted a removed member's upload under an endorsement still valid) is dropped after the fact.
   */
  onGroupChange(event: GroupChangeEvent): void {
    this.reschedule();
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
    this.#store.scrub?.();
    for (const a of drop) this.#events.emit('alert-dropped', { groupId: a.groupId, alertId: a.id, from, reason: 'sender-removed', version: event.version });
  }
}

/** A group's retention in ms (`RETENTION_LIMITS.defaultSeconds` when its attributes do not say). */
export function retentionMsOf(seconds: number | undefined): number {
  return (seconds ?? RETENTION_LIMITS.defaultSeconds) * 1000;
}
