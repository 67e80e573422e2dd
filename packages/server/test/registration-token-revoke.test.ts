import { ROUTES } from '@aviso/protocol';
import { describe, expect, test } from 'vitest';
import { countRows, registerRequest, newIdentity, registerUser, testRelay, type TestRelay, type TestUser } from './helpers.js';

/*
 * Finding 13 of the red-team review: the registration token inside a revoked invite code still
 * registered accounts, because revoking an invite (a group change) never reached the token. The
 * member who made the code now revokes the token too (POST /v1/registration-tokens/revoke).
 */

async function mint(relay: TestRelay, member: TestUser, uses = 5): Promise<string> {
  const res = await relay.app.inject({ method: 'POST', url: ROUTES.registrationTokens, headers: { authorization: member.auth }, payload: { uses, expiresAt: relay.clock.now() + 86_400_000 } });
  expect(res.statusCode).toBe(200);
  return res.json<{ token: string }>().token;
}

const revoke = (relay: TestRelay, token: string, auth?: string) =>
  relay.app.inject({ method: 'POST', url: ROUTES.registrationTokenRevoke, headers: auth === undefined ? {} : { authorization: auth }, payload: { token } });

const register = (relay: TestRelay, token: string) => relay.app.inject({ method: 'POST', url: ROUTES.accounts, payload: registerRequest(token, newIdentity()) });

describe('POST /v1/registration-tokens/revoke', () => {
  test('the token of a revoked invite registers nobody once its holder revokes it; unused uses are gone', async () => {
    const relay = await testRelay();
    const member = await registerUser(relay);
    const token = await mint(relay, member, 5);
    // The leaked code worked once, before the revocation...
    expect((await register(relay, token)).statusCode).toBe(200);
    const accounts = countRows(relay.ctx, 'accounts');
    const res = await revoke(relay, token, member.auth);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ revoked: true });
    // ...and not after it, though it had four uses left.
    const refused = await register(relay, token);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('INVALID_TOKEN');
    expect(countRows(relay.ctx, 'accounts')).toBe(accounts);
    expect(countRows(relay.ctx, 'registration_tokens')).toBe(0);
  });

  test('revoking again, or a token the relay never issued, says revoked: false and changes nothing', async () => {
    const relay = await testRelay();
    const member = await registerUser(relay);
    const token = await mint(relay, member);
    const other = await mint(relay, member);
    expect((await revoke(relay, token, member.auth)).json()).toEqual({ revoked: true });
    expect((await revoke(relay, token, member.auth)).json()).toEqual({ revoked: false });
    expect((await revoke(relay, 'not-a-token-the-relay-issued', member.auth)).json()).toEqual({ revoked: false });
    expect((await register(relay, other)).statusCode).toBe(200);
  });

  test('needs account credentials; a malformed body is BAD_REQUEST; the token is never logged', async () => {
    const relay = await testRelay();
    const member = await registerUser(relay);
    const token = await mint(relay, member);
    const anonymous = await revoke(relay, token);
    expect(anonymous.statusCode).toBe(401);
    const bad = await relay.app.inject({ method: 'POST', url: ROUTES.registrationTokenRevoke, headers: { authorization: member.auth }, payload: { token, extra: 1 } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('BAD_REQUEST');
    // Still valid: neither refused request revoked it.
    expect((await register(relay, token)).statusCode).toBe(200);
    expect(relay.logs.text).not.toContain(token);
  });
});
