import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { MemoryStore, type Alert, type AvisoClient, type AvisoClientOptions, type Group } from '@aviso/client';
import { ALERT_LIMITS, LIMITS } from '@aviso/protocol';
import type { ClientPool } from '../support/clients.js';
import { useRelay } from '../support/harness.js';
import type { RelayProcess } from '../support/relay.js';

/**
 * Issue 11, findings 9 and 10, against a real relay process:
 * - a member's queue that holds the retraction or all-clear before the alert it names (here: a
 *   relay operator reversing the queue of an offline member) must still end that alert;
 * - a member whose clock says 2100 must not get an alert that never expires and sorts first.
 */
let relay: RelayProcess;
let pool: ClientPool;
useRelay((r, p) => ((relay = r), (pool = p)));

afterEach(() => {
  vi.restoreAllMocks();
});

const YEAR_2100 = Date.UTC(2100, 0, 1);
const MAX_LIFETIME_MS = ALERT_LIMITS.maxExpiresInSeconds * 1000;

interface Member {
  client: AvisoClient;
  group: Group;
  dir: string;
}

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** An admin and members who joined by invite, all connected, each having sent (and everyone having received) one text. */
async function groupOf(names: string[], options: Record<string, Omit<AvisoClientOptions, 'dataDir'>> = {}): Promise<{ admin: Member; members: Member[] }> {
  const adminDir = pool.newDataDir('admin');
  const adminClient = await pool.open(adminDir);
  await adminClient.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
  const adminGroup = await adminClient.createGroup({ title: 'Boyle Heights rapid response', displayName: 'Rosa' });
  const code = await adminGroup.createInvite({ expiresInSeconds: 3600, maxUses: names.length, requireApproval: false });
  const members: Member[] = [];
  for (const name of names) {
    const dir = pool.newDataDir(name);
    const client = await pool.open(dir, options[name] ?? {});
    members.push({ client, group: await client.join(code, { displayName: name }), dir });
  }
  const everyone = [{ client: adminClient, group: adminGroup, dir: adminDir }, ...members];
  for (const m of everyone) {
    await m.group.sync();
    await m.client.connect();
  }
  // Everyone's sender key reaches everyone now, so the queues below hold only group messages.
  const texts = everyone.map(() => [] as string[]);
  everyone.forEach((m, i) => m.client.on('text', (t) => texts[i]!.push(t.text)));
  for (const [i, m] of everyone.entries()) await m.group.sendText(`hello from ${i}`);
  await until(() => texts.every((t) => t.length === everyone.length - 1), 'every warm-up text everywhere');
  return { admin: everyone[0]!, members };
}

function relayDb(): Database.Database {
  return new Database(join(relay.dataDir, 'aviso.sqlite'), { fileMustExist: true });
}

interface QueueRow {
  id: number;
  guid: string;
  received_at: number;
  expires_at: number;
  content: Buffer;
  shared_id: number | null;
}

function queueOf(accountId: string): QueueRow[] {
  const db = relayDb();
  try {
    return db.prepare('SELECT id, guid, received_at, expires_at, content, shared_id FROM messages WHERE account_id = ? ORDER BY id').all(accountId) as QueueRow[];
  } finally {
    db.close();
  }
}

/** What a relay operator can do to a queue it stores: hand it over in reverse order. */
function reverseQueueOf(accountId: string): void {
  const rows = queueOf(accountId);
  const db = relayDb();
  try {
    const put = db.prepare('UPDATE messages SET guid = ?, received_at = ?, expires_at = ?, content = ?, shared_id = ? WHERE id = ?');
    db.transaction(() => {
      rows.forEach((row, i) => {
        const from = rows[rows.length - 1 - i]!;
        put.run(from.guid, from.received_at, from.expires_at, from.content, from.shared_id, row.id);
      });
    })();
  } finally {
    db.close();
  }
}

