import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { GroupSecretParams } from '@signalapp/libsignal-client/dist/zkgroup/index.js';
import { GROUP_HEADERS, GROUP_SEND, ROUTES } from '@aviso/protocol';
import { ecPreKey, signedEcPreKey, signedKyberPreKey } from '../../../packages/server/test/helpers.js';
import { TestGroup, blob } from '../../../packages/server/test/group-helpers.js';
import type { Party } from '../../../packages/server/test/group-send-helpers.js';
import { authorization } from '../../support/raw-account.js';
import { base64Junk, boundaryNumber, hostileValue, junkBody, mutated, nastyString, pct } from './hostile.js';
import { inviteOf, registrationTemplates, type FuzzRelay } from './fuzz-relay.js';

/** One request, in the shape both `app.inject` and `fetch` take. */
export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

export interface RouteFuzz {
  name: string;
  request: fc.Arbitrary<FuzzRequest>;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** Header values a client can put on the wire (HTTP forbids control characters). */
const headerSafe = (s: string) => s.replace(/[^\x20-\x7e\x80-\xff]/g, '');

const flipByte = (b64s: string) => {
  const bytes = Buffer.from(b64s, 'base64');
  if (bytes.length > 0) bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
  return bytes.toString('base64');
};

/** Path segments: the real ids, near misses, and junk (percent-encoded as a client would send them). */
function segment(valid: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...valid) },
    { weight: 1, arbitrary: fc.constantFrom(...valid).map((v) => v.toUpperCase()) },
    { weight: 1, arbitrary: fc.constant(null).map(() => randomUUID()) },
    { weight: 2, arbitrary: nastyString.map(pct) },
    { weight: 1, arbitrary: boundaryNumber.map(String) },
    { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map(pct) },
    { weight: 1, arbitrary: fc.constantFrom('*', '%2A', '..', '%2e%2e', '', 'a'.repeat(2000)) },
  );
}

/** A query string with the named params set to good, boundary, junk, repeated or missing values. */
function query(params: Record<string, readonly string[]>): fc.Arbitrary<string> {
  const entries = Object.entries(params).map(([name, good]) =>
    fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...good).map((v) => [`${name}=${v}`]) },
      { weight: 2, arbitrary: boundaryNumber.map((v) => [`${name}=${pct(String(v))}`]) },
      { weight: 2, arbitrary: nastyString.map((v) => [`${name}=${pct(v)}`]) },
      { weight: 1, arbitrary: fc.constantFrom(...good).map((v) => [`${name}=${v}`, `${name}=${v}`]) },
      { weight: 1, arbitrary: fc.constant([] as string[]) },
    ),
  );
  return fc.tuple(...entries).map((parts) => {
    const flat = parts.flat();
    return flat.length ? `?${flat.join('&')}` : '';
  });
}

