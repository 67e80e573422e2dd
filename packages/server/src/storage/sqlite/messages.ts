import { and, asc, eq, gt, inArray, lte, max, notExists, sql } from 'drizzle-orm';
import type BetterSqlite3 from 'better-sqlite3';
import type { Synchronous } from '../../ports/maybe-promise.js';
import type { MessageQueue, NewEnvelope, PendingFanout, QueuedEnvelope } from '../../ports/message-queue.js';
import type { Db } from './db.js';
import { messages, pendingFanouts, sharedPayloads } from './schema.js';
import type { DeviceKey } from '../../ports/prekeys.js';

/** Rows per multi-row INSERT: 7 parameters each, far below SQLite's 32,766-parameter limit. */
const INSERT_CHUNK = 128;

type Statement = BetterSqlite3.Statement<unknown[]>;

export class MessagesRepository implements Synchronous<MessageQueue> {
  // Prepared once: a group send inserts one row per recipient device (a 1,000-member group is
  // 1,000+ inserts and counts in one transaction), where building each drizzle query costs more than running it.
  private readonly q;
  /** Multi-row insert statements by row count (a full chunk and the remainders seen so far). */
  private readonly insertStatements = new Map<string, Statement>();
  /**
   * Queue lengths by `account.device`, for the devices counted so far. A send checks every recipient
   * device's queue against the cap, and a count query per group send cost more than its inserts. Exact
   * because every write to the table goes through this repository and keeps it up to date; the messages
   * service calls `forgetCounts` when a transaction rolls back, and expiry starts it afresh.
   */
  private readonly counts = new Map<string, number>();

