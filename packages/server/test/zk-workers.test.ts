import { ServerSecretParams, UuidCiphertext, GroupSendEndorsementsResponse, GroupSecretParams, ClientZkGroupCipher } from '@signalapp/libsignal-client/dist/zkgroup/index.js';
import { Aci } from '@signalapp/libsignal-client';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, test } from 'vitest';
import { GroupSendTokens } from '../src/services/groups/group-send-tokens.js';
import { ZK_MAX_QUEUED_JOBS, ZkWorkers } from '../src/services/groups/zk-workers.js';
import { endorsementExpiration } from '../src/services/groups/endorsements.js';

const secret = ServerSecretParams.generate();
const zk = new ZkWorkers(secret.serialize());
afterAll(() => zk.close());

/** `n` member pseudonyms of one group, serialized, as the relay stores them. */
function members(n: number): Uint8Array[] {
  const cipher = new ClientZkGroupCipher(GroupSecretParams.generate());
  return Array.from({ length: n }, () => cipher.encryptServiceId(Aci.fromUuid(randomUUID())).serialize());
}

describe('zkgroup work in a worker thread', () => {
  test('issues the endorsements libsignal would, for the members in order', async () => {
    const expiration = endorsementExpiration(Date.now());
    const list = members(5);
    const bytes = await zk.issueEndorsements(list, expiration);
    const response = new GroupSendEndorsementsResponse(new Uint8Array(bytes));
    expect(response.getExpiration().getTime()).toBe(expiration * 1000);
    // The same members, serialized again, are still what the relay passes: nothing is reordered.
    expect(list.map((m) => new UuidCiphertext(new Uint8Array(m)).serialize())).toEqual(list);
  });

  test('leaves the event loop free while a large group is issued', async () => {
    // Were the work on this thread, the immediate could only run after the issue had finished.
    let ranAt = 0;
    let issuedAt = 0;
    const issuing = zk.issueEndorsements(members(2000), endorsementExpiration(Date.now())).then(() => (issuedAt = performance.now()));
    await new Promise<void>((resolve) =>
      setImmediate(() => {
        ranAt = performance.now();
        resolve();
      }),
    );
    await issuing;
    expect(ranAt).toBeGreaterThan(0);
    expect(ranAt).toBeLessThan(issuedAt);
  });

  test('a forged, truncated or foreign token is UNAUTHORIZED, and the pool goes on working', async () => {
    const tokens = new GroupSendTokens({ zk, clock: { now: () => Date.now() } });
    const someone = Aci.fromUuid(randomUUID()).getServiceIdString();
    for (const header of [Buffer.alloc(33, 7).toString('base64'), 'AAAA', Buffer.from('not a token').toString('base64')]) {
      await expect(tokens.verify(header, [someone])).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    }
    await expect(tokens.verify(undefined, [someone])).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(new GroupSendEndorsementsResponse(new Uint8Array(await zk.issueEndorsements(members(2), endorsementExpiration(Date.now()))))).toBeDefined();
  });

  test(`more than ${ZK_MAX_QUEUED_JOBS} jobs waiting are refused with RATE_LIMITED, not queued without end`, async () => {
    const expiration = endorsementExpiration(Date.now());
    const one = members(1);
    const jobs = Array.from({ length: ZK_MAX_QUEUED_JOBS + 2 }, () => zk.issueEndorsements(one, expiration).then(() => 'ok', (e: { code?: string }) => e.code ?? 'error'));
    const outcomes = await Promise.all(jobs);
    expect(outcomes.filter((o) => o === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(1);
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThanOrEqual(ZK_MAX_QUEUED_JOBS);
  });

  test('after close, work is refused instead of hanging', async () => {
    const closing = new ZkWorkers(secret.serialize());
    await closing.issueEndorsements(members(1), endorsementExpiration(Date.now()));
    await closing.close();
    await expect(closing.issueEndorsements(members(1), endorsementExpiration(Date.now()))).rejects.toThrow('stopping');
  });
});
