import { afterEach, describe, expect, it } from 'vitest';
import { AvisoClient, GroupForkError, GroupVerificationError, MemoryStore, type Alert, type Group, type RejectedEnvelope } from '../src/index.js';
import { FakeAlertRelay } from './groups/fake-alert-relay.js';
import { Party } from './helpers.js';

/** Group alerts through the SDK: real libsignal and zkgroup everywhere, an in-process relay, real WebSocket delivery. */

const relays: FakeAlertRelay[] = [];
const open: AvisoClient[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
  for (const r of relays.splice(0)) await r.close();
});

interface Member {
  client: AvisoClient;
  store: MemoryStore;
  events: Array<{ type: string; payload: Record<string, unknown>; group: Group | undefined }>;
  rejected: RejectedEnvelope[];
  errors: Error[];
}

async function member(relay: FakeAlertRelay): Promise<Member> {
  const store = new MemoryStore();
  const account = relay.newAccount();
  store.commit({ account });
  const party = new Party(store);
  relay.addDevice(account.accountId, party.bundle());
  const client = await AvisoClient.open({ store, fetch: relay.fetch, groupSyncIntervalMs: 0 });
  open.push(client);
  const m: Member = { client, store, events: [], rejected: [], errors: [] };
  for (const type of ['alert', 'ack', 'confirm', 'dispute', 'retract', 'all-clear', 'text'] as const) {
    client.on(type, (payload, group) => m.events.push({ type, payload: payload as unknown as Record<string, unknown>, group }));
  }
  client.on('rejected', (r) => m.rejected.push(r));
  client.on('error', (e) => m.errors.push(e));
  return m;
}

async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function groupOf(n: number, opts: { connect?: boolean } = {}) {
  const relay = await FakeAlertRelay.start();
  relays.push(relay);
  const admin = await member(relay);
  const group = await admin.client.createGroup({ title: 'Compton responders', displayName: 'Rosa' });
  const members: Array<Member & { group: Group }> = [];
  for (let i = 0; i < n; i++) {
    const m = await member(relay);
    members.push({ ...m, group: await m.client.join(await group.createInvite({ expiresInSeconds: 600 }), { displayName: `m${i}` }) });
  }
  await group.sync();
  for (const m of members) await m.group.sync();
  if (opts.connect ?? true) {
    await admin.client.connect();
    for (const m of members) await m.client.connect();
  }
  return { relay, admin, group, members };
}

const of = (m: Member, type: string) => m.events.filter((e) => e.type === type);