/** Everything one run needs, computed once per relay (keys and presentations are slow to make). */
export function httpRoutes(relay: FuzzRelay): RouteFuzz[] {
  const [alice, bob, carol] = relay.parties as [Party, Party, Party];
  const users = [alice.user, bob.user, carol.user];
  const accountIds = users.map((u) => u.accountId);
  const invite = inviteOf.get(relay.group);
  if (!invite) throw new Error('fuzz relay has no invite');

  const wrongPassword = authorization(alice.user.accountId, 1, 'x'.repeat(43));
  const authHeader = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...users.map((u) => u.auth)) },
    { weight: 1, arbitrary: fc.constant(wrongPassword) },
    { weight: 1, arbitrary: fc.constantFrom(...accountIds).chain((id) => segment([id, '1', '2', '127', '128']).map((d) => authorization(id, 1, d))) },
    { weight: 1, arbitrary: fc.tuple(nastyString, nastyString, fc.string()).map(([a, d, p]) => `Basic ${Buffer.from(`${a}.${d}:${p}`).toString('base64')}`) },
    { weight: 1, arbitrary: fc.oneof(base64Junk, nastyString, fc.string()).map((s) => headerSafe(`Basic ${s}`)) },
    { weight: 1, arbitrary: fc.constantFrom('Bearer abc', 'Basic', 'basic   ', '', 'Basic ====') },
  );
  const withAuth = (h: Record<string, string> = {}) =>
    fc.oneof({ weight: 8, arbitrary: authHeader.map((authorization) => ({ ...h, authorization })) }, { weight: 1, arbitrary: fc.constant(h) });
  const json = { 'content-type': 'application/json' };
  const contentType = fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json') },
    { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded', GROUP_SEND.contentType, 'multipart/form-data; boundary=x', 'application/JSON', '') },
  );
  const body = (templates: readonly unknown[]) =>
    fc.oneof(
      { weight: 8, arbitrary: mutated(templates).map((v) => JSON.stringify(v) ?? 'null') },
      { weight: 2, arbitrary: junkBody },
    );
  const withBody = (headers: fc.Arbitrary<Record<string, string>>, templates: readonly unknown[]) =>
    fc.tuple(headers, contentType, body(templates)).map(([h, ct, payload]) => ({ headers: ct ? { ...h, 'content-type': ct } : h, payload }));

  // ---- templates: valid bodies the mutations start from ----
  const registration = registrationTemplates(relay.token);
  const identity = alice.user.identity;
  const setKeys = [
    { preKeys: [ecPreKey(11), ecPreKey(12)], pqPreKeys: [signedKyberPreKey(identity, 13)], signedPreKey: signedEcPreKey(identity, 14), pqLastResortPreKey: signedKyberPreKey(identity, 15) },
    { preKeys: [ecPreKey(21), ecPreKey(21)] },
    { pqPreKeys: [signedKyberPreKey(identity, 31), signedKyberPreKey(identity, 31)] },
    { signedPreKey: signedEcPreKey(identity, 0xffffff) },
    {},
  ];
  const send = (to: Party, n = 1) => ({
    messages: Array.from({ length: n }, (_, i) => ({ destinationDeviceId: i + 1, destinationRegistrationId: to.user.registrationId, content: b64(randomBytes(48)) })),
    timestamp: Date.now(),
  });
  const sends = [send(bob), send(carol), send(alice), send(bob, 2), { messages: [{ destinationDeviceId: 1, destinationRegistrationId: 1, content: blob(1) }], timestamp: 0 }];
  const mint = [{ uses: 1, expiresAt: Date.now() + 86_400_000 }, { uses: 1000, expiresAt: Date.now() + 365 * 86_400_000 }, { uses: 3, expiresAt: 0 }];

  const group = relay.group;
  const presentations = users.map((u) => group.presentation(u));
  // Groups that do not exist yet, with a valid create change: fuzzed creates can succeed.
  const fresh = Array.from({ length: 3 }, () => new TestGroup(relay));
  const freshPresentations = fresh.map((g) => g.presentation(alice.user));
  const creates = fresh.map((g) => ({
    publicParams: g.publicParams,
    change: g.change(alice.user, 0, [{ type: 'create', attributes: blob(256), profile: blob(128), membersCanInvite: false }]),
  }));
  const otherParams = b64(GroupSecretParams.generate().getPublicParams().serialize());
  const ct = users.map((u) => group.ct(u));
  const appends = [0, 1, 2, 3, 4, 5, 40].flatMap((v) => [
    { change: group.change(alice.user, v, [{ type: 'setAttributes', attributes: blob(200) }]) },
    { change: group.change(bob.user, v, [{ type: 'setAccess', membersCanInvite: true }]) },
    { change: group.change(alice.user, v, [{ type: 'setRole', member: ct[1]!, role: 'admin' }]) },
    { change: group.change(carol.user, v, [{ type: 'join', inviteId: invite.inviteId, profile: blob(64) }]) },
    { change: group.change(alice.user, v, [{ type: 'revokeInvite', inviteId: b64(randomBytes(16)) }, { type: 'remove', member: ct[2]!, ban: false }]) },
    { change: group.change(bob.user, v, [{ type: 'leave' }]) },
  ]);

  const groupIds = [group.id, ...fresh.map((g) => g.id), 'f'.repeat(64)];
  const presentation = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...presentations, ...freshPresentations) },
    { weight: 1, arbitrary: fc.constantFrom(...presentations).map(flipByte) },
    { weight: 2, arbitrary: base64Junk },
    { weight: 1, arbitrary: nastyString.map(headerSafe) },
  );
  const groupHeaders = fc
    .record(
      { p: presentation, pw: fc.oneof(fc.constant(invite.password), base64Junk, fc.constant(flipByte(invite.password))) },
      { requiredKeys: [] },
    )
    .map(({ p, pw }) => ({
      ...(p === undefined ? {} : { [GROUP_HEADERS.presentation]: p }),
      ...(pw === undefined ? {} : { [GROUP_HEADERS.invitePassword]: pw }),
    }));
  const inviteSegment = segment([Buffer.from(invite.inviteId, 'base64').toString('base64url'), 'A'.repeat(22), 'A'.repeat(22) + '==']);

  const sendToken = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...relay.sendTokens) },
    { weight: 1, arbitrary: fc.constantFrom(...relay.sendTokens).map(flipByte) },
    { weight: 2, arbitrary: base64Junk },
  );
  const mrmBody = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...relay.sentMessages) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...relay.sentMessages), fc.nat()).map(([m, at]) => Buffer.from(m).fill(at & 0xff, at % m.length, (at % m.length) + 1)) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...relay.sentMessages), fc.nat()).map(([m, at]) => m.subarray(0, at % m.length)) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)) },
    { weight: 1, arbitrary: fc.constantFrom(Buffer.from([0x22]), Buffer.from([0x23, 0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.alloc(0)) },
  );

  const get = (url: fc.Arbitrary<string>, headers: fc.Arbitrary<Record<string, string>>) =>
    fc.tuple(fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS'), url, headers).map(([method, u, h]) => ({ method, url: u, headers: h }));
  const write = (method: string, url: fc.Arbitrary<string>, headers: fc.Arbitrary<Record<string, string>>, templates: readonly unknown[]) =>
    fc.tuple(fc.constantFrom(method, method, method, method, method, 'PATCH', 'GET'), url, withBody(headers, templates)).map(([m, u, b]) => ({
      method: m,
      url: u,
      headers: b.headers,
      ...(m === 'GET' ? {} : { payload: b.payload }),
    }));

  const day = Math.floor(relay.clock.now() / 86_400_000) * 86_400;
  const accountSeg = segment(accountIds);
  return [
    { name: 'GET /v1/relay', request: get(fc.constant(ROUTES.relayInfo), fc.constant({})) },
    { name: 'GET /health', request: get(fc.constantFrom(ROUTES.health, `${ROUTES.health}?x=%00`), fc.constant({})) },
    { name: 'POST /v1/accounts', request: write('POST', fc.constant(ROUTES.accounts), fc.constant({}), registration) },
    { name: 'PUT /v1/keys', request: write('PUT', fc.constant(ROUTES.keys), withAuth(), setKeys) },
    { name: 'GET /v1/keys', request: get(fc.constant(ROUTES.keys), withAuth()) },
    {
      name: 'GET /v1/keys/:accountId/:deviceId',
      request: fc.tuple(
        get(fc.tuple(accountSeg, segment(['1', '*', '2'])).map(([a, d]) => `/v1/keys/${a}/${d}`), withAuth()),
        fc.option(sendToken, { freq: 3 }),
      ).map(([r, token]) => (token === null ? r : { ...r, headers: { ...r.headers, [GROUP_SEND.tokenHeader]: token } })),
    },
    { name: 'GET /v1/certificate/delivery', request: get(fc.constant(ROUTES.senderCertificate), withAuth()) },
    {
      name: 'GET /v1/certificate/auth/group',
      request: get(query({ from: [String(day), '0'], to: [String(day), String(day + 86_400 * 7), String(day + 86_400 * 8)] }).map((q) => `${ROUTES.authCredentials}${q}`), withAuth()),
    },
    { name: 'PUT /v1/messages/:accountId', request: write('PUT', accountSeg.map((a) => `/v1/messages/${a}`), withAuth(json), sends) },
    {
      name: 'PUT /v1/messages/multi_recipient',
      request: fc
        .tuple(
          query({ ts: [String(relay.clock.now()), '0'] }),
          fc.record({ token: sendToken, auth: authHeader, ct: fc.constantFrom(GROUP_SEND.contentType, GROUP_SEND.contentType, 'application/json', `${GROUP_SEND.contentType}; x=1`) }, { requiredKeys: ['ct'] }),
          mrmBody,
          fc.constantFrom('PUT', 'PUT', 'PUT', 'POST'),
        )
        .map(([q, h, payload, method]) => ({
          method,
          url: `${ROUTES.multiRecipient}${q}`,
          headers: { 'content-type': h.ct, ...(h.token === undefined ? {} : { [GROUP_SEND.tokenHeader]: h.token }), ...(h.auth === undefined ? {} : { authorization: h.auth }) },
          payload,
        })),
    },
    { name: 'PUT /v1/groups/:groupId', request: write('PUT', segment(groupIds).map((g) => `/v1/groups/${g}`), groupHeaders, [...creates, { publicParams: otherParams, change: creates[0]!.change }]) },
    {
      name: 'GET /v1/groups/:groupId/changes',
      request: get(fc.tuple(segment(groupIds), query({ from: ['0', '1', '2', '1000'], limit: ['1', '1000', '1001'] })).map(([g, q]) => `/v1/groups/${g}/changes${q}`), groupHeaders),
    },
    { name: 'POST /v1/groups/:groupId/changes', request: write('POST', segment(groupIds).map((g) => `/v1/groups/${g}/changes`), groupHeaders, appends) },
    { name: 'GET /v1/groups/:groupId/join/:inviteId', request: get(fc.tuple(segment(groupIds), inviteSegment).map(([g, i]) => `/v1/groups/${g}/join/${i}`), groupHeaders) },
    { name: 'GET /v1/groups/:groupId/endorsements', request: get(segment(groupIds).map((g) => `/v1/groups/${g}/endorsements`), groupHeaders) },
    { name: 'POST /v1/registration-tokens', request: write('POST', fc.constant(ROUTES.registrationTokens), withAuth(), mint) },
    { name: 'GET /v1/websocket (plain HTTP)', request: get(fc.constant(ROUTES.websocket), withAuth()) },
    {
      name: 'any method, any path, any headers, any body',
      request: fc
        .record({
          method: fc.constantFrom('GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'),
          path: fc.oneof(
            fc.constantFrom(...Object.values(ROUTES).map((r) => (typeof r === 'string' ? r : r.pattern))),
            fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)),
            fc.string({ maxLength: 60 }).map((s) => `/${pct(s)}`),
          ),
          headers: fc.dictionary(fc.constantFrom('authorization', 'content-type', 'content-encoding', 'accept', 'x-forwarded-for', GROUP_SEND.tokenHeader, GROUP_HEADERS.presentation, 'transfer-encoding-x'), fc.oneof(nastyString, base64Junk, fc.string()).map(headerSafe), { maxKeys: 4 }),
          payload: fc.option(fc.oneof(junkBody, hostileValue.map((v) => JSON.stringify(v) ?? 'null')), { freq: 2 }),
        })
        .map(({ method, path, headers, payload }) => ({
          method,
          url: path,
          headers,
          ...(payload === null || method === 'GET' || method === 'HEAD' ? {} : { payload }),
        })),
    },
  ];
}
