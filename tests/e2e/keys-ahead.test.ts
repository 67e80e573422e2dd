/**
 * Keys ahead of time (docs/alerts.md, "Reaching new members at once"): a member who has sent to the
 * group gives its sender key to someone who joins as soon as it learns of the join, so its next alert
 * is one upload, with no sessions or SKDMs on the alert's path; and a first send fetches the members'
 * prekeys in one batched request. Real relay process, real SDK clients.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { AvisoClient, Group } from '@aviso/client';
import { ClientPool, nextEvent } from '../support/clients.js';
import { RelayProcess } from '../support/relay.js';

let relay: RelayProcess;
const pool = new ClientPool();
let rosa: AvisoClient;
let group: Group;
let lupe: AvisoClient;
/** Rosa's requests, as method and path. */
const requests: string[] = [];

/** The batched 1:1 sends' bodies Rosa posted (whom each went to). */
const batchBodies: string[] = [];

/** A fetch that notes each request's method and path in `into`. */
const recording =
  (into: string[]): typeof fetch =>
  (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    into.push(`${init?.method ?? 'GET'} ${url.pathname}`);
    if (into === requests && url.pathname === '/v1/messages/batch') batchBodies.push(String(init?.body));
    return fetch(input, init);
  };
const recordingFetch = recording(requests);

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  relay = await RelayProcess.start();
  // Rosa learns of joins from her poll here, and passes no group update on (announceChanges: false):
  // the requests below are then only the keys-ahead ones (tests/e2e/group-update.test.ts has the push).
  rosa = await pool.open(pool.newDataDir('rosa'), { fetch: recordingFetch, groupSyncIntervalMs: 300, announceChanges: false });
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
  requests.length = 0; // Rosa's first alert (in beforeAll) fetched and sent in batches too
  const invite = await group.createInvite({ expiresInSeconds: 3600, maxUses: 1, requireApproval: false });
  lupe = await pool.registered(relay, 'lupe');
  await lupe.join(invite, { displayName: 'Lupe' });
  await lupe.connect();
  // Rosa's poll sees the join; without sending anything she starts a session with Lupe and sends her SKDM.
  await until(() => batchBodies.some((b) => b.includes(lupe.accountId)), "Rosa's SKDM to Lupe");
  // Her bundle came in a batched fetch (a token for the set of members without sessions), not one by one.
  expect(requests).toContain('POST /v1/keys/batch');
  expect(requests.some((r) => r.startsWith('GET /v1/keys/'))).toBe(false);

  requests.length = 0;
  const received = nextEvent(lupe, 'alert', (a) => a.title === 'Agentes en Rosecrans', 15_000);
  await group.sendAlert({ kind: 'raid', severity: 'critical', title: 'Agentes en Rosecrans', place: 'Rosecrans y Alameda', requestAck: true });
  await received;
  const during = requests.filter((r) => !r.startsWith('GET /v1/groups/')); // the log sync before the alert, and polls
  expect(during).toEqual(['PUT /v1/messages/multi_recipient']);
});

test('a first send to a group fetches every member\'s prekeys in one batched request, sends the SKDMs in another, and reaches everyone', async () => {
  // Pablo joins and has never sent here: his first alert starts a session with each member itself.
  const invite = await group.createInvite({ expiresInSeconds: 3600, maxUses: 1, requireApproval: false });
  const pablos: string[] = [];
  const pablo = await pool.open(pool.newDataDir('pablo'), { fetch: recording(pablos), groupSyncIntervalMs: 0 });
  await pablo.register({ relayUrl: relay.url, registrationToken: await relay.createToken() });
  const pabloGroup = await pablo.join(invite, { displayName: 'Pablo' });
  // Rosa and Lupe are online; Bob's copy waits in his queue.
  const received = [rosa, lupe].map((m) => nextEvent(m, 'alert', (a) => a.title === 'Retén en Long Beach Blvd', 20_000));
  pablos.length = 0;
  await pabloGroup.sendAlert({ kind: 'checkpoint', severity: 'urgent', title: 'Retén en Long Beach Blvd', requestAck: false });
  await Promise.all(received);
  // Rosa, Bob and Lupe: three sessions from one request, their three SKDMs in another, then the upload.
  expect(pablos.filter((r) => r.includes('/v1/keys') || r.startsWith('PUT /v1/messages') || r.startsWith('POST /v1/messages'))).toEqual([
    'POST /v1/keys/batch',
    'POST /v1/messages/batch',
    'PUT /v1/messages/multi_recipient',
  ]);
});
