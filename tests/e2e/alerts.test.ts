import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { RelayRequestError, type AvisoClient, type Group } from '@aviso/client';
import { ROUTES } from '@aviso/protocol';
import type { ClientPool } from '../support/clients.js';
import { useRelay } from '../support/harness.js';
import type { RelayProcess } from '../support/relay.js';

let relay: RelayProcess;
let pool: ClientPool;
useRelay((r, p) => ((relay = r), (pool = p)));

interface Received {
  type: string;
  from: string;
  key: string;
}

/** Records every group event a client surfaces, so a test can check "exactly once, in order". */
function recorder(client: AvisoClient): Received[] {
  const seen: Received[] = [];
  const on = client.on.bind(client) as (event: string, fn: (payload: Record<string, unknown>) => void) => unknown;
  on('alert', (a) => seen.push({ type: 'alert', from: String(a.from), key: String(a.title) }));
  on('ack', (a) => seen.push({ type: 'ack', from: String(a.from), key: `${String(a.alertId)}:${String(a.status)}` }));
  for (const type of ['confirm', 'dispute', 'retract', 'all-clear'])
    on(type, (a) => seen.push({ type, from: String(a.from), key: String(a.alertId) }));
  on('text', (a) => seen.push({ type: 'text', from: String(a.from), key: String(a.text) }));
  return seen;
}

