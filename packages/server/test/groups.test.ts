import { createHash } from 'node:crypto';
import { canonicalJson, ChangesResponse, ErrorBody, GROUP_HEADERS, JoinInfoResponse, ROUTES, type GroupChange } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { blob, errorCode, groupUser, newInvite, TestGroup, type GroupUser } from './group-helpers.js';
import { GroupsRepository } from '../src/storage/sqlite/groups.js';
import { countRows, testRelay, type TestRelay } from './helpers.js';

const DAY_MS = 86_400_000;
const hash = (c: GroupChange) => createHash('sha256').update(canonicalJson(c)).digest('hex');

/** A relay with a group created by `admin`. */
async function withGroup(options: { membersCanInvite?: boolean } = {}) {
  const relay = await testRelay();
  const admin = await groupUser(relay);
  const group = new TestGroup(relay);
  const res = await group.create(admin, options);
  expect(res.statusCode).toBe(200);
  expect(res.json()).toEqual({ version: 0 });
  return { relay, admin, group };
}

/** Creates a direct invite by `admin` and joins `user` with it. */
async function joinDirect(group: TestGroup, admin: GroupUser, user: GroupUser) {
  const invite = newInvite();
  expect((await group.append(admin, [invite.action])).statusCode).toBe(200);
  const res = await group.append(user, [{ type: 'join', inviteId: invite.inviteId, profile: blob() }], { password: invite.password });
  expect(res.statusCode).toBe(200);
  return invite;
}

function groupRows(relay: TestRelay) {
  return ['groups', 'group_members', 'group_pending', 'group_banned', 'group_invites', 'group_changes'].map((t) => countRows(relay.ctx, t));
}