  constructor(private readonly db: Db) {
    const p = (name: string) => sql.placeholder(name);
    const ofDevice = and(eq(messages.accountId, p('accountId')), eq(messages.deviceId, p('deviceId')));
    this.q = {
      // Plain better-sqlite3 statements for the two that run once per recipient device of a group send:
      // drizzle's placeholder filling and result mapping cost as much as SQLite's work here.
      insert: db.$client.prepare<[string, string, number, number, number, Buffer, number | null]>(
        'INSERT INTO messages (guid, account_id, device_id, received_at, expires_at, content, shared_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      count: db.$client.prepare<[string, number], number>('SELECT count(*) FROM messages WHERE account_id = ? AND device_id = ?').pluck(),
      countsOf: db.$client.prepare<[string], { accountId: string; deviceId: number; n: number }>(
        'SELECT account_id AS accountId, device_id AS deviceId, count(*) AS n FROM messages WHERE account_id IN (SELECT value FROM json_each(?)) GROUP BY account_id, device_id',
      ),
      // AUTOINCREMENT's counter, moved on by hand: a group send reserves its envelopes' ids before any
      // row exists (and most never will), and no later insert may take them (SQLite allows writing here).
      reserveIds: db.$client.prepare<[number], number>("UPDATE sqlite_sequence SET seq = seq + ? WHERE name = 'messages' RETURNING seq").pluck(),
      startSequence: db.$client.prepare<[number]>("INSERT INTO sqlite_sequence (name, seq) VALUES ('messages', ?)"),
      insertPending: db.$client.prepare<[number, number, number, Buffer, Buffer]>(
        'INSERT INTO pending_fanouts (shared_id, first_id, received_at, head, guid_seed) VALUES (?, ?, ?, ?, ?)',
      ),
      deletePending: db.$client.prepare<[number]>('DELETE FROM pending_fanouts WHERE shared_id = ?'),
      pending: db
        .select({
          sharedId: pendingFanouts.sharedId,
          firstId: pendingFanouts.firstId,
          receivedAt: pendingFanouts.receivedAt,
          head: pendingFanouts.head,
          guidSeed: pendingFanouts.guidSeed,
          shared: sharedPayloads.content,
          expiresAt: sharedPayloads.expiresAt,
        })
        .from(pendingFanouts)
        .innerJoin(sharedPayloads, eq(pendingFanouts.sharedId, sharedPayloads.id))
        .orderBy(asc(pendingFanouts.firstId))
        .prepare(),
      insertShared: db
        .insert(sharedPayloads)
        .values({ content: p('content'), expiresAt: p('expiresAt') })
        .returning({ id: sharedPayloads.id })
        .prepare(),
      // Every delivery page and every acknowledgement runs one of these: prepared once, not rebuilt per call.
      fetchAfter: db
        .select({ id: messages.id, guid: messages.guid, receivedAt: messages.receivedAt, content: messages.content, shared: sharedPayloads.content })
        .from(messages)
        .leftJoin(sharedPayloads, eq(messages.sharedId, sharedPayloads.id))
        .where(and(ofDevice, gt(messages.id, p('afterId')), gt(messages.expiresAt, p('now'))))
        .orderBy(asc(messages.id))
        .limit(p('limit'))
        .prepare(),
      lastId: db.select({ id: max(messages.id) }).from(messages).where(ofDevice).prepare(),
      // By queue position (the rowid): one lookup, and the device columns make sure a device can only
      // delete its own envelopes. Raw: every member acknowledges every alert.
      deleteAcknowledged: db.$client.prepare<[number, string, number], { sharedId: number | null }>(
        'DELETE FROM messages WHERE id = ? AND account_id = ? AND device_id = ? RETURNING shared_id AS sharedId',
      ),
      deleteSharedIfUnreferenced: db
        .delete(sharedPayloads)
        .where(
          and(
            eq(sharedPayloads.id, p('id')),
            notExists(db.select({ one: sql`1` }).from(messages).where(eq(messages.sharedId, p('id')))),
            notExists(db.select({ one: sql`1` }).from(pendingFanouts).where(eq(pendingFanouts.sharedId, p('id')))),
          ),
        )
        .prepare(),
    };
  }

  /** Stores one envelope; returns its queue position. */
  insert(envelope: NewEnvelope): number {
    const e = envelope;
    const content = Buffer.from(e.content.buffer, e.content.byteOffset, e.content.byteLength);
    const id = Number(this.q.insert.run(e.guid, e.accountId, e.deviceId, e.receivedAt, e.expiresAt, content, e.sharedId ?? null).lastInsertRowid);
    this.countInserted(e);
    return id;
  }

  /**
   * Stores many envelopes (a group send's per-device rows) with multi-row INSERTs of up to
   * INSERT_CHUNK rows: per-statement overhead, not SQLite's work, dominated one insert per row.
   * With `at`, envelope `i` takes queue position `at[i]` (reserved with `nextQueueId`); with
   * `skipExisting`, an envelope whose position is taken already is skipped (rebuilding a group send
   * after a crash), and the remembered queue lengths of those devices are forgotten here. Returns the queue
   * positions in order. Call inside a transaction.
   */
  insertMany(envelopes: readonly NewEnvelope[], at?: readonly number[], options: { skipExisting?: boolean } = {}): number[] {
    const ids: number[] = new Array<number>(envelopes.length);
    const skip = options.skipExisting === true;
    for (let start = 0; start < envelopes.length; start += INSERT_CHUNK) {
      const chunk = envelopes.slice(start, start + INSERT_CHUNK);
      const params: (string | number | Buffer | null)[] = [];
      for (const [i, e] of chunk.entries()) {
        if (at !== undefined) params.push(at[start + i] ?? 0);
        params.push(e.guid, e.accountId, e.deviceId, e.receivedAt, e.expiresAt, Buffer.from(e.content.buffer, e.content.byteOffset, e.content.byteLength), e.sharedId ?? null);
      }
      const result = this.insertStatement(chunk.length, at !== undefined, skip).run(...params);
      if (at !== undefined) {
        if (!skip && result.changes !== chunk.length) throw new Error(`multi-row insert stored ${result.changes} of ${chunk.length} envelopes`);
        for (let i = 0; i < chunk.length; i++) ids[start + i] = at[start + i] ?? 0;
        continue;
      }
      // One statement inside our transaction: SQLite hands out consecutive rowids (max + 1 each, and
      // nothing else writes meanwhile), so the last rowid tells every one.
      if (result.changes !== chunk.length) throw new Error(`multi-row insert stored ${result.changes} of ${chunk.length} envelopes`);
      const last = Number(result.lastInsertRowid);
      for (let i = 0; i < chunk.length; i++) ids[start + i] = last - chunk.length + 1 + i;
    }
    // A skipped row was stored before (crash recovery rebuilding a group send), so counting every
    // envelope would overstate the queue and make the next trim drop one envelope too many: forget
    // those devices' lengths instead, and the next count reads them from the table.
    if (skip) for (const e of envelopes) this.counts.delete(countKey(e));
    else for (const e of envelopes) this.countInserted(e);
    return ids;
  }

  /**
   * How many envelopes each of these devices has queued, in order: from memory where known, the
   * others with one query for all their accounts. Call inside the transaction that then inserts.
   */
  queueLengths(devices: readonly DeviceKey[]): number[] {
    const unknown = new Set<string>();
    for (const d of devices) if (!this.counts.has(countKey(d))) unknown.add(d.accountId);
    if (unknown.size > 0) {
      for (const d of devices) if (unknown.has(d.accountId)) this.counts.set(countKey(d), 0);
      // Only devices with envelopes come back; the others stay at 0.
      for (const r of this.q.countsOf.all(JSON.stringify([...unknown]))) this.counts.set(countKey(r), r.n);
    }
    return devices.map((d) => this.counts.get(countKey(d)) ?? 0);
  }

  /** Drops the remembered queue lengths: after a rolled-back transaction they may count rows that are not there. */
  forgetCounts(): void {
    this.counts.clear();
  }

  private insertStatement(rows: number, explicitIds: boolean, skipExisting: boolean): Statement {
    const key = `${rows}${explicitIds ? 'i' : ''}${skipExisting ? 's' : ''}`;
    let statement = this.insertStatements.get(key);
    if (statement === undefined) {
      const row = explicitIds ? '(?, ?, ?, ?, ?, ?, ?, ?)' : '(?, ?, ?, ?, ?, ?, ?)';
      const values = Array.from({ length: rows }, () => row).join(', ');
      const columns = `${explicitIds ? 'id, ' : ''}guid, account_id, device_id, received_at, expires_at, content, shared_id`;
      // OR IGNORE only skips rows whose id exists (the primary key); a foreign key violation still fails.
      statement = this.db.$client.prepare(`INSERT ${skipExisting ? 'OR IGNORE ' : ''}INTO messages (${columns}) VALUES ${values}`);
      this.insertStatements.set(key, statement);
    }
    return statement;
  }

  /**
   * Reserves `count` consecutive queue positions and returns the first: no envelope stored later gets
   * one of them, whether or not rows are ever written at them. Call inside the transaction that records
   * what they are for.
   */
  reserveQueueIds(count: number): number {
    let last = this.q.reserveIds.get(count);
    if (last === undefined) {
      // No envelope was ever stored: the counter row does not exist yet.
      this.q.startSequence.run(count);
      last = count;
    }
    return last - count + 1;
  }

  /** Records a group send whose envelope rows are still to be written (see `pending_fanouts`). */
  insertPending(p: { sharedId: number; firstId: number; receivedAt: number; head: Uint8Array; guidSeed: Uint8Array }): void {
    this.q.insertPending.run(p.sharedId, p.firstId, p.receivedAt, asBuffer(p.head), asBuffer(p.guidSeed));
  }

  /** The send's envelope rows are written: forget it. */
  deletePending(sharedId: number): void {
    this.q.deletePending.run(sharedId);
  }

  /** Group sends whose envelope rows were never written (a crash or a failed write), oldest first. */
  pendingFanouts(): PendingFanout[] {
    return this.q.pending.all();
  }

  /** Stores the shared part of a group send; returns its id for the envelopes to reference. */
  insertShared(content: Uint8Array, expiresAt: number): number {
    const row = this.q.insertShared.get({ content: asBuffer(content), expiresAt });
    if (row === undefined) throw new Error('shared payload insert returned no id');
    return row.id;
  }

  /** The device's queue length (remembered, or counted and remembered). */
  count(d: DeviceKey): number {
    const key = countKey(d);
    let n = this.counts.get(key);
    if (n === undefined) this.counts.set(key, (n = this.q.count.get(d.accountId, d.deviceId) ?? 0));
    return n;
  }

  /** Deletes the `n` oldest envelopes of a device (and shared payloads nothing references any more); returns how many went. */
  deleteOldest(d: DeviceKey, n: number): number {
    const oldest = this.db.select({ id: messages.id }).from(messages).where(this.device(d)).orderBy(asc(messages.id)).limit(n);
    const deleted = this.db.delete(messages).where(inArray(messages.id, oldest)).returning({ sharedId: messages.sharedId }).all();
    this.countDeleted(d, deleted.length);
    this.dropUnreferenced(deleted);
    return deleted.length;
  }

  /** Unexpired envelopes after `afterId`, oldest first, with group sends reassembled (prefix ‖ shared). */
  fetchAfter(d: DeviceKey, afterId: number, limit: number, now: number): QueuedEnvelope[] {
    return this.q.fetchAfter
      .all({ accountId: d.accountId, deviceId: d.deviceId, afterId, now, limit })
      .map(({ shared, content, ...rest }) => ({ ...rest, content: shared === null ? content : Buffer.concat([content, shared]) }));
  }

  /** Highest queued id of a device (0 when the queue is empty). */
  lastId(d: DeviceKey): number {
    return this.q.lastId.get({ accountId: d.accountId, deviceId: d.deviceId })?.id ?? 0;
  }

  /**
   * Deletes acknowledged envelopes, each named by its device and queue position (call inside one
   * transaction), then each shared payload the batch left unreferenced, checked once per payload
   * rather than once per envelope. Returns how many went (an envelope already gone is skipped).
   */
  deleteAcknowledged(acks: readonly (DeviceKey & { id: number })[]): number {
    const sharedIds = new Set<number>();
    let n = 0;
    for (const a of acks) {
      const row = this.q.deleteAcknowledged.get(a.id, a.accountId, a.deviceId);
      if (row === undefined) continue;
      n++;
      this.countDeleted(a, 1);
      if (row.sharedId !== null) sharedIds.add(row.sharedId);
    }
    for (const id of sharedIds) this.q.deleteSharedIfUnreferenced.run({ id });
    return n;
  }

  /** Deletes expired envelopes, then every shared payload no envelope references; returns the envelope count. */
  deleteExpired(now: number): number {
    const n = this.db.delete(messages).where(lte(messages.expiresAt, now)).run().changes;
    // Which queues shrank is not worth a query: recounted on their next send.
    if (n > 0) this.counts.clear();
    // Also catches payloads orphaned by cascades (a deleted device) and by a crash between statements;
    // a send whose envelope rows are still to be written keeps its payload (and expires with it).
    const expiredPending = this.db
      .select({ id: pendingFanouts.sharedId })
      .from(pendingFanouts)
      .innerJoin(sharedPayloads, eq(pendingFanouts.sharedId, sharedPayloads.id))
      .where(lte(sharedPayloads.expiresAt, now));
    this.db.delete(pendingFanouts).where(inArray(pendingFanouts.sharedId, expiredPending)).run();
    this.db
      .delete(sharedPayloads)
      .where(
        and(
          notExists(this.db.select({ one: sql`1` }).from(messages).where(eq(messages.sharedId, sharedPayloads.id))),
          notExists(this.db.select({ one: sql`1` }).from(pendingFanouts).where(eq(pendingFanouts.sharedId, sharedPayloads.id))),
        ),
      )
      .run();
    return n;
  }

  /** Deletes a group send's shared part if no envelope row and no pending row uses it any more. */
  deleteSharedIfUnreferenced(id: number): void {
    this.q.deleteSharedIfUnreferenced.run({ id });
  }

  private dropUnreferenced(deleted: { sharedId: number | null }[]): void {
    const ids = new Set(deleted.map((r) => r.sharedId).filter((id) => id !== null));
    for (const id of ids) this.q.deleteSharedIfUnreferenced.run({ id });
  }

  private countInserted(d: DeviceKey): void {
    const key = countKey(d);
    const n = this.counts.get(key);
    if (n !== undefined) this.counts.set(key, n + 1);
  }

  private countDeleted(d: DeviceKey, deleted: number): void {
    const key = countKey(d);
    const n = this.counts.get(key);
    if (n !== undefined) this.counts.set(key, n - deleted);
  }

  private device(d: DeviceKey) {
    return and(eq(messages.accountId, d.accountId), eq(messages.deviceId, d.deviceId));
  }
}

function countKey(d: DeviceKey): string {
  return `${d.accountId}.${d.deviceId}`;
}

/** A Buffer over the same bytes (better-sqlite3 binds Buffers as blobs), without a copy. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