function queuedEnvelopes(): number {
  const db = new Database(join(relay.dataDir, 'aviso.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** An admin and `n` members who joined by invite, all connected. */
async function groupOf(n: number, title = 'Compton responders') {
  const admin = await pool.registered(relay, 'admin');
  const group = await admin.createGroup({ title, displayName: 'Rosa' });
  const code = await group.createInvite({ expiresInSeconds: 3600, maxUses: n, requireApproval: false });
  const members: Array<{ client: AvisoClient; group: Group; dir: string }> = [];
  for (let i = 0; i < n; i++) {
    const dir = pool.newDataDir(`m${i}`);
    const client = await pool.open(dir);
    members.push({ client, group: await client.join(code, { displayName: `member ${i}` }), dir });
  }
  await group.sync();
  await admin.connect();
  for (const m of members) {
    await m.group.sync();
    await m.client.connect();
  }
  return { admin, group, members };
}

describe('group alerts through a real relay', () => {
  test('with 20 members, alerts, acks, confirm, dispute, retract, all-clear and text reach everyone exactly once', async () => {
    const { admin, group, members } = await groupOf(19);
    const everyone = [{ client: admin, group }, ...members];
    const logs = everyone.map((m) => recorder(m.client));

    const alertId = await group.sendAlert({ kind: 'raid', severity: 'critical', title: 'Agents staging at the car wash', body: 'Two unmarked vans, 5th and Main', place: { text: '5th and Main', lat: 33.89612, lon: -118.22017 }, requestAck: true });
    const [a, b, c, d] = members;
    await until(() => members.every((_, i) => logs[i + 1]!.some((e) => e.type === 'alert')), 'the alert everywhere');
    const alert = (await a!.group.alerts()).find((x) => x.id === alertId);
    expect(alert).toMatchObject({ kind: 'raid', severity: 'critical', from: admin.accountId, place: { text: '5th and Main', lat: 33.9, lon: -118.22 } });

    await a!.group.acknowledge(alertId, 'on-my-way');
    await b!.group.acknowledge(alertId, 'seen');
    await c!.group.confirm(alertId);
    await d!.group.dispute(alertId, 'I am there, no vans');
    await a!.group.acknowledge(alertId, 'on-scene'); // the latest acknowledgement wins
    const second = await group.sendAlert({ kind: 'checkpoint', severity: 'urgent', title: 'Checkpoint on Alameda', place: 'Alameda and 103rd', requestAck: false });
    await group.retract(alertId, 'vans were a delivery company');
    await group.allClear(second);
    await b!.group.sendText('heading home');

    // Each member sees each message from someone else exactly once.
    const expectedFor = (me: string) =>
      [
        { type: 'alert', from: admin.accountId, key: 'Agents staging at the car wash' },
        { type: 'ack', from: a!.client.accountId, key: `${alertId}:on-my-way` },
        { type: 'ack', from: b!.client.accountId, key: `${alertId}:seen` },
        { type: 'confirm', from: c!.client.accountId, key: alertId },
        { type: 'dispute', from: d!.client.accountId, key: alertId },
        { type: 'ack', from: a!.client.accountId, key: `${alertId}:on-scene` },
        { type: 'alert', from: admin.accountId, key: 'Checkpoint on Alameda' },
        { type: 'retract', from: admin.accountId, key: alertId },
        { type: 'all-clear', from: admin.accountId, key: second },
        { type: 'text', from: b!.client.accountId, key: 'heading home' },
      ].filter((e) => e.from !== me);
    await until(() => everyone.every((m, i) => logs[i]!.length >= expectedFor(m.client.accountId).length), 'every message everywhere');
    await new Promise((r) => setTimeout(r, 300)); // room for a duplicate to show up, if one were coming
    for (const [i, m] of everyone.entries()) {
      const sorted = (xs: Received[]) => [...xs].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
      expect(sorted(logs[i]!)).toEqual(sorted(expectedFor(m.client.accountId)));
    }

    const roll = await group.rollCall(alertId);
    expect(roll.onScene).toEqual([a!.client.accountId]);
    expect(roll.onMyWay).toEqual([]);
    expect(roll.seen).toEqual([b!.client.accountId]);
    expect(roll.confirmed).toEqual([c!.client.accountId]);
    expect(roll.disputed).toEqual([d!.client.accountId]);
    const retracted = (await members[5]!.group.alerts()).find((x) => x.id === alertId);
    expect(retracted).toMatchObject({ retracted: true });
  });

  test('an offline member gets everything on reconnect, in order', async () => {
    const { group, members } = await groupOf(3);
    const away = members[0]!;
    await away.client.close();
    const titles = ['first sighting', 'second sighting', 'third sighting'];
    for (const title of titles) await group.sendAlert({ kind: 'sighting', severity: 'info', title, requestAck: false });
    await group.sendText('stay safe');

    const back = await pool.open(away.dir);
    const log = recorder(back);
    await back.connect();
    await until(() => log.length >= 4, 'the backlog');
    expect(log.map((e) => e.key)).toEqual([...titles, 'stay safe']);
  });

  test('a removed member gets nothing it can read after removal', async () => {
    const { group, members } = await groupOf(3);
    const removed = members[0]!;
    const log = recorder(removed.client);
    const rejected: unknown[] = [];
    removed.client.on('rejected', (r) => rejected.push(r));
    await group.remove(removed.client.accountId);
    await group.sendAlert({ kind: 'raid', severity: 'critical', title: 'after the removal', requestAck: false });
    // Give the relay time to deliver anything it (wrongly) would.
    await new Promise((r) => setTimeout(r, 1000));
    expect(log.filter((e) => e.key === 'after the removal')).toEqual([]);

    // A relay that copies another member's envelope into the removed member's queue gains nothing:
    const db = new Database(join(relay.dataDir, 'aviso.sqlite'));
    await members[1]!.client.close(); // keep one envelope queued to copy
    await group.sendAlert({ kind: 'raid', severity: 'critical', title: 'second after removal', requestAck: false });
    await new Promise((r) => setTimeout(r, 500));
    const row = db.prepare('SELECT * FROM messages WHERE account_id = ? ORDER BY id DESC LIMIT 1').get(members[1]!.client.accountId) as Record<string, unknown> | undefined;
    expect(row).toBeDefined();
    const columns = Object.keys(row!).filter((k) => k !== 'id');
    db.prepare(`INSERT INTO messages (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`).run(
      ...columns.map((k) => (k === 'account_id' ? removed.client.accountId : k === 'guid' ? randomUUID() : row![k])),
    );
    db.close();
    await removed.client.close();
    const again = await pool.open(removed.dir);
    const laterLog = recorder(again);
    const laterRejected: unknown[] = [];
    again.on('rejected', (r) => laterRejected.push(r));
    await again.connect();
    await until(() => laterRejected.length >= 1, 'the copied envelope to be refused');
    expect(laterLog.filter((e) => e.type === 'alert')).toEqual([]);
  });

  test('an announcement-only group drops a member alert but not an admin one', async () => {
    const { admin, group, members } = await groupOf(2);
    await group.setAnnouncementsOnly(true);
    for (const m of members) await m.group.sync();
    const watcher = recorder(members[1]!.client);
    const adminLog = recorder(admin);
    await members[0]!.group.sendAlert({ kind: 'other', severity: 'urgent', title: 'member shout', requestAck: false });
    await group.sendAlert({ kind: 'patrol', severity: 'info', title: 'admin notice', requestAck: false });
    await until(() => watcher.some((e) => e.key === 'admin notice'), 'the admin alert');
    await new Promise((r) => setTimeout(r, 500));
    expect(watcher.filter((e) => e.type === 'alert').map((e) => e.key)).toEqual(['admin notice']);
    expect(adminLog.filter((e) => e.key === 'member shout')).toEqual([]);
  });

  test('the relay refuses an endorsement for a different recipient set', async () => {
    const tokens: string[] = [];
    const swap: { token?: string } = {};
    // The admin's client runs with a fetch that records its group-send tokens and, when told, swaps in an old one.
    const fetchSpy: typeof fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.includes(ROUTES.multiRecipient) && init?.headers) {
        const headers = new Headers(init.headers);
        const token = headers.get('aviso-group-send-token');
        if (token) tokens.push(token);
        if (swap.token) headers.set('aviso-group-send-token', swap.token);
        return fetch(input, { ...init, headers });
      }
      return fetch(input, init);
    };
    const admin = await pool.open(pool.newDataDir('admin'), { fetch: fetchSpy });
    await admin.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
    const group = await admin.createGroup({ title: 'Dispatch' });
    const code = await group.createInvite({ expiresInSeconds: 3600, maxUses: 2, requireApproval: false });
    await (await pool.open(pool.newDataDir('a'))).join(code);
    await group.sync();
    await group.sendAlert({ kind: 'other', severity: 'info', title: 'one recipient', requestAck: false });
    expect(tokens).toHaveLength(1);
    await (await pool.open(pool.newDataDir('b'))).join(code);
    await group.sync();
    // One honest send to the new set first, so the new member already holds the sender key and the
    // refused send below has nothing else (no key distribution) to store.
    await group.sendAlert({ kind: 'other', severity: 'info', title: 'two recipients', requestAck: false });
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).not.toBe(tokens[0]);
    const countBefore = queuedEnvelopes();
    swap.token = tokens[0]!; // valid, but for a recipient set that no longer matches
    const err = await group.sendAlert({ kind: 'other', severity: 'info', title: 'with a stale token', requestAck: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayRequestError);
    expect((err as RelayRequestError).code).toBe('UNAUTHORIZED');
    expect(queuedEnvelopes()).toBe(countBefore); // the refused upload stored nothing
  });

  test('a seized relay holds no sender on any envelope and none of the alert text', async () => {
    const { admin, group, members } = await groupOf(3);
    await members[2]!.client.close(); // so envelopes stay queued
    const secrets = ['ICE raid at the swap meet on Slauson', 'Meet at the laundromat on Compton Ave'];
    await group.sendAlert({ kind: 'raid', severity: 'critical', title: secrets[0]!, body: secrets[1]!, requestAck: true });
    await members[0]!.group.sendText('on my way to the swap meet');
    await new Promise((r) => setTimeout(r, 500));
    await relay.stop();

    const senders = [admin.accountId, members[0]!.client.accountId];
    const db = new Database(join(relay.dataDir, 'aviso.sqlite'), { readonly: true });
    const queued = db.prepare('SELECT count(*) AS n FROM messages').get() as { n: number };
    expect(queued.n).toBeGreaterThan(0);
    for (const table of ['messages', 'shared_payloads']) {
      for (const row of db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[]) {
        for (const value of Object.values(row)) {
          const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value));
          for (const id of senders) {
            expect(bytes.includes(Buffer.from(id)), `${table} names a sender`).toBe(false);
            expect(bytes.includes(Buffer.from(id.replace(/-/g, ''), 'hex')), `${table} holds a sender's id bytes`).toBe(false);
          }
        }
      }
    }
    db.close();
    for (const file of readdirSync(relay.dataDir)) {
      const bytes = readFileSync(join(relay.dataDir, file));
      for (const s of [...secrets, 'on my way to the swap meet']) expect(bytes.includes(Buffer.from(s)), `${file} holds "${s}"`).toBe(false);
    }
  });
});
