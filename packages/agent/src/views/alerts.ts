import type { Alert, RollCall } from '@aviso/client';

/** How many members answered an alert each way: what a board shows next to it. */
export interface AckCounts {
  seen: number;
  onMyWay: number;
  onScene: number;
  cannot: number;
  confirmed: number;
  disputed: number;
}

export function ackCounts(roll: RollCall): AckCounts {
  return { seen: roll.seen.length, onMyWay: roll.onMyWay.length, onScene: roll.onScene.length, cannot: roll.cannot.length, confirmed: roll.confirmed.length, disputed: roll.disputed.length };
}

/**
 * The stable JSON shape of an alert (docs: packages/cli/README.md, `aviso alerts --json`): every key
 * present every time, flat place fields, and the counts when the caller has them.
 */
export function alertJson(alert: Alert, names: { group: string; from: string | undefined }, counts: AckCounts | undefined): Record<string, unknown> {
  return {
    id: alert.id,
    groupId: alert.groupId,
    group: names.group,
    from: alert.from,
    fromName: names.from,
    kind: alert.kind,
    severity: alert.severity,
    title: alert.title,
    body: alert.body,
    place: alert.place?.text,
    lat: alert.place?.lat,
    lon: alert.place?.lon,
    observedAt: alert.observedAt,
    sentAt: alert.sentAt,
    expiresAt: alert.expiresAt,
    requestAck: alert.requestAck,
    retracted: alert.retracted,
    reason: alert.reason,
    allClear: alert.allClear,
    ...(counts ? { acks: counts } : {}),
  };
}

const SEVERITY_RANK = { critical: 0, urgent: 1, info: 2 } as const;

/** Most severe first, then newest first: the order every list of alerts is shown in. */
export function bySeverity(a: Pick<Alert, 'severity' | 'sentAt'>, b: Pick<Alert, 'severity' | 'sentAt'>): number {
  return SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || b.sentAt - a.sentAt;
}
