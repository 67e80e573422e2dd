import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { canonicalJson, checkpointState, CheckpointResponse, emptySnapshot, GroupChange, LIMITS, ROUTES, SnapshotBuilder } from '@aviso/protocol';
import { loadVectors } from '@aviso/protocol/testing';
import { describe, expect, test } from 'vitest';
import { blob, errorCode, groupUser, newInvite, TestGroup } from './group-helpers.js';
import { countRows, testRelay } from './helpers.js';

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
