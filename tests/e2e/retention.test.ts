import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { RETENTION_LIMITS, RetentionRangeError, type AvisoClient } from '@aviso/client';
import { nextEvent, type ClientPool } from '../support/clients.js';
import { useRelay } from '../support/harness.js';
import type { RelayProcess } from '../support/relay.js';

/**
 * Retention (docs/alerts.md "Retention"): an admin sets how long devices keep a group's content;
 * every device deletes it at the deadline, on time, and the bytes leave the database file and its
 * WAL. The stores here are plain (unencrypted), so a byte search of the raw files is meaningful:
 * it is what a forensic examiner of a seized unencrypted profile would run.
 */

let relay: RelayProcess;
let pool: ClientPool;
useRelay((r, p) => ((relay = r), (pool = p)));
afterEach(() => void vi.useRealTimers());

const STORE_FILES = ['aviso-client.sqlite', 'aviso-client.sqlite-wal'];

/** Which of the store's raw files (database, WAL) contain `needle` as UTF-8 bytes. */
function filesHolding(dir: string, needle: string): string[] {
  return STORE_FILES.filter((f) => existsSync(join(dir, f)) && readFileSync(join(dir, f)).includes(Buffer.from(needle, 'utf8')));
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function registeredAt(dir: string): Promise<AvisoClient> {
  const client = await pool.open(dir);
  await client.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
  return client;
}

describe('group retention', () => {
  test('an admin-set retention reaches a member; at sentAt + retention the alert, its note and the send log leave both plain stores and their WALs, on time', async () => {
    const adminDir = pool.newDataDir('admin');
    const memberDir = pool.newDataDir('member');
    const admin = await registeredAt(adminDir);
    const group = await admin.createGroup({ title: 'Night watch', displayName: 'Rosa' });
    expect(group.retentionSeconds).toBe(RETENTION_LIMITS.defaultSeconds);
    const code = await group.createInvite({ expiresInSeconds: 3600, maxUses: 1 });
    const member = await pool.open(memberDir);
    const mine = await member.join(code, { displayName: 'Ana' });

    await group.setRetention(RETENTION_LIMITS.minSeconds);
    expect(group.retentionSeconds).toBe(3600);
    await group.setTitle('Night watch (1 h)'); // another attribute change keeps the retention
    expect(group.retentionSeconds).toBe(3600);
    await mine.sync();
    expect(mine.retentionSeconds).toBe(3600);
    expect(mine.title).toBe('Night watch (1 h)');

    await admin.connect();
    await member.connect();
    const title = `retention-title-${randomUUID()}`;
    const note = `retention-note-${randomUUID()}`;
    const arrived = nextEvent(member, 'alert', (a) => a.title === title);
    const alertId = await group.sendAlert({ kind: 'raid', severity: 'critical', title, requestAck: true });
    const alert = await arrived;
    const confirmed = nextEvent(admin, 'confirm', (c) => c.alertId === alertId);
    await mine.confirm(alertId, note);
    await confirmed;

    // Dedupe rows name no sender and no send time: a keyed hash and the hour (docs/alerts.md "Dedupe").
    const db = new Database(join(memberDir, 'aviso-client.sqlite'), { readonly: true });
    try {
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
      expect(tables).not.toContain('processed_messages');
      const rows = db.prepare('SELECT * FROM processed_message_keys').all() as Array<Record<string, unknown>>;
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        expect(Object.keys(row).sort()).toEqual(['key', 'processed_hour']);
        expect(JSON.stringify(row)).not.toContain(admin.accountId);
        expect(JSON.stringify(row)).not.toContain(String(alert.sentAt));
        expect(Number(row['processed_hour']) % 3600_000).toBe(0);
      }
      const envelopes = db.prepare('SELECT processed_at FROM processed_envelopes').pluck().all() as number[];
      for (const at of envelopes) expect(at % 3600_000).toBe(0);
    } finally {
      db.close();
    }

    // Positive control: the search finds the plaintext while it is kept (member: alert and its own
    // note; admin: alert, send log and the member's note).
    expect(filesHolding(memberDir, title).length).toBeGreaterThan(0);
    expect(filesHolding(memberDir, note).length).toBeGreaterThan(0);
    expect(filesHolding(adminDir, title).length).toBeGreaterThan(0);
    expect(filesHolding(adminDir, note).length).toBeGreaterThan(0);

    // Two seconds before the deadline (the clock moves on in real time from there), reopen both.
    const deadline = alert.sentAt + 3600_000;
    await admin.close();
    await member.close();
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true, now: deadline - 2000 });
    const admin2 = await pool.open(adminDir);
    const member2 = await pool.open(memberDir);
    expect((await member2.group(mine.id)!.alerts()).map((a) => a.id)).toEqual([alertId]);
    expect(filesHolding(memberDir, title).length).toBeGreaterThan(0);
    expect(filesHolding(adminDir, note).length).toBeGreaterThan(0);

    // No read, no connection: the timer alone deletes it at the deadline.
    await until(() => filesHolding(memberDir, title).length === 0 && filesHolding(adminDir, title).length === 0, 'the purge at the deadline', 15_000);
    expect(Date.now()).toBeGreaterThanOrEqual(deadline);
    for (const dir of [adminDir, memberDir]) {
      expect(filesHolding(dir, title)).toEqual([]);
      expect(filesHolding(dir, note)).toEqual([]);
      expect(filesHolding(dir, alertId)).toEqual([]);
    }
    for (const [client, id] of [[admin2, group.id], [member2, mine.id]] as const) {
      const g = client.group(id)!;
      expect(await g.alerts()).toEqual([]);
      expect(await g.history()).toEqual([]);
      expect((await g.rollCall(alertId)).confirmed).toEqual([]);
    }
  });

  test('a retention outside 1 hour to 30 days is refused with RetentionRangeError and changes nothing', async () => {
    const admin = await pool.registered(relay, 'admin');
    await expect(admin.createGroup({ title: 'x', retentionSeconds: 60 })).rejects.toBeInstanceOf(RetentionRangeError);
    const group = await admin.createGroup({ title: 'Dispatch', retentionSeconds: 7 * 86400 });
    expect(group.retentionSeconds).toBe(7 * 86400);
    const version = group.version;
    for (const bad of [0, RETENTION_LIMITS.minSeconds - 1, RETENTION_LIMITS.maxSeconds + 1, 3600.5, Number.NaN, Infinity]) {
      const err = await group.setRetention(bad).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RetentionRangeError);
      expect(err).toBeInstanceOf(RangeError);
      expect((err as RetentionRangeError).seconds).toBe(bad);
    }
    expect(group.version).toBe(version);
    expect(group.retentionSeconds).toBe(7 * 86400);
    await group.setRetention(RETENTION_LIMITS.maxSeconds);
    expect(group.retentionSeconds).toBe(RETENTION_LIMITS.maxSeconds);
  });

  test('a removed (banned) member\'s device purges the group: no alert, note, title or member name is left in its plain store once it learns of the removal', async () => {
    const memberDir = pool.newDataDir('removed');
    const admin = await pool.registered(relay, 'admin');
    const groupTitle = `group-title-${randomUUID()}`;
    const adminName = `admin-name-${randomUUID()}`;
    const group = await admin.createGroup({ title: groupTitle, displayName: adminName });
    const code = await group.createInvite({ expiresInSeconds: 3600, maxUses: 1 });
    const member = await pool.open(memberDir);
    const mine = await member.join(code, { displayName: 'Ana' });
    await group.sync();
    await admin.connect();
    await member.connect();
    const title = `removed-title-${randomUUID()}`;
    const note = `removed-note-${randomUUID()}`;
    const arrived = nextEvent(member, 'alert', (a) => a.title === title);
    const alertId = await group.sendAlert({ kind: 'raid', severity: 'critical', title, requestAck: true });
    await arrived;
    await mine.confirm(alertId, note);
    await mine.sendText(`removed-text-${randomUUID()}`);
    for (const needle of [title, note, groupTitle, adminName]) expect(filesHolding(memberDir, needle).length).toBeGreaterThan(0);

    await group.remove(member.accountId, { ban: true });
    const learned = nextEvent(member, 'group', (e) => e.type === 'removed-from-group');
    await mine.sync().catch(() => undefined);
    await learned;
    expect(mine.status).toBe('removed');
    for (const needle of [title, note, groupTitle, adminName, alertId]) expect(filesHolding(memberDir, needle)).toEqual([]);
    expect(await mine.alerts()).toEqual([]);
    expect(await mine.history()).toEqual([]);
    expect(mine.title).toBe('');
    expect(await mine.members()).toEqual([]);
  });

  test('direct messages carry a per-conversation retention; each side keeps a message for the shorter of the two settings', async () => {
    const alice = await pool.registered(relay, 'alice');
    const bob = await pool.registered(relay, 'bob');
    expect(alice.directRetention(bob.accountId)).toBe(RETENTION_LIMITS.defaultSeconds);
    expect(() => alice.setDirectRetention(bob.accountId, 59)).toThrow(RetentionRangeError);
    alice.setDirectRetention(bob.accountId, 7200);
    expect(alice.directRetention(bob.accountId)).toBe(7200);
    await bob.connect();
    const first = nextEvent(bob, 'direct', (m) => m.text === 'one');
    const { sentAt } = await alice.sendDirect(bob.accountId, { text: 'one' });
    const m1 = await first;
    expect(m1.retentionSeconds).toBe(7200); // Alice's shorter setting wins over Bob's default
    expect(m1.deleteAt).toBeLessThanOrEqual(sentAt + 7200_000);

    bob.setDirectRetention(alice.accountId, 3600);
    const second = nextEvent(bob, 'direct', (m) => m.text === 'two');
    await alice.sendDirect(bob.accountId, { text: 'two' });
    expect((await second).retentionSeconds).toBe(3600); // now Bob's is the shorter
  });
});
