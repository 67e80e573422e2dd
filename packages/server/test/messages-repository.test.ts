import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { openStorage, type Storage } from '../src/storage/sqlite/db.js';
import type { NewEnvelope } from '../src/ports/message-queue.js';
import { MessagesRepository } from '../src/storage/sqlite/messages.js';
import { tempDir } from './helpers.js';

// The multi-row insert behind group sends: positions must be exactly the rows' ids, in order,
// across chunk boundaries, or a device would be handed another device's envelope.
describe('MessagesRepository.insertMany', () => {
  let storage: Storage | undefined;
  afterEach(() => storage?.close());

  function setup(accounts: number): { repo: MessagesRepository; storage: Storage; accountIds: string[] } {
    storage = openStorage(join(tempDir(), 'relay.sqlite'));
    const accountIds = Array.from({ length: accounts }, () => randomUUID());
    const insertAccount = storage.db.$client.prepare("INSERT INTO accounts (id, identity_key, created_day) VALUES (?, x'05', 0)");
    const insertDevice = storage.db.$client.prepare("INSERT INTO devices (account_id, device_id, registration_id, auth_salt, auth_hash, last_seen_day) VALUES (?, ?, 1, x'00', x'00', 0)");
    for (const id of accountIds) {
      insertAccount.run(id);
      insertDevice.run(id, 1);
      insertDevice.run(id, 2);
    }
    return { repo: new MessagesRepository(storage.db), storage, accountIds };
  }

  test('returns each row’s queue position across several chunks, and the rows read back per device', () => {
    const { repo, storage: s, accountIds } = setup(150);
    // A 1:1 envelope first, so positions do not start at 1.
    const firstId = s.transaction(() => repo.insert({ guid: 'solo', accountId: accountIds[0]!, deviceId: 1, receivedAt: 0, expiresAt: 10_000, content: new Uint8Array([9]) }));
    const sharedId = s.transaction(() => repo.insertShared(new Uint8Array([0xaa, 0xbb]), 10_000));
    const envelopes: NewEnvelope[] = accountIds.flatMap((accountId, i) =>
      [1, 2].map((deviceId) => ({ guid: randomUUID(), accountId, deviceId, receivedAt: 0, expiresAt: 10_000, content: new Uint8Array([i % 256, deviceId]), sharedId })),
    );
    expect(envelopes.length).toBeGreaterThan(2 * 128); // crosses two chunk boundaries
    const ids = s.transaction(() => repo.insertMany(envelopes));
    expect(ids).toHaveLength(envelopes.length);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.min(...ids)).toBeGreaterThan(firstId);

    const byId = new Map(s.db.$client.prepare('SELECT id, guid, account_id AS accountId, device_id AS deviceId FROM messages').all().map((r) => {
      const row = r as { id: number; guid: string; accountId: string; deviceId: number };
      return [row.id, row];
    }));
    envelopes.forEach((e, i) => {
      const row = byId.get(ids[i]!);
      expect(row).toEqual({ id: ids[i], guid: e.guid, accountId: e.accountId, deviceId: e.deviceId });
    });
    const [a, b] = [accountIds[7]!, accountIds[140]!];
    expect(repo.fetchAfter({ accountId: a, deviceId: 2 }, 0, 10, 0).map((m) => [...m.content])).toEqual([[7, 2, 0xaa, 0xbb]]);
    expect(repo.fetchAfter({ accountId: b, deviceId: 1 }, 0, 10, 0).map((m) => [...m.content])).toEqual([[140, 1, 0xaa, 0xbb]]);
  });

  test('reserved queue positions are never handed out again, before or after any row exists, and survive a reopen', () => {
    const { repo, storage: s, accountIds } = setup(1);
    const e = (guid: string): NewEnvelope => ({ guid, accountId: accountIds[0]!, deviceId: 1, receivedAt: 0, expiresAt: 10, content: new Uint8Array([1]) });
    // A fresh database: no envelope ever stored, so AUTOINCREMENT has no counter row yet.
    expect(s.transaction(() => repo.reserveQueueIds(5))).toBe(1);
    expect(s.transaction(() => repo.insert(e('a')))).toBe(6);
    expect(s.transaction(() => repo.reserveQueueIds(3))).toBe(7);
    // Rows at reserved positions (a group send's, written later) do not move the counter back.
    expect(s.transaction(() => repo.insertMany([e('b')], [8]))).toEqual([8]);
    expect(s.transaction(() => repo.insertMany([e('c')]))).toEqual([10]);
    const path = s.db.$client.name;
    s.close();
    const reopened = openStorage(path);
    storage = reopened;
    expect(reopened.transaction(() => new MessagesRepository(reopened.db).reserveQueueIds(1))).toBe(11);
  });

  test('queueLengths counts queued envelopes per device, and keeps counting through inserts, acknowledgements, trims and expiry', () => {
    const { repo, storage: s, accountIds } = setup(3);
    const [a, b, c] = accountIds as [string, string, string];
    const e = (accountId: string, deviceId: number, expiresAt = 10): NewEnvelope => ({ guid: randomUUID(), accountId, deviceId, receivedAt: 0, expiresAt, content: new Uint8Array([1]) });
    const real = (accountId: string, deviceId: number) => s.db.$client.prepare('SELECT count(*) FROM messages WHERE account_id = ? AND device_id = ?').pluck().get(accountId, deviceId);
    const devices = [{ accountId: a, deviceId: 1 }, { accountId: a, deviceId: 2 }, { accountId: b, deviceId: 1 }, { accountId: c, deviceId: 1 }];
    const check = () => expect(s.transaction(() => repo.queueLengths(devices))).toEqual(devices.map((d) => real(d.accountId, d.deviceId)));

    const ids = s.transaction(() => repo.insertMany([e(a, 1), e(a, 1, 1), e(a, 2), e(b, 1)]));
    expect(s.transaction(() => repo.queueLengths(devices))).toEqual([2, 1, 1, 0]);
    s.transaction(() => repo.insertMany([e(c, 1), e(a, 1)]));
    s.transaction(() => repo.insert(e(b, 1)));
    check();
    // Acknowledged twice, and by the wrong device: counted once.
    s.transaction(() => repo.deleteAcknowledged([{ accountId: a, deviceId: 1, id: ids[0]! }, { accountId: a, deviceId: 1, id: ids[0]! }, { accountId: b, deviceId: 1, id: ids[2]! }]));
    check();
    s.transaction(() => repo.deleteOldest({ accountId: b, deviceId: 1 }, 1));
    check();
    expect(repo.deleteExpired(5)).toBe(1);
    check();
    // A rolled-back insert, forgotten as the messages service does on rollback.
    expect(() => s.transaction(() => {
      repo.insertMany([e(a, 2), e(a, 2)]);
      throw new Error('rolled back');
    })).toThrow('rolled back');
    repo.forgetCounts();
    check();
  });
});