describe('a retraction or all-clear that reaches a member before its alert (finding 9)', () => {
  test('an offline member whose queue the relay hands over in reverse still sees the all-clear and the retraction; a member who may not retract still cannot', async () => {
    const { admin, members } = await groupOf(['reporter', 'bystander', 'away']);
    const [reporter, bystander, away] = members as [Member, Member, Member];
    await away.client.close();

    const cleared = await reporter.group.sendAlert({ kind: 'checkpoint', severity: 'urgent', title: 'Checkpoint on Soto and 1st', requestAck: false });
    await admin.group.allClear(cleared);
    const retracted = await reporter.group.sendAlert({ kind: 'raid', severity: 'critical', title: 'Vans at the swap meet', requestAck: false });
    await reporter.group.retract(retracted, 'it was a delivery company');
    const standing = await reporter.group.sendAlert({ kind: 'sighting', severity: 'info', title: 'Agents near the clinic', requestAck: false });
    await bystander.group.retract(standing, 'nothing here, go home'); // not the sender, not an admin

    // Six envelopes wait for the away member: alert, all-clear, alert, retract, alert, retract.
    expect(queueOf(away.client.accountId)).toHaveLength(6);
    await relay.stop();
    reverseQueueOf(away.client.accountId);
    await relay.start();

    const back = await pool.open(away.dir);
    const events: Array<{ type: string; alertId: string; from: string; flags?: Pick<Alert, 'allClear' | 'retracted' | 'reason'> }> = [];
    back.on('alert', (a) => events.push({ type: 'alert', alertId: a.id, from: a.from, flags: { allClear: a.allClear, retracted: a.retracted, reason: a.reason } }));
    back.on('all-clear', (c) => events.push({ type: 'all-clear', alertId: c.alertId, from: c.from }));
    back.on('retract', (r) => events.push({ type: 'retract', alertId: r.alertId, from: r.from }));
    const rejected: string[] = [];
    back.on('rejected', (r) => rejected.push(r.reason));
    await back.connect();
    await until(() => events.filter((e) => e.type === 'alert').length === 3, 'the three alerts');
    // The whole reversed queue was taken and acknowledged. The SDK acknowledges a run of envelopes
    // after its one store sync, just before it surfaces them; the relay deletes what was acknowledged
    // in its next batch, so the rows go a moment after the events.
    await expect.poll(() => queueOf(away.client.accountId), { timeout: 10_000 }).toEqual([]);
    expect(rejected).toEqual([]);

    const group = (await back.groups()).find((g) => g.id === admin.group.id)!;
    const book = new Map((await group.alerts()).map((a) => [a.id, a]));
    expect(book.get(cleared)).toMatchObject({ allClear: true, retracted: false });
    expect(book.get(retracted)).toMatchObject({ retracted: true, reason: 'it was a delivery company', allClear: false });
    expect(book.get(standing)).toMatchObject({ retracted: false, allClear: false });

    // Each alert surfaced once, already marked, followed by the ending that applied to it; the
    // bystander's retraction never surfaced.
    const sorted = [...events].sort((a, b) => `${a.alertId}${a.type}`.localeCompare(`${b.alertId}${b.type}`));
    const expected = [
      { type: 'alert', alertId: cleared, from: reporter.client.accountId, flags: { allClear: true, retracted: false, reason: undefined } },
      { type: 'all-clear', alertId: cleared, from: admin.client.accountId },
      { type: 'alert', alertId: retracted, from: reporter.client.accountId, flags: { allClear: false, retracted: true, reason: 'it was a delivery company' } },
      { type: 'retract', alertId: retracted, from: reporter.client.accountId },
      { type: 'alert', alertId: standing, from: reporter.client.accountId, flags: { allClear: false, retracted: false, reason: undefined } },
    ].sort((a, b) => `${a.alertId}${a.type}`.localeCompare(`${b.alertId}${b.type}`));
    expect(sorted).toEqual(expected);
    // The ending follows its alert in what the member was shown.
    for (const id of [cleared, retracted]) {
      const at = (type: string) => events.findIndex((e) => e.alertId === id && e.type === type);
      expect(at('alert')).toBeLessThan(Math.max(at('all-clear'), at('retract')));
    }
  });
});

/**
 * A relay operator holds one queued envelope back: takes it out of the queue as a self-contained
 * envelope (a group envelope is the row's prefix followed by its shared payload) to put back later.
 */
function withhold(row: QueueRow): { accountId: string; deviceId: number; row: QueueRow } {
  const db = relayDb();
  try {
    const meta = db.prepare('SELECT account_id AS accountId, device_id AS deviceId FROM messages WHERE id = ?').get(row.id) as { accountId: string; deviceId: number };
    const shared = row.shared_id === null ? Buffer.alloc(0) : (db.prepare('SELECT content FROM shared_payloads WHERE id = ?').pluck().get(row.shared_id) as Buffer);
    db.prepare('DELETE FROM messages WHERE id = ?').run(row.id);
    return { ...meta, row: { ...row, content: Buffer.concat([row.content, shared]), shared_id: null } };
  } finally {
    db.close();
  }
}

function release(held: { accountId: string; deviceId: number; row: QueueRow }): void {
  const db = relayDb();
  try {
    const r = held.row;
    db.prepare('INSERT INTO messages (guid, account_id, device_id, received_at, expires_at, content, shared_id) VALUES (?, ?, ?, ?, ?, ?, NULL)').run(r.guid, held.accountId, held.deviceId, r.received_at, r.expires_at, r.content);
  } finally {
    db.close();
  }
}

