import { randomBytes, randomUUID } from 'node:crypto';
import { IdentityKeyPair } from '@signalapp/libsignal-client';
import { describe, expect, test } from 'vitest';
import { canonicalJson, checkpointState, GroupChange, parseSnapshot, type GroupAction } from '@aviso/protocol';
import { INVITE_CHECKPOINT_GAP, parseInviteCode, RelayMisbehaviourError, SqliteStore, type AvisoClient, type Group } from '@aviso/client';
import { buildChange, changeHash, emptyGroupState } from '../../packages/client/src/crypto/group-chain.js';
import { GroupKeys } from '../../packages/client/src/crypto/group-keys.js';
import { collect, type ClientPool } from '../support/clients.js';
import { useRelay } from '../support/harness.js';
import type { RelayProcess } from '../support/relay.js';
import { joinWith, until, withRelayDb, type Member } from './support.js';

/**
 * Checkpoints (docs/groups.md "Checkpoints") against a hostile relay: the operator edits the
 * relay's SQLite (snapshots, the log) and signs with a seized admin's keys; a newcomer with a
 * head-carrying invite and a member who syncs must each catch it.
 */
let relay: RelayProcess;
let pool: ClientPool;
useRelay((r, p) => ((relay = r), (pool = p)));

// Small, so a handful of changes makes checkpoints; the admin's client writes them as it would every 1,000.
const EVERY = 4;

interface Setup {
  admin: AvisoClient;
  adminDir: string;
  group: Group;
  bob: Member;
  eve: Member;
  keys: GroupKeys;
}

async function setup(): Promise<Setup> {
  const adminDir = pool.newDataDir('admin');
  const admin = await pool.open(adminDir, { checkpointEvery: EVERY });
  await admin.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
  const group = await admin.createGroup({ title: 'Harbor City rapid response', displayName: 'Rosa' });
  const code = await group.createInvite({ expiresInSeconds: 3600, maxUses: 4 });
  const bob = await joinWith(pool, code, 'bob');
  const eve = await joinWith(pool, code, 'eve');
  for (let i = 0; i < EVERY; i++) await group.setTitle(`Harbor City ${i}`);
  await group.sync(); // runs after the background checkpoint the last change queued
  return { admin, adminDir, group, bob, eve, keys: new GroupKeys(parseInviteCode(code).masterKey) };
}

const checkpoints = (groupId: string) =>
  withRelayDb(relay, (db) => db.prepare('SELECT version, snapshot FROM group_checkpoints WHERE group_id = ? ORDER BY version').all(groupId) as { version: number; snapshot: string }[]);

/** A newcomer whose requests are recorded (path and query), joining with `code`. */
async function newcomer(code: string, name: string): Promise<{ join: Promise<Group>; requests: string[]; client: AvisoClient }> {
  const requests: string[] = [];
  const fetchLike = (input: string, init: RequestInit) => {
    const u = new URL(input);
    requests.push(`${init.method ?? 'GET'} ${u.pathname}${u.search}`);
    return fetch(input, init);
  };
  const client = await pool.open(pool.newDataDir(name), { fetch: fetchLike });
  return { join: client.join(code, { displayName: name }), requests, client };
}

const ids = async (g: Group) => (await g.members()).map((m) => m.accountId).sort();

/** The stopped admin's keys, as an operator who seized the admin's phone holds them. */
function seizedAdmin(dir: string): { accountId: string; identityKeyPair: IdentityKeyPair } {
  const store = SqliteStore.open(dir);
  try {
    return { accountId: store.getAccount()!.accountId, identityKeyPair: IdentityKeyPair.deserialize(Buffer.from(store.getLocalIdentity()!.identityKeyPair)) };
  } finally {
    store.close();
  }
}

function logRow(groupId: string, version: number): GroupChange {
  return withRelayDb(relay, (db) => GroupChange.parse(JSON.parse((db.prepare('SELECT body FROM group_changes WHERE group_id = ? AND version = ?').get(groupId, version) as { body: string }).body)));
}

