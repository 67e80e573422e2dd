import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { GROUP_HEADERS } from '@aviso/protocol';
import {
  AvisoClient,
  GroupForkError,
  GroupRollbackError,
  GroupVerificationError,
  InviteCodeError,
  MemoryStore,
  parseInviteCode,
  RelayRequestError,
  type GroupEvent,
} from '../src/index.js';
import { encodeInviteCode } from '../src/groups/invite-code.js';
import { FakeGroupRelay } from './groups/fake-group-relay.js';

/** The SDK's group orchestration against an in-process relay that runs the shared rules and real zkgroup checks. */

const open: AvisoClient[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
});

async function client(relay: FakeGroupRelay): Promise<AvisoClient> {
  const store = new MemoryStore();
  store.commit({ account: relay.newAccount() });
  const c = await AvisoClient.open({ store, fetch: relay.fetch });
  open.push(c);
  return c;
}

function events(c: AvisoClient): GroupEvent[] {
  const seen: GroupEvent[] = [];
  c.on('group', (e) => seen.push(e));
  return seen;
}

const ids = async (g: { members(): Promise<Array<{ accountId: string }>> }) => (await g.members()).map((m) => m.accountId).sort();

async function groupOfThree() {
  const relay = new FakeGroupRelay();
  const [admin, bob, carol] = [await client(relay), await client(relay), await client(relay)];
  const group = await admin.createGroup({ title: 'Harbor City', displayName: 'Rosa' });
  const bobGroup = await bob.join(await group.createInvite({ expiresInSeconds: 600 }), { displayName: 'Bob' });
  const carolGroup = await carol.join(await group.createInvite({ expiresInSeconds: 600 }), { displayName: 'Carol' });
  await group.sync();
  await bobGroup.sync();
  return { relay, admin, bob, carol, group, bobGroup, carolGroup };
}

