import { randomUUID } from 'node:crypto';
import { LIMITS, ROUTES, SendBatchResponse } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { countRows, envelopeContent, registerUser, testRelay, type TestRelay, type TestUser } from './helpers.js';

/** `POST /v1/messages/batch`: each destination checked, rate-limited and stored as its own PUT would be. */

function batch(relay: TestRelay, from: TestUser | undefined, destinations: unknown) {
  return relay.app.inject({
    method: 'POST',
    url: ROUTES.messagesBatch,
    headers: from ? { authorization: from.auth } : {},
    payload: { destinations } as object,
  });
}

const toDevice = (u: TestUser, content = envelopeContent()) => ({ destinationDeviceId: 1, destinationRegistrationId: u.registrationId, content });
const to = (relay: TestRelay, u: TestUser, messages: object[] = [toDevice(u)]) => ({ accountId: u.accountId, messages, timestamp: relay.clock.now() });

describe('POST /v1/messages/batch', () => {
  test('stores one envelope per destination device with no sender, and answers each destination', async () => {
    const relay = await testRelay();
    const [alice, bob, carol] = [await registerUser(relay), await registerUser(relay), await registerUser(relay)];
    const res = await batch(relay, alice, [to(relay, bob), to(relay, carol)]);
    expect(res.statusCode).toBe(200);
    expect(SendBatchResponse.parse(res.json()).results).toEqual([
      { accountId: bob.accountId, stored: 1 },
      { accountId: carol.accountId, stored: 1 },
    ]);
    const rows = relay.ctx.storage.db.$client.prepare('SELECT account_id FROM messages ORDER BY id').all() as { account_id: string }[];
    expect(rows.map((r) => r.account_id)).toEqual([bob.accountId, carol.accountId]);
    expect(JSON.stringify(relay.ctx.storage.db.$client.prepare('SELECT * FROM messages').all())).not.toContain(alice.accountId);
  });

  test('a destination refused as its single send would be (404, 409, 410, 429) costs the others nothing', async () => {
    const relay = await testRelay({ AVISO_SEND_RATE_CAPACITY: '1' });
    const [alice, bob, carol, dave, erin] = [await registerUser(relay), await registerUser(relay), await registerUser(relay), await registerUser(relay), await registerUser(relay)];
    // Erin's bucket is used up first, by a single send.
    const single = await relay.app.inject({ method: 'PUT', url: ROUTES.messages.path(erin.accountId), headers: { authorization: alice.auth }, payload: { messages: [toDevice(erin)], timestamp: relay.clock.now() } });
    expect(single.statusCode).toBe(200);
    const unknown = randomUUID();
    const res = await batch(relay, alice, [
      to(relay, bob),
      { accountId: unknown, messages: [toDevice(bob)], timestamp: relay.clock.now() },
      to(relay, carol, [toDevice(carol), { ...toDevice(carol), destinationDeviceId: 3 }]),
      to(relay, dave, [{ ...toDevice(dave), destinationRegistrationId: dave.registrationId === 1 ? 2 : 1 }]),
      to(relay, erin),
    ]);
    expect(res.statusCode).toBe(200);
    const results = SendBatchResponse.parse(res.json()).results;
    expect(results.map((r) => [r.stored, r.error?.code])).toEqual([
      [1, undefined],
      [undefined, 'NOT_FOUND'],
      [undefined, 'MISMATCHED_DEVICES'],
      [undefined, 'STALE_DEVICES'],
      [undefined, 'RATE_LIMITED'],
    ]);
    expect(results[2]!.error!.details).toEqual({ missingDevices: [], extraDevices: [3] });
    expect(results[3]!.error!.details).toEqual({ staleDevices: [1] });
    expect(countRows(relay.ctx, 'messages')).toBe(2); // erin's single send and bob's
  });

  test('no credentials, a malformed body, a repeated account or more than the limit: a typed 4xx, nothing stored', async () => {
    const relay = await testRelay();
    const [alice, bob] = [await registerUser(relay), await registerUser(relay)];
    const noAuth = await batch(relay, undefined, [to(relay, bob)]);
    expect([noAuth.statusCode, noAuth.json().error.code]).toEqual([401, 'UNAUTHORIZED']);
    const tooMany = Array.from({ length: LIMITS.maxSendBatchDestinations + 1 }, () => ({ ...to(relay, bob), accountId: randomUUID() }));
    const bodies: Array<[string, unknown]> = [
      ['over the limit', tooMany],
      ['empty', []],
      ['an account twice', [to(relay, bob), to(relay, bob)]],
      ['a device twice', [to(relay, bob, [toDevice(bob), toDevice(bob)])]],
      ['not a list', to(relay, bob)],
      ['an envelope over the limit', [to(relay, bob, [toDevice(bob, Buffer.alloc(LIMITS.maxEnvelopeBytes + 1).toString('base64'))])]],
    ];
    for (const [what, destinations] of bodies) {
      const res = await batch(relay, alice, destinations);
      expect([what, res.statusCode < 500 && res.statusCode >= 400, res.json().error.code]).toEqual([what, true, res.statusCode === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST']);
    }
    expect(countRows(relay.ctx, 'messages')).toBe(0);
  });
});