/** A change signed with the seized admin's keys, chained to the logged change at `version - 1`. */
function forge(s: Setup, seized: ReturnType<typeof seizedAdmin>, version: number, actions: GroupAction[], at: number): GroupChange {
  const prev = logRow(s.group.id, version - 1);
  const state = { ...emptyGroupState(s.group.id), version: version - 1, headHash: changeHash(prev), headAt: prev.at };
  return buildChange({ state, keys: s.keys, accountId: seized.accountId, identityKeyPair: seized.identityKeyPair, actions, now: at });
}

describe('checkpoints against a hostile relay', () => {
  test('a newcomer starts from the checkpoint; a snapshot with one extra member is caught (bad-checkpoint)', async () => {
    const s = await setup();
    const stored = checkpoints(s.group.id);
    expect(stored.length).toBeGreaterThan(0);
    const code = await s.group.createInvite({ expiresInSeconds: 3600, maxUses: 2 });
    const head = parseInviteCode(code).head!;
    expect(head.version).toBeGreaterThanOrEqual(stored.at(-1)!.version);

    const honest = await newcomer(code, 'carla');
    const carla = await honest.join;
    expect(await ids(carla)).toEqual(await ids(s.group));
    expect((await carla.members()).every((m) => m.identityVerified)).toBe(true);
    // It read the checkpoint and the log after it, not from version 0.
    expect(honest.requests.some((r) => r.includes(`/checkpoint?atOrBefore=${head.version}`))).toBe(true);
    expect(honest.requests.filter((r) => r.includes('/changes?from=0')).length).toBe(0);

    // The operator adds a member to the snapshot the newcomer is served (Bob's blobs under a new pseudonym).
    const row = checkpoints(s.group.id).filter((c) => c.version <= head.version).at(-1)!;
    withRelayDb(relay, (db) => {
      const snap = parseSnapshot(row.snapshot)!;
      snap.members[s.keys.pseudonym(randomUUID())] = { ...Object.values(snap.members)[1]!, role: 'member' };
      db.prepare('UPDATE group_checkpoints SET snapshot = ? WHERE group_id = ? AND version = ?').run(checkpointState(snap), s.group.id, row.version);
    });
    const hostile = await newcomer(code, 'dora');
    const err = await hostile.join.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayMisbehaviourError);
    expect(err).toMatchObject({ reason: 'bad-checkpoint' });
  });

  test('an old checkpoint: everything after it is verified, so a ban after it holds', async () => {
    const s = await setup();
    const first = checkpoints(s.group.id).at(-1)!.version;
    await s.group.remove(s.eve.client.accountId!, { ban: true });
    for (let i = 0; i < EVERY; i++) await s.group.setTitle(`Harbor City ${i} again`);
    await s.group.sync();
    expect(checkpoints(s.group.id).at(-1)!.version).toBeGreaterThan(first);
    const code = await s.group.createInvite({ expiresInSeconds: 3600 });
    // The relay keeps only the checkpoint from before the ban and serves that one.
    withRelayDb(relay, (db) => db.prepare('DELETE FROM group_checkpoints WHERE group_id = ? AND version > ?').run(s.group.id, first));
    const old = await newcomer(code, 'carla');
    const carla = await old.join;
    expect(old.requests.some((r) => r.includes('/checkpoint?'))).toBe(true);
    expect(await ids(carla)).toEqual(await ids(s.group));
    expect(await ids(carla)).not.toContain(s.eve.client.accountId);
  });

  test('a chain that does not reach the invite\'s head (a fork signed with a seized admin\'s key) is caught (invite-head-mismatch)', async () => {
    const s = await setup();
    const code = await s.group.createInvite({ expiresInSeconds: 3600 });
    const head = parseInviteCode(code).head!;
    expect(head.version).toBe(s.group.version);
    await s.admin.close();
    const seized = seizedAdmin(s.adminDir);
    // The operator swaps the head change for another one the admin's key signs: the same invite, a minute later.
    const original = logRow(s.group.id, head.version);
    const forged = forge(s, seized, head.version, original.actions, original.at + 60_000);
    withRelayDb(relay, (db) => db.prepare('UPDATE group_changes SET body = ? WHERE group_id = ? AND version = ?').run(canonicalJson(forged), s.group.id, head.version));
    const joiner = await newcomer(code, 'carla');
    const err = await joiner.join.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayMisbehaviourError);
    expect(err).toMatchObject({ reason: 'invite-head-mismatch' });
  });

  test('a false checkpoint signed by a real admin: a relay that serves it anyway is caught by members (bad-checkpoint)', async () => {
    const s = await setup();
    await s.bob.group.sync();
    const version = s.group.version + 1;
    await s.admin.close();
    const seized = seizedAdmin(s.adminDir);
    const at = Math.floor(Date.now() / 60_000) * 60_000;
    const falseCheckpoint = forge(s, seized, version, [{ type: 'checkpoint', stateHash: randomBytes(32).toString('base64') }], at);
    withRelayDb(relay, (db) => {
      db.prepare('INSERT INTO group_changes (group_id, version, body, received_at) VALUES (?, ?, ?, ?)').run(s.group.id, version, canonicalJson(falseCheckpoint), at);
      db.prepare('UPDATE groups SET version = ? WHERE id = ?').run(version, s.group.id);
    });
    await expect(s.bob.group.sync()).rejects.toMatchObject({ name: 'RelayMisbehaviourError', reason: 'bad-checkpoint' });
  });

  test('snapshot members not checked yet: a forged binding is never trusted, on the spot or after; an honest one is, and the check resumes after a crash', async () => {
    const s = await setup();
    const code = await s.group.createInvite({ expiresInSeconds: 3600, maxUses: 2 });
    const carlaDir = pool.newDataDir('carla');
    let carla = await pool.open(carlaDir);
    await carla.join(code, { displayName: 'carla' });
    await carla.close();
    // Carla's store as a crash right after join() leaves it: the snapshot's members unresolved, no
    // identity keys. Bob's entry holds a proof with his real identity key but a forged binding
    // signature (what a snapshot member whose binding does not verify looks like); Eve's is honest.
    const bobPs = s.keys.pseudonym(s.bob.client.accountId);
    const store = SqliteStore.open(carlaDir);
    try {
      const rec = store.getGroup(s.group.id)!;
      const fromSnapshot = Object.keys(rec.state.members).filter((m) => rec.state.members[m]!.entered! < rec.state.checkpointVersion!);
      for (const m of fromSnapshot) rec.state.members[m]!.identityKey = undefined;
      const bobBlobs = store.getGroupBlobs(s.group.id, bobPs).get(bobPs)!;
      const proof = s.keys.openJson(bobBlobs.proof!) as Record<string, unknown>;
      const forgedProof = s.keys.sealJson({ ...proof, binding: Buffer.from(randomBytes(64)).toString('base64') });
      rec.state.unresolved = fromSnapshot;
      store.commit({ groups: [rec], groupBlobs: [{ groupId: s.group.id, put: new Map([[bobPs, { ...bobBlobs, proof: forgedProof }]]) }] });
    } finally {
      store.close();
    }

    carla = await pool.open(carlaDir);
    const alerts = collect(carla, 'alert');
    const mismatches = collect(carla, 'identity-mismatch');
    const changes = collect(carla, 'group');
    await s.bob.client.connect();
    await s.eve.client.connect();
    await s.eve.group.sendAlert({ kind: 'sighting', severity: 'info', title: 'checkpoint on Vermont', requestAck: false });
    await s.bob.group.sendAlert({ kind: 'raid', severity: 'critical', title: 'RAID on 5th, run', requestAck: false });
    await carla.connect();
    await until(() => alerts.length >= 1 && mismatches.some((e) => e.accountId === s.bob.client.accountId), 'eve\'s alert and the refusal of bob\'s');
    const carlaGroup = carla.group(s.group.id)!;
    const members = await carlaGroup.members(); // waits for the background check
    expect(members.find((m) => m.accountId === s.eve.client.accountId)!.identityVerified).toBe(true);
    expect(members.find((m) => m.accountId === s.bob.client.accountId)!.identityVerified).toBe(false);
    expect(changes).toContainEqual(expect.objectContaining({ type: 'member-unverified', accountId: s.bob.client.accountId, reason: 'bad-binding' }));
    expect((await carlaGroup.alerts()).map((a) => a.title)).toEqual(['checkpoint on Vermont']);
    expect(alerts.every((a) => a.from !== s.bob.client.accountId)).toBe(true);
  });
});

