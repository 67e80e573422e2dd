/**
 * Keys ahead of time (docs/alerts.md, "Reaching new members at once"): a member who has sent to the
 * group gives its sender key to someone who joins as soon as it learns of the join, so its next alert
 * is one upload, with no sessions or SKDMs on the alert's path. Real relay process, real SDK clients.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { AvisoClient, Group } from '@aviso/client';
import { ClientPool, nextEvent } from '../support/clients.js';
import { RelayProcess } from '../support/relay.js';

let relay: RelayProcess;
const pool = new ClientPool();
let rosa: AvisoClient;
let group: Group;
/** Rosa's requests, as method and path. */
const requests: string[] = [];

const recordingFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  requests.push(`${init?.method ?? 'GET'} ${url.pathname}`);
  return fetch(input, init);
};

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  relay = await RelayProcess.start();
  rosa = await pool.open(pool.newDataDir('rosa'), { fetch: recordingFetch, groupSyncIntervalMs: 300 });
  await rosa.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
  group = await rosa.createGroup({ title: 'Red de Compton', displayName: 'Rosa' });
  const bob = await pool.registered(relay, 'bob');
  await bob.join(await group.createInvite({ expiresInSeconds: 3600, maxUses: 1, requireApproval: false }), { displayName: 'Bob' });
  await rosa.connect();
  await group.sync();
  await group.sendAlert({ kind: 'other', severity: 'info', title: 'prueba', requestAck: false }); // Rosa sends to this group
});

afterAll(async () => {
  await pool.dispose();
  await relay?.dispose();
});

test('a sender gives its key to a new member when it learns of the join, and its next alert is one upload', async () => {
  const invite = await group.createInvite({ expiresInSeconds: 3600, maxUses: 1, requireApproval: false });
  const lupe = await pool.registered(relay, 'lupe');
  await lupe.join(invite, { displayName: 'Lupe' });
  await lupe.connect();
  // Rosa's poll sees the join; without sending anything she starts a session with Lupe and sends her SKDM.
  await until(() => requests.includes(`PUT /v1/messages/${lupe.accountId}`), "Rosa's SKDM to Lupe");
  expect(requests.some((r) => r.startsWith(`GET /v1/keys/${lupe.accountId}`))).toBe(true);

  requests.length = 0;
  const received = nextEvent(lupe, 'alert', (a) => a.title === 'Agentes en Rosecrans', 15_000);
  await group.sendAlert({ kind: 'raid', severity: 'critical', title: 'Agentes en Rosecrans', place: 'Rosecrans y Alameda', requestAck: true });
  await received;
  const during = requests.filter((r) => !r.startsWith('GET /v1/groups/')); // the log sync before the alert, and polls
  expect(during).toEqual(['PUT /v1/messages/multi_recipient']);
});
