import type { AckStatus, AlertKind, Place, Severity } from '@aviso/protocol';

/** An alert as the SDK surfaces it (on 'alert' and from `group.alerts()`). */
export interface Alert {
  id: string;
  groupId: string;
  /** The sender's account (from its sealed-sender certificate, not from anything it wrote). */
  from: string;
  fromDevice: number;
  kind: AlertKind;
  severity: Severity;
  title: string;
  body: string | undefined;
  /** Coordinates rounded to two decimals (about a kilometre). */
  place: Place | undefined;
  observedAt: number;
  expiresAt: number;
  requestAck: boolean;
  sentAt: number;
  retracted: boolean;
  /** The retraction's reason, when retracted. */
  reason: string | undefined;
  allClear: boolean;
}

interface FromMember {
  groupId: string;
  from: string;
  fromDevice: number;
  sentAt: number;
}

export interface Ack extends FromMember {
  alertId: string;
  status: AckStatus;
}
/** A confirm or a dispute. */
export interface AlertVerdict extends FromMember {
  alertId: string;
  note: string | undefined;
}
export interface Retraction extends FromMember {
  alertId: string;
  reason: string;
}
export interface AllClear extends FromMember {
  alertId: string;
}
export interface GroupText extends FromMember {
  text: string;
}

/** Who answered an alert how: each member's latest acknowledgement, and who confirmed or disputed it. */
export interface RollCall {
  seen: string[];
  onMyWay: string[];
  onScene: string[];
  cannot: string[];
  confirmed: string[];
  disputed: string[];
}

export interface SendAlertInput {
  kind: AlertKind;
  severity: Severity;
  title: string;
  body?: string;
  place?: string | { text: string; lat?: number; lon?: number };
  /** Default 4 hours, at most 7 days. */
  expiresInSeconds?: number;
  /** When it was seen (ms); default now. */
  observedAt?: number;
  /** Ask members to acknowledge. Default false. */
  requestAck?: boolean;
}

/** What a group message did, for the client's events. */
export type GroupMessageEvent =
  | { type: 'alert'; payload: Alert }
  | { type: 'ack'; payload: Ack }
  | { type: 'confirm'; payload: AlertVerdict }
  | { type: 'dispute'; payload: AlertVerdict }
  | { type: 'retract'; payload: Retraction }
  | { type: 'all-clear'; payload: AllClear }
  | { type: 'text'; payload: GroupText };

/** An alert taken out of the book after it was shown: its sender was removed from the group. */
export interface DroppedAlert {
  groupId: string;
  alertId: string;
  from: string;
  reason: 'sender-removed';
  /** The verified group version that removed the sender. */
  version: number;
}