describe('where a newcomer starts', () => {
  test(`an admin's client checkpoints before an invite once the last checkpoint is INVITE_CHECKPOINT_GAP (${INVITE_CHECKPOINT_GAP}) changes behind, so the newcomer verifies only what follows it`, async () => {
    // The default checkpointEvery (1,000): only the invite rule writes a checkpoint here.
    const admin = await pool.open(pool.newDataDir('admin-gap'));
    await admin.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
    const group = await admin.createGroup({ title: 'Wilmington rapid response', displayName: 'Rosa' });
    for (let i = 1; i < INVITE_CHECKPOINT_GAP; i++) await group.setTitle(`Wilmington ${i}`);
    // One change short of the gap: no checkpoint before this invite. Bob joins with it, so the
    // snapshot has a member who is not an admin (whose account a newcomer takes as a claim).
    const bob = await joinWith(pool, await group.createInvite({ expiresInSeconds: 3600 }), 'bob');
    expect(checkpoints(group.id)).toEqual([]);
    const code = await group.createInvite({ expiresInSeconds: 3600 });
    const head = parseInviteCode(code).head!;
    const written = checkpoints(group.id).map((c) => c.version);
    // The second invite found the log past INVITE_CHECKPOINT_GAP since version 0: a checkpoint, then the invite.
    expect(written).toEqual([head.version - 1]);

    const carla = await newcomer(code, 'carla');
    const carlaGroup = await carla.join;
    expect(carla.requests.some((r) => r.includes(`/checkpoint?atOrBefore=${head.version}`))).toBe(true);
    expect(carla.requests.filter((r) => r.includes('/changes?from=0')).length).toBe(0);

    // Straight after join() returns (Bob's account and binding still being checked): Bob's and the
    // admin's alerts reach the newcomer, and the newcomer's first alert reaches both.
    const toCarla = collect(carla.client, 'alert');
    const toRosa = collect(admin, 'alert');
    const toBob = collect(bob.client, 'alert');
    await Promise.all([carla.client.connect(), admin.connect(), bob.client.connect()]);
    await Promise.all([group.sync(), bob.group.sync()]);
    await bob.group.sendAlert({ kind: 'sighting', severity: 'urgent', title: 'agents staging at Banning Park', requestAck: false });
    await group.sendAlert({ kind: 'raid', severity: 'critical', title: 'agents at the Avalon car wash', requestAck: true });
    await carlaGroup.sendAlert({ kind: 'sighting', severity: 'info', title: 'two vans on Anaheim St', requestAck: false });
    await until(() => toCarla.length >= 2 && toRosa.some((a) => a.title === 'two vans on Anaheim St') && toBob.some((a) => a.title === 'two vans on Anaheim St'), 'every alert at every member');
    expect(toCarla.map((a) => a.title).sort()).toEqual(['agents at the Avalon car wash', 'agents staging at Banning Park']);
    expect((await carlaGroup.members()).map((m) => [m.accountId, m.identityVerified])).toEqual([...(await group.members()).map((m) => [m.accountId, true])]);
  });
});
