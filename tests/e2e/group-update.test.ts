/**
 * Members learn of group changes by push, not by polling (docs/alerts.md, "Reaching new members at
 * once"): the member who makes a change tells the group (a joiner, which holds no sender key yet,
 * tells an admin 1:1, and the admin tells the group), and the others sync to it at once. Everyone's
 * poll is an hour, so anything they learn within the test came from a member's message. Real relay
 * process, real SDK clients.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { encodeContent, type Content } from '@aviso/protocol';
import type { AvisoClient, Group } from '@aviso/client';
import { ClientPool, nextEvent } from '../support/clients.js';
import { RelayProcess } from '../support/relay.js';

const HOUR = 3_600_000;
let relay: RelayProcess;
const pool = new ClientPool();
let rosa: AvisoClient;
let bob: AvisoClient;
let group: Group;

async function member(name: string): Promise<AvisoClient> {
  const client = await pool.open(pool.newDataDir(name), { groupSyncIntervalMs: HOUR });
  await client.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
  return client;
}

beforeAll(async () => {
  relay = await RelayProcess.start();
  rosa = await member('rosa');
  group = await rosa.createGroup({ title: 'Red de Compton', displayName: 'Rosa' });
  bob = await member('bob');
  await bob.join(await group.createInvite({ expiresInSeconds: 3600, maxUses: 1, requireApproval: false }), { displayName: 'Bob' });
  await Promise.all([rosa.connect(), bob.connect()]);
  // Rosa organises: she has sent to the group, so she holds a sender key for it and passes updates on.
  await group.sendAlert({ kind: 'other', severity: 'info', title: 'prueba', requestAck: false });
});

afterAll(async () => {
  await pool.dispose();
  await relay?.dispose();
});

test('a member who never sends learns of a join at once: the joiner tells an admin, who tells the group', async () => {
  const lupe = await member('lupe');
  const invite = await group.createInvite({ expiresInSeconds: 3600, maxUses: 1, requireApproval: false });
  const heard = nextEvent(bob, 'group', (e) => e.type === 'member-joined' && e.accountId === lupe.accountId, 20_000);
  await lupe.join(invite, { displayName: 'Lupe' });
  await lupe.connect();
  const event = await heard;
  expect(event.actor).toBe(lupe.accountId);
  expect((await bob.group(group.id)!.members()).map((m) => m.accountId)).toContain(lupe.accountId);
});

test('an admin removing someone tells the group: the others stop counting them at once', async () => {
  const members = (await bob.group(group.id)!.members()).map((m) => m.accountId);
  const lupe = members.find((a) => a !== rosa.accountId && a !== bob.accountId)!;
  const heard = nextEvent(bob, 'group', (e) => e.type === 'member-removed' && e.accountId === lupe, 20_000);
  await group.remove(lupe);
  const event = await heard;
  expect(event.actor).toBe(rosa.accountId);
  expect((await bob.group(group.id)!.members()).map((m) => m.accountId)).not.toContain(lupe);
});

test('a group update is padded like an acknowledgement: the relay cannot tell the two apart', () => {
  const scoped = { groupId: 'a'.repeat(64), groupVersion: 123_456, groupHeadHash: Buffer.alloc(32, 7).toString('base64') };
  const update: Content = { v: 1, sentAt: Date.now(), body: { type: 'group-update', ...scoped } };
  const ack: Content = { v: 1, sentAt: Date.now(), body: { type: 'ack', ...scoped, alertId: crypto.randomUUID(), status: 'on-my-way' } };
  expect(encodeContent(update).length).toBe(encodeContent(ack).length);
});
