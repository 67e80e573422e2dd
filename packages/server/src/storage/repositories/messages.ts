import { and, asc, count, eq, gt, inArray, lte, max } from 'drizzle-orm';
import type { Db } from '../db.js';
import { messages } from '../schema.js';
import type { DeviceKey } from './prekeys.js';

export interface NewEnvelope {
  guid: string;
  accountId: string;
  deviceId: number;
  receivedAt: number;
  expiresAt: number;
  content: Uint8Array;
}

/** A queued envelope as handed to its device; `id` orders the queue. */
export interface QueuedEnvelope {
  id: number;
  guid: string;
  receivedAt: number;
  content: Uint8Array;
}

export class MessagesRepository {
  constructor(private readonly db: Db) {}

  insert(envelope: NewEnvelope): void {
    this.db
      .insert(messages)
      .values({ ...envelope, content: Buffer.from(envelope.content) })
      .run();
  }

  count(d: DeviceKey): number {
    return this.db.select({ n: count() }).from(messages).where(this.device(d)).get()?.n ?? 0;
  }

  /** Deletes the `n` oldest envelopes of a device; returns how many went. */
  deleteOldest(d: DeviceKey, n: number): number {
    const oldest = this.db.select({ id: messages.id }).from(messages).where(this.device(d)).orderBy(asc(messages.id)).limit(n);
    return this.db.delete(messages).where(inArray(messages.id, oldest)).run().changes;
  }

  /** Unexpired envelopes after `afterId`, oldest first. */
  fetchAfter(d: DeviceKey, afterId: number, limit: number, now: number): QueuedEnvelope[] {
    return this.db
      .select({ id: messages.id, guid: messages.guid, receivedAt: messages.receivedAt, content: messages.content })
      .from(messages)
      .where(and(this.device(d), gt(messages.id, afterId), gt(messages.expiresAt, now)))
      .orderBy(asc(messages.id))
      .limit(limit)
      .all();
  }

  /** Highest queued id of a device (0 when the queue is empty). */
  lastId(d: DeviceKey): number {
    return this.db.select({ id: max(messages.id) }).from(messages).where(this.device(d)).get()?.id ?? 0;
  }

  deleteByGuid(d: DeviceKey, guid: string): boolean {
    return this.db.delete(messages).where(and(this.device(d), eq(messages.guid, guid))).run().changes > 0;
  }

  deleteExpired(now: number): number {
    return this.db.delete(messages).where(lte(messages.expiresAt, now)).run().changes;
  }

  private device(d: DeviceKey) {
    return and(eq(messages.accountId, d.accountId), eq(messages.deviceId, d.deviceId));
  }
}
