import type Database from 'better-sqlite3';
import { describe, expect, test } from 'vitest';
import { IdentityMismatchError, SqliteStore, UntrustedIdentityError } from '@aviso/client';
import { collect } from '../support/clients.js';
import { useRelay } from '../support/harness.js';
import type { ClientPool } from '../support/clients.js';
import type { RelayProcess } from '../support/relay.js';
import { groupWith, joinWith, queuedFor, sendAsModifiedClient, until, withRelayDb } from './support.js';

/**
 * Finding 2 (issue 11): with the relay stopped, an operator moves an attacker's identity key,
 * prekeys, registration id and password hash onto members' rows. A sender must not encrypt a group
 * message to those keys (the verified log holds the members' real ones), must name the members,
 * and a 1:1 send to a contact whose key changed waits until the user accepts the new key.
 */
let relay: RelayProcess;
let pool: ClientPool;
useRelay((r, p) => ((relay = r), (pool = p)));

/** The operator's edit: `victim`'s device 1 now carries `attacker`'s keys and password. */
function substitute(db: Database.Database, attacker: string, victim: string): void {
  db.transaction(() => {
    const { identity_key } = db.prepare('SELECT identity_key FROM accounts WHERE id = ?').get(attacker) as { identity_key: Buffer };
    db.prepare('UPDATE accounts SET identity_key = ? WHERE id = ?').run(identity_key, victim);
    const d = db.prepare('SELECT registration_id, auth_salt, auth_hash FROM devices WHERE account_id = ? AND device_id = 1').get(attacker) as Record<string, unknown>;
    db.prepare('UPDATE devices SET registration_id = ?, auth_salt = ?, auth_hash = ? WHERE account_id = ? AND device_id = 1').run(d.registration_id, d.auth_salt, d.auth_hash, victim);
    for (const [table, columns] of [
      ['signed_prekeys', 'device_id, key_id, public_key, signature'],
      ['kyber_last_resort', 'device_id, key_id, public_key, signature'],
      ['ec_prekeys', 'device_id, key_id, public_key'],
      ['kyber_prekeys', 'device_id, key_id, public_key, signature'],
    ] as const) {
      db.prepare(`DELETE FROM ${table} WHERE account_id = ?`).run(victim);
      db.prepare(`INSERT INTO ${table} (account_id, ${columns}) SELECT ?, ${columns} FROM ${table} WHERE account_id = ?`).run(victim, attacker);
    }
  })();
}

