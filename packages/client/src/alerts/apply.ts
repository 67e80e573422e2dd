import { ALERT_LIMITS, type GroupMessageBody } from '@aviso/protocol';
import type { GroupState } from '../crypto/group-chain.js';
import type { RejectReason } from '../crypto/sealed.js';
import type { AlertRecord, AlertResponse, AvisoStore, StoreChanges } from '../stores/interfaces.js';
import type { Alert, GroupMessageEvent } from './types.js';

/**
 * The rules for one group message, given the verified group state (docs/alerts.md "Receiving",
 * "Alerts"). Pure: reads the store, returns the rows to write and the event to surface, or why the
 * message is dropped. The caller has already checked versions and head hashes.
 */

export type Applied = { ok: true; changes: StoreChanges; event: GroupMessageEvent } | { ok: false; reason: RejectReason; message: string };

export interface ApplyInput {
  store: Pick<AvisoStore, 'getAlert'>;
  state: GroupState;
  sender: string;
  senderDevice: number;
  sentAt: number;
  body: GroupMessageBody;
}

export function memberOf(state: GroupState, accountId: string) {
  return Object.values(state.members).find((m) => m.accountId === accountId);
}

export function applyGroupBody(input: ApplyInput): Applied {
  const { state, sender, senderDevice, sentAt, body } = input;
  const member = memberOf(state, sender);
  if (!member) return { ok: false, reason: 'not-a-member', message: 'the sender is not a member of the verified group' };
  const isAdmin = member.role === 'admin';
  const groupId = body.groupId;
  const base = { groupId, from: sender, fromDevice: senderDevice, sentAt };
  switch (body.type) {
    case 'alert': {
      if (state.announcementsOnly && !isAdmin) return { ok: false, reason: 'not-allowed', message: 'only admins send alerts in this group' };
      const existing = input.store.getAlert(groupId, body.id);
      // An alert id is the sender's: nobody else may overwrite (or replay into) it.
      if (existing && (existing.from !== sender || existing.sentAt !== sentAt)) return { ok: false, reason: 'not-allowed', message: 'an alert with this id already exists' };
      const record: AlertRecord = {
        groupId,
        id: body.id,
        from: sender,
        fromDevice: senderDevice,
        kind: body.kind,
        severity: body.severity,
        title: body.title,
        body: body.body,
        place: body.place,
        observedAt: body.observedAt,
        // A sender cannot keep an alert alive longer than the protocol allows.
        expiresAt: Math.min(body.expiresAt, sentAt + ALERT_LIMITS.maxExpiresInSeconds * 1000),
        requestAck: body.requestAck,
        sentAt,
      };
      return { ok: true, changes: { alerts: [record] }, event: { type: 'alert', payload: publicAlert(record) } };
    }
    case 'ack': {
      const r: AlertResponse = { groupId, alertId: body.alertId, accountId: sender, kind: 'ack', value: body.status, sentAt };
      return { ok: true, changes: { alertResponses: [r] }, event: { type: 'ack', payload: { ...base, alertId: body.alertId, status: body.status } } };
    }
    case 'confirm':
    case 'dispute': {
      const r: AlertResponse = { groupId, alertId: body.alertId, accountId: sender, kind: 'verdict', value: body.type, note: body.note, sentAt };
      return { ok: true, changes: { alertResponses: [r] }, event: { type: body.type, payload: { ...base, alertId: body.alertId, note: body.note } } };
    }
    case 'retract':
    case 'all-clear': {
      const alert = input.store.getAlert(groupId, body.alertId);
      // Only the alert's sender or an admin; without the alert we cannot tell who sent it.
      const allowed = isAdmin || (alert !== undefined && alert.from === sender);
      if (!allowed) return { ok: false, reason: 'not-allowed', message: `only the alert's sender or an admin may ${body.type} it` };
      if (body.type === 'retract') {
        const changes: StoreChanges = alert ? { alerts: [{ ...alert, retracted: { reason: body.reason, by: sender, at: sentAt } }] } : {};
        return { ok: true, changes, event: { type: 'retract', payload: { ...base, alertId: body.alertId, reason: body.reason } } };
      }
      const changes: StoreChanges = alert ? { alerts: [{ ...alert, allClear: { by: sender, at: sentAt } }] } : {};
      return { ok: true, changes, event: { type: 'all-clear', payload: { ...base, alertId: body.alertId } } };
    }
    case 'text':
      return { ok: true, changes: {}, event: { type: 'text', payload: { ...base, text: body.text } } };
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
