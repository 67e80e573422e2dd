import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { RESEND_REQUEST } from '@aviso/protocol';
import { collect, type ClientPool } from '../support/clients.js';
import { useRelay } from '../support/harness.js';
import type { RelayProcess } from '../support/relay.js';
import { groupWith, joinWith, queuedFor, sendAsModifiedClient, until } from './support.js';

/**
 * Finding 3 (issue 11): members answer resend requests from their 24-hour send log. A newcomer with a
 * leaked invite, once one ordinary message gave it the sender's distribution id, asked for an earlier
 * time and got an earlier alert (with its body) and an earlier text. A resend must go only to a
 * device the message was encrypted to when it was sent.
 */
let relay: RelayProcess;
let pool: ClientPool;
useRelay((r, p) => ((relay = r), (pool = p)));

function sendLog(dir: string): Array<{ sent_at: number; resends: number; distribution_id: string }> {
  const db = new Database(join(dir, 'aviso-client.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT sent_at, resends, distribution_id FROM send_log ORDER BY sent_at').all() as Array<{ sent_at: number; resends: number; distribution_id: string }>;
  } finally {
    db.close();
  }
}

describe('a newcomer asking for history', () => {
  test('a resend request for a message sent before it joined gets nothing from before', async () => {
    const { admin, adminDir, group, code, members } = await groupWith(relay, pool, ['bob']);
    const [bob] = members;
    await admin.connect();
    await bob!.client.connect();
    const atBob = collect(bob!.client, 'alert');
    await group.sendAlert({ kind: 'raid', severity: 'critical', title: 'before you joined', body: 'the safe house is 1412 Elm', requestAck: false });
    await group.sendText('meet at the church basement');
    await until(() => atBob.length === 1, 'the early alert at bob');

    // The leaked invite: a newcomer joins and one ordinary message gives it the admin's sender key.
    const newcomer = await joinWith(pool, code, 'newcomer');
    await group.sync();
    await newcomer.client.connect();
    const ordinary = collect(newcomer.client, 'text');
    await group.sendText('welcome');
    await until(() => ordinary.length === 1, 'the ordinary message at the newcomer');
    await newcomer.client.close();

    const log = sendLog(adminDir);
    expect(log).toHaveLength(3);
    const earliest = log[0]!;
    const ordinarySentAt = log[2]!.sent_at;
    expect(new Set(log.map((e) => e.distribution_id)).size).toBe(1); // the join did not reset the key

    // Its modified client asks for the window of the earlier messages (which includes the ordinary one).
    await sendAsModifiedClient(newcomer.dir, admin.accountId, {
      v: 1,
      sentAt: Date.now(),
      body: { type: RESEND_REQUEST, groupId: group.id, distributionId: earliest.distribution_id, sentAt: earliest.sent_at },
    });
    // The admin serves the request: the SKDM again, then (last) the ordinary message, which the
    // newcomer did receive when it was sent.
    await until(() => sendLog(adminDir).find((e) => e.sent_at === ordinarySentAt)?.resends === 1, 'the ordinary message resent');
    await until(() => queuedFor(relay, newcomer.client.accountId) >= 2, 'the resends queued');

    const reopened = await pool.open(newcomer.dir);
    const alerts = collect(reopened, 'alert');
    const texts = collect(reopened, 'text');
    await reopened.connect();
    expect(alerts.map((a) => a.title)).toEqual([]);
    expect(texts.map((t) => t.text)).toEqual([]); // the ordinary one is a duplicate, not shown again
    expect(sendLog(adminDir).filter((e) => e.sent_at !== ordinarySentAt).map((e) => e.resends)).toEqual([0, 0]);
  });
});
