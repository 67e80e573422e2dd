import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PrivateKey } from '@signalapp/libsignal-client';
import { canonicalJson, changeSigningMessage, checkpointState, CheckpointResponse, emptySnapshot, GroupChange, LIMITS, ROUTES, SnapshotBuilder } from '@aviso/protocol';
import { loadVectors } from '@aviso/protocol/testing';
import { describe, expect, test } from 'vitest';
import { blob, errorCode, groupUser, newInvite, TestGroup } from './group-helpers.js';
import { countRows, restartRelay, testRelay, type TestRelay } from './helpers.js';

/** Checkpoints on the relay (docs/groups.md "Checkpoints"): it accepts only the state it computes itself, stores and serves it. */
const sha = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64');

/** The state after the test's log, folded by the protocol's builder from what the test made. */
function expectedSnapshot(group: TestGroup): string {
  const builder = new SnapshotBuilder(emptySnapshot(group.id));
  for (const c of group.log) builder.apply(c, sha(canonicalJson(c)));
  return checkpointState(builder.snapshot);
}

async function populated() {
  const relay = await testRelay();
  const [admin, bob, carol] = [await groupUser(relay), await groupUser(relay), await groupUser(relay)];
  const group = new TestGroup(relay);
  expect((await group.create(admin)).statusCode).toBe(200);
  const open = newInvite({ maxUses: 5 });
  expect((await group.append(admin, [open.action])).statusCode).toBe(200);
  expect((await group.append(bob, [{ type: 'join', inviteId: open.inviteId, profile: blob() }], { password: open.password })).statusCode).toBe(200);
  const ask = newInvite({ requireApproval: true });
  expect((await group.append(admin, [ask.action])).statusCode).toBe(200);
  expect((await group.append(carol, [{ type: 'requestJoin', inviteId: ask.inviteId, profile: blob() }], { password: ask.password })).statusCode).toBe(200);
  expect((await group.append(admin, [{ type: 'approve', member: group.ct(carol) }])).statusCode).toBe(200);
  expect((await group.append(admin, [{ type: 'setAttributes', attributes: blob(300) }])).statusCode).toBe(200);
  return { relay, admin, bob, carol, group };
}

const checkpoint = (group: TestGroup, user: Parameters<TestGroup['headers']>[0], atOrBefore: number) =>
  group.relay.app.inject({ method: 'GET', url: `${ROUTES.groupCheckpoint.path(group.id)}?atOrBefore=${atOrBefore}`, headers: group.headers(user) });

describe('checkpoint changes', () => {
  test('the relay takes a checkpoint naming its own state, stores the snapshot and serves it at or after its version', async () => {
    const { admin, bob, group } = await populated();
    expect(errorCode(await checkpoint(group, bob, group.version))).toBe('NOT_FOUND');
    const text = expectedSnapshot(group);
    const res = await group.append(admin, [{ type: 'checkpoint', stateHash: sha(text) }]);
    expect(res.statusCode).toBe(200);
    const at = group.version;
    const served = await checkpoint(group, bob, at + 10);
    expect(served.statusCode).toBe(200);
    expect(CheckpointResponse.parse(served.json())).toEqual({ version: at, snapshot: text });
    expect(errorCode(await checkpoint(group, bob, at - 1))).toBe('NOT_FOUND');
    expect(errorCode(await checkpoint(group, await groupUser(group.relay), at))).toBe('NOT_A_MEMBER');
  });

  test('a false stateHash, even signed by a real admin, is GROUP_CHANGE_INVALID (bad-checkpoint) and stores nothing', async () => {
    const { relay, admin, group } = await populated();
    const before = countRows(relay.ctx, 'group_changes');
    const res = await group.append(admin, [{ type: 'checkpoint', stateHash: sha(expectedSnapshot(group) + ' ') }]);
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('GROUP_CHANGE_INVALID');
    expect((res.json() as { error: { details: { reason: string } } }).error.details.reason).toBe('bad-checkpoint');
    expect(countRows(relay.ctx, 'group_changes')).toBe(before);
    expect(countRows(relay.ctx, 'group_checkpoints')).toBe(0);
  });

  test('only admins checkpoint, and a checkpoint is a change of its own', async () => {
    const { admin, bob, group } = await populated();
    const stateHash = sha(expectedSnapshot(group));
    const byMember = await group.append(bob, [{ type: 'checkpoint', stateHash }]);
    expect(byMember.statusCode).toBe(403);
    expect(errorCode(byMember)).toBe('FORBIDDEN');
    const mixed = await group.append(admin, [{ type: 'setAttributes', attributes: blob() }, { type: 'checkpoint', stateHash }]);
    expect(errorCode(mixed)).toBe('BAD_REQUEST');
  });

  test('later checkpoints are rebuilt from the stored one; only the newest maxStoredCheckpoints are kept', async () => {
    const { relay, admin, bob, group } = await populated();
    const versions: number[] = [];
    for (let i = 0; i < LIMITS.maxStoredCheckpoints + 1; i++) {
      expect((await group.append(admin, [{ type: 'setAttributes', attributes: blob(200 + i) }])).statusCode).toBe(200);
      if (i === 2) expect((await group.append(admin, [{ type: 'remove', member: group.ct(bob), ban: true }])).statusCode).toBe(200);
      expect((await group.append(admin, [{ type: 'checkpoint', stateHash: sha(expectedSnapshot(group)) }])).statusCode).toBe(200);
      versions.push(group.version);
    }
    expect(countRows(relay.ctx, 'group_checkpoints')).toBe(LIMITS.maxStoredCheckpoints);
    expect(errorCode(await checkpoint(group, admin, versions[0]!))).toBe('NOT_FOUND');
    expect(CheckpointResponse.parse((await checkpoint(group, admin, versions[1]!)).json()).version).toBe(versions[1]);
  });
});

