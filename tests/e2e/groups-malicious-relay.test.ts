import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { GroupForkError, GroupRollbackError, GroupVerificationError, type AvisoClient } from '@aviso/client';
import type { ClientPool } from '../support/clients.js';
import type { RelayProcess } from '../support/relay.js';
import { useRelay } from '../support/harness.js';

/**
 * The relay stores groups but must not be able to change them. These tests play an operator who
 * edits the relay's database (or swaps it for an older copy) and check that members notice, keep
 * their last verified state, and never count the intruder as a member.
 */
let relay: RelayProcess;
let pool: ClientPool;
const snapshots: string[] = [];

useRelay((r, p) => ((relay = r), (pool = p)));
afterEach(() => {
  for (const dir of snapshots.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const dbPath = () => join(relay.dataDir, 'aviso.sqlite');
function withDb<T>(fn: (db: Database.Database) => T): T {
  const db = new Database(dbPath(), { fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Copies the relay's database aside (the relay is stopped, so the WAL is checkpointed). */
async function snapshot(): Promise<string> {
  await relay.stop();
  const dir = mkdtempSync(join(tmpdir(), 'aviso-snapshot-'));
  snapshots.push(dir);
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(dbPath() + suffix)) copyFileSync(dbPath() + suffix, join(dir, 'aviso.sqlite' + suffix));
  await relay.start();
  return dir;
}
async function restore(dir: string): Promise<void> {
  await relay.stop();
  for (const suffix of ['-wal', '-shm']) rmSync(dbPath() + suffix, { force: true });
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(join(dir, 'aviso.sqlite' + suffix))) copyFileSync(join(dir, 'aviso.sqlite' + suffix), dbPath() + suffix);
  await relay.start();
}

interface ChangeRow {
  group_id: string;
  version: number;
  body: string;
  received_at: number;
}
const changes = (groupId: string) =>
  withDb((db) => db.prepare('SELECT * FROM group_changes WHERE group_id = ? ORDER BY version').all(groupId) as ChangeRow[]);

/** Appends a change row as the relay would, and bumps the group's version. */
function appendRaw(groupId: string, body: unknown): void {
  withDb((db) =>
    db.transaction(() => {
      const { version } = db.prepare('SELECT version FROM groups WHERE id = ?').get(groupId) as { version: number };
      const change = { ...(body as object), version: version + 1 };
      db.prepare('INSERT INTO group_changes (group_id, version, body, received_at) VALUES (?, ?, ?, ?)').run(groupId, version + 1, JSON.stringify(change), Date.now() - (Date.now() % 60_000));
      db.prepare('UPDATE groups SET version = ? WHERE id = ?').run(version + 1, groupId);
    })(),
  );
}

async function groupOfThree() {
  const admin = await pool.registered(relay, 'admin');
  const group = await admin.createGroup({ title: 'Harbor City rapid response' });
  const joinAs = async (name: string) => {
    const client: AvisoClient = await pool.open(pool.newDataDir(name));
    const g = await client.join(await group.createInvite({ expiresInSeconds: 3600, maxUses: 1, requireApproval: false }), { displayName: name });
    return { client, group: g };
  };
  const bob = await joinAs('bob');
  const carol = await joinAs('carol');
  await group.sync();
  await bob.group.sync();
  return { admin, group, bob, carol };
}

const memberIds = async (g: { members(): Promise<Array<{ accountId: string }>> }) => (await g.members()).map((m) => m.accountId).sort();

describe('a relay that edits the group log', () => {
  test('a member the relay inserts is detected and never counted', async () => {
    const { admin, group, bob, carol } = await groupOfThree();
    const before = await memberIds(bob.group);
    const version = bob.group.version;

    // The relay cannot encrypt an account id under the group's keys, so it reuses the shape of a real
    // join: a fresh pseudonym, an invite id from the log, and a proof it had to make up.
    const joinRow = changes(group.id).find((c) => (JSON.parse(c.body) as { actions: { type: string }[] }).actions[0]?.type === 'join')!;
    const realJoin = JSON.parse(joinRow.body) as { actor: string; actions: Array<{ inviteId: string; profile: string }> };
    const intruder = randomBytes(65).toString('base64');
    withDb((db) =>
      db.prepare('INSERT INTO group_members (group_id, member, role, invite_id, profile) VALUES (?, ?, ?, ?, ?)').run(group.id, intruder, 'admin', realJoin.actions[0]!.inviteId, null),
    );
    appendRaw(group.id, { actor: intruder, actions: [{ type: 'join', inviteId: realJoin.actions[0]!.inviteId, profile: realJoin.actions[0]!.profile }], proof: randomBytes(200).toString('base64') });

    await expect(bob.group.sync()).rejects.toBeInstanceOf(GroupVerificationError);
    expect(bob.group.version).toBe(version);
    expect(await memberIds(bob.group)).toEqual(before);
    expect(before).toEqual([admin.accountId, bob.client.accountId, carol.client.accountId].sort());
  });

  test('re-adding a removed member by replaying their signed join is detected', async () => {
    const { group, bob, carol } = await groupOfThree();
    // Carol joined last, so the last join in the log is hers: genuine, and signed by her.
    const carolJoin = changes(group.id)
      .filter((c) => (JSON.parse(c.body) as { actions: { type: string }[] }).actions[0]?.type === 'join')
      .at(-1)!;
    await group.remove(carol.client.accountId);
    await bob.group.sync();
    expect(await memberIds(bob.group)).not.toContain(carol.client.accountId);

    const replay = JSON.parse(carolJoin.body) as { actor: string };
    withDb((db) => db.prepare('INSERT INTO group_members (group_id, member, role, invite_id, profile) VALUES (?, ?, ?, ?, ?)').run(group.id, replay.actor, 'member', null, null));
    appendRaw(group.id, replay); // carol's genuine, signed join, served again at a new version

    await expect(bob.group.sync()).rejects.toBeInstanceOf(GroupVerificationError);
    expect(await memberIds(bob.group)).not.toContain(carol.client.accountId);
  });

  test('rolling the group back to an older version is detected', async () => {
    const { group, bob } = await groupOfThree();
    await group.setTitle('Harbor City (updated)');
    await bob.group.sync();
    const version = bob.group.version;
    withDb((db) =>
      db.transaction(() => {
        db.prepare('DELETE FROM group_changes WHERE group_id = ? AND version = ?').run(group.id, version);
        db.prepare('UPDATE groups SET version = ? WHERE id = ?').run(version - 1, group.id);
      })(),
    );
    await expect(bob.group.sync()).rejects.toBeInstanceOf(GroupRollbackError);
    expect(bob.group.title).toBe('Harbor City (updated)');
    expect(bob.group.version).toBe(version);
  });

  test('two members served two different histories each detect the fork', async () => {
    const { admin, group, bob } = await groupOfThree();
    await group.setRole(bob.client.accountId, 'admin');
    await bob.group.sync();
    const fork = await snapshot(); // both admins are at the same version here

    await group.setTitle('History A'); // the admin's client has seen A
    const historyA = await snapshot();

    await restore(fork); // the relay forgets A and lets bob, who never saw A, write B at the same version
    await bob.group.setTitle('History B');

    await expect(group.sync()).rejects.toBeInstanceOf(GroupForkError);
    expect(group.title).toBe('History A');

    await restore(historyA); // and shows bob history A
    await expect(bob.group.sync()).rejects.toBeInstanceOf(GroupForkError);
    expect(bob.group.title).toBe('History B');
    expect(admin.accountId).not.toBe(bob.client.accountId);
  });
});
