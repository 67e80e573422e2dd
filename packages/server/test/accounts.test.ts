import { PrivateKey, ServerCertificate } from '@signalapp/libsignal-client';
import { ErrorBody, LIMITS, RelayInfo, ROUTES } from '@aviso/protocol';
import { RELAY_VERSION } from '../src/version.js';
import { describe, expect, test } from 'vitest';
import { createRegistrationToken } from '../src/index.js';
import { newToken } from '../src/services/accounts/tokens.js';
import { basicAuth, countRows, newIdentity, registerRequest, registerUser, signedEcPreKey, signedKyberPreKey, testRelay } from './helpers.js';

const DAY = 86_400_000;

describe('GET /v1/relay and /health', () => {
  test('relay info matches the protocol schema and the relay keys', async () => {
    const relay = await testRelay({ AVISO_QUEUE_MAX_PER_DEVICE: '500' });
    const res = await relay.app.inject({ method: 'GET', url: ROUTES.relayInfo });
    expect(res.statusCode).toBe(200);
    expect(res.headers['aviso-protocol']).toBe('2');
    const info = RelayInfo.parse(res.json());
    expect(info.limits.queueMaxPerDevice).toBe(500);
    expect(info.limits.queueTtlSeconds).toBe(7 * 86_400);
    expect(info.relayVersion).toBe(RELAY_VERSION);
    const { relayVersion, ...fromAnOldRelay } = info; // relays before relayVersion still parse
    expect(relayVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(RelayInfo.safeParse(fromAnOldRelay).success).toBe(true);
    expect(Buffer.from(info.trustRoot, 'base64').equals(Buffer.from(relay.ctx.keys.trustRoot.serialize()))).toBe(true);
    const health = await relay.app.inject({ method: 'GET', url: ROUTES.health });
    expect(health.json()).toEqual({ ok: true });
  });
});

describe('POST /v1/accounts', () => {
  test('registers with real libsignal keys and returns a lower-case UUID and device 1', async () => {
    const relay = await testRelay();
    const user = await registerUser(relay);
    expect(user.accountId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(user.deviceId).toBe(1);
    expect(countRows(relay.ctx, 'accounts')).toBe(1);
    expect(countRows(relay.ctx, 'signed_prekeys')).toBe(1);
    expect(countRows(relay.ctx, 'kyber_last_resort')).toBe(1);
    // The password is stored only as a salted hash.
    const device = relay.ctx.storage.db.$client.prepare('SELECT auth_salt, auth_hash FROM devices').get() as {
      auth_salt: Buffer;
      auth_hash: Buffer;
    };
    expect(device.auth_salt.length).toBe(16);
    expect(device.auth_hash.length).toBe(32);
    expect(device.auth_hash.includes(Buffer.from(user.password))).toBe(false);
    // The single-use token is gone.
    expect(countRows(relay.ctx, 'registration_tokens')).toBe(0);
  });

  test('an unknown token is 403 INVALID_TOKEN and stores nothing', async () => {
    const relay = await testRelay();
    createRegistrationToken(relay.ctx); // a real token exists, but it is not the one sent
    const res = await relay.app.inject({
      method: 'POST',
      url: ROUTES.accounts,
      payload: registerRequest('not-the-token-at-all', newIdentity()),
    });
    expect(res.statusCode).toBe(403);
    expect(ErrorBody.parse(res.json()).error).toMatchObject({ code: 'INVALID_TOKEN', retryable: false });
    expect(countRows(relay.ctx, 'accounts')).toBe(0);
    expect(countRows(relay.ctx, 'devices')).toBe(0);
    expect(countRows(relay.ctx, 'signed_prekeys')).toBe(0);
    expect(countRows(relay.ctx, 'registration_tokens')).toBe(1);
  });

  test('an expired token is refused', async () => {
    const relay = await testRelay();
    const { token } = createRegistrationToken(relay.ctx, { uses: 5, ttlMs: DAY });
    relay.clock.advance(DAY + 60_000); // expiry is rounded up to the minute
    const res = await relay.app.inject({ method: 'POST', url: ROUTES.accounts, payload: registerRequest(token, newIdentity()) });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('INVALID_TOKEN');
    expect(countRows(relay.ctx, 'accounts')).toBe(0);
  });

  test('a token allows exactly its number of uses', async () => {
    const relay = await testRelay();
    const { token } = createRegistrationToken(relay.ctx, { uses: 2 });
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await relay.app.inject({ method: 'POST', url: ROUTES.accounts, payload: registerRequest(token, newIdentity()) });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([200, 200, 403]);
    expect(countRows(relay.ctx, 'accounts')).toBe(2);
  });

  test('a bad signed-prekey signature is 422 and neither stores anything nor uses the token', async () => {
    const relay = await testRelay();
    const { token } = createRegistrationToken(relay.ctx);
    const id = newIdentity();
    const req = registerRequest(token, id);
    req.signedPreKey = signedEcPreKey(PrivateKey.generate(), 1); // signed by someone else
    const res = await relay.app.inject({ method: 'POST', url: ROUTES.accounts, payload: req });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('INVALID_SIGNATURE');
    expect(countRows(relay.ctx, 'accounts')).toBe(0);
    expect(countRows(relay.ctx, 'registration_tokens')).toBe(1);
  });

  test('a tampered Kyber last-resort key is 422', async () => {
    const relay = await testRelay();
    const { token } = createRegistrationToken(relay.ctx);
    const id = newIdentity();
    const req = registerRequest(token, id);
    const other = signedKyberPreKey(id.identity, 2);
    req.pqLastResortPreKey = { ...req.pqLastResortPreKey, publicKey: other.publicKey }; // signature no longer matches
    const res = await relay.app.inject({ method: 'POST', url: ROUTES.accounts, payload: req });
    expect(res.statusCode).toBe(422);
    expect(countRows(relay.ctx, 'accounts')).toBe(0);
  });

  test('a malformed body is 400 BAD_REQUEST', async () => {
    const relay = await testRelay();
    const cases = [
      { payload: '{"registrationToken":', headers: { 'content-type': 'application/json' } },
      { payload: { registrationToken: 'abcdefghijkl' } },
      { payload: 'hello', headers: { 'content-type': 'text/plain' } },
      { payload: { ...registerRequest('abcdefghijkl', newIdentity()), phoneNumber: '+15555550100' } },
    ];
    for (const c of cases) {
      const res = await relay.app.inject({ method: 'POST', url: ROUTES.accounts, ...c });
      expect(res.statusCode, JSON.stringify(c.payload)).toBe(400);
      expect(ErrorBody.parse(res.json()).error.code).toBe('BAD_REQUEST');
    }
    expect(countRows(relay.ctx, 'accounts')).toBe(0);
  });

  test('an identity key that is not a curve point is 400', async () => {
    const relay = await testRelay();
    const { token } = createRegistrationToken(relay.ctx);
    const req = registerRequest(token, newIdentity());
    req.identityKey = Buffer.alloc(33, 0xff).toString('base64');
    const res = await relay.app.inject({ method: 'POST', url: ROUTES.accounts, payload: req });
    expect(res.statusCode).toBe(400);
    expect(countRows(relay.ctx, 'registration_tokens')).toBe(1);
  });

  test('an oversize body is 413 PAYLOAD_TOO_LARGE', async () => {
    const relay = await testRelay();
    const res = await relay.app.inject({
      method: 'POST',
      url: ROUTES.accounts,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(LIMITS.maxBodyBytes + 1) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('Basic authentication', () => {
  test('wrong password, unknown account, malformed header and no header are all 401', async () => {
    const relay = await testRelay();
    const user = await registerUser(relay);
    const headers = [
      basicAuth(user.accountId, 1, `${user.password}x`),
      basicAuth('3b2f6a2e-8d8e-4f4e-9c1a-0d6a7c5e4b3a', 1, user.password),
      basicAuth(user.accountId, 2, user.password),
      `Bearer ${user.password}`,
      'Basic !!!',
      undefined,
    ];
    for (const authorization of headers) {
      const res = await relay.app.inject({
        method: 'GET',
        url: ROUTES.keys,
        headers: authorization === undefined ? {} : { authorization },
      });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.json().error.code).toBe('UNAUTHORIZED');
    }
    const ok = await relay.app.inject({ method: 'GET', url: ROUTES.keys, headers: { authorization: user.auth } });
    expect(ok.statusCode).toBe(200);
  });

  test('last seen is kept at day granularity', async () => {
    const relay = await testRelay();
    const user = await registerUser(relay);
    relay.clock.advance(3 * DAY);
    await relay.app.inject({ method: 'GET', url: ROUTES.keys, headers: { authorization: user.auth } });
    const row = relay.ctx.storage.db.$client.prepare('SELECT last_seen_day FROM devices').get() as { last_seen_day: number };
    expect(row.last_seen_day).toBe(Math.floor(relay.clock.now() / DAY));
  });
});

describe('GET /v1/certificate/delivery', () => {
  test('issues a sender certificate chained to the trust root', async () => {
    const relay = await testRelay();
    const user = await registerUser(relay);
    const res = await relay.app.inject({ method: 'GET', url: ROUTES.senderCertificate, headers: { authorization: user.auth } });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ certificate: string; expiresAt: number }>();
    expect(body.expiresAt).toBe(relay.clock.now() + 24 * 3_600_000);
    const { SenderCertificate } = await import('@signalapp/libsignal-client');
    const cert = SenderCertificate.deserialize(new Uint8Array(Buffer.from(body.certificate, 'base64')));
    expect(cert.senderUuid()).toBe(user.accountId);
    expect(cert.senderDeviceId()).toBe(1);
    expect(cert.senderE164()).toBeNull();
    expect(cert.key().equals(user.identity.getPublicKey())).toBe(true);
    expect(cert.validate(relay.ctx.keys.trustRoot, relay.clock.now())).toBe(true);
    expect(cert.validate(relay.ctx.keys.trustRoot, body.expiresAt + 1)).toBe(false);
    expect(cert.validate(PrivateKey.generate().getPublicKey(), relay.clock.now())).toBe(false);
    expect(cert.serverCertificate().keyId()).toBe(ServerCertificate.deserialize(relay.ctx.keys.serverCertificate.serialize()).keyId());
  });
});

describe('registration tokens', () => {
  test('never start with a dash, which a command line would read as an option', () => {
    for (let i = 0; i < 2000; i++) expect(newToken().startsWith('-')).toBe(false);
    expect(newToken()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{42}$/);
  });
});
