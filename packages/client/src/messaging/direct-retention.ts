import { RETENTION_LIMITS } from '@aviso/protocol';
import { clampRetention } from '../crypto/group-blobs.js';
import type { AvisoStore, StoreChanges } from '../stores/interfaces.js';

/**
 * Per-conversation retention of direct messages (docs/alerts.md "Direct messages"), kept in the
 * store's meta: this device's setting for one contact, carried in every direct message to them, so
 * both sides keep a message for the shorter of the two settings.
 */
const key = (accountId: string) => `directRetention:${accountId}`;

/** Our retention for the conversation with `accountId`, s (`RETENTION_LIMITS.defaultSeconds` unless set). */
export function readDirectRetention(store: Pick<AvisoStore, 'getMeta'>, accountId: string): number {
  const v = Number(store.getMeta(key(accountId)));
  return Number.isInteger(v) && v > 0 ? clampRetention(v) : RETENTION_LIMITS.defaultSeconds;
}

/** The store change that sets it (the caller has checked the range). */
export function directRetentionChange(accountId: string, seconds: number): StoreChanges {
  return { meta: { [key(accountId)]: String(seconds) } };
}

/** How long a received direct message is kept: the shorter of ours and the sender's (if it said). */
export function effectiveDirectRetention(ours: number, theirs: number | undefined): number {
  return theirs === undefined ? ours : Math.min(ours, clampRetention(theirs));
}
