import { describe, expect, test } from 'vitest';
import { collect, type ClientPool } from '../support/clients.js';
import { useRelay } from '../support/harness.js';
import type { RelayProcess } from '../support/relay.js';
import { groupWith, until } from './support.js';

/**
 * Finding 6 (issue 11): a member removed (and banned) keeps a send endorsement that is valid for 24 to
 * 48 hours and tied to no group version, so the relay takes its upload. A member who was offline
 * during the removal processed its queue before syncing and kept the false alarm; one online that had
 * not yet synced kept it after the sync too. Neither may keep it.
 */
let relay: RelayProcess;
let pool: ClientPool;
useRelay((r, p) => ((relay = r), (pool = p)));

describe('a removed member\'s false alarm', () => {
  test('is dropped by a member offline during the removal, and after the fact by one who showed it', async () => {
    // Nobody polls, and alerts do not sync first: who learns of the removal, and when, is up to the
    // test. (Mallory stands for a client that never syncs; the SDK's own would refuse to send.)
    const { admin, group, members } = await groupWith(relay, pool, ['bob', 'carol', 'mallory'], 'Pico-Union watch', { groupSyncIntervalMs: 0, alertSyncWaitMs: 0 });
    const [bob, carol, mallory] = members as [(typeof members)[0], (typeof members)[0], (typeof members)[0]];
    await admin.connect();
    for (const m of members) await m.client.connect();
    const seenByBob = collect(bob.client, 'alert');
    const seenByCarol = collect(carol.client, 'alert');
    // An honest alert first: bob and carol hold mallory's sender key, mallory's client its endorsements.
    await mallory.group.sendAlert({ kind: 'sighting', severity: 'info', title: 'patrol car on Union', requestAck: false });
    await until(() => seenByBob.length === 1 && seenByCarol.length === 1, 'the honest alert');

    await bob.client.close(); // offline during the removal
    await group.remove(mallory.client.accountId, { ban: true });
    const removedAt = group.version;

    // Mallory's client has not synced, so it still thinks it is a member and sends with the old endorsements.
    await mallory.group.sendAlert({ kind: 'raid', severity: 'critical', title: 'RAID at the school, everyone go now', requestAck: false });
    await until(() => seenByCarol.length === 2, 'the false alarm at carol');

    // Carol showed it (she had not seen the removal); her next sync takes it out of the book.
    const dropped = collect(carol.client, 'alert-dropped');
    await carol.group.sync();
    expect((await carol.group.alerts()).map((a) => a.title)).toEqual([]);
    expect(dropped.map((d) => [d.from, d.reason, d.version])).toEqual([
      [mallory.client.accountId, 'sender-removed', removedAt],
      [mallory.client.accountId, 'sender-removed', removedAt],
    ]);

    // Bob comes back: the queued false alarm is checked against a synced group and never shown.
    const reopened = await pool.open(bob.dir, { groupSyncIntervalMs: 0 });
    const atBob = collect(reopened, 'alert');
    const rejected = collect(reopened, 'rejected');
    await reopened.connect();
    expect(atBob.map((a) => a.title)).toEqual([]);
    expect(rejected.map((r) => r.reason)).toContain('not-a-member');
    const bobsGroup = reopened.group(group.id)!;
    await bobsGroup.sync();
    expect((await bobsGroup.alerts()).map((a) => a.title)).toEqual([]);
  });
});
