import { ClientZkGroupCipher, GroupSendEndorsementsResponse, UuidCiphertext } from '@signalapp/libsignal-client/dist/zkgroup/index.js';
import { EndorsementsResponse, GROUP_SEND, PreKeyBundleResponse, ROUTES } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { endorsementExpiration } from '../src/services/groups/endorsements.js';
import { blob, errorCode, fetchCredential, groupUser, newInvite } from './group-helpers.js';
import { expectOk, fetchEndorsements, groupOf, tokenFor, tokenHeader, type Party } from './group-send-helpers.js';
import { testRelay, type TestRelay } from './helpers.js';

const DAY_S = 86_400;
const HOUR_S = 3_600;

describe('GET /v1/groups/:groupId/endorsements', () => {
  test('returns day-aligned endorsements 24 to 48 hours ahead for the sorted current members', async () => {
    const relay = await testRelay();
    const { group, parties } = await groupOf(relay, 3);
    const res = await fetchEndorsements(group, parties[1]!.user);
    expect(res.statusCode).toBe(200);
    const body = EndorsementsResponse.parse(res.json());
    const nowS = relay.clock.now() / 1000;
    expect(body.expiration % DAY_S).toBe(0);
    expect(body.expiration - nowS).toBeGreaterThanOrEqual(24 * HOUR_S);
    expect(body.expiration - nowS).toBeLessThanOrEqual(48 * HOUR_S);
    expect(body.publicParams).toBe(group.publicParams);
    expect(body.members).toEqual(parties.map((p) => group.ct(p.user)).sort());
    const issued = new GroupSendEndorsementsResponse(new Uint8Array(Buffer.from(body.response, 'base64')));
    expect(issued.getExpiration().getTime()).toBe(body.expiration * 1000);
    // The pseudonyms decrypt to the members, in the order the client must pass to receiveWithServiceIds.
    const cipher = new ClientZkGroupCipher(group.secret);
    const acis = body.members.map((m) => cipher.decryptServiceId(new UuidCiphertext(new Uint8Array(Buffer.from(m, 'base64')))).getServiceIdString());
    expect([...acis].sort()).toEqual(parties.map((p) => p.user.accountId).sort());
  });

  test('members asking at once while a version is being issued share one issue', async () => {
    const relay = await testRelay();
    const { group, parties } = await groupOf(relay, 4);
    // Issuing is randomized: a second issue for the same version would give other bytes.
    const all = await Promise.all(parties.map((p) => fetchEndorsements(group, p.user)));
    const bodies = all.map((r) => EndorsementsResponse.parse(r.json()).response);
    expect(new Set(bodies).size).toBe(1);
  });

  test('the expiration stays inside libsignal\'s window all day', () => {
    const midnight = Date.UTC(2026, 4, 1);
    for (const offset of [0, 1, 12 * 3_600_000, 86_400_000 - 1]) {
      const exp = endorsementExpiration(midnight + offset);
      expect(exp % DAY_S).toBe(0);
      const ahead = exp - (midnight + offset) / 1000;
      expect(ahead).toBeGreaterThan(24 * HOUR_S - 1);
      expect(ahead).toBeLessThanOrEqual(48 * HOUR_S);
    }
  });

  test('is for members only: not non-members, not pending members, not removed members, not without a presentation', async () => {
    const relay = await testRelay();
    const { group, parties } = await groupOf(relay, 2);
    const [admin, bob] = parties as [Party, Party];
    const outsider = await groupUser(relay);
    expect(errorCode(await fetchEndorsements(group, outsider))).toBe('NOT_A_MEMBER');

    const invite = newInvite({ requireApproval: true });
    expectOk(await group.append(admin.user, [invite.action]));
    const pending = await groupUser(relay);
    expectOk(await group.append(pending, [{ type: 'requestJoin', inviteId: invite.inviteId, profile: blob() }], { password: invite.password }));
    const asPending = await fetchEndorsements(group, pending);
    expect(asPending.statusCode).toBe(403);
    expect(errorCode(asPending)).toBe('NOT_A_MEMBER');

    expectOk(await group.append(admin.user, [{ type: 'remove', member: group.ct(bob.user), ban: false }]));
    expect(errorCode(await fetchEndorsements(group, bob.user))).toBe('NOT_A_MEMBER');

    const anonymous = await relay.app.inject({ method: 'GET', url: ROUTES.groupEndorsements.path(group.id) });
    expect(anonymous.statusCode).toBe(401);
    const unknown = await relay.app.inject({ method: 'GET', url: ROUTES.groupEndorsements.path('ab'.repeat(32)), headers: group.headers(admin.user) });
    expect(unknown.statusCode).toBe(404);
  });

  test('is cached per group version and expiration, and changes with the membership and the day', async () => {
    const relay = await testRelay();
    const { group, parties } = await groupOf(relay, 2);
    const [admin, bob] = parties as [Party, Party];
    const first = EndorsementsResponse.parse((await fetchEndorsements(group, admin.user)).json());
    // Issuing is randomised, so equal bytes mean the cached response.
    const again = EndorsementsResponse.parse((await fetchEndorsements(group, bob.user)).json());
    expect(again).toEqual(first);

    const carol = await groupUser(relay);
    const invite = newInvite();
    expectOk(await group.append(admin.user, [invite.action]));
    expectOk(await group.append(carol, [{ type: 'join', inviteId: invite.inviteId, profile: blob() }], { password: invite.password }));
    const afterJoin = EndorsementsResponse.parse((await fetchEndorsements(group, admin.user)).json());
    expect(afterJoin.response).not.toBe(first.response);
    expect(afterJoin.members).toHaveLength(3);
    expect(afterJoin.members).toContain(group.ct(carol));

    relay.clock.advance(DAY_S * 1000);
    await refreshCredentials(relay, admin);
    const nextDay = EndorsementsResponse.parse((await fetchEndorsements(group, admin.user)).json());
    expect(nextDay.expiration).toBe(afterJoin.expiration + DAY_S);
  });
});

