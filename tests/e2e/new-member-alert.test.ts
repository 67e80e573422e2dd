/**
 * A raid starts and people join through the invite: the next alert must reach someone who joined a
 * second before it was sent, without waiting for the sender's 30-second poll of the group log
 * (docs/alerts.md, "Reaching new members at once"). Real relay process, real SDK clients.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { AvisoClient, Group } from '@aviso/client';
import { ClientPool, nextEvent } from '../support/clients.js';
import { RelayProcess } from '../support/relay.js';

let relay: RelayProcess;
const pool = new ClientPool();
let rosa: AvisoClient;
let group: Group;

beforeAll(async () => {
  relay = await RelayProcess.start();
  rosa = await pool.registered(relay, 'rosa');
  group = await rosa.createGroup({ title: 'Red de Compton', displayName: 'Rosa' });
  await rosa.connect(); // the default poll interval: the sender is not told of the join
  await group.sendAlert({ kind: 'other', severity: 'info', title: 'prueba', requestAck: false }); // sender key in use already
});

afterAll(async () => {
  await pool.dispose();
  await relay?.dispose();
});

test('a member who joined one second before an alert receives it', async () => {
  const invite = await group.createInvite({ expiresInSeconds: 3600, maxUses: 1, requireApproval: false });
  const lupe = await pool.registered(relay, 'lupe');
  await lupe.join(invite, { displayName: 'Lupe' });
  await lupe.connect();
  await new Promise((r) => setTimeout(r, 1000));
  const received = nextEvent(lupe, 'alert', (a) => a.title === 'Agentes en el lavado de autos', 15_000);
  await group.sendAlert({ kind: 'raid', severity: 'critical', title: 'Agentes en el lavado de autos', place: 'Rosecrans y Alameda', requestAck: true });
  const alert = await received;
  expect(alert.from).toBe(rosa.accountId);
  expect(alert.groupId).toBe(group.id);
});