describe('a relay that substitutes members\' keys', () => {
  test('the sender encrypts to none of the substituted keys, names the members, and 1:1 waits for acceptance', async () => {
    const { admin, adminDir, group, code, members } = await groupWith(relay, pool, ['bob', 'carol', 'dave']);
    const [bob, carol, dave] = members as [(typeof members)[0], (typeof members)[0], (typeof members)[0]];
    await admin.connect();
    for (const m of members) await m.client.connect();
    const first = collect(carol.client, 'alert');
    const firstDave = collect(dave.client, 'alert');
    // Earlier contact: the admin has sessions with carol and dave and they hold its sender key.
    await group.sendAlert({ kind: 'raid', severity: 'urgent', title: 'first report', requestAck: false });
    await until(() => first.length === 1 && firstDave.length === 1, 'the first alert at carol and dave');
    // No earlier contact: frank joins afterwards and goes offline, and the admin learns of the join
    // only once the relay substitutes keys (it would otherwise give frank its sender key at once,
    // under frank's real key: docs/alerts.md "Keys ahead of time").
    const frank = await joinWith(pool, code, 'frank');
    await frank.client.close();
    await carol.client.close();
    await dave.client.close();
    const victims = [carol.client.accountId, dave.client.accountId, frank.client.accountId];
    // Two 1:1 contacts of the admin who share no group with it, written to once (offline).
    const olga = await pool.registered(relay, 'olga');
    const pete = await pool.registered(relay, 'pete');
    await olga.close();
    await pete.close();
    await admin.sendDirect(olga.accountId, { text: 'hello' });
    await admin.sendDirect(pete.accountId, { text: 'hello' });
    const attacker = await pool.registered(relay, 'attacker');

    await relay.stop();
    withRelayDb(relay, (db) => {
      for (const v of [...victims, olga.accountId, pete.accountId]) substitute(db, attacker.accountId, v);
    });
    await relay.start();

    const mismatches = collect(admin, 'identity-mismatch');
    await group.sync();
    const atBob = collect(bob.client, 'alert');
    await group.sendAlert({ kind: 'raid', severity: 'critical', title: 'ICE at the swap meet', body: 'two vans on Slauson', place: { text: 'Slauson swap meet', lat: 33.989, lon: -118.309 }, requestAck: false });
    await until(() => atBob.length === 1, 'the alert at bob');

    // Nothing was encrypted to the substituted keys: the relay holds no envelope for those accounts.
    for (const v of victims) expect(queuedFor(relay, v), `an envelope for ${v}`).toBe(0);
    // Each send reports a refused member once; the background key distribution that the sync started
    // is a send of its own, so a victim may be named by both.
    const named = [...new Set((mismatches as IdentityMismatchError[]).map((e) => JSON.stringify([e.accountId, e.groupId, e.direction, e.reason])))].map((j) => JSON.parse(j) as string[]).sort();
    expect(named).toEqual(victims.map((v) => [v, group.id, 'sending', 'key-mismatch']).sort());
    expect(atBob[0]!.title).toBe('ICE at the swap meet');

    // 1:1 to a fellow group member at first contact: only the log's key is used.
    const direct = await bob.client.sendDirect(frank.client.accountId, { text: 'hi, I am Bob from the group' }).catch((e: unknown) => e);
    expect(direct).toBeInstanceOf(IdentityMismatchError);
    expect([(direct as IdentityMismatchError).accountId, (direct as IdentityMismatchError).reason]).toEqual([frank.client.accountId, 'key-mismatch']);
    expect(queuedFor(relay, frank.client.accountId)).toBe(0);

    // 1:1 with contacts who share no group: a changed key blocks sending until the user accepts it.
    const before = (id: string) => queuedFor(relay, id);
    const olgaQueued = before(olga.accountId);
    const changed = collect(admin, 'identity-changed');
    const err = await admin.sendDirect(olga.accountId, { text: 'are you ok?' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UntrustedIdentityError);
    expect((err as UntrustedIdentityError).accountId).toBe(olga.accountId);
    expect(changed.map((c) => c.accountId)).toEqual([olga.accountId]);
    expect(admin.identityBlocked(olga.accountId)).toBe(true);
    expect(before(olga.accountId)).toBe(olgaQueued);
    expect(admin.acceptIdentity(olga.accountId)).toBe(true);
    await admin.sendDirect(olga.accountId, { text: 'are you ok?' });
    expect(before(olga.accountId)).toBe(olgaQueued + 1); // the user's explicit choice

    // A fellow group member: the log's key is the only one, and nothing to accept changes that.
    const toCarol = await admin.sendDirect(carol.client.accountId, { text: 'are you ok?' }).catch((e: unknown) => e);
    expect(toCarol).toBeInstanceOf(IdentityMismatchError);
    expect(before(carol.client.accountId)).toBe(0);

    // The old trust-on-change behaviour, as an explicit option: the changed key is used at once, with the event.
    await admin.close();
    const trusting = await pool.open(adminDir, { identityChanges: 'trust' });
    const changedWhenTrusting = collect(trusting, 'identity-changed');
    const peteQueued = before(pete.accountId);
    await trusting.sendDirect(pete.accountId, { text: 'are you ok?' });
    expect(changedWhenTrusting.map((c) => c.accountId)).toEqual([pete.accountId]);
    expect(before(pete.accountId)).toBe(peteQueued + 1);
  });

  test('a group message under a substituted key, with a sender certificate the relay minted for it, is dropped', async () => {
    const { admin, group, members } = await groupWith(relay, pool, ['carol']);
    const [carol] = members as [(typeof members)[0]];
    await admin.connect();
    await carol.client.connect();
    const atCarol = collect(carol.client, 'alert');
    await group.sendAlert({ kind: 'raid', severity: 'urgent', title: 'first report', requestAck: false });
    await until(() => atCarol.length === 1, 'the alert at carol');
    await carol.client.close();
    const carolsStore = SqliteStore.open(carol.dir);
    const { version, headHash } = carolsStore.getGroup(group.id)!.state;
    carolsStore.close();

    const attackerDir = pool.newDataDir('attacker');
    const attacker = await pool.open(attackerDir);
    await attacker.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
    await attacker.close();
    await relay.stop();
    withRelayDb(relay, (db) => substitute(db, attacker.accountId, carol.client.accountId));
    await relay.start();

    // The relay now certifies the attacker's key as carol's; the attacker speaks in the group as carol.
    const mismatches = collect(admin, 'identity-mismatch');
    const rejected = collect(admin, 'rejected');
    const texts = collect(admin, 'text');
    await sendAsModifiedClient(attackerDir, admin.accountId, { v: 1, sentAt: Date.now(), body: { type: 'text', groupId: group.id, groupVersion: version, groupHeadHash: headHash, text: 'false alarm: the raid is over, go home' } }, { as: carol.client.accountId });
    await until(() => rejected.length === 1, 'the message rejected at the admin');
    expect(rejected[0]!.reason).toBe('identity-mismatch');
    expect(texts).toEqual([]);
    expect((mismatches as IdentityMismatchError[]).map((e) => [e.accountId, e.direction, e.reason])).toEqual([[carol.client.accountId, 'receiving', 'key-mismatch']]);
  });
});
