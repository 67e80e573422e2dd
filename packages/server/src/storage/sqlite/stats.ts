import { count, gt } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { RelayCounts } from '../../ports/storage.js';
import { accounts, devices, groups, messages, registrationTokens } from './schema.js';

export type { RelayCounts };


/** Totals over the relay database; works on a read-only connection. */
export function relayCounts(db: BetterSQLite3Database<Record<string, unknown>>, now: number): RelayCounts {
  const total = (rows: { n: number } | undefined): number => rows?.n ?? 0;
  return {
    accounts: total(db.select({ n: count() }).from(accounts).get()),
    devices: total(db.select({ n: count() }).from(devices).get()),
    groups: total(db.select({ n: count() }).from(groups).get()),
    queuedEnvelopes: total(db.select({ n: count() }).from(messages).get()),
    liveRegistrationTokens: total(db.select({ n: count() }).from(registrationTokens).where(gt(registrationTokens.expiresAt, now)).get()),
  };
}
