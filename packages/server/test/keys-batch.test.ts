import { randomUUID } from 'node:crypto';
import { ENDPOINTS, LIMITS, PreKeyBatchResponse, PreKeyBundleResponse, PreKeyCount, ROUTES, type DevicePreKeyBundle } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { errorCode } from './group-helpers.js';
import { groupOf, tokenFor, tokenHeader, type Party } from './group-send-helpers.js';
import { ecPreKey, registerUser, signedKyberPreKey, testRelay, type TestRelay, type TestUser } from './helpers.js';

/** `POST /v1/keys/batch`: one group send token for exactly the listed set, every device's bundle of each. */

function batch(relay: TestRelay, accounts: unknown, headers: Record<string, string>) {
  return relay.app.inject({ method: 'POST', url: ROUTES.keyBundleBatch, headers, payload: { accounts } as object });
}

async function counts(relay: TestRelay, users: TestUser[]): Promise<PreKeyCount[]> {
  const out = [];
  for (const u of users) out.push(PreKeyCount.parse((await relay.app.inject({ method: 'GET', url: ROUTES.keys, headers: { authorization: u.auth } })).json()));
  return out;
}

async function upload(relay: TestRelay, u: TestUser): Promise<void> {
  const res = await relay.app.inject({
    method: 'PUT',
    url: ROUTES.keys,
    headers: { authorization: u.auth },
    payload: { preKeys: [ecPreKey(10), ecPreKey(11)], pqPreKeys: [signedKyberPreKey(u.identity, 20)] },
  });
  expect(res.statusCode).toBe(204);
}

/** What a fetch consumed and served, by key id (the keys themselves differ per account). */
const served = (d: DevicePreKeyBundle) => ({ deviceId: d.deviceId, signed: d.signedPreKey.keyId, ec: d.preKey?.keyId, pq: d.pqPreKey.keyId });