describe('groups through the SDK', () => {
  it('create, invite, join, approve, remove: every member sees the same verified group', async () => {
    const relay = new FakeGroupRelay();
    const [admin, bob, carol] = [await client(relay), await client(relay), await client(relay)];
    const adminEvents = events(admin);
    const bobEvents = events(bob);

    const group = await admin.createGroup({ title: 'Compton responders', description: 'nights', displayName: 'Rosa' });
    expect([group.title, group.description, group.role, group.status, group.version]).toEqual(['Compton responders', 'nights', 'admin', 'member', 0]);
    expect(adminEvents.map((e) => e.type)).toEqual(['group-created']);

    const code = await group.createInvite({ expiresInSeconds: 600 });
    expect(code.startsWith(`${relay.url}/join#`)).toBe(true);
    expect(parseInviteCode(code).registrationToken).toMatch(/^tok-/);
    const bobGroup = await bob.join(code, { displayName: 'Bob' });
    expect([bobGroup.id, bobGroup.title, bobGroup.status, bobGroup.role]).toEqual([group.id, 'Compton responders', 'member', 'member']);

    const gated = await group.createInvite({ requireApproval: true });
    const carolGroup = await carol.join(gated, { displayName: 'Carol' });
    expect(carolGroup.status).toBe('pending');
    await group.sync();
    expect((await group.pendingMembers()).map((p) => [p.accountId, p.displayName, p.invitedBy])).toEqual([[carol.accountId, 'Carol', admin.accountId]]);
    expect(adminEvents.filter((e) => e.type === 'join-requested').map((e) => e.accountId)).toEqual([carol.accountId]);
    await group.approve(carol.accountId);
    await carolGroup.sync();
    expect(carolGroup.status).toBe('member');

    const expected = [
      { accountId: admin.accountId, role: 'admin', displayName: 'Rosa', invitedBy: undefined },
      { accountId: bob.accountId, role: 'member', displayName: 'Bob', invitedBy: admin.accountId },
      { accountId: carol.accountId, role: 'member', displayName: 'Carol', invitedBy: admin.accountId },
    ].sort((a, b) => a.accountId.localeCompare(b.accountId));
    const view = async (g: typeof group) => (await g.members()).map(({ accountId, role, displayName, invitedBy }) => ({ accountId, role, displayName, invitedBy }));
    await bobGroup.sync();
    expect(await view(group)).toEqual(expected);
    expect(await view(bobGroup)).toEqual(expected);
    expect(await view(carolGroup)).toEqual(expected);
    expect(bobEvents.filter((e) => e.type === 'member-joined').map((e) => e.accountId)).toEqual([bob.accountId, carol.accountId]);

    await group.remove(bob.accountId);
    await bobGroup.sync();
    expect(bobGroup.status).toBe('removed');
    expect(bobEvents.some((e) => e.type === 'removed-from-group')).toBe(true);
    await group.setTitle('Compton (nights)');
    await carolGroup.sync();
    expect(carolGroup.title).toBe('Compton (nights)');
    // A removed member keeps only the group's id and status (docs/alerts.md "Removed members").
    expect(bobGroup.title).toBe('');
    expect(await ids(carolGroup)).toEqual([admin.accountId, carol.accountId].sort());

    const all = await carol.groups();
    expect(all.map((g) => g.id)).toEqual([group.id]);
    expect(all[0]).toBe(carolGroup);
  });

  it('group requests carry a presentation and never the account credentials', async () => {
    const { relay } = await groupOfThree();
    const groupRequests = relay.seen.filter((r) => r.path.startsWith('/v1/groups/'));
    expect(groupRequests.length).toBeGreaterThan(5);
    for (const r of groupRequests) {
      expect(r.headers.authorization).toBeUndefined();
      expect(r.headers[GROUP_HEADERS.presentation]).toBeTruthy();
    }
  });

  it('roles, invites, revocation with removal, and leaving', async () => {
    const { relay, admin, bob, carol, group, bobGroup, carolGroup } = await groupOfThree();
    await group.setRole(bob.accountId, 'admin');
    await bobGroup.sync();
    expect(bobGroup.role).toBe('admin');

    const code = await bobGroup.createInvite({ maxUses: 3 });
    const { inviteId } = parseInviteCode(code);
    await group.sync();
    expect((await group.invites()).find((i) => i.inviteId === inviteId)).toMatchObject({ issuer: bob.accountId, maxUses: 3, uses: 0, revoked: false, requireApproval: false, role: 'member' });

    const [dave, erin] = [await client(relay), await client(relay)];
    await dave.join(code, { displayName: 'Dave' });
    await erin.join(code, { displayName: 'Erin' });
    await group.sync();
    expect((await group.members()).find((m) => m.accountId === dave.accountId)?.invitedBy).toBe(bob.accountId);

    // The leaked invite: revoke it and remove everyone it admitted, in one change.
    const adminEvents = events(admin);
    await group.revokeInvite(Buffer.from(inviteId, 'base64').toString('base64url'), { removeMembers: true });
    expect(await ids(group)).toEqual([admin.accountId, bob.accountId, carol.accountId].sort());
    expect(adminEvents.map((e) => e.type).sort()).toEqual(['invite-revoked', 'member-removed', 'member-removed']);
    await expect((await client(relay)).join(code)).rejects.toMatchObject({ code: 'INVITE_INVALID' });

    await carolGroup.leave();
    expect(carolGroup.status).toBe('removed');
    await group.sync();
    expect(await ids(group)).toEqual([admin.accountId, bob.accountId].sort());
    // The last admin cannot leave members behind without an admin: the relay refuses with the shared rule.
    await bobGroup.sync();
    await group.setRole(bob.accountId, 'member');
    await expect(group.leave()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(bobGroup.remove(admin.accountId)).rejects.toBeInstanceOf(RelayRequestError);
  });

  it('retries once after GROUP_CONFLICT', async () => {
    const { relay, group, bobGroup } = await groupOfThree();
    relay.conflictOnce = true;
    await group.setTitle('after a conflict');
    await bobGroup.sync();
    expect(bobGroup.title).toBe('after a conflict');
  });

  it('creates codes without a registration token when the relay refuses to mint one', async () => {
    const relay = new FakeGroupRelay();
    relay.tokensForbidden = true;
    const group = await (await client(relay)).createGroup({ title: 't' });
    const code = await group.createInvite();
    expect(parseInviteCode(code).registrationToken).toBeUndefined();
    const unregistered = await AvisoClient.open({ fetch: relay.fetch });
    open.push(unregistered);
    await expect(unregistered.join(code)).rejects.toBeInstanceOf(InviteCodeError);
  });

  it('refuses codes for another relay or another trust root', async () => {
    const relay = new FakeGroupRelay();
    const group = await (await client(relay)).createGroup({ title: 't' });
    const code = parseInviteCode(await group.createInvite());
    const joiner = await client(relay);
    await expect(joiner.join(encodeInviteCode({ ...code, relayUrl: 'https://elsewhere.example' }))).rejects.toBeInstanceOf(InviteCodeError);
    await expect(joiner.join(encodeInviteCode({ ...code, trustRootSha256: randomBytes(32) }))).rejects.toBeInstanceOf(InviteCodeError);
    await expect(joiner.join(encodeInviteCode({ ...code, inviteSecret: randomBytes(32) }))).rejects.toMatchObject({ code: 'INVITE_INVALID' });
    expect(await joiner.groups()).toEqual([]);
    // The bare form works as well as the link.
    expect((await joiner.join(encodeInviteCode(code, 'bare'))).id).toBe(group.id);
  });
});

describe('a dishonest relay', () => {
  it('a member it inserts is detected and never counted', async () => {
    const { relay, bobGroup, group } = await groupOfThree();
    const before = await ids(bobGroup);
    const version = bobGroup.version;
    const g = relay.groups.get(group.id)!;
    const realJoin = g.log.find((c) => c.actions[0]?.type === 'join')!;
    g.log.push({ ...realJoin, version: g.version + 1, actor: randomBytes(65).toString('base64'), proof: randomBytes(200).toString('base64') });
    const err = await bobGroup.sync().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GroupVerificationError);
    expect((err as Error).name).toBe('RelayMisbehaviourError');
    expect(err).toMatchObject({ groupId: group.id, version: version + 1, reason: 'actor-mismatch' });
    expect(bobGroup.version).toBe(version);
    expect(await ids(bobGroup)).toEqual(before);
  });

  it('reads sync first, and a read after a refused change shows the last verified state and reports the error', async () => {
    const { relay, admin, bob, group, bobGroup } = await groupOfThree();
    const dave = await client(relay);
    await dave.join(await group.createInvite());
    expect(await ids(bobGroup)).toContain(dave.accountId); // no explicit sync
    const errors: Error[] = [];
    bob.on('error', (e) => errors.push(e));
    const g = relay.groups.get(group.id)!;
    g.log.push({ ...g.log.at(-1)!, version: g.version + 1 });
    const before = bobGroup.version;
    expect(await ids(bobGroup)).not.toHaveLength(0);
    expect(bobGroup.version).toBe(before);
    expect(errors[0]).toBeInstanceOf(GroupVerificationError);
    expect(admin.accountId).toBeTruthy();
  });

  it('a removed member replayed back in is detected', async () => {
    const { relay, bobGroup, group, carol } = await groupOfThree();
    const g = relay.groups.get(group.id)!;
    const carolJoin = g.log.filter((c) => c.actions[0]?.type === 'join').at(-1)!;
    await group.remove(carol.accountId);
    await bobGroup.sync();
    g.log.push({ ...carolJoin, version: g.version + 1 });
    await expect(bobGroup.sync()).rejects.toBeInstanceOf(GroupVerificationError);
    expect(await ids(bobGroup)).not.toContain(carol.accountId);
  });

  it('rolling back to an older version is detected', async () => {
    const { relay, group, bobGroup } = await groupOfThree();
    await group.setTitle('updated');
    await bobGroup.sync();
    const version = bobGroup.version;
    relay.groups.get(group.id)!.log.pop();
    const err = await bobGroup.sync().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GroupRollbackError);
    expect(err).toMatchObject({ groupId: group.id, localVersion: version, relayVersion: version - 1 });
    expect([bobGroup.title, bobGroup.version]).toEqual(['updated', version]);
  });

  it('two members served two different histories each detect the fork', async () => {
    const { relay, bob, group, bobGroup } = await groupOfThree();
    await group.setRole(bob.accountId, 'admin');
    await bobGroup.sync();
    const fork = relay.snapshot(group.id);
    await group.setTitle('History A');
    const historyA = relay.snapshot(group.id);
    relay.restore(group.id, fork);
    await bobGroup.setTitle('History B');
    const err = await group.sync().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GroupForkError);
    expect(err).toMatchObject({ groupId: group.id, version: fork.version + 1 });
    expect(group.title).toBe('History A');
    relay.restore(group.id, historyA);
    await expect(bobGroup.sync()).rejects.toBeInstanceOf(GroupForkError);
    expect(bobGroup.title).toBe('History B');
  });

  it('a relay that withholds the change at our head is refused', async () => {
    const { relay, group, bobGroup } = await groupOfThree();
    const g = relay.groups.get(group.id)!;
    const head = g.log.pop()!;
    g.log.push({ ...head, version: head.version + 5 }); // claims a later version, skips ours
    await expect(bobGroup.sync()).rejects.toBeInstanceOf(GroupVerificationError);
  });
});
