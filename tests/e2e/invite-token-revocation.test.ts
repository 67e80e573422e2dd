import { describe, expect, test } from 'vitest';
import { parseInviteCode, RelayRequestError } from '@aviso/client';
import type { ClientPool } from '../support/clients.js';
import { useRelay } from '../support/harness.js';
import { call, registerRaw } from '../support/raw-account.js';
import { ROUTES } from '@aviso/protocol';
import type { RelayProcess } from '../support/relay.js';

let relay: RelayProcess;
let pool: ClientPool;

useRelay((r, p) => ((relay = r), (pool = p)));

/*
 * Finding 13 of the red-team review: revoking an invite is a group change; the relay registration
 * token minted for the code lived on, so a leaked code still registered accounts on the relay after
 * the admin revoked it. The token is now revoked with the invite (POST /v1/registration-tokens/revoke).
 */
describe('the registration token inside a revoked invite code', () => {
  test('a revoked invite\'s code registers nobody once its token is revoked', async () => {
    const admin = await pool.registered(relay, 'admin');
    const group = await admin.createGroup({ title: 'Compton responders', displayName: 'Rosa' });
    const code = await group.createInvite({ expiresInSeconds: 3600, maxUses: 5, requireApproval: false });
    const { inviteId, registrationToken } = parseInviteCode(code);
    expect(registrationToken).toBeDefined();
    await group.revokeInvite(inviteId);

    // Before, the invite was revoked and its token still registered a stranger: the SDK now revokes
    // the token with the invite (POST /v1/registration-tokens/revoke), so a hostile holder of the code
    // who goes to the registration route directly gets nowhere.
    // Four uses were left; none works now. (The SDK's join already refuses a revoked invite before
    // registering; a hostile holder of the code goes to the registration route directly, as here.)
    await expect(registerRaw(relay.url, registrationToken!)).rejects.toThrow(/403.*INVALID_TOKEN/);
    const stranger = await pool.open(pool.newDataDir('stranger'));
    const joined = await stranger.join(code, { displayName: 'Stranger' }).catch((err: unknown) => err);
    expect(joined).toBeInstanceOf(RelayRequestError);
    expect(stranger.isRegistered).toBe(false);
  });
});

describe('the revoke route', () => {
  test('any account holding a token can revoke it; an unknown token is a no-op', async () => {
    const token = await relay.createToken(3);
    const holder = await registerRaw(relay.url, await relay.createToken());
    expect(await call(relay.url, 'POST', ROUTES.registrationTokenRevoke, { authorization: holder.authorization, body: { token } })).toEqual({ status: 200, body: { revoked: true } });
    expect(await call(relay.url, 'POST', ROUTES.registrationTokenRevoke, { authorization: holder.authorization, body: { token } })).toEqual({ status: 200, body: { revoked: false } });
    await expect(registerRaw(relay.url, token)).rejects.toThrow(/403.*INVALID_TOKEN/);
  });
});
