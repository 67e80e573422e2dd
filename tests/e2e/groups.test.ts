import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { AvisoClient } from '@aviso/client';
import { type ClientPool, collect } from '../support/clients.js';
import type { RelayProcess } from '../support/relay.js';
import { useRelay } from '../support/harness.js';

let relay: RelayProcess;
let pool: ClientPool;

useRelay((r, p) => ((relay = r), (pool = p)));

/** A new member who has never registered: everything it needs comes from the invite code. */
async function newcomer(name: string): Promise<AvisoClient> {
  return pool.open(pool.newDataDir(name));
}

const summary = (members: Array<{ accountId: string; role: string; displayName?: string | undefined; invitedBy?: string | undefined }>) =>
  members.map((m) => ({ accountId: m.accountId, role: m.role, displayName: m.displayName, invitedBy: m.invitedBy })).sort((a, b) => a.accountId.localeCompare(b.accountId));

describe('private groups through a real relay', () => {
  test('an admin creates a group, two members join by invite (one with approval), one is removed', async () => {
    const admin = await pool.registered(relay, 'admin');
    const group = await admin.createGroup({ title: 'Compton responders', displayName: 'Rosa (dispatch)' });
    expect(group.title).toBe('Compton responders');

    // Bob joins directly with an invite code that also carries a registration token.
    const direct = await group.createInvite({ expiresInSeconds: 3600, maxUses: 1, requireApproval: false });
    expect(direct).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/join#/);
    const bob = await newcomer('bob');
    const bobGroup = await bob.join(direct, { displayName: 'Bob' });
    expect(bobGroup.id).toBe(group.id);
    expect(bobGroup.title).toBe('Compton responders');
    expect(bobGroup.status).toBe('member');

    // Carol needs an admin's approval.
    const gated = await group.createInvite({ expiresInSeconds: 3600, maxUses: 1, requireApproval: true });
    const carol = await newcomer('carol');
    const carolGroup = await carol.join(gated, { displayName: 'Carol' });
    expect(carolGroup.status).toBe('pending');
    await group.sync();
    expect((await group.pendingMembers()).map((p) => p.accountId)).toEqual([carol.accountId]);
    await group.approve(carol.accountId);
    await carolGroup.sync();
    expect(carolGroup.status).toBe('member');

    const expected = [
      { accountId: admin.accountId, role: 'admin', displayName: 'Rosa (dispatch)', invitedBy: undefined },
      { accountId: bob.accountId, role: 'member', displayName: 'Bob', invitedBy: admin.accountId },
      { accountId: carol.accountId, role: 'member', displayName: 'Carol', invitedBy: admin.accountId },
    ].sort((a, b) => a.accountId.localeCompare(b.accountId));
    // Every member sees the same verified membership.
    expect(summary(await group.members())).toEqual(expected);
    expect(summary(await bobGroup.members())).toEqual(expected);
    expect(summary(await carolGroup.members())).toEqual(expected);

    // Bob is removed: he can no longer fetch the group or see what changes next.
    const bobEvents = collect(bob, 'group');
    await group.remove(bob.accountId);
    await bobGroup.sync().catch(() => undefined);
    expect(bobGroup.status).toBe('removed');
    expect(bobEvents.some((e) => e.type === 'removed-from-group')).toBe(true);
    await group.setTitle('Compton responders (night shift)');
    await carolGroup.sync();
    expect(carolGroup.title).toBe('Compton responders (night shift)');
    await bobGroup.sync().catch(() => undefined);
    expect(bobGroup.title).not.toBe('Compton responders (night shift)');
    expect((await carolGroup.members()).map((m) => m.accountId).sort()).toEqual([admin.accountId, carol.accountId].sort());
  });

  test('expiry, maximum uses and revocation are enforced and a refused join changes nothing', async () => {
    const admin = await pool.registered(relay, 'admin');
    const group = await admin.createGroup({ title: 'Legal observers' });

    const once = await group.createInvite({ expiresInSeconds: 3600, maxUses: 1, requireApproval: false });
    await (await newcomer('first')).join(once);
    await expect((await newcomer('second')).join(once)).rejects.toMatchObject({ code: 'INVITE_INVALID' });

    const revoked = await group.createInvite({ expiresInSeconds: 3600, maxUses: 5, requireApproval: false });
    const [invite] = (await group.invites()).filter((i) => !i.revoked && i.uses === 0);
    await group.revokeInvite(invite!.inviteId);
    await expect((await newcomer('third')).join(revoked)).rejects.toMatchObject({ code: 'INVITE_INVALID' });

    const brief = await group.createInvite({ expiresInSeconds: 1, maxUses: 5, requireApproval: false });
    // Expiries are rounded up to the minute (an exact one would date the invite's creation), so
    // "1 second" lasts until the next full minute: wait for the expiry the group recorded.
    const briefExpiry = Math.max(...(await group.invites()).filter((i) => !i.revoked && i.uses === 0).map((i) => i.expiresAt));
    expect(briefExpiry % 60_000).toBe(0);
    await new Promise((r) => setTimeout(r, Math.max(0, briefExpiry - Date.now()) + 1000));
    await expect((await newcomer('fourth')).join(brief)).rejects.toMatchObject({ code: 'INVITE_INVALID' });

    await group.sync();
    expect((await group.members()).length).toBe(2);
  }, 150_000); // waits for the brief invite's minute to pass
});

describe('a seized relay', () => {
  test('holds no title, no display name and no account id next to a group id', async () => {
    const admin = await pool.registered(relay, 'admin');
    const group = await admin.createGroup({ title: 'Dispatchers of Boyle Heights', displayName: 'Marisol Quintero' });
    const bob = await newcomer('bob');
    await bob.join(await group.createInvite({ expiresInSeconds: 3600, maxUses: 1, requireApproval: false }), { displayName: 'Roberto Alcaraz' });
    await group.sync();
    expect(await relay.stop()).toBe(0);

    for (const file of readdirSync(relay.dataDir)) {
      const bytes = readFileSync(join(relay.dataDir, file));
      for (const secret of ['Dispatchers of Boyle Heights', 'Marisol Quintero', 'Roberto Alcaraz']) {
        expect(bytes.includes(Buffer.from(secret)), `${file} holds "${secret}"`).toBe(false);
      }
    }

    const db = new Database(join(relay.dataDir, 'aviso.sqlite'), { readonly: true });
    try {
      const ids = [admin.accountId, bob.accountId];
      const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'group%'").all() as { name: string }[]).map((t) => t.name);
      expect(tables.length).toBeGreaterThan(0);
      for (const table of tables) {
        for (const row of db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[]) {
          for (const value of Object.values(row)) {
            const bytes = Buffer.isBuffer(value) ? value : Buffer.from(String(value));
            for (const id of ids) {
              expect(bytes.includes(Buffer.from(id)), `${table} holds an account id`).toBe(false);
              expect(bytes.includes(Buffer.from(id.replace(/-/g, ''), 'hex')), `${table} holds account id bytes`).toBe(false);
            }
          }
        }
      }
    } finally {
      db.close();
    }
  });
});
