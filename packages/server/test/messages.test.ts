import { LIMITS, ROUTES } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { countRows, envelopeContent, registerUser, testRelay, type TestRelay, type TestUser } from './helpers.js';

const DAY = 86_400_000;

function send(relay: TestRelay, from: TestUser, to: TestUser, messages: object[], accountId = to.accountId) {
  return relay.app.inject({
    method: 'PUT',
    url: ROUTES.messages.path(accountId),
    headers: { authorization: from.auth },
    payload: { messages, timestamp: relay.clock.now() },
  });
}

const toDevice = (u: TestUser, content = envelopeContent()) => ({
  destinationDeviceId: 1,
  destinationRegistrationId: u.registrationId,
  content,
});

describe('PUT /v1/messages/:accountId', () => {
  test('stores one envelope per device with no sender and a minute-rounded timestamp', async () => {
    const relay = await testRelay();
    const [alice, bob] = [await registerUser(relay), await registerUser(relay)];
    const res = await send(relay, alice, bob, [toDevice(bob)]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ stored: 1 });

    const sqlite = relay.ctx.storage.db.$client;
    const columns = (sqlite.prepare('PRAGMA table_info(messages)').all() as { name: string }[]).map((c) => c.name);
    expect(columns.sort()).toEqual(['account_id', 'content', 'device_id', 'expires_at', 'guid', 'id', 'received_at', 'shared_id']);
    const row = sqlite.prepare('SELECT * FROM messages').get() as Record<string, unknown>;
    expect(row.account_id).toBe(bob.accountId);
    expect(row.received_at).toBe(Math.floor(relay.clock.now() / 60_000) * 60_000);
    // From the minute-rounded receipt time: an exact expiry would give the exact arrival back.
    expect(row.expires_at).toBe(Math.floor(relay.clock.now() / 60_000) * 60_000 + 7 * DAY);
    // Nothing in the row identifies the sender.
    expect(JSON.stringify(row)).not.toContain(alice.accountId);
  });

  test('404 for an unknown account', async () => {
    const relay = await testRelay();
    const [alice, bob] = [await registerUser(relay), await registerUser(relay)];
    const res = await send(relay, alice, bob, [toDevice(bob)], '3b2f6a2e-8d8e-4f4e-9c1a-0d6a7c5e4b3a');
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('NOT_FOUND');
  });

  test('409 MISMATCHED_DEVICES lists extra devices, and stores nothing', async () => {
    const relay = await testRelay();
    const [alice, bob] = [await registerUser(relay), await registerUser(relay)];
    const res = await send(relay, alice, bob, [toDevice(bob), { ...toDevice(bob), destinationDeviceId: 3 }]);
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'MISMATCHED_DEVICES', details: { missingDevices: [], extraDevices: [3] } });
    expect(countRows(relay.ctx, 'messages')).toBe(0);
  });

  test('409 lists missing devices', async () => {
    const relay = await testRelay();
    const [alice, bob] = [await registerUser(relay), await registerUser(relay)];
    const res = await send(relay, alice, bob, [{ ...toDevice(bob), destinationDeviceId: 2 }]);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.details).toEqual({ missingDevices: [1], extraDevices: [2] });
  });

  test('410 STALE_DEVICES when the registration id is outdated, and stores nothing', async () => {
    const relay = await testRelay();
    const [alice, bob] = [await registerUser(relay), await registerUser(relay)];
    const stale = { ...toDevice(bob), destinationRegistrationId: (bob.registrationId % 16000) + 1 };
    const res = await send(relay, alice, bob, [stale]);
    expect(res.statusCode).toBe(410);
    expect(res.json().error).toMatchObject({ code: 'STALE_DEVICES', details: { staleDevices: [1] } });
    expect(countRows(relay.ctx, 'messages')).toBe(0);
  });

  test('an envelope one byte over maxEnvelopeBytes is refused and nothing is stored', async () => {
    const relay = await testRelay();
    const [alice, bob] = [await registerUser(relay), await registerUser(relay)];
    const res = await send(relay, alice, bob, [toDevice(bob, envelopeContent(LIMITS.maxEnvelopeBytes + 1))]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('BAD_REQUEST');
    expect(countRows(relay.ctx, 'messages')).toBe(0);
  });

  test('sends are rate limited per (sender, destination)', async () => {
    const relay = await testRelay({ AVISO_SEND_RATE_CAPACITY: '3' });
    const [alice, bob] = [await registerUser(relay), await registerUser(relay)];
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(relay, alice, bob, [toDevice(bob)])).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    relay.clock.advance(1000);
    expect((await send(relay, alice, bob, [toDevice(bob)])).statusCode).toBe(200);
  });

  test('a full queue drops the oldest envelopes and counts them', async () => {
    const relay = await testRelay({ AVISO_QUEUE_MAX_PER_DEVICE: '3', AVISO_SEND_RATE_CAPACITY: '100' });
    const [alice, bob] = [await registerUser(relay), await registerUser(relay)];
    for (let i = 1; i <= 5; i++) expect((await send(relay, alice, bob, [toDevice(bob, envelopeContent(16, i))])).statusCode).toBe(200);
    const sqlite = relay.ctx.storage.db.$client;
    const kept = (sqlite.prepare('SELECT content FROM messages ORDER BY id').all() as { content: Buffer }[]).map((r) => r.content[0]);
    expect(kept).toEqual([3, 4, 5]);
    expect((sqlite.prepare('SELECT dropped_count FROM devices WHERE account_id = ?').get(bob.accountId) as { dropped_count: number }).dropped_count).toBe(2);
    const device = { accountId: bob.accountId, deviceId: 1 };
    expect(relay.ctx.services.messages.takeDropped(device)).toBe(2);
    expect(relay.ctx.services.messages.takeDropped(device)).toBe(0);
  });

  test('envelopes expire after the queue TTL', async () => {
    const relay = await testRelay({ AVISO_QUEUE_TTL_DAYS: '2' });
    const [alice, bob] = [await registerUser(relay), await registerUser(relay)];
    await send(relay, alice, bob, [toDevice(bob)]);
    relay.clock.advance(DAY);
    await send(relay, alice, bob, [toDevice(bob)]);
    const device = { accountId: bob.accountId, deviceId: 1 };
    relay.clock.advance(DAY); // the first is now exactly 2 days old
    expect(relay.ctx.services.messages.fetch(device, 0, 10)).toHaveLength(1); // expired ones are not delivered
    expect(relay.ctx.services.messages.deleteExpired()).toBe(1);
    expect(countRows(relay.ctx, 'messages')).toBe(1);
    relay.clock.advance(DAY);
    expect(relay.ctx.services.messages.deleteExpired()).toBe(1);
    expect(countRows(relay.ctx, 'messages')).toBe(0);
  });

  test('acknowledging deletes by (account, device, queue position) only', async () => {
    const relay = await testRelay();
    const [alice, bob] = [await registerUser(relay), await registerUser(relay)];
    await send(relay, alice, bob, [toDevice(bob)]);
    const [queued] = relay.ctx.services.messages.fetch({ accountId: bob.accountId, deviceId: 1 }, 0, 10);
    expect(queued).toBeDefined();
    // Alice cannot delete Bob's envelope even if she names its queue position.
    expect(relay.ctx.services.messages.acknowledge({ accountId: alice.accountId, deviceId: 1 }, queued!.id)).toBe(false);
    expect(relay.ctx.services.messages.acknowledge({ accountId: bob.accountId, deviceId: 1 }, queued!.id)).toBe(true);
    expect(relay.ctx.services.messages.acknowledge({ accountId: bob.accountId, deviceId: 1 }, queued!.id)).toBe(false);
    expect(countRows(relay.ctx, 'messages')).toBe(0);
  });
});