describe('group alerts through the SDK', () => {
  it('one anonymous upload reaches every member; acks, verdicts, retract and text come back; roll call takes the latest ack', async () => {
    const { relay, admin, group, members } = await groupOf(3);
    const [bob, carol, dave] = members as [Member & { group: Group }, Member & { group: Group }, Member & { group: Group }];
    const id = await group.sendAlert({ kind: 'raid', severity: 'critical', title: 'Agents at the car wash', body: 'two vans', place: { text: '5th and Main', lat: 33.89612, lon: -118.22017 }, requestAck: true });
    await until(() => members.every((m) => of(m, 'alert').length === 1), 'the alert everywhere');

    // The upload: raw SSv2 bytes, a group send token, and no account credentials.
    expect(relay.uploads).toHaveLength(1);
    expect(relay.uploads[0]!.authorization).toBeUndefined();
    expect(relay.uploads[0]!.token).toBeDefined();
    expect(relay.bundleFetches.filter((f) => f.auth === 'basic')).toEqual([]);

    const got = of(bob, 'alert')[0]!;
    expect(got.group?.id).toBe(group.id);
    expect(got.payload).toMatchObject({ id, from: admin.client.accountId, kind: 'raid', severity: 'critical', title: 'Agents at the car wash', place: { text: '5th and Main', lat: 33.9, lon: -118.22 }, requestAck: true, groupId: group.id });
    const lifetime = (got.payload as unknown as Alert).expiresAt - (got.payload as unknown as Alert).observedAt;
    expect(lifetime).toBeGreaterThan(4 * 3600_000 - 1000); // the default, 4 h
    expect(lifetime).toBeLessThanOrEqual(4 * 3600_000);

    await bob.group.acknowledge(id, 'on-my-way');
    await carol.group.confirm(id, 'saw them too');
    await dave.group.dispute(id, 'nothing here');
    await bob.group.acknowledge(id, 'on-scene');
    await dave.group.acknowledge(id, 'cannot');
    await until(() => of(admin, 'ack').length === 3 && of(admin, 'confirm').length === 1 && of(admin, 'dispute').length === 1, 'answers at the admin');
    expect(of(admin, 'confirm')[0]!.payload).toMatchObject({ alertId: id, from: carol.client.accountId, note: 'saw them too' });
    const roll = await group.rollCall(id);
    expect(roll).toEqual({ seen: [], onMyWay: [], onScene: [bob.client.accountId], cannot: [dave.client.accountId], confirmed: [carol.client.accountId], disputed: [dave.client.accountId] });

    // Someone else's alert cannot be retracted by a plain member; the sender's retract marks it.
    await carol.group.retract(id, 'not mine to retract');
    await until(() => bob.rejected.some((r) => r.reason === 'not-allowed'), 'the refused retract');
    expect(of(bob, 'retract')).toEqual([]);
    await group.retract(id, 'a delivery company');
    await until(() => of(bob, 'retract').length === 1, 'the retract');
    expect((await bob.group.alerts()).find((a) => a.id === id)).toMatchObject({ retracted: true, reason: 'a delivery company' });
    expect((await group.alerts()).find((a) => a.id === id)).toMatchObject({ retracted: true });

    await dave.group.sendText('heading home');
    await until(() => of(bob, 'text').length === 1 && of(admin, 'text').length === 1, 'the text');
    expect(of(bob, 'text')[0]!.payload).toMatchObject({ text: 'heading home', from: dave.client.accountId });
    expect(of(dave, 'text')).toEqual([]); // our own messages are not echoed

    // A second copy of a delivered envelope (at-least-once delivery) shows nothing twice.
    const bobAlerts = of(bob, 'alert').length;
    relay.enqueue(bob.client.accountId, lastDelivered(relay, bob));
    await until(() => bob.rejected.some((r) => r.reason === 'duplicate'), 'the duplicate');
    expect(of(bob, 'alert').length).toBe(bobAlerts);
  });

  it('a later send reuses sessions and the sender key: no prekey fetch, no SKDM, no sender key rewrite, one upload', async () => {
    const { relay, admin, group, members } = await groupOf(3);
    await group.sendAlert({ kind: 'raid', severity: 'critical', title: 'first', requestAck: false });
    await until(() => members.every((m) => of(m, 'alert').length === 1), 'the first alert everywhere');
    const fetches = relay.bundleFetches.length;
    const directs = relay.seen.filter((r) => r.method === 'PUT' && r.path.startsWith('/v1/messages/') && !r.path.endsWith('multi_recipient')).length;
    const info = admin.store.getSenderKeyInfo(group.id)!;
    expect(info.devices).toHaveLength(3);
    const commits: Array<Parameters<MemoryStore['commit']>[0]> = [];
    const commit = admin.store.commit.bind(admin.store);
    admin.store.commit = (c) => {
      commits.push(c);
      commit(c);
    };

    await group.sendAlert({ kind: 'raid', severity: 'critical', title: 'second', requestAck: false });
    await until(() => members.every((m) => of(m, 'alert').length === 2), 'the second alert everywhere');
    expect(members.map((m) => of(m, 'alert')[1]!.payload.title)).toEqual(['second', 'second', 'second']);
    expect(relay.bundleFetches.length).toBe(fetches);
    expect(relay.seen.filter((r) => r.method === 'PUT' && r.path.startsWith('/v1/messages/') && !r.path.endsWith('multi_recipient')).length).toBe(directs);
    expect(relay.uploads).toHaveLength(2);
    expect(commits.some((c) => c.senderKeyInfos !== undefined)).toBe(false);
    expect(admin.store.getSenderKeyInfo(group.id)).toEqual(info);
  });

  it('after a removal the next send resets the sender key; the removed member cannot read a copied envelope', async () => {
    const { relay, admin, group, members } = await groupOf(2);
    const [bob, carol] = members as [Member & { group: Group }, Member & { group: Group }];
    await group.sendAlert({ kind: 'sighting', severity: 'info', title: 'before', requestAck: false });
    await until(() => of(carol, 'alert').length === 1 && of(bob, 'alert').length === 1, 'the first alert');
    const before = admin.store.getSenderKeyInfo(group.id)!;
    expect(before.devices.map((d) => d.accountId).sort()).toEqual([bob.client.accountId, carol.client.accountId].sort());

    await group.remove(carol.client.accountId);
    await carol.client.close();
    await group.sendAlert({ kind: 'raid', severity: 'critical', title: 'after', requestAck: false });
    await until(() => of(bob, 'alert').length === 2, 'the second alert at bob');
    const after = admin.store.getSenderKeyInfo(group.id)!;
    expect(after.distributionId).not.toBe(before.distributionId);
    expect(after.devices.map((d) => d.accountId)).toEqual([bob.client.accountId]);
    // The old key is gone from the sender's store.
    expect(admin.store.getSenderKey(`${admin.client.accountId}.1`, before.distributionId)).toBeUndefined();

    // The relay copies bob's envelope into carol's queue: she cannot open it.
    const reopened = await AvisoClient.open({ store: carol.store, fetch: relay.fetch, groupSyncIntervalMs: 0 });
    open.push(reopened);
    const rejected: RejectedEnvelope[] = [];
    const alerts: unknown[] = [];
    reopened.on('rejected', (r) => rejected.push(r));
    reopened.on('alert', (a) => alerts.push(a));
    relay.queues.set(carol.client.accountId, []);
    relay.enqueue(carol.client.accountId, lastDelivered(relay, bob));
    await reopened.connect();
    await until(() => rejected.length === 1, 'the copied envelope refused');
    expect(rejected[0]!.reason).toBe('decrypt-failed');
    expect(alerts).toEqual([]);
  });

  it('an announcement-only group drops member alerts but not admin ones', async () => {
    const { admin, group, members } = await groupOf(2);
    const [bob, carol] = members as [Member & { group: Group }, Member & { group: Group }];
    await group.setAnnouncementsOnly(true);
    expect(group.announcementsOnly).toBe(true);
    await bob.group.sync();
    await carol.group.sync();
    expect(carol.group.announcementsOnly).toBe(true);
    await bob.group.sendAlert({ kind: 'other', severity: 'urgent', title: 'member shout', requestAck: false });
    await group.sendAlert({ kind: 'patrol', severity: 'info', title: 'admin notice', requestAck: false });
    await until(() => of(carol, 'alert').length === 1 && carol.rejected.some((r) => r.reason === 'not-allowed'), 'the admin alert and the refusal');
    expect(of(carol, 'alert')[0]!.payload).toMatchObject({ title: 'admin notice' });
    await until(() => admin.rejected.some((r) => r.reason === 'not-allowed'), 'the admin refusing too');
    expect(of(admin, 'alert')).toEqual([]);
    // Only an admin may change it.
    await expect(bob.group.setAnnouncementsOnly(false)).rejects.toThrow();
  });

  it('a member that missed the sender key asks for a resend and gets the message once', async () => {
    const { relay, group, members } = await groupOf(1, { connect: false });
    const [bob] = members as [Member & { group: Group }];
    const adminClient = open[0]!;
    await adminClient.connect();
    await group.sendAlert({ kind: 'raid', severity: 'urgent', title: 'lost key', requestAck: false });
    // A lossy relay drops the SKDM (the first envelope in bob's queue).
    const q = relay.queues.get(bob.client.accountId)!;
    expect(q).toHaveLength(2);
    relay.queues.set(bob.client.accountId, q.slice(1));
    await bob.client.connect();
    await until(() => of(bob, 'alert').length === 1, 'the resent alert');
    expect(bob.rejected.map((r) => r.reason)).toContain('no-sender-key');
    expect(of(bob, 'alert')[0]!.payload).toMatchObject({ title: 'lost key' });
    // Later group messages decrypt under the redistributed key.
    await group.sendText('next');
    await until(() => of(bob, 'text').length === 1, 'the next message');
    await new Promise((r) => setTimeout(r, 100));
    expect(of(bob, 'alert')).toHaveLength(1);
  });

  it('an SKDM from someone the verified group no longer lists is dropped as not-a-member (docs/protocol.md "End-to-end content")', async () => {
    const { relay, group, members } = await groupOf(2, { connect: false });
    const [bob, mallory] = members as [Member & { group: Group }, Member & { group: Group }];
    await mallory.client.connect();
    await mallory.group.sendText('hello');
    // The relay holds mallory's SKDM and text for bob until after her removal, which bob has verified.
    const held = relay.queues.get(bob.client.accountId)!;
    expect(held).toHaveLength(2);
    relay.queues.set(bob.client.accountId, []);
    await group.remove(mallory.client.accountId);
    await bob.group.sync();
    relay.queues.set(bob.client.accountId, held);
    await bob.client.connect();
    await until(() => bob.rejected.some((r) => r.reason === 'not-a-member' && /sender key/.test(r.error.message)), 'the refused SKDM');
    await until(() => bob.rejected.length === 2, 'the text refused too');
    expect(of(bob, 'text')).toEqual([]);
  });

  it('a message naming our version with another head hash is a fork; a newer version makes the receiver sync first', async () => {
    const { relay, admin, group, members } = await groupOf(1);
    const [bob] = members as [Member & { group: Group }];
    // A late joiner whom bob has not synced yet: her SKDM and text make bob catch up.
    const carol = await member(relay);
    const carolGroup = await carol.client.join(await group.createInvite({ expiresInSeconds: 600 }));
    await carol.client.connect();
    await carolGroup.sendText('new here');
    await until(() => of(bob, 'text').length === 1, 'the newcomer text');
    expect(bob.group.version).toBe(carolGroup.version);

    const rec = bob.store.getGroup(group.id)!;
    bob.store.commit({ groups: [{ ...rec, state: { ...rec.state, headHash: Buffer.alloc(32, 7).toString('base64') } }] });
    await group.sync();
    await group.sendText('which history?');
    await until(() => bob.rejected.some((r) => r.reason === 'group-fork'), 'the fork');
    expect(bob.errors.some((e) => e instanceof GroupForkError)).toBe(true);
    expect(of(bob, 'text')).toHaveLength(1);
    void admin;
  });

  it('refuses endorsements issued for another member list', async () => {
    const { relay, group } = await groupOf(1);
    relay.endorsementMembers = (m) => m.slice(0, 1);
    const err = await group.sendAlert({ kind: 'other', severity: 'info', title: 'x', requestAck: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GroupVerificationError);
    expect((err as GroupVerificationError).reason).toBe('endorsement-members');
    expect(relay.uploads).toEqual([]);
  });

  it('falls back to account credentials for prekey fetches when the relay refuses the token', async () => {
    const { relay, group, members } = await groupOf(1, { connect: false });
    relay.refuseTokenKeyFetch = true;
    await group.sendAlert({ kind: 'other', severity: 'info', title: 'x', requestAck: false });
    expect(relay.bundleFetches.map((f) => f.auth)).toEqual(['basic']);
    await members[0]!.client.connect();
    await until(() => of(members[0]!, 'alert').length === 1, 'the alert');
  });

  it('a group with only us stores the alert and sends nothing; an expired alert moves to history, kept for the retention', async () => {
    const relay = await FakeAlertRelay.start();
    relays.push(relay);
    const admin = await member(relay);
    const group = await admin.client.createGroup({ title: 'just me' });
    const id = await group.sendAlert({ kind: 'other', severity: 'info', title: 'note to self', expiresInSeconds: 1, requestAck: false });
    expect(relay.uploads).toEqual([]);
    expect((await group.alerts()).map((a) => a.id)).toEqual([id]);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await group.alerts()).toEqual([]);
    expect((await group.history()).map((a) => a.id)).toEqual([id]);
    expect(admin.store.getAlert(group.id, id)).toBeDefined();
  });
});

/** The last envelope the relay delivered to (and still remembers for) a member, from its upload log. */
function lastDelivered(relay: FakeAlertRelay, m: Member): Uint8Array {
  const SSMRM = relay.uploadsFor(m.client.accountId);
  const last = SSMRM.at(-1);
  if (!last) throw new Error('nothing uploaded for that member');
  return last;
}
