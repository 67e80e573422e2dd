import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RelayProcess } from '../support/relay.js';
import { MemberHost } from '../../packages/agent/src/host.js';
import { profileFor } from '../../packages/agent/src/profile.js';
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