describe('POST /v1/keys/batch', () => {
  test('a token for exactly the set answers every account, and consumes exactly what single fetches would', async () => {
    const relay = await testRelay({ AVISO_KEYS_RATE_CAPACITY: '100' });
    const { group, parties } = await groupOf(relay, 4);
    const [alice, bob, carol, dave] = parties as [Party, Party, Party, Party];
    for (const p of [bob, carol, dave]) await upload(relay, p.user);
    const token = await tokenFor(group, alice, [bob.aci, carol.aci]);
    const single = await tokenFor(group, alice, [dave.aci]);
    // Three rounds: bob and carol by batch, dave (the same keys uploaded) by single fetches.
    for (let round = 1; round <= 3; round++) {
      const res = await batch(relay, [bob.user.accountId, carol.user.accountId], tokenHeader(token));
      expect(res.statusCode).toBe(200);
      const body = PreKeyBatchResponse.parse(res.json());
      expect(body.missing).toEqual([]);
      expect(body.bundles.map((b) => b.accountId)).toEqual([bob.user.accountId, carol.user.accountId]);
      expect(body.bundles[0]!.identityKey).toBe(Buffer.from(bob.user.identity.getPublicKey().serialize()).toString('base64'));
      const one = await relay.app.inject({ method: 'GET', url: ROUTES.keyBundle.path(dave.user.accountId, '*'), headers: tokenHeader(single) });
      expect(one.statusCode).toBe(200);
      const expected = PreKeyBundleResponse.parse(one.json()).devices.map(served);
      for (const b of body.bundles) expect(b.devices.map(served)).toEqual(expected);
      const [b, c, d] = await counts(relay, [bob.user, carol.user, dave.user]);
      expect(b).toEqual(d);
      expect(c).toEqual(d);
    }
    // Round 1 took key 10 and Kyber 20, round 2 key 11 and the last-resort key, round 3 no EC key.
    expect((await counts(relay, [bob.user]))[0]).toEqual({ count: 0, pqCount: 0 });
  });

  test('a token for another set, a larger or smaller set, a non-member, none, or with credentials: 4xx, nothing consumed', async () => {
    const relay = await testRelay({ AVISO_KEYS_RATE_CAPACITY: '100' });
    const { group, parties } = await groupOf(relay, 4);
    const [alice, bob, carol, dave] = parties as [Party, Party, Party, Party];
    const outsider = await registerUser(relay);
    for (const u of [bob.user, carol.user, dave.user, outsider]) await upload(relay, u);
    const before = await counts(relay, [bob.user, carol.user, dave.user, outsider]);
    const setA = [bob.user.accountId, carol.user.accountId];
    const tokenA = await tokenFor(group, alice, [bob.aci, carol.aci]);
    const refused: Array<[string, unknown, Record<string, string>, number, string]> = [
      // The adversarial case: a token for set A presented for set B.
      ['set A token, set B', [carol.user.accountId, dave.user.accountId], tokenHeader(tokenA), 401, 'UNAUTHORIZED'],
      ['set A token, a larger set', [...setA, dave.user.accountId], tokenHeader(tokenA), 401, 'UNAUTHORIZED'],
      ['set A token, a smaller set', [bob.user.accountId], tokenHeader(tokenA), 401, 'UNAUTHORIZED'],
      ['set A token, a non-member added', [...setA, outsider.accountId], tokenHeader(tokenA), 401, 'UNAUTHORIZED'],
      ['no token', setA, {}, 401, 'UNAUTHORIZED'],
      ['a forged token', setA, tokenHeader('AAAA'), 401, 'UNAUTHORIZED'],
      ['token and credentials', setA, { ...tokenHeader(tokenA), authorization: alice.user.auth }, 400, 'BAD_REQUEST'],
    ];
    for (const [what, accounts, headers, status, code] of refused) {
      const res = await batch(relay, accounts, headers);
      expect([what, res.statusCode, errorCode(res)]).toEqual([what, status, code]);
    }
    expect(await counts(relay, [bob.user, carol.user, dave.user, outsider])).toEqual(before);
  });

  test('a malformed body or a set over the limit is BAD_REQUEST before the token is looked at', async () => {
    const relay = await testRelay();
    const { group, parties } = await groupOf(relay, 3);
    const [alice, bob, carol] = parties as [Party, Party, Party];
    const token = tokenHeader(await tokenFor(group, alice, [bob.aci, carol.aci]));
    const tooMany = Array.from({ length: LIMITS.maxKeyBatchAccounts + 1 }, () => randomUUID());
    const bodies: Array<[string, unknown]> = [
      ['over the limit', tooMany],
      ['empty', []],
      ['not account ids', ['bob', 'carol']],
      ['an account twice', [bob.user.accountId, bob.user.accountId.toUpperCase()]],
      ['not a list', bob.user.accountId],
    ];
    for (const [what, accounts] of bodies) {
      const res = await batch(relay, accounts, token);
      expect([what, res.statusCode, errorCode(res)]).toEqual([what, 400, 'BAD_REQUEST']);
    }
    const extra = await relay.app.inject({ method: 'POST', url: ROUTES.keyBundleBatch, headers: token, payload: { accounts: [bob.user.accountId], more: 1 } });
    expect([extra.statusCode, errorCode(extra)]).toEqual([400, 'BAD_REQUEST']);
    const notJson = await relay.app.inject({ method: 'POST', url: ROUTES.keyBundleBatch, headers: { ...token, 'content-type': 'application/json' }, payload: '{"accounts": [' });
    expect([notJson.statusCode, errorCode(notJson)]).toEqual([400, 'BAD_REQUEST']);
    expect(ENDPOINTS.keyBundleBatch.summary).toContain(String(LIMITS.maxKeyBatchAccounts));
  });

  test('a batch of N takes one fetch from each of the N accounts\' buckets; a refused batch takes no key', async () => {
    const relay = await testRelay({ AVISO_KEYS_GROUP_RATE_CAPACITY: '2' });
    const { group, parties } = await groupOf(relay, 3);
    const [alice, bob, carol] = parties as [Party, Party, Party];
    for (const u of [bob.user, carol.user]) {
      const res = await relay.app.inject({
        method: 'PUT',
        url: ROUTES.keys,
        headers: { authorization: u.auth },
        payload: { preKeys: [ecPreKey(10), ecPreKey(11), ecPreKey(12)], pqPreKeys: [signedKyberPreKey(u.identity, 20), signedKyberPreKey(u.identity, 21), signedKyberPreKey(u.identity, 22)] },
      });
      expect(res.statusCode).toBe(204);
    }
    const both = tokenHeader(await tokenFor(group, alice, [bob.aci, carol.aci]));
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await batch(relay, [bob.user.accountId, carol.user.accountId], both)).statusCode);
    expect(statuses).toEqual([200, 200, 429]);
    // Two fetches each (as two single fetches with capacity 2 would be), nothing from the refused third.
    for (const c of await counts(relay, [bob.user, carol.user])) expect(c).toEqual({ count: 1, pqCount: 1 });
  });

  test('listing an account in another set does not buy more fetches of it (each set is another token)', async () => {
    const relay = await testRelay({ AVISO_KEYS_GROUP_RATE_CAPACITY: '2' });
    const { group, parties } = await groupOf(relay, 4);
    const [alice, bob, carol, dave] = parties as [Party, Party, Party, Party];
    for (const u of [bob.user, carol.user, dave.user]) await upload(relay, u);
    const ok = await batch(relay, [bob.user.accountId, carol.user.accountId], tokenHeader(await tokenFor(group, alice, [bob.aci, carol.aci])));
    const ok2 = await batch(relay, [bob.user.accountId, dave.user.accountId], tokenHeader(await tokenFor(group, alice, [bob.aci, dave.aci])));
    expect([ok.statusCode, ok2.statusCode]).toEqual([200, 200]);
    // Bob's two fetches are spent, whichever sets they came in: a third set is refused, and takes nothing.
    const third = await batch(relay, [bob.user.accountId, carol.user.accountId, dave.user.accountId], tokenHeader(await tokenFor(group, alice, [bob.aci, carol.aci, dave.aci])));
    expect([third.statusCode, errorCode(third)]).toEqual([429, 'RATE_LIMITED']);
    expect((await counts(relay, [carol.user, dave.user])).map((c) => c.count)).toEqual([1, 1]);
    expect((await batch(relay, [carol.user.accountId, dave.user.accountId], tokenHeader(await tokenFor(group, alice, [carol.aci, dave.aci])))).statusCode).toBe(200);
  });

  test('more than six members reach a newcomer: the token bucket is the whole group\'s, not one requester\'s', async () => {
    // Defaults. Every member shows the same one-member token for the newcomer, so a bucket of 6 (the
    // per-requester size) would refuse the seventh member to send after the join.
    const relay = await testRelay();
    const { group, parties } = await groupOf(relay, 10);
    const newcomer = parties[9]!;
    const statuses: number[] = [];
    for (const member of parties.slice(0, 9)) {
      const alone = tokenHeader(await tokenFor(group, member, [newcomer.aci]));
      statuses.push((await batch(relay, [newcomer.user.accountId], alone)).statusCode);
      statuses.push((await relay.app.inject({ method: 'GET', url: `/v1/keys/${newcomer.user.accountId}/*`, headers: alone })).statusCode);
    }
    expect(statuses).toEqual(new Array(18).fill(200));
  });

  test('an account without keys is listed as missing; the others are answered', async () => {
    const relay = await testRelay();
    const { group, parties } = await groupOf(relay, 3);
    const [alice, bob, carol] = parties as [Party, Party, Party];
    // Carol's device loses its signed prekey and last-resort key: a single fetch would answer NOT_FOUND.
    relay.ctx.storage.db.$client.prepare('DELETE FROM signed_prekeys WHERE account_id = ?').run(carol.user.accountId);
    const res = await batch(relay, [bob.user.accountId, carol.user.accountId], tokenHeader(await tokenFor(group, alice, [bob.aci, carol.aci])));
    expect(res.statusCode).toBe(200);
    const body = PreKeyBatchResponse.parse(res.json());
    expect(body.bundles.map((b) => b.accountId)).toEqual([bob.user.accountId]);
    expect(body.missing).toEqual([carol.user.accountId]);
  });
});
