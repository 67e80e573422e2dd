import { ALERT_LIMITS, LIMITS, type GroupMessageBody } from '@aviso/protocol';
import type { GroupState } from '../stores/group-state.js';
import type { RejectReason } from '../crypto/sealed.js';
import type { AlertRecord, AlertResponse, AlertTombstone, AvisoStore, StoreChanges } from '../stores/interfaces.js';
import type { Alert, GroupMessageEvent } from './types.js';

/**
 * The rules for one group message, given the verified group state (docs/alerts.md "Receiving",
 * "Alerts"). Pure: reads the store, returns the rows to write and the events to surface, or why the
 * message is dropped. The caller has already checked versions and head hashes. Times the sender
 * claims are bounded by the relay's timestamp (`boundedTime`); a retract or all-clear for an alert
 * not here yet is kept as a tombstone and judged when the alert arrives.
 */

export type Applied = { ok: true; changes: StoreChanges; events: GroupMessageEvent[] } | { ok: false; reason: RejectReason; message: string };

export interface ApplyInput {
  store: Pick<AvisoStore, 'getAlert' | 'listAlertTombstones'>;
  state: GroupState;
  sender: string;
  senderDevice: number;
  /** The sender's clock (`Content.sentAt`). */
  sentAt: number;
  /**
   * The relay's timestamp of the envelope (`serverTimestamp`, at most the receiver's clock plus
   * `LIMITS.maxClockSkewMs`); for our own sends, our clock. Bounds every time the sender claims.
   */
  relayTime: number;
  body: GroupMessageBody;
}

const MAX_LIFETIME_MS = ALERT_LIMITS.maxExpiresInSeconds * 1000;

/**
 * A time the sender claims, bounded by the relay's: a sender clock more than `LIMITS.maxClockSkewMs`
 * ahead of the relay's timestamp is taken to be the relay's (docs/alerts.md "Clocks").
 */
export function boundedTime(claimed: number, relayTime: number): number {
  return claimed > relayTime + LIMITS.maxClockSkewMs ? relayTime : claimed;
}

/**
 * The relay's timestamp of an envelope as a bound: the relay's own clock can be wrong too (or lie),
 * so it counts for no later than the receiver's clock plus the same skew.
 */
export function relayTimeOf(serverTimestamp: number, now: number = Date.now()): number {
  return Math.min(serverTimestamp, now + LIMITS.maxClockSkewMs);
}

export function memberOf(state: GroupState, accountId: string) {
  return Object.values(state.members).find((m) => m.accountId === accountId);
}

/** Who may retract or call the all-clear on an alert: its sender, or an admin in the verified state. */
function mayEnd(state: GroupState, by: string, alert: Pick<AlertRecord, 'from'>): boolean {
  return alert.from === by || memberOf(state, by)?.role === 'admin';
}