describe('GET /v1/keys/:accountId/:deviceId with a group send token', () => {
  test('a token for exactly that account fetches its bundle without account credentials', async () => {
    const relay = await testRelay();
    const { group, parties } = await groupOf(relay, 3);
    const [alice, bob] = parties as [Party, Party];
    const res = await relay.app.inject({
      method: 'GET',
      url: ROUTES.keyBundle.path(bob.user.accountId, 1),
      headers: tokenHeader(await tokenFor(group, alice, [bob.aci])),
    });
    expect(res.statusCode).toBe(200);
    const bundle = PreKeyBundleResponse.parse(res.json());
    expect(bundle.identityKey).toBe(Buffer.from(bob.user.identity.getPublicKey().serialize()).toString('base64'));
    expect(bundle.devices.map((d) => d.registrationId)).toEqual([bob.user.registrationId]);
  });

  test('a token for another account or for a larger set is refused, as is a token with credentials', async () => {
    const relay = await testRelay();
    const { group, parties } = await groupOf(relay, 3);
    const [alice, bob, carol] = parties as [Party, Party, Party];
    const url = ROUTES.keyBundle.path(bob.user.accountId, 1);
    for (const recipients of [[carol.aci], [bob.aci, carol.aci]]) {
      const res = await relay.app.inject({ method: 'GET', url, headers: tokenHeader(await tokenFor(group, alice, recipients)) });
      expect(res.statusCode).toBe(401);
      expect(errorCode(res)).toBe('UNAUTHORIZED');
    }
    const garbage = await relay.app.inject({ method: 'GET', url, headers: tokenHeader('AAAA') });
    expect(garbage.statusCode).toBe(401);
    const both = await relay.app.inject({
      method: 'GET',
      url,
      headers: { ...tokenHeader(await tokenFor(group, alice, [bob.aci])), authorization: alice.user.auth },
    });
    expect(both.statusCode).toBe(400);
    // Basic auth alone still works.
    expect((await relay.app.inject({ method: 'GET', url, headers: { authorization: alice.user.auth } })).statusCode).toBe(200);
  });

  test('token fetches are rate limited per target account, one bucket for the whole group', async () => {
    const relay = await testRelay({ AVISO_KEYS_GROUP_RATE_CAPACITY: '2' });
    const { group, parties } = await groupOf(relay, 3);
    const [alice, bob, carol] = parties as [Party, Party, Party];
    const token = await tokenFor(group, alice, [bob.aci]);
    const fetch = () =>
      relay.app.inject({ method: 'GET', url: ROUTES.keyBundle.path(bob.user.accountId, 1), headers: { [GROUP_SEND.tokenHeader]: token } });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch()).statusCode);
    expect(statuses).toEqual([200, 200, 429]);
    // Every member derives the same token for the same recipients (it depends on the endorsement, not
    // on who holds it), so carol shares alice's bucket for bob: the relay cannot tell them apart, and
    // the bucket is sized for a whole group (AVISO_KEYS_GROUP_RATE_CAPACITY, 200 by default).
    expect(await tokenFor(group, carol, [bob.aci])).toBe(token);
    // Another target is another bucket.
    const toCarol = await relay.app.inject({
      method: 'GET',
      url: ROUTES.keyBundle.path(carol.user.accountId, 1),
      headers: tokenHeader(await tokenFor(group, alice, [carol.aci])),
    });
    expect(toCarol.statusCode).toBe(200);
  });
});

/** Credentials are per day: after moving the clock, a member needs today's to present. */
async function refreshCredentials(relay: TestRelay, p: Party): Promise<void> {
  Object.assign(p.user, await fetchCredential(relay, p.user));
}