describe("a checkpoint's snapshot is prepared outside the write transaction", () => {
  /** A group whose log is `extra` changes longer than `populated()`'s, with no checkpoint stored yet. */
  async function longLog(extra: number) {
    const p = await populated();
    // One presentation for all of them (the relay takes it again): making one is a third of an append's time here.
    const headers = p.group.headers(p.admin);
    for (let i = 0; i < extra; i++) expect((await p.group.append(p.admin, [{ type: 'setAttributes', attributes: blob(100 + (i % 50)) }], { headers })).statusCode).toBe(200);
    return p;
  }

  test("a group's first checkpoint replays its log a slice per turn of the event loop; a change stored meanwhile makes a checkpoint conflict, and the next names the new state", async () => {
    const { relay, admin, bob, group } = await longLog(420);
    // Turns of the event loop that ran while the checkpoint was prepared (about none if the whole
    // log were replayed in one go, as it was inside the write transaction, holding up every request).
    const { result: first, turns } = await turnsWhile(() => group.append(admin, [{ type: 'checkpoint', stateHash: sha(expectedSnapshot(group)) }]));
    expect(first.statusCode).toBe(200);
    expect(turns).toBeGreaterThanOrEqual(3); // 426 changes, 200 a slice
    expect(countRows(relay.ctx, 'group_checkpoints')).toBe(1);

    // The relay keeps that replay for the next checkpoint. A change that lands while one is prepared:
    const stale = group.change(admin, group.version + 1, [{ type: 'checkpoint', stateHash: sha(expectedSnapshot(group)) }]);
    const racing = group.appendChange(stale, group.headers(admin));
    expect((await group.append(bob, [{ type: 'leave' }])).statusCode).toBe(200);
    expect((await racing).statusCode).toBe(409);
    // The kept replay continues from where it was: the next checkpoint names the state after the leave.
    expect((await group.append(admin, [{ type: 'checkpoint', stateHash: sha(expectedSnapshot(group)) }])).statusCode).toBe(200);
    const served = CheckpointResponse.parse((await checkpoint(group, admin, group.version)).json());
    expect(served).toEqual({ version: group.version, snapshot: expectedSnapshot(withoutLast(group)) });
  });

  test("a checkpoint the relay refuses for anything but its hash (a forged signature under a copied admin presentation, a replayed stale change, a member's) is refused before any replay", async () => {
    const { relay, admin, bob, group } = await longLog(420);
    const checkpointOf = (g: TestGroup) => [{ type: 'checkpoint' as const, stateHash: sha(expectedSnapshot(g)) }];
    // The admin's checkpoint for the next version, overtaken by another change before it was sent.
    const stale = group.change(admin, group.version + 1, checkpointOf(group));
    expect((await group.append(admin, [{ type: 'setAttributes', attributes: blob() }])).statusCode).toBe(200);
    const next = group.version + 1;
    const honest = group.change(admin, next, checkpointOf(group));
    // Whoever copied the admin's presentation can send it with any change, but cannot sign as the admin.
    const signedBy = (key: PrivateKey) => Buffer.from(key.sign(Buffer.from(changeSigningMessage(group.id, honest), 'utf8'))).toString('base64');
    // `details`: the failure's reason, or for a conflict the version the group is at.
    const cases: { name: string; change: GroupChange; by: typeof admin; status: number; code: string; details?: Record<string, unknown> }[] = [
      { name: 'signed with another key', change: { ...honest, signature: signedBy(PrivateKey.generate()) }, by: admin, status: 400, code: 'GROUP_CHANGE_INVALID', details: { reason: 'bad-signature' } },
      { name: 'a garbage signature', change: { ...honest, signature: blob(64) }, by: admin, status: 400, code: 'GROUP_CHANGE_INVALID', details: { reason: 'bad-signature' } },
      { name: 'a replayed stale change', change: stale, by: admin, status: 409, code: 'GROUP_CONFLICT', details: { currentVersion: next - 1 } },
      { name: 'chained to an older change', change: group.change(admin, next, checkpointOf(group), { prevHash: group.hashAt(next - 2) }), by: admin, status: 409, code: 'GROUP_CONFLICT', details: { currentVersion: next - 1 } },
      { name: "a member's", change: group.change(bob, next, checkpointOf(group)), by: bob, status: 403, code: 'FORBIDDEN' },
    ];
    const stored = countRows(relay.ctx, 'group_changes');
    const send = (r: TestRelay, change: GroupChange, by: typeof admin) =>
      r.app.inject({ method: 'POST', url: ROUTES.groupChanges.path(group.id), headers: group.headers(by), payload: { change } });
    // Each request on a relay just restarted, so none finds a replay kept in memory from the one before.
    let live = relay;
    for (const c of cases) {
      live = await restartRelay(live);
      const { result: res, turns } = await turnsWhile(() => send(live, c.change, c.by));
      expect.soft({ case: c.name, status: res.statusCode, code: errorCode(res) }).toEqual({ case: c.name, status: c.status, code: c.code });
      if (c.details !== undefined) expect.soft((res.json() as { error: { details: unknown } }).error.details).toEqual(c.details);
      expect.soft({ case: c.name, turns: turns < 3 }).toEqual({ case: c.name, turns: true }); // 427 changes, 200 a slice
    }
    expect(countRows(live.ctx, 'group_changes')).toBe(stored);
    expect(countRows(live.ctx, 'group_checkpoints')).toBe(0);
    // The same measure sees the replay an acceptable checkpoint costs.
    live = await restartRelay(live);
    const { result: accepted, turns } = await turnsWhile(() => send(live, honest, admin));
    expect(accepted.statusCode).toBe(200);
    expect(turns).toBeGreaterThanOrEqual(3);
  });
});

