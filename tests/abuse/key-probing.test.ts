import { randomUUID } from 'node:crypto';
import { PrivateKey } from '@signalapp/libsignal-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ErrorBody, ROUTES } from '@aviso/protocol';
import { call, registerRaw, type RawAccount } from '../support/raw-account.js';
import { RelayProcess } from '../support/relay.js';

/*
 * Finding 13 of the red-team review: an authenticated account could tell real account ids from
 * random ones by fetching their keys (a bundle, or 404), and every probe that hit burned one of the
 * target's one-time prekeys. The per-(requester, target) bucket did not bound it: each guess is a
 * new target. Fetches with account credentials now also share one bucket per requester, taken
 * before the target is looked up, so a miss costs what a hit does.
 */

const PROBES = 5;

let relay: RelayProcess;
let target: RawAccount;
/** One CLI-made token for every account this file registers. */
let token: string;

beforeAll(async () => {
  relay = await RelayProcess.start({
    env: { AVISO_KEYS_REQUESTER_RATE_CAPACITY: String(PROBES), AVISO_KEYS_REQUESTER_RATE_REFILL_SECONDS: '86400' },
  });
  token = await relay.createToken(4);
  target = await registerRaw(relay.url, token);
  const preKeys = Array.from({ length: 10 }, (_, i) => ({ keyId: i + 1, publicKey: Buffer.from(PrivateKey.generate().getPublicKey().serialize()).toString('base64') }));
  expect((await call(relay.url, 'PUT', ROUTES.keys, { authorization: target.authorization, body: { preKeys } })).status).toBe(204);
}, 120_000);

afterAll(async () => {
  await relay?.dispose();
}, 60_000);

const fetchKeys = (who: RawAccount, accountId: string) => call(relay.url, 'GET', ROUTES.keyBundle.path(accountId, 1), { authorization: who.authorization });
const preKeysLeft = async () => ((await call(relay.url, 'GET', ROUTES.keys, { authorization: target.authorization })).body as { count: number }).count;

describe('probing which account ids exist by fetching their keys', () => {
  test('random ids use up the prober\'s budget: the real id it then tries tells it nothing and burns no key', async () => {
    const prober = await registerRaw(relay.url, token);
    const misses = [];
    for (let i = 0; i < PROBES; i++) misses.push(await fetchKeys(prober, randomUUID()));
    expect(misses.map((r) => r.status)).toEqual(Array(PROBES).fill(404));
    const before = await preKeysLeft();
    // The real account answers exactly like a random id would once the budget is gone.
    const hit = await fetchKeys(prober, target.accountId);
    const miss = await fetchKeys(prober, randomUUID());
    expect(hit.status).toBe(429);
    expect(miss.status).toBe(429);
    expect(ErrorBody.parse(hit.body).error).toEqual(ErrorBody.parse(miss.body).error);
    expect(await preKeysLeft()).toBe(before);
  });

  test('the budget is per requester: another account still fetches the real bundle', async () => {
    const other = await registerRaw(relay.url, token);
    const before = await preKeysLeft();
    const res = await fetchKeys(other, target.accountId);
    expect(res.status).toBe(200);
    expect(await preKeysLeft()).toBe(before - 1);
  });
});