describe('PUT /v1/groups/:groupId', () => {
  test('creates the group: the creator is its admin and the log holds the change verbatim', async () => {
    const { relay, admin, group } = await withGroup({ membersCanInvite: true });
    expect(groupRows(relay)).toEqual([1, 1, 0, 0, 0, 1]);
    const member = relay.ctx.storage.db.$client.prepare('SELECT member, role FROM group_members').get();
    expect(member).toEqual({ member: group.ct(admin), role: 'admin' });
    const res = await group.changes(admin, 0);
    expect(res.statusCode).toBe(200);
    const body = ChangesResponse.parse(res.json());
    expect(body.currentVersion).toBe(0);
    expect(body.publicParams).toBe(group.publicParams);
    const { receivedAt, ...served } = body.changes[0]!;
    expect(hash(served)).toBe(hash(group.log[0]!));
    expect(receivedAt % 60_000).toBe(0);
    expect(receivedAt).toBeLessThanOrEqual(relay.clock.now());
  });

  test('a group id that does not match the public params is 400 and stores nothing', async () => {
    const relay = await testRelay();
    const admin = await groupUser(relay);
    const group = new TestGroup(relay);
    const other = new TestGroup(relay);
    const res = await group.create(admin, { publicParams: other.publicParams });
    expect(res.statusCode).toBe(400);
    expect(errorCode(res)).toBe('BAD_REQUEST');
    expect(groupRows(relay)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  test('the actor must be the member the presentation proves (403 FORBIDDEN)', async () => {
    const relay = await testRelay();
    const [admin, mallory] = [await groupUser(relay), await groupUser(relay)];
    const group = new TestGroup(relay);
    const change = group.change(admin, 0, [{ type: 'create', attributes: blob(), profile: blob(), membersCanInvite: false }]);
    const res = await relay.app.inject({
      method: 'PUT',
      url: ROUTES.group.path(group.id),
      headers: group.headers(mallory),
      payload: { publicParams: group.publicParams, change },
    });
    expect(res.statusCode).toBe(403);
    expect(errorCode(res)).toBe('FORBIDDEN');
    expect(groupRows(relay)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  test('a second create is 409 GROUP_CONFLICT with the current version', async () => {
    const { relay, admin, group } = await withGroup();
    const res = await group.create(admin);
    expect(res.statusCode).toBe(409);
    expect(ErrorBody.parse(res.json()).error).toMatchObject({ code: 'GROUP_CONFLICT', retryable: true, details: { currentVersion: 0 } });
    expect(groupRows(relay)).toEqual([1, 1, 0, 0, 0, 1]);
  });

  test('a create that does not start with create, or is not version 0, stores nothing', async () => {
    const relay = await testRelay();
    const admin = await groupUser(relay);
    const group = new TestGroup(relay);
    const notCreate = await group.create(admin, { change: group.change(admin, 0, [{ type: 'leave' }]) });
    expect(notCreate.statusCode).toBe(400);
    const v1 = await group.create(admin, { change: group.change(admin, 1, [{ type: 'create', attributes: blob(), profile: blob(), membersCanInvite: false }]) });
    expect(v1.statusCode).toBe(409);
    expect(groupRows(relay)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('presentations', () => {
  test('missing, garbage, for another group, or from another relay: 401 UNAUTHORIZED', async () => {
    const { relay, admin, group } = await withGroup();
    const other = new TestGroup(relay);
    const url = `${ROUTES.groupChanges.path(group.id)}?from=0`;
    const cases: Record<string, string>[] = [
      {},
      { [GROUP_HEADERS.presentation]: 'not base64 !!' },
      { [GROUP_HEADERS.presentation]: blob(633) },
      { [GROUP_HEADERS.presentation]: other.presentation(admin) },
    ];
    for (const headers of cases) {
      const res = await relay.app.inject({ method: 'GET', url, headers });
      expect(res.statusCode, JSON.stringify(Object.keys(headers))).toBe(401);
      expect(errorCode(res)).toBe('UNAUTHORIZED');
    }
    // Basic account credentials do not authenticate group requests.
    const basic = await relay.app.inject({ method: 'GET', url, headers: { authorization: admin.auth } });
    expect(basic.statusCode).toBe(401);
    // Writes are refused the same way.
    const write = await group.append(admin, [{ type: 'setAttributes', attributes: blob() }], { headers: { [GROUP_HEADERS.presentation]: other.presentation(admin) } });
    expect(write.statusCode).toBe(401);
    expect(countRows(relay.ctx, 'group_changes')).toBe(1);
  });

  test("a credential from another relay's server params is refused", async () => {
    const { relay, admin, group } = await withGroup();
    const elsewhere = await testRelay();
    const outsider = await groupUser(elsewhere);
    // The outsider knows the master key and builds a well-formed presentation for this group, but
    // with a credential its own relay issued.
    const sameGroupElsewhere = new TestGroup(elsewhere, group.secret);
    const headers = { [GROUP_HEADERS.presentation]: sameGroupElsewhere.presentation(outsider) };
    const read = await relay.app.inject({ method: 'GET', url: `${ROUTES.groupChanges.path(group.id)}?from=0`, headers });
    expect(read.statusCode).toBe(401);
    expect(errorCode(read)).toBe('UNAUTHORIZED');
    // Even a change naming the outsider's (correct) pseudonym for this group is refused.
    const write = await group.appendChange(group.change(outsider, 1, [{ type: 'setAttributes', attributes: blob() }]), headers);
    expect(write.statusCode).toBe(401);
    // The same member, credentialed by this relay, is merely not a member.
    expect(errorCode(await group.changes(admin, 0))).toBeUndefined();
  });

  test('an expired presentation is refused', async () => {
    const { relay, admin, group } = await withGroup();
    relay.clock.advance(3 * DAY_MS);
    const res = await group.changes(admin, 0);
    expect(res.statusCode).toBe(401);
  });

  test('the relay keeps no replay cache: one presentation serves any number of requests until its credential window ends', async () => {
    // docs/groups.md "Authenticating group requests": the window is zkgroup's, the credential's day
    // from one day before to two days after it; nothing binds a presentation to one request.
    const { relay, admin, group } = await withGroup();
    const presentation = group.presentation(admin);
    const read = () => relay.app.inject({ method: 'GET', url: `${ROUTES.groupChanges.path(group.id)}?from=0`, headers: { [GROUP_HEADERS.presentation]: presentation } });
    for (let i = 0; i < 3; i++) expect((await read()).statusCode).toBe(200);
    const day = Math.floor(relay.clock.now() / DAY_MS) * DAY_MS;
    relay.clock.t = day + 2 * DAY_MS - 60_000;
    expect((await read()).statusCode).toBe(200);
    relay.clock.t = day + 2 * DAY_MS + 60_000;
    expect((await read()).statusCode).toBe(401);
  });

  test('unknown group is 404; malformed group id is 400', async () => {
    const { relay, admin } = await withGroup();
    const unknown = new TestGroup(relay);
    expect((await unknown.changes(admin, 0)).statusCode).toBe(404);
    const bad = await relay.app.inject({ method: 'GET', url: `${ROUTES.groupChanges.path('ABC')}?from=0` });
    expect(bad.statusCode).toBe(400);
  });
});

describe('membership', () => {
  test('only members read the log; a removed member is NOT_A_MEMBER on reads and writes', async () => {
    const { relay, admin, group } = await withGroup();
    const [bob, carol] = [await groupUser(relay), await groupUser(relay)];
    const outsider = await group.changes(bob, 0);
    expect(outsider.statusCode).toBe(403);
    expect(errorCode(outsider)).toBe('NOT_A_MEMBER');

    await joinDirect(group, admin, bob);
    await joinDirect(group, admin, carol);
    expect((await group.changes(bob, 0)).statusCode).toBe(200);
    expect((await group.append(admin, [{ type: 'remove', member: group.ct(bob), ban: false }])).statusCode).toBe(200);

    const read = await group.changes(bob, 0);
    expect(read.statusCode).toBe(403);
    expect(errorCode(read)).toBe('NOT_A_MEMBER');
    const before = countRows(relay.ctx, 'group_changes');
    const write = await group.append(bob, [{ type: 'setAttributes', attributes: blob() }]);
    expect(write.statusCode).toBe(403);
    expect(errorCode(write)).toBe('NOT_A_MEMBER');
    expect(countRows(relay.ctx, 'group_changes')).toBe(before);
    expect((await group.changes(carol, 0)).statusCode).toBe(200);
  });

  test('admin-only actions by a plain member are 403 FORBIDDEN and store nothing', async () => {
    const { relay, admin, group } = await withGroup();
    const bob = await groupUser(relay);
    await joinDirect(group, admin, bob);
    const before = countRows(relay.ctx, 'group_changes');
    for (const action of [
      { type: 'setAttributes' as const, attributes: blob() },
      { type: 'setAccess' as const, membersCanInvite: true },
      { type: 'remove' as const, member: group.ct(admin), ban: false },
      { type: 'setRole' as const, member: group.ct(bob), role: 'admin' as const },
      newInvite().action,
    ]) {
      const res = await group.append(bob, [action]);
      expect(res.statusCode, action.type).toBe(403);
      expect(errorCode(res)).toBe('FORBIDDEN');
    }
    expect(countRows(relay.ctx, 'group_changes')).toBe(before);
    // An admin's action is rejected as a whole when one action in the change breaks a rule.
    const mixed = await group.append(admin, [{ type: 'setAttributes', attributes: blob() }, { type: 'approve', member: group.ct(bob) }]);
    expect(mixed.statusCode).toBe(400);
    expect(countRows(relay.ctx, 'group_changes')).toBe(before);
  });

  test('a member leaves; roles change; the last admin cannot leave a populated group', async () => {
    const { relay, admin, group } = await withGroup();
    const bob = await groupUser(relay);
    await joinDirect(group, admin, bob);
    const stuck = await group.append(admin, [{ type: 'leave' }]);
    expect(errorCode(stuck)).toBe('FORBIDDEN');
    expect((await group.append(admin, [{ type: 'setRole', member: group.ct(bob), role: 'admin' }])).statusCode).toBe(200);
    expect((await group.append(admin, [{ type: 'leave' }])).statusCode).toBe(200);
    expect(relay.ctx.storage.db.$client.prepare('SELECT member, role FROM group_members').all()).toEqual([{ member: group.ct(bob), role: 'admin' }]);
  });
});

describe('invites', () => {
  test('join with the right password; join info; wrong or missing password is 410 INVITE_INVALID', async () => {
    const { relay, admin, group } = await withGroup();
    const bob = await groupUser(relay);
    const invite = newInvite({ role: 'admin' });
    expect((await group.append(admin, [invite.action])).statusCode).toBe(200);

    const info = await group.joinInfo(invite.inviteId, invite.password);
    expect(info.statusCode).toBe(200);
    expect(JoinInfoResponse.parse(info.json())).toMatchObject({ currentVersion: 1, memberCount: 1, requireApproval: false, role: 'admin', publicParams: group.publicParams });
    expect((await group.joinInfo(invite.inviteId, invite.password, bob)).statusCode).toBe(200);
    for (const password of [blob(32), undefined]) {
      const res = await group.joinInfo(invite.inviteId, password);
      expect(res.statusCode).toBe(410);
      expect(errorCode(res)).toBe('INVITE_INVALID');
    }
    expect(errorCode(await group.joinInfo(newInvite().inviteId, invite.password))).toBe('INVITE_INVALID');

    // The invite password reads the join info only, never the log (docs/groups.md).
    expect(errorCode(await group.changes(bob, 0, { password: invite.password }))).toBe('NOT_A_MEMBER');
    expect(errorCode(await group.changes(undefined, 0, { password: invite.password }))).toBe('UNAUTHORIZED');
    expect(JoinInfoResponse.parse((await group.joinInfo(invite.inviteId, invite.password)).json())).toMatchObject({ currentVersion: 1, headHash: group.hashAt(1) });

    const join = { type: 'join' as const, inviteId: invite.inviteId, profile: blob() };
    const wrong = await group.append(bob, [join], { password: blob(32) });
    expect(wrong.statusCode).toBe(410);
    expect(errorCode(wrong)).toBe('INVITE_INVALID');
    expect(errorCode(await group.append(bob, [join]))).toBe('INVITE_INVALID');
    expect(countRows(relay.ctx, 'group_members')).toBe(1);

    expect((await group.append(bob, [join], { password: invite.password })).statusCode).toBe(200);
    expect(relay.ctx.storage.db.$client.prepare('SELECT role, invite_id AS inviteId FROM group_members WHERE member = ?').get(group.ct(bob))).toEqual({
      role: 'admin',
      inviteId: invite.inviteId,
    });
    expect((await group.changes(bob, 0)).statusCode).toBe(200);
    expect(JoinInfoResponse.parse((await group.joinInfo(invite.inviteId, invite.password)).json()).memberCount).toBe(2);
  });

  test('an expired invite is refused', async () => {
    const { relay, admin, group } = await withGroup();
    const invite = newInvite({}, relay.clock.now() + 60_000);
    expect((await group.append(admin, [invite.action])).statusCode).toBe(200);
    relay.clock.advance(60_000);
    const bob = await groupUser(relay);
    expect(errorCode(await group.joinInfo(invite.inviteId, invite.password))).toBe('INVITE_INVALID');
    const res = await group.append(bob, [{ type: 'join', inviteId: invite.inviteId, profile: blob() }], { password: invite.password });
    expect(res.statusCode).toBe(410);
    expect(errorCode(res)).toBe('INVITE_INVALID');
  });

  test('a used-up invite is refused', async () => {
    const { relay, admin, group } = await withGroup();
    const invite = newInvite({ maxUses: 1 });
    expect((await group.append(admin, [invite.action])).statusCode).toBe(200);
    const [bob, carol] = [await groupUser(relay), await groupUser(relay)];
    const join = { type: 'join' as const, inviteId: invite.inviteId, profile: blob() };
    expect((await group.append(bob, [join], { password: invite.password })).statusCode).toBe(200);
    expect(errorCode(await group.append(carol, [join], { password: invite.password }))).toBe('INVITE_INVALID');
    expect(errorCode(await group.joinInfo(invite.inviteId, invite.password))).toBe('INVITE_INVALID');
  });

  test('a revoked invite is refused; revoking with removals takes out who it admitted', async () => {
    const { relay, admin, group } = await withGroup();
    const bob = await groupUser(relay);
    const invite = await joinDirect(group, admin, bob);
    const res = await group.append(admin, [
      { type: 'revokeInvite', inviteId: invite.inviteId },
      { type: 'remove', member: group.ct(bob), ban: false },
    ]);
    expect(res.statusCode).toBe(200);
    const carol = await groupUser(relay);
    expect(errorCode(await group.append(carol, [{ type: 'join', inviteId: invite.inviteId, profile: blob() }], { password: invite.password }))).toBe('INVITE_INVALID');
    expect(errorCode(await group.joinInfo(invite.inviteId, invite.password))).toBe('INVITE_INVALID');
    expect(errorCode(await group.changes(bob, 0, { password: invite.password }))).toBe('NOT_A_MEMBER');
    expect(errorCode(await group.changes(bob, 0))).toBe('NOT_A_MEMBER');
  });

  test('a banned member cannot rejoin (403 BANNED), even with a fresh invite', async () => {
    const { relay, admin, group } = await withGroup();
    const bob = await groupUser(relay);
    await joinDirect(group, admin, bob);
    expect((await group.append(admin, [{ type: 'remove', member: group.ct(bob), ban: true }])).statusCode).toBe(200);
    const fresh = newInvite();
    expect((await group.append(admin, [fresh.action])).statusCode).toBe(200);
    const res = await group.append(bob, [{ type: 'join', inviteId: fresh.inviteId, profile: blob() }], { password: fresh.password });
    expect(res.statusCode).toBe(403);
    expect(errorCode(res)).toBe('BANNED');
    expect(errorCode(await group.changes(bob, 0, { password: fresh.password }))).toBe('BANNED');
    expect(errorCode(await group.joinInfo(fresh.inviteId, fresh.password, bob))).toBe('BANNED');
    expect(countRows(relay.ctx, 'group_banned')).toBe(1);
  });

  test('a removed (not banned) member may rejoin with a new invite', async () => {
    const { relay, admin, group } = await withGroup();
    const bob = await groupUser(relay);
    await joinDirect(group, admin, bob);
    expect((await group.append(admin, [{ type: 'remove', member: group.ct(bob), ban: false }])).statusCode).toBe(200);
    await joinDirect(group, admin, bob);
    expect((await group.changes(bob, 0)).statusCode).toBe(200);
  });

  test('approval flow: requestJoin → pending (can read the log) → approve → member; deny with ban', async () => {
    const { relay, admin, group } = await withGroup({ membersCanInvite: true });
    const [bob, carol, dave] = [await groupUser(relay), await groupUser(relay), await groupUser(relay)];
    await joinDirect(group, admin, bob);

    // A plain member may only create invites that need approval and grant the member role.
    expect(errorCode(await group.append(bob, [newInvite().action]))).toBe('FORBIDDEN');
    const invite = newInvite({ requireApproval: true });
    expect((await group.append(bob, [invite.action])).statusCode).toBe(200);
    expect(JoinInfoResponse.parse((await group.joinInfo(invite.inviteId, invite.password)).json()).requireApproval).toBe(true);

    // This invite admits only through a request.
    expect(errorCode(await group.append(carol, [{ type: 'join', inviteId: invite.inviteId, profile: blob() }], { password: invite.password }))).toBe('FORBIDDEN');
    const profile = blob(100);
    expect((await group.append(carol, [{ type: 'requestJoin', inviteId: invite.inviteId, profile }], { password: invite.password })).statusCode).toBe(200);
    expect(countRows(relay.ctx, 'group_pending')).toBe(1);
    expect((await group.changes(carol, 0)).statusCode).toBe(200);
    expect(errorCode(await group.append(carol, [{ type: 'setAttributes', attributes: blob() }]))).toBe('NOT_A_MEMBER');
    // Only admins approve.
    expect(errorCode(await group.append(bob, [{ type: 'approve', member: group.ct(carol) }]))).toBe('FORBIDDEN');
    expect((await group.append(admin, [{ type: 'approve', member: group.ct(carol) }])).statusCode).toBe(200);
    expect(countRows(relay.ctx, 'group_pending')).toBe(0);
    const row = relay.ctx.storage.db.$client.prepare('SELECT role, profile FROM group_members WHERE member = ?').get(group.ct(carol)) as { role: string; profile: Buffer };
    expect(row.role).toBe('member');
    expect(row.profile.toString('base64')).toBe(profile);

    expect((await group.append(dave, [{ type: 'requestJoin', inviteId: invite.inviteId, profile: blob() }], { password: invite.password })).statusCode).toBe(200);
    expect((await group.append(admin, [{ type: 'deny', member: group.ct(dave), ban: true }])).statusCode).toBe(200);
    expect(errorCode(await group.changes(dave, 0))).toBe('BANNED');
    expect(errorCode(await group.append(dave, [{ type: 'requestJoin', inviteId: invite.inviteId, profile: blob() }], { password: invite.password }))).toBe('BANNED');
  });

  test('an invite id in the path is base64url; malformed ones are 400', async () => {
    const { admin, group, relay } = await withGroup();
    // Find an id whose base64 has '+' or '/', so the conversion matters.
    let invite = newInvite();
    while (!/[+/]/.test(invite.inviteId)) invite = newInvite();
    expect((await group.append(admin, [invite.action])).statusCode).toBe(200);
    expect(ROUTES.groupJoinInfo.path(group.id, invite.inviteId).split('/').at(-1)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect((await group.joinInfo(invite.inviteId, invite.password)).statusCode).toBe(200);
    const bad = await relay.app.inject({ method: 'GET', url: `/v1/groups/${group.id}/join/short`, headers: { [GROUP_HEADERS.invitePassword]: invite.password } });
    expect(bad.statusCode).toBe(400);
  });
});

describe('versions and the log', () => {
  test('a stale version is 409 GROUP_CONFLICT with the current version, and nothing is stored', async () => {
    const { relay, admin, group } = await withGroup();
    expect((await group.append(admin, [{ type: 'setAttributes', attributes: blob() }])).statusCode).toBe(200);
    const attrsBefore = relay.ctx.storage.db.$client.prepare('SELECT attributes, version FROM groups').get();
    const rowsBefore = groupRows(relay);
    for (const version of [1, 3]) {
      const res = await group.append(admin, [{ type: 'setAttributes', attributes: blob() }, newInvite().action], { version });
      expect(res.statusCode).toBe(409);
      expect(ErrorBody.parse(res.json()).error).toMatchObject({ code: 'GROUP_CONFLICT', details: { currentVersion: 1 } });
    }
    expect(relay.ctx.storage.db.$client.prepare('SELECT attributes, version FROM groups').get()).toEqual(attrsBefore);
    expect(groupRows(relay)).toEqual(rowsBefore);
  });

  test('the version row is compare-and-set: a writer holding a stale version moves nothing', async () => {
    const { relay, group } = await withGroup();
    const repo = new GroupsRepository(relay.ctx.storage.db);
    expect(repo.bumpVersion(group.id, 1)).toBe(false);
    expect(repo.bumpVersion(group.id, 0)).toBe(true);
    expect(repo.bumpVersion(group.id, 0)).toBe(false);
    expect(repo.get(group.id)?.version).toBe(1);
  });

  test('incremental fetch from N with a limit serves the changes verbatim', async () => {
    const { relay, admin, group } = await withGroup();
    for (let i = 0; i < 6; i++) expect((await group.append(admin, [{ type: 'setAttributes', attributes: blob(32 + i) }])).statusCode).toBe(200);
    relay.clock.advance(90_000);
    const page = ChangesResponse.parse((await group.changes(admin, 2, { limit: 3 })).json());
    expect(page.currentVersion).toBe(6);
    expect(page.changes.map((c) => c.version)).toEqual([2, 3, 4]);
    for (const { receivedAt: _r, ...c } of page.changes) expect(hash(c)).toBe(hash(group.log[c.version]!));
    const rest = ChangesResponse.parse((await group.changes(admin, 5)).json());
    expect(rest.changes.map((c) => c.version)).toEqual([5, 6]);
    expect(ChangesResponse.parse((await group.changes(admin, 7)).json()).changes).toEqual([]);
    expect((await group.changes(admin, 0, { limit: 0 })).statusCode).toBe(400);
    expect((await group.changes(admin, 0, { limit: 1001 })).statusCode).toBe(400);
    const noFrom = await relay.app.inject({ method: 'GET', url: ROUTES.groupChanges.path(group.id), headers: group.headers(admin) });
    expect(noFrom.statusCode).toBe(400);
  });

  test('a change with 1000 actions fits in one request and is applied whole', async () => {
    const { relay, admin, group } = await withGroup();
    const actions = Array.from({ length: 1000 }, () => newInvite().action);
    const res = await group.append(admin, actions);
    expect(res.statusCode).toBe(200);
    expect(countRows(relay.ctx, 'group_invites')).toBe(1000);
    const tooMany = await group.append(admin, [...actions.slice(0, 1000).map(() => newInvite().action), newInvite().action]);
    expect(tooMany.statusCode).toBe(400);
  });
});