/** Turns of the event loop that ran while `work` was pending: a replay of the log takes one per `PREPARE_SLICE` changes. */
async function turnsWhile<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let done = false;
  let turns = 0;
  const tick = () => {
    if (done) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    return { result: await work(), turns };
  } finally {
    done = true;
  }
}

/** The group's log without its last change (a checkpoint names the state before itself). */
function withoutLast(group: TestGroup): TestGroup {
  return { id: group.id, log: group.log.slice(0, -1) } as TestGroup;
}

describe('checkpoint vectors as the relay folds them', () => {
  for (const v of loadVectors('checkpoint.json', readFileSync)) {
    test(v.comment, () => {
      // What the relay's rebuild runs: the stored canonical text of each change, hashed for the next head.
      const builder = new SnapshotBuilder(emptySnapshot(v.groupId));
      for (const c of v.changes.slice(0, -1).map((x) => GroupChange.parse(x))) {
        const body = canonicalJson(c);
        builder.apply(JSON.parse(body) as GroupChange, sha(body));
      }
      const ours = checkpointState(builder.snapshot);
      expect(sha(v.snapshot)).toBe(v.stateHash);
      if (v.valid === false) expect(ours).not.toBe(v.snapshot);
      else expect(ours).toBe(v.snapshot);
    });
  }
});
