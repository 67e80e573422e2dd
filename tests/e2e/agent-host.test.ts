import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AvisoClient } from '@aviso/client';
import { RelayProcess } from '../support/relay.js';
import { MemberHost } from '../../packages/agent/src/host.js';
import { profileFor } from '../../packages/agent/src/profile.js';
import { LiveFeed, type FeedEvent, type FeedProblem } from '../../packages/agent/src/live/feed.js';
import { connectAndDrain } from '../../packages/agent/src/session.js';
import { ackCounts, alertJson, groupJson, groupPeople, memberJson } from '../../packages/agent/src/views/index.js';

let relay: RelayProcess;
let home: string;

beforeAll(async () => {
  relay = await RelayProcess.start();
  home = mkdtempSync(join(tmpdir(), 'aviso-agent-'));
});
afterAll(async () => {
  await relay?.dispose();
  rmSync(home, { recursive: true, force: true });
});

describe('a member host on a real relay', () => {
  it('connects a profile, and its views show a real group, member and alert', async () => {
    const host = new MemberHost({ command: 'test' });
    const profile = profileFor('rosa', { AVISO_HOME: home });
    try {
      const client = await host.client(profile);
      await client.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
      await connectAndDrain(await host.client(profile), { timeoutSeconds: 30 });

      const group = await client.createGroup({ title: 'Eastside', displayName: 'Rosa' });
      expect(await groupJson(group)).toEqual({ type: 'group', id: group.id, title: 'Eastside', status: 'member', role: 'admin', members: 1 });
      const people = await groupPeople(group);
      expect(memberJson(group.id, people.get(client.accountId)!, true)).toEqual({
        type: 'member',
        groupId: group.id,
        accountId: client.accountId,
        displayName: 'Rosa',
        role: 'admin',
        invitedBy: undefined,
        you: true,
        confusableWith: [],
      });

      const id = await group.sendAlert({ kind: 'checkpoint', severity: 'urgent', title: 'Checkpoint', place: 'Main St 4', body: 'second floor', requestAck: true });
      await group.acknowledge(id, 'seen');
      const [alert] = await group.alerts();
      expect(alert?.id).toBe(id);
      const json = alertJson(alert!, { group: group.title, from: people.get(alert!.from)?.displayName }, ackCounts(await group.rollCall(id)));
      expect(json).toMatchObject({
        id,
        groupId: group.id,
        group: 'Eastside',
        from: client.accountId,
        fromName: 'Rosa',
        kind: 'checkpoint',
        severity: 'urgent',
        title: 'Checkpoint',
        body: 'second floor',
        place: 'Main St 4',
        requestAck: true,
        retracted: false,
        allClear: false,
        acks: { seen: 1, onMyWay: 0, onScene: 0, cannot: 0, confirmed: 0, disputed: 0 },
      });
      expect(json['expiresAt']).toBeGreaterThan(json['sentAt'] as number);
    } finally {
      await host.closeAll();
    }
    expect(host.holds(profile)).toBe(false);
  });

  it("a live feed shows a member's stored alerts first, then answers in order with counts and names, and nothing after close", async () => {
    const rosaHost = new MemberHost({ command: 'test' });
    const luisHost = new MemberHost({ command: 'test', live: true });
    try {
      const rosa = await rosaHost.client(profileFor('feed-rosa', { AVISO_HOME: home }));
      await rosa.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
      await connectAndDrain(rosa, { timeoutSeconds: 30 });
      const rosaGroup = await rosa.createGroup({ title: 'Pico-Union', displayName: 'Rosa' });
      const code = await rosaGroup.createInvite({ expiresInSeconds: 3600, maxUses: 1, requireApproval: false });
      const luis = await luisHost.client(profileFor('feed-luis', { AVISO_HOME: home }));
      await luis.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
      const luisGroup = await luis.join(code, { displayName: 'Luis' });
      await rosaGroup.sync();
      await connectAndDrain(luis, { timeoutSeconds: 30 });

      // An alert that reached Luis before the feed started: the feed shows it first.
      const before = new Promise((resolve) => luis.once('alert', resolve));
      const first = await rosaGroup.sendAlert({ kind: 'raid', severity: 'critical', title: 'Car wash on Alvarado', requestAck: true });
      await before;

      const events: FeedEvent[] = [];
      const problems: FeedProblem[] = [];
      const feed = new LiveFeed(luis, {
        describe: (p) => (problems.push(p), { code: p.kind, message: p.kind }),
        onFatal: (err) => problems.push({ kind: 'error', error: err }),
      });
      feed.on((e) => events.push(e));
      await feed.watch([luisGroup]);
      await feed.watch([luisGroup]); // again, as after a join: the client is still listened to once
      await feed.ready({ profile: 'feed-luis' });
      expect(events.map((e) => e.type)).toEqual(['alert', 'ready']);
      expect(events[0]).toMatchObject({ id: first, fromName: 'Rosa', severity: 'critical', acks: { seen: 0 } });
      expect(feed.people(luisGroup.id)?.get(rosa.accountId)?.role).toBe('admin');

      await rosaGroup.acknowledge(first, 'on-my-way');
      await rosaGroup.sendText('legal observers on the way');
      const deadline = Date.now() + 20_000;
      while (events.filter((e) => e.type === 'ack' || e.type === 'text').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const live = events.slice(2);
      expect(live.map((e) => e.type)).toEqual(['ack', 'text']);
      expect(live[0]).toMatchObject({ alertId: first, status: 'on-my-way', from: rosa.accountId, fromName: 'Rosa', groupId: luisGroup.id, acks: { onMyWay: 1 } });
      expect(live[1]).toMatchObject({ text: 'legal observers on the way', fromName: 'Rosa', group: 'Pico-Union' });

      await feed.close();
      expect(events.at(-1)?.type).toBe('closed');
      const count = events.length;
      await rosaGroup.sendText('after close');
      await new Promise((r) => setTimeout(r, 1000));
      expect(events.length).toBe(count);
      expect(problems).toEqual([]);
    } finally {
      await rosaHost.closeAll();
      await luisHost.closeAll();
    }
  });

  it('a long offline drain is told as catching-up, ending after the alerts it brought', async () => {
    const rosa = await AvisoClient.open({ dataDir: join(home, 'drain-rosa') });
    // Progress after every run of envelopes (50), so a drain of 55 alerts (the relay lets a sender burst 60) reports on the way.
    const ana = await AvisoClient.open({ dataDir: join(home, 'drain-ana'), drainProgressMs: 0, groupSyncIntervalMs: 0 });
    try {
      await rosa.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
      const group = await rosa.createGroup({ title: 'Westlake', displayName: 'Rosa' });
      await ana.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
      const anaGroup = await ana.join(await group.createInvite({ expiresInSeconds: 3600, maxUses: 1, requireApproval: false }), { displayName: 'Ana' });
      await group.sync();
      for (let i = 0; i < 55; i++) await group.sendAlert({ kind: 'other', severity: 'info', title: `report ${i}`, requestAck: false });

      const events: FeedEvent[] = [];
      const feed = new LiveFeed(ana, { describe: (p) => ({ code: p.kind, message: p.kind }), onFatal: () => undefined });
      feed.on((e) => events.push(e));
      await feed.watch([anaGroup]);
      await connectAndDrain(ana, { timeoutSeconds: 60 });
      await feed.settled();
      const progress = events.filter((e) => e.type === 'catching-up');
      expect(progress.length).toBeGreaterThanOrEqual(2);
      expect(progress.slice(0, -1).every((e) => e['complete'] === false)).toBe(true);
      expect(progress.at(-1)).toMatchObject({ complete: true });
      expect(progress.at(-1)!['done']).toBeGreaterThanOrEqual(55);
      // "Caught up" comes after every alert the drain surfaced, never before one of them.
      const last = events.indexOf(progress.at(-1)!);
      expect(events.slice(0, last).filter((e) => e.type === 'alert')).toHaveLength(55);
      await feed.close();
    } finally {
      await ana.close();
      await rosa.close();
    }
  });

  it('says the relay is down instead of waiting on it', async () => {
    const host = new MemberHost({ command: 'test' });
    const profile = profileFor('ana', { AVISO_HOME: home });
    try {
      const client = await host.client(profile);
      await client.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
      await relay.stop();
      await expect(connectAndDrain(client)).rejects.toMatchObject({ code: 'RELAY_DOWN', message: `cannot reach the relay at ${relay.url} — is it running and is the address right? try again later` });
    } finally {
      await host.closeAll();
      await relay.start();
    }
  });
});