export function applyGroupBody(input: ApplyInput): Applied {
  const { state, sender, senderDevice, relayTime, body } = input;
  const member = memberOf(state, sender);
  if (!member) return { ok: false, reason: 'not-a-member', message: 'the sender is not a member of the verified group' };
  const isAdmin = member.role === 'admin';
  const groupId = body.groupId;
  // Every time below is the bounded one: a sender whose clock says 2100 gets the relay's time.
  const sentAt = boundedTime(input.sentAt, relayTime);
  const base = { groupId, from: sender, fromDevice: senderDevice, sentAt };
  switch (body.type) {
    case 'alert': {
      if (state.announcementsOnly && !isAdmin) return { ok: false, reason: 'not-allowed', message: 'only admins send alerts in this group' };
      const existing = input.store.getAlert(groupId, body.id);
      // An alert id is the sender's: nobody else may overwrite (or replay into) it.
      if (existing && (existing.from !== sender || existing.sentAt !== sentAt)) return { ok: false, reason: 'not-allowed', message: 'an alert with this id already exists' };
      let record: AlertRecord = {
        groupId,
        id: body.id,
        from: sender,
        fromDevice: senderDevice,
        kind: body.kind,
        severity: body.severity,
        title: body.title,
        body: body.body,
        place: body.place,
        observedAt: boundedTime(body.observedAt, relayTime),
        // A sender cannot keep an alert alive longer than the protocol allows, by its clock or by the relay's.
        expiresAt: Math.min(body.expiresAt, sentAt + MAX_LIFETIME_MS, relayTime + MAX_LIFETIME_MS),
        requestAck: body.requestAck,
        sentAt,
        // A redelivery does not undo a retraction or an all-clear.
        ...(existing?.retracted ? { retracted: existing.retracted } : {}),
        ...(existing?.allClear ? { allClear: existing.allClear } : {}),
      };
      // Retractions and all-clears that came first (docs/alerts.md "Out of order"), judged now.
      const events: GroupMessageEvent[] = [];
      const tombstones = input.store.listAlertTombstones(groupId, body.id);
      for (const t of tombstones) {
        if (!mayEnd(state, t.by, record)) continue;
        const from = { groupId, from: t.by, fromDevice: t.byDevice, sentAt: t.at, alertId: body.id };
        if (t.kind === 'retract') {
          const reason = t.reason ?? '';
          record = { ...record, retracted: { reason, by: t.by, at: t.at } };
          events.push({ type: 'retract', payload: { ...from, reason } });
        } else {
          record = { ...record, allClear: { by: t.by, at: t.at } };
          events.push({ type: 'all-clear', payload: from });
        }
      }
      return {
        ok: true,
        changes: { alerts: [record], ...(tombstones.length > 0 ? { removeAlertTombstones: [{ groupId, alertId: body.id }] } : {}) },
        events: [{ type: 'alert', payload: publicAlert(record) }, ...events],
      };
    }
    case 'ack': {
      const r: AlertResponse = { groupId, alertId: body.alertId, accountId: sender, kind: 'ack', value: body.status, sentAt };
      return { ok: true, changes: { alertResponses: [r] }, events: [{ type: 'ack', payload: { ...base, alertId: body.alertId, status: body.status } }] };
    }
    case 'confirm':
    case 'dispute': {
      const r: AlertResponse = { groupId, alertId: body.alertId, accountId: sender, kind: 'verdict', value: body.type, note: body.note, sentAt };
      return { ok: true, changes: { alertResponses: [r] }, events: [{ type: body.type, payload: { ...base, alertId: body.alertId, note: body.note } }] };
    }
    case 'retract':
    case 'all-clear': {
      const alert = input.store.getAlert(groupId, body.alertId);
      if (!alert) {
        // Not here yet (a reordered queue, an alert being resent): keep it for when the alert comes,
        // and decide then whether this member may end it. Nothing to show until then.
        const tombstone: AlertTombstone = {
          groupId,
          alertId: body.alertId,
          kind: body.type,
          by: sender,
          byDevice: senderDevice,
          reason: body.type === 'retract' ? body.reason : undefined,
          at: sentAt,
          expiresAt: Math.max(sentAt, relayTime) + MAX_LIFETIME_MS,
        };
        return { ok: true, changes: { alertTombstones: [tombstone] }, events: [] };
      }
      // Only the alert's sender or an admin.
      if (!mayEnd(state, sender, alert)) return { ok: false, reason: 'not-allowed', message: `only the alert's sender or an admin may ${body.type} it` };
      if (body.type === 'retract') {
        return { ok: true, changes: { alerts: [{ ...alert, retracted: { reason: body.reason, by: sender, at: sentAt } }] }, events: [{ type: 'retract', payload: { ...base, alertId: body.alertId, reason: body.reason } }] };
      }
      return { ok: true, changes: { alerts: [{ ...alert, allClear: { by: sender, at: sentAt } }] }, events: [{ type: 'all-clear', payload: { ...base, alertId: body.alertId } }] };
    }
    case 'text':
      return { ok: true, changes: {}, events: [{ type: 'text', payload: { ...base, text: body.text } }] };
    case 'group-update':
      // Only a nudge: the receiver synced to the version it names before getting here.
      return { ok: true, changes: {}, events: [] };
  }
}

export function publicAlert(a: AlertRecord): Alert {
  return {
    id: a.id,
    groupId: a.groupId,
    from: a.from,
    fromDevice: a.fromDevice,
    kind: a.kind,
    severity: a.severity,
    title: a.title,
    body: a.body,
    place: a.place,
    observedAt: a.observedAt,
    expiresAt: a.expiresAt,
    requestAck: a.requestAck,
    sentAt: a.sentAt,
    retracted: a.retracted !== undefined,
    reason: a.retracted?.reason,
    allClear: a.allClear !== undefined,
  };
}
