import { createHash } from 'node:crypto';
import { canonicalJson, checkpointState, emptySnapshot, SnapshotBuilder } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { blob, groupUser, newInvite, TestGroup } from './group-helpers.js';
import { testRelay } from './helpers.js';

/** Every form an account id could take in a column: the string (any case, with or without dashes) and its 16 raw bytes. */
function accountIdForms(accountId: string): Buffer[] {
  const raw = Buffer.from(accountId.replace(/-/g, ''), 'hex');
  const hex = accountId.replace(/-/g, '');
  return [accountId, accountId.toUpperCase(), hex, hex.toUpperCase(), raw.toString('base64').replace(/=+$/, ''), raw.toString('base64url')]
    .map((s) => Buffer.from(s, 'utf8'))
    .concat([raw]);
}

describe('what a seized relay holds about groups', () => {
  test('after a group session, no group table holds any account id, in any form', async () => {
    const relay = await testRelay();
    const [alice, bob, carol, dave] = [await groupUser(relay), await groupUser(relay), await groupUser(relay), await groupUser(relay)];
    const group = new TestGroup(relay);
    expect((await group.create(alice, { membersCanInvite: true })).statusCode).toBe(200);
    const direct = newInvite({ role: 'admin' });
    const approval = newInvite({ requireApproval: true });
    expect((await group.append(alice, [direct.action, approval.action])).statusCode).toBe(200);
    expect((await group.changes(undefined, 0, { password: direct.password })).statusCode).toBe(401); // the password reads the join info only
    expect((await group.joinInfo(direct.inviteId, direct.password, bob)).statusCode).toBe(200);
    expect((await group.append(bob, [{ type: 'join', inviteId: direct.inviteId, profile: blob() }], { password: direct.password })).statusCode).toBe(200);
    expect((await group.append(carol, [{ type: 'requestJoin', inviteId: approval.inviteId, profile: blob() }], { password: approval.password })).statusCode).toBe(200);
    expect((await group.append(dave, [{ type: 'requestJoin', inviteId: approval.inviteId, profile: blob() }], { password: approval.password })).statusCode).toBe(200);
    expect(
      (await group.append(bob, [
        { type: 'approve', member: group.ct(carol) },
        { type: 'deny', member: group.ct(dave), ban: true },
        { type: 'setAttributes', attributes: blob(200) },
      ])).statusCode,
    ).toBe(200);
    expect((await group.append(alice, [{ type: 'remove', member: group.ct(carol), ban: false }])).statusCode).toBe(200);
    // A checkpoint, so its stored snapshot is scanned too.
    const snapshot = new SnapshotBuilder(emptySnapshot(group.id));
    for (const c of group.log) snapshot.apply(c, createHash('sha256').update(canonicalJson(c)).digest('base64'));
    const stateHash = createHash('sha256').update(checkpointState(snapshot.snapshot)).digest('base64');
    expect((await group.append(alice, [{ type: 'checkpoint', stateHash }])).statusCode).toBe(200);
    expect((await group.changes(bob, 0)).statusCode).toBe(200);
    expect((await group.changes(carol, 0)).statusCode).toBe(403);

    const sqlite = relay.ctx.storage.db.$client;
    const tables = (sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'group%'").all() as { name: string }[]).map((t) => t.name);
    expect(tables.sort()).toEqual(['group_banned', 'group_changes', 'group_checkpoints', 'group_invites', 'group_members', 'group_pending', 'groups']);
    const forms = [alice, bob, carol, dave].flatMap((u) => accountIdForms(u.accountId));
    let cells = 0;
    for (const table of tables) {
      const columns = (sqlite.prepare(`SELECT name FROM pragma_table_info('${table}')`).all() as { name: string }[]).map((c) => c.name);
      expect(columns.some((c) => /account/i.test(c)), `${table} has an account column`).toBe(false);
      for (const row of sqlite.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[]) {
        for (const column of columns) {
          const value = row[column];
          const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
          cells++;
          for (const form of forms) expect(bytes.includes(form), `${table}.${column}`).toBe(false);
        }
      }
    }
    expect(cells).toBeGreaterThan(50);
  });

  test('debug logs of group requests carry route patterns only: no group id, pseudonym, presentation or password', async () => {
    const relay = await testRelay();
    const [alice, bob] = [await groupUser(relay), await groupUser(relay)];
    const group = new TestGroup(relay);
    expect((await group.create(alice)).statusCode).toBe(200);
    const invite = newInvite();
    expect((await group.append(alice, [invite.action])).statusCode).toBe(200);
    await group.joinInfo(invite.inviteId, invite.password, bob);
    await group.joinInfo(invite.inviteId, blob(32), bob);
    await group.changes(bob, 0, { password: invite.password });
    await group.append(bob, [{ type: 'join', inviteId: invite.inviteId, profile: blob() }], { password: blob(32) });
    await group.append(bob, [{ type: 'join', inviteId: invite.inviteId, profile: blob() }], { password: invite.password });
    await group.changes(undefined, 0, { password: 'bm90IGEgcmVhbCBwYXNzd29yZCBhdCBhbGwgcmVhbGx5' });

    const text = relay.logs.text;
    expect(text).toContain('/v1/groups/:groupId/changes');
    for (const secret of [group.id, group.ct(alice), group.ct(bob), invite.password, invite.inviteId, invite.action.passwordHash, group.publicParams]) {
      expect(text).not.toContain(secret);
    }
    // No long base64 or hex run at all (presentations, ciphertexts, hashes).
    expect(text).not.toMatch(/[A-Za-z0-9+/]{40,}/);
    expect(text).not.toMatch(/[0-9a-f]{32,}/);
  });
});