describe('a retraction kept across a restart (finding 9)', () => {
  test('a retraction that arrived alone is still applied when the relay delivers the alert after the member restarted', async () => {
    const { admin, members } = await groupOf(['reporter', 'away']);
    const [reporter, away] = members as [Member, Member];
    await away.client.close();
    const alertId = await reporter.group.sendAlert({ kind: 'patrol', severity: 'urgent', title: 'Patrol car circling the school', requestAck: false });
    await reporter.group.retract(alertId, 'it was the school police');
    await relay.stop();
    const [alertRow, retractRow] = queueOf(away.client.accountId);
    expect(retractRow).toBeDefined();
    const held = withhold(alertRow!);
    await relay.start();

    // First session: only the retraction arrives. Nothing to show.
    let client = await pool.open(away.dir);
    const early: string[] = [];
    for (const type of ['alert', 'retract', 'rejected'] as const) client.on(type, () => early.push(type));
    await client.connect();
    await until(() => queueOf(away.client.accountId).length === 0, 'the retraction to be taken');
    await client.close();
    expect(early).toEqual([]);

    // The relay delivers the alert at last; the member's client was closed and reopened in between.
    await relay.stop();
    release(held);
    await relay.start();
    client = await pool.open(away.dir);
    const seen: Alert[] = [];
    const retractions: string[] = [];
    client.on('alert', (a) => seen.push(a));
    client.on('retract', (r) => retractions.push(r.alertId));
    await client.connect();
    await until(() => seen.length === 1 && retractions.length === 1, 'the alert and its retraction');
    expect(seen[0]).toMatchObject({ id: alertId, retracted: true, reason: 'it was the school police' });
    expect(retractions).toEqual([alertId]);
    const group = (await client.groups()).find((g) => g.id === admin.group.id)!;
    expect((await group.alerts()).map((a) => [a.id, a.retracted])).toEqual([[alertId, true]]);
  });
});

describe("a hostile member's clock (finding 10)", () => {
  test('an alert from a member whose clock says 2100 expires by the relay time plus the longest lifetime and does not sort before honest alerts', async () => {
    const hostileStore = new MemoryStore();
    const { admin, members } = await groupOf(['hostile', 'receiver'], { hostile: { store: hostileStore } });
    const [hostile, receiver] = members as [Member, Member];
    await receiver.client.close();

    // The hostile member's client writes 2100 into what it sends. (An SDK whose whole clock says
    // 2100 cannot even fetch group credentials, so an attacker patches the message times in: here
    // the SDK's two reads of the clock for a message, the alert's times and the message's sentAt (SentClock.next),
    // answer 2100.) It keeps using its real sender certificate.
    const cert = JSON.parse(hostileStore.getMeta('senderCertificate')!) as { certificate: string; expiresAt: number };
    hostileStore.commit({ meta: { senderCertificate: JSON.stringify({ ...cert, expiresAt: YEAR_2100 + 86_400_000 }) } });
    const realNow = Date.now.bind(Date);
    const offset = YEAR_2100 - realNow();
    vi.spyOn(Date, 'now').mockImplementation(() => {
      // The first frame outside the spy and this file is the SDK code that asked for the time.
      const caller = new Error().stack?.split('\n').slice(1).find((l) => !l.includes('node_modules') && !l.includes('alerts-order.test')) ?? '';
      return /SentClock\.next |\.sendAlert /.test(caller) ? realNow() + offset : realNow();
    });
    const forged = await hostile.group.sendAlert({ kind: 'raid', severity: 'critical', title: 'RAID AT THE SCHOOL, everyone go now', requestAck: false });
    vi.restoreAllMocks();
    // It really went out with 2100 in it: the hostile member's own book shows its own times.
    const own = (await hostile.group.alerts()).find((a) => a.id === forged)!;
    expect(own.sentAt).toBeGreaterThanOrEqual(YEAR_2100);
    expect(own.observedAt).toBeGreaterThanOrEqual(YEAR_2100);

    const [queued] = queueOf(receiver.client.accountId);
    expect(queued).toBeDefined();
    const relayTime = queued!.received_at; // the relay's timestamp of the forged envelope
    const honest = await admin.group.sendAlert({ kind: 'checkpoint', severity: 'critical', title: 'Checkpoint on Cesar Chavez', requestAck: false });

    const back = await pool.open(receiver.dir);
    const seen: Alert[] = [];
    back.on('alert', (a) => seen.push(a));
    await back.connect();
    await until(() => seen.length === 2, 'both alerts');
    const group = (await back.groups()).find((g) => g.id === admin.group.id)!;
    const book = await group.alerts();
    const bad = book.find((a) => a.id === forged)!;
    const good = book.find((a) => a.id === honest)!;

    expect(bad.sentAt).toBe(relayTime);
    expect(bad.observedAt).toBe(relayTime);
    expect(bad.expiresAt).toBe(relayTime + MAX_LIFETIME_MS);
    expect(bad.expiresAt).toBeLessThan(YEAR_2100);
    expect(good.sentAt).toBeGreaterThan(bad.sentAt);
    expect(good.sentAt - relayTime).toBeLessThan(LIMITS.maxClockSkewMs); // the honest one keeps its own clock
    // Newest first (how the CLI and its live board order alerts of one severity): the honest one leads.
    expect([...book].sort((a, b) => b.sentAt - a.sentAt).map((a) => a.id)).toEqual([honest, forged]);
    // The SDK's own order (oldest observation first) has the forged one where its relay time puts it.
    expect(book.map((a) => a.id)).toEqual([forged, honest]);
  });
});
